//! Semantic diff of two OpenAPI documents, classified for a caller of the generated Rust client.
//!
//! [`diff`] loads both texts with [`crate::load::load`] (so it sees exactly what the generator
//! sees, `QUERY` operations included), matches operations by operationId, and compares what each
//! operation's parameters, request body and success responses *resolve to*, following `$ref`s.
//! Renaming a component (as on 2024-12-02, `prediction_request` → `schemas_prediction_request`)
//! therefore changes nothing at the operations; at the component level it is reported once, as
//! the generator sees it: by the Rust type name each component becomes.
//!
//! Every [`Change`] is **breaking** when code that compiled against the old generated client may
//! no longer compile, or a request that worked may now be rejected; otherwise it is
//! **compatible**, and its reason says why. Whether a change alters a Rust type follows the
//! generator's rules: a struct field is `Option<T>` when it is optional *or* nullable; array
//! items and response bodies are `Option<T>` when nullable; parameters and request bodies never
//! are; string enums are `#[non_exhaustive]` with an `Unknown(String)` variant; `oneOf`/`anyOf`
//! become untagged enums (not `#[non_exhaustive]`); operations with several success statuses
//! return a response enum.
//!
//! | change | in a request (parameter, request body) | in a response (success body) |
//! |---|---|---|
//! | `OperationAdded` | compatible: a new method | |
//! | `OperationRemoved` | breaking: the method disappears | |
//! | `OperationPathChanged` (same operationId) | compatible: same method, new URL | |
//! | `OperationDeprecated` | compatible: `#[deprecated]` only warns | |
//! | `ParameterAdded` | required: breaking (new positional argument; requests without it are rejected); optional: compatible (new setter) | |
//! | `ParameterRemoved` | breaking: the argument or setter disappears | |
//! | `ParameterRequiredChanged` | breaking: positional argument ↔ builder setter | |
//! | `ParameterTypeChanged` | breaking: the argument's type changes | |
//! | `RequestBodyAdded` | breaking when required (positional argument), else compatible (`.body(..)` setter) | |
//! | `RequestBodyRemoved`, `RequestBodyRequiredChanged` | breaking | |
//! | `MediaTypeAdded` / `MediaTypeRemoved` | breaking when it changes the media type the client sends, else compatible | breaking when it changes how the client decodes (JSON, text, bytes, empty), else compatible |
//! | `ResponseAdded` / `ResponseRemoved` (status code) | | 2XX: breaking (the return type or the response enum changes); other statuses: compatible (they surface as `Error::Api`, no generated type) |
//! | `FieldAdded` | required: breaking (requests without it are rejected); optional: compatible | compatible: the struct gains a field |
//! | `FieldRemoved` | breaking: the struct loses the field | breaking: the struct loses the field |
//! | `FieldRequiredChanged` | breaking when the Rust type changes (`T` ↔ `Option<T>`) or an optional field becomes required; else compatible | breaking when the Rust type changes, else compatible (nullable fields are `Option` either way) |
//! | `FieldTypeChanged` | breaking | breaking |
//! | `FieldFormatChanged` | breaking when the Rust type changes (`int32` ↔ `int64`, `binary` in forms) or a string gains or changes a format (the server may reject values it took); else compatible | breaking when the Rust type changes, else compatible (still a `String`/`f64`) |
//! | `FieldNullabilityChanged` | breaking when the Rust type changes (`T` ↔ `Option<T>`: required fields, array items); else compatible | same; also at the response root |
//! | `EnumValueAdded` | compatible: the server accepts one more value, the enum gains a variant (it is `#[non_exhaustive]`) | compatible: the value decoded as `Unknown` before and gets its own variant now |
//! | `EnumValueRemoved` | breaking: the variant disappears and the server rejects the value | breaking: the variant disappears |
//! | `VariantAdded` (`oneOf`/`anyOf`) | compatible: one more shape accepted | breaking: the untagged enum gains a variant, so exhaustive matches stop compiling |
//! | `VariantRemoved` | breaking | breaking |
//! | `AdditionalPropertiesChanged` | breaking when extra properties stop being allowed or their type changes, else compatible | same |
//! | `ConstraintChanged` (`minimum`, `maxLength`, `pattern`, ...) | tighter: breaking (values that worked may be rejected); looser: compatible | compatible: responses are not validated |
//! | `DefaultChanged` | compatible: the server's value for an omitted field changes, nothing else (reported for requests only) | |
//! | `SchemaAdded` | compatible: a new type | |
//! | `SchemaRemoved` | breaking: the Rust type disappears | |
//! | `SchemaRenamed` (same shape, new Rust name) | breaking: code naming the old type no longer compiles | |
//!
//! Assumptions and limits: structs are built with `new(..)`/`Default` and read by field, not
//! built with exhaustive struct literals (adding a field to a struct is compatible); error
//! response bodies are not compared (they are decoded into `ApiError`, not generated types);
//! a type that keeps its shape but changes its Rust name is reported only at the component level
//! (the generated names of inline types are not compared); a component that no operation uses is
//! compared only by name. A change inside a schema that several operations (or statuses) use is
//! reported at each of them, since each is a place where callers meet it.
//!
//! Locations read `<operationId> <place> <field path>`, for example
//! `predictions.create request body .webhook_events_filter[]`: `.name` is a property, `[]` the
//! items of an array, `{}` the values of a map, `<shape>` a `oneOf`/`anyOf` variant.
//! Component-level changes have no operation and read `schema <component name>`.

use crate::error::Result;
use crate::ir::Place;
use crate::load::{self, LoadedSpec};
use crate::operations::{body_media, body_required, response_media, BodyKind, Decoding};
use crate::types::schemas_of;
use openapiv3::{
    AdditionalProperties, IntegerFormat, NumberFormat, OpenAPI, Parameter,
    ParameterSchemaOrContent, ReferenceOr, RequestBody, Response, Schema, SchemaKind, StatusCode,
    StringFormat, Type, VariantOrUnknownOrEmpty,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ChangeKind {
    /// An operationId that did not exist.
    OperationAdded,
    /// An operationId that no longer exists.
    OperationRemoved,
    /// Same operationId, different method or path.
    OperationPathChanged,
    /// The operation became deprecated.
    OperationDeprecated,
    /// A new parameter.
    ParameterAdded,
    /// A parameter that is gone.
    ParameterRemoved,
    /// A parameter became required or optional.
    ParameterRequiredChanged,
    /// A parameter's schema has a different type.
    ParameterTypeChanged,
    /// A request body where there was none.
    RequestBodyAdded,
    /// The request body is gone.
    RequestBodyRemoved,
    /// The request body became required or optional.
    RequestBodyRequiredChanged,
    /// A media type of a request body or response.
    MediaTypeAdded,
    /// A media type of a request body or response that is gone.
    MediaTypeRemoved,
    /// A response status code.
    ResponseAdded,
    /// A response status code that is gone.
    ResponseRemoved,
    /// A property of an object.
    FieldAdded,
    /// A property of an object that is gone.
    FieldRemoved,
    /// A property became required or optional.
    FieldRequiredChanged,
    /// A schema has a different type (a property, an array item, a whole body).
    FieldTypeChanged,
    /// A schema has a different `format`.
    FieldFormatChanged,
    /// A schema became nullable or stopped being nullable.
    FieldNullabilityChanged,
    /// A value of a string enum.
    EnumValueAdded,
    /// A value of a string enum that is gone.
    EnumValueRemoved,
    /// A `oneOf`/`anyOf` variant.
    VariantAdded,
    /// A `oneOf`/`anyOf` variant that is gone.
    VariantRemoved,
    /// `additionalProperties` of an object changed.
    AdditionalPropertiesChanged,
    /// A validation keyword (`minimum`, `maxLength`, `pattern`, ...) changed.
    ConstraintChanged,
    /// A request schema's `default` changed.
    DefaultChanged,
    /// A component schema (a generated type) was added.
    SchemaAdded,
    /// A component schema (a generated type) was removed.
    SchemaRemoved,
    /// A component schema kept its shape but its generated type has another name.
    SchemaRenamed,
}

impl ChangeKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [ChangeKind] = &[
        ChangeKind::OperationAdded,
        ChangeKind::OperationRemoved,
        ChangeKind::OperationPathChanged,
        ChangeKind::OperationDeprecated,
        ChangeKind::ParameterAdded,
        ChangeKind::ParameterRemoved,
        ChangeKind::ParameterRequiredChanged,
        ChangeKind::ParameterTypeChanged,
        ChangeKind::RequestBodyAdded,
        ChangeKind::RequestBodyRemoved,
        ChangeKind::RequestBodyRequiredChanged,
        ChangeKind::MediaTypeAdded,
        ChangeKind::MediaTypeRemoved,
        ChangeKind::ResponseAdded,
        ChangeKind::ResponseRemoved,
        ChangeKind::FieldAdded,
        ChangeKind::FieldRemoved,
        ChangeKind::FieldRequiredChanged,
        ChangeKind::FieldTypeChanged,
        ChangeKind::FieldFormatChanged,
        ChangeKind::FieldNullabilityChanged,
        ChangeKind::EnumValueAdded,
        ChangeKind::EnumValueRemoved,
        ChangeKind::VariantAdded,
        ChangeKind::VariantRemoved,
        ChangeKind::AdditionalPropertiesChanged,
        ChangeKind::ConstraintChanged,
        ChangeKind::DefaultChanged,
        ChangeKind::SchemaAdded,
        ChangeKind::SchemaRemoved,
        ChangeKind::SchemaRenamed,
    ];
}

