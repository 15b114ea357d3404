//! The file reports (`--report FORMAT=PATH`): each one is checked the way its reader would read
//! it (the JSON against its published schema, JUnit against Jenkins' XSD and by a JUnit parser,
//! the Markdown certificate as a snapshot, the HTML in a headless browser, see
//! `reports_html.rs`), and every report must agree with the console's numbers.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::issue_card::{self, Defects};
use crate::util::{ISSUE_CARD, Run, conform, redact, root};

/// The cases of one field: a few that fail with `accept_long_app_id` and several that pass.
pub(crate) const APP_ID_CASES: &str = "issueCard/*/appId/*";

/// The four file reports of one run, in a temporary folder.
pub(crate) struct Reports {
    pub dir: tempfile::TempDir,
}

impl Reports {
    pub(crate) fn new() -> Self {
        Reports {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub(crate) fn path(&self, format: &str) -> PathBuf {
        let extension = match format {
            "junit" => "xml",
            "markdown" => "md",
            other => other,
        };
        self.dir.path().join(format!("reports/report.{extension}"))
    }

    pub(crate) fn read(&self, format: &str) -> String {
        std::fs::read_to_string(self.path(format))
            .unwrap_or_else(|e| panic!("{format} report: {e}"))
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.read("json")).expect("the JSON report parses")
    }

    /// Runs `conform verify` with `args`, writing all four reports.
    pub(crate) async fn verify(&self, args: &[&str]) -> Run {
        let specs: Vec<String> = ["json", "junit", "markdown", "html"]
            .iter()
            .map(|f| format!("{f}={}", self.path(f).display()))
            .collect();
        let mut all = vec!["verify", ISSUE_CARD];
        all.extend_from_slice(args);
        for spec in &specs {
            all.extend(["--report", spec.as_str()]);
        }
        conform(&all).await
    }
}

/// A run against the independent issueCard implementation that accepts a too-long appId.
pub(crate) async fn run_with_known_failures(reports: &Reports) -> (MockServer, Run) {
    let server = issue_card::serve(Defects {
        accept_long_app_id: true,
        ..Defects::default()
    })
    .await;
    let run = reports
        .verify(&["--target", &server.uri(), "--filter", APP_ID_CASES])
        .await;
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    (server, run)
}

/// The numbers of the console's last line: cases, failed cases, passed, failed, skipped checks.
pub(crate) fn console_numbers(stdout: &str) -> [u64; 5] {
    let line = regex::Regex::new(
        r"(?m)^(?:PASS|FAIL|PARTIAL|PASS WITH KNOWN FAILURES) (\d+) cases? \((\d+) failed\) · checks: (\d+) passed, (\d+) failed(?: \(\d+ known\))?, (\d+) skipped",
    )
    .unwrap();
    let found = line
        .captures(stdout)
        .expect("the console prints a summary line");
    std::array::from_fn(|i| found[i + 1].parse().unwrap())
}

fn summary_numbers(report: &Value) -> [u64; 5] {
    let summary = &report["summary"];
    ["cases", "failed_cases", "passed", "failed", "skipped"]
        .map(|k| summary[k].as_u64().expect("summary counts are integers"))
}

/// Validation errors of `instance` against `docs/report.schema.json`, empty when it fits.
pub(crate) fn schema_errors(instance: &Value) -> String {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let location = root().join("docs/report.schema.json");
    let index = compiler
        .compile(location.to_str().unwrap(), &mut schemas)
        .expect("the report schema compiles");
    match schemas.validate(instance, index) {
        Ok(()) => String::new(),
        Err(error) => format!("{error}"),
    }
}

#[tokio::test]
async fn json_report_fits_its_published_schema_and_matches_the_console() {
    let reports = Reports::new();
    let (_server, run) = run_with_known_failures(&reports).await;
    let report = reports.json();
    assert_eq!(schema_errors(&report), "", "the report breaks its schema");
    let numbers = summary_numbers(&report);
    assert_eq!(numbers, console_numbers(&run.stdout), "{}", run.stdout);
    assert!(
        numbers[3] >= 2,
        "the known failures are reported: {numbers:?}"
    );

    let results = report["results"].as_array().unwrap();
    let count = |outcome: &str| results.iter().filter(|r| r["outcome"] == outcome).count() as u64;
    assert_eq!([count("pass"), count("fail"), count("skip")], numbers[2..]);
}

#[tokio::test]
async fn json_schema_rejects_reports_that_break_it() {
    let reports = Reports::new();
    let (_server, _run) = run_with_known_failures(&reports).await;
    let valid = reports.json();
    type Breakage = (&'static str, fn(&mut Value));
    let breakages: [Breakage; 4] = [
        ("outcome spelled differently", |r| {
            r["results"][0]["outcome"] = json!("passed")
        }),
        ("summary missing", |r| {
            r.as_object_mut().unwrap().remove("summary");
        }),
        ("digest not hex", |r| {
            r["run"]["contracts"][0]["sha256"] = json!("not-a-digest")
        }),
        ("findings on a pass", |r| {
            r["results"][0]["findings"] = json!([{"message": "x"}])
        }),
    ];
    for (what, breaks) in breakages {
        let mut broken = valid.clone();
        breaks(&mut broken);
        assert_ne!(schema_errors(&broken), "", "{what} was accepted");
    }
}

#[test]
fn readme_json_example_fits_the_published_schema() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("### `json`: for tools")
        .nth(1)
        .expect("the README documents the JSON report");
    let block = section
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("with an example");
    let example: Value = serde_json::from_str(block).expect("the example is JSON");
    assert_eq!(
        schema_errors(&example),
        "",
        "the README's example breaks the schema"
    );
}

/// Validates `file` with `xmllint --schema`, returning its verdict and messages.
pub(crate) fn xmllint(schema: &Path, file: &Path) -> (bool, String) {
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .args([schema, file])
        .output()
        .expect("xmllint runs (Debian package libxml2-utils; .ci/run installs it)");
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), text)
}

