//! Typed models: a Cog model version's `openapi_schema` → one Rust module with an `Input`
//! struct, an `Output` type, enums for its choices, constraint checks, and a marker type
//! implementing `replicate_typed::model::Model`.
//!
//! Works on `serde_json::Value` (after [`crate::load::normalize_schema`]) rather than `openapiv3`
//! because what matters here is Cog's own vocabulary: `x-order`, `x-cog-array-type`,
//! `x-cog-array-display`, `x-cog-secret`, integer and float choices, and bounds written as
//! floats. Inputs get closed enums (a value outside the choices is a compile error); outputs are
//! decoded leniently (enums as strings). Where no Rust type fits, the field falls back to
//! `serde_json::Value` with a warning that names the model and the pointer; nothing is dropped.

use crate::diff::{Change, ChangeKind, Severity};
use crate::error::{push_pointer, Error, ErrorKind, Result};
use crate::load::{normalize_schema, parse_text};
use crate::naming;
use crate::typedefs::{render_defs, ty_tokens, Paths};
use crate::types::{
    component_name, has_properties, resolve_schema, Bounds, EnumKind, Field, Mode, Schemas,
    StructRole, Ty, TypeDef, TypeSpace,
};
use openapiv3::{ReferenceOr, Schema, SchemaKind, Type};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;
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

/// The names a model module defines itself, which no type of its schema may take.
const ROOTS: [&str; 4] = ["Input", "Output", "TrainingInput", "TrainingOutput"];

/// A model's component schemas, normalised like an API's and read by the same parser.
pub fn model_schemas(src: &ModelSource) -> Result<Schemas> {
    let Some(Value::Object(components)) = src.schema.pointer("/components/schemas") else {
        return Err(Error::new(
            ErrorKind::Shape,
            "#/components/schemas",
            "the schema has no components",
        ));
    };
    let mut schemas = Schemas::new();
    for (name, schema) in components {
        let pointer = push_pointer("#/components/schemas", name);
        let mut schema = schema.clone();
        normalize_schema(&mut schema, &pointer)?;
        let parsed = serde_json::from_value(schema)
            .map_err(|e| Error::new(ErrorKind::Shape, &pointer, format!("not a schema: {e}")))?;
        schemas.insert(name.clone(), parsed);
    }
    Ok(schemas)
}

/// A model's schemas lowered into the IR.
struct Lowered {
    space: TypeSpace,
    marker: String,
    chunk: Ty,
    trainable: bool,
}

/// Lowers a model's roots (`Input`, `Output`, and the training ones when present).
fn lower_model(src: &ModelSource) -> Result<Lowered> {
    let in_model = |e: Error| {
        Error {
            message: format!("model {}/{}: {}", src.owner, src.name, e.message),
            ..e
        }
        .in_file(&src.label)
    };
    let schemas = model_schemas(src).map_err(in_model)?;
    let marker = match naming::type_name(&src.name) {
        base if ROOTS.contains(&base.as_str()) => format!("{base}Model"),
        base => base,
    };
    let mut space = TypeSpace::for_model(&[ROOTS[0], ROOTS[1], ROOTS[2], ROOTS[3], &marker]);
    let title = format!("`{}/{}`", src.owner, src.name);
    let mut lower = || -> Result<(Ty, bool)> {
        if !schemas.contains_key("Input") {
            return Err(Error::new(
                ErrorKind::Shape,
                "#/components/schemas/Input",
                "the schema has no `Input`",
            ));
        }
        input_struct(&mut space, &schemas, "Input", format!("Input of {title}."))?;
        let chunk = output_type(
            &mut space,
            &schemas,
            "Output",
            format!("Output of {title}."),
        )?;
        let trainable = schemas.contains_key("TrainingInput");
        if trainable {
            let doc = format!("Training input of {title}.");
            input_struct(&mut space, &schemas, "TrainingInput", doc)?;
            let doc = format!("Training output of {title}.");
            output_type(&mut space, &schemas, "TrainingOutput", doc)?;
        }
        label_enums(&mut space.defs);
        name_required_structs(&mut space);
        space.finish()?;
        Ok((chunk, trainable))
    };
    let (chunk, trainable) = lower().map_err(in_model)?;
    Ok(Lowered {
        space,
        marker,
        chunk,
        trainable,
    })
}