/// How a change affects a caller of the generated client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Code that compiled may no longer compile, or a request that worked may now be rejected.
    Breaking,
    /// Neither.
    Compatible,
}

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// Breaking or compatible.
    pub severity: Severity,
    /// `<operationId> <path>`, or the path alone for component-level changes.
    pub location: String,
    /// The operationId, or `None` for a component schema.
    pub operation: Option<String>,
    /// Where inside the operation (`request body .webhook_events_filter[]`), or the component
    /// (`schema prediction_request`).
    pub path: String,
    /// What changed, briefly (`"aborted"`, `string → integer`, `optional → required`).
    pub detail: String,
    /// One sentence, for a caller of the generated client.
    pub reason: String,
}

impl std::fmt::Display for Change {
    /// `breaking: <reason>` or `compatible: <reason>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Breaking => "breaking",
            Severity::Compatible => "compatible",
        };
        write!(f, "{severity}: {}", self.reason)
    }
}

/// The changes between two specs, in a deterministic order (by operation, then place).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SpecDiff {
    /// Every change.
    pub changes: Vec<Change>,
}

/// Diffs two spec texts (JSON or YAML). Fails only when a text does not load; the error says
/// which one (`old spec` / `new spec`; callers may replace that with a file name).
pub fn diff(old: &str, new: &str) -> Result<SpecDiff> {
    let old = load::load(old).map_err(|e| e.in_file("old spec"))?;
    let new = load::load(new).map_err(|e| e.in_file("new spec"))?;
    Ok(diff_loaded(&old, &new))
}

/// Diffs two loaded specs. Never fails: what cannot be resolved is compared by its text.
pub fn diff_loaded(old: &LoadedSpec, new: &LoadedSpec) -> SpecDiff {
    let mut differ = Differ {
        old: &old.openapi,
        new: &new.openapi,
        changes: Vec::new(),
    };
    let old_ops = operations(old);
    let new_ops = operations(new);
    for (id, o) in &old_ops {
        match new_ops.get(id) {
            Some(n) => differ.operation(id, o, n),
            None => differ.push_op(
                id,
                ChangeKind::OperationRemoved,
                Severity::Breaking,
                "",
                format!("{} {}", o.method, o.path),
                "the method disappears from the client, so code calling it no longer compiles",
            ),
        }
    }
    for (id, n) in &new_ops {
        if !old_ops.contains_key(id) {
            differ.push_op(
                id,
                ChangeKind::OperationAdded,
                Severity::Compatible,
                "",
                format!("{} {}", n.method, n.path),
                "a new method on the client; existing code is unaffected",
            );
        }
    }
    differ.components();
    let mut changes = differ.changes;
    changes.sort_by(|a, b| {
        (
            a.operation.is_none(),
            &a.operation,
            &a.path,
            a.kind,
            &a.detail,
        )
            .cmp(&(
                b.operation.is_none(),
                &b.operation,
                &b.path,
                b.kind,
                &b.detail,
            ))
    });
    changes.dedup();
    SpecDiff { changes }
}

impl SpecDiff {
    /// Number of breaking changes.
    pub fn breaking(&self) -> usize {
        self.count(Severity::Breaking)
    }

    /// Number of compatible changes.
    pub fn compatible(&self) -> usize {
        self.count(Severity::Compatible)
    }

    /// True when any change is breaking.
    pub fn has_breaking(&self) -> bool {
        self.breaking() > 0
    }

    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    fn count(&self, severity: Severity) -> usize {
        self.changes
            .iter()
            .filter(|c| c.severity == severity)
            .count()
    }

    /// `N breaking, M compatible`.
    pub fn summary(&self) -> String {
        format!(
            "{} breaking, {} compatible",
            self.breaking(),
            self.compatible()
        )
    }

