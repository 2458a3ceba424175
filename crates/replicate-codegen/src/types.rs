//! Phase 2, types: every schema lowers into the [`crate::ir`]: a Rust type expression ([`Ty`])
//! and, when it needs a definition of its own, a [`TypeDef`] registered under a unique name.
//!
//! One lowering serves both kinds of document. A [`Mode`] says which rules apply where they
//! must differ: API bodies get open enums (a newer server may send new values), model inputs
//! get closed ones (a wrong choice is a compile error), model outputs are decoded leniently.
//! Everything else (`$ref`s, names, optional fields, unions, recursion) is one rule.
//!
//! Component schemas of an API are named after their component (with a shared `schemas_`
//! prefix stripped); inline schemas are named from their context (`PredictionResponseUrls`,
//! `ModelsListSortBy`). Model schemas are lowered from their roots (`Input`, `Output`), each
//! component once per mode. Recursion goes through `Box`, unexpressible shapes are errors with
//! the pointer of the schema, and open schemas become `serde_json::Value` only where the
//! document really says "any JSON" (or, for a model, with a warning).

use crate::error::{push_pointer, Error, ErrorKind, Result};
pub use crate::ir::{Bounds, EnumKind, Field, Place, StructRole, Ty, TypeDef};
use crate::naming;
use openapiv3::{
    AdditionalProperties, OpenAPI, ReferenceOr, Schema, SchemaKind, StringFormat, Type,
    VariantOrUnknownOrEmpty,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Component schemas by name.
pub type Schemas = indexmap::IndexMap<String, ReferenceOr<Schema>>;

/// Which rules lower a schema, where API bodies and model schemas must differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    /// API bodies and responses: open enums; every component defined once, under its name.
    Api,
    /// A multipart form body: binary strings are files; no serde.
    Form,
    /// A model's input (Cog's profile): closed enums of strings, integers or floats, fields in
    /// `x-order`, bounds checked before sending, `format: uri` files, `format: password`
    /// secrets. A shape with no Rust type becomes `Value` with a warning.
    ModelInput,
    /// A model's output: enum values decoded as plain values, file URLs, concatenated text.
    ModelOutput,
}

impl Mode {
    fn is_model(self) -> bool {
        matches!(self, Mode::ModelInput | Mode::ModelOutput)
    }

    fn role(self) -> StructRole {
        match self {
            Mode::Api => StructRole::Json,
            Mode::Form => StructRole::Form,
            Mode::ModelInput => StructRole::ModelInput { required: None },
            Mode::ModelOutput => StructRole::ModelOutput,
        }
    }
}

/// Where a schema is lowered: with which rules, and whether it is a component's own definition
/// (registered under the component's name) or an inline schema (named from its context).
#[derive(Debug, Clone, Copy)]
struct At {
    mode: Mode,
    component: bool,
}

impl At {
    fn inline(mode: Mode) -> At {
        At {
            mode,
            component: false,
        }
    }
}

/// All types generated for one document.
#[derive(Debug, Default)]
pub struct TypeSpace {
    /// Rust name → definition, sorted.
    pub defs: BTreeMap<String, TypeDef>,
    /// API component schema name → Rust name.
    pub components: BTreeMap<String, String>,
    /// Components whose schema is nullable: references to them are `Option`.
    nullable_components: BTreeSet<String>,
    /// Names no inline type may take (a model's `Input`, `Output`, marker).
    reserved: BTreeSet<String>,
    /// Model components already lowered, per mode.
    lowered: BTreeMap<(String, Mode), Ty>,
    /// Model components being lowered, to refuse a loop that no struct breaks.
    lowering: BTreeSet<(String, Mode)>,
    /// Where a model schema has no Rust type: `(pointer, what)`; the value is kept as JSON.
    pub warnings: Vec<(String, String)>,
    /// Where each lowered type came from, kept only when the diff asks ([`TypeSpace::traced`]).
    pub trace: Option<Trace>,
    /// Read invalid but common documents with a warning instead of refusing them
    /// (`--lenient`): a path variable no operation declares is a string parameter, and an
    /// operationId used twice gets the method appended the second time.
    pub lenient: bool,
}

/// Where the lowered types came from, by JSON pointer: what the diff needs to find a type's
/// schema in the document (its format, constraints and default) without re-deriving the
/// lowering's rules. Generation does not record it.
#[derive(Debug, Default)]
pub struct Trace {
    /// A pointer whose type was lowered at another one: a one-branch `oneOf`, a one-part
    /// `allOf`, a union under its keyword, a property merged from an `allOf` part.
    pub via: BTreeMap<String, String>,
    /// The pointer each definition was lowered from.
    pub defs: BTreeMap<String, String>,
    /// The pointer of each variant of a union definition, in the definition's order.
    pub variants: BTreeMap<String, Vec<String>>,
    /// Pointers whose schema is nullable (its type there is `Option` before any [`Place`]).
    pub nullable: BTreeSet<String>,
    /// Where a pointer of the lowering (and all below it) really is in the document: a
    /// parameter, body or response given by `$ref` is lowered under its operation, a property
    /// merged from an `allOf` part under the merged object.
    pub moved: BTreeMap<String, String>,
}

