//! Phase 4, render: [`TypeSpace`] and [`Operation`]s → token streams → `syn::File` →
//! `prettyplease` text with the `@generated` header.
//!
//! Generated code lives in modules of its own, where only the prelude, `types` and `rt` (the
//! runtime's `runtime` module) are in scope, and `naming` never gives a generated type a
//! prelude name: so it writes `Option`, `String`, `rt::RequestSpec` short, and nothing a spec
//! names can shadow them. Everything else goes by absolute path (`::std::fmt::Display`). It
//! only calls the hand-written runtime: no HTTP code here.

use crate::error::{Error, ErrorKind, Result};
use crate::operations::{BodyKind, Location, Operation, ResponseKind, StatusMatch, Written};
use crate::typedefs::{render_defs, ty_tokens, Paths};
use crate::types::{StructRole, Ty, TypeDef, TypeSpace};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;
use std::collections::{BTreeMap, BTreeSet};

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The `types` module.
/// The `types` module's first lines.
fn types_prelude() -> TokenStream {
    quote! {
        //! Types of the request and response bodies in the spec.
        #[allow(unused_imports)]
        use ::replicate_runtime::runtime as rt;
    }
}

/// The `operations` module's first lines.
fn operations_prelude() -> TokenStream {
    quote! {
        //! Resource handles, request builders and response types of every operation.
        #[allow(unused_imports)]
        use super::types;
        #[allow(unused_imports)]
        use ::replicate_runtime::runtime as rt;
    }
}

/// A part of the `types` or `operations` module that renders and formats on its own: the two
/// files are cut into pieces so that two threads share the formatting evenly. Concatenated in
/// order, the pieces' text is the file's.
#[derive(Debug, Clone, Copy)]
pub enum Piece {
    /// The `types` prelude and type definitions `start..end` (in name order).
    Types(usize, usize),
    /// Multipart form and page impls, the end of `types`.
    TypeImpls,
    /// The `operations` prelude and the request builders of operations `start..end`.
    Operations(usize, usize),
    /// The resource handles, the end of `operations`.
    Resources,
}

impl Piece {
    /// True for a piece of `types.rs`.
    pub fn in_types(self) -> bool {
        matches!(self, Piece::Types(..) | Piece::TypeImpls)
    }
}

/// The pieces of both files, in file order, about `per_piece` definitions or operations each.
pub fn pieces(space: &TypeSpace, ops: &[Operation], per_piece: usize) -> Vec<Piece> {
    let per_piece = per_piece.max(1);
    let mut out = Vec::new();
    let chunks = |n: usize| {
        (0..n.div_ceil(per_piece).max(1))
            .map(move |i| (i * per_piece, ((i + 1) * per_piece).min(n)))
    };
    out.extend(chunks(space.defs.len()).map(|(a, b)| Piece::Types(a, b)));
    out.push(Piece::TypeImpls);
    out.extend(chunks(ops.len()).map(|(a, b)| Piece::Operations(a, b)));
    out.push(Piece::Resources);
    out
}

