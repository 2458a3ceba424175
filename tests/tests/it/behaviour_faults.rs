//! The fault suite: a hostile or flaky server (the fake, scripted with canned responses,
//! stalls, hangs, loops and random throttling) against the client, one scenario per way data
//! could be lost, a deadline missed or an error stripped of what the caller needs.
//!
//! Durations here bound how long a scenario may take before it counts as hung (each is
//! many times what a correct client needs); they measure no performance.

use futures::{StreamExt, TryStreamExt};
use replicate_fake::{Canned, FakeReplicate};
use replicate_typed::{
    types, Client, CreateOptions, Error, ModelRef, StreamEvent, StreamOptions, WaitOptions,
};

/// The shared fake-server client, with a request timeout so a fault cannot hang a test.
fn builder(server: &FakeReplicate) -> replicate_typed::ClientBuilder {
    replicate_e2e::client_builder(server).timeout(Duration::from_secs(5))
}

fn client(server: &FakeReplicate) -> Client {
    builder(server).build().unwrap()
}
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// Fails the test instead of hanging it.
async fn within<T>(limit: Duration, what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not end within {limit:?}"))
}

fn quick_stream() -> StreamOptions {
    StreamOptions {
        idle_timeout: Duration::from_millis(400),
        max_reconnects: 1,
        reconnect_delay: Duration::from_millis(10),
        ..StreamOptions::default()
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A stored prediction's JSON, for canned bodies.
fn prediction_json(server: &FakeReplicate) -> serde_json::Value {
    server.seed_predictions(1);
    server.prediction("seed-0000").unwrap()
}

async fn created(c: &Client, input: serde_json::Value) -> replicate_typed::Prediction {
    c.create_prediction(
        &ModelRef::parse("acme/model").unwrap(),
        input,
        CreateOptions::default(),
    )
    .await
    .unwrap()
}

// 1. Concurrent downloads to names that share a stem never share a temporary file.
#[tokio::test]
async fn concurrent_downloads_never_mix_their_bytes() {
    let server = FakeReplicate::start().await;
    let slow = |byte: u8| {
        let mut canned = Canned::new(200).header("content-type", "application/octet-stream");
        for _ in 0..10 {
            canned = canned
                .body(vec![byte; 1000])
                .pause(Duration::from_millis(10));
        }
        canned
    };
    server.faults().respond_next(1, slow(b'p'));
    server.faults().respond_next(1, slow(b'j'));
    let dir = tempfile::tempdir().unwrap();
    let c = client(&server);
    let (png, jpg) = (dir.path().join("out.png"), dir.path().join("out.jpg"));
    let (url_a, url_b) = (server.url("/fake-output/a"), server.url("/fake-output/b"));
    let (a, b) = tokio::join!(
        c.download_to_path(&url_a, &png),
        c.download_to_path(&url_b, &jpg),
    );
    assert_eq!((a.unwrap(), b.unwrap()), (10_000, 10_000));
    let (png, jpg) = (std::fs::read(png).unwrap(), std::fs::read(jpg).unwrap());
    // Which request got which canned body depends on arrival order; each file is one of them.
    assert!(png.iter().all(|&x| x == png[0]) && jpg.iter().all(|&x| x == jpg[0]));
    assert_ne!(png[0], jpg[0]);
    assert_eq!(files_in(dir.path()), ["out.jpg", "out.png"]);
    // Readable like any new file, not private like a temporary one.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("out.png"))
            .unwrap()
            .permissions()
            .mode();
        let plain = std::fs::File::create(dir.path().join("plain"))
            .unwrap()
            .metadata()
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, plain & 0o777);
    }
}

