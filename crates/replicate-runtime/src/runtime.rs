//! The small surface generated code calls: request description, raw response, multipart
//! forms, typed headers. Generated code holds no HTTP plumbing of its own.

pub use crate::error::Error;
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use crate::pagination::{paginate, ItemStream, Page};
// What generated code names through `runtime` (imported there as `rt`).
#[cfg(feature = "multipart")]
pub use crate::multipart::{FilePart, MultipartForm};
pub use crate::{awaitable, choices, open_enum, send, Client, ClientBuilder};
pub use bytes::Bytes;
#[doc(hidden)]
pub use serde as __serde;

/// Makes a generated request builder awaitable: `builder.await` is `builder.send()`. One line
/// in generated code instead of an `IntoFuture` impl per operation.
#[macro_export]
#[doc(hidden)]
macro_rules! awaitable {
    ($builder:ident, $output:ty) => {
        impl<'a> ::std::future::IntoFuture for $builder<'a> {
            type Output = ::std::result::Result<$output, $crate::Error>;
            type IntoFuture = $crate::runtime::BoxFuture<'a, Self::Output>;
            // Inline: compiled where a request is awaited, not for every operation of every
            // generated crate.
            #[inline]
            fn into_future(self) -> Self::IntoFuture {
                ::std::boxed::Box::pin(self.send())
            }
        }
    };
}

/// Gives a generated request builder its `send` (execute the request, decode the answer with
/// the [`RawResponse`] method `$decode`: `json`, `text`, `bytes`, `empty` or `raw`) and makes it
/// awaitable. One line per operation in generated code, one send path for all of them.
#[macro_export]
#[doc(hidden)]
macro_rules! send {
    ($builder:ident, $output:ty, $decode:ident, $doc:literal) => {
        impl<'a> $builder<'a> {
            #[doc = $doc]
            #[inline]
            pub async fn send(self) -> ::std::result::Result<$output, $crate::Error> {
                let client = self.client;
                client.execute(self.into_request()?).await?.$decode()
            }
        }
        $crate::awaitable!($builder, $output);
    };
}

/// The impls of a generated open string enum (one variant per known value and a catch-all
/// `$open(String)` that keeps any other value, so decoding never fails on a value a newer
/// server sends): `as_str`, `From<&str>`, `FromStr`, `Display` and serde by wire value. One
/// line in generated code instead of ~60 lines of impls per enum.
#[macro_export]
#[doc(hidden)]
macro_rules! open_enum {
    ($name:ident, $open:ident, [$($variant:ident = $value:literal),* $(,)?]) => {
        impl $name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::$open(value) => value.as_str(),
                }
            }
        }
        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::$open(::std::string::ToString::to_string(other)),
                }
            }
        }
        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok(Self::from(value))
            }
        }
        $crate::__enum_text!($name);
        impl<'de> $crate::runtime::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::runtime::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let value: ::std::borrow::Cow<'de, str> =
                    $crate::runtime::__serde::Deserialize::deserialize(deserializer)?;
                ::std::result::Result::Ok(Self::from(value.as_ref()))
            }
        }
    };
}

/// The impls of a generated closed string enum (a value outside the choices does not
/// compile): `as_str`, `Display`, serde by wire value, and `FromStr` whose error is an
/// [`Error::InvalidInput`] naming `$field`, the inputs that use the enum.
#[macro_export]
#[doc(hidden)]
macro_rules! choices {
    ($name:ident, $field:literal, [$($variant:ident = $value:literal),* $(,)?]) => {
        impl $name {
            /// The value sent on the wire.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(Self::$variant => $value,)*
                }
            }
        }
        impl ::std::str::FromStr for $name {
            type Err = $crate::Error;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                match value {
                    $($value => ::std::result::Result::Ok(Self::$variant),)*
                    other => ::std::result::Result::Err($crate::Error::InvalidInput {
                        field: ::std::string::ToString::to_string($field),
                        message: ::std::format!(
                            "{other:?} is not one of: {}",
                            [$($value),*].join(", ")
                        ),
                    }),
                }
            }
        }
        $crate::__enum_text!($name);
        impl<'de> $crate::runtime::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::runtime::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let value: ::std::borrow::Cow<'de, str> =
                    $crate::runtime::__serde::Deserialize::deserialize(deserializer)?;
                value.parse().map_err($crate::runtime::__serde::de::Error::custom)
            }
        }
    };
}

