//! A sample payroll consumer of SKP's public events: settings, the agency's percentage
//! table, the idempotent effects in PostgreSQL (tables made by `migrations/`: the yearly
//! `tukin_adjustments` from finalized scores, the monthly `period_adjustments` from periodic
//! evaluations, [`periods`]) and the JetStream consumer loop (one durable consumer per
//! subject). It depends on SKP only for the public event types
//! (`skp_events::public`), as another team's service would.
//!
//! The library does not log by itself: it *reports* what it did through a callback
//! ([`Outcome`]); the binary turns the reports into `tracing` logs and the tests collect
//! them.

use async_nats::jetstream::{
    self,
    consumer::{pull, AckPolicy, DeliverPolicy, PullConsumer},
    AckKind,
};
use futures::StreamExt;
use skp_events::public::{PeriodEvaluatedV1, ScoreFinalizedV1};
use skp_events::Predikat;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::fmt;
use std::future::Future;
use std::time::Duration;
use uuid::Uuid;

pub mod nats;

/// The example table used when `PAYROLL_TABLE` is not set. It is only an example: there is
/// no national table; every agency sets its own Tukin/TPP percentages per predikat.
pub const EXAMPLE_TABLE: &str = "sangat_baik=100,baik=100,butuh_perbaikan=80,kurang=60,sangat_kurang=50";

pub mod periods;

pub use periods::apply_period_event;

/// How many messages one pull asks for.
const BATCH: usize = 50;
/// How long one pull waits for messages when running until shutdown.
const POLL: Duration = Duration::from_secs(5);
/// When a message could not be applied (database down), JetStream redelivers it after this.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// A delivered message not acknowledged within this is delivered again.
const ACK_WAIT: Duration = Duration::from_secs(30);

/// The tables, migrated into `PAYROLL_SCHEMA`.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A cause from NATS.
type NatsError = Box<dyn std::error::Error + Send + Sync>;

/// What can stop the consumer.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// A setting is missing or malformed.
    #[error("configuration: {0}")]
    Config(String),
    /// NATS or JetStream failed.
    #[error("NATS: {what}")]
    Nats {
        /// What was being done.
        what: String,
        /// Why.
        #[source]
        source: NatsError,
    },
    /// PostgreSQL failed.
    #[error("PostgreSQL")]
    Db(#[from] sqlx::Error),
    /// Migrating the tables failed.
    #[error("migrating schema {schema}")]
    Migrate {
        /// The schema.
        schema: String,
        /// Why.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

fn nats(what: impl Into<String>) -> impl FnOnce(NatsError) -> SampleError {
    let what = what.into();
    move |source| SampleError::Nats { what, source }
}

/// The agency's Tukin/TPP percentage for each of the five predikat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PercentTable {
    /// In the order of [`Predikat::ALL`].
    percents: [u8; 5],
}

impl PercentTable {
    /// Parses `sangat_baik=100,baik=100,butuh_perbaikan=80,kurang=60,sangat_kurang=50`:
    /// every predikat exactly once, each a whole percentage from 0 to 100.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut percents: [Option<u8>; 5] = [None; 5];
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, value) = entry.split_once('=').ok_or_else(|| format!("{entry:?} is not predikat=percent"))?;
            let (name, value) = (name.trim(), value.trim());
            let index = Predikat::ALL
                .iter()
                .position(|p| p.as_str() == name)
                .ok_or_else(|| format!("unknown predikat {name:?} (expected one of sangat_baik, baik, butuh_perbaikan, kurang, sangat_kurang)"))?;
            let percent: u8 = value.parse().ok().filter(|p| *p <= 100).ok_or_else(|| format!("{name}: {value:?} is not a percentage from 0 to 100"))?;
            if percents[index].replace(percent).is_some() {
                return Err(format!("{name} is given twice"));
            }
        }
        let mut table = [0; 5];
        for (index, percent) in percents.iter().enumerate() {
            table[index] = percent.ok_or_else(|| format!("{} has no percentage", Predikat::ALL[index].as_str()))?;
        }
        Ok(Self { percents: table })
    }

    /// The percentage of `predikat`.
    pub fn percent(&self, predikat: Predikat) -> u8 {
        let index = Predikat::ALL.iter().position(|p| *p == predikat).unwrap_or_default();
        self.percents[index]
    }
}

