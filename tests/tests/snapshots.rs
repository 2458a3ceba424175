//! Snapshot tests: each focused spec in `tests/specs/` (one construct each) generates exactly
//! the committed files in `tests/snapshots/<name>/`, and those snapshots compile as crates.
//!
//! To accept new output: `UPDATE_SNAPSHOTS=1 cargo test -p replicate-e2e --test snapshots`.

use replicate_codegen::GeneratedFile;
use replicate_e2e::{compile_check, member_options, workspace_root};
use std::fs;
use std::path::PathBuf;

fn specs() -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = fs::read_dir(workspace_root().join("tests/specs"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    specs.sort();
    specs
}

fn generate(path: &PathBuf) -> (String, Vec<GeneratedFile>) {
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let text = fs::read_to_string(path).unwrap();
    let label = format!(
        "tests/specs/{}",
        path.file_name().unwrap().to_string_lossy()
    );
    let generated = replicate_codegen::generate_standalone(
        &text,
        &member_options(&format!("snapshot-{}", name.replace('_', "-")), &label),
    )
    .unwrap_or_else(|e| panic!("{label}: {e}"));
    (name, generated.files)
}

#[test]
fn snapshots_match() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut mismatches = Vec::new();
    let specs = specs();
    assert!(specs.len() >= 10, "focused specs are missing");
    for path in &specs {
        let (name, files) = generate(path);
        let dir = workspace_root().join("tests/snapshots").join(&name);
        for f in files.iter().filter(|f| f.path.starts_with("src/")) {
            let file = dir.join(f.path.trim_start_matches("src/"));
            let current = fs::read_to_string(&file).unwrap_or_default();
            if current != f.contents {
                if update {
                    fs::create_dir_all(&dir).unwrap();
                    fs::write(&file, &f.contents).unwrap();
                } else {
                    mismatches.push(file.display().to_string());
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "snapshots differ: {mismatches:?}\nreview, then run UPDATE_SNAPSHOTS=1 cargo test -p replicate-e2e --test snapshots"
    );
}

#[test]
fn snapshots_compile() {
    let mut crates = Vec::new();
    for path in specs() {
        let (name, files) = generate(&path);
        // Compile the committed snapshot files (with the generated manifest).
        let dir = workspace_root().join("tests/snapshots").join(&name);
        let files = files
            .into_iter()
            .map(|f| match f.path.strip_prefix("src/") {
                Some(rel) => GeneratedFile {
                    // While snapshots are being rewritten (by the test beside this one,
                    // in parallel), compile what the generator makes instead.
                    contents: if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
                        f.contents
                    } else {
                        fs::read_to_string(dir.join(rel)).unwrap_or(f.contents)
                    },
                    path: f.path,
                },
                None => f,
            })
            .collect();
        crates.push((format!("snapshot-{name}"), files));
    }
    compile_check("snapshots", &crates).unwrap_or_else(|e| panic!("{e}"));
}

/// Focused model schemas (`tests/model-specs/`), one Cog construct each.
fn model_specs() -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = fs::read_dir(workspace_root().join("tests/model-specs"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    specs.sort();
    specs
}

fn generate_model(path: &PathBuf) -> (String, Vec<GeneratedFile>) {
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let text = fs::read_to_string(path).unwrap();
    let label = format!("tests/model-specs/{name}.json");
    let src = replicate_codegen::models::parse_model_file(&text, &label, Some(("test", &name)))
        .unwrap_or_else(|e| panic!("{e}"));
    let crate_name = format!("model-snapshot-{}", name.replace('_', "-"));
    let generated =
        replicate_codegen::generate_models_standalone(&[src], &member_options(&crate_name, &label))
            .unwrap_or_else(|e| panic!("{label}: {e}"));
    (name, generated.files)
}

#[test]
fn model_snapshots_match() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut mismatches = Vec::new();
    let specs = model_specs();
    assert!(specs.len() >= 5, "focused model schemas are missing");
    for path in &specs {
        let (name, files) = generate_model(path);
        let dir = workspace_root().join("tests/snapshots-models").join(&name);
        for f in files.iter().filter(|f| f.path.starts_with("src/")) {
            let file = dir.join(f.path.trim_start_matches("src/"));
            if fs::read_to_string(&file).unwrap_or_default() != f.contents {
                if update {
                    fs::create_dir_all(file.parent().unwrap()).unwrap();
                    fs::write(&file, &f.contents).unwrap();
                } else {
                    mismatches.push(file.display().to_string());
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "model snapshots differ: {mismatches:?}\nreview, then run UPDATE_SNAPSHOTS=1 cargo test -p replicate-e2e --test snapshots");
}

#[test]
fn model_snapshots_compile() {
    let mut crates = Vec::new();
    for path in model_specs() {
        let (name, files) = generate_model(&path);
        let dir = workspace_root().join("tests/snapshots-models").join(&name);
        let files = files
            .into_iter()
            .map(|f| match f.path.strip_prefix("src/") {
                Some(rel) => GeneratedFile {
                    // While snapshots are being rewritten (by the test beside this one,
                    // in parallel), compile what the generator makes instead.
                    contents: if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
                        f.contents
                    } else {
                        fs::read_to_string(dir.join(rel)).unwrap_or(f.contents)
                    },
                    path: f.path,
                },
                None => f,
            })
            .collect();
        crates.push((format!("model-snapshot-{name}"), files));
    }
    compile_check("model-snapshots", &crates).unwrap_or_else(|e| panic!("{e}"));
}
