//! `serve --tls-cert FILE --tls-key FILE [--client-ca FILE]`: the reference implementation's
//! server certificate and, with a client CA, mutual TLS that refuses clients without a
//! certificate that CA issued. Offers HTTP/2 and HTTP/1.1 by ALPN, as gateways in front of real
//! implementations do.

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;

use super::pem::{self, TlsError};
use crate::target::profile::KeySource;

/// The server configuration for `cert` (PEM chain, leaf first) and `key`, requiring a client
/// certificate issued by `client_ca` when given.
pub(crate) fn server_config(
    cert: &KeySource,
    key: &KeySource,
    client_ca: Option<&KeySource>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = pem::certificates("TLS certificate", &pem::read("TLS certificate", cert)?)?;
    let key_text = pem::read("TLS key", key)?;
    let key = pem::private_key("TLS key", &key_text)?;
    let provider = super::provider();
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(source) => {
            let text = pem::read("client CA", source)?;
            let mut roots = rustls::RootCertStore::empty();
            for certificate in pem::certificates("client CA", &text)? {
                roots.add(certificate).map_err(|e| TlsError::Unusable {
                    what: "client CA",
                    origin: text.origin.clone(),
                    problem: format!("cannot be trusted: {e}"),
                })?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .map_err(|e| TlsError::Setup(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Unusable {
            what: "TLS key",
            origin: key_text.origin.clone(),
            problem: match e {
                rustls::Error::InconsistentKeys(_) => {
                    "the key does not belong to the TLS certificate".into()
                }
                other => format!("unusable key: {other}"),
            },
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
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
    fn serves_a_certificate_with_its_key_and_offers_http2() {
        let config = server_config(&fixture("server.pem"), &fixture("server.key"), None).unwrap();
        assert_eq!(config.alpn_protocols[0], b"h2");
        let mutual = server_config(
            &fixture("server.pem"),
            &fixture("server.key"),
            Some(&fixture("client-ca.pem")),
        );
        assert!(mutual.is_ok());
    }

    #[test]
    fn refuses_a_key_of_another_certificate() {
        let message = server_config(&fixture("server.pem"), &fixture("rogue-client.key"), None)
            .unwrap_err()
            .to_string();
        assert!(
            message.ends_with("rogue-client.key`: the key does not belong to the TLS certificate"),
            "{message}"
        );
    }
}
