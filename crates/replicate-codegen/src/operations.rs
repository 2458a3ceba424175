//! Phase 3, operations: every operation of the spec becomes an [`Operation`]: where it sits in
//! the resource tree (`models.versions.get` → `client.models().versions().get(..)`), its typed
//! parameters, body and success responses.
//!
//! Invariant: every operation in the input becomes an `Operation` or generation fails with an
//! error naming it; [`collect`] checks the count against the raw document.

use crate::error::{push_pointer, Error, ErrorKind, Result};
use crate::load::LoadedSpec;
use crate::naming;
use crate::types::{doc_text, Place, Ty, TypeDef, TypeSpace};
use openapiv3::{OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, StatusCode};
use std::collections::{BTreeMap, BTreeSet};

/// Header parameters the runtime has richer types for, by lower-case wire name.
const RUNTIME_HEADER_TYPES: &[(&str, &str)] =
    &[("prefer", "Prefer"), ("cancel-after", "CancelAfter")];

/// Methods the generated `Client` has of its own; a top-level resource or operation with one of
/// these names gets a `_` suffix.
const CLIENT_METHODS: &[&str] = &["new", "from_env", "builder", "runtime"];

/// Names the request builders use themselves; parameters with these names get a `_` suffix.
const BUILDER_NAMES: &[&str] = &[
    "client",
    "body",
    "send",
    "into_request",
    "into_stream",
    "into_future",
];

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A `{segment}` of the path.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie, sent in the one `Cookie` header as `name=value`.
    Cookie,
}

/// A typed parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// Argument or setter name; a builder method's name gets a trailing `_`.
    pub rust: String,
    /// Name in the URL, query or header, exactly as the spec spells it.
    pub wire: String,
    /// Where it goes.
    pub location: Location,
    /// Its type (never `Option`; optional parameters are builder setters).
    pub ty: Ty,
    /// A positional argument of the method (path parameters always are).
    pub required: bool,
    /// First paragraph of the description, for the argument's or setter's doc.
    pub doc: Option<String>,
    /// JSON pointer of its schema.
    pub pointer: String,
    /// For an array: `None` repeats the parameter once per item (a query's `form` style,
    /// exploded); otherwise the items are joined by this (`,` for headers and unexploded
    /// queries, ` ` or `|` for the delimited styles).
    pub separator: Option<&'static str>,
    /// How its value becomes text.
    pub written: Written,
}

/// How a parameter's value becomes text in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// With `Display`: a scalar, or an array item by item (see [`Param::separator`]).
    Display,
    /// A `oneOf` of scalars (`string | integer`), or an array of them, as the chosen variant's
    /// JSON text (arrays item by item, see [`Param::separator`]).
    ScalarUnion,
    /// An object or a `oneOf` in a query, through its JSON form as pairs: `name[field]=value`
    /// when `deep` (`style: deepObject`), otherwise each field as a pair of its own (the
    /// exploded `form` style) and a scalar variant as `name=value`.
    Pairs {
        /// `style: deepObject`.
        deep: bool,
    },
    /// A parameter given by `content` with a JSON media type: the whole value as JSON text
    /// (`filter={"a":1}`, percent-encoded where it goes).
    Json,
}

/// How a request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/json`.
    Json,
    /// `multipart/form-data`.
    Multipart,
    /// `application/x-www-form-urlencoded`: the struct's fields as `name=value` pairs.
    Form,
    /// `text/plain`.
    Text,
    /// Any other single media type, sent as raw bytes.
    Bytes,
}

/// A request body.
#[derive(Debug, Clone)]
pub struct Body {
    /// How it is encoded, from the media type the client chose (JSON, then multipart, text, bytes).
    pub kind: BodyKind,
    /// Media type sent as `Content-Type`.
    pub media_type: String,
    /// What the method takes (never `Option`).
    pub ty: Ty,
    /// Positional argument (required by the spec, or its schema has required fields).
    pub required: bool,
    /// JSON pointer of the chosen media type's schema.
    pub pointer: String,
    /// Every media type the document offers, the chosen one among them.
    pub offered: Vec<String>,
}

/// How a success response is decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseKind {
    /// JSON into a type.
    Json(Ty),
    /// Text.
    Text,
    /// Raw bytes.
    Bytes,
    /// No content.
    Empty,
}

/// Which status codes a response covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMatch {
    /// One code.
    Code(u16),
    /// `2XX`.
    Range(u16),
}

/// A success response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code(s).
    pub status: StatusMatch,
    /// Variant name in the response enum.
    pub variant: String,
    /// How the body is decoded, and into what.
    pub kind: ResponseKind,
    /// Media type asked for with `Accept`.
    pub media_type: Option<String>,
    /// JSON pointer of the decoded schema.
    pub pointer: String,
}

/// One operation, ready to render.
#[derive(Debug, Clone)]
pub struct Operation {
    /// operationId (or one derived from method and path).
    pub id: String,
    /// HTTP method, upper case.
    pub method: String,
    /// Path template as in the spec (`/models/{model_owner}/{model_name}`).
    pub path: String,
    /// JSON pointer of the operation.
    pub pointer: String,
    /// Summary or first paragraph of the description.
    pub doc: Option<String>,
    /// Resource path (`["models", "versions"]`), as Rust method names.
    pub resource: Vec<String>,
    /// Method name on the resource.
    pub name: String,
    /// Request builder type name (`ModelsVersionsGet`).
    pub builder: String,
    /// Parameters: path first (template order), then query, then header.
    pub params: Vec<Param>,
    /// The body the method takes, if any.
    pub body: Option<Body>,
    /// Success responses, in status order.
    pub responses: Vec<Response>,
    /// `security: []`: no token needed.
    pub public: bool,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// Every status the document declares (`200`, `4XX`, `default`), success or not, with the
    /// media types it offers.
    pub statuses: BTreeMap<String, Vec<String>>,
}

