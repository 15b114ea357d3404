//! Hostile targets: small raw TCP servers, started by each test, that hang, reset, send garbage,
//! huge or endless bodies, slow drips, redirects to another host, broken JSON, huge headers, a
//! gzip bomb, informational responses and terminal escape sequences. Every one must end in a
//! failed check that names the problem (or, for a harmless oddity, a pass), never a panic, in
//! bounded time and memory, and nothing may reach a host other than the target.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::raw_server::{answering, flooding, http, json_answer, raw, raw_on, read_request};
use crate::util::{ISSUE_CARD, Measured, Run, conform_measured};

const EXAMPLE: &str = "issueCard/example/*";
const PATH: &str = "/v2/pds/memberships/issueCard";
/// Peak memory a run against a hostile target must stay under ("well under 300 MB").
const MEMORY_BOUND_MB: u64 = 150;

const SUCCESS: &str = r#"{"cardNo":"011164508621375700010170","result":{"resultCode":"SUCCESS","resultMessage":"Success","resultStatus":"S"}}"#;

/// `conform verify` against `url` with `extra` arguments.
async fn verify(url: &str, extra: &[&str]) -> Measured {
    let mut args = vec!["verify", ISSUE_CARD, "--target", url];
    args.extend_from_slice(extra);
    conform_measured(&args).await
}

/// The example case against `url`, with a short time-out.
async fn verify_example(url: &str) -> Measured {
    verify(url, &["--filter", EXAMPLE, "--timeout", "500ms"]).await
}

