//! The end-to-end suite as one test binary (one link instead of one per file): each module is
//! one area, run with `cargo test -p replicate-e2e -- <module>::` to pick one.
//!
//! Tests that need a tool or `../shared` call `replicate_e2e::skip`, which fails under `CI`.

mod bad_input;
mod behaviour_faults;
mod behaviour_invariants;
mod behaviour_models;
mod behaviour_predictions;
mod behaviour_retries;
mod behaviour_run;
mod behaviour_streams;
mod chaos;
mod cog_server;
mod cog_typed;
mod contract_prism;
mod corpus;
mod determinism;
mod diff;
mod downstream;
mod models_corpus;
mod mutations;
mod packaged;
mod readme;
mod snapshots;
mod third_party;
mod tidy;
mod tls;
mod tracing_logs;
mod wire;