/// Builds every operation of the spec, in operationId order.
pub fn collect(spec: &LoadedSpec, types: &mut TypeSpace) -> Result<Vec<Operation>> {
    let openapi = &spec.openapi;
    let mut ops = Vec::new();
    for (path, item) in openapi.paths.paths.iter() {
        let item_pointer = push_pointer("#/paths", path);
        let ReferenceOr::Item(item) = item else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                item_pointer,
                "path items given by `$ref` are not supported",
            ));
        };
        for (method, op) in item.iter() {
            let pointer = push_pointer(&item_pointer, method);
            let id = lenient_id(types, &ops, op, &method.to_uppercase(), path, &pointer);
            let built = build(
                openapi,
                types,
                path,
                (&method.to_uppercase(), id),
                op,
                &item.parameters,
                &pointer,
            )?;
            let raw_op = spec.raw.pointer(pointer.trim_start_matches('#'));
            if let Some(e) = unexploded_form_field(&spec.raw, raw_op, &built, types, &pointer) {
                return Err(e);
            }
            ops.push(built);
        }
        for extra in spec.extra_operations.iter().filter(|e| e.path == *path) {
            let pointer = push_pointer(&item_pointer, &extra.method.to_lowercase());
            let id = lenient_id(types, &ops, &extra.operation, &extra.method, path, &pointer);
            let built = build(
                openapi,
                types,
                path,
                (&extra.method, id),
                &extra.operation,
                &item.parameters,
                &pointer,
            )?;
            if let Some(e) =
                unexploded_form_field(&spec.raw, Some(&extra.raw), &built, types, &pointer)
            {
                return Err(e);
            }
            ops.push(built);
        }
    }
    // Invariant: nothing dropped. Count against the raw document's method keys.
    let expected = crate::load::raw_operations(&spec.raw).len() + spec.extra_operations.len();
    if ops.len() != expected {
        let missing: Vec<String> = crate::load::raw_operations(&spec.raw)
            .into_iter()
            .filter(|(p, m)| !ops.iter().any(|o| o.path == *p && o.method == *m))
            .map(|(p, m)| format!("{m} {p}"))
            .collect();
        return Err(Error::new(
            ErrorKind::Internal,
            "#/paths",
            format!(
                "{} operations in the document but {} generated; missing: {}",
                expected,
                ops.len(),
                missing.join(", ")
            ),
        ));
    }
    ops.sort_by(|a, b| a.id.cmp(&b.id).then(a.method.cmp(&b.method)));
    make_unique(&mut ops, types)?;
    Ok(ops)
}

/// The enum of an operation's responses when it has several, beside its builder `builder`.
pub fn response_enum_name(builder: &str) -> String {
    naming::child_type_name(builder, "Response")
}

/// Makes every operation's place in the resource tree and its builder's name distinct. Two
/// operations with the same operationId are an invalid document (refused; `--lenient` renamed
/// the second already). Distinct ids that Rust spells alike (`things.get`, `things/get`,
/// derived `logs.drains.get` for `/logs/drains` and `/logs/{app}/drains`), or a method named
/// like a sub-resource, are numbered, with a warning.
fn make_unique(ops: &mut [Operation], types: &mut TypeSpace) -> Result<()> {
    let key = |resource: &[String], name: &str| {
        let mut full = resource.to_vec();
        full.push(name.to_string());
        full.join(".")
    };
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..ops.len() {
        let full = key(&ops[i].resource, &ops[i].name);
        if let Some(&j) = seen.get(&full) {
            let (other, op) = (&ops[j], &ops[i]);
            // Only an id the document declared twice is its error; two derived alike
            // (`/users` and `/users/`) are the generator's to tell apart.
            let declared = |o: &Operation| o.id != derived_operation_id(&o.method, &o.path);
            if other.id == op.id && declared(other) && declared(op) {
                return Err(Error::new(
                    ErrorKind::NameClash,
                    &op.pointer,
                    format!(
                        "operations {} and {} share the operationId `{}` (`--lenient` renames the second)",
                        other.pointer, op.pointer, op.id
                    ),
                ));
            }
            let renamed = naming::unique(&op.name, |n| seen.contains_key(&key(&op.resource, n)));
            let warning = format!(
                "operations `{}` ({}) and `{}` would both become `{full}`; the second is `{}`",
                other.id,
                other.pointer,
                op.id,
                key(&op.resource, &renamed)
            );
            types.warnings.push((op.pointer.clone(), warning));
            ops[i].name = renamed;
        }
        seen.insert(key(&ops[i].resource, &ops[i].name), i);
    }
    // A method must not share its name with a sub-resource's accessor.
    let resources: BTreeSet<String> = ops
        .iter()
        .flat_map(|op| (1..=op.resource.len()).map(|n| op.resource[..n].join(".")))
        .collect();
    for op in ops.iter_mut() {
        let full = key(&op.resource, &op.name);
        if resources.contains(&full) {
            let renamed = naming::unique(&op.name, |n| {
                let k = key(&op.resource, n);
                resources.contains(&k) || seen.contains_key(&k)
            });
            types.warnings.push((
                op.pointer.clone(),
                format!(
                    "operation `{}` would share the name `{full}` with a resource; it is `{}`",
                    op.id,
                    key(&op.resource, &renamed)
                ),
            ));
            seen.insert(key(&op.resource, &renamed), 0);
            op.name = renamed;
        }
    }
    // Builders (and their response enums) share the module with the resource handles and
    // `Client`: `drives.ListItems` must not become the handle of `drives.list.items`.
    let mut taken: BTreeSet<String> = resources
        .iter()
        .map(|r| naming::type_name(&r.replace('.', "_")))
        .collect();
    taken.insert("Client".to_string());
    for op in ops.iter_mut() {
        let multi = op.responses.len() > 1;
        let clashes =
            |n: &str| taken.contains(n) || (multi && taken.contains(&response_enum_name(n)));
        if clashes(&op.builder) {
            op.builder = naming::unique(&op.builder, clashes);
        }
        taken.insert(op.builder.clone());
        if multi {
            taken.insert(response_enum_name(&op.builder));
        }
    }
    Ok(())
}

/// The operationId an operation is generated under: its own (or one derived from method and
/// path). Leniently, one already taken by an earlier operation gets the method appended.
fn lenient_id(
    types: &mut TypeSpace,
    earlier: &[Operation],
    op: &openapiv3::Operation,
    method: &str,
    path: &str,
    pointer: &str,
) -> String {
    let id = operation_id(op, method, path);
    let Some(other) = earlier.iter().find(|o| o.id == id) else {
        return id;
    };
    if !types.lenient {
        return id;
    }
    let renamed = naming::unique(&format!("{id}_{}", method.to_lowercase()), |n| {
        earlier.iter().any(|o| o.id == n)
    });
    types.warnings.push((
        push_pointer(pointer, "operationId"),
        format!(
            "operationId `{id}` is also {} {}'s; this operation is generated as `{renamed}`",
            other.method, other.path
        ),
    ));
    renamed
}

fn operation_id(op: &openapiv3::Operation, method: &str, path: &str) -> String {
    match &op.operation_id {
        Some(id) if !id.trim().is_empty() => id.trim().to_string(),
        _ => derived_operation_id(method, path),
    }
}

