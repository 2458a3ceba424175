//! Typed models in a user's own crate, tried the way a user would: crates outside this
//! workspace with path dependencies on ours, built with cargo, run as programs against the
//! fake server.
//!
//! - the in-repository example application (`examples/app`, build-script route);
//! - a fresh crate typing two real schemas from `../shared/cog-schemas/extra/`;
//! - `cargo replicate add`, `check`, `update` (refusing a breaking change) and `generate`.

use replicate_e2e::downstream::{
    build_path, cargo, cargo_replicate, client_path, expect_success, target_dir,
};
use replicate_e2e::skip;
use replicate_e2e::{shared_dir, workspace_root};
use replicate_fake::FakeReplicate;
use serde_json::json;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const TOKEN: &str = "r8_downstream";

/// Runs a built program of the shared target folder against the fake server.
fn run_program(name: &str, server_url: &str) -> Output {
    Command::new(target_dir().join("debug").join(name))
        .env("REPLICATE_API_TOKEN", TOKEN)
        .env("REPLICATE_BASE_URL", server_url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"))
}

/// Runs blocking work (cargo, child processes) while the fake server keeps serving.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("blocking task")
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A user's application crate: our two crates by path, tokio, a build script.
fn app_crate(dir: &Path, name: &str, main: &str) {
    write(
        dir,
        "Cargo.toml",
        &format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nreplicate-typed = {{ path = {:?} }}\n\
             tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n\
             [build-dependencies]\nreplicate-build = {{ path = {:?} }}\n\n[workspace]\n",
            client_path(),
            build_path()
        ),
    );
    write(
        dir,
        "build.rs",
        "fn main() {\n    replicate_build::compile_models(\"replicate\").unwrap();\n}\n",
    );
    write(dir, "src/main.rs", main);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_app_builds_and_runs_against_the_fake_server() {
    let server = FakeReplicate::start().await;
    server.set_output(
        "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
        json!([
            "https://files.example/fox-1.png",
            "https://files.example/fox-2.png"
        ]),
    );
    server.set_output(
        "e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0",
        json!("HELLO HELLO"),
    );
    let url = server.base_url();
    let app = workspace_root().join("examples/app");
    let out = blocking(move || {
        expect_success("building examples/app", cargo(&app, &["build", "--quiet"]));
        run_program("replicate-example-app", &url)
    })
    .await;
    let stdout = expect_success("running examples/app", out);
    assert!(stdout.contains("echo: HELLO HELLO"), "{stdout}");
    assert!(
        stdout.contains("painter: https://files.example/fox-2.png"),
        "{stdout}"
    );
    assert!(
        stdout.contains("refused: invalid input `repeat`"),
        "{stdout}"
    );
    // What went over the wire: typed inputs, by version, each once; the refused one never.
    let creates: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/predictions")
        .collect();
    assert_eq!(creates.len(), 2, "{creates:?}");
    assert_eq!(
        creates[0].json()["input"],
        json!({"text": "hello", "tone": "loud", "repeat": 2})
    );
    assert_eq!(
        creates[1].json()["input"],
        json!({"prompt": "a fox in the snow", "style": "ink"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_crate_types_real_schemas_through_its_build_script() {
    let Some(shared) = shared_dir() else {
        skip("../shared/cog-schemas is not beside the checkout");
        return;
    };
    let extra = shared.join("cog-schemas/extra");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    // An image captioner (file input, text output) and a language model (streamed text).
    for file in [
        "andreasjansson__blip-2__9109553e.json",
        "antoinelyset__openhermes-2.5-mistral-7b__d7ccd257.json",
    ] {
        fs::create_dir_all(dir.join("replicate")).unwrap();
        fs::copy(extra.join(file), dir.join("replicate").join(file)).unwrap();
    }
    app_crate(
        &dir,
        "fresh-build-rs-app",
        r#"replicate_typed::include_models!();

#[tokio::main]
async fn main() -> Result<(), replicate_typed::Error> {
    let client = replicate_typed::Client::from_env()?;
    let caption = client
        .run(andreasjansson::blip_2::Input::new("https://files.example/cat.png").caption(true))
        .await?;
    println!("blip-2: {caption}");
    let text = client
        .run(antoinelyset::openhermes_2_point_5_mistral_7b::Input::new("Say hi").max_new_tokens(8))
        .await?;
    println!("openhermes: {text}");
    Ok(())
}
"#,
    );
    let server = FakeReplicate::start().await;
    let url = server.base_url();
    let out = blocking(move || {
        expect_success(
            "building the fresh crate",
            cargo(&dir, &["build", "--quiet"]),
        );
        run_program("fresh-build-rs-app", &url)
    })
    .await;
    let stdout = expect_success("running the fresh crate", out);
    assert!(stdout.contains("blip-2: ok"), "{stdout}");
    assert!(stdout.contains("openhermes: ok"), "{stdout}");
    let creates: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(creates.len(), 2);
    assert_eq!(
        creates[0].json()["input"],
        json!({"image": "https://files.example/cat.png", "caption": true})
    );
    drop(tmp);
}

fn echo_schema(max_repeat: u32, extra_required: bool) -> serde_json::Value {
    let mut required = vec!["text"];
    if extra_required {
        required.push("voice");
    }
    json!({"openapi": "3.0.2", "info": {"title": "Cog", "version": "0.1.0"}, "paths": {},
    "components": {"schemas": {
        "Input": {"title": "Input", "type": "object", "required": required, "properties": {
            "text": {"type": "string", "x-order": 0},
            "repeat": {"type": "integer", "minimum": 1, "maximum": max_repeat, "x-order": 1},
            "voice": {"type": "string", "x-order": 2}
        }},
        "Output": {"title": "Output", "type": "string"}
    }}})
}

fn cargo_replicate_in(dir: &Path, bin: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(bin)
        .current_dir(dir)
        .arg("replicate") // as cargo passes it to a `cargo replicate` subcommand
        .args(args)
        .env("REPLICATE_API_TOKEN", TOKEN)
        .env("REPLICATE_BASE_URL", url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo-replicate: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn cargo_replicate_adds_checks_updates_and_generates() {
    let server = FakeReplicate::start().await;
    server.publish_version("acme", "echo", "v1", echo_schema(5, false));
    server.set_output("v1", json!("said twice"));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let url = server.base_url();
    let bin = blocking(cargo_replicate).await;

    // add: the schema lands in replicate/ and is pinned.
    let (d, b, u) = (dir.clone(), bin.clone(), url.clone());
    let out = blocking(move || cargo_replicate_in(&d, &b, &u, &["add", "acme/echo"])).await;
    let stdout = expect_success("cargo replicate add", out);
    assert!(stdout.contains("acme/echo: new, version v1"), "{stdout}");
    let lock = fs::read_to_string(dir.join("replicate/models.lock")).unwrap();
    assert!(lock.contains("acme/echo v1 sha256:"), "{lock}");
    assert!(dir.join("replicate/acme/echo.json").is_file());

    // The build-script route reads the same folder, and the program runs.
    app_crate(
        &dir,
        "cargo-replicate-app",
        r#"replicate_typed::include_models!();

#[tokio::main]
async fn main() -> Result<(), replicate_typed::Error> {
    let client = replicate_typed::Client::from_env()?;
    let said = client.run(acme::echo::Input::new("hi").repeat(2)).await?;
    println!("echo: {said}");
    Ok(())
}
"#,
    );
    let (d, u) = (dir.clone(), url.clone());
    let out = blocking(move || {
        expect_success("building the app", cargo(&d, &["build", "--quiet"]));
        run_program("cargo-replicate-app", &u)
    })
    .await;
    let stdout = expect_success("running the app", out);
    assert!(stdout.contains("echo: said twice"), "{stdout}");

    // check: passes, then fails once the file is edited behind the lock's back.
    let (d, b, u) = (dir.clone(), bin.clone(), url.clone());
    let out = blocking(move || cargo_replicate_in(&d, &b, &u, &["check"])).await;
    expect_success("cargo replicate check", out);
    let file = dir.join("replicate/acme/echo.json");
    let original = fs::read_to_string(&file).unwrap();
    fs::write(&file, original.replace("\"maximum\": 5", "\"maximum\": 6")).unwrap();
    let (d, b, u) = (dir.clone(), bin.clone(), url.clone());
    let out = blocking(move || cargo_replicate_in(&d, &b, &u, &["check"])).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("acme/echo") && stderr.contains("sha256"),
        "{stderr}"
    );
    fs::write(&file, &original).unwrap();

    // update to a breaking version: refused with exit code 2, nothing changed.
    server.publish_version("acme", "echo", "v2", echo_schema(3, true));
    let (d, b, u) = (dir.clone(), bin.clone(), url.clone());
    let out = blocking(move || cargo_replicate_in(&d, &b, &u, &["update"])).await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("breaking: input `voice` is now required"),
        "{stdout}"
    );
    assert!(
        stdout.contains("breaking: maximum of `repeat` lowered from 5 to 3"),
        "{stdout}"
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), original);
    assert_eq!(
        fs::read_to_string(dir.join("replicate/models.lock")).unwrap(),
        lock
    );

    // --allow-breaking re-pins.
    let (d, b, u) = (dir.clone(), bin.clone(), url.clone());
    let out =
        blocking(move || cargo_replicate_in(&d, &b, &u, &["update", "--allow-breaking"])).await;
    expect_success("cargo replicate update --allow-breaking", out);
    let lock = fs::read_to_string(dir.join("replicate/models.lock")).unwrap();
    assert!(lock.contains("acme/echo v2 sha256:"), "{lock}");

    // generate: a standalone crate whose dependency is what the user chose, and it builds.
    let spec = format!("path:{}", client_path());
    let (d, b, u) = (dir.clone(), bin.clone(), url.clone());
    let out = blocking(move || {
        cargo_replicate_in(
            &d,
            &b,
            &u,
            &[
                "generate",
                "--out",
                "typed",
                "--name",
                "acme-typed",
                "--client-dep",
                &spec,
            ],
        )
    })
    .await;
    expect_success("cargo replicate generate", out);
    let manifest = fs::read_to_string(dir.join("typed/Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!(
            "replicate-typed = {{ path = {:?} }}",
            client_path()
        )),
        "{manifest}"
    );
    let typed = dir.join("typed");
    let out = blocking(move || cargo(&typed, &["build", "--quiet"])).await;
    expect_success("building the generated crate", out);
    drop(tmp);
}
