//! Requests are traced with their operation, method, path, status and attempts, and the token
//! never appears in the logs.

use futures::StreamExt;
use replicate_fake::FakeReplicate;
use replicate_typed::{Client, RetryPolicy};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn spans_describe_requests_without_the_token() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests of this binary hit the same callsites on other threads with no subscriber;
    // an interest they cached meanwhile would hide this test's events.
    tracing::callsite::rebuild_interest_cache();

    let server = FakeReplicate::start().await;
    server.seed_predictions(1);
    server.faults().fail_next(1, 503, None);
    let client = Client::builder()
        .token("r8_very_secret_token")
        .base_url(server.base_url())
        .retry_policy(RetryPolicy {
            initial_backoff: Duration::from_millis(5),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    client.predictions().get("seed-0000").await.unwrap();
    let _ = client.predictions().get("missing").await.unwrap_err();
    // A `next` link a server filled with the token: followed, but the span shows it redacted.
    server.seed_predictions(1);
    server.set_page_size(1);
    let first = client.predictions().list().await.unwrap();
    let mut page = serde_json::to_value(&first).unwrap();
    page["next"] = serde_json::json!(format!(
        "{}&token=r8_very_secret_token",
        first.next.clone().unwrap()
    ));
    server
        .faults()
        .respond_next(1, replicate_fake::Canned::json(&page));
    let pages: Vec<_> = client.predictions().list().into_stream().collect().await;
    assert!(pages.iter().all(Result::is_ok));

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("replicate.request"), "{logs}");
    assert!(
        logs.contains("operation=\"predictions.get\"")
            || logs.contains("operation=predictions.get"),
        "{logs}"
    );
    assert!(logs.contains("path=/predictions/seed-0000"), "{logs}");
    assert!(
        logs.contains("status=200") && logs.contains("attempts=2"),
        "the retried request: {logs}"
    );
    assert!(logs.contains("retrying"), "{logs}");
    assert!(
        !logs.contains("r8_very_secret_token"),
        "the token leaked into the logs:\n{logs}"
    );
}
