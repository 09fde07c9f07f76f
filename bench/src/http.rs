//! The `http` section of `skp-bench all`: commands through the real service.
//!
//! For each nats-server, twice: a `skp-api` child process (`service`) with its projectors
//! in process, and one with `SKP_PROJECTORS=off` beside a `skp-projector` child process (as
//! `deploy/compose.yaml` runs them; both on this machine's cores). Each time one cycle;
//! then keep-alive HTTP clients, 64 and then 256 at once, each opening an appraisal as the
//! admin and drafting its plan as its employee, `scale.commands` commands per concurrency
//! (after a warm-up that is not counted). Commands per second and each command's latency as
//! the client sees it; the best concurrency against the raw append limit of its durability,
//! the projectors-elsewhere rate against the in-process command rate of the `commands`
//! section, and the in-process projectors' cost (their rate against the projectors-elsewhere
//! one). Also the processes' peak resident memory under that load.

use crate::report::{rate, Bound, Latencies, Report};
use crate::servers::{Durability, Memory};
use crate::service::{Projectors, Service};
use crate::{isolated_on, Ctx};
use std::sync::Arc;

/// The client concurrencies tried.
const CONCURRENCIES: [usize; 2] = [64, 256];

pub async fn run(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    for durability in [Durability::Lazy, Durability::Durable] {
        let label = durability.label();
        let mut rates = Vec::new();
        for projectors in [Projectors::InProcess, Projectors::Elsewhere] {
            let how = projectors.label();
            let settings = isolated_on(&ctx.server(durability).url(), &[])?;
            let service = Arc::new(Service::start_with(settings, projectors).await?);
            let (concurrency, best, latencies) = measure(&service, ctx.scale.commands / 2, |concurrency, r, l: &Latencies| {
                report.figure("http", format!("{label}, {how}, {concurrency} clients ({} commands: open appraisal, draft plan)", ctx.scale.commands), format!("{}, {}", rate(r), l.summary()));
            })
            .await?;
            let memory = Memory::of(service.pid())?;
            report.figure("memory", format!("skp-api peak RSS under the {label} HTTP load, {how}"), format!("{:.0} MiB (now {:.0} MiB)", memory.peak_mib, memory.rss_mib));
            if let Some(pid) = service.projector_pid() {
                let memory = Memory::of(pid)?;
                report.figure("memory", format!("skp-projector peak RSS under the {label} HTTP load"), format!("{:.0} MiB (now {:.0} MiB)", memory.peak_mib, memory.rss_mib));
            }
            report.figure("http", format!("{label}, {how}, best ({concurrency} clients)"), format!("{}, {}", rate(best), latencies.summary()));
            let limit = match durability {
                Durability::Lazy => ctx.limits.lazy(),
                Durability::Durable => ctx.limits.durable(),
            };
            match (durability, projectors) {
                (Durability::Lazy, Projectors::InProcess) => ctx.http_max_rate = Some(best),
                (Durability::Lazy, Projectors::Elsewhere) => ctx.http_max_rate_elsewhere = Some(best),
                _ => {}
            }
            report.check(format!("commands over HTTP, {label}, {how}: rate / raw append limit"), best / limit, Bound::AtLeast(0.25), format!("{} ({concurrency} clients) of {}", rate(best), rate(limit)));
            rates.push(best);
        }
        let (inprocess, elsewhere) = (rates[0], rates[1]);
        let command_rate = match durability {
            Durability::Lazy => ctx.lazy_command_rate,
            Durability::Durable => ctx.durable_command_rate,
        };
        match command_rate {
            Some(in_process) => report.check(
                format!("commands over HTTP, {label}, projectors in skp-projector / in-process command rate"),
                elsewhere / in_process,
                Bound::AtLeast(0.5),
                format!("{} over HTTP of {} in process (CommandBus, `commands` section)", rate(elsewhere), rate(in_process)),
            ),
            None => report.figure("http", format!("{label}: HTTP / in-process command rate"), "not measured (the `commands` section did not run)"),
        }
        report.check(
            format!("commands over HTTP, {label}: projectors in-process / projectors in skp-projector"),
            inprocess / elsewhere,
            Bound::AtLeast(0.75),
            format!("{} with the projectors in skp-api, {} with them in skp-projector", rate(inprocess), rate(elsewhere)),
        );
    }
    Ok(())
}

/// Every concurrency on one cycle of `service`, `appraisals` appraisals each: the best
/// (concurrency, commands/s, latencies); `each` sees every one.
pub async fn measure(service: &Arc<Service>, appraisals: usize, mut each: impl FnMut(usize, f64, &Latencies)) -> anyhow::Result<(usize, f64, Latencies)> {
    let cycle = service.open_cycle().await?;
    let warm_up = (appraisals / 10).clamp(1, 256);
    service.load(&cycle, 0, warm_up, warm_up).await?;
    let mut first = warm_up;
    let mut best: Option<(usize, f64, Latencies)> = None;
    for concurrency in CONCURRENCIES {
        let (commands_rate, latencies) = service.load(&cycle, first, appraisals, concurrency).await?;
        first += appraisals;
        each(concurrency, commands_rate, &latencies);
        if best.as_ref().is_none_or(|(_, r, _)| commands_rate > *r) {
            best = Some((concurrency, commands_rate, latencies));
        }
    }
    best.ok_or_else(|| anyhow::anyhow!("no concurrency measured"))
}