/// `Display` and `Serialize` of an enum through its `as_str`, shared by the two enum macros.
#[macro_export]
#[doc(hidden)]
macro_rules! __enum_text {
    ($name:ident) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl $crate::runtime::__serde::Serialize for $name {
            fn serialize<S: $crate::runtime::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

/// The future type of request builders' `IntoFuture`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A request, described independently of any HTTP library so it can be sent again.
#[derive(Clone)]
pub struct RequestSpec {
    /// HTTP method (`GET`, `QUERY`, ...).
    pub method: &'static str,
    /// Path below the base URL, already percent-encoded.
    pub path: String,
    /// operationId, for errors and tracing.
    pub operation: &'static str,
    /// Query pairs in order (names of object parameters' fields are built: `filter[status]`).
    pub query: Vec<(Cow<'static, str>, String)>,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// `Accept` header.
    pub accept: Option<&'static str>,
    /// The body.
    pub body: RequestBody,
    /// Send the bearer token (false for public operations).
    pub auth: bool,
    /// Timeout of each attempt, instead of the client's.
    pub timeout: Option<Duration>,
    /// How long the server may hold the request on purpose (`Prefer: wait`), added to the timeout.
    pub server_wait: Option<Duration>,
    /// May follow a redirect to another origin (downloads from a file store; the token is
    /// never sent there). API requests stay on the API's origin.
    pub cross_origin_redirects: bool,
    /// The request creates something its answer names by a top-level `id` (a prediction).
    /// Whatever goes wrong once it was sent (an error status, a body cut off, too large or
    /// not decodable), the error keeps that id ([`Error::AfterCreate`]) when the answer's bytes
    /// name one: found by a tolerant scan of the raw bytes, not a second strict parse.
    pub creates: bool,
}

/// Debug output never shows a credential: values of headers that carry one (`Cookie`,
/// `Authorization`, anything named like a key, token, secret or session) are redacted, and
/// query pairs go through [`crate::redact`].
impl fmt::Debug for RequestSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if sensitive_name(name) {
                    "<redacted>".to_string()
                } else {
                    crate::redact(value)
                };
                (*name, shown)
            })
            .collect();
        let query: Vec<String> = self
            .query
            .iter()
            .map(|(name, value)| {
                if sensitive_name(name) {
                    format!("{name}=<redacted>")
                } else {
                    crate::redact(&format!("{name}={value}"))
                }
            })
            .collect();
        f.debug_struct("RequestSpec")
            .field("method", &self.method)
            // After `follow`, the path is a whole next-page URL, query included.
            .field("path", &crate::redact(&self.path))
            .field("operation", &self.operation)
            .field("query", &query)
            .field("headers", &headers)
            .field("accept", &self.accept)
            .field("body", &self.body)
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .field("server_wait", &self.server_wait)
            .field("cross_origin_redirects", &self.cross_origin_redirects)
            .field("creates", &self.creates)
            .finish()
    }
}

/// A header (or query parameter) whose value is a credential by its name.
fn sensitive_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "cookie"
        || [
            "auth",
            "token",
            "secret",
            "key",
            "session",
            "password",
            "signature",
        ]
        .iter()
        .any(|word| name.contains(word))
}

/// A request body.
#[derive(Debug, Clone)]
pub enum RequestBody {
    /// No body.
    None,
    /// Encoded bytes with their content type.
    Bytes {
        /// `Content-Type`.
        content_type: &'static str,
        /// The bytes.
        bytes: Bytes,
    },
    /// A multipart form, rebuilt for every attempt.
    #[cfg(feature = "multipart")]
    Multipart(MultipartForm),
}

impl RequestSpec {
    /// A request for `method path`, made by operation `operation`.
    pub fn new(method: &'static str, path: String, operation: &'static str) -> Self {
        RequestSpec {
            method,
            path,
            operation,
            query: Vec::new(),
            headers: Vec::new(),
            accept: None,
            body: RequestBody::None,
            auth: true,
            timeout: None,
            server_wait: None,
            cross_origin_redirects: false,
            creates: false,
        }
    }

    /// The request for a `next` page URL: same method, headers and auth; the URL carries the
    /// query.
    pub fn follow(mut self, url: String) -> Self {
        self.path = url;
        self.query.clear();
        self
    }

