//! The intermediate representation: what a schema becomes in Rust, whatever document it came
//! from. Both OpenAPI documents and Cog model schemas lower into these types (in
//! [`crate::types`]), and one renderer turns them into code (in [`crate::render`]), so a rule
//! such as "an optional field is `Option`" lives in one place.

use serde_json::Value;

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
    /// A file a model takes as input: a URL, a data URL, or a local file uploaded first.
    FileInput,
    /// A file URL a model returns.
    FileOutput,
    /// A secret model input: sent as a string, never shown by `Debug`.
    Secret,
    /// Text a model streams in pieces that join into one string.
    Concatenated,
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

    /// The type inside `Option`, or the type itself.
    pub fn inner(&self) -> &Ty {
        match self {
            Ty::Option(inner) => inner,
            other => other,
        }
    }

    /// The generated type this type is built from, looking through `Option`, `Vec`, `Map` and
    /// `Box`.
    pub fn named(&self) -> Option<&str> {
        match self {
            Ty::Named(n) => Some(n),
            Ty::Option(i) | Ty::Vec(i) | Ty::Map(i) | Ty::Boxed(i) => i.named(),
            _ => None,
        }
    }

    /// The generated type names this type mentions by value (not behind `Vec`/`Map`).
    pub(crate) fn by_value_names(&self, out: &mut Vec<String>) {
        match self {
            Ty::Named(n) => out.push(n.clone()),
            Ty::Option(inner) => inner.by_value_names(out),
            _ => {}
        }
    }

    /// Boxes the by-value mentions of `targets`, to break a recursive type.
    pub(crate) fn box_named(self, targets: &std::collections::BTreeSet<String>) -> Ty {
        match self {
            Ty::Named(n) if targets.contains(&n) => Ty::Boxed(Box::new(Ty::Named(n))),
            Ty::Option(inner) => Ty::Option(Box::new(inner.box_named(targets))),
            other => other,
        }
    }

    /// The name of an untagged-union variant holding this type.
    pub fn variant_name(&self) -> String {
        match self {
            Ty::String | Ty::Concatenated => "String".into(),
            Ty::Bool => "Boolean".into(),
            Ty::I32 | Ty::I64 => "Integer".into(),
            Ty::F64 => "Number".into(),
            Ty::Value => "Value".into(),
            Ty::JsonObject | Ty::Map(_) => "Object".into(),
            Ty::Bytes | Ty::File => "Bytes".into(),
            Ty::FileInput | Ty::FileOutput => "File".into(),
            Ty::Secret => "Secret".into(),
            Ty::Unit => "Null".into(),
            Ty::Vec(inner) => format!("{}List", inner.variant_name()),
            Ty::Option(inner) | Ty::Boxed(inner) => inner.variant_name(),
            Ty::Named(n) => n.clone(),
            Ty::Runtime(n) => n.to_string(),
        }
    }
}

/// Where a schema sits. With the schema's nullability it decides whether the Rust type is
/// `Option`: the one rule the lowering applies and the diff asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A parameter: the method takes it or the builder sets it, never as `Option<T>`.
    Parameter,
    /// A request body: passed by value.
    RequestBody,
    /// A success response body.
    ResponseBody,
    /// A struct field.
    Field {
        /// Listed in `required`.
        required: bool,
    },
    /// A model input's field: Cog rejects an explicit `null`, so a required input is always a
    /// value, nullable or not.
    ModelInputField {
        /// Listed in `required`.
        required: bool,
    },
    /// Array items or map values.
    Item,
    /// A `oneOf`/`anyOf` branch: nullability belongs to the union, not the variant.
    Variant,
}

impl Place {
    /// True when a schema here, nullable or not, becomes `Option<T>`.
    pub fn is_option(self, nullable: bool) -> bool {
        match self {
            Place::Parameter | Place::RequestBody | Place::Variant => false,
            Place::ResponseBody | Place::Item => nullable,
            Place::Field { required } => !required || nullable,
            Place::ModelInputField { required } => !required,
        }
    }

    /// `ty` made `Option` or not by this rule (`ty` is already `Option` when nullable).
    pub fn apply(self, ty: Ty) -> Ty {
        let inner = match ty.clone() {
            Ty::Option(inner) => *inner,
            other => other,
        };
        if self.is_option(ty.is_option()) {
            inner.optional()
        } else {
            inner
        }
    }
}

