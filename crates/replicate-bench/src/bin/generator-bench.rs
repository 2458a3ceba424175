//! `generator-bench`: our generator against progenitor, timed in one process, interleaved.
//!
//! Both sides go from JSON text to formatted Rust text:
//! - ours: `replicate_codegen::generate_client` (load, type space, render, prettyplease);
//! - progenitor 0.15: `serde_json::from_str::<openapiv3::OpenAPI>` of an edited copy of the
//!   document, `Generator::generate_tokens`, then `syn::parse2` + `prettyplease::unparse` (what
//!   progenitor's README tells users to do with the tokens).
//!
//! For reference it also times progenitor the way its CLI, `cargo progenitor`, formats: the
//! tokens piped through a `rustfmt` process, then `progenitor_impl::space_out_items` (skipped when
//! `rustfmt` is not on PATH). That CLI's wall time is where an older "about 300 ms" came from.
//!
//! Progenitor rejects Replicate's document as published, so it gets an in-memory copy with the
//! hand edits that [`edit_for_progenitor`] prints; the edits are made once, outside the timing.
//! Each round runs both once, alternating which goes first, and the medians are compared; the
//! numbers in the README's "Generator performance" section come from this binary.
//!
//! Run it with `cargo xtask bench --generator` (or
//! `cargo run --release -p replicate-bench --features progenitor --bin generator-bench`); the
//! feature keeps progenitor out of `cargo build/test --workspace`.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: generator-bench [--rounds N]
       generator-bench --specs [--out DIR]
       generator-bench --corpus DIR
       generator-bench --replicate-crate DIR

  --rounds N   interleaved rounds per input, each timing both generators once (default 31, at least 15)
  --specs      which of our focused and vendor-shaped specs (tests/specs) each generator accepts,
               as written, with the first line of each refusal
  --out DIR    with --specs: write both crates of every vendor-shaped spec both accept into
               DIR/<spec>-ours and DIR/<spec>-progenitor, to build them side by side
  --corpus DIR how many of the OpenAPI documents under DIR (such as .cache/openapi-corpus,
               which `cargo xtask test` installs) each generator accepts, and in what time
  --replicate-crate DIR
               write progenitor's crate for spec/openapi.json (with the edits it needs) into
               DIR, for `cargo xtask bench --build-cost`";

/// Default number of timed rounds per input (after one untimed warm-up round).
const DEFAULT_ROUNDS: usize = 31;
/// Fewer rounds than this make the medians too noisy on a shared 2-core machine.
const MIN_ROUNDS: usize = 15;

/// HTTP method keys of a path item; `query` is OpenAPI 3.2's, which Replicate uses for
/// `QUERY /models` and which openapiv3 (a 3.0 model) does not know.
const METHODS: [&str; 9] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace", "query",
];

/// Applies to `doc` the edits progenitor 0.15 needs before it generates anything, and returns one
/// line per edit made. Every edit is conditional, so a document that does not need one is left
/// alone and the printout stays true for other spec versions.
fn edit_for_progenitor(doc: &mut Value) -> Vec<String> {
    let mut edits = Vec::new();
    // progenitor checks `openapi` against 3.0.x and fails with "invalid version: 3.1.0".
    if let Some(version) = doc.get_mut("openapi") {
        if let Some(old) = version.as_str().filter(|v| !v.starts_with("3.0.")) {
            edits.push(format!(
                "openapi {old:?} -> \"3.0.3\" (progenitor: \"invalid version\")"
            ));
            *version = Value::from("3.0.3");
        }
    }
    // progenitor has no multipart support ("unexpected content type: multipart/form-data"), so the
    // only way through is to drop such bodies: the operation then takes no body at all.
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            for method in METHODS {
                let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
                    continue;
                };
                let multipart = op
                    .get("requestBody")
                    .and_then(|b| b.get("content"))
                    .and_then(Value::as_object)
                    .is_some_and(|c| c.contains_key("multipart/form-data"));
                if multipart {
                    op.remove("requestBody");
                    edits.push(format!(
                        "deleted the multipart/form-data requestBody of {} {path} ({}) \
                         (progenitor: \"unexpected content type\")",
                        method.to_uppercase(),
                        operation_id(op),
                    ));
                }
            }
        }
    }
    edits
}

