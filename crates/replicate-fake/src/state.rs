//! The server's memory: predictions, trainings, files, the request log, and the scripted
//! lifecycle that moves a job from `starting` to its terminal status.

use super::faults::Faults;
use super::Recorded;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Everything the handlers share. Held in an `Arc`; the axum router's state.
pub(crate) struct Shared {
    /// `http://127.0.0.1:PORT`, the origin used in absolute URLs.
    pub origin: String,
    /// `whsec_…` signing secret for webhooks.
    pub secret: String,
    /// Fault queue shared with the test through [`Faults`].
    pub faults: Faults,
    /// Client used to deliver webhooks (`None` if the TLS stack could not be set up: then
    /// webhooks are not delivered, as when a receiver is down).
    pub http: Option<reqwest::Client>,
    /// Source of webhook message ids.
    pub messages: AtomicU64,
    state: Mutex<State>,
    requests: Mutex<Vec<Recorded>>,
    creates: Mutex<Vec<crate::Created>>,
}

impl Shared {
    pub fn new(origin: String, port: u16) -> Arc<Self> {
        Arc::new(Shared {
            secret: make_secret(port),
            origin,
            faults: Faults::default(),
            http: replicate_runtime::tls::reqwest_builder(&[])
                .ok()
                .and_then(|b| b.timeout(Duration::from_secs(10)).build().ok()),
            messages: AtomicU64::new(0),
            state: Mutex::new(State::default()),
            requests: Mutex::new(Vec::new()),
            creates: Mutex::new(Vec::new()),
        })
    }

