//! Values written as URL pairs: query parameters that are objects or `oneOf`s, and URL-encoded
//! form bodies. One set of rules for both, the bracket notation OpenAPI's `deepObject` style
//! describes and Rails, PHP, Express (`qs`) and Stripe read back: `meta[plan]=pro`,
//! `items[0][id]=7`.

use serde_json::Value;

/// Appends the pairs that write `value` under `key`: a scalar as its text; each item of a
/// top-level array under `key` again (the exploded `form` style, `tag=a&tag=b`), nested ones
/// and objects in brackets (`key[0]`, `key[field]`); null writes nothing, so an unset optional
/// field is left out rather than sent empty.
pub(crate) fn push(key: String, value: &Value, top: bool, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            out.push((key, scalar_text(value).unwrap_or_default()))
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if top && !matches!(item, Value::Array(_) | Value::Object(_)) {
                    push(key.clone(), item, false, out);
                } else {
                    push(format!("{key}[{i}]"), item, false, out);
                }
            }
        }
        Value::Object(fields) => {
            for (field, item) in fields {
                push(format!("{key}[{field}]"), item, false, out);
            }
        }
    }
}

/// Appends an object's fields as top-level pairs (a form body, or an exploded `form`-style
/// object parameter: `status=open&limit=5`). Anything but an object or null is an error that
/// names what the value was.
pub(crate) fn spread(value: &Value, out: &mut Vec<(String, String)>) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        Value::Object(fields) => {
            for (field, item) in fields {
                push(field.clone(), item, true, out);
            }
            Ok(())
        }
        other => Err(format!("expected an object, found {}", kind(other))),
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
        push(key.to_string(), &value, true, &mut out);
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
        assert_eq!(pairs("n", json!(null)), p(&[]));
        assert_eq!(
            pairs("tag", json!(["a", "b"])),
            p(&[("tag", "a"), ("tag", "b")])
        );
        assert_eq!(
            pairs("f", json!({"a": {"b": true}, "c": [1, 2], "d": null})),
            p(&[("f[a][b]", "true"), ("f[c][0]", "1"), ("f[c][1]", "2")])
        );
        assert_eq!(
            pairs("items", json!([{"id": 1}, {"id": 2}])),
            p(&[("items[0][id]", "1"), ("items[1][id]", "2")])
        );
        assert_eq!(pairs("empty", json!([])), p(&[]));
    }

    #[test]
    fn spreading_writes_fields_at_the_top_and_refuses_non_objects() {
        let mut out = Vec::new();
        spread(&json!({"status": "open", "meta": {"k": "v"}}), &mut out).unwrap();
        assert_eq!(out, p(&[("meta[k]", "v"), ("status", "open")]));
        let e = spread(&json!([1]), &mut out).unwrap_err();
        assert!(e.contains("an array"), "{e}");
    }
}
