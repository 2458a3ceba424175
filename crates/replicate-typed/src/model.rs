//! Typed models: each model version's schema becomes an `Input` and an `Output` type (generated
//! into the `replicate-models` crate) tied together by a marker type implementing [`Model`], so
//! `client.run(flux_schnell::Input::new("a fox"))` checks the input at compile time and before
//! sending, and returns the typed output: the input knows its model.

use crate::files::{FileInput, FileStrategy};
use crate::predictions::{into_output, ModelRef, RunOptions};
use crate::Client;
use crate::Error;
use futures_util::Stream;
use std::fmt;
use std::pin::Pin;

/// A model version with typed input and output (implemented by generated marker types).
pub trait Model {
    /// Model owner.
    const OWNER: &'static str;
    /// Model name.
    const NAME: &'static str;
    /// Version id; empty when the schema came without one (the latest version is used).
    const VERSION: &'static str;
    /// The typed input.
    type Input: ModelInput;
    /// The typed output of a finished prediction.
    type Output: serde::de::DeserializeOwned;
    /// One item of the output stream (a text chunk, a file URL, an iterator item).
    type Chunk;
    /// Decodes the data of one `output` event.
    fn decode_chunk(data: &str) -> Result<Self::Chunk, Error>;
}

/// A model with typed training input and output.
pub trait Trainable: Model {
    /// The typed training input.
    type TrainingInput: ModelInput;
    /// The typed training output.
    type TrainingOutput: serde::de::DeserializeOwned;
}

/// A typed model input: serialisable, checkable before sending, with file inputs to resolve.
pub trait ModelInput: serde::Serialize + Send {
    /// The model this is an input of (so `client.run(input)` needs no turbofish).
    type Model: Model;
    /// Checks the schema's constraints (bounds, lengths, patterns); the error names the field,
    /// the value and the bound.
    fn validate(&self) -> Result<(), Error>;
    /// The file inputs with their wire names, so local files can be inlined or uploaded, and
    /// URLs checked, before sending.
    fn files_mut(&mut self) -> Vec<(&'static str, &mut FileInput)>;
}

/// A secret input (`x-cog-secret`, `format: password`): sent as a string, never printed.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

/// A file produced by a model: its URL, downloadable with [`Client::download_to_path`] and
/// friends.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct FileOutput(String);

impl FileOutput {
    /// The URL (`https://` or `data:`).
    pub fn url(&self) -> &str {
        &self.0
    }

    /// Downloads the file to `path`; returns the number of bytes.
    pub async fn download_to_path(
        &self,
        client: &Client,
        path: impl AsRef<std::path::Path>,
    ) -> Result<u64, Error> {
        client.download_to_path(&self.0, path).await
    }

