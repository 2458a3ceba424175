//! Server-sent events, signed webhooks and files against the fake server.

use futures::TryStreamExt;
use replicate_e2e::client;
use replicate_fake::FakeReplicate;
use replicate_typed::runtime::FilePart;
use replicate_typed::{
    text_chunks, Client, CreateOptions, Error, FileInput, FileStrategy, ModelRef, StreamEvent,
    StreamOptions, WebhookHeaders, WebhookVerifier,
};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn quick() -> StreamOptions {
    StreamOptions {
        idle_timeout: Duration::from_secs(2),
        max_reconnects: 3,
        reconnect_delay: Duration::from_millis(10),
        ..StreamOptions::default()
    }
}

async fn stream_url(c: &Client, input: serde_json::Value) -> String {
    let p = c
        .create_prediction(
            &ModelRef::parse("acme/llm").unwrap(),
            input,
            CreateOptions {
                stream: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    p.urls.stream.expect("stream url")
}

#[tokio::test]
async fn stream_yields_typed_events_and_text_chunks() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let url = stream_url(
        &c,
        json!({"fake_stream": ["Hel", "lo\nworld"], "fake_stream_logs": ["loading"]}),
    )
    .await;
    let events: Vec<StreamEvent> = c
        .stream_events(url.clone(), quick())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        events,
        vec![
            StreamEvent::Logs("loading".into()),
            StreamEvent::Output("Hel".into()),
            StreamEvent::Output("lo\nworld".into()),
            StreamEvent::Done { reason: None },
        ]
    );
    let text: String = text_chunks(c.stream_events(url, quick()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(text, "Hello\nworld");
    let post = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(post.json()["stream"], json!(true));
}

#[tokio::test]
async fn a_dropped_stream_resumes_without_gaps_or_repeats() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let chunks: Vec<String> = (0..20).map(|i| format!("t{i} ")).collect();
    let url = stream_url(&c, json!({ "fake_stream": chunks })).await;
    server.faults().drop_stream_after(7);
    let text: String = text_chunks(c.stream_events(url, quick()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(text, chunks.concat(), "every chunk exactly once, in order");
    let gets: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v1/fake-stream/"))
        .collect();
    assert_eq!(gets.len(), 2, "one reconnect");
    assert_eq!(gets[0].header("last-event-id"), None);
    assert_eq!(
        gets[1].header("last-event-id"),
        Some("7"),
        "resumed after the last event seen"
    );
}

#[tokio::test]
async fn stream_errors_and_cancellation_are_typed() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let url = stream_url(&c, json!({"fake_stream": ["x"], "fake_outcome": "failed"})).await;
    let events: Vec<StreamEvent> = c
        .stream_events(url.clone(), quick())
        .try_collect()
        .await
        .unwrap();
    assert!(
        events.contains(&StreamEvent::Error("fake failure".into())),
        "{events:?}"
    );
    let err = text_chunks(c.stream_events(url, quick()))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Stream(ref m) if m.contains("fake failure")),
        "{err}"
    );

    let url = stream_url(
        &c,
        json!({"fake_stream": ["x"], "fake_outcome": "canceled"}),
    )
    .await;
    let last = c
        .stream_events(url, quick())
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .pop();
    assert_eq!(
        last,
        Some(StreamEvent::Done {
            reason: Some("canceled".into())
        })
    );
}

#[tokio::test]
async fn a_stream_that_keeps_failing_gives_up_with_an_error() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let url = stream_url(&c, json!({"fake_stream": ["a", "b"]})).await;
    server.faults().fail_next(10, 503, None);
    let err = c
        .stream_events(url, quick())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Stream(ref m) if m.contains("gave up after 3")),
        "{err}"
    );
}

#[tokio::test]
async fn signed_webhooks_are_delivered_and_verified() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let secret = c.webhooks().default().secret().get().await.unwrap();
    let verifier = WebhookVerifier::new(secret.key.as_deref().unwrap()).unwrap();

    // A receiver that verifies with nothing but headers and raw bytes.
    let received: Arc<Mutex<Vec<Result<String, String>>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                let verifier = verifier.clone();
                async move {
                    let outcome = WebhookHeaders::from_header_map(&headers)
                        .and_then(|h| verifier.prediction(h, &body))
                        .map(|p| format!("{} {}", p.id, p.status))
                        .map_err(|e| e.to_string());
                    sink.lock().unwrap().push(outcome);
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let options = CreateOptions {
        webhook: Some(hook),
        ..Default::default()
    };
    let p = c
        .create_prediction(
            &ModelRef::parse("acme/fox").unwrap(),
            json!({"fake_steps": 0}),
            options,
        )
        .await
        .unwrap();
    for _ in 0..100 {
        if !received.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = received.lock().unwrap().clone();
    assert_eq!(got, vec![Ok(format!("{} succeeded", p.id))]);
}

#[tokio::test]
async fn upload_download_and_file_inputs() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    // Rate-limited once: the multipart body is rebuilt and sent whole on the retry.
    server.faults().fail_next(1, 429, Some("0"));
    let content = vec![7u8; 300 * 1024];
    let file = c
        .upload(
            FilePart::new(content.clone())
                .filename("big.bin")
                .content_type("application/x-test"),
        )
        .await
        .unwrap();
    assert_eq!(file.size, content.len() as i64);
    assert_eq!(file.content_type, "application/x-test");
    let posts: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/files")
        .collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].body.len(), posts[1].body.len());

    let download_url = server.url(&format!("/v1/files/{}/download", file.id));
    let mut bytes = Vec::new();
    let n = c
        .download_to_writer(&download_url, &mut bytes)
        .await
        .unwrap();
    assert_eq!(
        (n as usize, bytes),
        (content.len(), content.clone()),
        "authenticated download round-trips"
    );

    let dir = std::env::temp_dir().join(format!("replicate-dl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("out.bin");
    c.download_to_path(&server.url("/fake-output/out.bin"), &path)
        .await
        .unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 1000);
    let missing = c
        .download_to_path(
            &server.url("/v1/files/none/download"),
            dir.join("missing.bin"),
        )
        .await;
    assert!(
        missing.is_err() && !dir.join("missing.bin").exists() && !dir.join("missing.part").exists()
    );
    let _ = std::fs::remove_dir_all(&dir);

    // Large inputs are uploaded; small ones are inlined without a request.
    let before = server.requests().len();
    let small = c
        .file_input_url(
            FileInput::Bytes(FilePart::new(b"tiny".to_vec())),
            FileStrategy::Auto,
        )
        .await
        .unwrap();
    assert!(small.starts_with("data:application/octet-stream;base64,"));
    assert_eq!(server.requests().len(), before);
    let big = c
        .file_input_url(FileInput::Bytes(FilePart::new(content)), FileStrategy::Auto)
        .await
        .unwrap();
    assert!(
        big.starts_with("http://127.0.0.1") && big.contains("/v1/files/"),
        "{big}"
    );
    assert_eq!(
        server.count("POST", "/v1/files"),
        3,
        "one more upload for the large input"
    );
}
