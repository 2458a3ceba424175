//! Injected failures: a queue consumed one entry per request, in arrival order, plus a one-shot
//! cut for the next event stream.

use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One queued failure.
#[derive(Clone, Debug)]
pub(crate) enum Fault {
    /// Answer this status with a problem+json body (and `Retry-After` if given).
    Fail {
        status: u16,
        retry_after: Option<String>,
    },
    /// Close the connection without any response.
    Reset,
    /// Wait, then handle normally.
    Slow(Duration),
    /// Promise more bytes than are sent, then close.
    Truncate,
    /// 200 with a body that is not valid JSON.
    InvalidJson,
    /// Never send a response head (the connection stays open until the client gives up).
    Hang,
    /// Answer exactly this, whatever the request.
    Respond(Canned),
    /// Handle normally, then replace the status.
    Status(u16),
}

/// One piece of a [`Canned`] body.
#[derive(Clone, Debug)]
enum Piece {
    Bytes(Bytes),
    Pause(Duration),
    /// Stop sending but keep the connection open, forever.
    Stall,
    /// Cut the connection.
    Cut,
}

/// A response written out in full by a test: status, headers and a body given piece by piece,
/// with pauses, a stall that never ends, or a cut.
#[derive(Clone, Debug)]
pub struct Canned {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<Piece>,
}

impl Canned {
    /// A response with this status and no body yet.
    pub fn new(status: u16) -> Canned {
        Canned {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// `200 application/json` with this JSON.
    pub fn json(value: &serde_json::Value) -> Canned {
        Canned::new(200)
            .header("content-type", "application/json")
            .body(value.to_string())
    }

    /// `200 text/event-stream` with this text.
    pub fn sse(text: impl Into<String>) -> Canned {
        Canned::new(200)
            .header("content-type", "text/event-stream")
            .body(text.into())
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Canned {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sends these bytes next.
    pub fn body(mut self, bytes: impl Into<Bytes>) -> Canned {
        self.body.push(Piece::Bytes(bytes.into()));
        self
    }

    /// Pauses before the next piece.
    pub fn pause(mut self, delay: Duration) -> Canned {
        self.body.push(Piece::Pause(delay));
        self
    }

    /// Stops sending, keeping the connection open, after what was given so far.
    pub fn stall(mut self) -> Canned {
        self.body.push(Piece::Stall);
        self
    }

    /// Cuts the connection after what was given so far.
    pub fn cut(mut self) -> Canned {
        self.body.push(Piece::Cut);
        self
    }

    /// The response.
    pub(crate) fn response(&self) -> Response<Body> {
        let pieces = self.body.clone();
        let stream = futures::stream::unfold(pieces.into_iter(), |mut rest| async move {
            loop {
                match rest.next()? {
                    Piece::Bytes(b) => return Some((Ok::<_, std::io::Error>(b), rest)),
                    Piece::Pause(d) => tokio::time::sleep(d).await,
                    Piece::Stall => futures::future::pending::<()>().await,
                    Piece::Cut => {
                        // Let hyper flush what was sent, then abort mid-body.
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        return Some((Err(std::io::Error::other("canned cut")), rest));
                    }
                }
            }
        });
        let mut resp = Response::new(Body::from_stream(stream));
        *resp.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                resp.headers_mut().append(name, value);
            }
        }
        resp
    }
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<Fault>,
    stream_cut: Option<usize>,
    /// `(per mille, rng)`: answer this share of requests 429, independently of the queue.
    throttle: Option<(u32, fastrand::Rng)>,
    /// Seeded random faults for every request the queue does not decide.
    chaos: Option<Chaos>,
}

struct Chaos {
    rng: fastrand::Rng,
    env: crate::chaos::Env,
}

/// Handle on the fake server's fault injection. Cloning shares the same queue.
#[derive(Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, n: usize, fault: Fault) {
        self.lock().queue.extend(std::iter::repeat_n(fault, n));
    }

    /// The next `n` requests answer `status` with a problem+json body and, if given, the
    /// `Retry-After` header. They are still recorded.
    pub fn fail_next(&self, n: usize, status: u16, retry_after: Option<&str>) {
        self.push(
            n,
            Fault::Fail {
                status,
                retry_after: retry_after.map(str::to_string),
            },
        );
    }

    /// The next `n` requests get their connection closed without any response.
    pub fn reset_next(&self, n: usize) {
        self.push(n, Fault::Reset);
    }

    /// The next `n` requests wait `delay` before being handled normally.
    pub fn slow_next(&self, n: usize, delay: Duration) {
        self.push(n, Fault::Slow(delay));
    }

    /// The next `n` requests get headers promising a longer body than is sent, then the
    /// connection is closed.
    pub fn truncate_next(&self, n: usize) {
        self.push(n, Fault::Truncate);
    }

