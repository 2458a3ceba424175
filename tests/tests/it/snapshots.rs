//! Snapshot tests: each focused spec in `tests/specs/` (one construct each) generates exactly
//! the committed files in `tests/snapshots/<name>/`, and those snapshots compile as crates.
//!
//! To accept new output: `UPDATE_SNAPSHOTS=1 cargo test -p replicate-e2e --test it -- snapshots::`.

use replicate_codegen::GeneratedFile;
use replicate_e2e::{compile_check, member_options, model_member_options, workspace_root};
use std::fs;
use std::path::{Path, PathBuf};

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
    let options = replicate_codegen::StandaloneOptions {
        // Specs of invalid documents are read the way `--lenient` reads them.
        lenient: name.starts_with("lenient_"),
        ..member_options(&format!("snapshot-{}", name.replace('_', "-")), &label)
    };
    let generated = replicate_codegen::generate_standalone(&text, &options)
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    if name.starts_with("lenient_") {
        assert!(
            !generated.warnings.is_empty(),
            "{label}: read without a warning"
        );
        let strict = member_options("strict", &label);
        assert!(
            replicate_codegen::generate_standalone(&text, &strict).is_err(),
            "{label}: accepted without --lenient"
        );
    }
    (name, generated.files)
}

#[test]
fn snapshots_match() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut mismatches = Vec::new();
    let specs = specs();
    assert!(specs.len() >= 10, "focused specs are missing");
    let mut names = Vec::new();
    for path in &specs {
        let (name, files) = generate(path);
        let dir = workspace_root().join("tests/snapshots").join(&name);
        check_snapshot(&dir, &files, update, &mut mismatches);
        names.push(name);
    }
    mismatches.extend(orphan_folders("tests/snapshots", &names, update));
    assert!(
        mismatches.is_empty(),
        "snapshots differ: {mismatches:?}\nreview, then run UPDATE_SNAPSHOTS=1 cargo test -p replicate-e2e --test it -- snapshots::"
    );
}

#[test]
fn snapshots_compile() {
    let mut crates = Vec::new();
    for path in specs() {
        let (name, files) = generate(&path);
        // Compile the committed snapshot files (with the generated manifest).
        let files = committed(&workspace_root().join("tests/snapshots").join(&name), files);
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
    let generated = replicate_codegen::generate_models_standalone(
        &[src],
        &model_member_options(&crate_name, &label),
    )
    .unwrap_or_else(|e| panic!("{label}: {e}"));
    (name, generated.files)
}

#[test]
fn model_snapshots_match() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut mismatches = Vec::new();
    let specs = model_specs();
    assert!(specs.len() >= 5, "focused model schemas are missing");
    let mut names = Vec::new();
    for path in &specs {
        let (name, files) = generate_model(path);
        let dir = workspace_root().join("tests/snapshots-models").join(&name);
        check_snapshot(&dir, &files, update, &mut mismatches);
        names.push(name);
    }
    mismatches.extend(orphan_folders("tests/snapshots-models", &names, update));
    assert!(mismatches.is_empty(), "model snapshots differ: {mismatches:?}\nreview, then run UPDATE_SNAPSHOTS=1 cargo test -p replicate-e2e --test it -- snapshots::");
}

#[test]
fn model_snapshots_compile() {
    let mut crates = Vec::new();
    for path in model_specs() {
        let (name, files) = generate_model(&path);
        let files = committed(
            &workspace_root().join("tests/snapshots-models").join(&name),
            files,
        );
        crates.push((format!("model-snapshot-{name}"), files));
    }
    compile_check("model-snapshots", &crates).unwrap_or_else(|e| panic!("{e}"));
}

/// Compares one snapshot folder with the generator's `src/` files: a file that differs, is
/// missing, or is no longer generated is a mismatch. With `update`, rewrites or removes it.
fn check_snapshot(dir: &Path, files: &[GeneratedFile], update: bool, mismatches: &mut Vec<String>) {
    let mut expected = Vec::new();
    for f in files {
        let Some(rel) = f.path.strip_prefix("src/") else {
            continue;
        };
        let file = dir.join(rel);
        expected.push(file.clone());
        if fs::read_to_string(&file).unwrap_or_default() != f.contents {
            if update {
                fs::create_dir_all(file.parent().unwrap()).unwrap();
                fs::write(&file, &f.contents).unwrap();
            } else {
                mismatches.push(file.display().to_string());
            }
        }
    }
    for orphan in files_below(dir)
        .into_iter()
        .filter(|p| !expected.contains(p))
    {
        if update {
            fs::remove_file(&orphan).unwrap();
        } else {
            mismatches.push(format!("{} (no longer generated)", orphan.display()));
        }
    }
}

/// Snapshot folders under `root` whose focused spec is gone (`names` are the live ones).
fn orphan_folders(root: &str, names: &[String], update: bool) -> Vec<String> {
    let mut orphans = Vec::new();
    for entry in fs::read_dir(workspace_root().join(root)).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && !names.contains(&name) {
            if update {
                fs::remove_dir_all(entry.path()).unwrap();
            } else {
                orphans.push(format!("{root}/{name} (its spec is gone)"));
            }
        }
    }
    orphans
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_below(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The generated crate with its `src/` files replaced by the committed snapshot, so the
/// compile tests check what is committed. While snapshots are being rewritten (by the match
/// tests, in parallel), what the generator makes is compiled instead.
fn committed(dir: &Path, files: Vec<GeneratedFile>) -> Vec<GeneratedFile> {
    let updating = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    files
        .into_iter()
        .map(|f| match f.path.strip_prefix("src/") {
            Some(rel) if !updating => GeneratedFile {
                contents: fs::read_to_string(dir.join(rel)).unwrap_or(f.contents),
                path: f.path,
            },
            _ => f,
        })
        .collect()
}
