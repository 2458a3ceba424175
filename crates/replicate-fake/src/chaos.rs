//! Seeded random faults at every layer ([`Faults::chaos`](crate::Faults::chaos)): each request
//! draws a plan from a generator seeded once, so a seed replays the same faults for the same
//! sequence of requests.
//!
//! A plan has a part before the request is handled (the server never acts on it: refused
//! connections, resets, throttling and overload, hangs, redirects, a proxy's page echoing the
//! request headers) and a part after (the server acted, then the answer goes wrong: statuses
//! rewritten, bodies cut, stalled or trickled, content encodings true or false, JSON that a
//! strict parser refuses, request headers echoed into the body, partial content). Event streams
//! get the faults that a stream can carry without being buffered.

use crate::faults::cut_body;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use bytes::Bytes;
use futures::StreamExt;
use std::io::Write;
use std::time::Duration;

/// What goes wrong before the request is handled.
#[derive(Clone, Debug)]
pub(crate) enum Before {
    /// Close the connection without a response.
    Reset,
    /// Never answer.
    Hang,
    /// Wait, then handle normally.
    Slow(Duration),
    /// Answer this status (429 and 5xx), with this `Retry-After` if any.
    Fail(u16, Option<String>),
    /// A proxy's error page that echoes the request's headers.
    EchoPage(u16),
    /// Redirect (307) to the same path on this origin, or on the other origin when configured.
    Redirect { cross_origin: bool },
}

/// What goes wrong with the answer after the request was handled.
#[derive(Clone, Debug)]
pub(crate) enum After {
    /// Replace the status (the server did act).
    Status(u16),
    /// Drop the connection without sending the answer.
    Reset,
    /// Send this share (per mille) of the body, keeping the promised length, then cut.
    Cut(u32),
    /// Send this share of the body, then stall forever.
    Stall(u32),
    /// Send the body in small pieces with pauses.
    Trickle(Duration),
    /// Encode the body with gzip (truthfully).
    Gzip,
    /// Encode the body with deflate (truthfully).
    Deflate,
    /// Claim an encoding the body does not have.
    FalseEncoding(&'static str),
    /// Make a JSON body one that a strict parser refuses, keeping its `id`.
    OddJson(Odd),
    /// Put the request's headers into the body's `logs` and `error`.
    EchoHeaders,
    /// Answer `206 Partial Content` with a tenth of the body.
    Partial,
    /// Replace a JSON body with a huge array of tiny values.
    TinyValues,
    /// Event-stream framing that is legal but unusual.
    Sse(SseOdd),
}

/// Legal event-stream framing a parser must take in its stride.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SseOdd {
    /// `\r\n` line ends.
    Crlf,
    /// Comments and `retry:` lines between events.
    Comments,
    /// Every event split into pieces at arbitrary bytes.
    Split,
}

/// What a seed fixes for the whole life of a server (a real server does not change it between
/// connections).
#[derive(Clone, Debug, Default)]
pub(crate) struct Env {
    /// Where cross-origin redirects go.
    pub other_origin: Option<String>,
    /// Event ids carry a control character (legal in SSE, impossible in a header).
    pub control_ids: bool,
}

/// JSON a strict parser refuses.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Odd {
    /// A number beyond `f64` in `output`.
    BigNumber,
    /// A lone surrogate escape in `logs`.
    LoneSurrogate,
    /// The input nested deeper than serde_json's recursion limit.
    Deep,
}

/// What goes wrong while the request body is read.
#[derive(Clone, Debug)]
pub(crate) enum Reading {
    /// Answer this status without reading the body (a server refusing early).
    RefuseEarly(u16),
    /// Read the body piece by piece, pausing this long between pieces.
    Slowly(Duration),
    /// Never read the body, never answer.
    Stall,
}

/// The plan for one request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    pub reading: Option<Reading>,
    pub before: Option<Before>,
    pub after: Option<After>,
}

