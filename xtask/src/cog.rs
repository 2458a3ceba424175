//! Cog (Replicate's model packager) for the end-to-end tests, without Docker.
//!
//! - `provision` creates two Python venvs under `.cache/cog/`: `v016` with `cog==0.16.12`, the
//!   last release whose pip package can generate a predictor's OpenAPI schema, and `v023` with
//!   `cog==0.23.1`, which brings `coglet`, the prediction server the tests run.
//! - `schemas` regenerates `tests/cog/<name>/openapi_schema.json` from each test predictor with
//!   the `v016` venv, or with `check` reports which committed fixtures are stale.
//!
//! See `shared/notes/cog-findings.md` for why two versions are needed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The venvs: directory under `.cache/cog/` and the pip requirement installed into it.
pub const VENVS: [(&str, &str); 2] = [("v016", "cog==0.16.12"), ("v023", "cog==0.23.1")];

/// Written into a venv once its install succeeded; holds the requirement.
const MARKER: &str = "xtask-installed";

/// `.cache/cog/<dir>` under the workspace root.
pub fn venv_dir(root: &Path, dir: &str) -> PathBuf {
    root.join(".cache/cog").join(dir)
}

/// Installs every Cog venv that is missing.
pub fn provision(root: &Path) -> Result<(), String> {
    for (dir, requirement) in VENVS {
        provision_one(root, dir, requirement)?;
    }
    Ok(())
}

/// Creates `.cache/cog/<dir>` with `requirement` installed, unless its marker says it is there.
fn provision_one(root: &Path, dir: &str, requirement: &str) -> Result<(), String> {
    let venv = venv_dir(root, dir);
    let marker = venv.join(MARKER);
    let label = format!(".cache/cog/{dir}");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m.trim() == requirement) {
        println!("xtask: {requirement} already installed in {label}");
        return Ok(());
    }
    println!("xtask: installing {requirement} into {label} ...");
    let start = Instant::now();
    // A venv without the marker is a failed or older install: start again.
    if venv.exists() {
        std::fs::remove_dir_all(&venv)
            .map_err(|e| format!("cannot remove {}: {e}", venv.display()))?;
    }
    std::fs::create_dir_all(venv.parent().unwrap_or(root))
        .map_err(|e| format!("cannot create .cache/cog: {e}"))?;
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let status = Command::new(&python)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .map_err(|e| format!("cannot run {python} (Python 3 is needed for the Cog tests): {e}"))?;
    if !status.success() {
        return Err(format!("`{python} -m venv {label}` failed ({status})"));
    }
    let status = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            requirement,
        ])
        .status()
        .map_err(|e| format!("cannot run pip in {label}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`pip install {requirement}` into {label} failed ({status}); \
             PyPI must be reachable (pip's own output is above)"
        ));
    }
    std::fs::write(&marker, format!("{requirement}\n"))
        .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    println!(
        "xtask: installed {requirement} into {label} in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The test predictors: every directory under `tests/cog/` that has a `cog.yaml`, by name.
pub fn predictors(root: &Path) -> Result<Vec<PathBuf>, String> {
    let base = root.join("tests/cog");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&base)
        .map_err(|e| format!("cannot read {}: {e}", base.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("cog.yaml").is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The schema of the predictor in `dir`, as committed: `tests/cog/schema.py` runs Cog 0.16.12's
/// `python -m cog.command.openapi_schema` there and prints it with sorted keys.
pub fn generate_schema(root: &Path, dir: &Path) -> Result<String, String> {
    let python = venv_dir(root, "v016").join("bin/python");
    let output = Command::new(&python)
        .arg(root.join("tests/cog/schema.py"))
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !output.status.success() {
        return Err(format!(
            "schema generation failed in {}:\n{}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("schema is not UTF-8: {e}"))
}

/// `cargo xtask cog-schemas [--check]`: provisions the venvs, then writes (or checks) every
/// predictor's `openapi_schema.json`.
pub fn schemas(check: bool) -> Result<(), String> {
    let root = crate::paths::workspace_root();
    provision(&root)?;
    let mut stale = Vec::new();
    for dir in predictors(&root)? {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let fresh = generate_schema(&root, &dir)?;
        let path = dir.join("openapi_schema.json");
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == fresh {
            println!("xtask: tests/cog/{name}/openapi_schema.json is current");
            continue;
        }
        if check {
            stale.push(name);
        } else {
            std::fs::write(&path, &fresh)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("xtask: wrote tests/cog/{name}/openapi_schema.json");
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "stale Cog schema fixtures (run `cargo xtask cog-schemas`): {}",
            stale.join(", ")
        ))
    }
}
