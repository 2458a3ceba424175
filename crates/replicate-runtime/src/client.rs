//! The client: configuration, auth, retries and sending a [`RequestSpec`].

use crate::deadline::Deadline;
use crate::error::{ApiError, Error};
use crate::redirect::{self, Redirect};
use crate::retry::{should_retry, Outcome, RetryPolicy, Throttle};
use crate::runtime::{RawResponse, RequestBody, RequestSpec};
use bytes::{Bytes, BytesMut};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// Replicate's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.replicate.com/v1";

/// Default timeout of one attempt of a request (a `Prefer: wait` request gets its wait added).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Default limit of a response body read into memory.
pub const DEFAULT_MAX_RESPONSE_SIZE: u64 = 32 * 1024 * 1024;

/// Default longest silence of a download (or any streamed body) before it is abandoned.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The runtime client: sends [`RequestSpec`]s with auth, retries and limits. Cheap to clone;
/// clones share one connection pool, one retry throttle and one configuration.
///
/// Generated API crates wrap it in their own `Client`, which adds the operations
/// (`client.predictions().get(id)`) and dereferences to this one.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// `None` only for a client whose configuration failed (`config_error` says why).
    http: Option<reqwest::Client>,
    base_url: String,
    /// The origin of `base_url`, parsed once: the only origin that receives the token.
    api_origin: Option<redirect::Origin>,
    /// `Bearer <token>`, built once and marked sensitive so it is never logged.
    auth: Option<reqwest::header::HeaderValue>,
    /// Set when [`Client::new`] got a token that cannot be sent: every request fails with it
    /// instead of going out unauthenticated.
    config_error: Option<String>,
    timeout: Duration,
    /// Bounds one call, retries and their waits included.
    deadline: Option<Duration>,
    idle_timeout: Duration,
    max_response_size: u64,
    retry: RetryPolicy,
    throttle: Throttle,
    /// Sent with every request when the caller's own reqwest client is used (ours has it
    /// built in).
    user_agent: Option<reqwest::header::HeaderValue>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the token.
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("token", &self.inner.auth.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.inner.timeout)
            .field("idle_timeout", &self.inner.idle_timeout)
            .field("max_response_size", &self.inner.max_response_size)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

impl Client {
    /// A client for the public API with this token. A token that cannot be sent (empty, or
    /// with a newline) makes every request fail with [`Error::Config`];
    /// [`ClientBuilder::build`] reports it at once.
    pub fn new(token: impl Into<String>) -> Client {
        match Client::builder().token(token).build() {
            Ok(client) => client,
            Err(e) => {
                // Keep `new` infallible: the client reports the problem on every request
                // (never sending one without the token the caller meant to use).
                let mut inner = Inner::new(None, DEFAULT_BASE_URL.into());
                inner.config_error = Some(e.to_string());
                Client {
                    inner: Arc::new(inner),
                }
            }
        }
    }

    /// A client configured from `REPLICATE_API_TOKEN` and, optionally, `REPLICATE_BASE_URL`.
    /// An unset or empty token is an error. To change other settings too, start from
    /// [`ClientBuilder::from_env`].
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// A builder for base URL, timeouts, limits, retries and the HTTP client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Timeout of one attempt of a request.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Largest response body read into memory.
    pub fn max_response_size(&self) -> u64 {
        self.inner.max_response_size
    }

    /// Longest silence of a streamed body (a download) before it is abandoned.
    pub fn idle_timeout(&self) -> Duration {
        self.inner.idle_timeout
    }

    /// True when `url` is on the API's own origin (scheme, host and port), so the token may be
    /// sent to it. Output files on other hosts never receive the token.
    pub fn is_api_url(&self, url: &str) -> bool {
        reqwest::Url::parse(url).is_ok_and(|u| self.is_api_origin(&u))
    }

    fn is_api_origin(&self, url: &reqwest::Url) -> bool {
        self.inner
            .api_origin
            .as_ref()
            .is_some_and(|o| redirect::same_origin(o, url))
    }

