//! Phase 1, load: spec text (JSON or YAML) → `serde_json::Value` → normalised `openapiv3` model.
//!
//! We read the raw `Value` first because `openapiv3` silently loses things Replicate's document
//! uses or may use: the non-standard `query` method (an OpenAPI 3.2 addition), 3.1 type arrays
//! with `"null"`, `const`, `$ref` with siblings, numeric `exclusiveMinimum`, and integer bounds
//! written as floats (`"maximum": 50.0`, which Cog writes). [`normalize`] rewrites those into
//! 3.0 forms with the same meaning, or fails with a pointer; nothing is dropped silently.

use crate::error::{push_pointer, Error, ErrorKind, Result};
use serde_json::{Map, Value};

/// HTTP methods that OpenAPI 3.0/3.1 path items define as fields.
pub const STANDARD_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Path item fields that are not operations.
const PATH_ITEM_FIELDS: &[&str] = &["summary", "description", "servers", "parameters"];

/// Keywords that give a schema the shape of an object.
const OBJECT_SHAPE_KEYS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
];

/// An operation under a method key `openapiv3` does not know (such as `query`).
#[derive(Debug, Clone)]
pub struct ExtraOperation {
    /// The path template, e.g. `/models`.
    pub path: String,
    /// The method, upper case, e.g. `QUERY`.
    pub method: String,
    /// The parsed operation.
    pub operation: openapiv3::Operation,
    /// The operation as the (normalised) document wrote it, for what `openapiv3` does not keep.
    pub raw: Value,
}

/// A spec after loading: the typed document plus what it could not hold.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// The normalised document.
    pub openapi: openapiv3::OpenAPI,
    /// Operations under non-standard method keys, taken out before parsing.
    pub extra_operations: Vec<ExtraOperation>,
    /// The normalised raw document (used by the diff and for counting operations).
    pub raw: Value,
}

/// Parses JSON or YAML text into a `Value` (YAML with the `yaml` feature).
pub fn parse_text(text: &str) -> Result<Value> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return serde_json::from_str(trimmed).map_err(|e| {
            Error::new(
                ErrorKind::Syntax,
                "#",
                format!(
                    "invalid JSON at line {} column {}: {e}",
                    e.line(),
                    e.column()
                ),
            )
        });
    }
    parse_yaml(trimmed)
}

/// Without the `yaml` feature, only JSON is read (model schemas are JSON).
#[cfg(not(feature = "yaml"))]
fn parse_yaml(_text: &str) -> Result<Value> {
    Err(Error::new(
        ErrorKind::Syntax,
        "#",
        "not JSON (it does not start with `{` or `[`); YAML needs replicate-codegen's `yaml` \
         feature",
    ))
}

#[cfg(feature = "yaml")]
fn parse_yaml(trimmed: &str) -> Result<Value> {
    serde_yaml_ng::from_str::<Value>(trimmed)
        .or_else(|e| {
            // An integer beyond 64 bits fails JSON's value type, though YAML's own reads it
            // (as a float): a bound is not worth losing the document over.
            serde_yaml_ng::from_str::<WideNumbers>(trimmed)
                .map(|w| w.0)
                .map_err(|_| e)
        })
        .map_err(|e| {
            let place = e
                .location()
                .map(|l| format!(" at line {} column {}", l.line(), l.column()))
                .unwrap_or_default();
            Error::new(
                ErrorKind::Syntax,
                "#",
                format!("neither JSON nor YAML{place}: {e}"),
            )
        })
}

/// A JSON value read from YAML, where an integer beyond 64 bits (which `serde_json::Value`
/// refuses, and YAML's own value type too) becomes the nearest float.
#[cfg(feature = "yaml")]
struct WideNumbers(Value);

#[cfg(feature = "yaml")]
impl<'de> serde::Deserialize<'de> for WideNumbers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(WideVisitor).map(WideNumbers)
    }
}

#[cfg(feature = "yaml")]
struct WideVisitor;

