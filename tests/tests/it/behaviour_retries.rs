//! Retries against the fake server, asserting on the wire: how many attempts were sent, and
//! that a create is never sent twice when the server may have started it.

use replicate_fake::FakeReplicate;
use replicate_typed::{types, Client, Error, RetryPolicy};

/// The shared fake-server client, with a request timeout so a fault cannot hang a test.
fn client(server: &FakeReplicate) -> Client {
    replicate_e2e::client_builder(server)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}
use std::time::{Duration, Instant};

fn create_body() -> types::VersionPredictionRequest {
    let mut input = serde_json::Map::new();
    input.insert("prompt".into(), "hi".into());
    types::VersionPredictionRequest::new(input, "v1")
}

async fn seeded(server: &FakeReplicate) -> String {
    server.seed_predictions(1);
    "seed-0000".to_string()
}

#[tokio::test]
async fn get_is_retried_through_a_5xx_burst() {
    let server = FakeReplicate::start().await;
    let id = seeded(&server).await;
    server.faults().fail_next(2, 503, None);
    let prediction = client(&server).predictions().get(&id).await.unwrap();
    assert_eq!(prediction.id, id);
    assert_eq!(
        server.count("GET", &format!("/v1/predictions/{id}")),
        3,
        "two failures, then success"
    );
}

#[tokio::test]
async fn retries_give_up_after_the_budget() {
    let server = FakeReplicate::start().await;
    let id = seeded(&server).await;
    server.faults().fail_next(10, 502, None);
    let err = client(&server).predictions().get(&id).await.unwrap_err();
    assert_eq!(err.status(), Some(502), "{err}");
    assert!(err.is_retryable());
    assert_eq!(
        server.count("GET", &format!("/v1/predictions/{id}")),
        4,
        "1 attempt + 3 retries"
    );
}

#[tokio::test]
async fn a_create_is_never_sent_twice_after_a_5xx() {
    let server = FakeReplicate::start().await;
    server.faults().fail_next(1, 503, None);
    let err = client(&server)
        .predictions()
        .create(create_body())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        server.count("POST", "/v1/predictions"),
        1,
        "no retry: the server may have started it"
    );
}

#[tokio::test]
async fn a_create_is_never_sent_twice_after_a_reset_connection() {
    let server = FakeReplicate::start().await;
    server.faults().reset_next(1);
    let err = client(&server)
        .predictions()
        .create(create_body())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { connect: false, .. }),
        "{err:?}"
    );
    assert_eq!(server.count("POST", "/v1/predictions"), 1);
}

#[tokio::test]
async fn a_create_is_retried_after_429_honouring_retry_after() {
    let server = FakeReplicate::start().await;
    server.faults().fail_next(1, 429, Some("1"));
    let start = Instant::now();
    let created = client(&server)
        .predictions()
        .create(create_body())
        .await
        .unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After"
    );
    assert_eq!(created.status(), 201);
    let posts: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 2, "rejected once with 429, then created");
    assert_eq!(posts[0].body, posts[1].body, "the same body is sent again");
    assert_eq!(server.count("GET", "/v1/predictions"), 0);
}

#[tokio::test]
async fn retry_after_as_an_http_date() {
    let server = FakeReplicate::start().await;
    let id = seeded(&server).await;
    let date = httpdate_in(Duration::from_secs(1));
    server.faults().fail_next(1, 429, Some(&date));
    client(&server).predictions().get(&id).await.unwrap();
    assert_eq!(server.count("GET", &format!("/v1/predictions/{id}")), 2);
}

fn httpdate_in(d: Duration) -> String {
    // Formatted by hand to keep the test free of extra crates: IMF-fixdate.
    let t = std::time::SystemTime::now() + d;
    let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let (days, rem) = (secs / 86400, secs % 86400);
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month - 1) as usize];
    format!("{weekday}, {day:02} {mon} {year} {h:02}:{m:02}:{s:02} GMT")
}

#[tokio::test]
async fn reset_and_truncated_reads_are_retried_for_gets() {
    let server = FakeReplicate::start().await;
    let id = seeded(&server).await;
    server.faults().reset_next(1);
    server.faults().truncate_next(1);
    let prediction = client(&server).predictions().get(&id).await.unwrap();
    assert_eq!(prediction.id, id);
    assert_eq!(server.count("GET", &format!("/v1/predictions/{id}")), 3);
}

#[tokio::test]
async fn slow_responses_time_out_and_gets_retry() {
    let server = FakeReplicate::start().await;
    let id = seeded(&server).await;
    let c = Client::builder()
        .token("r8_test")
        .base_url(server.base_url())
        .timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy {
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    server.faults().slow_next(1, Duration::from_secs(2));
    c.predictions().get(&id).await.unwrap();
    assert_eq!(server.count("GET", &format!("/v1/predictions/{id}")), 2);

    server.faults().slow_next(1, Duration::from_secs(2));
    let err = c.predictions().create(create_body()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                operation: "predictions.create"
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        server.count("POST", "/v1/predictions"),
        1,
        "a timed-out create is not retried"
    );
}

#[tokio::test]
async fn invalid_json_is_a_decode_error_with_a_path() {
    let server = FakeReplicate::start().await;
    let id = seeded(&server).await;
    server.faults().invalid_json_next(1);
    let err = client(&server).predictions().get(&id).await.unwrap_err();
    match err {
        Error::Decode {
            operation,
            path,
            message,
            content_type,
            snippet,
        } => {
            assert_eq!(operation, "predictions.get");
            assert!(!message.is_empty());
            assert!(!path.is_empty());
            assert_eq!(content_type.as_deref(), Some("application/json"));
            assert_eq!(snippet.as_deref(), Some(r#"{"id": "broken", "#));
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn decode_errors_name_the_bad_field() {
    // A field of the wrong type deep in the body: the error says where.
    let raw = replicate_typed::runtime::RawResponse::new(
        "predictions.get",
        200,
        Default::default(),
        br#"{"id":"p","status":"starting","created_at":"x","data_removed":false,"input":{},"model":"m","output":null,"urls":{"cancel":"c","get":"g","web":"w"},"version":"v","metrics":{"total_time":"slow"}}"#.to_vec().into(),
    );
    let err = raw.json::<types::PredictionResponse>().unwrap_err();
    match err {
        Error::Decode { path, .. } => assert_eq!(path, "metrics.total_time"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn api_errors_carry_status_problem_and_body_but_never_the_token() {
    let server = FakeReplicate::start().await;
    let err = client(&server).predictions().get("nope").await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 404);
    assert!(api.title.is_some() || api.detail.is_some(), "{api:?}");
    assert!(!format!("{err} {err:?}").contains("r8_test"));
    let request = &server.requests()[0];
    assert_eq!(request.header("authorization"), Some("Bearer r8_test"));
}
