//! Phase 4, render: [`TypeSpace`] and [`Operation`]s → token streams → `syn::File` →
//! `prettyplease` text with the `@generated` header.
//!
//! Generated code names everything by absolute path (`::std::string::String`,
//! `::replicate_runtime::runtime::..`) so a schema called `Option` or `Result` cannot shadow
//! what the code relies on, and it only calls the hand-written runtime: no HTTP code here.

use crate::error::{Error, ErrorKind, Result};
use crate::operations::{BodyKind, Location, Operation, ResponseKind, StatusMatch};
use crate::typedefs::{render_defs, ty_tokens, Paths};
use crate::types::{StructRole, Ty, TypeDef, TypeSpace};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::BTreeMap;

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The `types` module.
pub fn render_types(space: &TypeSpace) -> TokenStream {
    let items = render_defs(&space.defs, &space.defaults(), &Paths::api(quote! {}), None);
    quote! {
        //! Types of the request and response bodies in the spec.
        #[allow(unused_imports)]
        use ::replicate_runtime::runtime as rt;
        #items
    }
}

/// A node of the resource tree (`models` → `versions`).
#[derive(Default)]
struct Resource<'o> {
    children: BTreeMap<String, Resource<'o>>,
    ops: Vec<&'o Operation>,
}

/// The `operations` module: resource handles, request builders and response enums.
pub fn render_operations(ops: &[Operation], space: &TypeSpace) -> Result<TokenStream> {
    let mut root = Resource::default();
    for op in ops {
        let mut node = &mut root;
        for seg in &op.resource {
            node = node.children.entry(seg.clone()).or_default();
        }
        node.ops.push(op);
    }
    let mut items = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut claim = |name: String, what: String, pointer: &str| -> Result<()> {
        if let Some(other) = names.insert(name.clone(), what.clone()) {
            return Err(Error::new(
                ErrorKind::NameClash,
                pointer,
                format!("{what} and {other} would both be named `{name}`"),
            ));
        }
        Ok(())
    };
    for op in ops {
        claim(
            op.builder.clone(),
            format!("the request of `{}`", op.id),
            &op.pointer,
        )?;
        if op.responses.len() > 1 {
            claim(
                format!("{}Response", op.builder),
                format!("the responses of `{}`", op.id),
                &op.pointer,
            )?;
        }
        items.push(render_operation(op, space));
    }
    render_resource(&root, &[], &mut items, &mut claim)?;
    Ok(quote! {
        //! Resource handles, request builders and response types of every operation.
        #[allow(unused_imports)]
        use super::types;
        #[allow(unused_imports)]
        use ::replicate_runtime::runtime as rt;
        #(#items)*
    })
}

fn resource_type_name(path: &[String]) -> String {
    crate::naming::type_name(&path.join("_"))
}