#[cfg(feature = "yaml")]
impl<'de> serde::de::Visitor<'de> for WideVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i128<E>(self, v: i128) -> std::result::Result<Value, E> {
        Ok(Value::from(v as f64))
    }
    fn visit_u128<E>(self, v: u128) -> std::result::Result<Value, E> {
        Ok(Value::from(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(WideVisitor)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(WideNumbers(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some((WideNumbers(k), WideNumbers(v))) = map.next_entry()? {
            // YAML keys may be numbers or booleans (`200:`); JSON keys are their text.
            let key = match k {
                Value::String(s) => s,
                other => other.to_string(),
            };
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Loads spec text into the typed model, normalising first.
pub fn load(text: &str) -> Result<LoadedSpec> {
    let mut raw = parse_text(text)?;
    let extra = normalize(&mut raw)?;
    // Read straight from the tree; only a document that fails is read again, tracking the
    // path, to say where.
    let openapi = match <openapiv3::OpenAPI as serde::Deserialize>::deserialize(&raw) {
        Ok(openapi) => openapi,
        Err(_) => {
            let e = serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(&raw)
                .err()
                .map(|e| (path_to_pointer(e.path()), e.inner().to_string()))
                .unwrap_or_else(|| ("#".into(), "not an OpenAPI document".into()));
            return Err(
                locate_shape_error(&raw).unwrap_or_else(|| Error::new(ErrorKind::Shape, e.0, e.1))
            );
        }
    };
    let mut extra_operations = Vec::new();
    for (path, method, value) in extra {
        let pointer = push_pointer(&push_pointer("#/paths", &path), &method);
        let operation: openapiv3::Operation = serde_path_to_error::deserialize(value.clone())
            .map_err(|e| {
                Error::new(
                    ErrorKind::Shape,
                    format!(
                        "{pointer}{}",
                        path_to_pointer(e.path()).trim_start_matches('#')
                    ),
                    e.inner().to_string(),
                )
            })?;
        extra_operations.push(ExtraOperation {
            path,
            method: method.to_uppercase(),
            operation,
            raw: value,
        });
    }
    Ok(LoadedSpec {
        openapi,
        extra_operations,
        raw,
    })
}

/// openapiv3's untagged and flattened types hide where a document went wrong; parse the parts
/// one by one to find the deepest pointer we can.
fn locate_shape_error(raw: &Value) -> Option<Error> {
    fn check<T: serde::de::DeserializeOwned>(value: &Value, pointer: &str) -> Option<Error> {
        serde_path_to_error::deserialize::<_, T>(value.clone())
            .err()
            .map(|e| {
                let inner = path_to_pointer(e.path());
                Error::new(
                    ErrorKind::Shape,
                    format!("{pointer}{}", inner.trim_start_matches('#')),
                    e.inner().to_string(),
                )
            })
    }
    if let Some(paths) = raw.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let item_pointer = push_pointer("#/paths", path);
            let Some(item) = item.as_object() else {
                continue;
            };
            for (key, value) in item {
                let pointer = push_pointer(&item_pointer, key);
                let found = if STANDARD_METHODS.contains(&key.as_str()) {
                    check::<openapiv3::Operation>(value, &pointer)
                } else if key == "parameters" {
                    check::<Vec<openapiv3::ReferenceOr<openapiv3::Parameter>>>(value, &pointer)
                } else {
                    None
                };
                if found.is_some() {
                    return found;
                }
            }
        }
    }
    if let Some(components) = raw.get("components").and_then(Value::as_object) {
        for (section, entries) in components {
            let Some(entries) = entries.as_object() else {
                continue;
            };
            for (name, value) in entries {
                let pointer = push_pointer(&push_pointer("#/components", section), name);
                let found = match section.as_str() {
                    "schemas" => {
                        check::<openapiv3::ReferenceOr<openapiv3::Schema>>(value, &pointer)
                    }
                    "parameters" => {
                        check::<openapiv3::ReferenceOr<openapiv3::Parameter>>(value, &pointer)
                    }
                    "responses" => {
                        check::<openapiv3::ReferenceOr<openapiv3::Response>>(value, &pointer)
                    }
                    "requestBodies" => {
                        check::<openapiv3::ReferenceOr<openapiv3::RequestBody>>(value, &pointer)
                    }
                    _ => None,
                };
                if found.is_some() {
                    return found;
                }
            }
        }
    }
    None
}

/// Turns a serde path (`paths./models.get.responses`) into a JSON pointer.
fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = "#".to_string();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => pointer = push_pointer(&pointer, &index.to_string()),
            Segment::Map { key } => pointer = push_pointer(&pointer, key),
            Segment::Enum { variant } => pointer = push_pointer(&pointer, variant),
            Segment::Unknown => {}
        }
    }
    pointer
}

/// Every `(path, method)` operation in a raw document, non-standard methods included.
pub fn raw_operations(raw: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(paths) = raw.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            if let Some(item) = item.as_object() {
                for key in item.keys() {
                    if !PATH_ITEM_FIELDS.contains(&key.as_str()) && !key.starts_with("x-") {
                        out.push((path.clone(), key.to_uppercase()));
                    }
                }
            }
        }
    }
    out
}

