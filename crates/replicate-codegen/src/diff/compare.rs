//! The comparison behind [`super::diff`]: two documents lowered by the generator itself
//! ([`TypeSpace`] and [`operations::collect`]), compared position by position.
//!
//! What a position's Rust type is (and whether it is `Option`) is read off the lowered types,
//! so the diff cannot disagree with the generated code. What the types do not carry (a
//! string's `format`, validation keywords, `default`) is read from the document at the
//! position's JSON pointer; the lowering's [`Trace`] says where each type came from.

use super::{Change, ChangeKind, Severity};
use crate::error::{push_pointer, Result};
use crate::ir::{EnumKind, Ty, TypeDef};
use crate::load::LoadedSpec;
use crate::operations::{self, BodyKind, Decoding, Location, Operation, ResponseKind};
use crate::types::{Trace, TypeSpace};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One document, lowered, with what the diff reads beside the types.
pub(super) struct Side<'a> {
    raw: &'a Value,
    space: TypeSpace,
    trace: Trace,
    ops: BTreeMap<String, Operation>,
}

impl<'a> Side<'a> {
    /// Lowers `spec` exactly as generation does, recording the trace.
    pub(super) fn lower(spec: &'a LoadedSpec) -> Result<Side<'a>> {
        let mut space = TypeSpace::traced(&spec.openapi)?;
        let ops = operations::collect(spec, &mut space)?;
        let trace = space.trace.take().unwrap_or_default();
        Ok(Side {
            raw: &spec.raw,
            space,
            trace,
            ops: ops.into_iter().map(|o| (o.id.clone(), o)).collect(),
        })
    }

    /// `pointer`, then every pointer its type was lowered at in turn (outermost first).
    fn chain(&self, pointer: &str) -> Vec<String> {
        let mut chain = vec![pointer.to_string()];
        while let Some(next) = self
            .trace
            .via
            .get(chain.last().map(String::as_str).unwrap_or(""))
        {
            if chain.len() > 32 || chain.contains(next) {
                break;
            }
            chain.push(next.clone());
        }
        chain
    }

    /// The document's schema at `pointer` (of the lowering), unless it is only a `$ref`.
    fn own_schema(&self, pointer: &str) -> Option<&'a Value> {
        let pointer = self.trace.in_document(pointer);
        let schema = self.raw.pointer(pointer.strip_prefix('#')?)?;
        (schema.get("$ref").is_none()).then_some(schema)
    }

    /// Facts of the schema at `pointer`, the innermost lowering first, outer ones overriding.
    fn facts(&self, pointer: &str, base: Facts) -> Facts {
        let chain = self.chain(pointer);
        let mut facts = base;
        for p in chain.iter().rev() {
            if let Some(schema) = self.own_schema(p) {
                facts.overlay(Facts::of(schema));
            }
            facts.nullable |= self.trace.nullable.contains(p);
        }
        facts
    }

    /// What sits at a position: the IR type there and the schema's pointer.
    fn node(&self, ty: &Ty, pointer: &str) -> Node {
        let optional = ty.is_option();
        let mut ty = strip(ty);
        let chain = self.chain(pointer);
        let mut at = chain.last().cloned().unwrap_or_default();
        // A `$ref` position has no facts of its own: they are the referenced definition's.
        let mut base = Facts::default();
        let mut name = None;
        for _ in 0..32 {
            let Ty::Named(n) = &ty else { break };
            let def_pointer = self.trace.defs.get(n).cloned().unwrap_or_default();
            if name.is_none() {
                base = self.facts(&def_pointer, Facts::default());
            }
            name = Some(n.clone());
            at = self.chain(&def_pointer).pop().unwrap_or_default();
            match self.space.defs.get(n) {
                Some(TypeDef::Alias { ty: inner, .. }) => ty = strip(inner),
                _ => break,
            }
        }
        let facts = self.facts(pointer, base);
        Node {
            optional,
            nullable: facts.nullable,
            facts,
            shape: self.shape(&ty),
            ty,
            at,
            name,
        }
    }

