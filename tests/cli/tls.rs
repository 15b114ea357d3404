//! HTTPS and mutual TLS against real TLS servers started here: an independent gateway
//! (`tls_gateway.rs`) in front of the hand-written issueCard implementation, and `conform serve
//! --tls-cert`. Each configuration works with the documented option or fails with a transport
//! finding that names the fix; the issueCard suites give the same verdicts over TLS as over
//! plain HTTP (`tls_suites.rs`); `--insecure` is marked in every report; key material never
//! appears.

use serde_json::{Value, json};

use crate::issue_card::{self, Defects};
use crate::tls_gateway::{Gateway, GatewayTls, gateway, tls_fixture};
use crate::util::{ISSUE_CARD, Run, conform, conform_with, root};
use crate::verdicts::Rendered;

/// Stands in for the platform's roots, so no test depends on the machine's CA store.
fn unrelated_roots() -> [(&'static str, String); 1] {
    let file = root().join(tls_fixture("other-ca.pem"));
    [("SSL_CERT_FILE", file.display().to_string())]
}

/// `conform verify args...` with the stand-in platform roots.
pub(crate) async fn verify(args: &[&str]) -> Run {
    let mut all = vec!["verify", ISSUE_CARD];
    all.extend_from_slice(args);
    let [(name, roots)] = unrelated_roots();
    let env = [(name, roots.as_str()), ("CONFORM_SNAPSHOTS", "off")];
    conform_with(&root(), &all, &env, None).await
}

/// The correct issueCard implementation behind a gateway speaking TLS as `tls` says.
pub(crate) async fn behind_gateway(tls: GatewayTls) -> (wiremock::MockServer, Gateway) {
    let implementation = issue_card::serve(Defects::default()).await;
    let gateway = gateway(&implementation.uri(), tls).await;
    (implementation, gateway)
}

/// The one transport finding of a run of the example case.
pub(crate) fn transport_finding(run: &Run) -> String {
    let line = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("transport") && l.contains("cannot connect"))
        .unwrap_or_else(|| panic!("no transport finding in\n{}{}", run.stdout, run.stderr));
    line.trim_start()
        .trim_start_matches("transport")
        .trim()
        .to_string()
}

pub(crate) const EXAMPLE: &str = "issueCard/example/*";

#[tokio::test]
async fn trusts_a_private_ca_given_with_ca_cert() {
    let (_implementation, gateway) = behind_gateway(GatewayTls::with("server.pem")).await;
    let ca = tls_fixture("ca.pem");
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
    let scope = "tls          target certificate verified against the platform's roots and file tests/fixtures/tls/ca.pem (SHA-256 6b1c9e462f30cfc3e3c9f3ae3395464399e8e955977ae9048a71e211a610b989); no client certificate";
    assert!(run.stdout.contains(scope), "{}", run.stdout);
}

