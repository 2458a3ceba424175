//! Bundling: after this, every local `$ref` names a component (`#/components/<section>/<name>`)
//! and no path item is a `$ref`, which is all the resolver ([`crate::refs`]) follows.
//!
//! Real documents, especially ones bundled by tools, point anywhere: into another operation's
//! response (`#/paths/~1a/get/responses/200`), into a parameter's schema
//! (`#/components/parameters/id/schema`), into a schema's own `definitions`, percent-encoded
//! (`~1%7Bid%7D`). Each such target is copied into `components` under a fresh name, once, and
//! the references are rewritten to it. A reference whose target does not exist is left as it
//! is, for the resolver to report with its pointer.

use crate::error::{push_pointer, Error, ErrorKind, Result};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What a place in the document holds, as far as references to it go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Schema,
    Parameter,
    RequestBody,
    Response,
    Header,
    /// A path item, an operation, or anything a reference cannot usefully name.
    Other,
}

impl Kind {
    /// The `components` section this kind of object lives in.
    fn section(self) -> Option<&'static str> {
        match self {
            Kind::Schema => Some("schemas"),
            Kind::Parameter => Some("parameters"),
            Kind::RequestBody => Some("requestBodies"),
            Kind::Response => Some("responses"),
            Kind::Header => Some("headers"),
            Kind::Other => None,
        }
    }
}

/// Tokens that say where a schema sits rather than what it is, skipped when naming one.
const STRUCTURAL: &[&str] = &[
    "components",
    "schemas",
    "schema",
    "properties",
    "items",
    "content",
    "definitions",
    "$defs",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "additionalProperties",
    "parameters",
    "requestBody",
    "responses",
    "headers",
    "paths",
];

/// Rewrites `root` so that every local reference names a component, and path items given by
/// `$ref` are replaced by what they refer to.
pub fn bundle(root: &mut Value) -> Result<()> {
    inline_path_item_refs(root)?;
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    // Targets are copied in rounds: a copied target may itself hold references to hoist.
    let mut pending = Vec::new();
    collect_refs(root, &mut pending);
    while !pending.is_empty() {
        let mut next = Vec::new();
        for reference in std::mem::take(&mut pending) {
            if renamed.contains_key(&reference) {
                continue;
            }
            let Some(tokens) = decode(&reference) else {
                continue;
            };
            let canonical = match canonical_component(root, &tokens) {
                Some(canonical) => canonical,
                None => {
                    let Some(target) = lookup(root, &tokens).cloned() else {
                        continue;
                    };
                    let Some(section) = kind_of(&tokens).section() else {
                        continue;
                    };
                    collect_refs(&target, &mut next);
                    // A malformed `components` is left for parsing to report.
                    match insert_component(root, section, &base_name(&tokens), target) {
                        Some(reference) => reference,
                        None => continue,
                    }
                }
            };
            if canonical != reference {
                renamed.insert(reference, canonical);
            }
        }
        pending = next;
    }
    if !renamed.is_empty() {
        rewrite_refs(root, false, &renamed);
    }
    Ok(())
}

/// The reference spelled canonically, when `tokens` already name a component that exists.
fn canonical_component(root: &Value, tokens: &[String]) -> Option<String> {
    match tokens {
        [components, section, name] if components == "components" => {
            lookup(root, tokens)?;
            Some(push_pointer(&format!("#/components/{section}"), name))
        }
        _ => None,
    }
}

/// Adds `value` to `components/<section>` under `base` (or `base2`, ...) and returns the
/// reference to it; `None` when `components` or the section is not an object.
fn insert_component(root: &mut Value, section: &str, base: &str, value: Value) -> Option<String> {
    let table = root
        .as_object_mut()?
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()?
        .entry(section)
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()?;
    let name = crate::naming::unique(base, |n| table.contains_key(n));
    table.insert(name.clone(), value);
    Some(push_pointer(&format!("#/components/{section}"), &name))
}

