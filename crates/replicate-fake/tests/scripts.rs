//! Scripted models through the real client, as a user's test would use them.

use futures::TryStreamExt;
use replicate_fake::{FakeReplicate, Script};
use replicate_typed::{Client, Error, StreamEvent};
use serde_json::json;

fn client(server: &FakeReplicate) -> Client {
    Client::builder()
        .token("r8_test")
        .base_url(server.base_url())
        .build()
        .unwrap()
}

#[tokio::test]
async fn echo_fixed_output_and_failure() {
    let server = FakeReplicate::start().await;
    server.script("acme/echo", Script::Echo);
    server.script("acme/fixed", Script::Output(json!([1, 2, 3])));
    server.script("acme/broken", Script::Fail("out of memory".into()));
    let c = client(&server);
    let out = c
        .run_json("acme/echo", json!({"text": "hi"}))
        .await
        .unwrap();
    assert_eq!(out, json!({"text": "hi"}));
    let out = c.run_json("acme/fixed", json!({})).await.unwrap();
    assert_eq!(out, json!([1, 2, 3]));
    let err = c.run_json("acme/broken", json!({})).await.unwrap_err();
    match err {
        Error::PredictionFailed { status, error, .. } => {
            assert_eq!(status, "failed");
            assert_eq!(error.as_deref(), Some("out of memory"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn slow_models_take_their_polls() {
    let server = FakeReplicate::start().await;
    server.script("acme/slow", Script::Slow(4));
    let out = client(&server)
        .run_json("acme/slow", json!({}))
        .await
        .unwrap();
    assert_eq!(out, json!("ok"));
    let polls = server
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/v1/predictions/"))
        .count();
    assert_eq!(polls, 4);
}

#[tokio::test]
async fn streams_and_files() {
    let server = FakeReplicate::start().await;
    server.script("acme/llm", Script::Stream(vec!["Hel".into(), "lo".into()]));
    server.script("acme/painter", Script::Files(vec!["fox.png".into()]));
    let c = client(&server);
    let events: Vec<StreamEvent> = c
        .stream_json("acme/llm", json!({}))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(events[0], StreamEvent::Output("Hel".into()));
    assert_eq!(events[1], StreamEvent::Output("lo".into()));
    let out = c.run_json("acme/painter", json!({})).await.unwrap();
    let url = out[0].as_str().unwrap();
    assert!(url.ends_with("/fake-output/fox.png"), "{url}");
    let dir = std::env::temp_dir().join(format!("fake-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let n = c.download_to_path(url, dir.join("fox.png")).await.unwrap();
    assert_eq!(n, 1000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn versions_run_their_models_script() {
    let server = FakeReplicate::start().await;
    server.publish_version("acme", "echo", "v1", json!({"components": {"schemas": {}}}));
    server.script("acme/echo", Script::Echo);
    let out = client(&server)
        .run_json("acme/echo:v1", json!({"a": 1}))
        .await
        .unwrap();
    assert_eq!(out, json!({"a": 1}));
}