fn operation_id(op: &serde_json::Map<String, Value>) -> &str {
    op.get("operationId").and_then(Value::as_str).unwrap_or("?")
}

/// `METHOD path (operationId)` of every operation in the JSON document, including methods
/// openapiv3 cannot represent; compared with what progenitor saw to name what it dropped.
fn json_operations(doc: &Value) -> Vec<String> {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut ops = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(op) = item.get(method).and_then(Value::as_object) {
                ops.push(format!(
                    "{} {path} ({})",
                    method.to_uppercase(),
                    operation_id(op)
                ));
            }
        }
    }
    ops
}

/// One progenitor run, split into its phases so the README can say where the time goes.
struct ProgenitorRun {
    parse: Duration,
    tokens: Duration,
    format: Duration,
    /// Operations progenitor generated a method for (it fails outright rather than skip one).
    operations: Vec<String>,
    lines: usize,
    /// The formatted code.
    text: String,
}

impl ProgenitorRun {
    fn total(&self) -> Duration {
        self.parse + self.tokens + self.format
    }
}

fn run_progenitor(edited: &str) -> Result<ProgenitorRun, String> {
    let start = Instant::now();
    let spec: openapiv3::OpenAPI =
        serde_json::from_str(edited).map_err(|e| format!("openapiv3 cannot parse it: {e}"))?;
    let parsed = Instant::now();
    // A new Generator every run: it accumulates types, so reusing one would time less work.
    let mut generator =
        progenitor_impl::Generator::new(&progenitor_impl::GenerationSettings::default());
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("generate_tokens: {e}"))?;
    let generated = Instant::now();
    let file = syn::parse2::<syn::File>(tokens).map_err(|e| format!("syn::parse2: {e}"))?;
    let text = prettyplease::unparse(&file);
    let formatted = Instant::now();
    let operations = spec
        .operations()
        .map(|(path, method, op)| {
            let id = op.operation_id.as_deref().unwrap_or("?");
            format!("{} {path} ({id})", method.to_uppercase())
        })
        .collect();
    Ok(ProgenitorRun {
        parse: parsed - start,
        tokens: generated - parsed,
        format: formatted - generated,
        operations,
        lines: std::hint::black_box(&text).lines().count(),
        text,
    })
}