// 1 and 9. A failed, stalled or cancelled download leaves neither the file nor a temporary one.
#[tokio::test]
async fn failed_stalled_and_cancelled_downloads_leave_nothing() {
    let server = FakeReplicate::start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.bin");
    let c = builder(&server)
        .idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    // Cut mid-body.
    server
        .faults()
        .respond_next(1, Canned::new(200).body(vec![1u8; 500]).cut());
    assert!(c
        .download_to_path(&server.url("/fake-output/x"), &out)
        .await
        .is_err());
    // Stalled mid-body: the idle timeout ends it.
    server.faults().respond_next(
        1,
        Canned::new(200)
            .header("content-length", "1000")
            .body(vec![1u8; 10])
            .stall(),
    );
    let err = within(Duration::from_secs(10), "a stalled download", async {
        c.download_to_path(&server.url("/fake-output/x"), &out)
            .await
    })
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // No response head at all, on the first attempt and every retry: the request timeout
    // ends each, and the download fails when the retries are spent.
    server.faults().hang_next(4);
    let c2 = builder(&server)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = within(
        Duration::from_secs(10),
        "a download without a head",
        async {
            c2.download_to_path(&server.url("/fake-output/x"), &out)
                .await
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // Cancelled: the future is dropped while bytes are still coming.
    server.faults().respond_next(
        1,
        Canned::new(200)
            .body(vec![1u8; 100])
            .pause(Duration::from_secs(30))
            .body(vec![2u8; 100]),
    );
    let cancelled = tokio::time::timeout(
        Duration::from_millis(100),
        c.download_to_path(&server.url("/fake-output/x"), &out),
    )
    .await;
    assert!(cancelled.is_err(), "still running when dropped");
    assert_eq!(files_in(dir.path()), Vec::<String>::new());
}

// 2. Events without their own `id:` after one that had it are delivered.
#[tokio::test]
async fn events_without_their_own_id_are_delivered() {
    let server = FakeReplicate::start().await;
    server.faults().respond_next(
        1,
        Canned::sse(
            "event: output\nid: 1\ndata: a\n\nevent: output\ndata: b\n\nevent: logs\ndata: l\n\nevent: done\ndata: {}\n\n",
        ),
    );
    let events: Vec<StreamEvent> = client(&server)
        .stream_events(server.url("/v1/fake-stream/x"), quick_stream())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        events,
        [
            StreamEvent::Output("a".into()),
            StreamEvent::Output("b".into()),
            StreamEvent::Logs("l".into()),
            StreamEvent::Done { reason: None },
        ]
    );
}

// 2. A server that ignores Last-Event-ID and replays: nothing repeated, nothing lost.
#[tokio::test]
async fn a_replaying_server_repeats_nothing_and_loses_nothing() {
    let server = FakeReplicate::start().await;
    let head =
        "event: output\ndata: pre\n\nevent: output\nid: 1\ndata: a\n\nevent: output\ndata: b\n\n";
    server.faults().respond_next(1, Canned::sse(head).cut());
    server.faults().respond_next(
        1,
        Canned::sse(format!(
            "{head}event: output\ndata: c\n\nevent: done\nid: 2\ndata: {{}}\n\n"
        )),
    );
    let events: Vec<StreamEvent> = client(&server)
        .stream_events(server.url("/v1/fake-stream/x"), quick_stream())
        .try_collect()
        .await
        .unwrap();
    let outputs: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Output(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(outputs, ["pre", "a", "b", "c"]);
    let resumed = &server.requests()[1];
    assert_eq!(resumed.header("last-event-id"), Some("1"));
}

// 3. A `next` link that loops ends with an error, after the items already read.
#[tokio::test]
async fn a_looping_next_link_ends_with_an_error_keeping_the_items() {
    let server = FakeReplicate::start().await;
    let item = prediction_json(&server);
    let self_url = server.url("/v1/predictions");
    let other_url = server.url("/v1/predictions?cursor=b");
    server.faults().respond_next(
        1,
        Canned::json(&json!({"next": other_url, "results": [item]})),
    );
    server.faults().respond_next(
        50,
        Canned::json(&json!({"next": self_url, "results": [item]})),
    );
    let c = client(&server);
    let items: Vec<Result<_, Error>> = within(
        Duration::from_secs(10),
        "a looping list",
        c.predictions().list().into_stream().collect(),
    )
    .await;
    assert_eq!(items.len(), 3, "two pages of items, then the error");
    assert!(items[..2].iter().all(Result::is_ok));
    let err = items[2].as_ref().unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("already"), "{err}");
    assert_eq!(
        server.count("GET", "/v1/predictions"),
        2,
        "the repeated page is not fetched"
    );
}

// 3b. A page that does not decode ends the list with a decode error, after the items already
// read, and no further page is fetched even if the stream is polled again.
#[tokio::test]
async fn a_page_that_does_not_decode_ends_the_list() {
    let server = FakeReplicate::start().await;
    let item = prediction_json(&server);
    let second = server.url("/v1/predictions?cursor=b");
    let third = server.url("/v1/predictions?cursor=c");
    server
        .faults()
        .respond_next(1, Canned::json(&json!({"next": second, "results": [item]})));
    server.faults().respond_next(
        1,
        Canned::json(&json!({"next": third, "results": [{"id": 7}]})),
    );
    let c = client(&server);
    let items: Vec<Result<_, Error>> = within(
        Duration::from_secs(10),
        "a list with a bad page",
        c.predictions().list().into_stream().collect(),
    )
    .await;
    assert_eq!(items.len(), 2, "the first page's item, then the error");
    assert!(items[0].is_ok());
    let err = items[1].as_ref().unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("results[0]"), "{err}");
    assert_eq!(
        server.count("GET", "/v1/predictions"),
        2,
        "the page after the bad one is not fetched"
    );
}