impl Trace {
    /// The document pointer of a pointer the lowering used.
    pub fn in_document(&self, pointer: &str) -> String {
        let prefix = self
            .moved
            .iter()
            .filter(|(from, _)| {
                pointer == from.as_str()
                    || pointer
                        .strip_prefix(from.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|(from, _)| from.len());
        match prefix {
            Some((from, to)) => format!("{to}{}", &pointer[from.len()..]),
            None => pointer.to_string(),
        }
    }
}

/// A summary for a schema the spec does not describe, from where it sits in the document:
/// a component, a property of another schema, an item of a list, an operation's body.
pub fn fallback_doc(pointer: &str) -> String {
    let unescape = |s: &str| s.replace("~1", "/").replace("~0", "~");
    let parts: Vec<String> = pointer
        .trim_start_matches("#/")
        .split('/')
        .map(unescape)
        .collect();
    let last_property = parts
        .iter()
        .rposition(|p| p == "properties")
        .and_then(|i| parts.get(i + 1));
    match parts.as_slice() {
        [c, s, name] if c == "components" && s == "schemas" => {
            format!("The `{name}` schema of the API.")
        }
        [p, path, method, rest @ ..] if p == "paths" => {
            let method = method.to_ascii_uppercase();
            let part = match rest.first().map(String::as_str) {
                Some("requestBody") => "request body",
                Some("responses") => "response",
                _ => "parameter",
            };
            match last_property {
                Some(field) => format!("The `{field}` part of the {part} of `{method} {path}`."),
                None => format!("The {part} of `{method} {path}`."),
            }
        }
        _ if parts.last().map(String::as_str) == Some("items") => match last_property {
            Some(field) => format!("An item of `{field}`."),
            None => "An item of a list.".to_string(),
        },
        _ => match last_property {
            Some(field) => format!("The `{field}` value."),
            None => format!("A value of the API (`{pointer}`)."),
        },
    }
}

/// First paragraph of a description, on one line (keeps doc comments short and lint-clean).
pub fn doc_text(description: Option<&str>) -> Option<String> {
    let text = description?.trim();
    let para = text.split("\n\n").next().unwrap_or("").trim();
    let line = para.split_whitespace().collect::<Vec<_>>().join(" ");
    (!line.is_empty()).then_some(line)
}

impl TypeSpace {
    /// Builds the type space of an API's component schemas.
    pub fn new(spec: &OpenAPI) -> Result<TypeSpace> {
        TypeSpace::build(spec, None)
    }

    /// [`TypeSpace::new`], recording a [`Trace`] of where every type came from.
    pub fn traced(spec: &OpenAPI) -> Result<TypeSpace> {
        TypeSpace::build(spec, Some(Trace::default()))
    }

    fn build(spec: &OpenAPI, trace: Option<Trace>) -> Result<TypeSpace> {
        let mut space = TypeSpace {
            trace,
            ..TypeSpace::default()
        };
        let Some(components) = &spec.components else {
            return Ok(space);
        };
        let names: Vec<&String> = components.schemas.keys().collect();
        let strip = common_prefix_to_strip(&names);
        let bases: Vec<String> = names
            .iter()
            .map(|name| {
                let short = strip
                    .as_deref()
                    .and_then(|p| name.strip_prefix(p))
                    .unwrap_or(name);
                naming::type_name(short)
            })
            .collect();
        // Names that differ only in case or punctuation (`Boolean`, `boolean`) are distinct
        // schemas: the first in the document keeps the name, the others get a number that no
        // other schema's own name uses.
        let own: BTreeSet<&str> = bases.iter().map(String::as_str).collect();
        let mut taken: BTreeMap<String, String> = BTreeMap::new();
        for (name, base) in names.iter().zip(&bases) {
            let rust = match taken.get(base) {
                None => base.clone(),
                Some(other) => {
                    let rust = naming::unique(base, |n| taken.contains_key(n) || own.contains(n));
                    space.warnings.push((
                        push_pointer("#/components/schemas", name),
                        format!(
                            "schemas `{other}` and `{name}` would both be named `{base}`; \
                             `{name}` is `{rust}`"
                        ),
                    ));
                    rust
                }
            };
            taken.insert(rust.clone(), (*name).clone());
            space.components.insert((*name).clone(), rust.clone());
            space.reserved.insert(rust);
        }
        for (name, schema) in &components.schemas {
            if let ReferenceOr::Item(s) = schema {
                if s.schema_data.nullable {
                    space
                        .nullable_components
                        .insert(space.components[name].clone());
                }
            }
        }
        for (name, schema) in &components.schemas {
            let rust = space.components[name].clone();
            let pointer = push_pointer("#/components/schemas", name);
            space.define_component(&components.schemas, &rust, schema, &pointer)?;
        }
        space.check_alias_cycles()?;
        Ok(space)
    }

    /// An empty type space for one model's schemas; `reserved` names are kept for the
    /// caller's own definitions (`Input`, `Output`, the marker).
    pub fn for_model(reserved: &[&str]) -> TypeSpace {
        TypeSpace {
            reserved: reserved.iter().map(|s| s.to_string()).collect(),
            ..TypeSpace::default()
        }
    }

    /// Takes `hint`, or the first free `hint2`, `hint3`, ..., for a definition of the caller's.
    pub fn claim(&mut self, hint: &str) -> String {
        let name = naming::unique(hint, |n| {
            self.defs.contains_key(n) || self.reserved.contains(n)
        });
        self.reserved.insert(name.clone());
        name
    }

    /// Finishes a model's type space: boxes recursion, refuses alias loops.
    pub fn finish(&mut self) -> Result<()> {
        self.check_alias_cycles()
    }

    fn define_component(
        &mut self,
        schemas: &Schemas,
        rust: &str,
        schema: &ReferenceOr<Schema>,
        pointer: &str,
    ) -> Result<()> {
        let at = At {
            mode: Mode::Api,
            component: true,
        };
        let ty = match schema {
            ReferenceOr::Reference { reference } => {
                self.reference(schemas, reference, pointer, Mode::Api)?
            }
            ReferenceOr::Item(s) => self.schema_type(schemas, s, rust, pointer, at)?,
        };
        let own = Ty::Named(rust.to_string());
        if ty == own.clone().optional() {
            // A nullable component: its definition is the inner type, references are optional.
            self.nullable_components.insert(rust.to_string());
        } else if ty != own {
            // References to a nullable component are optional already: its alias is the
            // value's type, or a nullable string would be `Option<Option<String>>` where used.
            let ty = match ty {
                Ty::Option(inner) if self.nullable_components.contains(rust) => *inner,
                other => other,
            };
            let doc = match schema {
                ReferenceOr::Item(s) => doc_text(s.schema_data.description.as_deref()),
                ReferenceOr::Reference { .. } => None,
            };
            self.defs
                .insert(rust.to_string(), TypeDef::Alias { doc, ty });
            self.traced_def(rust, pointer);
        }
        Ok(())
    }

    /// Defines the struct `name` (reserved by the caller) from an object schema of a model,
    /// even when it lists no properties: a model's `Input` is always a struct. `component`
    /// is the schema's component, so other references to it reuse the struct.
    pub fn define_model_struct(
        &mut self,
        schemas: &Schemas,
        name: &str,
        schema: &Schema,
        component: Option<&str>,
        pointer: &str,
        mode: Mode,
    ) -> Result<()> {
        if let Some(c) = component {
            self.lowered
                .insert((c.to_string(), mode), Ty::Named(name.to_string()));
        }
        let (properties, required) = match &schema.schema_kind {
            SchemaKind::Type(Type::Object(o)) => (o.properties.clone(), o.required.clone()),
            SchemaKind::Any(a) => (a.properties.clone(), a.required.clone()),
            _ => Default::default(),
        };
        let doc = self.doc(&schema.schema_data, pointer, mode);
        let object = Object {
            properties: &properties,
            required: &required,
            additional: None,
        };
        self.object_type(
            schemas,
            object,
            doc,
            name,
            pointer,
            At {
                mode,
                component: true,
            },
        )?;
        if properties.is_empty() {
            // `object_type` gives a property-less object no struct; a model input needs one.
            self.defs.insert(
                name.to_string(),
                TypeDef::Struct {
                    doc: None,
                    fields: Vec::new(),
                    additional: None,
                    role: mode.role(),
                },
            );
        }
        Ok(())
    }

    /// Registers a definition under `hint` or, if that name is taken, the first free `hint2`,
    /// `hint3`, ... Reserved names (components, a model's roots) are never taken by inline
    /// types; a component's own definition takes its name as is.
    fn register(&mut self, hint: &str, def: TypeDef, component: bool, pointer: &str) -> String {
        if component {
            self.defs.insert(hint.to_string(), def);
            self.traced_def(hint, pointer);
            return hint.to_string();
        }
        // An inline open enum identical to one already defined (the same status or visibility
        // spelled out in several schemas) is generated once; its own name stays, as an alias,
        // so no name callers use disappears.
        let def = match def {
            TypeDef::Enum {
                doc,
                kind,
                variants,
                open: Some(open),
                fields,
            } => match self.same_open_enum(&variants, open) {
                Some(existing) => TypeDef::Alias {
                    doc: Some(format!("The same values as [`{existing}`].")).or(doc),
                    ty: Ty::Named(existing),
                },
                None => TypeDef::Enum {
                    doc,
                    kind,
                    variants,
                    open: Some(open),
                    fields,
                },
            },
            other => other,
        };
        let name = naming::unique(hint, |n| {
            self.defs.contains_key(n) || self.reserved.contains(n)
        });
        self.defs.insert(name.clone(), def);
        self.traced_def(&name, pointer);
        name
    }

    fn traced_def(&mut self, name: &str, pointer: &str) {
        if let Some(trace) = &mut self.trace {
            trace.defs.insert(name.to_string(), pointer.to_string());
        }
    }

    /// Records that what the lowering reads at `from` is at `to` in the document.
    pub(crate) fn traced_move(&mut self, from: &str, to: &str) {
        if let Some(trace) = &mut self.trace {
            trace.moved.insert(from.to_string(), to.to_string());
        }
    }

    fn traced_via(&mut self, from: &str, to: &str) {
        if let Some(trace) = &mut self.trace {
            trace.via.insert(from.to_string(), to.to_string());
        }
    }

    /// Records whether the type lowered at `pointer` is nullable; returns it unchanged.
    fn traced_type(&mut self, pointer: &str, ty: Ty) -> Ty {
        if let Some(trace) = &mut self.trace {
            if ty.is_option() {
                trace.nullable.insert(pointer.to_string());
            }
        }
        ty
    }

    /// The name of an inline open enum already defined with exactly these variants.
    fn same_open_enum(&self, variants: &[(String, Value)], open: &'static str) -> Option<String> {
        self.defs.iter().find_map(|(name, def)| match def {
            TypeDef::Enum {
                variants: v,
                open: Some(o),
                ..
            } if v.as_slice() == variants && *o == open && !self.reserved.contains(name) => {
                Some(name.clone())
            }
            _ => None,
        })
    }

    /// The Rust type of `schema` in an API body; `hint` names any type it needs to define.
    pub fn type_for(
        &mut self,
        spec: &OpenAPI,
        schema: &ReferenceOr<Schema>,
        hint: &str,
        pointer: &str,
    ) -> Result<Ty> {
        self.type_in(schemas_of(spec), schema, hint, pointer, Mode::Api)
    }

    /// The Rust type of `schema` under `mode`'s rules.
    pub fn type_in(
        &mut self,
        schemas: &Schemas,
        schema: &ReferenceOr<Schema>,
        hint: &str,
        pointer: &str,
        mode: Mode,
    ) -> Result<Ty> {
        match schema {
            ReferenceOr::Reference { reference } => {
                self.reference(schemas, reference, pointer, mode)
            }
            ReferenceOr::Item(schema) => {
                self.schema_type(schemas, schema, hint, pointer, At::inline(mode))
            }
        }
    }

    /// The type of one field of a multipart form: a file for a binary string, files for an
    /// array of them (one part each); anything else is a part's text or JSON, lowered as in
    /// a JSON body (a nested object is sent as one JSON part, so it must be serde's).
    fn form_part_type(
        &mut self,
        schemas: &Schemas,
        schema: &ReferenceOr<Box<Schema>>,
        hint: &str,
        pointer: &str,
    ) -> Result<Ty> {
        if let Some(s) = resolve_boxed(schemas, schema, pointer) {
            if is_binary(s) {
                return Ok(Ty::File);
            }
            if let SchemaKind::Type(Type::Array(a)) = &s.schema_kind {
                let items = a.items.as_ref();
                if items
                    .and_then(|i| resolve_boxed(schemas, i, pointer))
                    .is_some_and(is_binary)
                {
                    return Ok(Ty::Vec(Box::new(Ty::File)));
                }
            }
        }
        self.type_in_boxed(schemas, schema, hint, pointer, Mode::Api)
    }

    fn type_in_boxed(
        &mut self,
        schemas: &Schemas,
        schema: &ReferenceOr<Box<Schema>>,
        hint: &str,
        pointer: &str,
        mode: Mode,
    ) -> Result<Ty> {
        match schema {
            ReferenceOr::Reference { reference } => {
                self.reference(schemas, reference, pointer, mode)
            }
            ReferenceOr::Item(schema) => {
                self.schema_type(schemas, schema, hint, pointer, At::inline(mode))
            }
        }
    }

    /// The type of a multipart form body: a struct whose binary fields are files.
    pub fn form_type(
        &mut self,
        spec: &OpenAPI,
        schema: &ReferenceOr<Schema>,
        hint: &str,
        pointer: &str,
    ) -> Result<Ty> {
        let schemas = schemas_of(spec);
        let (schema, pointer) = match schema {
            ReferenceOr::Reference { reference } => {
                let name = component_name(reference, pointer)?;
                match schemas.get(name) {
                    Some(ReferenceOr::Item(s)) => (s, push_pointer("#/components/schemas", name)),
                    Some(ReferenceOr::Reference { .. }) => {
                        return Err(Error::new(
                            ErrorKind::Unsupported,
                            pointer,
                            "a multipart body must be an object schema, not a chain of `$ref`s",
                        ))
                    }
                    None => return Err(unresolved(reference, pointer)),
                }
            }
            ReferenceOr::Item(s) => (s, pointer.to_string()),
        };
        // `properties` without `type: object` are still an object's.
        let object = match &schema.schema_kind {
            SchemaKind::Type(Type::Object(_)) => true,
            SchemaKind::Any(a) => {
                has_fields(a)
                    && matches!(a.typ.as_deref(), None | Some("object"))
                    && a.all_of.is_empty()
                    && a.one_of.is_empty()
                    && a.any_of.is_empty()
            }
            _ => false,
        };
        if !object {
            return Err(Error::new(
                ErrorKind::Unsupported,
                pointer,
                "a multipart/form-data body must be an object schema",
            ));
        }
        let ty = self.schema_type(schemas, schema, hint, &pointer, At::inline(Mode::Form))?;
        // A form is built part by part from declared fields; a free-form object has none.
        let declared =
            matches!(&ty, Ty::Named(n) if matches!(self.defs.get(n), Some(TypeDef::Struct { .. })));
        if !declared {
            return Err(Error::new(
                ErrorKind::Unsupported,
                pointer,
                "a multipart/form-data body must declare its fields (`properties`)",
            ));
        }
        Ok(ty)
    }

    /// The type a `$ref` stands for: an API component by its name; a model component lowered
    /// (once per mode) where it is first used.
    fn reference(
        &mut self,
        schemas: &Schemas,
        reference: &str,
        pointer: &str,
        mode: Mode,
    ) -> Result<Ty> {
        let name = component_name(reference, pointer)?;
        if mode.is_model() {
            return self.model_component(schemas, name, reference, pointer, mode);
        }
        match self.components.get(name) {
            Some(rust) if self.nullable_components.contains(rust) => {
                let ty = Ty::Named(rust.clone()).optional();
                Ok(self.traced_type(pointer, ty))
            }
            Some(rust) => Ok(Ty::Named(rust.clone())),
            None => Err(unresolved(reference, pointer)),
        }
    }

    fn model_component(
        &mut self,
        schemas: &Schemas,
        name: &str,
        reference: &str,
        pointer: &str,
        mode: Mode,
    ) -> Result<Ty> {
        let key = (name.to_string(), mode);
        if let Some(ty) = self.lowered.get(&key) {
            return Ok(ty.clone());
        }
        let schema = schemas
            .get(name)
            .ok_or_else(|| unresolved(reference, pointer))?;
        if !self.lowering.insert(key.clone()) {
            return Err(Error::new(
                ErrorKind::RefCycle,
                pointer,
                format!("schema `{name}` contains itself with no object in between"),
            ));
        }
        let component_pointer = push_pointer("#/components/schemas", name);
        let hint = naming::type_name(name);
        let ty = match schema {
            ReferenceOr::Reference { reference } => {
                self.reference(schemas, reference, &component_pointer, mode)
            }
            ReferenceOr::Item(s) if has_properties(s) => {
                // Name the struct before lowering its fields, so a field may refer back to it.
                let rust = naming::unique(&hint, |n| {
                    self.defs.contains_key(n) || self.reserved.contains(n)
                });
                self.reserved.insert(rust.clone());
                self.lowered.insert(key.clone(), Ty::Named(rust.clone()));
                let at = At {
                    mode,
                    component: true,
                };
                self.schema_type(schemas, s, &rust, &component_pointer, at)
            }
            ReferenceOr::Item(s) => {
                self.schema_type(schemas, s, &hint, &component_pointer, At::inline(mode))
            }
        };
        self.lowering.remove(&key);
        let ty = ty?;
        self.lowered.insert(key, ty.clone());
        Ok(ty)
    }

    /// Notes a model schema with no Rust type; its value is kept as JSON.
    fn fallback(&mut self, pointer: &str, what: &str) -> Ty {
        self.warnings.push((pointer.to_string(), what.to_string()));
        Ty::Value
    }

    /// A definition's doc: its description, else (in an API) where it sits. A model's
    /// definitions without one are described by the renderer, from what they are for.
    fn doc(&self, data: &openapiv3::SchemaData, pointer: &str, mode: Mode) -> Option<String> {
        // Pydantic describes every enum as "An enumeration.", which says nothing.
        let own = doc_text(data.description.as_deref()).filter(|d| d != "An enumeration.");
        match mode {
            Mode::ModelInput | Mode::ModelOutput => own,
            Mode::Api | Mode::Form => own.or_else(|| Some(fallback_doc(pointer))),
        }
    }

    /// An enum of `values`: open for API bodies, closed for model inputs, the plain value type
    /// for model outputs (decoded leniently).
    fn enum_type(
        &mut self,
        values: &[Value],
        doc: Option<String>,
        hint: &str,
        pointer: &str,
        at: At,
    ) -> Ty {
        let kind = if values.iter().all(Value::is_string) {
            EnumKind::Str
        } else if values.iter().all(|v| v.is_i64() || v.is_u64()) {
            EnumKind::Int
        } else if values.iter().all(Value::is_number) {
            EnumKind::Float
        } else if values.iter().all(Value::is_boolean) {
            return Ty::Bool;
        } else if at.mode.is_model() {
            return self.fallback(pointer, "choices of mixed types");
        } else {
            return Ty::Value;
        };
        let plain = match kind {
            EnumKind::Str => Ty::String,
            EnumKind::Int => Ty::I64,
            EnumKind::Float => Ty::F64,
        };
        let open = match at.mode {
            Mode::ModelOutput => return plain,
            Mode::ModelInput => None,
            // Numbers in API bodies stay numbers: an open numeric enum buys nothing.
            Mode::Api | Mode::Form if kind != EnumKind::Str => return plain,
            Mode::Api | Mode::Form => Some("Unknown"),
        };
        self.named_enum(values, doc, hint, open, at.component, kind, pointer)
    }

    #[allow(clippy::too_many_arguments)]
    fn named_enum(
        &mut self,
        values: &[Value],
        doc: Option<String>,
        hint: &str,
        open: Option<&'static str>,
        component: bool,
        kind: EnumKind,
        pointer: &str,
    ) -> Ty {
        let def = TypeDef::Enum {
            doc,
            kind,
            variants: naming::enum_variants(values, open),
            open,
            fields: Vec::new(),
        };
        Ty::Named(self.register(hint, def, component, pointer))
    }

    fn schema_type(
        &mut self,
        schemas: &Schemas,
        schema: &Schema,
        hint: &str,
        pointer: &str,
        at: At,
    ) -> Result<Ty> {
        let data = &schema.schema_data;
        let mode = at.mode;
        let doc = self.doc(data, pointer, mode);
        let ty = match &schema.schema_kind {
            SchemaKind::Type(Type::String(s)) => {
                let values: Vec<Value> = s
                    .enumeration
                    .iter()
                    .flatten()
                    .map(|v| Value::String(v.clone()))
                    .collect();
                let secret = matches!(
                    s.format,
                    VariantOrUnknownOrEmpty::Item(StringFormat::Password)
                ) || data.extensions.get("x-cog-secret") == Some(&Value::Bool(true));
                match (&s.format, mode) {
                    _ if !values.is_empty() => self.enum_type(&values, doc, hint, pointer, at),
                    (VariantOrUnknownOrEmpty::Unknown(f), Mode::ModelInput) if f == "uri" => {
                        Ty::FileInput
                    }
                    (VariantOrUnknownOrEmpty::Unknown(f), Mode::ModelOutput) if f == "uri" => {
                        Ty::FileOutput
                    }
                    (_, Mode::ModelInput) if secret => Ty::Secret,
                    _ => Ty::String,
                }
            }
            SchemaKind::Type(Type::Integer(i)) => {
                let values: Vec<Value> = i
                    .enumeration
                    .iter()
                    .flatten()
                    .map(|v| Value::from(*v))
                    .collect();
                if !values.is_empty() {
                    self.enum_type(&values, doc, hint, pointer, at)
                } else if matches!(
                    i.format,
                    VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32)
                ) {
                    Ty::I32
                } else {
                    Ty::I64
                }
            }
            SchemaKind::Type(Type::Number(n)) => {
                let values: Vec<Value> = n
                    .enumeration
                    .iter()
                    .flatten()
                    .filter_map(|v| serde_json::Number::from_f64(*v).map(Value::Number))
                    .collect();
                if values.is_empty() {
                    Ty::F64
                } else {
                    self.enum_type(&values, doc, hint, pointer, at)
                }
            }
            SchemaKind::Type(Type::Boolean(_)) => Ty::Bool,
            SchemaKind::Type(Type::Array(a)) => {
                self.array_type(schemas, a.items.as_ref(), data, hint, pointer, mode)?
            }
            SchemaKind::Type(Type::Object(o)) => {
                let object = Object {
                    properties: &o.properties,
                    required: &o.required,
                    additional: o.additional_properties.as_ref(),
                };
                self.object_type(schemas, object, doc, hint, pointer, at)?
            }
            SchemaKind::OneOf { one_of: branches } | SchemaKind::AnyOf { any_of: branches } => {
                let key = match &schema.schema_kind {
                    SchemaKind::OneOf { .. } => "oneOf",
                    _ => "anyOf",
                };
                let union_pointer = push_pointer(pointer, key);
                self.traced_via(pointer, &union_pointer);
                let tag = schema.schema_data.discriminator.as_ref();
                self.union(schemas, branches, tag, doc, hint, &union_pointer, at)?
            }
            SchemaKind::AllOf { all_of } => self.all_of(schemas, all_of, doc, hint, pointer, at)?,
            SchemaKind::Not { .. } => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    push_pointer(pointer, "not"),
                    "`not` schemas are not supported",
                ))
            }
            SchemaKind::Any(any) => self.any_schema(schemas, any, data, doc, hint, pointer, at)?,
        };
        let ty = if data.nullable { ty.optional() } else { ty };
        Ok(self.traced_type(pointer, ty))
    }

    /// `Vec` of the items; a model's list of text shown joined becomes one concatenated text.
    fn array_type(
        &mut self,
        schemas: &Schemas,
        items: Option<&ReferenceOr<Box<Schema>>>,
        data: &openapiv3::SchemaData,
        hint: &str,
        pointer: &str,
        mode: Mode,
    ) -> Result<Ty> {
        let Some(items) = items else {
            return Ok(Ty::Vec(Box::new(Ty::Value)));
        };
        let item = self.type_in_boxed(
            schemas,
            items,
            &naming::child_type_name(hint, "Item"),
            &push_pointer(pointer, "items"),
            mode,
        )?;
        let concatenate = data.extensions.get("x-cog-array-display")
            == Some(&Value::String("concatenate".into()));
        Ok(
            if mode == Mode::ModelOutput && concatenate && item == Ty::String {
                Ty::Concatenated
            } else {
                Ty::Vec(Box::new(item))
            },
        )
    }

    fn object_type(
        &mut self,
        schemas: &Schemas,
        object: Object<'_>,
        doc: Option<String>,
        hint: &str,
        pointer: &str,
        at: At,
    ) -> Result<Ty> {
        let mode = at.mode;
        let additional_ty = match object.additional {
            None | Some(AdditionalProperties::Any(false)) => None,
            Some(AdditionalProperties::Any(true)) => Some(Ty::Value),
            Some(AdditionalProperties::Schema(s)) => Some(self.type_in(
                schemas,
                s,
                &naming::child_type_name(hint, "Value"),
                &push_pointer(pointer, "additionalProperties"),
                mode,
            )?),
        };
        if object.properties.is_empty() {
            return Ok(match additional_ty {
                None | Some(Ty::Value) => Ty::JsonObject,
                Some(value) => Ty::Map(Box::new(value)),
            });
        }
        // Reserve the name before recursing so nested types get distinct names.
        let placeholder = TypeDef::Alias {
            doc: None,
            ty: Ty::Unit,
        };
        let name = self.register(hint, placeholder, at.component, pointer);
        // A model's root structs name their nested types after the field alone (`Input.size`
        // → `Size`), as users read them in the model's own terms.
        let prefix = match name.as_str() {
            "Input" | "Output" if mode.is_model() => "",
            other => other,
        };
        let mut properties: Vec<(&String, &ReferenceOr<Box<Schema>>)> =
            object.properties.iter().collect();
        if mode.is_model() {
            // Model fields in `x-order`; the rest after, in document order (the API returns
            // keys sorted by length, so document order means little).
            properties.sort_by_key(|(_, p)| x_order(p).unwrap_or(i64::MAX));
        }
        let mut fields = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (wire, prop) in properties {
            let prop_pointer = push_pointer(&push_pointer(pointer, "properties"), wire);
            let mut rust = naming::field_name(wire);
            if mode == Mode::ModelInput && ["new", "validate", "files_mut"].contains(&rust.as_str())
            {
                // A model input has a setter per field next to these methods.
                rust.push('_');
            }
            if let Some(other) = seen.get(&rust) {
                // `max_results` and `MaxResults` are two fields: the later one gets a number.
                let renamed = naming::unique(&rust, |n| seen.contains_key(n));
                self.warnings.push((
                    prop_pointer.clone(),
                    format!(
                        "properties `{other}` and `{wire}` would both be named `{rust}`; \
                         `{wire}` is `{renamed}`"
                    ),
                ));
                rust = renamed;
            }
            seen.insert(rust.clone(), wire.clone());
            let child_hint = naming::child_type_name(prefix, wire);
            let ty = if mode == Mode::Form {
                self.form_part_type(schemas, prop, &child_hint, &prop_pointer)?
            } else {
                self.type_in_boxed(schemas, prop, &child_hint, &prop_pointer, mode)?
            };
            let required = object.required.iter().any(|r| r == wire);
            let place = match mode {
                Mode::ModelInput => Place::ModelInputField { required },
                _ => Place::Field { required },
            };
            let ty = place.apply(ty);
            let (pdoc, default, bounds) = match prop {
                ReferenceOr::Reference { .. } => (None, None, Bounds::default()),
                ReferenceOr::Item(s) => (
                    doc_text(s.schema_data.description.as_deref())
                        .or_else(|| s.schema_data.title.clone()),
                    s.schema_data.default.clone().filter(|d| !d.is_null()),
                    if mode == Mode::ModelInput {
                        bounds_of(s)
                    } else {
                        Bounds::default()
                    },
                ),
            };
            fields.push(Field {
                rust,
                wire: wire.clone(),
                ty,
                required,
                doc: pdoc,
                default,
                bounds,
            });
        }
        if additional_ty.is_some() && seen.contains_key("additional_properties") {
            return Err(Error::new(
                ErrorKind::NameClash,
                pointer,
                "a property named `additional_properties` clashes with the map of extra properties",
            ));
        }
        let def = TypeDef::Struct {
            doc,
            fields,
            additional: additional_ty,
            role: mode.role(),
        };
        self.defs.insert(name.clone(), def);
        Ok(Ty::Named(name))
    }

    #[allow(clippy::too_many_arguments)]
    fn union(
        &mut self,
        schemas: &Schemas,
        branches: &[ReferenceOr<Schema>],
        discriminator: Option<&openapiv3::Discriminator>,
        doc: Option<String>,
        hint: &str,
        pointer: &str,
        at: At,
    ) -> Result<Ty> {
        if branches.is_empty() {
            return Err(Error::new(
                ErrorKind::Shape,
                pointer,
                "`oneOf`/`anyOf` needs at least one schema",
            ));
        }
        // A `null` branch makes the union nullable; it is no variant of its own.
        let nullable = branches.iter().any(is_null_schema);
        let branches: Vec<(usize, &ReferenceOr<Schema>)> = branches
            .iter()
            .enumerate()
            .filter(|(_, b)| !is_null_schema(b))
            .collect();
        let optional = |ty: Ty| if nullable { ty.optional() } else { ty };
        if let [(i, only)] = branches.as_slice() {
            let branch_pointer = push_pointer(pointer, &i.to_string());
            let ty = self.type_in(schemas, only, hint, &branch_pointer, at.mode)?;
            self.traced_via(pointer, &branch_pointer);
            return Ok(optional(ty));
        }
        if at.mode == Mode::ModelInput {
            // A closed input cannot say which of several shapes the caller meant.
            return Ok(self.fallback(pointer, "an input that may have several types"));
        }
        // All branches strings (plain or enum): one open string enum. A plain-string branch
        // overlaps every enum branch, so an untagged enum could never produce the enum variants.
        let owned: Vec<ReferenceOr<Schema>> = branches.iter().map(|(_, b)| (*b).clone()).collect();
        if let Some(union) = string_union(&owned) {
            let open = if union.plain_string {
                "Other"
            } else {
                "Unknown"
            };
            let values: Vec<Value> = union.values.into_iter().map(Value::String).collect();
            let ty = self.named_enum(
                &values,
                doc,
                hint,
                Some(open),
                at.component,
                EnumKind::Str,
                pointer,
            );
            return Ok(optional(if union.nullable { ty.optional() } else { ty }));
        }
        let mut variants: Vec<(String, Ty)> = Vec::new();
        let mut pointers: Vec<(Ty, String)> = Vec::new();
        // The component each variant's type comes from, for the discriminator.
        let mut components: Vec<(Ty, Option<String>)> = Vec::new();
        let mut nullable_branch = false;
        for (i, b) in branches {
            let branch_pointer = push_pointer(pointer, &i.to_string());
            let ty = self.type_in(
                schemas,
                b,
                &naming::child_type_name(hint, &format!("Variant{i}")),
                &branch_pointer,
                at.mode,
            )?;
            nullable_branch |= ty.is_option();
            let ty = Place::Variant.apply(ty);
            if variants.iter().any(|(_, t)| *t == ty) {
                continue;
            }
            let name = naming::unique(&ty.variant_name(), |n| variants.iter().any(|(v, _)| v == n));
            // A component that is an object can carry the discriminator's property.
            let object = resolve_schema(schemas, b, &branch_pointer).is_ok_and(|s| {
                matches!(
                    &s.schema_kind,
                    SchemaKind::Type(Type::Object(_)) | SchemaKind::AllOf { .. }
                ) || matches!(&s.schema_kind, SchemaKind::Any(a) if !a.properties.is_empty())
            });
            let component = match b {
                ReferenceOr::Reference { reference } if object => {
                    component_name(reference, &branch_pointer)
                        .ok()
                        .map(str::to_string)
                }
                _ => None,
            };
            components.push((ty.clone(), component));
            pointers.push((ty.clone(), branch_pointer));
            variants.push((name, ty));
        }
        // Try specific shapes before catch-alls: integers before floats, `Value` last.
        variants.sort_by_key(|(_, ty)| match ty {
            Ty::I32 | Ty::I64 => 1,
            Ty::F64 => 2,
            Ty::Value => 4,
            _ => 0,
        });
        let ty = if variants.len() == 1 {
            self.traced_via(pointer, &pointers[0].1);
            variants.remove(0).1
        } else {
            // Variant pointers in the (sorted) variants' order; variant types are distinct.
            let pointers: Vec<String> = variants
                .iter()
                .filter_map(|(_, ty)| pointers.iter().find(|(t, _)| t == ty))
                .map(|(_, p)| p.clone())
                .collect();
            let tag = discriminator
                .filter(|_| !at.mode.is_model())
                .and_then(|d| union_tag(d, &variants, &components));
            let union = TypeDef::Union { doc, variants, tag };
            let name = self.register(hint, union, at.component, pointer);
            if let Some(trace) = &mut self.trace {
                trace.variants.insert(name.clone(), pointers);
            }
            Ty::Named(name)
        };
        Ok(if nullable || nullable_branch {
            ty.optional()
        } else {
            ty
        })
    }

    fn all_of(
        &mut self,
        schemas: &Schemas,
        parts: &[ReferenceOr<Schema>],
        doc: Option<String>,
        hint: &str,
        pointer: &str,
        at: At,
    ) -> Result<Ty> {
        let all_pointer = push_pointer(pointer, "allOf");
        // Parts that only annotate (`nullable`, `description`) add no shape of their own.
        let mut nullable = false;
        let mut shaped = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let part_pointer = push_pointer(&all_pointer, &i.to_string());
            match part {
                ReferenceOr::Item(s) if is_annotation(s) => nullable |= s.schema_data.nullable,
                _ => shaped.push((part, part_pointer)),
            }
        }
        let optional = |ty: Ty| if nullable { ty.optional() } else { ty };
        if let [(only, part_pointer)] = shaped.as_slice() {
            self.traced_via(pointer, part_pointer);
            let ty = self.type_in(schemas, only, hint, part_pointer, at.mode)?;
            return Ok(optional(ty));
        }
        if let Some(ty) = self.scalar_all_of(schemas, &shaped, hint, pointer, at)? {
            return Ok(optional(ty));
        }
        // Several parts: merge their properties into one struct, following parts that are
        // themselves `allOf`s (inline or by `$ref`).
        let mut merged = Merged::default();
        for (part, part_pointer) in &shaped {
            self.merge_part(schemas, part, part_pointer, pointer, &mut merged, 0)?;
        }
        let object = Object {
            properties: &merged.properties,
            required: &merged.required,
            additional: None,
        };
        let ty = self.object_type(schemas, object, doc, hint, pointer, at)?;
        Ok(optional(ty))
    }

    /// The type of an `allOf` whose parts are all scalars (`{$ref: Arn}` and `{pattern: ..}`,
    /// or a string and a string with `minLength`): the most specific part's (one with `enum`,
    /// else a named one), since the others only narrow it. `None` when some part is not a
    /// scalar; an error when the parts' types have no value in common.
    fn scalar_all_of(
        &mut self,
        schemas: &Schemas,
        shaped: &[(&ReferenceOr<Schema>, String)],
        hint: &str,
        pointer: &str,
        at: At,
    ) -> Result<Option<Ty>> {
        let mut typed: Vec<(usize, &'static str, bool)> = Vec::new();
        for (i, (part, part_pointer)) in shaped.iter().enumerate() {
            let schema = resolve_schema(schemas, part, part_pointer)?;
            match scalar_part(schema) {
                None => return Ok(None),
                Some(ScalarPart::Constraints) => {}
                Some(ScalarPart::Typed(kind, enumerated)) => typed.push((i, kind, enumerated)),
            }
        }
        let Some(&(_, first_kind, _)) = typed.first() else {
            return Ok(None);
        };
        // An integer is a number: the two agree, on integers.
        let common = |kind: &'static str| match kind {
            "number" => "integer",
            other => other,
        };
        let has_integer = typed.iter().any(|(_, k, _)| *k == "integer");
        if let Some(&(i, kind, _)) = typed.iter().find(|(_, k, _)| {
            let (a, b) = if has_integer {
                (common(k), common(first_kind))
            } else {
                (*k, first_kind)
            };
            a != b
        }) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                &shaped[i].1,
                format!(
                    "no value is both `{first_kind}` and `{kind}`, as the parts of this `allOf` ask"
                ),
            ));
        }
        let named = |i: usize| matches!(shaped[i].0, ReferenceOr::Reference { .. });
        // Listed values first, then integers over numbers, then a named type; else the first.
        let chosen = typed
            .iter()
            .enumerate()
            .max_by_key(|(order, (i, kind, enumerated))| {
                let integer = has_integer && *kind == "integer";
                (*enumerated, integer, named(*i), std::cmp::Reverse(*order))
            })
            .map_or(0, |(_, (i, _, _))| *i);
        let (part, part_pointer) = &shaped[chosen];
        self.traced_via(pointer, part_pointer);
        self.type_in(schemas, part, hint, part_pointer, at.mode)
            .map(Some)
    }

    /// Adds one `allOf` part's properties to `merged` (the struct lowered at `pointer`).
    fn merge_part(
        &mut self,
        schemas: &Schemas,
        part: &ReferenceOr<Schema>,
        part_pointer: &str,
        pointer: &str,
        merged: &mut Merged,
        depth: usize,
    ) -> Result<()> {
        if depth > 16 {
            return Err(Error::new(
                ErrorKind::RefCycle,
                part_pointer,
                "`allOf` parts refer to each other in a loop",
            ));
        }
        let schema = resolve_schema(schemas, part, part_pointer)?;
        // Where the part's own keywords are in the document, for the diff's trace.
        let origin = match part {
            ReferenceOr::Reference { reference } => push_pointer(
                "#/components/schemas",
                component_name(reference, part_pointer)?,
            ),
            ReferenceOr::Item(_) => part_pointer.to_string(),
        };
        if !merged.seen.insert(origin.clone()) {
            return Ok(());
        }
        let (properties, required) = match &schema.schema_kind {
            SchemaKind::Type(Type::Object(o)) => (&o.properties, &o.required),
            SchemaKind::AllOf { all_of } => {
                return self.merge_parts(schemas, all_of, &origin, pointer, merged, depth)
            }
            // Properties without `type: object` are still an object's; an object that is
            // itself an `allOf` (with `type: object` beside it) merges its parts, then its own
            // fields; `additionalProperties` alone adds none.
            SchemaKind::Any(a)
                if matches!(a.typ.as_deref(), None | Some("object"))
                    && a.one_of.is_empty()
                    && a.any_of.is_empty()
                    && a.items.is_none()
                    && (has_fields(a)
                        || !a.all_of.is_empty()
                        || a.typ.is_some()
                        || a.additional_properties.is_some()) =>
            {
                self.merge_parts(schemas, &a.all_of, &origin, pointer, merged, depth)?;
                (&a.properties, &a.required)
            }
            _ if is_annotation(schema) => return Ok(()),
            _ => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    part_pointer,
                    "an `allOf` of several parts merges objects; this part is not one",
                ))
            }
        };
        for (k, v) in properties {
            // A later part that only annotates a property (`{id: {description: ..}}`) does
            // not erase the type an earlier part gave it.
            let annotates = matches!(v, ReferenceOr::Item(s) if is_annotation(s));
            if annotates && merged.properties.contains_key(k) {
                continue;
            }
            merged.properties.insert(k.clone(), v.clone());
            let at = push_pointer(&push_pointer(pointer, "properties"), k);
            let from = push_pointer(&push_pointer(&origin, "properties"), k);
            self.traced_move(&at, &from);
        }
        merged.required.extend(required.iter().cloned());
        Ok(())
    }

    /// [`TypeSpace::merge_part`] for each part of a nested `allOf` at `origin`.
    fn merge_parts(
        &mut self,
        schemas: &Schemas,
        parts: &[ReferenceOr<Schema>],
        origin: &str,
        pointer: &str,
        merged: &mut Merged,
        depth: usize,
    ) -> Result<()> {
        let all_pointer = push_pointer(origin, "allOf");
        for (i, part) in parts.iter().enumerate() {
            let part_pointer = push_pointer(&all_pointer, &i.to_string());
            self.merge_part(schemas, part, &part_pointer, pointer, merged, depth + 1)?;
        }
        Ok(())
    }

    /// openapiv3 falls back to `Any` when a schema does not fit its typed forms; recover the
    /// type from the loose fields so nothing typed is lost.
    #[allow(clippy::too_many_arguments)]
    fn any_schema(
        &mut self,
        schemas: &Schemas,
        any: &openapiv3::AnySchema,
        data: &openapiv3::SchemaData,
        doc: Option<String>,
        hint: &str,
        pointer: &str,
        at: At,
    ) -> Result<Ty> {
        for (key, branches) in [("oneOf", &any.one_of), ("anyOf", &any.any_of)] {
            if !branches.is_empty() {
                let union_pointer = push_pointer(pointer, key);
                self.traced_via(pointer, &union_pointer);
                let tag = data.discriminator.as_ref();
                return self.union(schemas, branches, tag, doc, hint, &union_pointer, at);
            }
        }
        if !any.all_of.is_empty() {
            return self.all_of(schemas, &any.all_of, doc, hint, pointer, at);
        }
        if !any.enumeration.is_empty() {
            return Ok(self.enum_type(&any.enumeration, doc, hint, pointer, at));
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
        Ok(match typ {
            None if at.mode.is_model() => self.fallback(pointer, "no type given"),
            None => Ty::Value,
            Some("string") => Ty::String,
            Some("integer") => Ty::I64,
            Some("number") => Ty::F64,
            Some("boolean") => Ty::Bool,
            Some("array") => {
                self.array_type(schemas, any.items.as_ref(), data, hint, pointer, at.mode)?
            }
            Some("object") => {
                let object = Object {
                    properties: &any.properties,
                    required: &any.required,
                    additional: any.additional_properties.as_ref(),
                };
                self.object_type(schemas, object, doc, hint, pointer, at)?
            }
            Some(other) if at.mode.is_model() => {
                self.fallback(pointer, &format!("unknown type `{other}`"))
            }
            Some(other) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    push_pointer(pointer, "type"),
                    format!("unknown schema type `{other}`"),
                ))
            }
        })
    }

    /// Fails on components that are aliases of each other in a loop, and boxes struct fields
    /// and union variants that would otherwise make a type infinitely large.
    fn check_alias_cycles(&mut self) -> Result<()> {
        for (name, def) in &self.defs {
            let mut seen = BTreeSet::new();
            let mut current = name.clone();
            let mut cur_def = def;
            while let TypeDef::Alias { ty, .. } = cur_def {
                if !seen.insert(current.clone()) {
                    let comp = self
                        .components
                        .iter()
                        .find(|(_, r)| **r == *name)
                        .map(|(c, _)| c.clone())
                        .unwrap_or_else(|| name.clone());
                    return Err(Error::new(
                        ErrorKind::RefCycle,
                        push_pointer("#/components/schemas", &comp),
                        format!("schema `{comp}` refers to itself through `$ref`s only"),
                    ));
                }
                let mut names = Vec::new();
                ty.by_value_names(&mut names);
                match names.first().and_then(|n| self.defs.get(n).map(|d| (n, d))) {
                    Some((n, d)) => {
                        current = n.clone();
                        cur_def = d;
                    }
                    None => break,
                }
            }
        }
        self.box_recursion();
        Ok(())
    }

    fn by_value_edges(&self, def: &TypeDef) -> Vec<String> {
        let mut out = Vec::new();
        match def {
            TypeDef::Struct { fields, .. } => {
                fields.iter().for_each(|f| f.ty.by_value_names(&mut out))
            }
            TypeDef::Union { variants, .. } => variants
                .iter()
                .for_each(|(_, t)| t.by_value_names(&mut out)),
            TypeDef::Alias { ty, .. } => ty.by_value_names(&mut out),
            TypeDef::Enum { .. } => {}
        }
        out
    }

    fn reaches(&self, from: &str, target: &str) -> bool {
        let mut stack = vec![from.to_string()];
        let mut seen = BTreeSet::new();
        while let Some(n) = stack.pop() {
            if n == target {
                return true;
            }
            if !seen.insert(n.clone()) {
                continue;
            }
            if let Some(def) = self.defs.get(&n) {
                stack.extend(self.by_value_edges(def));
            }
        }
        false
    }

    fn box_recursion(&mut self) {
        let names: Vec<String> = self.defs.keys().cloned().collect();
        for name in names {
            let edges = self.by_value_edges(&self.defs[&name]);
            let cyclic: BTreeSet<String> = edges
                .into_iter()
                .filter(|e| self.reaches(e, &name))
                .collect();
            if cyclic.is_empty() {
                continue;
            }
            if let Some(def) = self.defs.get_mut(&name) {
                match def {
                    TypeDef::Struct { fields, .. } => {
                        for f in fields.iter_mut() {
                            f.ty = f.ty.clone().box_named(&cyclic);
                        }
                    }
                    TypeDef::Union { variants, .. } => {
                        for (_, t) in variants.iter_mut() {
                            *t = t.clone().box_named(&cyclic);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// The generated types that can derive `Default` (every field's type has one). Computed
    /// from the finished definitions each time it is asked, so no caller has to call it after
    /// the last type is added: a fixpoint, since a struct's default depends on its fields'.
    pub fn defaults(&self) -> BTreeSet<String> {
        let mut defaults = BTreeSet::new();
        let mut changed = true;
        while changed {
            changed = false;
            for (name, def) in &self.defs {
                if defaults.contains(name) {
                    continue;
                }
                let ok = match def {
                    TypeDef::Struct { fields, .. } => {
                        fields.iter().all(|f| ty_has_default(&defaults, &f.ty))
                    }
                    TypeDef::Alias { ty, .. } => ty_has_default(&defaults, ty),
                    _ => false,
                };
                if ok {
                    defaults.insert(name.clone());
                    changed = true;
                }
            }
        }
        defaults
    }
}

/// The fields of an object schema that lowering reads, wherever openapiv3 put them.
struct Object<'s> {
    properties: &'s indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
    required: &'s [String],
    additional: Option<&'s AdditionalProperties>,
}

/// The component schemas of a spec (none when it has no components).
pub fn schemas_of(spec: &OpenAPI) -> &Schemas {
    static EMPTY: std::sync::OnceLock<Schemas> = std::sync::OnceLock::new();
    match &spec.components {
        Some(c) => &c.schemas,
        None => EMPTY.get_or_init(Schemas::new),
    }
}

/// Follows `$ref`s to the schema they name (through [`crate::refs`]).
pub fn resolve_schema<'s>(
    schemas: &'s Schemas,
    schema: &'s ReferenceOr<Schema>,
    pointer: &str,
) -> Result<&'s Schema> {
    crate::refs::resolve_in(schemas, schema, pointer)
}

/// [`resolve_schema`] for a property or items schema (boxed by `openapiv3`), following chains
/// of `$ref`s; `None` when a reference does not resolve (the lowering reports it).
fn resolve_boxed<'s>(
    schemas: &'s Schemas,
    schema: &'s ReferenceOr<Box<Schema>>,
    pointer: &str,
) -> Option<&'s Schema> {
    match schema {
        ReferenceOr::Item(s) => Some(s.as_ref()),
        ReferenceOr::Reference { reference } => {
            let name = component_name(reference, pointer).ok()?;
            resolve_schema(schemas, schemas.get(name)?, pointer).ok()
        }
    }
}

