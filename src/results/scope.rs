//! What a run was asked to cover: its selection of cases, the idempotency settings it changed,
//! snapshots, baseline, faults, time-out, signing and TLS set-up. Built once by the runner from its
//! options, rendered by every reporter, and read by [`super::Verdict::judge`] to tell a thorough
//! run from a trivial one. Never holds key material: keys and certificates appear as SHA-256
//! fingerprints.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The scope of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scope {
    /// `--filter` globs as given, and `--exclude` globs with a leading `!`; empty when
    /// neither was given.
    pub filters: Vec<String>,
    /// `--partition K/N` as given.
    pub partition: Option<String>,
    /// How many shard reports `conform merge` combined into this run, every `--partition K/N`
    /// of one N present once; `None` for a run made in one process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<usize>,
    /// Idempotency settings this run changed from what the contracts ask for.
    pub overrides: Vec<Override>,
    /// Snapshot mode and folder.
    pub snapshots: SnapshotScope,
    /// The `--baseline` file and whether it was applied or recorded.
    pub baseline: Option<BaselineScope>,
    /// Faults injected by the embedded target, as given (`http-503=0.2`).
    pub faults: Vec<String>,
    /// Per-request time-out.
    #[serde(rename = "timeout_ms", serialize_with = "as_millis")]
    #[serde(deserialize_with = "super::from_millis")]
    pub timeout: Duration,
    /// Cases in flight at once.
    pub jobs: usize,
    /// Whether the run stops at the first failed case.
    pub fail_fast: bool,
    /// Whether requests were signed and answers verified, and with which keys.
    pub signing: SigningScope,
    /// How the target's certificate was checked and which client certificate was presented;
    /// `None` for a plain-HTTP target.
    pub tls: Option<TlsScope>,
    /// Which security probes were planned, and which the contracts leave out and why; absent
    /// from reports written before security probes existed.
    #[serde(default)]
    pub security: SecurityScope,
    /// How a traffic run (`conform proxy`, `serve --report`) watched; `None` for a planned run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic: Option<super::TrafficScope>,
    /// The late replays asked for; `None` when no contract has an idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_replays: Option<super::LateReplayScope>,
    /// How a suite larger than `--batch` was cut; `None` for a suite run whole. Shards cut
    /// differently take different cases, so `conform merge` refuses them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batches: Option<BatchScope>,
}

/// How a batched run cut its suite (`verify --batch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchScope {
    /// `--batch N`: contracts compiled at once, about.
    pub size: usize,
    /// How many batches the suite ran in.
    pub count: usize,
}

impl Scope {
    /// The case selection as flags, `--filter a b --exclude c` (`filters` holds exclusions
    /// with a leading `!`); empty when there was none.
    pub(crate) fn selection(&self) -> String {
        let (excluded, kept): (Vec<&String>, Vec<&String>) =
            self.filters.iter().partition(|f| f.starts_with('!'));
        let mut parts = Vec::new();
        if !kept.is_empty() {
            let kept: Vec<&str> = kept.iter().map(|f| f.as_str()).collect();
            parts.push(format!("--filter {}", kept.join(" ")));
        }
        if !excluded.is_empty() {
            let excluded: Vec<&str> = excluded.iter().map(|f| &f[1..]).collect();
            parts.push(format!("--exclude {}", excluded.join(" ")));
        }
        parts.join(" ")
    }
}

/// A run-wide idempotency setting that differs from at least one contract's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Override {
    /// Which setting.
    pub setting: Setting,
    /// The value this run used.
    pub value: u32,
    /// The values the contracts ask for, distinct and sorted.
    pub contracts: Vec<u32>,
    /// Whether the run checked less than a contract asks: fewer replays or concurrent
    /// requests, or more tries for an unknown status to settle.
    pub weaker: bool,
}

/// The idempotency settings a run can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Setting {
    /// `--replays`.
    Replays,
    /// `--concurrency`.
    Concurrency,
    /// `--settle-tries`.
    SettleTries,
}

impl Setting {
    /// The flag that sets it.
    pub(crate) fn flag(self) -> &'static str {
        match self {
            Setting::Replays => "--replays",
            Setting::Concurrency => "--concurrency",
            Setting::SettleTries => "--settle-tries",
        }
    }

    /// Whether `value` checks less than a contract asking for `asked`.
    pub(crate) fn weaker(self, value: u32, asked: u32) -> bool {
        match self {
            Setting::Replays | Setting::Concurrency => value < asked,
            // More tries let a slower-settling implementation pass.
            Setting::SettleTries => value > asked,
        }
    }
}

impl Override {
    /// The override of `setting` to `value`, given what each contract asks; `None` when every
    /// contract asks for `value` already.
    pub(crate) fn of(
        setting: Setting,
        value: u32,
        asked: impl IntoIterator<Item = u32>,
    ) -> Option<Self> {
        let mut contracts: Vec<u32> = asked.into_iter().collect();
        contracts.sort_unstable();
        contracts.dedup();
        if contracts.iter().all(|&a| a == value) {
            return None;
        }
        let weaker = contracts.iter().any(|&a| setting.weaker(value, a));
        Some(Override {
            setting,
            value,
            contracts,
            weaker,
        })
    }
}

