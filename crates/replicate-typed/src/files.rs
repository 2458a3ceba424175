//! Files: upload from a path, bytes or a reader; turn a local file into a model input (a data
//! URL when small, an upload when not); download outputs as a byte stream, to a writer or to a
//! path.

use crate::runtime::{Bytes, FilePart, RequestSpec};
use crate::types::{FileResponse, FilesCreateRequest};
use crate::Client;
use crate::Error;
use base64::Engine;
use futures_util::{Stream, StreamExt};
use replicate_runtime::transport;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Files up to this size become data URLs; larger ones are uploaded (Replicate's advice).
pub const DATA_URL_LIMIT: usize = 256 * 1024;

/// A file given as a model input.
#[derive(Clone, PartialEq, Eq)]
pub enum FileInput {
    /// Already reachable: an `https://` or `data:` URL.
    Url(String),
    /// A local file, read when the input is resolved.
    Path(PathBuf),
    /// Bytes in memory, with an optional file name and content type.
    Bytes(FilePart),
}

impl std::fmt::Debug for FileInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileInput::Url(u) if u.starts_with("data:") => {
                write!(f, "Url(data: {} chars)", u.len())
            }
            FileInput::Url(u) => f.debug_tuple("Url").field(u).finish(),
            FileInput::Path(p) => f.debug_tuple("Path").field(p).finish(),
            FileInput::Bytes(b) => f.debug_tuple("Bytes").field(b).finish(),
        }
    }
}

impl FileInput {
    /// A file already online: an `http(s)://` or `data:` URL (anything else is refused before
    /// sending, naming the input).
    pub fn url(url: impl Into<String>) -> Self {
        FileInput::Url(url.into())
    }

    /// A local file, read (and inlined or uploaded) when the input is sent.
    pub fn path(path: impl AsRef<Path>) -> Self {
        FileInput::Path(path.as_ref().to_path_buf())
    }

    /// Bytes in memory.
    pub fn bytes(file: impl Into<FilePart>) -> Self {
        FileInput::Bytes(file.into())
    }
}

/// A string is a URL, never a file name: `"song.mp3"` is refused before sending (use
/// [`FileInput::path`] for a local file).
impl From<&str> for FileInput {
    fn from(url: &str) -> Self {
        FileInput::Url(url.to_string())
    }
}

/// A string is a URL, never a file name (see `From<&str>`).
impl From<String> for FileInput {
    fn from(url: String) -> Self {
        FileInput::Url(url)
    }
}

impl From<PathBuf> for FileInput {
    fn from(path: PathBuf) -> Self {
        FileInput::Path(path)
    }
}

impl From<&Path> for FileInput {
    fn from(path: &Path) -> Self {
        FileInput::Path(path.to_path_buf())
    }
}

impl From<reqwest::Url> for FileInput {
    fn from(url: reqwest::Url) -> Self {
        FileInput::Url(url.into())
    }
}

/// Refuses a URL input that is not `http(s)://` or `data:`, naming the input: a file name
/// passed as a string (`"song.mp3"`) must not be sent as if it were a URL.
pub(crate) fn check_url(field: &str, url: &str) -> Result<(), Error> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let ok =
        lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("data:");
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput {
            field: field.to_string(),
            message: format!(
                "{:?} is not an http(s):// or data: URL; for a local file use FileInput::path(..)",
                crate::snippet(url.as_bytes())
            ),
        })
    }
}

impl From<FilePart> for FileInput {
    fn from(file: FilePart) -> Self {
        FileInput::Bytes(file)
    }
}

/// Sends the URL. Bytes are inlined as a data URL; a path must be resolved first
/// ([`Client::file_input_url`], done by `client.run(input)`), so serialising one fails.
impl serde::Serialize for FileInput {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            FileInput::Url(url) => serializer.serialize_str(url),
            FileInput::Bytes(file) => serializer.serialize_str(&data_url(file)),
            FileInput::Path(path) => Err(serde::ser::Error::custom(format!(
                "the file {} must be uploaded or inlined before sending (client.file_input_url)",
                path.display()
            ))),
        }
    }
}

impl<'de> serde::Deserialize<'de> for FileInput {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <String as serde::Deserialize>::deserialize(d).map(FileInput::Url)
    }
}

/// How local files become inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileStrategy {
    /// Data URL up to [`DATA_URL_LIMIT`], upload above (the default).
    #[default]
    Auto,
    /// Always a data URL (no upload, however large).
    DataUrl,
    /// Always upload through the files API.
    Upload,
}

