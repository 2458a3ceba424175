//! Server-sent events of a running prediction (`urls.stream`): typed `output`, `logs`,
//! `error` and `done` events, resumed with `Last-Event-ID` after a dropped connection so that
//! no event is lost or repeated.
//!
//! Every wait is bounded: the response head and every gap between bytes (keep-alive comments
//! count) by `idle_timeout`, the server's `retry:` by `max_reconnect_delay`, one event's size
//! by `max_event_size`.

use crate::predictions::{CreateOptions, ModelRef};
use crate::runtime::RequestSpec;
use crate::sse::{SseEvent, SseItem, SseParser};
use crate::Client;
use crate::{ApiError, Error};
use futures_util::{Stream, StreamExt};
use std::collections::HashSet;
use std::pin::Pin;
use std::time::Duration;

/// One event of a prediction's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// A piece of output (text for language models, a URL for file outputs).
    Output(String),
    /// Log lines.
    Logs(String),
    /// The prediction failed; the text is the error detail.
    Error(String),
    /// The stream is complete; `reason` is set when it ended early (`canceled`).
    Done {
        /// Why it ended, when not a plain success.
        reason: Option<String>,
    },
    /// An event type this client does not know yet.
    Other {
        /// The event type.
        event: String,
        /// Its data.
        data: String,
    },
}

/// How patient a stream is.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// Reconnect when the response head, or any byte of the body, takes longer than this.
    pub idle_timeout: Duration,
    /// Reconnects in a row without receiving an event before giving up.
    pub max_reconnects: u32,
    /// Wait before reconnecting (unless the server sent `retry:`).
    pub reconnect_delay: Duration,
    /// Upper bound of the server's `retry:` delay.
    pub max_reconnect_delay: Duration,
    /// Largest event accepted (bytes); a larger one ends the stream with [`Error::TooLarge`].
    pub max_event_size: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            idle_timeout: Duration::from_secs(90),
            max_reconnects: 5,
            reconnect_delay: Duration::from_millis(200),
            max_reconnect_delay: Duration::from_secs(30),
            max_event_size: 64 * 1024 * 1024,
        }
    }
}

/// A stream of events; ends after `done`.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, Error>> + Send>>;

fn parse_event(event: &str, data: String) -> StreamEvent {
    match event {
        "output" => StreamEvent::Output(data),
        "logs" => StreamEvent::Logs(data),
        "error" => {
            let detail = serde_json::from_str::<serde_json::Value>(&data)
                .ok()
                .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_string))
                .unwrap_or(data);
            // The server's words, shown as an error: cleaned where captured.
            StreamEvent::Error(crate::clean(&detail))
        }
        "done" => {
            let reason = serde_json::from_str::<serde_json::Value>(&data)
                .ok()
                .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_string))
                .filter(|r| !r.is_empty());
            StreamEvent::Done { reason }
        }
        other => StreamEvent::Other {
            event: other.to_string(),
            data,
        },
    }
}

/// Which events a reconnect may have replayed, so that none is delivered twice and none is
/// dropped.
///
/// An event with its own `id:` is recognised by it. One without cannot be, so after a
/// reconnect with `Last-Event-ID` the id-less events are held until the server shows where it
/// resumed: a new id means it honoured the header (the held events are new), an id already
/// seen means it is replaying from the start (the held events are old). A reconnect can also
/// repeat the id-less events that followed the last id (the "tail"); those are skipped while
/// they repeat it in order and content. For streams with no ids at all this is best effort:
/// an event equal to the next one of the tail is taken for a repeat.
#[derive(Debug, Default)]
struct Replay {
    /// Fingerprints of the ids seen (a server choosing huge ids cannot make this grow by more
    /// than a few bytes per event).
    seen: HashSet<u64>,
    /// The id sent as `Last-Event-ID` on the current connection.
    resumed_from: Option<u64>,
    phase: Phase,
    /// Id-less events waiting for the server to show where it resumed.
    held: Vec<SseEvent>,
    /// Fingerprints of the id-less events delivered since the last event with an id.
    tail: Vec<u64>,
    /// How much of `tail` this connection has repeated so far.
    matched: usize,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Delivering (through the tail check).
    #[default]
    Live,
    /// Resumed, and no event with an id seen yet on this connection.
    Unknown,
    /// Replaying what came before the resume point (a server that ignored the header).
    BeforeResume,
}

