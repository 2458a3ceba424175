//! The one place where names from a spec become Rust identifiers.
//!
//! Every identifier the generator emits goes through [`type_name`], [`field_name`],
//! [`method_name`] or [`variant_name`], so a keyword, a leading digit or punctuation in a wire
//! name is handled the same way everywhere. Wire names are never changed here; callers keep them
//! with `#[serde(rename)]`.

use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};

/// Words that cannot be used as identifiers (strict and reserved keywords of every edition).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Type names that would shadow the prelude or std types the generated code relies on.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Self",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "String",
    "Vec",
    "Box",
    "Default",
    "Clone",
    "Copy",
    "Send",
    "Sync",
    "Sized",
    "Debug",
    "Display",
    "Serialize",
    "Deserialize",
    "Client",
    "Error",
];

/// Method names clippy's `should_implement_trait` reserves for std traits (`add`, `sub`, `next`,
/// ...): a builder setter or model input setter with one of them (a parameter named `sub`)
/// allows the lint, since the method sets a field and is no operator.
const STD_TRAIT_METHODS: &[&str] = &[
    "add",
    "as_mut",
    "as_ref",
    "bitand",
    "bitor",
    "bitxor",
    "borrow",
    "borrow_mut",
    "clone",
    "cmp",
    "default",
    "deref",
    "deref_mut",
    "div",
    "drop",
    "eq",
    "from_iter",
    "from_str",
    "hash",
    "index",
    "index_mut",
    "into_iter",
    "mul",
    "neg",
    "next",
    "not",
    "rem",
    "shl",
    "shr",
    "sub",
];

/// True when a method named `name` looks to clippy like a std trait's method.
pub fn is_std_trait_method(name: &str) -> bool {
    STD_TRAIT_METHODS.contains(&name)
}

/// Spells out the punctuation that carries meaning in enum values and names, so that `"+1"` and
/// `"-1"` or `"16:9"` and `"169"` do not collapse into the same identifier.
fn spell_symbols(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for (i, ch) in raw.char_indices() {
        let word = match ch {
            '+' => Some(" plus "),
            '-' if i == 0 => Some(" minus "),
            ':' | '×' | '*' if between_digits(raw, i, ch) => Some("x"),
            ':' | '×' | '*' => Some(" x "),
            '.' if raw[..i].ends_with(|c: char| c.is_ascii_digit())
                && raw[i + 1..].starts_with(|c: char| c.is_ascii_digit()) =>
            {
                Some(" point ")
            }
            '/' => Some(" "),
            '@' => Some(" at "),
            '#' => Some(" hash "),
            '%' => Some(" percent "),
            '&' => Some(" and "),
            '=' => Some(" eq "),
            '<' => Some(" lt "),
            '>' => Some(" gt "),
            _ => None,
        };
        match word {
            Some(w) => out.push_str(w),
            None if ch.is_alphanumeric() => out.push(ch),
            None => out.push(' '),
        }
    }
    out
}

/// True when the character at byte `i` sits between two digits (`16:9`, `1024×1024`).
fn between_digits(raw: &str, i: usize, ch: char) -> bool {
    raw[..i].ends_with(|c: char| c.is_ascii_digit())
        && raw[i + ch.len_utf8()..].starts_with(|c: char| c.is_ascii_digit())
}

/// Keeps ASCII letters, digits and underscores; anything else was already spelled or is dropped.
fn ascii_ident_chars(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// An `UpperCamelCase` type name for a schema or context name, e.g. `schemas_prediction_response`
/// → `SchemasPredictionResponse`, `"type"` → `Type`, `""` → `Unnamed`.
pub fn type_name(raw: &str) -> String {
    finish_type_name(camel_part(raw))
}

/// The type name of something nested in `parent` (a type name): `UserClient` for a `client`
/// field of `User`. The parent's guard against reserved names is dropped first, since only
/// the whole name needs one (`Client_` + `corporate` is `ClientCorporate`, not
/// `Client_Corporate`).
pub fn child_type_name(parent: &str, raw: &str) -> String {
    let parent = parent.trim_end_matches('_');
    let part = match camel_part(raw) {
        part if part.is_empty() => "Unnamed".to_string(),
        part => part,
    };
    finish_type_name(format!("{parent}{part}"))
}

/// `raw` in `UpperCamelCase`, ASCII only, with no guard yet.
fn camel_part(raw: &str) -> String {
    ascii_ident_chars(&spell_symbols(raw).to_upper_camel_case())
}

/// Makes a camel-case name a usable type name: never empty, never starting with a digit, never
/// one of the names generated code relies on.
fn finish_type_name(camel: String) -> String {
    // Letters outside ASCII are dropped, so `Ötype` leaves `type`: upper-case what is left, or
    // it could be a keyword (`struct type`) and is not camel case.
    let mut chars = camel.chars();
    let camel: String = match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => camel,
    };
    let mut name = if camel.is_empty() {
        "Unnamed".to_string()
    } else {
        camel
    };
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'T');
    }
    if RESERVED_TYPE_NAMES.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// A `snake_case` field or parameter name: `createdAt` → `created_at`, `type` → `type_`,
