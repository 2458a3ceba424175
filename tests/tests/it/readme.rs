//! The README, tried as a new user would: a fresh crate outside this workspace with exactly the
//! dependencies the README's `cargo add` lines list, every Rust block of the README in it as
//! written (blocks with a `#[tokio::test]` as tests, the others as examples: whole programs,
//! since a user copies what GitHub shows), built, and its tests run.

use replicate_e2e::downstream::{cargo, expect_success};
use replicate_e2e::workspace_root;
use std::fs;

/// One fenced Rust block: its info string and its code, exactly as the README shows it.
pub(crate) struct Block {
    pub(crate) info: String,
    pub(crate) code: String,
}

pub(crate) fn rust_blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for line in readme.lines() {
        match &mut current {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    if info.starts_with("rust") {
                        current = Some(Block {
                            info: info.to_string(),
                            code: String::new(),
                        });
                    }
                }
            }
            Some(block) if line.starts_with("```") => {
                blocks.push(std::mem::replace(
                    block,
                    Block {
                        info: String::new(),
                        code: String::new(),
                    },
                ));
                current = None;
            }
            Some(block) => {
                block.code.push_str(line);
                block.code.push('\n');
            }
        }
    }
    blocks
}

/// The dependencies named by the README's `cargo add` lines: `(name, dev, features)`, once
/// each in order of first mention (the README shows the git, path and registry forms of the
/// same crates). A line may name several crates; flag values (`--git URL`) are not names.
fn cargo_add_lines(readme: &str) -> Vec<(String, bool, Vec<String>)> {
    let mut deps: Vec<(String, bool, Vec<String>)> = Vec::new();
    for rest in readme
        .lines()
        .filter_map(|l| l.trim().strip_prefix("cargo add "))
    {
        let words: Vec<&str> = rest
            .split('#')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let dev = words.contains(&"--dev");
        let features: Vec<String> = words
            .iter()
            .position(|w| *w == "--features")
            .and_then(|i| words.get(i + 1))
            .map(|f| f.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        let mut skip_value = false;
        for word in &words {
            if std::mem::take(&mut skip_value) {
                continue;
            }
            if let Some(flag) = word.strip_prefix("--") {
                skip_value = matches!(flag, "git" | "path" | "features" | "branch" | "rev");
                continue;
            }
            if !deps.iter().any(|(name, _, _)| name == word) {
                deps.push((word.to_string(), dev, features.clone()));
            }
        }
    }
    deps
}

#[test]
fn every_readme_block_compiles_and_runs_in_a_fresh_crate() {
    let root = workspace_root();
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let deps = cargo_add_lines(&readme);
    let names: Vec<&str> = deps.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "replicate-typed",
            "replicate-models",
            "replicate-fake",
            "tokio",
            "futures"
        ],
        "the README's dependency list changed; update this test with it"
    );
    let ours = |name: &str| root.join("crates").join(name).display().to_string();
    let mut manifest = String::from(
        "[package]\nname = \"readme-user\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n",
    );
    let mut dev = String::from("\n[dev-dependencies]\n");
    for (name, is_dev, features) in &deps {
        let spec = if name.starts_with("replicate-") {
            format!("{{ path = {:?} }}", ours(name))
        } else if features.is_empty() {
            "\"*\"".to_string()
        } else {
            format!("{{ version = \"*\", features = {features:?} }}")
        };
        let line = format!("{name} = {spec}\n");
        if *is_dev {
            dev.push_str(&line);
        } else {
            manifest.push_str(&line);
        }
    }
    // The build-script route's block uses replicate-build, which the README names in that
    // route's own Cargo.toml.
    dev.push_str(&format!(
        "replicate-build = {{ path = {:?} }}\n",
        ours("replicate-build")
    ));
    manifest.push_str(&dev);
    manifest.push_str("\n[workspace]\n");

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::create_dir_all(dir.join("examples")).unwrap();
    fs::create_dir_all(dir.join("tests")).unwrap();
    fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    fs::write(dir.join("src/lib.rs"), "//! A user's crate.\n").unwrap();
    let blocks = rust_blocks(&readme);
    let mut compiled = 0;
    let mut tests = 0;
    for (i, block) in blocks.iter().enumerate() {
        if block.info.contains("ignore") {
            continue;
        }
        if block.code.contains("#[tokio::test]") {
            fs::write(dir.join(format!("tests/readme_{i}.rs")), &block.code).unwrap();
            tests += 1;
        } else {
            // rustdoc's hidden lines (`# `) are shown as-is on GitHub: a block must not need them.
            assert!(
                block.code.contains("fn main") && !block.code.lines().any(|l| l.starts_with("# ")),
                "README block {i} is not a whole program as written:\n{}",
                block.code
            );
            fs::write(dir.join(format!("examples/readme_{i}.rs")), &block.code).unwrap();
        }
        compiled += 1;
    }
    assert!(
        compiled >= 8 && tests >= 1,
        "{compiled} blocks, {tests} tests"
    );
    let out = cargo(dir, &["test", "--quiet"]);
    let stdout = expect_success("cargo test in the README crate", out);
    println!("{compiled} README blocks compiled, {tests} run as tests\n{stdout}");
}
