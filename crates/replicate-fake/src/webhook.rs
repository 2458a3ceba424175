//! Webhook delivery signed the Standard Webhooks way (as Replicate does).

use super::state::Shared;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `v1,<base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))>` where the key is the base64 after
/// `whsec_` in `secret`.
pub(crate) fn signature(secret: &str, msg_id: &str, timestamp: u64, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Sends `payload` to `url` in the background; retries once after 100 ms on a non-2xx answer
/// or a transport error.
pub(crate) fn deliver(shared: &Arc<Shared>, url: String, payload: Value) {
    let shared = Arc::clone(shared);
    let n = shared.messages.fetch_add(1, Ordering::Relaxed) + 1;
    let msg_id = format!("msg_{n:06}");
    tokio::spawn(async move {
        let Some(http) = &shared.http else { return };
        let body = serde_json::to_vec(&payload).unwrap_or_default();
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let timestamp = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            let sent = http
                .post(&url)
                .header("content-type", "application/json")
                .header("webhook-id", &msg_id)
                .header("webhook-timestamp", timestamp.to_string())
                .header(
                    "webhook-signature",
                    signature(&shared.secret, &msg_id, timestamp, &body),
                )
                .body(body.clone())
                .send()
                .await;
            if matches!(&sent, Ok(r) if r.status().is_success()) {
                return;
            }
        }
    });
}

/// Delivers every `(url, payload)` in `deliveries`.
pub(crate) fn deliver_all(
    shared: &Arc<Shared>,
    deliveries: impl IntoIterator<Item = (String, Value)>,
) {
    for (url, payload) in deliveries {
        deliver(shared, url, payload);
    }
}