    /// How many changes of each kind, most frequent first (ties by kind).
    pub fn kind_counts(&self) -> Vec<(ChangeKind, usize)> {
        let mut counts: BTreeMap<ChangeKind, usize> = BTreeMap::new();
        for c in &self.changes {
            *counts.entry(c.kind).or_default() += 1;
        }
        let mut out: Vec<(ChangeKind, usize)> = counts.into_iter().collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Readable text: a summary line, then the changes grouped by operation (component schemas
    /// last), each with its reason.
    pub fn to_text(&self) -> String {
        let mut out = format!("spec diff: {}", self.summary());
        if self.is_empty() {
            out.push_str(" (no changes)\n");
            return out;
        }
        let ops = self
            .changes
            .iter()
            .filter_map(|c| c.operation.as_deref())
            .collect::<BTreeSet<_>>()
            .len();
        let mut scope = Vec::new();
        match ops {
            0 => {}
            1 => scope.push("1 operation".to_string()),
            n => scope.push(format!("{n} operations")),
        }
        if self.changes.iter().any(|c| c.operation.is_none()) {
            scope.push("component schemas".to_string());
        }
        let _ = writeln!(out, " ({})", scope.join(", "));
        let mut current: Option<Option<&str>> = None;
        for c in &self.changes {
            if current != Some(c.operation.as_deref()) {
                current = Some(c.operation.as_deref());
                let _ = writeln!(
                    out,
                    "\n{}",
                    c.operation.as_deref().unwrap_or("component schemas")
                );
            }
            let place = match (c.path.is_empty(), c.detail.is_empty()) {
                (true, _) => c.detail.clone(),
                (false, true) => c.path.clone(),
                (false, false) => format!("{}: {}", c.path, c.detail),
            };
            let severity = match c.severity {
                Severity::Breaking => "BREAKING",
                Severity::Compatible => "compatible",
            };
            let _ = writeln!(out, "  {severity:<10}  {:?}  {place}", c.kind);
            let _ = writeln!(out, "              {}", c.reason);
        }
        out
    }

    /// Pretty JSON: `{"summary": {"breaking": N, "compatible": M}, "changes": [..]}`.
    pub fn to_json(&self) -> String {
        let value = serde_json::json!({
            "summary": { "breaking": self.breaking(), "compatible": self.compatible() },
            "changes": self.changes,
        });
        serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
    }

    /// Markdown bullet lists (breaking first) for a changelog section, without a heading.
    pub fn to_markdown(&self) -> String {
        if self.is_empty() {
            return "No change to operations or types.\n".to_string();
        }
        let mut out = String::new();
        for (severity, title) in [
            (Severity::Breaking, "Breaking"),
            (Severity::Compatible, "Compatible"),
        ] {
            let items: Vec<&Change> = self
                .changes
                .iter()
                .filter(|c| c.severity == severity)
                .collect();
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(out, "{title}:\n");
            for c in items {
                let detail = if c.detail.is_empty() {
                    String::new()
                } else {
                    format!(" {}", c.detail)
                };
                let _ = writeln!(
                    out,
                    "- `{}` {:?}{detail}: {}.",
                    c.location, c.kind, c.reason
                );
            }
            out.push('\n');
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Operations

struct Op<'a> {
    method: String,
    path: String,
    op: &'a openapiv3::Operation,
    shared: &'a [ReferenceOr<Parameter>],
}

/// Every operation by the id the generator uses (operationId, or one derived from the path).
fn operations(spec: &LoadedSpec) -> BTreeMap<String, Op<'_>> {
    fn add<'s>(
        out: &mut BTreeMap<String, Op<'s>>,
        method: String,
        path: &str,
        op: &'s openapiv3::Operation,
        shared: &'s [ReferenceOr<Parameter>],
    ) {
        let id = match &op.operation_id {
            Some(id) if !id.trim().is_empty() => id.trim().to_string(),
            _ => crate::operations::derived_operation_id(&method, path),
        };
        let key = if out.contains_key(&id) {
            format!("{id} ({method} {path})")
        } else {
            id
        };
        out.insert(
            key,
            Op {
                method,
                path: path.to_string(),
                op,
                shared,
            },
        );
    }
    let mut out = BTreeMap::new();
    for (path, item) in spec.openapi.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            add(&mut out, method.to_uppercase(), path, op, &item.parameters);
        }
        for extra in spec.extra_operations.iter().filter(|e| e.path == *path) {
            let method = extra.method.clone();
            add(&mut out, method, path, &extra.operation, &item.parameters);
        }
    }
    // Operations under a path that openapiv3 did not keep (cannot happen after `load`, but the
    // diff never panics).
    for extra in &spec.extra_operations {
        if !spec.openapi.paths.paths.contains_key(&extra.path) {
            let method = extra.method.clone();
            add(&mut out, method, &extra.path, &extra.operation, &[]);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Schema views: what a schema means to the generator, after following `$ref`s.

/// A schema position: a reference, an inline schema, or "no schema" (any JSON).
#[derive(Clone, Copy)]
enum SRef<'a> {
    Ref(&'a str),
    Item(&'a Schema),
    AnyJson,
}

impl<'a> From<&'a ReferenceOr<Schema>> for SRef<'a> {
    fn from(s: &'a ReferenceOr<Schema>) -> Self {
        match s {
            ReferenceOr::Reference { reference } => SRef::Ref(reference),
            ReferenceOr::Item(s) => SRef::Item(s),
        }
    }
}

impl<'a> From<&'a ReferenceOr<Box<Schema>>> for SRef<'a> {
    fn from(s: &'a ReferenceOr<Box<Schema>>) -> Self {
        match s {
            ReferenceOr::Reference { reference } => SRef::Ref(reference),
            ReferenceOr::Item(s) => SRef::Item(s),
        }
    }
}

enum Extra<'a> {
    None,
    Any,
    Schema(SRef<'a>),
}

enum Shape<'a> {
    Any,
    Str {
        format: String,
        values: Vec<String>,
    },
    Int {
        format: String,
        i32: bool,
    },
    Num {
        format: String,
    },
    Bool,
    Array(SRef<'a>),
    Struct {
        props: Vec<(&'a str, SRef<'a>)>,
        required: BTreeSet<&'a str>,
        extra: Extra<'a>,
    },
    JsonObject,
    Map(SRef<'a>),
    Union(Vec<SRef<'a>>),
    Other(String),
}

impl Shape<'_> {
    fn name(&self) -> String {
        match self {
            Shape::Any => "any JSON".into(),
            Shape::Str { values, .. } if values.is_empty() => "string".into(),
            Shape::Str { .. } => "string enum".into(),
            Shape::Int { .. } => "integer".into(),
            Shape::Num { .. } => "number".into(),
            Shape::Bool => "boolean".into(),
            Shape::Array(_) => "array".into(),
            Shape::Struct { .. } => "object".into(),
            Shape::JsonObject => "free-form object".into(),
            Shape::Map(_) => "map".into(),
            Shape::Union(_) => "oneOf/anyOf".into(),
            Shape::Other(d) => d.clone(),
        }
    }
}

/// A validation keyword's value.
#[derive(Clone, PartialEq)]
enum Bound {
    /// Larger is tighter (`minimum`, `minLength`).
    Lower(f64),
    /// Smaller is tighter (`maximum`, `maxLength`).
    Upper(f64),
    /// `true` is tighter (`exclusiveMinimum`, `uniqueItems`).
    Flag,
    /// Any change is assumed tighter (`pattern`, `multipleOf`).
    Text(String),
}

impl Bound {
    fn show(&self) -> String {
        match self {
            Bound::Lower(v) | Bound::Upper(v) => format_number(*v),
            Bound::Flag => "true".into(),
            Bound::Text(t) => format!("`{t}`"),
        }
    }
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

struct View<'a> {
    shape: Shape<'a>,
    nullable: bool,
    default: Option<&'a serde_json::Value>,
    constraints: BTreeMap<&'static str, Bound>,
}

impl<'a> View<'a> {
    fn new(shape: Shape<'a>) -> Self {
        View {
            shape,
            nullable: false,
            default: None,
            constraints: BTreeMap::new(),
        }
    }

    /// `object`, `nullable string enum`, ...
    fn describe(&self) -> String {
        if self.nullable {
            format!("nullable {}", self.shape.name())
        } else {
            self.shape.name()
        }
    }
}

/// One step along a schema reference (the view follows chains itself, to bound its depth).
fn component_schema<'a>(spec: &'a OpenAPI, reference: &str) -> Option<&'a ReferenceOr<Schema>> {
    let name = crate::refs::component_name::<Schema>(reference, "#").ok()?;
    spec.components.as_ref()?.schemas.get(name)
}

fn view<'a>(spec: &'a OpenAPI, s: SRef<'a>) -> View<'a> {
    view_depth(spec, s, 0)
}

fn view_depth<'a>(spec: &'a OpenAPI, s: SRef<'a>, depth: usize) -> View<'a> {
    if depth > 32 {
        return View::new(Shape::Other("a `$ref` loop".into()));
    }
    match s {
        SRef::AnyJson => View::new(Shape::Any),
        SRef::Ref(r) => match component_schema(spec, r) {
            Some(next) => view_depth(spec, next.into(), depth + 1),
            None => View::new(Shape::Other(format!("unresolvable `{r}`"))),
        },
        SRef::Item(schema) => build_view(spec, schema, depth),
    }
}

fn string_format(f: &VariantOrUnknownOrEmpty<StringFormat>) -> String {
    match f {
        VariantOrUnknownOrEmpty::Item(StringFormat::Date) => "date".into(),
        VariantOrUnknownOrEmpty::Item(StringFormat::DateTime) => "date-time".into(),
        VariantOrUnknownOrEmpty::Item(StringFormat::Password) => "password".into(),
        VariantOrUnknownOrEmpty::Item(StringFormat::Byte) => "byte".into(),
        VariantOrUnknownOrEmpty::Item(StringFormat::Binary) => "binary".into(),
        VariantOrUnknownOrEmpty::Unknown(s) => s.clone(),
        VariantOrUnknownOrEmpty::Empty => String::new(),
    }
}

fn integer_format(f: &VariantOrUnknownOrEmpty<IntegerFormat>) -> String {
    match f {
        VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => "int32".into(),
        VariantOrUnknownOrEmpty::Item(IntegerFormat::Int64) => "int64".into(),
        VariantOrUnknownOrEmpty::Unknown(s) => s.clone(),
        VariantOrUnknownOrEmpty::Empty => String::new(),
    }
}

fn number_format(f: &VariantOrUnknownOrEmpty<NumberFormat>) -> String {
    match f {
        VariantOrUnknownOrEmpty::Item(NumberFormat::Float) => "float".into(),
        VariantOrUnknownOrEmpty::Item(NumberFormat::Double) => "double".into(),
        VariantOrUnknownOrEmpty::Unknown(s) => s.clone(),
        VariantOrUnknownOrEmpty::Empty => String::new(),
    }
}

#[derive(Default)]
struct Limits<'a> {
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: bool,
    exclusive_maximum: bool,
    multiple_of: Option<f64>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<&'a str>,
    min_items: Option<usize>,
    max_items: Option<usize>,
    unique_items: bool,
}

impl Limits<'_> {
    fn into_map(self) -> BTreeMap<&'static str, Bound> {
        let mut m = BTreeMap::new();
        let mut put = |k: &'static str, v: Option<Bound>| {
            if let Some(v) = v {
                m.insert(k, v);
            }
        };
        put("minimum", self.minimum.map(Bound::Lower));
        put("maximum", self.maximum.map(Bound::Upper));
        put(
            "exclusiveMinimum",
            self.exclusive_minimum.then_some(Bound::Flag),
        );
        put(
            "exclusiveMaximum",
            self.exclusive_maximum.then_some(Bound::Flag),
        );
        put(
            "multipleOf",
            self.multiple_of.map(|v| Bound::Text(format_number(v))),
        );
        put("minLength", self.min_length.map(|v| Bound::Lower(v as f64)));
        put("maxLength", self.max_length.map(|v| Bound::Upper(v as f64)));
        put("pattern", self.pattern.map(|p| Bound::Text(p.to_string())));
        put("minItems", self.min_items.map(|v| Bound::Lower(v as f64)));
        put("maxItems", self.max_items.map(|v| Bound::Upper(v as f64)));
        put("uniqueItems", self.unique_items.then_some(Bound::Flag));
        m
    }
}

