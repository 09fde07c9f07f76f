//! SKP's end-to-end tests, one binary: the real `skp-api` in-process (or as a child process),
//! real NATS JetStream and PostgreSQL, each test isolated by its own stream names, subject
//! prefix and schemas (`common`). One binary links the whole server once, not once per suite.

#![allow(missing_docs, clippy::unwrap_used)]

mod common;

mod authorization;
mod big_cycle;
mod cli;
mod cluster;
mod concurrency;
mod dashboard_browser;
mod degraded;
mod development;
mod development_cli;
mod durability;
mod errors;
mod fuzz_corpus;
mod group_commit;
mod idempotency;
mod lifecycle;
mod nats_restart;
mod operations;
mod projections;
mod projector_faults;
mod store;
mod tamper;
// Voices beyond the rater (issue 13).
mod voices;
mod voices_cli;
// issue 15: production hardening
mod direct_reads;
mod http_limits;
mod idempotency_owner;
mod nats_security;
mod pg_tls;
mod projector_host;
mod smaller_holes;
mod stream_checks;
// Periodic evaluation and unit capaian (issue 12).
mod periods;
mod periods_stream;