/// A component name for a copied target: the last token that says what it is (`transferAccount`
/// for `#/components/schemas/Transfer/definitions/transferAccount`), in the characters a
/// component name may use.
fn base_name(tokens: &[String]) -> String {
    let meaningful = tokens.iter().rev().find(|t| {
        !STRUCTURAL.contains(&t.as_str())
            && !t.contains('/')
            && !t.chars().all(|c| c.is_ascii_digit())
    });
    let name: String = meaningful
        .map(String::as_str)
        .unwrap_or("Bundled")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "Bundled".to_string()
    } else {
        name
    }
}

/// What the object at `tokens` is, read from the document's structure.
fn kind_of(tokens: &[String]) -> Kind {
    let t: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let (mut kind, mut rest): (Kind, &[&str]) = match t.as_slice() {
        ["components", section, _name, rest @ ..] => (
            match *section {
                "schemas" => Kind::Schema,
                "parameters" => Kind::Parameter,
                "requestBodies" => Kind::RequestBody,
                "responses" => Kind::Response,
                "headers" => Kind::Header,
                _ => return Kind::Other,
            },
            rest,
        ),
        ["paths", _path, rest @ ..] => (Kind::Other, rest),
        _ => return Kind::Other,
    };
    // Inside a path item: `parameters/<i>`, or `<method>/...` of an operation.
    if kind == Kind::Other {
        rest = match rest {
            ["parameters", _, more @ ..] => {
                kind = Kind::Parameter;
                more
            }
            [_method, "parameters", _, more @ ..] => {
                kind = Kind::Parameter;
                more
            }
            [_method, "requestBody", more @ ..] => {
                kind = Kind::RequestBody;
                more
            }
            [_method, "responses", _, more @ ..] => {
                kind = Kind::Response;
                more
            }
            _ => return Kind::Other,
        };
    }
    while !rest.is_empty() && kind != Kind::Schema {
        rest = match (kind, rest) {
            (Kind::Parameter | Kind::Header, ["schema", more @ ..]) => {
                kind = Kind::Schema;
                more
            }
            (_, ["content", _, "schema", more @ ..]) => {
                kind = Kind::Schema;
                more
            }
            (Kind::Response, ["headers", _, more @ ..]) => {
                kind = Kind::Header;
                more
            }
            _ => return Kind::Other,
        };
    }
    kind
}

