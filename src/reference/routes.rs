//! Routing, in one place: which operation a request's method and path are for, for `serve` and
//! the traffic proxy alike.
//!
//! A path is looked up whole, then behind a gateway prefix (the longest operation path that
//! ends the request path at a segment boundary), so clients can rehearse a prefix such as
//! `/api/open` against `serve`. Paths without parameters are found in a map; templates
//! (`/v1/cards/{cardId}`) are matched in turn, their parameters read from the path. A known
//! path asked with another method is told which methods it has (`405` with `Allow`), not that
//! nothing is there.

use std::collections::HashMap;
use std::sync::Arc;

use hyper::Method;
use hyper::header::HeaderValue;

use super::{Bound, Faults, Reference, ResourceStore};
use crate::contract::{Contract, PathTemplate};

/// One operation as served: its reference implementation.
#[derive(Debug)]
pub(crate) struct Operation {
    /// The reference implementation of its contract.
    pub reference: Reference,
}

/// One method's operation.
type MethodRoute<T> = (Method, Arc<T>);

/// The operations of one path, by method.
#[derive(Debug)]
struct PathRoutes<T> {
    methods: Vec<MethodRoute<T>>,
    allow: HeaderValue,
}

/// Every operation routed: by path, and by template for paths with parameters. What each
/// operation is (`T`) is up to the router's user: `serve`'s reference implementations, or the
/// traffic proxy's contracts.
#[derive(Debug)]
pub(crate) struct Routes<T = Operation> {
    by_path: HashMap<Box<str>, PathRoutes<T>>,
    templates: Vec<(PathTemplate, PathRoutes<T>)>,
}

/// Where a request goes.
#[derive(Debug)]
pub(crate) enum Route<'a, T = Operation> {
    /// To this operation, with the path parameters its template matched.
    Found(&'a Arc<T>, Vec<(String, String)>),
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
pub(crate) struct BadContentType {
    /// The contract's name.
    pub contract: String,
    /// Its content type.
    pub content_type: String,
}

impl Routes {
    /// Routes for `contracts`, each operation remembering keys within `bound`.
    pub(crate) fn new(
        contracts: &[Contract],
        faults: &Faults,
        bound: Bound,
    ) -> Result<Self, BadContentType> {
        let store = Arc::new(ResourceStore::new(contracts, bound));
        for contract in contracts {
            check_content_types(contract)?;
        }
        Ok(Routes::build(contracts, |contract| {
            let reference =
                Reference::sharing(contract.clone(), faults.clone(), bound, Arc::clone(&store));
            Operation { reference }
        }))
    }
}

impl<T> Routes<T> {
    /// Routes for `contracts`, each operation made by `operation`.
    pub(crate) fn build(contracts: &[Contract], mut operation: impl FnMut(&Contract) -> T) -> Self {
        let mut by_path: HashMap<Box<str>, Vec<MethodRoute<T>>> = HashMap::new();
        let mut templates: Vec<(PathTemplate, Vec<MethodRoute<T>>)> = Vec::new();
        for contract in contracts {
            let method = Method::from_bytes(contract.method.as_bytes()).unwrap_or(Method::POST);
            let entry = (method, Arc::new(operation(contract)));
            if contract.template.is_literal() {
                by_path
                    .entry(contract.path.as_str().into())
                    .or_default()
                    .push(entry);
            } else {
                match templates.iter_mut().find(|(t, _)| *t == contract.template) {
                    Some((_, methods)) => methods.push(entry),
                    None => templates.push((contract.template.clone(), vec![entry])),
                }
            }
        }
        let by_path = by_path
            .into_iter()
            .map(|(path, methods)| (path, PathRoutes::new(methods)))
            .collect();
        let templates = templates
            .into_iter()
            .map(|(template, methods)| (template, PathRoutes::new(methods)))
            .collect();
        Routes { by_path, templates }
    }

    /// Where `method` `path` goes. A path without parameters allocates nothing: it runs for
    /// every request.
    pub(crate) fn find(&self, method: &Method, path: &str) -> Route<'_, T> {
        let whole = std::iter::once(path);
        let behind_prefix = path.match_indices('/').skip(1).map(|(i, _)| &path[i..]);
        let mut known = None;
        for candidate in whole.chain(behind_prefix) {
            let Some(routes) = self.by_path.get(candidate) else {
                continue;
            };
            if let Some((_, operation)) = routes.methods.iter().find(|(m, _)| m == method) {
                return Route::Found(operation, Vec::new());
            }
            known.get_or_insert(&routes.allow);
        }
        for (template, routes) in &self.templates {
            let Some(matched) = crate::wire::match_path(template, path) else {
                continue;
            };
            if let Some((_, operation)) = routes.methods.iter().find(|(m, _)| m == method) {
                return Route::Found(operation, matched.params);
            }
            known.get_or_insert(&routes.allow);
        }
        match known {
            Some(allow) => Route::MethodNotAllowed { allow },
            None => Route::NotFound,
        }
    }
}

impl<T> PathRoutes<T> {
    fn new(methods: Vec<MethodRoute<T>>) -> Self {
        let names: Vec<&str> = methods.iter().map(|(m, _)| m.as_str()).collect();
        let allow =
            HeaderValue::from_str(&names.join(", ")).unwrap_or(HeaderValue::from_static("POST"));
        PathRoutes { methods, allow }
    }
}

/// Every media type the contract answers with must be a valid header value.
fn check_content_types(contract: &Contract) -> Result<(), BadContentType> {
    let media = contract
        .responses
        .iter()
        .filter_map(|r| r.content_type.as_deref());
    for declared in media {
        if HeaderValue::from_str(declared.trim()).is_err() {
            return Err(BadContentType {
                contract: contract.name.clone(),
                content_type: declared.to_string(),
            });
        }
    }
    Ok(())
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
            Route::Found(op, _) => op.reference.contract().path.clone(),
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
    fn templates_are_matched_with_their_parameters_behind_a_prefix() {
        let mut contract = issue_card();
        contract.method = "GET".into();
        contract.path = "/v1/cards/{cardId}".into();
        contract.template = PathTemplate::parse(&contract.path).unwrap();
        let routes = Routes::new(&[contract], &Faults::default(), Bound::DEFAULT).unwrap();
        match routes.find(&Method::GET, "/gw/v1/cards/card_1") {
            Route::Found(_, params) => {
                assert_eq!(params, [("cardId".to_string(), "card_1".to_string())]);
            }
            other => panic!("expected a route, got {other:?}"),
        }
        assert!(matches!(
            routes.find(&Method::DELETE, "/v1/cards/card_1"),
            Route::MethodNotAllowed { .. }
        ));
    }
}