/// An object schema with properties of its own (wherever openapiv3 put them).
pub(crate) fn has_properties(s: &Schema) -> bool {
    match &s.schema_kind {
        SchemaKind::Type(Type::Object(o)) => !o.properties.is_empty(),
        SchemaKind::Any(a) => !a.properties.is_empty(),
        _ => false,
    }
}

/// A `null`-only schema (`{type: "null"}` once normalised): a `oneOf` branch that makes the
/// union nullable.
fn is_null_schema(schema: &ReferenceOr<Schema>) -> bool {
    matches!(schema, ReferenceOr::Item(s)
        if s.schema_data.nullable
            && matches!(&s.schema_kind, SchemaKind::Any(a) if *a == openapiv3::AnySchema::default()))
}

/// The properties and required names an `allOf` merges into one struct.
#[derive(Default)]
struct Merged {
    properties: indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
    required: Vec<String>,
    /// Parts already merged, by where they are: `allOf` is idempotent, and a part shared by
    /// several paths (a diamond of `$ref`s) is merged once, not once per path.
    seen: BTreeSet<String>,
}

/// A schema that only annotates (`description`, `nullable`, `default`): no type, no shape.
fn is_annotation(schema: &Schema) -> bool {
    matches!(&schema.schema_kind, SchemaKind::Any(a) if *a == openapiv3::AnySchema::default())
}