    /// Sends one request (with retries) and reads the whole response (up to the size limit).
    /// Error statuses become [`Error::Api`].
    pub async fn execute(&self, request: RequestSpec) -> Result<RawResponse, Error> {
        let operation = request.operation;
        // The token is never a field: only what identifies the request and its outcome.
        let span = tracing::debug_span!(
            "replicate.request",
            operation,
            method = request.method,
            // After a `next` link the path is a server's URL, query included.
            path = %crate::redact(&request.path),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        let recorder = span.clone();
        // A request that may create something is never cut short in flight (the thing might
        // exist without the caller learning its id): for those a deadline only stops further
        // attempts. Other requests are abandoned at the deadline.
        let may_create = !crate::retry::is_idempotent(request.method);
        let deadline = self.deadline_from_now();
        let call = async move {
            let mut attempts = Attempts::default();
            loop {
                let attempt = async {
                    let mut response = self
                        .send_once(&request, attempts.made())
                        .await
                        .map_err(|e| (e, Bytes::new()))?;
                    let status = response.status().as_u16();
                    let headers = std::mem::take(response.headers_mut());
                    let body = self.read_body_keeping(&request, response).await?;
                    // Read first: a create's answer names its id even when it cannot be used.
                    if (200..300).contains(&status) {
                        refuse_unknown_encoding(operation, &headers)
                            .map_err(|e| (e, body.clone()))?;
                    }
                    Ok::<_, (Error, Bytes)>((status, headers, body))
                }
                .await;
                let mut retry_after = None;
                let outcome = match &attempt {
                    Ok((status, headers, _)) if !(200..300).contains(status) => {
                        retry_after = crate::retry::retry_after_of(headers);
                        Some(Outcome::Status(*status))
                    }
                    Ok(_) => None,
                    Err((Error::Transport { connect: true, .. }, _)) => {
                        Some(Outcome::ConnectFailed)
                    }
                    Err((Error::Transport { .. } | Error::Timeout { .. }, _)) => {
                        Some(Outcome::MaybeSent)
                    }
                    Err(_) => None,
                };
                // An answer naming what the create made says the server acted, whatever its
                // status (a 429 included): never sent again.
                let acted = request.creates
                    && matches!(&attempt, Ok((_, _, body)) if crate::scan::created_id(body).is_some());
                if let Some(delay) = outcome
                    .filter(|_| !acted)
                    .and_then(|o| attempts.pause(self, request.method, o, retry_after, deadline))
                {
                    tokio::time::sleep(delay).await;
                    continue;
                }
                let (status, headers, body) = match attempt {
                    Ok(answer) => answer,
                    Err((error, partial)) => {
                        return Err(keep_created_id(&request, error, &partial))
                    }
                };
                let attempts = attempts.made() + 1;
                recorder.record("status", status);
                recorder.record("attempts", attempts);
                tracing::debug!(status, attempts, "response");
                if !(200..300).contains(&status) {
                    let error =
                        ApiError::new(operation, status, &body).with_retry_after(retry_after);
                    return Err(keep_created_id(&request, Error::Api(error), &body));
                }
                return Ok(
                    RawResponse::new(operation, status, headers, body).created(request.creates)
                );
            }
        }
        .instrument(span);
        match deadline {
            // Retries, backoff and throttling included: the caller waits no longer than this.
            Some(deadline) if !may_create => crate::deadline::within(
                deadline,
                tokio::time::timeout_at(deadline.ends_at.into(), call),
            )
            .await
            .unwrap_or_else(|_| Err(deadline.exceeded(operation))),
            Some(deadline) => crate::deadline::within(deadline, call).await,
            None => call.await,
        }
    }

    /// Sends a GET-like request whose body is streamed (downloads, event streams) and returns
    /// the response of the first attempt that succeeds, its body unread: the same retries as
    /// [`execute`](Self::execute) (statuses, resets, refused connections, `Retry-After`, the
    /// client-wide throttle) and the same deadline, each head bounded by `head_timeout`. An
    /// error status ends with [`Error::Api`] (its body read within `body_timeout`, its
    /// `Retry-After` kept).
    #[doc(hidden)]
    pub async fn open(
        &self,
        request: &RequestSpec,
        head_timeout: Duration,
        body_timeout: Duration,
    ) -> Result<reqwest::Response, Error> {
        let operation = request.operation;
        let deadline = self.deadline_from_now();
        let mut attempts = Attempts::default();
        let call = async {
            loop {
                let head = self.send_once(request, attempts.made());
                let sent = if head_timeout.is_zero() {
                    head.await
                } else {
                    tokio::time::timeout(head_timeout, head)
                        .await
                        .unwrap_or(Err(Error::Timeout { operation }))
                };
                let (outcome, retry_after, error) = match sent {
                    Ok(response) if response.status().is_success() => {
                        refuse_unknown_encoding(operation, response.headers())?;
                        return Ok(response);
                    }
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let retry_after = crate::retry::retry_after_of(response.headers());
                        let body = self
                            .read_body_within(operation, response, body_timeout)
                            .await?;
                        let error =
                            ApiError::new(operation, status, &body).with_retry_after(retry_after);
                        (
                            Some(Outcome::Status(status)),
                            retry_after,
                            Error::Api(error),
                        )
                    }
                    Err(e @ Error::Transport { connect: true, .. }) => {
                        (Some(Outcome::ConnectFailed), None, e)
                    }
                    Err(e @ (Error::Transport { .. } | Error::Timeout { .. })) => {
                        (Some(Outcome::MaybeSent), None, e)
                    }
                    Err(e) => (None, None, e),
                };
                match outcome
                    .and_then(|o| attempts.pause(self, request.method, o, retry_after, deadline))
                {
                    Some(delay) => tokio::time::sleep(delay).await,
                    None => return Err(error),
                }
            }
        };
        match deadline {
            Some(deadline) => crate::deadline::within(
                deadline,
                tokio::time::timeout_at(deadline.ends_at.into(), call),
            )
            .await
            .unwrap_or_else(|_| Err(deadline.exceeded(operation))),
            None => call.await,
        }
    }

