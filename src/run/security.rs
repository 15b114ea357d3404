//! Running a security probe: the contract's valid request spoiled as the probe says and sent,
//! then, when the contract has an idempotency key, the same request (same key) sent right, and
//! once more when that succeeded. What a probe needs from the whole run (a key nobody holds,
//! wrong credential values) is made once, in [`Probing`].

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::OnceCell;

use super::context::{Context, settle_tries};
use super::{resources, send};
use crate::check;
use crate::contract::{Contract, StatusRole};
use crate::observe::SecurityRecord;
use crate::plan::security::{
    CredentialProbe, MALFORMED_SIGNATURE, OTHER_ALGORITHM, Probe, SecurityCase, SignatureProbe,
};
use crate::plan::{Document, KeySpec};
use crate::results::{Check, CheckResult, Outcome};
use crate::signing::PrivateKey;
use crate::target::{Secrets, Spoil, TargetHeader};

/// What the probes of a run share: the key the other-key probe signs with, made on first use,
/// and a wrong value for each target header.
#[derive(Debug, Default)]
pub(crate) struct Probing {
    /// The size of the run's signing key, when it signs.
    bits: Option<usize>,
    other_key: OnceCell<Result<Arc<PrivateKey>, String>>,
    /// Each target header's name, a wrong value for it, and whether the real one is secret.
    wrong: Vec<(String, String, bool)>,
}

impl Probing {
    /// For a run signing with a key of `bits` bits (if any) and carrying `headers`.
    pub(super) fn new(bits: Option<usize>, headers: &[TargetHeader]) -> Self {
        let wrong = headers
            .iter()
            .map(|h| (h.name.clone(), wrong_value(&h.value), h.secret))
            .collect();
        Probing {
            bits,
            other_key: OnceCell::new(),
            wrong,
        }
    }

    /// The wrong values of secret headers, which no output may show (they have the real
    /// values' form). Those of headers shown anyway are not scrubbed: a short random value would
    /// only mangle ordinary text.
    pub(super) fn wrong_values(&self) -> impl Iterator<Item = &str> {
        self.wrong
            .iter()
            .filter(|(_, _, secret)| *secret)
            .map(|(_, v, _)| v.as_str())
    }

    /// A key of the run key's size that nobody holds, generated once per run.
    async fn other_key(&self) -> Result<Arc<PrivateKey>, String> {
        let bits = self.bits.unwrap_or(2048);
        let made = self.other_key.get_or_init(|| async move {
            let generated = tokio::task::spawn_blocking(move || PrivateKey::generate(bits)).await;
            match generated {
                Ok(Ok(key)) => Ok(Arc::new(key)),
                Ok(Err(err)) => Err(err.to_string()),
                Err(err) => Err(err.to_string()),
            }
        });
        made.await.clone()
    }

    fn wrong_for(&self, names: &[String]) -> Vec<(String, String)> {
        let wanted = |n: &String| names.iter().any(|w| w.eq_ignore_ascii_case(n));
        self.wrong
            .iter()
            .filter(|(n, _, _)| wanted(n))
            .map(|(n, v, _)| (n.clone(), v.clone()))
            .collect()
    }
}

/// A value of the same form as `real` that is not it: a scheme (`Bearer `) kept, every other
/// letter and digit replaced by a random one of its kind, so a syntax check passes and only a
/// real check refuses it. Random rather than derived, so it says nothing about the real value.
fn wrong_value(real: &str) -> String {
    let (scheme, secret) = match real.split_once(' ') {
        Some((scheme, rest)) => (format!("{scheme} "), rest),
        None => (String::new(), real),
    };
    let random = |c: char| match c {
        '0'..='9' => fastrand::digit(10),
        'a'..='z' => fastrand::lowercase(),
        'A'..='Z' => fastrand::uppercase(),
        other => other,
    };
    loop {
        let made: String = secret.chars().map(random).collect();
        if made != secret {
            return format!("{scheme}{made}");
        }
        if !secret.chars().any(|c| c.is_ascii_alphanumeric()) {
            return format!("{scheme}{secret}0");
        }
    }
}

/// Runs one probe and judges it: the checks of the case.
pub(crate) async fn run(
    context: &Context,
    index: usize,
    case: &SecurityCase,
    name: &str,
) -> (Vec<CheckResult>, Option<Secrets>) {
    let contract = &context.contracts[index];
    let mut document = Document::Whole(case.request.clone());
    let setup = resources::prepare(context, contract, &mut document, None, name).await;
    if let Some(failed) = setup.as_ref().filter(|s| s.outcome == Outcome::Fail) {
        return (vec![failed.clone()], None);
    }
    let filled = document.document(&KeySpec::Fresh, contract, &context.mint);
    let request = request(context, contract, &filled);
    let mut spoiled_document = filled.clone();
    if let Some(varied) = &case.varied {
        varied
            .at
            .set(&mut spoiled_document, Value::String(varied.sent.clone()));
    }
    let spoiled = self::request(context, contract, &spoiled_document);
    let spoil = match spoil(context, &case.probe, &spoiled).await {
        Ok(spoil) => spoil,
        Err(why) => {
            let why = format!("not sent: {why}");
            let checks = setup
                .into_iter()
                .chain([CheckResult::skip(Check::Security, why)]);
            return (checks.collect(), None);
        }
    };
    // The tampered body is the variation sent under a signature over the valid request.
    let probe = match spoil {
        Spoil::BodyAfterSigning(_) => context.target.send_spoiled(&request, &spoil).await,
        _ => context.target.send_spoiled(&spoiled, &spoil).await,
    };
    let refused = probe
        .response()
        .is_some_and(|r| r.role(contract) != Some(StatusRole::Success));
    let (mut follow_up, mut again) = (None, None);
    // What the refused request left behind shows under its key, or in the single-use values
    // it carried (an auth code it spent): the valid request is sent with the same ones. Sent a
    // third time, only a key's request may be answered as before.
    let keyed = contract.idempotency.is_some();
    if refused && (keyed || !contract.single_use.is_empty()) {
        let settings = context.settings(contract);
        let settled = send::settled(context, contract, &settings, &request).await;
        if keyed && settled.answer().role(contract) == Some(StatusRole::Success) {
            again = Some(context.target.send(&request).await);
        }
        follow_up = Some(settled);
    }
    let record = SecurityRecord {
        probe,
        follow_up,
        again,
    };
    let secrets = answered(context, index, name, &record);
    let checks = check::security::judge(contract, case, &record);
    (setup.into_iter().chain(checks).collect(), secrets)
}