/// A `type: string, format: binary` schema: a file, in a multipart form.
fn is_binary(schema: &Schema) -> bool {
    matches!(
        &schema.schema_kind,
        SchemaKind::Type(Type::String(s))
            if s.format == VariantOrUnknownOrEmpty::Item(StringFormat::Binary)
            && s.enumeration.is_empty()
    )
}

/// What one part of an `allOf` says about a scalar.
enum ScalarPart {
    /// Its JSON type, and whether it lists the values (`enum`).
    Typed(&'static str, bool),
    /// Only limits (`pattern`, `minLength`), with no type of its own.
    Constraints,
}

/// A schema that is a plain scalar, or only limits one; `None` for objects, arrays, unions.
fn scalar_part(schema: &Schema) -> Option<ScalarPart> {
    Some(match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => ScalarPart::Typed("string", !s.enumeration.is_empty()),
        SchemaKind::Type(Type::Integer(i)) => {
            ScalarPart::Typed("integer", !i.enumeration.is_empty())
        }
        SchemaKind::Type(Type::Number(n)) => ScalarPart::Typed("number", !n.enumeration.is_empty()),
        SchemaKind::Type(Type::Boolean(_)) => ScalarPart::Typed("boolean", false),
        SchemaKind::Any(a)
            if !has_fields(a)
                && a.items.is_none()
                && a.additional_properties.is_none()
                && a.all_of.is_empty()
                && a.one_of.is_empty()
                && a.any_of.is_empty()
                && a.not.is_none() =>
        {
            let enumerated = !a.enumeration.is_empty();
            match a.typ.as_deref() {
                None if enumerated => return None,
                None => ScalarPart::Constraints,
                Some("string") => ScalarPart::Typed("string", enumerated),
                Some("integer") => ScalarPart::Typed("integer", enumerated),
                Some("number") => ScalarPart::Typed("number", enumerated),
                Some("boolean") => ScalarPart::Typed("boolean", enumerated),
                Some(_) => return None,
            }
        }
        _ => return None,
    })
}

