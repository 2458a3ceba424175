//! End-to-end tests against a real Cog prediction server (coglet 0.23.1) running our own test
//! predictors (`tests/cog/<name>/predict.py`) on 127.0.0.1, with raw JSON for now.
//!
//! `cargo xtask test` installs Cog into `.cache/cog/` first. Without it these tests print
//! `skipped: …` and pass, except in CI (`CI` set), where they fail.

use base64::Engine as _;
use replicate_e2e::cog::{self, CogOptions, CogServer};
use serde_json::{json, Value};

const HELLO: &str = "data:text/plain;base64,aGVsbG8gd29ybGQ="; // "hello world", 11 bytes
const A: &str = "data:text/plain;base64,YQ=="; // "a", 1 byte

/// Decodes a `data:<type>;base64,<data>` URI into (type, bytes).
fn decode_data_uri(uri: &str) -> (String, Vec<u8>) {
    let rest = uri
        .strip_prefix("data:")
        .unwrap_or_else(|| panic!("not a data URI: {uri}"));
    let (meta, data) = rest.split_once(',').expect("data URI has a comma");
    let mime = meta.strip_suffix(";base64").expect("base64 data URI");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("valid base64");
    (mime.to_string(), bytes)
}

/// Downloads a file output that the server uploaded to our receiver.
async fn fetch(server: &CogServer, url: &str) -> (String, Vec<u8>) {
    let files = server.files_url().expect("upload receiver running");
    assert!(url.starts_with(&files), "{url} is not under {files}");
    let resp = server.http().get(url).send().await.expect("GET file");
    assert_eq!(resp.status().as_u16(), 200, "GET {url}");
    let mime = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (mime, resp.bytes().await.expect("file body").to_vec())
}

/// The bytes of a file output, whichever form it has: an upload URL or a `data:` URI.
async fn file_bytes(server: &CogServer, output: &Value) -> Vec<u8> {
    let s = output
        .as_str()
        .unwrap_or_else(|| panic!("file output {output}"));
    if s.starts_with("data:") {
        decode_data_uri(s).1
    } else {
        fetch(server, s).await.1
    }
}