    /// The deadline of a call starting now: the client's, or the one in force
    /// ([`crate::deadline::within`]), whichever ends first.
    #[doc(hidden)]
    pub fn deadline_from_now(&self) -> Option<Deadline> {
        match self.inner.deadline {
            Some(d) => Some(Deadline::after(Instant::now(), d).min(crate::deadline::current())),
            None => crate::deadline::current(),
        }
    }

    /// [`read_body`](Self::read_body) bounded in time, for responses whose request had no
    /// overall timeout (streams, downloads): an error body that stalls must not hang the call.
    #[doc(hidden)]
    pub async fn read_body_within(
        &self,
        operation: &'static str,
        response: reqwest::Response,
        limit: Duration,
    ) -> Result<bytes::Bytes, Error> {
        if limit.is_zero() {
            return self.read_body(operation, response).await;
        }
        tokio::time::timeout(limit, self.read_body(operation, response))
            .await
            .unwrap_or(Err(Error::Timeout { operation }))
    }

    /// Reads a whole body, failing as soon as it passes the size limit (before reading it at
    /// all when `Content-Length` already says so).
    #[doc(hidden)]
    pub async fn read_body(
        &self,
        operation: &'static str,
        response: reqwest::Response,
    ) -> Result<bytes::Bytes, Error> {
        let request = RequestSpec::new("GET", String::new(), operation);
        self.read_body_keeping(&request, response)
            .await
            .map_err(|(error, _)| error)
    }