// 4. A 307/308 to a create is never followed: the POST is sent once.
#[tokio::test]
async fn a_redirected_create_is_never_sent_again() {
    let server = FakeReplicate::start().await;
    for status in [307, 308, 302] {
        server.clear_requests();
        server.faults().respond_next(
            20,
            Canned::new(status).header("location", "/v1/predictions"),
        );
        let body = types::VersionPredictionRequest::new(serde_json::Map::new(), "v1");
        let err = client(&server)
            .predictions()
            .create(body)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
        assert!(err.to_string().contains("never sent twice"), "{err}");
        assert_eq!(server.count("POST", "/v1/predictions"), 1, "HTTP {status}");
        server.faults().clear();
    }
}

// 4. Safe requests follow a same-origin redirect, but not a loop nor another origin.
#[tokio::test]
async fn reads_follow_same_origin_redirects_only() {
    let server = FakeReplicate::start().await;
    server.seed_predictions(1);
    let c = client(&server);
    server.faults().respond_next(
        1,
        Canned::new(308).header("location", "/v1/predictions/seed-0000"),
    );
    assert_eq!(c.predictions().get("moved").await.unwrap().id, "seed-0000");
    let moved = server.requests().into_iter().last().unwrap();
    assert_eq!(moved.header("authorization"), Some("Bearer r8_test"));

    server.faults().respond_next(
        20,
        Canned::new(302).header("location", "/v1/predictions/loop"),
    );
    let err = c.predictions().get("loop").await.unwrap_err();
    assert!(err.to_string().contains("redirect loop"), "{err}");
    assert!(server.count("GET", "/v1/predictions/loop") <= 2);

    server.clear_requests();
    server.faults().clear();
    server.faults().respond_next(
        1,
        Canned::new(302).header("location", "http://localhost:9/steal"),
    );
    let err = c.predictions().get("x").await.unwrap_err();
    assert!(err.to_string().contains("another origin"), "{err}");
}

// 5. The wait deadline bounds the whole wait, polls that hang included.
#[tokio::test]
async fn a_hanging_poll_cannot_outlive_the_wait_deadline() {
    let server = FakeReplicate::start().await;
    let c = builder(&server)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let p = created(&c, json!({"fake_steps": 100})).await;
    server.faults().hang_next(10);
    let options = WaitOptions {
        timeout: Duration::from_millis(500),
        initial_interval: Duration::from_millis(10),
        ..WaitOptions::default()
    };
    let err = within(Duration::from_secs(5), "wait", c.wait(p.clone(), options))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WaitTimeout { .. }), "{err:?}");
    assert_eq!(err.prediction_id(), Some(p.id.as_str()));
}

// 6. An event stream whose server never sends the response head is retried, then abandoned.
#[tokio::test]
async fn an_event_stream_without_a_head_does_not_hang() {
    let server = FakeReplicate::start().await;
    server.faults().hang_next(5);
    let result: Result<Vec<StreamEvent>, Error> = within(
        Duration::from_secs(5),
        "a headless stream",
        client(&server)
            .stream_events(server.url("/v1/fake-stream/x"), quick_stream())
            .try_collect(),
    )
    .await;
    let err = result.unwrap_err();
    assert!(err.to_string().contains("no response head"), "{err}");
}

// 7. Keep-alive comments keep a quiet stream alive: no reconnect.
#[tokio::test]
async fn keep_alive_comments_count_as_activity() {
    let server = FakeReplicate::start().await;
    let mut canned = Canned::sse("event: output\nid: 1\ndata: a\n\n");
    for _ in 0..8 {
        canned = canned
            .pause(Duration::from_millis(150))
            .body(": keep-alive\n\n");
    }
    canned = canned.body("event: done\nid: 2\ndata: {}\n\n");
    server.faults().respond_next(1, canned);
    let options = StreamOptions {
        idle_timeout: Duration::from_millis(400),
        max_reconnects: 0,
        ..quick_stream()
    };
    let events: Vec<StreamEvent> = client(&server)
        .stream_events(server.url("/v1/fake-stream/x"), options)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(server.count("GET", "/v1/fake-stream/x"), 1);
}

