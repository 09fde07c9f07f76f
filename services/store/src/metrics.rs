//! Prometheus metrics: commands by type and outcome, conflicts, append latency, group commit
//! batch sizes and fallbacks.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;

/// Labels of the command counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CommandLabels {
    /// The command, e.g. `submit_plan`.
    pub command: String,
    /// `ok`, `replayed` (idempotent retry) or the error code.
    pub outcome: String,
}

/// Labels of the projector gauges.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProjectionLabels {
    /// The projector, e.g. `progress`.
    pub projection: String,
}

/// The process's metrics. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    commands: Family<CommandLabels, Counter>,
    conflicts: Counter,
    append_seconds: Histogram,
    append_batch_size: Histogram,
    append_batch_fallbacks: Counter,
    projector_lag: Family<ProjectionLabels, Gauge>,
    projector_checkpoint: Family<ProjectionLabels, Gauge>,
    projector_stopped: Family<ProjectionLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with SKP's metrics.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("skp");
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register("commands", "Commands handled, by command and outcome", commands.clone());
        let conflicts = Counter::default();
        registry.register("append_conflicts", "Appends refused for a concurrent write and decided again", conflicts.clone());
        let buckets = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];
        let append_seconds = Histogram::new(buckets);
        registry.register("append_seconds", "Latency of one JetStream append until its acknowledgement", append_seconds.clone());
        let append_batch_size = Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1000.0]);
        registry.register("append_batch_size", "Appends per publish of the group commit writer (1: a lone append)", append_batch_size.clone());
        let append_batch_fallbacks = Counter::default();
        registry.register(
            "append_batch_fallbacks",
            "Atomic batches refused (a stale expected sequence, a stored message id, no answer) and appended one by one",
            append_batch_fallbacks.clone(),
        );
        let projector_lag = Family::<ProjectionLabels, Gauge>::default();
        registry.register("projector_lag", "Stream last sequence minus the projector's checkpoint", projector_lag.clone());
        let projector_checkpoint = Family::<ProjectionLabels, Gauge>::default();
        registry.register("projector_checkpoint", "The last stream sequence a projector applied", projector_checkpoint.clone());
        let projector_stopped = Family::<ProjectionLabels, Gauge>::default();
        registry.register("projector_stopped", "1 while a projector is stopped on an error (an undecodable event: see /readyz)", projector_stopped.clone());
        Self {
            inner: Arc::new(Inner {
                registry,
                commands,
                conflicts,
                append_seconds,
                append_batch_size,
                append_batch_fallbacks,
                projector_lag,
                projector_checkpoint,
                projector_stopped,
            }),
        }
    }

    /// Counts a handled command.
    pub fn command(&self, command: &str, outcome: &str) {
        let labels = CommandLabels { command: command.to_owned(), outcome: outcome.to_owned() };
        self.inner.commands.get_or_create(&labels).inc();
    }

    /// Counts a conflict that led to a new decision.
    pub fn conflict(&self) {
        self.inner.conflicts.inc();
    }

    /// Records one append's latency.
    pub fn observe_append(&self, elapsed: Duration) {
        self.inner.append_seconds.observe(elapsed.as_secs_f64());
    }

    /// Records how many appends one publish of the group commit writer carried.
    pub fn observe_batch(&self, size: usize) {
        self.inner.append_batch_size.observe(size as f64);
    }

    /// Counts an atomic batch that was refused and appended one message at a time.
    pub fn batch_fallback(&self) {
        self.inner.append_batch_fallbacks.inc();
    }

    /// Records whether a projector is stopped on an error.
    pub fn projector_stopped(&self, projection: &str, stopped: bool) {
        let labels = ProjectionLabels { projection: projection.to_owned() };
        self.inner.projector_stopped.get_or_create(&labels).set(i64::from(stopped));
    }

    /// Records a projector's checkpoint and lag.
    pub fn projector(&self, projection: &str, checkpoint: u64, lag: u64) {
        let labels = ProjectionLabels { projection: projection.to_owned() };
        self.inner.projector_checkpoint.get_or_create(&labels).set(i64::try_from(checkpoint).unwrap_or(i64::MAX));
        self.inner.projector_lag.get_or_create(&labels).set(i64::try_from(lag).unwrap_or(i64::MAX));
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.inner.registry).is_err() {
            out.clear();
        }
        out
    }
}
