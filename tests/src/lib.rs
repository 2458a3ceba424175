//! Helpers shared by the end-to-end tests: where things are, and compiling generated crates.

/// The README's examples (typed and untyped), compiled as doctests so they stay true. Here
/// rather than in a published crate, whose package must not reach outside its folder.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// Each published crate's own README (its page on the registry), compiled the same way.
#[cfg(doctest)]
pub mod crate_readmes {
    #[doc = include_str!("../../crates/replicate-typed/README.md")]
    pub struct Typed;
    #[doc = include_str!("../../crates/replicate-models/README.md")]
    pub struct Models;
    #[doc = include_str!("../../crates/replicate-build/README.md")]
    pub struct Build;
    #[doc = include_str!("../../crates/replicate-fake/README.md")]
    pub struct Fake;
}

pub mod cog;
pub mod downstream;
#[rustfmt::skip]
#[allow(missing_docs)]
pub mod cog_models;

use replicate_codegen::{GeneratedFile, StandaloneOptions};
use replicate_fake::FakeReplicate;
use replicate_typed::{Client, ClientBuilder, RetryPolicy};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// For a missing tool or `../shared`: panics in CI (`CI` set), otherwise prints
/// `skipped: <reason>`. Call it and `return` from the test.
pub fn skip(reason: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{reason} (in CI it must be there: `cargo xtask test` provisions the tools, and ../shared is beside the checkout)"
    );
    println!("skipped: {reason}");
}

/// A client builder for the fake server: a test token, its base URL, and retries that back off
/// for milliseconds, not seconds (the behaviour under test is the same, only faster).
pub fn client_builder(server: &FakeReplicate) -> ClientBuilder {
    Client::builder()
        .token("r8_test")
        .base_url(server.base_url())
        .retry_policy(RetryPolicy {
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            ..RetryPolicy::default()
        })
}

/// [`client_builder`], built.
pub fn client(server: &FakeReplicate) -> Client {
    client_builder(server)
        .build()
        .expect("a client with a valid token builds")
}

/// `cargo` in `dir`, building into `target`, set up for crates that are built once and thrown
/// away: no incremental cache and no debug info (with them, the scratch target folders of one
/// test run grow past 8 GB, more than a CI machine may have free), and none of the test's own
/// compiler flags.
pub fn scratch_cargo(dir: &Path, target: &Path) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_INCREMENTAL", "0")
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    command
}

/// The folder every [`compile_check`] workspace builds into.
pub fn check_target_dir() -> PathBuf {
    workspace_root().join("target/generated-check/target")
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// `../shared` beside the checkout, when present (it is in CI).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("../shared");
    dir.is_dir().then(|| dir.canonicalize().unwrap_or(dir))
}

/// Every OpenAPI snapshot in `../shared/replicate-openapi` (latest first, then history by name).
pub fn shared_specs() -> Option<Vec<PathBuf>> {
    let base = shared_dir()?.join("replicate-openapi");
    let mut specs = vec![base.join("latest.json")];
    let mut history: Vec<PathBuf> = fs::read_dir(base.join("history"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "yaml"))
        .collect();
    history.sort();
    specs.extend(history);
    Some(specs)
}

/// Options for a generated API crate that is a member of the check workspace (it depends on
/// `replicate-runtime`).
pub fn member_options(name: &str, label: &str) -> StandaloneOptions {
    options_with_dep(name, label, "crates/replicate-runtime")
}

/// Options for a typed-models crate that is a member of the check workspace (it depends on
/// `replicate-typed`).
pub fn model_member_options(name: &str, label: &str) -> StandaloneOptions {
    options_with_dep(name, label, "crates/replicate-typed")
}

fn options_with_dep(name: &str, label: &str, dep_dir: &str) -> StandaloneOptions {
    StandaloneOptions {
        crate_name: name.to_string(),
        runtime_dep: replicate_codegen::path_dependency(
            &workspace_root().join(dep_dir).display().to_string(),
        ),
        spec_label: label.to_string(),
        own_workspace: false,
        command: None,
        lenient: false,
    }
}

/// The `Cargo.toml` of a scratch crate that uses generated code: `replicate-runtime` from this
/// checkout with `features`, serde and serde_json, then the dependency lines in `extra`.
pub fn scratch_manifest(name: &str, features: &[&str], extra: &str) -> String {
    let runtime = replicate_codegen::path_dependency(
        &workspace_root()
            .join("crates/replicate-runtime")
            .display()
            .to_string(),
    );
    let runtime = match features {
        [] => runtime,
        features => format!(
            "{}, features = [{}] }}",
            runtime.trim_end_matches('}').trim_end(),
            features
                .iter()
                .map(|f| format!("{f:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nreplicate-runtime = {runtime}\n\
         serde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\n{extra}"
    )
}

/// Generated crates as the modules of one scratch crate `name` (for [`compile_check`]): one
/// cargo run checks them all. Each crate's `src/lib.rs` becomes `src/<module>/mod.rs`.
pub fn modules_crate(
    name: &str,
    doc: &str,
    modules: Vec<(String, Vec<GeneratedFile>)>,
) -> Vec<GeneratedFile> {
    let mut lib = format!("//! {doc}\n");
    let mut files = Vec::new();
    for (module, generated) in modules {
        lib.push_str(&format!("pub mod {module};\n"));
        files.extend(generated.into_iter().filter_map(|f| {
            let rel = f.path.strip_prefix("src/")?;
            let rel = if rel == "lib.rs" { "mod.rs" } else { rel };
            Some(GeneratedFile {
                path: format!("src/{module}/{rel}"),
                contents: f.contents,
            })
        }));
    }
    files.push(GeneratedFile {
        path: "Cargo.toml".into(),
        contents: scratch_manifest(name, &["multipart", "form"], ""),
    });
    files.push(GeneratedFile {
        path: "src/lib.rs".into(),
        contents: lib,
    });
    files
}

/// Writes `crates` as members of one scratch workspace under `target/generated-check/<name>` and
/// runs `cargo clippy` on it with warnings denied (generated code must be lint-clean). Returns cargo's output on failure.
pub fn compile_check(name: &str, crates: &[(String, Vec<GeneratedFile>)]) -> Result<(), String> {
    let root = workspace_root();
    let check_root = root.join("target/generated-check");
    let ws = check_root.join(name);
    let _ = fs::remove_dir_all(&ws);
    fs::create_dir_all(&ws).map_err(|e| e.to_string())?;
    let mut members = Vec::new();
    for (dir, files) in crates {
        for f in files {
            let path = ws.join(dir).join(&f.path);
            fs::create_dir_all(path.parent().unwrap_or(&ws)).map_err(|e| e.to_string())?;
            fs::write(&path, &f.contents).map_err(|e| e.to_string())?;
        }
        members.push(format!("{dir:?}"));
    }
    let manifest = format!(
        "[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
        members.join(", ")
    );
    fs::write(ws.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    // Same dependency versions as the main workspace, and no network.
    fs::copy(root.join("Cargo.lock"), ws.join("Cargo.lock")).map_err(|e| e.to_string())?;
    let output = scratch_cargo(&ws, &check_target_dir())
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--offline",
            "--quiet",
            "--message-format=short",
        ])
        .env("RUSTFLAGS", "-D warnings")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "cargo check of {} failed:\n{}",
            ws.display(),
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .take(80)
                .collect::<Vec<_>>()
                .join("\n")
        ))
    }
}

/// A crate directory name for a spec file (`2025-05-07-2459fce.json` → `spec-2025-05-07-2459fce`).
pub fn crate_dir_for(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("spec-{clean}")
}