    /// The absolute URL this request goes to, below `base_url` unless its path is already
    /// absolute, with its query pairs encoded.
    pub fn url(&self, base_url: &str) -> Result<reqwest::Url, Error> {
        let absolute = self.path.starts_with("http://") || self.path.starts_with("https://");
        let text = if absolute {
            self.path.clone()
        } else {
            format!("{base_url}{}", self.path)
        };
        let mut url = reqwest::Url::parse(&text).map_err(|e| {
            // A `next` link or a download URL comes from a server: shown cleaned.
            let shown = crate::error::snippet(text.as_bytes());
            Error::InvalidRequest(format!("invalid URL {shown:?}: {e}"))
        })?;
        if !self.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(self.query.iter().map(|(k, v)| (k.as_ref(), v.as_str())));
        }
        Ok(url)
    }

    /// Adds a query pair.
    pub fn query(&mut self, name: &'static str, value: String) {
        self.query.push((Cow::Borrowed(name), value));
    }

    /// Adds a query parameter that is an object or a `oneOf`, through its JSON form: with
    /// `deep` (the `deepObject` style) as `name[field]=value` pairs; otherwise (the exploded
    /// `form` style) an object's fields as pairs of their own (`status=open`) and any other
    /// value as `name=text`. Nested values go in brackets, in name order (see `pairs::push`).
    pub fn query_object(
        &mut self,
        name: &'static str,
        value: &impl serde::Serialize,
        deep: bool,
    ) -> Result<(), Error> {
        let value = serde_json::to_value(value).map_err(|e| {
            Error::InvalidRequest(format!(
                "cannot write query parameter `{name}` of {}: {e}",
                self.operation
            ))
        })?;
        let mut pairs = Vec::new();
        if deep || !value.is_object() {
            crate::pairs::push(name.to_string(), &value, true, &mut pairs)
        } else {
            crate::pairs::spread(&value, &mut pairs)
        }
        .map_err(|e| {
            Error::InvalidRequest(format!(
                "cannot write query parameter `{name}` of {}: {e}",
                self.operation
            ))
        })?;
        self.query
            .extend(pairs.into_iter().map(|(k, v)| (Cow::Owned(k), v)));
        Ok(())
    }

    /// Adds a header. `Prefer: wait[=n]` also extends the timeout by the wait.
    pub fn header(&mut self, name: &'static str, value: String) {
        if name.eq_ignore_ascii_case("prefer") {
            self.server_wait =
                Prefer::parse(&value).map(|p| Duration::from_secs(p.seconds.unwrap_or(60).into()));
        }
        self.headers.push((name, value));
    }

    /// Adds a cookie to the request's one `Cookie` header (`a=1; b=2`). The value is
    /// percent-encoded where a cookie could not carry it (space, `"`, `,`, `;`, `\`, `%`,
    /// control and non-ASCII bytes), so no value can end its cookie or start another.
    pub fn cookie(&mut self, name: &'static str, value: &str) {
        let mut pair = format!("{name}=");
        for b in value.bytes() {
            match b {
                0x21 | 0x23..=0x24 | 0x26..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E => {
                    pair.push(b as char)
                }
                _ => pair.push_str(&format!("%{b:02X}")),
            }
        }
        match self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case("cookie"))
        {
            Some((_, cookies)) => {
                cookies.push_str("; ");
                cookies.push_str(&pair);
            }
            None => self.headers.push(("Cookie", pair)),
        }
    }

    /// Sets `Accept`.
    pub fn accept(&mut self, media_type: &'static str) {
        self.accept = Some(media_type);
    }

    /// Sends no token (the operation is public).
    pub fn without_auth(&mut self) {
        self.auth = false;
    }

    /// Serialises `body` as JSON.
    pub fn json_body<T: serde::Serialize>(
        &mut self,
        content_type: &'static str,
        body: &T,
    ) -> Result<(), Error> {
        let encoded = serde_json::to_vec(body).map_err(|e| e.to_string());
        self.encoded_body(content_type, encoded)
    }

    /// Serialises `body`, an object, as a URL-encoded form: `a=1&tag=x&tag=y` (arrays repeat
    /// their key), nested objects and arrays in brackets (`meta[plan]=pro`, `items[0][id]=7`),
    /// fields in name order; unset fields (skipped by generated types) left out, an explicit
    /// null sent empty (see `pairs::push`).
    #[cfg(feature = "form")]
    pub fn form_body<T: serde::Serialize>(
        &mut self,
        content_type: &'static str,
        body: &T,
    ) -> Result<(), Error> {
        let encoded = serde_json::to_value(body)
            .map_err(|e| e.to_string())
            .and_then(|value| {
                let mut pairs = Vec::new();
                crate::pairs::spread(&value, &mut pairs)?;
                Ok(form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs)
                    .finish()
                    .into_bytes())
            });
        self.encoded_body(content_type, encoded)
    }

    /// Sends an encoded body, or says why it could not be encoded.
    fn encoded_body(
        &mut self,
        content_type: &'static str,
        encoded: Result<Vec<u8>, String>,
    ) -> Result<(), Error> {
        let bytes = encoded.map_err(|e| {
            Error::InvalidRequest(format!("cannot encode the body of {}: {e}", self.operation))
        })?;
        self.body = RequestBody::Bytes {
            content_type,
            bytes: Bytes::from(bytes),
        };
        Ok(())
    }

    /// Sends `body` as text.
    pub fn text_body(&mut self, content_type: &'static str, body: String) {
        self.body = RequestBody::Bytes {
            content_type,
            bytes: Bytes::from(body),
        };
    }

    /// Sends raw bytes.
    pub fn bytes_body(&mut self, content_type: &'static str, body: Bytes) {
        self.body = RequestBody::Bytes {
            content_type,
            bytes: body,
        };
    }

    /// Sends a multipart form.
    #[cfg(feature = "multipart")]
    pub fn multipart_body(&mut self, form: MultipartForm) {
        self.body = RequestBody::Multipart(form);
    }
}

