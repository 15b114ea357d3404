//! What every case of a run shares: the contracts, the target, the key mint, the snapshot
//! settings, each contract's idempotency settings for this run, and the ledger of what the
//! run-wide cases judge at the end.

use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use crate::contract::{
    Contract, DEFAULT_SETTLE_BACKOFF, DEFAULT_SETTLE_MAX_WAIT, DEFAULT_SETTLE_TRIES,
    MIN_CONCURRENCY, MIN_SETTLE_TRIES,
};
use crate::observe::{Exchange, FlowRecord, Observations, Settled};
use crate::plan::KeyMint;
use crate::snapshot::Snapshots;
use crate::target::{HttpTarget, Secrets};

use super::late::LateOptions;
use super::ledger::Ledger;
use super::resources::Creators;
use super::security::Probing;

/// Everything a case needs while it runs.
pub(crate) struct Context {
    /// Shared with the embedded target, when there is one.
    pub contracts: std::sync::Arc<[Contract]>,
    /// The scenario files, compiled against `contracts`.
    pub scenarios: Vec<crate::scenario::ScenarioSet>,
    pub target: HttpTarget,
    pub mint: KeyMint,
    /// Values no finding may show (secret target headers).
    pub secrets: Secrets,
    /// The contract creating each resource, for cases that need one to exist.
    pub creators: Creators,
    pub overrides: Overrides,
    pub snapshots: Option<Snapshots>,
    /// Cases skipped because the target stopped answering.
    pub not_sent: AtomicUsize,
    /// What every answer showed of what the contracts declare.
    pub coverage: crate::results::observed::Tracker,
    /// Where every case's exchanges are kept, when they are.
    pub evidence: Option<std::sync::Arc<dyn super::Evidence>>,
    /// The contract files, read back for the clause each check tests.
    pub clauses: crate::results::clause::ClauseBook,
    /// What the security probes share (a key nobody holds, wrong credential values).
    pub probing: Probing,
    /// What the run-wide cases judge: unique values and keys to replay late.
    pub ledger: Ledger,
    /// How late replays are done.
    pub late: LateOptions,
}

/// Run-wide replacements for the contracts' idempotency settings (from command-line flags).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Overrides {
    pub replays: Option<u32>,
    pub concurrency: Option<u32>,
    pub settle_tries: Option<u32>,
}

/// A contract's idempotency settings for this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Replays of each successful case (0 when the contract has no idempotency key).
    pub replays: u32,
    /// Identical requests the concurrency scenario sends at once.
    pub concurrency: u32,
    /// Most tries while an unknown status settles.
    pub settle_tries: u32,
    /// First wait between two settle tries.
    pub settle_backoff: Duration,
    /// Longest wait between two settle tries, a `Retry-After` included.
    pub settle_max_wait: Duration,
}

impl Context {
    /// Records what a case observed: its coverage, and its exchanges as evidence when kept.
    /// Returns the case's own secrets, when its exchanges add any (see [`Self::case_secrets`]).
    pub(super) fn observed(
        &self,
        index: usize,
        case: &str,
        observed: &Observations,
    ) -> Option<Secrets> {
        let contract = &self.contracts[index];
        self.coverage.case(index, contract, observed);
        let answers = observed.labelled();
        let secrets = self.case_secrets(contract, answers.iter().map(|(_, e)| *e));
        if let Some(evidence) = &self.evidence {
            // Labels are written out only for the evidence that shows them.
            let labelled: Vec<(String, &Exchange)> = (answers.into_iter())
                .map(|(label, exchange)| (label.to_string(), exchange))
                .collect();
            evidence.case(
                contract,
                case,
                &labelled,
                secrets.as_ref().unwrap_or(&self.secrets),
            );
        }
        secrets
    }

    /// Counts what exchanges the caller labelled (a security probe's, a late replay case's)
    /// showed toward coverage, and keeps them as evidence when the run keeps evidence.
    /// Returns the case's own secrets, when its exchanges add any.
    pub(crate) fn answered(
        &self,
        index: usize,
        case: &str,
        labelled: &[(String, &Exchange)],
    ) -> Option<Secrets> {
        self.answered_quoting(index, case, labelled, &[])
    }

    /// [`Self::answered`], for exchanges whose answers may quote `echoed` too: secret values of
    /// requests sent by other cases (a late replay's answer is its first answer, which may
    /// quote the first request's signature).
    pub(crate) fn answered_quoting(
        &self,
        index: usize,
        case: &str,
        labelled: &[(String, &Exchange)],
        echoed: &[String],
    ) -> Option<Secrets> {
        let contract = &self.contracts[index];
        self.coverage.labelled(index, contract, labelled);
        let mut secrets = self.case_secrets(contract, labelled.iter().map(|(_, e)| *e));
        for value in echoed {
            secrets
                .get_or_insert_with(|| self.secrets.clone())
                .add(value);
        }
        if let Some(evidence) = &self.evidence {
            let kept_out = secrets.as_ref().unwrap_or(&self.secrets);
            evidence.case(contract, case, labelled, kept_out);
        }
        secrets
    }

