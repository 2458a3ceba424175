//! The HTTP routes of the fake API (authentication and faults are applied before these, in
//! `mod.rs`).

use super::state::{decode_cursor, encode_cursor, now_rfc3339, page, Kind, NewJob, Shared};
use super::{sse, webhook};
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode, Uri};
use axum::routing::{any, get, post};
use axum::Router;
use bytes::Bytes;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

type Resp = Response<Body>;
type Shr = State<Arc<Shared>>;

/// Every route of the fake API.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/v1/predictions",
            get(|s: Shr, q: Query<HashMap<String, String>>| list_jobs(s, q, Kind::Prediction))
                .post(create_prediction),
        )
        .route(
            "/v1/predictions/{id}",
            get(|s: Shr, p: Path<String>| get_job(s, p, Kind::Prediction)),
        )
        .route(
            "/v1/predictions/{id}/cancel",
            post(|s: Shr, p: Path<String>| cancel_job(s, p, Kind::Prediction)),
        )
        .route(
            "/v1/models/{owner}/{name}/predictions",
            post(create_model_prediction),
        )
        .route(
            "/v1/deployments/{owner}/{name}/predictions",
            post(create_model_prediction),
        )
        .route("/v1/fake-stream/{id}", get(sse::stream))
        .route(
            "/v1/trainings",
            get(|s: Shr, q: Query<HashMap<String, String>>| list_jobs(s, q, Kind::Training)),
        )
        .route(
            "/v1/trainings/{id}",
            get(|s: Shr, p: Path<String>| get_job(s, p, Kind::Training)),
        )
        .route(
            "/v1/trainings/{id}/cancel",
            post(|s: Shr, p: Path<String>| cancel_job(s, p, Kind::Training)),
        )
        .route(
            "/v1/models/{owner}/{name}/versions/{version_id}/trainings",
            post(create_training),
        )
        .route("/v1/files", get(list_files).post(upload_file))
        .route("/v1/files/{id}", get(get_file).delete(delete_file))
        .route("/v1/files/{id}/download", get(download_file))
        .route("/fake-output/{name}", get(fake_output))
        .route("/v1/webhooks/default/secret", get(webhook_secret))
        .route("/v1/account", get(account))
        .route("/v1/models", any(models))
        .route("/v1/models/{owner}/{name}", get(get_model))
        .route(
            "/v1/models/{owner}/{name}/versions/{version_id}",
            get(get_model_version),
        )
        .route("/v1/search", get(search))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

