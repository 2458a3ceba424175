//! The one error type of the client.

use std::fmt;

/// Everything that can go wrong when calling the API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error status.
    #[error("{0}")]
    Api(ApiError),
    /// The API answered with a success status the operation does not declare.
    #[error("unexpected HTTP status {status} from {operation}")]
    UnexpectedStatus {
        /// operationId of the request.
        operation: &'static str,
        /// The status.
        status: u16,
        /// The start of the body ([`snippet`]: bounded, redacted, control characters escaped).
        body: String,
    },
    /// The request could not be sent or the response not read.
    #[error("transport error calling {operation}")]
    Transport {
        /// operationId of the request.
        operation: &'static str,
        /// The connection was never established (the server cannot have seen the request).
        connect: bool,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The request timed out.
    #[error("request {operation} timed out")]
    Timeout {
        /// operationId of the request.
        operation: &'static str,
    },
    /// A call's deadline passed at `operation`. A request that may create something (POST,
    /// PATCH) is never sent after it, nor cut short in flight: this error then means it was
    /// not sent. Any other request is abandoned at the deadline.
    #[error("the deadline of {deadline:?} passed after {elapsed:?}, at {operation}")]
    Deadline {
        /// operationId of the request that was not sent.
        operation: &'static str,
        /// The deadline the call was given.
        deadline: std::time::Duration,
        /// How long the call had run when it stopped.
        elapsed: std::time::Duration,
    },
    /// A response body did not match its type.
    #[error("cannot decode the response of {operation} at `{path}`: {message}{}", body_context(content_type.as_deref(), snippet.as_deref()))]
    Decode {
        /// operationId of the request.
        operation: &'static str,
        /// JSON path of the bad field (`results[3].status`), `.` for the root.
        path: String,
        /// What was wrong.
        message: String,
        /// The response's `Content-Type`, when there was a response.
        content_type: Option<String>,
        /// The start of the body (bounded, tokens redacted), when there was a body.
        snippet: Option<String>,
    },
    /// A response (or one event of a stream) was larger than the configured limit; nothing of
    /// it was kept.
    #[error("{what} of {operation} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// operationId of the request.
        operation: &'static str,
        /// What was too large (`the response body`, `one event`).
        what: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
    /// The server broke the protocol in a way no retry can fix (a `next` link that loops, a
    /// redirect that may not be followed).
    #[error("{operation}: {message}")]
    Protocol {
        /// operationId of the request.
        operation: &'static str,
        /// What the server did.
        message: String,
    },
    /// Something went wrong after a prediction was created (and may be billed): the error
    /// keeps its id, so the caller can look it up or wait again
    /// (`Client::wait_for` in `replicate-typed`).
    #[error("prediction {} was created, but {source}", clean(id))]
    AfterCreate {
        /// Id of the created prediction.
        id: String,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    /// A model input broke its schema's constraints; nothing was sent.
    #[error("invalid input `{field}`: {message}")]
    InvalidInput {
        /// The input field.
        field: String,
        /// The value and the bound it broke.
        message: String,
    },
    /// The request was rejected before sending (bad parameter, unencodable body).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client is misconfigured (missing token, bad base URL).
    #[error("client configuration: {0}")]
    Config(String),
    /// A prediction (or training) ended without succeeding: failed, canceled or aborted.
    #[error("prediction {} {}{}", clean(id), clean(status), error.as_deref().map(|e| format!(": {}", clean(e))).unwrap_or_default())]
    PredictionFailed {
        /// Prediction id.
        id: String,
        /// Final status (`failed`, `canceled`, `aborted`).
        status: String,
        /// The model's error message ([`snippet`]: bounded, redacted, escaped).
        error: Option<String>,
        /// The logs up to the end (credentials redacted).
        logs: Option<String>,
    },
    /// Waiting for a prediction passed its deadline; the prediction may still be running.
    #[error("prediction {} still {} after {waited:?}", clean(id), clean(status))]
    WaitTimeout {
        /// Prediction id.
        id: String,
        /// Last status seen.
        status: String,
        /// How long the call had run (for a `run`, since it started, uploads included).
        waited: std::time::Duration,
    },
    /// A server-sent event stream broke and could not be resumed.
    #[error("event stream: {0}")]
    Stream(String),
    /// A webhook failed verification or parsing.
    #[error("webhook: {0}")]
    Webhook(String),
    /// Reading or writing a local file failed.
    #[error("{context}")]
    Io {
        /// What we were doing (with the path).
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::UnexpectedStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when sending the same request again may succeed (rate limits, overload, network).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => matches!(e.status, 429 | 502 | 503 | 504),
            Error::Transport { .. } => true,
            Error::Timeout { .. } => true,
            Error::Deadline { .. } => false,
            Error::AfterCreate { source, .. } => source.is_retryable(),
            _ => false,
        }
    }

    /// The id of the prediction this error is about, when one was created: the caller can
    /// still fetch it, wait for it or cancel it.
    pub fn prediction_id(&self) -> Option<&str> {
        match self {
            Error::AfterCreate { id, .. }
            | Error::PredictionFailed { id, .. }
            | Error::WaitTimeout { id, .. } => Some(id),
            _ => None,
        }
    }

    /// Ties an error that happened after prediction `id` was created to that id (unless it
    /// already names it).
    #[doc(hidden)]
    pub fn after_create(self, id: &str) -> Error {
        if self.prediction_id().is_some() {
            self
        } else {
            Error::AfterCreate {
                id: id.to_string(),
                source: Box::new(self),
            }
        }
    }

    /// A decode error without a response behind it (a value already in memory). Path and
    /// message quote what a server sent (serde quotes the bad value): [`snippet`]ed here.
    #[doc(hidden)]
    pub fn decode(
        operation: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error::Decode {
            operation,
            path: snippet(path.into().as_bytes()),
            message: snippet(message.into().as_bytes()),
            content_type: None,
            snippet: None,
        }
    }
}

