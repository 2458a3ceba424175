//! Semantic diff of two OpenAPI documents, classified for a caller of the generated Rust client.
//!
//! [`diff`] loads both texts with [`crate::load::load`] and lowers each exactly as generation
//! does (the same [`crate::types::TypeSpace`] and [`crate::operations::collect`]), so it sees
//! the generated types themselves: which Rust type a schema becomes, whether it is `Option`,
//! which media type is sent or decoded, whether a body is a positional argument. It then
//! matches operations by operationId and compares their parameters, request bodies and
//! responses position by position (`compare.rs`). What the types do not carry (a string's
//! `format`, validation keywords, `default`) is read from the document at each position's JSON
//! pointer, which the lowering records in a [`crate::types::Trace`].
//! Renaming a component (as on 2024-12-02, `prediction_request` → `schemas_prediction_request`)
//! therefore changes nothing at the operations; at the component level it is reported once, as
//! the generator sees it: by the Rust type name each component becomes. A document the
//! generator refuses cannot be diffed: [`diff`] returns the generator's error, naming the side.
//!
//! Every [`Change`] is **breaking** when code that compiled against the old generated client may
//! no longer compile, or a request that worked may now be rejected; otherwise it is
//! **compatible**, and its reason says why. Whether a change alters a Rust type follows the
//! generator's rules: a struct field is `Option<T>` when it is optional *or* nullable; array
//! items and response bodies are `Option<T>` when nullable; parameters and request bodies never
//! are; string enums are `#[non_exhaustive]` with an `Unknown(String)` variant; `oneOf`/`anyOf`
//! become untagged enums (not `#[non_exhaustive]`); operations with several success statuses
//! return a response enum.
//!
//! | change | in a request (parameter, request body) | in a response (success body) |
//! |---|---|---|
//! | `OperationAdded` | compatible: a new method | |
//! | `OperationRemoved` | breaking: the method disappears | |
//! | `OperationPathChanged` (same operationId) | compatible: same method, new URL | |
//! | `OperationDeprecated` | compatible: `#[deprecated]` only warns | |
//! | `ParameterAdded` | required: breaking (new positional argument; requests without it are rejected); optional: compatible (new setter) | |
//! | `ParameterRemoved` | breaking: the argument or setter disappears | |
//! | `ParameterRequiredChanged` | breaking: positional argument ↔ builder setter | |
//! | `ParameterTypeChanged` | breaking: the argument's type changes | |
//! | `RequestBodyAdded` | breaking when required (positional argument), else compatible (`.body(..)` setter) | |
//! | `RequestBodyRemoved`, `RequestBodyRequiredChanged` | breaking | |
//! | `MediaTypeAdded` / `MediaTypeRemoved` | breaking when it changes the media type the client sends, else compatible | breaking when it changes how the client decodes (JSON, text, bytes, empty), else compatible |
//! | `ResponseAdded` / `ResponseRemoved` (status code) | | 2XX: breaking (the return type or the response enum changes); other statuses: compatible (they surface as `Error::Api`, no generated type) |
//! | `FieldAdded` | required: breaking (requests without it are rejected); optional: compatible | compatible: the struct gains a field |
//! | `FieldRemoved` | breaking: the struct loses the field | breaking: the struct loses the field |
//! | `FieldRequiredChanged` | breaking when the Rust type changes (`T` ↔ `Option<T>`) or an optional field becomes required; else compatible | breaking when the Rust type changes, else compatible (nullable fields are `Option` either way) |
//! | `FieldTypeChanged` | breaking | breaking |
//! | `FieldFormatChanged` | breaking when the Rust type changes (`int32` ↔ `int64`, `binary` in forms) or a string gains or changes a format (the server may reject values it took); else compatible | breaking when the Rust type changes, else compatible (still a `String`/`f64`) |
//! | `FieldNullabilityChanged` | breaking when the Rust type changes (`T` ↔ `Option<T>`: required fields, array items); else compatible | same; also at the response root |
//! | `EnumValueAdded` | compatible: the server accepts one more value, the enum gains a variant (it is `#[non_exhaustive]`) | compatible: the value decoded as `Unknown` before and gets its own variant now |
//! | `EnumValueRemoved` | breaking: the variant disappears and the server rejects the value | breaking: the variant disappears |
//! | `VariantAdded` (`oneOf`/`anyOf`) | compatible: one more shape accepted | breaking: the untagged enum gains a variant, so exhaustive matches stop compiling |
//! | `VariantRemoved` | breaking | breaking |
//! | `AdditionalPropertiesChanged` | breaking when extra properties stop being allowed or their type changes, else compatible | same |
//! | `ConstraintChanged` (`minimum`, `maxLength`, `pattern`, ...) | tighter: breaking (values that worked may be rejected); looser: compatible | compatible: responses are not validated |
//! | `DefaultChanged` | compatible: the server's value for an omitted field changes, nothing else (reported for requests only) | |
//! | `SchemaAdded` | compatible: a new type | |
//! | `SchemaRemoved` | breaking: the Rust type disappears | |
//! | `SchemaRenamed` (same shape, new Rust name) | breaking: code naming the old type no longer compiles | |
//!
//! Assumptions and limits: structs are built with `new(..)`/`Default` and read by field, not
//! built with exhaustive struct literals (adding a field to a struct is compatible); error
//! response bodies are not compared (they are decoded into `ApiError`, not generated types);
//! a type that keeps its shape but changes its Rust name is reported only at the component level
//! (the generated names of inline types are not compared); a component that no operation uses is
//! compared only by name. A change inside a schema that several operations (or statuses) use is
//! reported at each of them, since each is a place where callers meet it.
//!
//! Locations read `<operationId> <place> <field path>`, for example
//! `predictions.create request body .webhook_events_filter[]`: `.name` is a property, `[]` the
//! items of an array, `{}` the values of a map, `<shape>` a `oneOf`/`anyOf` variant.
//! Component-level changes have no operation and read `schema <component name>`.

