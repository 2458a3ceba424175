//! Property tests: mutated specs (keys dropped, types swapped, refs broken) produce output or an
//! error, never a panic, and never an internal error (generated code that does not parse); and
//! the output of every mutated spec the generator accepts compiles.

use proptest::prelude::*;
use replicate_codegen::GeneratedFile;
use replicate_codegen::{generate_client, ErrorKind};
use replicate_e2e::{compile_check, member_options, modules_crate, workspace_root};
use serde_json::Value;
use std::fs;

/// Every JSON pointer in a document, in a stable order.
fn pointers(value: &Value, base: String, out: &mut Vec<String>) {
    out.push(base.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(
                    v,
                    format!("{base}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{base}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// One mutation, chosen by `op`, applied at `pointer`.
fn mutate(doc: &mut Value, pointer: &str, op: u8, salt: u32) {
    let replacement = match op % 8 {
        0 => None, // drop the key / element
        1 => Some(Value::String(format!("s{salt}"))),
        2 => Some(Value::from(salt as i64 - 1000)),
        3 => Some(Value::Array(vec![])),
        4 => Some(serde_json::json!({})),
        5 => Some(Value::Null),
        6 => Some(serde_json::json!({ "$ref": format!("#/components/schemas/Missing{salt}") })),
        _ => {
            let types = [
                "string", "integer", "object", "array", "null", "boolean", "number", "bogus",
            ];
            Some(serde_json::json!({ "type": types[salt as usize % types.len()] }))
        }
    };
    let (parent, key) = match pointer.rsplit_once('/') {
        Some(pk) => pk,
        None => return,
    };
    let key = key.replace("~1", "/").replace("~0", "~");
    let Some(target) = doc.pointer_mut(parent) else {
        return;
    };
    match (target, replacement) {
        (Value::Object(map), None) => {
            map.shift_remove(&key);
        }
        (Value::Object(map), Some(v)) => {
            map.insert(key, v);
        }
        (Value::Array(items), r) => {
            if let Ok(i) = key.parse::<usize>() {
                if i < items.len() {
                    match r {
                        None => {
                            items.remove(i);
                        }
                        Some(v) => items[i] = v,
                    }
                }
            }
        }
        _ => {}
    }
}

fn check(base: &Value, picks: &[(u32, u8, u32)]) -> Result<(), TestCaseError> {
    let mut doc = base.clone();
    for (pick, op, salt) in picks {
        let mut all = Vec::new();
        pointers(&doc, String::new(), &mut all);
        let pointer = &all[*pick as usize % all.len()];
        mutate(&mut doc, pointer, *op, *salt);
    }
    let text = serde_json::to_string(&doc).unwrap();
    if let Err(e) = generate_client(&text, &Default::default()) {
        prop_assert!(
            e.kind != ErrorKind::Internal,
            "internal error on a mutated spec: {e}\n{text}"
        );
        prop_assert!(
            !e.message.is_empty() && e.pointer.starts_with('#'),
            "error without a place: {e:?}"
        );
    }
    Ok(())
}

fn load(path: &str) -> Value {
    replicate_codegen::load::parse_text(&fs::read_to_string(workspace_root().join(path)).unwrap())
        .unwrap()
}

fn focused_specs() -> Vec<Value> {
    let mut names: Vec<String> = fs::read_dir(workspace_root().join("tests/specs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| format!("tests/specs/{}", e.file_name().to_string_lossy()))
        .collect();
    names.sort();
    names.iter().map(|n| load(n)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_focused_specs_never_panic(
        which in 0usize..64,
        picks in prop::collection::vec((any::<u32>(), any::<u8>(), any::<u32>()), 1..4),
    ) {
        let specs = focused_specs();
        check(&specs[which % specs.len()], &picks)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_full_spec_never_panics(
        picks in prop::collection::vec((any::<u32>(), any::<u8>(), any::<u32>()), 1..6),
    ) {
        let spec = load("spec/openapi.json");
        check(&spec, &picks)?;
    }
}

/// A deterministic stream of pseudo-random numbers (xorshift), so a failure names a mutant
/// that the next run builds again.
fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// The generator's promise: every document it accepts yields code that compiles, lint-clean.
/// A fixed walk of one to three mutations over the focused specs; each accepted mutant with
/// output not seen before becomes a module of one crate, checked with one cargo run.
#[test]
fn accepted_mutants_compile() {
    // `MUTANT_SEED` and `MUTANTS` explore further by hand; the defaults are what CI checks.
    let number = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let mutants = number("MUTANTS", 90) as usize;
    let specs = focused_specs();
    let mut next = xorshift(number("MUTANT_SEED", 0x2545_F491_4F6C_DD1D));
    // The unmutated specs' own output is checked by the snapshot tests: a mutant that changes
    // nothing the code shows adds nothing.
    let code_of = |files: &[GeneratedFile]| -> String {
        files
            .iter()
            .filter(|f| f.path != "src/lib.rs" && f.path != "Cargo.toml")
            .map(|f| f.contents.as_str())
            .collect()
    };
    let mut seen: std::collections::HashSet<String> = specs
        .iter()
        .filter_map(|spec| {
            let text = serde_json::to_string(spec).unwrap();
            replicate_codegen::generate_standalone(&text, &member_options("mutants", "spec"))
                .ok()
                .map(|g| code_of(&g.files))
        })
        .collect();
    let mut modules: Vec<(String, Vec<GeneratedFile>)> = Vec::new();
    let mut index = Vec::new();
    for attempt in 0..mutants * 30 {
        if modules.len() == mutants {
            break;
        }
        let which = attempt % specs.len();
        let mut doc = specs[which].clone();
        let mut applied = Vec::new();
        for _ in 0..1 + next() % 3 {
            let mut all = Vec::new();
            pointers(&doc, String::new(), &mut all);
            let pointer = all[next() as usize % all.len()].clone();
            let (op, salt) = (next() as u8, next() as u32);
            mutate(&mut doc, &pointer, op, salt);
            applied.push(format!("op {} salt {salt} at {pointer:?}", op % 8));
        }
        let text = serde_json::to_string(&doc).unwrap();
        let name = format!("m{:03}", modules.len());
        let Ok(generated) = replicate_codegen::generate_standalone(
            &text,
            &member_options("mutants", &format!("mutant {name}")),
        ) else {
            continue;
        };
        if !seen.insert(code_of(&generated.files)) {
            continue;
        }
        index.push(format!("{name}: spec #{which}, {}", applied.join("; ")));
        modules.push((name, generated.files));
    }
    assert!(
        modules.len() >= mutants / 2,
        "only {} distinct accepted mutants",
        modules.len()
    );
    let files = modules_crate(
        "mutants",
        "Mutated specs the generator accepted, one module each.",
        modules,
    );
    compile_check("mutants", &[("mutants".to_string(), files)])
        .unwrap_or_else(|e| panic!("{e}\nmutants:\n{}", index.join("\n")));
}

/// The mutations really break things: a fixed walk over many of them yields both successes and
/// errors of several kinds (so the properties above are not vacuous).
#[test]
fn mutations_reach_both_outcomes() {
    let specs = focused_specs();
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    let (mut ok, mut kinds) = (0, std::collections::BTreeSet::new());
    for i in 0..600 {
        let mut doc = specs[i % specs.len()].clone();
        let mut all = Vec::new();
        pointers(&doc, String::new(), &mut all);
        let pointer = all[next() as usize % all.len()].clone();
        mutate(&mut doc, &pointer, next() as u8, next() as u32);
        match generate_client(&serde_json::to_string(&doc).unwrap(), &Default::default()) {
            Ok(_) => ok += 1,
            Err(e) => {
                assert_ne!(e.kind, ErrorKind::Internal, "{e}");
                kinds.insert(format!("{:?}", e.kind));
            }
        }
    }
    assert!(ok > 50, "only {ok} mutated specs generated");
    assert!(kinds.len() >= 3, "error kinds seen: {kinds:?}");
}

fn model_specs() -> Vec<Value> {
    let mut names: Vec<String> = fs::read_dir(workspace_root().join("tests/model-specs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| format!("tests/model-specs/{}", e.file_name().to_string_lossy()))
        .collect();
    names.sort();
    names.iter().map(|n| load(n)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    /// Broken model schemas give a typed module or an error, never a panic or unparsable code.
    #[test]
    fn mutated_model_schemas_never_panic(
        which in 0usize..64,
        picks in prop::collection::vec((any::<u32>(), any::<u8>(), any::<u32>()), 1..4),
    ) {
        let specs = model_specs();
        let mut doc = specs[which % specs.len()].clone();
        for (pick, op, salt) in &picks {
            let mut all = Vec::new();
            pointers(&doc, String::new(), &mut all);
            let pointer = all[*pick as usize % all.len()].clone();
            mutate(&mut doc, &pointer, *op, *salt);
        }
        let text = serde_json::to_string(&doc).unwrap();
        match replicate_codegen::models::parse_model_file(&text, "mutated.json", Some(("test", "mutated"))) {
            Ok(src) => {
                if let Err(e) = replicate_codegen::generate_models(&[src], "test") {
                    prop_assert!(e.kind != ErrorKind::Internal, "internal error on a mutated schema: {e}\n{text}");
                }
            }
            Err(e) => prop_assert!(e.kind != ErrorKind::Internal, "{e}"),
        }
    }
}