/// Asserts the run failed with a `check` finding holding every fragment, in bounded memory.
fn assert_failed(measured: &Measured, check: &str, fragments: &[&str]) {
    let Run { code, stdout, .. } = &measured.run;
    assert_eq!(*code, 1, "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(check) && fragments.iter().all(|f| l.contains(f)));
    assert!(
        line.is_some(),
        "no `{check}` failure with {fragments:?} in\n{stdout}"
    );
    assert!(
        measured.peak_mb < MEMORY_BOUND_MB,
        "peak memory {} MB",
        measured.peak_mb
    );
}

#[tokio::test]
async fn hanging_target_fails_transport_naming_the_url_and_the_run_gives_up_in_seconds() {
    let server = raw(|mut stream| async move {
        read_request(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    })
    .await;
    let measured = verify(&server.url, &["--timeout", "500ms"]).await;
    let url = format!("{}{PATH}", server.url);
    assert_failed(
        &measured,
        "transport",
        &[&format!("no response from {url} within 500ms")],
    );
    let stdout = &measured.run.stdout;
    assert!(
        stdout.contains(
            "stopped sending: target not answering (no answer to the run's first 5 requests"
        ),
        "{stdout}"
    );
    assert!(
        measured.elapsed < Duration::from_secs(5),
        "{:?}",
        measured.elapsed
    );
    // 125 cases at 500 ms each, 8 at a time, would have taken 8 s; most were never sent.
    assert!(
        server.connections.load(Ordering::SeqCst) <= 16,
        "{} connections",
        server.connections.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn refused_connections_stop_the_run_as_target_not_answering() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let measured = verify(&url, &[]).await;
    assert_failed(
        &measured,
        "transport",
        &[&format!("cannot connect to {url}{PATH}")],
    );
    let stdout = &measured.run.stdout;
    let not_sent = regex::Regex::new(r"(\d+) cases were not sent").unwrap();
    let count: usize = not_sent.captures(stdout).expect(stdout)[1].parse().unwrap();
    assert!(count >= 100, "{stdout}");
}

#[tokio::test]
async fn a_baseline_of_the_first_failures_does_not_let_a_run_that_gave_up_pass() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let report = dir.path().join("report.json");
    let (baseline, json) = (
        baseline.to_str().unwrap(),
        format!("json={}", report.display()),
    );
    // Recorded while the target was down: its few failures are "known".
    let recorded = verify(&url, &["--baseline", baseline, "--update-baseline"]).await;
    assert!(
        recorded.run.stdout.contains("stopped sending"),
        "{}",
        recorded.run.stdout
    );
    let again = verify(&url, &["--baseline", baseline, "--report", &json]).await;
    let stdout = &again.run.stdout;
    assert!(
        stdout.contains("stopped sending: target not answering"),
        "{stdout}"
    );
    assert_eq!(
        again.run.code, 1,
        "the cases not sent fail the run\n{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let reasons = &report["verdict"]["reasons"];
    assert!(
        reasons
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["reason"] == "target-not-answering"),
        "{reasons}"
    );
}

#[tokio::test]
async fn give_up_after_zero_keeps_sending_to_a_silent_target() {
    let server = raw(|mut stream| async move {
        read_request(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    })
    .await;
    let filter = "issueCard/negative/appId/*";
    let args = [
        "--timeout",
        "300ms",
        "--give-up-after",
        "0",
        "--filter",
        filter,
    ];
    let measured = verify(&server.url, &args).await;
    assert_failed(&measured, "transport", &["no response from"]);
    assert!(!measured.run.stdout.contains("stopped sending"));
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        8,
        "every case sent"
    );
}

#[tokio::test]
async fn reset_connection_fails_transport_naming_the_url() {
    let server = raw(|mut stream| async move {
        read_request(&mut stream).await;
        let _ = stream.set_zero_linger();
    })
    .await;
    let measured = verify_example(&server.url).await;
    let url = format!("request to {}{PATH} failed", server.url);
    assert_failed(&measured, "transport", &[&url]);
}

#[tokio::test]
async fn garbage_instead_of_http_fails_transport() {
    let server = answering(b"\x00\xff\xfe\x1b[31mnot http at all\r\n\r\n".to_vec()).await;
    let measured = verify_example(&server.url).await;
    let url = format!("request to {}{PATH} failed", server.url);
    assert_failed(&measured, "transport", &[&url]);
}

#[tokio::test]
async fn declared_64_mib_body_is_refused_within_the_memory_bound() {
    let server = flooding(Some(64 << 20)).await;
    let filter = "issueCard/negative/appId/*";
    let measured = verify(&server.url, &["--filter", EXAMPLE, "--filter", filter]).await;
    let url = format!("the answer from {}{PATH} (HTTP 200)", server.url);
    assert_failed(
        &measured,
        "transport",
        &[&url, "is larger than the response size limit of 4 MiB"],
    );
}

#[tokio::test]
async fn endless_chunked_body_is_cut_off_at_the_size_limit_within_the_memory_bound() {
    let server = flooding(None).await;
    let filter = "issueCard/negative/appId/*";
    let measured = verify(&server.url, &["--filter", EXAMPLE, "--filter", filter]).await;
    assert_failed(
        &measured,
        "transport",
        &["is larger than the response size limit of 4 MiB; reading stopped there"],
    );
    assert!(
        measured.elapsed < Duration::from_secs(30),
        "{:?}",
        measured.elapsed
    );
}

#[tokio::test]
async fn max_response_size_sets_the_limit() {
    let server = answering(json_answer(SUCCESS.as_bytes())).await;
    let args = ["--filter", EXAMPLE, "--max-response-size", "64B"];
    let measured = verify(&server.url, &args).await;
    assert_failed(
        &measured,
        "transport",
        &["is larger than the response size limit of 64 bytes"],
    );
    let bad = verify(&server.url, &["--max-response-size", "lots"]).await;
    assert_eq!(bad.run.code, 2, "{}", bad.run.stderr);
    assert!(
        bad.run
            .stderr
            .contains("--max-response-size: `lots` is not a size"),
        "{}",
        bad.run.stderr
    );
}

#[tokio::test]
async fn slow_drip_fails_transport_when_the_time_out_passes() {
    let server = raw(|mut stream| async move {
        read_request(&mut stream).await;
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
        let _ = stream.write_all(head.as_bytes()).await;
        for _ in 0..1000 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if stream.write_all(b" ").await.is_err() {
                return;
            }
        }
    })
    .await;
    let measured = verify_example(&server.url).await;
    assert_failed(
        &measured,
        "transport",
        &["(HTTP 200) did not finish within 500ms"],
    );
}

#[tokio::test]
async fn redirect_to_another_host_is_judged_and_never_followed() {
    // Another loopback address is another host; any port of it would do.
    let elsewhere = match TcpListener::bind(("127.0.0.2", 0)).await {
        Ok(_) => "127.0.0.2",
        Err(_) => "127.0.0.1",
    };
    let other = raw_on(elsewhere, |stream| async move { drop(stream) }).await;
    let location = format!("{}/steal", other.url);
    let redirect = http("307 Temporary Redirect", &[("Location", &location)], b"");
    let server = answering(redirect).await;
    let measured = verify_example(&server.url).await;
    let shown = format!("got 307, a redirect to \"{location}\" (not followed)");
    assert_failed(&measured, "http-status", &[&shown]);
    assert_eq!(
        other.connections.load(Ordering::SeqCst),
        0,
        "nothing reached the other host"
    );
}

#[tokio::test]
async fn invalid_utf8_body_fails_response_schema() {
    let server = answering(json_answer(b"{\"cardNo\": \"\xff\xfe\"}")).await;
    let measured = verify_example(&server.url).await;
    assert_failed(&measured, "response-schema", &["expected a JSON body"]);
}

#[tokio::test]
async fn deep_nesting_fails_response_schema_without_overflowing_the_stack() {
    let server = answering(json_answer("[".repeat(1 << 20).as_bytes())).await;
    let measured = verify_example(&server.url).await;
    assert_failed(&measured, "response-schema", &["recursion limit exceeded"]);
}

#[tokio::test]
async fn huge_numbers_fail_response_schema() {
    let digits = format!("1{}", "0".repeat(400));
    let body = SUCCESS.replace("\"011164508621375700010170\"", &digits);
    let server = answering(json_answer(body.as_bytes())).await;
    let measured = verify_example(&server.url).await;
    assert_failed(&measured, "response-schema", &["number out of range"]);
}

#[tokio::test]
async fn duplicate_keys_fail_response_schema_with_their_pointer() {
    let failure =
        r#""result":{"resultCode":"PROCESS_FAIL","resultMessage":"no","resultStatus":"F"}"#;
    let body = SUCCESS.replace("}}", &format!("}},{failure}}}"));
    let server = answering(json_answer(body.as_bytes())).await;
    let measured = verify_example(&server.url).await;
    assert_failed(
        &measured,
        "response-schema",
        &["/result: expected each key at most once per object, got a duplicate key"],
    );
}

#[tokio::test]
async fn huge_header_fails_transport() {
    let big = "a".repeat(1 << 20);
    let server = answering(http("200 OK", &[("X-Big", &big)], SUCCESS.as_bytes())).await;
    let measured = verify_example(&server.url).await;
    let url = format!("request to {}{PATH} failed", server.url);
    assert_failed(&measured, "transport", &[&url]);
}

#[tokio::test]
async fn thousands_of_headers_fail_transport() {
    let names: Vec<String> = (0..5000).map(|i| format!("X-{i}")).collect();
    let headers: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
    let server = answering(http("200 OK", &headers, SUCCESS.as_bytes())).await;
    let measured = verify_example(&server.url).await;
    let url = format!("request to {}{PATH} failed", server.url);
    assert_failed(&measured, "transport", &[&url]);
}

/// CRC-32 of 1 GiB of zeros (`zlib.crc32` over 1024 chunks of 1 MiB).
const CRC_OF_1_GIB_OF_ZEROS: u32 = 0x5b64_c2b0;

/// A gzip member that inflates to 1 GiB of zeros in about 1 MB: one deflated MiB of zeros,
/// byte-aligned by a sync flush and referring only to zeros, repeated 1024 times.
fn gzip_bomb() -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let mut deflate = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(64 << 10);
    deflate
        .compress_vec(&vec![0; 1 << 20], &mut block, FlushCompress::Sync)
        .unwrap();
    let mut bomb = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    for _ in 0..1024 {
        bomb.extend_from_slice(&block);
    }
    // The last block: stored, final, empty.
    bomb.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    bomb.extend_from_slice(&CRC_OF_1_GIB_OF_ZEROS.to_le_bytes());
    bomb.extend_from_slice(&(1u32 << 30).to_le_bytes());
    bomb
}