mod compare;

use crate::error::Result;
use crate::load::{self, LoadedSpec};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ChangeKind {
    /// An operationId that did not exist.
    OperationAdded,
    /// An operationId that no longer exists.
    OperationRemoved,
    /// Same operationId, different method or path.
    OperationPathChanged,
    /// The operation became deprecated.
    OperationDeprecated,
    /// A new parameter.
    ParameterAdded,
    /// A parameter that is gone.
    ParameterRemoved,
    /// A parameter became required or optional.
    ParameterRequiredChanged,
    /// A parameter's schema has a different type.
    ParameterTypeChanged,
    /// A request body where there was none.
    RequestBodyAdded,
    /// The request body is gone.
    RequestBodyRemoved,
    /// The request body became required or optional.
    RequestBodyRequiredChanged,
    /// A media type of a request body or response.
    MediaTypeAdded,
    /// A media type of a request body or response that is gone.
    MediaTypeRemoved,
    /// A response status code.
    ResponseAdded,
    /// A response status code that is gone.
    ResponseRemoved,
    /// A property of an object.
    FieldAdded,
    /// A property of an object that is gone.
    FieldRemoved,
    /// A property became required or optional.
    FieldRequiredChanged,
    /// A schema has a different type (a property, an array item, a whole body).
    FieldTypeChanged,
    /// A schema has a different `format`.
    FieldFormatChanged,
    /// A schema became nullable or stopped being nullable.
    FieldNullabilityChanged,
    /// A value of a string enum.
    EnumValueAdded,
    /// A value of a string enum that is gone.
    EnumValueRemoved,
    /// A `oneOf`/`anyOf` variant.
    VariantAdded,
    /// A `oneOf`/`anyOf` variant that is gone.
    VariantRemoved,
    /// `additionalProperties` of an object changed.
    AdditionalPropertiesChanged,
    /// A validation keyword (`minimum`, `maxLength`, `pattern`, ...) changed.
    ConstraintChanged,
    /// A request schema's `default` changed.
    DefaultChanged,
    /// A component schema (a generated type) was added.
    SchemaAdded,
    /// A component schema (a generated type) was removed.
    SchemaRemoved,
    /// A component schema kept its shape but its generated type has another name.
    SchemaRenamed,
}

