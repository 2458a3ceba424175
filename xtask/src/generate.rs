//! `cargo xtask generate`: write (or check) the generated code.

use crate::files::{files_below, relative_path, short_diff, write_files};
use crate::paths::{
    workspace_root, CLIENT_GENERATED_DIR, CLIENT_SPEC, COG_MODELS_GENERATED_DIR,
    COG_PREDICTORS_DIR, GENERATED_DIRS, MODELS_GENERATED_DIR, MODELS_SPEC_DIR, RUNTIME_CRATE_DIR,
};
use replicate_codegen::{GeneratedFile, Options};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A planned file write.
pub struct Planned {
    pub path: PathBuf,
    pub contents: String,
}

/// Every file `cargo xtask generate` owns, with its expected contents.
pub fn plan(root: &Path) -> Result<(Vec<Planned>, Summary), String> {
    let spec_path = root.join(CLIENT_SPEC);
    let text = fs::read_to_string(&spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let generated = replicate_codegen::generate_client(&text, &Options::default())
        .map_err(|e| e.in_file(CLIENT_SPEC).to_string())?;
    let dir = root.join(CLIENT_GENERATED_DIR);
    let mut files: Vec<Planned> = generated
        .files
        .into_iter()
        .map(|GeneratedFile { path, contents }| Planned {
            path: dir.join(path),
            contents,
        })
        .collect();

    let models_dir = root.join(MODELS_SPEC_DIR);
    let sources = if models_dir.is_dir() {
        crate::models::load_sources(&models_dir, root)?
    } else {
        Vec::new()
    };
    let models = replicate_codegen::generate_models(&sources, "cargo xtask generate")
        .map_err(|e| e.to_string())?;
    for w in &models.warnings {
        eprintln!("warning: {w}");
    }
    let dir = root.join(MODELS_GENERATED_DIR);
    files.extend(
        models
            .files
            .into_iter()
            .map(|GeneratedFile { path, contents }| Planned {
                path: dir.join(path),
                contents,
            }),
    );
    let mut model_count = models.models;

    // Our Cog test predictors: bare `openapi_schema` files, model `cog/<predictor>`.
    let mut cog_sources = Vec::new();
    let predictors = root.join(COG_PREDICTORS_DIR);
    let mut dirs: Vec<PathBuf> = fs::read_dir(&predictors)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let schema = dir.join("openapi_schema.json");
        let Ok(text) = fs::read_to_string(&schema) else {
            continue;
        };
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let label = schema
            .strip_prefix(root)
            .unwrap_or(&schema)
            .display()
            .to_string();
        let src = replicate_codegen::models::parse_model_file(&text, &label, Some(("cog", &name)))
            .map_err(|e| e.to_string())?;
        cog_sources.push(src);
    }
    let cog = replicate_codegen::generate_models(&cog_sources, "cargo xtask generate")
        .map_err(|e| e.to_string())?;
    model_count += cog.models;
    let dir = root.join(COG_MODELS_GENERATED_DIR);
    files.extend(
        cog.files
            .into_iter()
            .map(|GeneratedFile { path, contents }| Planned {
                path: dir.join(path),
                contents,
            }),
    );
    Ok((
        files,
        Summary {
            operations: generated.operations,
            types: generated.types,
            models: model_count,
        },
    ))
}

/// Counts for the closing line.
pub struct Summary {
    pub operations: usize,
    pub types: usize,
    pub models: usize,
}

/// Files that differ from the plan, plus generated directories' files that no longer belong.
pub fn stale(root: &Path, planned: &[Planned]) -> Vec<(PathBuf, Option<String>)> {
    let mut out = Vec::new();
    for p in planned {
        match fs::read_to_string(&p.path) {
            Ok(current) if current == p.contents => {}
            Ok(current) => out.push((p.path.clone(), Some(current))),
            Err(_) => out.push((p.path.clone(), None)),
        }
    }
    let mut extra: Vec<PathBuf> = GENERATED_DIRS
        .iter()
        .flat_map(|d| files_below(&root.join(d)))
        .filter(|p| !planned.iter().any(|q| q.path == *p))
        .collect();
    extra.sort();
    out.extend(extra.into_iter().map(|p| (p, Some(String::new()))));
    out
}