/// Generates the module of one model.
pub fn generate_model(src: &ModelSource) -> Result<ModelModule> {
    let Lowered {
        space,
        marker,
        chunk,
        trainable,
    } = lower_model(src)?;
    let warnings = space
        .warnings
        .iter()
        .map(|(pointer, what)| {
            format!(
                "{}: model {}/{} at {pointer}: {what}; using serde_json::Value",
                src.label, src.owner, src.name
            )
        })
        .collect();
    let tokens = render_model(src, &marker, &space, &chunk, trainable);
    Ok(ModelModule {
        owner_module: naming::field_name(&src.owner),
        model_module: naming::field_name(&src.name),
        marker,
        tokens,
        warnings,
        trainable,
    })
}

/// The schema a root names, and its component when it is (or wraps) a `$ref`.
fn root_schema<'s>(
    schemas: &'s Schemas,
    root: &str,
    pointer: &str,
) -> Result<(&'s Schema, Option<&'s str>)> {
    let mut schema = &schemas[root];
    let mut component = None;
    // Cog writes a reference with keywords of its own as `allOf: [{$ref}]`.
    if let ReferenceOr::Item(Schema {
        schema_kind: SchemaKind::AllOf { all_of },
        ..
    }) = schema
    {
        if let [only] = all_of.as_slice() {
            schema = only;
        }
    }
    if let ReferenceOr::Reference { reference } = schema {
        component = Some(component_name(reference, pointer)?);
    }
    Ok((resolve_schema(schemas, schema, pointer)?, component))
}

/// Defines a model's input struct (`Input`, `TrainingInput`): always a struct.
fn input_struct(space: &mut TypeSpace, schemas: &Schemas, root: &str, doc: String) -> Result<()> {
    let pointer = push_pointer("#/components/schemas", root);
    let (schema, component) = root_schema(schemas, root, &pointer)?;
    let object = match &schema.schema_kind {
        SchemaKind::Type(Type::Object(_)) => true,
        SchemaKind::Any(a) => matches!(a.typ.as_deref(), None | Some("object")),
        _ => false,
    };
    if !object {
        // Its fields would be silently empty: Cog always publishes an object here.
        return Err(Error::new(
            ErrorKind::Shape,
            &pointer,
            format!("a model's `{root}` must be an object schema"),
        ));
    }
    space.define_model_struct(schemas, root, schema, component, &pointer, Mode::ModelInput)?;
    if let Some(TypeDef::Struct { doc: d, .. }) = space.defs.get_mut(root) {
        *d = Some(doc);
    }
    Ok(())
}

/// Defines `Output` (or `TrainingOutput`) and returns the type a stream yields: text pieces
/// for concatenated text, one item at a time for lists, else the output itself.
fn output_type(space: &mut TypeSpace, schemas: &Schemas, root: &str, doc: String) -> Result<Ty> {
    let pointer = push_pointer("#/components/schemas", root);
    let named = Ty::Named(root.to_string());
    if !schemas.contains_key(root) {
        space
            .warnings
            .push((pointer, "the schema has no output type".into()));
        space.defs.insert(
            root.into(),
            TypeDef::Alias {
                doc: Some(doc),
                ty: Ty::Value,
            },
        );
        return Ok(Ty::Value);
    }
    let (schema, component) = root_schema(schemas, root, &pointer)?;
    if has_properties(schema) {
        // The output object itself is the `Output` struct.
        space.define_model_struct(
            schemas,
            root,
            schema,
            component,
            &pointer,
            Mode::ModelOutput,
        )?;
        return Ok(named);
    }
    let ty = space.type_in(
        schemas,
        &schemas[root],
        &format!("{root}Value"),
        &pointer,
        Mode::ModelOutput,
    )?;
    let chunk = match &ty {
        Ty::Concatenated => Ty::String,
        Ty::Vec(item) => (**item).clone(),
        other => other.clone(),
    };
    space
        .defs
        .insert(root.into(), TypeDef::Alias { doc: Some(doc), ty });
    Ok(chunk)
}

/// Which arguments a call site could swap without a compile error: text-like values all take
/// a `&str`, numbers all take a literal.
fn confusion_class(ty: &Ty) -> String {
    match ty {
        Ty::String | Ty::Secret | Ty::FileInput => "text".into(),
        Ty::I32 | Ty::I64 | Ty::F64 => "number".into(),
        Ty::Vec(i) => format!("list of {}", confusion_class(i)),
        Ty::Map(i) => format!("map of {}", confusion_class(i)),
        Ty::Option(i) => confusion_class(i),
        other => format!("{other:?}"),
    }
}