impl ChangeKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [ChangeKind] = &[
        ChangeKind::OperationAdded,
        ChangeKind::OperationRemoved,
        ChangeKind::OperationPathChanged,
        ChangeKind::OperationDeprecated,
        ChangeKind::ParameterAdded,
        ChangeKind::ParameterRemoved,
        ChangeKind::ParameterRequiredChanged,
        ChangeKind::ParameterTypeChanged,
        ChangeKind::RequestBodyAdded,
        ChangeKind::RequestBodyRemoved,
        ChangeKind::RequestBodyRequiredChanged,
        ChangeKind::MediaTypeAdded,
        ChangeKind::MediaTypeRemoved,
        ChangeKind::ResponseAdded,
        ChangeKind::ResponseRemoved,
        ChangeKind::FieldAdded,
        ChangeKind::FieldRemoved,
        ChangeKind::FieldRequiredChanged,
        ChangeKind::FieldTypeChanged,
        ChangeKind::FieldFormatChanged,
        ChangeKind::FieldNullabilityChanged,
        ChangeKind::EnumValueAdded,
        ChangeKind::EnumValueRemoved,
        ChangeKind::VariantAdded,
        ChangeKind::VariantRemoved,
        ChangeKind::AdditionalPropertiesChanged,
        ChangeKind::ConstraintChanged,
        ChangeKind::DefaultChanged,
        ChangeKind::SchemaAdded,
        ChangeKind::SchemaRemoved,
        ChangeKind::SchemaRenamed,
    ];
}

/// How a change affects a caller of the generated client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Code that compiled may no longer compile, or a request that worked may now be rejected.
    Breaking,
    /// Neither.
    Compatible,
}

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// Breaking or compatible.
    pub severity: Severity,
    /// `<operationId> <path>`, or the path alone for component-level changes.
    pub location: String,
    /// The operationId, or `None` for a component schema.
    pub operation: Option<String>,
    /// Where inside the operation (`request body .webhook_events_filter[]`), or the component
    /// (`schema prediction_request`).
    pub path: String,
    /// What changed, briefly (`"aborted"`, `string → integer`, `optional → required`).
    pub detail: String,
    /// One sentence, for a caller of the generated client.
    pub reason: String,
}

impl std::fmt::Display for Change {
    /// `breaking: <reason>` or `compatible: <reason>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Breaking => "breaking",
            Severity::Compatible => "compatible",
        };
        write!(f, "{severity}: {}", self.reason)
    }
}

/// The changes between two specs, in a deterministic order (by operation, then place).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SpecDiff {
    /// Every change.
    pub changes: Vec<Change>,
}

/// Diffs two spec texts (JSON or YAML). Fails only when a text does not load; the error says
/// which one (`old spec` / `new spec`; callers may replace that with a file name).
pub fn diff(old: &str, new: &str) -> Result<SpecDiff> {
    let old = load::load(old).map_err(|e| e.in_file("old spec"))?;
    let new = load::load(new).map_err(|e| e.in_file("new spec"))?;
    diff_loaded(&old, &new)
}

/// Diffs two loaded specs, each lowered as the generator lowers it. Fails when either does not
/// generate; the error says which (`old spec` / `new spec`).
pub fn diff_loaded(old: &LoadedSpec, new: &LoadedSpec) -> Result<SpecDiff> {
    let old = compare::Side::lower(old).map_err(|e| e.in_file("old spec"))?;
    let new = compare::Side::lower(new).map_err(|e| e.in_file("new spec"))?;
    let mut changes = compare::Differ::new(&old, &new).run();
    changes.sort_by(|a, b| {
        (
            a.operation.is_none(),
            &a.operation,
            &a.path,
            a.kind,
            &a.detail,
        )
            .cmp(&(
                b.operation.is_none(),
                &b.operation,
                &b.path,
                b.kind,
                &b.detail,
            ))
    });
    changes.dedup();
    Ok(SpecDiff { changes })
}

impl SpecDiff {
    /// Number of breaking changes.
    pub fn breaking(&self) -> usize {
        self.count(Severity::Breaking)
    }

    /// Number of compatible changes.
    pub fn compatible(&self) -> usize {
        self.count(Severity::Compatible)
    }