/// A whole response with a success status.
#[derive(Debug, Clone)]
pub struct RawResponse {
    operation: &'static str,
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Bytes,
    /// Answers a request that [`creates`](RequestSpec::creates): decode errors keep the id.
    creates: bool,
}

/// What decoding one JSON value into memory is taken to cost, in bytes (a `serde_json::Value`
/// is 32, plus its share of the containers that hold it).
const DECODED_VALUE_COST: usize = 48;
/// Decoding may use at most this many times the body's size, plus [`DECODE_SLACK`]: a body of
/// many tiny values (`[1,1,1,…]`, 2 bytes each) would otherwise take 30 times its size.
const DECODE_FACTOR: usize = 8;
/// Below this many bytes of decoded values nothing is refused (nor counted).
const DECODE_SLACK: usize = 32 * 1024 * 1024;

impl RawResponse {
    /// Wraps a response read by the client.
    pub fn new(
        operation: &'static str,
        status: u16,
        headers: reqwest::header::HeaderMap,
        body: Bytes,
    ) -> Self {
        RawResponse {
            operation,
            status,
            headers,
            body,
            creates: false,
        }
    }

    /// Marks the answer of a request that [`creates`](RequestSpec::creates) something, so
    /// that decode errors keep the id the body names.
    pub fn created(mut self, creates: bool) -> Self {
        self.creates = creates;
        self
    }

    /// HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Response headers.
    pub fn headers(&self) -> &reqwest::header::HeaderMap {
        &self.headers
    }

    /// The body bytes.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body bytes, owned.
    pub fn into_bytes(self) -> Bytes {
        self.body
    }

    /// The body bytes, for an operation that answers with bytes (always `Ok`).
    pub fn bytes(self) -> Result<Bytes, Error> {
        Ok(self.body)
    }

    /// Nothing, for an operation that answers without a body (always `Ok`; a body is ignored).
    pub fn empty(self) -> Result<(), Error> {
        Ok(())
    }

    /// The response itself, for an operation that declares no success response.
    pub fn raw(self) -> Result<RawResponse, Error> {
        Ok(self)
    }

