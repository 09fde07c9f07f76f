//! The pieces every SKP process reads its settings with: [`Secret`], [`ConfigError`],
//! [`parse`] (re-exported by `config`).

use std::fmt;

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

/// A setting that is missing or unreadable.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {name}: {problem}")]
pub struct ConfigError {
    /// The variable, e.g. `SKP_STREAM_REPLICAS`.
    pub name: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

/// Parses the raw value of the variable `name`.
///
/// # Errors
/// [`ConfigError`] naming the variable and the value.
pub fn parse<T: std::str::FromStr>(name: &'static str, raw: &str) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    raw.parse().map_err(|e: T::Err| ConfigError { name, problem: format!("{raw:?}: {e}") })
}
