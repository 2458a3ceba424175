//! `cargo xtask add-model owner/name[:version]`: fetch a model version's schema from the API
//! into `spec/models/`, pin it in `spec/models.lock`, and say what changed for callers when it
//! replaces an older schema. The checking, comparing and pinning are `replicate_build::pin`,
//! the same code `cargo replicate add` runs; only the HTTP GET is ours (xtask cannot depend on
//! the generated client).

use std::path::{Path, PathBuf};

use crate::paths::MODELS_LOCK as LOCK_FILE;

fn dirs(root: &Path) -> (PathBuf, PathBuf) {
    (
        root.join(crate::paths::MODELS_SPEC_DIR),
        root.join(LOCK_FILE),
    )
}

/// Disagreements between `spec/models/**` and the lock (empty when consistent).
pub fn check_lock(root: &Path) -> Result<Vec<String>, String> {
    let (models, lock) = dirs(root);
    if !models.is_dir() {
        return Ok(Vec::new());
    }
    replicate_build::lock::check(&models, &lock).map_err(|e| e.to_string())
}

/// Rewrites the lock from the files in `spec/models/`.
pub fn relock(root: &Path) -> Result<(), String> {
    let (models, lock) = dirs(root);
    let n = replicate_build::lock::relock(&models, &lock).map_err(|e| e.to_string())?;
    println!("add-model: {LOCK_FILE} rewritten with {n} models");
    Ok(())
}

fn get(base: &str, token: &str, path: &str) -> Result<String, String> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    crate::fetch::http_get(&url, Some(token))
}

