//! `cargo xtask bench`: builds the benchmark crate (`crates/replicate-bench`) in release mode and
//! runs it, passing the arguments through (`--quick`, `--no-official`, `--help`, ...).
//!
//! The benchmark starts its own loopback fake server and installs the official Python and JS
//! clients it compares against into `.cache/bench/` when they are missing.

use std::process::Command;

/// Runs `cargo run --release -p replicate-bench -- ARGS` from the workspace root.
pub fn run(args: &[String]) -> Result<(), String> {
    let root = crate::paths::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!(
        "xtask bench: cargo run --release -p replicate-bench -- {}",
        args.join(" ")
    );
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["run", "--release", "-p", "replicate-bench", "--"])
        .args(args)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the benchmark failed ({status})"))
    }
}