fn build(
    spec: &OpenAPI,
    types: &mut TypeSpace,
    path: &str,
    (method, id): (&str, String),
    op: &openapiv3::Operation,
    shared_params: &[ReferenceOr<Parameter>],
    pointer: &str,
) -> Result<Operation> {
    let mut segments: Vec<String> = id
        .split(['.', '/'])
        .filter(|s| !s.is_empty())
        .map(naming::method_name)
        .collect();
    if segments.is_empty() {
        return Err(Error::new(
            ErrorKind::Shape,
            push_pointer(pointer, "operationId"),
            "operationId is empty",
        ));
    }
    let mut name = segments.pop().unwrap_or_default();
    // `client.new()` is the client's constructor: a resource or operation there is `new_`.
    match segments.first_mut() {
        Some(first) if CLIENT_METHODS.contains(&first.as_str()) => first.push('_'),
        None if CLIENT_METHODS.contains(&name.as_str()) => name.push('_'),
        _ => {}
    }
    let builder = naming::type_name(&id.replace(['.', '/'], "_"));
    let doc = op
        .summary
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string())
        .or_else(|| doc_text(op.description.as_deref()));

    let params = collect_params(spec, types, path, op, shared_params, &builder, pointer)?;
    let body = match &op.request_body {
        Some(body) => Some(request_body(
            spec,
            types,
            body,
            &builder,
            &push_pointer(pointer, "requestBody"),
        )?),
        None => None,
    };
    let responses = success_responses(spec, types, op, &builder, pointer)?;
    Ok(Operation {
        id,
        method: method.to_string(),
        path: path.to_string(),
        pointer: pointer.to_string(),
        doc,
        resource: segments,
        name,
        builder,
        params,
        body,
        responses,
        public: op.security.as_ref().is_some_and(|s| s.is_empty()),
        deprecated: op.deprecated,
        statuses: declared_statuses(spec, op),
    })
}

/// Every declared status with its media types; a response `$ref` that does not resolve offers
/// none (the success ones were resolved, with an error, already).
fn declared_statuses(spec: &OpenAPI, op: &openapiv3::Operation) -> BTreeMap<String, Vec<String>> {
    let media = |r: &ReferenceOr<openapiv3::Response>| match crate::refs::resolve(spec, r, "#") {
        Ok(r) => r.content.keys().cloned().collect(),
        Err(_) => Vec::new(),
    };
    let mut out: BTreeMap<String, Vec<String>> = op
        .responses
        .responses
        .iter()
        .map(|(code, r)| (code.to_string(), media(r)))
        .collect();
    if let Some(r) = &op.responses.default {
        out.insert("default".to_string(), media(r));
    }
    out
}

/// `GET /models/{owner}/versions` → `models.versions.get`; a path that ends in parameters
/// names them, so the item and its collection differ: `GET /apps/{app_id}/rules/{rule_id}` →
/// `apps.rules.get_by_rule_id`.
pub(crate) fn derived_operation_id(method: &str, path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let is_param = |s: &&str| s.starts_with('{') && s.ends_with('}');
    let literal_end = segments
        .iter()
        .rposition(|s| !is_param(s))
        .map_or(0, |i| i + 1);
    let mut parts: Vec<String> = segments
        .iter()
        .filter(|s| !is_param(s))
        .map(|s| s.to_string())
        .collect();
    let trailing: Vec<String> = segments[literal_end..]
        .iter()
        .map(|s| s.trim_matches(['{', '}']).replace(['.', '/'], "_"))
        .collect();
    let method = method.to_lowercase();
    parts.push(if trailing.is_empty() {
        method
    } else {
        format!("{method}_by_{}", trailing.join("_and_"))
    });
    parts.join(".")
}

