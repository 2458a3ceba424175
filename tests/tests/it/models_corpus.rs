//! Every real Cog schema in `../shared/cog-schemas` (curated, `extra/` and `probe/`) generates a
//! typed module, the whole set compiles (warnings denied), and for each model a typed `Input`
//! built from the schema's required fields and defaults passes `validate` and serialises back
//! to exactly that JSON.

use replicate_codegen::models::ModelSource;
use replicate_codegen::GeneratedFile;
use replicate_e2e::{model_member_options, shared_dir, workspace_root};
use serde_json::{Map, Value};
use std::path::Path;

/// Every schema below `dir`, read the way the build-script route reads a folder.
fn load(dir: &Path) -> Vec<ModelSource> {
    replicate_build::sources::load_sources(dir, dir).unwrap_or_else(|e| panic!("{e}"))
}

/// A value of the schema's type for a required field, or its default; `None` when the
/// default does not fit the declared type (Cog writes `default: 13.5` on integers), so the
/// server's own default applies.
fn sample(prop: &Value, components: &Map<String, Value>) -> Option<Value> {
    let target = prop
        .get("allOf")
        .and_then(|a| a.get(0))
        .and_then(|r| r.get("$ref"))
        .and_then(Value::as_str)
        .and_then(|r| components.get(r.trim_start_matches("#/components/schemas/")))
        .unwrap_or(prop);
    let typ = target
        .get("type")
        .and_then(Value::as_str)
        .or_else(|| prop.get("type").and_then(Value::as_str));
    if let Some(d) = prop.get("default").filter(|d| !d.is_null()) {
        let fits = match typ {
            Some("integer") => d.is_i64() || d.is_u64(),
            Some("number") => d.is_number(),
            Some("string") => d.is_string(),
            Some("boolean") => d.is_boolean(),
            Some("array") => d.is_array(),
            _ => true,
        };
        return fits.then(|| d.clone());
    }
    if let Some(first) = target.get("enum").and_then(|e| e.get(0)) {
        return Some(first.clone());
    }
    let num = |k: &str| prop.get(k).and_then(Value::as_f64);
    Some(match typ {
        Some("string") if prop.get("format").and_then(Value::as_str) == Some("uri") => {
            Value::String("https://example.com/in.png".into())
        }
        Some("string") => {
            let min = prop.get("minLength").and_then(Value::as_u64).unwrap_or(1) as usize;
            Value::String("x".repeat(min.max(1)))
        }
        Some("integer") => Value::from(num("minimum").map(|m| m.ceil() as i64).unwrap_or(1)),
        Some("number") => Value::from(num("minimum").unwrap_or(0.5)),
        Some("boolean") => Value::Bool(true),
        Some("array") => Value::Array(vec![]),
        _ => return None,
    })
}

