//! Verifying Replicate's webhook signatures (the Standard Webhooks scheme): HMAC-SHA256 over
//! `"{webhook-id}.{webhook-timestamp}.{body}"` with the key in the `whsec_` secret, compared in
//! constant time against every `v1,<base64>` entry of `webhook-signature`, with a timestamp
//! tolerance against replays. Works from raw parts, so any web framework can use it.

use crate::error::Error;
use crate::predictions::Prediction;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Default tolerance between the webhook's timestamp and now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// A training, as the API returns it.
pub type Training = crate::types::TrainingResponse;

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
    /// Reads the headers from an `http::HeaderMap` (as used by axum, hyper, reqwest).
    pub fn from_header_map(headers: &'a reqwest::header::HeaderMap) -> Result<Self, Error> {
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
    /// let verifier = replicate_client::WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
    /// # Ok::<(), replicate_client::Error>(())
    /// ```
    pub fn new(secret: &str) -> Result<Self, Error> {
        let encoded = secret
            .trim()
            .strip_prefix("whsec_")
            .unwrap_or(secret.trim());
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| {
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
                headers.timestamp
            ))
        })?;
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        if now.abs_diff(sent) > self.tolerance.as_secs() {
            return Err(Error::Webhook(format!(
                "timestamp {sent} is more than {:?} from now ({now}); possible replay",
                self.tolerance
            )));
        }
        let mut entries = 0;
        for entry in headers.signature.split_whitespace() {
            let Some(("v1", encoded)) = entry.split_once(',') else {
                continue;
            };
            entries += 1;
            let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
                continue;
            };
            // `verify_slice` compares in constant time.
            if self
                .mac(headers.id, headers.timestamp.trim(), body)
                .verify_slice(&expected)
                .is_ok()
            {
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
        parse_body(body)
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

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        Error::Webhook(format!(
            "cannot decode the body at `{}`: {}",
            e.path(),
            e.inner()
        ))
    })
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