    /// Decodes the body as JSON; errors name the JSON path of the bad field.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        self.check_decoded_size()?;
        // One decode; where it failed is found from the error's position in the text
        // (`json_path_at`), not by decoding again with a path-tracking decoder, which would
        // compile a second decoder for every response type of every generated crate.
        serde_json::from_slice(&self.body).map_err(|e| {
            let path = json_path_at(&self.body, e.line(), e.column());
            self.decode_error(path, e.to_string())
        })
    }

    /// Refuses a body whose decoded values would take more than [`DECODE_FACTOR`] times its
    /// size (plus [`DECODE_SLACK`]) in memory, before decoding it: memory stays bounded by
    /// the body limit, whatever the body is made of.
    fn check_decoded_size(&self) -> Result<(), Error> {
        let budget = DECODE_FACTOR
            .saturating_mul(self.body.len())
            .saturating_add(DECODE_SLACK);
        if self.body.len().saturating_mul(DECODED_VALUE_COST / 2) <= budget {
            // Even a body of nothing but 2-byte values fits: no need to count.
            return Ok(());
        }
        let values = crate::scan::value_count(&self.body);
        if values.saturating_mul(DECODED_VALUE_COST) <= budget {
            return Ok(());
        }
        Err(self.keep_id(Error::TooLarge {
            operation: self.operation,
            what: "the decoded response (too many small JSON values for its size)",
            limit: budget as u64,
        }))
    }

    /// For the answer of a create, ties `error` to the id its body names.
    fn keep_id(&self, error: Error) -> Error {
        match self
            .creates
            .then(|| crate::scan::created_id(&self.body))
            .flatten()
        {
            Some(id) => error.after_create(&id),
            None => error,
        }
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<String, Error> {
        String::from_utf8(self.body.to_vec())
            .map_err(|e| self.decode_error(".".into(), format!("body is not UTF-8: {e}")))
    }

    /// A decode error carrying what the caller needs to see what came back instead: the
    /// status, content type and a bounded, redacted start of the body.
    fn decode_error(&self, path: String, message: String) -> Error {
        self.keep_id(Error::Decode {
            operation: self.operation,
            path: crate::error::snippet(path.as_bytes()),
            // serde quotes the offending value, which may be a secret echoed back.
            message: format!(
                "{} (HTTP {})",
                crate::error::snippet(message.as_bytes()),
                self.status
            ),
            content_type: self
                .headers
                .get(reqwest::header::CONTENT_TYPE)
                .map(|v| crate::error::snippet(v.as_bytes())),
            snippet: Some(crate::error::snippet(&self.body)),
        })
    }

    /// The error for a success status the operation does not declare.
    pub fn unexpected_status(&self) -> Error {
        self.keep_id(Error::UnexpectedStatus {
            operation: self.operation,
            status: self.status,
            body: crate::error::snippet(&self.body),
        })
    }
}

/// The items of an array parameter as one value, joined by `separator` (`,` for headers and
/// unexploded queries, ` ` or `|` for the delimited query styles); the query string or header
/// encoding is applied to the whole.
pub fn join<T: fmt::Display>(items: &[T], separator: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        let _ = fmt::Write::write_fmt(&mut out, format_args!("{item}"));
    }
    out
}

/// Reads a value whose `property` names its shape (a `oneOf` with a `discriminator`): the
/// property's text and the whole value, to decode as the variant it names. A missing or
/// non-string property is an error that names it.
pub fn tag_of<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    property: &str,
) -> Result<(String, serde_json::Value), D::Error> {
    use serde::de::Error as _;
    let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
    match value.get(property) {
        Some(serde_json::Value::String(tag)) => Ok((tag.clone(), value)),
        Some(other) => Err(D::Error::custom(format!(
            "`{property}` names the variant, but is {}",
            crate::pairs::kind(other)
        ))),
        None => Err(D::Error::custom(format!(
            "`{property}`, which names the variant, is missing"
        ))),
    }
}

/// Decodes the variant a tag chose (see [`tag_of`]), saying which it was and where inside it
/// decoding failed (`as Dog, at `name`: invalid type ...`): a `Value` carries no position of
/// its own, so serde's bare error would name neither.
pub fn decode_variant<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    variant: &str,
) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            format!("as {variant}: {}", e.inner())
        } else {
            format!("as {variant}, at `{path}`: {}", e.inner())
        }
    })
}

/// A parameter given by `content: application/json`: its value as JSON text.
pub fn json_text(value: &impl serde::Serialize) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::InvalidRequest(e.to_string()))
}

/// The text of a `oneOf` of scalars (`string | integer`), for a path segment or header: the
/// chosen variant's JSON form without quotes.
pub fn text_of(value: &impl serde::Serialize) -> Result<String, Error> {
    let json = serde_json::to_value(value).map_err(|e| Error::InvalidRequest(e.to_string()))?;
    crate::pairs::scalar_text(&json).ok_or_else(|| {
        Error::InvalidRequest(format!(
            "{} cannot be written as text",
            crate::pairs::kind(&json)
        ))
    })
}

