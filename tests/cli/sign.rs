//! `conform sign`: the SDK's vector and independent openssl vectors reproduced byte for byte,
//! every key shape, bodies taken byte for byte, and `--verify` saying why a signature fails.

use crate::signing_support::{
    Vector, conform_owned, key, key_text, openssl_vector, sdk_vector, secret_lines,
};
use crate::util::{conform_with, root};

const PKCS8: &str = "test_rsa2048_pkcs8.pem";
const PKCS1: &str = "test_rsa2048_pkcs1.pem";
const SPKI: &str = "test_rsa2048_pub_spki.pem";
const OPENSSL: [&str; 3] = [
    "request-non-ascii-gateway-prefix-fractional-time",
    "response-fractional-time",
    "body-with-trailing-newline",
];

fn with(mut args: Vec<String>, extra: &[&str]) -> Vec<String> {
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

fn signing(vector: &Vector, extra: &[&str]) -> Vec<String> {
    with(
        vector.sign_args(),
        &[&["--private-key", &key(PKCS8)], extra].concat(),
    )
}

fn verifying(vector: &Vector, signature: &str, public: &str) -> Vec<String> {
    with(
        vector.sign_args(),
        &["--verify", signature, "--public-key", &key(public)],
    )
}

fn mismatch_output(content: &str) -> String {
    format!(
        "not verified: signature does not match the string to sign\nString to sign ({} bytes):\n{content}\n",
        content.len()
    )
}

#[tokio::test]
async fn sign_reproduces_the_sdk_vector_byte_for_byte() {
    let v = sdk_vector();
    let run = conform_owned(&signing(&v, &[])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = format!(
        "String to sign ({} bytes):\n{}\nSignature: {}\n",
        v.content_to_sign.len(),
        v.content_to_sign,
        v.header
    );
    assert_eq!(run.stdout, expected);
    assert_eq!(run.stderr, "");
}

#[tokio::test]
async fn print_gives_each_part_alone_for_scripts() {
    let v = sdk_vector();
    let header = conform_owned(&signing(&v, &["--print", "header"])).await;
    assert_eq!(header.stdout, format!("{}\n", v.header));
    let value = conform_owned(&signing(&v, &["--print", "signature"])).await;
    assert_eq!(value.stdout, format!("{}\n", v.signature_urlencoded));
    let content = conform_owned(&signing(&v, &["--print", "content"])).await;
    let raw = std::fs::read(root().join(key("content_to_sign.txt"))).unwrap();
    assert_eq!(content.stdout.as_bytes(), raw.as_slice());
}

#[tokio::test]
async fn print_content_needs_no_key() {
    let v = sdk_vector();
    let run = conform_owned(&with(v.sign_args(), &["--print", "content"])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let raw = std::fs::read(root().join(key("content_to_sign.txt"))).unwrap();
    assert_eq!(run.stdout.as_bytes(), raw.as_slice());
    let header = conform_owned(&with(v.sign_args(), &["--print", "header"])).await;
    assert_eq!(header.code, 2, "a signature still needs the key");
    assert!(
        header.stderr.contains("signing needs the private key"),
        "{}",
        header.stderr
    );
}

#[tokio::test]
async fn every_private_key_shape_gives_the_sdk_signature() {
    let v = sdk_vector();
    let bare = |name: &str| -> String {
        let text = key_text(name);
        text.lines().filter(|l| !l.starts_with("-----")).collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let bare_pkcs1 = dir.path().join("pkcs1.b64");
    std::fs::write(&bare_pkcs1, bare(PKCS1)).unwrap();
    // (flag, its value, the key text in CONFORM_TEST_KEY when the flag names the variable)
    let shapes = [
        ("--private-key", key(PKCS8), None),
        ("--private-key", key(PKCS1), None),
        ("--private-key", bare_pkcs1.display().to_string(), None),
        (
            "--private-key-env",
            "CONFORM_TEST_KEY".into(),
            Some(bare(PKCS8)),
        ),
        (
            "--private-key-env",
            "CONFORM_TEST_KEY".into(),
            Some(key_text(PKCS1)),
        ),
    ];
    for (flag, value, env) in shapes {
        let args = with(v.sign_args(), &["--print", "signature", flag, &value]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env
            .iter()
            .map(|text| ("CONFORM_TEST_KEY", text.as_str()))
            .collect();
        let run = conform_with(&root(), &args, &env, None).await;
        assert_eq!(run.code, 0, "{flag} {value}: {}", run.stderr);
        let expected = format!("{}\n", v.signature_urlencoded);
        assert_eq!(run.stdout, expected, "{flag} {value} {}", env.len());
    }
}

#[tokio::test]
async fn reproduces_independent_openssl_signatures() {
    for name in OPENSSL {
        let v = openssl_vector(name);
        let run = conform_owned(&signing(&v, &[])).await;
        let expected = format!(
            "String to sign ({} bytes):\n{}\nSignature: {}\n",
            v.content_to_sign.len(),
            v.content_to_sign,
            v.header
        );
        assert_eq!(run.stdout, expected, "{name}");
    }
}

#[tokio::test]
async fn body_is_taken_byte_for_byte_from_argument_file_or_stdin() {
    let v = openssl_vector("body-with-trailing-newline");
    assert!(v.body.ends_with('\n'));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.json");
    std::fs::write(&file, &v.body).unwrap();
    let base = vec![
        "sign",
        "--path",
        &v.path,
        "--client-id",
        &v.client_id,
        "--time",
        &v.time,
        "--private-key",
        "tests/fixtures/signing/test_rsa2048_pkcs8.pem",
        "--print",
        "signature",
    ];
    let file_arg = file.display().to_string();
    let expected = format!("{}\n", v.signature_urlencoded);
    let from_file = conform_with(
        &root(),
        &[&base[..], &["--body-file", &file_arg]].concat(),
        &[],
        None,
    )
    .await;
    assert_eq!(from_file.stdout, expected, "{}", from_file.stderr);
    let from_arg = conform_with(
        &root(),
        &[&base[..], &["--body", &v.body]].concat(),
        &[],
        None,
    )
    .await;
    assert_eq!(from_arg.stdout, expected);
    let from_stdin = conform_with(&root(), &base, &[], Some(v.body.as_bytes())).await;
    assert_eq!(from_stdin.stdout, expected);
    let dash = conform_with(
        &root(),
        &[&base[..], &["--body-file", "-"]].concat(),
        &[],
        Some(v.body.as_bytes()),
    )
    .await;
    assert_eq!(dash.stdout, expected);
    let trimmed = v.body.trim_end();
    let without_newline = conform_with(
        &root(),
        &[&base[..], &["--body", trimmed]].concat(),
        &[],
        None,
    )
    .await;
    assert_eq!(without_newline.code, 0);
    assert_ne!(
        without_newline.stdout, expected,
        "the trailing newline is signed"
    );
}

#[tokio::test]
async fn verify_accepts_header_values_and_bare_signatures() {
    let v = sdk_vector();
    let spellings = [
        v.header.clone(),
        format!("Signature: {}", v.header),
        v.header.replace(',', ", "),
        v.signature_urlencoded.clone(),
        v.signature_base64.clone(),
    ];
    for given in spellings {
        let run = conform_owned(&verifying(&v, &given, SPKI)).await;
        assert_eq!(run.code, 0, "{given}: {}", run.stdout);
        let expected = format!(
            "verified: signature matches the string to sign ({} bytes)\n",
            v.content_to_sign.len()
        );
        assert_eq!(run.stdout, expected);
    }
}

#[tokio::test]
async fn verify_checks_answers_with_the_response_time() {
    let v = openssl_vector("response-fractional-time");
    let mut args = verifying(&v, &v.header, SPKI);
    let at = args.iter().position(|a| a == "--time").unwrap();
    args[at] = "--response-time".into();
    let run = conform_owned(&args).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    args[at + 1] = "2024-01-01T12:00:01.50+08:00".into();
    let run = conform_owned(&args).await;
    assert_eq!(run.code, 1, "the time is signed verbatim: .5 is not .50");
}

#[tokio::test]
async fn verify_rejects_tampered_body_time_path_and_key_showing_the_string_to_sign() {
    let v = openssl_vector("request-non-ascii-gateway-prefix-fractional-time");
    let tamper = |flag: &str, value: &str| {
        let mut args = verifying(&v, &v.header, SPKI);
        let at = args.iter().position(|a| a == flag).unwrap();
        args[at + 1] = value.to_string();
        args
    };
    let head = |path: &str, time: &str| format!("{} {path}\n{}.{time}.", v.method, v.client_id);
    let cases = [
        (
            tamper("--body", r#"{"name":"张四"}"#),
            format!("{}{{\"name\":\"张四\"}}", head(&v.path, &v.time)),
        ),
        (
            tamper("--time", "2024-01-01T12:00:00.124+08:00"),
            format!(
                "{}{}",
                head(&v.path, "2024-01-01T12:00:00.124+08:00"),
                v.body
            ),
        ),
        (
            tamper("--path", "/v2/pds/memberships/issueCard"),
            format!(
                "{}{}",
                head("/v2/pds/memberships/issueCard", &v.time),
                v.body
            ),
        ),
        (
            verifying(&v, &v.header, "other_rsa2048_pub_spki.pem"),
            v.content_to_sign.clone(),
        ),
    ];
    for (args, content) in cases {
        let run = conform_owned(&args).await;
        assert_eq!(run.code, 1, "{args:?}");
        assert_eq!(run.stdout, mismatch_output(&content), "{args:?}");
    }
    let untouched = conform_owned(&verifying(&v, &v.header, SPKI)).await;
    assert_eq!(untouched.code, 0, "{}", untouched.stdout);
}

#[tokio::test]
async fn verify_says_why_a_malformed_signature_fails() {
    let v = sdk_vector();
    let cases = [
        (
            "algorithm=RSA256,keyVersion=1",
            "malformed signature header: signature header has no signature part",
        ),
        (
            "algorithm=HmacSHA256,signature=abc",
            "unsupported signature algorithm \"HmacSHA256\"; only RSA256 is defined",
        ),
        (
            "algorithm=RSA256,signature=not*base64",
            "signature is not standard base64 after url-decoding: ",
        ),
        (
            "AAAA",
            "signature is 3 bytes but this key makes 256-byte signatures",
        ),
    ];
    for (given, reason) in cases {
        let run = conform_owned(&verifying(&v, given, SPKI)).await;
        assert_eq!(run.code, 1, "{given}");
        assert!(
            run.stdout.starts_with(&format!("not verified: {reason}")),
            "{given}: {}",
            run.stdout
        );
        assert!(!run.stdout.contains("String to sign"), "{given}");
    }
}

#[tokio::test]
async fn usage_errors_exit_2_and_never_echo_key_material() {
    let v = sdk_vector();
    let no_key = conform_owned(&v.sign_args()).await;
    assert_eq!(no_key.code, 2);
    assert!(
        no_key.stderr.contains("signing needs the private key"),
        "{}",
        no_key.stderr
    );
    let no_public = conform_owned(&with(v.sign_args(), &["--verify", &v.header])).await;
    assert_eq!(no_public.code, 2);
    assert!(
        no_public
            .stderr
            .contains("--verify needs the signer's public key")
    );
    let swapped = conform_owned(&with(v.sign_args(), &["--private-key", &key(SPKI)])).await;
    assert_eq!(swapped.code, 2);
    assert!(
        swapped
            .stderr
            .contains("found a public key where a private key is needed")
    );
    let private_as_public = conform_owned(&with(
        v.sign_args(),
        &["--verify", &v.header, "--public-key", &key(PKCS8)],
    ))
    .await;
    assert_eq!(private_as_public.code, 2);
    for run in [&swapped, &private_as_public] {
        for line in secret_lines(PKCS8).iter().chain(&secret_lines(SPKI)) {
            assert!(!run.stderr.contains(line.as_str()) && !run.stdout.contains(line.as_str()));
        }
    }
    let unset = conform_owned(&with(
        v.sign_args(),
        &["--private-key-env", "CONFORM_TEST_UNSET_KEY"],
    ))
    .await;
    assert_eq!(unset.code, 2);
    assert!(
        unset
            .stderr
            .contains("environment variable `CONFORM_TEST_UNSET_KEY` is not set")
    );
    let both = conform_owned(&with(
        v.sign_args(),
        &["--body-file", "x", "--private-key", &key(PKCS8)],
    ))
    .await;
    assert_eq!(both.code, 2, "--body and --body-file conflict");
}
