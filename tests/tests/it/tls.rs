//! Each TLS feature of the runtime builds on its own and makes requests over TLS: the runtime's
//! `tests/tls.rs` (a local server with a test CA) runs once per feature, and checks that the
//! stack the build reports is the one the feature chose.

use replicate_e2e::{skip, workspace_root};
use std::process::Command;

/// `cargo test` of the runtime's TLS test with only `feature` (plus `http2`), or with the
/// default features when `None`.
fn tls_test(feature: Option<&str>, expected: &str) {
    let root = workspace_root();
    let mut command = replicate_e2e::scratch_cargo(&root, &root.join("target/tls-check"));
    command.args([
        "test",
        "--offline",
        "--quiet",
        "-p",
        "replicate-runtime",
        "--test",
        "tls",
    ]);
    if let Some(feature) = feature {
        command
            .args(["--no-default-features", "--features"])
            .arg(format!("{feature},http2"));
    }
    let out = command
        .env("EXPECT_TLS_BACKEND", expected)
        .output()
        .expect("run cargo test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("2 passed"),
        "TLS feature {feature:?}:\n{stdout}\n{stderr}"
    );
}

#[test]
fn rustls_with_ring_is_the_default_and_connects() {
    tls_test(None, "rustls-ring");
}

#[test]
fn rustls_with_aws_lc_connects() {
    tls_test(Some("rustls-aws-lc"), "rustls-aws-lc");
}

#[test]
fn native_tls_connects() {
    let openssl = Command::new("pkg-config")
        .args(["--exists", "openssl"])
        .status();
    if !matches!(openssl, Ok(s) if s.success()) {
        skip("OpenSSL's headers are not installed (libssl-dev; `cargo xtask test` installs them)");
        return;
    }
    tls_test(Some("native-tls"), "native-tls");
}