/// progenitor as `cargo progenitor` formats its output: parse, `generate_tokens`, a `rustfmt`
/// process on the token text, then `space_out_items`. Returns the total time.
fn run_progenitor_rustfmt(edited: &str) -> Result<Duration, String> {
    let start = Instant::now();
    let spec: openapiv3::OpenAPI =
        serde_json::from_str(edited).map_err(|e| format!("openapiv3 cannot parse it: {e}"))?;
    let mut generator =
        progenitor_impl::Generator::new(&progenitor_impl::GenerationSettings::default());
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("generate_tokens: {e}"))?;
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    // Written from another thread: rustfmt may fill its stdout pipe before reading all of stdin.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = tokens.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    writer
        .join()
        .expect("the writer thread does not panic")
        .map_err(|e| format!("writing to rustfmt: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|e| format!("rustfmt output: {e}"))?;
    let text = progenitor_impl::space_out_items(text).map_err(|e| format!("{e}"))?;
    std::hint::black_box(text);
    Ok(start.elapsed())
}

/// One run of ours: (time, operations, lines of all generated files).
fn run_ours(text: &str, opts: &replicate_codegen::Options) -> (Duration, usize, usize) {
    let start = Instant::now();
    let out = replicate_codegen::generate_client(text, opts).expect("our generator succeeds");
    let elapsed = start.elapsed();
    let lines = out.files.iter().map(|f| f.contents.lines().count()).sum();
    (elapsed, out.operations, std::hint::black_box(lines))
}

/// Median, min and max of `values` (the mean of the middle two for an even count).
fn median_min_max(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    (median, values[0], values[n - 1])
}

/// Median, min and max, in milliseconds.
fn stats(times: &[Duration]) -> (f64, f64, f64) {
    median_min_max(times.iter().map(|t| t.as_secs_f64() * 1e3).collect())
}

fn describe(times: &[Duration]) -> String {
    let (median, min, max) = stats(times);
    format!("median {median:.1} ms (min {min:.1}, max {max:.1})")
}

fn bench(label: &str, text: &str, rounds: usize) {
    println!("\n== {label} ({} bytes)", text.len());
    let opts = replicate_codegen::Options::default();
    let mut doc: Value = serde_json::from_str(text).expect("the input is JSON");
    let in_document = json_operations(&doc);
    let edits = edit_for_progenitor(&mut doc);
    println!("progenitor edits (on an in-memory copy, before timing):");
    if edits.is_empty() {
        println!("  (none)");
    }
    for edit in &edits {
        println!("  - {edit}");
    }
    let edited = serde_json::to_string(&doc).expect("a Value serializes");

    // Warm-up (untimed), which also finds out whether progenitor accepts the document at all:
    // it can panic (`todo!`) on schemas it does not handle, so that is caught here once.
    let (_, our_ops, our_lines) = run_ours(text, &opts);
    let first = std::panic::catch_unwind(|| run_progenitor(&edited))
        .unwrap_or_else(|_| Err("progenitor panicked (see the message above)".into()));
    let first = match first {
        Ok(run) => run,
        Err(e) => {
            println!("progenitor: failed even with the edits: {e}");
            let ours: Vec<Duration> = (0..rounds).map(|_| run_ours(text, &opts).0).collect();
            println!("ours:       {our_ops} operations, {}", describe(&ours));
            return;
        }
    };

    let cli_style = match run_progenitor_rustfmt(&edited) {
        Ok(_) => true,
        Err(e) => {
            println!("progenitor + rustfmt: skipped ({e})");
            false
        }
    };

    let mut ours = Vec::with_capacity(rounds);
    let mut with_rustfmt = Vec::with_capacity(rounds);
    let mut theirs = Vec::with_capacity(rounds);
    let (mut parse, mut tokens, mut format) = (Vec::new(), Vec::new(), Vec::new());
    let mut ratios = Vec::with_capacity(rounds);
    for round in 0..rounds {
        // Alternating the order cancels whatever the first of a pair pays (caches, allocator).
        let (our_time, p) = if round % 2 == 0 {
            let o = run_ours(text, &opts).0;
            (o, run_progenitor(&edited))
        } else {
            let p = run_progenitor(&edited);
            (run_ours(text, &opts).0, p)
        };
        let p = p.expect("progenitor succeeded in the warm-up");
        if cli_style {
            // Last in every round: a reference line of its own, not part of the ratio.
            with_rustfmt
                .push(run_progenitor_rustfmt(&edited).expect("it succeeded in the warm-up"));
        }
        ratios.push(p.total().as_secs_f64() / our_time.as_secs_f64());
        ours.push(our_time);
        theirs.push(p.total());
        parse.push(p.parse);
        tokens.push(p.tokens);
        format.push(p.format);
    }

    let dropped: Vec<&String> = in_document
        .iter()
        .filter(|op| !first.operations.contains(op))
        .collect();
    println!(
        "ours:       {our_ops} operations, {our_lines} lines, {}",
        describe(&ours)
    );
    println!(
        "progenitor: {} operations, {} lines, {}",
        first.operations.len(),
        first.lines,
        describe(&theirs)
    );
    println!(
        "  phases (median ms): openapiv3 parse {:.1}, generate_tokens {:.1}, parse2+unparse {:.1}",
        stats(&parse).0,
        stats(&tokens).0,
        stats(&format).0
    );
    if cli_style {
        println!(
            "progenitor + rustfmt process + space_out_items (as `cargo progenitor`): {}",
            describe(&with_rustfmt)
        );
    }
    for op in dropped {
        println!("  not generated by progenitor (no error): {op}");
    }
    let (ratio_median, ratio_min, ratio_max) = median_min_max(ratios);
    println!(
        "ratio progenitor/ours: {:.2}x (of the medians); per round median {ratio_median:.2}x, \
         min {ratio_min:.2}x, max {ratio_max:.2}x",
        stats(&theirs).0 / stats(&ours).0
    );
}

/// Removes from `doc` what progenitor 0.15 refuses in our vendor-shaped specs, so both
/// generators can be compared on the rest: what [`edit_for_progenitor`] removes, query
/// parameters in the `deepObject` and delimited styles and header arrays (inline or by `$ref`), form `encoding`
/// maps (a `todo!` in progenitor), and the error responses of an operation whose success is
/// not JSON (progenitor asserts one response type per operation). Returns a line per edit.
fn subset_for_progenitor(doc: &mut Value) -> Vec<String> {
    let mut edits = edit_for_progenitor(doc);
    let components = doc
        .pointer("/components/parameters")
        .cloned()
        .unwrap_or_default();
    let refused = |param: &Value| {
        let param = match param.get("$ref").and_then(Value::as_str) {
            Some(r) => r
                .strip_prefix("#/components/parameters/")
                .and_then(|name| components.get(name))
                .unwrap_or(param),
            None => param,
        };
        let style = param.get("style").and_then(Value::as_str);
        // A header array: progenitor generates `value.to_string()` on a `Vec`, which does
        // not compile.
        let header_array = param.get("in").and_then(Value::as_str) == Some("header")
            && param.pointer("/schema/type").and_then(Value::as_str) == Some("array");
        (header_array
            || matches!(
                style,
                Some("deepObject" | "spaceDelimited" | "pipeDelimited")
            ))
        .then(|| param["name"].as_str().unwrap_or("?").to_string())
    };
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return edits;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (key, value) in item.iter_mut() {
            let mut lists = vec![];
            if key == "parameters" {
                lists.push(value);
            } else if METHODS.contains(&key.as_str()) {
                if let Some(content) = value
                    .pointer_mut("/requestBody/content")
                    .and_then(Value::as_object_mut)
                {
                    for (media, m) in content.iter_mut() {
                        if m.as_object_mut()
                            .and_then(|m| m.remove("encoding"))
                            .is_some()
                        {
                            edits.push(format!("dropped the {media} encoding of {key} {path}"));
                        }
                    }
                }
                if let Some(responses) = value.get_mut("responses").and_then(Value::as_object_mut) {
                    let binary_success = responses.iter().any(|(status, r)| {
                        status.starts_with('2')
                            && r.get("content")
                                .and_then(Value::as_object)
                                .is_some_and(|c| c.keys().any(|m| !m.contains("json")))
                    });
                    if binary_success {
                        let before = responses.len();
                        responses.retain(|status, _| status.starts_with('2'));
                        if responses.len() < before {
                            edits.push(format!(
                                "dropped the error responses of {key} {path} (its success is not JSON)"
                            ));
                        }
                    }
                }
                if let Some(p) = value.get_mut("parameters") {
                    lists.push(p);
                }
            }
            for list in lists {
                if let Some(list) = list.as_array_mut() {
                    list.retain(|p| match refused(p) {
                        Some(name) => {
                            edits.push(format!("dropped parameter `{name}` of {path}"));
                            false
                        }
                        None => true,
                    });
                }
            }
        }
    }
    edits
}