#[tokio::test]
async fn trusts_a_private_ca_named_in_the_target_profile_or_by_ssl_cert_file() {
    let (_implementation, gateway) = behind_gateway(GatewayTls::with("server.pem")).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join(tls_fixture("ca.pem")),
        dir.path().join("ca.pem"),
    )
    .unwrap();
    let profile = json!({ "baseUrl": gateway.url, "caCert": [{ "file": "ca.pem" }] });
    let config = dir.path().join("target.json");
    std::fs::write(&config, profile.to_string()).unwrap();
    let config = config.display().to_string();
    let run = verify(&["--target-config", &config, "--filter", EXAMPLE]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // The platform's roots are the system's store, which SSL_CERT_FILE replaces.
    let ca = root().join(tls_fixture("ca.pem")).display().to_string();
    let args = ["verify", "--target", &gateway.url, "--filter", EXAMPLE];
    let env = [("SSL_CERT_FILE", ca.as_str()), ("CONFORM_SNAPSHOTS", "off")];
    let run = conform_with(&root(), &args, &env, None).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[tokio::test]
async fn an_unknown_issuer_is_a_finding_naming_ca_cert_and_insecure() {
    let (_implementation, gateway) = behind_gateway(GatewayTls::with("server.pem")).await;
    let run = verify(&["--target", &gateway.url, "--filter", EXAMPLE]).await;
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let finding = transport_finding(&run);
    let expected = format!(
        "cannot connect to {}/v2/pds/memberships/issueCard: TLS: the target's certificate is not signed by a trusted authority (unknown issuer): if the environment uses a private CA, trust it with --ca-cert FILE (or `caCert` in the target profile); for a throwaway environment, --insecure skips verification (invalid peer certificate: UnknownIssuer)",
        gateway.url
    );
    assert_eq!(finding, expected);
}

#[tokio::test]
async fn an_expired_certificate_is_a_finding_with_its_end_date() {
    let (_implementation, gateway) = behind_gateway(GatewayTls::with("expired.pem")).await;
    let ca = tls_fixture("ca.pem");
    let run = verify(&[
        "--target",
        &gateway.url,
        "--filter",
        EXAMPLE,
        "--ca-cert",
        &ca,
    ])
    .await;
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let finding = transport_finding(&run);
    assert!(
        finding.contains(": TLS: the target's certificate expired on 2021-01-01T00:00:00Z: it must be renewed; for a throwaway environment, --insecure skips verification"),
        "{finding}"
    );
}

#[tokio::test]
async fn a_wrong_host_name_is_a_finding_listing_the_names_it_holds() {
    let (_implementation, gateway) = behind_gateway(GatewayTls::with("wrong-host.pem")).await;
    let ca = tls_fixture("ca.pem");
    let run = verify(&[
        "--target",
        &gateway.url,
        "--filter",
        EXAMPLE,
        "--ca-cert",
        &ca,
    ])
    .await;
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let finding = transport_finding(&run);
    assert!(
        finding.contains(": TLS: the target's certificate is not valid for `127.0.0.1` (it names `staging.example.com`): use a --target URL with one of those names; for a throwaway environment, --insecure skips verification"),
        "{finding}"
    );
}

/// A gateway demanding a client certificate from the test client CA.
fn mutual(tls12_only: bool) -> GatewayTls {
    GatewayTls {
        client_ca: Some("client-ca.pem"),
        tls12_only,
        ..GatewayTls::with("server.pem")
    }
}

/// The base64 lines of a key fixture: what must never be printed.
fn key_lines(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(tls_fixture(name))).unwrap();
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_string)
        .collect();
    assert!(lines.len() >= 2, "{name} has its key material");
    lines
}

#[tokio::test]
async fn mutual_tls_accepts_each_key_format_and_never_shows_the_key() {
    let (_implementation, gateway) = behind_gateway(mutual(false)).await;
    let ca = tls_fixture("ca.pem");
    let base = [
        "--target",
        &gateway.url,
        "--filter",
        EXAMPLE,
        "--ca-cert",
        &ca,
    ];
    for (cert, key) in [
        ("client.pem", "client.pkcs8.key"),
        ("client.pem", "client.pkcs1.key"),
    ] {
        let (cert, key_file) = (tls_fixture(cert), tls_fixture(key));
        let mut args = base.to_vec();
        args.extend(["--client-cert", &cert, "--client-key", &key_file]);
        let run = verify(&args).await;
        assert_eq!(run.code, 0, "{key}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout
                .contains("; client certificate file tests/fixtures/tls/client.pem (SHA-256 "),
            "{}",
            run.stdout
        );
    }
    // A SEC1 key from an environment variable, as CI secrets hand keys over.
    let key_text = std::fs::read_to_string(root().join(tls_fixture("client-ec.sec1.key"))).unwrap();
    let cert = tls_fixture("client-ec.pem");
    let mut args = vec!["verify", ISSUE_CARD];
    args.extend(base);
    args.extend([
        "--client-cert",
        &cert,
        "--client-key-env",
        "CONFORM_TEST_CLIENT_KEY",
    ]);
    let [(name, roots)] = unrelated_roots();
    let env = [
        (name, roots.as_str()),
        ("CONFORM_TEST_CLIENT_KEY", key_text.as_str()),
        ("CONFORM_SNAPSHOTS", "off"),
    ];
    let run = conform_with(&root(), &args, &env, None).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let output = format!("{}{}", run.stdout, run.stderr);
    for line in key_lines("client-ec.sec1.key") {
        assert!(!output.contains(&line), "key material printed");
    }
}

