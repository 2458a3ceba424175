//! Bad input gives a clear error naming what is wrong and where (a JSON pointer), never a panic.

use replicate_codegen::{generate_client, Error, ErrorKind};

fn fail(spec: &str) -> Error {
    match generate_client(spec, &Default::default()) {
        Ok(_) => panic!("expected an error for:\n{spec}"),
        Err(e) => e,
    }
}

const HEAD: &str = r#""openapi": "3.1.0", "info": {"title": "t", "version": "1"}"#;

fn with_schemas(schemas: &str) -> String {
    format!(
        r##"{{{HEAD}, "paths": {{"/a": {{"get": {{"operationId": "a.get", "responses": {{"200": {{"description": "ok",
        "content": {{"application/json": {{"schema": {{"$ref": "#/components/schemas/A"}}}}}}}}}}}}}}}},
        "components": {{"schemas": {schemas}}}}}"##
    )
}

#[test]
fn not_json_or_yaml() {
    let e = fail("{ this is not json");
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(e.message.contains("invalid JSON at line 1"), "{e}");
    let e = fail("key: [unclosed");
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(e.message.contains("neither JSON nor YAML"), "{e}");
}

#[test]
fn not_openapi() {
    let e = fail(r#"{"swagger": "2.0"}"#);
    assert_eq!(
        (e.kind, e.pointer.as_str()),
        (ErrorKind::Unsupported, "#/swagger")
    );
    let e = fail(r#"{"openapi": "4.0.0"}"#);
    assert_eq!(
        (e.kind, e.pointer.as_str()),
        (ErrorKind::Unsupported, "#/openapi")
    );
    let e = fail(r#"[1, 2]"#);
    assert_eq!(e.kind, ErrorKind::Shape);
    let e = fail(&format!(
        r#"{{{HEAD}, "paths": {{"/a": {{"get": {{"operationId": "a", "responses": 5}}}}}}}}"#
    ));
    assert_eq!(e.kind, ErrorKind::Shape);
    assert_eq!(e.pointer, "#/paths/~1a/get/responses", "{e}");
}

#[test]
fn unresolvable_ref() {
    let e = fail(&with_schemas(
        r##"{"A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/Missing"}}}}"##,
    ));
    assert_eq!(e.kind, ErrorKind::UnresolvedRef);
    assert_eq!(e.pointer, "#/components/schemas/A/properties/b");
    assert!(e.message.contains("#/components/schemas/Missing"), "{e}");

    let e = fail(&with_schemas(r##"{"A": {"$ref": "other.json#/A"}}"##));
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(e.message.contains("external reference"), "{e}");

    let e = fail(&format!(
        r##"{{{HEAD}, "paths": {{"/a": {{"get": {{"operationId": "a", "parameters": [{{"$ref": "#/components/parameters/nope"}}], "responses": {{}}}}}}}}}}"##
    ));
    assert_eq!(
        (e.kind, e.pointer.as_str()),
        (ErrorKind::UnresolvedRef, "#/paths/~1a/get/parameters/0")
    );
}

#[test]
fn reference_cycle() {
    let e = fail(&with_schemas(
        r##"{"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}"##,
    ));
    assert_eq!(e.kind, ErrorKind::RefCycle);
    assert!(e.pointer.starts_with("#/components/schemas/"), "{e}");
    assert!(e.message.contains("refers to itself"), "{e}");
}

#[test]
fn recursion_through_fields_is_fine() {
    let spec = with_schemas(
        r##"{"A": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/A"}}}}"##,
    );
    let out = generate_client(&spec, &Default::default()).unwrap();
    let types = &out
        .files
        .iter()
        .find(|f| f.path == "types.rs")
        .unwrap()
        .contents;
    assert!(types.contains("Option<Box<A>>"), "{types}");
}

#[test]
fn unsupported_constructs() {
    let e = fail(&with_schemas(r#"{"A": {"not": {"type": "string"}}}"#));
    assert_eq!(
        (e.kind, e.pointer.as_str()),
        (ErrorKind::Unsupported, "#/components/schemas/A/not")
    );
    // A cookie holds one value, and its name must not be able to end the cookie.
    let cookie = |name: &str, schema: &str| {
        format!(
            r#"{{{HEAD}, "paths": {{"/a": {{"get": {{"operationId": "a", "parameters": [{{"name": "{name}", "in": "cookie", "schema": {schema}}}], "responses": {{}}}}}}}}}}"#
        )
    };
    let e = fail(&cookie(
        "c",
        r#"{"type": "array", "items": {"type": "string"}}"#,
    ));
    assert_eq!(
        (e.kind, e.pointer.as_str()),
        (
            ErrorKind::Unsupported,
            "#/paths/~1a/get/parameters/0/schema"
        )
    );
    assert!(e.message.contains("cannot be written into a cookie"), "{e}");
    let e = fail(&cookie("a=1; b", r#"{"type": "string"}"#));
    assert_eq!(
        (e.kind, e.pointer.as_str()),
        (ErrorKind::Shape, "#/paths/~1a/get/parameters/0/name")
    );
    let e = fail(&format!(
        r#"{{{HEAD}, "paths": {{"/a": {{"get": {{"operationId": "a", "parameters": [{{"name": "q", "in": "query", "style": "pipeDelimited", "schema": {{"type": "object"}}}}], "responses": {{}}}}}}}}}}"#
    ));
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(
        e.message
            .contains("is an object, which cannot be written into a query string"),
        "{e}"
    );
    let e = fail(&format!(
        r#"{{{HEAD}, "paths": {{"/a": {{"get": {{"operationId": "a", "parameters": [{{"name": "X-Q", "in": "header", "schema": {{"type": "object"}}}}], "responses": {{}}}}}}}}}}"#
    ));
    assert!(
        e.message
            .contains("is an object, which cannot be written into a header"),
        "{e}"
    );
}

#[test]
fn name_clashes() {
    // Distinct properties and schemas that Rust would spell alike are numbered, with a warning
    // that says which became what.
    let out = generate_client(
        &with_schemas(
            r#"{"A": {"type": "object", "properties": {"fooBar": {"type": "string"}, "foo_bar": {"type": "integer"}}},
                "B": {"type": "string"}, "b": {"type": "integer"}}"#,
        ),
        &Default::default(),
    )
    .unwrap();
    let types = &out
        .files
        .iter()
        .find(|f| f.path == "types.rs")
        .unwrap()
        .contents;
    assert!(types.contains("pub foo_bar: Option<String>,"), "{types}");
    assert!(types.contains("pub foo_bar2: Option<i64>,"), "{types}");
    assert!(types.contains("pub type B = String;"), "{types}");
    assert!(types.contains("pub type B2 = i64;"), "{types}");
    let warnings = out.warnings.join("\n");
    assert!(
        warnings.contains("#/components/schemas/A/properties/foo_bar")
            && warnings.contains("`foo_bar` is `foo_bar2`"),
        "{warnings}"
    );
    assert!(warnings.contains("`b` is `B2`"), "{warnings}");

    // Distinct operationIds that Rust spells alike are numbered too; the same operationId twice
    // is an invalid document, refused (`--lenient` renames it).
    let two_ids = |second: &str| {
        format!(
            r#"{{{HEAD}, "paths": {{"/a": {{"get": {{"operationId": "things.get", "responses": {{}}}}}}, "/b": {{"get": {{"operationId": "{second}", "responses": {{}}}}}}}}}}"#
        )
    };
    let out = generate_client(&two_ids("things/get"), &Default::default()).unwrap();
    let ops = &out
        .files
        .iter()
        .find(|f| f.path == "operations.rs")
        .unwrap()
        .contents;
    assert!(ops.contains("pub fn get2(&self)"), "{ops}");
    assert!(
        out.warnings
            .join("\n")
            .contains("the second is `things.get2`"),
        "{:?}",
        out.warnings
    );
    let e = fail(&two_ids("things.get"));
    assert_eq!(e.kind, ErrorKind::NameClash);
    assert!(
        e.message.contains("share the operationId `things.get`"),
        "{e}"
    );
}

#[test]
fn path_parameters_must_match_the_template() {
    let e = fail(&format!(
        r#"{{{HEAD}, "paths": {{"/a/{{id}}": {{"get": {{"operationId": "a", "responses": {{}}}}}}}}}}"#
    ));
    assert_eq!(
        (e.kind, e.pointer.as_str()),
        (ErrorKind::Shape, "#/paths/~1a~1{id}/get")
    );
    assert!(e.message.contains("{id}"), "{e}");
}

#[test]
fn unknown_method_keys_are_operations_not_dropped() {
    let spec = format!(
        r#"{{{HEAD}, "paths": {{"/a": {{"search": {{"operationId": "a.search", "responses": {{"200": {{"description": "ok"}}}}}}}}}}}}"#
    );
    let out = generate_client(&spec, &Default::default()).unwrap();
    assert_eq!(out.operations, 1);
    let e = fail(&format!(r#"{{{HEAD}, "paths": {{"/a": {{"bogus": 5}}}}}}"#));
    assert_eq!(
        (e.kind, e.pointer.as_str()),
        (ErrorKind::Shape, "#/paths/~1a/bogus")
    );
}

#[test]
fn errors_name_the_file_when_known() {
    let e = fail("{").in_file("spec/openapi.json");
    assert!(
        e.to_string()
            .starts_with("spec/openapi.json: syntax error at #: "),
        "{e}"
    );
}