/// An RFC 9457 problem response.
pub(crate) fn problem(status: StatusCode, title: &str, detail: &str) -> Resp {
    let body = json!({"title": title, "detail": detail, "status": status.as_u16()});
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    resp
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Resp {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn unprocessable(detail: &str) -> Resp {
    problem(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request", detail)
}

fn missing(what: &str) -> Resp {
    problem(
        StatusCode::NOT_FOUND,
        "Not found",
        &format!("{what} not found"),
    )
}

async fn not_found(method: Method, uri: Uri) -> Resp {
    problem(
        StatusCode::NOT_FOUND,
        "Not found",
        &format!("no route for {method} {}", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> Resp {
    problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        &format!("{method} is not allowed on {}", uri.path()),
    )
}

/// The JSON object body of a create request, or the 422 to answer.
fn object_body(body: &[u8]) -> Result<Value, Box<Resp>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) if v.is_object() => Ok(v),
        _ => Err(Box::new(unprocessable(
            "the request body must be a JSON object",
        ))),
    }
}

/// The `input` object of a create request, or the 422 to answer.
fn input_of(body: &Value) -> Result<Value, Box<Resp>> {
    match body.get("input") {
        Some(v) if v.is_object() => Ok(v.clone()),
        _ => Err(Box::new(unprocessable(
            "input is required and must be an object",
        ))),
    }
}

/// Fills the webhook fields and the `cancel-after` header of a new job.
fn new_job(
    kind: Kind,
    model: String,
    version: String,
    input: Value,
    body: &Value,
    headers: &HeaderMap,
) -> NewJob {
    NewJob {
        kind,
        model,
        version,
        input,
        webhook: body["webhook"].as_str().map(str::to_string),
        events_filter: body["webhook_events_filter"].as_array().map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        }),
        cancel_after: headers
            .get("cancel-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}

/// Seconds asked for by a `Prefer: wait` or `Prefer: wait=N` header (1..=60).
fn prefer_wait(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get("prefer")?.to_str().ok()?;
    value.split([',', ';']).find_map(|token| {
        let token = token.trim();
        if token.eq_ignore_ascii_case("wait") {
            Some(60)
        } else {
            let (key, n) = token.split_once('=')?;
            (key.trim().eq_ignore_ascii_case("wait"))
                .then(|| n.trim().parse::<u64>().unwrap_or(60).clamp(1, 60))
        }
    })
}

/// Stores `new`, fires its webhook if it is already terminal, honours `Prefer: wait`.
async fn create_job(shared: Arc<Shared>, headers: HeaderMap, new: NewJob) -> Resp {
    let kind = new.kind;
    let wait_ms = new.input["fake_wait_ms"].as_u64();
    let (id, json, terminal, delivery) = {
        let mut state = shared.state();
        let origin = shared.origin.clone();
        let (idx, delivery) = state.create(&origin, new, None);
        let job = &state.jobs(kind)[idx];
        (
            job.id.clone(),
            job.json.clone(),
            job.is_terminal(),
            delivery,
        )
    };
    webhook::deliver_all(&shared, delivery);
    if terminal {
        return json_response(StatusCode::CREATED, &json);
    }
    let Some(wait) = prefer_wait(&headers) else {
        return json_response(StatusCode::CREATED, &json);
    };
    let hold = Duration::from_secs(wait).min(Duration::from_millis(wait_ms.unwrap_or(50)));
    tokio::time::sleep(hold).await;
    let json = shared
        .state()
        .job_mut(kind, &id)
        .map(|j| j.json.clone())
        .unwrap_or(json);
    json_response(StatusCode::ACCEPTED, &json)
}

async fn create_prediction(State(shared): Shr, headers: HeaderMap, body: Bytes) -> Resp {
    let body = match object_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let Some(version) = body["version"].as_str().map(str::to_string) else {
        return unprocessable("version is required");
    };
    let input = match input_of(&body) {
        Ok(i) => i,
        Err(r) => return *r,
    };
    // A published version belongs to its model; any other to the fake one.
    let model = shared
        .state()
        .versions
        .iter()
        .find(|(_, versions)| versions.iter().any(|v| v["id"] == version.as_str()))
        .map(|(model, _)| model.clone())
        .unwrap_or_else(|| "fake/model".into());
    let new = new_job(Kind::Prediction, model, version, input, &body, &headers);
    create_job(shared, headers, new).await
}

/// `POST /v1/models/{owner}/{name}/predictions` and the deployments equivalent.
async fn create_model_prediction(
    State(shared): Shr,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Resp {
    let body = match object_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let input = match input_of(&body) {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let model = format!("{owner}/{name}");
    let new = new_job(
        Kind::Prediction,
        model,
        "fake-version".into(),
        input,
        &body,
        &headers,
    );
    create_job(shared, headers, new).await
}

async fn create_training(
    State(shared): Shr,
    Path((owner, name, version)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Resp {
    let body = match object_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    if !body["destination"].is_string() {
        return unprocessable("destination is required");
    }
    let input = match input_of(&body) {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let new = new_job(
        Kind::Training,
        format!("{owner}/{name}"),
        version,
        input,
        &body,
        &headers,
    );
    // Trainings answer 201 at once: `Prefer` is a predictions feature.
    let mut headers = headers;
    headers.remove("prefer");
    create_job(shared, headers, new).await
}

async fn get_job(State(shared): Shr, Path(id): Path<String>, kind: Kind) -> Resp {
    let (json, delivery) = {
        let mut state = shared.state();
        let Some(job) = state.job_mut(kind, &id) else {
            return missing(kind_name(kind));
        };
        let delivery = job.advance();
        (job.json.clone(), delivery)
    };
    webhook::deliver_all(&shared, delivery);
    json_response(StatusCode::OK, &json)
}

async fn cancel_job(State(shared): Shr, Path(id): Path<String>, kind: Kind) -> Resp {
    let (json, delivery) = {
        let mut state = shared.state();
        let Some(job) = state.job_mut(kind, &id) else {
            return missing(kind_name(kind));
        };
        let delivery = job.finish("canceled");
        (job.json.clone(), delivery)
    };
    webhook::deliver_all(&shared, delivery);
    json_response(StatusCode::OK, &json)
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Prediction => "prediction",
        Kind::Training => "training",
    }
}

/// The `before` cursor of a list request: `Ok(None)` for the first page.
fn cursor_of(query: &HashMap<String, String>) -> Result<Option<u64>, Box<Resp>> {
    match query.get("cursor") {
        None => Ok(None),
        Some(c) => decode_cursor(c).map(Some).ok_or_else(|| {
            Box::new(problem(
                StatusCode::BAD_REQUEST,
                "Invalid cursor",
                "the cursor is not one this server made",
            ))
        }),
    }
}

/// `{"next","previous","results"}` for one page.
fn list_body(shared: &Shared, path: &str, results: Vec<Value>, next: Option<u64>) -> Value {
    json!({
        "next": next.map(|s| shared.url(&format!("{path}?cursor={}", encode_cursor(s)))),
        "previous": null,
        "results": results,
    })
}

async fn list_jobs(
    State(shared): Shr,
    Query(query): Query<HashMap<String, String>>,
    kind: Kind,
) -> Resp {
    let before = match cursor_of(&query) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let (results, next) = {
        let mut state = shared.state();
        let size = state.page_size;
        page(
            state.jobs(kind).iter().map(|j| (j.seq, &j.json)),
            before,
            size,
        )
    };
    let path = match kind {
        Kind::Prediction => "/v1/predictions",
        Kind::Training => "/v1/trainings",
    };
    json_response(StatusCode::OK, &list_body(&shared, path, results, next))
}

async fn list_files(State(shared): Shr, Query(query): Query<HashMap<String, String>>) -> Resp {
    let before = match cursor_of(&query) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let (results, next) = {
        let state = shared.state();
        page(
            state.files.iter().map(|f| (f.seq, &f.json)),
            before,
            state.page_size,
        )
    };
    json_response(
        StatusCode::OK,
        &list_body(&shared, "/v1/files", results, next),
    )
}

/// `POST /v1/files`: multipart with `content` (the file), and optional `filename`, `type` and
/// `metadata` (JSON text) parts.
async fn upload_file(State(shared): Shr, multipart: Result<Multipart, MultipartRejection>) -> Resp {
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "Invalid multipart body",
                &e.body_text(),
            )
        }
    };
    let mut content: Option<(Bytes, Option<String>, Option<String>)> = None;
    let mut filename = None;
    let mut content_type = None;
    let mut metadata = json!({});
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "Invalid multipart body",
                    &e.body_text(),
                )
            }
        };
        let name = field.name().unwrap_or("").to_string();
        let part_filename = field.file_name().map(str::to_string);
        let part_type = field.content_type().map(str::to_string);
        let data = match field.bytes().await {
            Ok(d) => d,
            Err(e) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "Invalid multipart body",
                    &e.body_text(),
                )
            }
        };
        let text = || String::from_utf8_lossy(&data).into_owned();
        match name.as_str() {
            "content" => content = Some((data.clone(), part_filename, part_type)),
            "filename" => filename = Some(text()),
            "type" => content_type = Some(text()),
            "metadata" => match serde_json::from_slice::<Value>(&data) {
                Ok(v) if v.is_object() => metadata = v,
                _ => return unprocessable("metadata must be a JSON object"),
            },
            _ => {}
        }
    }
    let Some((bytes, part_filename, part_type)) = content else {
        return unprocessable("the content part is required");
    };
    let name = filename.or(part_filename).unwrap_or_else(|| "file".into());
    let content_type = content_type
        .or(part_type)
        .unwrap_or_else(|| "application/octet-stream".into());
    let sha256: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let json = {
        let mut state = shared.state();
        let seq = state.seq();
        let id = state.id('f');
        let json = json!({
            "id": id,
            "name": name,
            "content_type": content_type,
            "size": bytes.len(),
            "etag": "x",
            "checksums": {"sha256": sha256},
            "metadata": metadata,
            "created_at": now_rfc3339(),
            "expires_at": super::state::rfc3339(SystemTime::now() + Duration::from_secs(86_400)),
            "urls": {"get": shared.url(&format!("/v1/files/{id}"))},
        });
        state.files.push(super::state::StoredFile {
            seq,
            id,
            json: json.clone(),
            content_type,
            bytes,
        });
        json
    };
    json_response(StatusCode::CREATED, &json)
}