pub(crate) fn junit_xsd() -> PathBuf {
    root().join("tests/fixtures/junit.xsd")
}

#[tokio::test]
async fn junit_report_is_valid_and_has_one_failure_per_failed_check() {
    let reports = Reports::new();
    let (_server, run) = run_with_known_failures(&reports).await;
    let (valid, messages) = xmllint(&junit_xsd(), &reports.path("junit"));
    assert!(valid, "{messages}");

    let junit = quick_junit::Report::deserialize_from_str(&reports.read("junit"))
        .expect("a JUnit parser reads the report");
    let cases: Vec<&quick_junit::TestCase> = junit
        .test_suites
        .iter()
        .flat_map(|suite| &suite.test_cases)
        .collect();
    let failures: Vec<_> = cases
        .iter()
        .filter(|c| matches!(c.status, quick_junit::TestCaseStatus::NonSuccess { .. }))
        .collect();
    let [_, _, passed, failed, skipped] = console_numbers(&run.stdout);
    assert_eq!(failures.len() as u64, failed);
    assert_eq!(cases.len() as u64, passed + failed + skipped);
    assert_eq!(junit.failures as u64, failed);

    let suite = &junit.test_suites[0];
    assert_eq!(suite.name.as_str(), "issueCard");
    let too_long = failures
        .iter()
        .find(|c| c.classname.as_deref() == Some("issueCard/negative/appId/too-long"))
        .expect("the missed rejection is a failure named by its case");
    assert_eq!(too_long.name.as_str(), "expectation");
    let quick_junit::TestCaseStatus::NonSuccess { message, ty, .. } = &too_long.status else {
        unreachable!()
    };
    assert_eq!(ty.as_deref(), Some("expectation"));
    assert!(
        message
            .as_deref()
            .unwrap_or_default()
            .contains("appId too-long")
    );
    // The failure's text names the clause tested; the suite carries the contract's coverage.
    let xml = reports.read("junit");
    let clause = format!("clause: {ISSUE_CARD}:36 /request/fields/appId/maxLength");
    assert!(xml.contains(&clause), "{xml}");
    let property = |name: &str| {
        let found = suite.properties.iter().find(|p| p.name.as_str() == name);
        found.map(|p| p.value.to_string())
    };
    let statuses = property("coverage.statuses").expect("coverage of statuses");
    assert!(statuses.contains('/'), "{statuses}");
    let codes = property("coverage.codes").expect("coverage of codes");
    assert!(codes.contains('/'), "{codes}");
}