fn build_view<'a>(spec: &'a OpenAPI, schema: &'a Schema, depth: usize) -> View<'a> {
    let data = &schema.schema_data;
    let mut limits = Limits::default();
    let mut view = match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => {
            limits.min_length = s.min_length;
            limits.max_length = s.max_length;
            limits.pattern = s.pattern.as_deref();
            View::new(Shape::Str {
                format: string_format(&s.format),
                values: s.enumeration.iter().flatten().cloned().collect(),
            })
        }
        SchemaKind::Type(Type::Integer(i)) => {
            limits.minimum = i.minimum.map(|v| v as f64);
            limits.maximum = i.maximum.map(|v| v as f64);
            limits.exclusive_minimum = i.exclusive_minimum;
            limits.exclusive_maximum = i.exclusive_maximum;
            limits.multiple_of = i.multiple_of.map(|v| v as f64);
            View::new(Shape::Int {
                format: integer_format(&i.format),
                i32: matches!(
                    i.format,
                    VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32)
                ),
            })
        }
        SchemaKind::Type(Type::Number(n)) => {
            limits.minimum = n.minimum;
            limits.maximum = n.maximum;
            limits.exclusive_minimum = n.exclusive_minimum;
            limits.exclusive_maximum = n.exclusive_maximum;
            limits.multiple_of = n.multiple_of;
            View::new(Shape::Num {
                format: number_format(&n.format),
            })
        }
        SchemaKind::Type(Type::Boolean(_)) => View::new(Shape::Bool),
        SchemaKind::Type(Type::Array(a)) => {
            limits.min_items = a.min_items;
            limits.max_items = a.max_items;
            limits.unique_items = a.unique_items;
            View::new(Shape::Array(
                a.items.as_ref().map(SRef::from).unwrap_or(SRef::AnyJson),
            ))
        }
        SchemaKind::Type(Type::Object(o)) => View::new(object_shape(
            &o.properties,
            &o.required,
            o.additional_properties.as_ref(),
        )),
        SchemaKind::OneOf { one_of: branches } | SchemaKind::AnyOf { any_of: branches } => {
            union_view(spec, branches, depth)
        }
        SchemaKind::AllOf { all_of } => all_of_view(spec, all_of, depth),
        SchemaKind::Not { .. } => View::new(Shape::Other("`not` schema".into())),
        SchemaKind::Any(any) => {
            limits.minimum = any.minimum;
            limits.maximum = any.maximum;
            limits.exclusive_minimum = any.exclusive_minimum.unwrap_or(false);
            limits.exclusive_maximum = any.exclusive_maximum.unwrap_or(false);
            limits.multiple_of = any.multiple_of;
            limits.min_length = any.min_length;
            limits.max_length = any.max_length;
            limits.pattern = any.pattern.as_deref();
            limits.min_items = any.min_items;
            limits.max_items = any.max_items;
            limits.unique_items = any.unique_items.unwrap_or(false);
            any_view(spec, any, depth)
        }
    };
    view.nullable |= data.nullable;
    view.default = data.default.as_ref();
    let own = limits.into_map();
    if !own.is_empty() {
        view.constraints = own;
    }
    view
}

fn object_shape<'a>(
    properties: &'a indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
    required: &'a [String],
    additional: Option<&'a AdditionalProperties>,
) -> Shape<'a> {
    let extra = match additional {
        None | Some(AdditionalProperties::Any(false)) => Extra::None,
        Some(AdditionalProperties::Any(true)) => Extra::Any,
        Some(AdditionalProperties::Schema(s)) => Extra::Schema(SRef::from(&**s)),
    };
    if properties.is_empty() {
        return match extra {
            Extra::None | Extra::Any => Shape::JsonObject,
            Extra::Schema(s) => Shape::Map(s),
        };
    }
    Shape::Struct {
        props: properties
            .iter()
            .map(|(k, v)| (k.as_str(), SRef::from(v)))
            .collect(),
        required: required.iter().map(String::as_str).collect(),
        extra,
    }
}

fn union_view<'a>(
    spec: &'a OpenAPI,
    branches: &'a [ReferenceOr<Schema>],
    depth: usize,
) -> View<'a> {
    // All branches strings with enum values: one open string enum (as the generator does).
    if let Some(union) = crate::types::string_union(branches) {
        let mut v = View::new(Shape::Str {
            format: String::new(),
            values: union.values,
        });
        v.nullable = union.nullable;
        return v;
    }
    let mut variants: Vec<(String, SRef<'a>)> = Vec::new();
    let mut nullable = false;
    for (i, b) in branches.iter().enumerate() {
        let s = SRef::from(b);
        let v = view_depth(spec, s, depth + 1);
        nullable |= v.nullable;
        let key = dedupe_key(s, &v, i);
        if !variants.iter().any(|(k, _)| *k == key) {
            variants.push((key, s));
        }
    }
    if variants.len() == 1 {
        let mut v = view_depth(spec, variants[0].1, depth + 1);
        v.nullable |= nullable;
        return v;
    }
    let mut v = View::new(Shape::Union(variants.into_iter().map(|(_, s)| s).collect()));
    v.nullable = nullable;
    v
}

/// Which `oneOf` branches the generator merges (equal Rust types): scalars by shape, references
/// by target; inline objects and enums each get a type of their own.
fn dedupe_key(s: SRef<'_>, v: &View<'_>, index: usize) -> String {
    match (&v.shape, s) {
        (Shape::Int { i32: true, .. }, _) => "i32".into(),
        (Shape::Str { values, .. }, _) if values.is_empty() => v.shape.name(),
        (
            Shape::Any | Shape::Int { .. } | Shape::Num { .. } | Shape::Bool | Shape::JsonObject,
            _,
        ) => v.shape.name(),
        (_, SRef::Ref(r)) => r.to_string(),
        _ => format!("#{index}"),
    }
}

fn all_of_view<'a>(spec: &'a OpenAPI, parts: &'a [ReferenceOr<Schema>], depth: usize) -> View<'a> {
    if parts.len() == 1 {
        return view_depth(spec, SRef::from(&parts[0]), depth + 1);
    }
    let mut props: Vec<(&'a str, SRef<'a>)> = Vec::new();
    let mut required = BTreeSet::new();
    for part in parts {
        let v = view_depth(spec, SRef::from(part), depth + 1);
        match v.shape {
            Shape::Struct {
                props: p,
                required: r,
                ..
            } => {
                for (k, s) in p {
                    props.retain(|(q, _)| *q != k);
                    props.push((k, s));
                }
                required.extend(r);
            }
            Shape::JsonObject => {}
            _ => return View::new(Shape::Other("`allOf` of non-objects".into())),
        }
    }
    if props.is_empty() {
        return View::new(Shape::JsonObject);
    }
    View::new(Shape::Struct {
        props,
        required,
        extra: Extra::None,
    })
}

fn any_view<'a>(spec: &'a OpenAPI, any: &'a openapiv3::AnySchema, depth: usize) -> View<'a> {
    if !any.one_of.is_empty() {
        return union_view(spec, &any.one_of, depth);
    }
    if !any.any_of.is_empty() {
        return union_view(spec, &any.any_of, depth);
    }
    if !any.all_of.is_empty() {
        return all_of_view(spec, &any.all_of, depth);
    }
    let typ = any.typ.as_deref().or_else(|| {
        if !any.properties.is_empty() || any.additional_properties.is_some() {
            Some("object")
        } else if any.items.is_some() {
            Some("array")
        } else {
            None
        }
    });
    let format = any.format.clone().unwrap_or_default();
    View::new(match typ {
        None => Shape::Any,
        Some("string") => {
            let values: Vec<String> = any
                .enumeration
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            if values.len() == any.enumeration.len() {
                Shape::Str { format, values }
            } else {
                Shape::Str {
                    format,
                    values: Vec::new(),
                }
            }
        }
        // openapiv3 keeps integers here only when something did not fit its typed form; the
        // generator then always uses i64.
        Some("integer") => Shape::Int { format, i32: false },
        Some("number") => Shape::Num { format },
        Some("boolean") => Shape::Bool,
        Some("array") => Shape::Array(any.items.as_ref().map(SRef::from).unwrap_or(SRef::AnyJson)),
        Some("object") => object_shape(
            &any.properties,
            &any.required,
            any.additional_properties.as_ref(),
        ),
        Some(other) => Shape::Other(format!("type `{other}`")),
    })
}

/// Component schema name → the Rust type name the generator gives it.
fn rust_names(spec: &OpenAPI) -> BTreeMap<String, String> {
    match crate::types::TypeSpace::new(spec) {
        Ok(space) => space.components,
        Err(_) => spec
            .components
            .iter()
            .flat_map(|c| c.schemas.keys())
            .map(|k| (k.clone(), crate::naming::type_name(k)))
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// The comparison

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Request,
    Response,
}

/// Where a schema sits, which decides whether its Rust type is `Option`.
#[derive(Clone, Copy)]
enum Pos {
    /// A request body or parameter (never `Option`), or a response body (`Option` if nullable).
    Root { param: bool },
    /// A struct field.
    Field {
        old_required: bool,
        new_required: bool,
    },
    /// Array items or map values.
    Item,
    /// A `oneOf` variant (nullability belongs to the union).
    Variant,
}

/// An object's properties, required names and extra properties, as `fields` compares them.
type Props<'v, 'c> = (
    &'v [(&'c str, SRef<'c>)],
    &'v BTreeSet<&'c str>,
    &'v Extra<'c>,
);

struct Cx<'c> {
    op: &'c str,
    place: String,
    dir: Dir,
    form: bool,
    stack: Vec<(&'c str, &'c str)>,
}

struct Differ<'a> {
    old: &'a OpenAPI,
    new: &'a OpenAPI,
    changes: Vec<Change>,
}

struct BodyView<'a> {
    media: Vec<&'a str>,
    /// The media type the client sends and how (`json`, `multipart`, `text`, `bytes`).
    chosen: Option<(&'a str, &'static str, SRef<'a>)>,
    required: bool,
}

impl<'a> Differ<'a> {
    fn push(
        &mut self,
        operation: Option<&str>,
        kind: ChangeKind,
        severity: Severity,
        path: &str,
        detail: String,
        reason: &str,
    ) {
        let location = match operation {
            Some(op) if path.is_empty() => op.to_string(),
            Some(op) => format!("{op} {path}"),
            None => path.to_string(),
        };
        self.changes.push(Change {
            kind,
            severity,
            location,
            operation: operation.map(str::to_string),
            path: path.to_string(),
            detail,
            reason: reason.to_string(),
        });
    }