fn body_context(content_type: Option<&str>, snippet: Option<&str>) -> String {
    match (content_type, snippet) {
        (None, None) => String::new(),
        (content_type, snippet) => format!(
            " (content type {}, body {})",
            content_type.unwrap_or("not given"),
            match snippet {
                Some("") | None => "empty".to_string(),
                Some(s) => format!("{s:?}"),
            }
        ),
    }
}

/// How much of a body an error keeps.
pub const SNIPPET_LIMIT: usize = 300;

/// Server-controlled text made safe to show: credentials redacted ([`redact`]) and control
/// characters escaped (`\n`, `\u{1b}`), so it cannot forge log lines or drive a terminal.
/// Every error applies it to what a server sent, where the text is captured.
pub fn clean(text: &str) -> String {
    escape_controls(&redact(text))
}

fn escape_controls(text: &str) -> String {
    // Bidirectional overrides reorder what a terminal shows; escaped like control characters.
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The start of a body for an error message: at most [`SNIPPET_LIMIT`] bytes (on a character
/// boundary, `…` when cut), [`clean`]ed: anything that looks like a token or secret replaced and
/// control characters escaped, so a proxy or server echoing credentials cannot leak them into
/// logs.
pub fn snippet(body: &[u8]) -> String {
    // Cut first (bounded work whatever the body size), then redact.
    let cut = &body[..body.len().min(SNIPPET_LIMIT)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if cut.len() < body.len() {
        // A multi-byte character split by the cut becomes U+FFFD; drop it.
        text = text.trim_end_matches('\u{FFFD}').to_string();
        text.push('…');
    }
    clean(&text)
}

/// Replaces what looks like a credential: Replicate tokens (`r8_…`), webhook secrets
/// (`whsec_…`), bearer tokens, and the value of any `token`, `secret`, `password`, `api_key`
/// or `authorization` key (JSON, form or header style).
pub fn redact(text: &str) -> String {
    static SECRET: std::sync::LazyLock<regex_lite::Regex> = std::sync::LazyLock::new(|| {
        regex_lite::Regex::new(
            r#"(?i)(r8_|whsec_|(?:bearer|basic)\s+|(?:token|secret|password|passwd|api[_-]?key|authorization)["']?\s*[:=]\s*["']?(?:(?:bearer|basic)\s+)?)[^\s"',;&}\\]+"#,
        )
        .expect("valid regex")
    });
    SECRET
        .replace_all(text, |c: &regex_lite::Captures<'_>| {
            format!("{}<redacted>", &c[1])
        })
        .into_owned()
}

/// An error answer from the API, with its problem details when the body has them.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// operationId of the request.
    pub operation: &'static str,
    /// HTTP status.
    pub status: u16,
    /// `title` of an `application/problem+json` body ([`snippet`]ed).
    pub title: Option<String>,
    /// `detail` of the body (problem+json, or Replicate's `{"detail": ..}`; [`snippet`]ed).
    pub detail: Option<String>,
    /// The start of the body ([`snippet`]: at most [`SNIPPET_LIMIT`] bytes, credentials
    /// redacted, control characters escaped). The server's text is never kept raw: it may
    /// echo the request's `Authorization` header.
    pub body: String,
    /// The server's `Retry-After`, when it sent one (e.g. a 429 whose wait exceeded
    /// [`RetryPolicy::max_retry_after`](crate::RetryPolicy::max_retry_after)).
    pub retry_after: Option<std::time::Duration>,
}

impl ApiError {
    /// Reads status and body into an error, picking out `title`/`detail` when present. Every
    /// text is [`snippet`]ed here, where it is captured.
    pub fn new(operation: &'static str, status: u16, body: &[u8]) -> ApiError {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let field = |name: &str| {
            parsed
                .as_ref()
                .and_then(|v| v.get(name))
                .and_then(|v| v.as_str())
                .map(|text| snippet(text.as_bytes()))
        };
        ApiError {
            operation,
            status,
            title: field("title"),
            detail: field("detail"),
            body: snippet(body),
            retry_after: None,
        }
    }

    /// Sets the server's `Retry-After`.
    pub fn with_retry_after(mut self, retry_after: Option<std::time::Duration>) -> ApiError {
        self.retry_after = retry_after;
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed with HTTP {}", self.operation, self.status)?;
        // Every text was cleaned when captured (`new`); fields set by hand are cleaned here.
        let (title, detail) = (
            self.title.as_deref().map(clean),
            self.detail.as_deref().map(clean),
        );
        match (&title, &detail) {
            (Some(t), Some(d)) => write!(f, ": {t}: {d}"),
            (Some(t), None) => write!(f, ": {t}"),
            (None, Some(d)) => write!(f, ": {d}"),
            (None, None) if self.body.is_empty() => Ok(()),
            (None, None) => write!(f, ": {}", clean(&self.body)),
        }?;
        if let Some(wait) = self.retry_after {
            write!(f, " (Retry-After {}s)", wait.as_secs_f64())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_json_fields_are_read() {
        let e = ApiError::new(
            "files.get",
            404,
            br#"{"title":"Not found","detail":"No file","status":404}"#,
        );
        assert_eq!(e.title.as_deref(), Some("Not found"));
        assert_eq!(e.detail.as_deref(), Some("No file"));
        assert_eq!(
            e.to_string(),
            "files.get failed with HTTP 404: Not found: No file"
        );
    }

    #[test]
    fn plain_bodies_are_kept() {
        let e = ApiError::new("predictions.get", 500, b"oops");
        assert_eq!(e.to_string(), "predictions.get failed with HTTP 500: oops");
        assert!(!Error::Api(e).is_retryable());
        assert!(Error::Api(ApiError::new("x", 503, b"")).is_retryable());
    }

    #[test]
    fn snippets_are_bounded_and_redacted() {
        let body = format!(
            "{{\"token\": \"r8_abcDEF123\", \"auth\": \"Bearer r8_x.y\"}}{}",
            "é".repeat(400)
        );
        let s = snippet(body.as_bytes());
        assert!(!s.contains("abcDEF123") && !s.contains("r8_x.y"), "{s}");
        assert!(
            s.contains("\"token\": \"<redacted>\"") && s.contains("Bearer <redacted>"),
            "{s}"
        );
        assert!(s.ends_with('…') && s.len() <= SNIPPET_LIMIT + 16, "{s}");
        assert!(!s.contains('\u{FFFD}'));
        assert_eq!(snippet(b""), "");
        let e = ApiError::new("x", 500, b"whsec_c2VjcmV0 leaked");
        assert!(!e.to_string().contains("c2VjcmV0"), "{e}");
        for leaky in [
            r#"{"token": "abc123def"}"#,
            "password=abc123def&x=1",
            "Authorization: Basic abc123def",
            r#"{"api_key":"abc123def"}"#,
        ] {
            assert!(!snippet(leaky.as_bytes()).contains("abc123def"), "{leaky}");
        }
        let e = ApiError::new("x", 400, br#"{"detail":"bad token r8_abc123def"}"#);
        assert!(!e.to_string().contains("abc123def"), "{e}");
    }

    #[test]
    fn server_text_is_cleaned_where_it_is_captured() {
        // A proxy's page echoing the request headers, with terminal escapes and forged lines.
        let page = "<h1>502</h1>\r\nauthorization: Bearer r8_SeCrEt123\n\x1b[2J\x1b]0;owned\x07\nINFO forged line\u{202e}".as_bytes();
        let e = Error::Api(ApiError::new("predictions.create", 502, page));
        let unexpected = Error::UnexpectedStatus {
            operation: "x",
            status: 299,
            body: snippet(page),
        };
        for shown in [
            e.to_string(),
            format!("{e:?}"),
            unexpected.to_string(),
            format!("{unexpected:?}"),
        ] {
            assert!(!shown.contains("SeCrEt123"), "{shown}");
            assert!(
                !shown.contains(['\x1b', '\r', '\n', '\x07', '\u{202e}']),
                "{shown:?}"
            );
        }
        assert!(e.to_string().contains("\\u{1b}[2J"), "{e}");
        let failed = Error::PredictionFailed {
            id: "p\n1".into(),
            status: "failed\x1b[31m".into(),
            error: Some("boom\nINFO forged".into()),
            logs: None,
        };
        assert!(!failed.to_string().contains(['\n', '\x1b']), "{failed}");
    }

    #[test]
    fn errors_after_a_create_keep_the_id() {
        let e = Error::Api(ApiError::new("predictions.get", 500, b"")).after_create("p1");
        assert_eq!(e.prediction_id(), Some("p1"));
        assert!(
            e.to_string()
                .starts_with("prediction p1 was created, but predictions.get failed"),
            "{e}"
        );
        // Already carrying an id: unchanged.
        let e = e.after_create("p2");
        assert_eq!(e.prediction_id(), Some("p1"));
    }
}