fn assert_succeeded(name: &str, status: u16, body: &Value) {
    assert_eq!(status, 200, "{name}: {body}");
    assert_eq!(body["status"], "succeeded", "{name}: {body}");
    assert!(
        body["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("pred_")),
        "{name}: {body}"
    );
}

#[test]
fn schema_fixtures_are_current() {
    match cog::stale_schemas() {
        Ok(None) => cog::skip(
            "Cog 0.16.12 is not installed in .cache/cog/v016 (run `cargo xtask cog-schemas`)",
        ),
        Ok(Some(stale)) => assert!(
            stale.is_empty(),
            "stale Cog schema fixtures (run `cargo xtask cog-schemas`): {}",
            stale.join(", ")
        ),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn every_predictor_has_a_fixture_with_input_and_output() {
    let names = cog::predictor_names();
    for expected in [
        "gallery", "kitchen", "llm", "media", "number", "records", "scalar",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing: {names:?}"
        );
    }
    for name in names {
        let schema = CogServer::schema(&name);
        assert_eq!(schema["openapi"], "3.0.2", "{name}");
        let input = &schema["components"]["schemas"]["Input"];
        assert_eq!(input["type"], "object", "{name}: {input}");
        assert!(
            schema["components"]["schemas"]["Output"].is_object(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn kitchen_loads_the_committed_schema() {
    let Some(server) = CogServer::start("kitchen").await else {
        return;
    };
    let served: Value = server
        .http()
        .get(format!("{}/openapi.json", server.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let committed = CogServer::schema("kitchen");
    assert_eq!(
        served["components"]["schemas"]["Input"],
        committed["components"]["schemas"]["Input"]
    );
    assert!(
        server.logs().contains("Loaded OpenAPI schema"),
        "{}",
        server.logs()
    );
}

#[tokio::test]
async fn kitchen_defaults() {
    let Some(server) = CogServer::start("kitchen").await else {
        return;
    };
    let (status, body) = server.predict(json!({"prompt": "a cat"})).await;
    assert_succeeded("kitchen", status, &body);
    assert_eq!(
        body["output"],
        json!({
            "summary": "a cat x20 1:1 None 512px name=ab code=abc-12 type=fn neg=None",
            "total": 150.0,
            "count": 0,
            "ok": true,
            "tags": ["a", "b"],
            "seed": null,
            "secret_length": 0,
            "input_bytes": [],
            "file": null
        })
    );
    assert_eq!(body["logs"], "prompt='a cat' steps=20 seed=None\n");
}

#[tokio::test]
async fn kitchen_every_input() {
    let Some(server) = CogServer::start("kitchen").await else {
        return;
    };
    let (status, body) = server
        .predict(json!({
            "prompt": "a cat",
            "steps": 3,
            "guidance": 2.5,
            "fast": true,
            "aspect_ratio": "16:9",
            "scheduler": "DPM++ 2M",
            "size": 768,
            "name": "xyz",
            "code": "qrs-99",
            "seed": 42,
            "negative_prompt": "dog",
            "image": HELLO,
            "document": HELLO,
            "api_key": "s3cr3t",
            "words": ["x", "y", "z"],
            "numbers": [1, 2, 3],
            "images": [HELLO, A],
            "type": "struct"
        }))
        .await;
    assert_succeeded("kitchen", status, &body);
    let mut output = body["output"].clone();
    let file = output["file"].take();
    assert_eq!(
        output,
        json!({
            "summary": "a cat x3 16:9 DPM++ 2M 768px name=xyz code=qrs-99 type=struct neg=dog",
            "total": 7.5,
            "count": 6,
            "ok": false,
            "tags": ["x", "y", "z"],
            "seed": 42,
            "secret_length": 6,
            "input_bytes": [11, 11, 11, 1],
            "file": null
        })
    );
    // coglet 0.23.1 uploads only top-level file outputs (a Path, or the items of a list or
    // iterator); a Path inside an object stays a data: URI even with --upload-url.
    let uri = file.as_str().expect("file output");
    assert_eq!(
        decode_data_uri(uri),
        ("text/plain".to_string(), b"a cat|34".to_vec())
    );
    assert!(server.uploads().is_empty(), "{:?}", server.uploads());
}

#[tokio::test]
async fn kitchen_invalid_inputs_are_422_naming_the_field() {
    let Some(server) = CogServer::start("kitchen").await else {
        return;
    };
    // (input, field named in `loc`, part of `msg`)
    let cases = [
        (
            json!({"prompt": "a", "steps": 100}),
            "steps",
            "100 is greater than the maximum of 50",
        ),
        (
            json!({"prompt": "a", "steps": 0}),
            "steps",
            "0 is less than the minimum of 1",
        ),
        (
            json!({"prompt": "a", "steps": "abc"}),
            "steps",
            "is not of type \"integer\"",
        ),
        (
            json!({"prompt": "a", "guidance": 11}),
            "guidance",
            "greater than the maximum of 10",
        ),
        (
            json!({"prompt": "a", "fast": "yes"}),
            "fast",
            "is not of type \"boolean\"",
        ),
        (json!({"steps": 3}), "prompt", "Field required"),
        (
            json!({"prompt": "a", "aspect_ratio": "2:1"}),
            "aspect_ratio",
            "is not one of",
        ),
        (
            json!({"prompt": "a", "scheduler": "none"}),
            "scheduler",
            "is not one of",
        ),
        (
            json!({"prompt": "a", "size": 999}),
            "size",
            "999 is not one of [512,768,1024]",
        ),
        (
            json!({"prompt": "a", "name": "x"}),
            "name",
            "is shorter than 2 characters",
        ),
        (
            json!({"prompt": "a", "name": "toolongname"}),
            "name",
            "is longer than 8 characters",
        ),
        (
            json!({"prompt": "a", "code": "ABC"}),
            "code",
            "does not match",
        ),
        (
            json!({"prompt": "a", "seed": 1.5}),
            "seed",
            "is not of type \"integer\"",
        ),
        (
            json!({"prompt": "a", "seed": null}),
            "seed",
            "null is not of type \"integer\"",
        ),
        (
            json!({"prompt": "a", "api_key": 5}),
            "api_key",
            "is not of type \"string\"",
        ),
        (
            json!({"prompt": "a", "images": HELLO}),
            "images",
            "is not of type \"array\"",
        ),
        (
            json!({"prompt": "a", "numbers": ["x"]}),
            "numbers/0",
            "is not of type \"integer\"",
        ),
    ];
    for (input, field, msg) in cases {
        let (status, body) = server.predict(input.clone()).await;
        assert_eq!(status, 422, "{input} -> {body}");
        let detail = body["detail"].as_array().expect("detail array");
        assert_eq!(detail.len(), 1, "{input} -> {body}");
        assert_eq!(
            detail[0]["loc"],
            json!(["body", "input", field]),
            "{input} -> {body}"
        );
        let got = detail[0]["msg"].as_str().unwrap_or_default();
        assert!(got.contains(msg), "{input}: msg {got:?} lacks {msg:?}");
    }
    // Several problems at once: one entry each.
    let (status, body) = server.predict(json!({"steps": 100, "name": "x"})).await;
    assert_eq!(status, 422, "{body}");
    let mut fields: Vec<String> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["loc"][2].as_str().unwrap().to_string())
        .collect();
    fields.sort();
    assert_eq!(fields, ["name", "prompt", "steps"]);
    // Unknown keys are dropped, not rejected.
    let (status, body) = server.predict(json!({"prompt": "a", "bogus": 1})).await;
    assert_succeeded("kitchen", status, &body);
}

#[tokio::test]
async fn llm_streams_tokens_from_the_prompt() {
    let Some(server) = CogServer::start("llm").await else {
        return;
    };
    let (status, body) = server
        .predict(json!({"prompt": "the quick fox", "max_tokens": 5}))
        .await;
    assert_succeeded("llm", status, &body);
    assert_eq!(
        body["output"],
        json!(["the ", "quick ", "fox ", "the ", "quick "])
    );
    assert_eq!(
        body["logs"],
        "token 0\ntoken 1\ntoken 2\ntoken 3\ntoken 4\n"
    );

    let (status, body) = server
        .predict(json!({"prompt": "a b stop c", "system_prompt": "sys", "stop": "stop"}))
        .await;
    assert_succeeded("llm", status, &body);
    assert_eq!(body["output"], json!(["sys ", "a ", "b "]));

    let (status, body) = server
        .predict(json!({"prompt": "x", "max_tokens": 65}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["body", "input", "max_tokens"])
    );
}

#[tokio::test]
async fn llm_server_sent_events() {
    let Some(server) = CogServer::start("llm").await else {
        return;
    };
    let resp = server
        .http()
        .post(format!("{}/predictions", server.url()))
        .header("accept", "text/event-stream")
        .json(&json!({"input": {"prompt": "one two", "max_tokens": 3}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().await.unwrap();
    let mut chunks = Vec::new();
    let mut completed = None;
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut event = "";
        let mut data = String::new();
        for line in block.lines() {
            if let Some(e) = line.strip_prefix("event:") {
                event = e.trim();
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.trim_start());
            }
        }
        let data: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
        match event {
            "output" => chunks.push(data["chunk"].clone()),
            "completed" => completed = Some(data),
            _ => {}
        }
    }
    assert_eq!(
        chunks,
        [json!("one "), json!("two "), json!("one ")],
        "{text}"
    );
    let completed = completed.unwrap_or_else(|| panic!("no completed event in {text}"));
    assert_eq!(completed["status"], "succeeded");
    assert_eq!(completed["output"], json!(["one ", "two ", "one "]));
}

#[tokio::test]
async fn media_iterator_outputs_are_upload_urls() {
    let Some(server) = CogServer::start("media").await else {
        return;
    };
    let (status, body) = server
        .predict(json!({"source": HELLO, "frames": 2, "format": "png"}))
        .await;
    assert_succeeded("media", status, &body);
    let mut urls: Vec<&str> = body["output"]
        .as_array()
        .expect("output array")
        .iter()
        .map(|u| u.as_str().expect("URL"))
        .collect();
    // coglet 0.23.1 uploads yielded files concurrently and lists the URLs in the order the
    // uploads finish, which is not always the order of the yields (measured: source, frame1,
    // frame0), so sort by file name.
    urls.sort_by_key(|u| u.rsplit('/').next().unwrap_or_default().to_string());
    assert_eq!(urls.len(), 3, "{body}");
    assert!(urls[0].ends_with("/frame0.png"), "{urls:?}");
    assert!(urls[1].ends_with("/frame1.png"), "{urls:?}");
    assert!(urls[2].ends_with("/source-11b.txt"), "{urls:?}");
    let (mime, bytes) = fetch(&server, urls[2]).await;
    assert!(mime.starts_with("text/plain"), "{mime}");
    assert_eq!(bytes, b"hello world");
    for url in &urls[..2] {
        let (mime, bytes) = fetch(&server, url).await;
        assert_eq!(mime, "image/png");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{url}");
    }
    // A required Path input.
    let (status, body) = server.predict(json!({"frames": 1})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["loc"], json!(["body", "input", "source"]));
}

#[tokio::test]
async fn media_outputs_are_data_uris_without_an_upload_url() {
    let options = CogOptions {
        upload_receiver: false,
        ..Default::default()
    };
    let Some(server) = CogServer::start_with("media", options).await else {
        return;
    };
    let (status, body) = server.predict(json!({"source": A, "frames": 1})).await;
    assert_succeeded("media", status, &body);
    let outputs: Vec<(String, Vec<u8>)> = body["output"]
        .as_array()
        .expect("output array")
        .iter()
        .map(|u| decode_data_uri(u.as_str().expect("string")))
        .collect();
    assert_eq!(
        outputs,
        [
            ("text/plain".to_string(), b"a".to_vec()),
            ("text/plain".to_string(), b"frame 0".to_vec()),
        ]
    );
}

#[tokio::test]
async fn gallery_list_of_paths() {
    let Some(server) = CogServer::start("gallery").await else {
        return;
    };
    let (status, body) = server.predict(json!({"count": 3, "prefix": "pic"})).await;
    assert_succeeded("gallery", status, &body);
    let urls = body["output"].as_array().expect("output array");
    // coglet 0.23.1 uploads the items of a returned list concurrently and lists the URLs in
    // whatever order the uploads finish (measured: pic1, pic0, pic2), so compare as a set.
    let mut got = Vec::new();
    for url in urls {
        let url = url.as_str().expect("URL");
        let (_, bytes) = fetch(&server, url).await;
        let name = url.rsplit('/').next().unwrap_or_default().to_string();
        got.push((name, String::from_utf8(bytes).unwrap()));
    }
    got.sort();
    assert_eq!(
        got,
        [
            ("pic0.txt".to_string(), "pic 0".to_string()),
            ("pic1.txt".to_string(), "pic 1".to_string()),
            ("pic2.txt".to_string(), "pic 2".to_string()),
        ]
    );
}

#[tokio::test]
async fn gallery_list_of_paths_as_data_uris_keeps_order() {
    let options = CogOptions {
        upload_receiver: false,
        ..Default::default()
    };
    let Some(server) = CogServer::start_with("gallery", options).await else {
        return;
    };
    let (status, body) = server.predict(json!({"count": 4})).await;
    assert_succeeded("gallery", status, &body);
    let mut got = Vec::new();
    for item in body["output"].as_array().expect("output array") {
        got.push(String::from_utf8(file_bytes(&server, item).await).unwrap());
    }
    assert_eq!(got, ["item 0", "item 1", "item 2", "item 3"]);
}

#[tokio::test]
async fn records_list_of_objects() {
    let Some(server) = CogServer::start("records").await else {
        return;
    };
    let (status, body) = server.predict(json!({})).await;
    assert_succeeded("records", status, &body);
    assert_eq!(
        body["output"],
        json!([
            {"word": "hello", "length": 5, "score": 2.5, "first": true, "file": null},
            {"word": "big", "length": 3, "score": 1.5, "first": false, "file": null},
            {"word": "world", "length": 5, "score": 2.5, "first": false, "file": null}
        ])
    );
    let (status, body) = server
        .predict(json!({"text": "hi there", "with_files": true}))
        .await;
    assert_succeeded("records", status, &body);
    let records = body["output"].as_array().expect("output array");
    assert_eq!(records.len(), 2);
    for (record, word) in records.iter().zip(["hi", "there"]) {
        assert_eq!(record["word"], word);
        // Inside objects, files stay data: URIs (see kitchen_every_input).
        assert!(record["file"]
            .as_str()
            .unwrap()
            .starts_with("data:text/plain;base64,"));
        assert_eq!(file_bytes(&server, &record["file"]).await, word.as_bytes());
    }
}

#[tokio::test]
async fn scalar_and_number_outputs() {
    let Some(scalar) = CogServer::start("scalar").await else {
        return;
    };
    let (status, body) = scalar.predict(json!({})).await;
    assert_succeeded("scalar", status, &body);
    assert_eq!(body["output"], "hello hello");
    let (status, body) = scalar
        .predict(json!({"text": "ab", "times": 3, "sep": "-", "shout": true}))
        .await;
    assert_succeeded("scalar", status, &body);
    assert_eq!(body["output"], "AB-AB-AB");
    drop(scalar);

    let Some(number) = CogServer::start("number").await else {
        return;
    };
    let (status, body) = number.predict(json!({})).await;
    assert_succeeded("number", status, &body);
    assert_eq!(body["output"], 42.5);
}