    fn push_op(
        &mut self,
        op: &str,
        kind: ChangeKind,
        severity: Severity,
        path: &str,
        detail: String,
        reason: &str,
    ) {
        self.push(Some(op), kind, severity, path, detail, reason);
    }

    fn operation(&mut self, id: &str, o: &Op<'a>, n: &Op<'a>) {
        if o.method != n.method || o.path != n.path {
            self.push_op(
                id,
                ChangeKind::OperationPathChanged,
                Severity::Compatible,
                "",
                format!("{} {} → {} {}", o.method, o.path, n.method, n.path),
                "the method keeps its name and now sends its requests to the new place",
            );
        }
        if !o.op.deprecated && n.op.deprecated {
            self.push_op(
                id,
                ChangeKind::OperationDeprecated,
                Severity::Compatible,
                "",
                String::new(),
                "the method gets `#[deprecated]`, which warns but still compiles",
            );
        }
        self.parameters(id, o, n);
        self.request_body(id, o.op, n.op);
        self.responses(id, o.op, n.op);
    }

    // -- parameters

    fn params(spec: &'a OpenAPI, op: &Op<'a>) -> BTreeMap<(String, String), (&'a Parameter, bool)> {
        let mut out = BTreeMap::new();
        for p in op.shared.iter().chain(op.op.parameters.iter()) {
            let Ok(p) = crate::refs::resolve(spec, p, "#") else {
                continue;
            };
            let data = p.parameter_data_ref();
            let (loc, key) = match p {
                Parameter::Path { .. } => ("path parameter", data.name.clone()),
                Parameter::Query { .. } => ("query parameter", data.name.clone()),
                Parameter::Header { .. } => ("header", data.name.to_ascii_lowercase()),
                Parameter::Cookie { .. } => ("cookie", data.name.clone()),
            };
            let required = data.required || matches!(p, Parameter::Path { .. });
            out.insert((loc.to_string(), key), (p, required));
        }
        out
    }

    fn parameters(&mut self, id: &str, o: &Op<'a>, n: &Op<'a>) {
        let old = Self::params(self.old, o);
        let new = Self::params(self.new, n);
        for ((loc, key), (p, required)) in &old {
            let place = format!("{loc} {}", p.parameter_data_ref().name);
            let Some((q, new_required)) = new.get(&(loc.clone(), key.clone())) else {
                self.push_op(
                    id,
                    ChangeKind::ParameterRemoved,
                    Severity::Breaking,
                    &place,
                    String::new(),
                    if *required {
                        "the method loses a positional argument, so existing calls no longer compile"
                    } else {
                        "the request builder loses its setter, so code calling it no longer compiles"
                    },
                );
                continue;
            };
            if required != new_required {
                let (detail, reason) = if *new_required {
                    ("optional → required", "the setter becomes a positional argument of the method, so existing calls no longer compile, and requests without it are rejected")
                } else {
                    ("required → optional", "the positional argument becomes a builder setter, so existing calls no longer compile")
                };
                self.push_op(
                    id,
                    ChangeKind::ParameterRequiredChanged,
                    Severity::Breaking,
                    &place,
                    detail.into(),
                    reason,
                );
            }
            let mut cx = Cx {
                op: id,
                place,
                dir: Dir::Request,
                form: false,
                stack: Vec::new(),
            };
            self.schema(
                &mut cx,
                param_schema(p),
                param_schema(q),
                Pos::Root { param: true },
                "",
            );
        }
        for ((loc, key), (p, required)) in &new {
            if old.contains_key(&(loc.clone(), key.clone())) {
                continue;
            }
            let place = format!("{loc} {}", p.parameter_data_ref().name);
            let v = view(self.new, param_schema(p));
            if *required {
                self.push_op(
                    id,
                    ChangeKind::ParameterAdded,
                    Severity::Breaking,
                    &place,
                    format!("required {}", v.shape.name()),
                    "the method takes a new positional argument, so existing calls no longer compile, and requests without it are rejected",
                );
            } else {
                self.push_op(
                    id,
                    ChangeKind::ParameterAdded,
                    Severity::Compatible,
                    &place,
                    format!("optional {}", v.shape.name()),
                    "a new optional setter on the request builder; existing calls are unaffected",
                );
            }
        }
    }

    // -- request bodies

