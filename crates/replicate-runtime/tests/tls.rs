//! Requests over TLS with the stack this build's features choose, against a local server whose
//! certificate is signed by a test CA made here. `cargo xtask test` runs this file once per TLS
//! feature (`rustls`, `rustls-aws-lc`, `native-tls`), naming the stack it expects in
//! `EXPECT_TLS_BACKEND`.
#![cfg(any(feature = "rustls", feature = "rustls-aws-lc", feature = "native-tls"))]

use replicate_runtime::runtime::RequestSpec;
use replicate_runtime::{Client, Error};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

/// A test CA (PEM) and a server certificate for 127.0.0.1 and localhost signed by it.
struct TestPki {
    ca_pem: String,
    server: rustls::ServerConfig,
}

fn test_pki() -> TestPki {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "replicate-runtime test CA");
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);

    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
    #[allow(deprecated)] // ring lacks post-quantum key exchange: irrelevant to a test server
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)
        .unwrap();
    TestPki {
        ca_pem: ca.pem(),
        server,
    }
}

/// Serves `{"tls":"ok"}` over TLS to every connection; returns the port.
async fn serve(config: rustls::ServerConfig) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to answer.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = br#"{"tls":"ok"}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.write_all(body).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

fn account() -> RequestSpec {
    RequestSpec::new("GET", "/account".into(), "account.get")
}

#[tokio::test]
async fn requests_work_over_the_chosen_tls_stack() {
    println!("TLS stack: {}", replicate_runtime::tls::BACKEND);
    if let Ok(expected) = std::env::var("EXPECT_TLS_BACKEND") {
        assert_eq!(replicate_runtime::tls::BACKEND, expected);
    }
    let pki = test_pki();
    let port = serve(pki.server).await;
    let base_url = format!("https://127.0.0.1:{port}/v1");

    let client = Client::builder()
        .token("r8_test")
        .base_url(&base_url)
        .add_root_certificate(pki.ca_pem.clone())
        .build()
        .unwrap();
    let answer = client.execute(account()).await.unwrap();
    let value: serde_json::Value = answer.json().unwrap();
    assert_eq!(value, serde_json::json!({ "tls": "ok" }));

    // Certificates are checked: without the test CA the same server is refused.
    let untrusting = Client::builder()
        .token("r8_test")
        .base_url(&base_url)
        .retry_policy(replicate_runtime::RetryPolicy::none())
        .build()
        .unwrap();
    let refused = untrusting.execute(account()).await.unwrap_err();
    assert!(
        matches!(refused, Error::Transport { .. }),
        "an unknown CA must fail the connection, got {refused:?}"
    );
}

#[tokio::test]
async fn a_root_certificate_that_is_not_pem_is_a_configuration_error() {
    for bad in [&b"not a certificate"[..], b""] {
        let error = Client::builder()
            .token("r8_test")
            .add_root_certificate(bad)
            .build()
            .unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(error, Error::Config(_)) && text.contains("root certificate #1"),
            "{text}"
        );
    }
}