/// `RN50` → `rn50`, `2x` → `_2x`.
pub fn field_name(raw: &str) -> String {
    let snake = ascii_ident_chars(&spell_symbols(raw).to_snake_case());
    let mut name = if snake.is_empty() {
        "field".to_string()
    } else {
        snake
    };
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if KEYWORDS.contains(&name.as_str()) || name == "_" {
        name.push('_');
    }
    name
}

/// A method name: same rules as [`field_name`].
pub fn method_name(raw: &str) -> String {
    field_name(raw)
}

/// An enum variant for a wire value: `"16:9"` → `V16x9`, `"DPM++ 2M"` → `DpmPlusPlus2M`,
/// `"None"` → `None_`, `"0.25"` → `V0Point25`, `""` → `Empty`.
pub fn variant_name(raw: &str) -> String {
    if raw.is_empty() {
        return "Empty".to_string();
    }
    let camel = ascii_ident_chars(&spell_symbols(raw).to_upper_camel_case());
    let mut name = if camel.is_empty() {
        "Value".to_string()
    } else {
        camel
    };
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    if RESERVED_TYPE_NAMES.contains(&name.as_str()) || name == "Unknown" {
        name.push('_');
    }
    name
}

/// Names the variants of an enum from its values, deduplicated. A name depends only on its
/// value: a value whose plain name no other value shares gets it (`"low"` → `Low`); values
/// whose plain names collide (`"low"` and `"Low"`) each get the plain name followed by their
/// own spelling (`Low_low`, `Low_Low`), so reordering the values never moves a name to another
/// value. A name equal to the `open` catch-all variant gets a trailing `_`.
pub fn enum_variants(
    values: &[serde_json::Value],
    open: Option<&str>,
) -> Vec<(String, serde_json::Value)> {
    fn label(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::String(s) => s.clone(),
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
    let mut unique: Vec<&serde_json::Value> = Vec::new();
    for v in values {
        if !unique.contains(&v) {
            unique.push(v);
        }
    }
    let bases: Vec<String> = unique.iter().map(|v| variant_name(&label(v))).collect();
    unique
        .iter()
        .zip(&bases)
        .map(|(v, base)| {
            let shared = bases.iter().filter(|b| *b == base).count() > 1;
            let mut name = if shared {
                format!("{base}_{}", spelling(&label(v)))
            } else {
                base.clone()
            };
            if Some(name.as_str()) == open {
                name.push('_');
            }
            (name, (*v).clone())
        })
        .collect()
}

/// `base`, or the first of `base2`, `base3`, ... that `taken` does not hold: the one rule for
/// making a name unique among types, variants and markers.
pub fn unique(base: &str, taken: impl Fn(&str) -> bool) -> String {
    // A guard underscore (`String_`, `type_`) is not needed once a number follows, and
    // `String_2` would not be camel case.
    let stem = match base.trim_end_matches('_') {
        "" => base,
        stem => stem,
    };
    let mut name = base.to_string();
    let mut i = 2;
    while taken(&name) {
        name = format!("{stem}{i}");
        i += 1;
    }
    name
}

/// A package name for a crate generated from an API titled `title` (`Replicate HTTP API` →
/// `replicate-http-api`): kebab case of its ASCII letters and digits, `api-` first when it
/// would start with a digit, `generated-api` when the title has none. Names of the crate's own dependencies get
/// `-api` appended, since a package cannot depend on its own name.
pub fn crate_name(title: &str) -> String {
    let ascii: String = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let name = ascii.to_kebab_case();
    match name.as_str() {
        "" => "generated-api".to_string(),
        // A package name cannot start with a digit.
        n if n.starts_with(|c: char| c.is_ascii_digit()) => format!("api-{n}"),
        "serde" | "serde-json" | "replicate-runtime" | "test" | "core" | "std" => {
            format!("{name}-api")
        }
        _ => name.to_string(),
    }
}

/// True when `name` can be written as a plain identifier (used to validate our own output).
pub fn is_plain_ident(name: &str) -> bool {
    syn::parse_str::<syn::Ident>(name).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn type_names_start_upper_case_whatever_was_dropped() {
        assert_eq!(type_name("Ötype"), "Type");
        assert_eq!(type_name("éclair"), "Clair");
        assert_eq!(child_type_name("", "Ötype"), "Type");
    }

    #[test]
    fn numbered_names_drop_the_guard_underscore() {
        // `String` and `string` are both `String_`; the second was `String_2`, a lint error.
        let taken = ["String_", "type_"];
        assert_eq!(unique("String_", |n| taken.contains(&n)), "String2");
        assert_eq!(unique("type_", |n| taken.contains(&n)), "type2");
        assert_eq!(unique("Free", |n| taken.contains(&n)), "Free");
    }

    #[test]
    fn nested_type_names_are_camel_case_whatever_the_parent() {
        // A field `client` of `User` once became `UserClient_`, and its own field
        // `UserClient_Corporate`: not camel case, a lint error in the user's crate.
        assert_eq!(type_name("client"), "Client_");
        assert_eq!(child_type_name("User", "client"), "UserClient");
        assert_eq!(child_type_name("Client_", "corporate"), "ClientCorporate");
        assert_eq!(child_type_name("", "client"), "Client_");
        assert_eq!(child_type_name("Foo", "2x"), "Foo2x");
        assert_eq!(child_type_name("Foo", ""), "FooUnnamed");
    }

    #[test]
    fn crate_names_come_from_titles() {
        assert_eq!(crate_name("Replicate HTTP API"), "replicate-http-api");
        assert_eq!(
            crate_name("  Petstore (v2) — ünïcode  "),
            "petstore-v2-n-code"
        );
        assert_eq!(crate_name("3D Models API"), "api-3d-models-api");
        assert_eq!(crate_name("日本語"), "generated-api");
        assert_eq!(crate_name("serde"), "serde-api");
        assert_eq!(crate_name(""), "generated-api");
    }

    use super::*;

    #[test]
    fn keywords_get_a_trailing_underscore() {
        for kw in KEYWORDS {
            let f = field_name(kw);
            assert_eq!(f, format!("{kw}_"), "field name for {kw}");
            assert!(is_plain_ident(&f), "{f} must be an identifier");
        }
        assert_eq!(field_name("self"), "self_");
        assert_eq!(field_name("Self"), "self_");
        assert_eq!(method_name("default"), "default");
    }

    #[test]
    fn field_names() {
        let cases = [
            ("created_at", "created_at"),
            ("createdAt", "created_at"),
            ("RN50", "rn50"),
            ("2x", "_2x"),
            ("type", "type_"),
            ("Content-Type", "content_type"),
            ("webhook_events_filter", "webhook_events_filter"),
            ("", "field"),
            ("!!!", "field"),
            ("_", "field"),
            ("__private", "private"),
            ("x-order", "x_order"),
            ("ñandú", "and"),
            ("num_inference_steps", "num_inference_steps"),
            ("+1", "plus_1"),
            ("-1", "minus_1"),
        ];
        for (raw, want) in cases {
            assert_eq!(field_name(raw), want, "field_name({raw:?})");
            assert!(is_plain_ident(&field_name(raw)), "{raw:?}");
        }
    }

    #[test]
    fn type_names() {
        let cases = [
            ("schemas_prediction_response", "SchemasPredictionResponse"),
            ("prediction", "Prediction"),
            ("Option", "Option_"),
            ("result", "Result_"),
            ("string", "String_"),
            ("client", "Client_"),
            ("error", "Error_"),
            ("self", "Self_"),
            ("type", "Type"),
            ("3d_model", "T3dModel"),
            ("", "Unnamed"),
            ("models.versions.get", "ModelsVersionsGet"),
            ("x-cog-array-type", "XCogArrayType"),
        ];
        for (raw, want) in cases {
            assert_eq!(type_name(raw), want, "type_name({raw:?})");
            assert!(is_plain_ident(&type_name(raw)), "{raw:?}");
        }
    }

    #[test]
    fn variant_names() {
        let cases = [
            ("starting", "Starting"),
            ("16:9", "V16x9"),
            ("1024×1024", "V1024x1024"),
            ("DPM++ 2M", "DpmPlusPlus2m"),
            ("DPM++ 2M Karras", "DpmPlusPlus2mKarras"),
            ("None", "None_"),
            ("none", "None_"),
            ("Unknown", "Unknown_"),
            ("0.25", "V0Point25"),
            ("1", "V1"),
            ("-1", "Minus1"),
            ("+1", "Plus1"),
            ("as", "As"),
            ("", "Empty"),
            ("...", "Value"),
            ("K_EULER_ancestral", "KEulerAncestral"),
            ("image/png", "ImagePng"),
            ("a b", "AB"),
        ];
        for (raw, want) in cases {
            assert_eq!(variant_name(raw), want, "variant_name({raw:?})");
            assert!(is_plain_ident(&variant_name(raw)), "{raw:?}");
        }
    }

    #[test]
    fn distinct_punctuation_gives_distinct_names() {
        assert_ne!(variant_name("+1"), variant_name("-1"));
        assert_ne!(variant_name("16:9"), variant_name("169"));
        assert_ne!(variant_name("0.5"), variant_name("05"));
    }
}
