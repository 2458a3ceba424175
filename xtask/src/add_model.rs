//! `cargo xtask add-model owner/name[:version]`: fetch a model version's schema from the API
//! into `spec/models/`, pin it in `spec/models.lock`, and say what changed for callers when it
//! replaces an older schema.
//!
//! `spec/models.lock` has one line per model: `owner/name <version id> sha256:<hash of the
//! file>`. `cargo xtask generate --check` fails when a lock entry and its file disagree.

use replicate_codegen::models::{parse_model_file, schema_changes};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// The lock file, relative to the workspace root.
pub const LOCK_FILE: &str = "spec/models.lock";

/// One pinned model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockEntry {
    /// Version id.
    pub version: String,
    /// SHA-256 of the model file.
    pub sha256: String,
}

/// Reads the lock (empty when absent).
pub fn read_lock(root: &Path) -> Result<BTreeMap<String, LockEntry>, String> {
    let path = root.join(LOCK_FILE);
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(BTreeMap::new());
    };
    let mut out = BTreeMap::new();
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
                        sha256: hash[7..].to_string(),
                    },
                );
            }
            _ => {
                return Err(format!(
                    "{LOCK_FILE}:{}: expected `owner/name <version> sha256:<hash>`",
                    n + 1
                ))
            }
        }
    }
    Ok(out)
}

fn write_lock(root: &Path, lock: &BTreeMap<String, LockEntry>) -> Result<(), String> {
    let mut text = String::from("# Pinned model versions: `owner/name <version id> sha256:<hash of spec/models/owner/name.json>`.\n# Written by `cargo xtask add-model`; checked by `cargo xtask generate --check`.\n");
    for (model, e) in lock {
        text.push_str(&format!("{model} {} sha256:{}\n", e.version, e.sha256));
    }
    fs::write(root.join(LOCK_FILE), text).map_err(|e| format!("cannot write {LOCK_FILE}: {e}"))
}

/// The lock entry a model file should have.
fn entry_for(text: &str, label: &str, owner: &str, name: &str) -> Result<LockEntry, String> {
    let src = parse_model_file(text, label, Some((owner, name))).map_err(|e| e.to_string())?;
    Ok(LockEntry {
        version: src.version,
        sha256: replicate_codegen::spec_hash(text),
    })
}

/// Disagreements between `spec/models/**` and the lock (empty when consistent).
pub fn check_lock(root: &Path) -> Result<Vec<String>, String> {
    let lock = read_lock(root)?;
    let dir = root.join(crate::generate::MODELS_SPEC_DIR);
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    if dir.is_dir() {
        for path in crate::models::schema_files(&dir)? {
            let Some((owner, name)) = crate::models::owner_name_from_path(&dir, &path) else {
                continue;
            };
            let key = format!("{owner}/{name}");
            let text = fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let want = entry_for(&text, &key, &owner, &name)?;
            match lock.get(&key) {
                None => problems.push(format!("{key}: no entry in {LOCK_FILE} (run `cargo xtask add-model --relock`)")),
                Some(e) if *e != want => problems.push(format!(
                    "{key}: {LOCK_FILE} pins version {} sha256:{}, but the file has version {} sha256:{}",
                    e.version, e.sha256, want.version, want.sha256
                )),
                Some(_) => {}
            }
            seen.push(key);
        }
    }
    for key in lock.keys().filter(|k| !seen.contains(k)) {
        problems.push(format!(
            "{key}: in {LOCK_FILE} but spec/models has no file for it"
        ));
    }
    Ok(problems)
}

/// Rewrites the lock from the files in `spec/models/`.
pub fn relock(root: &Path) -> Result<(), String> {
    let dir = root.join(crate::generate::MODELS_SPEC_DIR);
    let mut lock = BTreeMap::new();
    for path in crate::models::schema_files(&dir)? {
        let Some((owner, name)) = crate::models::owner_name_from_path(&dir, &path) else {
            continue;
        };
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        lock.insert(
            format!("{owner}/{name}"),
            entry_for(&text, &path.display().to_string(), &owner, &name)?,
        );
    }
    write_lock(root, &lock)?;
    println!(
        "add-model: {LOCK_FILE} rewritten with {} models",
        lock.len()
    );
    Ok(())
}

fn get_json(base: &str, token: &str, path: &str) -> Result<serde_json::Value, String> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let body = crate::fetch::http_get(&url, Some(token))?;
    serde_json::from_str(&body).map_err(|e| format!("{url} did not return JSON: {e}"))
}

/// Fetches `owner/name[:version]` into `spec/models/owner/name.json` and pins it.
pub fn run(root: &Path, reference: &str, base_url: &str, token: &str) -> Result<(), String> {
    let (model, version) = match reference.split_once(':') {
        Some((m, v)) => (m, Some(v.to_string())),
        None => (reference, None),
    };
    let (owner, name) = model
        .split_once('/')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
        .ok_or_else(|| format!("{reference:?} is not `owner/name[:version]`"))?;
    let version = match version {
        Some(v) => v,
        None => {
            let m = get_json(base_url, token, &format!("/models/{owner}/{name}"))?;
            m.pointer("/latest_version/id")
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("{owner}/{name} has no latest version"))?
        }
    };
    let object = get_json(
        base_url,
        token,
        &format!("/models/{owner}/{name}/versions/{version}"),
    )?;
    let text = serde_json::to_string_pretty(&object).map_err(|e| e.to_string())? + "\n";
    let label = format!("spec/models/{owner}/{name}.json");
    // Refuse anything the generator cannot read, before touching the tree.
    let new_src =
        parse_model_file(&text, &label, Some((owner, name))).map_err(|e| e.to_string())?;
    replicate_codegen::models::generate_model(&new_src).map_err(|e| e.to_string())?;

    let path = root.join(&label);
    if let Ok(old_text) = fs::read_to_string(&path) {
        if let Ok(old_src) = parse_model_file(&old_text, &label, Some((owner, name))) {
            let changes = schema_changes(&old_src, &new_src);
            if changes.is_empty() {
                println!(
                    "add-model: {owner}/{name}: no change for callers ({} → {})",
                    old_src.version, new_src.version
                );
            } else {
                println!(
                    "add-model: {owner}/{name} {} → {}, what changes for callers:",
                    old_src.version, new_src.version
                );
                for c in &changes {
                    println!("  {c}");
                }
            }
        }
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::write(&path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut lock = read_lock(root)?;
    lock.insert(
        format!("{owner}/{name}"),
        LockEntry {
            version: new_src.version.clone(),
            sha256: replicate_codegen::spec_hash(&text),
        },
    );
    write_lock(root, &lock)?;
    println!("add-model: wrote {label} (version {}) and pinned it in {LOCK_FILE}; now run `cargo xtask generate`", new_src.version);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        let lock = read_lock(&root).unwrap();
        assert_eq!(lock["acme/fox"].version, "aaa111");
        assert!(check_lock(&root).unwrap().is_empty());

        // Latest version: replaces the file, re-pins, reports breaking changes.
        let r = root.clone();
        tokio::task::spawn_blocking(move || run(&r, "acme/fox", &base, "r8_test"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read_lock(&root).unwrap()["acme/fox"].version, "bbb222");
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
        let changes = schema_changes(
            &src(schema(50.0, false), "a"),
            &src(schema(20.0, true), "b"),
        );
        let text = changes.join("\n");
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
            text.contains("breaking: Output changed from array of string (uri) to string"),
            "{text}"
        );
        assert!(schema_changes(
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