    /// True when any change is breaking.
    pub fn has_breaking(&self) -> bool {
        self.breaking() > 0
    }

    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    fn count(&self, severity: Severity) -> usize {
        self.changes
            .iter()
            .filter(|c| c.severity == severity)
            .count()
    }

    /// `N breaking, M compatible`.
    pub fn summary(&self) -> String {
        format!(
            "{} breaking, {} compatible",
            self.breaking(),
            self.compatible()
        )
    }

    /// How many changes of each kind, most frequent first (ties by kind).
    pub fn kind_counts(&self) -> Vec<(ChangeKind, usize)> {
        let mut counts: BTreeMap<ChangeKind, usize> = BTreeMap::new();
        for c in &self.changes {
            *counts.entry(c.kind).or_default() += 1;
        }
        let mut out: Vec<(ChangeKind, usize)> = counts.into_iter().collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Readable text: a summary line, then the changes grouped by operation (component schemas
    /// last), each with its reason.
    pub fn to_text(&self) -> String {
        let mut out = format!("spec diff: {}", self.summary());
        if self.is_empty() {
            out.push_str(" (no changes)\n");
            return out;
        }
        let ops = self
            .changes
            .iter()
            .filter_map(|c| c.operation.as_deref())
            .collect::<BTreeSet<_>>()
            .len();
        let mut scope = Vec::new();
        match ops {
            0 => {}
            1 => scope.push("1 operation".to_string()),
            n => scope.push(format!("{n} operations")),
        }
        if self.changes.iter().any(|c| c.operation.is_none()) {
            scope.push("component schemas".to_string());
        }
        let _ = writeln!(out, " ({})", scope.join(", "));
        let mut current: Option<Option<&str>> = None;
        for c in &self.changes {
            if current != Some(c.operation.as_deref()) {
                current = Some(c.operation.as_deref());
                let _ = writeln!(
                    out,
                    "\n{}",
                    c.operation.as_deref().unwrap_or("component schemas")
                );
            }
            let place = match (c.path.is_empty(), c.detail.is_empty()) {
                (true, _) => c.detail.clone(),
                (false, true) => c.path.clone(),
                (false, false) => format!("{}: {}", c.path, c.detail),
            };
            let severity = match c.severity {
                Severity::Breaking => "BREAKING",
                Severity::Compatible => "compatible",
            };
            let _ = writeln!(out, "  {severity:<10}  {:?}  {place}", c.kind);
            let _ = writeln!(out, "              {}", c.reason);
        }
        out
    }

    /// Pretty JSON: `{"summary": {"breaking": N, "compatible": M}, "changes": [..]}`.
    pub fn to_json(&self) -> String {
        let value = serde_json::json!({
            "summary": { "breaking": self.breaking(), "compatible": self.compatible() },
            "changes": self.changes,
        });
        serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
    }

    /// Markdown bullet lists (breaking first) for a changelog section, without a heading.
    pub fn to_markdown(&self) -> String {
        if self.is_empty() {
            return "No change to operations or types.\n".to_string();
        }
        let mut out = String::new();
        for (severity, title) in [
            (Severity::Breaking, "Breaking"),
            (Severity::Compatible, "Compatible"),
        ] {
            let items: Vec<&Change> = self
                .changes
                .iter()
                .filter(|c| c.severity == severity)
                .collect();
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(out, "{title}:\n");
            for c in items {
                let detail = if c.detail.is_empty() {
                    String::new()
                } else {
                    format!(" {}", c.detail)
                };
                let _ = writeln!(
                    out,
                    "- `{}` {:?}{detail}: {}.",
                    c.location, c.kind, c.reason
                );
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(paths: &str, schemas: &str) -> String {
        format!(
            r#"{{"openapi":"3.1.0","info":{{"title":"t","version":"1"}},"paths":{paths},"components":{{"schemas":{schemas}}}}}"#
        )
    }

    const GET_P: &str = r##"{"/p/{id}":{"get":{"operationId":"p.get","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/P"}}}}}}}}"##;

    #[test]
    fn identical_specs_have_no_changes() {
        let s = spec(
            GET_P,
            r#"{"P":{"type":"object","properties":{"a":{"type":"string"}}}}"#,
        );
        let d = diff(&s, &s).unwrap();
        assert!(d.is_empty(), "{}", d.to_text());
        assert_eq!(
            d.to_text(),
            "spec diff: 0 breaking, 0 compatible (no changes)\n"
        );
    }

    #[test]
    fn renamed_component_is_not_a_field_change() {
        let old = spec(
            GET_P,
            r#"{"P":{"type":"object","properties":{"a":{"type":"string"}}}}"#,
        );
        let new = spec(
            &GET_P.replace("schemas/P", "schemas/Q"),
            r#"{"Q":{"type":"object","properties":{"a":{"type":"string"}}}}"#,
        );
        let d = diff(&old, &new).unwrap();
        assert_eq!(d.changes.len(), 1, "{}", d.to_text());
        assert_eq!(d.changes[0].kind, ChangeKind::SchemaRenamed);
        assert_eq!(d.changes[0].severity, Severity::Breaking);
    }

    #[test]
    fn recursive_schemas_terminate() {
        let s = r##"{"P":{"type":"object","properties":{"next":{"$ref":"#/components/schemas/P"},"a":{"type":"string"}}}}"##;
        let t = r##"{"P":{"type":"object","properties":{"next":{"$ref":"#/components/schemas/P"},"a":{"type":"integer"}}}}"##;
        let d = diff(&spec(GET_P, s), &spec(GET_P, t)).unwrap();
        assert_eq!(d.changes.len(), 1, "{}", d.to_text());
        assert_eq!(d.changes[0].location, "p.get response 200 .a");
    }

    /// Where a schema changes but its generated Rust type does not, nothing breaks: the diff
    /// reads the lowered types instead of re-deriving them (a parallel rule set called both of
    /// these breaking).
    #[test]
    fn changes_the_generated_types_do_not_see_are_not_breaking() {
        let with = |field: &str| {
            spec(
                GET_P,
                &format!(r#"{{"P":{{"type":"object","properties":{{"a":{field}}}}}}}"#),
            )
        };
        // An empty `additionalProperties` schema is any JSON: still a free-form object.
        let d = diff(
            &with(r#"{"type":"object"}"#),
            &with(r#"{"type":"object","additionalProperties":{}}"#),
        )
        .unwrap();
        assert!(!d.has_breaking(), "{}", d.to_text());
        // Integer enums in API bodies are plain `i64`, whatever their format.
        let d = diff(
            &with(r#"{"type":"integer","format":"int32","enum":[1,2]}"#),
            &with(r#"{"type":"integer","format":"int64","enum":[1,2]}"#),
        )
        .unwrap();
        assert!(!d.has_breaking(), "{}", d.to_text());
        assert_eq!(d.changes.len(), 1, "{}", d.to_text());
        assert!(
            d.changes[0].reason.contains("stays `i64`"),
            "{}",
            d.to_text()
        );
        // A format the generated type does see is still breaking.
        let d = diff(
            &with(r#"{"type":"integer","format":"int32"}"#),
            &with(r#"{"type":"integer","format":"int64"}"#),
        )
        .unwrap();
        assert!(d.has_breaking(), "{}", d.to_text());
    }

    /// A document the generator refuses cannot be diffed; the error names the side.
    #[test]
    fn a_document_that_does_not_generate_is_an_error() {
        let refused = spec(
            GET_P,
            r#"{"P":{"allOf":[{"type":"string"},{"type":"integer"}]}}"#,
        );
        let fine = spec(GET_P, r#"{"P":{"type":"object"}}"#);
        let e = diff(&fine, &refused).unwrap_err();
        assert!(e.to_string().starts_with("new spec: "), "{e}");
        assert!(e.to_string().contains("#/components/schemas/P"), "{e}");
    }

    #[test]
    fn bad_input_names_the_side() {
        let e = diff("{ nope", &spec(GET_P, "{}")).unwrap_err();
        assert!(e.to_string().starts_with("old spec: syntax error"), "{e}");
        let e = diff(&spec(GET_P, "{}"), r#"{"swagger":"2.0"}"#).unwrap_err();
        assert!(e.to_string().starts_with("new spec: unsupported"), "{e}");
    }
}
