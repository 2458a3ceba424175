//! Phase 4a, type definitions: the [`crate::ir`] → Rust items. The one renderer of structs,
//! enums, unions and aliases, for API bodies and model schemas alike; a struct's
//! [`StructRole`] and an enum's openness decide the code around them.

use crate::ir::{EnumKind, Field, StructRole, Ty, TypeDef};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;
use serde_json::Value;
use std::collections::BTreeSet;

/// Where generated code finds the crates it uses.
#[derive(Clone)]
pub struct Paths {
    /// Prefix of generated types (`types::` from the operations module, empty inside it).
    pub types: TokenStream,
    serde: TokenStream,
    /// `#[serde(crate = ..)]`, for code whose crate reaches serde through the runtime.
    serde_crate: Option<&'static str>,
    json: TokenStream,
    error: TokenStream,
    /// The runtime's module of items generated code calls (`open_enum!`, `choices!`).
    runtime: TokenStream,
}

impl Paths {
    /// A generated API crate: serde and serde_json are its own dependencies.
    pub fn api(types: TokenStream) -> Paths {
        Paths {
            types,
            serde: quote! { ::serde },
            serde_crate: None,
            json: quote! { ::serde_json },
            error: quote! { rt::Error },
            runtime: quote! { rt },
        }
    }

    /// Typed models: everything through `replicate_typed`, so the user's crate needs no serde.
    pub fn model() -> Paths {
        Paths {
            types: quote! {},
            serde: quote! { ::replicate_typed::__private::serde },
            serde_crate: Some("::replicate_typed::__private::serde"),
            json: quote! { ::replicate_typed::__private::serde_json },
            error: quote! { ::replicate_typed::Error },
            runtime: quote! { ::replicate_typed::runtime },
        }
    }

