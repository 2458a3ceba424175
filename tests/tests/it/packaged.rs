//! The crates as a registry serves them: `cargo package` (with verification) of every crate a
//! user depends on or installs, then a fresh application that gets them through a local
//! registry (a git index on disk, cargo's own alternative-registry mechanism: no checkout
//! paths) and runs `replicate-typed`'s README example, as written, against the fake.

use replicate_e2e::downstream::{expect_success, target_dir};
use replicate_e2e::workspace_root;
use replicate_fake::FakeReplicate;
use replicate_typed::model::Model;
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every crate we publish; xtask, replicate-bench and the tests stay unpublished.
const PUBLISHED: [&str; 7] = [
    "replicate-runtime",
    "replicate-typed",
    "replicate-models",
    "replicate-build",
    "replicate-fake",
    "replicate-codegen",
    "cargo-replicate",
];

/// Where `cargo package` builds and verifies: its own target folder, so that verifying never
/// touches the artifacts the other tests use.
fn package_target() -> PathBuf {
    workspace_root().join("target/packaged")
}

/// `cargo package` of the published crates, verified (each one built from its `.crate` alone,
/// against the others as cargo's packaging overlay serves them). Returns the folder that
/// holds the `.crate` files.
fn package_all() -> PathBuf {
    let mut command = replicate_e2e::scratch_cargo(&workspace_root(), &package_target());
    command.env("CARGO_HOME", fresh_cargo_home());
    // --allow-dirty: what is checked is the packages' content, not the state of git.
    command.args(["package", "--offline", "--allow-dirty"]);
    for krate in PUBLISHED {
        command.args(["-p", krate]);
    }
    let output = command.output().expect("run cargo package");
    expect_success("cargo package (verified)", output);
    package_target().join("package")
}

/// A cargo home sharing the real one's registry index and downloads, with an empty folder of
/// unpacked sources. Cargo unpacks the packaging overlay's `.crate` files there under a name
/// that does not change between runs, and never unpacks a name again: with the real home, a
/// second run would verify the first run's sources.
fn fresh_cargo_home() -> PathBuf {
    let real = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let home = package_target().join("cargo-home");
    let _ = fs::remove_dir_all(&home);
    fs::create_dir_all(home.join("registry")).unwrap();
    for shared in ["index", "cache"] {
        std::os::unix::fs::symlink(
            real.join("registry").join(shared),
            home.join("registry").join(shared),
        )
        .unwrap();
    }
    home
}

