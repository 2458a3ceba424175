//! `cargo xtask diff-spec OLD [NEW]`: the semantic diff of two OpenAPI files, each change
//! classified as breaking or compatible for a caller of the generated client
//! (`replicate_codegen::diff` does the work; this is the I/O around it).
//!
//! Also used by `fetch-spec` (print what a download changes) and `changelog`.

use replicate_codegen::diff::SpecDiff;
use replicate_codegen::load::{self, LoadedSpec};
use std::fs;
use std::path::Path;

/// `cargo xtask diff-spec OLD NEW [--json] [--fail-on-breaking]`.
pub fn run(old: &Path, new: &Path, json: bool, fail_on_breaking: bool) -> Result<(), String> {
    let diff = diff_files(old, new)?;
    if json {
        print!("{}", diff.to_json());
    } else {
        println!("{} → {}", old.display(), new.display());
        print!("{}", diff.to_text());
    }
    if fail_on_breaking && diff.has_breaking() {
        return Err(format!(
            "{} breaking change(s) from {} to {} (--fail-on-breaking)",
            diff.breaking(),
            old.display(),
            new.display()
        ));
    }
    Ok(())
}

/// Reads, loads and diffs two spec files; errors name the file.
pub fn diff_files(old: &Path, new: &Path) -> Result<SpecDiff, String> {
    let (old_spec, new_spec) = (read_spec(old)?, read_spec(new)?);
    replicate_codegen::diff::diff_loaded(&old_spec, &new_spec).map_err(|e| {
        format!(
            "{e} (old spec: {}, new spec: {})",
            old.display(),
            new.display()
        )
    })
}

/// Reads and loads one spec file: `cannot read FILE: ..` or `FILE: syntax error at #: ..`.
pub fn read_spec(path: &Path) -> Result<LoadedSpec, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    load::load(&text).map_err(|e| e.in_file(path.display().to_string()).to_string())
}

/// What `fetch-spec` prints when it replaces `old` with `new`: the diff, or a note saying why
/// there is none.
pub fn replacement_report(old: Option<&str>, new: &str) -> String {
    let Some(old) = old else {
        return "fetch-spec: no previous spec to compare with".to_string();
    };
    match (load::load(old), load::load(new)) {
        (Ok(o), Ok(n)) => match replicate_codegen::diff::diff_loaded(&o, &n) {
            Ok(diff) => format!(
                "fetch-spec: what changed for callers of the generated client:\n{}",
                diff.to_text()
            ),
            Err(e) => format!("fetch-spec: no diff: {e}"),
        },
        (Err(e), _) => format!("fetch-spec: the previous spec does not load ({e}); no diff"),
        (_, Err(e)) => format!("fetch-spec: the new spec does not load ({e}); no diff"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const OLD: &str = r#"{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"operationId":"a.get","parameters":[{"name":"x","in":"query","schema":{"type":"string"}}],"responses":{"204":{"description":"ok"}}}}}}"#;
    const NEW: &str = r#"{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"operationId":"a.get","responses":{"204":{"description":"ok"}}}},"/b":{"get":{"operationId":"b.get","responses":{"204":{"description":"ok"}}}}}}"#;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-diff-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn diff_spec_runs_and_fails_on_breaking_only_when_asked() {
        let dir = temp("run");
        let (old, new) = (dir.join("old.json"), dir.join("new.json"));
        fs::write(&old, OLD).unwrap();
        fs::write(&new, NEW).unwrap();
        let diff = diff_files(&old, &new).unwrap();
        assert_eq!(
            (diff.breaking(), diff.compatible()),
            (1, 1),
            "{}",
            diff.to_text()
        );
        run(&old, &new, false, false).unwrap();
        run(&old, &new, true, false).unwrap();
        let e = run(&old, &new, false, true).unwrap_err();
        assert!(e.contains("1 breaking change(s)"), "{e}");
        // No breaking change the other way round? Adding `x` back as optional is compatible,
        // but removing `b.get` is breaking.
        assert!(run(&new, &old, false, true).is_err());
        run(&old, &old, false, true).unwrap();
        let _ = fs::remove_dir_all(dir);
    }

    /// Bad input: the error names the file, and `main` turns every `Err` into exit code 1.
    #[test]
    fn bad_input_names_the_file() {
        let dir = temp("bad");
        let good = dir.join("good.json");
        fs::write(&good, OLD).unwrap();
        let missing = dir.join("missing.json");
        let e = run(&missing, &good, false, false).unwrap_err();
        assert!(
            e.starts_with(&format!("cannot read {}", missing.display())),
            "{e}"
        );
        let html = dir.join("page.html");
        fs::write(&html, "<html>not a spec</html>").unwrap();
        let e = run(&good, &html, false, false).unwrap_err();
        assert!(
            e.starts_with(&format!("{}: not a valid OpenAPI document", html.display())),
            "{e}"
        );
        let truncated = dir.join("truncated.json");
        fs::write(&truncated, &OLD[..40]).unwrap();
        let e = run(&good, &truncated, false, false).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "{}: syntax error at #: invalid JSON",
                truncated.display()
            )),
            "{e}"
        );
        let swagger = dir.join("swagger.json");
        fs::write(&swagger, r#"{"swagger":"2.0"}"#).unwrap();
        let e = run(&swagger, &good, true, false).unwrap_err();
        assert!(
            e.contains("swagger.json: unsupported construct at #/swagger"),
            "{e}"
        );
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn fetch_report_says_what_changed() {
        let report = replacement_report(Some(OLD), NEW);
        assert!(report.contains("1 breaking, 1 compatible"), "{report}");
        assert!(report.contains("OperationAdded"), "{report}");
        assert!(replacement_report(None, NEW).contains("no previous spec"));
        assert!(replacement_report(Some("garbage {"), NEW).contains("does not load"));
    }
}