/// Rewrites the raw document in place into a form `openapiv3` reads without loss, and takes out
/// the operations under non-standard methods.
pub fn normalize(raw: &mut Value) -> Result<Vec<(String, String, Value)>> {
    let root = raw
        .as_object_mut()
        .ok_or_else(|| Error::new(ErrorKind::Shape, "#", "the document must be an object"))?;
    match root.get("openapi") {
        Some(Value::String(v)) if v.starts_with("3.") => {}
        Some(Value::String(v)) => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "#/openapi",
                format!("OpenAPI version {v:?} is not supported (3.0.x and 3.1.x are)"),
            ))
        }
        Some(_) => {
            return Err(Error::new(
                ErrorKind::Shape,
                "#/openapi",
                "`openapi` must be a string",
            ))
        }
        None if root.contains_key("swagger") => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "#/swagger",
                "Swagger 2.0 documents are not supported; convert to OpenAPI 3 first",
            ))
        }
        None => {
            return Err(Error::new(
                ErrorKind::Shape,
                "#",
                "missing the `openapi` version field",
            ))
        }
    }
    crate::bundle::bundle(raw)?;
    let root = raw
        .as_object_mut()
        .ok_or_else(|| Error::new(ErrorKind::Shape, "#", "the document must be an object"))?;
    if !root.contains_key("info") {
        root.insert(
            "info".into(),
            serde_json::json!({"title": "", "version": ""}),
        );
    }
    let paths = root
        .entry("paths")
        .or_insert_with(|| Value::Object(Map::new()));
    let paths = paths
        .as_object_mut()
        .ok_or_else(|| Error::new(ErrorKind::Shape, "#/paths", "`paths` must be an object"))?;

    let mut extra = Vec::new();
    for (path, item) in paths.iter_mut() {
        let item_pointer = push_pointer("#/paths", path);
        let item = item.as_object_mut().ok_or_else(|| {
            Error::new(
                ErrorKind::Shape,
                &item_pointer,
                "a path item must be an object",
            )
        })?;
        let nonstandard: Vec<String> = item
            .keys()
            .filter(|k| {
                !STANDARD_METHODS.contains(&k.as_str())
                    && !PATH_ITEM_FIELDS.contains(&k.as_str())
                    && !k.starts_with("x-")
            })
            .cloned()
            .collect();
        for method in nonstandard {
            let mut op = item.remove(&method).unwrap_or_default();
            let op_pointer = push_pointer(&item_pointer, &method);
            if !op.is_object() || !method.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(Error::new(
                    ErrorKind::Shape,
                    op_pointer,
                    format!("unknown path item field `{method}` (not an HTTP method)"),
                ));
            }
            normalize_operation(&mut op, &op_pointer)?;
            extra.push((path.clone(), method, op));
        }
        for (key, value) in item.iter_mut() {
            let pointer = push_pointer(&item_pointer, key);
            if STANDARD_METHODS.contains(&key.as_str()) {
                normalize_operation(value, &pointer)?;
            } else if key == "parameters" {
                normalize_schemas_below(value, &pointer)?;
            }
        }
    }
    if let Some(components) = root.get_mut("components") {
        normalize_components(components)?;
    }
    Ok(extra)
}

fn normalize_operation(op: &mut Value, pointer: &str) -> Result<()> {
    if !op.is_object() {
        return Err(Error::new(
            ErrorKind::Shape,
            pointer,
            "an operation must be an object",
        ));
    }
    // 3.1 made `responses` optional; 3.0 (and `openapiv3`) require it.
    if let Some(op) = op.as_object_mut() {
        op.entry("responses")
            .or_insert_with(|| Value::Object(Map::new()));
    }
    normalize_schemas_below(op, pointer)
}

fn normalize_components(components: &mut Value) -> Result<()> {
    let Some(components) = components.as_object_mut() else {
        return Err(Error::new(
            ErrorKind::Shape,
            "#/components",
            "`components` must be an object",
        ));
    };
    for (section, entries) in components.iter_mut() {
        let pointer = push_pointer("#/components", section);
        if section == "securitySchemes" {
            // The client authenticates itself; schemes are read only to be valid. 3.1's
            // `mutualTLS` is one `openapiv3` does not know, so it is left out.
            if let Some(map) = entries.as_object_mut() {
                map.retain(|_, scheme| {
                    scheme.get("type").and_then(Value::as_str) != Some("mutualTLS")
                });
            }
        } else if section == "schemas" {
            if let Some(map) = entries.as_object_mut() {
                for (name, schema) in map.iter_mut() {
                    normalize_schema(schema, &push_pointer(&pointer, name))?;
                }
            }
        } else {
            normalize_schemas_below(entries, &pointer)?;
        }
    }
    Ok(())
}

