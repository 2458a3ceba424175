//! The faults section: figures of the hardened runtime, reported by the benchmark rather than
//! asserted by timed tests.
//!
//! - A throttled batch: [`BATCH_CALLS`] GETs all in flight at once through one client, with
//!   30% of the server's answers a `429` without `Retry-After`, under the default retry budget
//!   and under the old one (429s sharing the 3 general retries).
//! - The time to receive one large server-sent event, 1 MiB and 16 MiB: linear parsing gives
//!   a ratio of about 16, quadratic about 256.
//! - The cost of verifying a webhook whose `webhook-signature` carries [`FORGED_SIGNATURES`]
//!   forged entries, against one with a single valid signature.

use crate::measure::{check, our_client};
use crate::report::median;
use crate::server::{PREDICTION_ID, TOKEN};
use base64::Engine;
use futures::{StreamExt, TryStreamExt};
use replicate_typed::runtime::RequestSpec;
use replicate_typed::types::PredictionResponse;
use replicate_typed::{
    Client, RetryPolicy, StreamEvent, StreamOptions, WebhookHeaders, WebhookVerifier,
};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// GETs of one throttled batch, all in flight at once.
pub const BATCH_CALLS: usize = 500;
/// The throttled retry budget before the fix (429s shared the 3 general retries).
pub const OLD_THROTTLED_RETRIES: u32 = 3;
/// Forged entries of the webhook signature header.
pub const FORGED_SIGNATURES: usize = 1000;
/// Size of the webhook body.
pub const WEBHOOK_BODY: usize = 5_000_000;
const MIB: usize = 1024 * 1024;
/// Timed runs of each event size; the median is reported.
const EVENT_RUNS: usize = 3;
/// Timed runs of each webhook verification; the median is reported.
const VERIFY_RUNS: usize = 5;

/// What the section printed and what went wrong.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    /// The lines to print.
    pub lines: Vec<String>,
    /// Failures that fail the bench.
    pub failures: Vec<String>,
}

impl Section {
    fn append(&mut self, other: Section) {
        self.lines.extend(other.lines);
        self.failures.extend(other.failures);
    }
}

/// One throttled batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// Calls that returned the prediction.
    pub ok: u64,
    /// Calls that failed.
    pub failed: u64,
    /// Requests the server received (first attempts and retries).
    pub requests: u64,
    /// Wall time of the batch.
    pub seconds: f64,
    /// The first failure.
    pub first_error: Option<String>,
}

/// The default retry policy with short backoffs (10 ms initial, 200 ms at most), to keep the
/// run short.
pub fn batch_policy() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(200),
        ..RetryPolicy::default()
    }
}

/// Requests `GET /v1/throttled/predictions/{id}` has received so far.
async fn throttled_count(http: &reqwest::Client, origin: &str) -> Result<u64, String> {
    let text = http
        .get(format!("{origin}/v1/throttled/count"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("cannot read the request count: {e}"))?
        .text()
        .await
        .map_err(|e| format!("cannot read the request count: {e}"))?;
    text.trim()
        .parse()
        .map_err(|_| format!("the request count is not a number: {text:?}"))
}

/// One throttled GET through the client's retry loop, checked.
async fn get_throttled(client: &Client) -> Result<(), String> {
    let path = format!("/throttled/predictions/{PREDICTION_ID}");
    let response = client
        .execute(RequestSpec::new("GET", path, "predictions.get"))
        .await
        .map_err(|e| e.to_string())?;
    let prediction: PredictionResponse = response.json().map_err(|e| e.to_string())?;
    check(&prediction)
}

/// `calls` GETs of the throttled route, all in flight at once, through one client with
/// `policy`; Err when the batch could not be measured.
pub async fn throttled_batch(
    origin: &str,
    policy: RetryPolicy,
    calls: usize,
    limit: Duration,
) -> Result<Batch, String> {
    let client = Client::builder()
        .token(TOKEN)
        .base_url(format!("{origin}/v1"))
        .retry_policy(policy)
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))?;
    let http = replicate_typed::tls::reqwest_builder(&[])
        .unwrap()
        .build()
        .unwrap();
    let before = throttled_count(&http, origin).await?;
    let start = Instant::now();
    let run = futures::stream::iter(0..calls)
        .map(|_| get_throttled(&client))
        .buffer_unordered(calls.max(1))
        .collect::<Vec<_>>();
    let results = tokio::time::timeout(limit, run)
        .await
        .map_err(|_| format!("the batch took longer than {limit:?}"))?;
    let seconds = start.elapsed().as_secs_f64();
    let after = throttled_count(&http, origin).await?;
    let mut batch = Batch {
        requests: after.saturating_sub(before),
        seconds,
        ..Batch::default()
    };
    for result in results {
        match result {
            Ok(()) => batch.ok += 1,
            Err(e) => {
                batch.failed += 1;
                batch.first_error.get_or_insert(e);
            }
        }
    }
    Ok(batch)
}

