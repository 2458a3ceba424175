//! `cargo xtask bench`: builds the benchmark crate (`crates/replicate-bench`) in release mode and
//! runs it, passing the arguments through (`--quick`, `--no-official`, `--help`, ...).
//!
//! The benchmark starts its own loopback fake server and installs the official Python and JS
//! clients it compares against into `.cache/bench/` when they are missing.
//!
//! `cargo xtask bench --generator` runs the crate's other binary, `generator-bench`, instead: our
//! generator against progenitor in one process. It needs the crate's `progenitor` feature, which
//! only this command turns on, so workspace builds and tests never compile progenitor.

use std::process::Command;

/// Runs `cargo run --release -p replicate-bench -- ARGS` from the workspace root, or with
/// `generator`, `cargo run --release -p replicate-bench --features progenitor --bin
/// generator-bench -- ARGS`.
pub fn run(generator: bool, args: &[String]) -> Result<(), String> {
    let root = crate::paths::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cargo_args = vec!["run", "--release", "-p", "replicate-bench"];
    if generator {
        cargo_args.extend(["--features", "progenitor", "--bin", "generator-bench"]);
    } else {
        // Named because the crate has two binaries once the feature is on.
        cargo_args.extend(["--bin", "replicate-bench"]);
    }
    cargo_args.push("--");
    println!(
        "xtask bench: cargo {} {}",
        cargo_args.join(" "),
        args.join(" ")
    );
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(&cargo_args)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the benchmark failed ({status})"))
    }
}