    /// Downloads the file into memory, at most the client's
    /// [`max_response_size`](crate::ClientBuilder::max_response_size) (else
    /// [`Error::TooLarge`]); `data:` URLs are decoded without a request.
    pub async fn bytes(&self, client: &Client) -> Result<Vec<u8>, Error> {
        use futures_util::StreamExt;
        let limit = client.max_response_size();
        let mut stream = client.download(&self.0).await?;
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if (out.len() + chunk.len()) as u64 > limit {
                return Err(Error::TooLarge {
                    operation: "files.download",
                    what: "the file",
                    limit,
                });
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

impl From<String> for FileOutput {
    fn from(url: String) -> Self {
        FileOutput(url)
    }
}

impl fmt::Display for FileOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The output of a `ConcatenateIterator` model (language models): the pieces joined into one
/// text. Decodes from the list of pieces or from a plain string.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Concatenated(pub String);

impl<'de> serde::Deserialize<'de> for Concatenated {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Pieces {
            List(Vec<String>),
            One(String),
        }
        Ok(Concatenated(match Pieces::deserialize(d)? {
            Pieces::List(parts) => parts.concat(),
            Pieces::One(s) => s,
        }))
    }
}

impl std::ops::Deref for Concatenated {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Concatenated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks used by generated `validate` methods; each error names the field, value and bound
/// (a [`Secret`]'s value is never shown).
pub mod check {
    use crate::Error;

    /// Text a check can read, and how an error may show it.
    pub trait Text {
        /// The text to check.
        fn text(&self) -> &str;
        /// The value as an error message may show it.
        fn shown(&self) -> String {
            format!("{:?}", self.text())
        }
    }

    impl Text for str {
        fn text(&self) -> &str {
            self
        }
    }

    impl Text for String {
        fn text(&self) -> &str {
            self
        }
    }

    impl Text for super::Secret {
        fn text(&self) -> &str {
            self.expose()
        }
        fn shown(&self) -> String {
            "the secret value".into()
        }
    }

    fn fail(field: &str, message: String) -> Error {
        Error::InvalidInput {
            field: field.to_string(),
            message,
        }
    }

    /// One end of a range.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub enum Bound<T> {
        /// No bound at this end.
        None,
        /// The value may equal it.
        Inclusive(T),
        /// The value must stay strictly inside it.
        Exclusive(T),
    }

    /// `value` within `min` and `max`, compared in its own type (integers as integers).
    pub fn range<T: PartialOrd + std::fmt::Display + Copy>(
        field: &str,
        value: T,
        min: Bound<T>,
        max: Bound<T>,
    ) -> Result<(), Error> {
        match min {
            Bound::Inclusive(m) if value < m => {
                return Err(fail(
                    field,
                    format!("{value} is below the minimum: it must be at least {m}"),
                ))
            }
            Bound::Exclusive(m) if value <= m => {
                return Err(fail(
                    field,
                    format!("{value} is below the minimum: it must be greater than {m}"),
                ))
            }
            _ => {}
        }
        match max {
            Bound::Inclusive(m) if value > m => Err(fail(
                field,
                format!("{value} is above the maximum: it must be at most {m}"),
            )),
            Bound::Exclusive(m) if value >= m => Err(fail(
                field,
                format!("{value} is above the maximum: it must be less than {m}"),
            )),
            _ => Ok(()),
        }
    }

    /// A number JSON can carry: NaN and the infinities are refused (serde_json would send them
    /// as `null`).
    pub fn finite(field: &str, value: f64) -> Result<(), Error> {
        if value.is_finite() {
            Ok(())
        } else {
            Err(fail(
                field,
                format!("{value} cannot be sent: JSON has no NaN or infinity"),
            ))
        }
    }

    /// A file input that can be sent: a URL given as a string must be `http(s)://` or `data:`
    /// (a local file is `FileInput::path`, uploaded or inlined when sent).
    pub fn file(field: &str, value: &crate::FileInput) -> Result<(), Error> {
        match value {
            crate::FileInput::Url(url) => crate::files::check_url(field, url),
            _ => Ok(()),
        }
    }

    /// `value >= min` (or `>` when exclusive).
    pub fn minimum(field: &str, value: f64, min: f64, exclusive: bool) -> Result<(), Error> {
        let ok = if exclusive { value > min } else { value >= min };
        if ok {
            Ok(())
        } else {
            let rel = if exclusive {
                "greater than"
            } else {
                "at least"
            };
            Err(fail(
                field,
                format!("{value} is below the minimum: it must be {rel} {min}"),
            ))
        }
    }

    /// `value <= max` (or `<` when exclusive).
    pub fn maximum(field: &str, value: f64, max: f64, exclusive: bool) -> Result<(), Error> {
        let ok = if exclusive { value < max } else { value <= max };
        if ok {
            Ok(())
        } else {
            let rel = if exclusive { "less than" } else { "at most" };
            Err(fail(
                field,
                format!("{value} is above the maximum: it must be {rel} {max}"),
            ))
        }
    }

    /// Length in characters between the bounds.
    pub fn length<T: Text + ?Sized>(
        field: &str,
        value: &T,
        min: Option<usize>,
        max: Option<usize>,
    ) -> Result<(), Error> {
        let n = value.text().chars().count();
        if let Some(min) = min.filter(|m| n < *m) {
            return Err(fail(
                field,
                format!(
                    "{} has {n} characters; it needs at least {min}",
                    value.shown()
                ),
            ));
        }
        if let Some(max) = max.filter(|m| n > *m) {
            return Err(fail(
                field,
                format!(
                    "{} has {n} characters; it may have at most {max}",
                    value.shown()
                ),
            ));
        }
        Ok(())
    }

    /// Matches the schema's regular expression. A pattern this checker cannot compile (regex-lite
    /// has no Unicode classes such as `\p{L}`; `\d`, `\w` are ASCII, as in JSON Schema's
    /// ECMA-262 patterns) is left to the server to check: refusing input the model might
    /// accept would be worse than a 422.
    pub fn pattern<T: Text + ?Sized>(field: &str, value: &T, pattern: &str) -> Result<(), Error> {
        // Compiled once per pattern for the life of the program, not once per check.
        static COMPILED: std::sync::LazyLock<
            std::sync::Mutex<std::collections::HashMap<String, Option<regex_lite::Regex>>>,
        > = std::sync::LazyLock::new(Default::default);
        let re = {
            let mut compiled = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
            compiled
                .entry(pattern.to_string())
                .or_insert_with(|| regex_lite::Regex::new(pattern).ok())
                .clone()
        };
        let Some(re) = re else {
            return Ok(());
        };
        if re.is_match(value.text()) {
            Ok(())
        } else {
            Err(fail(
                field,
                format!("{} does not match the pattern {pattern:?}", value.shown()),
            ))
        }
    }
}

/// A stream of typed output chunks.
pub type ChunkStream<T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>;

impl Client {
    async fn prepare<I: ModelInput>(&self, mut input: I) -> Result<serde_json::Value, Error> {
        // Everything `run` would refuse is refused here, before any request.
        input.validate()?;
        for (_, file) in input.files_mut() {
            if let FileInput::Url(_) = file {
                continue;
            }
            let resolved = self
                .file_input_url(file.clone(), FileStrategy::Auto)
                .await?;
            *file = FileInput::Url(resolved);
        }
        serde_json::to_value(&input)
            .map_err(|e| Error::InvalidRequest(format!("cannot encode the input: {e}")))
    }

    fn model_ref<M: Model>() -> ModelRef {
        if M::VERSION.is_empty() {
            ModelRef::Model {
                owner: M::OWNER.into(),
                name: M::NAME.into(),
            }
        } else {
            ModelRef::Version(M::VERSION.into())
        }
    }

    /// Runs a typed model: validates the input (nothing is sent if a bound is broken),
    /// resolves local files, creates the prediction, waits, and decodes the typed output. The
    /// input names its model, so no turbofish is needed.
    ///
    /// ```no_run
    /// # use replicate_typed::model::{Model, ModelInput};
    /// # async fn demo<I: ModelInput>(client: replicate_typed::Client, input: I) -> Result<(), replicate_typed::Error>
    /// # where I::Model: Model<Input = I> {
    /// let output = client.run(input).await?;
    /// # Ok(()) }
    /// ```
    pub async fn run<I>(&self, input: I) -> Result<<I::Model as Model>::Output, Error>
    where
        I: ModelInput,
        I::Model: Model<Input = I>,
    {
        self.run_on::<I::Model>(Self::model_ref::<I::Model>(), input)
            .await
    }

    /// Runs a typed model through a deployment of it.
    pub async fn run_deployment<I>(
        &self,
        owner: &str,
        name: &str,
        input: I,
    ) -> Result<<I::Model as Model>::Output, Error>
    where
        I: ModelInput,
        I::Model: Model<Input = I>,
    {
        self.run_on::<I::Model>(ModelRef::deployment(owner, name), input)
            .await
    }

    /// [`run`](Client::run) with options: a deadline, `Prefer: wait`, a webhook,
    /// `Cancel-After`, a progress callback.
    pub async fn run_with<I>(
        &self,
        input: I,
        options: RunOptions,
    ) -> Result<<I::Model as Model>::Output, Error>
    where
        I: ModelInput,
        I::Model: Model<Input = I>,
    {
        self.run_on_with::<I::Model>(Self::model_ref::<I::Model>(), input, &options)
            .await
    }

    async fn run_on<M: Model>(
        &self,
        target: ModelRef,
        input: M::Input,
    ) -> Result<M::Output, Error> {
        self.run_on_with::<M>(target, input, &RunOptions::default())
            .await
    }

    async fn run_on_with<M: Model>(
        &self,
        target: ModelRef,
        input: M::Input,
        options: &RunOptions,
    ) -> Result<M::Output, Error> {
        // One budget for every step: uploads, create, wait.
        let start = std::time::Instant::now();
        let run = async {
            let json = self.prepare(input).await?;
            self.run_prediction(&target, json, options, start).await
        };
        let done = options.budget(start, run).await?;
        let id = done.id.clone();
        decode_output::<M::Output>(&id, into_output(done)?).map_err(|e| e.after_create(&id))
    }
}

impl Client {
    /// Starts a training of a trainable model with a typed input; `destination` is the
    /// `owner/name` model that receives the trained version.
    pub async fn train<I>(&self, destination: &str, input: I) -> Result<crate::Training, Error>
    where
        I: ModelInput,
        I::Model: Trainable<TrainingInput = I>,
    {
        self.train_on::<I::Model>(destination, input).await
    }

    async fn train_on<M: Trainable>(
        &self,
        destination: &str,
        input: M::TrainingInput,
    ) -> Result<crate::Training, Error> {
        if M::VERSION.is_empty() {
            return Err(Error::InvalidRequest(format!(
                "training {}/{} needs a version id, and its schema came without one",
                M::OWNER,
                M::NAME
            )));
        }
        let serde_json::Value::Object(input) = self.prepare(input).await? else {
            return Err(Error::InvalidRequest(
                "a training input must encode as a JSON object".into(),
            ));
        };
        let body = crate::types::TrainingRequest::new(destination, input);
        self.trainings()
            .create(M::OWNER, M::NAME, M::VERSION, body)
            .await
    }
}

/// The typed output of a finished training.
pub fn training_output<M: Trainable>(
    training: &crate::Training,
) -> Result<M::TrainingOutput, Error> {
    let id = training.id.clone().unwrap_or_default();
    let output = serde_json::to_value(&training.output)
        .map_err(|e| Error::decode("training output", ".", e.to_string()))?;
    decode_output(&id, output)
}

/// Decodes a finished prediction's output into the model's typed output; errors name the path.
pub fn decode_output<T: serde::de::DeserializeOwned>(
    id: &str,
    output: serde_json::Value,
) -> Result<T, Error> {
    serde_path_to_error::deserialize(output).map_err(|e| {
        Error::decode(
            "model output",
            e.path().to_string(),
            format!("prediction {id}: {}", e.inner()),
        )
    })
}

/// Decodes an event's data as JSON into `T` (for chunks that are not plain text).
pub fn json_chunk<T: serde::de::DeserializeOwned>(data: &str) -> Result<T, Error> {
    serde_json::from_str(data).map_err(|e| Error::Decode {
        operation: "model stream",
        path: ".".into(),
        message: crate::snippet(e.to_string().as_bytes()),
        content_type: None,
        snippet: Some(crate::snippet(data.as_bytes())),
    })
}

/// Typed streams of a model's output (feature `streaming`).
#[cfg(feature = "streaming")]
mod typed_stream {
    use super::{ChunkStream, Model, ModelInput};
    use crate::predictions::CreateOptions;
    use crate::stream::{EventStream, StreamEvent, StreamOptions};
    use crate::{Client, Error};
    use futures_util::StreamExt;

    impl Client {
        /// Streams a typed model's output as typed chunks (text pieces for language models).
        pub async fn stream<I>(
            &self,
            input: I,
        ) -> Result<ChunkStream<<I::Model as Model>::Chunk>, Error>
        where
            I: ModelInput,
            I::Model: Model<Input = I>,
            <I::Model as Model>::Chunk: Send + 'static,
        {
            self.stream_on::<I::Model>(input).await
        }

        async fn stream_on<M: Model>(&self, input: M::Input) -> Result<ChunkStream<M::Chunk>, Error>
        where
            M::Chunk: Send + 'static,
        {
            let json = self.prepare(input).await?;
            let options = CreateOptions {
                stream: true,
                ..CreateOptions::default()
            };
            let prediction = self
                .create_prediction(&Self::model_ref::<M>(), json, options)
                .await?;
            let url = prediction.urls.stream.ok_or_else(|| {
                Error::Stream("it has no stream URL (the model may not stream)".into())
                    .after_create(&prediction.id)
            })?;
            Ok(crate::stream::for_prediction(
                typed_chunks::<M>(self.stream_events(url, StreamOptions::default())),
                prediction.id,
            ))
        }
    }

    /// Turns `output` events into typed chunks; `error` events become errors.
    pub fn typed_chunks<M: Model>(events: EventStream) -> ChunkStream<M::Chunk>
    where
        M::Chunk: Send + 'static,
    {
        Box::pin(events.filter_map(|event| async move {
            match event {
                Ok(StreamEvent::Output(data)) => Some(M::decode_chunk(&data)),
                Ok(StreamEvent::Error(detail)) => {
                    Some(Err(Error::Stream(format!("prediction failed: {detail}"))))
                }
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            }
        }))
    }
}

#[cfg(feature = "streaming")]
pub use typed_stream::typed_chunks;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_but_sent() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"hunter2\"");
    }

