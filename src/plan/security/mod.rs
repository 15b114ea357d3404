//! Security probes: requests an implementation must refuse, planned from how the run
//! authenticates. A run that signs gets the signature probes for every contract; a run carrying
//! credentials in headers gets the credential probes for every contract that declares them.
//!
//! | case | what is sent |
//! |---|---|
//! | `signature/unsigned` | `Client-Id` and `Request-Time`, no `Signature` |
//! | `signature/tampered-body` | a signature over the body, then one byte of a string value changed |
//! | `signature/reformatted-body` | a signature over the body, then the same JSON sent pretty-printed (only with a body) |
//! | `signature/other-key` | a signature made with a key generated for the run |
//! | `signature/other-client-id` | a signature over the run's Client-Id, another `Client-Id` sent |
//! | `signature/malformed-header` | `Signature: algorithm=RSA256,keyVersion=1,signature` (no value) |
//! | `signature/other-algorithm` | `algorithm=none`, with random bytes for a signature |
//! | `signature/other-path` | a signature over the path with its last letter or digit changed |
//! | `credentials/missing` | the request without its credential headers |
//! | `credentials/wrong` | each credential header with a value of the same form, other characters |
//!
//! Each probe spoils the contract's valid base request, which must then get the contract's
//! rejection. Where the contract has an idempotency key, the spoiled request also carries the
//! one-byte change of the conflict scenario ([`variation`]), and the runner then sends the valid
//! request under the same key, which must succeed: had the refused request been processed and
//! its key kept, that would be a reuse of the key with another payload, refused as one; had the
//! refusal been kept under the key, it would come back. The probes are cases like any other
//! (`issueCard/security/signature/unsigned`), so filters, skips, baselines and reports treat
//! them alike.

mod probes;
mod variation;

use serde_json::Value;

pub(crate) use probes::{
    CredentialProbe, MALFORMED_SIGNATURE, OTHER_ALGORITHM, Probe, SignatureProbe,
};
pub(crate) use variation::changed_last;

use super::generated::base_document;
use super::{Action, Case, CaseKind};
use crate::contract::{Contract, Expect, ResultCarrier, StatusRole};
use crate::json::Pointer;

/// How the run authenticates its requests: what decides the probes planned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Auth {
    /// Every request is signed (a private key is given).
    pub signed: bool,
    /// The names of the headers every request carries (`--header`, the target profile).
    pub headers: Vec<String>,
    /// Those of them the target profile marks as credentials (`"credential": true`), probed
    /// on every contract that declares `credentials`, whatever names it lists.
    pub marked: Vec<String>,
}

impl Auth {
    /// What a run signing with every credential the contracts declare would probe: the
    /// security probes `conform cases --security` lists.
    pub(crate) fn everything(contracts: &[Contract]) -> Self {
        let mut headers: Vec<String> = Vec::new();
        for name in contracts
            .iter()
            .filter_map(|c| c.credentials.as_ref())
            .flat_map(|c| &c.headers)
        {
            if !headers.iter().any(|h| h.eq_ignore_ascii_case(name)) {
                headers.push(name.clone());
            }
        }
        Auth {
            signed: true,
            headers,
            marked: Vec::new(),
        }
    }

    /// Adds what `other` probes: a signed run, and its headers (for a suite planned batch by
    /// batch).
    pub(crate) fn absorb(&mut self, other: Auth) {
        self.signed |= other.signed;
        for header in other.headers {
            if !self.headers.iter().any(|h| h.eq_ignore_ascii_case(&header)) {
                self.headers.push(header);
            }
        }
    }

    /// The run's headers that carry `contract`'s credentials: those it declares, and those the
    /// profile marks; none for a contract without `credentials`.
    pub(crate) fn credentials_of(&self, contract: &Contract) -> Vec<String> {
        let Some(credentials) = &contract.credentials else {
            return Vec::new();
        };
        let named = |h: &String| {
            let same = |n: &String| n.eq_ignore_ascii_case(h);
            credentials.headers.iter().any(same) || self.marked.iter().any(same)
        };
        self.headers.iter().filter(|h| named(h)).cloned().collect()
    }
}