/// Most id-less events held after a resume while the server has not yet shown where it
/// resumed. Past it they are delivered as new: memory stays bounded, and a server that replays
/// more than this many id-less events before an id can make them repeat.
const MAX_HELD: usize = 1024;

/// Most fingerprints kept of the id-less events since the last id (8 bytes each): a replay
/// repeating more than this many is not recognised past them.
const MAX_TAIL: usize = 64 * 1024;

fn fingerprint(value: &impl std::hash::Hash) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

impl Replay {
    fn reconnecting(&mut self, last_id: Option<&String>) {
        self.resumed_from = last_id.map(fingerprint);
        self.phase = if last_id.is_some() {
            Phase::Unknown
        } else {
            Phase::Live
        };
        // Held events come again on the next connection, whichever way it resumes.
        self.held.clear();
        self.matched = 0;
    }

    /// The events to deliver now, in order, after `event` arrived.
    fn accept(&mut self, event: SseEvent) -> Vec<SseEvent> {
        let own_id = event
            .id
            .as_ref()
            .filter(|id| !id.is_empty())
            .map(fingerprint);
        match own_id {
            Some(id) if self.seen.insert(id) => {
                // A new id: whatever was held came after the resume point.
                let held = std::mem::take(&mut self.held);
                let mut out: Vec<SseEvent> = held
                    .into_iter()
                    .filter_map(|e| self.through_tail(e))
                    .collect();
                self.phase = Phase::Live;
                self.tail.clear();
                self.matched = 0;
                out.push(event);
                out
            }
            Some(id) => {
                // Replayed: held events came before it. The replay reaches the resume point
                // with the id we resumed from; what follows is the tail, then new events.
                self.held.clear();
                self.phase = if self.resumed_from == Some(id) {
                    Phase::Live
                } else {
                    Phase::BeforeResume
                };
                Vec::new()
            }
            None => match self.phase {
                Phase::BeforeResume => Vec::new(),
                Phase::Unknown if event.event != "done" && self.held.len() < MAX_HELD => {
                    self.held.push(event);
                    Vec::new()
                }
                // Too many to hold: taken as new (the server is assumed to have honoured
                // `Last-Event-ID`) and delivered, the held ones first.
                Phase::Unknown if event.event != "done" => {
                    self.phase = Phase::Live;
                    let mut out: Vec<SseEvent> = std::mem::take(&mut self.held)
                        .into_iter()
                        .filter_map(|e| self.through_tail(e))
                        .collect();
                    out.extend(self.through_tail(event));
                    out
                }
                // `done` ends the stream: nothing more will tell, so deliver what is held.
                Phase::Unknown => {
                    let mut out: Vec<SseEvent> = std::mem::take(&mut self.held)
                        .into_iter()
                        .filter_map(|e| self.through_tail(e))
                        .collect();
                    out.extend(self.through_tail(event));
                    out
                }
                Phase::Live => self.through_tail(event).into_iter().collect(),
            },
        }
    }

    /// An id-less event past the resume point: skipped while it repeats the tail.
    fn through_tail(&mut self, event: SseEvent) -> Option<SseEvent> {
        let print = fingerprint(&(&event.event, &event.data));
        if self.tail.get(self.matched) == Some(&print) {
            self.matched += 1;
            return None;
        }
        // New from here on: what was not repeated will not be.
        self.tail.truncate(self.matched);
        if self.tail.len() < MAX_TAIL {
            self.tail.push(print);
        }
        self.matched = self.tail.len();
        Some(event)
    }
}