// 8. The server's `retry:` is capped.
#[tokio::test]
async fn the_servers_retry_delay_is_capped() {
    let server = FakeReplicate::start().await;
    server.faults().respond_next(
        1,
        Canned::sse("retry: 3600000\nevent: output\nid: 1\ndata: a\n\n").cut(),
    );
    server
        .faults()
        .respond_next(1, Canned::sse("event: done\nid: 2\ndata: {}\n\n"));
    let options = StreamOptions {
        max_reconnect_delay: Duration::from_millis(100),
        ..quick_stream()
    };
    let events: Vec<StreamEvent> = within(
        Duration::from_secs(10),
        "a stream told to wait an hour",
        client(&server)
            .stream_events(server.url("/v1/fake-stream/x"), options)
            .try_collect(),
    )
    .await
    .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(
        StreamOptions::default().max_reconnect_delay,
        Duration::from_secs(30)
    );
}

// 10. One event is bounded; a large one within the bound arrives whole.
#[tokio::test]
async fn events_are_bounded_in_size() {
    let server = FakeReplicate::start().await;
    let big = "x".repeat(2 * 1024 * 1024);
    let text = format!("event: output\nid: 1\ndata: {big}\n\nevent: done\nid: 2\ndata: {{}}\n\n");
    server.faults().respond_next(1, Canned::sse(text.clone()));
    let small = StreamOptions {
        max_event_size: 1024 * 1024,
        ..quick_stream()
    };
    let err = client(&server)
        .stream_events(server.url("/v1/fake-stream/x"), small)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                what: "one event",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.count("GET", "/v1/fake-stream/x"), 1, "not retried");
    server.faults().respond_next(1, Canned::sse(text));
    let events: Vec<StreamEvent> = client(&server)
        .stream_events(server.url("/v1/fake-stream/x"), quick_stream())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(events[0], StreamEvent::Output(big));
}

// 11. An error while waiting after a create keeps the prediction id, and waiting can resume.
#[tokio::test]
async fn errors_after_a_create_carry_the_prediction_id() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    server.faults().status_next(1, 201); // the create passes through untouched
    server.faults().fail_next(1, 500, None); // the first poll fails
    let err = c
        .run_json("acme/model", json!({"fake_steps": 2}))
        .await
        .unwrap_err();
    let id = err
        .prediction_id()
        .expect("the id of the billed prediction")
        .to_string();
    assert!(matches!(&err, Error::AfterCreate { .. }), "{err:?}");
    assert!(err.to_string().contains(&id), "{err}");
    let done = c.wait_for(&id, WaitOptions::default()).await.unwrap();
    assert_eq!(done.status.to_string(), "succeeded");
}

// 12. Decode errors show status, content type and a bounded, redacted snippet.
#[tokio::test]
async fn decode_errors_show_what_came_back() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let cases = [
        (
            Canned::new(200)
                .header("content-type", "text/html")
                .body(format!("<html>Bad gateway {}</html>", "x".repeat(5000))),
            "text/html",
            "<html>Bad gateway",
        ),
        (
            Canned::new(200).header("content-type", "application/json"),
            "application/json",
            "body empty",
        ),
        (
            Canned::json(
                &json!({"detail": "Not found.", "status": 404, "token": "r8_leakedtoken"}),
            ),
            "application/json",
            "Not found.",
        ),
    ];
    for (canned, content_type, shown) in cases {
        server.faults().respond_next(1, canned);
        let err = c.predictions().get("x").await.unwrap_err();
        let Error::Decode {
            content_type: ct,
            snippet,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(ct.as_deref(), Some(content_type));
        assert!(snippet.as_ref().unwrap().len() <= replicate_typed::SNIPPET_LIMIT + 16);
        let text = err.to_string();
        assert!(text.contains(shown) && text.contains("HTTP 200"), "{text}");
        assert!(!text.contains("leakedtoken"), "{text}");
    }
}