/// Percent-encodes a value as one path segment (everything but RFC 3986 unreserved characters).
/// An empty value, `.` or `..` is refused: URL parsing would drop or climb out of the segment
/// (`DELETE .../versions/..` would reach the model itself), whatever the encoding.
pub fn encode_path_segment(value: &impl fmt::Display) -> Result<String, Error> {
    let raw = value.to_string();
    if raw.is_empty() || raw == "." || raw == ".." {
        return Err(Error::InvalidRequest(format!(
            "{raw:?} is not a valid path parameter (empty, `.` and `..` are refused)"
        )));
    }
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// An array path parameter in OpenAPI's `simple` style: each item encoded as a segment would
/// be ([`encode_path_segment`], so a comma inside an item is `%2C`), joined by commas
/// (`/users/3,4,5`). An empty list is refused like an empty segment.
pub fn encode_path_list(items: &[impl fmt::Display]) -> Result<String, Error> {
    if items.is_empty() {
        return Err(Error::InvalidRequest(
            "an empty list is not a valid path parameter".into(),
        ));
    }
    let encoded: Vec<String> = items
        .iter()
        .map(encode_path_segment)
        .collect::<Result<_, _>>()?;
    Ok(encoded.join(","))
}

/// The `Prefer` header of prediction creates: wait for the prediction to finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefer {
    seconds: Option<u8>,
}

impl Prefer {
    /// `Prefer: wait`: block for the server's default maximum.
    pub fn wait() -> Self {
        Prefer { seconds: None }
    }

    /// `Prefer: wait=n` for 1 to 60 seconds.
    pub fn wait_seconds(seconds: u64) -> Result<Self, Error> {
        if (1..=60).contains(&seconds) {
            Ok(Prefer {
                seconds: Some(seconds as u8),
            })
        } else {
            Err(Error::InvalidRequest(format!(
                "Prefer: wait must be 1..=60 seconds, got {seconds}"
            )))
        }
    }

    /// Parses `wait` or `wait=n` (1..=60).
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().strip_prefix("wait")? {
            "" => Some(Prefer::wait()),
            rest => rest
                .strip_prefix('=')?
                .parse::<u64>()
                .ok()
                .and_then(|n| Prefer::wait_seconds(n).ok()),
        }
    }

    /// How long the server may hold the request, if bounded.
    pub fn seconds(&self) -> Option<u8> {
        self.seconds
    }
}

impl fmt::Display for Prefer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seconds {
            None => f.write_str("wait"),
            Some(s) => write!(f, "wait={s}"),
        }
    }
}

/// The `Cancel-After` header: the longest a prediction may run (at least 5 seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelAfter(Duration);

impl CancelAfter {
    /// Checks the minimum of 5 seconds; sub-second parts are dropped.
    pub fn new(duration: Duration) -> Result<Self, Error> {
        let whole = Duration::from_secs(duration.as_secs());
        if whole < Duration::from_secs(5) {
            return Err(Error::InvalidRequest(format!(
                "Cancel-After must be at least 5s, got {duration:?}"
            )));
        }
        Ok(CancelAfter(whole))
    }

    /// The duration.
    pub fn duration(&self) -> Duration {
        self.0
    }
}

impl TryFrom<Duration> for CancelAfter {
    type Error = Error;
    fn try_from(d: Duration) -> Result<Self, Error> {
        CancelAfter::new(d)
    }
}

impl fmt::Display for CancelAfter {
    /// Renders like `1h30m45s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.0.as_secs();
        let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 || total == 0 {
            write!(f, "{s}s")?;
        }
        Ok(())
    }
}

