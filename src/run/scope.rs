//! The run's [`Scope`], built once from its options and contracts, for every report to show.

use crate::contract::Contract;
use crate::plan::{self, Auth};
use crate::reference::Faults;
use crate::results::{
    Implementation, LateReplayScope, Override, Scope, SecurityScope, SecuritySkip, Setting,
    SigningScope, SnapshotScope,
};
use crate::snapshot::Mode;
use crate::target::{Signing, tls};

use super::RunOptions;
use super::late::LateOptions;

/// What the scope needs of a suite's contracts, gathered batch by batch (a batched suite is
/// never compiled whole).
#[derive(Debug, Default)]
pub(super) struct Gathered {
    /// The replays, concurrency and settle tries the contracts ask for, distinct.
    asked: [std::collections::BTreeSet<u32>; 3],
    security: SecurityScope,
    idempotent: bool,
}

impl Gathered {
    /// What `contracts` (one batch, or the whole suite) tell, as run authenticating as `auth`.
    pub(super) fn add(&mut self, contracts: &[Contract], auth: &Auth) {
        for contract in contracts {
            // Every contract settles an unknown status; only a keyed one replays.
            let settle = contract.idempotency.as_ref().map(|r| r.settle_tries);
            self.asked[2].insert(settle.unwrap_or(crate::contract::DEFAULT_SETTLE_TRIES));
            if let Some(rules) = &contract.idempotency {
                self.idempotent = true;
                self.asked[0].insert(rules.replays);
                self.asked[1].insert(rules.concurrency);
            }
        }
        security(&mut self.security, contracts, auth);
    }
}

/// What `options` make the run cover, over the contracts `gathered`, with `signing` as the run
/// uses it (for the embedded target, completed with the public half of the private key),
/// against the target at `base`, authenticating as `auth`.
pub(super) fn scope(
    options: &RunOptions,
    gathered: Gathered,
    signing: Option<&Signing>,
    base: &str,
    auth: &Auth,
    late: &LateOptions,
) -> Scope {
    Scope {
        filters: options.filter_globs.clone(),
        partition: options.partition.map(|p| format!("{}/{}", p.k, p.n)),
        shards: None,
        overrides: overrides(options, &gathered),
        snapshots: snapshots(options),
        baseline: options.baseline.as_ref().and_then(|b| b.scope()),
        faults: faults(&options.faults),
        timeout: options.timeout,
        jobs: options.jobs,
        fail_fast: options.fail_fast,
        signing: signing.map(signing_scope).unwrap_or_default(),
        // TLS options are unused against a plain-HTTP target, so they are not shown for one.
        tls: tls::is_https(base).then(|| options.tls.scope()),
        security: SecurityScope {
            signature_probes: auth.signed,
            ..gathered.security
        },
        traffic: None,
        late_replays: gathered.idempotent.then_some(LateReplayScope {
            keys: late.keys,
            after: late.after,
            gap: late.gap,
        }),
        // Set by the run, which knows how its suite was cut.
        batches: None,
    }
}

/// Adds the credential headers `auth` probes in `contracts`, and the probes each contract's
/// `skip` leaves out, to `scope`.
fn security(scope: &mut SecurityScope, contracts: &[Contract], auth: &Auth) {
    let SecurityScope {
        credential_headers,
        skipped,
        ..
    } = scope;
    for (index, contract) in contracts.iter().enumerate() {
        for header in auth.credentials_of(contract) {
            if !credential_headers.contains(&header) {
                credential_headers.push(header);
            }
        }
        for case in plan::security::cases(index, contract, auth) {
            let Some(pattern) = contract.skip.pattern_for(&case.name) else {
                continue;
            };
            let same =
                |s: &&mut SecuritySkip| s.contract == contract.name && s.pattern == pattern.text;
            match skipped.iter_mut().find(same) {
                Some(entry) => entry.probes += 1,
                None => skipped.push(SecuritySkip {
                    contract: contract.name.clone(),
                    pattern: pattern.text.clone(),
                    probes: 1,
                    reason: pattern.reason.clone(),
                }),
            }
        }
    }
}

/// The implementation as named, or the embedded reference implementation by its own name.
pub(super) fn implementation(options: &RunOptions, embedded: bool) -> Implementation {
    let named = &options.implementation;
    if embedded && named.name.is_none() && named.version.is_none() {
        return Implementation {
            name: Some("conform reference implementation".into()),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        };
    }
    named.clone()
}

fn overrides(options: &RunOptions, gathered: &Gathered) -> Vec<Override> {
    [
        (Setting::Replays, options.replays, &gathered.asked[0]),
        (
            Setting::Concurrency,
            options.concurrency,
            &gathered.asked[1],
        ),
        (
            Setting::SettleTries,
            options.settle_tries,
            &gathered.asked[2],
        ),
    ]
    .into_iter()
    .filter_map(|(setting, value, asked)| Override::of(setting, value?, asked.iter().copied()))
    .collect()
}

fn snapshots(options: &RunOptions) -> SnapshotScope {
    match &options.snapshots {
        Some(s) if s.mode != Mode::Off => SnapshotScope {
            mode: s.mode.name().into(),
            folder: Some(s.root.display().to_string()),
        },
        _ => SnapshotScope {
            mode: Mode::Off.name().into(),
            folder: None,
        },
    }
}

/// Faults as `--fault` takes them.
fn faults(faults: &Faults) -> Vec<String> {
    let mut shown = Vec::new();
    if faults.unknown_first > 0.0 {
        shown.push(format!("unknown-first={}", faults.unknown_first));
    }
    if let Some(latency) = faults.latency {
        shown.push(format!(
            "latency={}",
            crate::units::format_duration(latency)
        ));
    }
    if faults.http_503 > 0.0 {
        shown.push(format!("http-503={}", faults.http_503));
    }
    shown
}

fn signing_scope(signing: &Signing) -> SigningScope {
    let private = signing.private_key();
    SigningScope {
        client_id: Some(signing.client_id().to_string()),
        requests_signed: private.is_some(),
        key_version: private.map(|_| signing.key_version()),
        request_key_sha256: private.map(|k| k.public_key().fingerprint()),
        answers_verified: signing.public_key().is_some(),
        answer_key_sha256: signing.public_key().map(|k| k.fingerprint()),
    }
}
