//! When to send a request again, and how long to wait first.
//!
//! The rule that matters for billing: a request that may create something (POST, PATCH) is
//! retried only when the server cannot have started it: a 429 (rejected before any work) or a
//! connection that was never established. Never after a 5xx or a timeout, so a retry can never
//! create a second billed prediction. Safe methods (GET, DELETE, QUERY, ...) are also retried on
//! 502/503/504 and on timeouts.
//!
//! A 429 also slows the whole client down: every request of every task waits out the same
//! pause before its next attempt, so a batch backs off together instead of each
//! task hammering on its own. 429s have their own, larger retry budget, because the server
//! did no work and the request is safe to send again whatever its method.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// How often and how patiently to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Backoff before the first retry; doubles each time, with full jitter.
    pub initial_backoff: Duration,
    /// Upper bound of the computed backoff.
    pub max_backoff: Duration,
    /// Upper bound of a server's `Retry-After`; longer requests give up instead of sleeping.
    pub max_retry_after: Duration,
    /// Retries after `429 Too Many Requests`, counted apart from `max_retries` (a 429 means
    /// the server did nothing, so waiting and trying again is always safe).
    pub max_throttled_retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            max_throttled_retries: 10,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            max_throttled_retries: 0,
            ..RetryPolicy::default()
        }
    }
}

/// The client-wide pause after a 429: no attempt of any task starts before it ends.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    until: Mutex<Option<Instant>>,
    /// Set once any pause was asked for, so the common case (never throttled) costs one
    /// atomic load per request, not a lock.
    ever: std::sync::atomic::AtomicBool,
}

impl Throttle {
    /// Extends the pause to at least `wait` from now.
    pub(crate) fn slow_down(&self, wait: Duration) {
        // A wait too long to represent is a wait we never reach the end of; cap it.
        let Some(end) = Instant::now().checked_add(wait) else {
            return;
        };
        let mut until = self.until.lock().unwrap_or_else(|e| e.into_inner());
        if until.is_none_or(|u| u < end) {
            *until = Some(end);
        }
        self.ever.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Waits until no pause is in force; false, at once, when the pause ends after `deadline`
    /// (no wait runs past a deadline).
    pub(crate) async fn ready(&self, deadline: Option<Instant>) -> bool {
        if !self.ever.load(std::sync::atomic::Ordering::Acquire) {
            return true;
        }
        loop {
            let until = *self.until.lock().unwrap_or_else(|e| e.into_inner());
            match until {
                Some(end) if deadline.is_some_and(|d| end >= d) => return false,
                Some(end) if end > Instant::now() => tokio::time::sleep_until(end.into()).await,
                _ => return true,
            }
        }
    }
}

/// What happened to one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this status.
    Status(u16),
    /// No connection could be made: the request never reached the server.
    ConnectFailed,
    /// The request may have reached the server (reset, timeout, broken body).
    MaybeSent,
}

/// True when a request with this method can be sent twice without harm.
pub fn is_idempotent(method: &str) -> bool {
    !matches!(method.to_ascii_uppercase().as_str(), "POST" | "PATCH")
}

/// Whether the outcome of an attempt may be retried for this method.
pub fn should_retry(method: &str, outcome: Outcome) -> bool {
    let safe = is_idempotent(method);
    match outcome {
        Outcome::Status(429) | Outcome::ConnectFailed => true,
        Outcome::Status(502..=504) | Outcome::MaybeSent => safe,
        Outcome::Status(_) => false,
    }
}

/// The `Retry-After` of a response's headers, parsed as of now (see [`parse_retry_after`]).
pub fn retry_after_of(headers: &http::HeaderMap) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}

/// Parses `Retry-After`: delta seconds or an HTTP date, relative to `now`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        // `try_`: a hostile `1e300` must not panic.
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based): the server's `Retry-After` when given
    /// (None if it exceeds `max_retry_after`), else exponential backoff with full jitter.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if let Some(wait) = retry_after {
            return (wait <= self.max_retry_after).then_some(wait);
        }
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        let cap = exp.min(self.max_backoff);
        // Full jitter: spread retries of many clients so they do not arrive together.
        let jittered = cap.mul_f64(0.5 + fastrand::f64() * 0.5);
        Some(jittered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_are_retried_only_when_nothing_started() {
        assert!(should_retry("POST", Outcome::Status(429)));
        assert!(should_retry("POST", Outcome::ConnectFailed));
        for status in [500, 502, 503, 504] {
            assert!(
                !should_retry("POST", Outcome::Status(status)),
                "POST after {status}"
            );
        }
        assert!(!should_retry("POST", Outcome::MaybeSent));
        assert!(!should_retry("PATCH", Outcome::Status(503)));
    }

    #[test]
    fn safe_methods_are_retried_on_overload() {
        for method in ["GET", "DELETE", "QUERY", "PUT"] {
            for status in [429, 502, 503, 504] {
                assert!(
                    should_retry(method, Outcome::Status(status)),
                    "{method} {status}"
                );
            }
            assert!(should_retry(method, Outcome::MaybeSent));
            assert!(!should_retry(method, Outcome::Status(500)));
            assert!(!should_retry(method, Outcome::Status(404)));
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("1e300", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            None,
            "beyond u64 and beyond Duration"
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let p = RetryPolicy::default();
        for retry in 1..10 {
            let d = p.delay(retry, None).unwrap();
            let cap = p
                .initial_backoff
                .saturating_mul(1 << (retry - 1))
                .min(p.max_backoff);
            assert!(
                d <= cap && d >= cap / 2,
                "retry {retry}: {d:?} vs cap {cap:?}"
            );
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3600))),
            None,
            "too long a Retry-After gives up"
        );
    }

    #[tokio::test]
    async fn the_throttle_holds_every_caller_until_it_ends() {
        let t = Throttle::default();
        let start = Instant::now();
        assert!(t.ready(None).await);
        assert!(start.elapsed() < Duration::from_millis(50));
        t.slow_down(Duration::from_millis(120));
        t.slow_down(Duration::from_millis(10)); // a shorter pause never shortens it
                                                // A caller whose deadline ends first is told at once, without waiting.
        assert!(
            !t.ready(Some(Instant::now() + Duration::from_millis(60)))
                .await
        );
        assert!(start.elapsed() < Duration::from_millis(50));
        let (a, b) = tokio::join!(t.ready(None), t.ready(None));
        assert!(a && b);
        assert!(start.elapsed() >= Duration::from_millis(120));
    }
}