fn render_resource(
    node: &Resource<'_>,
    path: &[String],
    items: &mut Vec<TokenStream>,
    claim: &mut dyn FnMut(String, String, &str) -> Result<()>,
) -> Result<()> {
    let client_expr = if path.is_empty() {
        quote! { &self.inner }
    } else {
        quote! { self.client }
    };
    let lifetime = if path.is_empty() {
        quote! { '_ }
    } else {
        quote! { 'a }
    };
    let mut methods = Vec::new();
    for (child_name, child) in &node.children {
        let mut child_path = path.to_vec();
        child_path.push(child_name.clone());
        let ty_name = resource_type_name(&child_path);
        let pointer = child
            .ops
            .first()
            .map(|o| o.pointer.clone())
            .unwrap_or_else(|| "#/paths".into());
        claim(
            ty_name.clone(),
            format!("the resource `{}`", child_path.join(".")),
            &pointer,
        )?;
        let t = ident(&ty_name);
        let m = ident(child_name);
        let d = format!(" Operations on `{}`.", child_path.join("."));
        methods.push(quote! {
            #[doc = #d]
            pub fn #m(&self) -> #t<#lifetime> {
                #t { client: #client_expr }
            }
        });
        render_resource(child, &child_path, items, claim)?;
    }
    for op in &node.ops {
        methods.push(render_entry_method(op, &client_expr, &lifetime));
    }
    if path.is_empty() {
        items.push(quote! {
            /// The API client: the runtime client (auth, retries, limits; it dereferences to
            /// it) with this API's operations.
            #[derive(Debug, Clone)]
            pub struct Client {
                inner: ::replicate_runtime::Client,
            }
            impl Client {
                /// A client with this token; a token that cannot be sent makes every request
                /// fail with `Error::Config` (`builder().token(..).build()` reports it at once).
                pub fn new(token: impl Into<String>) -> Self {
                    Self::from(::replicate_runtime::Client::new(token))
                }
                /// A client configured from `REPLICATE_API_TOKEN` (required, not empty) and
                /// `REPLICATE_BASE_URL` (optional).
                pub fn from_env() -> Result<Self, ::replicate_runtime::Error> {
                    ::replicate_runtime::ClientBuilder::from_env()?.build()
                }
                /// A builder for the token, base URL, timeouts, limits, retries and the HTTP
                /// client.
                pub fn builder() -> ::replicate_runtime::ClientBuilder<Self> {
                    ::replicate_runtime::ClientBuilder::default()
                }
                /// The runtime client underneath.
                pub fn runtime(&self) -> &::replicate_runtime::Client {
                    &self.inner
                }
                #(#methods)*
            }
            impl From<::replicate_runtime::Client> for Client {
                fn from(inner: ::replicate_runtime::Client) -> Self {
                    Client { inner }
                }
            }
            impl ::std::ops::Deref for Client {
                type Target = ::replicate_runtime::Client;
                fn deref(&self) -> &::replicate_runtime::Client {
                    &self.inner
                }
            }
        });
    } else {
        let t = ident(&resource_type_name(path));
        let d = format!(
            " Operations on `{}`; get one from the client.",
            path.join(".")
        );
        items.push(quote! {
            #[doc = #d]
            #[derive(Debug, Clone, Copy)]
            pub struct #t<'a> {
                client: &'a ::replicate_runtime::Client,
            }
            impl<'a> #t<'a> { #(#methods)* }
        });
    }
    Ok(())
}

fn op_doc(op: &Operation) -> TokenStream {
    let mut lines = Vec::new();
    if let Some(d) = &op.doc {
        lines.push(format!(" {d}"));
        lines.push(String::new());
    }
    lines.push(format!(" `{} {}` (`{}`).", op.method, op.path, op.id));
    quote! { #(#[doc = #lines])* }
}

/// Positional arguments: path parameters, required query/header parameters, required body.
fn positional(op: &Operation) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let types = Paths::api(quote! { types:: });
    let mut args = Vec::new();
    let mut inits = Vec::new();
    for p in op.params.iter().filter(|p| p.required) {
        let n = ident(&p.rust);
        let t = ty_tokens(&p.ty, &types);
        args.push(quote! { #n: impl ::std::convert::Into<#t> });
        inits.push(quote! { #n: #n.into(), });
    }
    if let Some(body) = op.body.as_ref().filter(|b| b.required) {
        let t = ty_tokens(&body.ty, &types);
        args.push(quote! { body: impl ::std::convert::Into<#t> });
        inits.push(quote! { body: body.into(), });
    }
    for p in op.params.iter().filter(|p| !p.required) {
        let n = ident(&p.rust);
        inits.push(quote! { #n: ::std::option::Option::None, });
    }
    if op.body.as_ref().is_some_and(|b| !b.required) {
        inits.push(quote! { body: ::std::option::Option::None, });
    }
    (args, inits)
}

fn render_entry_method(
    op: &Operation,
    client_expr: &TokenStream,
    lifetime: &TokenStream,
) -> TokenStream {
    let doc = op_doc(op);
    let m = ident(&op.name);
    let b = ident(&op.builder);
    let (args, inits) = positional(op);
    let deprecated = op.deprecated.then(|| quote! { #[deprecated] });
    quote! {
        #doc
        #deprecated
        pub fn #m(&self, #(#args),*) -> #b<#lifetime> {
            #b { client: #client_expr, #(#inits)* }
        }
    }
}

fn response_type(op: &Operation) -> TokenStream {
    let types = Paths::api(quote! { types:: });
    match op.responses.as_slice() {
        [] => quote! { ::replicate_runtime::runtime::RawResponse },
        [single] => kind_type(&single.kind, &types),
        _ => {
            let n = format_ident!("{}Response", op.builder);
            quote! { #n }
        }
    }
}

fn kind_type(kind: &ResponseKind, types: &Paths) -> TokenStream {
    match kind {
        ResponseKind::Json(ty) => ty_tokens(ty, types),
        ResponseKind::Text => quote! { ::std::string::String },
        ResponseKind::Bytes => quote! { ::replicate_runtime::runtime::Bytes },
        ResponseKind::Empty => quote! { () },
    }
}

/// The body kind an undeclared 2xx status is decoded as: when every declared success status
/// carries the same body and no `2XX` range already catches the rest. A server answering `200`
/// where the spec says `201` still returns what the caller asked for (a created prediction is
/// never reported as an error).
fn other_success_kind(op: &Operation) -> Option<&ResponseKind> {
    let first = &op.responses.first()?.kind;
    let same = op.responses.iter().all(|r| &r.kind == first);
    let ranged = op
        .responses
        .iter()
        .any(|r| matches!(r.status, StatusMatch::Range(_)));
    (op.responses.len() > 1 && same && !ranged && *first != ResponseKind::Empty).then_some(first)
}

fn decode_expr(kind: &ResponseKind) -> TokenStream {
    match kind {
        ResponseKind::Json(_) => quote! { response.json()? },
        ResponseKind::Text => quote! { response.text()? },
        ResponseKind::Bytes => quote! { response.into_bytes() },
        ResponseKind::Empty => quote! { () },
    }
}

fn render_operation(op: &Operation, space: &TypeSpace) -> TokenStream {
    let page_item = match op.responses.as_slice() {
        [single] if op.method == "GET" => match &single.kind {
            ResponseKind::Json(ty) => page_item_type(space, ty),
            _ => None,
        },
        _ => None,
    };
    let types = Paths::api(quote! { types:: });
    let b = ident(&op.builder);
    let bdoc = format!(
        " Request builder for `{}`: set optional parameters, then `.await` it (or call `send`).",
        op.id
    );

    // Builder fields and setters.
    let mut fields = Vec::new();
    let mut setters = Vec::new();
    for p in &op.params {
        let n = ident(&p.rust);
        let t = ty_tokens(&p.ty, &types);
        if p.required {
            fields.push(quote! { #n: #t, });
        } else {
            fields.push(quote! { #n: ::std::option::Option<#t>, });
            let d = p
                .doc
                .clone()
                .unwrap_or_else(|| format!("Sets the `{}` parameter.", p.wire));
            let d = format!(" {d}");
            setters.push(quote! {
                #[doc = #d]
                pub fn #n(mut self, value: impl ::std::convert::Into<#t>) -> Self {
                    self.#n = ::std::option::Option::Some(value.into());
                    self
                }
            });
        }
    }
    if let Some(body) = &op.body {
        let t = ty_tokens(&body.ty, &types);
        if body.required {
            fields.push(quote! { body: #t, });
        } else {
            fields.push(quote! { body: ::std::option::Option<#t>, });
            setters.push(quote! {
                /// Sets the request body.
                pub fn body(mut self, value: impl ::std::convert::Into<#t>) -> Self {
                    self.body = ::std::option::Option::Some(value.into());
                    self
                }
            });
        }
    }

    // The path, with each parameter percent-encoded as one segment.
    let mut fmt = String::new();
    let mut path_args = Vec::new();
    let mut rest = op.path.as_str();
    while let Some(start) = rest.find('{') {
        fmt.push_str(&rest[..start].replace('{', "{{").replace('}', "}}"));
        let end = rest[start..]
            .find('}')
            .map(|e| start + e)
            .unwrap_or(rest.len() - 1);
        let name = &rest[start + 1..end];
        fmt.push_str("{}");
        if let Some(p) = op
            .params
            .iter()
            .find(|p| p.location == Location::Path && p.wire == name)
        {
            let n = ident(&p.rust);
            path_args.push(quote! { ::replicate_runtime::runtime::encode_path_segment(&self.#n)? });
        }
        rest = &rest[end + 1..];
    }
    fmt.push_str(&rest.replace('{', "{{").replace('}', "}}"));
    let path_expr = if path_args.is_empty() {
        quote! { ::std::string::String::from(#fmt) }
    } else {
        quote! { ::std::format!(#fmt, #(#path_args),*) }
    };

    let method = &op.method;
    let id = &op.id;
    let mut steps = Vec::new();
    for p in op.params.iter().filter(|p| p.location != Location::Path) {
        let n = ident(&p.rust);
        let wire = &p.wire;
        let add = match (p.location, &p.ty) {
            (Location::Query, Ty::Vec(_)) => {
                quote! { for item in value { request.query(#wire, item.to_string()); } }
            }
            (Location::Query, _) => quote! { request.query(#wire, value.to_string()); },
            _ => quote! { request.header(#wire, value.to_string()); },
        };
        let step = if p.required {
            quote! { { let value = &self.#n; #add } }
        } else {
            quote! { if let ::std::option::Option::Some(value) = &self.#n { #add } }
        };
        steps.push(step);
    }
    if let Some(body) = &op.body {
        let media = &body.media_type;
        let set = match body.kind {
            BodyKind::Json => quote! { request.json_body(#media, &body)?; },
            BodyKind::Text => quote! { request.text_body(#media, body); },
            BodyKind::Bytes => quote! { request.bytes_body(#media, body); },
            BodyKind::Multipart => {
                quote! { request.multipart_body(body.into_multipart()?); }
            }
        };
        if body.required {
            steps.push(quote! { { let body = self.body; #set } });
        } else {
            steps.push(quote! { if let ::std::option::Option::Some(body) = self.body { #set } });
        }
    }
    if op.public {
        steps.push(quote! { request.without_auth(); });
    }
    let accepts: Vec<&str> = op
        .responses
        .iter()
        .filter_map(|r| r.media_type.as_deref())
        .collect();
    if !accepts.is_empty() {
        let mut accepts = accepts;
        accepts.dedup();
        let accept = accepts.join(", ");
        steps.push(quote! { request.accept(#accept); });
    }

    let resp_ty = response_type(op);
    let send = render_send(op, &b, &resp_ty);
    let response_enum = (op.responses.len() > 1).then(|| render_response_enum(op, &resp_ty));
    let stream = page_item.map(|item| {
        let item = ty_tokens(item, &types);
        let page = &resp_ty;
        quote! {
            /// Every item of every page, fetched lazily: no request is made until the stream is
            /// polled, and each next page only when the previous one is used up.
            pub fn into_stream(self) -> ::replicate_runtime::runtime::ItemStream<'a, #item> {
                let client = self.client;
                ::replicate_runtime::runtime::paginate::<#page>(client, self.into_request())
            }
        }
    });
    let needs_mut = !steps.is_empty();
    let let_request = if needs_mut {
        quote! { let mut request = ::replicate_runtime::runtime::RequestSpec::new(#method, #path_expr, #id); }
    } else {
        quote! { let request = ::replicate_runtime::runtime::RequestSpec::new(#method, #path_expr, #id); }
    };
    quote! {
        #[doc = #bdoc]
        #[derive(Debug)]
        #[must_use = "a request does nothing until it is awaited or sent"]
        pub struct #b<'a> {
            client: &'a ::replicate_runtime::Client,
            #(#fields)*
        }
        impl<'a> #b<'a> {
            #(#setters)*
            /// The request this builder describes, without sending it.
            pub fn into_request(self) -> ::std::result::Result<::replicate_runtime::runtime::RequestSpec, ::replicate_runtime::Error> {
                #let_request
                #(#steps)*
                ::std::result::Result::Ok(request)
            }
            #stream
        }
        #send
        #response_enum
    }
}

/// `send` and `IntoFuture` of one operation's builder: one `send!` line when the operation has
/// one decoding, otherwise `send` written out as a match over the status.
fn render_send(op: &Operation, b: &Ident, resp_ty: &TokenStream) -> TokenStream {
    // One decoding: `send!` writes `send` and `IntoFuture`. Several (by status): `send` is
    // written out, as a match over the status.
    let single_decode = match op.responses.as_slice() {
        [] => Some("raw"),
        [single] => Some(match single.kind {
            ResponseKind::Json(_) => "json",
            ResponseKind::Text => "text",
            ResponseKind::Bytes => "bytes",
            ResponseKind::Empty => "empty",
        }),
        _ => None,
    };
    match single_decode {
        Some(decode) => {
            let decode = ident(decode);
            let doc = format!("Sends the request: `{} {}`.", op.method, op.path);
            quote! { ::replicate_runtime::send!(#b, #resp_ty, #decode, #doc); }
        }
        None => {
            let arms = op.responses.iter().map(|r| {
                let v = ident(&r.variant);
                let pat = match r.status {
                    StatusMatch::Code(c) => {
                        let c = lit(c);
                        quote! { #c }
                    }
                    StatusMatch::Range(x) => {
                        let lo = lit(x * 100);
                        let hi = lit(x * 100 + 99);
                        quote! { #lo..=#hi }
                    }
                };
                let e = decode_expr(&r.kind);
                if r.kind == ResponseKind::Empty {
                    quote! { #pat => ::std::result::Result::Ok(#resp_ty::#v), }
                } else {
                    quote! { #pat => ::std::result::Result::Ok(#resp_ty::#v(#e)), }
                }
            });
            let other = other_success_kind(op).map(|kind| {
                let e = decode_expr(kind);
                quote! { status @ 200..=299 => ::std::result::Result::Ok(#resp_ty::OtherSuccess(status, #e)), }
            });
            let doc = format!(" Sends the request: `{} {}`.", op.method, op.path);
            quote! {
                impl<'a> #b<'a> {
                    #[doc = #doc]
                    pub async fn send(self) -> ::std::result::Result<#resp_ty, ::replicate_runtime::Error> {
                        let client = self.client;
                        let response = client.execute(self.into_request()?).await?;
                        match response.status() {
                            #(#arms)*
                            #other
                            _ => ::std::result::Result::Err(response.unexpected_status()),
                        }
                    }
                }
                ::replicate_runtime::awaitable!(#b, #resp_ty);
            }
        }
    }
}

fn render_response_enum(op: &Operation, name: &TokenStream) -> TokenStream {
    let types = Paths::api(quote! { types:: });
    let d = format!(" The success responses of `{}`.", op.id);
    let variants = op.responses.iter().map(|r| {
        let v = ident(&r.variant);
        let vd = match r.status {
            StatusMatch::Code(c) => format!(" Status {c}."),
            StatusMatch::Range(x) => format!(" Any other {x}XX status."),
        };
        if r.kind == ResponseKind::Empty {
            quote! { #[doc = #vd] #v, }
        } else {
            let t = kind_type(&r.kind, &types);
            quote! { #[doc = #vd] #v(#t), }
        }
    });
    let status_arms = op.responses.iter().map(|r| {
        let v = ident(&r.variant);
        let code: u16 = match r.status {
            StatusMatch::Code(c) => c,
            StatusMatch::Range(x) => x * 100,
        };
        let code = lit(code);
        if r.kind == ResponseKind::Empty {
            quote! { Self::#v => #code, }
        } else {
            quote! { Self::#v(_) => #code, }
        }
    });
    let other = other_success_kind(op);
    let other_variant = other.map(|kind| {
        let t = kind_type(kind, &types);
        quote! {
            /// Another 2XX status the spec does not declare, with the same body.
            OtherSuccess(u16, #t),
        }
    });
    let other_status = other.map(|_| quote! { Self::OtherSuccess(status, _) => *status, });
    let other_inner = other.map(|_| quote! { | Self::OtherSuccess(_, value) });
    // When every variant carries the same type, callers can ignore which status it was.
    let kinds: Vec<&ResponseKind> = op.responses.iter().map(|r| &r.kind).collect();
    let same = kinds.windows(2).all(|w| w[0] == w[1]) && *kinds[0] != ResponseKind::Empty;
    let into_inner = same.then(|| {
        let t = kind_type(kinds[0], &types);
        let arms = op.responses.iter().map(|r| {
            let v = ident(&r.variant);
            quote! { Self::#v(value) }
        });
        quote! {
            /// The body, whichever success status carried it.
            pub fn into_inner(self) -> #t {
                match self { #(#arms)|* #other_inner => value }
            }
        }
    });
    quote! {
        #[doc = #d]
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum #name { #(#variants)* #other_variant }
        impl #name {
            /// The HTTP status (the lowest of its range for `2XX`).
            pub fn status(&self) -> u16 {
                match self { #(#status_arms)* #other_status }
            }
            #into_inner
        }
    }
}

/// The item type when `ty` is a page of a paginated list: a struct with a `next` URL (optional
/// string) and a `results` array.
pub fn page_item_type<'s>(space: &'s TypeSpace, ty: &Ty) -> Option<&'s Ty> {
    let Ty::Named(name) = ty else { return None };
    let Some(TypeDef::Struct {
        fields,
        role: StructRole::Json,
        ..
    }) = space.defs.get(name)
    else {
        return None;
    };
    let next = fields.iter().find(|f| f.wire == "next")?;
    let results = fields.iter().find(|f| f.wire == "results")?;
    if next.ty != Ty::String.optional() {
        return None;
    }
    match &results.ty {
        Ty::Vec(item) => Some(item),
        Ty::Option(inner) => match inner.as_ref() {
            Ty::Vec(item) => Some(item),
            _ => None,
        },
        _ => None,
    }
}

/// `impl Page` for every page type, so list operations can stream their items.
pub fn render_page_impls(space: &TypeSpace) -> TokenStream {
    let local = Paths::api(quote! {});
    let impls = space.defs.keys().filter_map(|name| {
        let item = page_item_type(space, &Ty::Named(name.clone()))?;
        let n = ident(name);
        let item_ty = ty_tokens(item, &local);
        let Some(TypeDef::Struct { fields, .. }) = space.defs.get(name) else {
            return None;
        };
        let results = fields.iter().find(|f| f.wire == "results")?;
        let rname = ident(&results.rust);
        let items = if results.ty.is_option() {
            quote! { self.#rname.unwrap_or_default() }
        } else {
            quote! { self.#rname }
        };
        let nname = ident(&fields.iter().find(|f| f.wire == "next")?.rust);
        Some(quote! {
            impl ::replicate_runtime::runtime::Page for #n {
                type Item = #item_ty;
                fn next_url(&self) -> ::std::option::Option<&str> {
                    self.#nname.as_deref()
                }
                fn into_items(self) -> ::std::vec::Vec<#item_ty> {
                    #items
                }
            }
        })
    });
    quote! { #(#impls)* }
}

/// Multipart form encoding for a generated form struct (`impl TheForm { fn into_multipart }`).
pub fn render_form_impls(space: &TypeSpace) -> TokenStream {
    let local = Paths::api(quote! {});
    let impls = space.defs.iter().filter_map(|(name, def)| match def {
        TypeDef::Struct { fields, role: StructRole::Form, .. } => {
            let n = ident(name);
            let parts = fields.iter().map(|f| {
                let fname = ident(&f.rust);
                let wire = &f.wire;
                let inner = match &f.ty {
                    Ty::Option(inner) => inner.as_ref(),
                    other => other,
                };
                let add = match inner {
                    Ty::File => quote! { form.file(#wire, value); },
                    Ty::String | Ty::Bool | Ty::I32 | Ty::I64 | Ty::F64 => quote! { form.text(#wire, value.to_string()); },
                    Ty::Named(_) if is_string_enum(space, inner) => quote! { form.text(#wire, value.to_string()); },
                    _ => quote! { form.json(#wire, &value)?; },
                };
                if f.ty.is_option() {
                    quote! { if let ::std::option::Option::Some(value) = self.#fname { #add } }
                } else {
                    quote! { { let value = self.#fname; #add } }
                }
            });
            let _ = &local;
            Some(quote! {
                impl #n {
                    /// Encodes the form as `multipart/form-data` parts.
                    pub fn into_multipart(self) -> ::std::result::Result<::replicate_runtime::runtime::MultipartForm, ::replicate_runtime::Error> {
                        let mut form = ::replicate_runtime::runtime::MultipartForm::new();
                        #(#parts)*
                        ::std::result::Result::Ok(form)
                    }
                }
            })
        }
        _ => None,
    });
    quote! { #(#impls)* }
}

fn is_string_enum(space: &TypeSpace, ty: &Ty) -> bool {
    matches!(ty, Ty::Named(n) if space.defs.get(n).is_some_and(TypeDef::is_string_enum))
}

/// Formats tokens as a Rust file with the `@generated` header.
pub fn format_file(tokens: TokenStream, header: &str) -> Result<String> {
    let tokens = shorten_prelude_paths(tokens);
    let file: syn::File = syn::parse2(tokens.clone()).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            "#",
            format!(
                "generated code does not parse ({e}); tokens: {}",
                truncate(&tokens.to_string(), 2000)
            ),
        )
    })?;
    let body = prettyplease::unparse(&file);
    Ok(format!("{header}\n{body}"))
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// An unsuffixed integer literal (`201`, not `201u16`).
fn lit(n: u16) -> Literal {
    Literal::u16_unsuffixed(n)
}

/// Renames the runtime crate in generated code, for a crate that depends on `replicate-client`
/// under another name: every path `::replicate_client::..` (and the same path in string
/// literals, as `#[serde(crate = "..")]` writes it) becomes `::<name>::..`. Only a segment right
/// after a leading `::` is renamed, so a field called `replicate_client` is left alone.
pub fn rename_runtime(tokens: TokenStream, name: &str) -> TokenStream {
    use proc_macro2::{Group, Ident, Literal, TokenTree};
    if name == "replicate_client" {
        return tokens;
    }
    let quoted_old = "\"::replicate_client::";
    let quoted_new = format!("\"::{name}::");
    let mut out: Vec<TokenTree> = Vec::new();
    for tree in tokens {
        let tree = match tree {
            TokenTree::Group(g) => {
                let mut renamed = Group::new(g.delimiter(), rename_runtime(g.stream(), name));
                renamed.set_span(g.span());
                TokenTree::Group(renamed)
            }
            TokenTree::Ident(i) if i == "replicate_client" => {
                let after_path_sep = matches!(
                    out.as_slice(),
                    [.., TokenTree::Punct(a), TokenTree::Punct(b)] if a.as_char() == ':' && b.as_char() == ':'
                );
                if after_path_sep {
                    TokenTree::Ident(Ident::new(name, i.span()))
                } else {
                    TokenTree::Ident(i)
                }
            }
            TokenTree::Literal(l) if l.to_string().starts_with(quoted_old) => {
                let text = l.to_string().replacen(quoted_old, &quoted_new, 1);
                let inner = &text[1..text.len() - 1];
                TokenTree::Literal(Literal::string(inner))
            }
            other => other,
        };
        out.push(tree);
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod rename_tests {
    use super::*;
    use quote::quote;

    #[test]
    fn only_runtime_paths_are_renamed() {
        let before = quote! {
            #[serde(crate = "::replicate_client::__private::serde")]
            struct S { replicate_client: ::replicate_client::Secret }
            fn f() -> ::replicate_client::Error { self.replicate_client }
        };
        let after = rename_runtime(before, "replicate").to_string();
        assert!(
            after.contains("\"::replicate::__private::serde\""),
            "{after}"
        );
        assert!(after.contains(":: replicate :: Secret"), "{after}");
        assert!(after.contains(":: replicate :: Error"), "{after}");
        assert!(after.contains("struct S { replicate_client :"), "{after}");
        assert!(after.contains("self . replicate_client"), "{after}");
    }
}

/// Writes prelude items by their short names (`::std::option::Option` → `Option`,
/// `::std::result::Result::Ok` → `Ok`, `::std::format!` → `format!`). Safe because generated
/// code lives in modules of its own, where only the prelude is in scope, and `naming` never
/// gives a generated type a prelude name (`Option`, `Result`, `String`, `Vec`, `Box`, ...).
pub fn shorten_prelude_paths(tokens: TokenStream) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    /// `::std::<module>::<Item>` paths whose item is in the prelude.
    const PRELUDE: &[(&str, &str)] = &[
        ("option", "Option"),
        ("result", "Result"),
        ("string", "String"),
        ("string", "ToString"),
        ("vec", "Vec"),
        ("boxed", "Box"),
        ("convert", "Into"),
        ("convert", "From"),
        ("convert", "TryFrom"),
        ("default", "Default"),
        ("iter", "Iterator"),
    ];
    /// Variants the prelude names on their own.
    const VARIANTS: &[(&str, &str)] = &[
        ("Option", "Some"),
        ("Option", "None"),
        ("Result", "Ok"),
        ("Result", "Err"),
    ];
    const MACROS: &[&str] = &["format", "write", "vec", "stringify", "concat"];
    let input: Vec<TokenTree> = tokens.into_iter().collect();
    let text = |t: Option<&TokenTree>| t.map(|t| t.to_string()).unwrap_or_default();
    let is_sep = |i: usize| {
        matches!(
            (input.get(i), input.get(i + 1)),
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                if a.as_char() == ':' && b.as_char() == ':'
        )
    };
    let mut out: Vec<TokenTree> = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        // A path starting here with a leading `::`, and not continuing one (`a::std::..`):
        // after a keyword (`impl ::std::..`, `for ::std::..`) a new path starts.
        const STARTS_PATH: &[&str] = &[
            "impl", "for", "as", "dyn", "where", "in", "return", "let", "mut", "ref", "move",
            "pub", "type", "const", "static", "fn", "use", "struct", "enum", "match", "if", "else",
            "while", "break",
        ];
        // A lifetime (`&'a ::std::..`) ends no path either.
        let lifetime = matches!(
            out.len().checked_sub(2).map(|j| &out[j]),
            Some(TokenTree::Punct(p)) if p.as_char() == '\''
        );
        let continues = !lifetime
            && matches!(
                out.last(),
                Some(TokenTree::Ident(id)) if !STARTS_PATH.contains(&id.to_string().as_str())
            );
        // `::replicate_runtime::runtime::X` → `rt::X`, `::replicate_runtime::Error` → `rt::Error`:
        // API modules import the runtime's module as `rt` (it re-exports what they use), and
        // no generated name is `rt`, since type names are camel case.
        if !continues && is_sep(i) && text(input.get(i + 2)) == "replicate_runtime" && is_sep(i + 3)
        {
            let next = text(input.get(i + 5));
            let skip = match next.as_str() {
                "runtime" if is_sep(i + 6) => Some(i + 6),
                "Client" | "ClientBuilder" | "Error" | "send" | "awaitable" => Some(i + 3),
                _ => None,
            };
            if let Some(rest) = skip {
                out.push(TokenTree::Ident(proc_macro2::Ident::new(
                    "rt",
                    input[i + 2].span(),
                )));
                i = rest;
                continue;
            }
        }
        if !continues && is_sep(i) && text(input.get(i + 2)) == "std" && is_sep(i + 3) {
            let module = text(input.get(i + 5));
            // `::std::format!` and friends.
            if MACROS.contains(&module.as_str()) && text(input.get(i + 6)) == "!" {
                out.push(input[i + 5].clone());
                i += 6;
                continue;
            }
            if is_sep(i + 6) {
                let item = text(input.get(i + 8));
                if PRELUDE.contains(&(module.as_str(), item.as_str())) {
                    // `::std::option::Option::Some` → `Some`.
                    let variant = text(input.get(i + 11));
                    if is_sep(i + 9) && VARIANTS.contains(&(item.as_str(), variant.as_str())) {
                        out.push(input[i + 11].clone());
                        i += 12;
                    } else {
                        out.push(input[i + 8].clone());
                        i += 9;
                    }
                    continue;
                }
            }
        }
        let tree = match &input[i] {
            TokenTree::Group(g) => {
                let mut short = Group::new(g.delimiter(), shorten_prelude_paths(g.stream()));
                short.set_span(g.span());
                TokenTree::Group(short)
            }
            other => other.clone(),
        };
        out.push(tree);
        i += 1;
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod shorten_tests {
    use super::*;
    use quote::quote;

    #[test]
    fn prelude_paths_are_shortened_and_nothing_else() {
        let before = quote! {
            fn f(x: ::std::option::Option<::std::string::String>) -> ::std::result::Result<::std::vec::Vec<u8>, E> {
                let _ = ::std::option::Option::Some(1);
                let _ = ::std::format!("{}", 1);
                let _ = ::std::iter::once(1);
                let _ = a::std::option::Option::None;
                impl ::std::convert::From<u8> for X {}
                ::std::result::Result::Ok(::std::vec::Vec::new())
            }
        };
        let after = shorten_prelude_paths(before).to_string();
        assert!(after.contains("x : Option < String >"), "{after}");
        assert!(after.contains("-> Result < Vec < u8 > , E >"), "{after}");
        assert!(after.contains("Some (1)"), "{after}");
        assert!(after.contains("format ! ("), "{after}");
        assert!(after.contains(":: std :: iter :: once"), "{after}");
        assert!(
            after.contains("a :: std :: option :: Option :: None"),
            "{after}"
        );
        assert!(after.contains("Ok (Vec :: new ())"), "{after}");
        assert!(after.contains("impl From < u8 > for X"), "{after}");
    }
}
