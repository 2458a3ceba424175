//! The fake server checked with raw reqwest.

use super::FakeReplicate;
use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const AUTH: &str = "Bearer test-token";

fn client() -> reqwest::Client {
    replicate_runtime::tls::reqwest_builder(&[])
        .unwrap()
        .build()
        .unwrap()
}

async fn get(server: &FakeReplicate, path: &str) -> (u16, Value) {
    let resp = client()
        .get(server.url(path))
        .header("authorization", AUTH)
        .send()
        .await
        .expect("send");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn post(server: &FakeReplicate, path: &str, body: Value) -> (u16, Value) {
    let resp = client()
        .post(server.url(path))
        .header("authorization", AUTH)
        .json(&body)
        .send()
        .await
        .expect("send");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Creates a prediction with `input` and returns its JSON.
async fn create(server: &FakeReplicate, input: Value) -> Value {
    let (status, body) = post(
        server,
        "/v1/predictions",
        json!({"version": "v1", "input": input}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn auth_is_required_except_for_search() {
    let server = FakeReplicate::start().await;
    let resp = client()
        .get(server.url("/v1/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["title"], "Unauthenticated");
    assert_eq!(body["status"], 401);

    let resp = client()
        .get(server.url("/v1/account"))
        .header("authorization", "Bearer ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let (status, body) = get(&server, "/v1/account").await;
    assert_eq!(status, 200);
    assert_eq!(body["username"], "fake");

    let resp = client()
        .get(server.url("/v1/search?query=flux"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["query"], "flux");

    let (status, body) = get(&server, "/v1/nowhere").await;
    assert_eq!(status, 404);
    assert_eq!(body["status"], 404);
    assert_eq!(server.count("GET", "/v1/account"), 3);
}

#[tokio::test]
async fn lifecycle_reaches_each_outcome() {
    let server = FakeReplicate::start().await;
    for outcome in ["succeeded", "failed", "canceled", "aborted"] {
        let created = create(&server, json!({"fake_outcome": outcome})).await;
        assert_eq!(created["status"], "starting");
        assert_eq!(created["model"], "fake/model");
        assert_eq!(created["version"], "v1");
        let id = id_of(&created);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_eq!(
            created["urls"]["get"],
            server.url(&format!("/v1/predictions/{id}"))
        );
        assert_eq!(
            created["urls"]["stream"],
            server.url(&format!("/v1/fake-stream/{id}"))
        );
        let path = format!("/v1/predictions/{id}");
        let (_, first) = get(&server, &path).await;
        assert_eq!(first["status"], "processing");
        assert_eq!(first["logs"], "step 1\n");
        assert!(first["completed_at"].is_null());
        let (_, last) = get(&server, &path).await;
        assert_eq!(last["status"], outcome);
        assert_eq!(last["logs"], "step 1\nstep 2\n");
        assert!(last["completed_at"].is_string());
        match outcome {
            "succeeded" => {
                assert_eq!(last["output"], "ok");
                assert!(last["metrics"]["predict_time"].is_number());
            }
            "failed" => {
                assert_eq!(last["error"], "fake failure");
                assert!(last["output"].is_null());
            }
            _ => assert!(last["output"].is_null()),
        }
        // Terminal states do not move.
        let (_, again) = get(&server, &path).await;
        assert_eq!(again, last);
        assert_eq!(server.prediction(&id), Some(last));
    }

    let created = create(&server, json!({"fake_steps": 1, "fake_output": ["a", "b"]})).await;
    let (_, done) = get(&server, &format!("/v1/predictions/{}", id_of(&created))).await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["output"], json!(["a", "b"]));

    let (status, body) = get(&server, "/v1/predictions/nope").await;
    assert_eq!(status, 404);
    assert_eq!(body["status"], 404);
}

#[tokio::test]
async fn unknown_status_never_terminates_and_cancel_works() {
    let server = FakeReplicate::start().await;
    let created = create(&server, json!({"fake_outcome": "mystery", "fake_steps": 1})).await;
    let path = format!("/v1/predictions/{}", id_of(&created));
    for _ in 0..5 {
        let (_, p) = get(&server, &path).await;
        assert_eq!(p["status"], "mystery");
        assert!(p["completed_at"].is_null());
    }

    let created = create(&server, json!({"fake_steps": 10})).await;
    let id = id_of(&created);
    let (status, canceled) =
        post(&server, &format!("/v1/predictions/{id}/cancel"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(canceled["status"], "canceled");
    let (_, after) = get(&server, &format!("/v1/predictions/{id}")).await;
    assert_eq!(after["status"], "canceled");
}

#[tokio::test]
async fn create_routes_validate_and_fill_fields() {
    let server = FakeReplicate::start().await;
    let (status, body) = post(&server, "/v1/predictions", json!({"input": {}})).await;
    assert_eq!(status, 422);
    assert_eq!(body["status"], 422);
    let (status, _) = post(&server, "/v1/predictions", json!({"version": "v"})).await;
    assert_eq!(status, 422);

    let (status, body) = post(
        &server,
        "/v1/models/acme/thing/predictions",
        json!({"input": {}}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["model"], "acme/thing");
    assert_eq!(body["version"], "fake-version");
    let (status, body) = post(
        &server,
        "/v1/deployments/acme/prod/predictions",
        json!({"input": {}}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["model"], "acme/prod");
    assert_eq!(body["source"], "api");
    assert_eq!(body["data_removed"], false);
    assert_eq!(server.count("POST", "/v1/predictions"), 2);
}

#[tokio::test]
async fn prefer_wait_answers_201_when_done_and_202_otherwise() {
    let server = FakeReplicate::start().await;
    let send = |prefer: Option<&'static str>, input: Value| {
        let mut req = client()
            .post(server.url("/v1/predictions"))
            .header("authorization", AUTH)
            .header("cancel-after", "30s")
            .json(&json!({"version": "v", "input": input}));
        if let Some(p) = prefer {
            req = req.header("prefer", p);
        }
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = send(Some("wait"), json!({"fake_steps": 0})).await;
    assert_eq!(status, 201);
    assert_eq!(body["status"], "succeeded");
    assert_eq!(body["output"], "ok");
    assert_eq!(body["cancel_after"], "30s");

    let started = Instant::now();
    let (status, body) = send(Some("wait=5"), json!({"fake_wait_ms": 200})).await;
    assert_eq!(status, 202);
    assert_eq!(body["status"], "starting");
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(started.elapsed() < Duration::from_secs(5));

    let (status, body) = send(None, json!({})).await;
    assert_eq!(status, 201);
    assert_eq!(body["status"], "starting");
    let (status, body) = send(None, json!({"fake_steps": 0, "fake_outcome": "failed"})).await;
    assert_eq!(status, 201);
    assert_eq!(body["status"], "failed");
}

#[tokio::test]
async fn pagination_is_stable_across_faults_and_new_predictions() {
    let server = FakeReplicate::start().await;
    server.seed_predictions(250);
    server.set_page_size(100);
    let mut seen = Vec::new();
    let mut url = server.url("/v1/predictions");
    let mut pages = 0;
    loop {
        let resp = client()
            .get(&url)
            .header("authorization", AUTH)
            .send()
            .await
            .unwrap();
        if resp.status() != 200 {
            // A fault: retry the same URL.
            continue;
        }
        let page: Value = resp.json().await.unwrap();
        pages += 1;
        for p in page["results"].as_array().unwrap() {
            seen.push(id_of(p));
        }
        // Things happen between pages.
        create(&server, json!({})).await;
        server.faults().fail_next(1, 503, None);
        match page["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&server.url("/v1/predictions?cursor=")));
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 250);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 250);
    assert_eq!(seen[0], "seed-0249");
    assert_eq!(seen[249], "seed-0000");
    let first = server.prediction("seed-0000").unwrap();
    assert_eq!(first["status"], "succeeded");
}

async fn stream_text(server: &FakeReplicate, id: &str, last_event_id: Option<&str>) -> String {
    let mut req = client()
        .get(server.url(&format!("/v1/fake-stream/{id}")))
        .header("authorization", AUTH)
        .header("accept", "text/event-stream");
    if let Some(last) = last_event_id {
        req = req.header("last-event-id", last);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    resp.text().await.unwrap()
}

#[tokio::test]
async fn sse_streams_and_resumes() {
    let server = FakeReplicate::start().await;
    let created = create(
        &server,
        json!({"fake_stream": ["Hello", "two\nlines", "!"], "fake_stream_logs": ["booting"]}),
    )
    .await;
    let id = id_of(&created);
    let text = stream_text(&server, &id, None).await;
    assert_eq!(
        text,
        "event: logs\nid: 1\ndata: booting\n\n\
         event: output\nid: 2\ndata: Hello\n\n\
         event: output\nid: 3\ndata: two\ndata: lines\n\n\
         event: output\nid: 4\ndata: !\n\n\
         event: done\nid: 5\ndata: {}\n\n"
    );
    assert_eq!(server.prediction(&id).unwrap()["status"], "succeeded");

    let resumed = stream_text(&server, &id, Some("3")).await;
    assert_eq!(
        resumed,
        "event: output\nid: 4\ndata: !\n\nevent: done\nid: 5\ndata: {}\n\n"
    );

    let failed = create(&server, json!({"fake_outcome": "failed"})).await;
    let text = stream_text(&server, &id_of(&failed), None).await;
    assert!(text.ends_with(
        "event: error\nid: 2\ndata: {\"detail\":\"fake failure\"}\n\nevent: done\nid: 3\ndata: {}\n\n"
    ));

    let canceled = create(&server, json!({"fake_outcome": "canceled"})).await;
    let text = stream_text(&server, &id_of(&canceled), None).await;
    assert!(text.ends_with("event: done\nid: 2\ndata: {\"reason\":\"canceled\"}\n\n"));
}

#[tokio::test]
async fn drop_stream_after_cuts_the_next_stream_only() {
    let server = FakeReplicate::start().await;
    let created = create(
        &server,
        json!({"fake_stream": ["a", "b", "c", "d"], "fake_stream_delay_ms": 5}),
    )
    .await;
    let id = id_of(&created);
    server.faults().drop_stream_after(2);
    let mut resp = client()
        .get(server.url(&format!("/v1/fake-stream/{id}")))
        .header("authorization", AUTH)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut received = Vec::new();
    let err = loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => panic!("stream ended cleanly"),
            Err(e) => break e,
        }
    };
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    let text = String::from_utf8(received).unwrap();
    assert_eq!(
        text,
        "event: output\nid: 1\ndata: a\n\nevent: output\nid: 2\ndata: b\n\n"
    );
    assert_ne!(server.prediction(&id).unwrap()["status"], "succeeded");

    // The next connection is whole; resuming from the last id seen.
    let rest = stream_text(&server, &id, Some("2")).await;
    assert!(rest.starts_with("event: output\nid: 3\ndata: c\n\n"));
    assert!(rest.ends_with("event: done\nid: 5\ndata: {}\n\n"));
}

#[tokio::test]
async fn fault_status_with_retry_after() {
    let server = FakeReplicate::start().await;
    server.faults().fail_next(2, 429, Some("1"));
    for _ in 0..2 {
        let resp = client()
            .get(server.url("/v1/account"))
            .header("authorization", AUTH)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers()["retry-after"], "1");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["status"], 429);
        assert!(body["title"].is_string() && body["detail"].is_string());
    }
    let (status, _) = get(&server, "/v1/account").await;
    assert_eq!(status, 200);
    assert_eq!(server.count("GET", "/v1/account"), 3);

    server.faults().fail_next(1, 500, None);
    let resp = client()
        .get(server.url("/v1/account"))
        .header("authorization", AUTH)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    assert!(resp.headers().get("retry-after").is_none());

    server.faults().fail_next(3, 503, None);
    server.faults().clear();
    assert_eq!(get(&server, "/v1/account").await.0, 200);
}

#[tokio::test]
async fn fault_reset_is_a_transport_error() {
    let server = FakeReplicate::start().await;
    server.faults().reset_next(1);
    let err = client()
        .get(server.url("/v1/account"))
        .header("authorization", AUTH)
        .send()
        .await
        .expect_err("the connection is reset");
    assert!(err.status().is_none());
    assert!(
        err.is_request() || err.is_connect() || err.is_body(),
        "{err:?}"
    );
    assert_eq!(server.count("GET", "/v1/account"), 1);
    assert_eq!(get(&server, "/v1/account").await.0, 200);
}

#[tokio::test]
async fn fault_slow_delays_then_answers() {
    let server = FakeReplicate::start().await;
    server.faults().slow_next(1, Duration::from_millis(300));
    let started = Instant::now();
    let (status, _) = get(&server, "/v1/account").await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    // Consumed: the next request is not delayed by the fault (only its status is checked, as
    // timing under load is not reliable).
    assert_eq!(get(&server, "/v1/account").await.0, 200);
}

#[tokio::test]
async fn fault_truncate_is_a_body_error() {
    let server = FakeReplicate::start().await;
    server.faults().truncate_next(1);
    let resp = client()
        .get(server.url("/v1/account"))
        .header("authorization", AUTH)
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.content_length(), Some(1000));
    let err = resp.bytes().await.expect_err("the body is cut");
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    assert_eq!(get(&server, "/v1/account").await.0, 200);
}

#[tokio::test]
async fn fault_invalid_json() {
    let server = FakeReplicate::start().await;
    server.faults().invalid_json_next(1);
    let resp = client()
        .get(server.url("/v1/predictions/whatever"))
        .header("authorization", AUTH)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let text = resp.text().await.unwrap();
    assert_eq!(text, r#"{"id": "broken", "#);
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn faults_apply_in_arrival_order_and_are_recorded() {
    let server = FakeReplicate::start().await;
    let faults = server.faults();
    faults.fail_next(1, 502, None);
    faults.invalid_json_next(1);
    assert_eq!(get(&server, "/v1/account").await.0, 502);
    let resp = client()
        .get(server.url("/v1/account?x=1"))
        .header("authorization", AUTH)
        .header("x-Custom", "Yes")
        .send()
        .await
        .unwrap();
    assert!(resp.json::<Value>().await.is_err());
    assert_eq!(get(&server, "/v1/account").await.0, 200);
    let recorded = server.requests();
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[1].query.as_deref(), Some("x=1"));
    assert_eq!(recorded[1].header("X-CUSTOM"), Some("Yes"));
    assert!(recorded[1].headers.iter().any(|(n, _)| n == "x-custom"));
    assert_eq!(recorded[1].json(), Value::Null);
    server.clear_requests();
    assert!(server.requests().is_empty());

    create(&server, json!({"k": 1})).await;
    assert_eq!(server.requests()[0].json()["input"]["k"], 1);
}

type Deliveries = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A local receiver answering `statuses` in turn (then 200), recording what arrives.
async fn webhook_receiver(statuses: Vec<u16>) -> (String, Deliveries) {
    let got: Deliveries = Arc::default();
    let answers = Arc::new(Mutex::new(statuses));
    let store = Arc::clone(&got);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let store = Arc::clone(&store);
            let answers = Arc::clone(&answers);
            async move {
                store.lock().unwrap().push((headers, body));
                let mut answers = answers.lock().unwrap();
                let status = if answers.is_empty() {
                    200
                } else {
                    answers.remove(0)
                };
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

async fn wait_for(deliveries: &Deliveries, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while deliveries.lock().unwrap().len() < n {
        assert!(Instant::now() < deadline, "no webhook arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let id = headers["webhook-id"].to_str().unwrap();
    let ts = headers["webhook-timestamp"].to_str().unwrap();
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    headers["webhook-signature"]
        .to_str()
        .unwrap()
        .split(' ')
        .any(|s| s == expected)
}

#[tokio::test]
async fn webhooks_are_signed_filtered_and_retried() {
    let server = FakeReplicate::start().await;
    let secret = server.webhook_secret();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(
        STANDARD.decode(&secret["whsec_".len()..]).unwrap().len(),
        24
    );
    let (_, key) = get(&server, "/v1/webhooks/default/secret").await;
    assert_eq!(key["key"], secret);

    // Delivered on the terminal GET, once, with a valid signature.
    let (url, got) = webhook_receiver(vec![]).await;
    let (_, created) = post(
        &server,
        "/v1/predictions",
        json!({"version": "v", "input": {"fake_steps": 1}, "webhook": url}),
    )
    .await;
    let id = id_of(&created);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(got.lock().unwrap().is_empty());
    get(&server, &format!("/v1/predictions/{id}")).await;
    wait_for(&got, 1).await;
    {
        let got = got.lock().unwrap();
        let (headers, body) = &got[0];
        assert!(headers["webhook-id"].to_str().unwrap().starts_with("msg_"));
        assert!(verify(&secret, headers, body));
        assert!(!verify("whsec_AAAA", headers, body));
        let payload: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(payload["id"], id.as_str());
        assert_eq!(payload["status"], "succeeded");
    }

    // A filter without "completed" delivers nothing; fake_steps 0 delivers at creation.
    let (url2, got2) = webhook_receiver(vec![]).await;
    post(
        &server,
        "/v1/predictions",
        json!({"version": "v", "input": {"fake_steps": 0}, "webhook": url2,
               "webhook_events_filter": ["start", "output"]}),
    )
    .await;
    post(
        &server,
        "/v1/predictions",
        json!({"version": "v", "input": {"fake_steps": 0, "fake_outcome": "failed"},
               "webhook": url2, "webhook_events_filter": ["completed"]}),
    )
    .await;
    wait_for(&got2, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    {
        let got2 = got2.lock().unwrap();
        assert_eq!(got2.len(), 1);
        let payload: Value = serde_json::from_slice(&got2[0].1).unwrap();
        assert_eq!(payload["status"], "failed");
    }

    // A non-2xx answer is retried once, with the same message id.
    let (url3, got3) = webhook_receiver(vec![500, 500]).await;
    let (_, created) = post(
        &server,
        "/v1/predictions",
        json!({"version": "v", "input": {"fake_steps": 5}, "webhook": url3}),
    )
    .await;
    post(
        &server,
        &format!("/v1/predictions/{}/cancel", id_of(&created)),
        json!({}),
    )
    .await;
    wait_for(&got3, 2).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    let got3 = got3.lock().unwrap();
    assert_eq!(got3.len(), 2);
    assert_eq!(got3[0].0["webhook-id"], got3[1].0["webhook-id"]);
    assert!(verify(&secret, &got3[1].0, &got3[1].1));
}

#[tokio::test]
async fn query_models() {
    let server = FakeReplicate::start().await;
    let query = reqwest::Method::from_bytes(b"QUERY").unwrap();
    let resp = client()
        .request(query.clone(), server.url("/v1/models"))
        .header("authorization", AUTH)
        .header("content-type", "text/plain")
        .body("flux")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    assert!(body["next"].is_null());
    let resp = client()
        .request(query, server.url("/v1/models"))
        .header("authorization", AUTH)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["results"], json!([]));
    assert_eq!(server.count("QUERY", "/v1/models"), 2);
}

#[tokio::test]
async fn files_upload_and_download_roundtrip() {
    let server = FakeReplicate::start().await;
    let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let form = reqwest::multipart::Form::new()
        .part(
            "content",
            reqwest::multipart::Part::bytes(data.clone())
                .file_name("pic.png")
                .mime_str("image/png")
                .unwrap(),
        )
        .text("metadata", r#"{"purpose":"test"}"#);
    let resp = client()
        .post(server.url("/v1/files"))
        .header("authorization", AUTH)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let file: Value = resp.json().await.unwrap();
    assert_eq!(file["name"], "pic.png");
    assert_eq!(file["content_type"], "image/png");
    assert_eq!(file["size"], 5000);
    assert_eq!(file["metadata"]["purpose"], "test");
    let digest: String = <Sha256 as sha2::Digest>::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(file["checksums"]["sha256"], digest);
    let id = id_of(&file);
    assert_eq!(file["urls"]["get"], server.url(&format!("/v1/files/{id}")));

    let (status, fetched) = get(&server, &format!("/v1/files/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(fetched, file);
    let (_, list) = get(&server, "/v1/files").await;
    assert_eq!(list["results"][0]["id"], id.as_str());

    let resp = client()
        .get(server.url(&format!("/v1/files/{id}/download")))
        .header("authorization", AUTH)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), data.as_slice());

    let unauthenticated = client()
        .get(server.url(&format!("/v1/files/{id}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);

    let resp = client()
        .delete(server.url(&format!("/v1/files/{id}")))
        .header("authorization", AUTH)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let (status, body) = get(&server, &format!("/v1/files/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(body["status"], 404);

    // Explicit filename and type parts win.
    let form = reqwest::multipart::Form::new()
        .part("content", reqwest::multipart::Part::bytes(b"hi".to_vec()))
        .text("filename", "notes.txt")
        .text("type", "text/plain");
    let file: Value = client()
        .post(server.url("/v1/files"))
        .header("authorization", AUTH)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(file["name"], "notes.txt");
    assert_eq!(file["content_type"], "text/plain");
    assert_eq!(file["metadata"], json!({}));
}

#[tokio::test]
async fn fake_output_is_deterministic() {
    let server = FakeReplicate::start().await;
    let resp = client()
        .get(server.url("/fake-output/abc.bin"))
        .header("authorization", AUTH)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/octet-stream");
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(bytes.len(), 1000);
    assert!(bytes.starts_with(b"abc.binabc.bin"));
    // Output files are served like a file store: no token needed (none is sent to them).
    let resp = client()
        .get(server.url("/fake-output/abc.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn trainings_follow_the_same_lifecycle() {
    let server = FakeReplicate::start().await;
    let (status, created) = post(
        &server,
        "/v1/models/acme/base/versions/abc123/trainings",
        json!({"destination": "acme/tuned", "input": {"fake_steps": 2}}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(created["status"], "starting");
    assert_eq!(created["model"], "acme/base");
    assert_eq!(created["version"], "abc123");
    let id = id_of(&created);
    assert_eq!(
        created["urls"]["get"],
        server.url(&format!("/v1/trainings/{id}"))
    );
    let path = format!("/v1/trainings/{id}");
    assert_eq!(get(&server, &path).await.1["status"], "processing");
    assert_eq!(get(&server, &path).await.1["status"], "succeeded");

    let (_, other) = post(
        &server,
        "/v1/models/acme/base/versions/abc123/trainings",
        json!({"destination": "acme/tuned", "input": {}}),
    )
    .await;
    let (_, canceled) = post(
        &server,
        &format!("/v1/trainings/{}/cancel", id_of(&other)),
        json!({}),
    )
    .await;
    assert_eq!(canceled["status"], "canceled");

    let (status, _) = post(
        &server,
        "/v1/models/acme/base/versions/abc123/trainings",
        json!({"input": {}}),
    )
    .await;
    assert_eq!(status, 422);

    server.set_page_size(1);
    let (_, page) = get(&server, "/v1/trainings").await;
    assert_eq!(page["results"][0]["id"], id_of(&other).as_str());
    let next = page["next"].as_str().unwrap().to_string();
    let resp = client()
        .get(next)
        .header("authorization", AUTH)
        .send()
        .await
        .unwrap();
    let page: Value = resp.json().await.unwrap();
    assert_eq!(page["results"][0]["id"], id.as_str());
    assert!(page["next"].is_null());
}

#[tokio::test]
async fn server_shuts_down_on_drop() {
    let server = FakeReplicate::start().await;
    let url = server.url("/v1/account");
    assert!(server.base_url().ends_with("/v1"));
    drop(server);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let result = replicate_runtime::tls::reqwest_builder(&[])
        .unwrap()
        .build()
        .unwrap()
        .get(url)
        .header("authorization", AUTH)
        .send()
        .await;
    assert!(result.is_err());
}