#[tokio::test]
async fn junit_xsd_rejects_what_jenkins_would_not_read() {
    // The schema must be able to say no, or the validity test above proves nothing.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.xml");
    std::fs::write(
        &broken,
        r#"<testsuites><testsuite tests="1" failures="0" errors="0"><testcase/></testsuite></testsuites>"#,
    )
    .unwrap();
    let (valid, messages) = xmllint(&junit_xsd(), &broken);
    assert!(!valid, "{messages}");
    assert!(messages.contains("'name' is required"), "{messages}");
}

fn contract_digest() -> String {
    let bytes = std::fs::read(root().join("contracts/platform/issue-card.json")).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn markdown_certificate_names_the_contract_digest_and_every_failure() {
    let reports = Reports::new();
    let (_server, _run) = run_with_known_failures(&reports).await;
    let certificate = reports.read("markdown");
    let digest = contract_digest();
    assert!(
        certificate.contains(&format!("`{digest}`")),
        "{certificate}"
    );
    assert!(certificate.contains("**Verdict: NOT COMPATIBLE.**"));
    for failure in reports.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "fail")
    {
        let case = failure["case"].as_str().unwrap();
        // Each failure names the contract clause its check tests, as the JSON report does.
        let clause = &failure["clause"];
        let line = format!(
            "- **{}** (`{ISSUE_CARD}:{} {}`): ",
            failure["check"].as_str().unwrap(),
            clause["line"],
            clause["pointer"].as_str().unwrap()
        );
        let section = certificate
            .split("\n### ")
            .find(|s| s.starts_with(case))
            .unwrap_or_else(|| panic!("{case} has no section"));
        assert!(section.contains(&line), "{case}: {line}\n{section}");
    }
    // The digest changes with the contract, the rest only with the rendering.
    insta::assert_snapshot!(redact(&certificate.replace(&digest, "[SHA-256]")));
}

/// A server answering with a result message full of markup, control characters and fences.
async fn hostile_server() -> MockServer {
    let message = "<script>alert(\"x\")</script> | a`b ``` & ]]> \u{1b}[31mred\u{0}";
    let body = json!({"cardNo": "1", "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": message}});
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(issue_card::PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn text_from_the_target_cannot_break_any_report() {
    let server = hostile_server().await;
    let reports = Reports::new();
    let run = reports
        .verify(&["--target", &server.uri(), "--filter", "issueCard/example/*"])
        .await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("<script>"), "the message is reported");

    let html = reports.read("html");
    assert!(
        !html.contains("<script>alert"),
        "markup from the target ran"
    );
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    let markdown = reports.read("markdown");
    assert!(markdown.contains(r"\<script\>alert"), "{markdown}");
    assert!(markdown.contains(r"\| a\`b \`\`\` \&"), "{markdown}");
    let (valid, messages) = xmllint(&junit_xsd(), &reports.path("junit"));
    assert!(valid, "{messages}");
    let junit = reports.read("junit");
    assert!(junit.contains("&lt;script&gt;") && !junit.contains('\u{0}'));
    assert_eq!(schema_errors(&reports.json()), "");
}

#[tokio::test]
async fn every_report_is_written_whole_when_the_target_is_down() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = format!("http://127.0.0.1:{port}");
    let reports = Reports::new();
    let run = reports
        .verify(&["--target", &target, "--filter", "issueCard/example/*"])
        .await;
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let [_, _, _, failed, skipped] = console_numbers(&run.stdout);
    assert!(failed >= 1 && skipped >= 1, "{}", run.stdout);

    assert_eq!(summary_numbers(&reports.json())[3], failed);
    let junit = quick_junit::Report::deserialize_from_str(&reports.read("junit")).unwrap();
    assert_eq!(junit.failures as u64, failed);
    assert!(reports.read("markdown").contains("cannot connect to"));
    let html = reports.read("html");
    assert!(html.contains("<table id=\"failures-table\"") && html.trim_end().ends_with("</html>"));
    let files: Vec<_> = std::fs::read_dir(reports.dir.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        files.len(),
        4,
        "only the reports, no temporary files: {files:?}"
    );
}