#[tokio::test]
async fn gzip_bomb_is_never_inflated() {
    let bomb = gzip_bomb();
    let mut inflated = vec![0u8; 8 << 20];
    let mut decoder = flate2::read::GzDecoder::new(bomb.as_slice());
    std::io::Read::read_exact(&mut decoder, &mut inflated).expect("a real gzip stream");
    assert!(bomb.len() < 2 << 20 && inflated.iter().all(|b| *b == 0));
    let headers = [
        ("Content-Type", "application/json"),
        ("Content-Encoding", "gzip"),
    ];
    let server = answering(http("200 OK", &headers, &bomb)).await;
    let measured = verify_example(&server.url).await;
    assert_failed(&measured, "response-schema", &["expected a JSON body"]);
}

#[tokio::test]
async fn informational_responses_before_the_answer_are_passed_over() {
    let mut answer = b"HTTP/1.1 103 Early Hints\r\nLink: </x.css>; rel=preload\r\n\r\n".to_vec();
    answer.extend(json_answer(SUCCESS.as_bytes()));
    let server = answering(answer).await;
    let measured = verify_example(&server.url).await;
    assert_eq!(measured.run.code, 0, "{}", measured.run.stdout);
}

#[tokio::test]
async fn informational_response_alone_fails_transport() {
    let server = answering(b"HTTP/1.1 102 Processing\r\n\r\n".to_vec()).await;
    let measured = verify_example(&server.url).await;
    let url = format!("request to {}{PATH} failed", server.url);
    assert_failed(&measured, "transport", &[&url]);
}

#[tokio::test]
async fn escape_sequences_in_messages_are_shown_escaped() {
    let body = r#"{"result":{"resultCode":"\u001b[2J\u001b[31mPWNED","resultMessage":"\u009b0m\u202ecba","resultStatus":"F"}}"#;
    let server = answering(json_answer(body.as_bytes())).await;
    let measured = verify_example(&server.url).await;
    assert_failed(
        &measured,
        "result-status",
        &["got `\\u{1b}[2J\\u{1b}[31mPWNED` with status `F`"],
    );
    let stdout = &measured.run.stdout;
    let hostile = ['\u{1b}', '\u{9b}', '\u{202e}'];
    assert!(!stdout.contains(hostile), "{stdout:?}");
}
