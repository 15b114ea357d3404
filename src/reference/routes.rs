//! Routing, in one place: which operation answers a request's method and path.
//!
//! A path is looked up whole, then behind a gateway prefix (the longest operation path that
//! ends the request path at a segment boundary), so clients can rehearse a prefix such as
//! `/api/open` against `serve`. A known path asked with another method is told which methods
//! it has (`405` with `Allow`), not that nothing is there.

use std::collections::HashMap;
use std::sync::Arc;

use hyper::Method;
use hyper::header::HeaderValue;

use super::{Bound, Faults, Reference};
use crate::contract::Contract;

/// One operation as served: its reference implementation and the `Content-Type` it answers
/// with.
#[derive(Debug)]
pub struct Operation {
    /// The reference implementation of its contract.
    pub reference: Reference,
    /// The contract's `response.contentType` (with `charset=UTF-8` for JSON types).
    pub content_type: HeaderValue,
}

/// The operations of one path, by method.
#[derive(Debug)]
struct PathRoutes {
    methods: Vec<(Method, Arc<Operation>)>,
    allow: HeaderValue,
}

/// Every operation served, by path.
#[derive(Debug)]
pub struct Routes {
    by_path: HashMap<Box<str>, PathRoutes>,
}

/// Where a request goes.
#[derive(Debug)]
pub enum Route<'a> {
    /// To this operation.
    Found(&'a Arc<Operation>),
    /// The path is known, the method is not: `Allow` lists the methods it has.
    MethodNotAllowed {
        /// The `Allow` header value, e.g. `POST`.
        allow: &'a HeaderValue,
    },
    /// No operation has this path.
    NotFound,
}

/// A contract's `response.contentType` is not a valid header value.
#[derive(Debug, thiserror::Error)]
#[error("contract `{contract}`: response.contentType `{content_type}` is not a valid header value")]
pub struct BadContentType {
    /// The contract's name.
    pub contract: String,
    /// Its content type.
    pub content_type: String,
}

impl Routes {
    /// Routes for `contracts`, each operation remembering keys within `bound`.
    pub fn new(
        contracts: &[Contract],
        faults: &Faults,
        bound: Bound,
    ) -> Result<Self, BadContentType> {
        let mut by_path: HashMap<Box<str>, Vec<(Method, Arc<Operation>)>> = HashMap::new();
        for contract in contracts {
            let method = Method::from_bytes(contract.method.as_bytes()).unwrap_or(Method::POST);
            let operation = Operation {
                content_type: content_type(contract)?,
                reference: Reference::bounded(contract.clone(), faults.clone(), bound),
            };
            let path = by_path.entry(contract.path.as_str().into()).or_default();
            path.push((method, Arc::new(operation)));
        }
        let by_path = by_path
            .into_iter()
            .map(|(path, methods)| {
                let names: Vec<&str> = methods.iter().map(|(m, _)| m.as_str()).collect();
                let allow = HeaderValue::from_str(&names.join(", "))
                    .unwrap_or(HeaderValue::from_static("POST"));
                (path, PathRoutes { methods, allow })
            })
            .collect();
        Ok(Routes { by_path })
    }

    /// Where `method` `path` goes. Allocates nothing: it runs for every request.
    pub fn find(&self, method: &Method, path: &str) -> Route<'_> {
        let whole = std::iter::once(path);
        let behind_prefix = path.match_indices('/').skip(1).map(|(i, _)| &path[i..]);
        let mut known = None;
        for candidate in whole.chain(behind_prefix) {
            let Some(routes) = self.by_path.get(candidate) else {
                continue;
            };
            if let Some((_, operation)) = routes.methods.iter().find(|(m, _)| m == method) {
                return Route::Found(operation);
            }
            known.get_or_insert(&routes.allow);
        }
        match known {
            Some(allow) => Route::MethodNotAllowed { allow },
            None => Route::NotFound,
        }
    }

    /// Every operation served.
    pub fn operations(&self) -> impl Iterator<Item = &Arc<Operation>> {
        self.by_path
            .values()
            .flat_map(|routes| routes.methods.iter().map(|(_, op)| op))
    }
}

/// The `Content-Type` answers carry: the contract's media type, with `charset=UTF-8` added to
/// JSON types that name no charset (the bodies are UTF-8 JSON).
fn content_type(contract: &Contract) -> Result<HeaderValue, BadContentType> {
    let declared = contract.content_type.trim();
    let media = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let json = media == "application/json" || media.ends_with("+json");
    let value = if json && !declared.to_ascii_lowercase().contains("charset=") {
        format!("{declared}; charset=UTF-8")
    } else {
        declared.to_string()
    };
    HeaderValue::from_str(&value).map_err(|_| BadContentType {
        contract: contract.name.clone(),
        content_type: contract.content_type.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::issue_card;

    fn routes_with(paths: &[(&str, &str)]) -> Routes {
        let contracts: Vec<Contract> = paths
            .iter()
            .map(|(method, path)| {
                let mut contract = issue_card();
                contract.method = method.to_string();
                contract.path = path.to_string();
                contract
            })
            .collect();
        Routes::new(&contracts, &Faults::default(), Bound::DEFAULT).unwrap()
    }

    fn found_path(route: Route<'_>) -> String {
        match route {
            Route::Found(op) => op.reference.contract().path.clone(),
            other => panic!("expected a route, got {other:?}"),
        }
    }

    #[test]
    fn finds_an_operation_exactly_and_behind_a_gateway_prefix() {
        let routes = routes_with(&[("POST", "/v2/issue"), ("POST", "/issue")]);
        assert_eq!(
            found_path(routes.find(&Method::POST, "/v2/issue")),
            "/v2/issue"
        );
        assert_eq!(
            found_path(routes.find(&Method::POST, "/api/open/v2/issue")),
            "/v2/issue"
        );
        assert_eq!(
            found_path(routes.find(&Method::POST, "/api/issue")),
            "/issue"
        );
        assert!(matches!(
            routes.find(&Method::POST, "/v2/issues"),
            Route::NotFound
        ));
    }

    #[test]
    fn a_known_path_with_another_method_is_not_allowed_naming_the_methods() {
        let routes = routes_with(&[("POST", "/cards"), ("PUT", "/cards")]);
        match routes.find(&Method::GET, "/gw/cards") {
            Route::MethodNotAllowed { allow } => {
                let mut methods: Vec<&str> = allow.to_str().unwrap().split(", ").collect();
                methods.sort();
                assert_eq!(methods, ["POST", "PUT"]);
            }
            other => panic!("expected 405, got {other:?}"),
        }
    }

    #[test]
    fn json_content_types_get_a_charset_and_others_are_sent_as_declared() {
        let mut contract = issue_card();
        contract.content_type = "application/vnd.example+json".into();
        assert_eq!(
            content_type(&contract).unwrap(),
            "application/vnd.example+json; charset=UTF-8"
        );
        contract.content_type = "application/json; charset=utf-8".into();
        assert_eq!(
            content_type(&contract).unwrap(),
            "application/json; charset=utf-8"
        );
        contract.content_type = "text/csv".into();
        assert_eq!(content_type(&contract).unwrap(), "text/csv");
        contract.content_type = "bad\nvalue".into();
        assert!(content_type(&contract).is_err());
    }
}