/// One piece, rendered and formatted (without the file's header).
pub fn render_piece(
    piece: Piece,
    space: &TypeSpace,
    defaults: &BTreeSet<String>,
    ops: &[Operation],
) -> Result<String> {
    let tokens = match piece {
        Piece::Types(start, end) => {
            let defs = space.defs.iter().skip(start).take(end - start);
            let items = render_defs(defs, defaults, &Paths::api(quote! {}), None);
            let prelude = (start == 0).then(types_prelude);
            quote! { #prelude #items }
        }
        Piece::TypeImpls => {
            let forms = render_form_impls(space);
            let pages = render_page_impls(space);
            quote! { #forms #pages }
        }
        Piece::Operations(start, end) => {
            let items = ops[start..end].iter().map(|op| render_operation(op, space));
            let prelude = (start == 0).then(operations_prelude);
            quote! { #prelude #(#items)* }
        }
        Piece::Resources => render_resources(ops)?,
    };
    format_tokens(tokens)
}

/// A node of the resource tree (`models` → `versions`).
#[derive(Default)]
struct Resource<'o> {
    children: BTreeMap<String, Resource<'o>>,
    ops: Vec<&'o Operation>,
}

/// The resource handles (`client.models().versions()`), after checking that no two generated
/// names of the module clash.
fn render_resources(ops: &[Operation]) -> Result<TokenStream> {
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
                crate::operations::response_enum_name(&op.builder),
                format!("the responses of `{}`", op.id),
                &op.pointer,
            )?;
        }
    }
    render_resource(&root, &[], &mut items, &mut claim)?;
    Ok(quote! { #(#items)* })
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
                inner: rt::Client,
            }
            impl Client {
                /// A client with this token; a token that cannot be sent makes every request
                /// fail with `Error::Config` (`builder().token(..).build()` reports it at once).
                pub fn new(token: impl Into<String>) -> Self {
                    Self::from(rt::Client::new(token))
                }
                /// A client configured from `REPLICATE_API_TOKEN` (required, not empty) and
                /// `REPLICATE_BASE_URL` (optional).
                pub fn from_env() -> Result<Self, rt::Error> {
                    rt::ClientBuilder::from_env()?.build()
                }
                /// A builder for the token, base URL, timeouts, limits, retries and the HTTP
                /// client.
                pub fn builder() -> rt::ClientBuilder<Self> {
                    rt::ClientBuilder::default()
                }
                /// The runtime client underneath.
                pub fn runtime(&self) -> &rt::Client {
                    &self.inner
                }
                #(#methods)*
            }
            impl From<rt::Client> for Client {
                fn from(inner: rt::Client) -> Self {
                    Client { inner }
                }
            }
            impl ::std::ops::Deref for Client {
                type Target = rt::Client;
                fn deref(&self) -> &rt::Client {
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
                client: &'a rt::Client,
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
        args.push(quote! { #n: impl Into<#t> });
        inits.push(quote! { #n: #n.into(), });
    }
    if let Some(body) = op.body.as_ref().filter(|b| b.required) {
        let t = ty_tokens(&body.ty, &types);
        args.push(quote! { body: impl Into<#t> });
        inits.push(quote! { body: body.into(), });
    }
    for p in op.params.iter().filter(|p| !p.required) {
        let n = ident(&p.rust);
        inits.push(quote! { #n: None, });
    }
    if op.body.as_ref().is_some_and(|b| !b.required) {
        inits.push(quote! { body: None, });
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
    // Deep resource paths take one argument per segment; clippy counts `self` too.
    let allow = (args.len() >= 7).then(|| quote! { #[allow(clippy::too_many_arguments)] });
    let allow_name = crate::naming::is_std_trait_method(&op.name)
        .then(|| quote! { #[allow(clippy::should_implement_trait)] });
    quote! {
        #doc
        #deprecated
        #allow
        #allow_name
        pub fn #m(&self, #(#args),*) -> #b<#lifetime> {
            #b { client: #client_expr, #(#inits)* }
        }
    }
}

fn response_type(op: &Operation) -> TokenStream {
    let types = Paths::api(quote! { types:: });
    match op.responses.as_slice() {
        [] => quote! { rt::RawResponse },
        [single] => kind_type(&single.kind, &types),
        _ => {
            let n = ident(&crate::operations::response_enum_name(&op.builder));
            quote! { #n }
        }
    }
}

fn kind_type(kind: &ResponseKind, types: &Paths) -> TokenStream {
    match kind {
        ResponseKind::Json(ty) => ty_tokens(ty, types),
        ResponseKind::Text => quote! { String },
        ResponseKind::Bytes => quote! { rt::Bytes },
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
    let (fields, setters) = builder_fields(op, &types);
    let (method, id, path) = (&op.method, &op.id, path_expression(op));
    let steps = request_steps(op);
    let resp_ty = response_type(op);
    let send = render_send(op, &b, &resp_ty);
    let response_enum = (op.responses.len() > 1).then(|| render_response_enum(op, &resp_ty));
    let stream = page_item.map(|item| {
        let item = ty_tokens(item, &types);
        let page = &resp_ty;
        quote! {
            /// Every item of every page, fetched lazily: no request is made until the stream is
            /// polled, and each next page only when the previous one is used up.
            #[inline]
            pub fn into_stream(self) -> rt::ItemStream<'a, #item> {
                let client = self.client;
                rt::paginate::<#page>(client, self.into_request())
            }
        }
    });
    let mutable = (!steps.is_empty()).then(|| quote! { mut });
    quote! {
        #[doc = #bdoc]
        #[derive(Debug)]
        #[must_use = "a request does nothing until it is awaited or sent"]
        pub struct #b<'a> {
            client: &'a rt::Client,
            #(#fields)*
        }
        impl<'a> #b<'a> {
            #(#setters)*
            /// The request this builder describes, without sending it.
            #[inline]
            pub fn into_request(self) -> Result<rt::RequestSpec, rt::Error> {
                let #mutable request = rt::RequestSpec::new(#method, #path, #id);
                #(#steps)*
                Ok(request)
            }
            #stream
        }
        #send
        #response_enum
    }
}

/// The builder's fields (required parameters and body by value, optional ones as `Option`)
/// and a setter for each optional one.
fn builder_fields(op: &Operation, types: &Paths) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut fields = Vec::new();
    let mut setters = Vec::new();
    let params = op.params.iter().map(|p| {
        let doc = p
            .doc
            .clone()
            .unwrap_or_else(|| format!("Sets the `{}` parameter.", p.wire));
        (ident(&p.rust), &p.ty, p.required, doc)
    });
    let body = op.body.iter().map(|b| {
        (
            ident("body"),
            &b.ty,
            b.required,
            "Sets the request body.".to_string(),
        )
    });
    for (n, ty, required, doc) in params.chain(body) {
        let t = ty_tokens(ty, types);
        if required {
            fields.push(quote! { #n: #t, });
            continue;
        }
        fields.push(quote! { #n: Option<#t>, });
        let d = format!(" {doc}");
        let allow = crate::naming::is_std_trait_method(&n.to_string())
            .then(|| quote! { #[allow(clippy::should_implement_trait)] });
        setters.push(quote! {
            #[doc = #d]
            #allow
            pub fn #n(mut self, value: impl Into<#t>) -> Self {
                self.#n = Some(value.into());
                self
            }
        });
    }
    (fields, setters)
}

/// The request path: the template with each path parameter percent-encoded as one segment.
fn path_expression(op: &Operation) -> TokenStream {
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
            path_args.push(match (p.written, &p.ty) {
                (Written::ScalarUnion, _) => {
                    quote! { rt::encode_path_segment(&rt::text_of(&self.#n)?)? }
                }
                (Written::Json, _) => {
                    quote! { rt::encode_path_segment(&rt::json_text(&self.#n)?)? }
                }
                (_, Ty::Vec(_)) => quote! { rt::encode_path_list(&self.#n)? },
                _ => quote! { rt::encode_path_segment(&self.#n)? },
            });
        }
        rest = &rest[end + 1..];
    }
    fmt.push_str(&rest.replace('{', "{{").replace('}', "}}"));
    if path_args.is_empty() {
        quote! { String::from(#fmt) }
    } else {
        quote! { format!(#fmt, #(#path_args),*) }
    }
}

/// What `into_request` does after naming the path: query and header parameters, the body,
/// auth and `Accept`.
fn request_steps(op: &Operation) -> Vec<TokenStream> {
    let mut steps = Vec::new();
    for p in op.params.iter().filter(|p| p.location != Location::Path) {
        let n = ident(&p.rust);
        let wire = &p.wire;
        // A `oneOf` of scalars is written as its variant's text; everything else by `Display`.
        let union = p.written == Written::ScalarUnion;
        let text = |v: TokenStream| {
            if union {
                quote! { rt::text_of(&#v)? }
            } else {
                quote! { #v.to_string() }
            }
        };
        let add = |value: TokenStream| match (p.location, &p.ty, p.separator) {
            _ if matches!(p.written, Written::Pairs { .. }) => {
                let deep = p.written == Written::Pairs { deep: true };
                quote! { request.query_object(#wire, &#value, #deep)?; }
            }
            // JSON text is one value, whatever its shape.
            (location, _, _) if p.written == Written::Json => {
                let json = quote! { rt::json_text(&#value)? };
                match location {
                    Location::Query => quote! { request.query(#wire, #json); },
                    Location::Cookie => quote! { request.cookie(#wire, &#json); },
                    _ => quote! { request.header(#wire, #json); },
                }
            }
            (Location::Cookie, _, _) => {
                let value = text(value);
                quote! { request.cookie(#wire, &#value); }
            }
            (Location::Query, Ty::Vec(_), None) => {
                let item = text(quote! { item });
                quote! { for item in #value { request.query(#wire, #item); } }
            }
            (location, Ty::Vec(_), separator) => {
                let separator = separator.unwrap_or(",");
                let items = if union {
                    quote! {
                        #value.iter().map(rt::text_of).collect::<Result<Vec<_>, _>>()?.as_slice()
                    }
                } else {
                    quote! { #value.as_slice() }
                };
                let joined = quote! { rt::join(#items, #separator) };
                match location {
                    Location::Query => quote! { request.query(#wire, #joined); },
                    _ => quote! { request.header(#wire, #joined); },
                }
            }
            (Location::Query, _, _) => {
                let value = text(value);
                quote! { request.query(#wire, #value); }
            }
            _ => {
                let value = text(value);
                quote! { request.header(#wire, #value); }
            }
        };
        steps.push(if p.required {
            add(quote! { self.#n })
        } else {
            let add = add(quote! { value });
            quote! { if let Some(value) = &self.#n { #add } }
        });
    }
    if let Some(body) = &op.body {
        let media = &body.media_type;
        let set = |b: TokenStream| match body.kind {
            BodyKind::Json => quote! { request.json_body(#media, &#b)?; },
            BodyKind::Text => quote! { request.text_body(#media, #b); },
            BodyKind::Bytes => quote! { request.bytes_body(#media, #b); },
            BodyKind::Multipart => quote! { request.multipart_body(#b.into_multipart()?); },
            BodyKind::Form => quote! { request.form_body(#media, &#b)?; },
        };
        steps.push(if body.required {
            set(quote! { self.body })
        } else {
            let set = set(quote! { body });
            quote! { if let Some(body) = self.body { #set } }
        });
    }
    if op.public {
        steps.push(quote! { request.without_auth(); });
    }
    let mut accepts: Vec<&str> = op
        .responses
        .iter()
        .filter_map(|r| r.media_type.as_deref())
        .collect();
    if !accepts.is_empty() {
        accepts.dedup();
        let accept = accepts.join(", ");
        steps.push(quote! { request.accept(#accept); });
    }
    steps
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
            quote! { rt::send!(#b, #resp_ty, #decode, #doc); }
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
                    quote! { #pat => Ok(#resp_ty::#v), }
                } else {
                    quote! { #pat => Ok(#resp_ty::#v(#e)), }
                }
            });
            let other = other_success_kind(op).map(|kind| {
                let e = decode_expr(kind);
                quote! { status @ 200..=299 => Ok(#resp_ty::OtherSuccess(status, #e)), }
            });
            let doc = format!(" Sends the request: `{} {}`.", op.method, op.path);
            quote! {
                impl<'a> #b<'a> {
                    #[doc = #doc]
                    #[inline]
                    pub async fn send(self) -> Result<#resp_ty, rt::Error> {
                        let client = self.client;
                        let response = client.execute(self.into_request()?).await?;
                        match response.status() {
                            #(#arms)*
                            #other
                            _ => Err(response.unexpected_status()),
                        }
                    }
                }
                rt::awaitable!(#b, #resp_ty);
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
        Some(quote! {
            impl rt::Page for #n {
                type Item = #item_ty;
                fn into_items(self) -> Vec<#item_ty> {
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
        TypeDef::Struct {
            fields,
            role: StructRole::Form,
            ..
        } => {
            let n = ident(name);
            let parts = fields.iter().map(|f| {
                let fname = ident(&f.rust);
                let wire = &f.wire;
                let inner = match &f.ty {
                    Ty::Option(inner) => inner.as_ref(),
                    other => other,
                };
                // An array is one part per item, all under the field's name.
                let add = match inner {
                    Ty::File => quote! { form.file(#wire, value); },
                    Ty::Vec(item) if **item == Ty::File => {
                        quote! { for file in value { form.file(#wire, file); } }
                    }
                    Ty::Vec(item) if is_text_part(space, item) => {
                        quote! { for item in value { form.text(#wire, item.to_string()); } }
                    }
                    _ if is_text_part(space, inner) => {
                        quote! { form.text(#wire, value.to_string()); }
                    }
                    _ => quote! { form.json(#wire, &value)?; },
                };
                if f.ty.is_option() {
                    quote! { if let Some(value) = self.#fname { #add } }
                } else {
                    quote! { { let value = self.#fname; #add } }
                }
            });
            let _ = &local;
            Some(quote! {
                impl #n {
                    /// Encodes the form as `multipart/form-data` parts.
                    pub fn into_multipart(self) -> Result<rt::MultipartForm, rt::Error> {
                        let mut form = rt::MultipartForm::new();
                        #(#parts)*
                        Ok(form)
                    }
                }
            })
        }
        _ => None,
    });
    quote! { #(#impls)* }
}

/// A value a form part carries as plain text: a scalar, a string enum, or an alias of one.
fn is_text_part(space: &TypeSpace, ty: &Ty) -> bool {
    match ty {
        Ty::String | Ty::Bool | Ty::I32 | Ty::I64 | Ty::F64 => true,
        Ty::Named(n) => match space.defs.get(n) {
            Some(TypeDef::Alias { ty, .. }) => is_text_part(space, ty),
            Some(def) => def.is_string_enum(),
            None => false,
        },
        _ => false,
    }
}

/// Formats tokens as a Rust file with the `@generated` header.
pub fn format_file(tokens: TokenStream, header: &str) -> Result<String> {
    Ok(format!("{header}\n{}", format_tokens(tokens)?))
}

/// Formats items with prettyplease (no header).
fn format_tokens(tokens: TokenStream) -> Result<String> {
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
    Ok(prettyplease::unparse(&file))
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

/// Renames the runtime crate in generated code, for a crate that depends on `replicate-typed`
/// under another name: every path `::replicate_typed::..` (and the same path in string
/// literals, as `#[serde(crate = "..")]` writes it) becomes `::<name>::..`. Only a segment right
/// after a leading `::` is renamed, so a field called `replicate_typed` is left alone.
pub fn rename_runtime(tokens: TokenStream, name: &str) -> TokenStream {
    use proc_macro2::{Group, Ident, Literal, TokenTree};
    if name == "replicate_typed" {
        return tokens;
    }
    let quoted_old = "\"::replicate_typed::";
    let quoted_new = format!("\"::{name}::");
    let mut out: Vec<TokenTree> = Vec::new();
    for tree in tokens {
        let tree = match tree {
            TokenTree::Group(g) => {
                let mut renamed = Group::new(g.delimiter(), rename_runtime(g.stream(), name));
                renamed.set_span(g.span());
                TokenTree::Group(renamed)
            }
            TokenTree::Ident(i) if i == "replicate_typed" => {
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
            #[serde(crate = "::replicate_typed::__private::serde")]
            struct S { replicate_typed: ::replicate_typed::Secret }
            fn f() -> ::replicate_typed::Error { self.replicate_typed }
        };
        let after = rename_runtime(before, "replicate").to_string();
        assert!(
            after.contains("\"::replicate::__private::serde\""),
            "{after}"
        );
        assert!(after.contains(":: replicate :: Secret"), "{after}");
        assert!(after.contains(":: replicate :: Error"), "{after}");
        assert!(after.contains("struct S { replicate_typed :"), "{after}");
        assert!(after.contains("self . replicate_typed"), "{after}");
    }
}
