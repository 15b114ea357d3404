//! `verify --target-config`: a profile file supplies the target and its keys, flags override
//! it, mistakes are usage errors, and no secret ever reaches the output or the report.

use std::path::Path;

use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::signing_support::{key, key_text, secret_lines, signed_serve};
use crate::util::{ISSUE_CARD, conform, conform_with, root};

/// A folder holding `target.json` (with `profile`) and the client key under `keys/`.
fn profile_dir(profile: serde_json::Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keys")).unwrap();
    std::fs::write(
        dir.path().join("keys/client.pem"),
        key_text("test_rsa2048_pkcs8.pem"),
    )
    .unwrap();
    std::fs::write(dir.path().join("target.json"), profile.to_string()).unwrap();
    dir
}

fn config_arg(dir: &Path) -> String {
    dir.join("target.json").display().to_string()
}

#[tokio::test]
async fn profile_file_supplies_url_client_id_and_keys_from_file_and_env() {
    let served = signed_serve().await;
    let dir = profile_dir(json!({
        "$schema": "../docs/target.schema.json",
        "baseUrl": format!("{}/api/open", served.url),
        "clientId": "TEST_5X00000000000000",
        "privateKey": {"file": "keys/client.pem"},
        "publicKey": {"env": "CONFORM_TEST_PLATFORM_KEY"},
    }));
    let config = config_arg(dir.path());
    let spki = key_text("test_rsa2048_pub_spki.pem");
    let env = [("CONFORM_TEST_PLATFORM_KEY", spki.as_str())];
    let args = [
        "verify",
        ISSUE_CARD,
        "--target-config",
        &config,
        "--filter",
        "*/example/*",
    ];
    let run = conform_with(&root(), &args, &env, None).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains(&format!("target {}/api/open", served.url)),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("signature                        1       0       0"),
        "{}",
        run.stdout
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let elsewhere = format!("http://127.0.0.1:{port}");
    let flags = [&args[..], &["--target", &elsewhere]].concat();
    let overridden = conform_with(&root(), &flags, &env, None).await;
    assert_eq!(overridden.code, 1, "--target wins over baseUrl");
    assert!(
        overridden.stdout.contains(&format!("target {elsewhere}")),
        "{}",
        overridden.stdout
    );
}

#[tokio::test]
async fn profile_mistakes_are_usage_errors_with_a_clear_message() {
    let cases = [
        (
            json!({"clientId": "C", "privatKey": {"file": "keys/client.pem"}}),
            "unknown field `privatKey`",
        ),
        (
            json!({"clientId": "C", "privateKey": {"path": "keys/client.pem"}}),
            "unknown variant `path`, expected `file` or `env`",
        ),
        (
            json!({"clientId": "C", "privateKey": {"file": "keys/missing.pem"}}),
            "cannot read private key file",
        ),
        (
            json!({"clientId": "C", "publicKey": {"file": "keys/client.pem"}}),
            "found a private key where a public key is needed",
        ),
        (
            json!({"privateKey": {"file": "keys/client.pem"}}),
            "signing needs a Client-Id",
        ),
        (
            json!({"clientId": "has space", "privateKey": {"file": "keys/client.pem"}}),
            "client id `has space` must be printable ASCII",
        ),
    ];
    for (profile, expected) in cases {
        let dir = profile_dir(profile.clone());
        let run = conform(&[
            "verify",
            ISSUE_CARD,
            "--target-config",
            &config_arg(dir.path()),
        ])
        .await;
        assert_eq!(run.code, 2, "{profile}");
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        assert!(run.stderr.contains(expected), "{profile}: {}", run.stderr);
        for line in secret_lines("test_rsa2048_pkcs8.pem") {
            assert!(
                !run.stderr.contains(&line),
                "key material echoed: {}",
                run.stderr
            );
        }
    }
    let missing = conform(&[
        "verify",
        ISSUE_CARD,
        "--target-config",
        "no/such/target.json",
    ])
    .await;
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("cannot read target config `no/such/target.json`")
    );
}

