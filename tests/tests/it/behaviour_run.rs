//! `run` the way people wait: options (deadline, `Prefer: wait`, webhook and its events,
//! `Cancel-After`), a progress callback, deployments by name.

use replicate_e2e::client;
use replicate_fake::{FakeReplicate, Script};
use replicate_typed::runtime::{CancelAfter, Prefer};
use replicate_typed::{Client, Error, RunOptions, WebhookEvent};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn fast() -> RunOptions {
    RunOptions::new().poll_intervals(Duration::from_millis(5), Duration::from_millis(20))
}

#[tokio::test]
async fn options_reach_the_wire() {
    let server = FakeReplicate::start().await;
    server.script("acme/echo", Script::Echo);
    let options = fast()
        .prefer_wait(Some(Prefer::wait_seconds(5).unwrap()))
        .webhook(
            "https://example.com/hook",
            [WebhookEvent::Start, WebhookEvent::Completed],
        )
        .cancel_after(CancelAfter::new(Duration::from_secs(90)).unwrap());
    let out = client(&server)
        .run_json_with("acme/echo", json!({"a": 1}), options)
        .await
        .unwrap();
    assert_eq!(out, json!({"a": 1}));
    let create = &server.requests()[0];
    assert_eq!(create.path, "/v1/models/acme/echo/predictions");
    assert_eq!(create.header("prefer"), Some("wait=5"));
    assert_eq!(create.header("cancel-after"), Some("1m30s"));
    let body = create.json();
    assert_eq!(body["webhook"], "https://example.com/hook");
    assert_eq!(body["webhook_events_filter"], json!(["start", "completed"]));
}

#[tokio::test]
async fn progress_is_reported_as_the_status_changes() {
    let server = FakeReplicate::start().await;
    server.script("acme/slow", Script::Slow(3));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let options = fast().on_progress(move |p| {
        log.lock()
            .unwrap()
            .push((p.status.to_string(), p.logs.clone()))
    });
    client(&server)
        .run_json_with("acme/slow", json!({}), options)
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.first().map(|s| s.0.as_str()),
        Some("starting"),
        "{seen:?}"
    );
    assert_eq!(
        seen.last().map(|s| s.0.as_str()),
        Some("succeeded"),
        "{seen:?}"
    );
    assert!(seen.iter().any(|s| s.0 == "processing"), "{seen:?}");
    // Reported when status or logs change, not on every poll.
    let mut deduped = seen.clone();
    deduped.dedup();
    assert_eq!(deduped, seen);
}

#[tokio::test]
async fn the_deadline_covers_the_whole_run() {
    let server = FakeReplicate::start().await;
    server.script("acme/slow", Script::Slow(1000));
    let err = client(&server)
        .run_json_with(
            "acme/slow",
            json!({}),
            fast().deadline(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WaitTimeout { .. }), "{err:?}");
    assert!(err.prediction_id().is_some());
    // The server's hold was shortened to fit the deadline.
    assert_eq!(server.requests()[0].header("prefer"), Some("wait=1"));
}

#[tokio::test]
async fn deployments_run_by_name() {
    let server = FakeReplicate::start().await;
    let out = client(&server)
        .run_json_with("deployments/acme/prod", json!({"x": 1}), fast())
        .await
        .unwrap();
    assert_eq!(out, json!("ok"));
    assert_eq!(
        server.count("POST", "/v1/deployments/acme/prod/predictions"),
        1
    );
}

#[tokio::test]
async fn a_custom_http_client_still_gets_the_user_agent() {
    let server = FakeReplicate::start().await;
    let c = Client::builder()
        .token("r8_test")
        .base_url(server.base_url())
        .user_agent("my-app/1.0")
        .http_client(
            replicate_typed::tls::reqwest_builder(&[])
                .unwrap()
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    c.account().get().await.unwrap();
    assert_eq!(
        server.requests()[0].header("user-agent"),
        Some("my-app/1.0")
    );
}

#[tokio::test]
async fn the_client_deadline_bounds_a_call_with_its_retries() {
    let server = FakeReplicate::start().await;
    server.faults().fail_next(20, 503, Some("1"));
    let c = Client::builder()
        .token("r8_test")
        .base_url(server.base_url())
        .deadline(Duration::from_millis(400))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = c.account().get().await.unwrap_err();
    // A retry that could only start after the deadline is not waited for: the caller gets the
    // server's answer (with its Retry-After) at once.
    assert_eq!(err.status(), Some(503), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the 1 s Retry-After passed the deadline"
    );
}

#[tokio::test]
async fn a_file_name_given_as_a_url_is_refused_naming_the_input() {
    use replicate_models::nightmareai::real_esrgan::Input;
    let server = FakeReplicate::start().await;
    let err = client(&server)
        .run(Input::new("cat.png"))
        .await
        .unwrap_err();
    match &err {
        Error::InvalidInput { field, message } => {
            assert_eq!(field, "image");
            assert!(message.contains("FileInput::path"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(server.requests().is_empty(), "nothing was sent");
}
