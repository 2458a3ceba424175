//! `cargo xtask test`: provision what the tests need, then run the whole suite.

use std::process::Command;

/// Runs `cargo test --workspace` (which includes the generator's corpus and snapshot checks).
pub fn run(extra: &[String]) -> Result<(), String> {
    let root = crate::generate::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("xtask test: cargo test --workspace {}", extra.join(" "));
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["test", "--workspace"])
        .args(extra)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo test failed ({status})"));
    }
    Ok(())
}