/// A stream of downloaded bytes.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, Error>> + Send>>;

fn guess_content_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "flac" => "audio/flac",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "txt" => "text/plain",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "tar" => "application/x-tar",
        _ => "application/octet-stream",
    }
}

async fn read_path(path: &Path) -> Result<FilePart, Error> {
    let bytes = tokio::fs::read(path).await.map_err(|source| Error::Io {
        context: format!("cannot read {}", path.display()),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    Ok(FilePart::new(bytes)
        .content_type(guess_content_type(&name))
        .filename(name))
}

/// The bytes of a `data:` URL (base64 or percent-encoded).
pub fn decode_data_url(url: &str) -> Result<Bytes, Error> {
    let bad = |why: String| Error::decode("files.download", ".", format!("bad data: URL: {why}"));
    let rest = &url["data:".len()..];
    let (meta, payload) = rest
        .split_once(',')
        .ok_or_else(|| bad("no `,` before the data".into()))?;
    if meta.to_ascii_lowercase().ends_with(";base64") {
        base64::engine::general_purpose::STANDARD
            .decode(payload.trim())
            .map(Bytes::from)
            .map_err(|e| bad(e.to_string()))
    } else {
        // Percent-encoded text.
        Ok(Bytes::from(
            percent_encoding::percent_decode_str(payload).collect::<Vec<u8>>(),
        ))
    }
}

/// `data:<type>;base64,<bytes>`.
pub fn data_url(file: &FilePart) -> String {
    let content_type = file
        .content_type
        .as_deref()
        .unwrap_or("application/octet-stream");
    format!(
        "data:{content_type};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&file.bytes)
    )
}

impl Client {
    /// Uploads bytes through the files API.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_typed::Client) -> Result<(), replicate_typed::Error> {
    /// use replicate_typed::runtime::FilePart;
    /// let file = client.upload(FilePart::new(b"hello".to_vec()).filename("hello.txt").content_type("text/plain")).await?;
    /// println!("{}", file.id);
    /// # Ok(()) }
    /// ```
    pub async fn upload(&self, file: FilePart) -> Result<FileResponse, Error> {
        let mut body = FilesCreateRequest::new(file.clone());
        body.filename = file.filename.clone();
        body.type_ = file.content_type.clone();
        self.files().create(body).await
    }

    /// Uploads a local file (name and content type from the path).
    pub async fn upload_path(&self, path: impl AsRef<Path>) -> Result<FileResponse, Error> {
        self.upload(read_path(path.as_ref()).await?).await
    }

    /// Uploads everything a reader yields.
    pub async fn upload_reader(
        &self,
        mut reader: impl AsyncRead + Unpin,
        filename: impl Into<String>,
        content_type: impl Into<String>,
    ) -> Result<FileResponse, Error> {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .await
            .map_err(|source| Error::Io {
                context: "cannot read the upload".into(),
                source,
            })?;
        self.upload(
            FilePart::new(bytes)
                .filename(filename)
                .content_type(content_type),
        )
        .await
    }

    /// Turns a file input into the URL a model input takes.
    ///
    /// ```no_run
    /// # async fn demo(client: replicate_typed::Client) -> Result<(), replicate_typed::Error> {
    /// use replicate_typed::{FileInput, FileStrategy};
    /// let url = client.file_input_url(FileInput::Path("cat.png".into()), FileStrategy::Auto).await?;
    /// # Ok(()) }
    /// ```
    pub async fn file_input_url(
        &self,
        input: FileInput,
        strategy: FileStrategy,
    ) -> Result<String, Error> {
        let file = match input {
            FileInput::Url(url) => return Ok(url),
            FileInput::Path(path) => read_path(&path).await?,
            FileInput::Bytes(file) => file,
        };
        let upload = match strategy {
            FileStrategy::Auto => file.bytes.len() > DATA_URL_LIMIT,
            FileStrategy::DataUrl => false,
            FileStrategy::Upload => true,
        };
        if !upload {
            return Ok(data_url(&file));
        }
        let uploaded = self.upload(file).await?;
        uploaded.urls.get.ok_or_else(|| {
            Error::InvalidRequest(format!("uploaded file {} has no URL", uploaded.id))
        })
    }

    /// Downloads a URL (an output file) as a stream of bytes: the whole, decoded object, or
    /// an error.
    ///
    /// One path for every download: the token is sent only to the API's own origin; redirects
    /// to another origin are followed (never with the token); the head is retried like any
    /// GET (502/503/504, resets, refused connections, 429 with its `Retry-After`, the
    /// client-wide throttle) and must arrive within the client's
    /// [`timeout`](crate::ClientBuilder::timeout); the body may pause for at most its
    /// [`idle_timeout`](crate::ClientBuilder::idle_timeout), and the client's
    /// [`deadline`](crate::ClientBuilder::deadline) (or a run's) bounds it all. Only a `200`
    /// (or `203`) is a file: a `206 Partial Content` to a request without `Range` is not.
    /// `gzip` and `deflate` bodies are decoded; another `Content-Encoding` is refused. A body
    /// shorter than its `Content-Length` ends with an error, never as a shorter file.
    pub async fn download(&self, url: &str) -> Result<ByteStream, Error> {
        const OP: &str = "files.download";
        // A model may return small files inline: nothing to fetch (and no request to send).
        if url
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case("data:"))
        {
            let bytes = decode_data_url(url)?;
            return Ok(Box::pin(futures_util::stream::once(
                async move { Ok(bytes) },
            )));
        }
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(Error::InvalidRequest(format!(
                "cannot download {:?}: not an http(s) or data: URL",
                crate::snippet(url.as_bytes())
            )));
        }
        let mut request = RequestSpec::new("GET", url.to_string(), OP);
        // No overall timeout per attempt: a large file takes as long as it takes while bytes
        // flow (the idle timeout and any deadline still bound it).
        request.timeout = Some(std::time::Duration::ZERO);
        request.cross_origin_redirects = true;
        let deadline = self.deadline_from_now();
        let response = self
            .open(&request, self.timeout(), self.idle_timeout())
            .await?;
        let status = response.status().as_u16();
        if !matches!(status, 200 | 203) {
            return Err(Error::Protocol {
                operation: OP,
                message: format!(
                    "HTTP {status} is not a whole file{}",
                    if status == 206 {
                        " (206 Partial Content answers a Range request, and none was sent)"
                    } else {
                        ""
                    }
                ),
            });
        }
        // Still set only when the body is not re-encoded by decompression.
        let declared = response.content_length();
        let idle = self.idle_timeout();
        let body = response.bytes_stream();
        // Each chunk must arrive within the idle timeout (and the deadline); the stream ends at
        // the first error, and a body that ends short of its length is an error.
        Ok(Box::pin(futures_util::stream::try_unfold(
            (body, 0u64),
            move |(mut body, received)| async move {
                let mut wait = idle;
                if let Some(deadline) = deadline {
                    let left = deadline.remaining();
                    if left.is_zero() {
                        return Err(deadline.exceeded(OP));
                    }
                    wait = if wait.is_zero() { left } else { wait.min(left) };
                }
                let next = if wait.is_zero() {
                    body.next().await
                } else {
                    match tokio::time::timeout(wait, body.next()).await {
                        Ok(next) => next,
                        Err(_) => {
                            return Err(match deadline.filter(|d| d.passed()) {
                                Some(deadline) => deadline.exceeded(OP),
                                None => Error::Timeout { operation: OP },
                            })
                        }
                    }
                };
                match next {
                    Some(chunk) => {
                        let chunk = chunk.map_err(|e| transport(OP, e))?;
                        let received = received + chunk.len() as u64;
                        if let Some(n) = declared.filter(|n| received > *n) {
                            return Err(length_mismatch(n, received, "passed"));
                        }
                        Ok(Some((chunk, (body, received))))
                    }
                    None => match declared.filter(|n| received != *n) {
                        Some(n) => Err(length_mismatch(n, received, "ended at")),
                        None => Ok(None),
                    },
                }
            },
        )))
    }

    /// Downloads a URL into a writer; returns the number of bytes written.
    pub async fn download_to_writer(
        &self,
        url: &str,
        writer: &mut (impl AsyncWrite + Unpin),
    ) -> Result<u64, Error> {
        let mut stream = self.download(url).await?;
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            writer.write_all(&chunk).await.map_err(|source| Error::Io {
                context: format!("cannot write the download of {url}"),
                source,
            })?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(|source| Error::Io {
            context: "cannot flush the download".into(),
            source,
        })?;
        Ok(written)
    }

    /// Downloads a URL to a file. The bytes go to a temporary file of its own beside `path`
    /// (unique per download, so concurrent downloads never share one), which becomes `path`
    /// only when complete; on error or when the future is dropped it is removed, so `path`
    /// never holds a partial file.
    pub async fn download_to_path(&self, url: &str, path: impl AsRef<Path>) -> Result<u64, Error> {
        let path = path.as_ref();
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".part");
        // The finished file gets the permissions any new file would (0666 less the umask),
        // not the 0600 of a temporary file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(dir).map_err(|source| Error::Io {
            context: format!("cannot create a temporary file in {}", dir.display()),
            source,
        })?;
        let io = |what: &str, source| Error::Io {
            context: format!("cannot {what} {}", temp.path().display()),
            source,
        };
        // A second handle for async writes; `temp` keeps ownership of the name, and deletes
        // it when dropped (error, cancellation) unless persisted.
        let handle = temp.reopen().map_err(|e| io("open", e))?;
        let mut file = tokio::fs::File::from_std(handle);
        let written = self.download_to_writer(url, &mut file).await?;
        file.sync_all().await.map_err(|e| io("sync", e))?;
        drop(file);
        temp.persist(path).map_err(|e| Error::Io {
            context: format!("cannot move the download to {}", path.display()),
            source: e.error,
        })?;
        Ok(written)
    }
}