impl fmt::Display for PercentTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, predikat) in Predikat::ALL.iter().enumerate() {
            let separator = if index == 0 { "" } else { "," };
            write!(f, "{separator}{}={}", predikat.as_str(), self.percents[index])?;
        }
        Ok(())
    }
}

/// The consumer's settings (see `services/payroll-sample/README.md`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `SKP_NATS_URL`, without any user part.
    pub nats_url: String,
    /// How to reach NATS: `SKP_NATS_URL` and the `SKP_NATS_*` credential and TLS.
    pub nats: nats::NatsOptions,
    /// `SKP_DATABASE_URL`: the payroll database (here any PostgreSQL).
    pub database_url: String,
    /// `SKP_PUBLIC_STREAM`: SKP's public stream.
    pub stream: String,
    /// `SKP_PUBLIC_PREFIX`: the subject prefix of SKP's public events.
    pub prefix: String,
    /// `PAYROLL_SCHEMA`: where the sample keeps its tables.
    pub schema: String,
    /// `PAYROLL_CONSUMER`: the durable consumer's name.
    pub durable: String,
    /// `PAYROLL_PERIOD_CONSUMER`: the durable consumer of periodic evaluations.
    pub period_durable: String,
    /// `PAYROLL_TABLE`: the agency's percentages.
    pub table: PercentTable,
}

impl Settings {
    /// From the process environment.
    ///
    /// # Errors
    /// A malformed setting.
    pub fn from_env() -> Result<Self, SampleError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// From `lookup` (an empty value counts as unset).
    ///
    /// # Errors
    /// A malformed setting.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SampleError> {
        let get = |name: &str, default: &str| lookup(name).filter(|v| !v.trim().is_empty()).unwrap_or_else(|| default.to_owned());
        let nats = nats::NatsOptions::from_lookup(&|name: &str| lookup(name).filter(|v| !v.trim().is_empty()))?;
        let settings = Self {
            nats_url: nats.urls.clone(),
            nats,
            database_url: get("SKP_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
            stream: get("SKP_PUBLIC_STREAM", "SKP_PUBLIC"),
            prefix: get("SKP_PUBLIC_PREFIX", "skp.public"),
            schema: get("PAYROLL_SCHEMA", "payroll_sample"),
            durable: get("PAYROLL_CONSUMER", "payroll_sample"),
            period_durable: get("PAYROLL_PERIOD_CONSUMER", "payroll_sample_periods"),
            table: PercentTable::parse(&get("PAYROLL_TABLE", EXAMPLE_TABLE)).map_err(|e| SampleError::Config(format!("PAYROLL_TABLE: {e}")))?,
        };
        if !valid_schema(&settings.schema) {
            return Err(SampleError::Config(format!("PAYROLL_SCHEMA {:?} must match [a-z][a-z0-9_]{{0,39}}", settings.schema)));
        }
        let name_ok = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok(&settings.durable) || !name_ok(&settings.period_durable) || !name_ok(&settings.stream) {
            return Err(SampleError::Config("PAYROLL_CONSUMER, PAYROLL_PERIOD_CONSUMER and SKP_PUBLIC_STREAM take letters, digits, '_' and '-'".into()));
        }
        if settings.durable == settings.period_durable {
            return Err(SampleError::Config("PAYROLL_CONSUMER and PAYROLL_PERIOD_CONSUMER must differ (one durable consumer per subject)".into()));
        }
        if settings.prefix.is_empty() || settings.prefix.contains(|c: char| c.is_whitespace() || c == '*' || c == '>') {
            return Err(SampleError::Config(format!("SKP_PUBLIC_PREFIX {:?} is not a subject prefix", settings.prefix)));
        }
        Ok(settings)
    }

