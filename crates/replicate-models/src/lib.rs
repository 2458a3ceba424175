//! Typed Replicate models. Each model in `spec/models/` becomes a module with an `Input`
//! struct (required fields in its constructor, choices as enums, bounds checked before
//! sending), an `Output` type, and a marker type for `client.run()`:
//!
//! ```no_run
//! use replicate_models::black_forest_labs::flux_schnell::{AspectRatio, Input};
//!
//! # async fn demo() -> Result<(), replicate_typed::Error> {
//! let client = replicate_typed::Client::from_env()?;
//! let input = Input::new("a red fox in the snow").aspect_ratio(AspectRatio::V16x9).num_outputs(2);
//! let images = client.run(input).await?;
//! for image in images {
//!     println!("{}", image.url());
//! }
//! # Ok(()) }
//! ```
//!
//! Regenerate with `cargo xtask generate` after adding or changing a file in `spec/models/`.

#![deny(missing_docs)]

#[rustfmt::skip]
mod generated;

pub use generated::*;
