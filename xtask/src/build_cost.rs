//! `cargo xtask bench --build-cost`: what a user's build pays, measured side by side in one
//! run on this machine, with ratios against baselines measured in the same run:
//!
//! - (a) a fresh application's clean release build on `replicate-typed` + `replicate-models`
//!   against the same application on progenitor 0.15's crate for Replicate's document, with
//!   reqwest's own `rustls` (aws-lc);
//! - (b) `cargo install` of `cargo-replicate` against `cargo install cargo-progenitor` 0.15.1;
//! - (c) the build-script route: `examples/app` with `replicate-build` against the same app
//!   on the generated file committed (no build script, no build dependency).
//!
//! Every build starts from an empty target folder, offline, after one untimed `cargo fetch`;
//! with `--rounds N` each pair is built N times, alternating which goes first, and medians are
//! compared. Nothing here is a test: the numbers go in the README's build-cost table.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// progenitor's version compared against, for the crate and for `cargo install`.
const PROGENITOR: &str = "0.15.1";

/// Runs the benchmark; `args` may hold `--rounds N` and `--only a|b|c`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut rounds = 1;
    let mut only: Option<String> = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--rounds" => {
                rounds = iter
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|n: &usize| *n > 0)
                    .ok_or("--rounds needs a positive number")?;
            }
            "--only" => only = iter.next().cloned(),
            other => {
                return Err(format!(
                    "unknown argument {other:?} (expected --rounds N, --only a|b|c)"
                ))
            }
        }
    }
    let root = crate::paths::workspace_root();
    let work = root.join("target/build-cost");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    println!(
        "build-cost: clean release builds, {rounds} round(s), {} CPUs, in {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        work.display()
    );
    let wants = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let mut table = Vec::new();
    if wants("a") {
        table.push(fresh_app(&root, &work, rounds)?);
    }
    if wants("b") {
        table.push(install(&root, &work, rounds)?);
    }
    if wants("c") {
        table.push(build_script_route(&root, &work, rounds)?);
    }
    println!("\n| build | ours | baseline | ours / baseline | target |");
    println!("|---|---|---|---|---|");
    for row in &table {
        println!(
            "| {} | {:.0} s | {:.0} s ({}) | {:.2}× | {} |",
            row.what,
            row.ours.as_secs_f64(),
            row.theirs.as_secs_f64(),
            row.baseline,
            row.ours.as_secs_f64() / row.theirs.as_secs_f64(),
            row.target
        );
    }
    Ok(())
}

/// One line of the table: medians of both sides.
struct Row {
    what: &'static str,
    baseline: &'static str,
    target: &'static str,
    ours: Duration,
    theirs: Duration,
}

/// A command to time: where to run it and what to run.
struct Job {
    label: &'static str,
    dir: PathBuf,
    args: Vec<String>,
    /// Emptied before each timed run.
    target: PathBuf,
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env_remove("CARGO_TARGET_DIR");
    command
}

fn run_ok(what: &str, command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// Times one clean run of `job`.
fn time(job: &Job) -> Result<Duration, String> {
    let _ = std::fs::remove_dir_all(&job.target);
    let start = Instant::now();
    run_ok(
        job.label,
        cargo()
            .current_dir(&job.dir)
            .env("CARGO_TARGET_DIR", &job.target)
            .args(&job.args),
    )?;
    let took = start.elapsed();
    println!("  {}: {:.1} s", job.label, took.as_secs_f64());
    Ok(took)
}

/// Alternates the two jobs over `rounds` and returns both medians.
fn pair(ours: &Job, theirs: &Job, rounds: usize) -> Result<(Duration, Duration), String> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            a.push(time(ours)?);
            b.push(time(theirs)?);
        } else {
            b.push(time(theirs)?);
            a.push(time(ours)?);
        }
    }
    a.sort();
    b.sort();
    Ok((a[a.len() / 2], b[b.len() / 2]))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn manifest(name: &str, dependencies: &str, build_dependencies: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\n{dependencies}\n{build_dependencies}\n[workspace]\n"
    )
}

