//! Runs two models typed from our own schemas in `replicate/` (see `build.rs`). Point it at a
//! Replicate with `REPLICATE_API_TOKEN` and `REPLICATE_BASE_URL`.

replicate_typed::include_models!();

use acme::{echo, painter};

#[tokio::main]
async fn main() -> Result<(), replicate_typed::Error> {
    let client = replicate_typed::Client::from_env()?;

    // One required input: positional. Choices are enums, bounds are checked before sending.
    let said = client
        .run(echo::Input::new("hello").tone(echo::Tone::Loud).repeat(2))
        .await?;
    println!("echo: {said}");

    // Two required text inputs could be swapped by position, so they are named.
    let images = client
        .run(painter::Input::new(painter::InputRequired {
            prompt: "a fox in the snow".into(),
            style: "ink".into(),
        }))
        .await?;
    for image in &images {
        println!("painter: {}", image.url());
    }

    // A broken bound never reaches the server.
    let refused = client.run(echo::Input::new("x").repeat(99)).await;
    match refused {
        Err(e) => println!("refused: {e}"),
        Ok(_) => println!("refused: no"),
    }
    Ok(())
}
