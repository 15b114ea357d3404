//! Requests: the one value the runner hands a target to send ([`Request`]), and the record of
//! what went on the wire ([`Sent`]), which is what evidence, snapshots and messages show.

#[cfg(test)]
use std::borrow::Cow;

use bytes::Bytes;
use reqwest::header::HeaderMap;
#[cfg(test)]
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Url};

/// What conform sends as `Content-Type` with a JSON body.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=UTF-8";

/// A request for a target to send. Parameters and headers travel in this one value, so adding
/// one never changes the target's signature.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// The HTTP method.
    pub method: Method,
    /// Path and query, already percent-encoded, relative to the target's base URL.
    pub path: String,
    /// Headers to send (the target adds its own, such as signatures).
    pub headers: HeaderMap,
    /// The body, exactly as it is to be sent.
    pub body: Option<Bytes>,
    /// The idempotency key the request carries, when one was minted for it.
    pub key: Option<String>,
}

impl Request {
    /// A request with a JSON body, sent as `application/json; charset=UTF-8`.
    #[cfg(test)]
    pub(crate) fn json(method: &str, path: &str, body: impl Into<Bytes>) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
        Request {
            // Contracts only compile with a valid method; POST is what every contract uses.
            method: Method::from_bytes(method.as_bytes()).unwrap_or(Method::POST),
            path: path.to_string(),
            headers,
            body: Some(body.into()),
            key: None,
        }
    }

    /// The same request, recording the idempotency key its body carries.
    pub(crate) fn with_key(mut self, key: Option<String>) -> Self {
        self.key = key;
        self
    }
}

/// A request as it went on the wire.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    /// The HTTP method.
    pub method: Method,
    /// The URL contacted. It may carry credentials: show it with [`Sent::shown_url`].
    pub url: Url,
    /// Every header conform set. Secret values (signatures) are marked sensitive and never
    /// shown: see [`Sent::shown_headers`].
    pub headers: HeaderMap,
    /// The body bytes sent (empty when there was none).
    pub body: Bytes,
    /// The idempotency key the request carried.
    pub key: Option<String>,
}

impl Sent {
    /// The path and query as sent, gateway prefix included: `/api/open/v2/x?a=1`.
    pub(crate) fn path(&self) -> String {
        match self.url.query() {
            Some(query) => format!("{}?{query}", self.url.path()),
            None => self.url.path().to_string(),
        }
    }

    /// The URL as messages and reports show it: credentials replaced by `***`.
    pub(crate) fn shown_url(&self) -> String {
        shown_url(&self.url)
    }

    /// The values of the sensitive headers sent (a signature, a credential), in every form a
    /// target may quote them back: no output may show them.
    pub(crate) fn secret_values(&self) -> impl Iterator<Item = String> + '_ {
        let sensitive = self
            .headers
            .iter()
            .filter(|(_, value)| value.is_sensitive());
        sensitive.flat_map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes());
            if name.as_str() == crate::signing::headers::SIGNATURE {
                crate::signing::echoed_forms(&value)
            } else {
                vec![value.into_owned()]
            }
        })
    }

    /// The headers as they may be shown: a sensitive value is `[redacted]`.
    #[cfg(test)]
    pub(crate) fn shown_headers(&self) -> impl Iterator<Item = (&str, Cow<'_, str>)> {
        self.headers.iter().map(|(name, value)| {
            let shown = if value.is_sensitive() {
                Cow::Borrowed(crate::signing::REDACTED)
            } else {
                String::from_utf8_lossy(value.as_bytes())
            };
            (name.as_str(), shown)
        })
    }
}

/// `url` without its credentials: a user name or password becomes `***`, since messages and
/// reports are handed to other people.
pub(crate) fn shown_url(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut shown = url.clone();
    // Only fails for URLs that cannot have credentials, which these just had.
    let _ = shown.set_password(None);
    let _ = shown.set_username("***");
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(url: &str) -> Sent {
        let mut headers = HeaderMap::new();
        headers.insert("client-id", HeaderValue::from_static("C1"));
        let mut signature = HeaderValue::from_static("algorithm=RSA256,signature=abc");
        signature.set_sensitive(true);
        headers.insert("signature", signature);
        Sent {
            method: Method::POST,
            url: Url::parse(url).unwrap(),
            headers,
            body: Bytes::from_static(b"{}"),
            key: None,
        }
    }

    #[test]
    fn path_as_sent_keeps_the_gateway_prefix_and_query() {
        let sent = sent("http://127.0.0.1:9/api/open/v2/x?a=1&b=%20");
        assert_eq!(sent.path(), "/api/open/v2/x?a=1&b=%20");
    }

    #[test]
    fn credentials_in_the_url_are_never_shown() {
        let sent = sent("https://user:secret@gw.example.com/api");
        assert_eq!(sent.shown_url(), "https://***@gw.example.com/api");
    }

    #[test]
    fn sensitive_header_values_are_redacted() {
        let shown: Vec<(String, String)> = sent("http://h/")
            .shown_headers()
            .map(|(n, v)| (n.to_string(), v.into_owned()))
            .collect();
        assert!(shown.contains(&("client-id".into(), "C1".into())));
        assert!(shown.contains(&("signature".into(), "[redacted]".into())));
    }
}