async fn get_file(State(shared): Shr, Path(id): Path<String>) -> Resp {
    let state = shared.state();
    match state.files.iter().find(|f| f.id == id) {
        Some(f) => json_response(StatusCode::OK, &f.json),
        None => missing("file"),
    }
}

async fn delete_file(State(shared): Shr, Path(id): Path<String>) -> Resp {
    let mut state = shared.state();
    let before = state.files.len();
    state.files.retain(|f| f.id != id);
    if state.files.len() == before {
        return missing("file");
    }
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    resp
}

async fn download_file(State(shared): Shr, Path(id): Path<String>) -> Resp {
    let state = shared.state();
    let Some(f) = state.files.iter().find(|f| f.id == id) else {
        return missing("file");
    };
    let mut resp = Response::new(Body::from(f.bytes.clone()));
    let ct = HeaderValue::from_str(&f.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    resp.headers_mut().insert(header::CONTENT_TYPE, ct);
    resp
}

/// `GET /fake-output/{name}`: the name repeated to 1000 bytes.
async fn fake_output(Path(name): Path<String>) -> Resp {
    let bytes: Vec<u8> = name.bytes().cycle().take(1000).collect();
    let mut resp = Response::new(Body::from(bytes));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    resp
}

async fn webhook_secret(State(shared): Shr) -> Resp {
    json_response(StatusCode::OK, &json!({"key": shared.secret}))
}

async fn account() -> Resp {
    json_response(
        StatusCode::OK,
        &json!({
            "type": "user",
            "username": "fake",
            "name": "Fake User",
            "github_url": null,
            "avatar_url": null,
        }),
    )
}

/// `GET /v1/models/{owner}/{name}`: a published model with its latest version.
async fn get_model(State(shared): Shr, Path((owner, name)): Path<(String, String)>) -> Resp {
    let state = shared.state();
    let Some(latest) = state
        .versions
        .get(&format!("{owner}/{name}"))
        .and_then(|v| v.last())
    else {
        return problem(StatusCode::NOT_FOUND, "Not found", "no such model");
    };
    let mut model = fake_model();
    model["owner"] = json!(owner);
    model["name"] = json!(name);
    model["url"] = json!(format!("https://replicate.com/{owner}/{name}"));
    model["latest_version"] = latest.clone();
    json_response(StatusCode::OK, &model)
}

/// `GET /v1/models/{owner}/{name}/versions/{version_id}`.
async fn get_model_version(
    State(shared): Shr,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> Resp {
    let state = shared.state();
    let found = state
        .versions
        .get(&format!("{owner}/{name}"))
        .and_then(|versions| versions.iter().find(|v| v["id"] == id.as_str()));
    match found {
        Some(version) => json_response(StatusCode::OK, version),
        None => problem(StatusCode::NOT_FOUND, "Not found", "no such version"),
    }
}

fn fake_model() -> Value {
    json!({
        "url": "https://replicate.com/fake/model",
        "owner": "fake",
        "name": "model",
        "description": "A fake model.",
        "visibility": "public",
        "github_url": null,
        "paper_url": null,
        "license_url": null,
        "run_count": 0,
        "cover_image_url": null,
        "default_example": null,
        "latest_version": null,
    })
}

/// `/v1/models`: `GET` lists the fake model; `QUERY` (text body) finds it when the body is
/// non-empty.
async fn models(method: Method, uri: Uri, body: Bytes) -> Resp {
    let results = match method.as_str() {
        "GET" => vec![fake_model()],
        "QUERY" if body.iter().any(|b| !b.is_ascii_whitespace()) => vec![fake_model()],
        "QUERY" => vec![],
        _ => return method_not_allowed(method, uri).await,
    };
    json_response(
        StatusCode::OK,
        &json!({"next": null, "previous": null, "results": results}),
    )
}

/// `GET /v1/search` (no authentication needed).
async fn search(Query(query): Query<HashMap<String, String>>) -> Resp {
    json_response(
        StatusCode::OK,
        &json!({
            "query": query.get("query").cloned().unwrap_or_default(),
            "models": [],
            "collections": [],
            "pages": [],
        }),
    )
}