/// Finds every `schema` key below `value` (parameters, media types, headers) and normalises it.
fn normalize_schemas_below(value: &mut Value, pointer: &str) -> Result<()> {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let child_pointer = push_pointer(pointer, key);
                if key == "schema" && child.is_object() {
                    normalize_schema(child, &child_pointer)?;
                } else if key != "example" && key != "examples" {
                    normalize_schemas_below(child, &child_pointer)?;
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                normalize_schemas_below(child, &push_pointer(pointer, &i.to_string()))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Rewrites one schema (and its subschemas) into OpenAPI 3.0 form.
pub fn normalize_schema(schema: &mut Value, pointer: &str) -> Result<()> {
    let Some(map) = schema.as_object_mut() else {
        if schema.is_boolean() {
            // JSON Schema `true` accepts anything; `false` accepts nothing. Both become an open
            // schema, so decoding never fails on them.
            *schema = Value::Object(Map::new());
            return Ok(());
        }
        return Err(Error::new(
            ErrorKind::Shape,
            pointer,
            "a schema must be an object",
        ));
    };

    // `$ref` with siblings (3.1): keep both by wrapping the reference in `allOf`.
    if map.contains_key("$ref") && map.keys().any(|k| k != "$ref") {
        let reference = map.remove("$ref").unwrap_or_default();
        map.insert("allOf".into(), serde_json::json!([{ "$ref": reference }]));
    }

    // `allOf` beside an object's own fields (`{allOf: [Base], properties: {..}}`): the fields
    // are one more part, so merging sees them instead of `openapiv3` reading only `allOf`.
    if map.contains_key("allOf") {
        let own: Map<String, Value> = OBJECT_SHAPE_KEYS
            .iter()
            .filter_map(|k| Some((k.to_string(), map.get(*k)?.clone())))
            .filter(|(k, v)| k != "type" || v == "object")
            .collect();
        // Without fields of its own (`type: object`, `additionalProperties: false` alone), an
        // object adds nothing the parts do not say.
        if own.contains_key("properties") || own.contains_key("required") {
            own.keys().for_each(|k| {
                map.remove(k);
            });
            if let Some(Value::Array(parts)) = map.get_mut("allOf") {
                parts.push(Value::Object(own));
            }
        }
    }

    normalize_type(map, pointer)?;
    normalize_enum(map);
    normalize_bounds(map);
    // Recurse into subschemas.
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = map.get_mut(key) {
            if child.is_object() || (key == "items" && child.is_boolean()) {
                normalize_schema(child, &push_pointer(pointer, key))?;
            }
        }
    }
    if let Some(Value::Array(items)) = map.get("items") {
        // Tuple-style `items: [..]` (JSON Schema draft 4): not expressible; say so.
        let _ = items;
        return Err(Error::new(
            ErrorKind::Unsupported,
            push_pointer(pointer, "items"),
            "tuple `items` arrays are not supported",
        ));
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(children)) = map.get_mut(key) {
            for (i, child) in children.iter_mut().enumerate() {
                normalize_schema(
                    child,
                    &push_pointer(&push_pointer(pointer, key), &i.to_string()),
                )?;
            }
        }
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for (name, child) in props.iter_mut() {
            normalize_schema(
                child,
                &push_pointer(&push_pointer(pointer, "properties"), name),
            )?;
        }
    }
    Ok(())
}

/// 3.1 type arrays (`["string", "null"]` → `type: string, nullable: true`) and `type: null`.
fn normalize_type(map: &mut Map<String, Value>, pointer: &str) -> Result<()> {
    // 3.1 type arrays: `["string", "null"]` → `type: string, nullable: true`.
    if let Some(Value::Array(types)) = map.get("type").cloned() {
        let mut named: Vec<String> = Vec::new();
        for t in &types {
            match t.as_str() {
                Some("null") => {
                    map.insert("nullable".into(), Value::Bool(true));
                }
                Some(other) => named.push(other.to_string()),
                None => {
                    return Err(Error::new(
                        ErrorKind::Shape,
                        push_pointer(pointer, "type"),
                        "type array entries must be strings",
                    ))
                }
            }
        }
        match named.len() {
            0 => {
                map.remove("type");
            }
            1 => {
                map.insert("type".into(), Value::String(named.remove(0)));
            }
            _ => {
                map.remove("type");
                let branches: Vec<Value> = named
                    .iter()
                    .map(|t| serde_json::json!({ "type": t }))
                    .collect();
                map.insert("anyOf".into(), Value::Array(branches));
            }
        }
    }
    if map.get("type").and_then(Value::as_str) == Some("null") {
        map.remove("type");
        map.insert("nullable".into(), Value::Bool(true));
    }

    Ok(())
}

