//! `cargo xtask models`: typed-model crates from model schema files.

use replicate_codegen::models::ModelSource;
use std::fs;
use std::path::Path;
use std::time::Instant;

/// Reads every model file below `dir` (labels relative to `label_root`).
pub fn load_sources(dir: &Path, label_root: &Path) -> Result<Vec<ModelSource>, String> {
    replicate_build::sources::load_sources(dir, label_root).map_err(|e| e.to_string())
}

/// `cargo xtask models --schemas DIR --out DIR2 [--name NAME]`.
pub fn standalone(schemas: &Path, out: &Path, name: &str) -> Result<(), String> {
    let start = Instant::now();
    let sources = load_sources(schemas, schemas)?;
    fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let out_abs = fs::canonicalize(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let runtime = crate::paths::workspace_root().join(crate::paths::CLIENT_CRATE_DIR);
    let options = replicate_codegen::StandaloneOptions {
        crate_name: name.to_string(),
        runtime_dep: replicate_codegen::path_dependency(&crate::files::relative_path(
            &out_abs, &runtime,
        )),
        spec_label: schemas.display().to_string(),
        own_workspace: true,
        command: None,
        lenient: false,
    };
    let generated = replicate_codegen::generate_models_standalone(&sources, &options)
        .map_err(|e| e.to_string())?;
    for w in &generated.warnings {
        eprintln!("warning: {w}");
    }
    let (written, _) = crate::files::write_files(out, &generated.files, false)?;
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