    /// The subject of finalized scores: `<prefix>.score.finalized.v1` (docs/contract.md, NATS).
    pub fn subject(&self) -> String {
        format!("{}.score.finalized.v1", self.prefix)
    }

    /// The subject of periodic evaluations: `<prefix>.period.evaluated.v1`.
    pub fn period_subject(&self) -> String {
        format!("{}.period.evaluated.v1", self.prefix)
    }
}

/// A public event the sample consumes, decoded by its subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicEvent {
    /// `skp.public.score.finalized.v1`.
    ScoreFinalized(ScoreFinalizedV1),
    /// `skp.public.period.evaluated.v1`.
    PeriodEvaluated(PeriodEvaluatedV1),
}

impl PublicEvent {
    /// Decodes a message of `subject`: a period evaluation on `….period.evaluated.v1`, a
    /// finalized score otherwise.
    ///
    /// # Errors
    /// When the payload is not the subject's event.
    pub fn decode(subject: &str, payload: &[u8]) -> Result<Self, serde_json::Error> {
        if subject.ends_with(".period.evaluated.v1") {
            serde_json::from_slice(payload).map(PublicEvent::PeriodEvaluated)
        } else {
            serde_json::from_slice(payload).map(PublicEvent::ScoreFinalized)
        }
    }

    /// The public event's id (the idempotency key).
    pub fn event_id(&self) -> Uuid {
        match self {
            PublicEvent::ScoreFinalized(e) => e.event_id,
            PublicEvent::PeriodEvaluated(e) => e.event_id,
        }
    }

    /// The predikat the event carries.
    pub fn predikat(&self) -> Predikat {
        match self {
            PublicEvent::ScoreFinalized(e) => e.predikat,
            PublicEvent::PeriodEvaluated(e) => e.predikat,
        }
    }

    /// Applies it: [`apply_event`] or [`apply_period_event`].
    ///
    /// # Errors
    /// When PostgreSQL fails.
    pub async fn apply(&self, pool: &PgPool, schema: &str, table: &PercentTable) -> Result<bool, sqlx::Error> {
        match self {
            PublicEvent::ScoreFinalized(e) => apply_event(pool, schema, table, e).await,
            PublicEvent::PeriodEvaluated(e) => apply_period_event(pool, schema, table, e).await,
        }
    }
}

