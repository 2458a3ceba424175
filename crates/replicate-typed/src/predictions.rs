//! The prediction workflow on top of the generated operations: create for any kind of model
//! reference, wait for a terminal state, and `run` (create + wait + output).

use crate::runtime::{CancelAfter, Prefer};
use crate::types::{self, PredictionResponseStatus as Status};
use crate::Client;
use crate::Error;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A prediction, as the API returns it.
pub type Prediction = types::PredictionResponse;

/// What to run: a model (latest version), a specific version, or a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRef {
    /// `owner/name`: the model's latest version, through the models endpoint.
    Model {
        /// Model owner.
        owner: String,
        /// Model name.
        name: String,
    },
    /// A version id (`owner/name:version` or a bare 64-hex id), through the predictions endpoint.
    Version(String),
    /// A deployment, through its own endpoint.
    Deployment {
        /// Deployment owner.
        owner: String,
        /// Deployment name.
        name: String,
    },
}

impl ModelRef {
    /// Parses `owner/name`, `owner/name:version`, `deployments/owner/name` or a bare version
    /// id.
    pub fn parse(s: &str) -> Result<ModelRef, Error> {
        let bad = || {
            Error::InvalidRequest(format!(
                "{s:?} is not `owner/name`, `owner/name:version`, `deployments/owner/name` or a version id"
            ))
        };
        if let Some(rest) = s.strip_prefix("deployments/") {
            return match rest.split_once('/') {
                Some((owner, name))
                    if !owner.is_empty() && !name.is_empty() && !name.contains(['/', ':']) =>
                {
                    Ok(ModelRef::deployment(owner, name))
                }
                _ => Err(bad()),
            };
        }
        if let Some((model, version)) = s.split_once(':') {
            model
                .split_once('/')
                .filter(|(o, n)| !o.is_empty() && !n.is_empty())
                .ok_or_else(bad)?;
            return if version.is_empty() {
                Err(bad())
            } else {
                Ok(ModelRef::Version(version.to_string()))
            };
        }
        match s.split_once('/') {
            Some((owner, name)) if !owner.is_empty() && !name.is_empty() && !name.contains('/') => {
                Ok(ModelRef::Model {
                    owner: owner.into(),
                    name: name.into(),
                })
            }
            None if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) => {
                Ok(ModelRef::Version(s.into()))
            }
            _ => Err(bad()),
        }
    }

    /// A deployment reference.
    pub fn deployment(owner: impl Into<String>, name: impl Into<String>) -> ModelRef {
        ModelRef::Deployment {
            owner: owner.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelRef::Model { owner, name } => write!(f, "{owner}/{name}"),
            ModelRef::Version(v) => f.write_str(v),
            ModelRef::Deployment { owner, name } => write!(f, "deployment {owner}/{name}"),
        }
    }
}

impl TryFrom<&str> for ModelRef {
    type Error = Error;
    fn try_from(s: &str) -> Result<ModelRef, Error> {
        ModelRef::parse(s)
    }
}

/// Options of a prediction create.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// `Prefer: wait`: hold the request until the prediction finishes (or the wait ends).
    pub prefer: Option<Prefer>,
    /// `Cancel-After`: cancel the prediction if it runs longer.
    pub cancel_after: Option<CancelAfter>,
    /// Webhook URL to notify.
    pub webhook: Option<String>,
    /// Which events call the webhook (empty: the server's default, new output and completion).
    pub webhook_events: Vec<WebhookEvent>,
    /// Ask for a server-sent event stream (`urls.stream`).
    pub stream: bool,
}

/// An event that can call a prediction's webhook: `start`, `output`, `logs`, `completed`.
pub type WebhookEvent = types::PredictionRequestWebhookEventsFilterItem;

/// Called with the prediction each time its status or logs change while waiting.
pub type ProgressFn = Arc<dyn Fn(&Prediction) + Send + Sync>;

