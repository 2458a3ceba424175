//! `cargo xtask fetch-spec`: download the live OpenAPI description.

use std::fs;
use std::path::Path;

/// Replicate's public OpenAPI description.
pub const DEFAULT_SPEC_URL: &str = "https://api.replicate.com/openapi.json";

/// Downloads `url`, checks it is an OpenAPI document, and writes it pretty-printed to `out`.
pub fn run(url: &str, out: &Path) -> Result<(), String> {
    fetch(url, out).map(|_| ())
}

/// [`run`], returning what it printed about the change (the semantic diff between the spec it
/// replaced and the new one), or `None` when `out` was already up to date.
pub fn fetch(url: &str, out: &Path) -> Result<Option<String>, String> {
    let text = download(url)?;
    let value = validate(&text).map_err(|e| format!("{url}: {e}"))?;
    let pretty = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())? + "\n";
    let old = fs::read_to_string(out).ok();
    if old.as_deref() == Some(pretty.as_str()) {
        println!("fetch-spec: {} is already up to date", out.display());
        return Ok(None);
    }
    if let Some(parent) = out.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::write(out, &pretty).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let ops = replicate_codegen::load::raw_operations(&value).len();
    println!(
        "fetch-spec: wrote {} ({} bytes, {ops} operations); now run `cargo xtask generate`",
        out.display(),
        pretty.len()
    );
    let report = crate::diff::replacement_report(old.as_deref(), &pretty);
    println!("{report}");
    Ok(Some(report))
}

/// GETs `url` (with a bearer token when given) and returns the body of a success answer; any
/// other status is an error quoting the start of the body.
pub fn http_get(url: &str, token: Option<&str>) -> Result<String, String> {
    let client = replicate_runtime::tls::reqwest_blocking_builder(&[])
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .redirect(reqwest::redirect::Policy::limited(5))
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .map_err(|e| format!("cannot GET {url}: {e}"))?;
    let status = response.status();
    let body = response
        .text()
        .map_err(|e| format!("cannot read {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!(
            "{url} answered HTTP {status}: {}",
            body.chars().take(300).collect::<String>()
        ));
    }
    Ok(body)
}

fn download(url: &str) -> Result<String, String> {
    http_get(url, None)
}

/// Parses and loads the document, so a broken download never replaces a good spec.
fn validate(text: &str) -> Result<serde_json::Value, String> {
    replicate_codegen::load::load(text)
        .map(|s| s.raw)
        .map_err(|e| e.to_string())?;
    replicate_codegen::load::parse_text(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn serve(body: &'static str, status: u16) -> String {
        let app = axum::Router::new().route(
            "/openapi.json",
            axum::routing::get(move || async move {
                (axum::http::StatusCode::from_u16(status).unwrap(), body)
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/openapi.json")
    }

    const SPEC: &str = r#"{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"operationId":"a.get","responses":{"204":{"description":"ok"}}}}}}"#;

    #[tokio::test(flavor = "multi_thread")]
    async fn downloads_and_writes_a_spec() {
        let url = serve(SPEC, 200).await;
        let dir = std::env::temp_dir().join(format!("xtask-fetch-{}", std::process::id()));
        let out = dir.join("openapi.json");
        let result =
            tokio::task::spawn_blocking(move || run(&url, &out).map(|_| fs::read_to_string(&out)))
                .await
                .unwrap();
        let written = result.unwrap().unwrap();
        assert!(written.contains("\"operationId\": \"a.get\""), "{written}");

        // Replacing an older spec prints (and returns) the semantic diff.
        let url = serve(SPEC, 200).await;
        let out = dir.join("openapi.json");
        fs::write(
            &out,
            SPEC.replace("\"/a\"", "\"/b\"").replace("a.get", "b.get"),
        )
        .unwrap();
        let out2 = out.clone();
        let report = tokio::task::spawn_blocking(move || fetch(&url, &out2))
            .await
            .unwrap()
            .unwrap()
            .expect("the spec was replaced");
        assert!(report.contains("1 breaking, 1 compatible"), "{report}");
        assert!(
            report.contains("OperationRemoved") && report.contains("b.get"),
            "{report}"
        );
        assert!(
            report.contains("OperationAdded") && report.contains("a.get"),
            "{report}"
        );
        // Fetching the same document again changes nothing and prints no diff.
        let url = serve(SPEC, 200).await;
        let again = tokio::task::spawn_blocking(move || fetch(&url, &out))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again, None);
        let _ = fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn refuses_errors_and_non_specs() {
        let bad_status = serve(SPEC, 500).await;
        let not_spec = serve("<html>nope</html>", 200).await;
        let out = std::env::temp_dir().join(format!("xtask-fetch-bad-{}.json", std::process::id()));
        let out2 = out.clone();
        let e1 = tokio::task::spawn_blocking(move || run(&bad_status, &out2))
            .await
            .unwrap()
            .unwrap_err();
        assert!(e1.contains("HTTP 500"), "{e1}");
        let out3 = out.clone();
        let e2 = tokio::task::spawn_blocking(move || run(&not_spec, &out3))
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            e2.contains("syntax error") || e2.contains("not a valid"),
            "{e2}"
        );
        assert!(!out.exists(), "nothing is written on failure");
    }
}