/// Reads a request body as `reading` says; `Err` ends the connection (the early answer is
/// written by hyper when the handler returns one, so `RefuseEarly` is an error here too).
pub(crate) async fn read_body(
    reading: Reading,
    body: hyper::body::Incoming,
) -> Result<Bytes, crate::faults::Abort> {
    match reading {
        Reading::RefuseEarly(_) => Ok(Bytes::new()),
        Reading::Stall => futures::future::pending().await,
        Reading::Slowly(pause) => {
            let mut stream = Body::new(body).into_data_stream();
            let mut out = Vec::new();
            while let Some(piece) = stream.next().await {
                out.extend_from_slice(&piece.map_err(|_| crate::faults::Abort)?);
                tokio::time::sleep(pause).await;
            }
            Ok(Bytes::from(out))
        }
    }
}

/// Draws a plan: about half the requests meet no fault at all.
pub(crate) fn draw(rng: &mut fastrand::Rng, has_other_origin: bool) -> Plan {
    let mut plan = Plan::default();
    match rng.u32(0..100) {
        0..=49 => {}
        50..=54 => {
            plan.reading = Some(match rng.u32(0..4) {
                0 => Reading::Stall,
                1 => Reading::Slowly(Duration::from_millis(rng.u64(1..30))),
                _ => Reading::RefuseEarly([413, 429, 503][rng.usize(0..3)]),
            })
        }
        55..=74 => plan.before = Some(draw_before(rng, has_other_origin)),
        _ => plan.after = Some(draw_after(rng)),
    }
    plan
}

fn draw_before(rng: &mut fastrand::Rng, has_other_origin: bool) -> Before {
    let retry_after = |rng: &mut fastrand::Rng| match rng.u32(0..6) {
        0 => None,
        1 => Some("0".to_string()),
        2 => Some("1".to_string()),
        3 => Some("99999".to_string()),
        4 => Some("Wed, 21 Oct 2015 07:28:00 GMT".to_string()),
        _ => Some("soon".to_string()),
    };
    match rng.u32(0..20) {
        0..=1 => Before::Reset,
        2 => Before::Hang,
        3..=4 => Before::Slow(Duration::from_millis(rng.u64(50..600))),
        5..=9 => Before::Fail(429, retry_after(rng)),
        10..=13 => {
            let status = [500, 502, 503, 504][rng.usize(0..4)];
            Before::Fail(status, retry_after(rng))
        }
        14..=16 => Before::EchoPage([400, 401, 500, 502][rng.usize(0..4)]),
        _ => Before::Redirect {
            cross_origin: has_other_origin && rng.bool(),
        },
    }
}

fn draw_after(rng: &mut fastrand::Rng) -> After {
    match rng.u32(0..26) {
        0..=1 => After::Status([500, 502, 503, 504][rng.usize(0..4)]),
        2 => After::Status(429),
        3 => After::Reset,
        4..=6 => After::Cut(rng.u32(0..1000)),
        7..=8 => After::Stall(rng.u32(0..1000)),
        9..=10 => After::Trickle(Duration::from_millis(rng.u64(1..40))),
        11..=12 => After::Gzip,
        13 => After::Deflate,
        14 => After::FalseEncoding(["br", "zstd", "gzip", "x-unknown"][rng.usize(0..4)]),
        15..=17 => After::OddJson([Odd::BigNumber, Odd::LoneSurrogate, Odd::Deep][rng.usize(0..3)]),
        18..=19 => After::EchoHeaders,
        20 => After::Partial,
        21 => After::TinyValues,
        _ => After::Sse([SseOdd::Crlf, SseOdd::Comments, SseOdd::Split][rng.usize(0..3)]),
    }
}

/// The headers as a proxy would echo them: one `name: value` line each.
pub(crate) fn echo(headers: &HeaderMap) -> String {
    headers
        .iter()
        .map(|(n, v)| format!("{n}: {}\r\n", String::from_utf8_lossy(v.as_bytes())))
        .collect()
}

