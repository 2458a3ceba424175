//! `replicate-fake`: the fake Replicate API as a program, for trying a client by hand or from
//! another language's tests. `replicate-fake --port 8080`, then point a client at
//! `http://127.0.0.1:8080/v1` with any token.

use std::process::ExitCode;

const USAGE: &str = "usage: replicate-fake [--port PORT]   (default: a free port; Ctrl-C stops it)";

fn port(args: &[String]) -> Result<u16, String> {
    match args {
        [] => Ok(0),
        [flag, value] if flag == "--port" => value
            .parse()
            .map_err(|_| format!("--port: not a port number: {value}")),
        _ => Err(USAGE.to_string()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = match port(&args) {
        Ok(p) => p,
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
    fn ports() {
        assert_eq!(port(&[]), Ok(0));
        assert_eq!(port(&["--port".into(), "8080".into()]), Ok(8080));
        assert!(port(&["--port".into(), "x".into()]).is_err());
        assert!(port(&["--frob".into()]).is_err());
    }
}
