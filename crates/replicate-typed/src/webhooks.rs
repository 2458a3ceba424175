//! Verifying Replicate's webhook signatures (the Standard Webhooks scheme): HMAC-SHA256 over
//! `"{webhook-id}.{webhook-timestamp}.{body}"` with the key in the `whsec_` secret (padded or
//! not), computed once and compared in constant time against the first
//! [`MAX_SIGNATURES`] `v1,<base64>` entries of `webhook-signature`, with a timestamp
//! tolerance against replays. Works from raw parts, so any web framework can use it.
//!
//! A body that is signed but does not decode is a different error ([`Error::Decode`]) from a
//! bad signature ([`Error::Webhook`]), and decoding is lenient: only a prediction's `id` and
//! `status` are required, as Replicate's own example payloads lack fields the API's responses
//! always have.

use crate::predictions::Prediction;
use crate::{Error, Training};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Default tolerance between the webhook's timestamp and now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// How many `v1,` signature entries are compared; more are ignored (a sender rotating keys
/// sends two or three, a forger thousands).
pub const MAX_SIGNATURES: usize = 8;

/// Standard base64, padding optional (`standardwebhooks` accepts unpadded secrets).
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Checks webhook signatures with the account's secret (`webhooks.default.secret.get`).
#[derive(Clone)]
pub struct WebhookVerifier {
    key: Vec<u8>,
    tolerance: Duration,
}

impl std::fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("key", &"<redacted>")
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

/// The three signature headers of a webhook request.
#[derive(Debug, Clone, Copy)]
pub struct WebhookHeaders<'a> {
    /// `webhook-id`.
    pub id: &'a str,
    /// `webhook-timestamp` (Unix seconds).
    pub timestamp: &'a str,
    /// `webhook-signature` (space-separated `v1,<base64>` entries).
    pub signature: &'a str,
}

impl<'a> WebhookHeaders<'a> {
    /// Reads the headers from an `http::HeaderMap`, the type axum, hyper, actix (via `http`)
    /// and reqwest share (re-exported as [`crate::http`]).
    pub fn from_header_map(headers: &'a http::HeaderMap) -> Result<Self, Error> {
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| Error::Webhook(format!("missing or non-text `{name}` header")))
        };
        Ok(WebhookHeaders {
            id: get("webhook-id")?,
            timestamp: get("webhook-timestamp")?,
            signature: get("webhook-signature")?,
        })
    }
}

