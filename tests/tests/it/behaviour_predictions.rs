//! The prediction workflow against the fake server: create for every kind of reference,
//! `Prefer: wait` 201 vs 202, `Cancel-After`, waiting to each terminal state, `run`, cancel,
//! and pagination over several pages under faults.

use futures::{StreamExt, TryStreamExt};
use replicate_e2e::client;
use replicate_fake::FakeReplicate;
use replicate_typed::runtime::{CancelAfter, Prefer};
use replicate_typed::types::{self, PredictionResponseStatus as Status};
use replicate_typed::{
    operations::PredictionsCreateResponse, CreateOptions, Error, ModelRef, WaitOptions,
};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;

fn fast_wait() -> WaitOptions {
    WaitOptions {
        timeout: Duration::from_secs(5),
        initial_interval: Duration::from_millis(5),
        max_interval: Duration::from_millis(20),
        ..WaitOptions::default()
    }
}

fn map(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().cloned().unwrap()
}

#[tokio::test]
async fn prefer_wait_gives_201_when_done_and_202_when_not() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let done = types::VersionPredictionRequest::new(
        map(json!({"fake_steps": 0, "fake_output": "hi"})),
        "v1",
    );
    let response = c
        .predictions()
        .create(done)
        .prefer(Prefer::wait_seconds(5).unwrap())
        .await
        .unwrap();
    let PredictionsCreateResponse::Created(p) = response else {
        panic!("expected 201: {response:?}")
    };
    assert_eq!(p.status, Status::Succeeded);
    assert_eq!(p.output, json!("hi"));

    let running = types::VersionPredictionRequest::new(map(json!({"fake_steps": 3})), "v1");
    let cancel_after = CancelAfter::new(Duration::from_secs(5445)).unwrap();
    let response = c
        .predictions()
        .create(running)
        .prefer(Prefer::wait_seconds(1).unwrap())
        .cancel_after(cancel_after)
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let p = response.into_inner();
    assert!(!replicate_typed::is_terminal(&p.status));

    let post = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .last()
        .unwrap();
    assert_eq!(post.path, "/v1/predictions");
    assert_eq!(post.header("prefer"), Some("wait=1"));
    assert_eq!(post.header("cancel-after"), Some("1h30m45s"));
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert_eq!(
        post.json(),
        json!({"input": {"fake_steps": 3}, "version": "v1"}),
        "optional fields are left out"
    );
}

#[tokio::test]
async fn create_uses_the_right_endpoint_for_each_reference() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let input = json!({"fake_steps": 0});
    let opts = CreateOptions::default;
    c.create_prediction(&ModelRef::parse("acme/fox").unwrap(), &input, opts())
        .await
        .unwrap();
    c.create_prediction(&ModelRef::parse("acme/fox:abc123").unwrap(), &input, opts())
        .await
        .unwrap();
    c.create_prediction(&ModelRef::deployment("acme", "prod"), &input, opts())
        .await
        .unwrap();
    let posts: Vec<(String, serde_json::Value)> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| (r.path.clone(), r.json()))
        .collect();
    assert_eq!(posts[0].0, "/v1/models/acme/fox/predictions");
    assert_eq!(posts[1].0, "/v1/predictions");
    assert_eq!(posts[1].1["version"], "abc123");
    assert_eq!(posts[2].0, "/v1/deployments/acme/prod/predictions");
    let err = c
        .create_prediction(&ModelRef::parse("acme/fox").unwrap(), json!([1, 2]), opts())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest(_)),
        "input must be an object, caught before sending"
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn wait_reaches_every_terminal_state() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    for outcome in ["succeeded", "failed", "canceled", "aborted"] {
        let model = ModelRef::parse("acme/fox").unwrap();
        let created = c
            .create_prediction(
                &model,
                json!({"fake_outcome": outcome, "fake_steps": 3}),
                CreateOptions::default(),
            )
            .await
            .unwrap();
        let done = c.wait(created, fast_wait()).await.unwrap();
        assert_eq!(done.status.as_str(), outcome);
        let gets = server.count("GET", &format!("/v1/predictions/{}", done.id));
        assert_eq!(gets, 3, "{outcome}: polled until terminal, then stopped");
    }
}

