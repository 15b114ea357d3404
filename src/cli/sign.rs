//! `conform sign`: the string to sign and the `Signature` header of one message, or the check
//! of a given signature, printed byte-exact so integrators can compare with their own signer.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use super::CliError;
use super::args::{SignArgs, SignPart};
use super::keys::{required_private_key, required_public_key};
use crate::exit;
use crate::signing::{self, ALGORITHM, SignatureHeader, VerifyError};

/// Signs (or, with `--verify`, checks) the message the arguments describe.
pub(super) fn sign(args: SignArgs) -> Result<u8, CliError> {
    let body = read_body(&args)?;
    let content =
        signing::content_to_sign(&args.method, &args.path, &args.client_id, &args.time, &body);
    let out = match &args.verify {
        Some(given) => {
            let key = required_public_key(&args.keys)?;
            verify(&key, &content, given)
        }
        // The string to sign needs no key: it is what an integrator compares first.
        None if args.print == Some(SignPart::Content) => Output {
            bytes: content,
            code: exit::SUCCESS,
        },
        None => {
            let key = required_private_key(&args.keys)?;
            let version = args.keys.key_version.unwrap_or(1).to_string();
            Output {
                bytes: signed(&key, &version, &content, args.print),
                code: exit::SUCCESS,
            }
        }
    };
    // Raw bytes on purpose: the string to sign must come out exactly as signed.
    let mut stdout = std::io::stdout().lock();
    (stdout.write_all(&out.bytes))
        .and_then(|()| stdout.flush())
        .map_err(CliError::io("cannot write to standard output"))?;
    Ok(out.code)
}

struct Output {
    bytes: Vec<u8>,
    code: u8,
}

/// `String to sign (N bytes):`, the string, a newline, then `Signature: <header value>`.
fn signed(
    key: &signing::PrivateKey,
    version: &str,
    content: &[u8],
    part: Option<SignPart>,
) -> Vec<u8> {
    let value = signing::sign(key, content);
    let header = SignatureHeader {
        algorithm: ALGORITHM.to_string(),
        key_version: version.to_string(),
        signature: value.clone(),
    }
    .render();
    match part {
        Some(SignPart::Header) => format!("{header}\n").into_bytes(),
        Some(SignPart::Signature) => format!("{value}\n").into_bytes(),
        Some(SignPart::Content) => content.to_vec(),
        None => {
            let mut out = with_content(content);
            out.extend_from_slice(format!("Signature: {header}\n").as_bytes());
            out
        }
    }
}

/// `verified: ...` (exit 0), or `not verified: <why>` (exit 1), followed for a mismatch by the
/// string to sign so the integrator can compare it with theirs.
fn verify(key: &signing::PublicKey, content: &[u8], given: &str) -> Output {
    match signing::verify(key, content, &as_header(given)) {
        Ok(()) => Output {
            bytes: format!(
                "verified: signature matches the string to sign ({} bytes)\n",
                content.len()
            )
            .into_bytes(),
            code: exit::SUCCESS,
        },
        Err(err) => {
            let mut bytes = format!("not verified: {err}\n").into_bytes();
            if matches!(err, VerifyError::Mismatch) {
                bytes.extend(with_content(content));
            }
            Output {
                bytes,
                code: exit::CHECKS_FAILED,
            }
        }
    }
}

/// The string to sign between a line giving its size and a newline that is not part of it.
fn with_content(content: &[u8]) -> Vec<u8> {
    let mut out = format!("String to sign ({} bytes):\n", content.len()).into_bytes();
    out.extend_from_slice(content);
    out.push(b'\n');
    out
}

/// A header value as given (`Signature: ` in front is dropped), or a bare signature wrapped in
/// one. Bare base64 has no comma and no part name in front.
fn as_header(given: &str) -> String {
    let given = given.trim();
    let given = match given.get(..10) {
        Some(prefix) if prefix.eq_ignore_ascii_case("signature:") => given[10..].trim(),
        _ => given,
    };
    let parts = ["algorithm=", "keyVersion=", "signature="];
    if given.contains(',') || parts.iter().any(|p| given.starts_with(p)) {
        given.to_string()
    } else {
        format!("algorithm={ALGORITHM},signature={given}")
    }
}

/// The body, byte for byte: `--body`, `--body-file`, or standard input.
fn read_body(args: &SignArgs) -> Result<Vec<u8>, CliError> {
    if let Some(text) = &args.body {
        return Ok(text.as_bytes().to_vec());
    }
    match &args.body_file {
        Some(path) if path != Path::new("-") => std::fs::read(path).map_err(|e| {
            CliError::usage(format!("cannot read body file `{}`: {e}", path.display()))
        }),
        _ => {
            let mut stdin = std::io::stdin().lock();
            if stdin.is_terminal() {
                eprintln!("reading the body from standard input (end it with Ctrl-D)");
            }
            let mut body = Vec::new();
            stdin
                .read_to_end(&mut body)
                .map_err(CliError::io("cannot read the body from standard input"))?;
            Ok(body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::as_header;

    #[test]
    fn wraps_bare_signatures_and_keeps_header_values() {
        let header = "algorithm=RSA256,keyVersion=1,signature=ab%2B";
        assert_eq!(as_header(header), header);
        assert_eq!(as_header(&format!("Signature: {header}")), header);
        assert_eq!(
            as_header(" ab%2Bc%3D "),
            "algorithm=RSA256,signature=ab%2Bc%3D"
        );
        assert_eq!(as_header("ab+c="), "algorithm=RSA256,signature=ab+c=");
        assert_eq!(as_header("signature=x"), "signature=x");
    }
}