/// `const`, `null` among `enum` values, an `enum` without `type`, and numbers written as strings.
fn normalize_enum(map: &mut Map<String, Value>) {
    // `const` (3.1) → a one-value `enum`.
    if let Some(value) = map.remove("const") {
        map.entry("enum")
            .or_insert_with(|| Value::Array(vec![value]));
    }

    // An enum listing `null` means the value is nullable.
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        if values.iter().any(Value::is_null) {
            values.retain(|v| !v.is_null());
            map.insert("nullable".into(), Value::Bool(true));
        }
    }

    // An `enum` (or `const`) without `type`: infer the type from the values, so the values
    // become a typed enum rather than untyped JSON.
    if !map.contains_key("type") {
        if let Some(Value::Array(values)) = map.get("enum") {
            let kind = |v: &Value| match v {
                Value::String(_) => "string",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                _ => "",
            };
            if let Some(first) = values.first().map(kind).filter(|k| !k.is_empty()) {
                if values.iter().all(|v| kind(v) == first) {
                    map.insert("type".into(), Value::String(first.into()));
                }
            }
        }
    }

    // Enum values written as strings on a numeric schema (`type: integer, enum: ["512", "256"]`,
    // seen in real Cog schemas): no value could satisfy both, so the author meant numbers.
    let declared = map.get("type").and_then(Value::as_str).map(str::to_string);
    if let (Some(t @ ("integer" | "number")), Some(Value::Array(values))) =
        (declared.as_deref(), map.get("enum"))
    {
        let parsed: Option<Vec<Value>> = values
            .iter()
            .map(|v| match v {
                Value::String(s) if t == "integer" => s.trim().parse::<i64>().ok().map(Value::from),
                Value::String(s) => s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number)),
                other => Some(other.clone()),
            })
            .collect();
        if let Some(parsed) = parsed {
            map.insert("enum".into(), Value::Array(parsed));
        }
    }
}

