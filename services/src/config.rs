//! Typed configuration: defaults, overridden by `SKP_*` environment variables. Secrets are
//! wrapped so that they never reach a log line.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// A value that must not be printed.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where the events live.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// NATS URL(s), comma-separated (`SKP_NATS_URL`).
    pub nats_url: String,
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

/// Where the read models live and how the projectors run.
#[derive(Debug, Clone)]
pub struct ReadSettings {
    /// Control schema of the read models; generations live in `<schema>_<projection>_g<n>`
    /// (`SKP_DB_SCHEMA`, default `skp`).
    pub schema: String,
    /// Run the projectors inside this process (`SKP_PROJECTORS`, `in-process` or `off`).
    pub in_process: bool,
    /// Messages per projector batch (`SKP_PROJECTOR_BATCH`, default 1000).
    pub batch: usize,
    /// The public stream (`SKP_PUBLIC_STREAM`, default `SKP_PUBLIC`).
    pub public_stream: String,
    /// Prefix of the public subjects (`SKP_PUBLIC_PREFIX`, default `skp.public`).
    pub public_prefix: String,
}

/// Everything SKP's API process reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the HTTP API listens (`SKP_HTTP_ADDR`, default `127.0.0.1:8080`).
    pub http_addr: SocketAddr,
    /// PostgreSQL (`SKP_DATABASE_URL`), for the read models and `/readyz`.
    pub database_url: Secret,
    /// HS256 secret of the bearer tokens (`SKP_JWT_SECRET`, required).
    pub jwt_secret: Secret,
    /// The event store.
    pub store: StoreSettings,
    /// The read models.
    pub read: ReadSettings,
    /// `json` for JSON logs, anything else for text (`SKP_LOG_FORMAT`).
    pub log_json: bool,
}

/// A setting that is missing or unreadable.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {name}: {problem}")]
pub struct ConfigError {
    name: &'static str,
    problem: String,
}

impl Settings {
    /// Reads the settings from the process environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable that is missing or malformed.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings of a process that serves no API (the projector host): the JWT
    /// secret is not needed there.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable that is malformed.
    pub fn for_projectors_from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| match name {
            "SKP_JWT_SECRET" => Some("unused-by-the-projector-host".to_owned()),
            _ => std::env::var(name).ok(),
        })
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable that is missing or malformed.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str, default: &str| lookup(name).unwrap_or_else(|| default.to_owned());
        let jwt_secret = lookup("SKP_JWT_SECRET").filter(|s| !s.is_empty()).ok_or(ConfigError {
            name: "SKP_JWT_SECRET",
            problem: "required: the HS256 secret of the bearer tokens".into(),
        })?;
        if jwt_secret.len() < 16 {
            return Err(ConfigError { name: "SKP_JWT_SECRET", problem: "must be at least 16 bytes".into() });
        }
        Ok(Self {
            http_addr: parse("SKP_HTTP_ADDR", &get("SKP_HTTP_ADDR", "127.0.0.1:8080"))?,
            database_url: Secret::new(get("SKP_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")),
            jwt_secret: Secret::new(jwt_secret),
            store: StoreSettings {
                nats_url: get("SKP_NATS_URL", "nats://127.0.0.1:4222"),
                stream: get("SKP_STREAM", "SKP_EVENTS"),
                subject_prefix: get("SKP_SUBJECT_PREFIX", skp_events::subject::DEFAULT_EVENT_PREFIX),
                replicas: parse("SKP_STREAM_REPLICAS", &get("SKP_STREAM_REPLICAS", "1"))?,
                command_retries: parse("SKP_COMMAND_RETRIES", &get("SKP_COMMAND_RETRIES", "32"))?,
                append_timeout: Duration::from_millis(parse("SKP_APPEND_TIMEOUT_MS", &get("SKP_APPEND_TIMEOUT_MS", "5000"))?),
                cache_capacity: parse("SKP_AGGREGATE_CACHE", &get("SKP_AGGREGATE_CACHE", "100000"))?,
                group_commit: group_commit("SKP_GROUP_COMMIT", &get("SKP_GROUP_COMMIT", "on"))?,
                group_commit_min_batch: parse("SKP_GROUP_COMMIT_MIN_BATCH", &get("SKP_GROUP_COMMIT_MIN_BATCH", "16"))?,
            },
            read: ReadSettings {
                schema: get("SKP_DB_SCHEMA", "skp"),
                in_process: get("SKP_PROJECTORS", "in-process") != "off",
                batch: parse("SKP_PROJECTOR_BATCH", &get("SKP_PROJECTOR_BATCH", "1000"))?,
                public_stream: get("SKP_PUBLIC_STREAM", "SKP_PUBLIC"),
                public_prefix: get("SKP_PUBLIC_PREFIX", "skp.public"),
            },
            log_json: get("SKP_LOG_FORMAT", "text") == "json",
        })
    }
}

fn group_commit(name: &'static str, raw: &str) -> Result<GroupCommit, ConfigError> {
    match raw {
        "on" => Ok(GroupCommit::Adaptive),
        "always" => Ok(GroupCommit::Always),
        "off" => Ok(GroupCommit::Off),
        other => Err(ConfigError { name, problem: format!("{other:?}: expected on, always or off") }),
    }
}

fn parse<T: std::str::FromStr>(name: &'static str, raw: &str) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    raw.parse().map_err(|e: T::Err| ConfigError { name, problem: format!("{raw:?}: {e}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jwt_secret_is_required_and_never_printed() {
        let missing = Settings::from_lookup(|_| None).expect_err("no secret");
        assert!(missing.to_string().contains("SKP_JWT_SECRET"));
        let settings = Settings::from_lookup(|n| (n == "SKP_JWT_SECRET").then(|| "0123456789abcdef-secret".into()))
            .expect("settings");
        assert!(!format!("{settings:?}").contains("0123456789abcdef"));
        assert_eq!(settings.store.stream, "SKP_EVENTS");
    }

    #[test]
    fn group_commit_is_adaptive_unless_set_and_rejects_other_values() {
        let with = |value: Option<&'static str>| {
            Settings::from_lookup(move |n| match n {
                "SKP_JWT_SECRET" => Some("0123456789abcdef-secret".into()),
                "SKP_GROUP_COMMIT" => value.map(str::to_owned),
                _ => None,
            })
        };
        assert_eq!(with(None).expect("default").store.group_commit, GroupCommit::Adaptive);
        assert_eq!(with(Some("always")).expect("always").store.group_commit, GroupCommit::Always);
        assert_eq!(with(Some("off")).expect("off").store.group_commit, GroupCommit::Off);
        let bad = with(Some("yes")).expect_err("not on/off");
        assert!(bad.to_string().contains("SKP_GROUP_COMMIT"), "{bad}");
    }
}
