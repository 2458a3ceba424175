//! The one `$ref` resolver: schemas, parameters, request bodies and responses all follow
//! references the same way (local `#/components/<section>/<name>` only, chains followed, loops
//! refused), for the generator and the diff alike.

use crate::error::{Error, ErrorKind, Result};
use indexmap::IndexMap;
use openapiv3::{Components, OpenAPI, Parameter, ReferenceOr, RequestBody, Response, Schema};

/// Something that lives in a section of `#/components`.
pub trait Component: Sized {
    /// The section's name (`schemas`, `parameters`, ...).
    const SECTION: &'static str;
    /// The section of `components`.
    fn table(components: &Components) -> &IndexMap<String, ReferenceOr<Self>>;
}

impl Component for Schema {
    const SECTION: &'static str = "schemas";
    fn table(components: &Components) -> &IndexMap<String, ReferenceOr<Self>> {
        &components.schemas
    }
}

impl Component for Parameter {
    const SECTION: &'static str = "parameters";
    fn table(components: &Components) -> &IndexMap<String, ReferenceOr<Self>> {
        &components.parameters
    }
}

impl Component for RequestBody {
    const SECTION: &'static str = "requestBodies";
    fn table(components: &Components) -> &IndexMap<String, ReferenceOr<Self>> {
        &components.request_bodies
    }
}

impl Component for Response {
    const SECTION: &'static str = "responses";
    fn table(components: &Components) -> &IndexMap<String, ReferenceOr<Self>> {
        &components.responses
    }
}

/// The component name a reference points at, e.g. `prediction` for
/// `#/components/schemas/prediction`.
pub fn component_name<'r, T: Component>(reference: &'r str, pointer: &str) -> Result<&'r str> {
    let prefix = format!("#/components/{}/", T::SECTION);
    if let Some(name) = reference.strip_prefix(&prefix) {
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
        format!(
            "`{reference}` does not name an entry under #/components/{}",
            T::SECTION
        ),
    ))
}

/// Follows `item`'s references through `table` to what they name.
pub fn resolve_in<'s, T: Component>(
    table: &'s IndexMap<String, ReferenceOr<T>>,
    item: &'s ReferenceOr<T>,
    pointer: &str,
) -> Result<&'s T> {
    resolve_in_at(table, item, pointer).map(|(t, _)| t)
}

/// [`resolve_in`], also saying where the definition is when a reference was followed
/// (`#/components/<section>/<name>`).
pub fn resolve_in_at<'s, T: Component>(
    table: &'s IndexMap<String, ReferenceOr<T>>,
    item: &'s ReferenceOr<T>,
    pointer: &str,
) -> Result<(&'s T, Option<String>)> {
    let mut current = item;
    let mut at = None;
    for _ in 0..32 {
        match current {
            ReferenceOr::Item(t) => return Ok((t, at)),
            ReferenceOr::Reference { reference } => {
                let name = component_name::<T>(reference, pointer)?;
                current = table.get(name).ok_or_else(|| {
                    Error::new(
                        ErrorKind::UnresolvedRef,
                        pointer,
                        format!("`{reference}` does not exist"),
                    )
                })?;
                let section = format!("#/components/{}", T::SECTION);
                at = Some(crate::error::push_pointer(&section, name));
            }
        }
    }
    Err(Error::new(
        ErrorKind::RefCycle,
        pointer,
        "`$ref`s form a loop and never reach a definition",
    ))
}

/// Follows `item`'s references through the spec's components.
pub fn resolve<'s, T: Component>(
    spec: &'s OpenAPI,
    item: &'s ReferenceOr<T>,
    pointer: &str,
) -> Result<&'s T> {
    resolve_at(spec, item, pointer).map(|(t, _)| t)
}

/// [`resolve`], also saying where the definition is when a reference was followed.
pub fn resolve_at<'s, T: Component>(
    spec: &'s OpenAPI,
    item: &'s ReferenceOr<T>,
    pointer: &str,
) -> Result<(&'s T, Option<String>)> {
    static NO_COMPONENTS: std::sync::OnceLock<Components> = std::sync::OnceLock::new();
    let components = spec
        .components
        .as_ref()
        .unwrap_or_else(|| NO_COMPONENTS.get_or_init(Components::default));
    resolve_in_at(T::table(components), item, pointer)
}