    /// [`read_body`](Self::read_body) that, on error, also returns what it read: for a request
    /// that [`creates`](RequestSpec::creates), at least the start of a body that is too large
    /// is read, since it names what was created.
    async fn read_body_keeping(
        &self,
        request: &RequestSpec,
        mut response: reqwest::Response,
    ) -> Result<Bytes, (Error, Bytes)> {
        let operation = request.operation;
        let limit = self.inner.max_response_size;
        let too_large = || Error::TooLarge {
            operation,
            what: "the response body",
            limit,
        };
        let declared = response.content_length();
        if declared.is_some_and(|n| n > limit) && !request.creates {
            return Err((too_large(), Bytes::new()));
        }
        // (A create's answer is read chunk by chunk: if it is cut off, its start names the id.)
        if declared.is_some_and(|n| n <= limit) && !request.creates {
            // The length is known and within the limit, and hyper enforces it: read in one
            // piece, without copying chunk by chunk.
            return response
                .bytes()
                .await
                .map_err(|e| (transport(operation, e), Bytes::new()));
        }
        let mut body = BytesMut::new();
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => return Ok(body.freeze()),
                Err(e) => return Err((transport(operation, e), body.freeze())),
            };
            if (body.len() + chunk.len()) as u64 > limit {
                // Keep the start (where a created thing's id is), never more than the limit.
                let room = (limit as usize)
                    .saturating_sub(body.len())
                    .min(CREATED_ID_PREFIX);
                body.extend_from_slice(&chunk[..room.min(chunk.len())]);
                return Err((too_large(), body.freeze()));
            }
            body.extend_from_slice(&chunk);
        }
    }

    /// Sends one attempt and returns the response with its body unread (for streams and
    /// downloads), following redirects by the policy in [`crate::redirect`]. No status check,
    /// no retry. Waits out the client-wide throttle first.
    #[doc(hidden)]
    pub async fn send_once(
        &self,
        request: &RequestSpec,
        retry: u32,
    ) -> Result<reqwest::Response, Error> {
        let operation = request.operation;
        if let Some(problem) = &self.inner.config_error {
            return Err(Error::Config(problem.clone()));
        }
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
            Error::InvalidRequest(format!("invalid HTTP method {}", request.method))
        })?;
        let mut url = request.url(&self.inner.base_url)?;
        let mut visited: Vec<reqwest::Url> = Vec::new();
        let deadline = crate::deadline::current();
        loop {
            // Nothing is sent after the deadline, and no throttle pause runs past it.
            let ready = self.inner.throttle.ready(deadline.map(|d| d.ends_at)).await;
            if let Some(deadline) = deadline.filter(|d| !ready || d.passed()) {
                return Err(deadline.exceeded(operation));
            }
            tracing::trace!(attempt = retry + 1, hop = visited.len(), "sending");
            let response = self
                .build_request(request, method.clone(), url)?
                .send()
                .await
                .map_err(|e| transport(operation, e))?;
            let status = response.status().as_u16();
            if !redirect::is_redirect(status) {
                return Ok(response);
            }
            // Only a redirect needs the URL again (redirects are never followed by reqwest, so
            // the response's URL is the one sent).
            let current = response.url().clone();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok());
            match redirect::decide(
                request.method,
                request.cross_origin_redirects,
                &visited,
                &current,
                status,
                location,
            ) {
                Redirect::Follow(next) => {
                    tracing::debug!(status, to = %next, "following redirect");
                    visited.push(current);
                    url = reqwest::Url::parse(&next).map_err(|e| {
                        Error::InvalidRequest(format!("invalid redirect URL {next:?}: {e}"))
                    })?;
                }
                Redirect::Refuse(message) => {
                    // It quotes the server's Location: cleaned where captured.
                    let message = crate::error::clean(&message);
                    return Err(Error::Protocol { operation, message });
                }
            }
        }
    }

    fn build_request(
        &self,
        request: &RequestSpec,
        method: reqwest::Method,
        url: reqwest::Url,
    ) -> Result<reqwest::RequestBuilder, Error> {
        // The token goes only to the API's own origin, whatever URL the request started at.
        let send_token = request.auth && self.is_api_origin(&url);
        let Some(http) = &self.inner.http else {
            let reason = self.inner.config_error.clone();
            return Err(Error::Config(
                reason.unwrap_or_else(|| "no HTTP client".into()),
            ));
        };
        let mut builder = http.request(method, url);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if send_token {
            if let Some(auth) = &self.inner.auth {
                builder = builder.header(reqwest::header::AUTHORIZATION, auth.clone());
            }
        }
        if let Some(accept) = request.accept {
            builder = builder.header(reqwest::header::ACCEPT, accept);
        }
        if let Some(agent) = &self.inner.user_agent {
            builder = builder.header(reqwest::header::USER_AGENT, agent.clone());
        }
        if let Some(timeout) = request
            .timeout
            .or(Some(self.inner.timeout))
            .filter(|t| !t.is_zero())
        {
            let extra = request.server_wait.unwrap_or_default();
            builder = builder.timeout(timeout + extra);
        }
        // Bodies are rebuilt for every attempt (a multipart form is a stream reqwest consumes).
        Ok(match &request.body {
            RequestBody::None => builder,
            RequestBody::Bytes {
                content_type,
                bytes,
            } => builder
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(bytes.clone()),
            #[cfg(feature = "multipart")]
            RequestBody::Multipart(form) => builder.multipart(form.to_reqwest()?),
        })
    }
}