/// The snapshot set-up of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SnapshotScope {
    /// `check`, `new`, `update` or `off`.
    pub mode: String,
    /// The snapshot folder (none when the mode is `off`).
    pub folder: Option<String>,
}

/// The baseline of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BaselineScope {
    /// The file.
    pub file: String,
    /// `apply` (its failures are known) or `record` (this run's failures are written to it).
    pub mode: String,
}

/// The signing set-up of a run: what was signed and checked, and by which keys' fingerprints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SigningScope {
    /// The `Client-Id` sent, if any.
    pub client_id: Option<String>,
    /// Whether every request carried a `Signature`.
    pub requests_signed: bool,
    /// The `keyVersion` announced, when requests were signed.
    pub key_version: Option<u32>,
    /// SHA-256 (lowercase hex) of the public half of the key that signed requests, as DER
    /// SubjectPublicKeyInfo.
    pub request_key_sha256: Option<String>,
    /// Whether every answer's signature was checked.
    pub answers_verified: bool,
    /// SHA-256 (lowercase hex) of the public key that checked answers, as DER
    /// SubjectPublicKeyInfo.
    pub answer_key_sha256: Option<String>,
}

/// The security probes of a run: signature probes when it signs, credential probes for the
/// credential headers it carries, and those the contracts leave out (with their reasons).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecurityScope {
    /// Whether signature probes were planned (requests were signed).
    pub signature_probes: bool,
    /// The credential headers probed, by name (values never appear).
    pub credential_headers: Vec<String>,
    /// Probes left out by a contract's `skip`, one entry per contract and pattern.
    pub skipped: Vec<SecuritySkip>,
}

/// Security probes a contract leaves out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecuritySkip {
    /// The contract.
    pub contract: String,
    /// The `skip` pattern, as written.
    pub pattern: String,
    /// How many probes it leaves out.
    pub probes: usize,
    /// The reason the contract states, if any.
    pub reason: Option<String>,
}

/// The TLS set-up of a run against an `https://` target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TlsScope {
    /// Whether the target's certificate was verified; false only with `--insecure`, and then
    /// nothing showed that the answers came from the target named.
    pub verified: bool,
    /// Certificate authorities trusted on top of the platform's roots (`--ca-cert`, `caCert`).
    pub extra_roots: Vec<CertificateScope>,
    /// The client certificate presented for mutual TLS.
    pub client_certificate: Option<CertificateScope>,
}

/// A certificate named in reports: where it was read from and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CertificateScope {
    /// `file ca.pem` or `environment variable NAME`.
    pub source: String,
    /// SHA-256 (lowercase hex) of the DER certificate, as `openssl x509 -outform DER | sha256sum`
    /// prints it.
    pub sha256: String,
}

/// Which implementation a target is, as the user named it (`--implementation`,
/// `--implementation-version` or the target profile).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Implementation {
    /// Its name, e.g. `acme-cards`.
    pub name: Option<String>,
    /// Its version or build, e.g. `2.3.1`.
    pub version: Option<String>,
}

impl Implementation {
    /// Name and version as one line (`acme-cards 2.3.1`), `None` when neither was given.
    pub(crate) fn shown(&self) -> Option<String> {
        match (&self.name, &self.version) {
            (None, None) => None,
            (Some(name), None) => Some(name.clone()),
            (None, Some(version)) => Some(format!("version {version}")),
            (Some(name), Some(version)) => Some(format!("{name} {version}")),
        }
    }
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_every_contract_agrees_with_is_no_override() {
        assert_eq!(Override::of(Setting::Replays, 2, [2, 2]), None);
        assert_eq!(Override::of(Setting::Replays, 2, []), None);
    }

    #[test]
    fn fewer_replays_or_more_settle_tries_check_less() {
        let fewer = Override::of(Setting::Replays, 0, [2, 3]).unwrap();
        assert!(fewer.weaker);
        assert_eq!(fewer.contracts, [2, 3]);
        assert!(!Override::of(Setting::Replays, 5, [2]).unwrap().weaker);
        assert!(Override::of(Setting::Concurrency, 2, [8]).unwrap().weaker);
        assert!(Override::of(Setting::SettleTries, 9, [5]).unwrap().weaker);
        assert!(!Override::of(Setting::SettleTries, 1, [5]).unwrap().weaker);
    }

    #[test]
    fn the_selection_names_filters_and_exclusions_by_their_flags() {
        let scope = |filters: &[&str]| Scope {
            filters: filters.iter().map(|f| f.to_string()).collect(),
            ..Scope::default()
        };
        assert_eq!(scope(&[]).selection(), "");
        assert_eq!(scope(&["a/*", "b"]).selection(), "--filter a/* b");
        assert_eq!(
            scope(&["a/*", "!c/*", "!d"]).selection(),
            "--filter a/* --exclude c/* d"
        );
        assert_eq!(scope(&["!c/*"]).selection(), "--exclude c/*");
    }

    #[test]
    fn implementation_is_shown_with_what_was_given() {
        let both = Implementation {
            name: Some("acme".into()),
            version: Some("2.3".into()),
        };
        assert_eq!(both.shown().as_deref(), Some("acme 2.3"));
        assert_eq!(Implementation::default().shown(), None);
    }
}