/// True unless the response says it is something other than an event stream (a missing
/// `Content-Type` is given the benefit of the doubt).
fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/event-stream"))
        })
}

/// Ties every error of a created prediction's stream to its id.
pub(crate) fn for_prediction<T: Send + 'static>(
    events: Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>,
    id: String,
) -> Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>> {
    Box::pin(events.map(move |event| event.map_err(|e| e.after_create(&id))))
}

impl Client {
    /// Follows a prediction's event stream (`prediction.urls.stream`).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_typed::Client, url: String) -> Result<(), replicate_typed::Error> {
    /// use futures::StreamExt;
    /// use replicate_typed::StreamEvent;
    /// let mut events = client.stream_events(url, Default::default());
    /// while let Some(event) = events.next().await {
    ///     if let StreamEvent::Output(text) = event? {
    ///         print!("{text}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream_events(&self, url: impl Into<String>, options: StreamOptions) -> EventStream {
        const OP: &str = "predictions.stream";
        let client = self.clone();
        let url = url.into();
        Box::pin(async_stream::try_stream! {
            let mut last_id: Option<String> = None;
            let mut replay = Replay::default();
            let mut failures: u32 = 0;
            let mut delay = options.reconnect_delay;
            // A 429's `Retry-After`, for the next reconnect only.
            let mut pause: Option<Duration> = None;
            let idle = options.idle_timeout;
            'connect: loop {
                let mut request = RequestSpec::new("GET", url.clone(), OP);
                request.accept("text/event-stream");
                request.header("Cache-Control", "no-store".into());
                request.timeout = Some(Duration::ZERO);
                // An id may hold characters no header can carry (SSE allows control
                // characters): resume without it, and let the replay check drop what repeats.
                let sendable = last_id
                    .as_ref()
                    .filter(|id| reqwest::header::HeaderValue::from_str(id).is_ok());
                if let Some(id) = sendable {
                    request.header("Last-Event-ID", id.clone());
                } else if last_id.is_some() {
                    tracing::warn!("the last event id cannot be sent as a Last-Event-ID header; resuming without it");
                }
                replay.reconnecting(sendable);
                let outcome = tokio::time::timeout(idle, client.send_once(&request, failures)).await;
                let problem = match outcome {
                    Err(_) => format!("no response head within {idle:?}"),
                    Ok(Ok(response)) if response.status().as_u16() == 204 => {
                        // The SSE rule: 204 No Content means "stop reconnecting".
                        Err(Error::Stream(
                            "the server answered 204 No Content: it asks not to reconnect, and the stream ended before `done`".into(),
                        ))?;
                        unreachable!("the error above ends the stream")
                    }
                    Ok(Ok(response)) if response.status().is_success() && !is_event_stream(&response) => {
                        // A proxy's page or a JSON answer: no reconnect will turn it into events.
                        let content_type = response
                            .headers()
                            .get(reqwest::header::CONTENT_TYPE)
                            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                        let body = client.read_body_within(OP, response, idle).await?;
                        Err(Error::Protocol {
                            operation: OP,
                            message: format!(
                                "expected text/event-stream, got {} with body {:?}",
                                content_type.as_deref().unwrap_or("no content type"),
                                crate::snippet(&body)
                            ),
                        })?;
                        unreachable!("the error above ends the stream")
                    }
                    Ok(Ok(response)) if response.status().is_success() => {
                        replicate_runtime::refuse_unknown_encoding(OP, response.headers())?;
                        let mut body = response.bytes_stream();
                        let mut parser = SseParser::new(options.max_event_size);
                        let mut items = Vec::new();
                        loop {
                            let chunk = match tokio::time::timeout(idle, body.next()).await {
                                Err(_) => break format!("nothing received for {idle:?}"),
                                Ok(None) => break "the connection ended before `done`".to_string(),
                                Ok(Some(Err(e))) => break format!("the connection broke: {e}"),
                                Ok(Some(Ok(chunk))) => chunk,
                            };
                            if parser.feed(&chunk, &mut items).is_err() {
                                Err(Error::TooLarge {
                                    operation: OP,
                                    what: "one event",
                                    limit: options.max_event_size as u64,
                                })?;
                            }
                            for item in items.drain(..) {
                                let event = match item {
                                    SseItem::Retry(ms) => {
                                        delay = Duration::from_millis(ms).min(options.max_reconnect_delay);
                                        continue;
                                    }
                                    SseItem::Event(event) => event,
                                };
                                if let Some(id) = event.id.as_ref().filter(|id| !id.is_empty()) {
                                    last_id = Some(id.clone());
                                }
                                for event in replay.accept(event) {
                                    failures = 0;
                                    let parsed = parse_event(&event.event, event.data);
                                    let done = matches!(parsed, StreamEvent::Done { .. });
                                    yield parsed;
                                    if done {
                                        break 'connect;
                                    }
                                }
                            }
                        }
                    }
                    Ok(Ok(response)) => {
                        let status = response.status().as_u16();
                        let retry_after = replicate_runtime::retry::retry_after_of(response.headers());
                        let body = client.read_body_within(OP, response, idle).await?;
                        let error = Error::Api(ApiError::new(OP, status, &body).with_retry_after(retry_after));
                        if !error.is_retryable() {
                            Err(error)?;
                        }
                        // Honoured for this reconnect, within the bound every reconnect
                        // delay has.
                        pause = retry_after.map(|wait| wait.min(options.max_reconnect_delay));
                        format!("HTTP {status}")
                    }
                    Ok(Err(e)) if e.is_retryable() => e.to_string(),
                    Ok(Err(e)) => Err(e)?,
                };
                failures += 1;
                if failures > options.max_reconnects {
                    Err(Error::Stream(format!("{problem}; gave up after {} reconnects", options.max_reconnects)))?;
                }
                tracing::debug!(%problem, failures, "reconnecting event stream");
                tokio::time::sleep(pause.take().unwrap_or(delay)).await;
            }
        })
    }

    /// Creates a prediction with streaming on and follows its events.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_typed::Client) -> Result<(), replicate_typed::Error> {
    /// use futures::TryStreamExt;
    /// let events = client.stream_json("meta/meta-llama-3-8b-instruct", serde_json::json!({ "prompt": "Hi" })).await?;
    /// let text: String = replicate_typed::text_chunks(events).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub async fn stream_json(
        &self,
        model: &str,
        input: impl serde::Serialize,
    ) -> Result<EventStream, Error> {
        let model = ModelRef::parse(model)?;
        let options = CreateOptions {
            stream: true,
            ..CreateOptions::default()
        };
        let prediction = self.create_prediction(&model, input, options).await?;
        let url = prediction.urls.stream.ok_or_else(|| {
            Error::Stream("it has no stream URL (the model may not support streaming)".into())
                .after_create(&prediction.id)
        })?;
        Ok(for_prediction(
            self.stream_events(url, StreamOptions::default()),
            prediction.id,
        ))
    }
}

