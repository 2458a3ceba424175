//! File helpers shared by the commands: writing generated files only when they changed,
//! listing a folder, relative paths for manifests, and short diffs for `--check` reports.

use replicate_codegen::GeneratedFile;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Every file below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A unified diff of at most `max_lines` lines.
pub fn short_diff(current: &str, expected: &str, max_lines: usize) -> String {
    let diff = similar::TextDiff::from_lines(current, expected);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header("committed", "generated")
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut out: String = lines
        .iter()
        .take(max_lines)
        .map(|l| format!("    {l}\n"))
        .collect();
    if lines.len() > max_lines {
        out.push_str(&format!(
            "    ... {} more diff lines\n",
            lines.len() - max_lines
        ));
    }
    out
}

/// Writes generated files below `out`, skipping those already identical; with `check`, writes
/// nothing and returns the stale ones instead. Returns (files written, stale files).
pub fn write_files(
    out: &Path,
    files: &[GeneratedFile],
    check: bool,
) -> Result<(usize, Vec<String>), String> {
    let mut written = 0;
    let mut stale = Vec::new();
    for f in files {
        let path = out.join(&f.path);
        if fs::read_to_string(&path).ok().as_deref() == Some(f.contents.as_str()) {
            continue;
        }
        if check {
            stale.push(f.path.clone());
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::write(&path, &f.contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written += 1;
    }
    Ok((written, stale))
}

/// `to` relative to `from` (both absolute), or `to` itself when there is no common root.
pub fn relative_path(from: &Path, to: &Path) -> String {
    let to = fs::canonicalize(to).unwrap_or_else(|_| to.to_path_buf());
    let from: Vec<Component> = from.components().collect();
    let to_c: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to_c).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return to.display().to_string();
    }
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to_c[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_path(Path::new("/a/b/c"), Path::new("/a/x")),
            "../../x"
        );
    }
}
