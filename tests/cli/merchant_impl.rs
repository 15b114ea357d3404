//! A hand-written merchant implementation of the four APIs the platform calls
//! (notifyCardRegistration, inquireCardDetail, updateCardDetail, inquireMemberAssets), coded
//! from the API tables of DOMAIN.md and not from conform's contracts, validator, reference
//! implementation or signing code. It checks the platform's request signatures with the
//! platform's public key and signs its answers with its own key, using the `rsa` crate directly.
//! [`Defects`] switches on one mistake at a time.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding as _, Signer as _, Verifier as _};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The card the merchant's test environment holds.
pub(crate) const KNOWN_CARD: &str = "011164508621375700010170";

/// The platform's Client-Id as the merchant knows it.
pub(crate) const PLATFORM_CLIENT: &str = "PLATFORM_0000000000001";

const SUPER_APPS: [&str; 10] = [
    "ALIPAY_CN",
    "ALIPAY_HK",
    "ALIPAY_MO",
    "TNG",
    "GCASH",
    "DANA",
    "KAKAOPAY",
    "BKASH",
    "CHOPE",
    "TRUEMONEY",
];
const NAME_CODES: [&str; 3] = ["FIRST_NAME", "LAST_NAME", "USER_NAME"];
const OTHER_CODES: [&str; 6] = [
    "USER_SALUTATION",
    "GENDER",
    "BIRTH_DATE",
    "MOBILE_PHONE",
    "EMAIL",
    "PASSWORD",
];
const ASSET_TYPES: [&str; 3] = ["BENEFIT", "POINT", "BALANCE"];

/// One mistake each; all off is a correct implementation.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Defects {
    /// Names are held to 256 characters like other fields, not 20.
    pub long_names_accepted: bool,
    /// inquireCardDetail answers even when neither cardNo nor loginIdentity names a card.
    pub card_or_login_not_required: bool,
    /// An unknown card gets PROCESS_FAIL instead of CARD_NOT_EXIST.
    pub unknown_card_is_process_fail: bool,
    /// updateCardDetail takes a date without a time as requestTime.
    pub date_only_request_time: bool,
    /// inquireMemberAssets takes four asset types.
    pub four_asset_types_accepted: bool,
    /// A notifyCardRegistration replay registers again and answers another message.
    pub replay_answers_differently: bool,
    /// Answers are not signed.
    pub unsigned_answers: bool,
    /// Request signatures are never checked.
    pub signatures_not_verified: bool,
    /// A request without a Signature goes through (one with a signature is checked).
    pub unsigned_accepted: bool,
    /// A signature is only checked to be base64 of 256 bytes, never verified: any key will do.
    pub any_key_accepted: bool,
    /// The string to sign is built with the Client-Id the merchant knows, not the one sent.
    pub client_id_ignored: bool,
    /// The algorithm part decides: a request not announcing RSA256 is not checked with RSA.
    pub algorithm_trusted: bool,
    /// notifyCardRegistration records the requestId before checking the signature, so a
    /// refused request keeps its key (with the refusal as its answer).
    pub key_recorded_before_verifying: bool,
    /// The signature is checked over the body parsed and written out again, not over the bytes
    /// received.
    pub body_reserialized_before_verifying: bool,
    /// A notifyCardRegistration replayed more than a second after its first answer gets that
    /// answer from a cache that kept the signature but not the time it was signed at.
    pub stale_signature_on_late_replays: bool,
}

/// The implementation: its keys and the registrations it remembers by requestId.
pub(crate) struct Merchant {
    defects: Defects,
    platform_key: VerifyingKey<Sha256>,
    own_key: SigningKey<Sha256>,
    registrations: Mutex<HashMap<String, (Value, Value)>>,
    /// When each registration was first answered.
    first_answered: Mutex<HashMap<String, std::time::Instant>>,
}

/// Starts a server running the merchant APIs with `defects`; `platform_public` checks request
/// signatures, `merchant_private` signs the answers (both PEM text).
pub(crate) async fn serve(
    defects: Defects,
    platform_public: &str,
    merchant_private: &str,
) -> MockServer {
    let server = MockServer::start().await;
    let merchant = Merchant {
        defects,
        platform_key: verifying_key(platform_public),
        own_key: signing_key(merchant_private),
        registrations: Mutex::new(HashMap::new()),
        first_answered: Mutex::new(HashMap::new()),
    };
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(merchant)
        .mount(&server)
        .await;
    server
}

/// A PKCS#8 PEM private key, to sign with.
pub(crate) fn signing_key(pem: &str) -> SigningKey<Sha256> {
    SigningKey::new(rsa::PrivateKey::from_pkcs8_der(&der(pem)).unwrap())
}

