//! Honest verdicts, read the way a reviewer reads them: a filtered run, a shard, a baselined run,
//! a first recording run and a signed run, each rendered in every format (console, JSON checked
//! against its schema, JUnit against the XSD, Markdown, HTML). Each report states its scope, no
//! partial run reads as a plain COMPATIBLE, recorded snapshots are not passes, and no key
//! material appears anywhere.

use std::collections::HashMap;

use serde_json::Value;

use crate::issue_card::{self, Defects};
use crate::reports::{Reports, junit_xsd, schema_errors, xmllint};
use crate::signing_support::{key, secret_lines};
use crate::util::{Run, redact};

/// One run in every format.
pub(crate) struct Rendered {
    pub run: Run,
    pub json: Value,
    /// The properties of the first JUnit suite.
    pub junit: HashMap<String, String>,
    pub junit_text: String,
    pub markdown: String,
    pub html: String,
}

impl Rendered {
    pub(crate) async fn of(args: &[&str]) -> Self {
        let reports = Reports::new();
        let run = reports.verify(args).await;
        let json = reports.json();
        assert_eq!(
            schema_errors(&json),
            "",
            "the JSON report breaks its schema"
        );
        let (valid, messages) = xmllint(&junit_xsd(), &reports.path("junit"));
        assert!(valid, "{messages}");
        let junit_text = reports.read("junit");
        let parsed = quick_junit::Report::deserialize_from_str(&junit_text).unwrap();
        let junit = parsed.test_suites[0]
            .properties
            .iter()
            .map(|p| (p.name.to_string(), p.value.to_string()))
            .collect();
        Rendered {
            run,
            json,
            junit,
            junit_text,
            markdown: reports.read("markdown"),
            html: reports.read("html"),
        }
    }

    fn reasons(&self) -> Vec<&str> {
        let reasons = self.json["verdict"]["reasons"].as_array().unwrap();
        reasons
            .iter()
            .map(|r| r["reason"].as_str().unwrap())
            .collect()
    }

    fn reason_messages(&self) -> Vec<&str> {
        let reasons = self.json["verdict"]["reasons"].as_array().unwrap();
        reasons
            .iter()
            .map(|r| r["message"].as_str().unwrap())
            .collect()
    }

    /// Every format gives the same verdict, with the same reasons, and states its scope.
    pub(crate) fn assert_verdict(&self, label: &str, reasons: &[&str]) {
        let out = &self.run.stdout;
        let word = match label {
            "COMPATIBLE" => "PASS",
            "COMPATIBLE WITH KNOWN FAILURES" => "PASS WITH KNOWN FAILURES",
            "NOT COMPATIBLE" => "FAIL",
            other => other,
        };
        assert!(out.contains(&format!("\n{word} ")), "console:\n{out}");
        assert!(
            out.contains("\nScope\n  cases        "),
            "console scope:\n{out}"
        );
        let result = label.to_lowercase().replace(' ', "-");
        assert_eq!(self.json["verdict"]["result"], result.as_str());
        assert_eq!(self.json["verdict"]["complete"], reasons.is_empty());
        assert_eq!(self.reasons(), reasons, "{}", self.json["verdict"]);
        assert_eq!(self.junit["verdict"], label);
        assert_eq!(
            self.junit["verdict.complete"],
            reasons.is_empty().to_string()
        );
        assert!(self.junit.contains_key("scope.cases"), "{:?}", self.junit);
        let first = self.markdown.lines().next().unwrap();
        assert_eq!(
            first,
            format!("# conform compatibility certificate: {label}")
        );
        assert!(self.markdown.contains(&format!("\n**Verdict: {label}.**")));
        assert!(self.markdown.contains("\n## Scope\n"));
        assert!(self.html.contains(&format!("<h1>{label}</h1>")), "html");
        assert!(self.html.contains("<dt>Cases</dt><dd>"), "html scope");
        let why = self.reason_messages().join("; ");
        if reasons.is_empty() {
            assert!(!out.contains("not complete:"), "{out}");
            assert!(!self.junit.contains_key("verdict.reasons"));
        } else {
            assert!(out.contains(&format!("\n  not complete: {why}\n")), "{out}");
            assert_eq!(self.junit["verdict.reasons"], why);
            assert!(self.html.contains("<p class=\"why\">Not complete: "));
        }
    }
}