/// An untyped schema that lists properties or required names.
fn has_fields(any: &openapiv3::AnySchema) -> bool {
    !any.properties.is_empty() || !any.required.is_empty()
}

/// A property's place in Cog's `x-order`.
fn x_order(property: &ReferenceOr<Box<Schema>>) -> Option<i64> {
    match property {
        ReferenceOr::Item(s) => s.schema_data.extensions.get("x-order")?.as_i64(),
        ReferenceOr::Reference { .. } => None,
    }
}

/// The limits a model input checks: numeric bounds, lengths and a pattern.
fn bounds_of(schema: &Schema) -> Bounds {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Integer(i)) => Bounds {
            minimum: i.minimum.map(|m| (m as f64, i.exclusive_minimum)),
            maximum: i.maximum.map(|m| (m as f64, i.exclusive_maximum)),
            ..Bounds::default()
        },
        SchemaKind::Type(Type::Number(n)) => Bounds {
            minimum: n.minimum.map(|m| (m, n.exclusive_minimum)),
            maximum: n.maximum.map(|m| (m, n.exclusive_maximum)),
            ..Bounds::default()
        },
        SchemaKind::Type(Type::String(s)) => Bounds {
            min_length: s.min_length.map(|v| v as u64),
            max_length: s.max_length.map(|v| v as u64),
            pattern: s.pattern.clone(),
            ..Bounds::default()
        },
        SchemaKind::Any(a) => Bounds {
            minimum: a.minimum.map(|m| (m, a.exclusive_minimum.unwrap_or(false))),
            maximum: a.maximum.map(|m| (m, a.exclusive_maximum.unwrap_or(false))),
            min_length: a.min_length.map(|v| v as u64),
            max_length: a.max_length.map(|v| v as u64),
            pattern: a.pattern.clone(),
        },
        _ => Bounds::default(),
    }
}

