//! The `cqrs` section of `skp-bench all`: SKP's command workload (open an appraisal, then
//! draft its plan) through cqrs-es with postgres-es's event store, the usual Rust way of
//! event sourcing on PostgreSQL, against the same PostgreSQL.
//!
//! The aggregate records the same payloads as SKP's events (`AppraisalOpened`, `PlanDrafted`
//! of `skp-events`) with the envelope's other fields (command, correlation and causation ids,
//! actor, time) as cqrs-es metadata. Its tables live in a schema of the run's own (postgres-es
//! `with_tables`), dropped at the end even after an error. `scale.commands / 2` appraisals are
//! opened, then their plans drafted, by 16, 32 and 64 concurrent tasks over one pool of 32
//! connections; the best commands/s is compared with SKP's durable in-process rate.

use crate::report::{rate, Bound, Report};
use crate::{generate, Ctx};
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, CqrsFramework, DomainEvent};
use postgres_es::{PostgresCqrs, PostgresEventRepository};
use serde::{Deserialize, Serialize};
use skp_events::data::{AppraisalOpened, PlanDrafted};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const SECTION: &str = "cqrs";
const CONCURRENCY: [usize; 3] = [16, 32, 64];
const POOL: u32 = 32;

/// An appraisal as cqrs-es sees it: enough state for the two commands' rules.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CqrsAppraisal {
    opened: bool,
    employee: Option<String>,
    planned_results: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CqrsEvent {
    AppraisalOpened(AppraisalOpened),
    PlanDrafted(PlanDrafted),
}

impl DomainEvent for CqrsEvent {
    fn event_type(&self) -> String {
        match self {
            Self::AppraisalOpened(_) => "AppraisalOpened".into(),
            Self::PlanDrafted(_) => "PlanDrafted".into(),
        }
    }

    fn event_version(&self) -> String {
        "1".into()
    }
}

#[derive(Debug)]
pub enum CqrsCommand {
    Open(AppraisalOpened),
    DraftPlan(PlanDrafted),
}

