//! Serving reference implementations over HTTP with wiremock: one route per contract operation,
//! each answered by a stateful responder.

use std::net::TcpListener;
use std::sync::Arc;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{Faults, Reference};
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
}

struct Endpoint {
    reference: Arc<Reference>,
    latency: Option<std::time::Duration>,
}

impl Respond for Endpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let answer = self.reference.answer(&request.body);
        let mut template = ResponseTemplate::new(answer.status);
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
                latency: faults.latency,
            };
            let mock = Mock::given(method(contract.method.as_str()))
                .and(path(contract.path.as_str()))
                .respond_with(endpoint);
            server.register(mock).await;
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