/// What each generator makes of every spec in `tests/specs`, as written: progenitor gets the
/// same document (YAML converted to JSON), without the edits [`bench`] makes for Replicate's.
fn coverage(root: &Path, out: Option<&Path>) -> Result<(), String> {
    let dir = root.join("tests/specs");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let first_line = |e: String| e.lines().next().unwrap_or_default().to_string();
    // progenitor panics on what it does not handle; the message is kept, the hook's printout
    // (a whole document) is not.
    std::panic::set_hook(Box::new(|_| {}));
    let (mut ours_ok, mut theirs_ok) = (0, 0);
    for name in &names {
        let text = std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
        let doc = replicate_codegen::load::parse_text(&text).map_err(|e| format!("{name}: {e}"))?;
        let json = serde_json::to_string(&doc).expect("a Value serializes");
        // Specs of invalid documents are for `--lenient`, as in the snapshot tests.
        let opts = replicate_codegen::Options {
            lenient: name.starts_with("lenient_"),
            ..Default::default()
        };
        let ours = replicate_codegen::generate_client(&text, &opts);
        let theirs = std::panic::catch_unwind(|| run_progenitor(&json))
            .unwrap_or_else(|panic| Err(panic_text(panic)));
        println!("{name}");
        match &ours {
            Ok(g) => {
                ours_ok += 1;
                println!("  ours:       {} operations", g.operations)
            }
            Err(e) => println!("  ours:       refused: {}", first_line(e.to_string())),
        }
        match &theirs {
            Ok(run) => {
                theirs_ok += 1;
                println!("  progenitor: {} operations", run.operations.len())
            }
            Err(e) => println!("  progenitor: refused: {}", first_line(e.clone())),
        }
        if name.starts_with("vendor_") {
            // The same document without what progenitor refuses, through both generators.
            let mut subset = doc.clone();
            let edits = subset_for_progenitor(&mut subset);
            let subset = serde_json::to_string(&subset).expect("a Value serializes");
            println!("  without what progenitor refuses ({} edits):", edits.len());
            for edit in &edits {
                println!("    - {edit}");
            }
            let ours = replicate_codegen::generate_client(&subset, &Default::default());
            let theirs = std::panic::catch_unwind(|| run_progenitor(&subset))
                .unwrap_or_else(|panic| Err(panic_text(panic)));
            match (&ours, &theirs) {
                (Ok(o), Ok(t)) => {
                    println!(
                        "    ours {} operations, progenitor {} operations",
                        o.operations,
                        t.operations.len()
                    );
                    if let Some(out) = out {
                        let stem = name.trim_end_matches(".yaml").trim_end_matches(".json");
                        write_pair(root, out, stem, &subset, &t.text)?;
                    }
                    bench(
                        &format!("{name}, the part both accept"),
                        &subset,
                        MIN_ROUNDS,
                    );
                }
                _ => println!(
                    "    ours: {}; progenitor: {}",
                    ours.as_ref()
                        .map_or_else(|e| first_line(e.to_string()), |_| "ok".into()),
                    theirs
                        .as_ref()
                        .map_or_else(|e| first_line(e.clone()), |_| "ok".into())
                ),
            }
        }
    }
    println!(
        "\naccepted: ours {ours_ok} of {}, progenitor {theirs_ok} of {}",
        names.len(),
        names.len()
    );
    Ok(())
}

