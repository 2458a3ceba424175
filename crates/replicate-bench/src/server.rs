//! The fake Replicate API every client is measured against: `GET /v1/predictions/{id}` answers
//! a fixed ~1 KB prediction, `GET /v1/stream?events=N` a long server-sent event stream.
//! For the faults section: `GET /v1/throttled/predictions/{id}` answers 30% of requests with a
//! `429` (no `Retry-After`) and counts them all (`GET /v1/throttled/count`), and
//! `GET /v1/big-event?bytes=N` sends one `output` event of N bytes, then `done`.
//!
//! It binds 127.0.0.1 only. The benchmark runs it as a child process (`replicate-bench serve`)
//! so that its CPU time is never mixed with the measured client's; tests run it on a thread.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, Write as _};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The token every client sends; anything else gets a 401.
pub const TOKEN: &str = "r8_x";
/// The prediction every client asks for; any other id gets a 404.
pub const PREDICTION_ID: &str = "gm3qorzdhgbfurvjtvhg6dckhu";
/// Events of `GET /v1/stream` without `?events=`.
pub const DEFAULT_SSE_EVENTS: usize = 200_000;
/// Size of the body chunks of the event stream.
const SSE_CHUNK: usize = 16 * 1024;
/// Percentage of `GET /v1/throttled/predictions/{id}` answered with a 429.
pub const THROTTLED_PERCENT: u32 = 30;
/// Largest event of `GET /v1/big-event?bytes=N`.
pub const MAX_BIG_EVENT: usize = 64 * 1024 * 1024;
/// Seed of the generator that picks which throttled requests get a 429.
const THROTTLE_SEED: u64 = 0x5EED_0429;
/// A server child process never outlives this, whatever happens to its parent.
const CHILD_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// The body of `GET /v1/predictions/{id}`: a realistic finished image prediction (~1 KB).
pub fn prediction_json() -> Vec<u8> {
    let id = PREDICTION_ID;
    let value = serde_json::json!({
        "id": id,
        "model": "black-forest-labs/flux-schnell",
        "version": "5599ed30703defd1d160a25a63321b4dec97101d98b4674bcc56e41f62f35637",
        "input": {
            "prompt": "an astronaut riding a horse on the moon, photorealistic, 35mm film, golden hour"
        },
        "logs": "Using seed: 1984223570\nrunning quantized prediction\n100%|##########| 4/4 [00:00<00:00, 11.02it/s]\n",
        "output": [
            "https://replicate.delivery/xezq/Tb8eNfL1fIQhF6WWxkyPh3rHKmKzL7KFnqBJpB3o9xQ2yhfUA/out-0.webp",
            "https://replicate.delivery/xezq/Tb8eNfL1fIQhF6WWxkyPh3rHKmKzL7KFnqBJpB3o9xQ2yhfUA/out-1.webp",
        ],
        "data_removed": false,
        "error": null,
        "status": "succeeded",
        "source": "api",
        "created_at": "2025-01-15T10:20:30.123456Z",
        "started_at": "2025-01-15T10:20:30.456789Z",
        "completed_at": "2025-01-15T10:20:31.234567Z",
        "metrics": { "predict_time": 0.777778, "total_time": 1.111111 },
        "urls": {
            "get": format!("https://api.replicate.com/v1/predictions/{id}"),
            "cancel": format!("https://api.replicate.com/v1/predictions/{id}/cancel"),
            "stream": "https://stream.replicate.com/v1/files/bcwr-3okdfv3o2wehstv5f2okyftwxy57hhypqsi",
            "web": format!("https://replicate.com/p/{id}"),
        }
    });
    serde_json::to_vec(&value).expect("a JSON value always serialises")
}

/// The body of `GET /v1/stream?events=n`: `n` `output` events with ids, then `done`.
pub fn sse_body(events: usize) -> Vec<u8> {
    let mut out = String::with_capacity(events * 56 + 64);
    for i in 0..events {
        let _ = write!(
            out,
            "id: {i}\nevent: output\ndata: token {i:07} of the output\n\n"
        );
    }
    out.push_str("id: done\nevent: done\ndata: {}\n\n");
    out.into_bytes()
}

/// The body of `GET /v1/big-event?bytes=n`: one `output` event whose data is `n` bytes on one
/// line, then `done`.
pub fn big_event_body(bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + 64);
    out.extend_from_slice(b"event: output\ndata: ");
    out.resize(out.len() + bytes, b'x');
    out.extend_from_slice(b"\n\nevent: done\ndata: {}\n\n");
    out
}

struct AppState {
    prediction: Bytes,
    default_stream: Bytes,
    throttle_rng: Mutex<fastrand::Rng>,
    throttled_requests: AtomicU64,
}

/// The fake API's routes.
pub fn router() -> Router {
    let state = Arc::new(AppState {
        prediction: Bytes::from(prediction_json()),
        default_stream: Bytes::from(sse_body(DEFAULT_SSE_EVENTS)),
        throttle_rng: Mutex::new(fastrand::Rng::with_seed(THROTTLE_SEED)),
        throttled_requests: AtomicU64::new(0),
    });
    Router::new()
        .route("/v1/predictions/{id}", get(get_prediction))
        .route("/v1/stream", get(stream))
        .route("/v1/throttled/predictions/{id}", get(throttled_prediction))
        .route("/v1/throttled/count", get(throttled_count))
        .route("/v1/big-event", get(big_event))
        .with_state(state)
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        == Some(TOKEN)
}

