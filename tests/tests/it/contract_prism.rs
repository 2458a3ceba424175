//! Contract test: every operation, called once through the generated client, against Prism
//! mocking Replicate's published OpenAPI description. Prism validates each request (path,
//! query, headers, body) and answers 422 with reasons when one does not match; any 4xx fails.
//!
//! Prism is installed by `cargo xtask test` into `.cache/prism`. Without it this test prints
//! that it was skipped (and fails in CI, where it must run).

#[path = "../../../crates/replicate-typed/examples/every_operation.rs"]
#[allow(dead_code)]
mod every_operation;

use replicate_e2e::{shared_dir, workspace_root};
use replicate_typed::{Client, Error, RetryPolicy};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Prism(Child);

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn prism_bin() -> Option<PathBuf> {
    let bin = workspace_root().join(".cache/prism/node_modules/.bin/prism");
    bin.exists().then_some(bin)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_prism(bin: &PathBuf, spec: &PathBuf) -> (Prism, u16) {
    let port = free_port();
    let child = Command::new(bin)
        .args([
            "mock",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--errors",
        ])
        .arg(spec)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prism");
    let guard = Prism(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "prism did not start listening on {port}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    (guard, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_passes_prism_validation() {
    let Some(bin) = prism_bin() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Prism is missing in CI: `cargo xtask test` installs it"
        );
        println!("skipped: Prism is not installed (run `cargo xtask test`, which installs it into .cache/prism)");
        return;
    };
    // The real document when we have it; otherwise our own, which has the same structure.
    let spec = match shared_dir() {
        Some(shared) => shared.join("replicate-openapi/latest.json"),
        None => workspace_root().join("spec/openapi.json"),
    };
    let (_prism, port) = start_prism(&bin, &spec);
    let client = Client::builder()
        .token("r8_contract_test")
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    // Prism does not know the QUERY method; models.search is covered by the fake server tests.
    let calls = every_operation::call_every_operation(&client, false).await;
    assert_eq!(calls.len(), 36, "every operation but models.search");
    let mut failures = Vec::new();
    for call in &calls {
        match &call.result {
            Ok(_) => {}
            Err(Error::Api(e)) => {
                failures.push(format!("{}: HTTP {} {}", call.operation, e.status, e.body))
            }
            Err(e) => failures.push(format!("{}: {e}", call.operation)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} operations failed against Prism:\n{}",
        failures.len(),
        calls.len(),
        failures.join("\n")
    );
}
