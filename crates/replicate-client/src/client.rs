//! The client: configuration, auth, retries and sending a [`RequestSpec`].

use crate::error::{ApiError, Error};
use crate::retry::{parse_retry_after, should_retry, Outcome, RetryPolicy};
use crate::runtime::{RawResponse, RequestBody, RequestSpec};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tracing::Instrument;

/// Replicate's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.replicate.com/v1";

/// Default timeout of one request (a `Prefer: wait` request gets its wait added).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A Replicate API client. Cheap to clone; clones share one connection pool.
///
/// ```no_run
/// # async fn demo() -> Result<(), replicate_client::Error> {
/// let client = replicate_client::Client::new("r8_...");
/// let prediction = client.predictions().get("gm3qorzdhgbfurvjtvhg6dckhu").await?;
/// println!("{}", prediction.status);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    token: Option<String>,
    /// `Bearer <token>`, built once and marked sensitive so it is never logged.
    auth: Option<reqwest::header::HeaderValue>,
    timeout: Duration,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the token.
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("token", &self.inner.token.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

impl Client {
    /// A client for the public API with this token.
    pub fn new(token: impl Into<String>) -> Client {
        let token = token.into();
        Client::builder()
            .token(token.clone())
            .build()
            .unwrap_or_else(|_| Client::fallback(token))
    }

    // `build` only fails when reqwest cannot initialise TLS; keep `new` infallible by falling
    // back to a default reqwest client, which reports the same problem on first use.
    fn fallback(token: String) -> Client {
        Client {
            inner: Arc::new(Inner {
                http: reqwest::Client::new(),
                base_url: DEFAULT_BASE_URL.into(),
                auth: auth_header(&token),
                token: Some(token),
                timeout: DEFAULT_TIMEOUT,
                retry: RetryPolicy::default(),
            }),
        }
    }

    /// A client configured from `REPLICATE_API_TOKEN` and, optionally, `REPLICATE_BASE_URL`.
    ///
    /// ```no_run
    /// let client = replicate_client::Client::from_env()?;
    /// # Ok::<(), replicate_client::Error>(())
    /// ```
    pub fn from_env() -> Result<Client, Error> {
        let token = std::env::var("REPLICATE_API_TOKEN")
            .map_err(|_| Error::Config("REPLICATE_API_TOKEN is not set".into()))?;
        let mut builder = Client::builder().token(token);
        if let Ok(url) = std::env::var("REPLICATE_BASE_URL") {
            builder = builder.base_url(url);
        }
        builder.build()
    }

    /// A builder for base URL, timeouts, retries and the HTTP client.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let client = replicate_client::Client::builder()
    ///     .token("r8_...")
    ///     .timeout(Duration::from_secs(30))
    ///     .retry_policy(replicate_client::RetryPolicy { max_retries: 5, ..Default::default() })
    ///     .build()?;
    /// # Ok::<(), replicate_client::Error>(())
    /// ```
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

    /// True when `url` is on the API's own origin (scheme, host and port), so the token may be
    /// sent to it. Output files on other hosts never receive the token.
    pub fn is_api_url(&self, url: &str) -> bool {
        fn origin(u: &str) -> Option<&str> {
            let rest = u.split_once("://")?.1;
            let end = rest.find('/').unwrap_or(rest.len());
            Some(&u[..u.len() - rest.len() + end])
        }
        origin(url).is_some() && origin(url) == origin(&self.inner.base_url)
    }

    /// Sends one request (with retries) and reads the whole response. Error statuses become
    /// [`Error::Api`].
    pub async fn execute(&self, request: RequestSpec) -> Result<RawResponse, Error> {
        let operation = request.operation;
        // The token is never a field: only what identifies the request and its outcome.
        let span = tracing::debug_span!(
            "replicate.request",
            operation,
            method = request.method,
            path = %request.path,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        let recorder = span.clone();
        async move {
            let mut retry = 0;
            loop {
                let attempt = async {
                    let mut response = self.send_once(&request, retry).await?;
                    let status = response.status().as_u16();
                    let headers = std::mem::take(response.headers_mut());
                    let body = response
                        .bytes()
                        .await
                        .map_err(|e| transport(operation, e))?;
                    Ok::<_, Error>((status, headers, body))
                }
                .await;
                let (outcome, retry_after) = match &attempt {
                    Ok((status, headers, _)) if !(200..300).contains(status) => {
                        let after = headers
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| parse_retry_after(v, SystemTime::now()));
                        (Some(Outcome::Status(*status)), after)
                    }
                    Ok(_) => (None, None),
                    Err(Error::Transport { connect: true, .. }) => {
                        (Some(Outcome::ConnectFailed), None)
                    }
                    Err(Error::Transport { .. } | Error::Timeout { .. }) => {
                        (Some(Outcome::MaybeSent), None)
                    }
                    Err(_) => (None, None),
                };
                if let Some(outcome) = outcome {
                    let allowed = retry < self.inner.retry.max_retries
                        && should_retry(request.method, outcome);
                    if let Some(delay) = allowed
                        .then(|| self.inner.retry.delay(retry + 1, retry_after))
                        .flatten()
                    {
                        retry += 1;
                        tracing::debug!(?outcome, retry, ?delay, "retrying");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                }
                let (status, headers, body) = attempt?;
                recorder.record("status", status);
                recorder.record("attempts", retry + 1);
                tracing::debug!(status, attempts = retry + 1, "response");
                if !(200..300).contains(&status) {
                    return Err(Error::Api(ApiError::new(operation, status, &body)));
                }
                return Ok(RawResponse::new(operation, status, headers, body));
            }
        }
        .instrument(span)
        .await
    }

    /// Sends one attempt and returns the response with its body unread (for streams and
    /// downloads). No status check, no retry.
    pub(crate) async fn send_once(
        &self,
        request: &RequestSpec,
        retry: u32,
    ) -> Result<reqwest::Response, Error> {
        let operation = request.operation;
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
            Error::InvalidRequest(format!("invalid HTTP method {}", request.method))
        })?;
        let absolute = request.path.starts_with("http://") || request.path.starts_with("https://");
        let url = if absolute {
            request.path.clone()
        } else {
            format!("{}{}", self.inner.base_url, request.path)
        };
        let send_token = request.auth && (!absolute || self.is_api_url(&url));
        let mut builder = self.inner.http.request(method, url);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
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
        if let Some(timeout) = request
            .timeout
            .or(Some(self.inner.timeout))
            .filter(|t| !t.is_zero())
        {
            let extra = request.server_wait.unwrap_or_default();
            builder = builder.timeout(timeout + extra);
        }
        // Bodies are rebuilt for every attempt (a multipart form is a stream reqwest consumes).
        builder = match &request.body {
            RequestBody::None => builder,
            RequestBody::Bytes {
                content_type,
                bytes,
            } => builder
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(bytes.clone()),
            RequestBody::Multipart(form) => builder.multipart(form.to_reqwest()?),
        };
        tracing::trace!(attempt = retry + 1, "sending");
        builder.send().await.map_err(|e| transport(operation, e))
    }
}

