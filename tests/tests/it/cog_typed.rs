//! Typed models of our own Cog predictors against the real Cog server (coglet 0.23.1): typed
//! inputs serialise to what Cog accepts, real outputs decode into the typed `Output`, and
//! out-of-bounds values are rejected by us before Cog ever sees them (and Cog agrees they are
//! invalid).

use replicate_e2e::cog::{CogOptions, CogServer};
use replicate_e2e::cog_models::cog::{gallery, kitchen, llm, media, number, records, scalar};
use replicate_typed::model::{decode_output, FileOutput, Model, ModelInput, Secret};
use replicate_typed::runtime::FilePart;
use replicate_typed::{Error, FileInput};
use serde_json::json;

/// Sends a typed input to Cog and decodes the output into the model's typed output.
async fn run_typed<M: Model>(server: &CogServer, input: M::Input) -> M::Output {
    input.validate().expect("a valid input");
    let json = serde_json::to_value(&input).unwrap();
    let (status, body) = server.predict(json.clone()).await;
    assert_eq!(status, 200, "{json} -> {body}");
    assert_eq!(body["status"], "succeeded", "{body}");
    decode_output::<M::Output>("cog", body["output"].clone())
        .unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn kitchen_typed_round_trip() {
    let Some(server) = CogServer::start_with(
        "kitchen",
        CogOptions {
            upload_receiver: false,
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let image = FileInput::Bytes(FilePart::new(b"hello world".to_vec()).content_type("text/plain"));
    let input = kitchen::Input::new("a cat")
        .steps(3)
        .guidance(2.5)
        .fast(true)
        .aspect_ratio(kitchen::AspectRatio::V16x9)
        .scheduler(kitchen::Scheduler::DpmPlusPlus2m)
        .size(kitchen::Size::V768)
        .name("kitty")
        .code("xyz-42")
        .seed(42)
        .negative_prompt("dogs")
        .image(image)
        .api_key(Secret::new("s3cr3t"))
        .words(vec!["x".to_string(), "y".to_string(), "z".to_string()])
        .numbers(vec![1, 2, 3])
        .type_("struct");
    assert!(
        !format!("{input:?}").contains("s3cr3t"),
        "secrets never print"
    );
    let json = serde_json::to_value(&input).unwrap();
    assert_eq!(json["aspect_ratio"], "16:9");
    assert_eq!(json["scheduler"], "DPM++ 2M");
    assert_eq!(json["size"], 768, "integer choices go out as numbers");
    assert_eq!(json["api_key"], "s3cr3t");
    assert_eq!(
        json["type"], "struct",
        "keyword-named field keeps its wire name"
    );

    let out: kitchen::Output = run_typed::<kitchen::Kitchen>(&server, input).await;
    assert_eq!(out.seed, Some(42));
    assert_eq!(out.secret_length, 6);
    assert_eq!(out.input_bytes, vec![11]);
    assert!(
        out.summary.starts_with(
            "a cat x3 16:9 DPM++ 2M 768px name=kitty code=xyz-42 type=struct neg=dogs"
        ),
        "{}",
        out.summary
    );
    assert_eq!(out.tags.len(), 3);
    let file: &FileOutput = out.file.as_ref().expect("a file output");
    assert!(file.url().starts_with("data:"), "{file}");
}

#[tokio::test]
async fn kitchen_defaults_only() {
    let Some(server) = CogServer::start_with(
        "kitchen",
        CogOptions {
            upload_receiver: false,
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let input = kitchen::Input::new("plain");
    assert_eq!(
        serde_json::to_value(&input).unwrap(),
        json!({"prompt": "plain"}),
        "unset optional inputs are left out"
    );
    let out = run_typed::<kitchen::Kitchen>(&server, input).await;
    assert!(
        out.summary.contains("x20 1:1 None 512px"),
        "Cog applied the schema defaults: {}",
        out.summary
    );
    assert_eq!(out.file, None);
}

/// Each invalid input is rejected by `validate` with the field named, and the same raw value
/// is rejected by Cog too (so our checks and the server's agree).
#[tokio::test]
async fn out_of_bounds_inputs_never_reach_cog() {
    let Some(server) = CogServer::start_with(
        "kitchen",
        CogOptions {
            upload_receiver: false,
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let cases: Vec<(kitchen::Input, &str)> = vec![
        (kitchen::Input::new("x").steps(100), "steps"),
        (kitchen::Input::new("x").steps(0), "steps"),
        (kitchen::Input::new("x").guidance(10.5), "guidance"),
        (kitchen::Input::new("x").name("toolongname"), "name"),
        (kitchen::Input::new("x").name("a"), "name"),
        (kitchen::Input::new("x").code("ABC-12"), "code"),
    ];
    for (input, field) in cases {
        match input.validate() {
            Err(Error::InvalidInput { field: f, message }) => {
                assert_eq!(f, field);
                assert!(!message.is_empty());
            }
            other => panic!("{field}: expected InvalidInput, got {other:?}"),
        }
        let raw = serde_json::to_value(&input).unwrap();
        let (status, body) = server.predict(raw).await;
        assert_eq!(status, 422, "Cog rejects it as well: {body}");
        assert!(body.to_string().contains(field), "{body}");
    }
}

#[tokio::test]
async fn llm_concatenates_and_decodes_chunks() {
    let Some(server) = CogServer::start("llm").await else {
        return;
    };
    let out: llm::Output =
        run_typed::<llm::Llm>(&server, llm::Input::new("one two three").max_tokens(4)).await;
    assert!(!out.is_empty());
    let (_, body) = server
        .predict(json!({"prompt": "one two three", "max_tokens": 4}))
        .await;
    let pieces: Vec<String> = serde_json::from_value(body["output"].clone()).unwrap();
    assert_eq!(
        out.0,
        pieces.concat(),
        "Concatenated joins the iterator's pieces"
    );
    assert_eq!(
        <llm::Llm as Model>::decode_chunk("\"quoted\" 42").unwrap(),
        "\"quoted\" 42",
        "text chunks are taken verbatim"
    );
    assert!(llm::Input::new("x").max_tokens(65).validate().is_err());
}

#[tokio::test]
async fn file_outputs_decode_as_file_urls() {
    let Some(server) = CogServer::start("media").await else {
        return;
    };
    let source =
        FileInput::Bytes(FilePart::new(b"frame source".to_vec()).content_type("text/plain"));
    let out: media::Output = run_typed::<media::Media>(
        &server,
        media::Input::new(source)
            .frames(2)
            .format(media::Format::Png),
    )
    .await;
    assert!(out.len() >= 2, "{out:?}");
    assert!(
        out.iter().all(|f| f.url().starts_with("http://127.0.0.1")),
        "{out:?}"
    );
    let chunk = <media::Media as Model>::decode_chunk("https://x/y.png").unwrap();
    assert_eq!(chunk.url(), "https://x/y.png");

    let Some(server) = CogServer::start("gallery").await else {
        return;
    };
    let out: gallery::Output =
        run_typed::<gallery::Gallery>(&server, gallery::Input::new().count(3)).await;
    assert_eq!(out.len(), 3);
}

#[tokio::test]
async fn object_and_scalar_outputs() {
    let Some(server) = CogServer::start_with(
        "records",
        CogOptions {
            upload_receiver: false,
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let out: records::Output =
        run_typed::<records::Records>(&server, records::Input::new().text("hi there")).await;
    assert!(!out.is_empty());
    let first: &records::Record = &out[0];
    assert_eq!(first.word.chars().count() as i64, first.length);
    assert!(first.first);
    assert!(out[1..].iter().all(|r| !r.first));

    let Some(server) = CogServer::start("scalar").await else {
        return;
    };
    let out: String = run_typed::<scalar::Scalar>(
        &server,
        scalar::Input::new()
            .text("ab")
            .times(3)
            .sep("-")
            .shout(true),
    )
    .await;
    assert_eq!(out, "AB-AB-AB");
    assert!(scalar::Input::new().times(11).validate().is_err());

    let Some(server) = CogServer::start("number").await else {
        return;
    };
    let out: f64 = run_typed::<number::Number>(&server, number::Input::new()).await;
    assert_eq!(out, 42.5);
}

#[test]
fn a_path_input_must_be_resolved_before_serialising() {
    let input = media::Input::new(FileInput::Path("/tmp/nothing.txt".into()));
    let err = serde_json::to_value(&input).unwrap_err();
    assert!(
        err.to_string().contains("must be uploaded or inlined"),
        "{err}"
    );
}
