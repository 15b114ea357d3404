//! The issueCard suites over TLS: against the independent gateway and against `conform serve
//! --tls-cert`, signed and unsigned, every check gives the same outcome and the run the same
//! verdict as over plain HTTP; HTTP/2 is negotiated where the server offers it.

use std::collections::BTreeSet;

use hyper::Version;
use serde_json::Value;

use crate::issue_card::{self, Defects};
use crate::reports::Reports;
use crate::signing_support::key;
use crate::tls::{EXAMPLE, behind_gateway, transport_finding, verify};
use crate::tls_gateway::{GatewayTls, gateway, tls_fixture};
use crate::util::{Run, serve};
/// Every check's outcome by case, and the verdict, of a run's JSON report.
fn outcomes(report: &Value) -> (BTreeSet<String>, Value) {
    let results = report["results"].as_array().expect("results");
    let outcomes = results
        .iter()
        .map(|r| format!("{} {} {}", r["case"], r["check"], r["outcome"]))
        .collect();
    (outcomes, report["verdict"].clone())
}

/// `verify args...` writing every report; the JSON report's outcomes.
async fn suite(args: &[&str]) -> (Run, BTreeSet<String>, Value) {
    let reports = Reports::new();
    let run = reports.verify(args).await;
    let (outcomes, verdict) = outcomes(&reports.json());
    (run, outcomes, verdict)
}

#[tokio::test]
async fn the_issue_card_suite_gives_the_same_verdicts_over_tls_as_over_plain_http() {
    let ca = tls_fixture("ca.pem");
    for defects in [
        Defects::default(),
        Defects {
            accept_long_app_id: true,
            new_card_on_replay: true,
            ..Defects::default()
        },
    ] {
        let implementation = issue_card::serve(defects).await;
        let gateway = gateway(&implementation.uri(), GatewayTls::with("server.pem")).await;
        let (plain_run, plain, plain_verdict) = suite(&["--target", &implementation.uri()]).await;
        let (tls_run, over_tls, tls_verdict) =
            suite(&["--target", &gateway.url, "--ca-cert", &ca]).await;
        assert_eq!(tls_run.code, plain_run.code, "{}", tls_run.stdout);
        assert_eq!(over_tls, plain, "{defects:?}");
        assert_eq!(tls_verdict, plain_verdict);
        assert!(plain.len() > 700, "the whole suite ran: {}", plain.len());
        let expected = if defects.accept_long_app_id { 1 } else { 0 };
        assert_eq!(plain_run.code, expected, "{}", plain_run.stdout);
        assert!(gateway.versions().iter().all(|v| *v == Version::HTTP_2));
    }
}

#[tokio::test]
async fn serve_over_tls_passes_the_signed_and_unsigned_suites_like_plain_serve() {
    let tls = [
        "--tls-cert",
        "tests/fixtures/tls/server.pem",
        "--tls-key",
        "tests/fixtures/tls/server.key",
    ];
    let keys = [
        "--private-key",
        &key("test_rsa2048_pkcs1.pem"),
        "--public-key",
        &key("test_rsa2048_pub_spki.pem"),
    ];
    let signing = [
        "--client-id",
        "TEST_5X00000000000000",
        "--private-key",
        &key("test_rsa2048_pkcs8.pem"),
        "--public-key",
        &key("test_rsa2048_pub_spki.pem"),
    ];
    let ca = tls_fixture("ca.pem");
    for signed in [false, true] {
        let extra: &[&str] = if signed { &keys } else { &[] };
        let plain = serve(extra).await;
        let mut with_tls = extra.to_vec();
        with_tls.extend(tls);
        let secured = serve(&with_tls).await;
        assert!(
            secured.url.starts_with("https://127.0.0.1:"),
            "{}",
            secured.url
        );
        let mut plain_args = vec!["--target", plain.url.as_str()];
        let mut tls_args = vec!["--target", secured.url.as_str(), "--ca-cert", &ca];
        if signed {
            plain_args.extend(signing);
            tls_args.extend(signing);
        }
        let (plain_run, plain_outcomes, plain_verdict) = suite(&plain_args).await;
        let (tls_run, tls_outcomes, tls_verdict) = suite(&tls_args).await;
        assert_eq!(plain_run.code, 0, "{}", plain_run.stdout);
        assert_eq!(tls_run.code, 0, "{}{}", tls_run.stdout, tls_run.stderr);
        assert_eq!(tls_outcomes, plain_outcomes, "signed: {signed}");
        assert_eq!(tls_verdict, plain_verdict);
    }
}

#[tokio::test]
async fn serve_with_a_client_ca_refuses_clients_without_a_certificate() {
    let served = serve(&[
        "--tls-cert",
        "tests/fixtures/tls/server.pem",
        "--tls-key",
        "tests/fixtures/tls/server.key",
        "--client-ca",
        "tests/fixtures/tls/client-ca.pem",
    ])
    .await;
    assert_eq!(
        served.banner.last().map(String::as_str),
        Some(
            "clients must present a certificate issued by a CA in tests/fixtures/tls/client-ca.pem (mutual TLS)"
        )
    );
    let ca = tls_fixture("ca.pem");
    let base = [
        "--target",
        served.url.as_str(),
        "--filter",
        EXAMPLE,
        "--ca-cert",
        &ca,
    ];
    let run = verify(&base).await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(transport_finding(&run).contains("requires a client certificate (mutual TLS)"));
    let (cert, key) = (tls_fixture("client.pem"), tls_fixture("client.pkcs8.key"));
    let mut args = base.to_vec();
    args.extend(["--client-cert", &cert, "--client-key", &key]);
    let run = verify(&args).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[tokio::test]
async fn http2_is_negotiated_only_where_the_server_offers_it() {
    let ca = tls_fixture("ca.pem");
    for (alpn, expected) in [
        (vec![&b"h2"[..], b"http/1.1"], Version::HTTP_2),
        (vec![&b"http/1.1"[..]], Version::HTTP_11),
        (vec![], Version::HTTP_11),
    ] {
        let tls = GatewayTls {
            alpn,
            ..GatewayTls::with("server.pem")
        };
        let (_implementation, gateway) = behind_gateway(tls).await;
        let run = verify(&[
            "--target",
            &gateway.url,
            "--filter",
            EXAMPLE,
            "--ca-cert",
            &ca,
        ])
        .await;
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        let versions = gateway.versions();
        assert!(!versions.is_empty());
        assert!(versions.iter().all(|v| *v == expected), "{versions:?}");
    }
}