    /// The values a case's output must keep out: the run's secrets, the sensitive headers its
    /// requests carried (a signature, which a target may quote back in an error message), and
    /// the credentials its answers issue where the contract says it issues one (an access
    /// token). `None` when the exchanges add nothing and the run's secrets serve.
    pub(super) fn case_secrets<'e>(
        &self,
        contract: &Contract,
        exchanges: impl IntoIterator<Item = &'e Exchange>,
    ) -> Option<Secrets> {
        let mut secrets: Option<Secrets> = None;
        for exchange in exchanges {
            let issued = (exchange.response().into_iter())
                .flat_map(|response| super::steps::issued_by(contract, response));
            for value in exchange.sent.secret_values().chain(issued) {
                secrets
                    .get_or_insert_with(|| self.secrets.clone())
                    .add(&value);
            }
        }
        secrets
    }

    /// Records what a flow observed, each step under its own contract.
    pub(super) fn flowed(&self, index: usize, case: &str, record: &FlowRecord) {
        self.coverage.flow(&self.contracts, record);
        if let Some(evidence) = &self.evidence {
            let mut labelled = Vec::new();
            for step in &record.steps {
                let label = format!("step {} ({})", step.index + 1, step.label);
                labelled.extend(settle_tries(&label, &step.settled));
            }
            // A scenario's captured credentials and the values its contracts issue are kept
            // out of the evidence, as they are out of every report.
            let secrets = super::steps::secrets(self, record);
            evidence.case(&self.contracts[index], case, &labelled, &secrets);
        }
    }

    /// The contract's settings with this run's overrides: the one place they are combined.
    /// Contracts and command-line flags below the minimums are rejected where they are read;
    /// the minimums are applied here once more only for library callers who set
    /// [`super::RunOptions`] directly.
    ///
    /// A contract without an idempotency key has nothing to replay, but an answer with the
    /// unknown status is settled all the same, by sending the same request again: the status
    /// says the outcome is not final and to ask again (a lookup told to retry later), and
    /// judging the first answer would fail an implementation that is right.
    pub(super) fn settings(&self, contract: &Contract) -> Settings {
        let o = &self.overrides;
        let Some(rules) = &contract.idempotency else {
            return Settings {
                replays: 0,
                concurrency: MIN_CONCURRENCY,
                settle_tries: o
                    .settle_tries
                    .unwrap_or(DEFAULT_SETTLE_TRIES)
                    .max(MIN_SETTLE_TRIES),
                settle_backoff: DEFAULT_SETTLE_BACKOFF,
                settle_max_wait: DEFAULT_SETTLE_MAX_WAIT,
            };
        };
        Settings {
            replays: o.replays.unwrap_or(rules.replays),
            concurrency: o
                .concurrency
                .unwrap_or(rules.concurrency)
                .max(MIN_CONCURRENCY),
            settle_tries: o
                .settle_tries
                .unwrap_or(rules.settle_tries)
                .max(MIN_SETTLE_TRIES),
            settle_backoff: rules.settle_backoff,
            settle_max_wait: rules.settle_max_wait,
        }
    }
}

/// A settled request's exchanges labelled `label`, the tries before the settled one with
/// `, settle try N of M` added.
pub(crate) fn settle_tries<'a>(label: &str, settled: &'a Settled) -> Vec<(String, &'a Exchange)> {
    let tries = settled.tries().len();
    let labelled = settled.tries().iter().enumerate().map(|(n, exchange)| {
        if n + 1 < tries {
            (
                format!("{label}, settle try {} of {tries}", n + 1),
                exchange,
            )
        } else {
            (label.to_string(), exchange)
        }
    });
    labelled.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::{contract_with_request, issue_card};
    use crate::target::{HttpTarget, Limits, Secrets};

    fn context(overrides: Overrides) -> Context {
        Context {
            contracts: Vec::new().into(),
            scenarios: Vec::new(),
            target: HttpTarget::new("http://127.0.0.1:9", Limits::default(), &Default::default())
                .unwrap(),
            mint: KeyMint::with_nonce("1".into()),
            secrets: Secrets::default(),
            creators: Creators::default(),
            overrides,
            snapshots: None,
            not_sent: AtomicUsize::new(0),
            coverage: crate::results::observed::Tracker::new(&[]),
            evidence: None,
            clauses: Default::default(),
            probing: Probing::default(),
            ledger: Ledger::new(&[], 0, 0),
            late: LateOptions {
                keys: 0,
                after: Duration::ZERO,
                gap: 0,
                batch: 1,
            },
        }
    }

    #[test]
    fn overrides_replace_the_contract_settings() {
        let contract = issue_card();
        let defaults = context(Overrides::default()).settings(&contract);
        assert_eq!(
            (
                defaults.replays,
                defaults.concurrency,
                defaults.settle_tries
            ),
            (2, 8, 5)
        );
        let overridden = context(Overrides {
            replays: Some(0),
            concurrency: Some(3),
            settle_tries: Some(1),
        })
        .settings(&contract);
        assert_eq!(
            (
                overridden.replays,
                overridden.concurrency,
                overridden.settle_tries
            ),
            (0, 3, 1)
        );
    }

    #[test]
    fn library_overrides_below_the_minimums_are_raised_to_them() {
        let below = context(Overrides {
            replays: None,
            concurrency: Some(0),
            settle_tries: Some(0),
        })
        .settings(&issue_card());
        assert_eq!(
            (below.concurrency, below.settle_tries),
            (MIN_CONCURRENCY, MIN_SETTLE_TRIES)
        );
    }

    #[test]
    fn a_contract_without_a_key_is_never_replayed_but_settles_an_unknown_status() {
        let contract = contract_with_request(serde_json::json!({})).unwrap();
        let defaults = context(Overrides::default()).settings(&contract);
        assert_eq!(
            (defaults.replays, defaults.settle_tries),
            (0, DEFAULT_SETTLE_TRIES)
        );
        let settings = context(Overrides {
            replays: Some(5),
            concurrency: None,
            settle_tries: Some(3),
        })
        .settings(&contract);
        assert_eq!((settings.replays, settings.settle_tries), (0, 3));
    }
}