/// The tokens of a local reference (`#/a~1b/c%7B` → `["a/b", "c{"]`); `None` for an external
/// one.
fn decode(reference: &str) -> Option<Vec<String>> {
    let fragment = reference.strip_prefix('#')?;
    let fragment = percent_encoding::percent_decode_str(fragment)
        .decode_utf8()
        .ok()?;
    let fragment = fragment.strip_prefix('/')?;
    Some(
        fragment
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// The value at `tokens`, if there is one.
fn lookup<'v>(root: &'v Value, tokens: &[String]) -> Option<&'v Value> {
    tokens.iter().try_fold(root, |value, token| match value {
        Value::Object(map) => map.get(token),
        Value::Array(items) => items.get(token.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Every local `$ref` string below `value`, in document order (examples and extensions hold
/// data, not references, and are skipped).
fn collect_refs(value: &Value, out: &mut Vec<String>) {
    visit_refs(value, false, &mut |r| out.push(r.to_string()));
}

fn visit_refs(value: &Value, names: bool, f: &mut impl FnMut(&str)) {
    match value {
        Value::Object(map) => {
            if let (false, Some(Value::String(r))) = (names, map.get("$ref")) {
                if r.starts_with('#') {
                    f(r);
                }
            }
            for (key, child) in map {
                if names || !data_key(key) {
                    visit_refs(child, !names && name_map(key), f);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| visit_refs(v, false, f)),
        _ => {}
    }
}

/// Keys whose values are data rather than document structure (unless they are names in a map
/// of them, which `names` says).
fn data_key(key: &str) -> bool {
    matches!(key, "example" | "examples" | "enum" | "default" | "const") || key.starts_with("x-")
}

/// Keys whose values map names (which may be `example`, `default` or `x-..`) to objects.
fn name_map(key: &str) -> bool {
    matches!(
        key,
        "properties"
            | "patternProperties"
            | "schemas"
            | "definitions"
            | "$defs"
            | "parameters"
            | "requestBodies"
            | "responses"
            | "headers"
    )
}

fn rewrite_refs(value: &mut Value, names: bool, renamed: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            if let (false, Some(Value::String(r))) = (names, map.get_mut("$ref")) {
                if let Some(new) = renamed.get(r.as_str()) {
                    *r = new.clone();
                }
            }
            for (key, child) in map.iter_mut() {
                if names || !data_key(key) {
                    rewrite_refs(child, !names && name_map(key), renamed);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| rewrite_refs(v, false, renamed)),
        _ => {}
    }
}

/// Replaces each path item given by `$ref` (to another path, or to 3.1's
/// `components/pathItems`) with a copy of its target; its own fields win over the target's.
fn inline_path_item_refs(root: &mut Value) -> Result<()> {
    let Some(paths) = root.get("paths").and_then(Value::as_object) else {
        return Ok(());
    };
    let mut resolved = Vec::new();
    for (path, item) in paths {
        let Some(Value::String(reference)) = item.get("$ref") else {
            continue;
        };
        let pointer = push_pointer(&push_pointer("#/paths", path), "$ref");
        let mut target = resolve_path_item(root, reference, &pointer)?;
        if let (Some(target), Some(own)) = (target.as_object_mut(), item.as_object()) {
            for (key, value) in own.iter().filter(|(k, _)| *k != "$ref") {
                target.insert(key.clone(), value.clone());
            }
        }
        resolved.push((path.clone(), target));
    }
    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in resolved {
            paths.insert(path, item);
        }
    }
    Ok(())
}

/// The path item `reference` names, following a chain of path-item references.
fn resolve_path_item(root: &Value, reference: &str, pointer: &str) -> Result<Value> {
    let mut reference = reference.to_string();
    for _ in 0..32 {
        let target = decode(&reference)
            .and_then(|tokens| lookup(root, &tokens))
            .ok_or_else(|| {
                let what = if reference.starts_with('#') {
                    format!("`{reference}` does not name a path item in this document")
                } else {
                    format!(
                        "external reference `{reference}` is not supported; inline or bundle it"
                    )
                };
                Error::new(ErrorKind::UnresolvedRef, pointer, what)
            })?;
        match target.get("$ref") {
            Some(Value::String(next)) => reference = next.clone(),
            _ if target.is_object() => return Ok(target.clone()),
            _ => break,
        }
    }
    Err(Error::new(
        ErrorKind::RefCycle,
        pointer,
        format!("`{reference}` does not lead to a path item"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_into_any_place_become_components() {
        let mut doc = json!({
            "openapi": "3.0.3",
            "paths": {
                "/a/{id}": {"get": {"responses": {"200": {"description": "ok",
                    "content": {"application/json": {"schema": {"type": "object", "properties": {
                        "inner": {"type": "string"},
                        "next": {"$ref": "#/components/schemas/Transfer/definitions/account"}}}}}}}}},
                "/b": {"get": {"responses": {
                    "200": {"$ref": "#/paths/~1a~1%7Bid%7D/get/responses/200"}}}},
                "/c": {"get": {"parameters": [{"$ref": "#/paths/~1a~1{id}/get/parameters/0"}],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {
                        "schema": {"$ref": "#/paths/~1a~1%7Bid%7D/get/responses/200/content/application~1json/schema/properties/inner"}}}}}}}
            },
            "components": {"schemas": {
                "Transfer": {"type": "object", "definitions": {"account": {"type": "integer"}}},
                "inner": {"type": "boolean"}
            }}
        });
        doc["paths"]["/a/{id}"]["get"]["parameters"] =
            json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
        bundle(&mut doc).unwrap();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["account"], json!({"type": "integer"}));
        // `inner` is taken by the document's own schema: the copy gets a number.
        assert_eq!(schemas["inner2"], json!({"type": "string"}));
        let get_b = &doc["paths"]["/b"]["get"];
        assert_eq!(
            get_b["responses"]["200"]["$ref"],
            "#/components/responses/get"
        );
        let response = &doc["components"]["responses"]["get"];
        assert_eq!(
            response["content"]["application/json"]["schema"]["properties"]["next"]["$ref"],
            "#/components/schemas/account"
        );
        assert_eq!(
            doc["paths"]["/c"]["get"]["parameters"][0]["$ref"],
            "#/components/parameters/get"
        );
        assert_eq!(doc["components"]["parameters"]["get"]["name"], "id");
    }

    #[test]
    fn path_items_given_by_reference_are_copied_and_missing_targets_reported() {
        let mut doc = json!({
            "openapi": "3.1.0",
            "paths": {
                "/a": {"get": {"responses": {}}},
                "/b": {"$ref": "#/paths/~1a", "summary": "own"}
            }
        });
        bundle(&mut doc).unwrap();
        assert_eq!(
            doc["paths"]["/b"],
            json!({"get": {"responses": {}}, "summary": "own"})
        );

        let mut doc = json!({"openapi": "3.1.0", "paths": {"/b": {"$ref": "#/paths/~1nowhere"}}});
        let e = bundle(&mut doc).unwrap_err();
        assert_eq!(e.pointer, "#/paths/~1b/$ref");
        assert!(e.message.contains("does not name a path item"), "{e}");
    }

    #[test]
    fn names_that_look_like_data_keys_are_still_followed() {
        let mut doc = json!({
            "openapi": "3.0.3",
            "paths": {"/a": {"get": {"responses": {
                "default": {"$ref": "#/paths/~1b/get/responses/200"}}}},
                "/b": {"get": {"responses": {"200": {"description": "ok"}}}}},
            "components": {"schemas": {
                "example": {"type": "object", "properties": {
                    "x": {"$ref": "#/components/schemas/T/definitions/inner"}},
                    "default": {"$ref": "#/not/followed"}},
                "T": {"definitions": {"inner": {"type": "string"}}}
            }}
        });
        bundle(&mut doc).unwrap();
        let example = &doc["components"]["schemas"]["example"];
        assert_eq!(
            example["properties"]["x"]["$ref"],
            "#/components/schemas/inner"
        );
        assert_eq!(example["default"]["$ref"], "#/not/followed");
        assert_eq!(
            doc["paths"]["/a"]["get"]["responses"]["default"]["$ref"],
            "#/components/responses/get"
        );
    }

    #[test]
    fn kinds_follow_the_document_structure() {
        let kind = |p: &str| kind_of(&decode(p).unwrap());
        assert_eq!(kind("#/components/schemas/A/properties/b"), Kind::Schema);
        assert_eq!(kind("#/components/parameters/id/schema"), Kind::Schema);
        assert_eq!(kind("#/components/parameters/id"), Kind::Parameter);
        assert_eq!(kind("#/paths/~1a/parameters/0"), Kind::Parameter);
        assert_eq!(kind("#/paths/~1a/post/requestBody"), Kind::RequestBody);
        assert_eq!(
            kind("#/paths/~1a/get/responses/200/headers/X-Rate"),
            Kind::Header
        );
        assert_eq!(
            kind("#/paths/~1a/get/responses/200/content/text~1plain/schema/items"),
            Kind::Schema
        );
        assert_eq!(kind("#/paths/~1a/get"), Kind::Other);
        assert_eq!(kind("#/info"), Kind::Other);
    }
}