// 13. Bodies are bounded, whether or not the length is announced.
#[tokio::test]
async fn response_bodies_are_bounded() {
    let server = FakeReplicate::start().await;
    let c = builder(&server)
        .max_response_size(1024 * 1024)
        .build()
        .unwrap();
    let big = json!(vec![1u32; 1024 * 1024]).to_string();
    server
        .faults()
        .respond_next(1, Canned::json(&serde_json::from_str(&big).unwrap()));
    let mut chunked = Canned::new(200).header("content-type", "application/json");
    for piece in big.as_bytes().chunks(64 * 1024) {
        chunked = chunked.body(piece.to_vec());
    }
    server.faults().respond_next(1, chunked);
    for _ in 0..2 {
        let err = c.predictions().list().await.unwrap_err();
        assert!(
            matches!(err, Error::TooLarge { limit: 1048576, .. }),
            "{err:?}"
        );
    }
}

// 14. A create answered 200 (not 201/202) still returns the prediction.
#[tokio::test]
async fn a_create_answered_200_is_a_success() {
    let server = FakeReplicate::start().await;
    server.faults().status_next(1, 200);
    let p = created(&client(&server), json!({})).await;
    assert!(!p.id.is_empty());
    assert_eq!(server.count("POST", "/v1/models/acme/model/predictions"), 1);
}

// 14. A 429 not retried (its wait is over the cap) keeps the server's Retry-After.
#[tokio::test]
async fn an_unretried_429_keeps_retry_after() {
    let server = FakeReplicate::start().await;
    server.faults().fail_next(1, 429, Some("3600"));
    let err = client(&server).predictions().get("x").await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.retry_after, Some(Duration::from_secs(3600)));
    assert!(err.to_string().contains("Retry-After 3600"), "{err}");
}

// 15. Under random throttling, a concurrent batch completes: 429s slow the whole client.
#[tokio::test]
async fn a_throttled_batch_completes() {
    let server = FakeReplicate::start().await;
    server.seed_predictions(1);
    server.faults().throttle_randomly(300, 7);
    let c = client(&server);
    let start = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..300)
        .map(|_| {
            let c = c.clone();
            async move { c.predictions().get("seed-0000").await }
        })
        .buffer_unordered(300)
        .collect()
        .await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(failed, 0, "{:?}", results.iter().find(|r| r.is_err()));
    assert!(start.elapsed() < Duration::from_secs(60));
}

// 18. An empty token in the environment is a configuration error.
#[test]
fn an_empty_token_in_the_environment_is_refused() {
    // The only test of this binary that touches the environment.
    std::env::set_var("REPLICATE_API_TOKEN", "");
    let err = Client::from_env().unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("empty"), "{err}");
    // Start from the environment, then override.
    std::env::set_var("REPLICATE_API_TOKEN", "r8_env");
    std::env::set_var("REPLICATE_BASE_URL", "http://127.0.0.1:9/v1");
    let client = replicate_typed::ClientBuilder::from_env()
        .unwrap()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9/v1");
    assert_eq!(client.timeout(), Duration::from_secs(3));
    std::env::remove_var("REPLICATE_API_TOKEN");
    std::env::remove_var("REPLICATE_BASE_URL");
}

// Beyond the list: a 200 that is not an event stream (a proxy's page) ends the stream at once,
// saying what came back, instead of reconnecting into it.
#[tokio::test]
async fn a_stream_answered_with_something_else_fails_at_once() {
    let server = FakeReplicate::start().await;
    server.faults().respond_next(
        5,
        Canned::new(200)
            .header("content-type", "text/html")
            .body("<html>Please log in</html>"),
    );
    let err = client(&server)
        .stream_events(server.url("/v1/fake-stream/x"), quick_stream())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("Please log in"), "{err}");
    assert_eq!(server.count("GET", "/v1/fake-stream/x"), 1);
}

// Beyond the list: errors of a created prediction's stream carry its id.
#[tokio::test]
async fn stream_errors_after_a_create_carry_the_prediction_id() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    server.faults().status_next(1, 201); // the create
    server.faults().fail_next(10, 503, None); // every stream connection
    let mut events = c
        .stream_json("acme/llm", json!({"fake_stream": ["a"]}))
        .await
        .unwrap();
    let err = loop {
        match events.next().await {
            Some(Err(e)) => break e,
            Some(Ok(_)) => continue,
            None => panic!("the stream ended without the error"),
        }
    };
    assert!(err.prediction_id().is_some(), "{err:?}");
}