/// The message of a caught panic, cut to its first 160 characters (progenitor's `todo!`s
/// print whole documents).
fn panic_text(panic: Box<dyn std::any::Any + Send>) -> String {
    let text = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    let cut: String = text.chars().take(160).collect();
    format!("panicked: {}", cut.replace('\n', " "))
}

/// Writes our standalone crate and progenitor's (with the dependencies its README lists, plus
/// `chrono` and `regress`, which its output for these specs uses) as two release-profile crates of their own.
/// The `[dependencies]` a progenitor 0.15 crate needs, with reqwest's own rustls (aws-lc).
const PROGENITOR_DEPENDENCIES: &str = "progenitor-client = \"0.15\"\n\
     reqwest = { version = \"0.13\", default-features = false, features = [\"json\", \"stream\", \"query\", \"form\", \"rustls\"] }\n\
     serde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"\n\
     chrono = { version = \"0.4\", features = [\"serde\"] }\nregress = \"0.10\"\n";

/// Writes progenitor's crate for Replicate's document (`spec/openapi.json`, edited as
/// [`edit_for_progenitor`] prints) into `dir`, named `replicate-progenitor`.
fn replicate_crate(root: &Path, dir: &Path) -> Result<(), String> {
    let text =
        std::fs::read_to_string(root.join("spec/openapi.json")).map_err(|e| e.to_string())?;
    let mut doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    for edit in edit_for_progenitor(&mut doc) {
        println!("  progenitor edit: {edit}");
    }
    let run = run_progenitor(&doc.to_string())?;
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"replicate-progenitor\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         publish = false\n\n[dependencies]\n{PROGENITOR_DEPENDENCIES}"
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("src/lib.rs"), &run.text).map_err(|e| e.to_string())?;
    println!(
        "  wrote progenitor's crate ({} lines) to {}",
        run.lines,
        dir.display()
    );
    Ok(())
}

