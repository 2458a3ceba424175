//! `replicate-fake`: the fake Replicate API as a program, for trying a client by hand or from
//! another language's tests. `replicate-fake --port 8080`, then point a client at
//! `http://127.0.0.1:8080/v1` with any token.

use std::process::ExitCode;

const USAGE: &str = "usage: replicate-fake [--port PORT] [--chaos SEED]   (default: a free port, no faults; Ctrl-C stops it)";

/// What the command line asks for.
#[derive(Debug, Default, PartialEq)]
struct Options {
    /// 0: any free port.
    port: u16,
    /// Seed of the random faults (`Faults::chaos`), if any.
    chaos: Option<u64>,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    for pair in args.chunks(2) {
        match pair {
            [flag, value] if flag == "--port" => {
                options.port = value
                    .parse()
                    .map_err(|_| format!("--port: not a port number: {value}"))?
            }
            [flag, value] if flag == "--chaos" => {
                options.chaos = Some(
                    value
                        .parse()
                        .map_err(|_| format!("--chaos: not a seed (a number): {value}"))?,
                )
            }
            _ => return Err(USAGE.to_string()),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Options { port, chaos } = match options(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let server = match replicate_fake::FakeReplicate::start_on(port).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot bind 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("replicate-fake: serving {}", server.base_url());
    println!(
        "  REPLICATE_BASE_URL={} REPLICATE_API_TOKEN=r8_anything",
        server.base_url()
    );
    println!("  webhook secret: {}", server.webhook_secret());
    if let Some(seed) = chaos {
        server.faults().chaos(seed, None);
        println!("  chaos: random faults at every layer, seed {seed}");
    }
    let _ = tokio::signal::ctrl_c().await;
    println!(
        "replicate-fake: {} requests served",
        server.requests().len()
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        let args = |a: &[&str]| options(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(args(&[]), Ok(Options::default()));
        assert_eq!(args(&["--port", "8080"]).unwrap().port, 8080);
        assert_eq!(
            args(&["--chaos", "7", "--port", "1"]),
            Ok(Options {
                port: 1,
                chaos: Some(7)
            })
        );
        assert!(args(&["--port", "x"]).is_err());
        assert!(args(&["--chaos", "-1"]).is_err());
        assert!(args(&["--frob"]).is_err());
        assert!(args(&["--port"]).is_err());
    }
}
