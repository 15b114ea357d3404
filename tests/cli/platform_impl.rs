//! A hand-written platform implementation of applyToken and inquiryUserInfo, coded from the API
//! tables of DOMAIN.md and not from conform's contracts, validator or reference
//! implementation. It runs in the test mode a platform needs for contract tests: any auth code
//! or refresh token it has not seen is taken as issued (there is no API that issues them), and
//! each works once. Access tokens it issued, and the one of the docs' sample, open
//! inquiryUserInfo. [`Defects`] switches on one mistake at a time.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The auth client registered in this test environment.
pub(crate) const CLIENT: &str = "2188120000000001";

/// The access token of the docs' sample, honoured as if issued.
pub(crate) const SAMPLE_TOKEN: &str = "281010033AB2F588D14B43238637264FCA5AAF35xxxx";

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

/// One mistake each; all off is a correct implementation.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Defects {
    /// AUTHORIZATION_CODE is accepted without an authCode (a missing conditional check).
    pub auth_code_not_required: bool,
    /// The branches are swapped: AUTHORIZATION_CODE needs a refreshToken and REFRESH_TOKEN an
    /// authCode (a wrong branch).
    pub branches_swapped: bool,
    /// A refreshToken of any length is taken.
    pub long_refresh_token_accepted: bool,
    /// grantType is compared ignoring case.
    pub grant_type_case_ignored: bool,
    /// An S answer leaves out accessTokenExpiryTime.
    pub no_expiry_on_success: bool,
    /// An unknown access token gets S with an empty profile.
    pub any_token_opens_user_info: bool,
    /// An auth code is taken again and again (the used-code check is missing).
    pub auth_code_reusable: bool,
    /// A refresh token is taken again and again (only auth codes are remembered as used).
    pub refresh_token_reusable: bool,
    /// The access tokens issued are 129 characters long, one past the documented 128.
    pub long_access_tokens: bool,
    /// The access tokens issued are not recorded: only the docs' sample opens inquiryUserInfo.
    pub issued_tokens_forgotten: bool,
}

/// The implementation: the codes, refresh tokens and access tokens it has seen or issued.
pub(crate) struct Platform {
    defects: Defects,
    used: Mutex<HashSet<String>>,
    issued: Mutex<HashSet<String>>,
    next: AtomicU64,
    /// Under load: the first inquiryUserInfo of each body is told to retry later.
    busy_first: bool,
    asked: Mutex<HashSet<Vec<u8>>>,
}

/// Starts a server running both APIs with `defects`.
pub(crate) async fn serve(defects: Defects) -> MockServer {
    start(defects, false).await
}

/// Starts a correct server under load: it answers the first inquiryUserInfo of each body with
/// `U` REQUEST_TRAFFIC_EXCEED_LIMIT ("retry later", as the docs list that code), and the same
/// request sent again as usual.
pub(crate) async fn serve_busy_first() -> MockServer {
    start(Defects::default(), true).await
}

async fn start(defects: Defects, busy_first: bool) -> MockServer {
    let server = MockServer::start().await;
    let platform = Platform {
        defects,
        used: Mutex::new(HashSet::new()),
        issued: Mutex::new(HashSet::from([SAMPLE_TOKEN.to_string()])),
        next: AtomicU64::new(1),
        busy_first,
        asked: Mutex::new(HashSet::new()),
    };
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(platform)
        .mount(&server)
        .await;
    server
}

impl Respond for Platform {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let answer = match serde_json::from_slice::<Value>(&request.body) {
            Ok(Value::Object(body)) => match request.url.path() {
                "/v2/authorizations/applyToken" => self.apply_token(&body),
                "/v2/users/inquiryUserInfo" if self.busy_first && self.first_time(request) => {
                    unknown(
                        "REQUEST_TRAFFIC_EXCEED_LIMIT",
                        "too many requests, retry later",
                    )
                }
                "/v2/users/inquiryUserInfo" => self.user_info(&body),
                _ => failure("INVALID_API", "no such API"),
            },
            _ => failure("PARAM_ILLEGAL", "the body is not a JSON object"),
        };
        ResponseTemplate::new(200).set_body_raw(
            serde_json::to_vec(&answer).unwrap(),
            "application/json; charset=UTF-8",
        )
    }
}

impl Platform {
    fn first_time(&self, request: &Request) -> bool {
        self.asked.lock().unwrap().insert(request.body.clone())
    }