/// Limits on a value that a model input checks before it is sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bounds {
    /// Lower bound and whether it is exclusive.
    pub minimum: Option<(f64, bool)>,
    /// Upper bound and whether it is exclusive.
    pub maximum: Option<(f64, bool)>,
    /// Fewest characters.
    pub min_length: Option<u64>,
    /// Most characters.
    pub max_length: Option<u64>,
    /// A regular expression the whole value must match.
    pub pattern: Option<String>,
}

impl Bounds {
    /// True when nothing is limited.
    pub fn is_empty(&self) -> bool {
        *self == Bounds::default()
    }
}

/// A struct field.
#[derive(Debug, Clone)]
pub struct Field {
    /// Field name in Rust: snake case, never a keyword; `#[serde(rename)]` keeps the wire name.
    pub rust: String,
    /// Property name in JSON, exactly as the schema spells it.
    pub wire: String,
    /// Field type (already `Option` when optional or nullable).
    pub ty: Ty,
    /// Listed in `required`.
    pub required: bool,
    /// The property's description (first paragraph), else its title.
    pub doc: Option<String>,
    /// The schema's default value, for the docs.
    pub default: Option<Value>,
    /// Limits checked before sending (model inputs only).
    pub bounds: Bounds,
}

/// What a struct is for, which decides the code around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StructRole {
    /// A JSON body or response: serde derives and `new(required fields)`.
    Json,
    /// A multipart form body: its fields become form parts, so no serde.
    Form,
    /// A model's input: a constructor, a setter per optional field, checks and file uploads.
    /// `required` names the struct of required fields `new` takes, when positional arguments
    /// could be swapped without a compile error.
    ModelInput {
        /// Struct of the required fields, when they are named at the call site.
        required: Option<String>,
    },
    /// A model's output: decoded only, so no constructor.
    ModelOutput,
}

/// The JSON type of an enum's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumKind {
    /// Strings.
    Str,
    /// Integers.
    Int,
    /// Floats.
    Float,
}

/// A generated type definition.
#[derive(Debug, Clone)]
pub enum TypeDef {
    /// A struct with named fields.
    Struct {
        /// The schema's description; `None` lets the renderer say what the type is for.
        doc: Option<String>,
        /// Fields in schema order (`x-order` first for model schemas).
        fields: Vec<Field>,
        /// Type of `additionalProperties` kept in a flattened map.
        additional: Option<Ty>,
        /// What the struct is for.
        role: StructRole,
    },
    /// An enum of values. An open enum keeps values it does not know in its `open` variant
    /// (API responses may grow); a closed one makes any other value a compile error (model
    /// inputs).
    Enum {
        /// The schema's description; `None` lets the renderer say what the type is for.
        doc: Option<String>,
        /// The JSON type of the values.
        kind: EnumKind,
        /// `(variant, wire value)` pairs.
        variants: Vec<(String, Value)>,
        /// The catch-all variant of an open enum: `Unknown`, or `Other` when any string is
        /// valid.
        open: Option<&'static str>,
        /// Wire names of the fields that use the enum, so its errors name them.
        fields: Vec<String>,
    },
    /// `oneOf`/`anyOf`: an untagged enum, or one told apart by a discriminator.
    Union {
        /// The schema's description; `None` lets the renderer say what the type is for.
        doc: Option<String>,
        /// `(variant, type)` in the order serde tries them.
        variants: Vec<(String, Ty)>,
        /// The `discriminator`, when every variant is a component it can name.
        tag: Option<Tag>,
    },
    /// A type alias.
    Alias {
        /// The schema's description; `None` lets the renderer say what the type is for.
        doc: Option<String>,
        /// The aliased type.
        ty: Ty,
    },
}

impl TypeDef {
    /// True for a string enum, which query strings and paths can carry as text.
    pub fn is_string_enum(&self) -> bool {
        matches!(
            self,
            TypeDef::Enum {
                kind: EnumKind::Str,
                ..
            }
        )
    }
}

/// How a `oneOf` with a `discriminator` is decoded: by the value of one property, not by
/// trying each variant in turn (which would take the first that fits, and with open enums in
/// responses, the first variant fits every value).
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    /// The property that names the variant (`type`).
    pub property: String,
    /// For each variant, in the union's order, the values that select it.
    pub values: Vec<Vec<String>>,
    /// The extra variant that keeps a value whose tag this client does not know (a newer
    /// server's), as open enums do.
    pub unknown: String,
}