/// A probe's exchanges, for coverage and evidence: the spoiled request first (the case's main
/// request), then the request sent right with the same key and its repeat. Returns the case's
/// own secrets (the spoiled signature sent, which a target may quote back).
fn answered(
    context: &Context,
    index: usize,
    case: &str,
    record: &SecurityRecord,
) -> Option<Secrets> {
    let mut labelled = vec![(String::new(), &record.probe)];
    if let Some(follow_up) = &record.follow_up {
        labelled.extend(settle_tries("the same key sent right", follow_up));
    }
    if let Some(again) = &record.again {
        labelled.push(("the same key sent right, again".to_string(), again));
    }
    context.answered(index, case, &labelled)
}

/// The request for a filled-in document, recording its key.
fn request(context: &Context, contract: &Contract, filled: &Value) -> crate::observe::Request {
    let key = contract
        .idempotency
        .as_ref()
        .and_then(|i| i.key_in.document_pointer().get(filled).cloned())
        .and_then(|v| v.as_str().map(str::to_string));
    let planned =
        Document::Whole(filled.clone()).materialize(&KeySpec::Keep, contract, &context.mint);
    send::request(contract, planned).with_key(key)
}

/// How the target spoils the request for `probe`; `spoiled` is the request with the variation.
async fn spoil(
    context: &Context,
    probe: &Probe,
    spoiled: &crate::observe::Request,
) -> Result<Spoil, String> {
    Ok(match probe {
        Probe::Signature(SignatureProbe::Unsigned) => Spoil::Unsigned,
        Probe::Signature(SignatureProbe::TamperedBody { .. }) => {
            Spoil::BodyAfterSigning(spoiled.body.clone().unwrap_or_default())
        }
        Probe::Signature(SignatureProbe::ReformattedBody) => {
            Spoil::BodyAfterSigning(reformatted(spoiled.body.as_deref().unwrap_or_default()))
        }
        Probe::Signature(SignatureProbe::OtherKey) => {
            let key = context.probing.other_key().await;
            Spoil::OtherKey(key.map_err(|e| format!("no other key could be made: {e}"))?)
        }
        Probe::Signature(SignatureProbe::OtherClientId) => Spoil::OtherClientId,
        Probe::Signature(SignatureProbe::MalformedHeader) => {
            Spoil::SignatureHeader(MALFORMED_SIGNATURE)
        }
        Probe::Signature(SignatureProbe::OtherAlgorithm) => Spoil::Algorithm(OTHER_ALGORITHM),
        Probe::Signature(SignatureProbe::OtherPath) => Spoil::OtherPath,
        Probe::Credentials(CredentialProbe::Missing(names)) => Spoil::WithoutHeaders(names.clone()),
        Probe::Credentials(CredentialProbe::Wrong(names)) => {
            Spoil::HeaderValues(context.probing.wrong_for(names))
        }
    })
}

/// `body` as other bytes of the same JSON: pretty-printed, or with a newline added when that
/// changes nothing (`{}`) or it is not JSON.
fn reformatted(body: &[u8]) -> bytes::Bytes {
    let pretty = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|document| serde_json::to_vec_pretty(&document).ok())
        .filter(|pretty| pretty != body);
    match pretty {
        Some(pretty) => pretty.into(),
        None => [body, b"\n"].concat().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reformatted_body_is_the_same_json_in_other_bytes() {
        let body = br#"{"a":1,"b":["x"]}"#;
        let sent = reformatted(body);
        assert_ne!(&sent[..], &body[..]);
        let same: Value = serde_json::from_slice(&sent).unwrap();
        assert_eq!(same, serde_json::json!({"a": 1, "b": ["x"]}));
        assert_eq!(&reformatted(b"{}")[..], b"{}\n");
    }

    #[test]
    fn a_wrong_value_keeps_the_scheme_and_the_form_but_not_the_characters() {
        let real = "Bearer tok-ABC-123456";
        for _ in 0..50 {
            let wrong = wrong_value(real);
            assert_ne!(wrong, real);
            assert!(wrong.starts_with("Bearer "), "{wrong}");
            assert_eq!(wrong.len(), real.len());
            let shape = |t: &str| {
                t.chars()
                    .map(|c| match c {
                        '0'..='9' => '9',
                        'a'..='z' => 'a',
                        'A'..='Z' => 'A',
                        c => c,
                    })
                    .collect::<String>()
            };
            assert_eq!(shape(&wrong), shape(real));
        }
        assert_eq!(wrong_value("--"), "--0");
    }
}