    fn body_view(spec: &'a OpenAPI, op: &'a openapiv3::Operation) -> Option<BodyView<'a>> {
        let body: &RequestBody = crate::refs::resolve(spec, op.request_body.as_ref()?, "#").ok()?;
        let media: Vec<&str> = body.content.keys().map(String::as_str).collect();
        let chosen = body_media(&body.content);
        let required = body_required(
            schemas_of(spec),
            body,
            chosen.and_then(|c| c.2.schema.as_ref()),
        );
        let chosen = chosen.map(|(kind, m, media)| {
            let kind = match kind {
                BodyKind::Json => "json",
                BodyKind::Multipart => "multipart",
                BodyKind::Text => "text",
                BodyKind::Bytes => "bytes",
            };
            let schema = media
                .schema
                .as_ref()
                .map(SRef::from)
                .unwrap_or(SRef::AnyJson);
            (m.as_str(), kind, schema)
        });
        Some(BodyView {
            media,
            chosen,
            required,
        })
    }

    fn request_body(&mut self, id: &str, o: &'a openapiv3::Operation, n: &'a openapiv3::Operation) {
        let place = "request body";
        match (Self::body_view(self.old, o), Self::body_view(self.new, n)) {
            (None, None) => {}
            (Some(_), None) => self.push_op(
                id,
                ChangeKind::RequestBodyRemoved,
                Severity::Breaking,
                place,
                String::new(),
                "the method no longer takes a body, so code passing one no longer compiles",
            ),
            (None, Some(b)) if b.required => self.push_op(
                id,
                ChangeKind::RequestBodyAdded,
                Severity::Breaking,
                place,
                "required".into(),
                "the method takes the body as a new positional argument, so existing calls no longer compile, and requests without it are rejected",
            ),
            (None, Some(_)) => self.push_op(
                id,
                ChangeKind::RequestBodyAdded,
                Severity::Compatible,
                place,
                "optional".into(),
                "a new optional `.body(..)` setter; existing calls are unaffected",
            ),
            (Some(a), Some(b)) => {
                if a.required != b.required {
                    let (detail, reason) = if b.required {
                        ("optional → required", "the `.body(..)` setter becomes a positional argument, so existing calls no longer compile, and requests without a body are rejected")
                    } else {
                        ("required → optional", "the body argument becomes a `.body(..)` setter, so existing calls no longer compile")
                    };
                    self.push_op(
                        id,
                        ChangeKind::RequestBodyRequiredChanged,
                        Severity::Breaking,
                        place,
                        detail.into(),
                        reason,
                    );
                }
                let old_chosen = a.chosen.map(|c| c.0);
                let new_chosen = b.chosen.map(|c| c.0);
                for m in a.media.iter().filter(|m| !b.media.contains(m)) {
                    if Some(*m) == old_chosen {
                        self.push_op(id, ChangeKind::MediaTypeRemoved, Severity::Breaking, place, format!("`{m}`"),
                            "the client sent this media type; it now encodes the body differently, so the body's type changes and old requests may be rejected");
                    } else {
                        self.push_op(id, ChangeKind::MediaTypeRemoved, Severity::Compatible, place, format!("`{m}`"),
                            "the client never sent this media type");
                    }
                }
                for m in b.media.iter().filter(|m| !a.media.contains(m)) {
                    if Some(*m) == new_chosen {
                        self.push_op(id, ChangeKind::MediaTypeAdded, Severity::Breaking, place, format!("`{m}`"),
                            "the client now sends this media type instead, so the body's type changes");
                    } else {
                        self.push_op(id, ChangeKind::MediaTypeAdded, Severity::Compatible, place, format!("`{m}`"),
                            "the client keeps sending the media type it sent before");
                    }
                }
                if let (Some((_, ka, sa)), Some((_, kb, sb))) = (a.chosen, b.chosen) {
                    if ka == kb && (ka == "json" || ka == "multipart") {
                        let mut cx = Cx {
                            op: id,
                            place: place.to_string(),
                            dir: Dir::Request,
                            form: ka == "multipart",
                            stack: Vec::new(),
                        };
                        self.schema(&mut cx, sa, sb, Pos::Root { param: false }, "");
                    }
                }
            }
        }
    }

    // -- responses

    fn response_map(
        spec: &'a OpenAPI,
        op: &'a openapiv3::Operation,
    ) -> BTreeMap<String, (bool, Option<&'a Response>)> {
        let mut out = BTreeMap::new();
        let resolve = |r: &'a ReferenceOr<Response>| crate::refs::resolve(spec, r, "#").ok();
        for (code, r) in &op.responses.responses {
            let success = match code {
                StatusCode::Code(c) => (200..300).contains(c),
                StatusCode::Range(r) => *r == 2,
            };
            out.insert(code.to_string(), (success, resolve(r)));
        }
        if let Some(r) = &op.responses.default {
            out.insert("default".to_string(), (false, resolve(r)));
        }
        out
    }

    fn decoding(r: Option<&'a Response>) -> (Decoding, Option<&'a str>, SRef<'a>, Vec<&'a str>) {
        let Some(r) = r else {
            return (Decoding::Empty, None, SRef::AnyJson, Vec::new());
        };
        let media: Vec<&str> = r.content.keys().map(String::as_str).collect();
        let (decoding, chosen) = response_media(&r.content);
        let schema = match (decoding, chosen) {
            (Decoding::Json, Some((_, mt))) => mt.schema.as_ref().map(SRef::from),
            _ => None,
        };
        let m = chosen.map(|(m, _)| m.as_str());
        (decoding, m, schema.unwrap_or(SRef::AnyJson), media)
    }

    fn responses(&mut self, id: &str, o: &'a openapiv3::Operation, n: &'a openapiv3::Operation) {
        let old = Self::response_map(self.old, o);
        let new = Self::response_map(self.new, n);
        for (code, (success, _)) in &old {
            if new.contains_key(code) {
                continue;
            }
            let place = format!("response {code}");
            if *success {
                self.push_op(id, ChangeKind::ResponseRemoved, Severity::Breaking, &place, "success status".into(),
                    "the method's return type changes (a variant of its response enum, or the single response type, goes), so code using it no longer compiles");
            } else {
                self.push_op(
                    id,
                    ChangeKind::ResponseRemoved,
                    Severity::Compatible,
                    &place,
                    "error status".into(),
                    "error statuses surface as `Error::Api` and have no generated type",
                );
            }
        }
        for (code, (success, _)) in &new {
            if old.contains_key(code) {
                continue;
            }
            let place = format!("response {code}");
            if *success {
                self.push_op(id, ChangeKind::ResponseAdded, Severity::Breaking, &place, "success status".into(),
                    "the method's return type changes (its response enum gains a variant, or a single type becomes an enum), so exhaustive matches and type annotations no longer compile");
            } else {
                self.push_op(
                    id,
                    ChangeKind::ResponseAdded,
                    Severity::Compatible,
                    &place,
                    "error status".into(),
                    "error statuses surface as `Error::Api` and have no generated type",
                );
            }
        }
        for (code, (success, ro)) in &old {
            let Some((_, rn)) = new.get(code) else {
                continue;
            };
            let place = format!("response {code}");
            let (dec_o, chosen_o, so, media_o) = Self::decoding(*ro);
            let (dec_n, chosen_n, sn, media_n) = Self::decoding(*rn);
            let changed = dec_o != dec_n;
            let reason_changed = format!(
                "the client decoded this status as {} and now decodes it as {}, so the method's return type changes",
                dec_o.name(),
                dec_n.name()
            );
            for m in media_o.iter().filter(|m| !media_n.contains(m)) {
                if *success && changed && Some(*m) == chosen_o {
                    self.push_op(
                        id,
                        ChangeKind::MediaTypeRemoved,
                        Severity::Breaking,
                        &place,
                        format!("`{m}`"),
                        &reason_changed,
                    );
                } else {
                    let why = if *success {
                        "the client decodes this status as it did before"
                    } else {
                        "error bodies are decoded into `ApiError`, whatever their media type"
                    };
                    self.push_op(
                        id,
                        ChangeKind::MediaTypeRemoved,
                        Severity::Compatible,
                        &place,
                        format!("`{m}`"),
                        why,
                    );
                }
            }
            for m in media_n.iter().filter(|m| !media_o.contains(m)) {
                if *success && changed && Some(*m) == chosen_n {
                    self.push_op(
                        id,
                        ChangeKind::MediaTypeAdded,
                        Severity::Breaking,
                        &place,
                        format!("`{m}`"),
                        &reason_changed,
                    );
                } else {
                    let why = if *success {
                        "the client decodes this status as it did before"
                    } else {
                        "error bodies are decoded into `ApiError`, whatever their media type"
                    };
                    self.push_op(
                        id,
                        ChangeKind::MediaTypeAdded,
                        Severity::Compatible,
                        &place,
                        format!("`{m}`"),
                        why,
                    );
                }
            }
            if *success && dec_o == Decoding::Json && dec_n == Decoding::Json {
                let mut cx = Cx {
                    op: id,
                    place,
                    dir: Dir::Response,
                    form: false,
                    stack: Vec::new(),
                };
                self.schema(&mut cx, so, sn, Pos::Root { param: false }, "");
            }
        }
    }

    // -- schemas

    fn at(
        &mut self,
        cx: &Cx<'_>,
        kind: ChangeKind,
        severity: Severity,
        sub: &str,
        detail: String,
        reason: &str,
    ) {
        let path = if sub.is_empty() {
            cx.place.clone()
        } else {
            format!("{} {sub}", cx.place)
        };
        let op = cx.op.to_string();
        self.push(Some(&op), kind, severity, &path, detail, reason);
    }

    /// Compares two schemas at the same place. `sub` is the field path below `cx.place`.
    fn schema<'c>(&mut self, cx: &mut Cx<'c>, o: SRef<'c>, n: SRef<'c>, pos: Pos, sub: &str)
    where
        'a: 'c,
    {
        if cx.stack.len() > 48 {
            return;
        }
        // References met on the way down (inline schemas push an empty pair, which only counts
        // towards the depth limit): a pair met again is a recursion already being compared.
        let pair = match (o, n) {
            (SRef::Ref(a), SRef::Ref(b)) => (a, b),
            _ => ("", ""),
        };
        if !pair.0.is_empty() && cx.stack.contains(&pair) {
            return;
        }
        cx.stack.push(pair);
        let vo = view(self.old, o);
        let vn = view(self.new, n);
        self.compare_views(cx, &vo, &vn, pos, sub);
        cx.stack.pop();
    }

    fn compare_views<'c>(
        &mut self,
        cx: &mut Cx<'c>,
        vo: &View<'c>,
        vn: &View<'c>,
        pos: Pos,
        sub: &str,
    ) where
        'a: 'c,
    {
        let request = cx.dir == Dir::Request;
        self.arity(cx, vo, vn, pos, sub);
        let (name_o, name_n) = (vo.shape.name(), vn.shape.name());
        if name_o != name_n {
            let kind = if matches!(pos, Pos::Root { param: true }) {
                ChangeKind::ParameterTypeChanged
            } else {
                ChangeKind::FieldTypeChanged
            };
            self.at(
                cx,
                kind,
                Severity::Breaking,
                sub,
                format!("{name_o} → {name_n}"),
                "the generated type changes, so code that compiled may no longer compile",
            );
            return;
        }
        self.constraints(cx, vo, vn, sub);
        if request && vo.default != vn.default {
            let show = |d: Option<&serde_json::Value>| {
                d.map(|v| format!("`{v}`")).unwrap_or_else(|| "none".into())
            };
            self.at(cx, ChangeKind::DefaultChanged, Severity::Compatible, sub,
                format!("{} → {}", show(vo.default), show(vn.default)),
                "the server uses another value when the field is omitted; the generated code never sends defaults itself");
        }
        match (&vo.shape, &vn.shape) {
            (
                Shape::Str {
                    format: fa,
                    values: va,
                },
                Shape::Str {
                    format: fb,
                    values: vb,
                },
            ) => self.strings(cx, (fa, va), (fb, vb), sub),
            (
                Shape::Int {
                    format: fa,
                    i32: ia,
                },
                Shape::Int {
                    format: fb,
                    i32: ib,
                },
            ) if fa != fb => {
                let detail = format!(
                    "{} → {}",
                    if fa.is_empty() { "none" } else { fa },
                    if fb.is_empty() { "none" } else { fb }
                );
                if ia != ib {
                    let (ta, tb) = (
                        if *ia { "i32" } else { "i64" },
                        if *ib { "i32" } else { "i64" },
                    );
                    self.at(cx, ChangeKind::FieldFormatChanged, Severity::Breaking, sub, detail,
                        &format!("the Rust type changes from `{ta}` to `{tb}`, so code that compiled may no longer compile"));
                } else {
                    self.at(
                        cx,
                        ChangeKind::FieldFormatChanged,
                        Severity::Compatible,
                        sub,
                        detail,
                        "the Rust type stays `i64`",
                    );
                }
            }
            (Shape::Num { format: fa }, Shape::Num { format: fb }) if fa != fb => {
                let detail = format!(
                    "{} → {}",
                    if fa.is_empty() { "none" } else { fa },
                    if fb.is_empty() { "none" } else { fb }
                );
                self.at(
                    cx,
                    ChangeKind::FieldFormatChanged,
                    Severity::Compatible,
                    sub,
                    detail,
                    "the Rust type stays `f64`",
                );
            }
            (Shape::Array(a), Shape::Array(b)) => {
                let sub = format!("{sub}[]");
                self.schema(cx, *a, *b, Pos::Item, &sub);
            }
            (Shape::Map(a), Shape::Map(b)) => {
                let sub = format!("{sub}{{}}");
                self.schema(cx, *a, *b, Pos::Item, &sub);
            }
            (
                Shape::Struct {
                    props: pa,
                    required: ra,
                    extra: ea,
                },
                Shape::Struct {
                    props: pb,
                    required: rb,
                    extra: eb,
                },
            ) => self.fields(cx, (pa, ra, ea), (pb, rb, eb), sub),
            (Shape::Union(va), Shape::Union(vb)) => self.union(cx, va, vb, sub),
            _ => {}
        }
    }

    /// Whether a value must be given, and may be null: both decide whether its Rust type is
    /// `Option`, by the generator's own rule ([`Place`]).
    fn arity(&mut self, cx: &Cx<'_>, vo: &View<'_>, vn: &View<'_>, pos: Pos, sub: &str) {
        let request = cx.dir == Dir::Request;
        // Is the Rust type `Option<_>` here? The generator's own rule decides.
        let optional = |nullable: bool, required: bool| {
            let place = match pos {
                Pos::Root { param: true } => Place::Parameter,
                Pos::Root { .. } if request => Place::RequestBody,
                Pos::Root { .. } => Place::ResponseBody,
                Pos::Field { .. } => Place::Field { required },
                Pos::Item => Place::Item,
                Pos::Variant => Place::Variant,
            };
            place.is_option(nullable)
        };
        let (old_req, new_req) = match pos {
            Pos::Field {
                old_required,
                new_required,
            } => (old_required, new_required),
            _ => (true, true),
        };
        let opt_o = optional(vo.nullable, old_req);
        let opt_n = optional(vn.nullable, new_req);

        if old_req != new_req {
            let detail = if new_req {
                "optional → required"
            } else {
                "required → optional"
            };
            let (severity, reason) = if opt_o != opt_n {
                (
                    Severity::Breaking,
                    if new_req {
                        "the field's type changes from `Option<T>` to `T`, so code that compiled no longer does"
                    } else {
                        "the field's type changes from `T` to `Option<T>`, so code that compiled no longer does"
                    },
                )
            } else if request && new_req {
                (Severity::Breaking, "requests that omit the field may now be rejected (its type stays `Option<T>` because it is nullable)")
            } else if request {
                (Severity::Compatible, "the field may now be omitted; its type stays `Option<T>` because it is nullable")
            } else {
                (
                    Severity::Compatible,
                    "the field's type stays `Option<T>` because it is nullable",
                )
            };
            self.at(
                cx,
                ChangeKind::FieldRequiredChanged,
                severity,
                sub,
                detail.into(),
                reason,
            );
        }
        if vo.nullable != vn.nullable && !matches!(pos, Pos::Variant) {
            let detail = if vn.nullable {
                "not nullable → nullable"
            } else {
                "nullable → not nullable"
            };
            let (severity, reason) = if opt_o != opt_n {
                (
                    Severity::Breaking,
                    if opt_n {
                        "the type changes from `T` to `Option<T>`, so code that compiled no longer does"
                    } else {
                        "the type changes from `Option<T>` to `T`, so code that compiled no longer does"
                    },
                )
            } else {
                match pos {
                    Pos::Root { param: true } => (Severity::Compatible, "parameters are never `Option` in the generated code; only what the server accepts changes"),
                    Pos::Root { .. } => (Severity::Compatible, "request bodies are never `Option` in the generated code"),
                    _ => (Severity::Compatible, "the field is optional, so its type is `Option<T>` either way"),
                }
            };
            // A nullable request value that stops being nullable only matters for the
            // generated type, which `opt_o != opt_n` covered; the client never sends null for
            // an optional field.
            self.at(
                cx,
                ChangeKind::FieldNullabilityChanged,
                severity,
                sub,
                detail.into(),
                reason,
            );
        }
    }

    /// A string's format and enum values.
    fn strings(
        &mut self,
        cx: &Cx<'_>,
        (fa, va): (&String, &[String]),
        (fb, vb): (&String, &[String]),
        sub: &str,
    ) {
        let request = cx.dir == Dir::Request;
        if fa != fb {
            let show = |f: &str| {
                if f.is_empty() {
                    "none".to_string()
                } else {
                    format!("`{f}`")
                }
            };
            let detail = format!("{} → {}", show(fa), show(fb));
            let file_change = cx.form && (fa == "binary" || fb == "binary");
            let (severity, reason) = if file_change {
                (Severity::Breaking, "in a multipart form a `binary` string is a file part, so the field's type changes between `FilePart` and `String`")
            } else if request && !fb.is_empty() {
                (Severity::Breaking, "the server may now reject values it accepted before (the Rust type stays `String`)")
            } else if request {
                (
                    Severity::Compatible,
                    "the server accepts at least what it did before; the Rust type stays `String`",
                )
            } else {
                (Severity::Compatible, "the Rust type stays `String`")
            };
            self.at(
                cx,
                ChangeKind::FieldFormatChanged,
                severity,
                sub,
                detail,
                reason,
            );
        }
        for v in va.iter().filter(|v| !vb.contains(v)) {
            let reason = if request {
                "the variant disappears from the generated enum, so code naming it no longer compiles, and the server rejects the value"
            } else {
                "the variant disappears from the generated enum, so code naming it no longer compiles"
            };
            self.at(
                cx,
                ChangeKind::EnumValueRemoved,
                Severity::Breaking,
                sub,
                format!("`{v}`"),
                reason,
            );
        }
        for v in vb.iter().filter(|v| !va.contains(v)) {
            let reason = if request {
                "the server accepts one more value, and the generated enum (which is `#[non_exhaustive]`) gains a variant"
            } else {
                "the value decoded as `Unknown` before and gets its own variant now; the enum is `#[non_exhaustive]`, so matches already have a wildcard arm"
            };
            self.at(
                cx,
                ChangeKind::EnumValueAdded,
                Severity::Compatible,
                sub,
                format!("`{v}`"),
                reason,
            );
        }
    }

    /// The properties of two objects, matched by name, and their extra properties.
    fn fields<'c>(
        &mut self,
        cx: &mut Cx<'c>,
        (pa, ra, ea): Props<'_, 'c>,
        (pb, rb, eb): Props<'_, 'c>,
        sub: &str,
    ) where
        'a: 'c,
    {
        let request = cx.dir == Dir::Request;
        for (name, s) in pa {
            let field = format!("{sub}.{name}");
            match pb.iter().find(|(k, _)| k == name) {
                Some((_, t)) => self.schema(
                    cx,
                    *s,
                    *t,
                    Pos::Field {
                        old_required: ra.contains(name),
                        new_required: rb.contains(name),
                    },
                    &field,
                ),
                None => {
                    let was = view(self.old, *s);
                    let req = if ra.contains(name) {
                        "required"
                    } else {
                        "optional"
                    };
                    let reason = if request {
                        "the generated struct loses the field, so code setting it no longer compiles"
                    } else {
                        "the generated struct loses the field, so code reading it no longer compiles"
                    };
                    self.at(
                        cx,
                        ChangeKind::FieldRemoved,
                        Severity::Breaking,
                        &field,
                        format!("{req} {}", was.describe()),
                        reason,
                    );
                }
            }
        }
        for (name, s) in pb {
            if pa.iter().any(|(k, _)| k == name) {
                continue;
            }
            let field = format!("{sub}.{name}");
            let now = view(self.new, *s);
            let required = rb.contains(name);
            let detail = format!(
                "{} {}",
                if required { "required" } else { "optional" },
                now.describe()
            );
            let (severity, reason) = match (request, required) {
                (true, true) => (Severity::Breaking, "requests without the new required field may be rejected, and the generated struct gains a field that must be set"),
                (true, false) => (Severity::Compatible, "a new optional field; requests without it are still valid"),
                (false, _) => (Severity::Compatible, "the generated struct gains a field; code reading the others is unaffected"),
            };
            self.at(cx, ChangeKind::FieldAdded, severity, &field, detail, reason);
        }
        self.extra(cx, ea, eb, sub);
    }

    fn extra<'c>(&mut self, cx: &mut Cx<'c>, a: &Extra<'c>, b: &Extra<'c>, sub: &str)
    where
        'a: 'c,
    {
        let name = |e: &Extra<'_>| match e {
            Extra::None => "not allowed",
            Extra::Any => "any JSON",
            Extra::Schema(_) => "typed",
        };
        match (a, b) {
            (Extra::None, Extra::None) | (Extra::Any, Extra::Any) => {}
            (Extra::Schema(x), Extra::Schema(y)) => {
                let sub = format!("{sub}{{}}");
                self.schema(cx, *x, *y, Pos::Item, &sub);
            }
            (Extra::None, _) => self.at(cx, ChangeKind::AdditionalPropertiesChanged, Severity::Compatible, sub,
                format!("{} → {}", name(a), name(b)),
                "the generated struct gains an `additional_properties` map; existing code is unaffected"),
            (_, Extra::None) => self.at(cx, ChangeKind::AdditionalPropertiesChanged, Severity::Breaking, sub,
                format!("{} → {}", name(a), name(b)),
                "the generated struct loses its `additional_properties` map, so code using it no longer compiles"),
            _ => self.at(cx, ChangeKind::AdditionalPropertiesChanged, Severity::Breaking, sub,
                format!("{} → {}", name(a), name(b)),
                "the value type of the `additional_properties` map changes"),
        }
    }

    fn union<'c>(&mut self, cx: &mut Cx<'c>, va: &[SRef<'c>], vb: &[SRef<'c>], sub: &str)
    where
        'a: 'c,
    {
        // Variants are matched by shape, in order (the first object with the first object, and
        // so on), so renamed components still match.
        let request = cx.dir == Dir::Request;
        let shapes = |spec: &'c OpenAPI, v: &[SRef<'c>]| -> Vec<(String, SRef<'c>)> {
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            v.iter()
                .map(|s| {
                    let name = view(spec, *s).shape.name();
                    let n = seen.entry(name.clone()).or_default();
                    *n += 1;
                    let label = if *n == 1 { name } else { format!("{name} {n}") };
                    (label, *s)
                })
                .collect()
        };
        let a = shapes(self.old, va);
        let b = shapes(self.new, vb);
        for (label, s) in &a {
            match b.iter().find(|(t, _)| t == label) {
                Some((_, t)) => {
                    let sub = format!("{sub}<{label}>");
                    self.schema(cx, *s, *t, Pos::Variant, &sub);
                }
                None => self.at(cx, ChangeKind::VariantRemoved, Severity::Breaking, sub, format!("`{label}`"),
                    "the variant disappears from the generated enum, so code naming it no longer compiles"),
            }
        }
        for (label, _) in &b {
            if a.iter().any(|(t, _)| t == label) {
                continue;
            }
            if request {
                self.at(
                    cx,
                    ChangeKind::VariantAdded,
                    Severity::Compatible,
                    sub,
                    format!("`{label}`"),
                    "the server accepts one more shape; existing values still serialize as before",
                );
            } else {
                self.at(cx, ChangeKind::VariantAdded, Severity::Breaking, sub, format!("`{label}`"),
                    "the generated untagged enum gains a variant, so exhaustive matches on it no longer compile");
            }
        }
    }

    fn constraints(&mut self, cx: &Cx<'_>, vo: &View<'_>, vn: &View<'_>, sub: &str) {
        let request = cx.dir == Dir::Request;
        let keys: BTreeSet<&&str> = vo.constraints.keys().chain(vn.constraints.keys()).collect();
        for key in keys {
            let (a, b) = (vo.constraints.get(*key), vn.constraints.get(*key));
            if a == b {
                continue;
            }
            let tighter = match (a, b) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(Bound::Lower(x)), Some(Bound::Lower(y))) => y > x,
                (Some(Bound::Upper(x)), Some(Bound::Upper(y))) => y < x,
                _ => true,
            };
            let show = |v: Option<&Bound>| v.map(Bound::show).unwrap_or_else(|| "none".into());
            let detail = format!("{key} {} → {}", show(a), show(b));
            let (severity, reason) = match (request, tighter) {
                (true, true) => (
                    Severity::Breaking,
                    "a tighter rule: the server may reject values it accepted before",
                ),
                (true, false) => (
                    Severity::Compatible,
                    "a looser rule: everything accepted before is still accepted",
                ),
                (false, _) => (
                    Severity::Compatible,
                    "the client does not validate responses, so nothing changes for callers",
                ),
            };
            self.at(
                cx,
                ChangeKind::ConstraintChanged,
                severity,
                sub,
                detail,
                reason,
            );
        }
    }

    // -- component schemas

    fn components(&mut self) {
        let old_names = rust_names(self.old);
        let new_names = rust_names(self.new);
        let old_rust: BTreeMap<&str, &str> = old_names
            .iter()
            .map(|(c, r)| (r.as_str(), c.as_str()))
            .collect();
        let new_rust: BTreeMap<&str, &str> = new_names
            .iter()
            .map(|(c, r)| (r.as_str(), c.as_str()))
            .collect();
        let removed: Vec<(&str, &str)> = old_rust
            .iter()
            .filter(|(r, _)| !new_rust.contains_key(*r))
            .map(|(r, c)| (*r, *c))
            .collect();
        let mut added: Vec<(&str, &str)> = new_rust
            .iter()
            .filter(|(r, _)| !old_rust.contains_key(*r))
            .map(|(r, c)| (*r, *c))
            .collect();
        for (rust, comp) in removed {
            let old_ref = format!("#/components/schemas/{comp}");
            let twin = added.iter().position(|(_, c)| {
                let new_ref = format!("#/components/schemas/{c}");
                self.same_shape(&old_ref, &new_ref)
            });
            let path = format!("schema {comp}");
            match twin {
                Some(i) => {
                    let (new_rust_name, new_comp) = added.remove(i);
                    let reason = format!("the generated type `{rust}` is now called `{new_rust_name}`, so code naming `{rust}` no longer compiles");
                    self.push(
                        None,
                        ChangeKind::SchemaRenamed,
                        Severity::Breaking,
                        &path,
                        format!("`{rust}` → `{new_rust_name}` (component `{new_comp}`)"),
                        &reason,
                    );
                }
                None => {
                    let reason = format!("the generated type `{rust}` disappears, so code naming it no longer compiles");
                    self.push(
                        None,
                        ChangeKind::SchemaRemoved,
                        Severity::Breaking,
                        &path,
                        format!("`{rust}`"),
                        &reason,
                    );
                }
            }
        }
        for (rust, comp) in added {
            self.push(
                None,
                ChangeKind::SchemaAdded,
                Severity::Compatible,
                &format!("schema {comp}"),
                format!("`{rust}`"),
                "a new generated type; existing code is unaffected",
            );
        }
    }

    /// True when two component schemas compare equal in both directions.
    fn same_shape(&self, old_ref: &str, new_ref: &str) -> bool {
        let mut scratch = Differ {
            old: self.old,
            new: self.new,
            changes: Vec::new(),
        };
        for dir in [Dir::Request, Dir::Response] {
            let mut cx = Cx {
                op: "",
                place: String::new(),
                dir,
                form: false,
                stack: Vec::new(),
            };
            scratch.schema(
                &mut cx,
                SRef::Ref(old_ref),
                SRef::Ref(new_ref),
                Pos::Root { param: false },
                "",
            );
        }
        scratch.changes.is_empty()
    }
}

