//! The hand-written runtime that generated Replicate API code calls: a [`Client`] that handles
//! auth, retries (with a client-wide throttle on 429), deadlines, response-size limits, the
//! redirect policy and pagination, and the request description ([`runtime::RequestSpec`])
//! each generated operation fills in.
//!
//! Users of Replicate depend on `replicate-typed`, which re-exports all of this beside the
//! generated API. Crates generated from any OpenAPI file (`cargo xtask generate --spec FILE
//! --out DIR`) depend on this crate alone, so the runtime is compiled once and no second copy
//! of Replicate's API is compiled with them.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
pub mod deadline;
mod error;
#[cfg(feature = "multipart")]
mod multipart;
pub mod pagination;
mod pairs;
mod redirect;
pub mod retry;
pub mod runtime;
#[doc(hidden)]
pub mod scan;
pub mod tls;

/// The `http` crate (headers, status codes), as axum, hyper and reqwest use it.
pub use http;
/// `serde_json`, for untyped values in generated code and callers.
pub use serde_json;

#[doc(hidden)]
pub use client::{refuse_unknown_encoding, transport};
pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
};
pub use error::{clean, redact, snippet, ApiError, Error, SNIPPET_LIMIT};
pub use retry::RetryPolicy;
