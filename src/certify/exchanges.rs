//! The exchanges of a certification: every request and answer of every case, written as one
//! JSON file per case under `exchanges/`, with secrets redacted as everywhere else: values of
//! headers that carry credentials or signatures (by name, or marked sensitive when sent) become
//! `[redacted]`, and any secret value of the run's target headers is replaced by `***` wherever
//! it appears (URL, header, body), since targets like to echo tokens.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use reqwest::header::HeaderMap;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::contract::Contract;
use crate::observe::Exchange;
use crate::run::Evidence;
use crate::signing::REDACTED;
use crate::target::Secrets;
use crate::target::headers::is_secret_name;

/// The folder of the bundle the exchange files go in.
pub(crate) const FOLDER: &str = "exchanges";

/// Writes each case's exchanges as it completes; the first error is kept and ends the writing
/// (the bundle is then reported as not written).
#[derive(Debug)]
pub(crate) struct ExchangeFiles {
    folder: PathBuf,
    error: Mutex<Option<String>>,
}

#[derive(Serialize)]
struct CaseFile<'a> {
    contract: &'a str,
    case: &'a str,
    exchanges: Vec<Shown>,
}

#[derive(Serialize)]
struct Shown {
    /// `main`, `replay 1 of 2`, `settle try 1 of 3`, `step 2 (read)`.
    request_of: String,
    request: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<Message>,
    /// Why no answer came back (a time-out, a refused connection).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct Message {
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    headers: Vec<(String, String)>,
    /// The body as text (UTF-8); absent when empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    /// The body in base64 when it is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    body_base64: Option<String>,
}

impl ExchangeFiles {
    /// Exchange files under `bundle`'s `exchanges/` folder (made when the first one is written).
    pub(crate) fn new(bundle: &Path) -> Self {
        ExchangeFiles {
            folder: bundle.join(FOLDER),
            error: Mutex::new(None),
        }
    }

    /// Why an exchange file was not written, if one was not.
    pub(crate) fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn write(&self, contract: &str, case: &str, exchanges: Vec<Shown>) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.folder)?;
        let file = CaseFile {
            contract,
            case,
            exchanges,
        };
        let mut text = serde_json::to_vec_pretty(&file)?;
        text.push(b'\n');
        std::fs::write(self.folder.join(file_name(case)), text)
    }
}

impl Evidence for ExchangeFiles {
    fn case(
        &self,
        contract: &Contract,
        case: &str,
        exchanges: &[(String, &Exchange)],
        secrets: &Secrets,
    ) {
        if self.error().is_some() {
            return;
        }
        let shown = exchanges
            .iter()
            .map(|(label, exchange)| shown(label, exchange, secrets))
            .collect();
        if let Err(err) = self.write(&contract.name, case, shown) {
            let mut error = self.error.lock().unwrap_or_else(|e| e.into_inner());
            error.get_or_insert_with(|| format!("{}: {err}", self.folder.display()));
        }
    }
}

/// The file a case's exchanges go in: its name with `/` as `~` and anything but letters,
/// digits, `.`, `_` and `-` as `_`, plus a digest of the name when that changed anything else
/// (so two names never share a file) or the name is long.
pub(crate) fn file_name(case: &str) -> String {
    let flat: String = case
        .chars()
        .map(|c| match c {
            '/' => '~',
            c if c.is_ascii_alphanumeric() || "._-".contains(c) => c,
            _ => '_',
        })
        .collect();
    let changed = flat.replace('~', "/") != case || flat.starts_with('.');
    if !changed && flat.len() <= 120 {
        return format!("{flat}.json");
    }
    let digest = Sha256::digest(case.as_bytes());
    let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    let cut: String = flat.chars().take(100).collect();
    format!("{cut}-{short}.json")
}

fn shown(label: &str, exchange: &Exchange, secrets: &Secrets) -> Shown {
    let sent = &exchange.sent;
    let request = Message {
        method: Some(sent.method.to_string()),
        url: Some(secrets.scrub(&sent.shown_url()).into_owned()),
        status: None,
        headers: headers(&sent.headers, secrets),
        ..body(&sent.body, secrets)
    };
    let (response, error) = match &exchange.answer {
        Ok(response) => {
            let message = Message {
                method: None,
                url: None,
                status: Some(response.status),
                headers: headers(&response.headers, secrets),
                ..body(&response.body, secrets)
            };
            (Some(message), None)
        }
        Err(err) => (None, Some(secrets.scrub(&err.to_string()).into_owned())),
    };
    let request_of = if label.is_empty() { "main" } else { label };
    Shown {
        request_of: request_of.to_string(),
        request,
        response,
        error,
    }
}

/// Headers in the order they went or came, secret values redacted.
fn headers(headers: &HeaderMap, secrets: &Secrets) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if value.is_sensitive() || is_secret_name(name.as_str()) {
                REDACTED.to_string()
            } else {
                secrets
                    .scrub(&String::from_utf8_lossy(value.as_bytes()))
                    .into_owned()
            };
            (name.as_str().to_string(), shown)
        })
        .collect()
}

fn body(bytes: &[u8], secrets: &Secrets) -> Message {
    let (body, body_base64) = match std::str::from_utf8(bytes) {
        Ok("") => (None, None),
        Ok(text) => (Some(secrets.scrub(text).into_owned()), None),
        Err(_) => {
            use base64::Engine;
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            (None, Some(encoded))
        }
    };
    Message {
        method: None,
        url: None,
        status: None,
        headers: Vec::new(),
        body,
        body_base64,
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;
    use crate::observe::testing;
    use crate::target::TargetHeader;

    #[test]
    fn case_names_become_distinct_safe_file_names() {
        assert_eq!(
            file_name("issueCard/negative/appId/too-long"),
            "issueCard~negative~appId~too-long.json"
        );
        // `/` never survives, so no name can climb out of the folder.
        let odd = file_name("getCard/negative/path/cardId/..");
        assert_eq!(odd, "getCard~negative~path~cardId~...json");
        assert_ne!(file_name("a/b c"), file_name("a/b_c"));
        assert!(!file_name("a/b c").contains(' '));
    }

    #[test]
    fn credentials_signatures_and_echoed_tokens_never_appear() {
        let mut exchange =
            testing::json_exchange(serde_json::json!({"echo": "Bearer s3cr3t-token"}));
        let mut signature = HeaderValue::from_static("algorithm=RSA256,signature=abc");
        signature.set_sensitive(true);
        exchange.sent.headers.insert("signature", signature);
        let auth = HeaderValue::from_static("Bearer s3cr3t-token");
        exchange.sent.headers.insert("authorization", auth);
        if let Ok(response) = &mut exchange.answer {
            let signed = HeaderValue::from_static("algorithm=RSA256,signature=xyz");
            response.headers.insert("signature", signed);
        }
        let header: TargetHeader = "Authorization: Bearer s3cr3t-token".parse().unwrap();
        let secrets = Secrets::of(&[header]);
        let text = serde_json::to_string(&shown("", &exchange, &secrets)).unwrap();
        for secret in ["s3cr3t-token", "signature=abc", "signature=xyz"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("[redacted]"), "{text}");
        assert!(text.contains("\"request_of\":\"main\""), "{text}");
    }
}
