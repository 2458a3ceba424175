//! Every real snapshot of Replicate's OpenAPI description generates a crate that compiles.

use replicate_codegen::load;
use replicate_e2e::{compile_check, crate_dir_for, member_options, shared_specs};
use std::fs;

#[test]
fn every_real_snapshot_generates_and_compiles() {
    let Some(specs) = shared_specs() else {
        replicate_e2e::skip("../shared/replicate-openapi is not beside the checkout");
        return;
    };
    assert!(
        specs.len() >= 44,
        "expected the 44 snapshots, found {}",
        specs.len()
    );
    let mut crates = Vec::new();
    for path in &specs {
        let text = fs::read_to_string(path).unwrap();
        let dir = crate_dir_for(path);
        let generated = replicate_codegen::generate_standalone(&text, &member_options(&dir, &dir))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Every method key in the raw document is an operation in the output.
        let raw = load::parse_text(&text).unwrap();
        let expected = load::raw_operations(&raw).len();
        assert_eq!(
            generated.operations,
            expected,
            "{}: operations",
            path.display()
        );
        crates.push((dir, generated.files));
    }
    compile_check("corpus", &crates).unwrap_or_else(|e| panic!("{e}"));
    println!("{} snapshots generated and compiled", crates.len());
}

#[test]
fn latest_keeps_the_query_operation() {
    let Some(specs) = shared_specs() else {
        replicate_e2e::skip("../shared/replicate-openapi is not beside the checkout");
        return;
    };
    let text = fs::read_to_string(&specs[0]).unwrap();
    let out = replicate_codegen::generate_client(&text, &Default::default()).unwrap();
    assert_eq!(out.operations, 37);
    let ops = &out
        .files
        .iter()
        .find(|f| f.path == "operations.rs")
        .unwrap()
        .contents;
    assert!(
        ops.contains("\"QUERY\""),
        "models.search is sent with the QUERY method"
    );
    assert!(ops.contains("pub struct ModelsSearch<'a>"));
}
