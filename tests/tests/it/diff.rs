//! The semantic spec diff (`replicate_codegen::diff`, `cargo xtask diff-spec`):
//!
//! - focused pairs in `tests/specs-diff/` (one kind of change each) are classified exactly as
//!   their `expect` lists say;
//! - every consecutive pair of the real snapshots in `../shared/replicate-openapi/history` (and
//!   the last one vs `latest.json`) diffs without error, and a few real findings are pinned, with
//!   the text of some diffs and a per-pair summary in `tests/snapshots-diff/`;
//! - bad input gives a clear error naming the file and a non-zero exit.
//!
//! To accept new snapshot output: `UPDATE_SNAPSHOTS=1 cargo test -p replicate-e2e --test it -- diff::`.

use replicate_codegen::diff::{diff, Change, ChangeKind, Severity, SpecDiff};
use replicate_codegen::load;
use replicate_e2e::{shared_specs, workspace_root};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------------------------------------
// Focused pairs

/// `(kind, severity, location)` as written in the pair files.
type Expected = (String, String, String);

fn pair_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(workspace_root().join("tests/specs-diff"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// One side of a pair as spec text, with `openapi` and `info` added when left out.
fn side(pair: &Value, key: &str) -> String {
    let mut doc = pair[key].clone();
    let map = doc.as_object_mut().expect("a pair side is an object");
    map.entry("openapi")
        .or_insert_with(|| Value::String("3.1.0".into()));
    map.entry("info")
        .or_insert_with(|| serde_json::json!({"title": "pair", "version": "1"}));
    serde_json::to_string_pretty(&doc).unwrap()
}

fn found(d: &SpecDiff) -> BTreeSet<Expected> {
    d.changes
        .iter()
        .map(|c| {
            let severity = match c.severity {
                Severity::Breaking => "breaking",
                Severity::Compatible => "compatible",
            };
            (
                format!("{:?}", c.kind),
                severity.to_string(),
                c.location.clone(),
            )
        })
        .collect()
}

#[test]
fn focused_pairs_are_classified_as_expected() {
    let files = pair_files();
    assert!(
        files.len() >= 15,
        "expected at least 15 pairs, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    let mut kinds = BTreeSet::new();
    let mut severities: BTreeMap<(String, bool), usize> = BTreeMap::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let pair = load::parse_text(&fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: BTreeSet<Expected> = pair["expect"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: `expect` must be a list"))
            .iter()
            .map(|e| {
                let field = |k: &str| {
                    e[k].as_str()
                        .unwrap_or_else(|| panic!("{name}: {k}"))
                        .to_string()
                };
                (field("kind"), field("severity"), field("location"))
            })
            .collect();
        let (old, new) = (side(&pair, "old"), side(&pair, "new"));
        let d = diff(&old, &new).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = found(&d);
        if got != expected {
            failures.push(format!(
                "{name}:\n  missing: {:?}\n  unexpected: {:?}\n{}",
                expected.difference(&got).collect::<Vec<_>>(),
                got.difference(&expected).collect::<Vec<_>>(),
                d.to_text()
            ));
        }
        // The same document against itself: nothing.
        let same = diff(&new, &new).unwrap();
        assert!(same.is_empty(), "{name}: new vs new:\n{}", same.to_text());
        for c in &d.changes {
            kinds.insert(c.kind);
            let request = c.path.starts_with("request body")
                || c.path.contains("parameter")
                || c.path.starts_with("header");
            let response = c.path.starts_with("response");
            if request || response {
                *severities
                    .entry((format!("{:?}", c.severity), request))
                    .or_default() += 1;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let missing: Vec<&ChangeKind> = ChangeKind::ALL
        .iter()
        .filter(|k| !kinds.contains(k))
        .collect();
    assert!(missing.is_empty(), "no focused pair covers {missing:?}");
    // Both severities in both directions.
    for key in [
        ("Breaking", true),
        ("Breaking", false),
        ("Compatible", true),
        ("Compatible", false),
    ] {
        assert!(
            severities.contains_key(&(key.0.to_string(), key.1)),
            "no {} change in a {}",
            key.0,
            if key.1 { "request" } else { "response" }
        );
    }
}

#[test]
fn output_is_deterministic_text_and_json() {
    let path = workspace_root().join("tests/specs-diff/response_status_changed.yaml");
    let pair = load::parse_text(&fs::read_to_string(path).unwrap()).unwrap();
    let (old, new) = (side(&pair, "old"), side(&pair, "new"));
    let d = diff(&old, &new).unwrap();
    assert_eq!(d, diff(&old, &new).unwrap());
    let text = d.to_text();
    assert!(
        text.starts_with("spec diff: 3 breaking, 1 compatible (1 operation)\n"),
        "{text}"
    );
    assert!(text.contains("\npredictions.create\n"), "{text}");
    assert!(
        text.contains("  BREAKING    ResponseRemoved  response 200: success status\n"),
        "{text}"
    );
    let json: Value = serde_json::from_str(&d.to_json()).unwrap();
    assert_eq!(
        json["summary"],
        serde_json::json!({"breaking": 3, "compatible": 1})
    );
    let first = &json["changes"][0];
    assert_eq!(first["kind"], "ResponseRemoved");
    assert_eq!(first["severity"], "breaking");
    assert_eq!(first["location"], "predictions.create response 200");
    assert_eq!(first["operation"], "predictions.create");
    assert!(first["reason"].as_str().unwrap().contains("return type"));
}

// ---------------------------------------------------------------------------------------------
// The real history

/// The history in time order (by name, except the two same-day pairs the README orders), then
/// `latest.json`.
fn history_in_order() -> Option<Vec<PathBuf>> {
    let specs = shared_specs()?;
    let latest = specs[0].clone();
    let mut history: Vec<PathBuf> = specs[1..].to_vec();
    let name = |p: &PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
    for (first, second) in [
        ("2025-05-14-eea07d4.json", "2025-05-14-647656b.json"),
        ("2025-10-06-b0df124.json", "2025-10-06-1321728.json"),
    ] {
        let i = history.iter().position(|p| name(p) == first);
        let j = history.iter().position(|p| name(p) == second);
        if let (Some(i), Some(j)) = (i, j) {
            if i > j {
                history.swap(i, j);
            }
        }
    }
    history.push(latest);
    Some(history)
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

fn diff_files(old: &Path, new: &Path) -> SpecDiff {
    let read = |p: &Path| fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let (a, b) = (read(old), read(new));
    let a = load::load(&a).unwrap_or_else(|e| panic!("{}", e.in_file(old.display().to_string())));
    let b = load::load(&b).unwrap_or_else(|e| panic!("{}", e.in_file(new.display().to_string())));
    replicate_codegen::diff::diff_loaded(&a, &b)
        .unwrap_or_else(|e| panic!("{e} ({} → {})", old.display(), new.display()))
}

fn has(d: &SpecDiff, kind: ChangeKind, severity: Severity, location: &str, detail: &str) -> bool {
    d.changes.iter().any(|c: &Change| {
        c.kind == kind
            && c.severity == severity
            && c.location == location
            && c.detail.contains(detail)
    })
}

/// Compares `text` with the committed snapshot `tests/snapshots-diff/<name>` (or writes it with
/// `UPDATE_SNAPSHOTS=1`); returns a mismatch message.
fn snapshot(name: &str, text: &str) -> Option<String> {
    let path = workspace_root().join("tests/snapshots-diff").join(name);
    let current = fs::read_to_string(&path).unwrap_or_default();
    if current == text {
        return None;
    }
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        return None;
    }
    Some(path.display().to_string())
}

#[test]
fn real_history_diffs_and_pins_findings() {
    let Some(specs) = history_in_order() else {
        replicate_e2e::skip("../shared/replicate-openapi is not beside the checkout");
        return;
    };
    assert!(
        specs.len() >= 44,
        "expected 43 history files + latest, found {}",
        specs.len()
    );
    let mut diffs: BTreeMap<String, SpecDiff> = BTreeMap::new();
    let mut summary = String::from(
        "# Semantic diff of each consecutive pair of ../shared/replicate-openapi snapshots\n\
         # (history in time order, then latest.json). Regenerate with\n\
         # UPDATE_SNAPSHOTS=1 cargo test -p replicate-e2e --test it -- diff::\n",
    );
    let (mut breaking, mut compatible) = (0, 0);
    let mut kinds: BTreeMap<ChangeKind, usize> = BTreeMap::new();
    for w in specs.windows(2) {
        let d = diff_files(&w[0], &w[1]);
        let key = format!("{} -> {}", stem(&w[0]), stem(&w[1]));
        summary.push_str(&format!("{key}: {}\n", d.summary()));
        breaking += d.breaking();
        compatible += d.compatible();
        for (k, n) in d.kind_counts() {
            *kinds.entry(k).or_default() += n;
        }
        diffs.insert(key, d);
    }
    let mut kinds: Vec<(ChangeKind, usize)> = kinds.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    summary.push_str(&format!(
        "total over {} pairs: {breaking} breaking, {compatible} compatible\nby kind: {}\n",
        diffs.len(),
        kinds
            .iter()
            .map(|(k, n)| format!("{k:?} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    println!("{summary}");

    let get = |old: &str, new: &str| -> &SpecDiff {
        diffs
            .iter()
            .find(|(k, _)| k.starts_with(old) && k.contains(&format!("-> {new}")))
            .map(|(_, d)| d)
            .unwrap_or_else(|| panic!("no pair {old} -> {new}"))
    };

    // 2025-03-19: two operations appeared, nothing broke.
    let d = get("2025-03-18", "2025-03-19");
    assert!(
        has(
            d,
            ChangeKind::OperationAdded,
            Severity::Compatible,
            "models.examples.list",
            "GET /models/{model_owner}/{model_name}/examples"
        ),
        "{}",
        d.to_text()
    );
    assert!(
        has(
            d,
            ChangeKind::OperationAdded,
            Severity::Compatible,
            "models.readme.get",
            "/readme"
        ),
        "{}",
        d.to_text()
    );
    assert_eq!(d.breaking(), 0, "{}", d.to_text());

    // 2025-10-23: prediction and training status gain `aborted`, compatible (open enums).
    let d = get("2025-10-22", "2025-10-23");
    for location in [
        "predictions.get response 200 .status",
        "trainings.get response 200 .status",
        "predictions.list response 200 .results[].status",
    ] {
        assert!(
            has(
                d,
                ChangeKind::EnumValueAdded,
                Severity::Compatible,
                location,
                "`aborted`"
            ),
            "{location}\n{}",
            d.to_text()
        );
    }
    assert_eq!(d.breaking(), 0, "{}", d.to_text());

    // 2025-10-08: `Replicate-Max-Lifetime` (two days old) replaced by `Cancel-After`.
    let d = get("2025-10-07", "2025-10-08");
    for op in [
        "predictions.create",
        "models.predictions.create",
        "deployments.predictions.create",
    ] {
        assert!(
            has(
                d,
                ChangeKind::ParameterRemoved,
                Severity::Breaking,
                &format!("{op} header Replicate-Max-Lifetime"),
                ""
            ),
            "{}",
            d.to_text()
        );
        assert!(
            has(
                d,
                ChangeKind::ParameterAdded,
                Severity::Compatible,
                &format!("{op} header Cancel-After"),
                "optional"
            ),
            "{}",
            d.to_text()
        );
    }
    // ... the header had come two days before, with the prediction's `deadline`.
    let d = get("2025-10-06-b0df124", "2025-10-06-1321728");
    assert!(
        has(
            d,
            ChangeKind::ParameterAdded,
            Severity::Compatible,
            "predictions.create header Replicate-Max-Lifetime",
            "optional"
        ),
        "{}",
        d.to_text()
    );
    assert!(
        has(
            d,
            ChangeKind::FieldAdded,
            Severity::Compatible,
            "predictions.get response 200 .deadline",
            ""
        ),
        "{}",
        d.to_text()
    );

    // 2024-10-08: prediction creates answer 201/202 instead of 200 (breaking) and take `Prefer`.
    let d = get("2024-09-10", "2024-10-08");
    assert!(
        has(
            d,
            ChangeKind::ResponseRemoved,
            Severity::Breaking,
            "predictions.create response 200",
            ""
        ),
        "{}",
        d.to_text()
    );
    assert!(
        has(
            d,
            ChangeKind::ResponseAdded,
            Severity::Breaking,
            "predictions.create response 201",
            ""
        ),
        "{}",
        d.to_text()
    );
    assert!(
        has(
            d,
            ChangeKind::ParameterAdded,
            Severity::Compatible,
            "predictions.create header Prefer",
            ""
        ),
        "{}",
        d.to_text()
    );

    // 2024-12-02: components renamed to `schemas_*`: no operation changed. (The converted file
    // keeps one injected component without the prefix, so the generator cannot strip it and the
    // Rust types are renamed: reported once each, at the component.)
    let d = get("2024-11-15", "2024-12-02");
    assert!(
        d.changes.iter().all(|c| c.operation.is_none()),
        "{}",
        d.to_text()
    );
    assert!(
        has(
            d,
            ChangeKind::SchemaRenamed,
            Severity::Breaking,
            "schema prediction_request",
            "`SchemasPredictionRequest`"
        ),
        "{}",
        d.to_text()
    );

    // 2025-08-07: model `description` becomes nullable; it was optional, so it stays `Option`.
    let d = get("2025-08-05", "2025-08-07");
    assert!(
        has(
            d,
            ChangeKind::FieldNullabilityChanged,
            Severity::Compatible,
            "models.get response 200 .description",
            ""
        ),
        "{}",
        d.to_text()
    );

    // The raw latest.json against the last converted file: the QUERY operation the converter
    // dropped is back.
    let d = get("2026-03-05", "latest");
    assert!(
        has(
            d,
            ChangeKind::OperationAdded,
            Severity::Compatible,
            "models.search",
            "QUERY /models"
        ),
        "{}",
        d.to_text()
    );

    let mut mismatches = Vec::new();
    mismatches.extend(snapshot("history-summary.txt", &summary));
    for (old, new, file) in [
        ("2024-11-15", "2024-12-02", "2024-11-15_2024-12-02.txt"),
        ("2025-03-18", "2025-03-19", "2025-03-18_2025-03-19.txt"),
        (
            "2025-09-29",
            "2025-10-06-b0df124",
            "2025-09-29_2025-10-06.txt",
        ),
        ("2025-10-07", "2025-10-08", "2025-10-07_2025-10-08.txt"),
        ("2025-10-22", "2025-10-23", "2025-10-22_2025-10-23.txt"),
    ] {
        mismatches.extend(snapshot(file, &get(old, new).to_text()));
    }
    assert!(
        mismatches.is_empty(),
        "diff snapshots differ: {mismatches:?}\nreview, then run UPDATE_SNAPSHOTS=1 cargo test -p replicate-e2e --test it -- diff::"
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input

#[test]
fn bad_input_is_a_clear_error() {
    let good = r#"{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{}}"#;
    // YAML reads this as one string, which is not an object.
    let e = diff("<html>not a spec</html>", good).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "old spec: not a valid OpenAPI document at #: the document must be an object"
        ),
        "{e}"
    );
    let e = diff("{\"openapi\": ", good).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("old spec: syntax error at #: invalid JSON at line 1"),
        "{e}"
    );
    let e = diff(good, r#"{"swagger": "2.0"}"#).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("new spec: unsupported construct at #/swagger"),
        "{e}"
    );
    let e = diff(good, r#"{"openapi": "3.1.0", "paths": {"/a": 5}}"#).unwrap_err();
    assert!(e.to_string().contains("#/paths/~1a"), "{e}");
}

/// The command itself: an unreadable file or a file that is not a spec is named in the error,
/// and the exit status is non-zero. Runs `cargo run -p xtask` (built already when the suite runs
/// through `cargo xtask test`).
#[test]
fn diff_spec_command_fails_clearly_on_bad_input() {
    let dir = std::env::temp_dir().join(format!("e2e-diff-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    fs::write(
        &good,
        r#"{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{}}"#,
    )
    .unwrap();
    let html = dir.join("index.html");
    fs::write(&html, "<html>not a spec</html>").unwrap();
    let missing = dir.join("missing.json");
    let xtask = |args: &[&Path]| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(workspace_root())
            .args([
                "run",
                "--quiet",
                "--offline",
                "--package",
                "xtask",
                "--",
                "diff-spec",
            ])
            .args(args)
            .output()
            .expect("cargo runs");
        (
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (status, stderr, _) = xtask(&[&missing, &good]);
    assert!(!status.success());
    assert!(
        stderr.contains(&format!("error: cannot read {}", missing.display())),
        "{stderr}"
    );
    let (status, stderr, _) = xtask(&[&good, &html]);
    assert!(!status.success());
    assert!(
        stderr.contains(&format!(
            "error: {}: not a valid OpenAPI document",
            html.display()
        )),
        "{stderr}"
    );
    let (status, _, stdout) = xtask(&[&good, &good]);
    assert!(status.success());
    assert!(stdout.contains("0 breaking, 0 compatible"), "{stdout}");
    let _ = fs::remove_dir_all(dir);
}