/// How to wait for a prediction.
#[derive(Clone)]
pub struct WaitOptions {
    /// Give up (with [`Error::WaitTimeout`]) after this long. This bounds the whole wait,
    /// polls and their retries included: a poll still running at the deadline is abandoned.
    pub timeout: Duration,
    /// First poll interval; grows by half each poll.
    pub initial_interval: Duration,
    /// Longest poll interval.
    pub max_interval: Duration,
    /// Called with the prediction when waiting starts and each time its status or logs
    /// change (see [`WaitOptions::on_progress`]).
    pub progress: Option<ProgressFn>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(30 * 60),
            initial_interval: Duration::from_millis(250),
            max_interval: Duration::from_secs(5),
            progress: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("timeout", &self.timeout)
            .field("initial_interval", &self.initial_interval)
            .field("max_interval", &self.max_interval)
            .field("progress", &self.progress.as_ref().map(|_| "<callback>"))
            .finish()
    }
}

impl WaitOptions {
    /// Calls `f` with the prediction when waiting starts and whenever its status or logs
    /// change: a progress display, or a place to read `logs` as they grow.
    pub fn on_progress(mut self, f: impl Fn(&Prediction) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }
}

/// Everything a `run` can be asked: how long in all, how long the server may hold the create
/// (`Prefer: wait`), a webhook, a `Cancel-After`, and a progress callback.
///
/// ```no_run
/// # async fn demo(client: replicate_typed::Client) -> Result<(), replicate_typed::Error> {
/// use replicate_typed::RunOptions;
/// use std::time::Duration;
/// let options = RunOptions::new()
///     .deadline(Duration::from_secs(120))
///     .webhook("https://example.com/hook", [replicate_typed::WebhookEvent::Completed])
///     .on_progress(|p| println!("{}: {} log bytes", p.status, p.logs.as_deref().unwrap_or("").len()));
/// let output = client
///     .run_json_with("replicate/hello-world", serde_json::json!({ "text": "Alice" }), options)
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    create: CreateOptions,
    wait: WaitOptions,
    prefer_set: bool,
}

impl RunOptions {
    /// The defaults: `Prefer: wait` (the server holds the create up to 60 s), then polling
    /// for up to 30 minutes in all.
    pub fn new() -> Self {
        Self::default()
    }

    /// The longest the whole run may take: one budget over every step (file uploads, the
    /// create, the wait). No request that could start billable work is sent after it (before
    /// a create, that is [`Error::Deadline`]), no retry pause or throttle wait runs past it,
    /// and a create in flight is never cut short (the prediction might exist without its id);
    /// the create's `Prefer: wait` is shortened to fit, and waiting stops at the deadline with
    /// [`Error::WaitTimeout`] (which keeps the id and the time since the run started).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.wait.timeout = deadline;
        self
    }

    /// How long the server may hold the create (`Prefer: wait=n`, 1 to 60 s); `None` sends no
    /// `Prefer` header, so the create returns at once.
    pub fn prefer_wait(mut self, prefer: Option<Prefer>) -> Self {
        self.create.prefer = prefer;
        self.prefer_set = true;
        self
    }

    /// Notifies `url` of these events (empty: the server's default).
    pub fn webhook(
        mut self,
        url: impl Into<String>,
        events: impl IntoIterator<Item = WebhookEvent>,
    ) -> Self {
        self.create.webhook = Some(url.into());
        self.create.webhook_events = events.into_iter().collect();
        self
    }

    /// Cancels the prediction on the server if it runs longer than this.
    pub fn cancel_after(mut self, cancel_after: CancelAfter) -> Self {
        self.create.cancel_after = Some(cancel_after);
        self
    }

    /// Polling intervals (first, longest).
    pub fn poll_intervals(mut self, initial: Duration, max: Duration) -> Self {
        self.wait.initial_interval = initial;
        self.wait.max_interval = max;
        self
    }

    /// Calls `f` with the prediction as it is created and whenever its status or logs change.
    pub fn on_progress(mut self, f: impl Fn(&Prediction) + Send + Sync + 'static) -> Self {
        self.wait = self.wait.on_progress(f);
        self
    }

    /// Runs `call` (every step of one run: uploads, create, wait) within the run's deadline,
    /// counted from `start`: no request that could start billable work is sent after it, and
    /// no retry pause or throttle wait runs past it.
    pub(crate) async fn budget<F: std::future::Future>(
        &self,
        start: Instant,
        call: F,
    ) -> F::Output {
        let deadline = crate::deadline::Deadline::after(start, self.wait.timeout);
        crate::deadline::within(deadline, call).await
    }

    /// The create options and wait options of a run starting now.
    pub(crate) fn split(&self) -> (CreateOptions, WaitOptions) {
        let mut create = self.create.clone();
        if !self.prefer_set {
            create.prefer = Some(Prefer::wait());
        }
        // The server's hold must fit in the deadline.
        let budget = self.wait.timeout.as_secs().clamp(1, 60);
        if let Some(p) = create.prefer {
            let held = p.seconds().map(u64::from).unwrap_or(60);
            if held > budget {
                create.prefer = Prefer::wait_seconds(budget).ok();
            }
        }
        (create, self.wait.clone())
    }
}

