//! Serving reference implementations over HTTP with wiremock: one route per contract operation,
//! each answered by a stateful responder. An operation also answers under any path prefix, so
//! clients can rehearse a gateway prefix (`/api/open/v2/...`) against it.

use std::net::TcpListener;
use std::sync::Arc;

use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{Faults, Reference, ServerSigning};
use crate::contract::Contract;

/// A running reference server; stops when dropped.
pub struct ReferenceServer {
    server: MockServer,
}

/// The reference server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// Requests must be signed, but a contract has no code to reject a bad signature with.
    #[error(
        "contract `{0}` has no code for rejected signatures: add `ACCESS_DENIED` (status of the failure role) to `result.codes` or set `signing.rejectCode`"
    )]
    NoSignatureRejection(String),
}

#[derive(Clone)]
struct Endpoint {
    reference: Arc<Reference>,
    signing: Arc<ServerSigning>,
    latency: Option<std::time::Duration>,
}

impl Respond for Endpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let answer = match self.signing.check_request(request) {
            Ok(()) => self.reference.answer(&request.body),
            Err(reason) => self.reference.reject_signature(&reason),
        };
        let mut template = ResponseTemplate::new(answer.status);
        for (name, value) in self.signing.answer_headers(request, &answer.body) {
            template = template.insert_header(name, value.as_str());
        }
        template = if answer.status == 200 {
            template.set_body_raw(answer.body, "application/json; charset=UTF-8")
        } else {
            template.set_body_raw(answer.body, "text/plain; charset=UTF-8")
        };
        match self.latency {
            Some(delay) => template.set_delay(delay),
            None => template,
        }
    }
}

impl ReferenceServer {
    /// Starts serving `contracts` on `address` (`host:port`), or on a free loopback port when
    /// `address` is `None`.
    pub async fn start(
        contracts: &[Contract],
        address: Option<&str>,
        faults: &Faults,
    ) -> Result<Self, ServeError> {
        Self::start_signed(contracts, address, faults, ServerSigning::none()).await
    }

    /// Like [`ReferenceServer::start`], speaking the signing protocol with `signing`'s keys.
    pub async fn start_signed(
        contracts: &[Contract],
        address: Option<&str>,
        faults: &Faults,
        signing: ServerSigning,
    ) -> Result<Self, ServeError> {
        if signing.checks_requests()
            && let Some(contract) = contracts.iter().find(|c| c.signature_rejection.is_none())
        {
            return Err(ServeError::NoSignatureRejection(contract.name.clone()));
        }
        let signing = Arc::new(signing);
        let address = address.unwrap_or("127.0.0.1:0");
        let listener = TcpListener::bind(address).map_err(|source| ServeError::Bind {
            address: address.to_string(),
            source,
        })?;
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        for contract in contracts {
            let endpoint = Endpoint {
                reference: Arc::new(Reference::new(contract.clone(), faults.clone())),
                signing: Arc::clone(&signing),
                latency: faults.latency,
            };
            let exact = Mock::given(method(contract.method.as_str()))
                .and(path(contract.path.as_str()))
                .respond_with(endpoint.clone());
            server.register(exact).await;
            // Behind a gateway prefix; a lower priority keeps an exact path of another
            // contract first.
            let prefixed = format!("^/.+{}$", regex::escape(&contract.path));
            let prefixed = Mock::given(method(contract.method.as_str()))
                .and(path_regex(prefixed))
                .respond_with(endpoint)
                .with_priority(10);
            server.register(prefixed).await;
        }
        Ok(ReferenceServer { server })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The bound address.
    pub fn address(&self) -> std::net::SocketAddr {
        *self.server.address()
    }
}