#[tokio::test]
async fn a_missing_client_certificate_is_a_finding_naming_the_flags() {
    let ca = tls_fixture("ca.pem");
    for tls12_only in [false, true] {
        let (_implementation, gateway) = behind_gateway(mutual(tls12_only)).await;
        let args = [
            "--target",
            &gateway.url,
            "--filter",
            EXAMPLE,
            "--ca-cert",
            &ca,
        ];
        let run = verify(&args).await;
        assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
        let finding = transport_finding(&run);
        assert!(
            finding.contains("(mutual TLS)")
                && finding.contains("give it with --client-cert FILE and --client-key FILE (or `clientCert` and `clientKey` in the target profile)"),
            "TLS 1.2 only: {tls12_only}: {finding}"
        );
    }
}

#[tokio::test]
async fn a_client_certificate_from_another_ca_is_a_finding_saying_it_was_refused() {
    let (_implementation, gateway) = behind_gateway(mutual(false)).await;
    let (ca, cert, key) = (
        tls_fixture("ca.pem"),
        tls_fixture("rogue-client.pem"),
        tls_fixture("rogue-client.key"),
    );
    let run = verify(&[
        "--target",
        &gateway.url,
        "--filter",
        EXAMPLE,
        "--ca-cert",
        &ca,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
    ])
    .await;
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let finding = transport_finding(&run);
    assert!(
        finding.contains(": TLS: the target refused the client certificate (alert UnknownCA): it must be issued by an authority the target trusts for clients"),
        "{finding}"
    );
}

#[tokio::test]
async fn insecure_is_marked_in_every_report_and_no_report_shows_the_client_key() {
    let expired_mutual = GatewayTls {
        cert: "expired.pem",
        ..mutual(false)
    };
    let (_implementation, gateway) = behind_gateway(expired_mutual).await;
    let (cert, key) = (tls_fixture("client.pem"), tls_fixture("client.pkcs1.key"));
    let rendered = Rendered::of(&[
        "--target",
        &gateway.url,
        "--filter",
        EXAMPLE,
        "--insecure",
        "--client-cert",
        &cert,
        "--client-key",
        &key,
    ])
    .await;
    let run = &rendered.run;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .starts_with("warning: --insecure: the target's TLS certificate is not verified"),
        "{}",
        run.stderr
    );
    rendered.assert_verdict(
        "PARTIAL",
        &["filtered", "tls-not-verified", "snapshots-off"],
    );
    let tls = &rendered.json["run"]["scope"]["tls"];
    assert_eq!(tls["verified"], false, "{tls}");
    // openssl x509 -in tests/fixtures/tls/client.pem -outform DER | sha256sum
    let client = "d28111e75f2d8d8cf19c531ca1b774df36e62a1b27ce9bf46c69fbcfc5a35563";
    assert_eq!(tls["client_certificate"]["sha256"], client);
    let unverified = "target certificate NOT VERIFIED (--insecure)";
    let junit = &rendered.junit["scope.tls"];
    assert!(
        junit.starts_with(unverified) && junit.contains(client),
        "{junit}"
    );
    let markdown = &rendered.markdown;
    assert!(
        markdown.contains(&format!("| TLS | {unverified}")),
        "{markdown}"
    );
    assert!(
        markdown.contains("TLS not verified (--insecure)"),
        "{markdown}"
    );
    let html = &rendered.html;
    assert!(
        html.contains(&format!("<dt>TLS</dt><dd>{unverified}")),
        "html"
    );
    let everything = [
        run.stdout.clone(),
        run.stderr.clone(),
        rendered.json.to_string(),
        rendered.junit_text.clone(),
        markdown.clone(),
        html.clone(),
    ]
    .concat();
    for line in key_lines("client.pkcs1.key") {
        assert!(!everything.contains(&line), "key material in a report");
    }
}

