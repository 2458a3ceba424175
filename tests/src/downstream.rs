//! Crates outside this workspace, built the way a user builds theirs: path dependencies on our
//! crates, the workspace's lockfile (same versions, no network), and one shared target folder
//! (`target/downstream`) so the dependencies compile once.

use crate::{scratch_cargo, workspace_root};
use std::path::{Path, PathBuf};
use std::process::Output;

/// The target folder all downstream builds share.
pub fn target_dir() -> PathBuf {
    workspace_root().join("target/downstream")
}

/// `cargo <args>` in `dir` against the shared target folder, offline, with the workspace's
/// lockfile copied in first.
pub fn cargo(dir: &Path, args: &[&str]) -> Output {
    let _ = std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock"));
    scratch_cargo(dir, &target_dir())
        .args(args)
        .arg("--offline")
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"))
}

/// Panics with cargo's output unless it succeeded; returns stdout.
pub fn expect_success(what: &str, output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        output.status,
        stderr
            .lines()
            .rev()
            .take(60)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    stdout
}

/// `replicate-typed`'s folder, for path dependencies.
pub fn client_path() -> String {
    workspace_root()
        .join("crates/replicate-typed")
        .display()
        .to_string()
}

/// `replicate-build`'s folder, for path dependencies.
pub fn build_path() -> String {
    workspace_root()
        .join("crates/replicate-build")
        .display()
        .to_string()
}

/// The `cargo-replicate` binary, built from this workspace (into its own target folder).
pub fn cargo_replicate() -> PathBuf {
    let root = workspace_root();
    let output = scratch_cargo(&root, &target_dir())
        .args(["build", "--quiet", "--offline", "-p", "cargo-replicate"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    expect_success("building cargo-replicate", output);
    target_dir().join("debug/cargo-replicate")
}