fn collect_params(
    spec: &OpenAPI,
    types: &mut TypeSpace,
    path: &str,
    op: &openapiv3::Operation,
    shared: &[ReferenceOr<Parameter>],
    builder: &str,
    pointer: &str,
) -> Result<Vec<Param>> {
    // Operation-level parameters override path-level ones with the same name and location.
    let mut merged: Vec<(&Parameter, String)> = Vec::new();
    let shared_pointer = pointer
        .rsplit_once('/')
        .map(|(p, _)| p.to_string())
        .unwrap_or_default();
    for (i, p) in shared.iter().enumerate() {
        let pp = push_pointer(&push_pointer(&shared_pointer, "parameters"), &i.to_string());
        let (param, at) = crate::refs::resolve_at(spec, p, &pp)?;
        if let Some(at) = at {
            types.traced_move(&pp, &at);
        }
        merged.push((param, pp));
    }
    for (i, p) in op.parameters.iter().enumerate() {
        let pp = push_pointer(&push_pointer(pointer, "parameters"), &i.to_string());
        let (param, at) = crate::refs::resolve_at(spec, p, &pp)?;
        if let Some(at) = at {
            types.traced_move(&pp, &at);
        }
        let data = param.parameter_data_ref();
        let same = |(q, _): &(&Parameter, String)| {
            let qd = q.parameter_data_ref();
            qd.name == data.name && std::mem::discriminant(*q) == std::mem::discriminant(param)
        };
        merged.retain(|e| !same(e));
        merged.push((param, pp));
    }

    let mut params = Vec::new();
    for (param, pp) in merged {
        let unsupported_style = |style: &str| {
            Error::new(
                ErrorKind::Unsupported,
                push_pointer(&pp, "style"),
                format!(
                    "parameter `{}` uses style `{style}`, which the generated client cannot write",
                    param.parameter_data_ref().name
                ),
            )
        };
        let mut deep = false;
        let (location, data, separator) = match param {
            Parameter::Path {
                parameter_data,
                style,
            } => match style {
                openapiv3::PathStyle::Simple => (Location::Path, parameter_data, None),
                openapiv3::PathStyle::Matrix => return Err(unsupported_style("matrix")),
                openapiv3::PathStyle::Label => return Err(unsupported_style("label")),
            },
            Parameter::Query {
                parameter_data,
                style,
                ..
            } => {
                let exploded = parameter_data.explode.unwrap_or(true);
                let separator = match style {
                    openapiv3::QueryStyle::Form if exploded => None,
                    openapiv3::QueryStyle::Form => Some(","),
                    openapiv3::QueryStyle::SpaceDelimited => Some(" "),
                    openapiv3::QueryStyle::PipeDelimited => Some("|"),
                    openapiv3::QueryStyle::DeepObject => {
                        deep = true;
                        None
                    }
                };
                (Location::Query, parameter_data, separator)
            }
            Parameter::Header { parameter_data, .. } => {
                (Location::Header, parameter_data, Some(","))
            }
            // `form` is a cookie's only style; a scalar is `name=value` either way.
            Parameter::Cookie { parameter_data, .. } => (Location::Cookie, parameter_data, None),
        };
        if location == Location::Cookie && !is_token(&data.name) {
            return Err(Error::new(
                ErrorKind::Shape,
                push_pointer(&pp, "name"),
                format!(
                    "cookie name {:?} is not a token (letters, digits and `!#$%&'*+-.^_`|~`)",
                    data.name
                ),
            ));
        }
        // `content` (one media type) instead of `schema`: JSON is written as JSON text, any
        // other media type as the value's text, which only a scalar has.
        let from_content = matches!(data.format, ParameterSchemaOrContent::Content(_));
        let (schema, schema_pointer, as_json) = match &data.format {
            ParameterSchemaOrContent::Schema(s) => (s, push_pointer(&pp, "schema"), false),
            ParameterSchemaOrContent::Content(content) => {
                let media_pointer = |m: &str| push_pointer(&push_pointer(&pp, "content"), m);
                let (media, schema) = match content.iter().collect::<Vec<_>>().as_slice() {
                    [(media, m)] => match &m.schema {
                        Some(schema) => (media.as_str(), schema),
                        None => {
                            return Err(Error::new(
                                ErrorKind::Shape,
                                media_pointer(media),
                                format!("parameter `{}` has `content` without a schema", data.name),
                            ))
                        }
                    },
                    _ => {
                        return Err(Error::new(
                            ErrorKind::Shape,
                            push_pointer(&pp, "content"),
                            format!(
                                "parameter `{}` must give exactly one media type in `content`",
                                data.name
                            ),
                        ))
                    }
                };
                let json = media == "application/json" || media.ends_with("+json");
                (schema, push_pointer(&media_pointer(media), "schema"), json)
            }
        };
        let runtime = RUNTIME_HEADER_TYPES
            .iter()
            .find(|(n, _)| location == Location::Header && data.name.eq_ignore_ascii_case(n))
            .map(|(_, t)| Ty::Runtime(t));
        let ty = match runtime {
            Some(t) => t,
            None => {
                let hint = naming::child_type_name(builder, &data.name);
                let ty = types.type_for(spec, schema, &hint, &schema_pointer)?;
                Place::Parameter.apply(ty)
            }
        };
        // A cookie holds one value: no arrays.
        let cookie_array = location == Location::Cookie && matches!(ty, Ty::Vec(_));
        let written = if as_json {
            Written::Json
        } else if writable(&ty, types) && !cookie_array {
            Written::Display
        } else if scalar_union(&ty, types)
            || matches!(&ty, Ty::Vec(item) if matches!(location, Location::Query | Location::Header) && scalar_union(item, types))
        {
            Written::ScalarUnion
        } else if location == Location::Query
            && separator.is_none()
            && !from_content
            && pairable(&ty, types)
        {
            Written::Pairs { deep }
        } else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                schema_pointer,
                format!(
                    "parameter `{}` is {}, which cannot be written into a {}",
                    data.name,
                    shape_text(&ty, types),
                    match location {
                        Location::Path => "path segment",
                        Location::Query => "query string",
                        Location::Header => "header",
                        Location::Cookie => "cookie",
                    }
                ),
            ));
        };
        let mut rust = naming::field_name(&data.name);
        if BUILDER_NAMES.contains(&rust.as_str()) {
            rust.push('_');
        }
        params.push(Param {
            rust,
            wire: data.name.clone(),
            location,
            ty,
            required: data.required || location == Location::Path,
            doc: doc_text(data.description.as_deref()),
            pointer: push_pointer(&pp, "schema"),
            separator,
            written,
        });
    }

    // Path parameters must match the template exactly.
    let template: Vec<&str> = path
        .split('{')
        .skip(1)
        .filter_map(|s| s.split('}').next())
        .collect();
    for name in &template {
        let declared = params
            .iter()
            .any(|p| p.location == Location::Path && p.wire == *name);
        if !declared && types.lenient {
            // Commonly declared on a sibling operation only: assume a string.
            types.warnings.push((
                pointer.to_string(),
                format!("path segment `{{{name}}}` has no parameter here; taken as a string"),
            ));
            params.push(Param {
                rust: naming::field_name(name),
                wire: name.to_string(),
                location: Location::Path,
                ty: Ty::String,
                required: true,
                doc: None,
                pointer: push_pointer(pointer, "parameters"),
                separator: None,
                written: Written::Display,
            });
            continue;
        }
        if !declared {
            return Err(Error::new(
                ErrorKind::Shape,
                pointer,
                format!("path segment `{{{name}}}` has no matching path parameter"),
            ));
        }
    }
    if let Some(p) = params
        .iter()
        .find(|p| p.location == Location::Path && !template.contains(&p.wire.as_str()))
    {
        return Err(Error::new(
            ErrorKind::Shape,
            pointer,
            format!("path parameter `{}` does not appear in `{path}`", p.wire),
        ));
    }
    // `max_results` and `MaxResults` (or `id` in the path and in the query) are two
    // parameters: the later one gets a number.
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for p in &mut params {
        if let Some(other) = names.get(&p.rust) {
            let renamed = naming::unique(&p.rust, |n| names.contains_key(n));
            types.warnings.push((
                p.pointer.clone(),
                format!(
                    "parameters `{other}` and `{}` would both be named `{}`; `{}` is `{renamed}`",
                    p.wire, p.rust, p.wire
                ),
            ));
            p.rust = renamed;
        }
        names.insert(p.rust.clone(), p.wire.clone());
    }
    // Path parameters in template order, then query, then headers.
    params.sort_by_key(|p| match p.location {
        Location::Path => (0, template.iter().position(|t| *t == p.wire).unwrap_or(0)),
        Location::Query => (1, 0),
        Location::Header => (2, 0),
        Location::Cookie => (3, 0),
    });
    Ok(params)
}

/// A value the client writes as text (`Display`): a string, number or boolean, a string enum,
/// or a runtime header type.
fn scalar(ty: &Ty, types: &TypeSpace) -> bool {
    match ty {
        Ty::String | Ty::Bool | Ty::I32 | Ty::I64 | Ty::F64 | Ty::Runtime(_) => true,
        Ty::Named(n) => match types.defs.get(n) {
            Some(TypeDef::Enum { .. }) => true,
            Some(TypeDef::Alias { ty, .. }) => scalar(ty, types),
            _ => false,
        },
        _ => false,
    }
}

