//! Scripted models: how predictions of a given model or version behave, so a test of your
//! code can ask for exactly the case it needs.

use serde_json::Value;

/// How predictions of a scripted model behave (see
/// [`FakeReplicate::script`](crate::FakeReplicate::script)).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Script {
    /// Succeeds with its input as its output.
    Echo,
    /// Succeeds with this output.
    Output(Value),
    /// Fails with this error message.
    Fail(String),
    /// Succeeds with `"ok"` only after this many polls (`GET`s of the prediction).
    Slow(u64),
    /// Streams these text chunks as `output` events; the final output is their list.
    Stream(Vec<String>),
    /// Produces files with these names, which the fake serves (without auth, like a file
    /// store) at `/fake-output/<name>`; the output is the list of their URLs.
    Files(Vec<String>),
}

/// What a script sets on a new job.
#[derive(Debug, Default)]
pub(crate) struct Effect {
    pub output: Option<Value>,
    pub error: Option<String>,
    pub outcome: Option<&'static str>,
    pub steps: Option<u64>,
    pub stream: Option<Vec<String>>,
}

impl Script {
    /// The effect on a job with this input, on a server at `origin`.
    pub(crate) fn effect(&self, input: &Value, origin: &str) -> Effect {
        match self {
            Script::Echo => Effect {
                output: Some(input.clone()),
                ..Effect::default()
            },
            Script::Output(v) => Effect {
                output: Some(v.clone()),
                ..Effect::default()
            },
            Script::Fail(message) => Effect {
                outcome: Some("failed"),
                error: Some(message.clone()),
                ..Effect::default()
            },
            Script::Slow(polls) => Effect {
                steps: Some(*polls),
                ..Effect::default()
            },
            Script::Stream(chunks) => Effect {
                output: Some(Value::from(chunks.clone())),
                stream: Some(chunks.clone()),
                ..Effect::default()
            },
            Script::Files(names) => Effect {
                output: Some(Value::from(
                    names
                        .iter()
                        .map(|n| format!("{origin}/fake-output/{n}"))
                        .collect::<Vec<_>>(),
                )),
                ..Effect::default()
            },
        }
    }
}