/// The schema name goes into SQL text (identifiers cannot be bound), so it is checked.
fn valid_schema(schema: &str) -> bool {
    let mut chars = schema.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && schema.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub(crate) fn checked_schema(schema: &str) -> Result<&str, sqlx::Error> {
    if valid_schema(schema) {
        Ok(schema)
    } else {
        Err(sqlx::Error::Configuration(format!("schema {schema:?} must match [a-z][a-z0-9_]{{0,39}}").into()))
    }
}

/// Creates the schema if missing and migrates it (`migrations/`), on a connection of its
/// own with the schema first on its `search_path`. sqlx holds a database-wide advisory lock
/// while migrating, so two instances starting together do not race.
///
/// # Errors
/// When PostgreSQL fails or a migration does.
pub async fn ensure_schema(pool: &PgPool, schema: &str) -> Result<(), SampleError> {
    let s = checked_schema(schema)?;
    let mut conn = pool.acquire().await?.detach();
    // No "already exists, skipping" notice in the logs at every start.
    sqlx::query("SET client_min_messages TO warning").execute(&mut conn).await?;
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {s}")).execute(&mut conn).await?;
    sqlx::query(&format!("SET search_path TO {s}")).execute(&mut conn).await?;
    let migrated = MIGRATOR.run_direct(&mut conn).await;
    let _ = sqlx::Connection::close(conn).await;
    migrated.map_err(|source| SampleError::Migrate { schema: s.to_owned(), source })
}

/// Records `event_id` in `processed_events`; false when it was there already (the event was
/// applied before).
pub(crate) async fn first_time(tx: &mut sqlx::PgConnection, schema: &str, event_id: Uuid) -> Result<bool, sqlx::Error> {
    let recorded = sqlx::query(&format!("INSERT INTO {schema}.processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING"))
        .bind(event_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    Ok(recorded > 0)
}

/// Applies one event in ONE transaction: records its `event_id` in `processed_events`
/// (`ON CONFLICT DO NOTHING`) and, only if that row is new, upserts the employee's
/// adjustment for the year. Returns whether the event was new: `false` means it had been
/// applied before (a redelivery or a duplicate publish) and nothing changed.
///
/// When an employee has several finalized appraisals in one year, the most recently
/// finalized one wins, whatever the order of delivery (a real service applies its own rule).
///
/// # Errors
/// When PostgreSQL fails; the transaction is then rolled back and nothing is recorded.
pub async fn apply_event(pool: &PgPool, schema: &str, table: &PercentTable, event: &ScoreFinalizedV1) -> Result<bool, sqlx::Error> {
    let s = checked_schema(schema)?;
    let mut tx = pool.begin().await?;
    if !first_time(&mut tx, s, event.event_id).await? {
        // Applied before: leave everything as it is.
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query(&format!(
        "INSERT INTO {s}.tukin_adjustments
             (employee_nip, year, appraisal_id, predikat, percent, source_event_id, finalized_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (employee_nip, year) DO UPDATE SET
             appraisal_id = EXCLUDED.appraisal_id, predikat = EXCLUDED.predikat, percent = EXCLUDED.percent,
             source_event_id = EXCLUDED.source_event_id, finalized_at = EXCLUDED.finalized_at, updated_at = now()
         WHERE {s}.tukin_adjustments.finalized_at <= EXCLUDED.finalized_at"
    ))
    .bind(&event.employee_nip)
    .bind(event.year)
    .bind(event.appraisal_id)
    .bind(event.predikat.as_str())
    .bind(i16::from(table.percent(event.predikat)))
    .bind(event.source_event_id)
    .bind(event.finalized_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Opens (creating if missing) the durable pull consumer `durable` on `stream`, filtered to
/// `subject`, with explicit acknowledgement. A new consumer starts at the stream's first
/// message, so a new payroll service receives every finalization ever published.
///
/// # Errors
/// When the stream does not exist (SKP's relay creates it) or JetStream fails, or when a
/// consumer of that name exists with another filter.
pub async fn durable_consumer(js: &jetstream::Context, stream: &str, durable: &str, subject: &str) -> Result<PullConsumer, SampleError> {
    let stream_handle = js.get_stream(stream).await.map_err(|e| nats(format!("stream {stream} (SKP's public relay creates it)"))(e.into()))?;
    let config = pull::Config {
        durable_name: Some(durable.to_owned()),
        description: Some("SKP sample payroll consumer".into()),
        filter_subject: subject.to_owned(),
        deliver_policy: DeliverPolicy::All,
        ack_policy: AckPolicy::Explicit,
        ack_wait: ACK_WAIT,
        ..Default::default()
    };
    let mut consumer: PullConsumer = stream_handle.get_or_create_consumer(durable, config).await.map_err(|e| nats(format!("consumer {durable}"))(e.into()))?;
    // An existing durable keeps its configuration: refuse one that listens elsewhere.
    let info = consumer.info().await.map_err(|e| nats(format!("consumer {durable}"))(e.into()))?;
    if info.config.filter_subject != subject || info.config.ack_policy != AckPolicy::Explicit {
        return Err(SampleError::Config(format!(
            "consumer {durable} exists with filter {:?} and ack policy {:?}; expected {subject:?} with explicit acks (delete it or choose another PAYROLL_CONSUMER)",
            info.config.filter_subject, info.config.ack_policy
        )));
    }
    Ok(consumer)
}

/// How long the consumer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Handles what is waiting, then returns (`--once`).
    Once,
    /// Waits for new events until the shutdown future completes.
    UntilShutdown,
}

/// What happened to one message (or one pull); the binary logs these.
#[derive(Debug)]
pub enum Outcome<'a> {
    /// A new event: its adjustment is committed and the message acknowledged.
    Applied {
        /// The message's sequence in the stream.
        stream_seq: u64,
        /// The event.
        event: &'a PublicEvent,
        /// The percentage recorded.
        percent: u8,
    },
    /// An event applied before (redelivery, duplicate publish): acknowledged, nothing changed.
    AlreadyApplied {
        /// The message's sequence in the stream.
        stream_seq: u64,
        /// The event.
        event: &'a PublicEvent,
    },
    /// A message that is not the event of its subject: terminated, never delivered again.
    Undecodable {
        /// The message's sequence in the stream.
        stream_seq: u64,
        /// Why it does not decode.
        error: &'a str,
    },
    /// The database failed: the message is negatively acknowledged and comes back later.
    NotApplied {
        /// The message's sequence in the stream.
        stream_seq: u64,
        /// The event's id.
        event_id: Uuid,
        /// The error.
        error: &'a str,
    },
    /// The acknowledgement after the commit was lost: the message will be redelivered and
    /// then found in `processed_events`.
    AckFailed {
        /// The message's sequence in the stream.
        stream_seq: u64,
        /// The error.
        error: &'a str,
    },
    /// A pull from JetStream failed; the loop pulls again.
    PullFailed {
        /// The error.
        error: &'a str,
    },
}

/// Counts of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Events applied for the first time.
    pub applied: u64,
    /// Events found already applied.
    pub already_applied: u64,
    /// Undecodable messages terminated.
    pub terminated: u64,
}

/// Pulls from `consumer` and applies each event with [`apply_event`], acknowledging each
/// message only after its transaction committed. In [`Mode::Once`] it stops when a pull
/// finds nothing waiting; otherwise when `shutdown` completes (it never stops in the middle
/// of a message).
///
/// # Errors
/// In [`Mode::Once`], the first database failure (the message is negatively acknowledged
/// first). Until shutdown, database failures are reported and retried by redelivery.
pub async fn run_consumer(
    consumer: &PullConsumer,
    pool: &PgPool,
    schema: &str,
    table: &PercentTable,
    mode: Mode,
    shutdown: impl Future<Output = ()>,
    mut report: impl FnMut(Outcome<'_>),
) -> Result<Summary, SampleError> {
    let mut summary = Summary::default();
    let mut shutdown = std::pin::pin!(shutdown);
    'pulls: loop {
        // `fetch` returns what is waiting now (then ends); `batch` waits up to POLL for it.
        let pull = async {
            match mode {
                Mode::Once => consumer.fetch().max_messages(BATCH).messages().await,
                Mode::UntilShutdown => consumer.batch().max_messages(BATCH).expires(POLL).messages().await,
            }
        };
        let mut batch = tokio::select! {
            biased;
            () = &mut shutdown => break 'pulls,
            batch = pull => match batch {
                Ok(batch) => batch,
                Err(e) => {
                    report(Outcome::PullFailed { error: &e.to_string() });
                    if mode == Mode::Once {
                        return Err(nats("a pull")(e.into()));
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue 'pulls;
                }
            },
        };
        let mut received = 0;
        loop {
            // Shutdown is only looked at between messages; a message being handled is finished.
            let next = tokio::select! {
                biased;
                () = &mut shutdown => break 'pulls,
                next = batch.next() => next,
            };
            match next {
                None => break,
                Some(Err(e)) => {
                    report(Outcome::PullFailed { error: &e.to_string() });
                    break;
                }
                Some(Ok(message)) => {
                    received += 1;
                    handle(message, pool, schema, table, mode, &mut summary, &mut report).await?;
                }
            }
        }
        if mode == Mode::Once && received == 0 {
            break;
        }
    }
    Ok(summary)
}

async fn handle(
    message: jetstream::Message,
    pool: &PgPool,
    schema: &str,
    table: &PercentTable,
    mode: Mode,
    summary: &mut Summary,
    report: &mut impl FnMut(Outcome<'_>),
) -> Result<(), SampleError> {
    let stream_seq = message.info().map(|info| info.stream_sequence).unwrap_or_default();
    let event = match PublicEvent::decode(message.subject.as_str(), &message.payload) {
        Ok(event) => event,
        Err(e) => {
            // Retrying cannot help: the same bytes will fail to decode every time, and a
            // negative acknowledgement would redeliver this "poison" message forever. `Term`
            // stops its redelivery to this consumer only; the message stays in SKP_PUBLIC
            // (which denies deletes), so after the log line below an operator can inspect it
            // (`nats stream get <stream> <seq>`) and, once fixed, replay it with a new
            // consumer. The events after it are not held up.
            report(Outcome::Undecodable { stream_seq, error: &e.to_string() });
            summary.terminated += 1;
            if let Err(e) = message.ack_with(AckKind::Term).await {
                report(Outcome::AckFailed { stream_seq, error: &e.to_string() });
            }
            return Ok(());
        }
    };
    match event.apply(pool, schema, table).await {
        Ok(true) => {
            summary.applied += 1;
            report(Outcome::Applied { stream_seq, event: &event, percent: table.percent(event.predikat()) });
        }
        Ok(false) => {
            summary.already_applied += 1;
            report(Outcome::AlreadyApplied { stream_seq, event: &event });
        }
        Err(e) => {
            report(Outcome::NotApplied { stream_seq, event_id: event.event_id(), error: &e.to_string() });
            // Nothing was committed: ask for a redelivery a little later.
            if let Err(nak) = message.ack_with(AckKind::Nak(Some(RETRY_AFTER))).await {
                report(Outcome::AckFailed { stream_seq, error: &nak.to_string() });
            }
            return match mode {
                Mode::Once => Err(SampleError::Db(e)),
                Mode::UntilShutdown => Ok(()),
            };
        }
    }
    // Acknowledge only after the commit. `double_ack` waits for the server's confirmation,
    // so `--once` does not exit with the ack still in a buffer. If the ack is lost anyway,
    // JetStream redelivers after ACK_WAIT and `processed_events` turns it into a no-op.
    if let Err(e) = message.double_ack().await {
        report(Outcome::AckFailed { stream_seq, error: &e.to_string() });
    }
    Ok(())
}

/// Connects to NATS and PostgreSQL, creates the tables if missing, opens the two durable
/// consumers (finalized scores, periodic evaluations) and runs [`run_consumer`] on both
/// together; returns their summed counts.
///
/// # Errors
/// See [`SampleError`].
pub async fn run(settings: &Settings, mode: Mode, shutdown: impl Future<Output = ()>, report: impl FnMut(Outcome<'_>)) -> Result<Summary, SampleError> {
    let client = settings.nats.connect().await?;
    let js = jetstream::new(client);
    let pool = PgPoolOptions::new().max_connections(4).acquire_timeout(Duration::from_secs(5)).connect(&settings.database_url).await?;
    ensure_schema(&pool, &settings.schema).await?;
    let scores = durable_consumer(&js, &settings.stream, &settings.durable, &settings.subject()).await?;
    let periods = durable_consumer(&js, &settings.stream, &settings.period_durable, &settings.period_subject()).await?;
    // Both consumers in this task: the shutdown future shared, the reports taken in turn
    // (a report is a plain call, never held across an await).
    let shutdown = futures::FutureExt::shared(Box::pin(shutdown));
    let report = std::cell::RefCell::new(report);
    let each = |outcome: Outcome<'_>| (*report.borrow_mut())(outcome);
    let (yearly, monthly) = futures::future::join(
        run_consumer(&scores, &pool, &settings.schema, &settings.table, mode, shutdown.clone(), each),
        run_consumer(&periods, &pool, &settings.schema, &settings.table, mode, shutdown, each),
    )
    .await;
    pool.close().await;
    let (yearly, monthly) = (yearly?, monthly?);
    Ok(Summary {
        applied: yearly.applied + monthly.applied,
        already_applied: yearly.already_applied + monthly.already_applied,
        terminated: yearly.terminated + monthly.terminated,
    })
}