/// A `oneOf`/`anyOf` whose variants are all scalars: written as the chosen variant's text.
fn scalar_union(ty: &Ty, types: &TypeSpace) -> bool {
    match ty {
        Ty::Named(n) => match types.defs.get(n) {
            Some(TypeDef::Union { variants, .. }) => {
                variants.iter().all(|(_, ty)| scalar(ty, types))
            }
            Some(TypeDef::Alias { ty, .. }) => scalar_union(ty, types),
            _ => false,
        },
        _ => false,
    }
}

/// A value a query writes as pairs through its JSON form: an object, a map, any JSON, or a
/// `oneOf` (its object variants spread or bracketed, its scalar ones as text).
fn pairable(ty: &Ty, types: &TypeSpace) -> bool {
    match ty {
        Ty::Map(_) | Ty::JsonObject | Ty::Value => true,
        Ty::Named(n) => match types.defs.get(n) {
            Some(TypeDef::Struct { .. } | TypeDef::Union { .. }) => true,
            Some(TypeDef::Alias { ty, .. }) => pairable(ty, types),
            _ => false,
        },
        _ => false,
    }
}

/// An HTTP token (RFC 9110): what a cookie's name must be, so it cannot end the cookie.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// True when a parameter of type `ty` can be written where it goes by `Display`: scalars, and
/// arrays of scalars (repeated or joined in a query, joined by commas in a header or a path).
fn writable(ty: &Ty, types: &TypeSpace) -> bool {
    match ty {
        // In a path, `simple` style joins the items with commas; so does a header.
        Ty::Vec(item) => scalar(item, types),
        other => scalar(other, types),
    }
}

/// Why a form body of type `ty` has no URL encoding, if it has none: it must be an object.
/// Its fields may be anything JSON: arrays repeat their name, nested objects and arrays go in
/// brackets (`meta[plan]=pro`, `items[0][id]=7`), as `deepObject` describes.
fn unencodable_form(ty: &Ty, types: &TypeSpace) -> Option<String> {
    match ty.inner() {
        Ty::Map(_) | Ty::JsonObject => None,
        Ty::Named(n) => match types.defs.get(n) {
            Some(TypeDef::Struct { .. }) => None,
            Some(TypeDef::Alias { ty, .. }) => unencodable_form(ty, types),
            _ => Some(format!("this body is {}", shape_text(ty.inner(), types))),
        },
        other => Some(format!("this body is {}", shape_text(other, types))),
    }
}

/// A form field whose `encoding` says `explode: false` asks for one comma-joined value, which
/// the client never writes. openapiv3 does not keep that flag, so it is read from the raw
/// document (through a `$ref` to a shared request body), and refused where it changes the
/// wire: on an array or object field.
fn unexploded_form_field(
    raw: &serde_json::Value,
    raw_op: Option<&serde_json::Value>,
    op: &Operation,
    types: &TypeSpace,
    op_pointer: &str,
) -> Option<Error> {
    let body = op.body.as_ref().filter(|b| b.kind == BodyKind::Form)?;
    let mut at = push_pointer(op_pointer, "requestBody");
    let mut node = raw_op?.get("requestBody")?;
    if let Some(reference) = node.get("$ref").and_then(serde_json::Value::as_str) {
        at = reference.to_string();
        node = raw.pointer(reference.strip_prefix('#')?)?;
    }
    let encoding = node
        .get("content")?
        .get(&body.media_type)?
        .get("encoding")?
        .as_object()?;
    let Ty::Named(name) = body.ty.inner() else {
        return None;
    };
    let Some(TypeDef::Struct { fields, .. }) = types.defs.get(name) else {
        return None;
    };
    encoding.iter().find_map(|(wire, field_encoding)| {
        if field_encoding.get("explode") != Some(&serde_json::Value::Bool(false)) {
            return None;
        }
        let field = fields.iter().find(|f| f.wire == *wire)?;
        let compound = match field.ty.inner() {
            Ty::Vec(_) | Ty::Map(_) | Ty::JsonObject => true,
            Ty::Named(n) => matches!(types.defs.get(n), Some(TypeDef::Struct { .. })),
            _ => false,
        };
        let content = push_pointer(&push_pointer(&at, "content"), &body.media_type);
        let pointer = push_pointer(&push_pointer(&push_pointer(&content, "encoding"), wire), "explode");
        compound.then(|| {
            Error::new(
                ErrorKind::Unsupported,
                pointer,
                format!("form field `{wire}` asks for `explode: false` (one comma-joined value); the client repeats an array's name and brackets an object's fields"),
            )
        })
    })
}

/// A form field's `encoding` the client would not honour: a content type other than text (a
/// field sent as JSON, say), or a delimited style, which joins an array into one value.
fn unhonoured_encoding(media: &openapiv3::MediaType, content_pointer: &str) -> Option<Error> {
    media.encoding.iter().find_map(|(field, encoding)| {
        let at = push_pointer(&push_pointer(content_pointer, "encoding"), field);
        let refuse = |why: String| Some(Error::new(ErrorKind::Unsupported, at.clone(), why));
        if let Some(content_type) = encoding
            .content_type
            .as_deref()
            .filter(|c| !c.starts_with("text/plain"))
        {
            return refuse(format!(
                "form field `{field}` asks to be sent as `{content_type}`; the client writes fields as URL-encoded text"
            ));
        }
        let style = match encoding.style {
            Some(openapiv3::QueryStyle::SpaceDelimited) => "spaceDelimited",
            Some(openapiv3::QueryStyle::PipeDelimited) => "pipeDelimited",
            _ => return None,
        };
        refuse(format!(
            "form field `{field}` asks for style `{style}`; the client repeats an array's name for each item"
        ))
    })
}

/// What a parameter's type is, for an error.
fn shape_text(ty: &Ty, types: &TypeSpace) -> &'static str {
    match ty {
        Ty::Vec(_) => "an array",
        Ty::Map(_) | Ty::JsonObject => "an object",
        Ty::Value => "any JSON",
        Ty::Named(n) => match types.defs.get(n) {
            Some(TypeDef::Struct { .. }) => "an object",
            Some(TypeDef::Union { .. }) => "a `oneOf`/`anyOf` of several types",
            Some(TypeDef::Alias { ty, .. }) => shape_text(ty, types),
            _ => "a value",
        },
        _ => "a value",
    }
}