    fn shape(&self, ty: &Ty) -> Shape {
        match ty {
            Ty::String
            | Ty::File
            | Ty::FileInput
            | Ty::FileOutput
            | Ty::Secret
            | Ty::Concatenated
            | Ty::Runtime(_) => Shape::Str(Vec::new()),
            Ty::Bool => Shape::Bool,
            Ty::I32 | Ty::I64 => Shape::Int,
            Ty::F64 => Shape::Num,
            Ty::Value => Shape::Any,
            Ty::JsonObject => Shape::JsonObject,
            Ty::Bytes => Shape::Other("binary".into()),
            Ty::Unit => Shape::Other("nothing".into()),
            Ty::Vec(_) => Shape::Array,
            Ty::Map(_) => Shape::Map,
            Ty::Option(inner) | Ty::Boxed(inner) => self.shape(inner),
            Ty::Named(n) => match self.space.defs.get(n) {
                Some(TypeDef::Struct { .. }) => Shape::Struct,
                Some(TypeDef::Enum {
                    kind: EnumKind::Str,
                    variants,
                    ..
                }) => Shape::Str(
                    variants
                        .iter()
                        .filter_map(|(_, v)| v.as_str().map(str::to_string))
                        .collect(),
                ),
                Some(TypeDef::Enum {
                    kind: EnumKind::Int,
                    ..
                }) => Shape::Int,
                Some(TypeDef::Enum { .. }) => Shape::Num,
                Some(TypeDef::Union { .. }) => Shape::Union,
                Some(TypeDef::Alias { ty, .. }) => self.shape(ty),
                None => Shape::Other(format!("`{n}`")),
            },
        }
    }
}

fn strip(ty: &Ty) -> Ty {
    match ty {
        Ty::Option(inner) | Ty::Boxed(inner) => strip(inner),
        other => other.clone(),
    }
}

/// A position's Rust shape, as a caller of the generated code meets it.
#[derive(Clone, PartialEq)]
enum Shape {
    Any,
    /// A string; with values, an enum of them.
    Str(Vec<String>),
    Int,
    Num,
    Bool,
    Array,
    Struct,
    JsonObject,
    Map,
    Union,
    Other(String),
}

impl Shape {
    fn name(&self) -> String {
        match self {
            Shape::Any => "any JSON".into(),
            Shape::Str(values) if values.is_empty() => "string".into(),
            Shape::Str(_) => "string enum".into(),
            Shape::Int => "integer".into(),
            Shape::Num => "number".into(),
            Shape::Bool => "boolean".into(),
            Shape::Array => "array".into(),
            Shape::Struct => "object".into(),
            Shape::JsonObject => "free-form object".into(),
            Shape::Map => "map".into(),
            Shape::Union => "oneOf/anyOf".into(),
            Shape::Other(d) => d.clone(),
        }
    }
}

/// A position compared by the diff.
struct Node {
    /// The IR type there (`Option`, `Box` and aliases looked through).
    ty: Ty,
    /// The IR type there is `Option`.
    optional: bool,
    /// The schema allows `null`.
    nullable: bool,
    facts: Facts,
    shape: Shape,
    /// Where the schema's children (items, properties, values) were lowered.
    at: String,
    /// The generated type met first, to recognise recursion.
    name: Option<String>,
}

impl Node {
    /// `object`, `nullable string enum`, ...
    fn describe(&self) -> String {
        if self.nullable {
            format!("nullable {}", self.shape.name())
        } else {
            self.shape.name()
        }
    }
}

/// What a schema says beyond its Rust type.
#[derive(Default)]
struct Facts {
    format: String,
    nullable: bool,
    default: Option<Value>,
    constraints: BTreeMap<&'static str, Bound>,
}