/// A security probe as planned: what it spoils, and the valid request it spoils.
#[derive(Debug, Clone)]
pub(crate) struct SecurityCase {
    /// What the probe does to the request.
    pub probe: Probe,
    /// The valid request document (the contract's base), sent right after the spoiled one.
    pub request: Value,
    /// The change the spoiled request carries (one byte of a string): for the tampered-body
    /// probe the change made after signing; for every probe of a contract with an idempotency
    /// key the payload the conflict scenario changes, so that had the spoiled request been
    /// processed and its key kept, the request sent right afterwards would be a reuse of the
    /// key with another payload, and refused as one.
    pub varied: Option<Variation>,
    /// The answer the spoiled request must get.
    pub reject: Expect,
}

/// One byte of one string of the body changed, the request staying valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variation {
    /// Where the changed value is (a request-document pointer).
    pub at: Pointer,
    /// The field, as messages name it (`externalCardNo`).
    pub field: String,
    /// The changed value.
    pub sent: String,
}

impl SecurityCase {
    /// The spoiled request's document: the valid one with the variation, if any.
    #[cfg(test)]
    pub(crate) fn spoiled_request(&self) -> Value {
        let mut document = self.request.clone();
        if let Some(varied) = &self.varied {
            varied
                .at
                .set(&mut document, Value::String(varied.sent.clone()));
        }
        document
    }
}

/// The security probes of one contract (the contract at `index` of the run) for a run
/// authenticating as `auth`; none when the contract has no valid request to spoil.
pub(crate) fn cases(index: usize, contract: &Contract, auth: &Auth) -> Vec<Case> {
    let credentials = auth.credentials_of(contract);
    if !auth.signed && credentials.is_empty() {
        return Vec::new();
    }
    let Some(request) = base_document(contract) else {
        return Vec::new();
    };
    let tampered = variation::tampered(contract, &request);
    // Only a key can show that a refused request was kept, so only then is it varied.
    let varied = contract
        .idempotency
        .as_ref()
        .and_then(|_| variation::payload(contract, &request).or_else(|| tampered.clone()));
    let mut probes = Vec::new();
    if auth.signed {
        let tampered = varied.as_ref().or(tampered.as_ref());
        let body = request.get("body").is_some_and(|body| !body.is_null());
        probes.extend(signature_probes(tampered, body).map(Probe::Signature));
    }
    if !credentials.is_empty() {
        probes.extend(credential_probes(&credentials).map(Probe::Credentials));
    }
    let several = credentials.len() > 1;
    probes
        .into_iter()
        .map(|probe| {
            let reject = match &probe {
                Probe::Signature(_) => signature_rejection(contract),
                Probe::Credentials(_) => contract
                    .credentials
                    .as_ref()
                    .map(|c| c.reject.clone())
                    .unwrap_or_else(|| any_failure(contract)),
            };
            let varied = match &probe {
                Probe::Signature(SignatureProbe::TamperedBody { .. }) => {
                    varied.clone().or_else(|| tampered.clone())
                }
                // The very document signed, in other bytes.
                Probe::Signature(SignatureProbe::ReformattedBody) => None,
                _ => varied.clone(),
            };
            Case {
                name: format!("{}/security/{}", contract.name, probe.name(several)),
                contract: index,
                kind: CaseKind::Security,
                action: Action::Security(SecurityCase {
                    probe,
                    request: request.clone(),
                    varied,
                    reject,
                }),
            }
        })
        .collect()
}

/// The signature probes: those changing the body only for a request that has one.
fn signature_probes(
    varied: Option<&Variation>,
    body: bool,
) -> impl Iterator<Item = SignatureProbe> {
    let tampered = varied.map(|v| SignatureProbe::TamperedBody {
        field: v.field.clone(),
    });
    [
        Some(SignatureProbe::Unsigned),
        tampered,
        body.then_some(SignatureProbe::ReformattedBody),
        Some(SignatureProbe::OtherKey),
        Some(SignatureProbe::OtherClientId),
        Some(SignatureProbe::MalformedHeader),
        Some(SignatureProbe::OtherAlgorithm),
        Some(SignatureProbe::OtherPath),
    ]
    .into_iter()
    .flatten()
}

/// `missing` and `wrong` for all the credential headers together, then, when there are
/// several, for each one alone (an implementation may check one and ignore another).
fn credential_probes(headers: &[String]) -> impl Iterator<Item = CredentialProbe> {
    let all = [
        CredentialProbe::Missing(headers.to_vec()),
        CredentialProbe::Wrong(headers.to_vec()),
    ];
    let each = headers.iter().filter(|_| headers.len() > 1).flat_map(|h| {
        [
            CredentialProbe::Missing(vec![h.clone()]),
            CredentialProbe::Wrong(vec![h.clone()]),
        ]
    });
    all.into_iter().chain(each.collect::<Vec<_>>())
}

