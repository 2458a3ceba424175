//! `cargo xtask diff-spec OLD [NEW]`: the semantic diff of two OpenAPI files, each change
//! classified as breaking or compatible for a caller of the generated client
//! (`replicate_codegen::diff` does the work; this is the I/O around it).
//!
//! Also used by `fetch-spec` (print what a download changes) and `generate` (write a
//! `CHANGELOG.md` section when the spec changed since the last generation).

use replicate_codegen::diff::SpecDiff;
use replicate_codegen::load::{self, LoadedSpec};
use std::fs;
use std::path::Path;
use std::process::Command;

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
    let old = read_spec(old)?;
    let new = read_spec(new)?;
    Ok(replicate_codegen::diff::diff_loaded(&old, &new))
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
        (Ok(o), Ok(n)) => {
            let diff = replicate_codegen::diff::diff_loaded(&o, &n);
            format!(
                "fetch-spec: what changed for callers of the generated client:\n{}",
                diff.to_text()
            )
        }
        (Err(e), _) => format!("fetch-spec: the previous spec does not load ({e}); no diff"),
        (_, Err(e)) => format!("fetch-spec: the new spec does not load ({e}); no diff"),
    }
}

// ---------------------------------------------------------------------------------------------
// CHANGELOG.md, written by `cargo xtask generate`

/// Marks the generated sections so a later run replaces its own section instead of stacking up.
const SECTION_START: &str = "<!-- spec-diff from=";
const SECTION_END: &str = "<!-- /spec-diff -->";
/// Sections go below this line (in the "Unreleased" section).
pub const INSERT_MARKER: &str = "<!-- cargo xtask generate inserts spec-diff sections below -->";

/// `SPEC_SHA256` recorded in the generated `mod.rs` at `root`, if any.
pub fn recorded_spec_hash(root: &Path) -> Option<String> {
    let text = fs::read_to_string(
        root.join(crate::generate::CLIENT_GENERATED_DIR)
            .join("mod.rs"),
    )
    .ok()?;
    let line = text.lines().find(|l| l.contains("SPEC_SHA256"))?;
    let hash = line.split('"').nth(1)?;
    (hash.len() == 64).then(|| hash.to_string())
}

/// `git show HEAD:<spec>` at `root`, or `None` when git or the file is unavailable.
pub fn committed_spec(root: &Path) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["show", &format!("HEAD:{}", crate::generate::CLIENT_SPEC)])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}

/// After `cargo xtask generate` wrote files: when the spec changed since the code was last
/// generated (`previous_hash`, read from the old `mod.rs`), write a CHANGELOG section from the
/// diff between the committed spec (`git show HEAD:spec/openapi.json`) and the current one.
/// Never fails: problems are printed and the changelog is left alone.
pub fn changelog_after_generate(root: &Path, previous_hash: Option<&str>) {
    match update_changelog(root, previous_hash) {
        Ok(Some(message)) => println!("  {message}"),
        Ok(None) => {}
        Err(message) => println!("  CHANGELOG.md not updated: {message}"),
    }
}

fn update_changelog(root: &Path, previous_hash: Option<&str>) -> Result<Option<String>, String> {
    let spec_path = root.join(crate::generate::CLIENT_SPEC);
    let current = fs::read_to_string(&spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let current_hash = replicate_codegen::spec_hash(&current);
    let Some(previous_hash) = previous_hash else {
        return Ok(None); // first generation: nothing to compare with
    };
    if previous_hash == current_hash {
        return Ok(None); // the generator changed, not the spec
    }
    let base = committed_spec(root)
        .ok_or("the previous spec is not available from git (`git show HEAD:spec/openapi.json`)")?;
    let base_hash = replicate_codegen::spec_hash(&base);
    let section = if base_hash == current_hash {
        None // back to the committed spec: drop the pending section
    } else {
        let diff = replicate_codegen::diff::diff(&base, &current).map_err(|e| e.to_string())?;
        Some(changelog_section(&base_hash, &current_hash, &diff))
    };
    let path = root.join("CHANGELOG.md");
    let existing = fs::read_to_string(&path).unwrap_or_default();
    let updated = changelog_with_section(&existing, &base_hash, section.as_deref());
    if updated == existing {
        return Ok(None);
    }
    fs::write(&path, updated).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Some(match section {
        Some(_) => "wrote CHANGELOG.md (spec diff since the last commit)".to_string(),
        None => "removed the pending spec-diff section from CHANGELOG.md".to_string(),
    }))
}