#[tokio::test]
async fn a_filtered_run_without_replays_is_partial_in_every_report() {
    let server = issue_card::serve(Defects::default()).await;
    let uri = server.uri();
    let args = [
        "--target",
        &uri,
        "--filter",
        "issueCard/example/*",
        "--replays",
        "0",
    ];
    let r = Rendered::of(&args).await;
    assert_eq!(r.run.code, 0, "exit codes do not change: {}", r.run.stdout);
    r.assert_verdict("PARTIAL", &["filtered", "replays-reduced", "snapshots-off"]);
    let planned = r.json["summary"]["planned"].as_u64().unwrap();
    assert!(planned > 100, "{planned}");
    let kept = format!("--filter issueCard/example/* kept 1 of {planned} cases");
    assert_eq!(r.reason_messages()[0], kept);
    assert!(
        r.markdown
            .contains("**Verdict: PARTIAL.** Not everything was checked: --filter issueCard/example/\\* kept 1 of"),
        "{}",
        r.markdown
    );
    let replays = &r.json["run"]["scope"]["overrides"][0];
    assert_eq!(
        (replays["setting"].as_str(), replays["value"].as_u64()),
        (Some("replays"), Some(0))
    );
    assert!(r.junit["scope.idempotency"].contains("--replays 0 (contracts: 2)"));
}

#[tokio::test]
async fn one_shard_of_three_is_partial_and_says_which() {
    let server = issue_card::serve(Defects::default()).await;
    let uri = server.uri();
    let r = Rendered::of(&["--target", &uri, "--partition", "2/3"]).await;
    assert_eq!(r.run.code, 0, "{}", r.run.stdout);
    r.assert_verdict("PARTIAL", &["partition", "snapshots-off"]);
    assert!(r.reason_messages()[0].starts_with("one shard (--partition 2/3): "));
    assert_eq!(r.json["run"]["scope"]["partition"], "2/3");
}

