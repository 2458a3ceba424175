//! Values written as URL pairs: query parameters that are objects or `oneOf`s, and URL-encoded
//! form bodies. One set of rules for both, the bracket notation OpenAPI's `deepObject` style
//! describes and PHP, Express (`qs`) and Stripe read back: `meta[plan]=pro`, `items[0][id]=7`.

use serde_json::Value;

/// Appends the pairs that write `value` under `key`: a scalar as its text; each item of a
/// top-level array under `key` again (the exploded `form` style, `tag=a&tag=b`), nested ones
/// and objects in brackets (`key[0]`, `key[field]`), fields in sorted order whatever the
/// build's JSON map keeps; an explicit null as an empty value (`key=`, how Stripe-style APIs
/// clear a field). An empty array or object writes nothing: URL pairs cannot say "empty".
/// A key holding `[` or `]` is an error: the server would read it as deeper nesting.
pub(crate) fn push(
    key: String,
    value: &Value,
    top: bool,
    out: &mut Vec<(String, String)>,
) -> Result<(), String> {
    match value {
        Value::Null => out.push((key, String::new())),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            out.push((key, scalar_text(value).unwrap_or_default()))
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if top && !matches!(item, Value::Array(_) | Value::Object(_)) {
                    push(key.clone(), item, false, out)?;
                } else {
                    push(format!("{key}[{i}]"), item, false, out)?;
                }
            }
        }
        Value::Object(fields) => {
            for (field, item) in sorted(fields)? {
                push(format!("{key}[{field}]"), item, false, out)?;
            }
        }
    }
    Ok(())
}

/// Appends an object's fields as top-level pairs (a form body, or an exploded `form`-style
/// object parameter: `status=open&limit=5`). Anything but an object is an error that names
/// what the value was.
pub(crate) fn spread(value: &Value, out: &mut Vec<(String, String)>) -> Result<(), String> {
    match value {
        Value::Object(fields) => {
            for (field, item) in sorted(fields)? {
                push(field.clone(), item, true, out)?;
            }
            Ok(())
        }
        other => Err(format!("expected an object, found {}", kind(other))),
    }
}

/// An object's fields by name, refusing names that brackets would misplace.
fn sorted(fields: &serde_json::Map<String, Value>) -> Result<Vec<(&String, &Value)>, String> {
    let mut sorted: Vec<(&String, &Value)> = fields.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    match sorted.iter().find(|(k, _)| k.contains(['[', ']'])) {
        Some((k, _)) => Err(format!(
            "the key {k:?} holds a bracket, which a URL-encoded name cannot carry unambiguously"
        )),
        None => Ok(sorted),
    }
}

/// The text of a string, number or boolean; `None` for anything else.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What a JSON value is, for an error.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(key: &str, value: Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        push(key.to_string(), &value, true, &mut out).unwrap();
        out
    }

    fn p(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn scalars_arrays_and_objects_follow_the_bracket_notation() {
        assert_eq!(pairs("n", json!(3)), p(&[("n", "3")]));
        assert_eq!(pairs("n", json!(null)), p(&[("n", "")]));
        assert_eq!(
            pairs("tag", json!(["a", "b"])),
            p(&[("tag", "a"), ("tag", "b")])
        );
        assert_eq!(
            pairs("f", json!({"c": [1, 2], "a": {"b": true}, "d": null})),
            p(&[
                ("f[a][b]", "true"),
                ("f[c][0]", "1"),
                ("f[c][1]", "2"),
                ("f[d]", "")
            ])
        );
        assert_eq!(
            pairs("items", json!([{"id": 1}, {"id": 2}])),
            p(&[("items[0][id]", "1"), ("items[1][id]", "2")])
        );
        // Nothing in URL pairs says "an empty list"; it is left out rather than sent as "".
        assert_eq!(pairs("empty", json!([])), p(&[]));
    }

    #[test]
    fn spreading_writes_fields_at_the_top_in_name_order() {
        let mut out = Vec::new();
        spread(&json!({"status": "open", "meta": {"k": "v"}}), &mut out).unwrap();
        // Sorted by name whether or not serde_json keeps insertion order in this build.
        assert_eq!(out, p(&[("meta[k]", "v"), ("status", "open")]));
        let e = spread(&json!([1]), &mut out).unwrap_err();
        assert!(e.contains("an array"), "{e}");
    }

    #[test]
    fn keys_with_brackets_are_refused_not_misplaced() {
        let mut out = Vec::new();
        let e = push("meta".into(), &json!({"a][b": "x"}), true, &mut out).unwrap_err();
        assert!(e.contains("\"a][b\""), "{e}");
        assert!(spread(&json!({"a[b]": 1}), &mut out).is_err());
    }
}