    /// `#[derive(..)]` with serde's `Serialize` only (the type writes its own `Deserialize`).
    fn serialize_derive(&self, others: TokenStream) -> TokenStream {
        let serde = &self.serde;
        let krate = self.serde_crate.map(|c| quote! { #[serde(crate = #c)] });
        quote! {
            #[derive(#others #serde::Serialize)]
            #krate
        }
    }

    /// `#[derive(..)]` with serde's derives and, when needed, `#[serde(crate = ..)]`.
    fn serde_derives(&self, others: TokenStream) -> TokenStream {
        let serde = &self.serde;
        let krate = self.serde_crate.map(|c| quote! { #[serde(crate = #c)] });
        quote! {
            #[derive(#others #serde::Serialize, #serde::Deserialize)]
            #krate
        }
    }
}

/// `Deserialize` for a union with a discriminator: the property's value picks the variant,
/// and the whole value is decoded as it (the variant's struct keeps the property); a value
/// no variant claims is kept whole in the unknown variant.
fn tagged_deserialize(
    n: &Ident,
    variants: &[(String, Ty)],
    tag: &crate::ir::Tag,
    paths: &Paths,
) -> TokenStream {
    let (serde, runtime) = (&paths.serde, &paths.runtime);
    let property = &tag.property;
    // A variant whose values the mapping all gave to others is never chosen by its tag.
    let arms = variants
        .iter()
        .zip(&tag.values)
        .filter(|(_, values)| !values.is_empty())
        .map(|((v, _), values)| {
            let name = v.as_str();
            let v = ident(v);
            quote! { #(#values)|* => #runtime::decode_variant(value, #name).map(Self::#v), }
        });
    let unknown = ident(&tag.unknown);
    quote! {
        impl<'de> #serde::Deserialize<'de> for #n {
            fn deserialize<D: #serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let (tag, value) = #runtime::tag_of(deserializer, #property)?;
                match tag.as_str() {
                    #(#arms)*
                    _ => Ok(Self::#unknown(value)),
                }
                .map_err(#serde::de::Error::custom)
            }
        }
    }
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// `#[doc = ..]` for a line of text, or nothing.
pub fn doc_attrs(doc: Option<&str>) -> TokenStream {
    match doc {
        Some(d) => {
            let d = format!(" {d}");
            quote! { #[doc = #d] }
        }
        None => quote! {},
    }
}

/// A type expression.
pub fn ty_tokens(ty: &Ty, paths: &Paths) -> TokenStream {
    let json = &paths.json;
    match ty {
        Ty::String => quote! { String },
        Ty::Bool => quote! { bool },
        Ty::I32 => quote! { i32 },
        Ty::I64 => quote! { i64 },
        Ty::F64 => quote! { f64 },
        Ty::Value => quote! { #json::Value },
        Ty::JsonObject => quote! { #json::Map<String, #json::Value> },
        Ty::Bytes => quote! { rt::Bytes },
        Ty::File => quote! { rt::FilePart },
        Ty::FileInput => quote! { ::replicate_typed::FileInput },
        Ty::FileOutput => quote! { ::replicate_typed::model::FileOutput },
        Ty::Secret => quote! { ::replicate_typed::model::Secret },
        Ty::Concatenated => quote! { ::replicate_typed::model::Concatenated },
        Ty::Unit => quote! { () },
        Ty::Vec(inner) => {
            let inner = ty_tokens(inner, paths);
            quote! { Vec<#inner> }
        }
        Ty::Map(inner) => {
            let inner = ty_tokens(inner, paths);
            quote! { ::std::collections::BTreeMap<String, #inner> }
        }
        Ty::Option(inner) => {
            let inner = ty_tokens(inner, paths);
            quote! { Option<#inner> }
        }
        Ty::Boxed(inner) => {
            let inner = ty_tokens(inner, paths);
            quote! { Box<#inner> }
        }
        Ty::Named(n) => {
            let n = ident(n);
            let prefix = &paths.types;
            quote! { #prefix #n }
        }
        Ty::Runtime(n) => {
            let n = ident(n);
            quote! { rt::#n }
        }
    }
}

/// Every definition, in name order. `defaults` are the types that derive `Default`; `marker`
/// is the model whose inputs these are, when they are a model's.
pub fn render_defs<'d>(
    defs: impl IntoIterator<Item = (&'d String, &'d TypeDef)>,
    defaults: &BTreeSet<String>,
    paths: &Paths,
    marker: Option<&str>,
) -> TokenStream {
    let items = defs.into_iter().map(|(name, def)| {
        let n = ident(name);
        match def {
            TypeDef::Struct {
                doc,
                fields,
                additional,
                role,
            } => {
                let fallback = match role {
                    StructRole::ModelInput { .. } => {
                        Some(format!("The `{name}` object of the model's input."))
                    }
                    StructRole::ModelOutput => {
                        Some(format!("The `{name}` object of the model's output."))
                    }
                    StructRole::Json | StructRole::Form => None,
                };
                let s = StructDef {
                    name: &n,
                    doc: doc.as_deref().or(fallback.as_deref()),
                    fields,
                    additional: additional.as_ref(),
                    paths,
                };
                match role {
                    StructRole::ModelInput { required } => {
                        let marker = ident(marker.unwrap_or("Model"));
                        s.model_input(required.as_deref(), &marker)
                    }
                    role => s.plain(role, defaults.contains(name)),
                }
            }
            TypeDef::Enum {
                doc,
                kind,
                variants,
                open,
                fields,
            } => {
                // Errors name the inputs that use the enum, not the Rust type.
                let label = if fields.is_empty() {
                    name.clone()
                } else {
                    fields.join(" / ")
                };
                let fallback = format!("The choices of `{label}`.");
                let e = EnumDef {
                    name: &n,
                    doc: Some(doc.as_deref().unwrap_or(&fallback)),
                    variants,
                    label: &label,
                    paths,
                };
                match (open, kind) {
                    (Some(open), _) => e.open(open),
                    (None, EnumKind::Str) => e.closed_str(),
                    (None, kind) => e.closed_number(*kind),
                }
            }
            TypeDef::Union { doc, variants, tag } => {
                let fallback = format!("The `{name}` value, one of several shapes.");
                let doc = doc_attrs(Some(doc.as_deref().unwrap_or(&fallback)));
                let vs = variants.iter().map(|(v, ty)| {
                    let d = format!(" The value as `{v}`.");
                    let v = ident(v);
                    let t = ty_tokens(ty, paths);
                    quote! { #[doc = #d] #v(#t), }
                });
                match tag {
                    None => {
                        let derives = paths.serde_derives(quote! { Debug, Clone, PartialEq, });
                        quote! {
                            #doc
                            #derives
                            #[serde(untagged)]
                            #[allow(clippy::large_enum_variant)]
                            pub enum #n { #(#vs)* }
                        }
                    }
                    Some(tag) => {
                        let derives = paths.serialize_derive(quote! { Debug, Clone, PartialEq, });
                        let decode = tagged_deserialize(&n, variants, tag, paths);
                        let unknown = ident(&tag.unknown);
                        let json = &paths.json;
                        let d = format!(
                            " A value whose `{}` this client does not know (sent by a newer server).",
                            tag.property
                        );
                        quote! {
                            #doc
                            #derives
                            #[serde(untagged)]
                            #[allow(clippy::large_enum_variant)]
                            pub enum #n {
                                #(#vs)*
                                #[doc = #d]
                                #unknown(#json::Value),
                            }
                            #decode
                        }
                    }
                }
            }
            TypeDef::Alias { doc, ty } => {
                let fallback = format!("The `{name}` type.");
                let doc = doc_attrs(Some(doc.as_deref().unwrap_or(&fallback)));
                let t = ty_tokens(ty, paths);
                quote! { #doc pub type #n = #t; }
            }
        }
    });
    quote! { #(#items)* }
}

/// A field's doc: its description, its default, and the limits checked before sending.
fn field_doc(f: &Field) -> TokenStream {
    let mut text = f
        .doc
        .clone()
        .unwrap_or_else(|| format!("The `{}` field.", f.wire));
    if let Some(d) = &f.default {
        if !text.ends_with(['.', '!', '?', ':']) {
            text.push('.');
        }
        text.push_str(&format!(
            " Default: `{}`.",
            serde_json::to_string(d).unwrap_or_default()
        ));
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
    let text = format!(" {text}");
    if range.is_empty() {
        return quote! { #[doc = #text] };
    }
    let checked = format!(" Checked before sending: {}.", range.join(", "));
    quote! { #[doc = #text] #[doc = ""] #[doc = #checked] }
}

struct StructDef<'a> {
    name: &'a Ident,
    doc: Option<&'a str>,
    fields: &'a [Field],
    additional: Option<&'a Ty>,
    paths: &'a Paths,
}

impl StructDef<'_> {
    /// The struct itself: fields with their wire names, optional ones left out when empty.
    fn declaration(&self, form: bool, derives: TokenStream) -> TokenStream {
        let n = self.name;
        let doc = doc_attrs(self.doc);
        let fields = self.fields.iter().map(|f| {
            let fname = ident(&f.rust);
            let t = ty_tokens(&f.ty, self.paths);
            let fdoc = field_doc(f);
            let rename = (!form && f.rust != f.wire).then(|| {
                let w = &f.wire;
                quote! { #[serde(rename = #w)] }
            });
            let skip = match (&f.ty, f.required, form) {
                (_, _, true) => quote! {},
                (Ty::Option(_), false, _) => {
                    quote! { #[serde(default, skip_serializing_if = "Option::is_none")] }
                }
                // Listed as required but nullable: always sent, `null` when empty.
                (Ty::Option(_), true, _) => quote! { #[serde(default)] },
                _ => quote! {},
            };
            quote! { #fdoc #rename #skip pub #fname: #t, }
        });
        let extra = self.additional.map(|ty| {
            let t = ty_tokens(ty, self.paths);
            quote! {
                /// Properties not listed in the schema, kept as they came.
                #[serde(flatten)]
                pub additional_properties: ::std::collections::BTreeMap<String, #t>,
            }
        });
        quote! {
            #doc
            #derives
            pub struct #n {
                #(#fields)*
                #extra
            }
        }
    }

    fn required(&self) -> Vec<&Field> {
        self.fields.iter().filter(|f| !f.ty.is_option()).collect()
    }

    /// A body or response struct, with `new(required fields)` unless it is decoded only.
    fn plain(&self, role: &StructRole, default: bool) -> TokenStream {
        let default = default.then(|| quote! { Default, });
        let derives = match role {
            StructRole::Form => quote! { #[derive(Debug, Clone, PartialEq)] },
            _ => self
                .paths
                .serde_derives(quote! { Debug, Clone, PartialEq, #default }),
        };
        let declaration = self.declaration(*role == StructRole::Form, derives);
        let required = self.required();
        if *role == StructRole::ModelOutput || required.is_empty() {
            return declaration;
        }
        let n = self.name;
        let args = required.iter().map(|f| {
            let fname = ident(&f.rust);
            match &f.ty {
                Ty::String => quote! { #fname: impl Into<String> },
                ty => {
                    let t = ty_tokens(ty, self.paths);
                    quote! { #fname: #t }
                }
            }
        });
        let inits = self.fields.iter().map(|f| {
            let fname = ident(&f.rust);
            match &f.ty {
                Ty::String => quote! { #fname: #fname.into(), },
                Ty::Option(_) => quote! { #fname: None, },
                _ => quote! { #fname, },
            }
        });
        let extra = self
            .additional
            .map(|_| quote! { additional_properties: ::std::collections::BTreeMap::new(), });
        let allow = (required.len() > 7).then(|| quote! { #[allow(clippy::too_many_arguments)] });
        quote! {
            #declaration
            impl #n {
                /// Creates a value from its required fields; optional fields start empty.
                #allow
                pub fn new(#(#args),*) -> Self {
                    Self { #(#inits)* #extra }
                }
            }
        }
    }

    /// A model input: a constructor over the required fields, a setter per optional one, the
    /// checks `validate` runs before sending, and the files to upload first.
    fn model_input(&self, required_struct: Option<&str>, marker: &Ident) -> TokenStream {
        let n = self.name;
        let all_optional = self.fields.iter().all(|f| f.ty.is_option());
        let default = all_optional.then(|| quote! { Default, });
        let derives = self
            .paths
            .serde_derives(quote! { Debug, Clone, PartialEq, #default });
        let declaration = self.declaration(false, derives);
        let required = self.required();
        let extra = self
            .additional
            .map(|_| quote! { additional_properties: ::std::collections::BTreeMap::new(), });
        let init = |f: &Field, value: TokenStream| {
            let fname = ident(&f.rust);
            if f.ty.is_option() {
                quote! { #fname: None, }
            } else {
                quote! { #fname: #value, }
            }
        };
        let (constructor, required_def) = match required_struct {
            None => {
                let args = required.iter().map(|f| {
                    let fname = ident(&f.rust);
                    let t = ty_tokens(&f.ty, self.paths);
                    quote! { #fname: impl Into<#t> }
                });
                let inits = self.fields.iter().map(|f| {
                    let fname = ident(&f.rust);
                    init(f, quote! { #fname.into() })
                });
                let allow =
                    (required.len() > 7).then(|| quote! { #[allow(clippy::too_many_arguments)] });
                let constructor = quote! {
                    /// A value with the required fields; optional ones are left out (the model's
                    /// defaults apply) until set.
                    #allow
                    pub fn new(#(#args),*) -> Self {
                        Self { #(#inits)* #extra }
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
                    let t = ty_tokens(&f.ty, self.paths);
                    let fd = field_doc(f);
                    quote! { #fd pub #fname: #t, }
                });
                let inits = self.fields.iter().map(|f| {
                    let fname = ident(&f.rust);
                    init(f, quote! { required.#fname })
                });
                let rd = format!(
                    " The required fields of [`{n}`], named at the call site: `{n}::new({r} {{ .. }})`."
                );
                let required_def = quote! {
                    #[doc = #rd]
                    #[derive(Debug, Clone, PartialEq)]
                    pub struct #r { #(#decl)* }
                    impl From<#r> for #n {
                        fn from(required: #r) -> Self {
                            Self::new(required)
                        }
                    }
                };
                let constructor = quote! {
                    /// A value with the required fields (named, so they cannot be swapped);
                    /// optional ones are left out (the model's defaults apply) until set.
                    pub fn new(required: #r) -> Self {
                        Self { #(#inits)* #extra }
                    }
                };
                (constructor, required_def)
            }
        };
        let setters = self.fields.iter().filter_map(|f| {
            let Ty::Option(inner) = &f.ty else {
                return None;
            };
            let fname = ident(&f.rust);
            let t = ty_tokens(inner, self.paths);
            let sd = format!(" Sets `{}`.", f.wire);
            let allow = crate::naming::is_std_trait_method(&f.rust)
                .then(|| quote! { #[allow(clippy::should_implement_trait)] });
            Some(quote! {
                #[doc = #sd]
                #allow
                pub fn #fname(mut self, value: impl Into<#t>) -> Self {
                    self.#fname = Some(value.into());
                    self
                }
            })
        });
        let checks = self.fields.iter().filter_map(check_tokens);
        // Chained iterators over disjoint fields: one expression, no mutable vector dance.
        let files: Vec<TokenStream> = self.fields.iter().filter_map(file_parts).collect();
        let files_body = if files.is_empty() {
            quote! { Vec::new() }
        } else {
            quote! { ::std::iter::empty() #(#files)* .collect() }
        };
        quote! {
            #declaration
            #required_def
            impl #n {
                #constructor
                #(#setters)*
            }
            impl ::replicate_typed::model::ModelInput for #n {
                type Model = #marker;
                fn validate(&self) -> Result<(), ::replicate_typed::Error> {
                    #(#checks)*
                    Ok(())
                }
                fn files_mut(&mut self) -> Vec<(&'static str, &mut ::replicate_typed::FileInput)> {
                    #files_body
                }
            }
        }
    }
}

/// The files of one input field, as a link in the chain `files_mut` collects.
fn file_parts(f: &Field) -> Option<TokenStream> {
    let fname = ident(&f.rust);
    let wire = &f.wire;
    let is_file = |t: &Ty| *t == Ty::FileInput;
    match &f.ty {
        t if is_file(t) => Some(quote! { .chain(::std::iter::once((#wire, &mut self.#fname))) }),
        Ty::Option(i) if is_file(i) => {
            Some(quote! { .chain(self.#fname.as_mut().map(|f| (#wire, f))) })
        }
        Ty::Vec(i) if is_file(i) => {
            Some(quote! { .chain(self.#fname.iter_mut().map(|f| (#wire, f))) })
        }
        Ty::Option(v) if matches!(&**v, Ty::Vec(i) if is_file(i)) => {
            Some(quote! { .chain(self.#fname.iter_mut().flatten().map(|f| (#wire, f))) })
        }
        _ => None,
    }
}

/// The checks of one input field: every value `run` would refuse, refused by `validate` first
/// (one call per kind of limit, a float that JSON cannot carry, a file given as a string that
/// is not a URL), for the field itself, its `Option` and each item of its list.
fn check_tokens(f: &Field) -> Option<TokenStream> {
    let b = &f.bounds;
    let wire = &f.wire;
    let fname = ident(&f.rust);
    let check = quote! { ::replicate_typed::model::check };
    let mut body = Vec::new();
    let (item, list) = match f.ty.inner() {
        Ty::Vec(item) => (&**item, true),
        other => (other, false),
    };
    if *item == Ty::F64 {
        // serde_json writes NaN and the infinities as `null`, which a model answers with 422.
        body.push(quote! { #check::finite(#wire, *value)?; });
    }
    if *item == Ty::FileInput {
        body.push(quote! { #check::file(#wire, value)?; });
    }
    match item {
        ty @ (Ty::I32 | Ty::I64 | Ty::F64)
            if !list && (b.minimum.is_some() || b.maximum.is_some()) =>
        {
            // Integers are compared as integers (no f64 rounding past 2^53).
            let integer = *ty != Ty::F64;
            let bound = |b: Option<(f64, bool)>| -> TokenStream {
                let Some((v, exclusive)) = b else {
                    return quote! { #check::Bound::None };
                };
                let n = if integer {
                    Literal::i64_unsuffixed(v as i64)
                } else {
                    Literal::f64_unsuffixed(v)
                };
                if exclusive {
                    quote! { #check::Bound::Exclusive(#n) }
                } else {
                    quote! { #check::Bound::Inclusive(#n) }
                }
            };
            let (min, max) = (bound(b.minimum), bound(b.maximum));
            body.push(quote! { #check::range(#wire, *value, #min, #max)?; });
        }
        Ty::String | Ty::Secret if !list => {
            // The check reads the value through its type, so a `Secret` is never shown.
            let limit = |v: Option<u64>| match v {
                Some(v) => {
                    let v = Literal::usize_unsuffixed(v as usize);
                    quote! { Some(#v) }
                }
                None => quote! { None },
            };
            if b.min_length.is_some() || b.max_length.is_some() {
                let (min, max) = (limit(b.min_length), limit(b.max_length));
                body.push(quote! { #check::length(#wire, value, #min, #max)?; });
            }
            if let Some(p) = &b.pattern {
                body.push(quote! { #check::pattern(#wire, value, #p)?; });
            }
        }
        _ => {}
    }
    if body.is_empty() {
        return None;
    }
    Some(match (f.ty.is_option(), list) {
        (false, false) => quote! { { let value = &self.#fname; #(#body)* } },
        (true, false) => quote! { if let Some(value) = &self.#fname { #(#body)* } },
        (false, true) => quote! { for value in &self.#fname { #(#body)* } },
        (true, true) => quote! { for value in self.#fname.iter().flatten() { #(#body)* } },
    })
}

struct EnumDef<'a> {
    name: &'a Ident,
    doc: Option<&'a str>,
    variants: &'a [(String, Value)],
    /// What errors call the enum: the inputs that use it.
    label: &'a str,
    paths: &'a Paths,
}

fn wire_text(w: &Value) -> String {
    match w {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl EnumDef<'_> {
    fn head(&self) -> TokenStream {
        let doc = doc_attrs(self.doc);
        // Names made of a value's own spelling (`Low_low`) are not camel case.
        let allow = self
            .variants
            .iter()
            .any(|(v, _)| v.trim_end_matches('_').contains('_'))
            .then(|| quote! { #[allow(non_camel_case_types)] });
        quote! { #doc #allow }
    }

    /// The variants with their docs, for the enum's declaration.
    fn declared_variants(&self) -> Vec<TokenStream> {
        self.variants
            .iter()
            .map(|(v, w)| {
                let vd = format!(" `{}`", wire_text(w));
                let v = ident(v);
                quote! { #[doc = #vd] #v, }
            })
            .collect()
    }

    /// `[Variant = "value", ..]`, as the enum macros take them.
    fn value_list(&self) -> TokenStream {
        let pairs = self.variants.iter().map(|(v, w)| {
            let v = ident(v);
            let w = wire_text(w);
            quote! { #v = #w }
        });
        quote! { [#(#pairs),*] }
    }

    /// An enum that keeps values it does not know (an API may add values); its impls come
    /// from the runtime's `open_enum!`.
    fn open(&self, open: &str) -> TokenStream {
        let (n, head, runtime) = (self.name, self.head(), &self.paths.runtime);
        let open_ident = ident(open);
        let open_doc = if open == "Other" {
            " Any other value (the schema allows any string)."
        } else {
            " A value this client does not know yet (sent by a newer server)."
        };
        let (variants, values) = (self.declared_variants(), self.value_list());
        quote! {
            #head
            #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
            #[non_exhaustive]
            pub enum #n {
                #(#variants)*
                #[doc = #open_doc]
                #open_ident(String),
            }
            #runtime::open_enum!(#n, #open_ident, #values);
        }
    }

    /// A closed enum of strings: any other value is an error naming the inputs that use it;
    /// its impls come from the runtime's `choices!`.
    fn closed_str(&self) -> TokenStream {
        let (n, head, runtime, label) = (self.name, self.head(), &self.paths.runtime, self.label);
        let (variants, values) = (self.declared_variants(), self.value_list());
        quote! {
            #head
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum #n { #(#variants)* }
            #runtime::choices!(#n, #label, #values);
        }
    }

    fn expected(&self) -> String {
        let values: Vec<String> = self.variants.iter().map(|(_, w)| wire_text(w)).collect();
        values.join(", ")
    }

    /// A closed enum of numbers, (de)serialised through its value.
    fn closed_number(&self, kind: EnumKind) -> TokenStream {
        let (n, head, label) = (self.name, self.head(), self.label);
        let (serde, error) = (&self.paths.serde, &self.paths.error);
        let integer = kind == EnumKind::Int;
        let (num_ty, ser, derives) = if integer {
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
        let lit = |w: &Value| -> Literal {
            if integer {
                Literal::i64_unsuffixed(w.as_i64().unwrap_or_default())
            } else {
                Literal::f64_unsuffixed(w.as_f64().unwrap_or_default())
            }
        };
        let decl = self.variants.iter().map(|(v, w)| {
            let v = ident(v);
            let vd = format!(" `{}`", wire_text(w));
            quote! { #[doc = #vd] #v, }
        });
        let arms = self.variants.iter().map(|(v, w)| {
            let (v, l) = (ident(v), lit(w));
            quote! { Self::#v => #l, }
        });
        let from = self.variants.iter().map(|(v, w)| {
            let (v, l) = (ident(v), lit(w));
            quote! { if value == #l { return Ok(Self::#v); } }
        });
        let expected = self.expected();
        quote! {
            #head
            #derives
            pub enum #n { #(#decl)* }
            impl #n {
                /// The value sent on the wire.
                pub fn value(&self) -> #num_ty {
                    match self { #(#arms)* }
                }
                /// The variant for a wire value.
                #[allow(clippy::float_cmp)]
                pub fn from_value(value: #num_ty) -> Result<Self, #error> {
                    #(#from)*
                    Err(#error::InvalidInput {
                        field: ToString::to_string(#label),
                        message: format!("{value} is not one of: {}", #expected),
                    })
                }
            }
            impl ::std::fmt::Display for #n {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    write!(f, "{}", self.value())
                }
            }
            impl #serde::Serialize for #n {
                fn serialize<S: #serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    #ser
                }
            }
            impl<'de> #serde::Deserialize<'de> for #n {
                fn deserialize<D: #serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    let value = <#num_ty as #serde::Deserialize>::deserialize(d)?;
                    Self::from_value(value).map_err(#serde::de::Error::custom)
                }
            }
        }
    }
}