#[tokio::test]
async fn a_baselined_run_is_compatible_with_known_failures_only() {
    let server = issue_card::serve(Defects {
        accept_long_app_id: true,
        ..Defects::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json").display().to_string();
    let snapshots = dir.path().join("snapshots").display().to_string();
    let uri = server.uri();
    let record = [
        "--target",
        &uri,
        "--baseline",
        &baseline,
        "--snapshots",
        "new",
        "--snapshot-dir",
        &snapshots,
    ];
    let recorded = Rendered::of(&record).await;
    assert_eq!(recorded.run.code, 0, "{}", recorded.run.stdout);
    assert_eq!(recorded.json["run"]["scope"]["baseline"]["mode"], "record");

    // Late replays as a gate runs them (the tests' default replays keys at once).
    let check = [
        "--target",
        &uri,
        "--baseline",
        &baseline,
        "--snapshots",
        "check",
        "--snapshot-dir",
        &snapshots,
        "--late-replay-after",
        "5s",
    ];
    let r = Rendered::of(&check).await;
    assert_eq!(r.run.code, 0, "{}", r.run.stdout);
    r.assert_verdict("COMPATIBLE WITH KNOWN FAILURES", &["known-failures"]);
    let known = r.json["summary"]["known"].as_u64().unwrap();
    assert!(known >= 2, "{known}");
    assert_eq!(
        r.reason_messages()[0],
        format!("{known} known failures absorbed by the baseline {baseline}")
    );
    assert_eq!(
        r.json["run"]["scope"]["baseline"]["file"],
        baseline.as_str()
    );
    assert!(r.junit["scope.baseline"].ends_with(&format!("({known} known failures absorbed)")));
}

#[tokio::test]
async fn a_first_recording_run_counts_recorded_apart_and_only_a_compared_run_is_compatible() {
    let server = issue_card::serve(Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().display().to_string();
    let uri = server.uri();
    // Late replays as a gate runs them (the tests' default replays keys at once).
    let args = |mode| {
        [
            "--target",
            &uri,
            "--snapshots",
            mode,
            "--snapshot-dir",
            &folder,
            "--late-replay-after",
            "5s",
        ]
    };

    let first = Rendered::of(&args("new")).await;
    assert_eq!(first.run.code, 0, "{}", first.run.stdout);
    first.assert_verdict("PARTIAL", &["snapshots-recorded"]);
    let recorded = first.json["summary"]["recorded"].as_u64().unwrap();
    let results = first.json["results"].as_array().unwrap();
    let snapshot = |outcome: &str| {
        results
            .iter()
            .filter(|r| r["check"] == "snapshot" && r["outcome"] == outcome)
            .count() as u64
    };
    assert!(recorded > 100, "{recorded}");
    assert_eq!(snapshot("recorded"), recorded);
    assert_eq!(
        snapshot("pass"),
        0,
        "nothing was compared, so nothing passed"
    );
    assert!(
        first.run.stdout.contains(&format!(
            "  snapshots    new in {folder}: {recorded} recorded (not compared)\n"
        )),
        "{}",
        first.run.stdout
    );
    assert!(
        first
            .markdown
            .contains(&format!(", {recorded} recorded (not compared) |"))
    );
    let junit_recorded = first
        .junit_text
        .matches("<skipped message=\"recorded, not compared: ")
        .count();
    assert_eq!(junit_recorded as u64, recorded);
    assert_eq!(
        first
            .html
            .matches("<span class=\"badge recorded\">RECORDED</span>")
            .count() as u64,
        recorded
    );

    let second = Rendered::of(&args("check")).await;
    assert_eq!(second.run.code, 0, "{}", second.run.stdout);
    second.assert_verdict("COMPATIBLE", &[]);
    assert_eq!(second.json["summary"]["recorded"], 0);
    assert!(
        second
            .markdown
            .contains("\n**Verdict: COMPATIBLE.** No check failed: ")
    );
}

#[tokio::test]
async fn certificate_of_a_first_recording_run() {
    let server = issue_card::serve(Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().display().to_string();
    let uri = server.uri();
    let args = [
        "--target",
        &uri,
        "--snapshots",
        "new",
        "--snapshot-dir",
        &folder,
        "--filter",
        "issueCard/example/*",
        "--implementation",
        "acme-cards",
        "--implementation-version",
        "2.3.1",
    ];
    let r = Rendered::of(&args).await;
    assert_eq!(r.run.code, 0, "{}", r.run.stdout);
    let digest = r.json["run"]["contracts"][0]["sha256"].as_str().unwrap();
    let planned = r.json["summary"]["planned"].to_string();
    let certificate = r
        .markdown
        .replace(digest, "[SHA-256]")
        .replace(&folder, "[SNAPSHOTS]")
        .replace(&format!(" of {planned} "), " of [PLANNED] ");
    insta::assert_snapshot!(redact(&certificate));
}

#[tokio::test]
async fn a_signed_run_names_its_keys_by_fingerprint_and_never_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("target.json");
    let private = crate::util::root().join(key("test_rsa2048_pkcs8.pem"));
    let text = serde_json::json!({
        "implementation": "acme-cards",
        "implementationVersion": "2.3.1",
        "clientId": "TEST_5X00000000000000",
        "keyVersion": 4,
        "privateKey": { "file": private },
    });
    std::fs::write(&profile, text.to_string()).unwrap();
    let profile = profile.display().to_string();
    let r = Rendered::of(&["--target-config", &profile, "--filter", "*/example/*"]).await;
    assert_eq!(r.run.code, 0, "{}{}", r.run.stdout, r.run.stderr);
    r.assert_verdict("PARTIAL", &["filtered"]);

    // openssl pkey -in test_rsa2048_pkcs8.pem -pubout -outform DER | sha256sum
    let fingerprint = "2ca5d946e6a7fb6dc50f1d57856c560eca1f2e4b2c903e52ef7944d7358f3cdb";
    let signing = &r.json["run"]["scope"]["signing"];
    assert_eq!(signing["requests_signed"], true);
    assert_eq!(signing["key_version"], 4);
    assert_eq!(signing["request_key_sha256"], fingerprint);
    assert_eq!(signing["answers_verified"], true);
    let shown = format!(
        "requests signed as Client-Id TEST_5X00000000000000 (keyVersion 4, key SHA-256 {fingerprint}); answers verified (key SHA-256 {fingerprint})"
    );
    assert!(
        r.run.stdout.contains(&format!("  signing      {shown}\n")),
        "{}",
        r.run.stdout
    );
    assert_eq!(r.junit["scope.signing"], shown);
    assert!(r.markdown.contains(&format!("| Signing | {shown} |")));
    assert!(
        r.html
            .contains(&format!("<dt>Signing</dt><dd>{shown}</dd>"))
    );

    let implementation = "acme-cards 2.3.1";
    assert_eq!(r.json["run"]["implementation"]["name"], "acme-cards");
    assert_eq!(r.junit["implementation"], implementation);
    assert!(
        r.markdown
            .contains(&format!("| Implementation | {implementation} |"))
    );
    assert!(
        r.html
            .contains(&format!("<dt>Implementation</dt><dd>{implementation}</dd>"))
    );

    let everything = [
        &r.run.stdout,
        &r.run.stderr,
        &r.json.to_string(),
        &r.junit_text,
        &r.markdown,
        &r.html,
    ];
    for text in everything {
        for line in secret_lines("test_rsa2048_pkcs8.pem") {
            assert!(!text.contains(&line), "key material in a report");
        }
        assert!(
            !text.contains("signature="),
            "a Signature value in a report"
        );
    }
}

#[tokio::test]
async fn a_failing_filtered_run_is_not_compatible_and_still_incomplete() {
    let server = issue_card::serve(Defects {
        accept_long_app_id: true,
        ..Defects::default()
    })
    .await;
    let uri = server.uri();
    let r = Rendered::of(&[
        "--target",
        &uri,
        "--filter",
        "issueCard/*/appId/*",
        "--implementation",
        "acme-cards",
    ])
    .await;
    assert_eq!(r.run.code, 1);
    r.assert_verdict("NOT COMPATIBLE", &["filtered", "snapshots-off"]);
    assert!(
        r.markdown.contains(". Also not complete: --filter"),
        "{}",
        r.markdown
    );
    assert!(
        r.run.stdout.starts_with("conform ")
            && r.run
                .stdout
                .lines()
                .next()
                .unwrap()
                .ends_with(" · implementation acme-cards"),
        "{}",
        r.run.stdout
    );
}
