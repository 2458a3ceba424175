//! The TLS stack, chosen by cargo features:
//!
//! - `rustls` (default): rustls with the *ring* crypto provider and the platform's certificate
//!   verifier. No C toolchain step beyond ring's own, and no process-wide provider is
//!   installed (the configuration is built here and handed to reqwest).
//! - `rustls-aws-lc`: rustls with aws-lc-rs (reqwest's own default; FIPS-capable, builds C).
//! - `native-tls`: the platform's library (OpenSSL on Linux, Security.framework, SChannel).
//!
//! When several are enabled (features add up across a dependency graph), `native-tls` wins
//! over `rustls-aws-lc`, which wins over `rustls`: turning one on is enough to choose it.
//! With none, only `http://` URLs work.

use crate::Error;

/// The TLS stack this build uses: `"native-tls"`, `"rustls-aws-lc"`, `"rustls-ring"`, or
/// `"none"` (no TLS feature: only `http://` URLs work).
pub const BACKEND: &str = if cfg!(feature = "native-tls") {
    "native-tls"
} else if cfg!(feature = "rustls-aws-lc") {
    "rustls-aws-lc"
} else if cfg!(feature = "rustls") {
    "rustls-ring"
} else {
    "none"
};

/// A `reqwest::ClientBuilder` set up with the TLS stack chosen by this crate's features (and
/// the extra root certificates, PEM), without redirects. Start here to customise the HTTP
/// client (proxies, local address, ...) and pass the result to
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client); a bare
/// `reqwest::Client::new()` may have no crypto provider when only `rustls` (ring) is enabled.
pub fn reqwest_builder(extra_roots_pem: &[Vec<u8>]) -> Result<reqwest::ClientBuilder, Error> {
    let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    configure(builder, extra_roots_pem)
}

/// [`reqwest_builder`] for reqwest's blocking client (feature `blocking`).
#[cfg(feature = "blocking")]
pub fn reqwest_blocking_builder(
    extra_roots_pem: &[Vec<u8>],
) -> Result<reqwest::blocking::ClientBuilder, Error> {
    let builder = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none());
    configure(builder, extra_roots_pem)
}

/// What [`configure`] needs of reqwest's two client builders, which share no trait.
trait TlsBuilder: Sized {
    #[cfg(feature = "native-tls")]
    fn native(self) -> Self;
    #[cfg(all(feature = "rustls-aws-lc", not(feature = "native-tls")))]
    fn rustls(self) -> Self;
    #[cfg(any(feature = "native-tls", feature = "rustls-aws-lc"))]
    fn root(self, cert: reqwest::Certificate) -> Self;
    #[cfg(all(
        feature = "rustls",
        not(any(feature = "native-tls", feature = "rustls-aws-lc"))
    ))]
    fn preconfigured(self, config: rustls::ClientConfig) -> Self;
}

macro_rules! tls_builder {
    ($builder:ty) => {
        impl TlsBuilder for $builder {
            #[cfg(feature = "native-tls")]
            fn native(self) -> Self {
                self.tls_backend_native()
            }
            #[cfg(all(feature = "rustls-aws-lc", not(feature = "native-tls")))]
            fn rustls(self) -> Self {
                self.tls_backend_rustls()
            }
            #[cfg(any(feature = "native-tls", feature = "rustls-aws-lc"))]
            fn root(self, cert: reqwest::Certificate) -> Self {
                self.add_root_certificate(cert)
            }
            #[cfg(all(
                feature = "rustls",
                not(any(feature = "native-tls", feature = "rustls-aws-lc"))
            ))]
            fn preconfigured(self, config: rustls::ClientConfig) -> Self {
                self.tls_backend_preconfigured(config)
            }
        }
    };
}

tls_builder!(reqwest::ClientBuilder);
#[cfg(feature = "blocking")]
tls_builder!(reqwest::blocking::ClientBuilder);

#[cfg(any(feature = "native-tls", feature = "rustls-aws-lc"))]
fn configure<B: TlsBuilder>(builder: B, extra_roots_pem: &[Vec<u8>]) -> Result<B, Error> {
    #[cfg(feature = "native-tls")]
    let mut builder = builder.native();
    #[cfg(not(feature = "native-tls"))]
    let mut builder = builder.rustls();
    for (index, pem) in extra_roots_pem.iter().enumerate() {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| bad_root(index, e))?;
        if certs.is_empty() {
            return Err(bad_root(index, "no certificate in it"));
        }
        for cert in certs {
            builder = builder.root(cert);
        }
    }
    Ok(builder)
}

#[cfg(all(
    feature = "rustls",
    not(any(feature = "native-tls", feature = "rustls-aws-lc"))
))]
fn configure<B: TlsBuilder>(builder: B, extra_roots_pem: &[Vec<u8>]) -> Result<B, Error> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    use std::sync::Arc;

    let mut roots = Vec::new();
    for (index, pem) in extra_roots_pem.iter().enumerate() {
        let before = roots.len();
        for cert in CertificateDer::pem_slice_iter(pem) {
            roots.push(cert.map_err(|e| bad_root(index, e))?);
        }
        if roots.len() == before {
            return Err(bad_root(index, "no certificate in it"));
        }
    }
    // rustls 0.23.48 deprecates ring's provider for lacking post-quantum key exchange; it is
    // still maintained and is the default here for its build cost (no C toolchain step beyond
    // ring's). Users who want X25519MLKEM768 turn on `rustls-aws-lc`.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = if roots.is_empty() {
        rustls_platform_verifier::Verifier::new(provider.clone())
    } else {
        rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider.clone())
    }
    .map_err(|e| Error::Config(format!("cannot set up TLS certificate checks: {e}")))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("cannot set up TLS: {e}")))?
        .dangerous() // only to plug in the platform verifier: certificates are checked
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // reqwest negotiates HTTP/2 by ALPN only with what the configuration offers.
    config.alpn_protocols = if cfg!(feature = "http2") {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(builder.preconfigured(config))
}

#[cfg(not(any(feature = "rustls", feature = "native-tls", feature = "rustls-aws-lc")))]
fn configure<B: TlsBuilder>(builder: B, extra_roots_pem: &[Vec<u8>]) -> Result<B, Error> {
    if extra_roots_pem.is_empty() {
        Ok(builder)
    } else {
        Err(Error::Config(
            "root certificates were given, but this build has no TLS: enable the feature \
             `rustls`, `rustls-aws-lc` or `native-tls`"
                .into(),
        ))
    }
}

#[cfg(any(feature = "rustls", feature = "native-tls", feature = "rustls-aws-lc"))]
fn bad_root(index: usize, error: impl std::fmt::Display) -> Error {
    Error::Config(format!(
        "root certificate #{} is not a PEM certificate ({error}): pass the text of a \
         `-----BEGIN CERTIFICATE-----` file",
        index + 1
    ))
}
