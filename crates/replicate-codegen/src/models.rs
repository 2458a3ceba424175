//! Typed models: a Cog model version's `openapi_schema` → one Rust module with an `Input`
//! struct, an `Output` type, enums for its choices, constraint checks, and a marker type
//! implementing `replicate_client::model::Model`.
//!
//! Works on `serde_json::Value` (after [`crate::load::normalize_schema`]) rather than `openapiv3`
//! because what matters here is Cog's own vocabulary: `x-order`, `x-cog-array-type`,
//! `x-cog-array-display`, `x-cog-secret`, integer and float choices, and bounds written as
//! floats. Inputs get closed enums (a value outside the choices is a compile error); outputs are
//! decoded leniently (enums as strings). Where no Rust type fits, the field falls back to
//! `serde_json::Value` with a warning that names the model and the pointer; nothing is dropped.

use crate::error::{push_pointer, Error, ErrorKind, Result};
use crate::load::{normalize_schema, parse_text};
use crate::naming;
use crate::types::doc_text;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One model version's schema, from any of the accepted file shapes.
#[derive(Debug, Clone)]
pub struct ModelSource {
    /// Model owner.
    pub owner: String,
    /// Model name.
    pub name: String,
    /// Version id, empty when unknown.
    pub version: String,
    /// Cog version, when known.
    pub cog_version: Option<String>,
    /// The `openapi_schema` document.
    pub schema: Value,
    /// Where it came from (for errors and headers).
    pub label: String,
}

/// Reads a model file: a version object (`{id, cog_version, openapi_schema}`), the corpus shape
/// (`{model, version_id, openapi_schema, ..}`), or a bare `openapi_schema`. `owner_name` is used
/// when the file does not say which model it is.
pub fn parse_model_file(
    text: &str,
    label: &str,
    owner_name: Option<(&str, &str)>,
) -> Result<ModelSource> {
    let err =
        |kind, pointer: &str, message: String| Error::new(kind, pointer, message).in_file(label);
    let value = parse_text(text).map_err(|e| e.in_file(label))?;
    let Value::Object(obj) = value else {
        return Err(err(
            ErrorKind::Shape,
            "#",
            "a model file must be a JSON object".into(),
        ));
    };
    let str_field = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
    let (schema, version, cog_version, model) = if let Some(schema) = obj.get("openapi_schema") {
        let version = str_field("id")
            .or_else(|| str_field("version_id"))
            .unwrap_or_default();
        (
            schema.clone(),
            version,
            str_field("cog_version"),
            str_field("model"),
        )
    } else if obj.contains_key("components") || obj.contains_key("openapi") {
        (Value::Object(obj.clone()), String::new(), None, None)
    } else {
        return Err(err(
            ErrorKind::Shape,
            "#",
            "not a model version object, a corpus file or an `openapi_schema` (no `openapi_schema` or `components`)".into(),
        ));
    };
    let (owner, name) = match model.as_deref().and_then(|m| m.split_once('/')) {
        Some((o, n)) => (o.to_string(), n.to_string()),
        None => match owner_name {
            Some((o, n)) => (o.to_string(), n.to_string()),
            None => {
                return Err(err(
                    ErrorKind::Shape,
                    "#",
                    "the file does not say which model it is (`model: owner/name`)".into(),
                ))
            }
        },
    };
    if !version.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(err(
            ErrorKind::Shape,
            "#/id",
            format!("version id {version:?} is not alphanumeric"),
        ));
    }
    Ok(ModelSource {
        owner,
        name,
        version,
        cog_version,
        schema,
        label: label.to_string(),
    })
}

/// Names the variants of an enum from its values, deduplicated. A name depends only on its
/// value: a value whose plain name no other value shares gets it (`"low"` → `Low`); values
/// whose plain names collide (`"low"` and `"Low"`) each get the plain name followed by their
/// own spelling (`Low_low`, `Low_Low`), so reordering the values never moves a name to another
/// value.
pub(crate) fn enum_variants(values: &[Value]) -> Vec<(String, Value)> {
    fn label(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
    fn spelling(raw: &str) -> String {
        // Injective: letters and digits stay, anything else is `_` and two hex digits a byte.
        raw.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("_{b:02X}")
                }
            })
            .collect()
    }
    let mut unique: Vec<&Value> = Vec::new();
    for v in values {
        if !unique.contains(&v) {
            unique.push(v);
        }
    }
    let bases: Vec<String> = unique
        .iter()
        .map(|v| naming::variant_name(&label(v)))
        .collect();
    unique
        .iter()
        .zip(&bases)
        .map(|(v, base)| {
            let shared = bases.iter().filter(|b| *b == base).count() > 1;
            let name = if shared {
                format!("{base}_{}", spelling(&label(v)))
            } else {
                base.clone()
            };
            (name, (*v).clone())
        })
        .collect()
}

/// Which way values travel: inputs are checked strictly, outputs decoded leniently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    In,
    Out,
}

#[derive(Debug, Clone, PartialEq)]
enum MTy {
    String,
    I64,
    F64,
    Bool,
    Value,
    FileIn,
    FileOut,
    Secret,
    Concat,
    Vec(Box<MTy>),
    Map(Box<MTy>),
    Option(Box<MTy>),
    Named(String),
}

