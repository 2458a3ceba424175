//! `cargo xtask models`: typed-model crates from model schema files.

use replicate_codegen::models::{parse_model_file, ModelSource};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Every `*.json` below `dir`, sorted.
pub fn schema_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Owner and name from the path: `<owner>/<name>.json` under `root`, or `owner__name[__x].json`.
pub fn owner_name_from_path(root: &Path, path: &Path) -> Option<(String, String)> {
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let mut parts = stem.split("__");
    if let (Some(owner), Some(name)) = (parts.next(), parts.next()) {
        return Some((owner.to_string(), name.to_string()));
    }
    let rel = path.strip_prefix(root).ok()?;
    let owner = rel.parent()?.file_name()?.to_string_lossy().into_owned();
    Some((owner, stem))
}

/// Reads every model file below `dir`.
pub fn load_sources(dir: &Path, label_root: &Path) -> Result<Vec<ModelSource>, String> {
    let mut sources = Vec::new();
    for path in schema_files(dir)? {
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let label = path
            .strip_prefix(label_root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let on = owner_name_from_path(dir, &path);
        let src = parse_model_file(
            &text,
            &label,
            on.as_ref().map(|(o, n)| (o.as_str(), n.as_str())),
        )
        .map_err(|e| e.to_string())?;
        sources.push(src);
    }
    Ok(sources)
}

/// `cargo xtask models --schemas DIR --out DIR2 [--name NAME]`.
pub fn standalone(schemas: &Path, out: &Path, name: &str) -> Result<(), String> {
    let start = Instant::now();
    let sources = load_sources(schemas, schemas)?;
    fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let out_abs = fs::canonicalize(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let runtime = crate::generate::workspace_root().join("crates/replicate-client");
    let options = replicate_codegen::StandaloneOptions {
        crate_name: name.to_string(),
        runtime_path: crate::generate::relative_path(&out_abs, &runtime),
        spec_label: schemas.display().to_string(),
        own_workspace: true,
    };
    let generated = replicate_codegen::generate_models_standalone(&sources, &options)
        .map_err(|e| e.to_string())?;
    for w in &generated.warnings {
        eprintln!("warning: {w}");
    }
    let (written, _) = crate::generate::write_files(out, &generated.files, false)?;
    println!(
        "models: {} models ({} typed fallbacks) into {}; {} files written, {} already fresh ({:.0?})",
        generated.models,
        generated.warnings.len(),
        out.display(),
        written,
        generated.files.len() - written,
        start.elapsed()
    );
    Ok(())
}