impl Inner {
    fn new(http: Option<reqwest::Client>, base_url: String) -> Inner {
        Inner {
            http,
            api_origin: reqwest::Url::parse(&base_url)
                .ok()
                .map(|u| redirect::origin(&u)),
            base_url,
            auth: None,
            config_error: None,
            timeout: DEFAULT_TIMEOUT,
            deadline: None,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            retry: RetryPolicy::default(),
            throttle: Throttle::default(),
            user_agent: None,
        }
    }
}

/// How much of a too-large answer to a create is kept, to find the id it names.
const CREATED_ID_PREFIX: usize = 64 * 1024;

/// The attempts of one request so far, and the one rule for whether and how long to pause
/// before the next: shared by [`Client::execute`] and [`Client::open`].
#[derive(Default)]
struct Attempts {
    retries: u32,
    throttled: u32,
}

impl Attempts {
    /// Retries made so far.
    fn made(&self) -> u32 {
        self.retries + self.throttled
    }

    /// The pause before another attempt after `outcome`, or `None` to stop: the policy's
    /// budgets (429s counted apart), the method's safety, `Retry-After`, and the deadline (a
    /// pause that would end after it is not started). A 429 slows the whole client down.
    fn pause(
        &mut self,
        client: &Client,
        method: &str,
        outcome: Outcome,
        retry_after: Option<Duration>,
        deadline: Option<Deadline>,
    ) -> Option<Duration> {
        let policy = &client.inner.retry;
        let is_429 = outcome == Outcome::Status(429);
        let (used, budget) = if is_429 {
            (self.throttled, policy.max_throttled_retries)
        } else {
            (self.retries, policy.max_retries)
        };
        let delay = (used < budget && should_retry(method, outcome))
            .then(|| policy.delay(used + 1, retry_after))
            .flatten()
            .filter(|delay| fits_before(deadline, *delay))?;
        if is_429 {
            self.throttled += 1;
            // Everyone waits: the server asked the client, not this task.
            client.inner.throttle.slow_down(delay);
        } else {
            self.retries += 1;
        }
        tracing::debug!(
            ?outcome,
            retries = self.retries,
            throttled = self.throttled,
            ?delay,
            "retrying"
        );
        Some(delay)
    }
}

/// True when a pause of `delay` from now ends before the deadline (or there is none).
fn fits_before(deadline: Option<Deadline>, delay: Duration) -> bool {
    deadline.is_none_or(|d| {
        Instant::now()
            .checked_add(delay)
            .is_some_and(|t| t < d.ends_at)
    })
}

/// For a request that [`creates`](RequestSpec::creates) something: ties `error` to the id that
/// the bytes of its answer name, read tolerantly (they may be cut off or not decode).
fn keep_created_id(request: &RequestSpec, error: Error, answer: &[u8]) -> Error {
    match request
        .creates
        .then(|| crate::scan::created_id(answer))
        .flatten()
    {
        Some(id) => error.after_create(&id),
        None => error,
    }
}

/// A success whose body is still encoded (a `Content-Encoding` this client did not decode,
/// e.g. `br` sent unasked, or any encoding through a caller's `reqwest::Client` built without
/// decompression) is refused, naming the encoding: its bytes are not the answer.
#[doc(hidden)]
pub fn refuse_unknown_encoding(
    operation: &'static str,
    headers: &reqwest::header::HeaderMap,
) -> Result<(), Error> {
    let encoding = headers
        .get_all(reqwest::header::CONTENT_ENCODING)
        .iter()
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|v| !v.is_empty() && v != "identity")
        .collect::<Vec<_>>();
    if encoding.is_empty() {
        return Ok(());
    }
    Err(Error::Protocol {
        operation,
        message: format!(
            "the response is encoded with `{}`, which this client does not decode (gzip and \
             deflate are decoded unless the reqwest client given to `http_client` lacks them)",
            crate::error::snippet(encoding.join(", ").as_bytes())
        ),
    })
}

