//! A failed TLS connection in words: what went wrong (unknown issuer, expired, wrong host name,
//! a client certificate demanded or refused) and which option fixes it. rustls's own text
//! (`invalid peer certificate: UnknownIssuer`) follows in brackets, for searching.
//!
//! The HTTP layer does not always keep the reason: an HTTP/2 connection hands a TLS alert to its
//! background task and the request only learns that the connection closed. [`Explainer::probe`]
//! then opens one connection of its own, outside HTTP, to hear the reason first-hand.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use rustls::pki_types::{ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, ClientConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::OnceCell;

/// Explains the TLS failures of one target: the client configuration to probe with, the hints
/// that pick the fix, and the probe's finding, made once per run.
#[derive(Debug)]
pub(crate) struct Explainer {
    config: Arc<ClientConfig>,
    hints: Hints,
    probed: OnceCell<Option<String>>,
}

/// How long a probe waits for a server's verdict on the client certificate once the handshake
/// is done (TLS 1.3 servers send it after the client's last handshake message).
const VERDICT_WAIT: Duration = Duration::from_secs(2);

impl Explainer {
    /// An explainer for connections made with `config`.
    pub(crate) fn new(config: &ClientConfig, hints: Hints) -> Self {
        Explainer {
            config: Arc::new(config.clone()),
            hints,
            probed: OnceCell::new(),
        }
    }

    /// The TLS problem in `error`'s chain, in words with its fix.
    pub(crate) fn explain(&self, error: &(dyn Error + 'static)) -> Option<String> {
        explain(error, self.hints)
    }

    /// Connects to `url`'s host and port with the run's TLS set-up and explains what fails, or
    /// `None` when the handshake succeeds and the server accepts it. Probed once per run (every
    /// connection to one target meets the same certificates), within `timeout`.
    pub(crate) async fn probe(&self, url: &Url, timeout: Duration) -> Option<String> {
        let found = self
            .probed
            .get_or_init(|| async {
                let error = tokio::time::timeout(timeout, self.handshake(url))
                    .await
                    .ok()?
                    .err()?;
                explain(&error, self.hints)
            })
            .await;
        found.clone()
    }

    async fn handshake(&self, url: &Url) -> std::io::Result<()> {
        let invalid = || std::io::Error::from(std::io::ErrorKind::InvalidInput);
        // An IPv6 host comes bracketed (`[::1]`); names and sockets want it bare.
        let host = url.host_str().ok_or_else(invalid)?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port_or_known_default().ok_or_else(invalid)?;
        let name = ServerName::try_from(host.clone()).map_err(|_| invalid())?;
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&self.config));
        let mut tls = connector.connect(name, tcp).await?;
        // Nothing is sent: a server that accepted the client stays silent until the wait ends,
        // one that refused it sends an alert, which the read returns as an error.
        let mut buffer = [0u8; 512];
        let verdict = tokio::time::timeout(VERDICT_WAIT, tls.read(&mut buffer)).await;
        let _ = tls.shutdown().await;
        match verdict {
            Ok(Err(error)) => Err(error),
            _ => Ok(()),
        }
    }
}

/// What the run was set up with, which decides the fix to suggest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Hints {
    /// `--ca-cert` or `caCert` was given.
    pub extra_roots: bool,
    /// A client certificate was presented.
    pub client_certificate: bool,
}

const INSECURE: &str = "for a throwaway environment, --insecure skips verification";

/// The TLS problem somewhere in `error`'s chain, in words with its fix; `None` when the failure
/// is not a TLS one.
pub(crate) fn explain(error: &(dyn Error + 'static), hints: Hints) -> Option<String> {
    let Some(tls) = find(error) else {
        let alert = alert_in_text(error)?;
        return Some(format!(
            "TLS: {} (received fatal alert: {alert:?})",
            alert_received(alert, hints)
        ));
    };
    let words = match tls {
        rustls::Error::InvalidCertificate(certificate) => server_certificate(certificate, hints),
        rustls::Error::AlertReceived(alert) => alert_received(*alert, hints),
        rustls::Error::InvalidMessage(_) => {
            "the target did not answer in TLS: if it serves plain HTTP, use an http:// URL".into()
        }
        rustls::Error::PeerIncompatible(_) | rustls::Error::NoApplicationProtocol => {
            "the target and conform share no TLS version or cipher suite (conform speaks TLS 1.2 and 1.3)".into()
        }
        _ => "the TLS handshake failed".into(),
    };
    Some(format!("TLS: {words} ({tls})"))
}

/// The first rustls error in the chain. I/O errors hide the error they wrap from `source()`,
/// so each is opened with `get_ref()`.
fn find<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            let inner: &(dyn Error + 'static) = inner;
            if let Some(tls) = find(inner) {
                return Some(tls);
            }
        }
        next = current.source();
    }
    None
}