/// A SubjectPublicKeyInfo PEM public key, to check signatures with.
pub(crate) fn verifying_key(pem: &str) -> VerifyingKey<Sha256> {
    VerifyingKey::new(rsa::PublicKey::from_public_key_der(&der(pem)).unwrap())
}

/// The DER inside a PEM block.
fn der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

/// `POST <path>\n<Client-Id>.<time>.<body>`, as DOMAIN.md gives it.
pub(crate) fn string_to_sign(path: &str, client: &str, time: &str, body: &[u8]) -> Vec<u8> {
    let mut content = format!("POST {path}\n{client}.{time}.").into_bytes();
    content.extend_from_slice(body);
    content
}

/// The `Signature` header value over `content`: RSA PKCS#1 v1.5 over SHA-256, standard base64,
/// then URL-encoded.
pub(crate) fn signature_header(key: &SigningKey<Sha256>, content: &[u8]) -> String {
    let encoded = STANDARD
        .encode(key.sign(content).to_bytes())
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    format!("algorithm=RSA256,keyVersion=1,signature={encoded}")
}

/// Whether the `Signature` header value `header` verifies `content` with `key`.
pub(crate) fn verifies(key: &VerifyingKey<Sha256>, content: &[u8], header: &str) -> bool {
    let Some(value) = header
        .split(',')
        .find_map(|part| part.trim().strip_prefix("signature="))
    else {
        return false;
    };
    let decoded = percent_encoding::percent_decode_str(value)
        .decode_utf8_lossy()
        .into_owned();
    let Ok(bytes) = STANDARD.decode(decoded) else {
        return false;
    };
    Signature::try_from(bytes.as_slice())
        .is_ok_and(|signature| key.verify(content, &signature).is_ok())
}

impl Respond for Merchant {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
        let client = header("client-id").unwrap_or(PLATFORM_CLIENT);
        if let Err(why) = self.authentic(request) {
            let refusal = failure("ACCESS_DENIED", why);
            if self.defects.key_recorded_before_verifying {
                self.record_key(path, request, &refusal);
            }
            return plain(refusal);
        }
        let answer = match serde_json::from_slice::<Value>(&request.body) {
            Ok(Value::Object(body)) => match path.rsplit('/').next().unwrap_or_default() {
                "notifyCardRegistration" => self.notify(&body),
                "inquireCardDetail" => self.inquire_card(&body),
                "updateCardDetail" => self.update_card(&body),
                "inquireMemberAssets" => self.inquire_assets(&body),
                _ => failure("INVALID_API", "no such API"),
            },
            _ => failure("PARAM_ILLEGAL", "the body is not a JSON object"),
        };
        let time = if self.answered_long_ago(path, request) {
            "2024-05-01T09:59:59+08:00"
        } else {
            SIGNED_AT
        };
        let template = self.signed(path, client, answer);
        template.insert_header("Response-Time", time)
    }
}

/// The Response-Time of every answer.
const SIGNED_AT: &str = "2024-05-01T10:00:00+08:00";