/// Our reqwest client: the TLS stack of [`crate::tls`]; redirects are never followed by
/// reqwest (see [`crate::redirect`]).
fn try_http_client(
    user_agent: Option<String>,
    extra_roots_pem: &[Vec<u8>],
) -> Result<reqwest::Client, Error> {
    let agent = user_agent
        .unwrap_or_else(|| concat!("replicate-runtime/", env!("CARGO_PKG_VERSION")).to_owned());
    crate::tls::reqwest_builder(extra_roots_pem)?
        .user_agent(agent)
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// `Bearer <token>` as a sensitive header value; the error never contains the token.
fn auth_header(token: &str) -> Result<reqwest::header::HeaderValue, Error> {
    if token.is_empty() {
        return Err(Error::Config("the API token is empty".into()));
    }
    if let Some(pos) = token.find(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(Error::Config(format!(
            "the API token has whitespace or a control character at byte {pos} (a stray newline?)"
        )));
    }
    let mut value =
        reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            Error::Config("the API token has characters not allowed in an HTTP header".into())
        })?;
    value.set_sensitive(true);
    Ok(value)
}

#[doc(hidden)]
pub fn transport(operation: &'static str, mut source: reqwest::Error) -> Error {
    // The URL reqwest shows may be a server's (a `next` link, a redirect, a file URL), and a
    // server may echo credentials into it: its query is redacted like any server text.
    if let Some(url) = source.url_mut() {
        let query = url.query().map(crate::redact);
        url.set_query(query.as_deref());
    }
    if source.is_timeout() {
        Error::Timeout { operation }
    } else {
        Error::Transport {
            operation,
            connect: source.is_connect(),
            source,
        }
    }
}

/// Configures a client: the runtime [`Client`], or (through `C`) a generated API crate's
/// client that wraps it, so `Client::builder()...build()` gives the type it was called on.
pub struct ClientBuilder<C = Client> {
    token: Option<String>,
    base_url: Option<String>,
    user_agent: Option<String>,
    timeout: Option<Duration>,
    deadline: Option<Duration>,
    idle_timeout: Option<Duration>,
    max_response_size: Option<u64>,
    retry: Option<RetryPolicy>,
    http: Option<reqwest::Client>,
    root_certificates: Vec<Vec<u8>>,
    client: PhantomData<fn() -> C>,
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        ClientBuilder {
            token: None,
            base_url: None,
            user_agent: None,
            timeout: None,
            deadline: None,
            idle_timeout: None,
            max_response_size: None,
            retry: None,
            http: None,
            root_certificates: Vec::new(),
            client: PhantomData,
        }
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the token.
        f.debug_struct("ClientBuilder")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_response_size", &self.max_response_size)
            .field("retry", &self.retry)
            .field("http", &self.http.as_ref().map(|_| "<custom>"))
            .field("root_certificates", &self.root_certificates.len())
            .finish()
    }
}

impl<C: From<Client>> ClientBuilder<C> {
    /// A builder started from the environment: `REPLICATE_API_TOKEN` (required, not empty)
    /// and `REPLICATE_BASE_URL` (optional); override anything after.
    pub fn from_env() -> Result<Self, Error> {
        let token = std::env::var("REPLICATE_API_TOKEN")
            .map_err(|_| Error::Config("REPLICATE_API_TOKEN is not set".into()))?;
        if token.is_empty() {
            return Err(Error::Config("REPLICATE_API_TOKEN is set but empty".into()));
        }
        let mut builder = Self::default().token(token);
        if let Ok(url) = std::env::var("REPLICATE_BASE_URL") {
            builder = builder.base_url(url);
        }
        Ok(builder)
    }

