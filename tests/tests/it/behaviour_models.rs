//! Typed models from `replicate-models` against the fake server: `run::<M>()` sends the typed
//! input and decodes the typed output, invalid inputs never leave the process, streams yield
//! typed chunks, and trainings take typed inputs.

use futures::TryStreamExt;
use replicate_e2e::client;
use replicate_fake::FakeReplicate;
use replicate_models::black_forest_labs::flux_schnell::{self, AspectRatio, Megapixels};
use replicate_models::meta::meta_llama_3_70b_instruct as llama;
use replicate_models::replicate::hello_world;
use replicate_models::stability_ai::sdxl;
use replicate_models::{FluxSchnell, HelloWorld, Sdxl};
use replicate_typed::model::{training_output, Model};
use replicate_typed::Error;

#[tokio::test]
async fn run_sends_the_typed_input_to_the_pinned_version() {
    let server = FakeReplicate::start().await;
    let output: String = client(&server)
        .run(hello_world::Input::new("Alice"))
        .await
        .unwrap();
    assert_eq!(
        output, "ok",
        "the fake's output, decoded as the model's String output"
    );
    let post = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(post.path, "/v1/predictions");
    assert_eq!(post.json()["version"], HelloWorld::VERSION);
    assert_eq!(post.json()["input"], serde_json::json!({"text": "Alice"}));
}

#[tokio::test]
async fn invalid_inputs_are_rejected_before_any_request() {
    let server = FakeReplicate::start().await;
    let input = flux_schnell::Input::new("a fox")
        .aspect_ratio(AspectRatio::V16x9)
        .num_outputs(9);
    let err = client(&server).run(input).await.unwrap_err();
    match err {
        Error::InvalidInput { field, message } => {
            assert_eq!(field, "num_outputs");
            assert!(
                message.contains('9') && message.contains('4'),
                "names the value and the bound: {message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn enum_choices_go_out_as_their_wire_values() {
    let input = flux_schnell::Input::new("a fox")
        .aspect_ratio(AspectRatio::V21x9)
        .megapixels(Megapixels::V0Point25);
    let json = serde_json::to_value(&input).unwrap();
    assert_eq!(json["aspect_ratio"], "21:9");
    assert_eq!(json["megapixels"], "0.25");
    assert_eq!("16:9".parse::<AspectRatio>().unwrap(), AspectRatio::V16x9);
    assert!("2:1".parse::<AspectRatio>().is_err());
}

#[tokio::test]
async fn a_typed_output_that_does_not_match_is_a_decode_error_with_a_path() {
    let server = FakeReplicate::start().await;
    // The fake answers "ok" (a string); flux-schnell's output is a list of files.
    let err = client(&server)
        .run(flux_schnell::Input::new("a fox"))
        .await
        .unwrap_err();
    // The prediction exists (and is billed): the error keeps its id around the decode error.
    assert!(err.prediction_id().is_some(), "{err:?}");
    let Error::AfterCreate { source, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(
            **source,
            Error::Decode {
                operation: "model output",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn streams_yield_typed_text_chunks() {
    let server = FakeReplicate::start().await;
    let chunks: Vec<String> = client(&server)
        .stream(llama::Input::new().prompt("Say hello"))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(chunks, vec!["ok".to_string()]);
    let post = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(post.json()["stream"], true);
}

#[tokio::test]
async fn trainings_take_typed_inputs() {
    let server = FakeReplicate::start().await;
    let input = sdxl::TrainingInput::new("https://example.com/photos.zip");
    let training = client(&server)
        .train("acme/sdxl-tuned", input)
        .await
        .unwrap();
    let post = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(
        post.path,
        format!(
            "/v1/models/stability-ai/sdxl/versions/{}/trainings",
            Sdxl::VERSION
        )
    );
    assert_eq!(post.json()["destination"], "acme/sdxl-tuned");
    assert_eq!(
        post.json()["input"]["input_images"],
        "https://example.com/photos.zip"
    );
    assert!(training.id.is_some());
    // A training without output yet does not decode into the typed output.
    assert!(training_output::<Sdxl>(&training).is_err());
}

#[test]
fn webhooks_carry_typed_model_outputs() {
    use replicate_typed::{WebhookHeaders, WebhookVerifier};
    let verifier = WebhookVerifier::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    let body = serde_json::json!({
        "id": "p1", "status": "succeeded", "created_at": "2026-01-01T00:00:00Z", "data_removed": false,
        "input": {"prompt": "a fox"}, "model": "black-forest-labs/flux-schnell", "version": FluxSchnell::VERSION,
        "output": ["https://replicate.delivery/a.webp", "https://replicate.delivery/b.webp"],
        "urls": {"get": "g", "cancel": "c", "web": "w"}
    })
    .to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let signature = verifier.sign("msg_1", now, body.as_bytes());
    let headers = WebhookHeaders {
        id: "msg_1",
        timestamp: &now.to_string(),
        signature: &signature,
    };
    let (prediction, output) = verifier
        .model_prediction::<FluxSchnell>(headers, body.as_bytes())
        .unwrap();
    assert_eq!(prediction.id, "p1");
    let images = output.expect("a succeeded prediction has a typed output");
    assert_eq!(images[1].url(), "https://replicate.delivery/b.webp");
    let tampered = body.replace("a fox", "a cat");
    assert!(verifier
        .model_prediction::<FluxSchnell>(headers, tampered.as_bytes())
        .is_err());
}