/// Fetches `owner/name[:version]` into `spec/models/owner/name.json` and pins it.
pub fn run(root: &Path, reference: &str, base_url: &str, token: &str) -> Result<(), String> {
    let (owner, name, version) =
        replicate_build::pin::parse_reference(reference).map_err(|e| e.to_string())?;
    let version = match version {
        Some(v) => v,
        None => {
            let text = get(base_url, token, &format!("/models/{owner}/{name}"))?;
            let model: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("the model is not JSON: {e}"))?;
            model
                .pointer("/latest_version/id")
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("{owner}/{name} has no latest version"))?
        }
    };
    let fetched = get(
        base_url,
        token,
        &format!("/models/{owner}/{name}/versions/{version}"),
    )?;
    let (models, lock) = dirs(root);
    let plan =
        replicate_build::pin::plan(&models, &owner, &name, &fetched).map_err(|e| e.to_string())?;
    println!("add-model: {}", replicate_build::pin::describe(&plan));
    replicate_build::pin::apply(&plan, &lock).map_err(|e| e.to_string())?;
    println!(
        "add-model: wrote {} (version {}) and pinned it in {LOCK_FILE}; now run `cargo xtask generate`",
        plan.path.strip_prefix(root).unwrap_or(&plan.path).display(),
        plan.new_version
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::fs;

    fn schema(max_steps: f64, extra_required: bool) -> serde_json::Value {
        let mut required = vec!["prompt"];
        let mut props = json!({
            "prompt": {"type": "string", "x-order": 0},
            "steps": {"type": "integer", "minimum": 1, "maximum": max_steps, "x-order": 1},
            "ratio": {"allOf": [{"$ref": "#/components/schemas/ratio"}], "x-order": 2}
        });
        if extra_required {
            props["image"] = json!({"type": "string", "format": "uri", "x-order": 3});
            required.push("image");
        }
        json!({"components": {"schemas": {
            "ratio": {"type": "string", "enum": if extra_required { json!(["1:1"]) } else { json!(["1:1", "16:9"]) }},
            "Input": {"type": "object", "required": required, "properties": props},
            "Output": if extra_required { json!({"type": "string"}) } else { json!({"type": "array", "items": {"type": "string", "format": "uri"}}) }
        }}})
    }

    async fn serve(versions: Vec<(&'static str, serde_json::Value)>) -> String {
        use axum::routing::get;
        let latest = versions.last().map(|(v, _)| *v).unwrap_or_default();
        let map: std::collections::HashMap<String, serde_json::Value> = versions
            .into_iter()
            .map(|(v, s)| (v.to_string(), json!({"id": v, "created_at": "2026-01-01T00:00:00Z", "cog_version": "0.16.12", "openapi_schema": s})))
            .collect();
        let app = axum::Router::new()
            .route(
                "/v1/models/acme/fox",
                get(move || async move { axum::Json(json!({"latest_version": {"id": latest}})) }),
            )
            .route(
                "/v1/models/acme/fox/versions/{v}",
                get(move |axum::extract::Path(v): axum::extract::Path<String>| {
                    let found = map.get(&v).cloned();
                    async move {
                        match found {
                            Some(body) => (axum::http::StatusCode::OK, axum::Json(body)),
                            None => (
                                axum::http::StatusCode::NOT_FOUND,
                                axum::Json(json!({"detail": "Not found."})),
                            ),
                        }
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/v1")
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn adds_pins_and_reports_changes() {
        let base = serve(vec![
            ("aaa111", schema(50.0, false)),
            ("bbb222", schema(20.0, true)),
        ])
        .await;
        let root = std::env::temp_dir().join(format!("xtask-add-model-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("spec/models")).unwrap();
        let r = root.clone();
        let b = base.clone();
        tokio::task::spawn_blocking(move || run(&r, "acme/fox:aaa111", &b, "r8_test"))
            .await
            .unwrap()
            .unwrap();
        let lock = replicate_build::lock::read(&root.join(LOCK_FILE)).unwrap();
        assert_eq!(lock["acme/fox"].version, "aaa111");
        assert!(check_lock(&root).unwrap().is_empty());

        // Latest version: replaces the file, re-pins, reports breaking changes.
        let r = root.clone();
        tokio::task::spawn_blocking(move || run(&r, "acme/fox", &base, "r8_test"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            replicate_build::lock::read(&root.join(LOCK_FILE)).unwrap()["acme/fox"].version,
            "bbb222"
        );
        let text = fs::read_to_string(root.join("spec/models/acme/fox.json")).unwrap();
        assert!(text.contains("bbb222"));

        // Editing the file without re-pinning is caught.
        fs::write(
            root.join("spec/models/acme/fox.json"),
            text.replace("bbb222", "ccc333"),
        )
        .unwrap();
        let problems = check_lock(&root).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("pins version bbb222"), "{problems:?}");
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn schema_changes_are_classified_for_callers() {
        let src = |s: serde_json::Value, v: &str| replicate_codegen::models::ModelSource {
            owner: "acme".into(),
            name: "fox".into(),
            version: v.into(),
            cog_version: None,
            schema: s,
            label: "x".into(),
        };
        let changes = replicate_codegen::models::schema_changes(
            &src(schema(50.0, false), "a"),
            &src(schema(20.0, true), "b"),
        );
        let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
        let text = lines.join("\n");
        assert!(
            text.contains("breaking: new required input `image`"),
            "{text}"
        );
        assert!(
            text.contains("breaking: maximum of `steps` lowered from 50 to 20"),
            "{text}"
        );
        assert!(
            text.contains("breaking: choice \"16:9\" of `ratio` removed"),
            "{text}"
        );
        assert!(
            text.contains("breaking: Output changed from array of file to string"),
            "{text}"
        );
        assert!(replicate_codegen::models::schema_changes(
            &src(schema(50.0, false), "a"),
            &src(schema(50.0, false), "b")
        )
        .is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn errors_are_clear() {
        let base = serve(vec![("aaa111", schema(50.0, false))]).await;
        let root = std::env::temp_dir().join(format!("xtask-add-model-err-{}", std::process::id()));
        fs::create_dir_all(&root).unwrap();
        let r = root.clone();
        let e = tokio::task::spawn_blocking(move || run(&r, "acme/fox:nope", &base, "t"))
            .await
            .unwrap()
            .unwrap_err();
        assert!(e.contains("HTTP 404"), "{e}");
        assert!(run(&root, "not-a-model", "http://127.0.0.1:9/v1", "t")
            .unwrap_err()
            .contains("owner/name"));
        let _ = fs::remove_dir_all(&root);
    }
}
