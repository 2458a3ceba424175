//! Generator errors: each one says what is wrong and where (file and JSON pointer).

use std::fmt;

/// What kind of problem stopped generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is neither JSON nor YAML.
    Syntax,
    /// The document does not have the shape of an OpenAPI description.
    Shape,
    /// A `$ref` points at nothing, or somewhere we cannot follow.
    UnresolvedRef,
    /// Schemas refer to each other in a loop that no Rust type can express.
    RefCycle,
    /// A construct the generator does not support (yet).
    Unsupported,
    /// Two different spec names would become the same Rust name.
    NameClash,
    /// Generated tokens did not parse as Rust (a generator bug).
    Internal,
}

/// A generation failure, with a JSON pointer into the spec (`#/paths/~1models/get`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What kind of problem this is.
    pub kind: ErrorKind,
    /// The spec file, when known.
    pub file: Option<String>,
    /// JSON pointer to the offending node, `#` for the document root.
    pub pointer: String,
    /// A sentence saying what is wrong.
    pub message: String,
}

impl Error {
    /// A new error of `kind` at `pointer`.
    pub fn new(kind: ErrorKind, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            kind,
            file: None,
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    /// Attaches the file the spec came from.
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ErrorKind::Syntax => "syntax error",
            ErrorKind::Shape => "not a valid OpenAPI document",
            ErrorKind::UnresolvedRef => "unresolvable $ref",
            ErrorKind::RefCycle => "reference cycle",
            ErrorKind::Unsupported => "unsupported construct",
            ErrorKind::NameClash => "name clash",
            ErrorKind::Internal => "internal generator error",
        };
        match &self.file {
            Some(file) => write!(f, "{file}: {kind} at {}: {}", self.pointer, self.message),
            None => write!(f, "{kind} at {}: {}", self.pointer, self.message),
        }
    }
}

impl std::error::Error for Error {}

/// Appends one reference token to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub fn push_pointer(base: &str, token: &str) -> String {
    let escaped = token.replace('~', "~0").replace('/', "~1");
    format!("{base}/{escaped}")
}

/// Result of generator steps.
pub type Result<T, E = Error> = std::result::Result<T, E>;