/// Gives an input struct whose required fields could be swapped by position a struct of those
/// fields, so `new` names each at the call site.
fn name_required_structs(space: &mut TypeSpace) {
    let mut wanted = Vec::new();
    for (name, def) in &space.defs {
        let TypeDef::Struct {
            fields,
            role: StructRole::ModelInput { .. },
            ..
        } = def
        else {
            continue;
        };
        let classes: Vec<String> = fields
            .iter()
            .filter(|f| !f.ty.is_option())
            .map(|f| confusion_class(&f.ty))
            .collect();
        let confusable = classes
            .iter()
            .enumerate()
            .any(|(j, c)| classes[j + 1..].contains(c));
        if confusable {
            wanted.push(name.clone());
        }
    }
    for name in wanted {
        let claimed = space.claim(&format!("{name}Required"));
        if let Some(TypeDef::Struct {
            role: StructRole::ModelInput { required },
            ..
        }) = space.defs.get_mut(&name)
        {
            *required = Some(claimed);
        }
    }
}

/// Tells every enum which fields use it, so its parse errors can name them.
fn label_enums(defs: &mut BTreeMap<String, TypeDef>) {
    let mut uses: Vec<(String, String)> = Vec::new();
    for def in defs.values() {
        if let TypeDef::Struct { fields, .. } = def {
            for f in fields {
                if let Some(n) = f.ty.named() {
                    uses.push((n.to_string(), f.wire.clone()));
                }
            }
        }
    }
    for (name, def) in defs.iter_mut() {
        if let TypeDef::Enum { fields, .. } = def {
            for (_, wire) in uses.iter().filter(|(n, _)| n == name) {
                if !fields.contains(wire) {
                    fields.push(wire.clone());
                }
            }
        }
    }
}

fn render_model(
    src: &ModelSource,
    marker: &str,
    space: &TypeSpace,
    chunk: &Ty,
    trainable: bool,
) -> TokenStream {
    let m = Ident::new(marker, Span::call_site());
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
    let paths = Paths::model();
    let chunk_t = ty_tokens(chunk, &paths);
    let decode = match chunk.inner() {
        Ty::String => {
            quote! { Ok(ToString::to_string(data)) }
        }
        Ty::FileOutput => {
            quote! { Ok(::replicate_typed::model::FileOutput::from(ToString::to_string(data))) }
        }
        _ => quote! { ::replicate_typed::model::json_chunk(data) },
    };
    let training = trainable.then(|| {
        quote! {
            impl ::replicate_typed::model::Trainable for #m {
                type TrainingInput = TrainingInput;
                type TrainingOutput = TrainingOutput;
            }
        }
    });
    let items = render_defs(&space.defs, &BTreeSet::new(), &paths, Some(marker));
    quote! {
        #![doc = #module_doc]
        #[doc = #marker_doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct #m;
        impl ::replicate_typed::model::Model for #m {
            const OWNER: &'static str = #owner;
            const NAME: &'static str = #name;
            const VERSION: &'static str = #version;
            type Input = Input;
            type Output = Output;
            type Chunk = #chunk_t;
            fn decode_chunk(data: &str) -> Result<Self::Chunk, ::replicate_typed::Error> {
                #decode
            }
        }
        #training
        #items
    }
}