fn request_body(
    spec: &OpenAPI,
    types: &mut TypeSpace,
    body: &ReferenceOr<openapiv3::RequestBody>,
    builder: &str,
    pointer: &str,
) -> Result<Body> {
    let (body, at) = crate::refs::resolve_at(spec, body, pointer)?;
    if let Some(at) = at {
        types.traced_move(pointer, &at);
    }
    let chosen = body_media(&body.content);
    let Some((kind, media_type, media)) = chosen else {
        return Err(Error::new(
            ErrorKind::Unsupported,
            push_pointer(pointer, "content"),
            "request body has no supported media type (JSON, multipart or URL-encoded forms, text, or binary)",
        ));
    };
    let content_pointer = push_pointer(&push_pointer(pointer, "content"), media_type);
    let schema_pointer = push_pointer(&content_pointer, "schema");
    let hint = naming::child_type_name(builder, "Request");
    let ty = match (kind, &media.schema) {
        (BodyKind::Text, _) => Ty::String,
        (BodyKind::Bytes, _) => Ty::Bytes,
        (BodyKind::Json, None) => Ty::Value,
        (BodyKind::Json, Some(s)) => types.type_for(spec, s, &hint, &schema_pointer)?,
        (BodyKind::Multipart, Some(s)) => types.form_type(spec, s, &hint, &schema_pointer)?,
        (BodyKind::Form, Some(s)) => {
            if let Some(e) = unhonoured_encoding(media, &content_pointer) {
                return Err(e);
            }
            let ty = types.type_for(spec, s, &hint, &schema_pointer)?;
            if let Some(what) = unencodable_form(&ty, types) {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    schema_pointer,
                    format!("a URL-encoded form body is an object; {what}"),
                ));
            }
            ty
        }
        (BodyKind::Multipart | BodyKind::Form, None) => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                content_pointer,
                "a form body needs a schema",
            ))
        }
    };
    let ty = Place::RequestBody.apply(ty);
    Ok(Body {
        kind,
        media_type: media_type.clone(),
        ty,
        required: body_required(crate::types::schemas_of(spec), body, media.schema.as_ref()),
        pointer: schema_pointer,
        offered: body.content.keys().cloned().collect(),
    })
}

fn success_responses(
    spec: &OpenAPI,
    types: &mut TypeSpace,
    op: &openapiv3::Operation,
    builder: &str,
    pointer: &str,
) -> Result<Vec<Response>> {
    let mut statuses: Vec<(StatusMatch, &ReferenceOr<openapiv3::Response>)> = Vec::new();
    for (code, resp) in op.responses.responses.iter() {
        match code {
            StatusCode::Code(c) if (200..300).contains(c) => {
                statuses.push((StatusMatch::Code(*c), resp))
            }
            StatusCode::Range(2) => statuses.push((StatusMatch::Range(2), resp)),
            _ => {}
        }
    }
    statuses.sort_by_key(|(s, _)| match s {
        StatusMatch::Code(c) => *c,
        StatusMatch::Range(_) => 299,
    });
    let several = statuses.len() > 1;
    let mut out = Vec::new();
    for (status, resp) in statuses {
        let code_text = match status {
            StatusMatch::Code(c) => c.to_string(),
            StatusMatch::Range(r) => format!("{r}XX"),
        };
        let resp_pointer = push_pointer(&push_pointer(pointer, "responses"), &code_text);
        let (resp, at) = crate::refs::resolve_at(spec, resp, &resp_pointer)?;
        if let Some(at) = at {
            types.traced_move(&resp_pointer, &at);
        }
        let hint = if several {
            naming::child_type_name(builder, &format!("Response{code_text}"))
        } else {
            naming::child_type_name(builder, "Response")
        };
        let mut schema_pointer = String::new();
        let (kind, media_type) = match response_media(&resp.content) {
            (Decoding::Json, Some((m, media))) => {
                let content = push_pointer(&resp_pointer, "content");
                schema_pointer = push_pointer(&push_pointer(&content, m), "schema");
                let ty = match &media.schema {
                    Some(s) => types.type_for(spec, s, &hint, &schema_pointer)?,
                    None => Ty::Value,
                };
                (ResponseKind::Json(ty), Some(m.clone()))
            }
            (Decoding::Text, Some((m, _))) => (ResponseKind::Text, Some(m.clone())),
            (Decoding::Bytes, Some((m, _))) => (ResponseKind::Bytes, Some(m.clone())),
            _ => (ResponseKind::Empty, None),
        };
        let variant = match status {
            StatusMatch::Code(200) => "Ok".to_string(),
            StatusMatch::Code(201) => "Created".to_string(),
            StatusMatch::Code(202) => "Accepted".to_string(),
            StatusMatch::Code(203) => "NonAuthoritative".to_string(),
            StatusMatch::Code(204) => "NoContent".to_string(),
            StatusMatch::Code(206) => "PartialContent".to_string(),
            StatusMatch::Code(c) => format!("Status{c}"),
            StatusMatch::Range(_) => "Success".to_string(),
        };
        out.push(Response {
            status,
            variant,
            kind,
            media_type,
            pointer: schema_pointer,
        });
    }
    Ok(out)
}

/// The media type the client sends a body as, and how: JSON first, then multipart, then a
/// URL-encoded form, then text; any other goes as raw bytes.
fn body_media(
    content: &indexmap::IndexMap<String, openapiv3::MediaType>,
) -> Option<(BodyKind, &String, &openapiv3::MediaType)> {
    let pick =
        |pred: &dyn Fn(&str) -> bool| content.iter().find(|(m, _)| pred(&m.to_ascii_lowercase()));
    pick(&|m| m == "application/json" || m.ends_with("+json"))
        .map(|c| (BodyKind::Json, c))
        .or_else(|| pick(&|m| m == "multipart/form-data").map(|c| (BodyKind::Multipart, c)))
        .or_else(|| {
            pick(&|m| m == "application/x-www-form-urlencoded").map(|c| (BodyKind::Form, c))
        })
        .or_else(|| pick(&|m| m.starts_with("text/")).map(|c| (BodyKind::Text, c)))
        .or_else(|| pick(&|_| true).map(|c| (BodyKind::Bytes, c)))
        .map(|(kind, (m, media))| (kind, m, media))
}

/// How the client decodes a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoding {
    /// As JSON, into the schema's type.
    Json,
    /// As text.
    Text,
    /// As raw bytes.
    Bytes,
    /// Nothing to decode.
    Empty,
}

impl Decoding {
    /// In words, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Decoding::Json => "JSON",
            Decoding::Text => "text",
            Decoding::Bytes => "bytes",
            Decoding::Empty => "no content",
        }
    }
}