fn path_of(root: &Path, krate: &str) -> String {
    root.join("crates").join(krate).display().to_string()
}

/// The first ```rust block of `replicate-typed`'s README: a whole program.
fn readme_example(root: &Path) -> Result<String, String> {
    let readme = std::fs::read_to_string(root.join("crates/replicate-typed/README.md"))
        .map_err(|e| e.to_string())?;
    let start = readme
        .find("```rust")
        .ok_or("no rust block in the README")?;
    let body = &readme[start..];
    let body = &body[body.find('\n').unwrap_or(0) + 1..];
    Ok(body[..body.find("```").unwrap_or(body.len())].to_string())
}

/// `cargo build` of a timed job: release, offline (after [`fetch`]).
fn release_build() -> Vec<String> {
    ["build", "--release", "--offline", "--quiet"]
        .map(String::from)
        .to_vec()
}

/// Fetches (untimed) what a crate needs, so that timed builds run offline.
fn fetch(dir: &Path) -> Result<(), String> {
    run_ok("cargo fetch", cargo().current_dir(dir).arg("fetch"))
}

fn fresh_app(root: &Path, work: &Path, rounds: usize) -> Result<Row, String> {
    println!("\n(a) a fresh application, clean release build");
    let progenitor_crate = work.join("progenitor-client");
    run_ok(
        "generator-bench --replicate-crate (builds progenitor once, untimed)",
        cargo().current_dir(root).args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "replicate-bench",
            "--features",
            "progenitor",
            "--bin",
            "generator-bench",
            "--",
            "--replicate-crate",
            &progenitor_crate.display().to_string(),
        ]),
    )?;
    let tokio = "tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }\n";
    let ours = work.join("ours-app");
    write(
        &ours.join("Cargo.toml"),
        &manifest(
            "ours-app",
            &format!(
                "replicate-typed = {{ path = \"{}\" }}\nreplicate-models = {{ path = \"{}\" }}\n{tokio}",
                path_of(root, "replicate-typed"),
                path_of(root, "replicate-models")
            ),
            "",
        ),
    )?;
    write(&ours.join("src/main.rs"), &readme_example(root)?)?;
    let theirs = work.join("progenitor-app");
    write(
        &theirs.join("Cargo.toml"),
        &manifest(
            "progenitor-app",
            &format!(
                "replicate-progenitor = {{ path = \"{}\" }}\n{tokio}",
                progenitor_crate.display()
            ),
            "",
        ),
    )?;
    write(
        &theirs.join("src/main.rs"),
        "#[tokio::main]\nasync fn main() {\n    \
         let client = replicate_progenitor::Client::new(\"https://api.replicate.com/v1\");\n    \
         match client.account_get().await {\n        \
         Ok(account) => println!(\"{:?}\", account.into_inner()),\n        \
         Err(e) => eprintln!(\"{e}\"),\n    }\n}\n",
    )?;
    let _ = std::fs::copy(root.join("Cargo.lock"), ours.join("Cargo.lock"));
    fetch(&ours)?;
    fetch(&theirs)?;
    let (a, b) = pair(
        &Job {
            label: "replicate-typed + replicate-models (rustls, ring)",
            dir: ours.clone(),
            args: release_build(),
            target: work.join("target-ours-app"),
        },
        &Job {
            label: "progenitor crate + reqwest rustls (aws-lc)",
            dir: theirs.clone(),
            args: release_build(),
            target: work.join("target-progenitor-app"),
        },
        rounds,
    )?;
    println!(
        "  packages compiled: ours {}, progenitor's {}",
        packages(&ours),
        packages(&theirs)
    );
    Ok(Row {
        what: "(a) fresh app, clean release build",
        baseline: "progenitor 0.15.1 crate + reqwest rustls",
        target: "≤ 0.75×",
        ours: a,
        theirs: b,
    })
}

/// Packages in a built crate's lockfile (cargo prunes what the build does not use).
fn packages(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("Cargo.lock"))
        .map(|lock| lock.matches("[[package]]").count())
        .unwrap_or(0)
}