impl Merchant {
    /// Whether the request is signed by the platform, as far as this merchant checks.
    fn authentic(&self, request: &Request) -> Result<(), &'static str> {
        let d = self.defects;
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
        let signature = header("signature");
        if d.signatures_not_verified || (d.unsigned_accepted && signature.is_none()) {
            return Ok(());
        }
        let (Some(client), Some(time), Some(signature)) =
            (header("client-id"), header("request-time"), signature)
        else {
            return Err("the request is not signed");
        };
        if d.algorithm_trusted && !signature.contains("algorithm=RSA256") {
            return Ok(());
        }
        if d.any_key_accepted {
            let value = signature.split("signature=").nth(1).unwrap_or_default();
            let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            let length = STANDARD.decode(decoded.as_bytes()).map_or(0, |b| b.len());
            return if length == 256 {
                Ok(())
            } else {
                Err("malformed signature")
            };
        }
        let client = if d.client_id_ignored {
            PLATFORM_CLIENT
        } else {
            client
        };
        let reserialized = serde_json::from_slice::<Value>(&request.body)
            .ok()
            .and_then(|body| serde_json::to_vec(&body).ok())
            .filter(|_| d.body_reserialized_before_verifying);
        let body = reserialized.as_deref().unwrap_or(&request.body);
        let content = string_to_sign(request.url.path(), client, time, body);
        if verifies(&self.platform_key, &content, signature) {
            Ok(())
        } else {
            Err("the request signature does not verify")
        }
    }

    /// Whether, with `stale_signature_on_late_replays`, the request replays a registration first
    /// answered more than a second ago.
    fn answered_long_ago(&self, path: &str, request: &Request) -> bool {
        if !self.defects.stale_signature_on_late_replays
            || !path.ends_with("notifyCardRegistration")
        {
            return false;
        }
        let body = serde_json::from_slice::<Value>(&request.body).ok();
        let Some(key) = body.as_ref().and_then(|b| b["requestId"].as_str()) else {
            return false;
        };
        let mut first = self.first_answered.lock().unwrap();
        let at = *first
            .entry(key.to_string())
            .or_insert_with(std::time::Instant::now);
        at.elapsed() > std::time::Duration::from_secs(1)
    }

    /// notifyCardRegistration's requestId kept with `answer`, as a processed request's is.
    fn record_key(&self, path: &str, request: &Request, answer: &Value) {
        let body = serde_json::from_slice::<Value>(&request.body).ok();
        let key = body.as_ref().and_then(|b| b["requestId"].as_str());
        if let (true, Some(key), Some(body)) =
            (path.ends_with("notifyCardRegistration"), key, &body)
        {
            let mut seen = self.registrations.lock().unwrap();
            seen.insert(key.to_string(), (body.clone(), answer.clone()));
        }
    }

    fn signed(&self, path: &str, client: &str, answer: Value) -> ResponseTemplate {
        let body = serde_json::to_vec(&answer).unwrap();
        let template = plain_bytes(body.clone());
        if self.defects.unsigned_answers {
            return template;
        }
        let header = signature_header(
            &self.own_key,
            &string_to_sign(path, client, SIGNED_AT, &body),
        );
        template
            .insert_header("Client-Id", client)
            .insert_header("Signature", header.as_str())
    }

    fn notify(&self, body: &Map<String, Value>) -> Value {
        let checked = id(body, "appId", true, 32)
            .and(super_app(body))
            .and(id(body, "requestId", true, 64))
            .and(id(body, "customerId", true, 64))
            .and(self.profile_fields(body, "registrationFields"))
            .and(text(body, "extendInfo", None));
        if let Err(why) = checked {
            return failure("PARAM_ILLEGAL", &why);
        }
        let key = body["requestId"].as_str().unwrap_or_default().to_string();
        let request = Value::Object(body.clone());
        let mut seen = self.registrations.lock().unwrap();
        match seen.get(&key) {
            Some((first, _)) if *first != request => failure(
                "REPEAT_REQ_INCONSISTENT",
                "requestId was used with other parameters",
            ),
            Some((_, answer)) if !self.defects.replay_answers_differently => answer.clone(),
            Some(_) => result("S", "SUCCESS", "Success (registered again)"),
            None => {
                let answer = result("S", "SUCCESS", "Success");
                seen.insert(key, (request, answer.clone()));
                answer
            }
        }
    }

    fn inquire_card(&self, body: &Map<String, Value>) -> Value {
        let checked = id(body, "cardNo", false, 64)
            .and(id(body, "appId", true, 32))
            .and(text(body, "loginIdentity", None))
            .and(text(body, "extendInfo", Some(2048)));
        if let Err(why) = checked {
            return failure("PARAM_ILLEGAL", &why);
        }
        let card = match (body.get("cardNo"), body.get("loginIdentity")) {
            (Some(card), _) => card.as_str().unwrap_or_default(),
            // This test environment has one member, whatever login they give.
            (None, Some(_)) => KNOWN_CARD,
            (None, None) if self.defects.card_or_login_not_required => KNOWN_CARD,
            (None, None) => return failure("PARAM_ILLEGAL", "cardNo or loginIdentity is needed"),
        };
        if card != KNOWN_CARD {
            return self.unknown_card();
        }
        let mut answer = result("S", "SUCCESS", "Success");
        answer["cardFields"] = json!([
            {"fieldCode": "POINT", "fieldValue": "123"},
            {"fieldCode": "BALANCE", "fieldValue": {"value": 100, "currency": "SGD"}}
        ]);
        answer
    }

    fn update_card(&self, body: &Map<String, Value>) -> Value {
        let checked = id(body, "cardNo", true, 64)
            .and(self.request_time(body))
            .and(self.profile_fields(body, "cardFields"))
            .and(text(body, "extendInfo", Some(2048)));
        if let Err(why) = checked {
            return failure("PARAM_ILLEGAL", &why);
        }
        if body["cardNo"] != KNOWN_CARD {
            return self.unknown_card();
        }
        result("S", "SUCCESS", "Success")
    }

    fn inquire_assets(&self, body: &Map<String, Value>) -> Value {
        let checked = id(body, "cardNo", true, 64)
            .and(self.asset_types(body))
            .and(text(body, "queryConditions", None))
            .and(text(body, "extendInfo", None));
        if let Err(why) = checked {
            return failure("PARAM_ILLEGAL", &why);
        }
        if body["cardNo"] != KNOWN_CARD {
            return self.unknown_card();
        }
        let mut answer = result("S", "SUCCESS", "Success");
        answer["assetDetails"] = json!([{"assetType": "POINT", "assetValue": "1200"}]);
        answer
    }

    fn unknown_card(&self) -> Value {
        if self.defects.unknown_card_is_process_fail {
            return failure("PROCESS_FAIL", "no such card");
        }
        failure("CARD_NOT_EXIST", "no such card")
    }

    /// CardFields of notifyCardRegistration and updateCardDetail: at most 10, each a known code
    /// with a string value of at most 256 characters, 20 for names.
    fn profile_fields(&self, body: &Map<String, Value>, name: &str) -> Result<(), String> {
        let items = body
            .get(name)
            .and_then(Value::as_array)
            .ok_or(format!("{name} is missing or not an array"))?;
        if items.len() > 10 {
            return Err(format!("{name} has more than 10 elements"));
        }
        for item in items {
            let item = item
                .as_object()
                .ok_or(format!("{name} element is not an object"))?;
            let code = item
                .get("fieldCode")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let is_name = NAME_CODES.contains(&code);
            if !is_name && !OTHER_CODES.contains(&code) {
                return Err(format!("{name}.fieldCode `{code}` is not a known code"));
            }
            let limit = if is_name && !self.defects.long_names_accepted {
                20
            } else {
                256
            };
            match item.get("fieldValue") {
                Some(Value::String(value)) if value.chars().count() <= limit => {}
                _ => {
                    return Err(format!(
                        "{name}.fieldValue is missing, not a string or longer than {limit}"
                    ));
                }
            }
        }
        Ok(())
    }

    fn request_time(&self, body: &Map<String, Value>) -> Result<(), String> {
        match body.get("requestTime") {
            Some(Value::String(time))
                if self.defects.date_only_request_time && time.len() == 10 =>
            {
                Ok(())
            }
            Some(Value::String(time)) if crate::issue_card::is_iso_date_time(time) => Ok(()),
            _ => Err("requestTime is not an ISO 8601 date-time".into()),
        }
    }

    fn asset_types(&self, body: &Map<String, Value>) -> Result<(), String> {
        let types = body
            .get("assetTypes")
            .and_then(Value::as_array)
            .ok_or("assetTypes is missing or not an array")?;
        let limit = if self.defects.four_asset_types_accepted {
            4
        } else {
            3
        };
        if types.len() > limit {
            return Err("assetTypes has more than 3 elements".into());
        }
        if types
            .iter()
            .all(|t| t.as_str().is_some_and(|t| ASSET_TYPES.contains(&t)))
        {
            Ok(())
        } else {
            Err("assetTypes holds an unknown asset type".into())
        }
    }
}

