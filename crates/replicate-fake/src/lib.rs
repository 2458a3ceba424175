//! A local Replicate for your tests: a fake of the HTTP API on `127.0.0.1` with real semantics
//! (auth, prediction lifecycles, pagination, event streams, files, signed webhooks delivered to
//! the URL you give), scripted models, and faults on demand.
//!
//! ```
//! use replicate_fake::{FakeReplicate, Script};
//!
//! # #[tokio::main] async fn main() -> Result<(), replicate_typed::Error> {
//! let server = FakeReplicate::start().await;
//! server.script("acme/echo", Script::Echo);
//! let client = replicate_typed::Client::builder()
//!     .token("r8_test")
//!     .base_url(server.base_url())
//!     .build()?;
//! let output = client.run_json("acme/echo", serde_json::json!({"text": "hi"})).await?;
//! assert_eq!(output["text"], "hi");
//! server.faults().fail_next(1, 503, None); // the next request gets a 503
//! # Ok(()) }
//! ```
//!
//! Without scripts, a prediction succeeds with `"ok"` after two polls; its input can steer it
//! (`fake_output`, `fake_outcome`, `fake_steps`, `fake_stream`, `fake_stream_delay_ms`). As a
//! program: `cargo run -p replicate-fake -- --port 8080` (any bearer token is accepted).
//!
//! Layout: `state` (the store and the lifecycle script), `routes` (the API), `sse` (event
//! streams), `faults` (injected failures), `webhook` (signed delivery). This file runs the
//! server: every request is recorded, then may meet a fault, then is authenticated, then routed.

#![deny(missing_docs)]

mod chaos;
mod faults;
mod routes;
mod script;
mod sse;
mod state;
mod webhook;

#[cfg(test)]
mod tests;

pub use faults::{Canned, Faults};

pub use script::Script;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use bytes::Bytes;
use faults::{Abort, Fault};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use state::{Kind, NewJob, Shared};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt as _;

/// A running fake Replicate server on `127.0.0.1`. Shuts down (with all its connections) on drop.
pub struct FakeReplicate {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The method, e.g. `"POST"`.
    pub method: String,
    /// The path without the query, e.g. `"/v1/predictions"`.
    pub path: String,
    /// The query string without `?`, if any.
    pub query: Option<String>,
    /// Headers in arrival order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The whole request body.
    pub body: Bytes,
}

impl Recorded {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, or `Null` if it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl FakeReplicate {
    /// Binds `127.0.0.1` on a free port and serves on the current tokio runtime.
    ///
    /// # Panics
    /// When no port of `127.0.0.1` can be bound (a test cannot go on without its server).
    pub async fn start() -> FakeReplicate {
        FakeReplicate::start_on(0)
            .await
            .expect("bind a free port of 127.0.0.1")
    }

    /// Binds `127.0.0.1:port` (0 for any free port) and serves on the current tokio runtime.
    pub async fn start_on(port: u16) -> std::io::Result<FakeReplicate> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let port = listener.local_addr()?.port();
        let shared = Shared::new(format!("http://127.0.0.1:{port}"), port);
        let router = routes::router(Arc::clone(&shared));
        let accept_shared = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            // Owned here so that aborting this task drops (and aborts) every connection.
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                while connections.try_join_next().is_some() {}
                let shared = Arc::clone(&accept_shared);
                let router = router.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        handle(Arc::clone(&shared), router.clone(), req)
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(FakeReplicate { shared, task })
    }

    /// `http://127.0.0.1:PORT/v1`, the base URL to give the client.
    pub fn base_url(&self) -> String {
        self.shared.url("/v1")
    }

    /// The server's origin followed by `path`, e.g. `url("/v1/predictions")`.
    pub fn url(&self, path: &str) -> String {
        self.shared.url(path)
    }

