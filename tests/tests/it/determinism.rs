//! Generation is byte-for-byte deterministic.

use replicate_e2e::{shared_specs, workspace_root};
use std::fs;

#[test]
fn generating_twice_gives_the_same_bytes() {
    let mut specs = vec![workspace_root().join("spec/openapi.json")];
    specs.extend(shared_specs().unwrap_or_default().into_iter().take(1));
    for path in specs {
        let text = fs::read_to_string(&path).unwrap();
        let a = replicate_codegen::generate_client(&text, &Default::default()).unwrap();
        let b = replicate_codegen::generate_client(&text, &Default::default()).unwrap();
        assert_eq!(a.files, b.files, "{}", path.display());
        assert!(a
            .files
            .iter()
            .all(|f| f.contents.starts_with("// @generated")));
    }
}

#[test]
fn our_spec_covers_every_operation_of_the_real_one() {
    let ours = fs::read_to_string(workspace_root().join("spec/openapi.json")).unwrap();
    let out = replicate_codegen::generate_client(&ours, &Default::default()).unwrap();
    assert_eq!(out.operations, 37, "all 37 operations of Replicate's API");
    let Some(specs) = shared_specs() else {
        replicate_e2e::skip(
            "the comparison with latest.json: ../shared is not beside the checkout",
        );
        return;
    };
    let real =
        replicate_codegen::load::parse_text(&fs::read_to_string(&specs[0]).unwrap()).unwrap();
    let mine = replicate_codegen::load::parse_text(&ours).unwrap();
    let mut a = replicate_codegen::load::raw_operations(&real);
    let mut b = replicate_codegen::load::raw_operations(&mine);
    a.sort();
    b.sort();
    assert_eq!(a, b, "same (path, method) pairs as latest.json");
    // Same operationIds and component schema names.
    let ids = |v: &serde_json::Value| {
        let mut ids: Vec<String> = v["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|op| {
                op.get("operationId")
                    .and_then(|i| i.as_str())
                    .map(str::to_string)
            })
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&real), ids(&mine));
    let names = |v: &serde_json::Value| {
        v["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    let (mut x, mut y) = (names(&real), names(&mine));
    x.sort();
    y.sort();
    assert_eq!(x, y);
}
