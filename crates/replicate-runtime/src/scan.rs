//! A tolerant, linear scan of JSON text that a strict parse refused: the one place that reads
//! a body which is cut off, nested too deep, holds numbers beyond `f64` or lone surrogates.
//!
//! It never allocates more than the answer it returns, never recurses, and reads each byte at
//! most once, so a hostile body costs no more to scan than to receive.

/// The longest id taken from a body: anything longer is not an id a server gave in earnest.
const MAX_ID_LEN: usize = 1024;

/// The string value of the top-level key `"id"` of a JSON object, read from bytes that need not
/// be valid or complete JSON: only the path to that value must be well formed. `None` when the
/// text is not an object, names no `id` at the top level, cuts the value off, or the value is
/// empty, longer than 1 KiB or holds control characters.
pub fn created_id(body: &[u8]) -> Option<String> {
    let mut at = skip_space(body, 0);
    if body.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        at = skip_space(body, at);
        if body.get(at) != Some(&b'"') {
            return None;
        }
        let (key, after_key) = string_at(body, at)?;
        at = skip_space(body, after_key);
        if body.get(at) != Some(&b':') {
            return None;
        }
        at = skip_space(body, at + 1);
        if key == "id" {
            if body.get(at) != Some(&b'"') {
                return None;
            }
            let (id, _) = string_at(body, at)?;
            let usable =
                !id.is_empty() && id.len() <= MAX_ID_LEN && !id.chars().any(|c| c.is_control());
            return usable.then_some(id);
        }
        at = skip_value(body, at)?;
        at = skip_space(body, at);
        match body.get(at) {
            Some(b',') => at += 1,
            _ => return None,
        }
    }
}

/// How many JSON values (scalars, arrays and objects, keys not counted) the text holds, counted
/// without parsing it: what decoding it into memory would allocate, give or take a constant.
pub fn value_count(body: &[u8]) -> usize {
    let mut count = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    // Inside a scalar that is not a string (a number, `true`, ...): counted at its first byte.
    let mut in_scalar = false;
    // The string that starts next is a key (after `{` or a `,` inside an object).
    let mut key_next = false;
    let mut objects: Vec<bool> = Vec::new();
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                in_scalar = false;
                if !key_next {
                    count += 1;
                }
                key_next = false;
            }
            b'{' | b'[' => {
                count += 1;
                in_scalar = false;
                // Only whether each open container is an object matters: one bit per level.
                objects.push(b == b'{');
                key_next = b == b'{';
            }
            b'}' | b']' => {
                objects.pop();
                in_scalar = false;
                key_next = false;
            }
            b',' => {
                in_scalar = false;
                key_next = objects.last().copied().unwrap_or(false);
            }
            b':' | b' ' | b'\t' | b'\r' | b'\n' => in_scalar = false,
            _ => {
                if !in_scalar {
                    count += 1;
                    in_scalar = true;
                }
            }
        }
    }
    count
}

fn skip_space(body: &[u8], mut at: usize) -> usize {
    while matches!(body.get(at), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        at += 1;
    }
    at
}

/// The string starting at the quote at `at`, unescaped, and the index after its closing quote.
/// An escape that names no character (a lone surrogate) becomes U+FFFD; a string cut off is
/// `None`.
fn string_at(body: &[u8], at: usize) -> Option<(String, usize)> {
    let mut out = Vec::new();
    let mut i = at + 1;
    loop {
        match *body.get(i)? {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            b'\\' => {
                let escape = *body.get(i + 1)?;
                i += 2;
                let c = match escape {
                    b'n' => '\n',
                    b't' => '\t',
                    b'r' => '\r',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'u' => {
                        let hex = std::str::from_utf8(body.get(i..i + 4)?).ok()?;
                        i += 4;
                        char::from_u32(u32::from_str_radix(hex, 16).ok()?).unwrap_or('\u{FFFD}')
                    }
                    other => other as char,
                };
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
}

/// The index just after the value starting at `at`; `None` when the text ends first.
fn skip_value(body: &[u8], at: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = at;
    loop {
        match *body.get(i)? {
            b'"' => {
                i = skip_string(body, i)?;
                if depth == 0 {
                    return Some(i);
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return Some(i),
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b',' if depth == 0 => return Some(i),
            b' ' | b'\t' | b'\r' | b'\n' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
}

/// The index after the closing quote of the string starting at `at`.
fn skip_string(body: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        match *body.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_found_in_bodies_a_strict_parse_refuses() {
        let deep = format!(
            r#"{{"input": {}1{}, "id": "p1"}}"#,
            "[".repeat(500),
            "]".repeat(500)
        );
        for body in [
            r#"{"id": "p1", "output": 1e400}"#,
            r#"{"output": 1e400, "id": "p1"}"#,
            r#"{"logs": "cut \ud83d emoji", "id": "p1", "status": "starting"}"#,
            r#"  {"status":"starting","urls":{"id":"no"},"id":"p1","#,
            r#"{"id":"p1""#,
            r#"{"input":{"id":"inner","a":[1,{"b":"}"}]},"id":"p\u0031"}"#,
            deep.as_str(),
        ] {
            assert_eq!(created_id(body.as_bytes()).as_deref(), Some("p1"), "{body}");
        }
    }

    #[test]
    fn no_id_is_made_up() {
        for body in [
            "",
            "[]",
            r#"{"id": "p1"#,
            r#"{"id": 12}"#,
            r#"{"id": ""}"#,
            r#"{"urls": {"id": "p1"}}"#,
            r#"{"status": "starting", "#,
            r#"{"id": "a\u001b[31m"}"#,
            r#"{"detail": "no", "id"#,
            r#"["id", "p1"]"#,
        ] {
            assert_eq!(created_id(body.as_bytes()), None, "{body}");
        }
        let long = format!(r#"{{"id": "{}"}}"#, "x".repeat(MAX_ID_LEN + 1));
        assert_eq!(created_id(long.as_bytes()), None);
    }

    #[test]
    fn values_are_counted_not_keys() {
        assert_eq!(value_count(b"[1,2,3]"), 4);
        assert_eq!(value_count(br#"{"a": "x", "b": [true, null, -1.5e3]}"#), 6);
        assert_eq!(value_count(br#"{"a,b": "x\"}{"}"#), 2);
        assert_eq!(value_count(b""), 0);
    }
}