#[tokio::test]
async fn a_verified_https_run_states_it_and_a_plain_one_has_no_tls_scope() {
    let (_implementation, gateway) = behind_gateway(GatewayTls::with("server.pem")).await;
    let ca = tls_fixture("ca.pem");
    let rendered = Rendered::of(&[
        "--target",
        &gateway.url,
        "--filter",
        EXAMPLE,
        "--ca-cert",
        &ca,
    ])
    .await;
    let tls = &rendered.json["run"]["scope"]["tls"];
    assert_eq!(tls["verified"], true, "{tls}");
    assert_eq!(
        tls["extra_roots"][0]["source"],
        "file tests/fixtures/tls/ca.pem"
    );
    assert_eq!(tls["client_certificate"], Value::Null);
    rendered.assert_verdict("PARTIAL", &["filtered", "snapshots-off"]);
    let plain = issue_card::serve(Defects::default()).await;
    let rendered = Rendered::of(&["--target", &plain.uri(), "--filter", EXAMPLE]).await;
    assert_eq!(rendered.json["run"]["scope"]["tls"], Value::Null);
    assert!(
        !rendered.run.stdout.contains("\n  tls "),
        "{}",
        rendered.run.stdout
    );
}

#[tokio::test]
async fn unusable_tls_files_are_usage_errors_that_name_the_file() {
    let ca = tls_fixture("ca.pem");
    let key = tls_fixture("client.pkcs8.key");
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec!["--client-key", &key],
            "error: a client key needs its certificate: add --client-cert FILE (or `clientCert` in the target profile)",
        ),
        (
            vec!["--ca-cert", &key],
            "error: CA certificate from file `tests/fixtures/tls/client.pkcs8.key`: no certificate found (expected a PEM block `-----BEGIN CERTIFICATE-----`)",
        ),
        (
            vec![
                "--client-cert",
                "tests/fixtures/tls/client.pem",
                "--client-key",
                "tests/fixtures/tls/client-ec.sec1.key",
            ],
            "error: client key from file `tests/fixtures/tls/client-ec.sec1.key`: the key does not belong to the client certificate",
        ),
        (
            vec!["--ca-cert", "tests/fixtures/tls/missing.pem"],
            "error: cannot read CA certificate file `tests/fixtures/tls/missing.pem`: No such file or directory (os error 2)",
        ),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["--target", "https://127.0.0.1:9", "--filter", EXAMPLE];
        args.extend(flags);
        let run = verify(&args).await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert_eq!(run.stderr.trim_end(), expected);
    }
    let run = verify(&["--insecure", "--ca-cert", &ca]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

#[tokio::test]
async fn tls_options_against_a_plain_http_target_are_pointed_out() {
    let ca = tls_fixture("ca.pem");
    let run = conform(&["verify", "--filter", EXAMPLE, "--ca-cert", &ca]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr.trim_end(),
        "warning: the TLS options have no effect: the embedded target is plain HTTP"
    );
}

#[tokio::test]
async fn serve_refuses_unusable_tls_files_before_listening() {
    let run = conform(&[
        "serve",
        "--port",
        "0",
        "--tls-cert",
        "tests/fixtures/tls/server.pem",
        "--tls-key",
        "tests/fixtures/tls/rogue-client.key",
    ])
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim_end(),
        "error: TLS key from file `tests/fixtures/tls/rogue-client.key`: the key does not belong to the TLS certificate"
    );
    let run = conform(&[
        "serve",
        "--port",
        "0",
        "--tls-cert",
        "tests/fixtures/tls/server.pem",
    ])
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--tls-key <FILE>"), "{}", run.stderr);
}