fn param_schema(p: &Parameter) -> SRef<'_> {
    match &p.parameter_data_ref().format {
        ParameterSchemaOrContent::Schema(s) => SRef::from(s),
        ParameterSchemaOrContent::Content(_) => SRef::AnyJson,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(paths: &str, schemas: &str) -> String {
        format!(
            r#"{{"openapi":"3.1.0","info":{{"title":"t","version":"1"}},"paths":{paths},"components":{{"schemas":{schemas}}}}}"#
        )
    }

    const GET_P: &str = r##"{"/p/{id}":{"get":{"operationId":"p.get","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/P"}}}}}}}}"##;

    #[test]
    fn identical_specs_have_no_changes() {
        let s = spec(
            GET_P,
            r#"{"P":{"type":"object","properties":{"a":{"type":"string"}}}}"#,
        );
        let d = diff(&s, &s).unwrap();
        assert!(d.is_empty(), "{}", d.to_text());
        assert_eq!(
            d.to_text(),
            "spec diff: 0 breaking, 0 compatible (no changes)\n"
        );
    }

    #[test]
    fn renamed_component_is_not_a_field_change() {
        let old = spec(
            GET_P,
            r#"{"P":{"type":"object","properties":{"a":{"type":"string"}}}}"#,
        );
        let new = spec(
            &GET_P.replace("schemas/P", "schemas/Q"),
            r#"{"Q":{"type":"object","properties":{"a":{"type":"string"}}}}"#,
        );
        let d = diff(&old, &new).unwrap();
        assert_eq!(d.changes.len(), 1, "{}", d.to_text());
        assert_eq!(d.changes[0].kind, ChangeKind::SchemaRenamed);
        assert_eq!(d.changes[0].severity, Severity::Breaking);
    }

    #[test]
    fn recursive_schemas_terminate() {
        let s = r##"{"P":{"type":"object","properties":{"next":{"$ref":"#/components/schemas/P"},"a":{"type":"string"}}}}"##;
        let t = r##"{"P":{"type":"object","properties":{"next":{"$ref":"#/components/schemas/P"},"a":{"type":"integer"}}}}"##;
        let d = diff(&spec(GET_P, s), &spec(GET_P, t)).unwrap();
        assert_eq!(d.changes.len(), 1, "{}", d.to_text());
        assert_eq!(d.changes[0].location, "p.get response 200 .a");
    }

    #[test]
    fn bad_input_names_the_side() {
        let e = diff("{ nope", &spec(GET_P, "{}")).unwrap_err();
        assert!(e.to_string().starts_with("old spec: syntax error"), "{e}");
        let e = diff(&spec(GET_P, "{}"), r#"{"swagger":"2.0"}"#).unwrap_err();
        assert!(e.to_string().starts_with("new spec: unsupported"), "{e}");
    }
}