    /// The fault-injection handle.
    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }

    /// Every request received so far, in arrival order (faulted ones included).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests().clone()
    }

    /// How many recorded requests had this method and exactly this path (query excluded).
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.shared
            .requests()
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
            .count()
    }

    /// Every prediction this server created, in order, whatever happened to the answer
    /// afterwards (a fault may have cut it off or rewritten its status): the log a test checks
    /// "exactly one create per call" against.
    pub fn creates(&self) -> Vec<Created> {
        self.shared.creates().clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.requests().clear();
    }

    /// Adds `n` succeeded predictions `seed-0000`, `seed-0001`, … created in that order (the
    /// last is the newest).
    pub fn seed_predictions(&self, n: usize) {
        let mut state = self.shared.state();
        let start = state.predictions.len();
        for i in 0..n {
            let new = NewJob {
                kind: Kind::Prediction,
                model: "fake/model".into(),
                version: "fake-version".into(),
                input: json!({"seed": start + i}),
                webhook: None,
                events_filter: None,
                cancel_after: None,
            };
            let id = format!("seed-{:04}", start + i);
            let (idx, _) = state.create(&self.shared.origin, new, Some(id));
            state.predictions[idx].finish("succeeded");
        }
    }

    /// Publishes a version of model `owner/name` (it becomes the latest): `id` and Cog's
    /// `openapi_schema`, served by `GET /v1/models/{owner}/{name}` and `.../versions/{id}`.
    pub fn publish_version(&self, owner: &str, name: &str, id: &str, openapi_schema: Value) {
        let version = json!({
            "id": id,
            "created_at": state::now_rfc3339(),
            "cog_version": "0.16.12",
            "openapi_schema": openapi_schema,
        });
        self.shared
            .state()
            .versions
            .entry(format!("{owner}/{name}"))
            .or_default()
            .push(version);
    }

    /// Scripts every new prediction of this model (`owner/name`) or version id. A version's
    /// script wins over its model's.
    pub fn script(&self, model_or_version: &str, script: Script) {
        self.shared
            .state()
            .scripts
            .insert(model_or_version.to_string(), script);
    }

    /// Every prediction of this model or version succeeds with `output`
    /// (`script(.., Script::Output(output))`).
    pub fn set_output(&self, model_or_version: &str, output: Value) {
        self.script(model_or_version, Script::Output(output));
    }

    /// Sets the page size of every list route (default 100).
    pub fn set_page_size(&self, n: usize) {
        self.shared.state().page_size = n.max(1);
    }

    /// The webhook signing secret, `whsec_` + base64 of 24 bytes.
    pub fn webhook_secret(&self) -> String {
        self.shared.secret.clone()
    }

    /// The stored JSON of prediction `id` as it is now (reading it does not advance it).
    pub fn prediction(&self, id: &str) -> Option<Value> {
        self.shared
            .state()
            .job_mut(Kind::Prediction, id)
            .map(|j| j.json.clone())
    }
}

impl Drop for FakeReplicate {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whether the request carries `Authorization: Bearer <non-empty>`.
fn authorized<B>(req: &Request<B>) -> bool {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| !token.trim().is_empty())
}

