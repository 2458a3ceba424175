//! `multipart/form-data` bodies (feature `multipart`, on by default): kept as data, so a form
//! can be rebuilt for every attempt, and turned into reqwest's form when sent.

use crate::error::Error;
use bytes::Bytes;
use std::fmt;

/// A file sent as a multipart part.
#[derive(Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The content.
    pub bytes: Bytes,
    /// File name sent in `Content-Disposition`.
    pub filename: Option<String>,
    /// Content type of the part.
    pub content_type: Option<String>,
}

impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilePart")
            .field("len", &self.bytes.len())
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl FilePart {
    /// A file from bytes.
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        FilePart {
            bytes: bytes.into(),
            filename: None,
            content_type: None,
        }
    }

    /// Sets the file name.
    pub fn filename(mut self, name: impl Into<String>) -> Self {
        self.filename = Some(name.into());
        self
    }

    /// Sets the content type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }
}

impl From<Vec<u8>> for FilePart {
    fn from(bytes: Vec<u8>) -> Self {
        FilePart::new(bytes)
    }
}

impl From<Bytes> for FilePart {
    fn from(bytes: Bytes) -> Self {
        FilePart::new(bytes)
    }
}

#[derive(Debug, Clone)]
enum PartValue {
    Text(String),
    Json(String),
    File(FilePart),
}

/// A `multipart/form-data` body kept as data, so it can be rebuilt for every attempt.
#[derive(Debug, Clone, Default)]
pub struct MultipartForm {
    parts: Vec<(&'static str, PartValue)>,
}

impl MultipartForm {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text part.
    pub fn text(&mut self, name: &'static str, value: String) {
        self.parts.push((name, PartValue::Text(value)));
    }

    /// Adds a JSON part (`application/json`).
    pub fn json<T: serde::Serialize>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let text = serde_json::to_string(value).map_err(|e| {
            Error::InvalidRequest(format!("cannot encode form field `{name}`: {e}"))
        })?;
        self.parts.push((name, PartValue::Json(text)));
        Ok(())
    }

    /// Adds a file part.
    pub fn file(&mut self, name: &'static str, file: FilePart) {
        self.parts.push((name, PartValue::File(file)));
    }

    /// The names of the parts, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.parts.iter().map(|(n, _)| *n)
    }

    /// Builds a fresh `reqwest` form.
    pub fn to_reqwest(&self) -> Result<reqwest::multipart::Form, Error> {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in &self.parts {
            let part = match value {
                PartValue::Text(t) => reqwest::multipart::Part::text(t.clone()),
                PartValue::Json(t) => reqwest::multipart::Part::text(t.clone())
                    .mime_str("application/json")
                    .map_err(|e| Error::InvalidRequest(e.to_string()))?,
                PartValue::File(f) => {
                    let mut part =
                        reqwest::multipart::Part::stream(reqwest::Body::from(f.bytes.clone()))
                            .file_name(f.filename.clone().unwrap_or_else(|| "file".to_string()));
                    if let Some(ct) = &f.content_type {
                        part = part.mime_str(ct).map_err(|e| {
                            Error::InvalidRequest(format!(
                                "invalid content type {ct:?} for `{name}`: {e}"
                            ))
                        })?;
                    }
                    part
                }
            };
            form = form.part(*name, part);
        }
        Ok(form)
    }
}
