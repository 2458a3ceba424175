//! `GET /v1/fake-stream/{id}`: a scripted `text/event-stream` of a prediction's output.

use super::routes::problem;
use super::state::{is_terminal, Kind, Shared};
use super::webhook;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use bytes::Bytes;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// One event before numbering.
struct Event {
    kind: &'static str,
    data: String,
}

/// `event:`, `id:` and one `data:` line per line of `data`, then a blank line.
fn format_event(kind: &str, id: usize, data: &str) -> String {
    let mut out = format!("event: {kind}\nid: {id}\n");
    for line in data.split('\n') {
        out.push_str("data: ");
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
        out.push('\n');
    }
    out.push('\n');
    out
}

fn strings(value: &Value) -> Option<Vec<String>> {
    value.as_array().map(|items| {
        items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    })
}

/// The whole script for a prediction whose input is `input` and whose final status is `outcome`.
fn script(input: &Value, outcome: &str, chunks: Option<&Vec<String>>) -> Vec<Event> {
    let outputs = chunks
        .cloned()
        .or_else(|| strings(&input["fake_stream"]))
        .unwrap_or_else(|| vec!["ok".into()]);
    let logs = strings(&input["fake_stream_logs"]).unwrap_or_default();
    let mut events = Vec::new();
    for i in 0..outputs.len().max(logs.len()) {
        if let Some(line) = logs.get(i) {
            events.push(Event {
                kind: "logs",
                data: line.clone(),
            });
        }
        if let Some(text) = outputs.get(i) {
            events.push(Event {
                kind: "output",
                data: text.clone(),
            });
        }
    }
    if outcome == "failed" {
        events.push(Event {
            kind: "error",
            data: r#"{"detail":"fake failure"}"#.into(),
        });
    }
    events.push(Event {
        kind: "done",
        data: if outcome == "canceled" {
            r#"{"reason":"canceled"}"#.into()
        } else {
            "{}".into()
        },
    });
    events
}

/// Streams the prediction's scripted events; honours `Last-Event-ID`, the
/// `fake_stream_delay_ms` input and a pending [`super::Faults::drop_stream_after`]. Reaching
/// `done` moves the prediction to its scripted outcome.
pub(crate) async fn stream(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response<Body> {
    let (input, outcome, chunks) = {
        let mut state = shared.state();
        let Some(job) = state.job_mut(Kind::Prediction, &id) else {
            return problem(
                StatusCode::NOT_FOUND,
                "Not found",
                "no such prediction to stream",
            );
        };
        let outcome = if job.is_terminal() {
            job.status().to_string()
        } else {
            job.outcome.clone()
        };
        (
            job.json["input"].clone(),
            outcome,
            job.scripted.stream.clone(),
        )
    };
    let after: usize = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let delay = Duration::from_millis(input["fake_stream_delay_ms"].as_u64().unwrap_or(0));
    let cut = shared.faults.take_stream_cut();

    let events: Vec<(usize, Event)> = script(&input, &outcome, chunks.as_ref())
        .into_iter()
        .enumerate()
        .map(|(i, e)| (i + 1, e))
        .filter(|(n, _)| *n > after)
        .collect();

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let producer_shared = Arc::clone(&shared);
    tokio::spawn(async move {
        for (sent, (n, event)) in events.into_iter().enumerate() {
            if cut.is_some_and(|k| sent >= k) || (cut.is_some() && event.kind == "done") {
                break;
            }
            if sent > 0 && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if event.kind == "done" {
                finish(&producer_shared, &id, &outcome);
            }
            let text = format_event(event.kind, n, &event.data);
            if tx.send(Ok(Bytes::from(text))).await.is_err() {
                return;
            }
        }
        if cut.is_some() {
            // Let hyper flush what was sent, then cut the connection mid-body.
            tokio::time::sleep(Duration::from_millis(30)).await;
            let _ = tx.send(Err(std::io::Error::other("fake stream cut"))).await;
        }
    });
    let body = Body::from_stream(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Moves a streamed prediction to `outcome` (when terminal) and fires its webhook.
fn finish(shared: &Arc<Shared>, id: &str, outcome: &str) {
    if !is_terminal(outcome) {
        return;
    }
    let delivery = shared
        .state()
        .job_mut(Kind::Prediction, id)
        .and_then(|job| job.finish(outcome));
    webhook::deliver_all(shared, delivery);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_data_is_split() {
        assert_eq!(
            format_event("output", 3, "a\nb"),
            "event: output\nid: 3\ndata: a\ndata: b\n\n"
        );
    }

    #[test]
    fn script_interleaves_logs_first() {
        let input = serde_json::json!({"fake_stream": ["x", "y"], "fake_stream_logs": ["l1"]});
        let kinds: Vec<_> = script(&input, "failed", None)
            .iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["logs", "output", "output", "error", "done"]);
    }
}