fn problem(status: StatusCode, detail: &str) -> Response {
    let body = serde_json::json!({ "title": status.canonical_reason(), "detail": detail, "status": status.as_u16() });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

async fn get_prediction(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "You did not pass a valid authentication token",
        );
    }
    if id != PREDICTION_ID {
        return problem(StatusCode::NOT_FOUND, "Not found.");
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.prediction.clone(),
    )
        .into_response()
}

/// Like `get_prediction`, but [`THROTTLED_PERCENT`]% of requests get a 429 without
/// `Retry-After`; every request is counted.
async fn throttled_prediction(
    state: State<Arc<AppState>>,
    id: Path<String>,
    headers: HeaderMap,
) -> Response {
    state.throttled_requests.fetch_add(1, Ordering::Relaxed);
    let throttle = {
        let mut rng = state.throttle_rng.lock().unwrap_or_else(|e| e.into_inner());
        rng.u32(0..100) < THROTTLED_PERCENT
    };
    if throttle && authorized(&headers) {
        return problem(StatusCode::TOO_MANY_REQUESTS, "Request was throttled.");
    }
    get_prediction(state, id, headers).await
}

/// Requests `GET /v1/throttled/predictions/{id}` received so far, as a decimal number.
async fn throttled_count(State(state): State<Arc<AppState>>) -> String {
    state.throttled_requests.load(Ordering::Relaxed).to_string()
}

async fn big_event(Query(query): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "You did not pass a valid authentication token",
        );
    }
    match query.get("bytes").map(|n| n.parse::<usize>()) {
        Some(Ok(n)) if n <= MAX_BIG_EVENT => event_stream(Bytes::from(big_event_body(n))),
        _ => problem(StatusCode::BAD_REQUEST, "bad `bytes`"),
    }
}

async fn stream(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "You did not pass a valid authentication token",
        );
    }
    let body = match query.get("events").map(|n| n.parse::<usize>()) {
        None => state.default_stream.clone(),
        Some(Ok(n)) if n <= 10 * DEFAULT_SSE_EVENTS => Bytes::from(sse_body(n)),
        Some(_) => return problem(StatusCode::BAD_REQUEST, "bad `events`"),
    };
    event_stream(body)
}

/// `body` as a `text/event-stream` response, in [`SSE_CHUNK`] chunks.
fn event_stream(body: Bytes) -> Response {
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..body.len())
        .step_by(SSE_CHUNK)
        .map(|start| Ok(body.slice(start..(start + SSE_CHUNK).min(body.len()))))
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        axum::body::Body::from_stream(futures::stream::iter(chunks)),
    )
        .into_response()
}

fn runtime(worker_threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.max(1))
        .thread_name("fake-api")
        .enable_all()
        .build()
}

fn bind() -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    Ok((tokio::net::TcpListener::from_std(listener)?, addr))
}

/// The server on a thread of this process with its own runtime; stops when dropped.
pub struct ServerThread {
    addr: SocketAddr,
    stop: Option<futures::channel::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerThread {
    /// Binds 127.0.0.1 on a free port and serves on `worker_threads` runtime threads.
    pub fn start(worker_threads: usize) -> std::io::Result<ServerThread> {
        let rt = runtime(worker_threads)?;
        let (listener, addr) = {
            let _guard = rt.enter();
            bind()?
        };
        let (stop, stopped) = futures::channel::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fake-api-main".into())
            .spawn(move || {
                rt.block_on(async move {
                    let shutdown = async move {
                        let _ = stopped.await;
                    };
                    let _ = axum::serve(listener, router())
                        .with_graceful_shutdown(shutdown)
                        .await;
                });
            })?;
        Ok(ServerThread {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The child-process mode: prints `listening http://127.0.0.1:PORT`, serves until standard
/// input closes (the parent exited or dropped its handle) or a two-hour cap.
pub fn run_child(worker_threads: usize) -> std::io::Result<()> {
    let rt = runtime(worker_threads)?;
    let (listener, addr) = {
        let _guard = rt.enter();
        bind()?
    };
    std::thread::spawn(|| {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            if line.is_err() {
                break;
            }
        }
        std::process::exit(0);
    });
    std::thread::spawn(|| {
        std::thread::sleep(CHILD_LIFETIME);
        std::process::exit(0);
    });
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening http://{addr}")?;
    stdout.flush()?;
    rt.block_on(async move { axum::serve(listener, router()).await })
}

/// A server child process; killed when dropped.
pub struct ServerChild {
    origin: String,
    child: std::process::Child,
}

impl ServerChild {
    /// Starts `exe serve --server-threads N` and reads the address it prints.
    pub fn start(exe: &std::path::Path, worker_threads: usize) -> Result<ServerChild, String> {
        use std::process::{Command, Stdio};
        let mut child = Command::new(exe)
            .args(["serve", "--server-threads", &worker_threads.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the fake server ({}): {e}", exe.display()))?;
        let mut line = String::new();
        let read = child
            .stdout
            .take()
            .map(|out| std::io::BufReader::new(out).read_line(&mut line));
        let origin = match (read, line.trim().strip_prefix("listening ")) {
            (Some(Ok(_)), Some(origin)) if origin.starts_with("http://127.0.0.1:") => {
                origin.to_string()
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the fake server did not start (printed {line:?})"));
            }
        };
        Ok(ServerChild { origin, child })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