#[test]
fn every_real_cog_schema_generates_compiles_and_round_trips() {
    let Some(shared) = shared_dir() else {
        replicate_e2e::skip("../shared/cog-schemas is not beside the checkout");
        return;
    };
    let dir = shared.join("cog-schemas");
    let sources = load(&dir);
    assert!(sources.len() >= 190, "found {} schemas", sources.len());
    let generated = replicate_codegen::generate_models_standalone(
        &sources,
        &model_member_options("models-corpus", "cog-schemas"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(generated.models, sources.len());
    println!(
        "{} models, {} typed fallbacks:",
        generated.models,
        generated.warnings.len()
    );
    for w in &generated.warnings {
        println!("  {w}");
    }

    // A program that decodes each candidate into the typed Input, validates it and prints it.
    let mut cases = Vec::new();
    let mut calls = String::new();
    for (i, src) in sources.iter().enumerate() {
        let components = src
            .schema
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let input = components.get("Input").cloned().unwrap_or_default();
        let required: Vec<&str> = input
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut candidate = Map::new();
        for (name, prop) in input
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let has_default = prop.get("default").is_some_and(|d| !d.is_null());
            if required.contains(&name.as_str()) || has_default {
                if let Some(v) = sample(prop, &components) {
                    candidate.insert(name.clone(), v);
                }
            }
        }
        cases.push(Value::Object(candidate));
        let module = &generated.module_paths[i];
        calls.push_str(&format!(
            "    check::<models_corpus::{module}::Input>({i}, {:?}, &cases[{i}]);\n",
            src.label
        ));
    }
    let main = format!(
        "fn check<T: serde::de::DeserializeOwned + serde::Serialize + replicate_typed::model::ModelInput>(i: usize, label: &str, case: &serde_json::Value) {{\n\
         \x20   let input: T = serde_json::from_value(case.clone()).unwrap_or_else(|e| panic!(\"{{label}}: {{e}}\"));\n\
         \x20   input.validate().unwrap_or_else(|e| panic!(\"{{label}}: {{e}}\"));\n\
         \x20   println!(\"{{i}}\\t{{}}\", serde_json::to_string(&input).unwrap());\n\
         }}\n\
         fn main() {{\n\
         \x20   let cases: Vec<serde_json::Value> = serde_json::from_str(include_str!(\"cases.json\")).unwrap();\n{calls}}}\n"
    );
    let mut files = generated.files.clone();
    files.push(GeneratedFile {
        path: "src/bin/cases.json".into(),
        contents: serde_json::to_string(&cases).unwrap(),
    });
    files.push(GeneratedFile {
        path: "src/bin/roundtrip.rs".into(),
        contents: main,
    });
    replicate_e2e::compile_check("models-corpus", &[("models-corpus".into(), files)])
        .unwrap_or_else(|e| panic!("{e}"));

    let root = workspace_root();
    let output = replicate_e2e::scratch_cargo(
        &root.join("target/generated-check/models-corpus"),
        &replicate_e2e::check_target_dir(),
    )
    .args(["run", "--quiet", "--offline", "--bin", "roundtrip"])
    .env("RUSTFLAGS", "-D warnings")
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut checked = 0;
    for line in stdout.lines() {
        let (i, json) = line.split_once('\t').unwrap();
        let i: usize = i.parse().unwrap();
        let back: Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            numbers_as_f64(&back),
            numbers_as_f64(&cases[i]),
            "{}: the typed input changed the JSON",
            sources[i].label
        );
        checked += 1;
    }
    assert_eq!(checked, sources.len());
    println!("{checked} typed inputs round-tripped");
}

/// JSON numbers compared by value: `5` (the schema's default) and `5.0` (an `f64` field) are the
/// same number on the wire.
fn numbers_as_f64(v: &Value) -> Value {
    match v {
        Value::Number(n) => n.as_f64().map(Value::from).unwrap_or_else(|| v.clone()),
        Value::Array(items) => Value::Array(items.iter().map(numbers_as_f64).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), numbers_as_f64(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The build-script route on the same corpus: one `include!`-able file for every schema, in a
/// crate whose only dependency is `replicate-typed` (no serde of its own), compiles with
/// warnings denied.
#[test]
fn every_real_cog_schema_compiles_through_the_build_script_route() {
    let Some(shared) = shared_dir() else {
        replicate_e2e::skip("../shared/cog-schemas is not beside the checkout");
        return;
    };
    let dir = shared.join("cog-schemas");
    let out = tempfile::tempdir().unwrap();
    let file = replicate_build::Builder::new(&dir)
        .out_dir(out.path())
        .cargo_output(false)
        .generate()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(file.models >= 190, "found {} models", file.models);
    let manifest = format!(
        "[package]\nname = \"models-corpus-file\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nreplicate-typed = {}\n",
        replicate_codegen::path_dependency(&workspace_root().join("crates/replicate-typed").display().to_string())
    );
    let files = vec![
        GeneratedFile {
            path: "Cargo.toml".into(),
            contents: manifest,
        },
        GeneratedFile {
            path: "src/replicate_models.rs".into(),
            contents: file.contents,
        },
        GeneratedFile {
            path: "src/lib.rs".into(),
            contents: "//! The corpus through `include!`.\ninclude!(\"replicate_models.rs\");\n"
                .into(),
        },
    ];
    replicate_e2e::compile_check(
        "models-corpus-file",
        &[("models-corpus-file".into(), files)],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    println!("{} models in one include! file compiled", file.models);
}
