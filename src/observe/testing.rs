//! Building observations in unit tests, in one place, so checks, snapshots and the runner's
//! tests make answers the same way (issueCard bodies, a loopback request as sent).

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::{Exchange, Response, Sent, TransportError};

/// The URL the test exchanges were "sent" to.
pub(crate) const URL: &str = "http://127.0.0.1:9/v2/pds/memberships/issueCard";

/// A response with `status`, an optional `Content-Type` and `body`.
pub(crate) fn response(status: u16, content_type: Option<&str>, body: &[u8]) -> Response {
    let mut headers = HeaderMap::new();
    if let Some(value) = content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
    }
    Response::new(status, headers, body.to_vec(), Default::default())
}

/// HTTP 200 `application/json; charset=UTF-8` with `body`.
pub(crate) fn json_response(body: Value) -> Response {
    let bytes = serde_json::to_vec(&body).unwrap();
    response(200, Some("application/json; charset=UTF-8"), &bytes)
}

/// A POST of `{}` to [`URL`].
pub(crate) fn sent() -> Sent {
    Sent {
        method: Method::POST,
        url: Url::parse(URL).unwrap(),
        headers: HeaderMap::new(),
        body: Bytes::from_static(b"{}"),
        key: None,
    }
}

/// An exchange with `answer`.
pub(crate) fn exchange(answer: Result<Response, TransportError>) -> Exchange {
    Exchange {
        sent: sent(),
        answer,
    }
}

/// An exchange answered with [`json_response`].
pub(crate) fn json_exchange(body: Value) -> Exchange {
    exchange(Ok(json_response(body)))
}

/// An issueCard success with card number `card_no`.
pub(crate) fn success_body(card_no: &str) -> Value {
    json!({"cardNo": card_no, "result": {"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "Success"}})
}

/// An issueCard failure with `code` and `message`.
pub(crate) fn failure_body(code: &str, message: &str) -> Value {
    json!({"result": {"resultStatus": "F", "resultCode": code, "resultMessage": message}})
}

/// issueCard's unknown result, as its catalogue words it.
pub(crate) fn unknown_body() -> Value {
    let message = "An API calling is failed, which is caused by unknown reasons.";
    json!({"result": {"resultStatus": "U", "resultCode": "UNKNOWN_EXCEPTION", "resultMessage": message}})
}