#[tokio::test]
async fn unwritable_reports_are_named_exit_3_and_stop_neither_the_run_nor_the_others() {
    let server = issue_card::serve(Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let under_a_file = blocker.join("report.md");
    let json = dir.path().join("out/r.json");
    let specs = [
        format!("markdown={}", under_a_file.display()),
        "html=".to_string(),
        format!("json={}", json.display()),
    ];
    let uri = server.uri();
    let mut args = vec![
        "verify",
        ISSUE_CARD,
        "--target",
        &uri,
        "--filter",
        APP_ID_CASES,
    ];
    for spec in &specs {
        args.extend(["--report", spec.as_str()]);
    }
    let run = conform(&args).await;
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "error: markdown report not written to `{}`: ",
            under_a_file.display()
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("error: html report not written to ``: no file name given"),
        "{}",
        run.stderr
    );
    let [cases, ..] = console_numbers(&run.stdout);
    assert!(cases > 1, "every case was checked: {}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("json report written to {}", json.display())),
        "{}",
        run.stdout
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["summary"]["cases"].as_u64(), Some(cases));
    let received = server.received_requests().await.unwrap_or_default();
    assert!(received.len() as u64 >= cases, "the run went on");
}

#[tokio::test]
async fn unknown_report_format_lists_the_known_ones() {
    let run = conform(&["verify", ISSUE_CARD, "--report", "pdf=out.pdf"]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("unknown format `pdf` (expected json, junit, markdown, html)"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn progress_bar_shows_on_a_terminal_for_a_slow_run_and_never_when_piped() {
    let slow = [
        "verify",
        ISSUE_CARD,
        "--filter",
        "issueCard/negative/appId/*",
        "--fault",
        "latency=100ms",
        "--jobs",
        "1",
    ];
    let piped = conform(&slow).await;
    assert_eq!(piped.code, 0, "{}", piped.stdout);
    assert_eq!(piped.stderr, "", "nothing but results when piped");

    // `script` runs the binary on a pseudo-terminal, as a person's shell would.
    let command = format!("{} {}", env!("CARGO_BIN_EXE_conform"), slow.join(" "));
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    let screen = String::from_utf8_lossy(&output.stdout);
    let bar = regex::Regex::new(r"\d+ cases · [\d.]+/s").unwrap();
    assert!(
        bar.is_match(&screen),
        "no progress counter on a terminal:\n{screen}"
    );
    let summary_at = screen.find("PARTIAL ").expect("summary printed");
    let last_bar = bar.find_iter(&screen).last().unwrap().start();
    assert!(
        last_bar < summary_at,
        "the bar is cleared before the summary"
    );
}

/// Clauses are located only when a report shows them: a JSON report given alone still names
/// the clause of every check it lists.
#[tokio::test]
async fn a_json_report_alone_names_the_clause_of_every_check() {
    let server = issue_card::serve(Defects::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let spec = format!("json={}", json.display());
    let uri = server.uri();
    let args = [
        "verify",
        ISSUE_CARD,
        "--target",
        &uri,
        "--filter",
        APP_ID_CASES,
    ];
    let run = conform(&[&args[..], &["--report", &spec]].concat()).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let results = report["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        assert!(
            result["clause"]["line"].as_u64().unwrap_or(0) > 0,
            "{result}"
        );
    }
    let too_long = results
        .iter()
        .find(|r| r["case"] == "issueCard/negative/appId/too-long" && r["check"] == "expectation")
        .expect("the too-long appId case is reported");
    assert_eq!(
        too_long["clause"]["pointer"],
        "/request/fields/appId/maxLength"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_report_into_a_named_pipe_is_streamed_to_its_reader_and_the_pipe_stays() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("report.pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::read_to_string(pipe).unwrap())
    };
    let (junit, json) = (
        format!("junit={}", pipe.display()),
        format!("json={}", dir.path().join("r.json").display()),
    );
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "--filter",
        "*/example/*",
        "--report",
        &junit,
        "--report",
        &json,
    ])
    .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let kind = std::fs::symlink_metadata(&pipe).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe is not replaced by a file");
    let read = reader.join().unwrap();
    assert!(
        read.starts_with("<?xml") && read.contains("<testsuites"),
        "{read}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[tokio::test]
async fn a_report_on_standard_output_has_it_to_itself_and_the_console_goes_to_stderr() {
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "--filter",
        "*/example/*",
        "--report",
        "json=/dev/stdout",
    ])
    .await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}):\n{}", run.stdout));
    assert_eq!(report["verdict"]["result"], "partial");
    assert!(run.stderr.contains("\nPARTIAL 1 case"), "{}", run.stderr);
    assert!(
        run.stderr.contains("json report written to /dev/stdout"),
        "{}",
        run.stderr
    );
}