/// The path (`metrics.total_time`, `results[2].status`, `.` for the root) of the JSON value at
/// `line`/`column` (1-based, as serde_json reports errors) of `body`, found by scanning the
/// text. At a closing bracket it is the container's own path: a missing field is the object's
/// fault, not its last field's.
pub(crate) fn json_path_at(body: &[u8], line: usize, column: usize) -> String {
    enum Frame {
        Object { key: Option<String>, want_key: bool },
        Array { index: usize },
    }
    let line_start = if line <= 1 {
        0
    } else {
        body.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map_or(body.len(), |(i, _)| i + 1)
    };
    let offset = (line_start + column.saturating_sub(1)).min(body.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < offset {
        match body[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < body.len() && body[i] != b'"' {
                    i += if body[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object { key, want_key }) = stack.last_mut() {
                    if *want_key {
                        let end = i.min(body.len());
                        *key = Some(String::from_utf8_lossy(&body[start..end]).into_owned());
                        *want_key = false;
                    }
                }
            }
            b'{' => stack.push(Frame::Object {
                key: None,
                want_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { want_key, .. }) => *want_key = true,
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    // At a closing bracket, the path is the container's: drop its current field or index.
    let closing = matches!(body.get(offset), Some(b'}' | b']'));
    let last = stack.len().saturating_sub(1);
    let mut path = String::new();
    for (depth, frame) in stack.iter().enumerate() {
        if closing && depth == last {
            break;
        }
        match frame {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    if path.is_empty() {
        path.push('.');
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_share_one_header_and_never_show_in_debug() {
        let mut request = RequestSpec::new("GET", "/a".into(), "a.get");
        request.cookie("session", "s3cr3t; admin=1");
        request.cookie("theme", "dark");
        request.header("X-Api-Key", "k-123".into());
        request.header("X-Trace", "t-1".into());
        request.query("api_key", "q-456".into());
        request.query("key", "AIza-789".into());
        assert_eq!(
            request.headers[0],
            (
                "Cookie",
                "session=s3cr3t%3B%20admin=1; theme=dark".to_string()
            )
        );
        let shown = format!("{request:?}");
        for secret in ["s3cr3t", "k-123", "q-456", "AIza-789"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("t-1"), "{shown}");
    }

    #[cfg(feature = "form")]
    #[test]
    fn form_bodies_repeat_array_keys_bracket_nested_values_and_leave_out_unset_fields() {
        #[derive(serde::Serialize)]
        struct Item {
            id: i64,
        }
        #[derive(serde::Serialize)]
        struct Form {
            name: &'static str,
            tag: Vec<&'static str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            note: Option<String>,
            unset: Option<String>,
            count: i64,
            meta: std::collections::BTreeMap<&'static str, &'static str>,
            items: Vec<Item>,
        }
        let mut request = RequestSpec::new("POST", "/x".into(), "x.create");
        let form = Form {
            name: "a b&c",
            tag: vec!["x", "y"],
            note: None,
            unset: None,
            count: 3,
            meta: [("plan", "pro=1")].into(),
            items: vec![Item { id: 7 }],
        };
        request
            .form_body("application/x-www-form-urlencoded", &form)
            .unwrap();
        let RequestBody::Bytes {
            content_type,
            bytes,
        } = &request.body
        else {
            panic!("not a bytes body");
        };
        assert_eq!(*content_type, "application/x-www-form-urlencoded");
        // Fields go in name order whatever the build's JSON map keeps; sorted here too.
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.sort();
        let text = |items: &[(&str, &str)]| -> Vec<(String, String)> {
            items
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            pairs,
            text(&[
                ("count", "3"),
                ("items[0][id]", "7"),
                ("meta[plan]", "pro=1"),
                ("name", "a b&c"),
                ("tag", "x"),
                ("tag", "y"),
                // An explicit null (no `skip_serializing_if`) is sent empty, not dropped.
                ("unset", ""),
            ])
        );
        assert!(std::str::from_utf8(bytes).unwrap().contains("name=a+b%26c"));
        // A body that is not an object has no form encoding: an error, not a wrong body.
        let e = request
            .form_body("application/x-www-form-urlencoded", &vec![1, 2])
            .unwrap_err();
        assert!(e.to_string().contains("an array"), "{e}");
    }

    #[test]
    fn tagged_values_name_their_property_when_it_is_wrong() {
        let read = |text: &str| {
            let mut d = serde_json::Deserializer::from_str(text);
            tag_of(&mut d, "type").map(|(tag, _)| tag)
        };
        assert_eq!(read(r#"{"type": "push", "ref": "main"}"#).unwrap(), "push");
        let e = read(r#"{"ref": "main"}"#).unwrap_err().to_string();
        assert!(e.contains("`type`") && e.contains("missing"), "{e}");
        let e = read(r#"{"type": 3}"#).unwrap_err().to_string();
        assert!(e.contains("a number"), "{e}");
    }

    #[test]
    fn object_query_parameters_are_bracketed_or_spread_by_style() {
        #[derive(serde::Serialize)]
        struct Filter {
            status: &'static str,
            // As generated: an unset optional field is left out.
            #[serde(skip_serializing_if = "Option::is_none")]
            since: Option<i64>,
        }
        let filter = Filter {
            status: "open",
            since: None,
        };
        let mut request = RequestSpec::new("GET", "/x".into(), "x.list");
        request.query_object("filter", &filter, true).unwrap();
        request.query_object("page", &filter, false).unwrap();
        request.query_object("id", &7, false).unwrap();
        let url = request.url("http://127.0.0.1:1").unwrap();
        assert_eq!(
            url.query(),
            Some("filter%5Bstatus%5D=open&status=open&id=7")
        );
        assert_eq!(text_of(&"a/b").unwrap(), "a/b");
        assert_eq!(text_of(&3.5).unwrap(), "3.5");
        assert!(text_of(&filter)
            .unwrap_err()
            .to_string()
            .contains("an object"));
    }

    /// Decodes `body` as `T` and returns the path the error names.
    fn error_path<T: serde::de::DeserializeOwned + std::fmt::Debug>(body: &str) -> String {
        let e = serde_json::from_str::<T>(body).unwrap_err();
        json_path_at(body.as_bytes(), e.line(), e.column())
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        a: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        b: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        c: i64,
        d: Option<String>,
    }

    #[test]
    fn decode_errors_are_placed_by_their_position() {
        // A value of the wrong type: its own path, through arrays and escaped keys.
        let body = r#"{"a": {"b": [{"c": 1}, {"d": "x\"y", "c": "two"}]}}"#;
        assert_eq!(error_path::<Outer>(body), "a.b[1].c");
        // A missing field: the object that lacks it.
        assert_eq!(
            error_path::<Outer>(r#"{"a": {"b": [{"d": "x"}]}}"#),
            "a.b[0]"
        );
        assert_eq!(error_path::<Outer>(r#"{"a": {}}"#), "a");
        // Over several lines, and at the root.
        assert_eq!(
            error_path::<Outer>("{\n  \"a\": {\n    \"b\": 3\n  }\n}"),
            "a.b"
        );
        assert_eq!(error_path::<Outer>("3"), ".");
        // A struct read from an array (serde allows it): the element at fault.
        assert_eq!(error_path::<Outer>("[1]"), "[0]");
        assert_eq!(error_path::<Outer>(r#"{"a": {"b": [{"c": 1"#), "a.b[0].c");
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_path_segment(&"a b/c").unwrap(), "a%20b%2Fc");
        assert_eq!(join(&[1, 2, 3], ","), "1,2,3");
        assert_eq!(join::<&str>(&[], "|"), "");
        assert_eq!(join(&["a b", "c"], " "), "a b c");
        assert_eq!(
            encode_path_segment(&"owner-name_1.2~").unwrap(),
            "owner-name_1.2~"
        );
        assert_eq!(encode_path_segment(&"ü").unwrap(), "%C3%BC");
        assert_eq!(encode_path_segment(&"...").unwrap(), "...");
        for bad in ["", ".", ".."] {
            assert!(encode_path_segment(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn prefer_is_bounded() {
        assert_eq!(Prefer::wait().to_string(), "wait");
        assert_eq!(Prefer::wait_seconds(60).unwrap().to_string(), "wait=60");
        assert!(Prefer::wait_seconds(0).is_err());
        assert!(Prefer::wait_seconds(61).is_err());
        assert_eq!(Prefer::parse("wait=5"), Prefer::wait_seconds(5).ok());
        assert_eq!(Prefer::parse("wait"), Some(Prefer::wait()));
        assert_eq!(Prefer::parse("wait=0"), None);
        assert_eq!(Prefer::parse("respond-async"), None);
    }

    #[test]
    fn cancel_after_renders_units() {
        let c = |s| {
            CancelAfter::new(Duration::from_secs(s))
                .unwrap()
                .to_string()
        };
        assert_eq!(c(5), "5s");
        assert_eq!(c(90), "1m30s");
        assert_eq!(c(3600), "1h");
        assert_eq!(c(5445), "1h30m45s");
        assert!(CancelAfter::new(Duration::from_millis(4999)).is_err());
    }
}
