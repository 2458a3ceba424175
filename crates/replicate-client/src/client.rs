//! The client: configuration, auth and sending a [`RequestSpec`].

use crate::error::{ApiError, Error};
use crate::runtime::{RawResponse, RequestBody, RequestSpec};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Replicate's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.replicate.com/v1";

/// A Replicate API client. Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    token: Option<String>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the token.
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("token", &self.inner.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Client {
    /// A client for the public API with this token.
    pub fn new(token: impl Into<String>) -> Client {
        Client::builder()
            .token(token)
            .build()
            .unwrap_or_else(|_| Client::fallback())
    }

    // `build` only fails when reqwest cannot initialise TLS; keep `new` infallible by falling
    // back to a default reqwest client, which reports the same problem on first use.
    fn fallback() -> Client {
        Client {
            inner: Arc::new(Inner {
                http: reqwest::Client::new(),
                base_url: DEFAULT_BASE_URL.into(),
                token: None,
            }),
        }
    }

    /// A client configured from `REPLICATE_API_TOKEN` and, optionally, `REPLICATE_BASE_URL`.
    pub fn from_env() -> Result<Client, Error> {
        let token = std::env::var("REPLICATE_API_TOKEN")
            .map_err(|_| Error::Config("REPLICATE_API_TOKEN is not set".into()))?;
        let mut builder = Client::builder().token(token);
        if let Ok(url) = std::env::var("REPLICATE_BASE_URL") {
            builder = builder.base_url(url);
        }
        builder.build()
    }

    /// A builder for base URL, timeouts and the HTTP client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Sends one request and reads the whole response. Error statuses become [`Error::Api`].
    pub async fn execute(&self, request: RequestSpec) -> Result<RawResponse, Error> {
        let operation = request.operation;
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
            Error::InvalidRequest(format!("invalid HTTP method {}", request.method))
        })?;
        let url = format!("{}{}", self.inner.base_url, request.path);
        let mut builder = self.inner.http.request(method, url);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if request.auth {
            if let Some(token) = &self.inner.token {
                builder = builder.bearer_auth(token);
            }
        }
        if let Some(accept) = request.accept {
            builder = builder.header(reqwest::header::ACCEPT, accept);
        }
        builder = match request.body {
            RequestBody::None => builder,
            RequestBody::Bytes {
                content_type,
                bytes,
            } => builder
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes),
            RequestBody::Multipart(form) => builder.multipart(form.to_reqwest()?),
        };
        let transport = |source: reqwest::Error| {
            if source.is_timeout() {
                Error::Timeout { operation }
            } else {
                Error::Transport { operation, source }
            }
        };
        let response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport)?;
        if !(200..300).contains(&status) {
            return Err(Error::Api(ApiError::new(operation, status, &body)));
        }
        Ok(RawResponse::new(operation, status, headers, body))
    }
}

/// Configures a [`Client`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    token: Option<String>,
    base_url: Option<String>,
    user_agent: Option<String>,
    timeout: Option<Duration>,
    http: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// The API token (sent as a bearer token).
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

    /// Timeout of each request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Use this `reqwest::Client` (its own timeouts and proxies apply).
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
                let mut b = reqwest::Client::builder().user_agent(agent);
                if let Some(t) = self.timeout {
                    b = b.timeout(t);
                }
                b.build()
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
                token: self.token,
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
}
