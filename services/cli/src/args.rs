//! The command line of `skp`, the tool for operators and inspectors (parsed by clap; the
//! binary in `src/main.rs` runs what it reads). Every subcommand has `--help`.

use crate::replay::AsOf;
use crate::verify::Scope;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// SKP's tool for operators and inspectors.
///
/// `replay`, `verify` and `export` read JetStream only (SKP_NATS_URL, SKP_STREAM,
/// SKP_SUBJECT_PREFIX), so they work with the API and PostgreSQL down; `verify --bundle`
/// needs nothing but the file. Exit codes: 0 ok, 1 a break or a failure, 2 bad arguments,
/// 3 the stream could not be read.
#[derive(Debug, Parser)]
#[command(name = "skp", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replays one appraisal (or development plan) from the stream: its timeline (who did
    /// what, when), its state at that point and its chain check.
    Replay(ReplayArgs),
    /// Re-checks every hash chain and version sequence (of the stream, of one cycle, or of an
    /// evidence bundle, offline); exit 1 on a break.
    Verify(VerifyArgs),
    /// Writes one appraisal's evidence bundle: its events as stored (and its development
    /// plan's), the state after each version and the fairness report, for `skp verify
    /// --bundle`; with its survey chain for a caller who may read it (--token).
    Export(ExportArgs),
    /// Read-model maintenance.
    Projections {
        /// What to do.
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Signs a development bearer token with SKP_JWT_SECRET.
    Token(TokenArgs),
    /// Seeds a demo agency through the HTTP API: units, a few hundred employees, a cycle at
    /// every stage and some disputes. Safe to run twice.
    SeedDemo(SeedArgs),
}

/// `skp replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The appraisal's id, or a development plan's.
    pub appraisal_id: Uuid,
    /// Stop after this version (1, 2, ...).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "as_of")]
    pub as_of_version: Option<u64>,
    /// Stop at this instant (RFC 3339, e.g. 2026-03-01T10:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = parse_instant)]
    pub as_of: Option<OffsetDateTime>,
    /// One JSON document: {appraisal_id, chain_valid, chain_breaks, timeline, state}.
    #[arg(long)]
    pub json: bool,
}

impl ReplayArgs {
    /// Where the replay stops.
    pub fn as_of(&self) -> AsOf {
        match (self.as_of_version, self.as_of) {
            (Some(version), _) => AsOf::Version(version),
            (None, Some(at)) => AsOf::Instant(at),
            (None, None) => AsOf::Latest,
        }
    }
}

fn parse_instant(raw: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(raw, &Rfc3339).map_err(|_| format!("{raw:?} is not an RFC 3339 instant such as 2026-03-01T10:00:00Z"))
}

/// `skp verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Every aggregate of the stream (the default).
    #[arg(long, conflicts_with_all = ["cycle", "bundle"])]
    pub all: bool,
    /// One cycle, the appraisals opened in it and their development plans.
    #[arg(long, value_name = "CYCLE_ID", conflicts_with = "bundle")]
    pub cycle: Option<Uuid>,
    /// An evidence bundle written by `skp export`, checked offline.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// One JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

impl VerifyArgs {
    /// Which aggregates of the stream to check.
    pub fn scope(&self) -> Scope {
        self.cycle.map_or(Scope::All, Scope::Cycle)
    }
}

/// `skp export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The appraisal's id (or its development plan's: the bundle is the appraisal's).
    pub appraisal_id: Uuid,
    /// Where to write the bundle (`-`: standard output). Default: <appraisal-id>.skp-bundle.json.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
    /// The bearer token of whoever asks for the bundle, checked with SKP_JWT_SECRET as the API
    /// checks it: the appraisal's survey chain (360 answers, public feedback) is included only
    /// when its holder may read it (the appraisal's rater or rater superior, an admin, an
    /// inspector), never for the employee.
    #[arg(long, env = "SKP_TOKEN", hide_env_values = true, value_name = "JWT")]
    pub token: Option<String>,
}

/// `skp projections ...`.
#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Each read model's serving generation, checkpoint and lag behind the stream.
    Status {
        /// One JSON document instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Rebuilds a read model from sequence 1 into fresh tables while the current ones serve,
    /// then swaps them in. (The public relay is never rebuilt: it would publish again.)
    Rebuild {
        /// progress, career or audit.
        name: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `skp token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The caller's NIP (18 digits).
    #[arg(long)]
    pub nip: String,
    /// A global role: admin, inspector or service_desk (repeatable).
    #[arg(long = "role", value_name = "ROLE", value_parser = ["admin", "inspector", "service_desk"])]
    pub roles: Vec<String>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 12 * 3600)]
    pub ttl: u64,
    /// Print {token, nip, roles, expires_in} as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `skp seed-demo`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The API to seed.
    #[arg(long, env = "SKP_API_URL", default_value = "http://127.0.0.1:8080")]
    pub api: String,
    /// How many employees (appraisals) the demo agency has.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(20..=5000))]
    pub employees: u32,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}