/// One request: record it, apply the next fault, authenticate, route.
async fn handle(
    shared: Arc<Shared>,
    router: axum::Router,
    req: Request<Incoming>,
) -> Result<Response<Body>, Abort> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    // Chaos is drawn first: some of its faults happen while the request body is still coming.
    let chaos = match path.starts_with("/__internal") {
        false => shared.faults.chaos_plan(),
        true => None,
    };
    let body = match chaos.as_ref().and_then(|(plan, _)| plan.reading.clone()) {
        Some(reading) => chaos::read_body(reading, body).await?,
        None => axum::body::to_bytes(Body::new(body), usize::MAX)
            .await
            .map_err(|_| Abort)?,
    };
    let fault = {
        // Record and take the fault under the log's lock so both follow arrival order.
        let mut log = shared.requests();
        log.push(Recorded {
            method: parts.method.as_str().to_string(),
            path: path.clone(),
            query: parts.uri.query().map(str::to_string),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.clone(),
        });
        if path.starts_with("/__internal") {
            None
        } else {
            shared.faults.take()
        }
    };
    // Chaos decides only what the queue did not.
    let (plan, env) = match fault {
        None => chaos.unwrap_or_default(),
        Some(_) => Default::default(),
    };
    if let Some(chaos::Reading::RefuseEarly(status)) = plan.reading {
        return Ok(faults::fail_response(status, None));
    }
    match plan.before {
        Some(chaos::Before::Reset) => return Err(Abort),
        Some(chaos::Before::Hang) => futures::future::pending::<()>().await,
        Some(chaos::Before::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(chaos::Before::Fail(status, retry_after)) => {
            return Ok(faults::fail_response(status, retry_after.as_deref()))
        }
        Some(chaos::Before::EchoPage(status)) => {
            return Ok(chaos::echo_page(status, &parts.headers))
        }
        Some(chaos::Before::Redirect { cross_origin }) => {
            let origin = match (&env.other_origin, cross_origin) {
                (Some(other), true) => other.clone(),
                _ => shared.origin.clone(),
            };
            let query = parts
                .uri
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            let mut resp = Response::new(Body::empty());
            *resp.status_mut() = StatusCode::TEMPORARY_REDIRECT;
            if let Ok(location) = format!("{origin}{path}{query}").parse() {
                resp.headers_mut().insert("location", location);
            }
            return Ok(resp);
        }
        None => {}
    }
    match fault {
        Some(Fault::Fail {
            status,
            retry_after,
        }) => return Ok(faults::fail_response(status, retry_after.as_deref())),
        Some(Fault::Reset) => return Err(Abort),
        Some(Fault::Truncate) => return Ok(faults::truncated_response()),
        Some(Fault::InvalidJson) => return Ok(faults::invalid_json_response()),
        Some(Fault::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Hang) => futures::future::pending::<()>().await,
        Some(Fault::Respond(canned)) => return Ok(canned.response()),
        Some(Fault::Status(_)) | None => {}
    }
    let status = match fault {
        Some(Fault::Status(status)) => StatusCode::from_u16(status).ok(),
        _ => None,
    };
    let request_headers = parts.headers.clone();
    let creates = is_create(parts.method.as_str(), &path);
    let input = creates.then(|| {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("input").cloned())
            .unwrap_or(Value::Null)
    });
    let req = Request::from_parts(parts, Body::from(body));
    // Search is public; output files are served like a file store, without the API's auth.
    let public =
        req.method() == "GET" && (path == "/v1/search" || path.starts_with("/fake-output/"));
    if !public && !authorized(&req) {
        return Ok(routes::problem(
            StatusCode::UNAUTHORIZED,
            "Unauthenticated",
            "You did not pass a valid authentication token",
        ));
    }
    let mut resp = match router.oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    };
    // The id of what a create made, read before any fault changes the answer.
    let mut created_id = None;
    if creates && resp.status().is_success() {
        let (head, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|_| Abort)?;
        created_id = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_string));
        resp = Response::from_parts(head, Body::from(bytes));
    }
    if let Some(status) = status {
        *resp.status_mut() = status;
    }
    let (answer, named) = chaos::apply(plan.after.as_ref(), &env, resp, &request_headers).await;
    if let Some(id) = created_id {
        shared.creates().push(Created {
            id,
            input: input.unwrap_or(Value::Null),
            answer_named_id: named == chaos::Named::Yes,
        });
    }
    answer
}

/// True for the routes that create a prediction.
fn is_create(method: &str, path: &str) -> bool {
    method == "POST"
        && (path == "/v1/predictions"
            || (path.ends_with("/predictions")
                && (path.starts_with("/v1/models/") || path.starts_with("/v1/deployments/"))))
}

/// A prediction the server created, as [`FakeReplicate::creates`] lists them.
#[derive(Clone, Debug, PartialEq)]
pub struct Created {
    /// The prediction's id.
    pub id: String,
    /// The input of the create request.
    pub input: Value,
    /// Whether the answer, as it went out (faults included), named the id whole in plain
    /// bytes. False when a fault cut it off before the id, replaced the body or encoded it and
    /// cut it.
    pub answer_named_id: bool,
}