/// How the client decodes a response with these media types: JSON when offered, else text,
/// else bytes of the first, else nothing.
fn response_media(
    content: &indexmap::IndexMap<String, openapiv3::MediaType>,
) -> (Decoding, Option<(&String, &openapiv3::MediaType)>) {
    let find =
        |pred: &dyn Fn(&str) -> bool| content.iter().find(|(m, _)| pred(&m.to_ascii_lowercase()));
    if let Some(json) = find(&|m| m == "application/json" || m.ends_with("+json")) {
        return (Decoding::Json, Some(json));
    }
    if let Some(text) = find(&|m| m.starts_with("text/")) {
        return (Decoding::Text, Some(text));
    }
    match content.first() {
        Some(first) => (Decoding::Bytes, Some(first)),
        None => (Decoding::Empty, None),
    }
}

/// A body is required when the spec says so, or when its object schema has required fields
/// (an empty body could not satisfy them): the method then takes it as an argument.
fn body_required(
    schemas: &crate::types::Schemas,
    body: &openapiv3::RequestBody,
    schema: Option<&ReferenceOr<openapiv3::Schema>>,
) -> bool {
    let has_required = schema
        .and_then(|s| crate::types::resolve_schema(schemas, s, "#").ok())
        .is_some_and(|s| match &s.schema_kind {
            openapiv3::SchemaKind::Type(openapiv3::Type::Object(o)) => !o.required.is_empty(),
            openapiv3::SchemaKind::Any(a) => !a.required.is_empty(),
            _ => false,
        });
    body.required || has_required
}

#[cfg(test)]
mod tests {
    use crate::{generate_client, Options};