/// Makes a cargo alternative registry in `dir` from the packaged crates: a git index whose
/// entries are the ones cargo wrote for its packaging overlay, with our crates' dependencies
/// on each other pointing at this registry, and downloads from `dir/dl`.
fn local_registry(packaged: &Path, dir: &Path) -> String {
    let index = dir.join("index");
    let dl = dir.join("dl");
    fs::create_dir_all(&index).unwrap();
    fs::create_dir_all(&dl).unwrap();
    let overlay = packaged.join("tmp-registry/index");
    assert!(
        overlay.is_dir(),
        "cargo package wrote no index at {} (did cargo's packaging layout change?)",
        overlay.display()
    );
    for krate in PUBLISHED {
        let file = format!("{krate}-0.1.0.crate");
        fs::copy(packaged.join(&file), dl.join(&file))
            .unwrap_or_else(|e| panic!("{file} was not packaged: {e}"));
        let rel = format!("{}/{}/{krate}", &krate[..2], &krate[2..4]);
        let text = fs::read_to_string(overlay.join(&rel))
            .unwrap_or_else(|e| panic!("no index entry for {krate}: {e}"));
        let mut lines = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let mut entry: Value = serde_json::from_str(line).unwrap();
            for dep in entry["deps"].as_array_mut().unwrap() {
                let name = dep["package"].as_str().or(dep["name"].as_str()).unwrap();
                if PUBLISHED.contains(&name) {
                    dep["registry"] = Value::Null; // this registry
                }
            }
            lines.push(entry.to_string());
        }
        fs::create_dir_all(index.join(&rel).parent().unwrap()).unwrap();
        fs::write(index.join(&rel), lines.join("\n") + "\n").unwrap();
    }
    let dl_url = format!("file://{}/{{crate}}-{{version}}.crate", dl.display());
    fs::write(
        index.join("config.json"),
        json!({ "dl": dl_url }).to_string(),
    )
    .unwrap();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@localhost",
            "commit",
            "-q",
            "-m",
            "index",
        ],
    ] {
        let status = Command::new("git")
            .current_dir(&index)
            .args(args)
            .status()
            .expect("run git");
        assert!(status.success(), "git {args:?} failed");
    }
    format!("file://{}", index.display())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_app_gets_the_packaged_crates_from_a_registry_and_runs_the_readme_example() {
    let packaged = tokio::task::spawn_blocking(package_all).await.unwrap();
    for krate in PUBLISHED {
        assert!(packaged.join(format!("{krate}-0.1.0.crate")).is_file());
    }

    let tmp = tempfile::tempdir().unwrap();
    let registry = local_registry(&packaged, &tmp.path().join("registry"));
    let app = tmp.path().join("app");
    fs::create_dir_all(app.join("src")).unwrap();
    fs::create_dir_all(app.join(".cargo")).unwrap();
    fs::write(
        app.join(".cargo/config.toml"),
        format!("[registries.local]\nindex = \"{registry}\"\n"),
    )
    .unwrap();
    fs::write(
        app.join("Cargo.toml"),
        r#"[package]
name = "packaged-app"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
replicate-typed = { version = "0.1", registry = "local" }
replicate-models = { version = "0.1", registry = "local" }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
"#,
    )
    .unwrap();
    // The README shipped inside the packaged crate, its example as written.
    let readme = fs::read_to_string(packaged.join("replicate-typed-0.1.0/README.md")).unwrap();
    let example = crate::readme::rust_blocks(&readme)
        .into_iter()
        .next()
        .expect("a rust block in the README")
        .code;
    fs::write(app.join("src/main.rs"), &example).unwrap();
    // Third-party versions as this workspace has them: the build needs no network.
    fs::copy(workspace_root().join("Cargo.lock"), app.join("Cargo.lock")).unwrap();

    let server = FakeReplicate::start().await;
    let version = replicate_models::black_forest_labs::flux_schnell::FluxSchnell::VERSION;
    server.set_output(
        version,
        json!([
            "https://files.example/fox-1.webp",
            "https://files.example/fox-2.webp"
        ]),
    );
    let url = server.base_url();
    let app_dir = app.clone();
    let output = tokio::task::spawn_blocking(move || {
        // Online once: an alternative registry's index is fetched (cloned from disk) before
        // it can be used offline; crates.io answers from the lockfile's versions.
        let fetched = replicate_e2e::scratch_cargo(&app_dir, &target_dir())
            .args(["fetch", "--quiet"])
            .output()
            .expect("run cargo fetch");
        expect_success("fetching from the local registry", fetched);
        let built = replicate_e2e::scratch_cargo(&app_dir, &target_dir())
            .args(["build", "--quiet", "--offline"])
            .output()
            .expect("run cargo build");
        expect_success("building the app from the local registry", built);
        let metadata = replicate_e2e::scratch_cargo(&app_dir, &target_dir())
            .args(["metadata", "--format-version", "1", "--offline"])
            .output()
            .expect("run cargo metadata");
        let metadata = expect_success("cargo metadata", metadata);
        Command::new(target_dir().join("debug/packaged-app"))
            .env("REPLICATE_API_TOKEN", "r8_packaged")
            .env("REPLICATE_BASE_URL", &url)
            .output()
            .map(|out| (metadata, out))
            .expect("run the app")
    })
    .await
    .unwrap();
    let (metadata, out) = output;
    // Our crates came from the registry, not from a path.
    let metadata: Value = serde_json::from_str(&metadata).unwrap();
    for package in metadata["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        if name.starts_with("replicate-") {
            let source = package["source"].as_str().unwrap_or("a path");
            assert!(
                source.starts_with("registry+file://"),
                "{name} came from {source}"
            );
        }
    }
    let stdout = expect_success("running the README example", out);
    assert_eq!(
        stdout.trim(),
        "https://files.example/fox-1.webp",
        "{stdout}"
    );
    let creates = server.creates();
    assert_eq!(creates.len(), 1, "{creates:?}");
    assert_eq!(
        creates[0].input,
        json!({ "prompt": "a red fox in the snow", "num_outputs": 2 })
    );
}