/// An event, briefly (never a whole large output).
fn describe(event: &StreamEvent) -> String {
    match event {
        StreamEvent::Output(text) => format!("an output event of {} bytes", text.len()),
        other => format!("{other:?}"),
    }
}

/// Seconds from the request to the whole `output` event of `GET /v1/big-event?bytes=N`,
/// through `client.stream_events`.
pub async fn big_event(
    client: &Client,
    origin: &str,
    bytes: usize,
    limit: Duration,
) -> Result<f64, String> {
    let url = format!("{origin}/v1/big-event?bytes={bytes}");
    let start = Instant::now();
    let run = async {
        let mut stream = client.stream_events(url, StreamOptions::default());
        let mut received = None;
        while let Some(event) = stream.try_next().await.map_err(|e| e.to_string())? {
            match event {
                StreamEvent::Output(text) if text.len() == bytes && received.is_none() => {
                    received = Some(start.elapsed().as_secs_f64());
                }
                StreamEvent::Done { .. } => {
                    return received.ok_or_else(|| "`done` came before the output".to_string());
                }
                other => return Err(format!("unexpected {}", describe(&other))),
            }
        }
        Err("the stream ended without `done`".to_string())
    };
    tokio::time::timeout(limit, run)
        .await
        .map_err(|_| format!("the stream took longer than {limit:?}"))?
}

/// The median of `runs` timings of `big_event`.
async fn big_event_median(
    client: &Client,
    origin: &str,
    bytes: usize,
    runs: usize,
    limit: Duration,
) -> Result<f64, String> {
    let mut seconds = Vec::with_capacity(runs);
    for _ in 0..runs {
        seconds.push(big_event(client, origin, bytes, limit).await?);
    }
    Ok(median(&seconds))
}

/// The median seconds of `runs` calls of `verify_at`, which must succeed iff `valid`.
fn time_verify(
    verifier: &WebhookVerifier,
    headers: WebhookHeaders<'_>,
    body: &[u8],
    now: SystemTime,
    valid: bool,
    runs: usize,
) -> Result<f64, String> {
    let mut seconds = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let result = verifier.verify_at(headers, body, now);
        seconds.push(start.elapsed().as_secs_f64());
        match (result, valid) {
            (Ok(()), true) | (Err(_), false) => {}
            (Ok(()), false) => return Err("a forged signature was accepted".into()),
            (Err(e), true) => return Err(format!("a valid signature was rejected: {e}")),
        }
    }
    Ok(median(&seconds))
}

