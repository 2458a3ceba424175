//! The build-script route on small folders of schemas: what it writes, and how it refuses.

use replicate_build::{lock, pin, Builder};
use serde_json::json;
use std::fs;
use std::path::Path;

fn version(id: &str, prompt_max: u64) -> serde_json::Value {
    json!({
        "id": id,
        "cog_version": "0.16.12",
        "openapi_schema": {"components": {"schemas": {
            "Input": {"type": "object", "required": ["prompt"], "properties": {
                "prompt": {"type": "string", "maxLength": prompt_max, "x-order": 0}
            }},
            "Output": {"type": "string"}
        }}}
    })
}

fn write(dir: &Path, rel: &str, value: &serde_json::Value) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

fn builder(dir: &Path, out: &Path) -> Builder {
    Builder::new(dir).out_dir(out).cargo_output(false)
}

#[test]
fn one_include_file_with_a_module_per_model() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = (tmp.path().join("replicate"), tmp.path().join("out"));
    write(&dir, "acme/echo.json", &version("v1", 100));
    write(&dir, "acme/shout.json", &version("v2", 10));
    let compiled = builder(&dir, &out).compile().unwrap();
    assert_eq!(compiled.models, 2);
    assert_eq!(compiled.path, out.join("replicate_models.rs"));
    let text = fs::read_to_string(&compiled.path).unwrap();
    assert!(text.contains("pub mod acme {"), "{text}");
    assert!(text.contains("pub mod echo {") && text.contains("pub mod shout {"));
    // Nothing `include!` refuses at the top of the file.
    let top: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("//"))
        .take(3)
        .collect();
    assert!(
        top.iter()
            .all(|l| !l.starts_with("#!") && !l.starts_with("//!")),
        "{top:?}"
    );

    let renamed = builder(&dir, &out)
        .module("models")
        .runtime_crate("replicate")
        .models(["acme/echo"])
        .generate()
        .unwrap();
    assert_eq!(renamed.models, 1);
    assert!(renamed.contents.contains("pub mod models {"));
    assert!(renamed.contents.contains("::replicate::model::Model"));
    assert!(!renamed.contents.contains("replicate_typed"));
}

#[test]
fn a_bad_schema_names_the_file_and_pointer() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = (tmp.path().join("replicate"), tmp.path().join("out"));
    write(&dir, "acme/echo.json", &version("v1", 100));
    let mut bad = version("v2", 10);
    bad["openapi_schema"]["components"]["schemas"]["Input"]["properties"]["prompt"] =
        json!({"$ref": "#/components/schemas/Missing"});
    write(&dir, "acme/broken.json", &bad);
    let err = builder(&dir, &out).compile().unwrap_err().to_string();
    assert!(err.contains("acme/broken.json"), "{err}");
    assert!(err.contains("#/components/schemas"), "{err}");
    assert!(!out.join("replicate_models.rs").exists());
}

#[test]
fn refusals_are_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = (tmp.path().join("replicate"), tmp.path().join("out"));
    let err = builder(&dir, &out).compile().unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");
    fs::create_dir_all(&dir).unwrap();
    let err = builder(&dir, &out).compile().unwrap_err().to_string();
    assert!(err.contains("no model schemas"), "{err}");
    write(&dir, "acme/echo.json", &version("v1", 100));
    let err = builder(&dir, &out)
        .models(["acme/other"])
        .compile()
        .unwrap_err()
        .to_string();
    assert!(err.contains("acme/other was asked for"), "{err}");
    let err = builder(&dir, &out)
        .runtime_crate("not a crate")
        .compile()
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a crate name"), "{err}");
    let err = Builder::new(&dir).compile().unwrap_err().to_string();
    assert!(err.contains("OUT_DIR"), "{err}");
}

#[test]
fn pins_are_written_checked_and_enforced() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = (tmp.path().join("replicate"), tmp.path().join("out"));
    let lock_path = dir.join("models.lock");
    let first = pin::plan(&dir, "acme", "echo", &version("v1", 100).to_string()).unwrap();
    assert_eq!(first.old_version, None);
    pin::apply(&first, &lock_path).unwrap();
    assert!(lock::check(&dir, &lock_path).unwrap().is_empty());
    assert_eq!(lock::read(&lock_path).unwrap()["acme/echo"].version, "v1");

    // A newer version that lowers a bound is breaking.
    let next = pin::plan(&dir, "acme", "echo", &version("v2", 10).to_string()).unwrap();
    assert!(next.is_breaking(), "{:?}", next.changes);
    assert!(pin::describe(&next).contains("v1 → v2"));

    // A file edited without re-pinning fails the build with the file named.
    write(&dir, "acme/echo.json", &version("v3", 100));
    let err = builder(&dir, &out).compile().unwrap_err().to_string();
    assert!(err.contains("pins version v1"), "{err}");
    assert_eq!(lock::relock(&dir, &lock_path).unwrap(), 1);
    builder(&dir, &out).compile().unwrap();
    // The same file with CRLF line endings (a Windows checkout) still matches its pin.
    let file = dir.join("acme/echo.json");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace('\n', "\r\n")).unwrap();
    assert!(lock::check(&dir, &lock_path).unwrap().is_empty());
}

#[test]
fn references_are_parsed() {
    assert_eq!(
        pin::parse_reference("acme/echo:v1").unwrap(),
        ("acme".into(), "echo".into(), Some("v1".into()))
    );
    assert_eq!(
        pin::parse_reference("acme/echo").unwrap(),
        ("acme".into(), "echo".into(), None)
    );
    for bad in [
        "acme",
        "acme/",
        "/echo",
        "a/b/c",
        "acme/echo:",
        "../echo",
        "acme/..",
        "acme/.hidden",
        "acme/echo:../x",
        "ac me/echo",
    ] {
        assert!(pin::parse_reference(bad).is_err(), "{bad}");
    }
}