    /// The next `n` requests get `200 application/json` with an invalid JSON body.
    pub fn invalid_json_next(&self, n: usize) {
        self.push(n, Fault::InvalidJson);
    }

    /// The next `n` requests never get a response head.
    pub fn hang_next(&self, n: usize) {
        self.push(n, Fault::Hang);
    }

    /// The next `n` requests get exactly `response`.
    pub fn respond_next(&self, n: usize, response: Canned) {
        self.push(n, Fault::Respond(response));
    }

    /// The next `n` requests are handled normally, but answered with `status`.
    pub fn status_next(&self, n: usize, status: u16) {
        self.push(n, Fault::Status(status));
    }

    /// From now on, answers `per_mille`/1000 of all requests (chosen by a generator seeded
    /// with `seed`) with `429` and no `Retry-After`, besides the queued faults. 0 turns it off.
    pub fn throttle_randomly(&self, per_mille: u32, seed: u64) {
        self.lock().throttle = (per_mille > 0).then(|| (per_mille, fastrand::Rng::with_seed(seed)));
    }

    /// From now on, every request that no queued fault decides meets a random fault drawn by
    /// a generator seeded with `seed` (about half meet none): at every layer, before the
    /// request is handled (reset, hang, slowness, 429/5xx with any `Retry-After`, a proxy's
    /// page echoing the request headers, redirects, to `other_origin` too when given) or after
    /// (status rewritten, body cut, stalled or trickled, gzip/deflate or a false encoding,
    /// JSON a strict parser refuses, request headers echoed into the body, 206, a huge array
    /// of tiny values). The same seed and the same requests give the same faults; see
    /// [`FakeReplicate::creates`](crate::FakeReplicate::creates) for what was created.
    pub fn chaos(&self, seed: u64, other_origin: Option<&str>) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let env = crate::chaos::Env {
            other_origin: other_origin.map(str::to_string),
            control_ids: rng.u32(0..4) == 0,
        };
        self.lock().chaos = Some(Chaos { rng, env });
    }

    /// The next event-stream connection sends only `events` events, then is cut (no `done`).
    pub fn drop_stream_after(&self, events: usize) {
        self.lock().stream_cut = Some(events);
    }

    /// Forgets every pending fault.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.queue.clear();
        inner.stream_cut = None;
        inner.throttle = None;
        inner.chaos = None;
    }

    /// The random plan for a request no queued fault decided, and what the seed fixed for the
    /// server's life.
    pub(crate) fn chaos_plan(&self) -> Option<(crate::chaos::Plan, crate::chaos::Env)> {
        let mut inner = self.lock();
        let chaos = inner.chaos.as_mut()?;
        let plan = crate::chaos::draw(&mut chaos.rng, chaos.env.other_origin.is_some());
        Some((plan, chaos.env.clone()))
    }

    /// Takes the fault for the request that just arrived.
    pub(crate) fn take(&self) -> Option<Fault> {
        let mut inner = self.lock();
        if let Some(fault) = inner.queue.pop_front() {
            return Some(fault);
        }
        let (per_mille, rng) = inner.throttle.as_mut()?;
        (rng.u32(0..1000) < *per_mille).then_some(Fault::Fail {
            status: 429,
            retry_after: None,
        })
    }

    /// Takes the pending stream cut, if any.
    pub(crate) fn take_stream_cut(&self) -> Option<usize> {
        self.lock().stream_cut.take()
    }
}

/// Returned by the connection's service to make hyper drop the connection without answering.
#[derive(Debug)]
pub(crate) struct Abort;

impl std::fmt::Display for Abort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fake connection reset")
    }
}

impl std::error::Error for Abort {}

/// The response for [`Fault::Fail`].
pub(crate) fn fail_response(status: u16, retry_after: Option<&str>) -> Response<Body> {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let title = code.canonical_reason().unwrap_or("Injected fault");
    let mut resp = super::routes::problem(code, title, "injected by the fake server");
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, value);
    }
    resp
}

/// The response for [`Fault::InvalidJson`].
pub(crate) fn invalid_json_response() -> Response<Body> {
    let mut resp = Response::new(Body::from(r#"{"id": "broken", "#));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The response for [`Fault::Truncate`]: `Content-Length: 1000`, a few bytes, then a cut.
pub(crate) fn truncated_response() -> Response<Body> {
    let mut resp = Response::new(cut_body(vec![Bytes::from_static(
        br#"{"id": "truncated", "status": "#,
    )]));
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("1000"));
    resp
}

/// A body that sends `chunks`, pauses so they reach the client, then fails, which makes hyper
/// abort the connection mid-body.
pub(crate) fn cut_body(chunks: Vec<Bytes>) -> Body {
    let items = chunks.into_iter().map(Ok::<Bytes, std::io::Error>);
    let cut = futures::stream::once(async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        Err(std::io::Error::other("fake connection cut"))
    });
    Body::from_stream(futures::StreamExt::chain(futures::stream::iter(items), cut))
}
