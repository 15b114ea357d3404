//! The probes: what each does to a valid request, its name and how messages describe it.

/// What a probe does to a valid request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Probe {
    /// A signature probe.
    Signature(SignatureProbe),
    /// A credential probe.
    Credentials(CredentialProbe),
}

/// How a signature probe spoils a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignatureProbe {
    /// No `Signature` header.
    Unsigned,
    /// Signed over the valid body, sent with the case's variation (one byte changed).
    TamperedBody {
        /// The field changed, as messages name it.
        field: String,
    },
    /// Signed over the valid body, sent with the same JSON in other bytes (pretty-printed): a
    /// verifier that parses and re-serializes the body before checking accepts it, and then
    /// verifies a document, not the bytes it processes.
    ReformattedBody,
    /// Signed with a key generated for the run.
    OtherKey,
    /// Signed over the run's Client-Id, sent with another.
    OtherClientId,
    /// A `Signature` header that is not `name=value` parts.
    MalformedHeader,
    /// Another algorithm announced, with random bytes of a signature's length: accepted only
    /// where the header decides how, or whether, to verify.
    OtherAlgorithm,
    /// Signed over another path than the one sent.
    OtherPath,
}

/// How a credential probe spoils a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CredentialProbe {
    /// These headers left out.
    Missing(Vec<String>),
    /// These headers sent with wrong values of the same form.
    Wrong(Vec<String>),
}

/// The `Signature` header the malformed-header probe sends: its last part has no value, so it
/// holds nothing that could verify.
pub(crate) const MALFORMED_SIGNATURE: &str = "algorithm=RSA256,keyVersion=1,signature";

/// The algorithm the other-algorithm probe announces: the protocol defines only RSA256, and an
/// implementation that lets the header pick the algorithm can be told to check nothing.
pub(crate) const OTHER_ALGORITHM: &str = "none";

impl Probe {
    /// The last part of the case name: `signature/unsigned`, `credentials/wrong`.
    pub(crate) fn name(&self, several: bool) -> String {
        match self {
            Probe::Signature(probe) => format!("signature/{}", probe.name()),
            Probe::Credentials(probe) => {
                let (rule, headers) = match probe {
                    CredentialProbe::Missing(h) => ("missing", h),
                    CredentialProbe::Wrong(h) => ("wrong", h),
                };
                match headers.as_slice() {
                    [one] if several => {
                        format!(
                            "credentials/{rule}-{}",
                            crate::plan::slug(&one.to_lowercase())
                        )
                    }
                    _ => format!("credentials/{rule}"),
                }
            }
        }
    }

    /// What the spoiled request was, for messages: `a request without a Signature header`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Probe::Signature(probe) => probe.describe(),
            Probe::Credentials(CredentialProbe::Missing(headers)) => {
                format!("a request without {}", listed(headers))
            }
            Probe::Credentials(CredentialProbe::Wrong(headers)) => {
                format!("a wrong {} (same form, other characters)", listed(headers))
            }
        }
    }
}

impl SignatureProbe {
    /// The case-name part.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            SignatureProbe::Unsigned => "unsigned",
            SignatureProbe::TamperedBody { .. } => "tampered-body",
            SignatureProbe::ReformattedBody => "reformatted-body",
            SignatureProbe::OtherKey => "other-key",
            SignatureProbe::OtherClientId => "other-client-id",
            SignatureProbe::MalformedHeader => "malformed-header",
            SignatureProbe::OtherAlgorithm => "other-algorithm",
            SignatureProbe::OtherPath => "other-path",
        }
    }

    fn describe(&self) -> String {
        match self {
            SignatureProbe::Unsigned => "a request without a Signature header".into(),
            SignatureProbe::TamperedBody { field, .. } => {
                format!("a body changed after it was signed (one byte of `{field}`)")
            }
            SignatureProbe::ReformattedBody => {
                "the signed body sent reformatted (the same JSON, pretty-printed; a signature covers the bytes sent)".into()
            }
            SignatureProbe::OtherKey => {
                "a signature made with another key (generated for this run)".into()
            }
            SignatureProbe::OtherClientId => "a Client-Id other than the one signed".into(),
            SignatureProbe::MalformedHeader => {
                format!("a malformed Signature header (`{MALFORMED_SIGNATURE}`)")
            }
            SignatureProbe::OtherAlgorithm => format!(
                "a Signature announcing algorithm `{OTHER_ALGORITHM}` instead of RSA256 (its signature random bytes)"
            ),
            SignatureProbe::OtherPath => "a signature made over another path".into(),
        }
    }
}

/// `Authorization`, or `X-Api-Key and Authorization`.
fn listed(headers: &[String]) -> String {
    let quoted: Vec<String> = headers.iter().map(|h| format!("`{h}`")).collect();
    quoted.join(" and ")
}