/// A refused command.
#[derive(Debug)]
pub struct Refused(&'static str);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Refused {}

impl Aggregate for CqrsAppraisal {
    const TYPE: &'static str = "Appraisal";
    type Command = CqrsCommand;
    type Event = CqrsEvent;
    type Error = Refused;
    type Services = ();

    async fn handle(&mut self, command: Self::Command, _services: &Self::Services, sink: &EventSink<Self>) -> Result<(), Self::Error> {
        match command {
            CqrsCommand::Open(opened) => {
                if self.opened {
                    return Err(Refused("the appraisal exists"));
                }
                if opened.employee.nip == opened.rater.nip {
                    return Err(Refused("the employee cannot rate themselves"));
                }
                sink.write(CqrsEvent::AppraisalOpened(opened), self).await;
            }
            CqrsCommand::DraftPlan(plan) => {
                if !self.opened {
                    return Err(Refused("no such appraisal"));
                }
                if plan.results.is_empty() || plan.results.iter().any(|r| r.indicators.is_empty()) {
                    return Err(Refused("a plan needs results with indicators"));
                }
                sink.write(CqrsEvent::PlanDrafted(plan), self).await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            CqrsEvent::AppraisalOpened(opened) => {
                self.opened = true;
                self.employee = Some(opened.employee.name);
            }
            CqrsEvent::PlanDrafted(plan) => self.planned_results = plan.results.len(),
        }
    }
}

/// The envelope's fields other than the payload, as cqrs-es metadata.
fn metadata(role: &str) -> HashMap<String, String> {
    let command = Uuid::now_v7().to_string();
    HashMap::from([
        ("event_id".to_owned(), Uuid::now_v7().to_string()),
        ("command_id".to_owned(), command.clone()),
        ("correlation_id".to_owned(), command.clone()),
        ("causation_id".to_owned(), command),
        ("actor_nip".to_owned(), "198001012005011001".to_owned()),
        ("actor_role".to_owned(), role.to_owned()),
        ("occurred_at".to_owned(), "2026-02-01T08:00:00Z".to_owned()),
    ])
}

pub async fn run(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    let schema = format!("skp_bench_cqrs_{}", &Uuid::new_v4().simple().to_string()[..10]);
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(POOL).connect(&crate::servers::database_url()).await?;
    let outcome = measure(ctx, report, &pool, &schema).await;
    let dropped = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&pool).await;
    pool.close().await;
    outcome?;
    dropped?;
    Ok(())
}

async fn measure(ctx: &Ctx, report: &mut Report, pool: &sqlx::PgPool, schema: &str) -> anyhow::Result<()> {
    // postgres-es's db/init.sql, in the run's own schema.
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(pool).await?;
    sqlx::query(&format!(
        "CREATE TABLE {schema}.events (aggregate_type text NOT NULL, aggregate_id text NOT NULL, sequence bigint CHECK (sequence >= 0) NOT NULL, \
         event_type text NOT NULL, event_version text NOT NULL, payload json NOT NULL, metadata json NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id, sequence))"
    ))
    .execute(pool)
    .await?;
    sqlx::query(&format!(
        "CREATE TABLE {schema}.snapshots (aggregate_type text NOT NULL, aggregate_id text NOT NULL, last_sequence bigint CHECK (last_sequence >= 0) NOT NULL, \
         current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL, payload json NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id, last_sequence))"
    ))
    .execute(pool)
    .await?;
    let repo = PostgresEventRepository::new(pool.clone()).with_tables(&format!("{schema}.events"), &format!("{schema}.snapshots"));
    let cqrs: Arc<PostgresCqrs<CqrsAppraisal>> = Arc::new(CqrsFramework::new(PersistedEventStore::new_event_store(repo), vec![], ()));

    let appraisals = (ctx.scale.commands / 2).max(1);
    let cycle = Uuid::now_v7();
    let mut best = 0.0f64;
    for concurrency in CONCURRENCY {
        let ids: Arc<Vec<String>> = Arc::new((0..appraisals).map(|_| Uuid::new_v4().to_string()).collect());
        let opened = phase(&cqrs, &ids, concurrency, move |i| CqrsCommand::Open(generate::opening_and_plan(cycle, i as u64).0), "admin").await?;
        let drafted = phase(&cqrs, &ids, concurrency, move |i| CqrsCommand::DraftPlan(generate::opening_and_plan(cycle, i as u64).1), "employee").await?;
        let both = (2 * appraisals) as f64 / (opened + drafted).as_secs_f64();
        best = best.max(both);
        report.figure(
            SECTION,
            format!("cqrs-es/postgres-es, {appraisals} opens then {appraisals} drafts, {concurrency} concurrent"),
            format!("{} (opens {}, drafts {})", rate(both), rate(appraisals as f64 / opened.as_secs_f64()), rate(appraisals as f64 / drafted.as_secs_f64())),
        );
    }
    let (count,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {schema}.events")).fetch_one(pool).await?;
    anyhow::ensure!(count as usize == 2 * appraisals * CONCURRENCY.len(), "postgres-es holds {count} events, {} written", 2 * appraisals * CONCURRENCY.len());
    report.figure(SECTION, "cqrs-es/postgres-es best, commands/s", rate(best));
    match ctx.durable_command_rate {
        Some(skp) => report.check(
            "SKP durable commands / cqrs-es+postgres-es",
            skp / best,
            Bound::AtLeast(5.0),
            format!("{} of {}", rate(skp), rate(best)),
        ),
        None => report.figure(SECTION, "ratio to SKP's durable command rate", "not checked: the commands section did not run"),
    }
    Ok(())
}

/// Every appraisal of `ids` through `command`, by `concurrency` tasks; the wall time.
async fn phase<F>(cqrs: &Arc<PostgresCqrs<CqrsAppraisal>>, ids: &Arc<Vec<String>>, concurrency: usize, command: F, role: &'static str) -> anyhow::Result<Duration>
where
    F: Fn(usize) -> CqrsCommand + Send + Sync + Copy + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (cqrs, ids, next) = (cqrs.clone(), ids.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(id) = ids.get(i) else { return anyhow::Ok(()) };
                cqrs.execute_with_metadata(id, command(i), metadata(role)).await.map_err(|e| anyhow::anyhow!("cqrs-es refused a command: {e}"))?;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(started.elapsed())
}