/// Median seconds of verifying a `body_len`-byte webhook whose signature header has `forged`
/// forged entries and nothing valid, and of one with a single valid signature.
pub fn webhook_verify(forged: usize, body_len: usize, runs: usize) -> Result<(f64, f64), String> {
    let mut rng = fastrand::Rng::with_seed(0x5EED_F0E6);
    let random = |rng: &mut fastrand::Rng, n: usize| -> String {
        let bytes: Vec<u8> = std::iter::repeat_with(|| rng.u8(..)).take(n).collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    let secret = format!("whsec_{}", random(&mut rng, 24));
    let verifier = WebhookVerifier::new(&secret).map_err(|e| format!("bad secret: {e}"))?;
    let body = vec![b'x'; body_len];
    let now = SystemTime::now();
    let timestamp = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let (id, ts) = ("msg_bench", timestamp.to_string());
    let forged_header = (0..forged)
        .map(|_| format!("v1,{}", random(&mut rng, 32)))
        .collect::<Vec<_>>()
        .join(" ");
    let valid_header = verifier.sign(id, timestamp, &body);
    let headers = |signature| WebhookHeaders {
        id,
        timestamp: &ts,
        signature,
    };
    let forged_s = time_verify(&verifier, headers(&forged_header), &body, now, false, runs)?;
    let valid_s = time_verify(&verifier, headers(&valid_header), &body, now, true, runs)?;
    Ok((forged_s, valid_s))
}

/// The throttled batches' lines; a failure of the default policy fails the bench.
fn throttled_lines(runtime: &tokio::runtime::Runtime, origin: &str, limit: Duration) -> Section {
    let mut section = Section::default();
    let old = RetryPolicy {
        max_throttled_retries: OLD_THROTTLED_RETRIES,
        ..batch_policy()
    };
    let configs = [
        ("default policy".to_string(), batch_policy(), true),
        (
            format!("max_throttled_retries {OLD_THROTTLED_RETRIES} (old budget)"),
            old,
            false,
        ),
    ];
    for (name, policy, must_pass) in configs {
        let prefix = format!(
            "throttled batch ({}% 429): {BATCH_CALLS} concurrent GETs, {name}",
            crate::server::THROTTLED_PERCENT
        );
        match runtime.block_on(throttled_batch(origin, policy, BATCH_CALLS, limit)) {
            Ok(batch) => {
                section.lines.push(format!(
                    "{prefix}: {} ok, {} failed, {} requests, {:.1} s",
                    batch.ok, batch.failed, batch.requests, batch.seconds
                ));
                if must_pass && batch.failed > 0 {
                    section.failures.push(format!(
                        "throttled batch, {name}: {} failed; first: {}",
                        batch.failed,
                        batch.first_error.as_deref().unwrap_or("?")
                    ));
                }
            }
            Err(e) => {
                section.lines.push(format!("{prefix}: not measured: {e}"));
                section
                    .failures
                    .push(format!("throttled batch, {name}: {e}"));
            }
        }
    }
    section
}

/// The large-event line.
fn event_line(runtime: &tokio::runtime::Runtime, origin: &str, limit: Duration) -> Section {
    let client = our_client(origin, TOKEN);
    let timed = runtime.block_on(async {
        let small = big_event_median(&client, origin, MIB, EVENT_RUNS, limit).await?;
        let large = big_event_median(&client, origin, 16 * MIB, EVENT_RUNS, limit).await?;
        Ok::<_, String>((small, large))
    });
    let prefix = "SSE one output event, stream_events";
    match timed {
        Ok((small, large)) => Section {
            lines: vec![format!(
                "{prefix}: 1 MiB {:.1} ms, 16 MiB {:.1} ms (median of {EVENT_RUNS}); t(16)/t(1) = {:.1} (linear parsing gives about 16, quadratic about 256)",
                small * 1e3,
                large * 1e3,
                if small > 0.0 { large / small } else { 0.0 }
            )],
            failures: Vec::new(),
        },
        Err(e) => Section {
            lines: vec![format!("{prefix}: not measured: {e}")],
            failures: vec![format!("large SSE event: {e}")],
        },
    }
}

/// The webhook line.
fn webhook_line() -> Section {
    let prefix = format!(
        "webhook verify_at, {:.0} MB body",
        WEBHOOK_BODY as f64 / 1e6
    );
    match webhook_verify(FORGED_SIGNATURES, WEBHOOK_BODY, VERIFY_RUNS) {
        Ok((forged, valid)) => Section {
            lines: vec![format!(
                "{prefix}: {FORGED_SIGNATURES} forged signatures {:.2} ms, 1 valid signature {:.2} ms (median of {VERIFY_RUNS}); ratio {:.2} (the MAC is computed once, so about 1)",
                forged * 1e3,
                valid * 1e3,
                if valid > 0.0 { forged / valid } else { 0.0 }
            )],
            failures: Vec::new(),
        },
        Err(e) => Section {
            lines: vec![format!("{prefix}: not measured: {e}")],
            failures: vec![format!("webhook verification: {e}")],
        },
    }
}

/// Measures the whole section against the fake server at `origin`.
pub fn run(runtime: &tokio::runtime::Runtime, origin: &str, limit: Duration) -> Section {
    let mut section = Section::default();
    eprintln!("bench: faults: throttled batches");
    section.append(throttled_lines(runtime, origin, limit));
    eprintln!("bench: faults: one large event");
    section.append(event_line(runtime, origin, limit));
    eprintln!("bench: faults: webhook verification");
    section.append(webhook_line());
    section
}
