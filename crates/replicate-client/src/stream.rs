//! Server-sent events of a running prediction (`urls.stream`): typed `output`, `logs`,
//! `error` and `done` events, resumed with `Last-Event-ID` after a dropped connection so that
//! no event is lost or repeated, and an idle timeout for connections that go quiet.

use crate::client::transport;
use crate::error::{ApiError, Error};
use crate::predictions::{CreateOptions, ModelRef};
use crate::runtime::RequestSpec;
use crate::Client;
use eventsource_stream::Eventsource;
use futures::{Stream, StreamExt};
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
    /// Reconnect when nothing arrives for this long.
    pub idle_timeout: Duration,
    /// Reconnects in a row without receiving an event before giving up.
    pub max_reconnects: u32,
    /// Wait before reconnecting (unless the server sent `retry:`).
    pub reconnect_delay: Duration,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            idle_timeout: Duration::from_secs(90),
            max_reconnects: 5,
            reconnect_delay: Duration::from_millis(200),
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
            StreamEvent::Error(detail)
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

impl Client {
    /// Follows a prediction's event stream (`prediction.urls.stream`).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_client::Client, url: String) -> Result<(), replicate_client::Error> {
    /// use futures::StreamExt;
    /// use replicate_client::StreamEvent;
    /// let mut events = client.stream_events(url, Default::default());
    /// while let Some(event) = events.next().await {
    ///     if let StreamEvent::Output(text) = event? {
    ///         print!("{text}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream_events(&self, url: impl Into<String>, options: StreamOptions) -> EventStream {
        let client = self.clone();
        let url = url.into();
        Box::pin(async_stream::try_stream! {
            let mut last_id: Option<String> = None;
            let mut seen: HashSet<String> = HashSet::new();
            let mut failures: u32 = 0;
            let mut delay = options.reconnect_delay;
            'connect: loop {
                let mut request = RequestSpec::new("GET", url.clone(), "predictions.stream");
                request.accept("text/event-stream");
                request.header("Cache-Control", "no-store".into());
                request.timeout = Some(Duration::ZERO);
                if let Some(id) = &last_id {
                    request.header("Last-Event-ID", id.clone());
                }
                let outcome = client.send_once(&request, failures).await;
                let problem = match outcome {
                    Ok(response) if response.status().is_success() => {
                        let mut events = response.bytes_stream().eventsource();
                        loop {
                            match tokio::time::timeout(options.idle_timeout, events.next()).await {
                                Err(_) => break format!("no event for {:?}", options.idle_timeout),
                                Ok(None) => break "the connection ended before `done`".to_string(),
                                Ok(Some(Err(e))) => break format!("the connection broke: {e}"),
                                Ok(Some(Ok(event))) => {
                                    if let Some(retry) = event.retry {
                                        delay = retry;
                                    }
                                    if !event.id.is_empty() {
                                        // A server that ignores Last-Event-ID replays; skip what we had.
                                        if !seen.insert(event.id.clone()) {
                                            continue;
                                        }
                                        last_id = Some(event.id.clone());
                                    }
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
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let body = response.bytes().await.map_err(|e| transport("predictions.stream", e))?;
                        let error = Error::Api(ApiError::new("predictions.stream", status, &body));
                        if !error.is_retryable() {
                            Err(error)?;
                        }
                        format!("HTTP {status}")
                    }
                    Err(e) if e.is_retryable() => e.to_string(),
                    Err(e) => Err(e)?,
                };
                failures += 1;
                if failures > options.max_reconnects {
                    Err(Error::Stream(format!("{problem}; gave up after {} reconnects", options.max_reconnects)))?;
                }
                tracing::debug!(%problem, failures, "reconnecting event stream");
                tokio::time::sleep(delay).await;
            }
        })
    }

    /// Creates a prediction with streaming on and follows its events.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_client::Client) -> Result<(), replicate_client::Error> {
    /// use futures::TryStreamExt;
    /// let events = client.stream_json("meta/meta-llama-3-8b-instruct", serde_json::json!({ "prompt": "Hi" })).await?;
    /// let text: String = replicate_client::text_chunks(events).try_collect().await?;
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
            Error::Stream(format!(
                "prediction {} has no stream URL (the model may not support streaming)",
                prediction.id
            ))
        })?;
        Ok(self.stream_events(url, StreamOptions::default()))
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
