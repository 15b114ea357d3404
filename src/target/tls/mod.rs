//! TLS at both ends: the client set-up of a run (certificate authorities trusted on top of the
//! platform's roots, a client certificate for mutual TLS, the `--insecure` mode), `serve`'s
//! server set-up, and rustls's errors turned into words that name the option that fixes them.
//!
//! Files are read and checked when the set-up is loaded, before anything is sent, so a bad
//! file is a usage error and never a finding about the target. The platform's roots are loaded
//! only when a client for an `https://` target is built (a plain-HTTP run never pays for them).
//! Key material never appears in a message or a report; certificates appear as SHA-256
//! fingerprints of their DER form.

mod explain;
mod pem;
mod server;

pub(crate) use explain::{Explainer, Hints};
pub(crate) use pem::TlsError;
pub(crate) use server::server_config;

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use crate::results::{CertificateScope, TlsScope};
use crate::target::profile::KeySource;

/// What the user asked for (flags and target profile), before anything is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TlsOptions {
    /// PEM bundles of certificate authorities to trust on top of the platform's roots.
    pub ca_certs: Vec<KeySource>,
    /// The client certificate (PEM, leaf first, intermediates after it) for mutual TLS.
    pub client_cert: Option<KeySource>,
    /// Its private key (PEM: PKCS#8, PKCS#1 or SEC1); when absent, the certificate's text is
    /// searched for the key.
    pub client_key: Option<KeySource>,
    /// Skip verifying the target's certificate (`--insecure`).
    pub insecure: bool,
}

/// The client's TLS set-up, read and checked; cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct ClientTls {
    roots: Vec<CertificateDer<'static>>,
    roots_shown: Vec<CertificateScope>,
    identity: Option<Arc<CertifiedKey>>,
    identity_shown: Option<CertificateScope>,
    insecure: bool,
}

impl fmt::Debug for ClientTls {
    // Derived Debug would print the key's internals; the scope says all that may be shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("roots", &self.roots_shown)
            .field("client_certificate", &self.identity_shown)
            .field("insecure", &self.insecure)
            .finish()
    }
}

impl ClientTls {
    /// Reads and checks every file `options` names.
    pub(crate) fn load(options: &TlsOptions) -> Result<Self, TlsError> {
        let mut tls = ClientTls {
            insecure: options.insecure,
            ..ClientTls::default()
        };
        let mut anchors = rustls::RootCertStore::empty();
        for source in &options.ca_certs {
            let text = pem::read("CA certificate", source)?;
            for (i, certificate) in pem::certificates("CA certificate", &text)?
                .into_iter()
                .enumerate()
            {
                anchors
                    .add(certificate.clone())
                    .map_err(|e| TlsError::Unusable {
                        what: "CA certificate",
                        origin: text.origin.clone(),
                        problem: format!("certificate {} cannot be trusted: {e}", i + 1),
                    })?;
                tls.roots_shown.push(pem::shown(&certificate, &text.origin));
                tls.roots.push(certificate);
            }
        }
        match (&options.client_cert, &options.client_key) {
            (Some(cert), key) => {
                let (identity, shown) = identity(cert, key.as_ref())?;
                tls.identity = Some(Arc::new(identity));
                tls.identity_shown = Some(shown);
            }
            (None, Some(_)) => {
                return Err(TlsError::Incomplete(
                    "a client key needs its certificate: add --client-cert FILE (or `clientCert` in the target profile)",
                ));
            }
            (None, None) => {}
        }
        Ok(tls)
    }

    /// Whether anything was asked for, so a plain-HTTP run can say it goes unused.
    pub(crate) fn is_configured(&self) -> bool {
        self.insecure || !self.roots.is_empty() || self.identity.is_some()
    }

    /// Whether the target's certificate is left unchecked.
    pub(crate) fn insecure(&self) -> bool {
        self.insecure
    }

    /// What reports show of this set-up for an `https://` target.
    pub(crate) fn scope(&self) -> TlsScope {
        TlsScope {
            verified: !self.insecure,
            extra_roots: self.roots_shown.clone(),
            client_certificate: self.identity_shown.clone(),
        }
    }

    /// What [`explain`] needs to know to name the fix.
    pub(crate) fn hints(&self) -> Hints {
        Hints {
            extra_roots: !self.roots.is_empty(),
            client_certificate: self.identity.is_some(),
        }
    }

    /// The rustls client configuration: the platform's roots plus the extra ones (or no
    /// verification at all), the client certificate, and ALPN offering HTTP/2 before HTTP/1.1.
    pub(crate) fn client_config(&self) -> Result<ClientConfig, TlsError> {
        let provider = provider();
        let verifier: Arc<dyn ServerCertVerifier> = if self.insecure {
            Arc::new(Unverified(Arc::clone(&provider)))
        } else {
            let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
                self.roots.iter().cloned(),
                Arc::clone(&provider),
            )
            .map_err(|e| TlsError::Setup(no_roots_hint(e)))?;
            Arc::new(verifier)
        };
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Setup(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match &self.identity {
            Some(identity) => builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(
                identity.as_ref().clone(),
            ))),
            None => builder.with_no_client_auth(),
        };
        // A preconfigured client is used as is: reqwest adds no ALPN of its own.
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// Whether `url` is an `https://` URL, the only kind TLS options apply to.
pub(crate) fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// ring: reqwest is built without a default provider, and ring builds faster than aws-lc.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn no_roots_hint(error: rustls::Error) -> String {
    format!(
        "{error}: install the platform's CA certificates (or point SSL_CERT_FILE at a PEM bundle), or trust the target's CA with --ca-cert FILE"
    )
}