/// A proxy's HTML error page echoing the request headers, with a terminal escape in it.
pub(crate) fn echo_page(status: u16, headers: &HeaderMap) -> Response<Body> {
    let body = format!(
        "<html><body><h1>{status}</h1>\r\n<pre>\x1b[31m{}</pre>\nINFO forged log line\n</body></html>",
        echo(headers)
    );
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    resp
}

/// What an answer, as it was finally sent, shows of the id its handled body had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Named {
    /// The id went out whole, in plain bytes.
    Yes,
    /// It did not, or may not have (cut before it, or encoded and cut).
    No,
}

/// Applies `after` to a handled response. Returns the response and whether the bytes that go
/// out still name the id of the body (`id_end`: the index just past the id's closing quote in
/// the plain body, when it has one).
pub(crate) async fn apply(
    after: Option<&After>,
    env: &Env,
    resp: Response<Body>,
    request_headers: &HeaderMap,
) -> (Result<Response<Body>, crate::faults::Abort>, Named) {
    let is_stream = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if is_stream {
        let resp = if env.control_ids {
            with_control_ids(resp)
        } else {
            resp
        };
        return match after {
            Some(after) => (Ok(stream_fault(after, resp)), Named::Yes),
            None => (Ok(resp), Named::Yes),
        };
    }
    let Some(after) = after else {
        return (Ok(resp), Named::Yes);
    };
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
        return (Err(crate::faults::Abort), Named::No);
    };
    let id_end = id_end(&bytes);
    let named_if_sent = |sent: usize| match id_end {
        Some(end) if sent >= end => Named::Yes,
        _ => Named::No,
    };
    let set_length = |parts: &mut axum::http::response::Parts, n: usize| {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    };
    let mut named = Named::Yes;
    let body = match after {
        After::Status(status) => {
            parts.status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
            Body::from(bytes)
        }
        After::Reset => return (Err(crate::faults::Abort), Named::No),
        After::Cut(share) => {
            let sent = bytes.len() * *share as usize / 1000;
            named = named_if_sent(sent);
            set_length(&mut parts, bytes.len());
            cut_body(vec![bytes.slice(..sent)])
        }
        After::Stall(share) => {
            let sent = bytes.len() * *share as usize / 1000;
            named = named_if_sent(sent);
            set_length(&mut parts, bytes.len());
            let first =
                futures::stream::once(async move { Ok::<_, std::io::Error>(bytes.slice(..sent)) });
            let never = futures::stream::pending();
            Body::from_stream(first.chain(never))
        }
        After::Trickle(pause) => {
            let pause = *pause;
            let pieces: Vec<Bytes> = bytes.chunks(97).map(Bytes::copy_from_slice).collect();
            Body::from_stream(futures::stream::iter(pieces).then(move |piece| async move {
                tokio::time::sleep(pause).await;
                Ok::<_, std::io::Error>(piece)
            }))
        }
        After::Gzip | After::Deflate => {
            let encoded = encode(after, &bytes);
            let name = if matches!(after, After::Gzip) {
                "gzip"
            } else {
                "deflate"
            };
            parts
                .headers
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(encoded)
        }
        After::FalseEncoding(name) => {
            parts
                .headers
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
            // A body that claims gzip and is not: the decoder fails at its first byte.
            if *name == "gzip" {
                named = Named::No;
            }
            Body::from(bytes)
        }
        After::OddJson(odd) => {
            let (text, ok) = odd_json(*odd, &bytes);
            if !ok {
                named = Named::No;
            }
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(text)
        }
        After::EchoHeaders => {
            let (text, ok) = with_echo(&bytes, request_headers);
            if !ok {
                named = Named::No;
            }
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(text)
        }
        After::Partial => {
            parts.status = StatusCode::PARTIAL_CONTENT;
            let sent = bytes.len() / 10;
            named = named_if_sent(sent);
            parts.headers.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!(
                    "bytes 0-{}/{}",
                    sent.saturating_sub(1),
                    bytes.len()
                ))
                .unwrap_or(HeaderValue::from_static("bytes */0")),
            );
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(bytes.slice(..sent))
        }
        // Framing faults of event streams leave other bodies alone.
        After::Sse(_) => Body::from(bytes),
        After::TinyValues if serde_json::from_slice::<serde_json::Value>(&bytes).is_err() => {
            // Not JSON (a file): left alone, as a lie about its content could not be told.
            Body::from(bytes)
        }
        After::TinyValues => {
            let id = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string));
            let mut text = format!(
                r#"{{"id": {}, "status": "starting", "output": ["#,
                serde_json::Value::from(id.unwrap_or_default())
            );
            // 7 MiB of 2-byte values: decoded naively, about 30 times that.
            text.push_str(&"1,".repeat(7 << 19));
            text.push_str("1]}");
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(text)
        }
    };
    (Ok(Response::from_parts(parts, body)), named)
}

