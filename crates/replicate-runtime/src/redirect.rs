//! The redirect policy, decided here rather than left to reqwest's default (which re-sends a
//! POST body on 307/308 and follows up to ten hops anywhere).
//!
//! - A request that may create something (POST, PATCH) is never sent again: its redirect is an
//!   error naming the status and the target, and nothing is re-sent.
//! - Other methods follow at most [`MAX_REDIRECTS`] hops, never to a URL already visited,
//!   never from `https` down to `http`.
//! - API requests stay on the API's origin. Only downloads may move to another origin (a
//!   file store), and the token is never sent there.

use crate::retry::is_idempotent;

/// Most hops followed for one request.
pub const MAX_REDIRECTS: usize = 5;

/// What to do with a 3xx answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Redirect {
    /// Send the request again to this absolute URL.
    Follow(String),
    /// Stop with this explanation.
    Refuse(String),
}

/// True for the statuses that redirect (`304 Not Modified` does not).
pub(crate) fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Scheme, host and port: what must match for two URLs to be the same origin.
pub(crate) type Origin = (String, Option<String>, Option<u16>);

/// The origin of an absolute URL.
pub(crate) fn origin(url: &reqwest::Url) -> Origin {
    (
        url.scheme().to_string(),
        url.host_str().map(str::to_ascii_lowercase),
        url.port_or_known_default(),
    )
}

/// True when `url` is on `origin` (checked on every request, so without allocating; the URL
/// parser has already lower-cased scheme and host).
pub(crate) fn same_origin(origin: &Origin, url: &reqwest::Url) -> bool {
    origin.0 == url.scheme()
        && origin.1.as_deref() == url.host_str()
        && origin.2 == url.port_or_known_default()
}

/// Decides a redirect from `current` (reached after `visited`, the first being the URL the
/// caller asked for) to `location`.
pub(crate) fn decide(
    method: &str,
    cross_origin: bool,
    visited: &[reqwest::Url],
    current: &reqwest::Url,
    status: u16,
    location: Option<&str>,
) -> Redirect {
    let Some(location) = location else {
        return Redirect::Refuse(format!("HTTP {status} redirect without a Location header"));
    };
    if !is_idempotent(method) {
        return Redirect::Refuse(format!(
            "HTTP {status} redirect to {location:?} not followed: a {method} is never sent twice \
             (it may create something); the server did not act on it"
        ));
    }
    let Ok(target) = current.join(location) else {
        return Redirect::Refuse(format!(
            "HTTP {status} redirect to an invalid URL {location:?}"
        ));
    };
    if !matches!(target.scheme(), "http" | "https") {
        return Redirect::Refuse(format!("redirect to a non-HTTP URL {target}"));
    }
    if current.scheme() == "https" && target.scheme() == "http" {
        return Redirect::Refuse(format!("redirect from https down to http ({target})"));
    }
    let first = visited.first().unwrap_or(current);
    if !cross_origin && origin(&target) != origin(first) {
        return Redirect::Refuse(format!(
            "redirect to another origin ({target}) not followed for an API request"
        ));
    }
    if visited.contains(&target) || &target == current {
        return Redirect::Refuse(format!("redirect loop through {target}"));
    }
    if visited.len() >= MAX_REDIRECTS {
        return Redirect::Refuse(format!("more than {MAX_REDIRECTS} redirects"));
    }
    Redirect::Follow(target.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> reqwest::Url {
        reqwest::Url::parse(s).unwrap()
    }

    #[test]
    fn at_most_max_redirects_hops_are_followed() {
        let here = url("https://api.example/x");
        let four: Vec<_> = (0..MAX_REDIRECTS - 1)
            .map(|i| url(&format!("https://api.example/{i}")))
            .collect();
        assert!(matches!(
            decide("GET", false, &four, &here, 302, Some("/y")),
            Redirect::Follow(_)
        ));
    }

    #[test]
    fn creates_are_never_redirected() {
        let here = url("https://api.example/v1/predictions");
        for status in [301, 302, 303, 307, 308] {
            let d = decide("POST", false, &[], &here, status, Some("/v1/p2"));
            assert!(matches!(d, Redirect::Refuse(m) if m.contains("never sent twice")));
        }
    }

    #[test]
    fn same_origin_hops_are_followed_once_each() {
        let a = url("https://api.example/v1/a");
        assert_eq!(
            decide("GET", false, &[], &a, 307, Some("/v1/b?x=1")),
            Redirect::Follow("https://api.example/v1/b?x=1".into())
        );
        assert!(matches!(
            decide("GET", false, &[], &a, 308, Some("/v1/a")),
            Redirect::Refuse(m) if m.contains("loop")
        ));
        assert!(matches!(
            decide("GET", false, &[], &a, 302, Some("https://evil.example/")),
            Redirect::Refuse(m) if m.contains("another origin")
        ));
        assert!(matches!(
            decide("GET", true, &[], &a, 302, Some("http://files.example/x")),
            Redirect::Refuse(m) if m.contains("down to http")
        ));
        assert_eq!(
            decide("GET", true, &[], &a, 302, Some("https://files.example/x")),
            Redirect::Follow("https://files.example/x".into())
        );
        assert!(matches!(
            decide("GET", false, &[], &a, 302, None),
            Redirect::Refuse(_)
        ));
        let many: Vec<_> = (0..MAX_REDIRECTS)
            .map(|i| url(&format!("https://api.example/{i}")))
            .collect();
        assert!(matches!(
            decide("GET", false, &many, &url("https://api.example/last"), 302, Some("/next")),
            Redirect::Refuse(m) if m.contains("more than")
        ));
    }
}