impl WebhookVerifier {
    /// A verifier for a `whsec_<base64>` secret.
    ///
    /// ```
    /// let verifier = replicate_typed::WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
    /// # Ok::<(), replicate_typed::Error>(())
    /// ```
    pub fn new(secret: &str) -> Result<Self, Error> {
        let encoded = secret
            .trim()
            .strip_prefix("whsec_")
            .unwrap_or(secret.trim());
        let key = BASE64.decode(encoded).map_err(|e| {
            Error::Webhook(format!(
                "the secret is not `whsec_` followed by base64: {e}"
            ))
        })?;
        if key.is_empty() {
            return Err(Error::Webhook("the secret is empty".into()));
        }
        Ok(WebhookVerifier {
            key,
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    /// Sets how far the timestamp may be from now (default 5 minutes).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The `v1,<base64>` signature of a payload (for tests and for sending webhooks).
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let digest = self
            .mac(id, &timestamp.to_string(), body)
            .finalize()
            .into_bytes();
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// Verifies a webhook against the current time.
    pub fn verify(&self, headers: WebhookHeaders<'_>, body: &[u8]) -> Result<(), Error> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// Verifies a webhook as of `now`.
    pub fn verify_at(
        &self,
        headers: WebhookHeaders<'_>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), Error> {
        let sent: u64 = headers.timestamp.trim().parse().map_err(|_| {
            Error::Webhook(format!(
                "`webhook-timestamp` {:?} is not Unix seconds",
                crate::snippet(headers.timestamp.as_bytes())
            ))
        })?;
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        if now.abs_diff(sent) > self.tolerance.as_secs() {
            return Err(Error::Webhook(format!(
                "timestamp {sent} is more than {:?} from now ({now}); possible replay",
                self.tolerance
            )));
        }
        // The MAC is computed once, however many entries the header has.
        let mac = self.mac(headers.id, headers.timestamp.trim(), body);
        let mut entries = 0;
        for entry in headers.signature.split_whitespace() {
            let Some(("v1", encoded)) = entry.split_once(',') else {
                continue;
            };
            entries += 1;
            if entries > MAX_SIGNATURES {
                break;
            }
            let Ok(expected) = BASE64.decode(encoded) else {
                continue;
            };
            // `verify_slice` compares in constant time (and rejects other lengths).
            if mac.clone().verify_slice(&expected).is_ok() {
                return Ok(());
            }
        }
        if entries == 0 {
            return Err(Error::Webhook(
                "`webhook-signature` has no `v1,` entry".into(),
            ));
        }
        Err(Error::Webhook("no signature matches the body".into()))
    }

    /// Verifies, then parses the body as a prediction.
    pub fn prediction(
        &self,
        headers: WebhookHeaders<'_>,
        body: &[u8],
    ) -> Result<Prediction, Error> {
        self.verify(headers, body)?;
        let mut value: serde_json::Value = parse_body(body)?;
        fill_prediction_defaults(&mut value);
        decode_value(value, body)
    }

    /// Verifies, parses the prediction, and decodes its output into model `M`'s typed output
    /// once it has succeeded (`None` for `start`/`logs` events and unsuccessful endings).
    pub fn model_prediction<M: crate::model::Model>(
        &self,
        headers: WebhookHeaders<'_>,
        body: &[u8],
    ) -> Result<(Prediction, Option<M::Output>), Error> {
        let prediction = self.prediction(headers, body)?;
        let output = match prediction.status {
            crate::types::PredictionResponseStatus::Succeeded => {
                Some(crate::model::decode_output::<M::Output>(
                    &prediction.id,
                    prediction.output.clone(),
                )?)
            }
            _ => None,
        };
        Ok((prediction, output))
    }

    /// Verifies, then parses the body as a training.
    pub fn training(&self, headers: WebhookHeaders<'_>, body: &[u8]) -> Result<Training, Error> {
        self.verify(headers, body)?;
        parse_body(body)
    }
}

/// The error of a verified body that does not decode: what and where, with a bounded snippet.
fn payload_error(path: String, message: String, body: &[u8]) -> Error {
    Error::Decode {
        operation: "webhook",
        path: crate::snippet(path.as_bytes()),
        // The sender's words (serde quotes values): cleaned where captured.
        message: crate::snippet(message.as_bytes()),
        content_type: None,
        snippet: Some(crate::snippet(body)),
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|e| payload_error(e.path().to_string(), e.inner().to_string(), body))
}

fn decode_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    body: &[u8],
) -> Result<T, Error> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| payload_error(e.path().to_string(), e.inner().to_string(), body))
}

/// Gives a webhook's prediction the fields the API's type requires but a payload may lack;
/// `id` and `status` stay required (without them the payload says nothing).
fn fill_prediction_defaults(value: &mut serde_json::Value) {
    use serde_json::{json, Value};
    let Value::Object(map) = value else { return };
    for (key, default) in [
        ("created_at", json!("")),
        ("data_removed", json!(false)),
        ("input", json!({})),
        ("model", json!("")),
        ("output", Value::Null),
        ("version", json!("")),
        ("urls", json!({})),
    ] {
        // Missing or null: a payload says nothing about it either way.
        let slot = map.entry(key).or_insert(Value::Null);
        if slot.is_null() {
            *slot = default;
        }
    }
    if let Some(Value::Object(urls)) = map.get_mut("urls") {
        for key in ["cancel", "get", "web"] {
            let slot = urls.entry(key).or_insert(Value::Null);
            if slot.is_null() {
                *slot = json!("");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn accepts_a_valid_signature_among_several() {
        let v = WebhookVerifier::new(SECRET).unwrap();
        let body = br#"{"id":"p1"}"#;
        let good = v.sign("msg_1", 1_700_000_000, body);
        let signature = format!("v1,Zm9vYmFy {good} v2,ignored");
        let h = WebhookHeaders {
            id: "msg_1",
            timestamp: "1700000000",
            signature: &signature,
        };
        v.verify_at(h, body, at(1_700_000_100)).unwrap();
    }

    #[test]
    fn rejects_tampering_replay_and_garbage() {
        let v = WebhookVerifier::new(SECRET).unwrap();
        let body = br#"{"id":"p1"}"#;
        let sig = v.sign("msg_1", 1_700_000_000, body);
        let h = WebhookHeaders {
            id: "msg_1",
            timestamp: "1700000000",
            signature: &sig,
        };
        let e = v
            .verify_at(h, br#"{"id":"p2"}"#, at(1_700_000_000))
            .unwrap_err();
        assert!(e.to_string().contains("no signature matches"), "{e}");
        let e = v
            .verify_at(WebhookHeaders { id: "msg_2", ..h }, body, at(1_700_000_000))
            .unwrap_err();
        assert!(e.to_string().contains("no signature matches"), "{e}");
        let e = v.verify_at(h, body, at(1_700_000_000 + 301)).unwrap_err();
        assert!(e.to_string().contains("possible replay"), "{e}");
        let e = v.verify_at(h, body, at(1_700_000_000 - 301)).unwrap_err();
        assert!(e.to_string().contains("possible replay"), "{e}");
        let e = v
            .verify_at(
                WebhookHeaders {
                    signature: "v2,abc",
                    ..h
                },
                body,
                at(1_700_000_000),
            )
            .unwrap_err();
        assert!(e.to_string().contains("no `v1,` entry"), "{e}");
        let e = v
            .verify_at(
                WebhookHeaders {
                    timestamp: "soon",
                    ..h
                },
                body,
                at(1_700_000_000),
            )
            .unwrap_err();
        assert!(e.to_string().contains("Unix seconds"), "{e}");
        assert!(WebhookVerifier::new("whsec_!!!").is_err());
        assert!(!format!("{v:?}").contains("C2FV"));
    }

    /// Signed by PyPI `standardwebhooks` 1.1.0 (`Webhook("whsec_" + unpadded).sign(...)`), an
    /// independent implementation.
    #[test]
    fn interoperates_with_standardwebhooks_and_unpadded_secrets() {
        let body = br#"{"id":"p1","status":"succeeded","output":"ok"}"#;
        let signature = "v1,1sJSV58h4xduz5tk9tpigP5kdZPsjRv3Y+QL1TKW4+4=";
        for secret in [
            "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhc",
            "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhc=",
        ] {
            let v = WebhookVerifier::new(secret).unwrap();
            let h = WebhookHeaders {
                id: "msg_2Lh9",
                timestamp: "1700000000",
                signature,
            };
            v.verify_at(h, body, at(1_700_000_000)).unwrap();
            assert_eq!(v.sign("msg_2Lh9", 1_700_000_000, body), signature);
        }
    }

    #[test]
    fn many_forged_entries_cost_one_mac_and_are_bounded() {
        let v = WebhookVerifier::new(SECRET).unwrap();
        let body = br#"{"id":"p1"}"#;
        let good = v.sign("m", 1_700_000_000, body);
        let forged = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ".repeat(MAX_SIGNATURES);
        let h = |signature| WebhookHeaders {
            id: "m",
            timestamp: "1700000000",
            signature,
        };
        // A good entry after the bound is not looked at.
        let late = format!("{forged}{good}");
        let e = v.verify_at(h(&late), body, at(1_700_000_000)).unwrap_err();
        assert!(e.to_string().contains("no signature matches"), "{e}");
        let early = format!("{}{good}", "v1,AAAA ".repeat(MAX_SIGNATURES - 1));
        v.verify_at(h(&early), body, at(1_700_000_000)).unwrap();
    }

    #[test]
    fn signed_payloads_decode_leniently_and_fail_apart_from_signatures() {
        let v = WebhookVerifier::new(SECRET).unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let signed = |body: &[u8]| (v.sign("m", now, body), now.to_string());
        // Replicate's documented example payload: no data_removed, model or urls.
        let body = br#"{"id":"ufawqhfynnddngldkgtslldrkq","version":"5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa","created_at":"2022-04-26T22:13:06.224088Z","started_at":null,"completed_at":null,"status":"starting","input":{"text":"Alice"},"output":null,"error":null,"logs":null,"metrics":{}}"#;
        let (sig, ts) = signed(body);
        let h = WebhookHeaders {
            id: "m",
            timestamp: &ts,
            signature: &sig,
        };
        let p = v.prediction(h, body).unwrap();
        assert_eq!(p.id, "ufawqhfynnddngldkgtslldrkq");
        assert!(!p.data_removed);
        // Present but null is as good as missing.
        let body = br#"{"id":"p9","status":"succeeded","urls":null,"input":null,"model":null,"data_removed":null,"output":null}"#;
        let (sig, ts) = signed(body);
        let h = WebhookHeaders {
            id: "m",
            timestamp: &ts,
            signature: &sig,
        };
        assert_eq!(v.prediction(h, body).unwrap().id, "p9");
        // Signed but not a prediction: a decode error naming the field, not a signature error.
        let body = br#"{"status":"succeeded"}"#;
        let (sig, ts) = signed(body);
        let h = WebhookHeaders {
            id: "m",
            timestamp: &ts,
            signature: &sig,
        };
        let e = v.prediction(h, body).unwrap_err();
        assert!(matches!(&e, Error::Decode { .. }), "{e:?}");
        assert!(e.to_string().contains("id"), "{e}");
        // A bad signature stays a webhook error.
        let e = v
            .prediction(
                WebhookHeaders {
                    signature: "v1,AAAA",
                    ..h
                },
                body,
            )
            .unwrap_err();
        assert!(matches!(e, Error::Webhook(_)), "{e:?}");
    }

    #[test]
    fn tolerance_is_configurable() {
        let v = WebhookVerifier::new(SECRET)
            .unwrap()
            .tolerance(Duration::from_secs(10));
        let sig = v.sign("m", 100, b"{}");
        let h = WebhookHeaders {
            id: "m",
            timestamp: "100",
            signature: &sig,
        };
        assert!(v.verify_at(h, b"{}", at(110)).is_ok());
        assert!(v.verify_at(h, b"{}", at(111)).is_err());
    }
}