/// What changed between two versions of a model's schema, for callers of its typed module.
/// Both versions are lowered by the generator and their types compared, so "breaking" means
/// "the generated Rust changed in a way code written against the old one may notice". A
/// version that no longer generates is one breaking change saying why.
pub fn schema_changes(old: &ModelSource, new: &ModelSource) -> Vec<Change> {
    let location = format!("{}/{}", new.owner, new.name);
    let (a, b) = match (lower_model(old), lower_model(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (_, Err(e)) | (Err(e), _) => {
            let mut d = ModelDiff::new(location);
            let reason = format!("the schema does not generate: {e}");
            d.push(ChangeKind::SchemaRemoved, true, "schema", "", reason);
            return d.changes;
        }
    };
    let mut d = ModelDiff::new(location);
    for section in ["Input", "TrainingInput"] {
        d.fields(&a.space, &b.space, section, true);
    }
    for section in ["Output", "TrainingOutput"] {
        let struct_of = |s: &TypeSpace| matches!(s.defs.get(section), Some(TypeDef::Struct { .. }));
        if struct_of(&a.space) && struct_of(&b.space) {
            d.fields(&a.space, &b.space, section, false);
            continue;
        }
        let named = Ty::Named(section.to_string());
        let (x, y) = (describe(&named, &a.space), describe(&named, &b.space));
        if x != y {
            let reason = format!("{section} changed from {x} to {y}");
            d.push(
                ChangeKind::FieldTypeChanged,
                true,
                section,
                &format!("{x} → {y}"),
                reason,
            );
        }
    }
    d.changes
}

/// The changes found so far, all at one model.
struct ModelDiff {
    location: String,
    changes: Vec<Change>,
}

impl ModelDiff {
    fn new(location: String) -> ModelDiff {
        ModelDiff {
            location,
            changes: Vec::new(),
        }
    }

    fn push(&mut self, kind: ChangeKind, breaking: bool, path: &str, detail: &str, reason: String) {
        self.changes.push(Change {
            kind,
            severity: if breaking {
                Severity::Breaking
            } else {
                Severity::Compatible
            },
            location: self.location.clone(),
            operation: None,
            path: path.to_string(),
            detail: detail.to_string(),
            reason,
        });
    }

    /// Compares the fields of the struct `section` (an input or an output object).
    fn fields(&mut self, a: &TypeSpace, b: &TypeSpace, section: &str, input: bool) {
        let fields = |s: &TypeSpace| match s.defs.get(section) {
            Some(TypeDef::Struct { fields, .. }) => fields.clone(),
            _ => Vec::new(),
        };
        let (old, new) = (fields(a), fields(b));
        let what = if input { "input" } else { "output field" };
        for f in new.iter().filter(|f| !old.iter().any(|o| o.wire == f.wire)) {
            let path = format!("{section}.{}", f.wire);
            let required = input && !f.ty.is_option();
            let reason = match (input, required) {
                (true, true) => format!("new required input `{}` ({section})", f.wire),
                (true, false) => format!("new optional input `{}` ({section})", f.wire),
                _ => format!("new output field `{}` ({section})", f.wire),
            };
            self.push(ChangeKind::FieldAdded, required, &path, "", reason);
        }
        for o in &old {
            let path = format!("{section}.{}", o.wire);
            let Some(n) = new.iter().find(|f| f.wire == o.wire) else {
                let reason = format!("{what} `{}` removed ({section})", o.wire);
                self.push(ChangeKind::FieldRemoved, true, &path, "", reason);
                continue;
            };
            let name = &o.wire;
            if input && o.ty.is_option() != n.ty.is_option() {
                let reason = if o.ty.is_option() {
                    format!("input `{name}` is now required ({section})")
                } else {
                    // The field becomes an `Option` and leaves the constructor.
                    format!("input `{name}` is now optional: it leaves `new` and becomes a setter ({section})")
                };
                self.push(ChangeKind::FieldRequiredChanged, true, &path, "", reason);
            }
            let (x, y) = (describe(&o.ty, a), describe(&n.ty, b));
            if x != y {
                let choice = |d: &str| d.starts_with("a choice of ");
                let (x, y) = match (choice(&x), choice(&y)) {
                    (false, true) if y.ends_with(&x) => ("a plain value".into(), "a choice".into()),
                    (true, false) if x.ends_with(&y) => ("a choice".into(), "a plain value".into()),
                    _ => (x, y),
                };
                let reason = format!("{what} `{name}` changed from {x} to {y} ({section})");
                self.push(
                    ChangeKind::FieldTypeChanged,
                    true,
                    &path,
                    &format!("{x} → {y}"),
                    reason,
                );
            }
            if input {
                self.choices(a, b, o, n, &path, section);
                self.bounds(&o.bounds, &n.bounds, name, &path, section);
            }
        }
    }

    /// Compares the choices of an enum field: values, and which variant sends which value.
    fn choices(
        &mut self,
        a: &TypeSpace,
        b: &TypeSpace,
        o: &Field,
        n: &Field,
        path: &str,
        section: &str,
    ) {
        let variants = |s: &TypeSpace, f: &Field| match f.ty.named().and_then(|t| s.defs.get(t)) {
            Some(TypeDef::Enum { variants, .. }) => variants.clone(),
            _ => Vec::new(),
        };
        let (av, bv) = (variants(a, o), variants(b, n));
        if av.is_empty() || bv.is_empty() {
            return;
        }
        let name = &o.wire;
        let has = |vs: &[(String, Value)], v: &Value| vs.iter().any(|(_, w)| w == v);
        for (_, v) in av.iter().filter(|(_, v)| !has(&bv, v)) {
            let reason = format!("choice {v} of `{name}` removed ({section})");
            self.push(
                ChangeKind::EnumValueRemoved,
                true,
                path,
                &v.to_string(),
                reason,
            );
        }
        for (_, v) in bv.iter().filter(|(_, v)| !has(&av, v)) {
            let reason = format!("choice {v} of `{name}` added ({section})");
            self.push(
                ChangeKind::EnumValueAdded,
                false,
                path,
                &v.to_string(),
                reason,
            );
        }
        for (variant, old_value) in &av {
            let reason = match bv.iter().find(|(n, _)| n == variant) {
                Some((_, new_value)) if new_value != old_value => format!(
                    "variant `{variant}` of `{name}` now sends {new_value} instead of {old_value} ({section})"
                ),
                None if has(&bv, old_value) => {
                    let renamed = bv.iter().find(|(_, v)| v == old_value).map(|(n, _)| n.as_str());
                    format!(
                        "variant `{variant}` of `{name}` is now `{}` ({section})",
                        renamed.unwrap_or("?")
                    )
                }
                _ => continue,
            };
            self.push(ChangeKind::FieldTypeChanged, true, path, variant, reason);
        }
    }

    /// Tighter limits reject values that were accepted.
    fn bounds(&mut self, a: &Bounds, b: &Bounds, name: &str, path: &str, section: &str) {
        let mut tighter = Vec::new();
        match (a.minimum, b.minimum) {
            (Some((x, _)), Some((y, _))) if y > x => {
                tighter.push(format!("minimum of `{name}` raised from {x} to {y}"))
            }
            (None, Some((y, _))) => tighter.push(format!("`{name}` now has a minimum of {y}")),
            _ => {}
        }
        match (a.maximum, b.maximum) {
            (Some((x, _)), Some((y, _))) if y < x => {
                tighter.push(format!("maximum of `{name}` lowered from {x} to {y}"))
            }
            (None, Some((y, _))) => tighter.push(format!("`{name}` now has a maximum of {y}")),
            _ => {}
        }
        if let Some(y) = b.min_length.filter(|y| *y > a.min_length.unwrap_or(0)) {
            tighter.push(format!("`{name}` now needs at least {y} characters"));
        }
        if let Some(y) = b.max_length.filter(|y| a.max_length.is_none_or(|x| y < &x)) {
            tighter.push(format!("`{name}` now takes at most {y} characters"));
        }
        if let Some(p) = b
            .pattern
            .as_ref()
            .filter(|p| a.pattern.as_ref() != Some(*p))
        {
            tighter.push(format!("`{name}` must now match {p:?}"));
        }
        for t in tighter {
            self.push(
                ChangeKind::ConstraintChanged,
                true,
                path,
                "",
                format!("{t} ({section})"),
            );
        }
    }
}

/// A type as a caller meets it, in words; two types with the same words are used the same way.
fn describe(ty: &Ty, space: &TypeSpace) -> String {
    match ty {
        Ty::String => "string".into(),
        Ty::Bool => "boolean".into(),
        Ty::I32 | Ty::I64 => "integer".into(),
        Ty::F64 => "number".into(),
        Ty::Value => "any JSON".into(),
        Ty::JsonObject => "object".into(),
        Ty::Bytes | Ty::File | Ty::FileInput | Ty::FileOutput => "file".into(),
        Ty::Secret => "secret string".into(),
        Ty::Concatenated => "concatenated text".into(),
        Ty::Unit => "nothing".into(),
        Ty::Vec(i) => format!("array of {}", describe(i, space)),
        Ty::Map(i) => format!("map of {}", describe(i, space)),
        Ty::Option(i) | Ty::Boxed(i) => describe(i, space),
        Ty::Runtime(n) => n.to_string(),
        Ty::Named(n) => match space.defs.get(n) {
            Some(TypeDef::Enum { kind, .. }) => format!(
                "a choice of {}",
                match kind {
                    EnumKind::Str => "string",
                    EnumKind::Int => "integer",
                    EnumKind::Float => "number",
                }
            ),
            Some(TypeDef::Alias { ty, .. }) => describe(ty, space),
            Some(TypeDef::Union { variants, .. }) => {
                let vs: Vec<String> = variants.iter().map(|(_, t)| describe(t, space)).collect();
                format!("one of ({})", vs.join(", "))
            }
            Some(TypeDef::Struct { fields, .. }) => {
                let fs: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.wire, describe(&f.ty, space)))
                    .collect();
                format!("object {{{}}}", fs.join(", "))
            }
            None => n.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn joined(changes: &[Change]) -> String {
        let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
        lines.join("\n")
    }

    #[test]
    fn variant_names_do_not_depend_on_order() {
        let a = naming::enum_variants(&[json!("low"), json!("Low"), json!("high")], None);
        let b = naming::enum_variants(&[json!("high"), json!("Low"), json!("low")], None);
        for (name, value) in &a {
            assert!(b.contains(&(name.clone(), value.clone())), "{name} {value}");
        }
        assert!(a.contains(&("Low_low".into(), json!("low"))));
        assert!(a.contains(&("High".into(), json!("high"))));
        assert!(a.iter().all(|(n, _)| naming::is_plain_ident(n)));
        // Distinct values whose plain names collide always get distinct names.
        let c = naming::enum_variants(&[json!("a:"), json!("a_3A"), json!("A"), json!("a")], None);
        let mut names: Vec<_> = c.iter().map(|(n, _)| n.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 4, "{c:?}");
    }

    /// Schemas a hostile or careless publisher could write: each is an error naming where, or
    /// generates, but never panics.
    #[test]
    fn hostile_model_schemas_never_panic() {
        let with = |schemas: serde_json::Value| ModelSource {
            owner: "acme".into(),
            name: "m".into(),
            version: "v".into(),
            cog_version: None,
            schema: json!({"components": {"schemas": schemas}}),
            label: "x".into(),
        };
        let input = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let cases = [
            json!({"Input": input, "Output": {"$ref": "#/components/schemas/Output"}}),
            json!({"Input": input, "Output": {"$ref": "#/components/schemas/Gone"}}),
            json!({"Input": input, "Output": {"type": "array", "items": {"$ref": "#/components/schemas/Output"}}}),
            json!({"Input": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}},
                   "A": {"type": "array", "items": {"$ref": "#/components/schemas/A"}}, "Output": {}}),
            json!({"Input": {"type": "object", "properties": {"n": {"$ref": "#/components/schemas/N"}}},
                   "N": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/N"}}},
                   "Output": {"$ref": "#/components/schemas/N"}}),
            json!({"Input": {"type": "string"}, "Output": {"type": "string"}}),
            json!({"Input": {"allOf": [{"type": "string"}, {"type": "integer"}]}, "Output": {}}),
            json!({"Input": {"type": "object", "properties": {"a": {"enum": [1, "x", null]}}}, "Output": {}}),
            json!({"Input": {"type": "object", "properties": {"a": {"type": "integer", "minimum": 1e300}}}, "Output": {}}),
            json!({"Input": {"type": "object", "properties": {"new": {"type": "string"}, "New": {"type": "string"}}}, "Output": {}}),
            json!({"Input": {"type": "object", "properties": {"a": {"type": "string", "enum": []}}}, "Output": {"enum": ["x"]}}),
            json!({"Input": {"type": "object", "properties": {"a": {"items": [{"type": "string"}]}}}, "Output": {}}),
        ];
        for (i, schemas) in cases.into_iter().enumerate() {
            match generate_model(&with(schemas.clone())) {
                Ok(m) => {
                    let text = m.tokens.to_string();
                    assert!(syn::parse_file(&text).is_ok(), "case {i}: {text}");
                }
                Err(e) => assert!(e.pointer.starts_with('#'), "case {i}: {e}"),
            }
        }
        // An input that is not an object is refused, not generated empty.
        let e =
            generate_model(&with(json!({"Input": {"type": "string"}, "Output": {}}))).unwrap_err();
        assert!(e.to_string().contains("must be an object"), "{e}");
        // A recursive object is boxed, not refused.
        let recursive = generate_model(&with(json!({
            "Input": {"type": "object", "properties": {"n": {"$ref": "#/components/schemas/N"}}},
            "N": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/N"}}},
            "Output": {"type": "string"}})))
        .expect("a recursive object generates");
        assert!(
            recursive.tokens.to_string().contains("Box < N >"),
            "{}",
            recursive.tokens
        );
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
        let text = joined(&schema_changes(
            &prompt_source(true, None),
            &prompt_source(false, None),
        ));
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
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
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
        let text = joined(&changes);
        assert!(
            text.contains("breaking: variant `Low` of `q` now sends \"Low\" instead of \"low\""),
            "{text}"
        );
        let changes = schema_changes(
            &source(json!(["low", "high"])),
            &source(json!(["low", "Low", "high"])),
        );
        let text = joined(&changes);
        assert!(
            text.contains("breaking: variant `Low` of `q` is now `Low_low`"),
            "{text}"
        );
    }
}