    /// The API token (sent as a bearer token, only to the API's own origin). An empty token or
    /// one with whitespace makes [`build`](Self::build) fail.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The base URL, e.g. a local test server (`http://127.0.0.1:8080/v1`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    /// Timeout of each attempt of a request (default 60 s; zero disables it), from sending to
    /// the end of the body. A `Prefer: wait=n` request gets `n` seconds more. Retries get a
    /// fresh timeout each; `WaitOptions::timeout` in `replicate-typed` bounds a whole wait.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The longest one call may take in all: every attempt, backoff and throttling pause
    /// included (default: none; each attempt is still bounded by [`timeout`](Self::timeout)).
    /// Past it the call fails with [`Error::Deadline`] (the deadline and the time elapsed); a
    /// pause that would end after it is not started (the last answer is returned at once).
    /// A request that may create something (POST, PATCH) is never sent after it, and never cut
    /// short while in flight, since what it created would be lost to the caller. Downloads
    /// are bounded by it body included. It does not bound `wait`/`run`, which have their own
    /// deadline (`WaitOptions::timeout`, `RunOptions::deadline` in `replicate-typed`).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Longest silence while a download's body is streaming (default 60 s); the download
    /// then fails with [`Error::Timeout`] and leaves no file behind.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Largest response body read into memory (default 32 MiB); larger ones fail with
    /// [`Error::TooLarge`] without being read. Downloads and event streams are not bounded by
    /// it (they stream).
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.max_response_size = Some(bytes);
        self
    }

    /// When and how to retry (default: 3 retries, 10 after 429s, exponential backoff with
    /// jitter).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Use this `reqwest::Client`: its proxies, TLS and connection settings apply. Everything
    /// else set here still applies per request: token, `user_agent` (sent as a header),
    /// timeouts, deadline, retries, size limits. Build it with
    /// `.redirect(reqwest::redirect::Policy::none())`: with reqwest's default policy, reqwest
    /// itself re-sends a POST on a 307/308 before this crate sees it.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Also trust this root certificate (PEM text, one or more certificates), beside the
    /// platform's: a private CA in front of the API, or a local test server. The TLS stack is
    /// chosen by features (see [`crate::tls`]). Ignored when [`http_client`](Self::http_client)
    /// gives the HTTP client.
    pub fn add_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Builds the client; fails on a bad token, base URL or root certificate.
    pub fn build(self) -> Result<C, Error> {
        let custom_agent = match (&self.http, &self.user_agent) {
            (Some(_), Some(agent)) => Some(
                reqwest::header::HeaderValue::from_str(agent)
                    .map_err(|_| Error::Config(format!("invalid user agent {agent:?}")))?,
            ),
            _ => None,
        };
        let http = match self.http {
            Some(http) => http,
            None => try_http_client(self.user_agent, &self.root_certificates)?,
        };
        let base_url = self
            .base_url
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        if !(base_url.starts_with("http://") || base_url.starts_with("https://"))
            || reqwest::Url::parse(&base_url).is_err()
        {
            return Err(Error::Config(format!(
                "base URL must be an http:// or https:// URL, got {base_url:?}"
            )));
        }
        let mut inner = Inner::new(Some(http), base_url.trim_end_matches('/').to_string());
        inner.auth = self.token.as_deref().map(auth_header).transpose()?;
        inner.timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        inner.deadline = self.deadline;
        inner.user_agent = custom_agent;
        inner.idle_timeout = self.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT);
        inner.max_response_size = self.max_response_size.unwrap_or(DEFAULT_MAX_RESPONSE_SIZE);
        inner.retry = self.retry.unwrap_or_default();
        Ok(C::from(Client {
            inner: Arc::new(inner),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let client = Client::new("r8_secret_token");
        let shown = format!("{client:?}");
        assert!(!shown.contains("r8_secret_token"), "{shown}");
        assert!(shown.contains("<redacted>"));
        let builder = Client::builder().token("r8_secret_token");
        let shown = format!("{builder:?}");
        assert!(!shown.contains("r8_secret_token"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[tokio::test]
    async fn tokens_that_cannot_be_sent_are_configuration_errors() {
        for bad in ["", "r8_abc\nX-Evil: 1", "r8_abc ", "r8_\u{7f}"] {
            let err = Client::builder().token(bad).build().unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{bad:?}: {err}");
            assert!(!err.to_string().contains("r8_abc"), "{err}");
            // The infallible constructor fails every request instead of sending it without auth.
            let client = Client::new(bad);
            let request = RequestSpec::new("GET", "/account".into(), "account.get");
            let err = client.execute(request).await.unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{bad:?}: {err}");
        }
    }

    #[test]
    fn base_url_is_checked_and_trimmed() {
        let c = Client::builder()
            .base_url("http://127.0.0.1:1/v1/")
            .build()
            .unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:1/v1");
        assert!(matches!(
            Client::builder().base_url("ftp://x").build(),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn token_goes_only_to_the_api_origin() {
        let c = Client::builder()
            .base_url("https://api.replicate.com/v1")
            .build()
            .unwrap();
        assert!(c.is_api_url("https://api.replicate.com/v1/files/x/download"));
        assert!(!c.is_api_url("https://replicate.delivery/abc/out.png"));
        assert!(!c.is_api_url("https://api.replicate.com.evil.example/v1"));
        assert!(!c.is_api_url("http://api.replicate.com/v1"));
    }
}
