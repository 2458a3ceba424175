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
use crate::typedefs::{render_defs, ty_tokens, Paths};
use crate::types::{
    component_name, resolve_schema, Mode, Schemas, StructRole, Ty, TypeDef, TypeSpace,
};
use openapiv3::{ReferenceOr, Schema, SchemaKind, Type};
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

/// Generates the module of one model.
pub fn generate_model(src: &ModelSource) -> Result<ModelModule> {
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
    let has_properties = match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => !o.properties.is_empty(),
        SchemaKind::Any(a) => !a.properties.is_empty(),
        _ => false,
    };
    if has_properties {
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
            quote! { ::std::result::Result::Ok(::std::string::ToString::to_string(data)) }
        }
        Ty::FileOutput => {
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
    let items = render_defs(&space.defs, &BTreeSet::new(), &paths, Some(marker));
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
        #items
    }
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
            let (an, bn) = (
                naming::enum_variants(&av, None),
                naming::enum_variants(&bv, None),
            );
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