/// True when `ty` implements `Default`, given the named types that do.
fn ty_has_default(defaults: &BTreeSet<String>, ty: &Ty) -> bool {
    match ty {
        Ty::Named(n) => defaults.contains(n),
        Ty::Boxed(inner) => ty_has_default(defaults, inner),
        Ty::File | Ty::FileInput | Ty::FileOutput | Ty::Secret | Ty::Concatenated => false,
        _ => true,
    }
}

/// The discriminator's values for each variant, in the variants' order: the `mapping` keys
/// that point at the variant's component (`#/components/schemas/Dog` or `Dog`), or else the
/// component's name, as OpenAPI says (unless a mapping key already claims that name: the
/// explicit entry wins). `None`, leaving the union untagged, when a variant is inline or not
/// an object (nothing names it, or it has no property to read).
fn union_tag(
    discriminator: &openapiv3::Discriminator,
    variants: &[(String, Ty)],
    components: &[(Ty, Option<String>)],
) -> Option<crate::ir::Tag> {
    let values = variants
        .iter()
        .map(|(_, ty)| {
            let component = components.iter().find(|(t, _)| t == ty)?.1.as_deref()?;
            let mapped: Vec<String> = discriminator
                .mapping
                .iter()
                .filter(|(_, target)| target.rsplit('/').next() == Some(component))
                .map(|(value, _)| value.clone())
                .collect();
            let implicit = mapped.is_empty() && !discriminator.mapping.contains_key(component);
            Some(if implicit {
                vec![component.to_string()]
            } else {
                mapped
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let unknown = naming::unique("Unknown", |n| variants.iter().any(|(v, _)| v == n));
    Some(crate::ir::Tag {
        property: discriminator.property_name.clone(),
        values,
        unknown,
    })
}

/// A `oneOf`/`anyOf` whose branches are all strings, at least one with enum values.
struct StringUnion {
    /// Enum values of all branches, first occurrence first.
    pub values: Vec<String>,
    /// A branch accepts any string.
    pub plain_string: bool,
    /// A branch is nullable.
    pub nullable: bool,
}

/// Recognises a union of strings, which becomes one open string enum.
fn string_union(branches: &[ReferenceOr<Schema>]) -> Option<StringUnion> {
    let mut union = StringUnion {
        values: Vec::new(),
        plain_string: false,
        nullable: false,
    };
    for b in branches {
        let ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::String(s)),
            schema_data,
        }) = b
        else {
            return None;
        };
        union.nullable |= schema_data.nullable;
        if s.enumeration.is_empty() {
            union.plain_string = true;
        }
        for v in s.enumeration.iter().flatten() {
            if !union.values.contains(v) {
                union.values.push(v.clone());
            }
        }
    }
    (!union.values.is_empty()).then_some(union)
}

/// A shared prefix such as `schemas_` that every component name carries.
fn common_prefix_to_strip(names: &[&String]) -> Option<String> {
    let first = names.first()?;
    let prefix = first.split_inclusive('_').next()?;
    if !prefix.ends_with('_') || names.len() < 2 {
        return None;
    }
    names
        .iter()
        .all(|n| n.starts_with(prefix) && n.len() > prefix.len())
        .then(|| prefix.to_string())
}

/// The component name of a `#/components/schemas/..` reference.
pub fn component_name<'r>(reference: &'r str, pointer: &str) -> Result<&'r str> {
    crate::refs::component_name::<Schema>(reference, pointer)
}

