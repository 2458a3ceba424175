//! The Rust measurements: this crate's client and the raw-reqwest floor, driven by the same
//! loop, plus the event-stream throughput of `stream_events`.
//!
//! Every response is checked (decoded, `status == succeeded`); failures are counted, never
//! timed as successes.

use crate::server::PREDICTION_ID;
use futures::{StreamExt, TryStreamExt};
use replicate_typed::types::{PredictionResponse, PredictionResponseStatus};
use replicate_typed::{Client, StreamEvent};
use std::future::Future;
use std::time::{Duration, Instant};

/// One timed run of one configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// Timed calls made (warm-up excluded).
    pub calls: u64,
    /// Failed calls, warm-up included.
    pub errors: u64,
    /// Wall time of the timed calls.
    pub seconds: f64,
    /// The first failure, for the report.
    pub first_error: Option<String>,
    /// Stopped by the time limit before all calls were made.
    pub truncated: bool,
}

impl Sample {
    /// Requests per second.
    pub fn rps(&self) -> f64 {
        if self.seconds > 0.0 {
            self.calls as f64 / self.seconds
        } else {
            0.0
        }
    }

    fn record(&mut self, result: Result<(), String>) {
        if let Err(e) = result {
            self.errors += 1;
            self.first_error.get_or_insert(e);
        }
    }
}

/// Checks one decoded prediction.
pub fn check(prediction: &PredictionResponse) -> Result<(), String> {
    if prediction.status == PredictionResponseStatus::Succeeded && prediction.id == PREDICTION_ID {
        Ok(())
    } else {
        Err(format!(
            "unexpected prediction: status={} id={}",
            prediction.status, prediction.id
        ))
    }
}

/// Makes `concurrency` warm-up calls (not timed), then `calls` timed calls with at most
/// `concurrency` in flight (a plain loop when 1), stopping early at `limit`.
pub async fn drive<F, Fut>(calls: u64, concurrency: usize, limit: Duration, call: F) -> Sample
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut sample = Sample::default();
    let concurrency = concurrency.max(1);
    let warm: Vec<_> = futures::stream::iter(0..concurrency)
        .map(|_| call())
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for result in warm {
        sample.record(result);
    }
    let start = Instant::now();
    let deadline = start + limit;
    let timed = async {
        if concurrency == 1 {
            for _ in 0..calls {
                if Instant::now() >= deadline {
                    break;
                }
                let result = call().await;
                sample.calls += 1;
                sample.record(result);
            }
        } else {
            let mut results = futures::stream::iter(0..calls)
                .take_while(|_| futures::future::ready(Instant::now() < deadline))
                .map(|_| call())
                .buffer_unordered(concurrency);
            while let Some(result) = results.next().await {
                sample.calls += 1;
                sample.record(result);
            }
        }
    };
    // A hung request cannot hold the run past the limit (plus a grace period).
    let finished = tokio::time::timeout(limit + Duration::from_secs(10), timed)
        .await
        .is_ok();
    sample.seconds = start.elapsed().as_secs_f64();
    if !finished {
        sample.record(Err("requests still hung after the time limit".into()));
    }
    sample.truncated = sample.calls < calls;
    sample
}

/// This crate's client, configured as a user would, pointed at `origin`/v1.
pub fn our_client(origin: &str, token: &str) -> Client {
    Client::builder()
        .token(token)
        .base_url(format!("{origin}/v1"))
        .build()
        .expect("a client with an http:// base URL builds")
}

/// `client.predictions().get(id)`, `calls` times.
pub async fn ours(client: &Client, calls: u64, concurrency: usize, limit: Duration) -> Sample {
    drive(calls, concurrency, limit, || async {
        let prediction = client
            .predictions()
            .get(PREDICTION_ID)
            .await
            .map_err(|e| e.to_string())?;
        check(&prediction)
    })
    .await
}

/// The floor: one `reqwest::Client`, `get().bearer_auth().send()`, `bytes()`,
/// `serde_json::from_slice` into the same type.
pub async fn raw(
    http: &reqwest::Client,
    origin: &str,
    token: &str,
    calls: u64,
    concurrency: usize,
    limit: Duration,
) -> Sample {
    let url = format!("{origin}/v1/predictions/{PREDICTION_ID}");
    let url = url.as_str();
    drive(calls, concurrency, limit, || async move {
        let response = http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)));
        }
        let prediction: PredictionResponse =
            serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        check(&prediction)
    })
    .await
}

/// One pass over the event stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SseSample {
    /// `output` events received.
    pub events: u64,
    /// Bytes of the stream's body.
    pub bytes: u64,
    /// Wall time from the request to `done`.
    pub seconds: f64,
    /// 0 or 1: the stream failed, ended without `done`, or lost events.
    pub errors: u64,
    /// What went wrong.
    pub first_error: Option<String>,
}

impl SseSample {
    /// Events per second.
    pub fn events_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.events as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Megabytes (10^6) per second.
    pub fn mb_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.bytes as f64 / 1e6 / self.seconds
        } else {
            0.0
        }
    }
}

/// Consumes `GET origin/v1/stream?events=n` through `client.stream_events`.
pub async fn sse(client: &Client, origin: &str, events: usize, limit: Duration) -> SseSample {
    let url = format!("{origin}/v1/stream?events={events}");
    let bytes = crate::server::sse_body(events).len() as u64;
    let start = Instant::now();
    let run = async {
        let mut stream = client.stream_events(url, Default::default());
        let (mut outputs, mut text_bytes, mut done) = (0u64, 0u64, false);
        while let Some(event) = stream.try_next().await.map_err(|e| e.to_string())? {
            match event {
                StreamEvent::Output(text) => {
                    outputs += 1;
                    text_bytes += text.len() as u64;
                }
                StreamEvent::Done { .. } => done = true,
                other => return Err(format!("unexpected event {other:?}")),
            }
        }
        if !done {
            return Err("the stream ended without `done`".into());
        }
        std::hint::black_box(text_bytes);
        Ok(outputs)
    };
    let result = tokio::time::timeout(limit, run).await;
    let seconds = start.elapsed().as_secs_f64();
    let (outputs, error) = match result {
        Ok(Ok(n)) if n == events as u64 => (n, None),
        Ok(Ok(n)) => (n, Some(format!("received {n} of {events} events"))),
        Ok(Err(e)) => (0, Some(e)),
        Err(_) => (0, Some(format!("the stream took longer than {limit:?}"))),
    };
    SseSample {
        events: outputs,
        bytes,
        seconds,
        errors: u64::from(error.is_some()),
        first_error: error,
    }
}