/// What a bad signature must get: the contract's `signing` rejection, else any failure.
fn signature_rejection(contract: &Contract) -> Expect {
    contract
        .signature_rejection
        .clone()
        .unwrap_or_else(|| any_failure(contract))
}

/// Any failure: the first `failure` status with any code, or any client error for results in
/// the HTTP status.
fn any_failure(contract: &Contract) -> Expect {
    let status = match contract.result.carrier {
        ResultCarrier::HttpStatus => "4XX".to_string(),
        ResultCarrier::Body => contract
            .result
            .status_for(StatusRole::Failure)
            .unwrap_or_default()
            .to_string(),
    };
    Expect { status, code: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::issue_card;

    fn signed() -> Auth {
        Auth {
            signed: true,
            ..Auth::default()
        }
    }

    #[test]
    fn a_signed_run_plans_eight_signature_probes_per_contract() {
        let names: Vec<String> = cases(0, &issue_card(), &signed())
            .into_iter()
            .map(|c| c.name)
            .collect();
        let expected = [
            "unsigned",
            "tampered-body",
            "reformatted-body",
            "other-key",
            "other-client-id",
            "malformed-header",
            "other-algorithm",
            "other-path",
        ]
        .map(|p| format!("issueCard/security/signature/{p}"));
        assert_eq!(names, expected);
    }

    #[test]
    fn an_unsigned_run_without_credentials_plans_no_probe() {
        assert!(cases(0, &issue_card(), &Auth::default()).is_empty());
    }

    #[test]
    fn the_tampered_body_changes_one_byte_of_free_text_and_stays_valid() {
        let contract = issue_card();
        let case = cases(0, &contract, &signed()).remove(1);
        let Action::Security(security) = case.action else {
            panic!("a security case")
        };
        let Probe::Signature(SignatureProbe::TamperedBody { field }) = &security.probe else {
            panic!("the tampered-body probe")
        };
        assert_eq!(
            field, "externalCardNo",
            "the field the conflict scenario changes"
        );
        let Variation { at, sent, .. } = security.varied.clone().unwrap();
        let signed = at.get(&security.request).and_then(Value::as_str).unwrap();
        assert_eq!(signed.len(), sent.len());
        let differing = signed.bytes().zip(sent.bytes()).filter(|(a, b)| a != b);
        assert_eq!(differing.count(), 1, "{signed} → {sent}");
        assert_eq!(
            at.get(&security.spoiled_request()),
            Some(&Value::String(sent))
        );
        assert_eq!(security.reject.code.as_deref(), Some("ACCESS_DENIED"));
    }

    #[test]
    fn changing_the_last_letter_or_digit_keeps_its_kind() {
        assert_eq!(
            changed_last("card_0123456789").as_deref(),
            Some("card_0123456780")
        );
        assert_eq!(changed_last("issueCard").as_deref(), Some("issueCare"));
        assert_eq!(changed_last("ab*z**").as_deref(), Some("ab*a**"));
        assert_eq!(changed_last("中-"), None);
    }

    #[test]
    fn credentials_are_probed_only_where_the_contract_declares_them() {
        let auth = Auth {
            signed: false,
            headers: vec!["authorization".into(), "X-Tenant".into()],
            marked: Vec::new(),
        };
        assert!(cases(0, &issue_card(), &auth).is_empty());
        let mut contract = issue_card();
        contract.credentials = Some(crate::contract::Credentials {
            headers: vec!["Authorization".into()],
            reject: Expect {
                status: "F".into(),
                code: Some("ACCESS_DENIED".into()),
            },
        });
        let names: Vec<String> = cases(0, &contract, &auth)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            [
                "issueCard/security/credentials/missing",
                "issueCard/security/credentials/wrong"
            ]
        );
        let marked = Auth {
            marked: vec!["x-tenant".into()],
            ..auth
        };
        let names: Vec<String> = cases(0, &contract, &marked)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            [
                "issueCard/security/credentials/missing",
                "issueCard/security/credentials/wrong",
                "issueCard/security/credentials/missing-authorization",
                "issueCard/security/credentials/wrong-authorization",
                "issueCard/security/credentials/missing-x-tenant",
                "issueCard/security/credentials/wrong-x-tenant",
            ]
        );
    }
}