fn auth_header(token: &str) -> Option<reqwest::header::HeaderValue> {
    let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

pub(crate) fn transport(operation: &'static str, source: reqwest::Error) -> Error {
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

/// Configures a [`Client`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    token: Option<String>,
    base_url: Option<String>,
    user_agent: Option<String>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    http: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// The API token (sent as a bearer token, only to the API's own origin).
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

    /// Timeout of each request (default 60 s; zero disables it). A `Prefer: wait=n` request
    /// gets `n` seconds more.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// When and how to retry (default: 3 retries, exponential backoff with jitter).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Use this `reqwest::Client` (its own proxies and TLS settings apply).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let http = match self.http {
            Some(http) => http,
            None => {
                let agent = self
                    .user_agent
                    .unwrap_or_else(|| format!("replicate-rust/{}", env!("CARGO_PKG_VERSION")));
                reqwest::Client::builder()
                    .user_agent(agent)
                    .build()
                    .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?
            }
        };
        let base_url = self
            .base_url
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::Config(format!(
                "base URL must start with http:// or https://, got {base_url:?}"
            )));
        }
        let base_url = base_url.trim_end_matches('/').to_string();
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                auth: self.token.as_deref().and_then(auth_header),
                token: self.token,
                timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
                retry: self.retry.unwrap_or_default(),
            }),
        })
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