    fn apply_token(&self, body: &Map<String, Value>) -> Value {
        let grant = match self.validate(body) {
            Ok(grant) => grant,
            Err(why) => return failure("PARAM_ILLEGAL", &why),
        };
        if body["authClientId"] != CLIENT {
            return failure("INVALID_AUTH_CLIENT", "the auth client is not registered");
        }
        let (field, used_code) = match grant {
            "AUTHORIZATION_CODE" => ("authCode", "EXPIRED_CODE"),
            _ => ("refreshToken", "USED_REFRESH_TOKEN"),
        };
        let reusable = match field {
            "authCode" => self.defects.auth_code_reusable,
            _ => self.defects.refresh_token_reusable,
        };
        if let Some(value) = body.get(field).and_then(Value::as_str)
            && !self.used.lock().unwrap().insert(format!("{field}:{value}"))
            && !reusable
        {
            return failure(used_code, "it was used already");
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut token = format!("2810100{n:08}AB2F588D14B432386372");
        if self.defects.long_access_tokens {
            token.push_str(&"7Q".repeat(47));
        }
        if !self.defects.issued_tokens_forgotten {
            self.issued.lock().unwrap().insert(token.clone());
        }
        let mut answer = success();
        answer["accessToken"] = json!(token);
        answer["refreshToken"] = json!(format!("2810100{n:08}RT4F62CBC577F468"));
        answer["refreshTokenExpiryTime"] = json!("2027-01-30T12:00:00+08:00");
        answer["customerId"] = json!("2088102123456789");
        if !self.defects.no_expiry_on_success {
            answer["accessTokenExpiryTime"] = json!("2026-12-31T12:00:00+08:00");
        }
        answer
    }

    /// The request's rules, in the order of the API table; the grant type on success.
    fn validate<'b>(&self, body: &'b Map<String, Value>) -> Result<&'b str, String> {
        let d = self.defects;
        string(body, "appId", true, Some(32), true)?;
        string(body, "authClientId", true, Some(128), true)?;
        let grant = match body.get("grantType").and_then(Value::as_str) {
            Some(g) if g == "AUTHORIZATION_CODE" || g == "REFRESH_TOKEN" => g,
            Some(g)
                if d.grant_type_case_ignored && g.eq_ignore_ascii_case("AUTHORIZATION_CODE") =>
            {
                "AUTHORIZATION_CODE"
            }
            Some(g) if d.grant_type_case_ignored && g.eq_ignore_ascii_case("REFRESH_TOKEN") => {
                "REFRESH_TOKEN"
            }
            _ => return Err("grantType is not AUTHORIZATION_CODE or REFRESH_TOKEN".into()),
        };
        if let Some(app) = body.get("customerBelongsTo")
            && !app.as_str().is_some_and(|a| SUPER_APPS.contains(&a))
        {
            return Err("customerBelongsTo is not a supported super app".into());
        }
        let refresh_max = if d.long_refresh_token_accepted {
            None
        } else {
            Some(128)
        };
        let by_code = (grant == "AUTHORIZATION_CODE") != d.branches_swapped;
        let needs_code = by_code && !d.auth_code_not_required;
        string(body, "authCode", needs_code, Some(64), false)?;
        string(body, "refreshToken", !by_code, refresh_max, false)?;
        string(body, "extendInfo", false, None, false)?;
        Ok(grant)
    }

    fn user_info(&self, body: &Map<String, Value>) -> Value {
        let checked = string(body, "accessToken", true, Some(128), false)
            .and(string(body, "authClientId", false, Some(128), false))
            .and(string(body, "extendInfo", false, Some(4096), false));
        if let Err(why) = checked {
            return failure("PARAM_ILLEGAL", &why);
        }
        let token = body["accessToken"].as_str().unwrap_or_default();
        let known = self.issued.lock().unwrap().contains(token);
        if !known && !self.defects.any_token_opens_user_info {
            return failure("INVALID_ACCESS_TOKEN", "the access token is not valid");
        }
        let mut answer = success();
        answer["userInfo"] = json!({
            "userId": "1000001119398804",
            "status": "ACTIVE",
            "userName": {"fullName": "Jane Tan", "firstName": "Jane", "lastName": "Tan"},
            "gender": "FEMALE",
            "birthDate": "2020-07-25",
            "nationality": "SG",
            "loginIdInfos": [{"loginId": "6581234567", "loginIdType": "MOBILE_PHONE"}]
        });
        answer
    }
}

/// A string field: present when `required`, at most `max` characters, and without `@ # ?`
/// when it is ID-like.
fn string(
    body: &Map<String, Value>,
    name: &str,
    required: bool,
    max: Option<usize>,
    id_like: bool,
) -> Result<(), String> {
    match body.get(name) {
        None if !required => Ok(()),
        None => Err(format!("{name} is required")),
        Some(Value::String(value)) if max.is_some_and(|m| value.chars().count() > m) => {
            Err(format!("{name} is too long"))
        }
        Some(Value::String(value)) if id_like && value.contains(['@', '#', '?']) => {
            Err(format!("{name} contains a special character"))
        }
        Some(Value::String(_)) => Ok(()),
        Some(_) => Err(format!("{name} is not a string")),
    }
}

fn success() -> Value {
    json!({"result": {"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "success"}})
}

fn failure(code: &str, message: &str) -> Value {
    json!({"result": {"resultStatus": "F", "resultCode": code, "resultMessage": message}})
}

fn unknown(code: &str, message: &str) -> Value {
    json!({"result": {"resultStatus": "U", "resultCode": code, "resultMessage": message}})
}
