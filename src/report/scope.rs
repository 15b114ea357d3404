//! The run's scope and identity in words, one `(label, text)` row each, so every reporter shows
//! the same facts in the same terms and only escapes and lays them out. Rows for settings a run
//! did not touch (idempotency overrides, baseline, faults) are left out; the rest always show.

use crate::results::{CertificateScope, RunInfo, Scope, Summary, TlsScope};
use crate::units::format_duration;

/// One line of the scope: a label and plain (unescaped) text.
pub(crate) type Row = (&'static str, String);

/// The implementation as named (`acme-cards 2.3.1`), or a note that it was not.
pub(crate) fn implementation(info: &RunInfo) -> String {
    info.implementation
        .shown()
        .unwrap_or_else(|| "not named (--implementation, --implementation-version)".into())
}

/// The scope rows of a finished run.
pub(crate) fn rows(info: &RunInfo, summary: &Summary) -> Vec<Row> {
    let scope = &info.scope;
    if let Some(watched) = &scope.traffic {
        return super::traffic::scope_rows(info, watched, summary);
    }
    let mut rows = vec![("Cases", cases(scope, summary))];
    if let Some(batches) = &scope.batches {
        rows.push((
            "Batches",
            format!(
                "{} batches of about {} contracts (--batch {}), run one after the other; late replays and `unique` judged each batch's own traffic",
                batches.count, batches.size, batches.size
            ),
        ));
    }
    if !scope.overrides.is_empty() {
        rows.push(("Idempotency", overrides(scope)));
    }
    if let Some(late) = late_replays(scope, summary) {
        rows.push(("Late replays", late));
    }
    rows.push(("Snapshots", snapshots(scope, summary)));
    if let Some(baseline) = &scope.baseline {
        let what = if baseline.mode == "record" {
            "this run's failures recorded to it".to_string()
        } else {
            let n = summary.known;
            format!("{n} known failure{} absorbed", plural(n))
        };
        rows.push(("Baseline", format!("{} ({what})", baseline.file)));
    }
    if !scope.faults.is_empty() {
        let faults = scope.faults.join(", ");
        rows.push((
            "Faults",
            format!("{faults} (injected by the embedded target)"),
        ));
    }
    rows.push((
        "Requests",
        format!(
            "time-out {} per request, {} at once{}",
            format_duration(scope.timeout),
            scope.jobs,
            if scope.fail_fast { ", --fail-fast" } else { "" }
        ),
    ));
    rows.push(("Signing", signing(scope)));
    if let Some(security) = security(scope) {
        rows.push(("Security", security));
    }
    if let Some(tls) = &scope.tls {
        rows.push(("TLS", self::tls(tls)));
    }
    rows
}

/// The signing set-up in words; for real traffic (`traffic`), whose requests conform only
/// checks, the request key is the client's public key.
pub(super) fn signing_words(scope: &Scope, traffic: bool) -> String {
    if !traffic {
        return signing(scope);
    }
    let s = &scope.signing;
    let requests = match &s.request_key_sha256 {
        Some(key) => format!("request signatures checked with the client's key (SHA-256 {key})"),
        None => "request signatures not checked".into(),
    };
    let answers = match &s.answer_key_sha256 {
        Some(key) => format!("answers verified (key SHA-256 {key})"),
        None => "answers not verified".into(),
    };
    format!("{requests}; {answers}")
}

/// How an `https://` target's certificate was checked, in words.
pub(super) fn tls_words(tls: &TlsScope) -> String {
    self::tls(tls)
}

fn cases(scope: &Scope, summary: &Summary) -> String {
    let mut text = if summary.planned == 0 {
        format!("{} run", summary.cases)
    } else {
        format!("{} run of {} planned", summary.cases, summary.planned)
    };
    let filters = scope.selection();
    if !filters.is_empty() && summary.planned == 0 {
        text.push_str(&format!("; {filters}"));
    } else if !filters.is_empty() {
        text.push_str(&format!("; {} kept by {filters}", summary.matched));
    }
    if let Some(partition) = &scope.partition {
        text.push_str(&format!("; shard --partition {partition}"));
    }
    match scope.shards {
        Some(1) => text.push_str("; merged from its one shard (--partition 1/1)"),
        Some(n) => text.push_str(&format!(
            "; merged from {n} shards (--partition 1/{n} to {n}/{n})"
        )),
        None => {}
    }
    if summary.stopped_early {
        text.push_str("; stopped at the first failed case (--fail-fast)");
    }
    text
}

fn overrides(scope: &Scope) -> String {
    let shown: Vec<String> = scope
        .overrides
        .iter()
        .map(|o| {
            let asked: Vec<String> = o.contracts.iter().map(u32::to_string).collect();
            format!(
                "{} {} (contracts: {})",
                o.setting.flag(),
                o.value,
                asked.join(", ")
            )
        })
        .collect();
    shown.join("; ")
}

/// What the keys replayed late went through, the evidence of how long and past how much
/// traffic keys are remembered; `None` when nothing was replayed and late replays were not
/// turned off.
fn late_replays(scope: &Scope, summary: &Summary) -> Option<String> {
    let asked = scope.late_replays?;
    if asked.keys == 0 {
        return Some("off (--late-replays 0)".into());
    }
    let seen = summary.late_replays?;
    let held = if seen.remembered == seen.keys && seen.keys == 1 {
        "it got its first answer".to_string()
    } else if seen.remembered == seen.keys {
        "each got its first answer".to_string()
    } else {
        let lost = seen.keys - seen.remembered;
        format!("{lost} of {} did not get their first answer", seen.keys)
    };
    let ages = range(format_duration(seen.youngest), format_duration(seen.oldest));
    let requests = range(
        seen.fewest_requests_between.to_string(),
        seen.most_requests_between.to_string(),
    );
    let age = if asked.after.is_zero() {
        "no minimum age".to_string()
    } else {
        format!("at least {} old", format_duration(asked.after))
    };
    let traffic = if asked.gap == 0 {
        "no minimum traffic".to_string()
    } else {
        format!("past {} successful requests with other keys", asked.gap)
    };
    Some(format!(
        "{} key{} replayed {ages} after first use, {requests} requests later: {held} (asked: {age}, {traffic})",
        seen.keys,
        plural(seen.keys),
    ))
}

/// `a to b`, or `a` when both are the same.
fn range(low: String, high: String) -> String {
    if low == high {
        low
    } else {
        format!("{low} to {high}")
    }
}

fn snapshots(scope: &Scope, summary: &Summary) -> String {
    let Some(folder) = &scope.snapshots.folder else {
        return "off".into();
    };
    let mut text = format!("{} in {folder}", scope.snapshots.mode);
    let counts = [
        (summary.recorded, "recorded (not compared)"),
        (summary.snapshots_pending, "pending written for review"),
        (summary.snapshots_missing, "missing (not compared)"),
    ];
    let shown: Vec<String> = counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if !shown.is_empty() {
        text.push_str(&format!(": {}", shown.join(", ")));
    }
    text
}

/// Which probes ran, and each contract's left-out probes with the reason it states; `None`
/// when the run neither signed nor carried credentials (the signing row says so already).
fn security(scope: &Scope) -> Option<String> {
    let s = &scope.security;
    let mut parts = Vec::new();
    if s.signature_probes {
        parts.push("signature probes".to_string());
    }
    if !s.credential_headers.is_empty() {
        parts.push(format!(
            "credential probes ({})",
            s.credential_headers.join(", ")
        ));
    }
    if parts.is_empty() {
        return None;
    }
    let mut text = parts.join(" and ");
    for skip in &s.skipped {
        let reason = skip.reason.as_deref().unwrap_or("no reason given");
        text.push_str(&format!(
            "; {} of {} left out by its skip `{}`: {reason}",
            skip.probes, skip.contract, skip.pattern
        ));
    }
    Some(text)
}

fn signing(scope: &Scope) -> String {
    let s = &scope.signing;
    let requests = match (&s.client_id, &s.request_key_sha256) {
        (Some(id), Some(key)) => format!(
            "requests signed as Client-Id {id} (keyVersion {}, key SHA-256 {key})",
            s.key_version.unwrap_or(1)
        ),
        (Some(id), None) => format!("requests unsigned (Client-Id {id} sent)"),
        (None, _) => "requests unsigned".into(),
    };
    let answers = match &s.answer_key_sha256 {
        Some(key) => format!("answers verified (key SHA-256 {key})"),
        None => "answers not verified".into(),
    };
    format!("{requests}; {answers}")
}

/// How an `https://` target's certificate was checked, and the client certificate presented.
fn tls(tls: &TlsScope) -> String {
    let server = if !tls.verified {
        "target certificate NOT VERIFIED (--insecure): nothing shows the answers came from the target named".to_string()
    } else if tls.extra_roots.is_empty() {
        "target certificate verified against the platform's roots".to_string()
    } else {
        let extra: Vec<String> = tls.extra_roots.iter().map(certificate).collect();
        format!(
            "target certificate verified against the platform's roots and {}",
            extra.join(", ")
        )
    };
    let client = match &tls.client_certificate {
        Some(shown) => format!("client certificate {}", certificate(shown)),
        None => "no client certificate".into(),
    };
    format!("{server}; {client}")
}

fn certificate(shown: &CertificateScope) -> String {
    format!("{} (SHA-256 {})", shown.source, shown.sha256)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::report::tally::sample;
    use crate::results::{LateReplayEvidence, LateReplayScope};

    #[test]
    fn a_signed_filtered_run_shows_its_selection_and_fingerprints_only() {
        let info = sample::run();
        let summary = sample::summary();
        let rows = rows(&info, &summary);
        let text: Vec<String> = rows.iter().map(|(l, v)| format!("{l}: {v}")).collect();
        assert_eq!(
            text,
            [
                "Cases: 3 run of 125 planned; 3 kept by --filter issueCard/example/*",
                "Idempotency: --replays 0 (contracts: 2)",
                "Snapshots: new in snapshots: 1 recorded (not compared)",
                "Requests: time-out 10s per request, 8 at once",
                "Signing: requests signed as Client-Id TEST_CLIENT (keyVersion 3, key SHA-256 2ca5d946e6a7fb6dc50f1d57856c560eca1f2e4b2c903e52ef7944d7358f3cdb); answers verified (key SHA-256 2ca5d946e6a7fb6dc50f1d57856c560eca1f2e4b2c903e52ef7944d7358f3cdb)",
            ]
        );
    }

    #[test]
    fn late_replays_say_how_old_the_keys_were_and_how_much_traffic_came_between() {
        let mut info = sample::run();
        info.scope.late_replays = Some(LateReplayScope {
            keys: 8,
            after: Duration::from_secs(5),
            gap: 128,
        });
        let mut summary = sample::summary();
        let mut seen = LateReplayEvidence::default();
        seen.add(Duration::from_millis(5020), 130, 128, true);
        seen.add(Duration::from_millis(5310), 221, 170, false);
        summary.late_replays = Some(seen);
        let row = late_replays(&info.scope, &summary).expect("a row");
        assert_eq!(
            row,
            "2 keys replayed 5.02s to 5.31s after first use, 130 to 221 requests later: 1 of 2 did not get their first answer (asked: at least 5s old, past 128 successful requests with other keys)"
        );
        info.scope.late_replays = Some(LateReplayScope {
            keys: 0,
            ..LateReplayScope::default()
        });
        assert_eq!(
            late_replays(&info.scope, &summary).as_deref(),
            Some("off (--late-replays 0)")
        );
        info.scope.late_replays = None;
        assert_eq!(late_replays(&info.scope, &summary), None);
    }

    #[test]
    fn an_unsigned_run_says_so() {
        let info = RunInfo {
            scope: Scope::default(),
            ..sample::run()
        };
        assert_eq!(
            signing(&info.scope),
            "requests unsigned; answers not verified"
        );
        assert_eq!(implementation(&info), "acme-cards 2.3.1");
        let labels: Vec<&str> = rows(&info, &sample::summary())
            .iter()
            .map(|r| r.0)
            .collect();
        assert!(!labels.contains(&"TLS"), "a plain-HTTP run has no TLS row");
    }

    #[test]
    fn an_unverified_tls_run_says_so_and_names_the_client_certificate() {
        let client = CertificateScope {
            source: "file client.pem".into(),
            sha256: "ab".repeat(32),
        };
        let insecure = TlsScope {
            verified: false,
            extra_roots: Vec::new(),
            client_certificate: Some(client.clone()),
        };
        assert_eq!(
            tls(&insecure),
            format!(
                "target certificate NOT VERIFIED (--insecure): nothing shows the answers came from the target named; client certificate file client.pem (SHA-256 {})",
                "ab".repeat(32)
            )
        );
        let verified = TlsScope {
            verified: true,
            extra_roots: vec![CertificateScope {
                source: "file ca.pem".into(),
                ..client
            }],
            client_certificate: None,
        };
        assert!(tls(&verified).starts_with(
            "target certificate verified against the platform's roots and file ca.pem (SHA-256 abab"
        ));
        assert!(tls(&verified).ends_with("; no client certificate"));
    }
}
