//! `models.lock`: one line per model, `owner/name <version id> sha256:<hash of its file>`, so
//! a schema file cannot change without the change being pinned (and reviewed).

use crate::sources::{read_source, schema_files};
use crate::Error;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// One pinned model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockEntry {
    /// Version id.
    pub version: String,
    /// SHA-256 of the model file.
    pub sha256: String,
}

/// The pins, by `owner/name`.
pub type Lock = BTreeMap<String, LockEntry>;

/// Reads the lock (empty when the file does not exist).
pub fn read(path: &Path) -> Result<Lock, Error> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Lock::new()),
        Err(e) => return Err(Error::io("read", path, e)),
    };
    let mut out = Lock::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            [model, version, hash] if hash.starts_with("sha256:") => {
                out.insert(
                    model.to_string(),
                    LockEntry {
                        version: version.to_string(),
                        sha256: hash["sha256:".len()..].to_string(),
                    },
                );
            }
            _ => {
                return Err(Error::new(format!(
                    "{}:{}: expected `owner/name <version> sha256:<hash>`",
                    path.display(),
                    n + 1
                )))
            }
        }
    }
    Ok(out)
}

/// Writes the lock.
pub fn write(path: &Path, lock: &Lock) -> Result<(), Error> {
    let mut text = String::from(
        "# Pinned model versions: `owner/name <version id> sha256:<hash of the model's file>`.\n\
         # Written by `cargo replicate add`/`update`; checked by `cargo replicate check` and builds.\n",
    );
    for (model, e) in lock {
        text.push_str(&format!("{model} {} sha256:{}\n", e.version, e.sha256));
    }
    fs::write(path, text).map_err(|e| Error::io("write", path, e))
}

/// SHA-256 of a model file, line endings normalised, so a checkout with CRLF endings (git's
/// `autocrlf`) pins the same hash as one with LF.
pub fn file_hash(text: &str) -> String {
    replicate_codegen::spec_hash(&text.replace("\r\n", "\n"))
}

/// The lock entry the file at `path` should have.
pub fn entry_for(models_dir: &Path, path: &Path) -> Result<(String, LockEntry), Error> {
    let text = fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    let label = crate::sources::label(path, models_dir);
    let src = read_source(models_dir, path, &label)?;
    Ok((
        format!("{}/{}", src.owner, src.name),
        LockEntry {
            version: src.version,
            sha256: file_hash(&text),
        },
    ))
}

/// Where the files of `models_dir` and the lock at `lock_path` disagree (empty when they
/// agree). Without a lock file nothing is pinned, so nothing can disagree.
pub fn check(models_dir: &Path, lock_path: &Path) -> Result<Vec<String>, Error> {
    if !lock_path.exists() {
        return Ok(Vec::new());
    }
    let lock = read(lock_path)?;
    let shown = lock_path.display();
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for path in schema_files(models_dir)? {
        let (key, want) = entry_for(models_dir, &path)?;
        match lock.get(&key) {
            None => problems.push(format!(
                "{key} ({}): not pinned in {shown}",
                path.display()
            )),
            Some(e) if *e != want => problems.push(format!(
                "{key} ({}): {shown} pins version {} sha256:{}, but the file has version {} sha256:{}",
                path.display(),
                e.version,
                e.sha256,
                want.version,
                want.sha256
            )),
            Some(_) => {}
        }
        seen.push(key);
    }
    for key in lock.keys().filter(|k| !seen.contains(k)) {
        problems.push(format!(
            "{key}: pinned in {shown}, but {} has no file for it",
            models_dir.display()
        ));
    }
    Ok(problems)
}

/// Rewrites the lock from the files in `models_dir`; returns how many models it pins.
pub fn relock(models_dir: &Path, lock_path: &Path) -> Result<usize, Error> {
    let mut lock = Lock::new();
    for path in schema_files(models_dir)? {
        let (key, entry) = entry_for(models_dir, &path)?;
        lock.insert(key, entry);
    }
    write(lock_path, &lock)?;
    Ok(lock.len())
}
