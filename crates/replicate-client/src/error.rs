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
        /// The raw body.
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
    /// A response body did not match its type.
    #[error("cannot decode the response of {operation} at `{path}`: {message}")]
    Decode {
        /// operationId of the request.
        operation: &'static str,
        /// JSON path of the bad field (`results[3].status`), `.` for the root.
        path: String,
        /// What was wrong.
        message: String,
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
    #[error("prediction {id} {status}{}", error.as_deref().map(|e| format!(": {e}")).unwrap_or_default())]
    PredictionFailed {
        /// Prediction id.
        id: String,
        /// Final status (`failed`, `canceled`, `aborted`).
        status: String,
        /// The model's error message.
        error: Option<String>,
        /// The logs up to the end.
        logs: Option<String>,
    },
    /// Waiting for a prediction passed its deadline; the prediction may still be running.
    #[error("prediction {id} still {status} after waiting {waited:?}")]
    WaitTimeout {
        /// Prediction id.
        id: String,
        /// Last status seen.
        status: String,
        /// How long we waited.
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
            _ => false,
        }
    }
}

/// An error answer from the API, with its problem details when the body has them.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// operationId of the request.
    pub operation: &'static str,
    /// HTTP status.
    pub status: u16,
    /// `title` of an `application/problem+json` body.
    pub title: Option<String>,
    /// `detail` of the body (problem+json, or Replicate's `{"detail": ..}`).
    pub detail: Option<String>,
    /// The raw body.
    pub body: String,
}

impl ApiError {
    /// Reads status and body into an error, picking out `title`/`detail` when present.
    pub fn new(operation: &'static str, status: u16, body: &[u8]) -> ApiError {
        let body = String::from_utf8_lossy(body).into_owned();
        let parsed: Option<serde_json::Value> = serde_json::from_str(&body).ok();
        let field = |name: &str| {
            parsed
                .as_ref()
                .and_then(|v| v.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        ApiError {
            operation,
            status,
            title: field("title"),
            detail: field("detail"),
            body,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed with HTTP {}", self.operation, self.status)?;
        match (&self.title, &self.detail) {
            (Some(t), Some(d)) => write!(f, ": {t}: {d}"),
            (Some(t), None) => write!(f, ": {t}"),
            (None, Some(d)) => write!(f, ": {d}"),
            (None, None) if self.body.is_empty() => Ok(()),
            (None, None) => write!(f, ": {}", truncate(&self.body, 500)),
        }
    }
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
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
}