fn write_pair(root: &Path, out: &Path, stem: &str, text: &str, theirs: &str) -> Result<(), String> {
    let runtime =
        std::fs::canonicalize(root.join("crates/replicate-runtime")).map_err(|e| e.to_string())?;
    let ours = replicate_codegen::generate_standalone(
        text,
        &replicate_codegen::StandaloneOptions {
            crate_name: format!("{}-ours", stem.replace('_', "-")),
            runtime_dep: replicate_codegen::path_dependency(&runtime.display().to_string()),
            spec_label: format!("tests/specs/{stem}"),
            own_workspace: true,
            command: None,
            lenient: false,
        },
    )
    .map_err(|e| e.to_string())?;
    let write = |path: std::path::PathBuf, contents: &str| -> Result<(), String> {
        std::fs::create_dir_all(path.parent().expect("a file in a directory"))
            .and_then(|_| std::fs::write(&path, contents))
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    let our_dir = out.join(format!("{stem}-ours"));
    for f in &ours.files {
        write(our_dir.join(&f.path), &f.contents)?;
    }
    let their_dir = out.join(format!("{stem}-progenitor"));
    write(
        their_dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"{}-progenitor\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\n{PROGENITOR_DEPENDENCIES}\n[workspace]\n",
            stem.replace('_', "-")
        ),
    )?;
    write(their_dir.join("src/lib.rs"), theirs)?;
    println!("  wrote {} and {}", our_dir.display(), their_dir.display());
    Ok(())
}

/// What each generator makes of every OpenAPI document under `dir` (JSON or YAML, any depth):
/// how many each accepts, how many only one does, and how long each took in all. progenitor
/// gets the document as JSON, and its panics count as refusals.
fn corpus_coverage(dir: &Path) -> Result<(), String> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
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
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "no .json or .yaml documents under {}",
            dir.display()
        ));
    }
    std::panic::set_hook(Box::new(|_| {}));
    let (mut ours_ok, mut theirs_ok, mut both, mut theirs_panics) = (0, 0, 0, 0);
    let (mut ours_time, mut theirs_time) = (Duration::ZERO, Duration::ZERO);
    for (i, path) in files.iter().enumerate() {
        if i % 250 == 0 {
            eprintln!("generator-bench: {i} of {} documents", files.len());
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let started = Instant::now();
        let ours = replicate_codegen::generate_client(&text, &Default::default()).is_ok();
        ours_time += started.elapsed();
        let json = replicate_codegen::load::parse_text(&text)
            .map(|doc| serde_json::to_string(&doc).expect("a Value serializes"));
        let started = Instant::now();
        let theirs = match json {
            Ok(json) => match std::panic::catch_unwind(|| run_progenitor(&json)) {
                Ok(result) => result.is_ok(),
                Err(_) => {
                    theirs_panics += 1;
                    false
                }
            },
            Err(_) => false,
        };
        theirs_time += started.elapsed();
        ours_ok += usize::from(ours);
        theirs_ok += usize::from(theirs);
        both += usize::from(ours && theirs);
    }
    let n = files.len();
    let share = |k: usize| 100.0 * k as f64 / n as f64;
    println!("{n} documents under {}", dir.display());
    println!(
        "  ours:       accepts {ours_ok} ({:.1}%), in {:.1?} in all",
        share(ours_ok),
        ours_time
    );
    println!(
        "  progenitor: accepts {theirs_ok} ({:.1}%), in {:.1?} in all; panicked on {theirs_panics}",
        share(theirs_ok),
        theirs_time
    );
    println!(
        "  both {both}; only ours {}; only progenitor {}",
        ours_ok - both,
        theirs_ok - both
    );
    Ok(())
}