// Beyond the list: a hostile Retry-After neither panics nor stalls the client.
#[tokio::test]
async fn absurd_retry_after_values_are_refused_not_obeyed() {
    let server = FakeReplicate::start().await;
    server.seed_predictions(1);
    for value in ["1e300", "99999999999999999999999", "NaN", "-1"] {
        server.faults().fail_next(1, 429, Some(value));
        let result = within(
            Duration::from_secs(5),
            "a request told to wait forever",
            client(&server).predictions().get("seed-0000").send(),
        )
        .await;
        assert!(result.is_ok(), "{value}: {result:?}");
    }
}

// Beyond the list: a `next` link or a download redirect to another origin never receives the
// token (it could be a way to steal it).
#[tokio::test]
async fn links_and_redirects_to_another_origin_never_get_the_token() {
    let server = FakeReplicate::start().await;
    let elsewhere = FakeReplicate::start().await;
    let item = prediction_json(&server);
    server.faults().respond_next(
        1,
        Canned::json(
            &json!({"next": elsewhere.url("/v1/predictions?cursor=x"), "results": [item]}),
        ),
    );
    elsewhere
        .faults()
        .respond_next(1, Canned::json(&json!({"next": null, "results": [item]})));
    let c = client(&server);
    let items: Vec<_> = c
        .predictions()
        .list()
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 2);
    server.faults().respond_next(
        1,
        Canned::new(302).header("location", &elsewhere.url("/fake-output/file.bin")),
    );
    elsewhere
        .faults()
        .respond_next(1, Canned::new(200).body(vec![7u8; 1000]));
    let bytes = c
        .download(&server.url("/v1/files/f1/download"))
        .await
        .unwrap()
        .try_fold(0usize, |n, chunk| async move { Ok(n + chunk.len()) })
        .await
        .unwrap();
    assert_eq!(bytes, 1000);
    let seen = elsewhere.requests();
    assert_eq!(seen.len(), 2);
    for request in seen {
        assert_eq!(request.header("authorization"), None, "{}", request.path);
    }
    let first = &server.requests()[0];
    assert_eq!(first.header("authorization"), Some("Bearer r8_test"));
}

// Beyond the list: an error body that stalls does not hang a stream or a download.
#[tokio::test]
async fn stalled_error_bodies_do_not_hang_streams_or_downloads() {
    let server = FakeReplicate::start().await;
    let stalled = || {
        Canned::new(404)
            .header("content-type", "application/json")
            .body("{\"detail\": ")
            .stall()
    };
    server.faults().respond_next(1, stalled());
    let err = within(
        Duration::from_secs(5),
        "a stream whose error body stalls",
        client(&server)
            .stream_events(server.url("/v1/fake-stream/x"), quick_stream())
            .try_collect::<Vec<_>>(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    server.faults().respond_next(1, stalled());
    let c = builder(&server)
        .idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = within(
        Duration::from_secs(5),
        "a download whose error body stalls",
        c.download(&server.url("/fake-output/x")),
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

// Beyond the list: a path parameter of `..` never reaches another endpoint.
#[tokio::test]
async fn dot_segments_in_path_parameters_are_refused() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    for bad in ["..", ".", ""] {
        let err = c
            .models()
            .versions()
            .delete("acme", "echo", bad)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{bad:?}: {err:?}");
    }
    assert!(server.requests().is_empty(), "nothing was sent");
}

// Beyond the list: a create whose answer does not decode still names the prediction.
#[tokio::test]
async fn a_create_answer_that_does_not_decode_keeps_the_id() {
    let server = FakeReplicate::start().await;
    server.faults().respond_next(
        1,
        Canned::new(201)
            .header("content-type", "application/json")
            .body(r#"{"id": "p-drifted", "status": 42}"#),
    );
    let err = client(&server)
        .create_prediction(
            &ModelRef::parse("acme/model").unwrap(),
            json!({}),
            CreateOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.prediction_id(), Some("p-drifted"), "{err:?}");
}

// Beyond the list: a poll answered with another prediction is not taken for ours.
#[tokio::test]
async fn a_poll_answered_with_another_prediction_is_an_error() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let mut other = prediction_json(&server);
    let p = created(&c, json!({"fake_steps": 5})).await;
    other["status"] = json!("succeeded");
    server.faults().respond_next(1, Canned::json(&other));
    let options = WaitOptions {
        initial_interval: Duration::from_millis(5),
        ..WaitOptions::default()
    };
    let err = c.wait(p.clone(), options).await.unwrap_err();
    assert!(
        matches!(&err, Error::AfterCreate { source, .. } if matches!(**source, Error::Protocol { .. })),
        "{err:?}"
    );
    assert_eq!(err.prediction_id(), Some(p.id.as_str()));
}
