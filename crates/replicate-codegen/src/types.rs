//! Phase 2, types: every schema becomes a Rust type expression ([`Ty`]) and, when it needs a
//! definition of its own, a [`TypeDef`] registered under a unique name.
//!
//! Component schemas are named after their component (with a shared `schemas_` prefix
//! stripped); inline schemas are named from their context (`PredictionResponseUrls`,
//! `ModelsListSortBy`). Recursion goes through `Box`, unexpressible shapes are errors with the
//! pointer of the schema, and open schemas become `serde_json::Value` only where the spec really
//! says "any JSON".

use crate::error::{push_pointer, Error, ErrorKind, Result};
use crate::naming;
use openapiv3::{
    AdditionalProperties, OpenAPI, ReferenceOr, Schema, SchemaKind, StringFormat, Type,
    VariantOrUnknownOrEmpty,
};
use std::collections::{BTreeMap, BTreeSet};

/// A Rust type expression.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ty {
    /// `String`.
    String,
    /// `bool`.
    Bool,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f64`.
    F64,
    /// Any JSON value.
    Value,
    /// A JSON object with arbitrary keys.
    JsonObject,
    /// Raw bytes (binary responses).
    Bytes,
    /// An uploaded file in a multipart form.
    File,
    /// No content.
    Unit,
    /// `Vec<T>`.
    Vec(Box<Ty>),
    /// `BTreeMap<String, T>`.
    Map(Box<Ty>),
    /// `Option<T>`.
    Option(Box<Ty>),
    /// `Box<T>`, to break recursion.
    Boxed(Box<Ty>),
    /// A generated type, by Rust name.
    Named(String),
    /// A hand-written type of the runtime (`Prefer`, `CancelAfter`), by name.
    Runtime(&'static str),
}

impl Ty {
    /// Wraps in `Option` unless already optional.
    pub fn optional(self) -> Ty {
        match self {
            Ty::Option(_) => self,
            other => Ty::Option(Box::new(other)),
        }
    }

    /// True for `Option<_>`.
    pub fn is_option(&self) -> bool {
        matches!(self, Ty::Option(_))
    }

    /// The generated type names this type mentions by value (not behind `Vec`/`Map`).
    fn by_value_names(&self, out: &mut Vec<String>) {
        match self {
            Ty::Named(n) => out.push(n.clone()),
            Ty::Option(inner) => inner.by_value_names(out),
            _ => {}
        }
    }

    fn box_named(self, targets: &BTreeSet<String>) -> Ty {
        match self {
            Ty::Named(n) if targets.contains(&n) => Ty::Boxed(Box::new(Ty::Named(n))),
            Ty::Option(inner) => Ty::Option(Box::new(inner.box_named(targets))),
            other => other,
        }
    }
}

/// A struct field.
#[derive(Debug, Clone)]
pub struct Field {
    /// Rust field name.
    pub rust: String,
    /// Name on the wire.
    pub wire: String,
    /// Field type (already `Option` when optional or nullable).
    pub ty: Ty,
    /// Listed in `required`.
    pub required: bool,
    /// Doc text.
    pub doc: Option<String>,
    /// The spec's default value, for the docs.
    pub default: Option<serde_json::Value>,
    /// `format: binary` string in a multipart form.
    pub is_file: bool,
}

/// A generated type definition.
#[derive(Debug, Clone)]
pub enum TypeDef {
    /// A struct with named fields.
    Struct {
        /// Doc text.
        doc: Option<String>,
        /// Fields in spec order.
        fields: Vec<Field>,
        /// Type of `additionalProperties` kept in a flattened map.
        additional: Option<Ty>,
        /// A multipart form body (no serde derive).
        form: bool,
    },
    /// A string enum with an open variant that keeps unknown values.
    StringEnum {
        /// Doc text.
        doc: Option<String>,
        /// `(variant, wire value)` pairs.
        variants: Vec<(String, String)>,
        /// Name of the catch-all variant: `Unknown`, or `Other` when any string is valid.
        open_variant: &'static str,
    },
    /// `oneOf`/`anyOf` as an untagged enum.
    Union {
        /// Doc text.
        doc: Option<String>,
        /// `(variant, type)` in the order serde tries them.
        variants: Vec<(String, Ty)>,
    },
    /// A type alias (for a component that is just another type).
    Alias {
        /// Doc text.
        doc: Option<String>,
        /// The aliased type.
        ty: Ty,
    },
}

/// All types generated for one spec.
#[derive(Debug, Default)]
pub struct TypeSpace {
    /// Rust name → definition, sorted.
    pub defs: BTreeMap<String, TypeDef>,
    /// Component schema name → Rust name.
    pub components: BTreeMap<String, String>,
    /// Components whose schema is nullable: references to them are `Option`.
    nullable_components: BTreeSet<String>,
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
    /// Builds the type space of a spec's component schemas.
    pub fn new(spec: &OpenAPI) -> Result<TypeSpace> {
        let mut space = TypeSpace::default();
        let Some(components) = &spec.components else {
            return Ok(space);
        };
        let names: Vec<&String> = components.schemas.keys().collect();
        let strip = common_prefix_to_strip(&names);
        let mut taken: BTreeMap<String, String> = BTreeMap::new();
        for name in &names {
            let short = strip
                .as_deref()
                .and_then(|p| name.strip_prefix(p))
                .unwrap_or(name);
            let rust = naming::type_name(short);
            if let Some(other) = taken.insert(rust.clone(), (*name).clone()) {
                return Err(Error::new(
                    ErrorKind::NameClash,
                    push_pointer("#/components/schemas", name),
                    format!("schemas `{other}` and `{name}` would both be named `{rust}`"),
                ));
            }
            space.components.insert((*name).clone(), rust);
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
            space.define_component(spec, &rust, schema, &pointer)?;
        }
        space.check_alias_cycles()?;
        Ok(space)
    }

    fn define_component(
        &mut self,
        spec: &OpenAPI,
        rust: &str,
        schema: &ReferenceOr<Schema>,
        pointer: &str,
    ) -> Result<()> {
        let ty = match schema {
            ReferenceOr::Reference { reference } => self.reference(reference, pointer)?,
            ReferenceOr::Item(s) => self.schema_type(spec, s, rust, pointer, false, true)?,
        };
        let own = Ty::Named(rust.to_string());
        if ty == own.clone().optional() {
            // A nullable component: its definition is the inner type, references are optional.
            self.nullable_components.insert(rust.to_string());
        } else if ty != own {
            let doc = match schema {
                ReferenceOr::Item(s) => doc_text(s.schema_data.description.as_deref()),
                ReferenceOr::Reference { .. } => None,
            };
            self.defs
                .insert(rust.to_string(), TypeDef::Alias { doc, ty });
        }
        Ok(())
    }

    /// Registers a definition under `hint` or, if that name is taken, the first free `hint2`,
    /// `hint3`, ... Component names are reserved up front, so inline types never take them.
    fn register(&mut self, hint: &str, def: TypeDef, component: bool) -> String {
        if component {
            self.defs.insert(hint.to_string(), def);
            return hint.to_string();
        }
        // An inline string enum identical to one already defined (the same status or
        // visibility spelled out in several schemas) is generated once; its own name stays, as
        // an alias, so no name callers use disappears.
        let def = match def {
            TypeDef::StringEnum {
                doc,
                variants,
                open_variant,
            } => match self.same_enum(&variants, open_variant) {
                Some(existing) => TypeDef::Alias {
                    doc: Some(format!("The same values as [`{existing}`].")).or(doc),
                    ty: Ty::Named(existing),
                },
                None => TypeDef::StringEnum {
                    doc,
                    variants,
                    open_variant,
                },
            },
            other => other,
        };
        let reserved = |space: &TypeSpace, n: &str| {
            space.defs.contains_key(n) || space.components.values().any(|c| c == n)
        };
        let mut name = hint.to_string();
        let mut i = 2;
        while reserved(self, &name) {
            name = format!("{hint}{i}");
            i += 1;
        }
        self.defs.insert(name.clone(), def);
        name
    }

    /// The name of an inline string enum already defined with exactly these variants.
    fn same_enum(&self, variants: &[(String, String)], open: &'static str) -> Option<String> {
        let components: Vec<&String> = self.components.values().collect();
        self.defs.iter().find_map(|(name, def)| match def {
            TypeDef::StringEnum {
                variants: v,
                open_variant,
                ..
            } if v.as_slice() == variants
                && *open_variant == open
                && !components.contains(&name) =>
            {
                Some(name.clone())
            }
            _ => None,
        })
    }

    /// The Rust type of `schema`; `hint` names any type it needs to define.
    pub fn type_for(
        &mut self,
        spec: &OpenAPI,
        schema: &ReferenceOr<Schema>,
        hint: &str,
        pointer: &str,
    ) -> Result<Ty> {
        match schema {
            ReferenceOr::Reference { reference } => self.reference(reference, pointer),
            ReferenceOr::Item(schema) => {
                self.schema_type(spec, schema, hint, pointer, false, false)
            }
        }
    }

    /// Like [`TypeSpace::type_for`] for a boxed schema.
    pub fn type_for_boxed(
        &mut self,
        spec: &OpenAPI,
        schema: &ReferenceOr<Box<Schema>>,
        hint: &str,
        pointer: &str,
    ) -> Result<Ty> {
        match schema {
            ReferenceOr::Reference { reference } => self.reference(reference, pointer),
            ReferenceOr::Item(schema) => {
                self.schema_type(spec, schema, hint, pointer, false, false)
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
        let (schema, pointer) = match schema {
            ReferenceOr::Reference { reference } => {
                let name = component_name(reference, pointer)?;
                let s = spec
                    .components
                    .as_ref()
                    .and_then(|c| c.schemas.get(name))
                    .ok_or_else(|| unresolved(reference, pointer))?;
                match s {
                    ReferenceOr::Item(s) => (s, push_pointer("#/components/schemas", name)),
                    ReferenceOr::Reference { .. } => {
                        return Err(Error::new(
                            ErrorKind::Unsupported,
                            pointer,
                            "a multipart body must be an object schema, not a chain of `$ref`s",
                        ))
                    }
                }
            }
            ReferenceOr::Item(s) => (s, pointer.to_string()),
        };
        match &schema.schema_kind {
            SchemaKind::Type(Type::Object(_)) => {}
            _ => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    pointer,
                    "a multipart/form-data body must be an object schema",
                ))
            }
        }
        self.schema_type(spec, schema, hint, &pointer, true, false)
    }

    fn reference(&mut self, reference: &str, pointer: &str) -> Result<Ty> {
        let name = component_name(reference, pointer)?;
        match self.components.get(name) {
            Some(rust) if self.nullable_components.contains(rust) => {
                Ok(Ty::Named(rust.clone()).optional())
            }
            Some(rust) => Ok(Ty::Named(rust.clone())),
            None => Err(unresolved(reference, pointer)),
        }
    }

    fn schema_type(
        &mut self,
        spec: &OpenAPI,
        schema: &Schema,
        hint: &str,
        pointer: &str,
        form: bool,
        component: bool,
    ) -> Result<Ty> {
        let data = &schema.schema_data;
        let doc = doc_text(data.description.as_deref()).or_else(|| Some(fallback_doc(pointer)));
        let ty = match &schema.schema_kind {
            SchemaKind::Type(Type::String(s)) => {
                let values: Vec<String> = s.enumeration.iter().flatten().cloned().collect();
                if !values.is_empty() {
                    let def = string_enum(doc, &values, "Unknown");
                    Ty::Named(self.register(hint, def, component))
                } else if form
                    && matches!(
                        s.format,
                        VariantOrUnknownOrEmpty::Item(StringFormat::Binary)
                    )
                {
                    Ty::File
                } else {
                    Ty::String
                }
            }
            SchemaKind::Type(Type::Integer(i)) => match &i.format {
                VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => Ty::I32,
                _ => Ty::I64,
            },
            SchemaKind::Type(Type::Number(_)) => Ty::F64,
            SchemaKind::Type(Type::Boolean(_)) => Ty::Bool,
            SchemaKind::Type(Type::Array(a)) => match &a.items {
                Some(items) => {
                    let item = self.type_for_boxed(
                        spec,
                        items,
                        &format!("{hint}Item"),
                        &push_pointer(pointer, "items"),
                    )?;
                    Ty::Vec(Box::new(item))
                }
                None => Ty::Vec(Box::new(Ty::Value)),
            },
            SchemaKind::Type(Type::Object(o)) => self.object_type(
                spec,
                &o.properties,
                &o.required,
                o.additional_properties.as_ref(),
                doc,
                hint,
                pointer,
                form,
                component,
            )?,
            SchemaKind::OneOf { one_of } => self.union(
                spec,
                one_of,
                doc,
                hint,
                &push_pointer(pointer, "oneOf"),
                component,
            )?,
            SchemaKind::AnyOf { any_of } => self.union(
                spec,
                any_of,
                doc,
                hint,
                &push_pointer(pointer, "anyOf"),
                component,
            )?,
            SchemaKind::AllOf { all_of } => {
                self.all_of(spec, all_of, doc, hint, pointer, component)?
            }
            SchemaKind::Not { .. } => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    push_pointer(pointer, "not"),
                    "`not` schemas are not supported",
                ))
            }
            SchemaKind::Any(any) => self.any_schema(spec, any, doc, hint, pointer, component)?,
        };
        Ok(if data.nullable { ty.optional() } else { ty })
    }

    #[allow(clippy::too_many_arguments)]
    fn object_type(
        &mut self,
        spec: &OpenAPI,
        properties: &indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &[String],
        additional: Option<&AdditionalProperties>,
        doc: Option<String>,
        hint: &str,
        pointer: &str,
        form: bool,
        component: bool,
    ) -> Result<Ty> {
        let additional_ty = match additional {
            None | Some(AdditionalProperties::Any(false)) => None,
            Some(AdditionalProperties::Any(true)) => Some(Ty::Value),
            Some(AdditionalProperties::Schema(s)) => Some(self.type_for(
                spec,
                s,
                &format!("{hint}Value"),
                &push_pointer(pointer, "additionalProperties"),
            )?),
        };
        if properties.is_empty() {
            return Ok(match additional_ty {
                None | Some(Ty::Value) => Ty::JsonObject,
                Some(value) => Ty::Map(Box::new(value)),
            });
        }
        // Reserve the name before recursing so nested types get distinct names.
        let name = self.register(
            hint,
            TypeDef::Alias {
                doc: None,
                ty: Ty::Unit,
            },
            component,
        );
        let mut fields = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (wire, prop) in properties {
            let prop_pointer = push_pointer(&push_pointer(pointer, "properties"), wire);
            let rust = naming::field_name(wire);
            if let Some(other) = seen.insert(rust.clone(), wire.clone()) {
                return Err(Error::new(
                    ErrorKind::NameClash,
                    prop_pointer,
                    format!("properties `{other}` and `{wire}` would both be named `{rust}`"),
                ));
            }
            let child_hint = format!("{name}{}", naming::type_name(wire));
            let (mut ty, pdoc, default, is_file) = match prop {
                ReferenceOr::Reference { reference } => {
                    (self.reference(reference, &prop_pointer)?, None, None, false)
                }
                ReferenceOr::Item(s) => {
                    let ty = self.schema_type(spec, s, &child_hint, &prop_pointer, form, false)?;
                    let is_file = ty == Ty::File;
                    (
                        ty,
                        doc_text(s.schema_data.description.as_deref()),
                        s.schema_data.default.clone(),
                        is_file,
                    )
                }
            };
            let is_required = required.iter().any(|r| r == wire);
            if !is_required {
                ty = ty.optional();
            }
            fields.push(Field {
                rust,
                wire: wire.clone(),
                ty,
                required: is_required,
                doc: pdoc,
                default,
                is_file,
            });
        }
        let extra_name = "additional_properties";
        if additional_ty.is_some() && seen.contains_key(extra_name) {
            return Err(Error::new(
                ErrorKind::NameClash,
                pointer,
                "a property named `additional_properties` clashes with the map of extra properties",
            ));
        }
        self.defs.insert(
            name.clone(),
            TypeDef::Struct {
                doc,
                fields,
                additional: additional_ty,
                form,
            },
        );
        Ok(Ty::Named(name))
    }

    fn union(
        &mut self,
        spec: &OpenAPI,
        branches: &[ReferenceOr<Schema>],
        doc: Option<String>,
        hint: &str,
        pointer: &str,
        component: bool,
    ) -> Result<Ty> {
        if branches.is_empty() {
            return Err(Error::new(
                ErrorKind::Shape,
                pointer,
                "`oneOf`/`anyOf` needs at least one schema",
            ));
        }
        // All branches strings (plain or enum): one open string enum. A plain-string branch
        // overlaps every enum branch, so an untagged enum could never produce the enum variants.
        if let Some(StringUnion {
            values,
            plain_string,
            nullable,
        }) = string_union(branches)
        {
            let open = if plain_string { "Other" } else { "Unknown" };
            let def = string_enum(doc, &values, open);
            let ty = Ty::Named(self.register(hint, def, component));
            return Ok(if nullable { ty.optional() } else { ty });
        }
        let mut variants: Vec<(String, Ty)> = Vec::new();
        let mut nullable = false;
        for (i, b) in branches.iter().enumerate() {
            let branch_pointer = push_pointer(pointer, &i.to_string());
            let ty = self.type_for(spec, b, &format!("{hint}Variant{i}"), &branch_pointer)?;
            let ty = match ty {
                Ty::Option(inner) => {
                    nullable = true;
                    *inner
                }
                other => other,
            };
            if variants.iter().any(|(_, t)| *t == ty) {
                continue;
            }
            let mut vname = variant_for_ty(&ty);
            let mut n = 2;
            while variants.iter().any(|(v, _)| *v == vname) {
                vname = format!("{}{n}", variant_for_ty(&ty));
                n += 1;
            }
            variants.push((vname, ty));
        }
        // Try specific shapes before catch-alls: integers before floats, `Value` last.
        variants.sort_by_key(|(_, ty)| match ty {
            Ty::I32 | Ty::I64 => 1,
            Ty::F64 => 2,
            Ty::Value => 4,
            _ => 0,
        });
        let ty = if variants.len() == 1 {
            variants.remove(0).1
        } else {
            Ty::Named(self.register(hint, TypeDef::Union { doc, variants }, component))
        };
        Ok(if nullable { ty.optional() } else { ty })
    }

    fn all_of(
        &mut self,
        spec: &OpenAPI,
        parts: &[ReferenceOr<Schema>],
        doc: Option<String>,
        hint: &str,
        pointer: &str,
        component: bool,
    ) -> Result<Ty> {
        let all_pointer = push_pointer(pointer, "allOf");
        if parts.len() == 1 {
            return self.type_for(spec, &parts[0], hint, &push_pointer(&all_pointer, "0"));
        }
        // Several parts: merge object schemas into one struct.
        let mut properties = indexmap::IndexMap::new();
        let mut required = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let part_pointer = push_pointer(&all_pointer, &i.to_string());
            let schema = self.resolve_schema(spec, part, &part_pointer)?;
            match &schema.schema_kind {
                SchemaKind::Type(Type::Object(o)) => {
                    for (k, v) in &o.properties {
                        properties.insert(k.clone(), v.clone());
                    }
                    required.extend(o.required.iter().cloned());
                }
                _ => {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        part_pointer,
                        "`allOf` with several parts is only supported when every part is an object",
                    ))
                }
            }
        }
        self.object_type(
            spec,
            &properties,
            &required,
            None,
            doc,
            hint,
            pointer,
            false,
            component,
        )
    }

    fn resolve_schema<'s>(
        &self,
        spec: &'s OpenAPI,
        schema: &'s ReferenceOr<Schema>,
        pointer: &str,
    ) -> Result<&'s Schema> {
        let mut current = schema;
        for _ in 0..32 {
            match current {
                ReferenceOr::Item(s) => return Ok(s),
                ReferenceOr::Reference { reference } => {
                    let name = component_name(reference, pointer)?;
                    current = spec
                        .components
                        .as_ref()
                        .and_then(|c| c.schemas.get(name))
                        .ok_or_else(|| unresolved(reference, pointer))?;
                }
            }
        }
        Err(Error::new(
            ErrorKind::RefCycle,
            pointer,
            "`$ref` chain does not end in a schema",
        ))
    }

    /// openapiv3 falls back to `Any` when a schema does not fit its typed forms; recover the
    /// type from the loose fields so nothing typed is lost.
    fn any_schema(
        &mut self,
        spec: &OpenAPI,
        any: &openapiv3::AnySchema,
        doc: Option<String>,
        hint: &str,
        pointer: &str,
        component: bool,
    ) -> Result<Ty> {
        if !any.one_of.is_empty() {
            return self.union(
                spec,
                &any.one_of,
                doc,
                hint,
                &push_pointer(pointer, "oneOf"),
                component,
            );
        }
        if !any.any_of.is_empty() {
            return self.union(
                spec,
                &any.any_of,
                doc,
                hint,
                &push_pointer(pointer, "anyOf"),
                component,
            );
        }
        if !any.all_of.is_empty() {
            return self.all_of(spec, &any.all_of, doc, hint, pointer, component);
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
            None => Ty::Value,
            Some("string") => {
                let values: Vec<String> = any
                    .enumeration
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                if !values.is_empty() && values.len() == any.enumeration.len() {
                    Ty::Named(self.register(hint, string_enum(doc, &values, "Unknown"), component))
                } else {
                    Ty::String
                }
            }
            Some("integer") => Ty::I64,
            Some("number") => Ty::F64,
            Some("boolean") => Ty::Bool,
            Some("array") => match &any.items {
                Some(items) => Ty::Vec(Box::new(self.type_for_boxed(
                    spec,
                    items,
                    &format!("{hint}Item"),
                    &push_pointer(pointer, "items"),
                )?)),
                None => Ty::Vec(Box::new(Ty::Value)),
            },
            Some("object") => self.object_type(
                spec,
                &any.properties,
                &any.required,
                any.additional_properties.as_ref(),
                doc,
                hint,
                pointer,
                false,
                component,
            )?,
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
            TypeDef::StringEnum { .. } => {}
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

/// True when `ty` implements `Default`, given the named types that do.
fn ty_has_default(defaults: &BTreeSet<String>, ty: &Ty) -> bool {
    match ty {
        Ty::Named(n) => defaults.contains(n),
        Ty::Boxed(inner) => ty_has_default(defaults, inner),
        Ty::File => false,
        _ => true,
    }
}

/// A `oneOf`/`anyOf` whose branches are all strings, at least one with enum values.
pub(crate) struct StringUnion {
    /// Enum values of all branches, first occurrence first.
    pub values: Vec<String>,
    /// A branch accepts any string.
    pub plain_string: bool,
    /// A branch is nullable.
    pub nullable: bool,
}

/// Recognises a union of strings, which the generator turns into one open string enum (the
/// diff must see the same shape).
pub(crate) fn string_union(branches: &[ReferenceOr<Schema>]) -> Option<StringUnion> {
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

fn string_enum(doc: Option<String>, values: &[String], open_variant: &'static str) -> TypeDef {
    let mut variants: Vec<(String, String)> = Vec::new();
    for value in values {
        if variants.iter().any(|(_, w)| w == value) {
            continue;
        }
        let base = naming::variant_name(value);
        let mut name = base.clone();
        let mut n = 2;
        while variants.iter().any(|(v, _)| *v == name) || name == open_variant {
            name = format!("{base}{n}");
            n += 1;
        }
        variants.push((name, value.clone()));
    }
    TypeDef::StringEnum {
        doc,
        variants,
        open_variant,
    }
}

fn variant_for_ty(ty: &Ty) -> String {
    match ty {
        Ty::String => "String".into(),
        Ty::Bool => "Boolean".into(),
        Ty::I32 | Ty::I64 => "Integer".into(),
        Ty::F64 => "Number".into(),
        Ty::Value => "Value".into(),
        Ty::JsonObject | Ty::Map(_) => "Object".into(),
        Ty::Bytes | Ty::File => "Bytes".into(),
        Ty::Unit => "Null".into(),
        Ty::Vec(inner) => format!("{}List", variant_for_ty(inner)),
        Ty::Option(inner) | Ty::Boxed(inner) => variant_for_ty(inner),
        Ty::Named(n) => n.clone(),
        Ty::Runtime(n) => n.to_string(),
    }
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
    if let Some(name) = reference.strip_prefix("#/components/schemas/") {
        if !name.contains('/') {
            return Ok(name);
        }
    }
    if !reference.starts_with('#') {
        return Err(Error::new(
            ErrorKind::Unsupported,
            pointer,
            format!("external reference `{reference}` is not supported; inline or bundle it"),
        ));
    }
    Err(Error::new(
        ErrorKind::UnresolvedRef,
        pointer,
        format!("`{reference}` does not name a schema under #/components/schemas"),
    ))
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
}