/// Index just past the closing quote of the top-level `"id"` string of a JSON body.
fn id_end(bytes: &[u8]) -> Option<usize> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let id = value.get("id")?.as_str()?;
    let quoted = serde_json::Value::from(id).to_string();
    let text = std::str::from_utf8(bytes).ok()?;
    [format!("\"id\":{quoted}"), format!("\"id\": {quoted}")]
        .iter()
        .find_map(|needle| text.find(needle.as_str()).map(|at| at + needle.len()))
}

fn encode(after: &After, bytes: &[u8]) -> Vec<u8> {
    let level = flate2::Compression::fast();
    if matches!(after, After::Gzip) {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
        let _ = e.write_all(bytes);
        e.finish().unwrap_or_default()
    } else {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), level);
        let _ = e.write_all(bytes);
        e.finish().unwrap_or_default()
    }
}

/// The body with a strict-parse breaker put in; false when it is not a JSON object.
fn odd_json(odd: Odd, bytes: &[u8]) -> (Vec<u8>, bool) {
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(bytes) else {
        return (bytes.to_vec(), true);
    };
    let (key, marker, replacement) = match odd {
        Odd::BigNumber => ("output", "\"__chaos_big__\"", "1e400".to_string()),
        Odd::LoneSurrogate => ("logs", "\"__chaos_lone__\"", r#""cut \ud83d""#.to_string()),
        Odd::Deep => (
            "input",
            "\"__chaos_deep__\"",
            format!("{}1{}", "[".repeat(200), "]".repeat(200)),
        ),
    };
    map.insert(
        key.to_string(),
        serde_json::Value::from(&marker[1..marker.len() - 1]),
    );
    let text = serde_json::Value::Object(map).to_string();
    (text.replacen(marker, &replacement, 1).into_bytes(), true)
}

/// The body with the request headers in `logs` and `error`; false when it is not an object.
fn with_echo(bytes: &[u8], headers: &HeaderMap) -> (Vec<u8>, bool) {
    // Another body (a file) is left alone: replacing it would be a server lying about its
    // content, which no client can tell.
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(bytes) else {
        return (bytes.to_vec(), true);
    };
    let echoed = serde_json::Value::from(format!("\x1b[2J{}", echo(headers)));
    // A list page's `next` link too: the client follows it, so the headers ride in its URL.
    if let Some(next) = map.get("next").and_then(|n| n.as_str()).map(str::to_string) {
        let separator = if next.contains('?') { '&' } else { '?' };
        let echoed_query = echo(headers).replace(['\r', '\n'], " ");
        map.insert(
            "next".into(),
            serde_json::Value::from(format!("{next}{separator}echo={echoed_query}")),
        );
    }
    map.insert("logs".into(), echoed.clone());
    if map.get("status").and_then(|s| s.as_str()) == Some("failed") {
        map.insert("error".into(), echoed);
    }
    (
        serde_json::Value::Object(map).to_string().into_bytes(),
        true,
    )
}

/// The faults an event stream can carry while streaming: cut or stalled after some bytes,
/// trickled; the others pass it through.
fn stream_fault(after: &After, resp: Response<Body>) -> Response<Body> {
    if let After::Sse(odd) = after {
        return sse_odd(*odd, resp);
    }
    let (parts, body) = resp.into_parts();
    let limit = match after {
        After::Cut(share) | After::Stall(share) => Some(*share as usize),
        _ => None,
    };
    let stall = matches!(after, After::Stall(_));
    let pause = match after {
        After::Trickle(p) => Some(*p),
        _ => None,
    };
    let mut sent = 0usize;
    let stream = body.into_data_stream().then(move |chunk| async move {
        if let Some(p) = pause {
            tokio::time::sleep(p).await;
        }
        chunk.map_err(std::io::Error::other)
    });
    let stream = stream.scan(false, move |done, chunk| {
        let out = if *done {
            None
        } else {
            match (limit, chunk) {
                (Some(limit), Ok(chunk)) if sent + chunk.len() > limit => {
                    *done = true;
                    let keep = limit.saturating_sub(sent);
                    Some(Ok(chunk.slice(..keep)))
                }
                (_, chunk) => {
                    if let Ok(c) = &chunk {
                        sent += c.len();
                    }
                    Some(chunk)
                }
            }
        };
        futures::future::ready(out)
    });
    let tail = futures::stream::once(async move {
        if stall {
            futures::future::pending::<()>().await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        Err(std::io::Error::other("chaos cut"))
    });
    let body = if limit.is_some() {
        Body::from_stream(stream.chain(tail))
    } else {
        Body::from_stream(stream)
    };
    Response::from_parts(parts, body)
}

/// Rewrites each chunk of an event stream (the fake sends one event per chunk).
fn map_chunks(
    resp: Response<Body>,
    f: impl Fn(Bytes) -> Vec<Bytes> + Send + 'static,
) -> Response<Body> {
    let (parts, body) = resp.into_parts();
    let stream = body.into_data_stream().flat_map(move |chunk| {
        let pieces: Vec<Result<Bytes, std::io::Error>> = match chunk {
            Ok(bytes) => f(bytes).into_iter().map(Ok).collect(),
            Err(e) => vec![Err(std::io::Error::other(e))],
        };
        futures::stream::iter(pieces)
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

fn sse_odd(odd: SseOdd, resp: Response<Body>) -> Response<Body> {
    map_chunks(resp, move |bytes| {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match odd {
            SseOdd::Crlf => vec![Bytes::from(text.replace('\n', "\r\n"))],
            SseOdd::Comments => vec![Bytes::from(format!(
                ": chaos keep-alive\nretry: 20\n\n{text}"
            ))],
            SseOdd::Split => {
                // Pieces of 1 to 7 bytes: every field and line end split somewhere.
                let mut out = Vec::new();
                let mut at = 0;
                let mut size = 1;
                while at < bytes.len() {
                    let end = (at + size).min(bytes.len());
                    out.push(bytes.slice(at..end));
                    at = end;
                    size = size % 7 + 1;
                }
                out
            }
        }
    })
}

/// Every `id:` line gets a control character: legal in SSE, impossible in a `Last-Event-ID`
/// header.
fn with_control_ids(resp: Response<Body>) -> Response<Body> {
    map_chunks(resp, |bytes| {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let lines: Vec<String> = text
            .split('\n')
            .map(|line| match line.strip_prefix("id: ") {
                Some(id) => format!("id: {id}\u{1}x"),
                None => line.to_string(),
            })
            .collect();
        vec![Bytes::from(lines.join("\n"))]
    })
}