    /// A spec whose one operation has the parameter `param` (YAML flow mapping).
    fn with_parameter(param: &str) -> String {
        format!(
            r#"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}},
                "paths": {{"/a/{{id}}": {{"get": {{"operationId": "a.get",
                  "parameters": [{{"name": "id", "in": "path", "required": true, "schema": {{"type": "string"}}}}, {param}],
                  "responses": {{"204": {{"description": "ok"}}}}}}}}}},
                "components": {{"schemas": {{
                  "Pair": {{"type": "object", "properties": {{"a": {{"type": "string"}}}}}},
                  "Either": {{"oneOf": [{{"type": "string"}}, {{"type": "integer"}}]}}}}}}}}"#
        )
    }

    /// What a URL or header cannot carry is refused, naming the parameter's pointer, instead
    /// of generating code that does not compile.
    #[test]
    fn derived_ids_tell_an_item_from_its_collection() {
        assert_eq!(
            super::derived_operation_id("GET", "/models/{owner}/versions"),
            "models.versions.get"
        );
        assert_eq!(
            super::derived_operation_id("GET", "/apps/{app_id}/rules/{rule_id}"),
            "apps.rules.get_by_rule_id"
        );
        assert_eq!(
            super::derived_operation_id("DELETE", "/a/{x}/{y.z}"),
            "a.delete_by_x_and_y_z"
        );
        assert_eq!(super::derived_operation_id("GET", "/{id}"), "get_by_id");
    }

    #[test]
    fn parameters_that_cannot_be_written_are_refused_with_their_pointer() {
        let cases = [
            (
                r##"{"name": "filter", "in": "query", "explode": false, "schema": {"$ref": "#/components/schemas/Pair"}}"##,
                "/parameters/1/schema",
                "an object",
            ),
            (
                r#"{"name": "meta", "in": "query", "style": "pipeDelimited", "schema": {"type": "object", "additionalProperties": {"type": "string"}}}"#,
                "/parameters/1/schema",
                "an object",
            ),
            (
                r##"{"name": "X-Either", "in": "header", "schema": {"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/Pair"}]}}"##,
                "/parameters/1/schema",
                "`oneOf`/`anyOf`",
            ),
            (
                r##"{"name": "X-Pair", "in": "header", "schema": {"$ref": "#/components/schemas/Pair"}}"##,
                "/parameters/1/schema",
                "header",
            ),
            (
                r##"{"name": "pairs", "in": "query", "style": "pipeDelimited", "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Pair"}}}"##,
                "/parameters/1/schema",
                "an array, which cannot be written into a query string",
            ),
            (
                r#"{"name": "id", "in": "path", "required": true, "style": "matrix", "schema": {"type": "string"}}"#,
                "/parameters/1/style",
                "matrix",
            ),
            (
                r##"{"name": "q", "in": "query", "content": {"text/plain": {"schema": {"$ref": "#/components/schemas/Pair"}}}}"##,
                "/parameters/1/content/text~1plain/schema",
                "an object",
            ),
            (
                r#"{"name": "q", "in": "query", "content": {}}"#,
                "/parameters/1/content",
                "exactly one media type",
            ),
        ];
        for (param, pointer, what) in cases {
            let e = generate_client(&with_parameter(param), &Options::default())
                .err()
                .unwrap_or_else(|| panic!("{param} was accepted"));
            let text = e.to_string();
            assert!(text.contains(pointer), "{param}: {text}");
            assert!(text.contains(what), "{param}: {text}");
        }
    }

    /// Objects in a query (deepObject, or spread by the exploded form style) and `oneOf`s of
    /// scalars anywhere are written through their JSON form.
    #[test]
    fn objects_in_queries_and_scalar_unions_are_written_through_json() {
        let cases = [
            (
                r##"{"name": "filter", "in": "query", "style": "deepObject", "explode": true, "schema": {"$ref": "#/components/schemas/Pair"}}"##,
                "request.query_object(\"filter\", &value, true)?",
            ),
            (
                r#"{"name": "meta", "in": "query", "schema": {"type": "object", "additionalProperties": {"type": "string"}}}"#,
                "request.query_object(\"meta\", &value, false)?",
            ),
            (
                r##"{"name": "X-Either", "in": "header", "schema": {"$ref": "#/components/schemas/Either"}}"##,
                "request.header(\"X-Either\", rt::text_of(&value)?)",
            ),
            (
                r##"{"name": "q", "in": "query", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pair"}}}}"##,
                "request.query(\"q\", rt::json_text(&value)?)",
            ),
            (
                r#"{"name": "q", "in": "query", "content": {"*/*": {"schema": {"type": "string", "format": "uuid"}}}}"#,
                "request.query(\"q\", value.to_string())",
            ),
        ];
        for (param, call) in cases {
            let generated = generate_client(&with_parameter(param), &Options::default())
                .unwrap_or_else(|e| panic!("{param}: {e}"));
            let code: String = generated
                .files
                .iter()
                .map(|f| f.contents.as_str())
                .collect();
            assert!(code.contains(call), "{param}: no `{call}` in\n{code}");
        }
    }

    /// A form body must be an object, and a delimited `encoding` style the client would not
    /// honour is refused with the field's pointer; nested objects are written in brackets.
    #[test]
    fn form_bodies_that_cannot_be_encoded_are_refused() {
        let form = |schema: &str, encoding: &str| {
            format!(
                r#"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}},
                "paths": {{"/a": {{"post": {{"operationId": "a.create",
                  "requestBody": {{"content": {{"application/x-www-form-urlencoded": {{"schema": {schema}{encoding}}}}}}},
                  "responses": {{"204": {{"description": "ok"}}}}}}}}}}}}"#
            )
        };
        let nested = r#"{"type": "object", "properties": {"meta": {"type": "object", "properties": {"k": {"type": "string"}}}, "tags": {"type": "array", "items": {"type": "string"}}}}"#;
        generate_client(&form(nested, ""), &Options::default()).unwrap_or_else(|e| panic!("{e}"));
        let e = generate_client(
            &form(r#"{"type": "array", "items": {"type": "string"}}"#, ""),
            &Options::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(
                "#/paths/~1a/post/requestBody/content/application~1x-www-form-urlencoded/schema"
            ),
            "{e}"
        );
        assert!(e.contains("an array"), "{e}");
        let delimited = r#", "encoding": {"tags": {"style": "pipeDelimited"}}"#;
        let e = generate_client(&form(nested, delimited), &Options::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("x-www-form-urlencoded/encoding/tags"), "{e}");
        assert!(e.contains("pipeDelimited"), "{e}");
        let as_json = r#", "encoding": {"meta": {"contentType": "application/json"}}"#;
        let e = generate_client(&form(nested, as_json), &Options::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("x-www-form-urlencoded/encoding/meta"), "{e}");
        assert!(e.contains("application/json"), "{e}");
        // `explode: false` on an array (openapiv3 drops the flag; read from the document).
        let unexploded = r#", "encoding": {"tags": {"style": "form", "explode": false}}"#;
        let e = generate_client(&form(nested, unexploded), &Options::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x-www-form-urlencoded/encoding/tags/explode"),
            "{e}"
        );
        // The same under a method `openapiv3` does not know (taken out before parsing).
        let under_query = form(nested, unexploded).replace(r#""post""#, r#""query""#);
        let e = generate_client(&under_query, &Options::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("#/paths/~1a/query/requestBody/content"), "{e}");
        assert!(e.contains("encoding/tags/explode"), "{e}");
        // On a scalar field it changes nothing, so the document is read.
        let scalar = r#"{"type": "object", "properties": {"name": {"type": "string"}}}"#;
        let on_scalar = r#", "encoding": {"name": {"explode": false}}"#;
        generate_client(&form(scalar, on_scalar), &Options::default())
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// The discriminator: an explicit mapping key wins over a component's implicit name (no
    /// duplicate match arms), and variants that are not objects leave the union untagged.
    #[test]
    fn discriminators_map_explicitly_first_and_only_over_objects() {
        let spec = |schemas: &str| {
            format!(
                r##"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}},
                "paths": {{"/a": {{"get": {{"operationId": "a.get",
                  "responses": {{"200": {{"description": "ok", "content": {{"application/json": {{"schema": {{"$ref": "#/components/schemas/U"}}}}}}}}}}}}}}}},
                "components": {{"schemas": {schemas}}}}}"##
            )
        };
        let objects = r##"{
            "U": {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                  "discriminator": {"propertyName": "kind", "mapping": {"Cat": "#/components/schemas/Dog"}}},
            "Cat": {"type": "object", "properties": {"kind": {"type": "string"}}},
            "Dog": {"type": "object", "properties": {"kind": {"type": "string"}, "barks": {"type": "boolean"}}}}"##;
        let code: String = generate_client(&spec(objects), &Options::default())
            .unwrap_or_else(|e| panic!("{e}"))
            .files
            .iter()
            .map(|f| f.contents.clone())
            .collect();
        assert!(
            code.contains("\"Cat\" => rt::decode_variant(value, \"Dog\").map(Self::Dog)"),
            "{code}"
        );
        assert_eq!(code.matches("\"Cat\" =>").count(), 1, "{code}");
        assert!(code.contains("Unknown(::serde_json::Value)"), "{code}");
        let scalars = r##"{
            "U": {"oneOf": [{"$ref": "#/components/schemas/Id"}, {"$ref": "#/components/schemas/Ids"}],
                  "discriminator": {"propertyName": "kind"}},
            "Id": {"type": "string"},
            "Ids": {"type": "array", "items": {"type": "string"}}}"##;
        let code: String = generate_client(&spec(scalars), &Options::default())
            .unwrap_or_else(|e| panic!("{e}"))
            .files
            .iter()
            .map(|f| f.contents.clone())
            .collect();
        assert!(!code.contains("tag_of"), "{code}");
        assert!(code.contains("#[serde(untagged)]"), "{code}");
    }

    /// A multipart form is built from declared fields: a free-form object (found by the
    /// mutation property, whose output did not compile) is refused with its pointer.
    #[test]
    fn multipart_bodies_without_declared_fields_are_refused() {
        let spec = r#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"post": {"operationId": "a.create",
              "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object"}}}},
              "responses": {"204": {"description": "ok"}}}}}}"#;
        let e = generate_client(spec, &Options::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("multipart~1form-data/schema"), "{e}");
        assert!(e.contains("declare its fields"), "{e}");
    }

    /// Invalid but common: a path variable declared on one operation only, and `get` and
    /// `head` sharing an operationId. Refused by default; read with warnings when lenient.
    #[test]
    fn lenient_reading_assumes_and_warns() {
        let spec = r#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {"/pets/{id}": {
              "get": {"operationId": "pets.get",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"204": {"description": "ok"}}},
              "head": {"operationId": "pets.get", "responses": {"204": {"description": "ok"}}}}}}"#;
        let e = generate_client(spec, &Options::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("#/paths/~1pets~1{id}/head"), "{e}");
        let lenient = Options {
            lenient: true,
            ..Options::default()
        };
        let generated = generate_client(spec, &lenient).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(generated.operations, 2);
        assert_eq!(generated.warnings.len(), 2, "{:?}", generated.warnings);
        assert!(
            generated
                .warnings
                .iter()
                .any(|w| w.contains("`pets.get_head`")),
            "{:?}",
            generated.warnings
        );
        assert!(
            generated.warnings.iter().any(|w| w.contains("`{id}`")),
            "{:?}",
            generated.warnings
        );
        let ops = &generated
            .files
            .iter()
            .find(|f| f.path == "operations.rs")
            .unwrap()
            .contents;
        assert!(
            ops.contains("pub fn get_head(&self, id: impl Into<String>)"),
            "{ops}"
        );
    }
}