/// `cargo xtask generate [--check] [--changelog]` for the workspace.
pub fn workspace(check: bool, changelog: bool) -> Result<(), String> {
    let start = Instant::now();
    let root = workspace_root();
    let (planned, summary) = plan(&root)?;
    let stale_files = stale(&root, &planned);
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
    let lock_problems = crate::add_model::check_lock(&root)?;
    if !lock_problems.is_empty() {
        return Err(format!(
            "spec/models.lock and spec/models/ disagree:\n  {}\nrun `cargo xtask add-model owner/name` (or `--relock` after a deliberate edit)",
            lock_problems.join("\n  ")
        ));
    }
    if check {
        if stale_files.is_empty() {
            println!(
                "generate --check: {} files fresh ({} operations, {} types, {} models) in {:.0?}",
                planned.len(),
                summary.operations,
                summary.types,
                summary.models,
                start.elapsed()
            );
            return Ok(());
        }
        let mut report = String::new();
        for (path, current) in &stale_files {
            let expected = planned
                .iter()
                .find(|p| p.path == *path)
                .map(|p| p.contents.as_str());
            match (current, expected) {
                (None, _) => report.push_str(&format!("  missing: {}\n", rel(path))),
                (Some(_), None) => {
                    report.push_str(&format!("  not generated any more: {}\n", rel(path)))
                }
                (Some(cur), Some(exp)) => {
                    report.push_str(&format!("  stale: {}\n", rel(path)));
                    report.push_str(&short_diff(cur, exp, 100));
                }
            }
        }
        return Err(format!(
            "{} generated file(s) are out of date:\n{report}run `cargo xtask generate` and commit the result",
            stale_files.len()
        ));
    }
    let mut written = 0;
    for p in &planned {
        if stale_files.iter().any(|(s, _)| *s == p.path) {
            if let Some(parent) = p.path.parent() {
                fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            fs::write(&p.path, &p.contents)
                .map_err(|e| format!("cannot write {}: {e}", p.path.display()))?;
            println!("  wrote {}", rel(&p.path));
            written += 1;
        }
    }
    for (path, _) in &stale_files {
        if !planned.iter().any(|p| p.path == *path) {
            fs::remove_file(path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            println!("  removed {}", rel(path));
        }
    }
    println!(
        "generate: {} operations, {} types, {} models; {} files written, {} already fresh ({:.0?})",
        summary.operations,
        summary.types,
        summary.models,
        written,
        planned.len() - written,
        start.elapsed()
    );
    if changelog {
        crate::changelog::run(&root)?;
    }
    Ok(())
}

/// `cargo xtask generate --spec FILE --out DIR`: a standalone crate from any spec.
pub fn standalone(
    spec: &Path,
    out: &Path,
    name: &str,
    check: bool,
    lenient: bool,
) -> Result<(), String> {
    let start = Instant::now();
    let text =
        fs::read_to_string(spec).map_err(|e| format!("cannot read {}: {e}", spec.display()))?;
    fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let out_abs = fs::canonicalize(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let runtime = workspace_root().join(RUNTIME_CRATE_DIR);
    let runtime_rel = relative_path(&out_abs, &runtime);
    let label = spec
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let options = replicate_codegen::StandaloneOptions {
        crate_name: name.to_string(),
        runtime_dep: replicate_codegen::path_dependency(&runtime_rel),
        spec_label: label,
        own_workspace: true,
        command: None,
        lenient,
    };
    let generated = replicate_codegen::generate_standalone(&text, &options)
        .map_err(|e| e.in_file(spec.display().to_string()).to_string())?;
    for warning in &generated.warnings {
        eprintln!("warning: {}: {warning}", spec.display());
    }
    let (written, stale) = write_files(out, &generated.files, check)?;
    if !stale.is_empty() {
        return Err(format!(
            "stale files in {}: {}",
            out.display(),
            stale.join(", ")
        ));
    }
    println!(
        "generate: crate {}, {} operations, {} types into {}; {} files written, {} already fresh ({:.0?})",
        generated.crate_name,
        generated.operations,
        generated.types,
        out.display(),
        written,
        generated.files.len() - written,
        start.elapsed()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test` fails when committed generated code is stale.
    #[test]
    fn generated_code_is_fresh() {
        let root = workspace_root();
        let lock_problems = crate::add_model::check_lock(&root).expect("the lock reads");
        assert!(lock_problems.is_empty(), "{lock_problems:?}");
        let (planned, _) = plan(&root).expect("generation succeeds");
        let stale_files = stale(&root, &planned);
        let names: Vec<String> = stale_files
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        assert!(
            names.is_empty(),
            "stale generated files: {names:?}; run `cargo xtask generate`"
        );
    }

    /// The generated code records the spec's hash and the generator's version, so
    /// `generate --check` notices a spec that changed without regeneration, even by one byte.
    #[test]
    fn check_detects_a_spec_changed_without_regeneration() {
        let root = workspace_root();
        let tmp = std::env::temp_dir().join(format!("xtask-check-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        let copy = |rel: &str| {
            let to = tmp.join(rel);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(root.join(rel), &to).unwrap();
        };
        copy(CLIENT_SPEC);
        for f in ["mod.rs", "operations.rs", "types.rs"] {
            copy(&format!("{CLIENT_GENERATED_DIR}/{f}"));
        }
        // Only the client's files: `plan` also covers generated models, not copied here.
        let client_dir = tmp.join(CLIENT_GENERATED_DIR);
        let names = |root: &Path| -> Vec<String> {
            let (planned, _) = plan(root).unwrap();
            stale(root, &planned)
                .into_iter()
                .filter(|(p, _)| p.starts_with(&client_dir))
                .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert!(names(&tmp).is_empty(), "the copy starts fresh");
        let mod_rs = fs::read_to_string(tmp.join(CLIENT_GENERATED_DIR).join("mod.rs")).unwrap();
        let spec = fs::read_to_string(tmp.join(CLIENT_SPEC)).unwrap();
        assert!(mod_rs.contains(&replicate_codegen::spec_hash(&spec)));
        assert!(mod_rs.contains("pub const GENERATOR_VERSION"));

        // A change with no effect on the code still makes mod.rs stale (its SPEC_SHA256).
        fs::write(tmp.join(CLIENT_SPEC), format!("{spec}\n")).unwrap();
        assert_eq!(names(&tmp), vec!["mod.rs".to_string()]);

        // A real change (one more operation) makes the code stale too.
        let mut value: serde_json::Value = serde_json::from_str(&spec).unwrap();
        value["paths"]["/extra-for-test"] = serde_json::json!({"get": {
            "operationId": "extra.get", "responses": {"204": {"description": "ok"}}}});
        fs::write(
            tmp.join(CLIENT_SPEC),
            serde_json::to_string_pretty(&value).unwrap(),
        )
        .unwrap();
        let stale_names = names(&tmp);
        assert!(
            stale_names.contains(&"mod.rs".to_string()),
            "{stale_names:?}"
        );
        assert!(
            stale_names.contains(&"operations.rs".to_string()),
            "{stale_names:?}"
        );
        let _ = fs::remove_dir_all(tmp);
    }
}
