//! The `http` section of `skp-bench all`: commands through the real service.
//!
//! For each nats-server, a `skp-api` child process (`service`) with its projectors in
//! process; one cycle; then keep-alive HTTP clients, 64 and then 256 at once, each opening
//! an appraisal as the admin and drafting its plan as its employee, `scale.commands`
//! commands per concurrency (after a warm-up that is not counted). Commands per second and
//! each command's latency as the client sees it; the best concurrency against the raw
//! append limit of its durability. Also the service's peak resident memory under that load.

use crate::report::{rate, Bound, Latencies, Report};
use crate::servers::{Durability, Memory};
use crate::service::Service;
use crate::Ctx;
use std::sync::Arc;

/// The client concurrencies tried.
const CONCURRENCIES: [usize; 2] = [64, 256];

pub async fn run(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    for durability in [Durability::Lazy, Durability::Durable] {
        let label = durability.label();
        let service = Arc::new(Service::start(&ctx.server(durability).url()).await?);
        let (concurrency, best, latencies) = measure(&service, ctx.scale.commands / 2, |concurrency, r, l: &Latencies| {
            report.figure("http", format!("{label}, {concurrency} clients ({} commands: open appraisal, draft plan)", ctx.scale.commands), format!("{}, {}", rate(r), l.summary()));
        })
        .await?;
        let memory = Memory::of(service.pid())?;
        report.figure("memory", format!("skp-api peak RSS under the {label} HTTP load"), format!("{:.0} MiB (now {:.0} MiB)", memory.peak_mib, memory.rss_mib));
        report.figure("http", format!("{label}, best ({concurrency} clients)"), format!("{}, {}", rate(best), latencies.summary()));
        let limit = match durability {
            Durability::Lazy => {
                ctx.http_max_rate = Some(best);
                ctx.limits.lazy()
            }
            Durability::Durable => ctx.limits.durable(),
        };
        report.check(format!("commands over HTTP, {label}: rate / raw append limit"), best / limit, Bound::AtLeast(0.25), format!("{} ({concurrency} clients) of {}", rate(best), rate(limit)));
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
