//! The event store's settings, read from `SKP_*` variables through a lookup function (the
//! process environment, or a map in tests), and the pieces every SKP process reads its own
//! settings with: [`Secret`], [`ConfigError`], [`parse`] (defined in `setting.rs`, below
//! the NATS settings that use them).

use std::time::Duration;

pub use crate::setting::{parse, ConfigError, Secret};

/// Where the events live and how commands are appended.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// NATS URL(s), comma-separated (`SKP_NATS_URL`), without any user part (that is in
    /// `nats_auth`).
    pub nats_url: String,
    /// The NATS credential and TLS (`SKP_NATS_*`).
    pub nats_auth: crate::nats::NatsAuth,
    /// The event stream's name (`SKP_STREAM`, default `SKP_EVENTS`).
    pub stream: String,
    /// Prefix of the event subjects (`SKP_SUBJECT_PREFIX`, default `skp.events`).
    pub subject_prefix: String,
    /// Stream replicas (`SKP_STREAM_REPLICAS`, default 1; 3 in a cluster).
    pub replicas: usize,
    /// How often a command is decided again after a concurrent write (`SKP_COMMAND_RETRIES`).
    pub command_retries: u32,
    /// How long to wait for an append's acknowledgement (`SKP_APPEND_TIMEOUT_MS`).
    pub append_timeout: Duration,
    /// How many aggregates the in-process cache keeps (`SKP_AGGREGATE_CACHE`).
    pub cache_capacity: usize,
    /// Group commit (`SKP_GROUP_COMMIT`, `on`, `always` or `off`, default `on`).
    pub group_commit: GroupCommit,
    /// The fewest waiting appends that group commit sends as one atomic batch
    /// (`SKP_GROUP_COMMIT_MIN_BATCH`, default 16, at least 2, at most 1000): fewer go out as
    /// single appends, all in flight at once. nats-server stages each atomic batch of a file
    /// stream in a temporary file store, which costs about as much as a dozen or two fsynced
    /// single appends.
    pub group_commit_min_batch: usize,
}

/// Whether appends that arrive together go out as one atomic batch (nats-server 2.12+; on
/// older servers every append is its own publish whatever this says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupCommit {
    /// `off`: every append is its own publish.
    Off,
    /// `on`: a group of waiting appends goes out as one atomic batch when batches measure
    /// cheaper than single appends on this server (they do when it fsyncs every append).
    Adaptive,
    /// `always`: every group of at least `SKP_GROUP_COMMIT_MIN_BATCH` waiting appends goes
    /// out as one atomic batch.
    Always,
}

impl std::str::FromStr for GroupCommit {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "on" => Ok(GroupCommit::Adaptive),
            "always" => Ok(GroupCommit::Always),
            "off" => Ok(GroupCommit::Off),
            _ => Err("expected on, always or off".into()),
        }
    }
}

impl StoreSettings {
    /// Reads the settings through `lookup`; unset variables take their defaults.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable that is malformed.
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str, default: &str| lookup(name).unwrap_or_else(|| default.to_owned());
        let (nats_auth, nats_url) = crate::nats::NatsAuth::from_lookup(lookup, &get("SKP_NATS_URL", "nats://127.0.0.1:4222"))?;
        let subject_prefix = get("SKP_SUBJECT_PREFIX", skp_events::subject::DEFAULT_EVENT_PREFIX);
        if let Err(problem) = skp_events::subject::Subjects::check_prefix(&subject_prefix) {
            return Err(ConfigError { name: "SKP_SUBJECT_PREFIX", problem });
        }
        Ok(Self {
            nats_url,
            nats_auth,
            stream: get("SKP_STREAM", "SKP_EVENTS"),
            subject_prefix,
            replicas: parse("SKP_STREAM_REPLICAS", &get("SKP_STREAM_REPLICAS", "1"))?,
            command_retries: parse("SKP_COMMAND_RETRIES", &get("SKP_COMMAND_RETRIES", "32"))?,
            append_timeout: Duration::from_millis(parse("SKP_APPEND_TIMEOUT_MS", &get("SKP_APPEND_TIMEOUT_MS", "5000"))?),
            cache_capacity: parse("SKP_AGGREGATE_CACHE", &get("SKP_AGGREGATE_CACHE", "100000"))?,
            group_commit: parse("SKP_GROUP_COMMIT", &get("SKP_GROUP_COMMIT", "on"))?,
            group_commit_min_batch: parse("SKP_GROUP_COMMIT_MIN_BATCH", &get("SKP_GROUP_COMMIT_MIN_BATCH", "16"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_commit_is_adaptive_unless_set_and_rejects_other_values() {
        let with = |value: Option<&'static str>| StoreSettings::from_lookup(&move |n: &str| (n == "SKP_GROUP_COMMIT").then_some(value).flatten().map(str::to_owned));
        assert_eq!(with(None).expect("default").group_commit, GroupCommit::Adaptive);
        assert_eq!(with(Some("always")).expect("always").group_commit, GroupCommit::Always);
        assert_eq!(with(Some("off")).expect("off").group_commit, GroupCommit::Off);
        let bad = with(Some("yes")).expect_err("not on/off");
        assert!(bad.to_string().contains("SKP_GROUP_COMMIT"), "{bad}");
    }

    #[test]
    fn a_secret_is_never_printed() {
        assert_eq!(format!("{:?}", Secret::new("0123456789abcdef")), "Secret(***)");
    }
}