/// `now + timeout`, or about a century from now when that cannot be represented
/// (`Duration::MAX` meaning "no deadline").
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

/// True for the statuses after which a prediction never changes: succeeded, failed, canceled
/// and aborted. An unknown status is not terminal (we keep polling until the deadline).
pub fn is_terminal(status: &Status) -> bool {
    matches!(
        status,
        Status::Succeeded | Status::Failed | Status::Canceled | Status::Aborted
    )
}

impl Client {
    /// Creates a prediction for a model, version or deployment.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_typed::Client) -> Result<(), replicate_typed::Error> {
    /// use replicate_typed::{CreateOptions, ModelRef};
    /// let input = serde_json::json!({ "prompt": "a red fox" });
    /// let prediction = client
    ///     .create_prediction(&ModelRef::parse("black-forest-labs/flux-schnell")?, input, CreateOptions::default())
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_prediction(
        &self,
        model: &ModelRef,
        input: impl serde::Serialize,
        options: CreateOptions,
    ) -> Result<Prediction, Error> {
        let input = match serde_json::to_value(input) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(other) => {
                return Err(Error::InvalidRequest(format!(
                    "model input must be a JSON object, not {other}"
                )))
            }
            Err(e) => {
                return Err(Error::InvalidRequest(format!(
                    "cannot encode the model input: {e}"
                )))
            }
        };
        let stream = options.stream.then_some(true);
        let events = (!options.webhook_events.is_empty()).then(|| options.webhook_events.clone());
        // The three create operations take the same options; their builders are distinct types.
        macro_rules! send {
            ($builder:expr) => {{
                let mut req = $builder;
                if let Some(p) = options.prefer {
                    req = req.prefer(p);
                }
                if let Some(c) = options.cancel_after {
                    req = req.cancel_after(c);
                }
                let mut request = req.into_request()?;
                // Whatever goes wrong from here, the error keeps the id the answer names.
                request.creates = true;
                self.execute(request).await?.json::<Prediction>()?
            }};
        }
        let body = || {
            let mut body = types::PredictionRequest::new(input.clone());
            body.webhook = options.webhook.clone();
            body.webhook_events_filter = events.clone();
            body.stream = stream;
            body
        };
        let response = match model {
            ModelRef::Version(version) => {
                let mut versioned =
                    types::VersionPredictionRequest::new(input.clone(), version.clone());
                versioned.webhook = options.webhook.clone();
                // One enum for both bodies (the generator defines identical enums once).
                versioned.webhook_events_filter = events.clone();
                versioned.stream = stream;
                send!(self.predictions().create(versioned))
            }
            ModelRef::Model { owner, name } => {
                send!(self.models().predictions().create(owner, name, body()))
            }
            ModelRef::Deployment { owner, name } => {
                send!(self.deployments().predictions().create(owner, name, body()))
            }
        };
        Ok(response)
    }

    /// Polls a prediction until it reaches a terminal state (succeeded, failed, canceled,
    /// aborted), with growing intervals and an overall deadline. Returns the final prediction
    /// whatever its outcome; [`Client::run_json`] and [`Client::run`] turn failures into errors.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_typed::Client, p: replicate_typed::Prediction) -> Result<(), replicate_typed::Error> {
    /// let done = client.wait(p, Default::default()).await?;
    /// println!("{}: {:?}", done.status, done.output);
    /// # Ok(()) }
    /// ```
    pub async fn wait(
        &self,
        prediction: Prediction,
        options: WaitOptions,
    ) -> Result<Prediction, Error> {
        self.wait_since(prediction, options, Instant::now()).await
    }

    /// [`wait`](Client::wait) for a call that started at `start` (a `run`): a timeout reports
    /// the time since then.
    async fn wait_since(
        &self,
        prediction: Prediction,
        options: WaitOptions,
        start: Instant,
    ) -> Result<Prediction, Error> {
        let id = prediction.id.clone();
        self.wait_inner(prediction, options, start)
            .await
            .map_err(|e| e.after_create(&id))
    }

    async fn wait_inner(
        &self,
        prediction: Prediction,
        options: WaitOptions,
        start: Instant,
    ) -> Result<Prediction, Error> {
        let deadline = deadline_after(options.timeout);
        let mut interval = options.initial_interval;
        let id = prediction.id.clone();
        let mut current = prediction;
        let report = |p: &Prediction| {
            if let Some(progress) = &options.progress {
                progress(p);
            }
        };
        report(&current);
        let timed_out = |current: Prediction| Error::WaitTimeout {
            id: current.id,
            status: current.status.to_string(),
            waited: start.elapsed(),
        };
        while !is_terminal(&current.status) {
            let now = Instant::now();
            if now >= deadline {
                return Err(timed_out(current));
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            interval = (interval + interval / 2).min(options.max_interval);
            // The deadline bounds the poll too (a hanging server, its retries): whatever is
            // in flight at the deadline is dropped.
            let poll = self.predictions().get(id.clone());
            match tokio::time::timeout_at(deadline.into(), poll).await {
                // The run's budget cut the poll: the same as the wait's own deadline.
                Ok(Err(Error::Deadline { .. })) => return Err(timed_out(current)),
                Ok(next) => {
                    let next = next?;
                    if next.id != id {
                        // Following another prediction's status would report the wrong outcome.
                        return Err(Error::Protocol {
                            operation: "predictions.get",
                            message: format!(
                                "asked for prediction {id}, the server answered with {}",
                                next.id
                            ),
                        });
                    }
                    if next.status != current.status || next.logs != current.logs {
                        report(&next);
                    }
                    current = next;
                }
                Err(_) => return Err(timed_out(current)),
            }
        }
        Ok(current)
    }

    /// Waits for a prediction known only by its id (say, from
    /// [`Error::prediction_id`] after an interrupted [`run_json`](Client::run_json)).
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_typed::Client, err: replicate_typed::Error) -> Result<(), replicate_typed::Error> {
    /// if let Some(id) = err.prediction_id() {
    ///     let done = client.wait_for(id, Default::default()).await?;
    ///     println!("{}: {:?}", done.status, done.output);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait_for(&self, id: &str, options: WaitOptions) -> Result<Prediction, Error> {
        let deadline = deadline_after(options.timeout);
        let first = tokio::time::timeout_at(deadline.into(), self.predictions().get(id))
            .await
            .map_err(|_| Error::WaitTimeout {
                id: id.to_string(),
                status: "unknown".into(),
                waited: options.timeout,
            })
            .and_then(|r| r)
            .map_err(|e| e.after_create(id))?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        self.wait(
            first,
            WaitOptions {
                timeout: remaining,
                ..options
            },
        )
        .await
    }

    /// Runs a model and returns its output: creates the prediction (blocking on the server for
    /// up to 60 s with `Prefer: wait`), polls until it ends (30 minutes at most), and fails
    /// with [`Error::PredictionFailed`] unless it succeeded. `model` is `owner/name`,
    /// `owner/name:version` or `deployments/owner/name`.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), replicate_typed::Error> {
    /// let client = replicate_typed::Client::from_env()?;
    /// let output = client.run_json("replicate/hello-world", serde_json::json!({ "text": "Alice" })).await?;
    /// println!("{output}");
    /// # Ok(()) }
    /// ```
    pub async fn run_json(
        &self,
        model: &str,
        input: impl serde::Serialize,
    ) -> Result<serde_json::Value, Error> {
        self.run_json_with(model, input, RunOptions::default())
            .await
    }

    /// [`run_json`](Client::run_json) with options: a deadline, `Prefer: wait`, a webhook,
    /// `Cancel-After`, a progress callback. `model` may be `deployments/owner/name`.
    pub async fn run_json_with(
        &self,
        model: &str,
        input: impl serde::Serialize,
        options: RunOptions,
    ) -> Result<serde_json::Value, Error> {
        let start = Instant::now();
        let model = ModelRef::parse(model)?;
        let run = self.run_prediction(&model, input, &options, start);
        into_output(options.budget(start, run).await?)
    }

    /// Creates and waits, the deadline counted from `start` (shared by every `run`; the
    /// caller runs it inside [`RunOptions::budget`]).
    pub(crate) async fn run_prediction(
        &self,
        model: &ModelRef,
        input: impl serde::Serialize,
        options: &RunOptions,
        start: Instant,
    ) -> Result<Prediction, Error> {
        let (create, mut wait) = options.split();
        let created = self.create_prediction(model, input, create).await?;
        wait.timeout = wait.timeout.saturating_sub(start.elapsed());
        self.wait_since(created, wait, start).await
    }
}