/// One changelog section for the diff from the spec with hash `from` to the one with `to`.
pub fn changelog_section(from: &str, to: &str, diff: &SpecDiff) -> String {
    format!(
        "{SECTION_START}{} to={} -->\n### Generated client: spec/openapi.json changed ({})\n\n{}{SECTION_END}\n",
        short(from),
        short(to),
        diff.summary(),
        diff.to_markdown()
    )
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// `existing` with the generated section whose base is `from` replaced by `section` (or removed
/// when `section` is `None`). New sections go below [`INSERT_MARKER`], else below the
/// `## Unreleased` heading, else at the end.
pub fn changelog_with_section(existing: &str, from: &str, section: Option<&str>) -> String {
    let mut text = existing.to_string();
    let start_tag = format!("{SECTION_START}{} ", short(from));
    let mut insert_at = None;
    if let Some(start) = text.find(&start_tag) {
        if let Some(end) = text[start..].find(SECTION_END) {
            let mut end = start + end + SECTION_END.len();
            if text[end..].starts_with('\n') {
                end += 1;
            }
            if text[end..].starts_with('\n') {
                end += 1;
            }
            text.replace_range(start..end, "");
            insert_at = Some(start);
        }
    }
    let Some(section) = section else {
        return text;
    };
    let at = insert_at
        .or_else(|| {
            text.find(INSERT_MARKER)
                .map(|i| i + INSERT_MARKER.len())
                .or_else(|| {
                    text.find("## Unreleased")
                        .map(|i| i + "## Unreleased".len())
                })
                .map(|i| {
                    // After the end of that line and one blank line.
                    let line_end = text[i..]
                        .find('\n')
                        .map(|j| i + j + 1)
                        .unwrap_or(text.len());
                    if text[line_end..].starts_with('\n') {
                        line_end + 1
                    } else {
                        line_end
                    }
                })
        })
        .unwrap_or(text.len());
    let mut block = section.to_string();
    if !block.ends_with('\n') {
        block.push('\n');
    }
    block.push('\n');
    if at > 0 && !text[..at].ends_with("\n\n") && !text[..at].is_empty() {
        if text[..at].ends_with('\n') {
            block.insert(0, '\n');
        } else {
            block.insert_str(0, "\n\n");
        }
    }
    text.insert_str(at, &block);
    text
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

    #[test]
    fn changelog_sections_are_inserted_and_replaced() {
        let base = format!(
            "# Changelog\n\nIntro.\n\n## Unreleased\n\n{INSERT_MARKER}\n\n## 0.1.0\n\nOld.\n"
        );
        let diff = replicate_codegen::diff::diff(OLD, NEW).unwrap();
        let from = "a".repeat(64);
        let s1 = changelog_section(&from, &"b".repeat(64), &diff);
        let once = changelog_with_section(&base, &from, Some(&s1));
        assert!(
            once.contains(
                "### Generated client: spec/openapi.json changed (1 breaking, 1 compatible)"
            ),
            "{once}"
        );
        assert!(
            once.find(&s1).unwrap() < once.find("## 0.1.0").unwrap(),
            "{once}"
        );
        assert!(
            once.contains("- `a.get query parameter x` ParameterRemoved"),
            "{once}"
        );
        // Regenerating against the same base replaces the section instead of adding another.
        let s2 = changelog_section(&from, &"c".repeat(64), &SpecDiff::default());
        let twice = changelog_with_section(&once, &from, Some(&s2));
        assert_eq!(twice.matches("<!-- spec-diff from=").count(), 1, "{twice}");
        assert!(twice.contains("to=cccccccccccc"), "{twice}");
        // Back to the committed spec: the section goes, the file is as before.
        assert_eq!(changelog_with_section(&twice, &from, None), base);
        // Without the marker, below "## Unreleased"; without that, at the end.
        let plain = "# Changelog\n\n## Unreleased\n\n- hand-written entry\n";
        let out = changelog_with_section(plain, &from, Some(&s1));
        assert!(
            out.find(&s1).unwrap() < out.find("- hand-written").unwrap(),
            "{out}"
        );
        let bare = changelog_with_section("# Changelog", &from, Some(&s1));
        assert!(bare.starts_with("# Changelog\n\n<!-- spec-diff"), "{bare}");
    }

    /// `generate` writes a section from `git show HEAD:spec/openapi.json` to the current spec,
    /// replaces it on the next run, and never fails (no git: no section, a printed note).
    #[test]
    fn changelog_is_written_from_the_committed_spec() {
        let root = temp("changelog");
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(&root)
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        };
        let spec = root.join(crate::generate::CLIENT_SPEC);
        fs::create_dir_all(spec.parent().unwrap()).unwrap();
        fs::write(&spec, OLD).unwrap();
        let old_hash = replicate_codegen::spec_hash(OLD);
        // Without git (not a repository yet): nothing written, no panic, an error to print.
        let e = update_changelog(&root, Some(&"f".repeat(64)));
        if !git(&["init", "-q"]) {
            assert!(std::env::var_os("CI").is_none(), "git is missing in CI");
            println!("skipped: git is not available");
            return;
        }
        assert!(e.unwrap_err().contains("not available from git"));
        changelog_after_generate(&root, Some(&"f".repeat(64)));
        assert!(!root.join("CHANGELOG.md").exists());
        assert!(git(&["add", "."]) && git(&["commit", "-q", "-m", "spec"]));

        let intro = fs::read_to_string(crate::generate::workspace_root().join("CHANGELOG.md"))
            .unwrap_or_else(|_| format!("# Changelog\n\n## Unreleased\n\n{INSERT_MARKER}\n"));
        fs::write(root.join("CHANGELOG.md"), &intro).unwrap();
        // Same spec as the code: nothing to say.
        assert_eq!(update_changelog(&root, Some(&old_hash)), Ok(None));
        // The spec changed: a section from the diff.
        fs::write(&spec, NEW).unwrap();
        let message = update_changelog(&root, Some(&old_hash)).unwrap().unwrap();
        assert!(message.contains("wrote CHANGELOG.md"), "{message}");
        let log = fs::read_to_string(root.join("CHANGELOG.md")).unwrap();
        assert!(log.contains("changed (1 breaking, 1 compatible)"), "{log}");
        assert!(log.contains("`b.get` OperationAdded"), "{log}");
        // Edited again before committing: the section is replaced, not repeated.
        let newer = NEW.replace("b.get", "c.get");
        fs::write(&spec, &newer).unwrap();
        update_changelog(&root, Some(&replicate_codegen::spec_hash(NEW))).unwrap();
        let log = fs::read_to_string(root.join("CHANGELOG.md")).unwrap();
        assert_eq!(log.matches("### Generated client").count(), 1, "{log}");
        assert!(
            log.contains("`c.get` OperationAdded") && !log.contains("`b.get`"),
            "{log}"
        );
        // Back to the committed spec: the section goes.
        fs::write(&spec, OLD).unwrap();
        update_changelog(&root, Some(&replicate_codegen::spec_hash(&newer))).unwrap();
        assert_eq!(
            fs::read_to_string(root.join("CHANGELOG.md")).unwrap(),
            intro
        );
        let _ = fs::remove_dir_all(root);
    }

    /// The generated code records the spec's hash and the generator's version, so
    /// `generate --check` notices a spec that changed without regeneration, even by one byte.
    #[test]
    fn check_detects_a_spec_changed_without_regeneration() {
        use crate::generate::{plan, stale, CLIENT_GENERATED_DIR, CLIENT_SPEC};
        let root = crate::generate::workspace_root();
        let tmp = temp("check");
        let copy = |rel: &str| {
            let to = tmp.join(rel);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(root.join(rel), &to).unwrap();
        };
        copy(CLIENT_SPEC);
        for f in ["mod.rs", "operations.rs", "types.rs"] {
            copy(&format!("{CLIENT_GENERATED_DIR}/{f}"));
        }
        // Only the client's files: `plan` also covers generated models, not copied here.
        let client_dir = tmp.join(CLIENT_GENERATED_DIR);
        let names = |root: &Path| -> Vec<String> {
            let (planned, _) = plan(root).unwrap();
            stale(root, &planned)
                .into_iter()
                .filter(|(p, _)| p.starts_with(&client_dir))
                .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert!(names(&tmp).is_empty(), "the copy starts fresh");
        let mod_rs = fs::read_to_string(tmp.join(CLIENT_GENERATED_DIR).join("mod.rs")).unwrap();
        let spec = fs::read_to_string(tmp.join(CLIENT_SPEC)).unwrap();
        assert!(mod_rs.contains(&replicate_codegen::spec_hash(&spec)));
        assert!(mod_rs.contains("pub const GENERATOR_VERSION"));
        assert_eq!(
            recorded_spec_hash(&tmp),
            Some(replicate_codegen::spec_hash(&spec))
        );

        // A change with no effect on the code still makes mod.rs stale (its SPEC_SHA256).
        fs::write(tmp.join(CLIENT_SPEC), format!("{spec}\n")).unwrap();
        assert_eq!(names(&tmp), vec!["mod.rs".to_string()]);

        // A real change (one more operation) makes the code stale too.
        let mut value: serde_json::Value = serde_json::from_str(&spec).unwrap();
        value["paths"]["/extra-for-test"] = serde_json::json!({"get": {
            "operationId": "extra.get", "responses": {"204": {"description": "ok"}}}});
        fs::write(
            tmp.join(CLIENT_SPEC),
            serde_json::to_string_pretty(&value).unwrap(),
        )
        .unwrap();
        let stale_names = names(&tmp);
        assert!(
            stale_names.contains(&"mod.rs".to_string()),
            "{stale_names:?}"
        );
        assert!(
            stale_names.contains(&"operations.rs".to_string()),
            "{stale_names:?}"
        );
        let _ = fs::remove_dir_all(tmp);
    }
}
