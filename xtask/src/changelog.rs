//! `cargo xtask changelog`: a `CHANGELOG.md` section, written from the semantic diff of the
//! committed spec and the current one, only when asked (never as a side effect of `generate`).

use crate::paths::{CHANGELOG, CLIENT_SPEC};
use replicate_codegen::diff::SpecDiff;
use std::fs;
use std::path::Path;
use std::process::Command;

/// Marks the generated sections so a later run replaces its own section instead of stacking up.
const SECTION_START: &str = "<!-- spec-diff from=";
const SECTION_END: &str = "<!-- /spec-diff -->";
/// Sections go below this line (in the "Unreleased" section).
pub const INSERT_MARKER: &str = "<!-- cargo xtask changelog inserts spec-diff sections below -->";

/// `git show HEAD:<spec>` at `root`, or `None` when git or the file is unavailable.
pub fn committed_spec(root: &Path) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["show", &format!("HEAD:{}", CLIENT_SPEC)])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}

/// `cargo xtask changelog` (and `generate --changelog`): writes, replaces or removes the
/// pending CHANGELOG section describing what changed for callers between the committed spec
/// (`git show HEAD:spec/openapi.json`) and the current one.
pub fn run(root: &Path) -> Result<(), String> {
    let message =
        update(root)?.unwrap_or_else(|| "changelog: CHANGELOG.md already up to date".into());
    println!("{message}");
    Ok(())
}

/// The work of [`run`]: `Some(what was done)` when the file changed.
fn update(root: &Path) -> Result<Option<String>, String> {
    let spec_path = root.join(CLIENT_SPEC);
    let current = fs::read_to_string(&spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let current_hash = replicate_codegen::spec_hash(&current);
    let base = committed_spec(root)
        .ok_or("the previous spec is not available from git (`git show HEAD:spec/openapi.json`)")?;
    let base_hash = replicate_codegen::spec_hash(&base);
    let section = if base_hash == current_hash {
        None // back to the committed spec: drop the pending section
    } else {
        let diff = replicate_codegen::diff::diff(&base, &current).map_err(|e| e.to_string())?;
        Some(changelog_section(&base_hash, &current_hash, &diff))
    };
    let path = root.join(CHANGELOG);
    let existing = fs::read_to_string(&path).unwrap_or_default();
    let updated = changelog_with_section(&existing, &base_hash, section.as_deref());
    if updated == existing {
        return Ok(None);
    }
    fs::write(&path, updated).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Some(match section {
        Some(_) => "changelog: wrote CHANGELOG.md (spec diff since the last commit)".to_string(),
        None => "changelog: removed the pending spec-diff section from CHANGELOG.md".to_string(),
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
        let dir =
            std::env::temp_dir().join(format!("xtask-changelog-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
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

    /// `changelog` writes a section from `git show HEAD:spec/openapi.json` to the current spec,
    /// replaces it on the next run, and removes it when the spec is back to the committed one.
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
        let spec = root.join(CLIENT_SPEC);
        fs::create_dir_all(spec.parent().unwrap()).unwrap();
        fs::write(&spec, OLD).unwrap();
        // Not a repository yet: a clear error, nothing written.
        let e = update(&root);
        if !git(&["init", "-q"]) {
            assert!(std::env::var_os("CI").is_none(), "git is missing in CI");
            println!("skipped: git is not available");
            return;
        }
        assert!(e.unwrap_err().contains("not available from git"));
        assert!(run(&root).is_err());
        assert!(!root.join(CHANGELOG).exists());
        assert!(git(&["add", "."]) && git(&["commit", "-q", "-m", "spec"]));

        let intro = fs::read_to_string(crate::paths::workspace_root().join(CHANGELOG))
            .unwrap_or_else(|_| format!("# Changelog\n\n## Unreleased\n\n{INSERT_MARKER}\n"));
        assert!(
            intro.contains(INSERT_MARKER),
            "our CHANGELOG.md carries the marker"
        );
        fs::write(root.join(CHANGELOG), &intro).unwrap();
        // Same spec as committed: nothing to say.
        assert_eq!(update(&root), Ok(None));
        // The spec changed: a section from the diff.
        fs::write(&spec, NEW).unwrap();
        let message = update(&root).unwrap().unwrap();
        assert!(message.contains("wrote CHANGELOG.md"), "{message}");
        let log = fs::read_to_string(root.join(CHANGELOG)).unwrap();
        assert!(log.contains("changed (1 breaking, 1 compatible)"), "{log}");
        assert!(log.contains("`b.get` OperationAdded"), "{log}");
        // Edited again before committing: the section is replaced, not repeated.
        fs::write(&spec, NEW.replace("b.get", "c.get")).unwrap();
        update(&root).unwrap();
        let log = fs::read_to_string(root.join(CHANGELOG)).unwrap();
        assert_eq!(log.matches("### Generated client").count(), 1, "{log}");
        assert!(
            log.contains("`c.get` OperationAdded") && !log.contains("`b.get`"),
            "{log}"
        );
        // Back to the committed spec: the section goes.
        fs::write(&spec, OLD).unwrap();
        update(&root).unwrap();
        assert_eq!(fs::read_to_string(root.join(CHANGELOG)).unwrap(), intro);
        let _ = fs::remove_dir_all(root);
    }
}