fn parse_rounds(args: &[String]) -> Result<usize, String> {
    let mut rounds = DEFAULT_ROUNDS;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => {
                let value = args.next().ok_or("--rounds needs a value")?;
                rounds = value
                    .parse()
                    .map_err(|_| format!("--rounds: not a valid number: {value}"))?;
            }
            // `cargo bench`-style runners pass `--bench`; harmless here.
            "--bench" => {}
            // Read by `main`.
            "--specs" => {}
            "--out" | "--corpus" | "--replicate-crate" => {
                args.next();
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if rounds < MIN_ROUNDS {
        return Err(format!("--rounds must be at least {MIN_ROUNDS}"));
    }
    Ok(rounds)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds = match parse_rounds(&args) {
        Ok(rounds) => rounds,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if let Some(dir) = args
        .iter()
        .position(|a| a == "--corpus")
        .and_then(|i| args.get(i + 1))
    {
        return match corpus_coverage(Path::new(dir)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("generator-bench: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(dir) = args
        .iter()
        .position(|a| a == "--replicate-crate")
        .and_then(|i| args.get(i + 1))
    {
        return match replicate_crate(&root, Path::new(dir)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("generator-bench: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.iter().any(|a| a == "--specs") {
        let out = args
            .iter()
            .position(|a| a == "--out")
            .and_then(|i| args.get(i + 1))
            .map(Path::new);
        return match coverage(&root, out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("generator-bench: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if cfg!(debug_assertions) {
        println!("warning: debug build; run with --release for numbers worth comparing");
    }
    println!(
        "generator-bench: ours vs progenitor-impl 0.15, {rounds} interleaved rounds per input \
         after 1 warm-up, {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // `root` is the workspace root; `../shared` sits beside the checkout.
    let ours = std::fs::read_to_string(root.join("spec/openapi.json")).expect("spec/openapi.json");
    bench("spec/openapi.json", &ours, rounds);
    match std::fs::read_to_string(root.join("../shared/replicate-openapi/latest.json")) {
        Ok(latest) => bench("../shared/replicate-openapi/latest.json", &latest, rounds),
        Err(_) => println!(
            "\n== ../shared/replicate-openapi/latest.json: skipped (../shared is not beside the checkout)"
        ),
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_are_made_only_where_needed() {
        let mut doc = serde_json::json!({
            "openapi": "3.1.0",
            "paths": {
                "/files": {"post": {"operationId": "files.create", "requestBody": {
                    "content": {"multipart/form-data": {"schema": {"type": "object"}}}}}},
                "/things": {"post": {"operationId": "things.create", "requestBody": {
                    "content": {"application/json": {"schema": {"type": "object"}}}}}}
            }
        });
        assert_eq!(edit_for_progenitor(&mut doc).len(), 2);
        assert_eq!(doc["openapi"], "3.0.3");
        assert!(doc["paths"]["/files"]["post"].get("requestBody").is_none());
        assert!(doc["paths"]["/things"]["post"].get("requestBody").is_some());
        assert!(edit_for_progenitor(&mut doc).is_empty());
    }

    #[test]
    fn the_subset_drops_only_what_progenitor_refuses() {
        let mut doc = serde_json::json!({
            "openapi": "3.0.3",
            "components": {"parameters": {"Created": {"name": "created", "in": "query", "style": "deepObject", "schema": {"type": "object"}}}},
            "paths": {"/a": {"get": {"operationId": "a.list", "parameters": [
                {"$ref": "#/components/parameters/Created"},
                {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                {"name": "X-Tags", "in": "header", "schema": {"type": "array", "items": {"type": "string"}}}
            ], "responses": {"200": {"description": "ok", "content": {"application/pdf": {}}}, "default": {"description": "error"}}},
            "post": {"operationId": "a.create", "requestBody": {"content": {"application/x-www-form-urlencoded": {
                "schema": {"type": "object"}, "encoding": {"m": {"style": "deepObject"}}}}}}}}
        });
        let edits = subset_for_progenitor(&mut doc);
        assert_eq!(edits.len(), 4, "{edits:?}");
        let params = doc["paths"]["/a"]["get"]["parameters"].as_array().unwrap();
        assert_eq!(params.len(), 1);
        assert_eq!(params[0]["name"], "limit");
        assert!(doc["paths"]["/a"]["get"]["responses"]
            .get("default")
            .is_none());
        assert!(doc
            .pointer(
                "/paths/~1a/post/requestBody/content/application~1x-www-form-urlencoded/encoding"
            )
            .is_none());
        assert!(subset_for_progenitor(&mut doc).is_empty());
    }
}
