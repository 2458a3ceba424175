//! Typed Replicate models for your own crate, from a build script (the prost-build pattern).
//!
//! Put model schemas in a folder (`replicate/<owner>/<name>.json`: a model version as the API
//! returns it, which `cargo replicate add owner/name` writes for you, or a bare Cog
//! `openapi_schema`), then:
//!
//! ```no_run
//! // build.rs, in `fn main()`:
//! replicate_build::compile_models("replicate").unwrap();
//! ```
//!
//! ```ignore
//! // src/main.rs
//! replicate_typed::include_models!();
//! // or: include!(concat!(env!("OUT_DIR"), "/replicate_models.rs"));
//! ```
//!
//! Each model becomes `owner::model::{Input, Output}` plus a marker type; a bad schema fails
//! the build with the file and JSON pointer. [`Builder`] takes options: a wrapping module,
//! which models, the name the crate uses for `replicate-typed`.

#![deny(missing_docs)]

pub mod lock;
pub mod pin;
pub mod sources;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// The file written into `OUT_DIR`.
pub const MODELS_FILE: &str = "replicate_models.rs";

/// The lock file's name inside the models folder.
pub const LOCK_FILE: &str = "models.lock";

/// What went wrong, with the file and JSON pointer when a schema is at fault. Its `Debug` is
/// its message, so `compile_models(..).unwrap()` in a build script prints it readably.
pub struct Error {
    message: String,
}

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
        }
    }

    pub(crate) fn io(what: &str, path: &Path, e: std::io::Error) -> Error {
        Error::new(format!("cannot {what} {}: {e}", path.display()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<replicate_codegen::Error> for Error {
    fn from(e: replicate_codegen::Error) -> Error {
        Error::new(e.to_string())
    }
}

/// Generates typed models from every schema in `dir` (relative to the crate root) into
/// `$OUT_DIR/replicate_models.rs`. Shorthand for `Builder::new(dir).compile()`.
pub fn compile_models(dir: impl AsRef<Path>) -> Result<Compiled, Error> {
    Builder::new(dir).compile()
}

/// What [`Builder::compile`] wrote.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The file written (or already up to date).
    pub path: PathBuf,
    /// Number of models.
    pub models: usize,
    /// Fields typed as `serde_json::Value` because no Rust type fits, each naming the model
    /// and JSON pointer (also listed at the top of the file).
    pub warnings: Vec<String>,
}

/// Options for generating typed models.
#[derive(Debug, Clone)]
pub struct Builder {
    dir: PathBuf,
    module: Option<String>,
    models: Option<Vec<String>>,
    runtime_crate: String,
    out_dir: Option<PathBuf>,
    cargo_output: bool,
}

impl Builder {
    /// Models from the schemas in `dir` (relative to the crate root in a build script).
    pub fn new(dir: impl AsRef<Path>) -> Builder {
        Builder {
            dir: dir.as_ref().to_path_buf(),
            module: None,
            models: None,
            runtime_crate: "replicate_typed".into(),
            out_dir: None,
            cargo_output: true,
        }
    }

    /// Wraps the models in `pub mod <name> { .. }` (default: none, the owner modules are at
    /// the top of the included file).
    pub fn module(mut self, name: impl Into<String>) -> Builder {
        self.module = Some(name.into());
        self
    }

    /// Only these models (`owner/name`); each must have a schema in the folder.
    pub fn models<S: Into<String>>(mut self, models: impl IntoIterator<Item = S>) -> Builder {
        self.models = Some(models.into_iter().map(Into::into).collect());
        self
    }

    /// The name the crate knows `replicate-typed` by, when the dependency is renamed
    /// (`replicate = { package = "replicate-typed", .. }` → `"replicate"`).
    pub fn runtime_crate(mut self, name: impl Into<String>) -> Builder {
        self.runtime_crate = name.into();
        self
    }

    /// Writes into this folder instead of `$OUT_DIR`.
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Builder {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Whether to print `cargo:rerun-if-changed` lines (default: yes; turn off outside build
    /// scripts).
    pub fn cargo_output(mut self, on: bool) -> Builder {
        self.cargo_output = on;
        self
    }

    fn resolved_dir(&self) -> PathBuf {
        match std::env::var_os("CARGO_MANIFEST_DIR") {
            Some(root) if self.dir.is_relative() => Path::new(&root).join(&self.dir),
            _ => self.dir.clone(),
        }
    }

    /// The file's text, without writing it (nor printing anything for cargo).
    pub fn generate(&self) -> Result<replicate_codegen::ModelsFile, Error> {
        self.generate_with(|_| {})
    }

    fn generate_with(
        &self,
        mut seen: impl FnMut(&Path),
    ) -> Result<replicate_codegen::ModelsFile, Error> {
        let dir = self.resolved_dir();
        if !dir.is_dir() {
            return Err(Error::new(format!(
                "the models folder {} does not exist (add a model with `cargo replicate add owner/name`)",
                dir.display()
            )));
        }
        seen(&dir);
        let lock_path = dir.join(LOCK_FILE);
        if lock_path.exists() {
            seen(&lock_path);
        }
        let files = sources::schema_files(&dir)?;
        let root = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_default();
        let mut loaded = Vec::new();
        for path in &files {
            seen(path);
            loaded.push(sources::read_source(
                &dir,
                path,
                &sources::label(path, &root),
            )?);
        }
        if let Some(wanted) = &self.models {
            for w in wanted {
                if !loaded
                    .iter()
                    .any(|s| &format!("{}/{}", s.owner, s.name) == w)
                {
                    return Err(Error::new(format!(
                        "model {w} was asked for, but {} has no schema for it",
                        dir.display()
                    )));
                }
            }
            loaded.retain(|s| wanted.contains(&format!("{}/{}", s.owner, s.name)));
        }
        if loaded.is_empty() {
            return Err(Error::new(format!(
                "no model schemas (`*.json`) in {}",
                dir.display()
            )));
        }
        let problems = lock::check(&dir, &lock_path)?;
        if !problems.is_empty() {
            return Err(Error::new(format!(
                "the model files disagree with {} (run `cargo replicate check`):\n  {}",
                lock_path.display(),
                problems.join("\n  ")
            )));
        }
        let opts = replicate_codegen::ModelsFileOptions {
            module: self.module.clone(),
            runtime_crate: self.runtime_crate.clone(),
            command: format!("replicate-build from {}", self.dir.display()),
        };
        Ok(replicate_codegen::generate_models_file(&loaded, &opts)?)
    }

    /// Generates and writes `replicate_models.rs` (only when its text changed), telling cargo
    /// to run the build script again when a schema, the folder or the lock changes.
    pub fn compile(&self) -> Result<Compiled, Error> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or_else(|| {
                Error::new(
                    "OUT_DIR is not set: call this from a build script, or set Builder::out_dir",
                )
            })?),
        };
        let print = self.cargo_output;
        let file = self.generate_with(|path| {
            if print {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        })?;
        let path = out_dir.join(MODELS_FILE);
        if fs::read_to_string(&path).ok().as_deref() != Some(file.contents.as_str()) {
            fs::create_dir_all(&out_dir).map_err(|e| Error::io("create", &out_dir, e))?;
            fs::write(&path, &file.contents).map_err(|e| Error::io("write", &path, e))?;
        }
        Ok(Compiled {
            path,
            models: file.models,
            warnings: file.warnings,
        })
    }
}
