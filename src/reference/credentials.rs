//! Credentials as the reference implementation checks them: given the values a client must
//! send (the run's own headers, or `serve --credential`), a request to an operation that
//! declares `credentials` without them, or with another value, gets the contract's rejection
//! before anything is processed. Values are compared, never shown.

use crate::contract::Contract;

/// The credential headers requests must carry.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServerCredentials {
    required: Vec<Required>,
}

#[derive(Clone)]
struct Required {
    name: String,
    value: String,
    /// Required on every operation declaring credentials, whatever names it lists.
    marked: bool,
}

impl std::fmt::Debug for Required {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: ***", self.name)
    }
}

impl ServerCredentials {
    /// Requires `value` in the header `name` on every operation whose contract lists `name`
    /// among its credentials, or on every operation declaring credentials when `marked`.
    pub(crate) fn require(&mut self, name: &str, value: &str, marked: bool) {
        self.required.push(Required {
            name: name.to_string(),
            value: value.to_string(),
            marked,
        });
    }

    /// Whether any credential is required.
    pub(crate) fn is_empty(&self) -> bool {
        self.required.is_empty()
    }

    /// The names required, for `serve`'s banner.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.required.iter().map(|r| r.name.as_str())
    }

    /// `Ok` when `contract` needs no credentials or `headers` carry every one it needs; else
    /// why not, naming the header and never its value.
    pub(crate) fn check(
        &self,
        contract: &Contract,
        headers: &hyper::HeaderMap,
    ) -> Result<(), String> {
        let Some(declared) = &contract.credentials else {
            return Ok(());
        };
        let applies = |r: &&Required| {
            r.marked
                || declared
                    .headers
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(&r.name))
        };
        for required in self.required.iter().filter(applies) {
            match headers.get(required.name.as_str()) {
                None => return Err(format!("{} is missing", required.name)),
                Some(sent) if sent.as_bytes() != required.value.as_bytes() => {
                    return Err(format!("{} is not valid", required.name));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::issue_card;

    fn with_credentials() -> Contract {
        let mut contract = issue_card();
        contract.credentials = Some(crate::contract::Credentials {
            headers: vec!["Authorization".into()],
            reject: crate::contract::Expect {
                status: "F".into(),
                code: Some("ACCESS_DENIED".into()),
            },
        });
        contract
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> hyper::HeaderMap {
        let mut map = hyper::HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, hyper::header::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn a_missing_or_wrong_credential_is_refused_naming_the_header_only() {
        let mut credentials = ServerCredentials::default();
        credentials.require("Authorization", "Bearer good-1234", false);
        let contract = with_credentials();
        let ok = headers(&[("authorization", "Bearer good-1234")]);
        assert_eq!(credentials.check(&contract, &ok), Ok(()));
        let missing = credentials.check(&contract, &headers(&[]));
        assert_eq!(missing, Err("Authorization is missing".into()));
        let wrong = headers(&[("authorization", "Bearer evil-1234")]);
        assert_eq!(
            credentials.check(&contract, &wrong),
            Err("Authorization is not valid".into())
        );
    }

    #[test]
    fn only_operations_declaring_credentials_check_them() {
        let mut credentials = ServerCredentials::default();
        credentials.require("Authorization", "Bearer good-1234", false);
        credentials.require("X-Api-Key", "k-1", false);
        assert_eq!(credentials.check(&issue_card(), &headers(&[])), Ok(()));
        let ok = headers(&[("authorization", "Bearer good-1234")]);
        assert_eq!(
            credentials.check(&with_credentials(), &ok),
            Ok(()),
            "X-Api-Key is not the contract's"
        );
        credentials.require("X-Tenant", "acme", true);
        assert_eq!(
            credentials.check(&with_credentials(), &ok),
            Err("X-Tenant is missing".into())
        );
    }
}