#[tokio::test]
async fn an_unknown_status_keeps_polling_until_the_deadline() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let model = ModelRef::parse("acme/fox").unwrap();
    let created = c
        .create_prediction(
            &model,
            json!({"fake_outcome": "mystery", "fake_steps": 1}),
            CreateOptions::default(),
        )
        .await
        .unwrap();
    let options = WaitOptions {
        timeout: Duration::from_millis(300),
        ..fast_wait()
    };
    let err = c.wait(created, options).await.unwrap_err();
    let Error::WaitTimeout { status, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        status, "mystery",
        "a status this client does not know decodes and is not terminal"
    );
}

#[tokio::test]
async fn run_returns_output_or_a_prediction_failure() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let output = c
        .run_json(
            "acme/fox",
            json!({"fake_steps": 0, "fake_output": ["a", "b"]}),
        )
        .await
        .unwrap();
    assert_eq!(output, json!(["a", "b"]));
    let post = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(
        post.header("prefer"),
        Some("wait"),
        "run blocks on the server first"
    );

    let err = c
        .run_json(
            "acme/fox",
            json!({"fake_steps": 0, "fake_outcome": "failed"}),
        )
        .await
        .unwrap_err();
    match err {
        Error::PredictionFailed { status, error, .. } => {
            assert_eq!(status, "failed");
            assert_eq!(error.as_deref(), Some("fake failure"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn cancel_stops_a_prediction() {
    let server = FakeReplicate::start().await;
    let c = client(&server);
    let model = ModelRef::parse("acme/fox").unwrap();
    let created = c
        .create_prediction(&model, json!({"fake_steps": 10}), CreateOptions::default())
        .await
        .unwrap();
    let canceled = c.predictions().cancel(&created.id).await.unwrap();
    assert_eq!(canceled.status, Status::Canceled);
    assert_eq!(
        server.count("POST", &format!("/v1/predictions/{}/cancel", created.id)),
        1
    );
}

#[tokio::test]
async fn pagination_yields_every_item_exactly_once_under_faults() {
    let server = FakeReplicate::start().await;
    server.seed_predictions(250);
    let c = client(&server);
    let stream = c.predictions().list().into_stream();
    assert!(
        server.requests().is_empty(),
        "nothing is requested until the stream is polled"
    );
    let mut stream = stream;
    let mut ids = Vec::new();
    while let Some(item) = stream.next().await {
        ids.push(item.unwrap().id);
        // Faults between pages: a 503 burst and a rate limit before the next page.
        if ids.len() == 100 {
            server.faults().fail_next(2, 503, None);
        }
        if ids.len() == 200 {
            server.faults().fail_next(1, 429, Some("0"));
        }
    }
    assert_eq!(ids.len(), 250);
    let unique: BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 250, "no duplicates");
    let pages: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/predictions")
        .collect();
    assert_eq!(pages.len(), 3 + 2 + 1, "3 pages plus 3 retried failures");
    assert!(pages[1..]
        .iter()
        .all(|r| r.query.as_deref().is_some_and(|q| q.contains("cursor="))));
}

#[tokio::test]
async fn pagination_is_lazy_page_by_page() {
    let server = FakeReplicate::start().await;
    server.seed_predictions(250);
    let c = client(&server);
    let first: Vec<_> = c
        .predictions()
        .list()
        .into_stream()
        .take(5)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first.len(), 5);
    assert_eq!(
        server.count("GET", "/v1/predictions"),
        1,
        "only the first page was fetched"
    );
}

#[tokio::test]
async fn query_method_search_reaches_the_server() {
    let server = FakeReplicate::start().await;
    let result = client(&server).models().search("upscaler").await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.method, "QUERY");
    assert_eq!(request.path, "/v1/models");
    assert_eq!(request.header("content-type"), Some("text/plain"));
    assert_eq!(&request.body[..], b"upscaler");
    assert!(!result.results.is_empty());
}
