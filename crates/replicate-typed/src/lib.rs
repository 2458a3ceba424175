//! A typed client for [Replicate](https://replicate.com)'s HTTP API.
//!
//! Run a typed model (from the `replicate-models` crate, or your own models typed by
//! `replicate-build`): a wrong input is a compile error, bounds are checked before sending,
//! and the output comes back typed.
//!
//! ```ignore
//! use replicate_models::black_forest_labs::flux_schnell::{AspectRatio, Input};
//! let client = replicate_typed::Client::from_env()?;
//! let images = client.run(Input::new("a red fox").aspect_ratio(AspectRatio::V16x9)).await?;
//! images[0].download_to_path(&client, "fox.webp").await?;
//! ```
//!
//! Stream a language model's output as it is written:
//!
//! ```no_run
//! # async fn demo() -> Result<(), replicate_typed::Error> {
//! use futures::StreamExt;
//! let client = replicate_typed::Client::from_env()?;
//! let events = client
//!     .stream_json("meta/meta-llama-3-8b-instruct", replicate_typed::json!({ "prompt": "Hi" }))
//!     .await?;
//! let mut text = replicate_typed::text_chunks(events);
//! while let Some(piece) = text.next().await {
//!     print!("{}", piece?);
//! }
//! # Ok(()) }
//! ```
//!
//! The crates a user adds: this one, `tokio`, `futures` for streams; `replicate-models` for
//! typed popular models; `replicate-build` (build dependency) to type your own; and
//! `replicate-fake` (dev dependency), a local Replicate for your tests with scripted models and
//! faults on demand.
//!
//! Every operation of the API is a method on a resource handle borrowed from [`Client`]
//! (`client.predictions().get(id)`), generated from `spec/openapi.json`; the request builders
//! are awaited directly. The hand-written runtime beside the generated code handles auth,
//! retries, deadlines, limits and the wire; what it guarantees under faults is in the README.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Generated code names this crate by its absolute path, so that the same code works inside this
// crate and in standalone generated crates that depend on it.
extern crate self as replicate_typed;

mod files;
pub mod model;
mod predictions;
#[cfg(feature = "streaming")]
mod sse;
#[cfg(feature = "streaming")]
mod stream;
#[cfg(feature = "webhooks")]
mod webhooks;

#[rustfmt::skip]
mod generated;

/// Includes the typed models a build script generated with `replicate-build`
/// (`$OUT_DIR/replicate_models.rs`).
///
/// ```ignore
/// replicate_typed::include_models!();
/// ```
#[macro_export]
macro_rules! include_models {
    () => {
        include!(concat!(env!("OUT_DIR"), "/replicate_models.rs"));
    };
}

/// What generated model code names through this crate, so that a crate using typed models
/// needs no `serde` or `serde_json` dependency of its own. Not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use serde_json;
}

/// `serde_json`, for untyped inputs and outputs, so callers need no dependency of their own.
pub use serde_json;
/// `json!({ .. })` for untyped inputs (`serde_json::json!`).
pub use serde_json::json;

/// The `http` crate (headers, status codes), as axum, hyper and reqwest use it: a web handler
/// can pass its `HeaderMap` to [`WebhookHeaders::from_header_map`] without another dependency.
pub use replicate_runtime::http;

/// The Replicate API client: every operation of the API (`client.predictions().get(id)`),
/// running models (`client.run(input)`), streams, files and waits. Cheap to clone; clones
/// share one connection pool, one retry throttle and one configuration.
pub use generated::Client;
pub use replicate_runtime::{
    clean, redact, snippet, ApiError, Error, DEFAULT_BASE_URL, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUT, SNIPPET_LIMIT,
};
/// The runtime under the generated API (also what crates generated from other specs use).
pub use replicate_runtime::{deadline, pagination, retry, runtime, tls};
/// Configures a [`Client`]: `Client::builder().token(..).timeout(..).build()`.
pub type ClientBuilder = replicate_runtime::ClientBuilder<Client>;
pub use files::{data_url, ByteStream, FileInput, FileStrategy, DATA_URL_LIMIT};
pub use generated::{operations, types, API_TITLE, API_VERSION, GENERATOR_VERSION, SPEC_SHA256};
pub use predictions::{
    into_output, is_terminal, CreateOptions, ModelRef, Prediction, ProgressFn, RunOptions,
    WaitOptions, WebhookEvent,
};
pub use replicate_runtime::RetryPolicy;
#[cfg(feature = "streaming")]
pub use stream::{text_chunks, EventStream, StreamEvent, StreamOptions};
/// A training, as the API returns it.
pub type Training = types::TrainingResponse;
#[cfg(feature = "webhooks")]
pub use webhooks::{WebhookHeaders, WebhookVerifier, DEFAULT_TOLERANCE, MAX_SIGNATURES};
