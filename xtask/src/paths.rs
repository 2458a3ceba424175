//! Where things are in the workspace: every command names files through these, so a move is
//! one edit.

use std::path::{Path, PathBuf};

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The spec the client is generated from.
pub const CLIENT_SPEC: &str = "spec/openapi.json";
/// The client's generated modules.
pub const CLIENT_GENERATED_DIR: &str = "crates/replicate-typed/src/generated";
/// The runtime crate that standalone API crates depend on.
pub const RUNTIME_CRATE_DIR: &str = "crates/replicate-runtime";
/// The client crate that standalone typed-model crates depend on (they call its `run`).
pub const CLIENT_CRATE_DIR: &str = "crates/replicate-typed";
/// Generated typed models.
pub const MODELS_GENERATED_DIR: &str = "crates/replicate-models/src/generated";
/// The model schemas the models crate is generated from.
pub const MODELS_SPEC_DIR: &str = "spec/models";
/// Pins of the schemas in [`MODELS_SPEC_DIR`].
pub const MODELS_LOCK: &str = "spec/models.lock";
/// Typed models of our own Cog test predictors (`tests/cog/<name>/openapi_schema.json`).
pub const COG_MODELS_GENERATED_DIR: &str = "tests/src/cog_models";
/// Our Cog test predictors.
pub const COG_PREDICTORS_DIR: &str = "tests/cog";
/// Every directory whose files `generate` owns (files there that it does not produce are stale).
pub const GENERATED_DIRS: &[&str] = &[
    CLIENT_GENERATED_DIR,
    MODELS_GENERATED_DIR,
    COG_MODELS_GENERATED_DIR,
];
/// The changelog `cargo xtask changelog` writes spec-diff sections into.
pub const CHANGELOG: &str = "CHANGELOG.md";