/// The error for a body whose length is not the one its `Content-Length` declared.
fn length_mismatch(declared: u64, received: u64, how: &str) -> Error {
    Error::Protocol {
        operation: "files.download",
        message: format!(
            "the body {how} {received} bytes where its Content-Length said {declared}: not a whole file"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_decode() {
        assert_eq!(
            &decode_data_url("data:text/plain;base64,aGk=").unwrap()[..],
            b"hi"
        );
        assert_eq!(&decode_data_url("data:,a%20b%zz").unwrap()[..], b"a b%zz");
        assert!(decode_data_url("data:text/plain;base64").is_err());
        assert!(decode_data_url("data:;base64,!!!").is_err());
    }

    #[tokio::test]
    async fn data_urls_download_without_a_request() {
        let client = Client::builder()
            .base_url("http://127.0.0.1:9/v1")
            .build()
            .unwrap();
        let mut out = Vec::new();
        let n = client
            .download_to_writer("data:text/plain;base64,aGk=", &mut out)
            .await
            .unwrap();
        assert_eq!((n, &out[..]), (2, &b"hi"[..]));
        assert!(client.download("relative/path.png").await.is_err());
    }

    #[test]
    fn url_inputs_must_be_urls() {
        assert!(check_url("image", "https://x/y.png").is_ok());
        assert!(check_url("image", "HTTP://x/y.png").is_ok());
        assert!(check_url("image", "data:image/png;base64,AA==").is_ok());
        let e = check_url("song", "song.mp3").unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput { field, .. } if field == "song"),
            "{e}"
        );
        assert!(e.to_string().contains("FileInput::path"), "{e}");
        assert!(check_url("f", "file:///etc/passwd").is_err());
        assert_eq!(FileInput::path("a.png"), FileInput::Path("a.png".into()));
        assert_eq!(
            FileInput::from(Path::new("a.png")),
            FileInput::Path("a.png".into())
        );
        assert_eq!(
            FileInput::url("https://x"),
            FileInput::Url("https://x".into())
        );
    }

    #[test]
    fn data_urls() {
        let f = FilePart::new(b"hi".to_vec()).content_type("text/plain");
        assert_eq!(data_url(&f), "data:text/plain;base64,aGk=");
        assert_eq!(
            data_url(&FilePart::new(vec![0u8])),
            "data:application/octet-stream;base64,AA=="
        );
        assert_eq!(guess_content_type("x.PNG"), "image/png");
        assert_eq!(guess_content_type("noext"), "application/octet-stream");
    }

    #[tokio::test]
    async fn small_files_become_data_urls_without_a_request() {
        // An unroutable base URL: any request would fail.
        let client = Client::builder()
            .base_url("http://127.0.0.1:9/v1")
            .build()
            .unwrap();
        let small =
            FileInput::Bytes(FilePart::new(vec![1u8; DATA_URL_LIMIT]).content_type("image/png"));
        let url = client
            .file_input_url(small, FileStrategy::Auto)
            .await
            .unwrap();
        assert!(url.starts_with("data:image/png;base64,"));
        let passthrough = client
            .file_input_url(
                FileInput::Url("https://x/y.png".into()),
                FileStrategy::Upload,
            )
            .await;
        assert_eq!(passthrough.unwrap(), "https://x/y.png");
        let big = FileInput::Bytes(FilePart::new(vec![1u8; DATA_URL_LIMIT + 1]));
        let err = client
            .file_input_url(big, FileStrategy::Auto)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Transport { .. }),
            "large files are uploaded: {err}"
        );
    }
}
