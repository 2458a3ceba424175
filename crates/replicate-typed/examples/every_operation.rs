//! Calls every operation of the API once, through the generated client, and reports each
//! result. Point it at any server speaking Replicate's API (a mock such as Prism, or the real
//! thing with a test account):
//!
//! ```sh
//! REPLICATE_API_TOKEN=r8_... REPLICATE_BASE_URL=http://127.0.0.1:4010 \
//!     cargo run -p replicate-typed --example every_operation
//! ```
//!
//! The contract test (`tests/tests/it/contract_prism.rs`) runs the same calls against Prism, which
//! validates every request against Replicate's published OpenAPI description.

use replicate_typed::runtime::{CancelAfter, FilePart, Prefer};
use replicate_typed::{types, Client, Error};
use std::time::Duration;

/// The outcome of one operation.
pub struct Call {
    /// operationId.
    pub operation: &'static str,
    /// A short description of the decoded response, or the error.
    pub result: Result<String, Error>,
}

fn input() -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    map.insert("prompt".into(), "a watercolor fox".into());
    map
}

macro_rules! call {
    ($calls:ident, $op:literal, $fut:expr) => {
        $calls.push(Call {
            operation: $op,
            result: $fut.await.map(|r| describe(&r)),
        });
    };
}

fn describe<T: std::fmt::Debug>(value: &T) -> String {
    let text = format!("{value:?}");
    text.chars().take(80).collect()
}

/// Calls every operation once. `with_query_method`: include `models.search`, which uses the
/// non-standard QUERY method that some mock servers do not know.
pub async fn call_every_operation(client: &Client, with_query_method: bool) -> Vec<Call> {
    let mut calls = Vec::new();
    let (owner, model, version) = (
        "acme",
        "fox-painter",
        "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa",
    );

    call!(calls, "account.get", client.account().get());
    call!(calls, "collections.list", client.collections().list());
    call!(
        calls,
        "collections.get",
        client.collections().get("super-resolution")
    );
    call!(calls, "hardware.list", client.hardware().list());
    call!(calls, "search", client.search("upscale").limit(5));
    call!(
        calls,
        "webhooks.default.secret.get",
        client.webhooks().default().secret().get()
    );

    // Models.
    call!(
        calls,
        "models.list",
        client
            .models()
            .list()
            .sort_by(types::ModelsListSortBy::LatestVersionCreatedAt)
            .sort_direction(types::ModelsListSortDirection::Desc)
    );
    let create = types::ModelsCreateRequest::new(
        "cpu",
        model,
        owner,
        types::ModelsCreateRequestVisibility::Private,
    );
    call!(calls, "models.create", client.models().create(create));
    call!(calls, "models.get", client.models().get(owner, model));
    let update = types::ModelsUpdateRequest {
        description: Some("Paints foxes.".into()),
        ..Default::default()
    };
    call!(
        calls,
        "models.update",
        client.models().update(owner, model).body(update)
    );
    call!(
        calls,
        "models.examples.list",
        client.models().examples().list(owner, model)
    );
    call!(
        calls,
        "models.readme.get",
        client.models().readme().get(owner, model)
    );
    call!(
        calls,
        "models.versions.list",
        client.models().versions().list(owner, model)
    );
    call!(
        calls,
        "models.versions.get",
        client.models().versions().get(owner, model, version)
    );
    if with_query_method {
        call!(
            calls,
            "models.search",
            client.models().search("fox painter")
        );
    }

    // Predictions.
    let cancel_after = CancelAfter::new(Duration::from_secs(300)).ok();
    let mut create = client
        .predictions()
        .create(types::VersionPredictionRequest::new(input(), version))
        .prefer(Prefer::wait_seconds(5).unwrap_or(Prefer::wait()));
    if let Some(c) = cancel_after {
        create = create.cancel_after(c);
    }
    call!(calls, "predictions.create", create);
    call!(
        calls,
        "predictions.list",
        client.predictions().list().source("web")
    );
    call!(
        calls,
        "predictions.get",
        client.predictions().get("gm3qorzdhgbfurvjtvhg6dckhu")
    );
    call!(
        calls,
        "predictions.cancel",
        client.predictions().cancel("gm3qorzdhgbfurvjtvhg6dckhu")
    );
    call!(
        calls,
        "models.predictions.create",
        client
            .models()
            .predictions()
            .create(owner, model, types::PredictionRequest::new(input()))
            .prefer(Prefer::wait())
    );

    // Deployments.
    call!(calls, "deployments.list", client.deployments().list());
    let create = types::DeploymentsCreateRequest::new(
        "gpu-t4",
        1,
        0,
        format!("{owner}/{model}"),
        "fox-prod",
        version,
    );
    call!(
        calls,
        "deployments.create",
        client.deployments().create(create)
    );
    call!(
        calls,
        "deployments.get",
        client.deployments().get(owner, "fox-prod")
    );
    let update = types::DeploymentsUpdateRequest {
        max_instances: Some(2),
        ..Default::default()
    };
    call!(
        calls,
        "deployments.update",
        client.deployments().update(owner, "fox-prod").body(update)
    );
    call!(
        calls,
        "deployments.predictions.create",
        client.deployments().predictions().create(
            owner,
            "fox-prod",
            types::PredictionRequest::new(input())
        )
    );
    call!(
        calls,
        "deployments.delete",
        client.deployments().delete(owner, "fox-prod")
    );

    // Trainings.
    let training = types::TrainingRequest::new(format!("{owner}/{model}-tuned"), input());
    call!(
        calls,
        "trainings.create",
        client.trainings().create(owner, model, version, training)
    );
    call!(calls, "trainings.list", client.trainings().list());
    call!(
        calls,
        "trainings.get",
        client.trainings().get("zz4ibbonubfz7carwiefibzgga")
    );
    call!(
        calls,
        "trainings.cancel",
        client.trainings().cancel("zz4ibbonubfz7carwiefibzgga")
    );

    // Files.
    let file = FilePart::new(b"hello, fox".to_vec())
        .filename("fox.txt")
        .content_type("text/plain");
    let mut body = types::FilesCreateRequest::new(file);
    body.filename = Some("fox.txt".into());
    call!(calls, "files.create", client.files().create(body));
    call!(calls, "files.list", client.files().list());
    call!(
        calls,
        "files.get",
        client.files().get("cneqzikepnug6xezperrr4z55o")
    );
    call!(
        calls,
        "files.download",
        client.files().download(
            "cneqzikepnug6xezperrr4z55o",
            owner,
            1_900_000_000i64,
            "c2lnbmF0dXJl"
        )
    );
    call!(
        calls,
        "files.delete",
        client.files().delete("cneqzikepnug6xezperrr4z55o")
    );

    // Deletes last, so the resources above exist for the calls before them.
    call!(
        calls,
        "models.versions.delete",
        client.models().versions().delete(owner, model, version)
    );
    call!(calls, "models.delete", client.models().delete(owner, model));
    calls
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = Client::from_env()?;
    let calls = call_every_operation(&client, true).await;
    let mut failed = 0;
    for call in &calls {
        match &call.result {
            Ok(summary) => println!("ok    {:32} {summary}", call.operation),
            Err(e) => {
                failed += 1;
                println!("error {:32} {e}", call.operation);
            }
        }
    }
    println!(
        "{} operations, {} ok, {failed} failed",
        calls.len(),
        calls.len() - failed
    );
    Ok(())
}