impl Facts {
    fn of(schema: &Value) -> Facts {
        let number = |k: &str| schema.get(k).and_then(Value::as_f64);
        let flag = |k: &str| schema.get(k).and_then(Value::as_bool) == Some(true);
        let mut constraints = BTreeMap::new();
        let mut put = |k: &'static str, v: Option<Bound>| {
            if let Some(v) = v {
                constraints.insert(k, v);
            }
        };
        put("minimum", number("minimum").map(Bound::Lower));
        put("maximum", number("maximum").map(Bound::Upper));
        put(
            "exclusiveMinimum",
            flag("exclusiveMinimum").then_some(Bound::Flag),
        );
        put(
            "exclusiveMaximum",
            flag("exclusiveMaximum").then_some(Bound::Flag),
        );
        put(
            "multipleOf",
            number("multipleOf").map(|v| Bound::Text(format_number(v))),
        );
        put("minLength", number("minLength").map(Bound::Lower));
        put("maxLength", number("maxLength").map(Bound::Upper));
        put(
            "pattern",
            schema
                .get("pattern")
                .and_then(Value::as_str)
                .map(|p| Bound::Text(p.to_string())),
        );
        put("minItems", number("minItems").map(Bound::Lower));
        put("maxItems", number("maxItems").map(Bound::Upper));
        put("uniqueItems", flag("uniqueItems").then_some(Bound::Flag));
        Facts {
            format: schema
                .get("format")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            nullable: flag("nullable"),
            // `default: null` says no more than no default (as openapiv3 reads it).
            default: schema.get("default").filter(|d| !d.is_null()).cloned(),
            constraints,
        }
    }

    /// An outer schema's own facts win over those of the schema it wraps.
    fn overlay(&mut self, outer: Facts) {
        if !outer.format.is_empty() {
            self.format = outer.format;
        }
        self.nullable |= outer.nullable;
        if outer.default.is_some() {
            self.default = outer.default;
        }
        if !outer.constraints.is_empty() {
            self.constraints = outer.constraints;
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Request,
    Response,
}

/// Where a position sits: with the schema's nullability, [`Place`] makes its type `Option`.
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

/// Where the comparison is: the operation, the place in it, and the definitions on the way down.
struct Cx {
    op: String,
    place: String,
    dir: Dir,
    form: bool,
    stack: Vec<(String, String)>,
}

impl Cx {
    fn new(op: &str, place: &str, dir: Dir) -> Cx {
        Cx {
            op: op.to_string(),
            place: place.to_string(),
            dir,
            form: false,
            stack: Vec::new(),
        }
    }
}

/// Compares two lowered documents.
pub(super) struct Differ<'s, 'a> {
    old: &'s Side<'a>,
    new: &'s Side<'a>,
    changes: Vec<Change>,
}

impl<'s, 'a> Differ<'s, 'a> {
    pub(super) fn new(old: &'s Side<'a>, new: &'s Side<'a>) -> Self {
        Differ {
            old,
            new,
            changes: Vec::new(),
        }
    }

    /// Every change between the two documents, unsorted.
    pub(super) fn run(mut self) -> Vec<Change> {
        for (id, o) in &self.old.ops {
            match self.new.ops.get(id) {
                Some(n) => self.operation(id, o, n),
                None => self.push_op(
                    id,
                    ChangeKind::OperationRemoved,
                    Severity::Breaking,
                    "",
                    format!("{} {}", o.method, o.path),
                    "the method disappears from the client, so code calling it no longer compiles",
                ),
            }
        }
        for (id, n) in &self.new.ops {
            if !self.old.ops.contains_key(id) {
                self.push_op(
                    id,
                    ChangeKind::OperationAdded,
                    Severity::Compatible,
                    "",
                    format!("{} {}", n.method, n.path),
                    "a new method on the client; existing code is unaffected",
                );
            }
        }
        self.components();
        self.changes
    }

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

    fn operation(&mut self, id: &str, o: &Operation, n: &Operation) {
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
        if !o.deprecated && n.deprecated {
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
        self.request_body(id, o, n);
        self.responses(id, o, n);
    }

    // -- parameters

    fn params(op: &Operation) -> BTreeMap<(&'static str, String), &operations::Param> {
        op.params
            .iter()
            .map(|p| {
                let key = match p.location {
                    Location::Path => ("path parameter", p.wire.clone()),
                    Location::Query => ("query parameter", p.wire.clone()),
                    Location::Header => ("header", p.wire.to_ascii_lowercase()),
                    Location::Cookie => ("cookie", p.wire.clone()),
                };
                (key, p)
            })
            .collect()
    }

    fn parameters(&mut self, id: &str, o: &Operation, n: &Operation) {
        let old = Self::params(o);
        let new = Self::params(n);
        for (key, p) in &old {
            let place = format!("{} {}", key.0, p.wire);
            let Some(q) = new.get(key) else {
                self.push_op(
                    id,
                    ChangeKind::ParameterRemoved,
                    Severity::Breaking,
                    &place,
                    String::new(),
                    if p.required {
                        "the method loses a positional argument, so existing calls no longer compile"
                    } else {
                        "the request builder loses its setter, so code calling it no longer compiles"
                    },
                );
                continue;
            };
            if p.required != q.required {
                let (detail, reason) = if q.required {
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
            let mut cx = Cx::new(id, &place, Dir::Request);
            self.schema(
                &mut cx,
                (&p.ty, &p.pointer),
                (&q.ty, &q.pointer),
                Pos::Root { param: true },
                "",
            );
        }
        for (key, p) in &new {
            if old.contains_key(key) {
                continue;
            }
            let place = format!("{} {}", key.0, p.wire);
            let shape = self.new.node(&p.ty, &p.pointer).shape.name();
            if p.required {
                self.push_op(
                    id,
                    ChangeKind::ParameterAdded,
                    Severity::Breaking,
                    &place,
                    format!("required {shape}"),
                    "the method takes a new positional argument, so existing calls no longer compile, and requests without it are rejected",
                );
            } else {
                self.push_op(
                    id,
                    ChangeKind::ParameterAdded,
                    Severity::Compatible,
                    &place,
                    format!("optional {shape}"),
                    "a new optional setter on the request builder; existing calls are unaffected",
                );
            }
        }
    }

    // -- request bodies

    fn request_body(&mut self, id: &str, o: &Operation, n: &Operation) {
        let place = "request body";
        match (&o.body, &n.body) {
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
                for m in a.offered.iter().filter(|m| !b.offered.contains(m)) {
                    if *m == a.media_type {
                        self.push_op(id, ChangeKind::MediaTypeRemoved, Severity::Breaking, place, format!("`{m}`"),
                            "the client sent this media type; it now encodes the body differently, so the body's type changes and old requests may be rejected");
                    } else {
                        self.push_op(
                            id,
                            ChangeKind::MediaTypeRemoved,
                            Severity::Compatible,
                            place,
                            format!("`{m}`"),
                            "the client never sent this media type",
                        );
                    }
                }
                for m in b.offered.iter().filter(|m| !a.offered.contains(m)) {
                    if *m == b.media_type {
                        self.push_op(id, ChangeKind::MediaTypeAdded, Severity::Breaking, place, format!("`{m}`"),
                            "the client now sends this media type instead, so the body's type changes");
                    } else {
                        self.push_op(
                            id,
                            ChangeKind::MediaTypeAdded,
                            Severity::Compatible,
                            place,
                            format!("`{m}`"),
                            "the client keeps sending the media type it sent before",
                        );
                    }
                }
                let structured =
                    matches!(a.kind, BodyKind::Json | BodyKind::Multipart | BodyKind::Form);
                if a.kind == b.kind && structured {
                    let mut cx = Cx::new(id, place, Dir::Request);
                    cx.form = a.kind == BodyKind::Multipart;
                    self.schema(
                        &mut cx,
                        (&a.ty, &a.pointer),
                        (&b.ty, &b.pointer),
                        Pos::Root { param: false },
                        "",
                    );
                }
            }
        }
    }

    // -- responses

    /// How a declared status is decoded, into what, and from which media type.
    fn decoding(op: &Operation, code: &str) -> (Decoding, Option<String>, Ty, String) {
        let response = op.responses.iter().find(|r| {
            let text = match r.status {
                operations::StatusMatch::Code(c) => c.to_string(),
                operations::StatusMatch::Range(r) => format!("{r}XX"),
            };
            text == code
        });
        match response {
            Some(r) => {
                let (decoding, ty) = match &r.kind {
                    ResponseKind::Json(ty) => (Decoding::Json, ty.clone()),
                    ResponseKind::Text => (Decoding::Text, Ty::String),
                    ResponseKind::Bytes => (Decoding::Bytes, Ty::Bytes),
                    ResponseKind::Empty => (Decoding::Empty, Ty::Unit),
                };
                (decoding, r.media_type.clone(), ty, r.pointer.clone())
            }
            None => (Decoding::Empty, None, Ty::Unit, String::new()),
        }
    }

    fn responses(&mut self, id: &str, o: &Operation, n: &Operation) {
        let success = |code: &str| {
            code == "2XX" || code.parse::<u16>().is_ok_and(|c| (200..300).contains(&c))
        };
        for code in o.statuses.keys().filter(|c| !n.statuses.contains_key(*c)) {
            let place = format!("response {code}");
            if success(code) {
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
        for code in n.statuses.keys().filter(|c| !o.statuses.contains_key(*c)) {
            let place = format!("response {code}");
            if success(code) {
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
        for (code, media_o) in &o.statuses {
            let Some(media_n) = n.statuses.get(code) else {
                continue;
            };
            let success = success(code);
            let place = format!("response {code}");
            let (dec_o, chosen_o, ty_o, ptr_o) = Self::decoding(o, code);
            let (dec_n, chosen_n, ty_n, ptr_n) = Self::decoding(n, code);
            let changed = dec_o != dec_n;
            let reason_changed = format!(
                "the client decoded this status as {} and now decodes it as {}, so the method's return type changes",
                dec_o.name(),
                dec_n.name()
            );
            let why = if success {
                "the client decodes this status as it did before"
            } else {
                "error bodies are decoded into `ApiError`, whatever their media type"
            };
            for m in media_o.iter().filter(|m| !media_n.contains(m)) {
                let chosen = chosen_o.as_deref() == Some(m.as_str());
                let (severity, reason) = if success && changed && chosen {
                    (Severity::Breaking, reason_changed.as_str())
                } else {
                    (Severity::Compatible, why)
                };
                let kind = ChangeKind::MediaTypeRemoved;
                self.push_op(id, kind, severity, &place, format!("`{m}`"), reason);
            }
            for m in media_n.iter().filter(|m| !media_o.contains(m)) {
                let chosen = chosen_n.as_deref() == Some(m.as_str());
                let (severity, reason) = if success && changed && chosen {
                    (Severity::Breaking, reason_changed.as_str())
                } else {
                    (Severity::Compatible, why)
                };
                let kind = ChangeKind::MediaTypeAdded;
                self.push_op(id, kind, severity, &place, format!("`{m}`"), reason);
            }
            if success && dec_o == Decoding::Json && dec_n == Decoding::Json {
                let mut cx = Cx::new(id, &place, Dir::Response);
                self.schema(
                    &mut cx,
                    (&ty_o, &ptr_o),
                    (&ty_n, &ptr_n),
                    Pos::Root { param: false },
                    "",
                );
            }
        }
    }

    // -- schemas

    fn at(
        &mut self,
        cx: &Cx,
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
        let op = cx.op.clone();
        self.push(Some(&op), kind, severity, &path, detail, reason);
    }

    /// Compares two positions (IR type and schema pointer). `sub` is the path below
    /// `cx.place`.
    fn schema(&mut self, cx: &mut Cx, o: (&Ty, &str), n: (&Ty, &str), pos: Pos, sub: &str) {
        if cx.stack.len() > 48 {
            return;
        }
        let a = self.old.node(o.0, o.1);
        let b = self.new.node(n.0, n.1);
        // Generated types met on the way down: a pair met again is a recursion already being
        // compared.
        let pair = match (&a.name, &b.name) {
            (Some(x), Some(y)) => (x.clone(), y.clone()),
            _ => Default::default(),
        };
        if !pair.0.is_empty() && cx.stack.contains(&pair) {
            return;
        }
        cx.stack.push(pair);
        self.compare_nodes(cx, &a, &b, pos, sub);
        cx.stack.pop();
    }

    fn compare_nodes(&mut self, cx: &mut Cx, a: &Node, b: &Node, pos: Pos, sub: &str) {
        let request = cx.dir == Dir::Request;
        self.arity(cx, a, b, pos, sub);
        let (name_o, name_n) = (a.shape.name(), b.shape.name());
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
        self.constraints(cx, &a.facts, &b.facts, sub);
        if request && a.facts.default != b.facts.default {
            let show = |d: &Option<Value>| {
                d.as_ref()
                    .map(|v| format!("`{v}`"))
                    .unwrap_or_else(|| "none".into())
            };
            self.at(cx, ChangeKind::DefaultChanged, Severity::Compatible, sub,
                format!("{} → {}", show(&a.facts.default), show(&b.facts.default)),
                "the server uses another value when the field is omitted; the generated code never sends defaults itself");
        }
        match (&a.shape, &b.shape) {
            (Shape::Str(va), Shape::Str(vb)) => self.strings(cx, (a, va), (b, vb), sub),
            (Shape::Int, Shape::Int) if a.facts.format != b.facts.format => {
                let detail = format_change(&a.facts.format, &b.facts.format, false);
                let rust = |n: &Node| if n.ty == Ty::I32 { "i32" } else { "i64" };
                let (ta, tb) = (rust(a), rust(b));
                if ta != tb {
                    self.at(cx, ChangeKind::FieldFormatChanged, Severity::Breaking, sub, detail,
                        &format!("the Rust type changes from `{ta}` to `{tb}`, so code that compiled may no longer compile"));
                } else {
                    let reason = format!("the Rust type stays `{ta}`");
                    let kind = ChangeKind::FieldFormatChanged;
                    self.at(cx, kind, Severity::Compatible, sub, detail, &reason);
                }
            }
            (Shape::Num, Shape::Num) if a.facts.format != b.facts.format => {
                let detail = format_change(&a.facts.format, &b.facts.format, false);
                let kind = ChangeKind::FieldFormatChanged;
                let reason = "the Rust type stays `f64`";
                self.at(cx, kind, Severity::Compatible, sub, detail, reason);
            }
            (Shape::Array, Shape::Array) => {
                if let (Ty::Vec(x), Ty::Vec(y)) = (&a.ty, &b.ty) {
                    let (px, py) = (push_pointer(&a.at, "items"), push_pointer(&b.at, "items"));
                    let sub = format!("{sub}[]");
                    self.schema(cx, (x, &px), (y, &py), Pos::Item, &sub);
                }
            }
            (Shape::Map, Shape::Map) => {
                if let (Ty::Map(x), Ty::Map(y)) = (&a.ty, &b.ty) {
                    let px = push_pointer(&a.at, "additionalProperties");
                    let py = push_pointer(&b.at, "additionalProperties");
                    let sub = format!("{sub}{{}}");
                    self.schema(cx, (x, &px), (y, &py), Pos::Item, &sub);
                }
            }
            (Shape::Struct, Shape::Struct) => self.fields(cx, a, b, sub),
            (Shape::Union, Shape::Union) => self.union(cx, a, b, sub),
            _ => {}
        }
    }

    /// Whether a value must be given, and may be null. Whether its Rust type is `Option` is
    /// read off the lowered types.
    fn arity(&mut self, cx: &Cx, a: &Node, b: &Node, pos: Pos, sub: &str) {
        let request = cx.dir == Dir::Request;
        let (old_req, new_req) = match pos {
            Pos::Field {
                old_required,
                new_required,
            } => (old_required, new_required),
            _ => (true, true),
        };
        let (opt_o, opt_n) = (a.optional, b.optional);
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
            let kind = ChangeKind::FieldRequiredChanged;
            self.at(cx, kind, severity, sub, detail.into(), reason);
        }
        if a.nullable != b.nullable && !matches!(pos, Pos::Variant) {
            let detail = if b.nullable {
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
            let kind = ChangeKind::FieldNullabilityChanged;
            self.at(cx, kind, severity, sub, detail.into(), reason);
        }
    }

    /// A string's format and enum values.
    fn strings(
        &mut self,
        cx: &Cx,
        (a, va): (&Node, &[String]),
        (b, vb): (&Node, &[String]),
        sub: &str,
    ) {
        let request = cx.dir == Dir::Request;
        let (fa, fb) = (&a.facts.format, &b.facts.format);
        if fa != fb {
            let detail = format_change(fa, fb, true);
            // In a form, the lowering made a `binary` string a file part.
            let file_change = (a.ty == Ty::File) != (b.ty == Ty::File);
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
            let kind = ChangeKind::FieldFormatChanged;
            self.at(cx, kind, severity, sub, detail, reason);
        }
        for v in va.iter().filter(|v| !vb.contains(v)) {
            let reason = if request {
                "the variant disappears from the generated enum, so code naming it no longer compiles, and the server rejects the value"
            } else {
                "the variant disappears from the generated enum, so code naming it no longer compiles"
            };
            let kind = ChangeKind::EnumValueRemoved;
            self.at(cx, kind, Severity::Breaking, sub, format!("`{v}`"), reason);
        }
        for v in vb.iter().filter(|v| !va.contains(v)) {
            let reason = if request {
                "the server accepts one more value, and the generated enum (which is `#[non_exhaustive]`) gains a variant"
            } else {
                "the value decoded as `Unknown` before and gets its own variant now; the enum is `#[non_exhaustive]`, so matches already have a wildcard arm"
            };
            let kind = ChangeKind::EnumValueAdded;
            self.at(
                cx,
                kind,
                Severity::Compatible,
                sub,
                format!("`{v}`"),
                reason,
            );
        }
    }

    /// The fields of two structs, matched by wire name, and their extra properties.
    fn fields(&mut self, cx: &mut Cx, a: &Node, b: &Node, sub: &str) {
        let request = cx.dir == Dir::Request;
        let (Some(sa), Some(sb)) = (self.old.struct_of(a), self.new.struct_of(b)) else {
            return;
        };
        let field_pointer =
            |at: &str, wire: &str| push_pointer(&push_pointer(at, "properties"), wire);
        for f in sa.0 {
            let path = format!("{sub}.{}", f.wire);
            let pf = field_pointer(&a.at, &f.wire);
            match sb.0.iter().find(|g| g.wire == f.wire) {
                Some(g) => {
                    let pg = field_pointer(&b.at, &g.wire);
                    let pos = Pos::Field {
                        old_required: f.required,
                        new_required: g.required,
                    };
                    self.schema(cx, (&f.ty, &pf), (&g.ty, &pg), pos, &path);
                }
                None => {
                    let was = self.old.node(&f.ty, &pf);
                    let req = if f.required { "required" } else { "optional" };
                    let reason = if request {
                        "the generated struct loses the field, so code setting it no longer compiles"
                    } else {
                        "the generated struct loses the field, so code reading it no longer compiles"
                    };
                    let detail = format!("{req} {}", was.describe());
                    let kind = ChangeKind::FieldRemoved;
                    self.at(cx, kind, Severity::Breaking, &path, detail, reason);
                }
            }
        }
        for g in
            sb.0.iter()
                .filter(|g| !sa.0.iter().any(|f| f.wire == g.wire))
        {
            let path = format!("{sub}.{}", g.wire);
            let now = self.new.node(&g.ty, &field_pointer(&b.at, &g.wire));
            let detail = format!(
                "{} {}",
                if g.required { "required" } else { "optional" },
                now.describe()
            );
            let (severity, reason) = match (request, g.required) {
                (true, true) => (Severity::Breaking, "requests without the new required field may be rejected, and the generated struct gains a field that must be set"),
                (true, false) => (Severity::Compatible, "a new optional field; requests without it are still valid"),
                (false, _) => (Severity::Compatible, "the generated struct gains a field; code reading the others is unaffected"),
            };
            self.at(cx, ChangeKind::FieldAdded, severity, &path, detail, reason);
        }
        self.extra(cx, (a, sa.1), (b, sb.1), sub);
    }

    /// The map of extra properties a struct keeps (`additionalProperties`).
    fn extra(
        &mut self,
        cx: &mut Cx,
        (a, ea): (&Node, Option<&Ty>),
        (b, eb): (&Node, Option<&Ty>),
        sub: &str,
    ) {
        let name = |e: Option<&Ty>| match e {
            None => "not allowed",
            Some(Ty::Value) => "any JSON",
            Some(_) => "typed",
        };
        let detail = format!("{} → {}", name(ea), name(eb));
        let kind = ChangeKind::AdditionalPropertiesChanged;
        match (ea, eb) {
            (None, None) | (Some(Ty::Value), Some(Ty::Value)) => {}
            (Some(x), Some(y)) if name(ea) == name(eb) => {
                let px = push_pointer(&a.at, "additionalProperties");
                let py = push_pointer(&b.at, "additionalProperties");
                let sub = format!("{sub}{{}}");
                self.schema(cx, (x, &px), (y, &py), Pos::Item, &sub);
            }
            (None, _) => self.at(cx, kind, Severity::Compatible, sub, detail,
                "the generated struct gains an `additional_properties` map; existing code is unaffected"),
            (_, None) => self.at(cx, kind, Severity::Breaking, sub, detail,
                "the generated struct loses its `additional_properties` map, so code using it no longer compiles"),
            _ => self.at(cx, kind, Severity::Breaking, sub, detail,
                "the value type of the `additional_properties` map changes"),
        }
    }

    fn union(&mut self, cx: &mut Cx, a: &Node, b: &Node, sub: &str) {
        // Variants are matched by shape, in order (the first object with the first object, and
        // so on), so renamed components still match.
        let request = cx.dir == Dir::Request;
        let va = self.old.variants_of(a);
        let vb = self.new.variants_of(b);
        for (label, ty, pointer) in &va {
            match vb.iter().find(|(l, _, _)| l == label) {
                Some((_, t, p)) => {
                    let sub = format!("{sub}<{label}>");
                    self.schema(cx, (ty, pointer), (t, p), Pos::Variant, &sub);
                }
                None => self.at(cx, ChangeKind::VariantRemoved, Severity::Breaking, sub, format!("`{label}`"),
                    "the variant disappears from the generated enum, so code naming it no longer compiles"),
            }
        }
        for (label, _, _) in vb
            .iter()
            .filter(|(l, _, _)| !va.iter().any(|(k, _, _)| k == l))
        {
            let detail = format!("`{label}`");
            let kind = ChangeKind::VariantAdded;
            if request {
                self.at(
                    cx,
                    kind,
                    Severity::Compatible,
                    sub,
                    detail,
                    "the server accepts one more shape; existing values still serialize as before",
                );
            } else {
                self.at(cx, kind, Severity::Breaking, sub, detail,
                    "the generated untagged enum gains a variant, so exhaustive matches on it no longer compile");
            }
        }
    }

    fn constraints(&mut self, cx: &Cx, fa: &Facts, fb: &Facts, sub: &str) {
        let request = cx.dir == Dir::Request;
        let keys: BTreeSet<&&str> = fa.constraints.keys().chain(fb.constraints.keys()).collect();
        for key in keys {
            let (a, b) = (fa.constraints.get(*key), fb.constraints.get(*key));
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
            let kind = ChangeKind::ConstraintChanged;
            self.at(cx, kind, severity, sub, detail, reason);
        }
    }

    // -- component schemas

    fn components(&mut self) {
        let by_rust = |side: &Side<'_>| -> BTreeMap<String, String> {
            side.space
                .components
                .iter()
                .map(|(c, r)| (r.clone(), c.clone()))
                .collect()
        };
        let (old_rust, new_rust) = (by_rust(self.old), by_rust(self.new));
        let mut added: Vec<(&String, &String)> = new_rust
            .iter()
            .filter(|(r, _)| !old_rust.contains_key(*r))
            .collect();
        for (rust, comp) in old_rust.iter().filter(|(r, _)| !new_rust.contains_key(*r)) {
            let twin = added.iter().position(|(r, _)| self.same_shape(rust, r));
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
                    let kind = ChangeKind::SchemaRemoved;
                    self.push(
                        None,
                        kind,
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

    /// True when two generated types compare equal as requests and as responses.
    fn same_shape(&self, old: &str, new: &str) -> bool {
        let mut scratch = Differ::new(self.old, self.new);
        let (ty_o, ty_n) = (Ty::Named(old.to_string()), Ty::Named(new.to_string()));
        for dir in [Dir::Request, Dir::Response] {
            let mut cx = Cx::new("", "", dir);
            let pos = Pos::Root { param: false };
            scratch.schema(&mut cx, (&ty_o, ""), (&ty_n, ""), pos, "");
        }
        scratch.changes.is_empty()
    }
}

/// `none → `uri``; integers and numbers show formats bare.
fn format_change(a: &str, b: &str, quoted: bool) -> String {
    let show = |f: &str| match (f.is_empty(), quoted) {
        (true, _) => "none".to_string(),
        (false, true) => format!("`{f}`"),
        (false, false) => f.to_string(),
    };
    format!("{} → {}", show(a), show(b))
}

type StructParts<'t> = (&'t [crate::ir::Field], Option<&'t Ty>);

impl Side<'_> {
    /// The fields and extra-properties type of the struct a node is.
    fn struct_of(&self, node: &Node) -> Option<StructParts<'_>> {
        let Ty::Named(n) = &node.ty else { return None };
        match self.space.defs.get(n)? {
            TypeDef::Struct {
                fields, additional, ..
            } => Some((fields, additional.as_ref())),
            _ => None,
        }
    }

    /// A union's variants as `(label, type, pointer)`: labelled by shape, numbered when shapes
    /// repeat (`object`, `object 2`).
    fn variants_of(&self, node: &Node) -> Vec<(String, Ty, String)> {
        let Ty::Named(n) = &node.ty else {
            return Vec::new();
        };
        let Some(TypeDef::Union { variants, .. }) = self.space.defs.get(n) else {
            return Vec::new();
        };
        let pointers = self.trace.variants.get(n);
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        variants
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| {
                let pointer = pointers.and_then(|p| p.get(i)).cloned().unwrap_or_default();
                let name = self.node(ty, &pointer).shape.name();
                let count = seen.entry(name.clone()).or_default();
                *count += 1;
                let label = if *count == 1 {
                    name
                } else {
                    format!("{name} {count}")
                };
                (label, ty.clone(), pointer)
            })
            .collect()
    }
}