fn install(root: &Path, work: &Path, rounds: usize) -> Result<Row, String> {
    println!("\n(b) cargo install (release, no lockfile, as `cargo install NAME` does)");
    // One untimed install of each fills the download cache; the timed ones run offline.
    let prefetch = work.join("install-prefetch");
    write(
        &prefetch.join("Cargo.toml"),
        &manifest(
            "install-prefetch",
            &format!(
                "cargo-progenitor = \"={PROGENITOR}\"\ncargo-replicate = {{ path = \"{}\" }}\n",
                path_of(root, "cargo-replicate")
            ),
            "",
        ),
    )?;
    write(&prefetch.join("src/lib.rs"), "")?;
    fetch(&prefetch)?;
    let install = |label: &'static str, name: &str, spec: Vec<String>| Job {
        label,
        dir: work.to_path_buf(),
        args: [
            vec!["install".to_string(), "--offline".into(), "--quiet".into()],
            spec,
            vec![
                "--root".into(),
                work.join(format!("root-{name}")).display().to_string(),
                "--force".into(),
            ],
        ]
        .concat(),
        target: work.join(format!("target-install-{name}")),
    };
    let (a, b) = pair(
        &install(
            "cargo install cargo-replicate",
            "ours",
            vec!["--path".into(), path_of(root, "cargo-replicate")],
        ),
        &install(
            "cargo install cargo-progenitor 0.15.1",
            "progenitor",
            vec![
                "cargo-progenitor".into(),
                "--version".into(),
                PROGENITOR.into(),
            ],
        ),
        rounds,
    )?;
    Ok(Row {
        what: "(b) `cargo install` of the command",
        baseline: "cargo-progenitor 0.15.1",
        target: "≤ 1.0×",
        ours: a,
        theirs: b,
    })
}

fn build_script_route(root: &Path, work: &Path, rounds: usize) -> Result<Row, String> {
    println!("\n(c) the build-script route: examples/app with replicate-build, and without");
    let example = root.join("examples/app");
    let main = std::fs::read_to_string(example.join("src/main.rs")).map_err(|e| e.to_string())?;
    let tokio = "tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }\n";
    let client = format!(
        "replicate-typed = {{ path = \"{}\" }}\n{tokio}",
        path_of(root, "replicate-typed")
    );
    let with = work.join("app-build-script");
    write(
        &with.join("Cargo.toml"),
        &manifest(
            "app-build-script",
            &client,
            &format!(
                "[build-dependencies]\nreplicate-build = {{ path = \"{}\" }}\n",
                path_of(root, "replicate-build")
            ),
        ),
    )?;
    write(
        &with.join("build.rs"),
        "fn main() {\n    replicate_build::compile_models(\"replicate\").unwrap();\n}\n",
    )?;
    write(&with.join("src/main.rs"), &main)?;
    let without = work.join("app-committed");
    write(
        &without.join("Cargo.toml"),
        &manifest("app-committed", &client, ""),
    )?;
    let generated = replicate_build::Builder::new(example.join("replicate"))
        .generate()
        .map_err(|e| e.to_string())?;
    write(&without.join("src/models.rs"), &generated.contents)?;
    write(
        &without.join("src/main.rs"),
        &main.replace(
            "replicate_typed::include_models!();",
            "include!(\"models.rs\");",
        ),
    )?;
    for dir in [&with, &without] {
        copy_dir(&example.join("replicate"), &dir.join("replicate"))?;
        let _ = std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"));
        fetch(dir)?;
    }
    let (a, b) = pair(
        &Job {
            label: "examples/app with replicate-build",
            dir: with.clone(),
            args: release_build(),
            target: work.join("target-app-build-script"),
        },
        &Job {
            label: "examples/app on the committed generated file",
            dir: without.clone(),
            args: release_build(),
            target: work.join("target-app-committed"),
        },
        rounds,
    )?;
    Ok(Row {
        what: "(c) build-script route (examples/app)",
        baseline: "same app, generated file committed",
        target: "reported",
        ours: a,
        theirs: b,
    })
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()))?;
        } else {
            std::fs::copy(&path, to.join(entry.file_name()))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}