/// Reads a certificate chain and its key, and checks that they belong together.
fn identity(
    cert: &KeySource,
    key: Option<&KeySource>,
) -> Result<(CertifiedKey, CertificateScope), TlsError> {
    let cert_text = pem::read("client certificate", cert)?;
    let chain = pem::certificates("client certificate", &cert_text)?;
    let key_text = match key {
        Some(source) => pem::read("client key", source)?,
        None => cert_text,
    };
    let key = pem::private_key("client key", &key_text).map_err(|e| match (key, e) {
        (None, TlsError::Unusable { problem, .. }) => TlsError::Unusable {
            what: "client key",
            origin: pem::origin(cert),
            problem: format!("{problem}; give the key with --client-key FILE"),
        },
        (_, e) => e,
    })?;
    let shown = pem::shown(&chain[0], &pem::origin(cert));
    let certified = CertifiedKey::from_der(chain, key, &provider()).map_err(|e| {
        let problem = match e {
            rustls::Error::InconsistentKeys(_) => {
                "the key does not belong to the client certificate".to_string()
            }
            other => format!("unusable key: {other}"),
        };
        TlsError::Unusable {
            what: "client key",
            origin: key_text.origin.clone(),
            problem,
        }
    })?;
    Ok((certified, shown))
}

/// `--insecure`: any certificate is accepted, but the handshake's signatures are still checked
/// with the certificate presented, so a broken server is still told apart.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture(name: &str) -> KeySource {
        KeySource::File(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/tls")
                .join(name),
        )
    }

    #[test]
    fn loads_a_client_certificate_with_each_key_format() {
        for (cert, key) in [
            ("client.pem", "client.pkcs8.key"),
            ("client.pem", "client.pkcs1.key"),
            ("client-ec.pem", "client-ec.sec1.key"),
        ] {
            let options = TlsOptions {
                client_cert: Some(fixture(cert)),
                client_key: Some(fixture(key)),
                ..TlsOptions::default()
            };
            let tls = ClientTls::load(&options).unwrap();
            assert!(tls.hints().client_certificate, "{key}");
            let shown = tls.scope().client_certificate.unwrap();
            assert!(shown.source.ends_with(cert), "{}", shown.source);
        }
    }

    #[test]
    fn a_key_that_belongs_to_another_certificate_is_refused() {
        let options = TlsOptions {
            client_cert: Some(fixture("client.pem")),
            client_key: Some(fixture("client-ec.sec1.key")),
            ..TlsOptions::default()
        };
        let message = ClientTls::load(&options).unwrap_err().to_string();
        assert!(
            message.ends_with(
                "client-ec.sec1.key`: the key does not belong to the client certificate"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_key_alone_or_a_certificate_without_a_key_is_refused() {
        let key_only = TlsOptions {
            client_key: Some(fixture("client.pkcs8.key")),
            ..TlsOptions::default()
        };
        let message = ClientTls::load(&key_only).unwrap_err().to_string();
        assert!(message.contains("--client-cert FILE"), "{message}");
        let cert_only = TlsOptions {
            client_cert: Some(fixture("client.pem")),
            ..TlsOptions::default()
        };
        let message = ClientTls::load(&cert_only).unwrap_err().to_string();
        assert!(
            message.contains("give the key with --client-key"),
            "{message}"
        );
    }

    #[test]
    fn a_certificate_file_holding_its_key_needs_no_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let combined = dir.path().join("client-with-key.pem");
        let mut text = std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls/client.pem"),
        )
        .unwrap();
        text.extend(
            std::fs::read(
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/tls/client.pkcs1.key"),
            )
            .unwrap(),
        );
        std::fs::write(&combined, text).unwrap();
        let options = TlsOptions {
            client_cert: Some(KeySource::File(combined)),
            ..TlsOptions::default()
        };
        assert!(
            ClientTls::load(&options)
                .unwrap()
                .hints()
                .client_certificate
        );
    }

    #[test]
    fn every_certificate_of_a_ca_bundle_is_trusted_and_shown() {
        let options = TlsOptions {
            ca_certs: vec![fixture("ca.pem"), fixture("other-ca.pem")],
            ..TlsOptions::default()
        };
        let tls = ClientTls::load(&options).unwrap();
        let scope = tls.scope();
        assert!(scope.verified);
        assert_eq!(scope.extra_roots.len(), 2);
        // openssl x509 -in tests/fixtures/tls/ca.pem -outform DER | sha256sum
        assert_eq!(
            scope.extra_roots[0].sha256,
            "6b1c9e462f30cfc3e3c9f3ae3395464399e8e955977ae9048a71e211a610b989"
        );
        assert!(tls.client_config().is_ok());
    }

    #[test]
    fn insecure_is_shown_as_unverified_and_offers_http2() {
        let tls = ClientTls::load(&TlsOptions {
            insecure: true,
            ..TlsOptions::default()
        })
        .unwrap();
        assert!(!tls.scope().verified);
        assert!(tls.is_configured());
        let config = tls.client_config().unwrap();
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let options = TlsOptions {
            client_cert: Some(fixture("client.pem")),
            client_key: Some(fixture("client.pkcs8.key")),
            ..TlsOptions::default()
        };
        let tls = ClientTls::load(&options).unwrap();
        let shown = format!("{tls:?}");
        let fingerprint = tls.scope().client_certificate.unwrap().sha256;
        assert!(shown.contains(&fingerprint), "{shown}");
        // A derived Debug would show the signing key and the DER bytes.
        assert!(
            !shown.contains("SigningKey") && !shown.contains("[48, "),
            "{shown}"
        );
    }
}
