//! An HTTPS gateway for the TLS tests, as a staging environment's load balancer is: it
//! terminates TLS with a chosen certificate (optionally demanding a client certificate, limited
//! to TLS 1.2, or with a chosen ALPN list) and forwards every request over plain HTTP to the
//! implementation behind it. Written with rustls and hyper directly rather than conform's TLS
//! code, so conform's client is checked against an independent server. It records the HTTP
//! version of every request it forwards.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

/// A TLS fixture's path relative to the project folder (where the CLI runs).
pub(crate) fn tls_fixture(name: &str) -> String {
    format!("tests/fixtures/tls/{name}")
}

/// How the gateway speaks TLS.
#[derive(Debug, Clone)]
pub(crate) struct GatewayTls {
    /// Its certificate and key (fixture names).
    pub cert: &'static str,
    pub key: &'static str,
    /// Demand a client certificate issued by this CA (fixture name).
    pub client_ca: Option<&'static str>,
    /// The protocols it offers by ALPN.
    pub alpn: Vec<&'static [u8]>,
    /// Speak TLS 1.2 only.
    pub tls12_only: bool,
}

impl GatewayTls {
    /// A gateway with `cert` (and the shared server key), offering HTTP/2 and HTTP/1.1.
    pub(crate) fn with(cert: &'static str) -> Self {
        GatewayTls {
            cert,
            key: "server.key",
            client_ca: None,
            alpn: vec![b"h2", b"http/1.1"],
            tls12_only: false,
        }
    }
}

/// A running gateway; stops when dropped.
pub(crate) struct Gateway {
    /// Its base URL, `https://127.0.0.1:PORT`.
    pub url: String,
    versions: Arc<Mutex<Vec<Version>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Gateway {
    /// The HTTP version of every request forwarded so far.
    pub(crate) fn versions(&self) -> Vec<Version> {
        self.versions.lock().unwrap().clone()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a gateway in front of `backend` (a plain-HTTP base URL).
pub(crate) async fn gateway(backend: &str, tls: GatewayTls) -> Gateway {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config(&tls)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let versions = Arc::new(Mutex::new(Vec::new()));
    let forward = Arc::new(Forward {
        backend: backend.trim_end_matches('/').to_string(),
        client: reqwest::Client::new(),
        versions: Arc::clone(&versions),
    });
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, forward) = (acceptor.clone(), Arc::clone(&forward));
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                let service = service_fn(move |request| Arc::clone(&forward).pass(request));
                let io = TokioIo::new(stream);
                let _ = if h2 {
                    hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(io, service)
                        .await
                } else {
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await
                };
            });
        }
    });
    Gateway {
        url,
        versions,
        task,
    }
}

fn server_config(tls: &GatewayTls) -> rustls::ServerConfig {
    let path = |name: &str| crate::util::root().join(tls_fixture(name));
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path(tls.cert))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(path(tls.key)).unwrap();
    let versions: &[&rustls::SupportedProtocolVersion] = if tls.tls12_only {
        &[&rustls::version::TLS12]
    } else {
        rustls::DEFAULT_VERSIONS
    };
    let builder = rustls::ServerConfig::builder_with_protocol_versions(versions);
    let builder = match tls.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for certificate in CertificateDer::pem_file_iter(path(ca)).unwrap() {
                roots.add(certificate.unwrap()).unwrap();
            }
            let verifier = WebPkiClientVerifier::builder(roots.into()).build().unwrap();
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(chain, key).unwrap();
    config.alpn_protocols = tls.alpn.iter().map(|p| p.to_vec()).collect();
    config
}

struct Forward {
    backend: String,
    client: reqwest::Client,
    versions: Arc<Mutex<Vec<Version>>>,
}

/// Headers that belong to one connection, never forwarded (HTTP/2 forbids them).
const HOP_BY_HOP: [&str; 5] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "host",
];

impl Forward {
    async fn pass(
        self: Arc<Self>,
        request: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, hyper::Error> {
        self.versions.lock().unwrap().push(request.version());
        let (parts, body) = request.into_parts();
        let body = body.collect().await?.to_bytes();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut headers = parts.headers;
        for name in HOP_BY_HOP {
            headers.remove(name);
        }
        let sent = self
            .client
            .request(parts.method, format!("{}{path}", self.backend))
            .headers(headers)
            .body(body)
            .send()
            .await;
        let Ok(answer) = sent else {
            return Ok(status_only(502));
        };
        let mut response = Response::builder().status(answer.status().as_u16());
        for (name, value) in answer.headers() {
            if !HOP_BY_HOP.contains(&name.as_str()) {
                response = response.header(name, value);
            }
        }
        let bytes = answer.bytes().await.unwrap_or_default();
        Ok(response
            .body(Full::new(bytes))
            .unwrap_or_else(|_| status_only(502)))
    }
}

fn status_only(status: u16) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    response
}