/// An alert named in an error's text: HTTP/2 keeps an I/O error's message but not the rustls
/// error inside it.
fn alert_in_text(error: &(dyn Error + 'static)) -> Option<AlertDescription> {
    const PREFIX: &str = "received fatal alert: ";
    let mut next = Some(error);
    while let Some(current) = next {
        let text = current.to_string();
        if let Some(name) = text.find(PREFIX).map(|at| &text[at + PREFIX.len()..]) {
            let name = name.split(|c: char| !c.is_ascii_alphanumeric()).next()?;
            return (0..=u8::MAX)
                .map(AlertDescription::from)
                .find(|alert| format!("{alert:?}") == name);
        }
        next = current.source();
    }
    None
}

fn server_certificate(error: &CertificateError, hints: Hints) -> String {
    use CertificateError as E;
    match error {
        E::UnknownIssuer if hints.extra_roots => format!(
            "the target's certificate is not signed by a trusted authority (unknown issuer), neither the platform's nor one given with --ca-cert: give the CA that issued it (and any intermediate the server does not send) with --ca-cert FILE; {INSECURE}"
        ),
        E::UnknownIssuer => format!(
            "the target's certificate is not signed by a trusted authority (unknown issuer): if the environment uses a private CA, trust it with --ca-cert FILE (or `caCert` in the target profile); {INSECURE}"
        ),
        E::Expired => {
            format!("the target's certificate has expired: it must be renewed; {INSECURE}")
        }
        E::ExpiredContext { not_after, .. } => format!(
            "the target's certificate expired on {}: it must be renewed; {INSECURE}",
            date(*not_after)
        ),
        E::NotValidYet => {
            format!("the target's certificate is not valid yet (check both clocks); {INSECURE}")
        }
        E::NotValidYetContext { not_before, .. } => format!(
            "the target's certificate is not valid before {} (check both clocks); {INSECURE}",
            date(*not_before)
        ),
        E::NotValidForName => format!(
            "the target's certificate is not valid for the host name of the URL: use a --target URL with a name the certificate holds; {INSECURE}"
        ),
        E::NotValidForNameContext {
            expected,
            presented,
        } => format!(
            "the target's certificate is not valid for `{}` (it names {}): use a --target URL with one of those names; {INSECURE}",
            expected.to_str(),
            names(presented)
        ),
        E::InvalidPurpose | E::InvalidPurposeContext { .. } => format!(
            "the target's certificate is not meant for a TLS server (extended key usage); {INSECURE}"
        ),
        E::Revoked => format!("the target's certificate has been revoked; {INSECURE}"),
        _ => format!("the target's certificate was rejected; {INSECURE}"),
    }
}

fn alert_received(alert: AlertDescription, hints: Hints) -> String {
    use AlertDescription as A;
    let give = "give it with --client-cert FILE and --client-key FILE (or `clientCert` and `clientKey` in the target profile)";
    match alert {
        A::CertificateRequired => format!(
            "the target requires a client certificate (mutual TLS) and none was given: {give}"
        ),
        A::HandshakeFailure if !hints.client_certificate => format!(
            "the target refused the handshake: if it requires a client certificate (mutual TLS), {give}"
        ),
        A::BadCertificate
        | A::UnknownCA
        | A::CertificateUnknown
        | A::CertificateExpired
        | A::CertificateRevoked
        | A::UnsupportedCertificate
        | A::AccessDenied
        | A::HandshakeFailure
            if hints.client_certificate =>
        {
            format!(
                "the target refused the client certificate (alert {alert:?}): it must be issued by an authority the target trusts for clients, be valid now, and allow client authentication"
            )
        }
        A::ProtocolVersion | A::InsufficientSecurity => {
            "the target and conform share no TLS version or cipher suite (conform speaks TLS 1.2 and 1.3)".into()
        }
        _ => format!("the target ended the TLS handshake (alert {alert:?})"),
    }
}

fn date(time: UnixTime) -> String {
    let seconds = i64::try_from(time.as_secs()).unwrap_or(i64::MAX);
    jiff::Timestamp::from_second(seconds).map_or_else(|_| format!("{seconds} s"), |t| t.to_string())
}

fn names(presented: &[String]) -> String {
    if presented.is_empty() {
        return "no name".into();
    }
    // webpki names them as `DnsName("api.example.com")` or `IpAddress(10.0.0.1)`.
    let bare = |name: &str| -> String {
        let inner = match (name.find('('), name.strip_suffix(')')) {
            (Some(open), Some(rest)) => &rest[open + 1..],
            _ => name,
        };
        inner.trim_matches('"').to_string()
    };
    let quoted: Vec<String> = presented.iter().map(|n| format!("`{}`", bare(n))).collect();
    quoted.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::ServerName;

    /// A rustls error wrapped the way tokio-rustls and hyper hand it over.
    fn wrapped(error: rustls::Error) -> Box<dyn Error + 'static> {
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, error);
        Box::new(std::io::Error::other(io))
    }

    fn words(error: rustls::Error, hints: Hints) -> String {
        explain(wrapped(error).as_ref(), hints).expect("a TLS error is found")
    }

    #[test]
    fn an_unknown_issuer_names_ca_cert_and_insecure() {
        let error = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let text = words(error.clone(), Hints::default());
        assert_eq!(
            text,
            "TLS: the target's certificate is not signed by a trusted authority (unknown issuer): if the environment uses a private CA, trust it with --ca-cert FILE (or `caCert` in the target profile); for a throwaway environment, --insecure skips verification (invalid peer certificate: UnknownIssuer)"
        );
        let with_roots = Hints {
            extra_roots: true,
            ..Hints::default()
        };
        assert!(
            words(error, with_roots)
                .contains("neither the platform's nor one given with --ca-cert")
        );
    }

    #[test]
    fn an_expired_certificate_gives_its_end_date() {
        let error = rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_700_000_000)),
            not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_609_459_200)),
        });
        let text = words(error, Hints::default());
        assert!(
            text.starts_with("TLS: the target's certificate expired on 2021-01-01T00:00:00Z: it must be renewed; for a throwaway environment, --insecure"),
            "{text}"
        );
    }

    #[test]
    fn a_wrong_host_name_lists_the_names_the_certificate_holds() {
        let error = rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("127.0.0.1").unwrap(),
            presented: vec![
                r#"DnsName("staging.example.com")"#.into(),
                "IpAddress(10.0.0.1)".into(),
            ],
        });
        let text = words(error, Hints::default());
        assert!(
            text.starts_with("TLS: the target's certificate is not valid for `127.0.0.1` (it names `staging.example.com`, `10.0.0.1`): use a --target URL"),
            "{text}"
        );
    }

    #[test]
    fn a_demanded_client_certificate_names_the_flags() {
        let required = rustls::Error::AlertReceived(AlertDescription::CertificateRequired);
        let text = words(required, Hints::default());
        assert!(text.contains("requires a client certificate (mutual TLS) and none was given: give it with --client-cert FILE and --client-key FILE"), "{text}");
        let tls12 = rustls::Error::AlertReceived(AlertDescription::HandshakeFailure);
        let text = words(tls12, Hints::default());
        assert!(
            text.starts_with("TLS: the target refused the handshake: if it requires a client certificate (mutual TLS), give it with --client-cert"),
            "{text}"
        );
    }

    #[test]
    fn a_refused_client_certificate_is_told_from_a_missing_one() {
        let refused = rustls::Error::AlertReceived(AlertDescription::UnknownCA);
        let hints = Hints {
            client_certificate: true,
            ..Hints::default()
        };
        let text = words(refused, hints);
        assert!(
            text.starts_with("TLS: the target refused the client certificate (alert UnknownCA)"),
            "{text}"
        );
    }

    #[test]
    fn plain_http_behind_an_https_url_is_recognised() {
        let error = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        assert!(words(error, Hints::default()).contains("use an http:// URL"));
    }

    #[test]
    fn an_alert_known_only_by_its_text_is_explained() {
        let lost = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "received fatal alert: CertificateRequired",
        );
        let text = explain(&lost, Hints::default()).unwrap();
        assert!(
            text.starts_with("TLS: the target requires a client certificate (mutual TLS)"),
            "{text}"
        );
        assert!(
            text.ends_with("(received fatal alert: CertificateRequired)"),
            "{text}"
        );
    }

    #[test]
    fn other_errors_are_not_explained() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(explain(&refused, Hints::default()), None);
    }
}
