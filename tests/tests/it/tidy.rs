//! Repository rules as code: generated files carry the `@generated` header and live only in
//! generated folders; hand-written files never carry it and always open with a module doc.

use replicate_e2e::workspace_root;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Folders whose files are written by a generator (code or snapshots of it).
const GENERATED: &[&str] = &[
    "crates/replicate-typed/src/generated/",
    "crates/replicate-models/src/generated/",
    "tests/src/cog_models/",
    "tests/snapshots/",
    "tests/snapshots-models/",
];

fn tracked_rust_files(root: &Path) -> Vec<PathBuf> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-co", "--exclude-standard", "*.rs"])
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(PathBuf::from)
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn generated_and_hand_written_code_never_mix() {
    let root = workspace_root();
    let files = tracked_rust_files(&root);
    if files.is_empty() {
        replicate_e2e::skip("not a git checkout");
        return;
    }
    let mut problems = Vec::new();
    for rel in &files {
        let text = fs::read_to_string(root.join(rel)).unwrap_or_default();
        let generated_dir = GENERATED
            .iter()
            .any(|g| rel.to_string_lossy().starts_with(g));
        let generated_header = text.starts_with("// @generated");
        match (generated_dir, generated_header) {
            (true, false) => problems.push(format!(
                "{}: in a generated folder without the @generated header",
                rel.display()
            )),
            (false, true) => problems.push(format!(
                "{}: @generated outside the generated folders",
                rel.display()
            )),
            (false, false) if !text.starts_with("//!") => problems.push(format!(
                "{}: hand-written module without a `//!` doc",
                rel.display()
            )),
            _ => {}
        }
        if generated_header && !text.lines().take(3).any(|l| l.contains("cargo xtask")) {
            problems.push(format!(
                "{}: the header does not name the command that regenerates it",
                rel.display()
            ));
        }
    }
    assert!(files.len() > 50, "only {} files seen", files.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The public crates document cleanly: no broken links, no undocumented public item (each
/// crate denies `missing_docs`), no rustdoc warning.
#[test]
fn public_crates_document_without_warnings() {
    let root = workspace_root();
    let mut command = replicate_e2e::scratch_cargo(&root, &root.join("target/doc-check"));
    command.args(["doc", "--no-deps", "--offline", "--quiet"]);
    for krate in [
        "replicate-typed",
        "replicate-models",
        "replicate-build",
        "replicate-fake",
        "replicate-codegen",
    ] {
        command.args(["-p", krate]);
    }
    let out = command
        .env("RUSTDOCFLAGS", "-D warnings")
        .output()
        .expect("run cargo doc");
    assert!(
        out.status.success(),
        "cargo doc reported problems:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One major version each of the HTTP stack: a user's lockfile never holds two reqwests.
#[test]
fn no_duplicate_majors_of_the_http_stack() {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&root)
        .args([
            "tree",
            "--duplicates",
            "--workspace",
            "--offline",
            "--prefix",
            "none",
            "--depth",
            "0",
        ])
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let duplicated: Vec<&str> = text
        .lines()
        .filter(|l| {
            let name = l.split_whitespace().next().unwrap_or("");
            ["reqwest", "hyper", "http", "rustls", "h2", "tokio"].contains(&name)
        })
        .collect();
    assert!(duplicated.is_empty(), "duplicate majors: {duplicated:?}");
}

/// Every optional feature is optional: the client without `webhooks` and `streaming`, and the
/// runtime without `multipart`, still build without warnings (a `cfg` that forgot an import
/// would otherwise only show up in a user's crate).
#[test]
fn crates_build_without_their_default_features() {
    let root = workspace_root();
    for krate in ["replicate-typed", "replicate-runtime", "replicate-codegen"] {
        let out = replicate_e2e::scratch_cargo(&root, &root.join("target/doc-check"))
            .args(["check", "--offline", "--quiet", "--all-targets"])
            .args(["--no-default-features", "-p", krate])
            .output()
            .expect("run cargo check");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !stderr.contains("warning"),
            "{krate} without default features:\n{stderr}"
        );
    }
}