/// The output of a finished prediction, or [`Error::PredictionFailed`].
pub fn into_output(prediction: Prediction) -> Result<serde_json::Value, Error> {
    match prediction.status {
        Status::Succeeded => Ok(prediction.output),
        // The model's words are the server's: cleaned where they are captured.
        status => Err(Error::PredictionFailed {
            id: prediction.id,
            status: status.to_string(),
            error: prediction.error.as_deref().map(crate::clean),
            logs: prediction.logs.as_deref().map(crate::redact),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_of_duration_max_means_none() {
        assert!(deadline_after(Duration::MAX) > Instant::now() + Duration::from_secs(3600));
    }

    #[test]
    fn run_options_fit_the_server_hold_in_the_deadline() {
        let (create, wait) = RunOptions::new().split();
        assert_eq!(create.prefer, Some(Prefer::wait()));
        assert_eq!(wait.timeout, WaitOptions::default().timeout);
        let (create, _) = RunOptions::new().deadline(Duration::from_secs(10)).split();
        assert_eq!(create.prefer, Prefer::wait_seconds(10).ok());
        let (create, _) = RunOptions::new().prefer_wait(None).split();
        assert_eq!(create.prefer, None);
        let (create, _) = RunOptions::new()
            .deadline(Duration::from_millis(300))
            .split();
        assert_eq!(create.prefer, Prefer::wait_seconds(1).ok());
    }

    #[test]
    fn model_refs() {
        assert_eq!(
            ModelRef::parse("replicate/hello-world").unwrap(),
            ModelRef::Model {
                owner: "replicate".into(),
                name: "hello-world".into()
            }
        );
        assert_eq!(
            ModelRef::parse("replicate/hello-world:5c7d5dc6").unwrap(),
            ModelRef::Version("5c7d5dc6".into())
        );
        assert_eq!(
            ModelRef::parse("5c7d5dc6dd8bf75c").unwrap(),
            ModelRef::Version("5c7d5dc6dd8bf75c".into())
        );
        assert_eq!(
            ModelRef::parse("deployments/acme/prod").unwrap(),
            ModelRef::deployment("acme", "prod")
        );
        for bad in [
            "",
            "/x",
            "x/",
            "a/b/c",
            "a/b:",
            ":v",
            "has space",
            "deployments/acme",
            "deployments/acme/prod/x",
        ] {
            assert!(ModelRef::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn terminal_states_include_aborted() {
        for s in ["succeeded", "failed", "canceled", "aborted"] {
            assert!(is_terminal(&Status::from(s)), "{s}");
        }
        for s in ["starting", "processing", "queued-in-the-future"] {
            assert!(!is_terminal(&Status::from(s)), "{s}");
        }
    }
}