    #[test]
    fn concatenated_joins_pieces() {
        let c: Concatenated = serde_json::from_str(r#"["Hel", "lo"]"#).unwrap();
        assert_eq!(&*c, "Hello");
        let c: Concatenated = serde_json::from_str(r#""Hi""#).unwrap();
        assert_eq!(c.to_string(), "Hi");
    }

    #[test]
    fn checks_name_field_value_and_bound() {
        let e = check::maximum("steps", 100.0, 50.0, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid input `steps`: 100 is above the maximum: it must be at most 50"
        );
        assert!(check::minimum("guidance", 0.0, 0.0, true).is_err());
        assert!(check::minimum("guidance", 0.0, 0.0, false).is_ok());
        assert!(check::length("name", "abcdefghi", None, Some(8)).is_err());
        assert!(check::length("name", "ñañaña", Some(1), Some(6)).is_ok());
        assert!(check::pattern("code", "AB12", "^[A-Z]+[0-9]+$").is_ok());
        assert!(check::pattern("code", "12AB", "^[A-Z]+[0-9]+$").is_err());
        // What the checker cannot compile is left to the server, never refused here.
        assert!(check::pattern("name", "12", r"^\p{L}+$").is_ok());
    }

    #[test]
    fn ranges_compare_in_the_values_own_type() {
        use check::{range, Bound};
        assert!(range("steps", 50, Bound::Inclusive(1), Bound::Inclusive(50)).is_ok());
        let e = range("steps", 51, Bound::Inclusive(1), Bound::Inclusive(50)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid input `steps`: 51 is above the maximum: it must be at most 50"
        );
        assert!(range("g", 0.0, Bound::Exclusive(0.0), Bound::None).is_err());
        // Beyond 2^53 an f64 comparison would call these equal.
        let big = 9_007_199_254_740_993_i64;
        assert!(range("seed", big, Bound::None, Bound::Inclusive(big - 1)).is_err());
    }

    #[test]
    fn secret_values_never_appear_in_check_errors() {
        let s = Secret::new("hunter2-is-my-password");
        for e in [
            check::length("api_key", &s, None, Some(4)).unwrap_err(),
            check::length("api_key", &s, Some(40), None).unwrap_err(),
            check::pattern("api_key", &s, "^sk-").unwrap_err(),
        ] {
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(
                shown.contains("api_key") && shown.contains("the secret value"),
                "{shown}"
            );
        }
        assert!(check::length("api_key", &s, Some(4), Some(40)).is_ok());
    }
}
