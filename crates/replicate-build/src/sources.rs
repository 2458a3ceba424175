//! Finding and reading model schema files in a folder.

use crate::Error;
use replicate_codegen::models::{parse_model_file, ModelSource};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `*.json` below `dir` (the lock and hidden files aside), sorted.
pub fn schema_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = fs::read_dir(&d).map_err(|e| Error::io("read the folder", &d, e))?;
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
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

/// Owner and name from the path: `<owner>/<name>.json` below `root`, or `owner__name.json`.
/// `None` when the path does not say (the file must then name its model itself).
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

/// Reads one model file: the format of `spec/models/` (a model version as the API returns it),
/// a bare Cog `openapi_schema`, or the corpus shape naming its `model`.
pub fn read_source(root: &Path, path: &Path, label: &str) -> Result<ModelSource, Error> {
    let text = fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    let on = owner_name_from_path(root, path);
    parse_model_file(
        &text,
        label,
        on.as_ref().map(|(o, n)| (o.as_str(), n.as_str())),
    )
    .map_err(Error::from)
}

/// Reads every model file below `dir`; labels are paths relative to `label_root`.
pub fn load_sources(dir: &Path, label_root: &Path) -> Result<Vec<ModelSource>, Error> {
    schema_files(dir)?
        .iter()
        .map(|path| read_source(dir, path, &label(path, label_root)))
        .collect()
}

/// `path` relative to `root` when below it, with forward slashes.
pub fn label(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
        .replace('\\', "/")
}
