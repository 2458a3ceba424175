//! Pinning a model version: the one implementation behind `cargo replicate add`/`update` and
//! this repository's `cargo xtask add-model`. Callers fetch the version (each with its own HTTP
//! client); this module checks it, says what changes for code using the old one, and writes
//! the file and its lock entry.

use crate::{lock, Error};
use replicate_codegen::diff::{Change, Severity};
use replicate_codegen::models::{generate_model, parse_model_file, schema_changes};
use std::fs;
use std::path::{Path, PathBuf};

/// A fetched version, checked and compared with what is pinned now; nothing written yet.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `owner/name`.
    pub model: String,
    /// Where the file goes: `<models dir>/<owner>/<name>.json`.
    pub path: PathBuf,
    /// The version pinned before, if the model was there.
    pub old_version: Option<String>,
    /// The fetched version.
    pub new_version: String,
    /// What changes for callers; each shows as `breaking: ..` or `compatible: ..`.
    pub changes: Vec<Change>,
    text: String,
}

impl Plan {
    /// True when code that compiled against the pinned version may not compile, or may send
    /// something else, against the new one.
    pub fn is_breaking(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.severity == Severity::Breaking)
    }

    /// True when the new version is the one already pinned, with the same schema.
    pub fn is_unchanged(&self) -> bool {
        self.old_version.as_deref() == Some(self.new_version.as_str()) && self.changes.is_empty()
    }
}

/// Splits `owner/name[:version]`.
pub fn parse_reference(reference: &str) -> Result<(String, String, Option<String>), Error> {
    let (model, version) = match reference.split_once(':') {
        Some((m, v)) => (m, Some(v.to_string())),
        None => (reference, None),
    };
    let bad = || Error::new(format!("{reference:?} is not `owner/name[:version]`"));
    let (owner, name) = model
        .split_once('/')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
        .ok_or_else(bad)?;
    if version.as_deref() == Some("") {
        return Err(bad());
    }
    // Owner and name become folder and file names: nothing that could leave the folder.
    let plain = |part: &str| {
        !part.starts_with('.')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let version_ok = version.as_deref().is_none_or(|v| {
        v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && plain(v)
    });
    if !plain(owner) || !plain(name) || !version_ok {
        return Err(Error::new(format!(
            "{reference:?}: owner, name and version may only hold letters, digits, `-`, `_` and `.` (not at the start)"
        )));
    }
    Ok((owner.to_string(), name.to_string(), version))
}

/// Checks a fetched model version (the API's JSON for `GET /models/{owner}/{name}/versions/{id}`)
/// and compares it with the file pinned in `models_dir`, if any.
pub fn plan(models_dir: &Path, owner: &str, name: &str, fetched: &str) -> Result<Plan, Error> {
    let value: serde_json::Value = serde_json::from_str(fetched)
        .map_err(|e| Error::new(format!("the version of {owner}/{name} is not JSON: {e}")))?;
    let text = serde_json::to_string_pretty(&value).map_err(|e| Error::new(e.to_string()))? + "\n";
    let path = models_dir.join(owner).join(format!("{name}.json"));
    let label = path.display().to_string();
    // Refuse anything the generator cannot read, before touching the folder.
    let new = parse_model_file(&text, &label, Some((owner, name)))?;
    generate_model(&new)?;
    let old = match fs::read_to_string(&path) {
        Ok(old_text) => Some(parse_model_file(&old_text, &label, Some((owner, name)))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("read", &path, e)),
    };
    Ok(Plan {
        model: format!("{owner}/{name}"),
        changes: old
            .as_ref()
            .map(|o| schema_changes(o, &new))
            .unwrap_or_default(),
        old_version: old.map(|o| o.version),
        new_version: new.version,
        path,
        text,
    })
}

/// Writes the planned file and pins it in the lock at `lock_path`.
pub fn apply(plan: &Plan, lock_path: &Path) -> Result<(), Error> {
    if let Some(parent) = plan.path.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
    }
    fs::write(&plan.path, &plan.text).map_err(|e| Error::io("write", &plan.path, e))?;
    let mut pins = lock::read(lock_path)?;
    pins.insert(
        plan.model.clone(),
        lock::LockEntry {
            version: plan.new_version.clone(),
            sha256: lock::file_hash(&plan.text),
        },
    );
    lock::write(lock_path, &pins)
}

/// A report of a plan for people: what was pinned, and what changes for callers.
pub fn describe(plan: &Plan) -> String {
    let mut out = match &plan.old_version {
        None => format!("{}: new, version {}", plan.model, plan.new_version),
        Some(old) if plan.changes.is_empty() => {
            format!(
                "{}: {old} → {}, no change for callers",
                plan.model, plan.new_version
            )
        }
        Some(old) => format!(
            "{}: {old} → {}, what changes for callers:",
            plan.model, plan.new_version
        ),
    };
    for c in &plan.changes {
        out.push_str(&format!("\n  {c}"));
    }
    out
}