impl MTy {
    fn optional(self) -> MTy {
        match self {
            MTy::Option(_) => self,
            other => MTy::Option(Box::new(other)),
        }
    }
    fn inner(&self) -> &MTy {
        match self {
            MTy::Option(i) => i,
            other => other,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Bounds {
    minimum: Option<(f64, bool)>,
    maximum: Option<(f64, bool)>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<String>,
}

#[derive(Debug, Clone)]
struct MField {
    rust: String,
    wire: String,
    ty: MTy,
    doc: Option<String>,
    default: Option<Value>,
    bounds: Bounds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EnumKind {
    Str,
    Int,
    Float,
}

#[derive(Debug, Clone)]
enum Def {
    Struct {
        doc: Option<String>,
        fields: Vec<MField>,
        dir: Dir,
        /// The struct of required fields `new` takes, when they could be confused by position.
        required: Option<String>,
    },
    Enum {
        doc: Option<String>,
        kind: EnumKind,
        variants: Vec<(String, Value)>,
        /// The wire names of the fields of this type, for errors.
        fields: Vec<String>,
    },
    Union {
        doc: Option<String>,
        variants: Vec<(String, MTy)>,
    },
    Alias {
        doc: Option<String>,
        ty: MTy,
    },
}

struct Gen<'a> {
    src: &'a ModelSource,
    components: Map<String, Value>,
    defs: Vec<(String, Def)>,
    names: BTreeSet<String>,
    by_component: BTreeMap<(String, bool), String>,
    warnings: Vec<String>,
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The generated module of one model.
#[derive(Debug, Clone)]
pub struct ModelModule {
    /// Module name of the owner (`black_forest_labs`).
    pub owner_module: String,
    /// Module name of the model (`flux_schnell`).
    pub model_module: String,
    /// Marker type (`FluxSchnell`).
    pub marker: String,
    /// The module's tokens.
    pub tokens: TokenStream,
    /// Typed fallbacks, each naming the model and pointer.
    pub warnings: Vec<String>,
    /// Has `TrainingInput`.
    pub trainable: bool,
}

impl<'a> Gen<'a> {
    fn err(&self, kind: ErrorKind, pointer: &str, message: impl Into<String>) -> Error {
        Error::new(
            kind,
            pointer,
            format!(
                "model {}/{}: {}",
                self.src.owner,
                self.src.name,
                message.into()
            ),
        )
        .in_file(&self.src.label)
    }

    fn warn(&mut self, pointer: &str, what: &str) {
        self.warnings.push(format!(
            "{}: model {}/{} at {pointer}: {what}; using serde_json::Value",
            self.src.label, self.src.owner, self.src.name
        ));
    }

    fn claim(&mut self, hint: &str) -> String {
        let base = naming::type_name(hint);
        let mut name = base.clone();
        let mut i = 2;
        while self.names.contains(&name) {
            name = format!("{base}{i}");
            i += 1;
        }
        self.names.insert(name.clone());
        name
    }

    fn resolve<'v>(
        &'v self,
        schema: &'v Value,
        pointer: &str,
    ) -> Result<(&'v Value, Option<String>)> {
        let mut current = schema;
        let mut comp = None;
        for _ in 0..16 {
            let Some(r) = current.get("$ref").and_then(Value::as_str) else {
                return Ok((current, comp));
            };
            let name = r.strip_prefix("#/components/schemas/").ok_or_else(|| {
                self.err(
                    ErrorKind::UnresolvedRef,
                    pointer,
                    format!("`{r}` is not a local schema reference"),
                )
            })?;
            current = self.components.get(name).ok_or_else(|| {
                self.err(
                    ErrorKind::UnresolvedRef,
                    pointer,
                    format!("`{r}` does not exist"),
                )
            })?;
            comp = Some(name.to_string());
        }
        Err(self.err(ErrorKind::RefCycle, pointer, "`$ref`s form a loop"))
    }

    /// Unwraps Cog's `allOf: [{$ref}]` and plain `$ref`s; returns the schema, the component it
    /// came from, and the outer schema (which carries the field's own keywords).
    fn deref<'v>(
        &'v self,
        schema: &'v Value,
        pointer: &str,
    ) -> Result<(&'v Value, Option<String>)> {
        if let Some(Value::Array(parts)) = schema.get("allOf") {
            if parts.len() == 1 {
                return self.resolve(
                    &parts[0],
                    &push_pointer(&push_pointer(pointer, "allOf"), "0"),
                );
            }
            return Err(self.err(
                ErrorKind::Unsupported,
                pointer,
                "`allOf` with several parts",
            ));
        }
        self.resolve(schema, pointer)
    }

    fn ty(&mut self, schema: &Value, hint: &str, dir: Dir, pointer: &str) -> Result<MTy> {
        let (target, comp) = self.deref(schema, pointer)?;
        let target = target.clone();
        let nullable = schema
            .get("nullable")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            || target
                .get("nullable")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        let ty = self.ty_of(&target, comp.as_deref(), hint, dir, pointer)?;
        Ok(if nullable { ty.optional() } else { ty })
    }

    fn ty_of(
        &mut self,
        s: &Value,
        comp: Option<&str>,
        hint: &str,
        dir: Dir,
        pointer: &str,
    ) -> Result<MTy> {
        let typ = s.get("type").and_then(Value::as_str);
        if let Some(Value::Array(values)) = s.get("enum") {
            if dir == Dir::Out {
                return Ok(match typ {
                    Some("integer") => MTy::I64,
                    Some("number") => MTy::F64,
                    Some("boolean") => MTy::Bool,
                    _ => MTy::String,
                });
            }
            return self.enum_type(s, values, comp, hint, pointer);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = s.get(key) {
                return self.union(branches, hint, dir, &push_pointer(pointer, key));
            }
        }
        let format = s.get("format").and_then(Value::as_str);
        Ok(match typ {
            Some("string") if format == Some("uri") => match dir {
                Dir::In => MTy::FileIn,
                Dir::Out => MTy::FileOut,
            },
            Some("string")
                if dir == Dir::In
                    && (format == Some("password")
                        || s.get("x-cog-secret").and_then(Value::as_bool) == Some(true)) =>
            {
                MTy::Secret
            }
            Some("string") => MTy::String,
            Some("integer") => MTy::I64,
            Some("number") => MTy::F64,
            Some("boolean") => MTy::Bool,
            Some("array") => {
                let concat =
                    s.get("x-cog-array-display").and_then(Value::as_str) == Some("concatenate");
                match s.get("items") {
                    Some(items) => {
                        let item = self.ty(
                            items,
                            &format!("{hint}Item"),
                            dir,
                            &push_pointer(pointer, "items"),
                        )?;
                        if concat && dir == Dir::Out && item == MTy::String {
                            MTy::Concat
                        } else {
                            MTy::Vec(Box::new(item))
                        }
                    }
                    None => MTy::Vec(Box::new(MTy::Value)),
                }
            }
            Some("object") | None
                if s.get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|p| !p.is_empty()) =>
            {
                let name_hint = comp.unwrap_or(hint).to_string();
                self.object(s, comp, &name_hint, dir, pointer)?
            }
            Some("object") => match s.get("additionalProperties") {
                Some(v @ Value::Object(m)) if !m.is_empty() => {
                    let value = self.ty(
                        v,
                        &format!("{hint}Value"),
                        dir,
                        &push_pointer(pointer, "additionalProperties"),
                    )?;
                    MTy::Map(Box::new(value))
                }
                _ => MTy::Value,
            },
            None => {
                self.warn(pointer, "no type given");
                MTy::Value
            }
            Some(other) => {
                self.warn(pointer, &format!("unknown type `{other}`"));
                MTy::Value
            }
        })
    }

    fn enum_type(
        &mut self,
        s: &Value,
        values: &[Value],
        comp: Option<&str>,
        hint: &str,
        pointer: &str,
    ) -> Result<MTy> {
        let key = (comp.unwrap_or("").to_string(), true);
        if let Some(name) = comp.and_then(|_| self.by_component.get(&key)) {
            return Ok(MTy::Named(name.clone()));
        }
        let kind = if values.iter().all(Value::is_string) {
            EnumKind::Str
        } else if values.iter().all(|v| v.is_i64() || v.is_u64()) {
            EnumKind::Int
        } else if values.iter().all(Value::is_number) {
            EnumKind::Float
        } else {
            self.warn(pointer, "choices of mixed types");
            return Ok(MTy::Value);
        };
        if values.is_empty() {
            self.warn(pointer, "an empty list of choices");
            return Ok(MTy::Value);
        }
        let variants = enum_variants(values);
        let name = self.claim(comp.unwrap_or(hint));
        if comp.is_some() {
            self.by_component.insert(key, name.clone());
        }
        // Pydantic's default description of every enum says nothing.
        let doc = doc_text(s.get("description").and_then(Value::as_str))
            .filter(|d| d != "An enumeration.");
        self.defs.push((
            name.clone(),
            Def::Enum {
                doc,
                kind,
                variants,
                fields: Vec::new(),
            },
        ));
        Ok(MTy::Named(name))
    }

    fn union(&mut self, branches: &[Value], hint: &str, dir: Dir, pointer: &str) -> Result<MTy> {
        let mut variants: Vec<(String, MTy)> = Vec::new();
        let mut nullable = false;
        for (i, b) in branches.iter().enumerate() {
            let bp = push_pointer(pointer, &i.to_string());
            if b.get("type").and_then(Value::as_str) == Some("null") {
                nullable = true;
                continue;
            }
            let ty = match self.ty(b, &format!("{hint}Variant{i}"), dir, &bp)? {
                MTy::Option(inner) => {
                    nullable = true;
                    *inner
                }
                t => t,
            };
            if variants.iter().any(|(_, t)| *t == ty) {
                continue;
            }
            let base = variant_label(&ty);
            let mut name = base.clone();
            let mut n = 2;
            while variants.iter().any(|(v, _)| *v == name) {
                name = format!("{base}{n}");
                n += 1;
            }
            variants.push((name, ty));
        }
        if dir == Dir::In {
            self.warn(pointer, "an input that may have several types");
            return Ok(MTy::Value);
        }
        variants.sort_by_key(|(_, t)| match t {
            MTy::I64 => 1,
            MTy::F64 => 2,
            MTy::Value => 4,
            _ => 0,
        });
        let ty = match variants.len() {
            0 => MTy::Value,
            1 => variants.remove(0).1,
            _ => {
                let name = self.claim(hint);
                self.defs.push((
                    name.clone(),
                    Def::Union {
                        doc: None,
                        variants,
                    },
                ));
                MTy::Named(name)
            }
        };
        Ok(if nullable { ty.optional() } else { ty })
    }

    fn object(
        &mut self,
        s: &Value,
        comp: Option<&str>,
        hint: &str,
        dir: Dir,
        pointer: &str,
    ) -> Result<MTy> {
        let key = (comp.unwrap_or("").to_string(), dir == Dir::In);
        if let Some(name) = comp.and_then(|_| self.by_component.get(&key)) {
            return Ok(MTy::Named(name.clone()));
        }
        let name = self.claim(hint);
        if comp.is_some() {
            self.by_component.insert(key, name.clone());
        }
        let fields = self.fields(s, &name, dir, pointer)?;
        let doc = doc_text(s.get("description").and_then(Value::as_str));
        self.defs.push((
            name.clone(),
            Def::Struct {
                doc,
                fields,
                dir,
                required: None,
            },
        ));
        Ok(MTy::Named(name))
    }

    fn fields(&mut self, s: &Value, owner: &str, dir: Dir, pointer: &str) -> Result<Vec<MField>> {
        let empty = Map::new();
        let props = s
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // Fields in `x-order`; the rest after, in document order (API responses sort keys by
        // length, so document order means little).
        let mut ordered: Vec<(&String, &Value)> = props.iter().collect();
        ordered.sort_by_key(|(_, p)| p.get("x-order").and_then(Value::as_i64).unwrap_or(i64::MAX));
        let mut fields = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (wire, prop) in ordered {
            let fp = push_pointer(&push_pointer(pointer, "properties"), wire);
            let mut rust = naming::field_name(wire);
            if dir == Dir::In && ["new", "validate", "files_mut"].contains(&rust.as_str()) {
                rust.push('_');
            }
            if let Some(other) = seen.insert(rust.clone(), wire.clone()) {
                return Err(self.err(
                    ErrorKind::NameClash,
                    &fp,
                    format!("fields `{other}` and `{wire}` would both be named `{rust}`"),
                ));
            }
            let hint = format!(
                "{}{}",
                if owner == "Input" || owner == "Output" {
                    ""
                } else {
                    owner
                },
                naming::type_name(wire)
            );
            let mut ty = self.ty(prop, &hint, dir, &fp)?;
            let is_required = required.contains(&wire.as_str());
            if dir == Dir::In && is_required {
                // Cog rejects an explicit null, so a required input is always a value.
                ty = match ty {
                    MTy::Option(inner) => *inner,
                    t => t,
                };
            } else if !is_required {
                ty = ty.optional();
            }
            let num = |k: &str| prop.get(k).and_then(Value::as_f64);
            let excl = |k: &str| prop.get(k).and_then(Value::as_bool).unwrap_or(false);
            let bounds = Bounds {
                minimum: num("minimum").map(|m| (m, excl("exclusiveMinimum"))),
                maximum: num("maximum").map(|m| (m, excl("exclusiveMaximum"))),
                min_length: prop.get("minLength").and_then(Value::as_u64),
                max_length: prop.get("maxLength").and_then(Value::as_u64),
                pattern: prop
                    .get("pattern")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            };
            let doc = doc_text(prop.get("description").and_then(Value::as_str)).or_else(|| {
                prop.get("title")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
            fields.push(MField {
                rust,
                wire: wire.clone(),
                ty,
                doc,
                default: prop.get("default").cloned().filter(|d| !d.is_null()),
                bounds,
            });
        }
        Ok(fields)
    }
}

fn variant_label(ty: &MTy) -> String {
    match ty {
        MTy::String => "Text".into(),
        MTy::I64 => "Integer".into(),
        MTy::F64 => "Number".into(),
        MTy::Bool => "Boolean".into(),
        MTy::Value => "Json".into(),
        MTy::FileIn | MTy::FileOut => "File".into(),
        MTy::Secret => "Secret".into(),
        MTy::Concat => "Text".into(),
        MTy::Vec(i) => format!("{}List", variant_label(i)),
        MTy::Map(i) => format!("{}Map", variant_label(i)),
        MTy::Option(i) => variant_label(i),
        MTy::Named(n) => n.clone(),
    }
}

fn ty_tokens(ty: &MTy) -> TokenStream {
    match ty {
        MTy::String => quote! { ::std::string::String },
        MTy::I64 => quote! { i64 },
        MTy::F64 => quote! { f64 },
        MTy::Bool => quote! { bool },
        MTy::Value => quote! { ::replicate_client::__private::serde_json::Value },
        MTy::FileIn => quote! { ::replicate_client::FileInput },
        MTy::FileOut => quote! { ::replicate_client::model::FileOutput },
        MTy::Secret => quote! { ::replicate_client::model::Secret },
        MTy::Concat => quote! { ::replicate_client::model::Concatenated },
        MTy::Vec(i) => {
            let i = ty_tokens(i);
            quote! { ::std::vec::Vec<#i> }
        }
        MTy::Map(i) => {
            let i = ty_tokens(i);
            quote! { ::std::collections::BTreeMap<::std::string::String, #i> }
        }
        MTy::Option(i) => {
            let i = ty_tokens(i);
            quote! { ::std::option::Option<#i> }
        }
        MTy::Named(n) => {
            let n = ident(n);
            quote! { #n }
        }
    }
}

fn doc(text: Option<&str>) -> TokenStream {
    match text {
        Some(t) => {
            let t = format!(" {t}");
            quote! { #[doc = #t] }
        }
        None => quote! {},
    }
}

/// Generates the module of one model.
pub fn generate_model(src: &ModelSource) -> Result<ModelModule> {
    let mut components = match src.schema.pointer("/components/schemas") {
        Some(Value::Object(m)) => m.clone(),
        _ => {
            return Err(Error::new(
                ErrorKind::Shape,
                "#/components/schemas",
                format!(
                    "model {}/{}: the schema has no components",
                    src.owner, src.name
                ),
            )
            .in_file(&src.label))
        }
    };
    for (name, schema) in components.iter_mut() {
        normalize_schema(schema, &push_pointer("#/components/schemas", name)).map_err(|e| {
            Error {
                message: format!("model {}/{}: {}", src.owner, src.name, e.message),
                ..e
            }
            .in_file(&src.label)
        })?;
    }
    let mut gen = Gen {
        src,
        components,
        defs: Vec::new(),
        names: ["Input", "Output", "TrainingInput", "TrainingOutput"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        by_component: BTreeMap::new(),
        warnings: Vec::new(),
    };
    let marker = {
        let base = naming::type_name(&src.name);
        let name = if gen.names.contains(&base) {
            format!("{base}Model")
        } else {
            base
        };
        gen.names.insert(name.clone());
        name
    };

    // Input: always a struct, even when the schema lists no properties.
    let input_schema = gen.components.get("Input").cloned().ok_or_else(|| {
        gen.err(
            ErrorKind::Shape,
            "#/components/schemas/Input",
            "the schema has no `Input`",
        )
    })?;
    let input_fields = gen.fields(
        &input_schema,
        "Input",
        Dir::In,
        "#/components/schemas/Input",
    )?;
    let input_doc = Some(format!("Input of `{}/{}`.", src.owner, src.name));
    gen.defs.push((
        "Input".into(),
        Def::Struct {
            doc: input_doc,
            fields: input_fields,
            dir: Dir::In,
            required: None,
        },
    ));

    // Output, with its stream item.
    let (_, chunk_ty) = output_types(&mut gen, "Output")?;
    let trainable = gen.components.contains_key("TrainingInput");
    if trainable {
        let schema = gen
            .components
            .get("TrainingInput")
            .cloned()
            .unwrap_or_default();
        let fields = gen.fields(
            &schema,
            "TrainingInput",
            Dir::In,
            "#/components/schemas/TrainingInput",
        )?;
        let d = Some(format!("Training input of `{}/{}`.", src.owner, src.name));
        gen.defs.push((
            "TrainingInput".into(),
            Def::Struct {
                doc: d,
                fields,
                dir: Dir::In,
                required: None,
            },
        ));
        if gen.components.contains_key("TrainingOutput") {
            output_types(&mut gen, "TrainingOutput")?;
        } else {
            gen.defs.push((
                "TrainingOutput".into(),
                Def::Alias {
                    doc: None,
                    ty: MTy::Value,
                },
            ));
        }
    }

    label_enums(&mut gen.defs);
    name_required_structs(&mut gen);
    let tokens = render_model(src, &marker, &gen.defs, &chunk_ty, trainable);
    Ok(ModelModule {
        owner_module: naming::field_name(&src.owner),
        model_module: naming::field_name(&src.name),
        marker,
        tokens,
        warnings: gen.warnings,
        trainable,
    })
}

/// Which arguments a call site could swap without a compile error: text-like values all take
/// a `&str`, numbers all take a literal.
fn confusion_class(ty: &MTy) -> String {
    match ty {
        MTy::String | MTy::Secret | MTy::FileIn => "text".into(),
        MTy::I64 | MTy::F64 => "number".into(),
        MTy::Vec(i) => format!("list of {}", confusion_class(i)),
        MTy::Map(i) => format!("map of {}", confusion_class(i)),
        MTy::Option(i) => confusion_class(i),
        other => format!("{other:?}"),
    }
}

/// Gives an input struct whose required fields could be swapped by position a struct of those
/// fields, so `new` names each at the call site.
fn name_required_structs(gen: &mut Gen<'_>) {
    let mut wanted = Vec::new();
    for (i, (name, def)) in gen.defs.iter().enumerate() {
        let Def::Struct {
            fields,
            dir: Dir::In,
            ..
        } = def
        else {
            continue;
        };
        let classes: Vec<String> = fields
            .iter()
            .filter(|f| !matches!(f.ty, MTy::Option(_)))
            .map(|f| confusion_class(&f.ty))
            .collect();
        let confusable = classes
            .iter()
            .enumerate()
            .any(|(j, c)| classes[j + 1..].contains(c));
        if confusable {
            wanted.push((i, format!("{name}Required")));
        }
    }
    for (i, hint) in wanted {
        let claimed = gen.claim(&hint);
        if let Def::Struct { required, .. } = &mut gen.defs[i].1 {
            *required = Some(claimed);
        }
    }
}

/// Tells every enum which fields use it, so its parse errors can name them.
fn label_enums(defs: &mut [(String, Def)]) {
    fn named(ty: &MTy) -> Option<&str> {
        match ty {
            MTy::Named(n) => Some(n),
            MTy::Option(i) | MTy::Vec(i) | MTy::Map(i) => named(i),
            _ => None,
        }
    }
    let mut uses: Vec<(String, String)> = Vec::new();
    for (_, def) in defs.iter() {
        if let Def::Struct { fields, .. } = def {
            for f in fields {
                if let Some(n) = named(&f.ty) {
                    uses.push((n.to_string(), f.wire.clone()));
                }
            }
        }
    }
    for (name, def) in defs.iter_mut() {
        if let Def::Enum { fields, .. } = def {
            for (_, wire) in uses.iter().filter(|(n, _)| n == name) {
                if !fields.contains(wire) {
                    fields.push(wire.clone());
                }
            }
        }
    }
}

/// Defines `Output` (or `TrainingOutput`) and returns (output type, stream chunk type).
fn output_types(gen: &mut Gen<'_>, which: &str) -> Result<(MTy, MTy)> {
    let pointer = format!("#/components/schemas/{which}");
    let Some(schema) = gen.components.get(which).cloned() else {
        gen.warn(&pointer, "the schema has no output type");
        gen.defs.push((
            which.to_string(),
            Def::Alias {
                doc: None,
                ty: MTy::Value,
            },
        ));
        return Ok((MTy::Value, MTy::Value));
    };
    let (target, comp) = gen.deref(&schema, &pointer)?;
    let target = target.clone();
    let has_props = target
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    if has_props {
        // The output object itself is the `Output` struct.
        let fields = gen.fields(&target, which, Dir::Out, &pointer)?;
        let d = doc_text(target.get("description").and_then(Value::as_str));
        gen.defs.push((
            which.to_string(),
            Def::Struct {
                doc: d,
                fields,
                dir: Dir::Out,
                required: None,
            },
        ));
        if let Some(c) = comp {
            gen.by_component.insert((c, false), which.to_string());
        }
        let named = MTy::Named(which.to_string());
        return Ok((named.clone(), named));
    }
    let ty = gen.ty_of(
        &target,
        comp.as_deref(),
        &format!("{which}Value"),
        Dir::Out,
        &pointer,
    )?;
    let nullable = target
        .get("nullable")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let ty = if nullable { ty.optional() } else { ty };
    // A stream yields text pieces for concatenated outputs, and one item at a time for lists.
    let chunk = match &ty {
        MTy::Concat => MTy::String,
        MTy::Vec(item) => (**item).clone(),
        other => other.clone(),
    };
    let d = Some(format!("Output of `{}/{}`.", gen.src.owner, gen.src.name));
    gen.defs.push((
        which.to_string(),
        Def::Alias {
            doc: d,
            ty: ty.clone(),
        },
    ));
    Ok((MTy::Named(which.to_string()), chunk))
}

fn render_model(
    src: &ModelSource,
    marker: &str,
    defs: &[(String, Def)],
    chunk: &MTy,
    trainable: bool,
) -> TokenStream {
    let m = ident(marker);
    let (owner, name, version) = (&src.owner, &src.name, &src.version);
    let cog = src
        .cog_version
        .as_deref()
        .map(|c| format!(" (Cog {c})"))
        .unwrap_or_default();
    let module_doc = if version.is_empty() {
        format!(" `{owner}/{name}`{cog}: typed input and output. No version id was given, so runs use the model's latest version.")
    } else {
        format!(" `{owner}/{name}` version `{version}`{cog}: typed input and output.")
    };
    let marker_doc =
        format!(" The model `{owner}/{name}`: its [`Input`] runs it with `client.run(input)`.");
    let chunk_t = ty_tokens(chunk);
    let decode = match chunk.inner() {
        MTy::String => {
            quote! { ::std::result::Result::Ok(::std::string::ToString::to_string(data)) }
        }
        MTy::FileOut => {
            quote! { ::std::result::Result::Ok(::replicate_client::model::FileOutput::from(::std::string::ToString::to_string(data))) }
        }
        _ => quote! { ::replicate_client::model::json_chunk(data) },
    };
    let training = trainable.then(|| {
        quote! {
            impl ::replicate_client::model::Trainable for #m {
                type TrainingInput = TrainingInput;
                type TrainingOutput = TrainingOutput;
            }
        }
    });
    let items = defs.iter().map(|(name, def)| render_def(name, def, &m));
    quote! {
        #![doc = #module_doc]
        #[doc = #marker_doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct #m;
        impl ::replicate_client::model::Model for #m {
            const OWNER: &'static str = #owner;
            const NAME: &'static str = #name;
            const VERSION: &'static str = #version;
            type Input = Input;
            type Output = Output;
            type Chunk = #chunk_t;
            fn decode_chunk(data: &str) -> ::std::result::Result<Self::Chunk, ::replicate_client::Error> {
                #decode
            }
        }
        #training
        #(#items)*
    }
}

fn field_doc(f: &MField) -> TokenStream {
    let mut text = f
        .doc
        .clone()
        .unwrap_or_else(|| format!("The `{}` field.", f.wire));
    if let Some(d) = &f.default {
        if !text.is_empty() && !text.ends_with(['.', '!', '?', ':']) {
            text.push('.');
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&format!(
            "Default: `{}`.",
            serde_json::to_string(d).unwrap_or_default()
        ));
    }
    let mut lines = Vec::new();
    if !text.is_empty() {
        lines.push(text);
    }
    let b = &f.bounds;
    let mut range = Vec::new();
    if let Some((v, ex)) = b.minimum {
        range.push(format!("{} {v}", if ex { ">" } else { ">=" }));
    }
    if let Some((v, ex)) = b.maximum {
        range.push(format!("{} {v}", if ex { "<" } else { "<=" }));
    }
    if let Some(v) = b.min_length {
        range.push(format!("at least {v} characters"));
    }
    if let Some(v) = b.max_length {
        range.push(format!("at most {v} characters"));
    }
    if let Some(p) = &b.pattern {
        range.push(format!("matches `{p}`"));
    }
    if !range.is_empty() {
        lines.push(format!("Checked before sending: {}.", range.join(", ")));
    }
    let lines: Vec<String> = lines.iter().map(|l| format!(" {l}")).collect();
    if lines.len() > 1 {
        let (first, rest) = lines.split_at(1);
        let first = &first[0];
        quote! { #[doc = #first] #[doc = ""] #(#[doc = #rest])* }
    } else {
        quote! { #(#[doc = #lines])* }
    }
}

fn render_def(name: &str, def: &Def, marker: &Ident) -> TokenStream {
    let n = ident(name);
    match def {
        Def::Alias { doc: d, ty } => {
            let fallback = format!("The model's `{name}`.");
            let d = doc(Some(d.as_deref().unwrap_or(&fallback)));
            let t = ty_tokens(ty);
            quote! { #d pub type #n = #t; }
        }
        Def::Union { doc: d, variants } => {
            let fallback = format!("The model's `{name}`, one of several shapes.");
            let d = doc(Some(d.as_deref().unwrap_or(&fallback)));
            let vs = variants.iter().map(|(v, t)| {
                let vd = format!(" The value as `{v}`.");
                let v = ident(v);
                let t = ty_tokens(t);
                quote! { #[doc = #vd] #v(#t), }
            });
            quote! {
                #d
                #[derive(Debug, Clone, PartialEq, ::replicate_client::__private::serde::Serialize, ::replicate_client::__private::serde::Deserialize)]
                #[serde(crate = "::replicate_client::__private::serde", untagged)]
                pub enum #n { #(#vs)* }
            }
        }
        Def::Enum {
            doc: d,
            kind,
            variants,
            fields,
        } => {
            // Errors name the input, not the Rust type.
            let label = if fields.is_empty() {
                name.to_string()
            } else {
                fields.join(" / ")
            };
            let fallback = format!("The choices of `{label}`.");
            render_enum(
                &n,
                Some(d.as_deref().unwrap_or(&fallback)),
                *kind,
                variants,
                &label,
            )
        }
        Def::Struct {
            doc: d,
            fields,
            dir,
            required,
        } => {
            let fallback = format!(
                "The `{name}` object of the model's {}.",
                match dir {
                    Dir::In => "input",
                    Dir::Out => "output",
                }
            );
            let d = Some(d.as_deref().unwrap_or(&fallback));
            render_struct(&n, d, fields, *dir, required.as_deref(), marker)
        }
    }
}

fn render_enum(
    n: &Ident,
    d: Option<&str>,
    kind: EnumKind,
    variants: &[(String, Value)],
    field: &str,
) -> TokenStream {
    let d = doc(d);
    // Names made of a value's own spelling (`Low_low`) are not camel case.
    let allow = variants
        .iter()
        .any(|(v, _)| v.trim_end_matches('_').contains('_'))
        .then(|| quote! { #[allow(non_camel_case_types)] });
    let d = quote! { #d #allow };
    let decl = variants.iter().map(|(v, w)| {
        let v = ident(v);
        let vd = format!(
            " `{}`",
            match w {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }
        );
        quote! { #[doc = #vd] #v, }
    });
    match kind {
        EnumKind::Str => {
            let arms = variants.iter().map(|(v, w)| {
                let v = ident(v);
                let w = w.as_str().unwrap_or_default();
                quote! { Self::#v => #w, }
            });
            let from = variants.iter().map(|(v, w)| {
                let v = ident(v);
                let w = w.as_str().unwrap_or_default();
                quote! { #w => ::std::result::Result::Ok(Self::#v), }
            });
            let expected = variants
                .iter()
                .map(|(_, w)| w.as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            // Each variant carries its wire value for serde, so the (de)serialisers are derived.
            let renamed = variants.iter().map(|(v, w)| {
                let v = ident(v);
                let w = w.as_str().unwrap_or_default();
                let vd = format!(" `{w}`");
                quote! { #[doc = #vd] #[serde(rename = #w)] #v, }
            });
            quote! {
                #d
                #[derive(
                    Debug, Clone, Copy, PartialEq, Eq, Hash,
                    ::replicate_client::__private::serde::Serialize,
                    ::replicate_client::__private::serde::Deserialize
                )]
                #[serde(crate = "::replicate_client::__private::serde")]
                pub enum #n { #(#renamed)* }
                impl #n {
                    /// The value sent on the wire.
                    pub fn as_str(&self) -> &'static str {
                        match self { #(#arms)* }
                    }
                }
                impl ::std::fmt::Display for #n {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(self.as_str())
                    }
                }
                impl ::std::str::FromStr for #n {
                    type Err = ::replicate_client::Error;
                    fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                        match value {
                            #(#from)*
                            other => ::std::result::Result::Err(::replicate_client::Error::InvalidInput {
                                field: ::std::string::ToString::to_string(#field),
                                message: ::std::format!("{other:?} is not one of: {}", #expected),
                            }),
                        }
                    }
                }
            }
        }
        EnumKind::Int | EnumKind::Float => {
            let (num_ty, ser, derives) = if kind == EnumKind::Int {
                (
                    quote! { i64 },
                    quote! { s.serialize_i64(self.value()) },
                    quote! { #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)] },
                )
            } else {
                (
                    quote! { f64 },
                    quote! { s.serialize_f64(self.value()) },
                    quote! { #[derive(Debug, Clone, Copy, PartialEq)] },
                )
            };
            let lit = |w: &Value| -> TokenStream {
                if kind == EnumKind::Int {
                    let v = w.as_i64().unwrap_or_default();
                    let l = proc_macro2::Literal::i64_unsuffixed(v);
                    quote! { #l }
                } else {
                    let v = w.as_f64().unwrap_or_default();
                    let l = proc_macro2::Literal::f64_unsuffixed(v);
                    quote! { #l }
                }
            };
            let arms = variants.iter().map(|(v, w)| {
                let v = ident(v);
                let l = lit(w);
                quote! { Self::#v => #l, }
            });
            let from = variants.iter().map(|(v, w)| {
                let v = ident(v);
                let l = lit(w);
                quote! { if value == #l { return ::std::result::Result::Ok(Self::#v); } }
            });
            let expected = variants
                .iter()
                .map(|(_, w)| w.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            quote! {
                #d
                #derives
                pub enum #n { #(#decl)* }
                impl #n {
                    /// The value sent on the wire.
                    pub fn value(&self) -> #num_ty {
                        match self { #(#arms)* }
                    }
                    /// The variant for a wire value.
                    #[allow(clippy::float_cmp)]
                    pub fn from_value(value: #num_ty) -> ::std::result::Result<Self, ::replicate_client::Error> {
                        #(#from)*
                        ::std::result::Result::Err(::replicate_client::Error::InvalidInput {
                            field: ::std::string::ToString::to_string(#field),
                            message: ::std::format!("{value} is not one of: {}", #expected),
                        })
                    }
                }
                impl ::std::fmt::Display for #n {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        ::std::write!(f, "{}", self.value())
                    }
                }
                impl ::replicate_client::__private::serde::Serialize for #n {
                    fn serialize<S: ::replicate_client::__private::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                        #ser
                    }
                }
                impl<'de> ::replicate_client::__private::serde::Deserialize<'de> for #n {
                    fn deserialize<D: ::replicate_client::__private::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                        let value = <#num_ty as ::replicate_client::__private::serde::Deserialize>::deserialize(d)?;
                        Self::from_value(value).map_err(::replicate_client::__private::serde::de::Error::custom)
                    }
                }
            }
        }
    }
}

fn render_struct(
    n: &Ident,
    d: Option<&str>,
    fields: &[MField],
    dir: Dir,
    required_struct: Option<&str>,
    marker: &Ident,
) -> TokenStream {
    let d = doc(d);
    let decl = fields.iter().map(|f| {
        let fname = ident(&f.rust);
        let t = ty_tokens(&f.ty);
        let fd = field_doc(f);
        let rename = (f.rust != f.wire).then(|| {
            let w = &f.wire;
            quote! { #[serde(rename = #w)] }
        });
        let skip = matches!(f.ty, MTy::Option(_)).then(|| {
            quote! { #[serde(default, skip_serializing_if = "::std::option::Option::is_none")] }
        });
        quote! { #fd #rename #skip pub #fname: #t, }
    });
    let all_optional = fields.iter().all(|f| matches!(f.ty, MTy::Option(_)));
    let default = (dir == Dir::In && all_optional).then(|| quote! { Default, });
    let strukt = quote! {
        #d
        #[derive(Debug, Clone, PartialEq, #default ::replicate_client::__private::serde::Serialize, ::replicate_client::__private::serde::Deserialize)]
        #[serde(crate = "::replicate_client::__private::serde")]
        pub struct #n { #(#decl)* }
    };
    if dir == Dir::Out {
        return strukt;
    }
    // Inputs: a constructor over the required fields, setters for the optional ones, checks.
    let required: Vec<&MField> = fields
        .iter()
        .filter(|f| !matches!(f.ty, MTy::Option(_)))
        .collect();
    let (constructor, required_def) = match required_struct {
        None => {
            let args = required.iter().map(|f| {
                let fname = ident(&f.rust);
                let t = ty_tokens(&f.ty);
                quote! { #fname: impl ::std::convert::Into<#t> }
            });
            let inits = fields.iter().map(|f| {
                let fname = ident(&f.rust);
                if matches!(f.ty, MTy::Option(_)) {
                    quote! { #fname: ::std::option::Option::None, }
                } else {
                    quote! { #fname: #fname.into(), }
                }
            });
            let allow =
                (required.len() > 7).then(|| quote! { #[allow(clippy::too_many_arguments)] });
            let constructor = quote! {
                /// A value with the required fields; optional ones are left out (the model's
                /// defaults apply) until set.
                #allow
                pub fn new(#(#args),*) -> Self {
                    Self { #(#inits)* }
                }
            };
            (constructor, quote! {})
        }
        Some(r) => {
            // Several required fields of one kind: positional arguments could be swapped
            // without a compile error, so the call site names them in a struct.
            let r = ident(r);
            let decl = required.iter().map(|f| {
                let fname = ident(&f.rust);
                let t = ty_tokens(&f.ty);
                let fd = field_doc(f);
                quote! { #fd pub #fname: #t, }
            });
            let inits = fields.iter().map(|f| {
                let fname = ident(&f.rust);
                if matches!(f.ty, MTy::Option(_)) {
                    quote! { #fname: ::std::option::Option::None, }
                } else {
                    quote! { #fname: required.#fname, }
                }
            });
            let rd = format!(
                " The required fields of [`{n}`], named at the call site: `{n}::new({r} {{ .. }})`."
            );
            let required_def = quote! {
                #[doc = #rd]
                #[derive(Debug, Clone, PartialEq)]
                pub struct #r { #(#decl)* }
                impl ::std::convert::From<#r> for #n {
                    fn from(required: #r) -> Self {
                        Self::new(required)
                    }
                }
            };
            let constructor = quote! {
                /// A value with the required fields (named, so they cannot be swapped);
                /// optional ones are left out (the model's defaults apply) until set.
                pub fn new(required: #r) -> Self {
                    Self { #(#inits)* }
                }
            };
            (constructor, required_def)
        }
    };
    let setters = fields.iter().filter_map(|f| {
        let MTy::Option(inner) = &f.ty else {
            return None;
        };
        let fname = ident(&f.rust);
        let t = ty_tokens(inner);
        let sd = format!(" Sets `{}`.", f.wire);
        Some(quote! {
            #[doc = #sd]
            pub fn #fname(mut self, value: impl ::std::convert::Into<#t>) -> Self {
                self.#fname = ::std::option::Option::Some(value.into());
                self
            }
        })
    });
    let checks = fields.iter().filter_map(check_tokens);
    // Chained iterators over disjoint fields: one expression, no mutable vector dance.
    let files: Vec<TokenStream> = fields
        .iter()
        .filter_map(|f| {
            let fname = ident(&f.rust);
            let wire = &f.wire;
            match &f.ty {
                MTy::FileIn => {
                    Some(quote! { .chain(::std::iter::once((#wire, &mut self.#fname))) })
                }
                MTy::Option(i) if **i == MTy::FileIn => {
                    Some(quote! { .chain(self.#fname.as_mut().map(|f| (#wire, f))) })
                }
                MTy::Vec(i) if **i == MTy::FileIn => {
                    Some(quote! { .chain(self.#fname.iter_mut().map(|f| (#wire, f))) })
                }
                MTy::Option(v) if matches!(&**v, MTy::Vec(i) if **i == MTy::FileIn) => {
                    Some(quote! { .chain(self.#fname.iter_mut().flatten().map(|f| (#wire, f))) })
                }
                _ => None,
            }
        })
        .collect();
    let files_body = if files.is_empty() {
        quote! { ::std::vec::Vec::new() }
    } else {
        quote! { ::std::iter::empty() #(#files)* .collect() }
    };
    let checks: Vec<TokenStream> = checks.collect();
    quote! {
        #strukt
        #required_def
        impl #n {
            #constructor
            #(#setters)*
        }
        impl ::replicate_client::model::ModelInput for #n {
            type Model = #marker;
            fn validate(&self) -> ::std::result::Result<(), ::replicate_client::Error> {
                #(#checks)*
                ::std::result::Result::Ok(())
            }
            fn files_mut(&mut self) -> ::std::vec::Vec<(&'static str, &mut ::replicate_client::FileInput)> {
                #files_body
            }
        }
    }
}

fn check_tokens(f: &MField) -> Option<TokenStream> {
    let b = &f.bounds;
    let wire = &f.wire;
    let fname = ident(&f.rust);
    let mut body = Vec::new();
    match f.ty.inner() {
        MTy::I64 | MTy::F64 if b.minimum.is_some() || b.maximum.is_some() => {
            // One call per field; integers are compared as integers (no f64 rounding past
            // 2^53), a fractional bound on an integer becoming the nearest integer inside it.
            let integer = *f.ty.inner() == MTy::I64;
            let bound = |b: Option<(f64, bool)>, lower: bool| -> TokenStream {
                let check = quote! { ::replicate_client::model::check::Bound };
                match b {
                    None => quote! { #check::None },
                    Some((v, exclusive)) if integer => {
                        let fractional = v.fract() != 0.0;
                        let n = if lower { v.ceil() } else { v.floor() };
                        let n = proc_macro2::Literal::i64_unsuffixed(n as i64);
                        if exclusive && !fractional {
                            quote! { #check::Exclusive(#n) }
                        } else {
                            quote! { #check::Inclusive(#n) }
                        }
                    }
                    Some((v, exclusive)) => {
                        let n = proc_macro2::Literal::f64_unsuffixed(v);
                        if exclusive {
                            quote! { #check::Exclusive(#n) }
                        } else {
                            quote! { #check::Inclusive(#n) }
                        }
                    }
                }
            };
            let (min, max) = (bound(b.minimum, true), bound(b.maximum, false));
            body.push(
                quote! { ::replicate_client::model::check::range(#wire, *value, #min, #max)?; },
            );
        }
        MTy::String | MTy::Secret => {
            // The check reads the value through its type, so a `Secret` is never shown.
            let as_str = quote! { value };
            if b.min_length.is_some() || b.max_length.is_some() {
                let min = match b.min_length {
                    Some(v) => {
                        let v = proc_macro2::Literal::usize_unsuffixed(v as usize);
                        quote! { ::std::option::Option::Some(#v) }
                    }
                    None => quote! { ::std::option::Option::None },
                };
                let max = match b.max_length {
                    Some(v) => {
                        let v = proc_macro2::Literal::usize_unsuffixed(v as usize);
                        quote! { ::std::option::Option::Some(#v) }
                    }
                    None => quote! { ::std::option::Option::None },
                };
                body.push(quote! { ::replicate_client::model::check::length(#wire, #as_str, #min, #max)?; });
            }
            if let Some(p) = &b.pattern {
                body.push(
                    quote! { ::replicate_client::model::check::pattern(#wire, #as_str, #p)?; },
                );
            }
        }
        _ => {}
    }
    if body.is_empty() {
        return None;
    }
    Some(if matches!(f.ty, MTy::Option(_)) {
        quote! { if let ::std::option::Option::Some(value) = &self.#fname { #(#body)* } }
    } else {
        quote! { { let value = &self.#fname; #(#body)* } }
    })
}

/// What changed between two versions of a model's schema, for callers of its typed module:
/// each line says whether existing code may break.
pub fn schema_changes(old: &ModelSource, new: &ModelSource) -> Vec<String> {
    fn components(src: &ModelSource) -> Map<String, Value> {
        let mut c = src
            .schema
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (name, schema) in c.iter_mut() {
            let _ = normalize_schema(schema, &push_pointer("#/components/schemas", name));
        }
        c
    }
    // A property with its `allOf`/`$ref` resolved, keywords of both levels merged.
    fn resolved(prop: &Value, comps: &Map<String, Value>) -> Map<String, Value> {
        let mut out = prop.as_object().cloned().unwrap_or_default();
        let reference = prop
            .get("allOf")
            .and_then(|a| a.get(0))
            .and_then(|r| r.get("$ref"))
            .or_else(|| prop.get("$ref"))
            .and_then(Value::as_str);
        if let Some(target) =
            reference.and_then(|r| comps.get(r.trim_start_matches("#/components/schemas/")))
        {
            for (k, v) in target.as_object().into_iter().flatten() {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        out
    }
    fn kind(s: &Map<String, Value>) -> String {
        let t = s.get("type").and_then(Value::as_str).unwrap_or("any");
        match (t, s.get("format").and_then(Value::as_str), s.get("items")) {
            ("array", _, Some(items)) => {
                let i = items.as_object().cloned().unwrap_or_default();
                format!("array of {}", kind(&i))
            }
            (t, Some(f), _) => format!("{t} ({f})"),
            (t, None, _) => t.to_string(),
        }
    }
    let (oc, nc) = (components(old), components(new));
    let mut out = Vec::new();
    for section in ["Input", "TrainingInput"] {
        let props = |c: &Map<String, Value>| {
            c.get(section)
                .and_then(|i| i.get("properties"))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let required = |c: &Map<String, Value>| -> Vec<String> {
            c.get(section)
                .and_then(|i| i.get("required"))
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (op, np) = (props(&oc), props(&nc));
        let (or, nr) = (required(&oc), required(&nc));
        for name in np.keys() {
            if !op.contains_key(name) {
                if nr.contains(name) {
                    out.push(format!("breaking: new required input `{name}` ({section})"));
                } else {
                    out.push(format!(
                        "compatible: new optional input `{name}` ({section})"
                    ));
                }
            }
        }
        for name in op.keys() {
            let Some(new_prop) = np.get(name) else {
                out.push(format!("breaking: input `{name}` removed ({section})"));
                continue;
            };
            let a = resolved(&op[name], &oc);
            let b = resolved(new_prop, &nc);
            if !or.contains(name) && nr.contains(name) {
                out.push(format!(
                    "breaking: input `{name}` is now required ({section})"
                ));
            }
            if or.contains(name) && !nr.contains(name) {
                // The field becomes an `Option` and leaves the constructor.
                out.push(format!(
                    "breaking: input `{name}` is now optional: it leaves `new` and becomes a setter ({section})"
                ));
            }
            if kind(&a) != kind(&b) {
                out.push(format!(
                    "breaking: input `{name}` changed from {} to {} ({section})",
                    kind(&a),
                    kind(&b)
                ));
            }
            let values = |s: &Map<String, Value>| {
                s.get("enum")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            let (av, bv) = (values(&a), values(&b));
            if av.is_empty() != bv.is_empty() {
                // Plain value ↔ enum: the Rust type of the field changes.
                let shape = |v: &Vec<Value>| {
                    if v.is_empty() {
                        "a plain value"
                    } else {
                        "a choice"
                    }
                };
                out.push(format!(
                    "breaking: input `{name}` changed from {} to {} ({section})",
                    shape(&av),
                    shape(&bv)
                ));
            }
            for v in av.iter().filter(|v| !bv.contains(v) && !bv.is_empty()) {
                out.push(format!(
                    "breaking: choice {v} of `{name}` removed ({section})"
                ));
            }
            for v in bv.iter().filter(|v| !av.contains(v) && !av.is_empty()) {
                out.push(format!(
                    "compatible: choice {v} of `{name}` added ({section})"
                ));
            }
            // The generated names, compared by the same rule that makes them.
            let (an, bn) = (enum_variants(&av), enum_variants(&bv));
            for (variant, old_value) in &an {
                match bn.iter().find(|(n, _)| n == variant) {
                    Some((_, new_value)) if new_value != old_value => out.push(format!(
                        "breaking: variant `{variant}` of `{name}` now sends {new_value} instead of {old_value} ({section})"
                    )),
                    None if bv.contains(old_value) => {
                        let renamed = bn.iter().find(|(_, v)| v == old_value).map(|(n, _)| n);
                        out.push(format!(
                            "breaking: variant `{variant}` of `{name}` is now `{}` ({section})",
                            renamed.map(String::as_str).unwrap_or("?")
                        ));
                    }
                    _ => {}
                }
            }
            let num = |s: &Map<String, Value>, k: &str| s.get(k).and_then(Value::as_f64);
            match (num(&a, "minimum"), num(&b, "minimum")) {
                (Some(x), Some(y)) if y > x => out.push(format!(
                    "breaking: minimum of `{name}` raised from {x} to {y} ({section})"
                )),
                (None, Some(y)) => out.push(format!(
                    "breaking: `{name}` now has a minimum of {y} ({section})"
                )),
                _ => {}
            }
            match (num(&a, "maximum"), num(&b, "maximum")) {
                (Some(x), Some(y)) if y < x => out.push(format!(
                    "breaking: maximum of `{name}` lowered from {x} to {y} ({section})"
                )),
                (None, Some(y)) => out.push(format!(
                    "breaking: `{name}` now has a maximum of {y} ({section})"
                )),
                _ => {}
            }
            match (num(&a, "minLength"), num(&b, "minLength")) {
                (x, Some(y)) if y > x.unwrap_or(0.0) => out.push(format!(
                    "breaking: `{name}` now needs at least {y} characters ({section})"
                )),
                _ => {}
            }
            match (num(&a, "maxLength"), num(&b, "maxLength")) {
                (x, Some(y)) if x.is_none_or(|x| y < x) => out.push(format!(
                    "breaking: `{name}` now takes at most {y} characters ({section})"
                )),
                _ => {}
            }
            let pattern = |s: &Map<String, Value>| s.get("pattern").cloned();
            if pattern(&b).is_some() && pattern(&a) != pattern(&b) {
                out.push(format!(
                    "breaking: `{name}` must now match {} ({section})",
                    pattern(&b).unwrap_or_default()
                ));
            }
        }
    }
    for section in ["Output", "TrainingOutput"] {
        let get =
            |c: &Map<String, Value>| c.get(section).map(|o| resolved(o, c)).unwrap_or_default();
        let (a, b) = (get(&oc), get(&nc));
        let display = |s: &Map<String, Value>| {
            let mut k = kind(s);
            if let Some(t) = s.get("x-cog-array-type").and_then(Value::as_str) {
                k.push_str(&format!(", {t}"));
            }
            if let Some(d) = s.get("x-cog-array-display").and_then(Value::as_str) {
                k.push_str(&format!(", {d}"));
            }
            k
        };
        if display(&a) != display(&b) {
            out.push(format!(
                "breaking: {section} changed from {} to {}",
                display(&a),
                display(&b)
            ));
        }
        let props = |s: &Map<String, Value>| {
            s.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (ap, bp) = (props(&a), props(&b));
        for name in ap.keys().filter(|k| !bp.contains_key(*k)) {
            out.push(format!(
                "breaking: output field `{name}` removed ({section})"
            ));
        }
        for name in bp.keys().filter(|k| !ap.contains_key(*k)) {
            out.push(format!("compatible: new output field `{name}` ({section})"));
        }
        for (name, old) in &ap {
            let Some(new) = bp.get(name) else { continue };
            let (old, new) = (resolved(old, &oc), resolved(new, &nc));
            if kind(&old) != kind(&new) {
                out.push(format!(
                    "breaking: output field `{name}` changed from {} to {} ({section})",
                    kind(&old),
                    kind(&new)
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn variant_names_do_not_depend_on_order() {
        let a = enum_variants(&[json!("low"), json!("Low"), json!("high")]);
        let b = enum_variants(&[json!("high"), json!("Low"), json!("low")]);
        for (name, value) in &a {
            assert!(b.contains(&(name.clone(), value.clone())), "{name} {value}");
        }
        assert!(a.contains(&("Low_low".into(), json!("low"))));
        assert!(a.contains(&("High".into(), json!("high"))));
        assert!(a.iter().all(|(n, _)| naming::is_plain_ident(n)));
        // Distinct values whose plain names collide always get distinct names.
        let c = enum_variants(&[json!("a:"), json!("a_3A"), json!("A"), json!("a")]);
        let mut names: Vec<_> = c.iter().map(|(n, _)| n.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 4, "{c:?}");
    }

    fn source(values: serde_json::Value) -> ModelSource {
        ModelSource {
            owner: "acme".into(),
            name: "m".into(),
            version: "v".into(),
            cog_version: None,
            schema: json!({"components": {"schemas": {
                "q": {"type": "string", "enum": values},
                "Input": {"type": "object", "properties": {"q": {"allOf": [{"$ref": "#/components/schemas/q"}]}}},
                "Output": {"type": "string"}
            }}}),
            label: "x".into(),
        }
    }

    fn prompt_source(required: bool, choices: Option<Vec<&str>>) -> ModelSource {
        let mut prompt = json!({"type": "string"});
        if let Some(c) = choices {
            prompt["enum"] = json!(c);
        }
        ModelSource {
            owner: "acme".into(),
            name: "m".into(),
            version: "v".into(),
            cog_version: None,
            schema: json!({"components": {"schemas": {
                "Input": {"type": "object", "required": if required { json!(["prompt"]) } else { json!([]) },
                    "properties": {"prompt": prompt}},
                "Output": {"type": "object", "properties": {"n": {"type": if required { "integer" } else { "string" }}}}
            }}}),
            label: "x".into(),
        }
    }

    #[test]
    fn arity_shape_and_output_field_changes_are_breaking() {
        let text =
            schema_changes(&prompt_source(true, None), &prompt_source(false, None)).join("\n");
        assert!(
            text.contains("breaking: input `prompt` is now optional"),
            "{text}"
        );
        assert!(
            text.contains("breaking: output field `n` changed from integer to string"),
            "{text}"
        );
        let text = schema_changes(
            &prompt_source(true, None),
            &prompt_source(true, Some(vec!["a"])),
        )
        .join("\n");
        assert!(
            text.contains("breaking: input `prompt` changed from a plain value to a choice"),
            "{text}"
        );
    }

    #[test]
    fn a_variant_that_moves_to_another_value_is_breaking() {
        let changes = schema_changes(
            &source(json!(["low", "high"])),
            &source(json!(["Low", "high"])),
        );
        let text = changes.join("\n");
        assert!(
            text.contains("breaking: variant `Low` of `q` now sends \"Low\" instead of \"low\""),
            "{text}"
        );
        let changes = schema_changes(
            &source(json!(["low", "high"])),
            &source(json!(["low", "Low", "high"])),
        );
        let text = changes.join("\n");
        assert!(
            text.contains("breaking: variant `Low` of `q` is now `Low_low`"),
            "{text}"
        );
    }
}
