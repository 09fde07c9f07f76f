//! `skp`, SKP's tool for inspectors and operators, as a library (the binary is `main.rs`).
//! It reads the event stream and the read models directly, with no HTTP framework in it.
//!
//! - [`args`]: the command line (clap);
//! - [`replay`], [`verify`], [`export`]: straight from the event stream ([`stream`]), with
//!   the lines of [`timeline`];
//! - [`bundle`]: evidence bundles and their offline check, with an appraisal's development
//!   plan and its survey chain for a caller who may read it;
//! - [`token`]: development tokens; [`seed`]: the demo agency, through the HTTP API.

pub mod args;
pub mod bundle;
pub mod export;
pub mod replay;
pub mod seed;
pub mod stream;
pub mod timeline;
pub mod token;
pub mod verify;
