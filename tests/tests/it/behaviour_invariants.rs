//! One test per class of failure a hostile server found (issue "Nothing lost, by
//! construction"): each tries several members of its class, not one example. The chaos suite
//! (`chaos.rs`) then composes faults at random.

use futures::{StreamExt, TryStreamExt};
use replicate_e2e::cog_models::cog::kitchen;
use replicate_fake::{Canned, FakeReplicate};
use replicate_typed::model::ModelInput;
use replicate_typed::runtime::FilePart;
use replicate_typed::{
    Client, CreateOptions, Error, FileInput, ModelRef, RunOptions, StreamEvent, StreamOptions,
};
use serde_json::json;
use std::io::Write;
use std::time::{Duration, Instant};

fn client(server: &FakeReplicate) -> Client {
    replicate_e2e::client_builder(server)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn create(c: &Client) -> Result<replicate_typed::Prediction, Error> {
    c.create_prediction(
        &ModelRef::parse("acme/model").unwrap(),
        json!({"prompt": "x"}),
        CreateOptions::default(),
    )
    .await
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

// Class 1: after a create was sent, every answer whose bytes name an id yields it.
#[tokio::test]
async fn the_created_id_survives_any_answer_that_names_it() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
    let json = |body: String| {
        Canned::new(201)
            .header("content-type", "application/json")
            .body(body)
    };
    let cases = [
        (
            "a number beyond f64",
            json(r#"{"id": "p1", "status": "starting", "output": 1e400}"#.into()),
        ),
        (
            "a lone surrogate in the logs",
            json(r#"{"logs": "cut \ud83d", "id": "p1", "status": "starting"}"#.into()),
        ),
        (
            "the input echoed more than 128 levels deep",
            json(format!(
                r#"{{"id": "p1", "status": "starting", "input": {{"x": {deep}}}}}"#
            )),
        ),
        (
            "a body cut off after the id",
            Canned::new(201)
                .header("content-type", "application/json")
                .header("content-length", "4000")
                .body(r#"{"id": "p1", "status": "start"#)
                .cut(),
        ),
        (
            "a body stalled after the id",
            Canned::new(201)
                .header("content-type", "application/json")
                .body(r#"{"id": "p1", "status": "start"#)
                .stall(),
        ),
        (
            "an error status naming the prediction",
            Canned::new(500)
                .header("content-type", "application/json")
                .body(r#"{"id": "p1", "status": "failed", "detail": "oops"}"#),
        ),
        (
            "a body larger than the limit",
            json(format!(
                r#"{{"id": "p1", "status": "starting", "logs": "{}"}}"#,
                "x".repeat(3 << 20)
            )),
        ),
    ];
    for (what, canned) in cases {
        server.faults().respond_next(1, canned);
        let small = replicate_e2e::client_builder(&server)
            .timeout(Duration::from_millis(700))
            .max_response_size(1 << 20)
            .build()
            .unwrap();
        let err = create(&small).await.unwrap_err();
        assert_eq!(err.prediction_id(), Some("p1"), "{what}: {err:?}");
    }
    // The caller's own deep input, echoed by a real server: the id is kept (no hostile server
    // needed). The fake cannot read such input itself, so it answers as Replicate would.
    server.faults().respond_next(
        1,
        json(format!(
            r#"{{"id": "p2", "status": "starting", "input": {{"x": {deep}}}, "urls": {{}}}}"#
        )),
    );
    let err = create(&c).await.unwrap_err();
    assert_eq!(err.prediction_id(), Some("p2"), "{err:?}");
    // A 429 whose body names what the create made: the server acted, so it is not sent again.
    server.clear_requests();
    server.faults().respond_next(
        1,
        Canned::new(429)
            .header("content-type", "application/json")
            .header("retry-after", "0")
            .body(r#"{"id": "p3", "status": "starting"}"#),
    );
    let err = create(&c).await.unwrap_err();
    assert_eq!(err.prediction_id(), Some("p3"), "{err:?}");
    assert_eq!(server.count("POST", "/v1/models/acme/model/predictions"), 1);
    // Answers that name no id make none up.
    server
        .faults()
        .respond_next(1, json(r#"{"status": "starting", "#.into()));
    assert_eq!(create(&c).await.unwrap_err().prediction_id(), None);
}

// Class 2: a download reports success only with the whole, decoded object.
#[tokio::test]
async fn downloads_are_whole_decoded_and_retried_like_any_get() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.bin");
    let url = server.url("/fake-output/x.bin");
    let payload: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    // 206 to a request without Range: not the file.
    server.faults().respond_next(
        1,
        Canned::new(206)
            .header("content-range", "bytes 0-99/1000")
            .body(payload[..100].to_vec()),
    );
    let err = c.download_to_path(&url, &out).await.unwrap_err();
    assert!(err.to_string().contains("206"), "{err}");
    assert!(!out.exists());
    // gzip, its length announced or not: saved decoded.
    let encoded = gzip(&payload);
    for length in [None, Some(encoded.len())] {
        let mut canned = Canned::new(200).header("content-encoding", "gzip");
        if let Some(n) = length {
            canned = canned.header("content-length", &n.to_string());
        }
        server
            .faults()
            .respond_next(1, canned.body(encoded.clone()));
        assert_eq!(
            c.download_to_path(&url, &out).await.unwrap(),
            1000,
            "{length:?}"
        );
        assert_eq!(std::fs::read(&out).unwrap(), payload);
        std::fs::remove_file(&out).unwrap();
    }
    // An encoding not asked for and not decoded: refused, naming it.
    server.faults().respond_next(
        1,
        Canned::new(200)
            .header("content-encoding", "br")
            .body(vec![1u8; 10]),
    );
    let err = c.download_to_path(&url, &out).await.unwrap_err();
    assert!(err.to_string().contains("`br`"), "{err}");
    assert!(!out.exists());
    // A 503 is retried like any GET.
    server.faults().fail_next(2, 503, None);
    let n = c.download_to_path(&url, &out).await.unwrap();
    assert!(n > 0 && out.exists());
    std::fs::remove_file(&out).unwrap();
    // A 429 whose wait is too long is not slept on; its Retry-After is kept.
    server.faults().fail_next(1, 429, Some("3600"));
    let err = c.download_to_path(&url, &out).await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (api.status, api.retry_after),
        (429, Some(Duration::from_secs(3600)))
    );
    // A body shorter than its length, on every attempt: never a shorter file.
    server.faults().respond_next(
        1,
        Canned::new(200)
            .header("content-length", "1000")
            .body(payload[..300].to_vec())
            .cut(),
    );
    assert!(c.download_to_path(&url, &out).await.is_err());
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

// Class 3: one budget over upload → create → wait.
#[tokio::test]
async fn a_run_deadline_bounds_every_step() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let big = FilePart::new(vec![7u8; 300 * 1024]).content_type("image/png");
    let input = || kitchen::Input::new("a fox").image(FileInput::bytes(big.clone()));
    // The upload is answered after the deadline: the create is never sent.
    server.faults().slow_next(1, Duration::from_millis(1500));
    let start = Instant::now();
    let err = c
        .run_with(
            input(),
            RunOptions::new().deadline(Duration::from_millis(600)),
        )
        .await
        .unwrap_err();
    let Error::Deadline {
        operation,
        deadline,
        elapsed,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(operation.ends_with("predictions.create"), "{err}");
    assert_eq!(*deadline, Duration::from_millis(600));
    assert!(*elapsed >= Duration::from_millis(1400), "{err}");
    assert!(start.elapsed() < Duration::from_secs(3));
    let posts: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path)
        .collect();
    assert_eq!(posts, ["/v1/files"], "the upload, and no create");
    // A 429 before the create asks for longer than the deadline: not slept through.
    server.clear_requests();
    server.faults().fail_next(1, 429, Some("8"));
    let start = Instant::now();
    let err = c
        .run_json_with(
            "acme/model",
            json!({}),
            RunOptions::new().deadline(Duration::from_secs(2)),
        )
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1), "{err}");
    assert_eq!(err.status(), Some(429), "{err}");
    assert_eq!(server.count("POST", "/v1/models/acme/model/predictions"), 1);
    // A wait that runs out reports the time since the run started, the create included.
    server.faults().slow_next(1, Duration::from_millis(500));
    let err = c
        .run_json_with(
            "acme/model",
            json!({"fake_steps": 1000}),
            RunOptions::new()
                .deadline(Duration::from_millis(900))
                .prefer_wait(None)
                .poll_intervals(Duration::from_millis(20), Duration::from_millis(50)),
        )
        .await
        .unwrap_err();
    let Error::WaitTimeout { waited, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(*waited >= Duration::from_millis(880), "{err}");
    assert!(err.prediction_id().is_some());
}

// Class 4: server-controlled text is cleaned before it reaches the caller.
#[tokio::test]
async fn errors_never_carry_the_token_or_raw_control_characters() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let page = "<h1>Bad gateway</h1>\r\nauthorization: Bearer r8_test\r\n\x1b[2J\x1b]0;pwned\x07\nINFO forged";
    for status in [502, 400, 299] {
        server
            .faults()
            .respond_next(1, Canned::new(status).body(page));
        let err = c.predictions().get("p").await.unwrap_err();
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains("r8_test"), "{status}: {shown}");
            assert!(
                !shown.contains(['\x1b', '\r', '\x07']),
                "{status}: {shown:?}"
            );
        }
        assert!(!err.to_string().contains('\n'), "{err}");
    }
    // A `next` link echoing the token, then a reset: the transport error shows the URL, not
    // the token, and neither do the logs' spans (checked in tracing_logs).
    server.seed_predictions(2);
    server.set_page_size(1);
    let first = c.predictions().list().await.unwrap();
    let next = first.next.clone().unwrap();
    let mut page = serde_json::to_value(&first).unwrap();
    page["next"] = json!(format!("{next}&echo=authorization: Bearer r8_test"));
    server.faults().respond_next(1, Canned::json(&page));
    server.faults().reset_next(4);
    let items: Vec<_> = c.predictions().list().into_stream().collect().await;
    let err = items.last().unwrap().as_ref().unwrap_err();
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("r8_test"), "{shown}");
    }
}

// Class 5: content encodings are decoded, for JSON answers and event streams alike.
#[tokio::test]
async fn encoded_answers_and_streams_are_decoded() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    server.seed_predictions(1);
    let stored = server.prediction("seed-0000").unwrap();
    server.faults().respond_next(
        1,
        Canned::new(200)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(gzip(stored.to_string().as_bytes())),
    );
    let p = c.predictions().get("seed-0000").await.unwrap();
    assert_eq!(p.id, "seed-0000");
    server.faults().respond_next(
        1,
        Canned::new(200)
            .header("content-type", "text/event-stream")
            .header("content-encoding", "gzip")
            .body(gzip(
                b"event: output\ndata: hi\n\nevent: done\ndata: {}\n\n",
            )),
    );
    let events: Vec<StreamEvent> = c
        .stream_events(server.url("/v1/fake-stream/x"), StreamOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(events[0], StreamEvent::Output("hi".into()));
    // A gzip bomb is bounded by the decoded size.
    let bomb = gzip(&vec![b' '; 8 << 20]);
    server.faults().respond_next(
        1,
        Canned::new(200)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(bomb),
    );
    let small = replicate_e2e::client_builder(&server)
        .max_response_size(1 << 20)
        .build()
        .unwrap();
    let err = small.predictions().get("x").await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
}

// Class 6: memory is bounded by more than the byte limit.
#[tokio::test]
async fn many_tiny_values_are_refused_before_decoding() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let mut body = String::from(r#"{"id": "p1", "status": "starting", "output": ["#);
    body.push_str(&"1,".repeat(15 << 20));
    body.push_str("1]}");
    server.faults().respond_next(
        1,
        Canned::new(201)
            .header("content-type", "application/json")
            .body(body),
    );
    let err = create(&c).await.unwrap_err();
    assert_eq!(err.prediction_id(), Some("p1"), "{err:?}");
    let Error::AfterCreate { source, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(**source, Error::TooLarge { .. }), "{err:?}");
}

// Class 7: the corners of the event-stream protocol.
#[tokio::test]
async fn event_streams_follow_the_protocol_on_reconnect() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let options = || StreamOptions {
        reconnect_delay: Duration::from_millis(10),
        max_reconnect_delay: Duration::from_millis(400),
        ..StreamOptions::default()
    };
    let url = server.url("/v1/fake-stream/x");
    // 204 on a reconnect: stop.
    server
        .faults()
        .respond_next(1, Canned::sse("id: 1\nevent: output\ndata: a\n\n").cut());
    server.faults().respond_next(1, Canned::new(204));
    let mut events = c.stream_events(&url, options());
    assert_eq!(
        events.next().await.unwrap().unwrap(),
        StreamEvent::Output("a".into())
    );
    let err = events.next().await.unwrap().unwrap_err();
    assert!(err.to_string().contains("204"), "{err}");
    assert!(events.next().await.is_none());
    assert_eq!(
        server.count("GET", "/v1/fake-stream/x"),
        2,
        "no third connect"
    );
    // 429 with Retry-After: honoured, capped by max_reconnect_delay.
    server.clear_requests();
    server.faults().fail_next(1, 429, Some("30"));
    server
        .faults()
        .respond_next(1, Canned::sse("event: done\ndata: {}\n\n"));
    let start = Instant::now();
    let events: Vec<StreamEvent> = c
        .stream_events(&url, options())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(events, [StreamEvent::Done { reason: None }]);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(380) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    // An id no header can carry: the resume goes on without it, and repeats nothing.
    server.clear_requests();
    server.faults().respond_next(
        1,
        Canned::sse("id: a\x01b\nevent: output\ndata: a\n\n").cut(),
    );
    server.faults().respond_next(
        1,
        Canned::sse(
            "id: a\x01b\nevent: output\ndata: a\n\nid: 2\nevent: output\ndata: b\n\nevent: done\ndata: {}\n\n",
        ),
    );
    let events: Vec<StreamEvent> = c
        .stream_events(&url, options())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        events,
        [
            StreamEvent::Output("a".into()),
            StreamEvent::Output("b".into()),
            StreamEvent::Done { reason: None }
        ]
    );
    let second = &server.requests()[1];
    assert_eq!(second.header("last-event-id"), None);
}

// Class 8: `validate` refuses everything `run` would, before any request.
#[tokio::test]
async fn validate_refuses_what_cannot_be_sent() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let cases = [
        ("guidance", kitchen::Input::new("x").guidance(f64::NAN)),
        ("guidance", kitchen::Input::new("x").guidance(f64::INFINITY)),
        ("image", kitchen::Input::new("x").image("cat.png")),
        (
            "images",
            kitchen::Input::new("x").images(vec![
                FileInput::url("https://x/a.png"),
                FileInput::from("b.png"),
            ]),
        ),
    ];
    for (field, input) in cases {
        let err = input.validate().unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { field: f, .. } if f == field),
            "{err:?}"
        );
        let err = c.run(input).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    }
    assert!(server.requests().is_empty(), "nothing was sent");
}