    /// Locks the store (a poisoned lock is recovered: a panicking test must not wedge others).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the request log.
    pub fn requests(&self) -> MutexGuard<'_, Vec<Recorded>> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The log of created predictions.
    pub fn creates(&self) -> MutexGuard<'_, Vec<crate::Created>> {
        self.creates.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `origin + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.origin, path)
    }
}

/// 24 bytes that differ per server, as `whsec_` + base64.
fn make_secret(port: u16) -> String {
    static SERVERS: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let mut hasher = Sha256::new();
    hasher.update(nanos.to_le_bytes());
    hasher.update(port.to_le_bytes());
    hasher.update(SERVERS.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    let digest = hasher.finalize();
    format!("whsec_{}", STANDARD.encode(&digest[..24]))
}

/// Whether a job of this kind is a prediction or a training (they differ only in URLs and ids).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Prediction,
    Training,
}

/// A prediction or training plus its script.
pub(crate) struct Job {
    /// Creation order; the pagination cursor.
    pub seq: u64,
    pub id: String,
    /// The JSON returned to clients.
    pub json: Value,
    /// Terminal status the script leads to (`succeeded`, `failed`, `canceled`, `aborted`, or an
    /// unknown one such as `mystery`, which is never terminal).
    pub outcome: String,
    /// Number of GETs before the outcome is reached.
    pub steps: u64,
    /// GETs so far.
    pub gets: u64,
    pub webhook: Option<String>,
    pub events_filter: Option<Vec<String>>,
    /// What a script says, when a test scripted its model or version.
    pub scripted: crate::script::Effect,
}

/// Statuses after which nothing changes.
pub(crate) fn is_terminal(status: &str) -> bool {
    matches!(status, "succeeded" | "failed" | "canceled" | "aborted")
}

impl Job {
    pub fn status(&self) -> &str {
        self.json["status"].as_str().unwrap_or("")
    }

    pub fn is_terminal(&self) -> bool {
        is_terminal(self.status())
    }

    /// The webhook to deliver now that the job is terminal, if any (honours the events filter).
    pub fn webhook_delivery(&self) -> Option<(String, Value)> {
        let url = self.webhook.clone()?;
        if let Some(filter) = &self.events_filter {
            if !filter.iter().any(|e| e == "completed") {
                return None;
            }
        }
        Some((url, self.json.clone()))
    }

    /// One GET's worth of progress. Returns a webhook to deliver when this made the job terminal.
    pub fn advance(&mut self) -> Option<(String, Value)> {
        if self.is_terminal() {
            return None;
        }
        self.gets += 1;
        let logs = self.json["logs"].as_str().unwrap_or("").to_string();
        self.json["logs"] = Value::String(format!("{logs}step {}\n", self.gets));
        if self.json["started_at"].is_null() {
            self.json["started_at"] = Value::String(now_rfc3339());
        }
        if self.gets >= self.steps {
            let outcome = self.outcome.clone();
            self.finish(&outcome)
        } else {
            self.json["status"] = Value::String("processing".into());
            None
        }
    }

    /// Moves the job to `status`. Returns a webhook to deliver when that status is terminal.
    pub fn finish(&mut self, status: &str) -> Option<(String, Value)> {
        if self.is_terminal() {
            return None;
        }
        let j = &mut self.json;
        j["status"] = Value::String(status.to_string());
        if !is_terminal(status) {
            return None;
        }
        let now = now_rfc3339();
        if j["started_at"].is_null() {
            j["started_at"] = Value::String(now.clone());
        }
        j["completed_at"] = Value::String(now);
        match status {
            "succeeded" => {
                j["output"] = match (&self.scripted.output, j["input"].get("fake_output")) {
                    (Some(v), _) | (None, Some(v)) => v.clone(),
                    (None, None) => Value::String("ok".into()),
                };
                j["error"] = Value::Null;
                j["metrics"] = json!({"predict_time": 0.01});
            }
            "failed" => {
                j["output"] = Value::Null;
                j["error"] = Value::String(
                    self.scripted
                        .error
                        .clone()
                        .unwrap_or_else(|| "fake failure".into()),
                );
                j["metrics"] = json!({"predict_time": 0.01});
            }
            _ => {
                j["output"] = Value::Null;
            }
        }
        self.webhook_delivery()
    }
}

/// An uploaded file.
pub(crate) struct StoredFile {
    pub seq: u64,
    pub id: String,
    pub json: Value,
    pub content_type: String,
    pub bytes: Bytes,
}

/// The mutable store.
pub(crate) struct State {
    next_seq: u64,
    next_id: u64,
    pub predictions: Vec<Job>,
    pub trainings: Vec<Job>,
    pub files: Vec<StoredFile>,
    pub page_size: usize,
    /// Published model versions by `owner/name`, oldest first (the last is the latest).
    pub versions: std::collections::BTreeMap<String, Vec<Value>>,
    /// Scripts by model (`owner/name`) or version id.
    pub scripts: std::collections::BTreeMap<String, crate::Script>,
}

impl Default for State {
    fn default() -> Self {
        State {
            next_seq: 0,
            next_id: 0,
            predictions: Vec::new(),
            trainings: Vec::new(),
            files: Vec::new(),
            page_size: 100,
            versions: std::collections::BTreeMap::new(),
            scripts: std::collections::BTreeMap::new(),
        }
    }
}

/// What a create route asks for.
pub(crate) struct NewJob {
    pub kind: Kind,
    pub model: String,
    pub version: String,
    pub input: Value,
    pub webhook: Option<String>,
    pub events_filter: Option<Vec<String>>,
    pub cancel_after: Option<String>,
}

impl State {
    /// The next creation sequence number.
    pub fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// A fresh lowercase alphanumeric id with the given one-letter prefix.
    pub fn id(&mut self, prefix: char) -> String {
        self.next_id += 1;
        format!("{prefix}{:06}", self.next_id)
    }

    pub fn jobs(&mut self, kind: Kind) -> &mut Vec<Job> {
        match kind {
            Kind::Prediction => &mut self.predictions,
            Kind::Training => &mut self.trainings,
        }
    }

    pub fn job_mut(&mut self, kind: Kind, id: &str) -> Option<&mut Job> {
        self.jobs(kind).iter_mut().find(|j| j.id == id)
    }

    /// Creates a job; applies `fake_steps == 0` at once. Returns its index in its list and a
    /// webhook to deliver if it is already terminal.
    pub fn create(
        &mut self,
        origin: &str,
        new: NewJob,
        id: Option<String>,
    ) -> (usize, Option<(String, Value)>) {
        let seq = self.seq();
        let id = id.unwrap_or_else(|| {
            self.id(match new.kind {
                Kind::Prediction => 'p',
                Kind::Training => 't',
            })
        });
        let scripted = self
            .scripts
            .get(&new.version)
            .or_else(|| self.scripts.get(&new.model))
            .map(|s| s.effect(&new.input, origin))
            .unwrap_or_default();
        let outcome = scripted
            .outcome
            .or(new.input["fake_outcome"].as_str())
            .unwrap_or("succeeded")
            .to_string();
        let steps = scripted
            .steps
            .or(new.input["fake_steps"].as_u64())
            .unwrap_or(2);
        let (collection, web) = match new.kind {
            Kind::Prediction => ("predictions", "p"),
            Kind::Training => ("trainings", "p"),
        };
        let mut urls = json!({
            "get": format!("{origin}/v1/{collection}/{id}"),
            "cancel": format!("{origin}/v1/{collection}/{id}/cancel"),
        });
        if new.kind == Kind::Prediction {
            urls["stream"] = Value::String(format!("{origin}/v1/fake-stream/{id}"));
        }
        urls["web"] = Value::String(format!("https://replicate.com/{web}/{id}"));
        let mut json = json!({
            "id": id,
            "model": new.model,
            "version": new.version,
            "input": new.input,
            "output": null,
            "logs": "",
            "error": null,
            "status": "starting",
            "created_at": now_rfc3339(),
            "started_at": null,
            "completed_at": null,
            "data_removed": false,
            "source": "api",
            "metrics": {},
            "urls": urls,
        });
        if let Some(c) = new.cancel_after {
            json["cancel_after"] = Value::String(c);
        }
        let mut job = Job {
            seq,
            id,
            json,
            outcome,
            steps,
            gets: 0,
            webhook: new.webhook,
            events_filter: new.events_filter,
            scripted,
        };
        let delivery = if steps == 0 {
            let outcome = job.outcome.clone();
            job.finish(&outcome)
        } else {
            None
        };
        let list = self.jobs(new.kind);
        list.push(job);
        (list.len() - 1, delivery)
    }
}

/// Newest-first page of `items` (given oldest first as `(seq, json)`), strictly older than the
/// `before` cursor. Returns the page and the cursor of the next page, if there is one.
pub(crate) fn page<'a>(
    items: impl DoubleEndedIterator<Item = (u64, &'a Value)>,
    before: Option<u64>,
    size: usize,
) -> (Vec<Value>, Option<u64>) {
    let mut eligible = items
        .rev()
        .filter(|(seq, _)| before.is_none_or(|b| *seq < b));
    let results: Vec<(u64, Value)> = eligible
        .by_ref()
        .take(size.max(1))
        .map(|(s, v)| (s, v.clone()))
        .collect();
    let more = eligible.next().is_some();
    let next = if more {
        results.last().map(|(s, _)| *s)
    } else {
        None
    };
    (results.into_iter().map(|(_, v)| v).collect(), next)
}

/// The opaque text of a cursor.
pub(crate) fn encode_cursor(seq: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("before:{seq}"))
}

/// Reads a cursor made by [`encode_cursor`].
pub(crate) fn decode_cursor(text: &str) -> Option<u64> {
    let raw = URL_SAFE_NO_PAD.decode(text).ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("before:")?
        .parse()
        .ok()
}

/// The current time as RFC 3339 (UTC, microseconds).
pub(crate) fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// `t` as RFC 3339 (UTC, microseconds).
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123)),
            "2023-11-14T22:13:20.123000Z"
        );
    }

    #[test]
    fn cursors_roundtrip() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("nonsense"), None);
    }
}