#[tokio::test]
async fn secrets_never_reach_output_or_reports() {
    let server = MockServer::start().await;
    let bad_signature = "algorithm=RSA256,keyVersion=1,signature=AAAA";
    let body = json!({"cardNo": "0111645086", "result": {"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "Success"}});
    let answer = ResponseTemplate::new(200)
        .insert_header("Response-Time", "2024-01-01T12:00:00+08:00")
        .insert_header("Signature", bad_signature)
        .set_body_json(body);
    Mock::given(method("POST"))
        .respond_with(answer)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let spec = format!("json={}", report.display());
    let pkcs1 = key("test_rsa2048_pkcs1.pem");
    let spki = key("test_rsa2048_pub_spki.pem");
    let args = [
        "verify",
        ISSUE_CARD,
        "--target",
        &server.uri(),
        "--client-id",
        "C1",
        "--private-key",
        &pkcs1,
        "--public-key",
        &spki,
        "--filter",
        "*/example/*",
        "--report",
        &spec,
    ];
    let run = conform(&args).await;
    assert_eq!(
        run.code, 1,
        "the answers' signatures are bad: {}",
        run.stdout
    );
    let report = std::fs::read_to_string(&report).unwrap();
    assert!(
        report.contains(r#""check":"signature","outcome":"fail""#),
        "{report}"
    );

    let sent: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.headers
                .get("signature")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(!sent.is_empty());
    let mut secrets = secret_lines("test_rsa2048_pkcs1.pem");
    for header in &sent {
        secrets.push(header.clone());
        secrets.push(header.rsplit("signature=").next().unwrap().to_string());
    }
    for text in [&run.stdout, &run.stderr, &report] {
        for line in text.lines() {
            for secret in &secrets {
                assert!(!line.contains(secret.as_str()), "secret in output: {line}");
            }
        }
    }
}

#[tokio::test]
async fn a_token_the_target_echoes_stays_hidden_where_its_message_is_cut_short() {
    let token = "sk_live_9fQ2xLr7Vb3mKp8ZtW4nHc6YdJ1sGe5A";
    let server = MockServer::start().await;
    // A refusal quoting the credential, long enough that messages show it cut short.
    let message = format!("invalid request; the credential sent was Bearer {token}, refused");
    let body = json!({"result": {"resultStatus": "F", "resultCode": "PARAM_ILLEGAL", "resultMessage": message}});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let header = format!("Authorization: Bearer {token}");
    let spec = format!("json={}", report.display());
    let args = [
        "verify",
        ISSUE_CARD,
        "--target",
        &server.uri(),
        "--header",
        &header,
        "--filter",
        "*/example/*",
        "--snapshots",
        "off",
        "--report",
        &spec,
    ];
    let run = conform(&args).await;
    assert_eq!(run.code, 1, "every answer is a refusal: {}", run.stdout);
    assert!(
        run.stdout.contains("the credential sent was ***"),
        "the message is quoted, the token not: {}",
        run.stdout
    );
    let report = std::fs::read_to_string(&report).unwrap();
    let windows: Vec<&str> = (0..=token.len() - 8).map(|i| &token[i..i + 8]).collect();
    for text in [&run.stdout, &run.stderr, &report] {
        for window in &windows {
            assert!(!text.contains(window), "part of the token shown: {text}");
        }
    }
}

#[tokio::test]
async fn a_target_url_refused_is_shown_without_its_password_or_query_values() {
    for (url, shown) in [
        (
            "http://user:PASSWD777@127.0.0.1:39101/?api_key=QKEY888",
            "invalid target `http://***@127.0.0.1:39101/?api_key=***`: a base URL cannot carry a query",
        ),
        (
            "http://user:PASSWD777@127.0.0.1:99999/",
            "invalid target `http://***@127.0.0.1:99999/`: invalid port number",
        ),
    ] {
        let run = conform(&["verify", ISSUE_CARD, "--target", url]).await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(shown), "{}", run.stderr);
        for secret in ["PASSWD777", "QKEY888"] {
            assert!(!run.stderr.contains(secret), "{}", run.stderr);
            assert!(!run.stdout.contains(secret), "{}", run.stdout);
        }
    }
}

#[tokio::test]
async fn a_key_or_a_credential_given_where_it_does_not_belong_is_never_repeated() {
    let key = key_text("test_rsa2048_pkcs8.pem");
    let dir = tempfile::tempdir().unwrap();
    let inline = dir.path().join("inline.json");
    let profile = json!({"baseUrl": "http://127.0.0.1:9", "clientId": "C1", "privateKey": key});
    std::fs::write(&inline, profile.to_string()).unwrap();
    let as_file = dir.path().join("as-file.json");
    let profile =
        json!({"baseUrl": "http://127.0.0.1:9", "clientId": "C1", "privateKey": {"file": key}});
    std::fs::write(&as_file, profile.to_string()).unwrap();
    let runs = [
        conform(&["verify", ISSUE_CARD, "--private-key", &key]).await,
        conform(&[
            "verify",
            ISSUE_CARD,
            "--target-config",
            inline.to_str().unwrap(),
        ])
        .await,
        conform(&[
            "verify",
            ISSUE_CARD,
            "--target-config",
            as_file.to_str().unwrap(),
        ])
        .await,
        conform(&[
            "verify",
            ISSUE_CARD,
            "--header",
            "Authorization: Bearer TOPSECRET123\u{1}",
        ])
        .await,
        conform(&[
            "verify",
            ISSUE_CARD,
            "--header",
            "Authorization Bearer TOPSECRET123",
        ])
        .await,
    ];
    for run in runs {
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        for line in secret_lines("test_rsa2048_pkcs8.pem") {
            assert!(
                !run.stderr.contains(&line),
                "key text shown: {}",
                run.stderr
            );
        }
        assert!(!run.stderr.contains("TOPSECRET123"), "{}", run.stderr);
    }
}

#[tokio::test]
async fn a_404_names_the_path_it_answered_so_a_wrong_base_url_shows() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            wiremock::ResponseTemplate::new(404).set_body_string("{\"error\":\"no such path\"}"),
        )
        .mount(&server)
        .await;
    let base = format!("{}/api", server.uri());
    let run = conform(&[
        "verify",
        "examples/cards-api/create-card.json",
        "examples/cards-api/get-card.json",
        "--target",
        &base,
        "--filter",
        "*/example/*",
    ])
    .await;
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "got 404 for POST /api/v1/cards (body \"{\\\"error\\\":\\\"no such path\\\"}\"): does the target serve this path? check the --target base URL"
        ),
        "{}",
        run.stdout
    );
    // A read's set-up creates its card first: the same hint, for the request it sent.
    assert!(
        run.stdout.contains("answered HTTP 404")
            && run
                .stdout
                .contains(" for POST /api/v1/cards: does the target serve this path?"),
        "{}",
        run.stdout
    );
}