/// An ID-like string: at most `max` characters, none of `@ # ?`.
fn id(body: &Map<String, Value>, name: &str, required: bool, max: usize) -> Result<(), String> {
    match body.get(name) {
        None if !required => Ok(()),
        Some(Value::String(value)) if value.chars().count() > max => {
            Err(format!("{name} is longer than {max} characters"))
        }
        Some(Value::String(value)) if value.contains(['@', '#', '?']) => {
            Err(format!("{name} contains a special character"))
        }
        Some(Value::String(_)) => Ok(()),
        _ => Err(format!("{name} is missing or not a string")),
    }
}

fn text(body: &Map<String, Value>, name: &str, max: Option<usize>) -> Result<(), String> {
    match body.get(name) {
        None => Ok(()),
        Some(Value::String(value)) if max.is_none_or(|m| value.chars().count() <= m) => Ok(()),
        _ => Err(format!("{name} is not a string of the allowed length")),
    }
}

fn super_app(body: &Map<String, Value>) -> Result<(), String> {
    match body.get("customerBelongsTo").and_then(Value::as_str) {
        Some(app) if SUPER_APPS.contains(&app) => Ok(()),
        _ => Err("customerBelongsTo is not a supported super app".into()),
    }
}

fn result(status: &str, code: &str, message: &str) -> Value {
    json!({"result": {"resultStatus": status, "resultCode": code, "resultMessage": message}})
}

fn failure(code: &str, message: &str) -> Value {
    result("F", code, message)
}

fn plain(body: Value) -> ResponseTemplate {
    plain_bytes(serde_json::to_vec(&body).unwrap())
}

fn plain_bytes(body: Vec<u8>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/json; charset=UTF-8")
}