fn unresolved(reference: &str, pointer: &str) -> Error {
    Error::new(
        ErrorKind::UnresolvedRef,
        pointer,
        format!("`{reference}` does not exist"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_docs_say_where_a_schema_sits() {
        assert_eq!(
            fallback_doc("#/components/schemas/account"),
            "The `account` schema of the API."
        );
        assert_eq!(
            fallback_doc("#/components/schemas/prediction/properties/urls"),
            "The `urls` value."
        );
        assert_eq!(
            fallback_doc("#/paths/~1account/get/responses/200/content/application~1json/schema"),
            "The response of `GET /account`."
        );
        assert_eq!(
            fallback_doc(
                "#/paths/~1files/post/requestBody/content/multipart~1form-data/schema/properties/metadata"
            ),
            "The `metadata` part of the request body of `POST /files`."
        );
    }

    #[test]
    fn scalar_all_of_parts_must_share_a_type() {
        let spec = |parts: &str| {
            format!(
                r#"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}}, "paths": {{}},
                "components": {{"schemas": {{"Code": {{"allOf": {parts}}}}}}}}}"#
            )
        };
        let generate = |parts: &str| crate::generate_client(&spec(parts), &Default::default());
        let e = generate(r#"[{"type": "string"}, {"type": "integer"}]"#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported);
        assert_eq!(e.pointer, "#/components/schemas/Code/allOf/1");
        assert!(e.message.contains("both `string` and `integer`"), "{e}");
        // A part with properties is not a scalar: the object merge reports it.
        let e = generate(r#"[{"type": "string"}, {"properties": {"a": {"type": "string"}}}]"#)
            .unwrap_err();
        assert_eq!(e.pointer, "#/components/schemas/Code/allOf/0");
        let ok = generate(r#"[{"type": "number"}, {"type": "integer"}, {"maximum": 3}]"#).unwrap();
        let types = &ok
            .files
            .iter()
            .find(|f| f.path == "types.rs")
            .unwrap()
            .contents;
        assert!(types.contains("pub type Code = i64;"), "{types}");
    }

    #[test]
    fn all_of_diamonds_merge_each_part_once_and_annotations_keep_types() {
        // S0..S15, each an `allOf` of four references to the next: 4^15 paths, one merge each
        // part.
        let mut schemas = Vec::new();
        for i in 0..16 {
            let next = format!(r##"{{"$ref": "#/components/schemas/S{}"}}"##, i + 1);
            schemas.push(format!(
                r#""S{i}": {{"allOf": [{next}, {next}, {next}, {next}, {{"properties": {{"f{i}": {{"type": "integer"}}}}}}]}}"#
            ));
        }
        schemas
            .push(r#""S16": {"type": "object", "properties": {"id": {"type": "integer"}}}"#.into());
        schemas.push(r##""T": {"allOf": [{"$ref": "#/components/schemas/S16"}, {"properties": {"id": {"description": "The id."}}}]}"##.into());
        let spec = format!(
            r#"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}}, "paths": {{}},
            "components": {{"schemas": {{{}}}}}}}"#,
            schemas.join(", ")
        );
        // Before parts were merged once, this did not finish.
        let out = crate::generate_client(&spec, &Default::default()).unwrap();
        let types = &out
            .files
            .iter()
            .find(|f| f.path == "types.rs")
            .unwrap()
            .contents;
        let t = &types[types.find("pub struct T ").unwrap()..];
        assert!(t.contains("pub id: Option<i64>"), "{t}");
    }
}