/// The text of the `output` events only, for concatenating outputs; an `error` event becomes
/// an error.
pub fn text_chunks(
    events: EventStream,
) -> Pin<Box<dyn Stream<Item = Result<String, Error>> + Send>> {
    Box::pin(events.filter_map(|event| async move {
        match event {
            Ok(StreamEvent::Output(text)) => Some(Ok(text)),
            Ok(StreamEvent::Error(detail)) => {
                Some(Err(Error::Stream(format!("prediction failed: {detail}"))))
            }
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: "output".into(),
            data: data.into(),
            id: id.map(str::to_string),
        }
    }

    /// Feeds events, returns the data of those delivered.
    fn feed(r: &mut Replay, events: &[(Option<&str>, &str)]) -> Vec<String> {
        events
            .iter()
            .flat_map(|(id, data)| r.accept(event(*id, data)))
            .map(|e| e.data)
            .collect()
    }

    #[test]
    fn events_without_their_own_id_are_never_dropped() {
        let mut r = Replay::default();
        let first = feed(
            &mut r,
            &[
                (Some("1"), "a"),
                (None, "b"),
                (None, "b"),
                (Some("2"), "c"),
                (None, "d"),
            ],
        );
        assert_eq!(
            first,
            ["a", "b", "b", "c", "d"],
            "same content is not a replay"
        );
        // A server that ignores Last-Event-ID replays from the start, then sends new events.
        r.reconnecting(Some(&"2".to_string()));
        let replayed = feed(
            &mut r,
            &[
                (None, "pre"),
                (Some("1"), "a"),
                (None, "b"),
                (Some("2"), "c"),
                (None, "d"),
                (None, "e"),
                (Some("3"), "f"),
            ],
        );
        assert_eq!(replayed, ["e", "f"]);
        // A server that honours it resumes after the id, repeating the tail or not.
        feed(&mut r, &[(None, "g")]);
        r.reconnecting(Some(&"3".to_string()));
        assert_eq!(
            feed(&mut r, &[(None, "g"), (None, "h"), (Some("4"), "i")]),
            ["h", "i"]
        );
        r.reconnecting(Some(&"4".to_string()));
        assert_eq!(feed(&mut r, &[(None, "j"), (Some("5"), "k")]), ["j", "k"]);
        // Held events are delivered by `done` when no id comes.
        r.reconnecting(Some(&"5".to_string()));
        let mut done = event(None, "{}");
        done.event = "done".into();
        let mut out: Vec<String> = feed(&mut r, &[(None, "l")]);
        out.extend(r.accept(done).into_iter().map(|e| e.data));
        assert_eq!(out, ["l", "{}"]);
    }

    #[test]
    fn held_events_are_bounded_and_delivered_when_the_bound_is_reached() {
        let mut r = Replay::default();
        feed(&mut r, &[(Some("1"), "a")]);
        r.reconnecting(Some(&"1".to_string()));
        let data: Vec<String> = (0..MAX_HELD + 10).map(|i| format!("e{i}")).collect();
        let events: Vec<(Option<&str>, &str)> = data.iter().map(|d| (None, d.as_str())).collect();
        let delivered = feed(&mut r, &events);
        // Nothing while held; all of them, in order, once the bound is passed.
        assert_eq!(delivered, data);
        assert!(r.held.is_empty());
    }

    #[test]
    fn the_tail_of_a_stream_without_ids_is_bounded() {
        let mut r = Replay::default();
        let data: Vec<String> = (0..MAX_TAIL + 10).map(|i| format!("e{i}")).collect();
        let events: Vec<(Option<&str>, &str)> = data.iter().map(|d| (None, d.as_str())).collect();
        assert_eq!(feed(&mut r, &events).len(), data.len());
        assert_eq!(r.tail.len(), MAX_TAIL);
        // A replay of the start is still recognised.
        r.reconnecting(None);
        assert_eq!(feed(&mut r, &events[..3]), Vec::<String>::new());
    }

    #[test]
    fn events_are_typed() {
        assert_eq!(
            parse_event("output", "hi".into()),
            StreamEvent::Output("hi".into())
        );
        assert_eq!(
            parse_event("logs", "l".into()),
            StreamEvent::Logs("l".into())
        );
        assert_eq!(
            parse_event("error", r#"{"detail":"boom"}"#.into()),
            StreamEvent::Error("boom".into())
        );
        assert_eq!(
            parse_event("error", "plain".into()),
            StreamEvent::Error("plain".into())
        );
        assert_eq!(
            parse_event("done", "{}".into()),
            StreamEvent::Done { reason: None }
        );
        assert_eq!(
            parse_event("done", r#"{"reason":"canceled"}"#.into()),
            StreamEvent::Done {
                reason: Some("canceled".into())
            }
        );
        assert_eq!(
            parse_event("message", "x".into()),
            StreamEvent::Other {
                event: "message".into(),
                data: "x".into()
            }
        );
    }
}