/// Numeric exclusive bounds (3.1) and fractional bounds on integers.
fn normalize_bounds(map: &mut Map<String, Value>) {
    // Numeric `exclusiveMinimum`/`exclusiveMaximum` (3.1) → bound plus boolean flag (3.0).
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(n) = map.get(exclusive).filter(|v| v.is_number()).cloned() {
            map.insert(bound.into(), n);
            map.insert(exclusive.into(), Value::Bool(true));
        }
    }

    // Counts and lengths are unsigned machine integers in openapiv3: one written as a float
    // (`2.0`) is read as the count it is, rounded inwards; one no value can reach limits
    // nothing a Rust value holds and is dropped (the document must not be lost over it).
    for (key, is_min) in [
        ("minLength", true),
        ("maxLength", false),
        ("minItems", true),
        ("maxItems", false),
        ("minProperties", true),
        ("maxProperties", false),
    ] {
        let Some(v) = map.get(key) else { continue };
        if v.is_u64() && v.as_u64().is_some_and(|n| n < 1 << 53) {
            continue;
        }
        let rounded = v
            .as_f64()
            .map(|f| if is_min { f.ceil() } else { f.floor() });
        match rounded {
            Some(r) if (0.0..9.0e15).contains(&r) => {
                map.insert(key.into(), Value::from(r as u64));
            }
            _ => {
                map.remove(key);
            }
        }
    }

    // Integer schemas with float bounds (`"maximum": 50.0`) or bounds beyond 64 bits:
    // openapiv3 would turn the whole schema into an untyped one, or refuse the document. Round
    // towards the inside of the range to keep its meaning; a bound past what `i64` holds limits
    // nothing and is dropped.
    if map.get("type").and_then(Value::as_str) == Some("integer") {
        if let Some(m) = map.get("multipleOf") {
            match m.as_f64() {
                _ if m.as_i64().is_some() => {}
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => {
                    map.insert("multipleOf".into(), Value::from(f as i64));
                }
                _ => {
                    map.remove("multipleOf");
                }
            }
        }
        for (bound, is_min) in [("minimum", true), ("maximum", false)] {
            if let Some(f) = map.get(bound).and_then(|v| {
                if v.as_i64().is_none() {
                    v.as_f64()
                } else {
                    None
                }
            }) {
                let rounded = if is_min { f.ceil() } else { f.floor() };
                if rounded != f {
                    // `> 0.5` on an integer is `>= 1`: the rounded bound is itself allowed.
                    let exclusive = if is_min {
                        "exclusiveMinimum"
                    } else {
                        "exclusiveMaximum"
                    };
                    map.remove(exclusive);
                }
                if rounded.is_finite() && rounded.abs() < 9.0e18 {
                    map.insert(bound.into(), Value::from(rounded as i64));
                } else {
                    map.remove(bound);
                }
            }
        }
        if let Some(Value::Array(values)) = map.get("enum") {
            if values.iter().any(|v| v.is_f64()) {
                let all_integral = values
                    .iter()
                    .all(|v| v.as_f64().is_some_and(|f| f.fract() == 0.0));
                if all_integral {
                    let ints: Vec<Value> = values
                        .iter()
                        .map(|v| Value::from(v.as_f64().unwrap_or(0.0) as i64))
                        .collect();
                    map.insert("enum".into(), Value::Array(ints));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openapiv3::ReferenceOr;
    use serde_json::json;

    #[test]
    fn fractional_bounds_on_integers_round_inwards() {
        let mut s = json!({"type": "integer", "minimum": 0.5, "exclusiveMinimum": true,
            "maximum": 10.0, "exclusiveMaximum": true});
        normalize_schema(&mut s, "#").unwrap();
        // `> 0.5` allows 1; `< 10.0` still excludes 10.
        assert_eq!(s["minimum"], json!(1));
        assert!(s.get("exclusiveMinimum").is_none(), "{s}");
        assert_eq!(s["maximum"], json!(10));
        assert_eq!(s["exclusiveMaximum"], json!(true));
    }

    /// Numbers no 64-bit field holds (in bounds, lengths, counts) must not cost the document:
    /// they are read as what they mean, or dropped when they limit nothing a Rust value holds.
    #[test]
    fn numbers_beyond_64_bits_do_not_lose_the_document() {
        let schema = r#"{"type": "object", "properties": {
            "a": {"type": "integer", "minimum": -9223372036854776000, "maximum": 18446744073709551616},
            "b": {"type": "integer", "format": "int64", "multipleOf": 2.5},
            "c": {"type": "number", "minimum": -1e308, "maximum": 1e308},
            "d": {"type": "string", "minLength": 2.0, "maxLength": 1e20},
            "e": {"type": "array", "items": {"type": "string"}, "minItems": 1.0, "maxItems": 18446744073709551616},
            "f": {"type": "object", "maxProperties": 1e30}}}"#;
        let json = format!(
            r#"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}}, "paths": {{}},
                "components": {{"schemas": {{"S": {schema}}}}}}}"#
        );
        let yaml = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n    S: {schema}\n"
        );
        for text in [json, yaml] {
            let spec = load(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            let schemas = &spec.openapi.components.as_ref().unwrap().schemas;
            let ReferenceOr::Item(s) = &schemas["S"] else {
                panic!("S is a reference")
            };
            let openapiv3::SchemaKind::Type(openapiv3::Type::Object(o)) = &s.schema_kind else {
                panic!("S is not an object: {s:?}")
            };
            let prop = |name: &str| match &o.properties[name] {
                ReferenceOr::Item(p) => p.schema_kind.clone(),
                ReferenceOr::Reference { .. } => panic!("{name} is a reference"),
            };
            // Typed schemas stay typed; the lengths that fit are kept.
            assert!(matches!(
                prop("a"),
                openapiv3::SchemaKind::Type(openapiv3::Type::Integer(_))
            ));
            match prop("d") {
                openapiv3::SchemaKind::Type(openapiv3::Type::String(d)) => {
                    assert_eq!(d.min_length, Some(2));
                    assert_eq!(d.max_length, None);
                }
                other => panic!("d: {other:?}"),
            }
            match prop("e") {
                openapiv3::SchemaKind::Type(openapiv3::Type::Array(e)) => {
                    assert_eq!(e.min_items, Some(1));
                    assert_eq!(e.max_items, None);
                }
                other => panic!("e: {other:?}"),
            }
            crate::generate_client(&text, &crate::Options::default())
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
