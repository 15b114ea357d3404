//! A hand-written issueCard implementation, coded from the API page and not from conform's
//! contract or validator, so that conform is tested against an independent reading of the rules.
//! [`Defects`] switches on one mistake at a time, the kinds real implementations make.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub(crate) const PATH: &str = "/v2/pds/memberships/issueCard";

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
    pub accept_long_app_id: bool,
    pub accept_long_request_id: bool,
    pub accept_long_extend_info: bool,
    pub accept_at_in_ids: bool,
    pub accept_any_super_app: bool,
    pub accept_missing_register_date: bool,
    pub accept_date_only: bool,
    pub accept_eleven_card_fields: bool,
    pub reject_app_id_of_32: bool,
    pub require_expire_date: bool,
    pub http_500_on_invalid: bool,
    pub unknown_code_on_invalid: bool,
    pub success_code_on_failure: bool,
    pub new_card_on_replay: bool,
    pub replay_changes_message: bool,
    pub new_card_on_conflict: bool,
    pub racy_insert: bool,
    pub unknown_forever: bool,
    pub unknown_first: bool,
    pub busy_code_before_settling: bool,
    pub drift_extend_info: bool,
    pub drift_failure_message: bool,
    /// Every new card gets the same number.
    pub same_card_no: bool,
    /// Card numbers count per customer, so two customers get the same ones.
    pub card_no_per_customer: bool,
    /// The card number is the requestId's last 6 digits (a client's sequence number, in
    /// conform's keys): two clients get the same cards, one client never does.
    pub card_no_from_request_id: bool,
    /// Only the last N keys that issued a card are remembered.
    pub remember_last: Option<usize>,
    /// A key is forgotten this long after it issued a card.
    pub forget_after: Option<Duration>,
}

/// The implementation, with its memory of keys.
pub(crate) struct IssueCard {
    defects: Defects,
    memory: Mutex<HashMap<String, Stored>>,
    /// Keys in the order they issued a card, oldest first (for `remember_last`).
    order: Mutex<VecDeque<String>>,
    cards: AtomicU64,
    per_customer: Mutex<HashMap<String, u64>>,
}

struct Stored {
    request: Value,
    response: Value,
    visible_from: Instant,
}

/// Starts a server running the implementation with `defects`.
pub(crate) async fn serve(defects: Defects) -> MockServer {
    let server = MockServer::start().await;
    let implementation = IssueCard {
        defects,
        memory: Mutex::new(HashMap::new()),
        order: Mutex::new(VecDeque::new()),
        cards: AtomicU64::new(1),
        per_customer: Mutex::new(HashMap::new()),
    };
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(implementation)
        .mount(&server)
        .await;
    server
}

impl Respond for IssueCard {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(body) => body,
            Err(_) => return self.invalid("request body is not JSON"),
        };
        if let Err(why) = self.validate(&body) {
            return self.invalid(&why);
        }
        let key = body["requestId"].as_str().unwrap_or_default().to_string();
        self.issue(key, body)
    }
}

impl IssueCard {
    fn issue(&self, key: String, request: Value) -> ResponseTemplate {
        let mut memory = self.memory.lock().unwrap();
        let now = Instant::now();
        if let Some(ttl) = self.defects.forget_after {
            memory.retain(|_, stored| now.duration_since(stored.visible_from) < ttl);
        }
        if let Some(stored) = memory.get(&key).filter(|s| s.visible_from <= now) {
            if stored.request != request {
                if self.defects.new_card_on_conflict {
                    let card = json!({"cardNo": self.card_no(), "result": result("S", "SUCCESS", "Success")});
                    return ok(card);
                }
                return ok(failure(
                    "REPEAT_REQ_INCONSISTENT",
                    "repeated request with different parameters",
                ));
            }
            if self.defects.unknown_forever {
                return ok(unknown());
            }
            let mut response = stored.response.clone();

            if self.defects.new_card_on_replay {
                response["cardNo"] = json!(self.card_no());
            }
            if self.defects.replay_changes_message {
                response["result"]["resultMessage"] = json!("Success (already issued)");
            }
            return ok(response);
        }
        let card_no = self.new_card_no(&request);
        let mut response = json!({"cardNo": card_no, "result": result("S", "SUCCESS", "Success")});
        if self.defects.drift_extend_info {
            response["extendInfo"] = json!("{\"tier\":\"standard\"}");
        }
        // A racy implementation checks, then inserts after a window in which a concurrent
        // identical request still finds nothing.
        let window = if self.defects.racy_insert {
            Duration::from_millis(150)
        } else {
            Duration::ZERO
        };
        memory.insert(
            key.clone(),
            Stored {
                request,
                response: response.clone(),
                visible_from: now + window,
            },
        );
        if let Some(capacity) = self.defects.remember_last {
            let mut order = self.order.lock().unwrap();
            order.push_back(key);
            while order.len() > capacity {
                let oldest = order.pop_front().unwrap();
                memory.remove(&oldest);
            }
        }
        if self.defects.unknown_forever || self.defects.unknown_first {
            return ok(unknown());
        }
        if self.defects.busy_code_before_settling {
            return ok(json!({"result": result("U", "SYSTEM_BUSY", "System is busy")}));
        }
        ok(response)
    }

    fn invalid(&self, why: &str) -> ResponseTemplate {
        if self.defects.http_500_on_invalid {
            return ResponseTemplate::new(500).set_body_string("internal error");
        }
        if self.defects.unknown_code_on_invalid {
            return ok(failure("INVALID_PARAMETER", why));
        }
        if self.defects.success_code_on_failure {
            return ok(failure("SUCCESS", why));
        }
        let message = if self.defects.drift_failure_message {
            format!("Illegal parameter: {why}")
        } else {
            why.to_string()
        };
        ok(failure("PARAM_ILLEGAL", &message))
    }

    /// The number of a card issued for `request`: fresh, unless a defect says otherwise.
    fn new_card_no(&self, request: &Value) -> String {
        if self.defects.same_card_no {
            return "011164508600000001".into();
        }
        if self.defects.card_no_from_request_id {
            let key = request["requestId"].as_str().unwrap_or_default();
            let digits: String = key.chars().filter(char::is_ascii_digit).collect();
            let tail = &digits[digits.len().saturating_sub(6)..];
            return format!("0111645086{tail:0>8}");
        }
        if self.defects.card_no_per_customer {
            let customer = request["customerId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let mut counts = self.per_customer.lock().unwrap();
            let n = counts.entry(customer).or_insert(0);
            *n += 1;
            return format!("0111645086{n:08}");
        }
        self.card_no()
    }

    fn card_no(&self) -> String {
        format!(
            "0111645086{:08}",
            self.cards.fetch_add(1, Ordering::Relaxed)
        )
    }

    fn validate(&self, body: &Value) -> Result<(), String> {
        let d = self.defects;
        let fields = body.as_object().ok_or("body is not an object")?;
        let app_id_max = if d.accept_long_app_id {
            1000
        } else if d.reject_app_id_of_32 {
            31
        } else {
            32
        };
        id(fields, "appId", true, app_id_max, d.accept_at_in_ids)?;
        let request_id_max = if d.accept_long_request_id { 1000 } else { 64 };
        id(
            fields,
            "requestId",
            true,
            request_id_max,
            d.accept_at_in_ids,
        )?;
        id(fields, "customerId", true, 64, d.accept_at_in_ids)?;
        id(fields, "externalCustomerId", true, 64, d.accept_at_in_ids)?;
        id(fields, "externalCardNo", false, 64, d.accept_at_in_ids)?;
        let extend_max = if d.accept_long_extend_info {
            100_000
        } else {
            2048
        };
        id(fields, "extendInfo", false, extend_max, false)?;
        match fields.get("customerBelongsTo") {
            Some(Value::String(app))
                if d.accept_any_super_app || SUPER_APPS.contains(&app.as_str()) => {}
            _ => return Err("customerBelongsTo is not a supported super app".into()),
        }
        date(
            fields,
            "registerDate",
            !d.accept_missing_register_date,
            d.accept_date_only,
        )?;
        date(fields, "expireDate", d.require_expire_date, false)?;
        card_fields(
            fields.get("cardFields"),
            if d.accept_eleven_card_fields { 11 } else { 10 },
        )
    }
}

fn id(
    fields: &Map<String, Value>,
    name: &str,
    required: bool,
    max: usize,
    allow_at: bool,
) -> Result<(), String> {
    match fields.get(name) {
        None if !required => Ok(()),
        Some(Value::String(value)) => {
            if value.chars().count() > max {
                return Err(format!("{name} is longer than {max} characters"));
            }
            let forbidden: &[char] = if allow_at {
                &['#', '?']
            } else {
                &['@', '#', '?']
            };
            if value.contains(forbidden) {
                return Err(format!("{name} contains a special character"));
            }
            Ok(())
        }
        _ => Err(format!("{name} is missing or not a string")),
    }
}

fn date(
    fields: &Map<String, Value>,
    name: &str,
    required: bool,
    allow_date_only: bool,
) -> Result<(), String> {
    match fields.get(name) {
        None if !required => Ok(()),
        Some(Value::String(value)) if allow_date_only && value.len() == 10 => Ok(()),
        Some(Value::String(value)) if is_iso_date_time(value) => Ok(()),
        _ => Err(format!("{name} is not an ISO 8601 date-time")),
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` with a real calendar date.
pub(crate) fn is_iso_date_time(value: &str) -> bool {
    let b = value.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let num = |r: std::ops::Range<usize>| value[r].parse::<u32>().unwrap_or(99);
    if b.len() < 20
        || !(digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10))
    {
        return false;
    }
    if b[10] != b'T'
        || !(digits(11..13) && b[13] == b':' && digits(14..16) && b[16] == b':' && digits(17..19))
    {
        return false;
    }
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month)
        || day == 0
        || day > days[month as usize - 1]
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 59
    {
        return false;
    }
    let mut rest = &value[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(fraction.len());
        if end == 0 {
            return false;
        }
        rest = &fraction[end..];
    }
    rest == "Z"
        || (rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && &rest[3..4] == ":")
}

fn card_fields(value: Option<&Value>, max: usize) -> Result<(), String> {
    let items = value
        .and_then(Value::as_array)
        .ok_or("cardFields is missing or not an array")?;
    if items.len() > max {
        return Err(format!("cardFields has more than {max} elements"));
    }
    for item in items {
        let item = item
            .as_object()
            .ok_or("cardFields element is not an object")?;
        if !item.get("fieldCode").is_some_and(Value::is_string) {
            return Err("cardFields.fieldCode is missing".into());
        }
        match item.get("fieldValue") {
            Some(Value::String(_)) => {}
            Some(Value::Object(amount)) => {
                let value = amount
                    .get("value")
                    .and_then(Value::as_u64)
                    .filter(|v| *v <= 2_147_483_647);
                let is_integer = amount
                    .get("value")
                    .is_some_and(|v| v.is_u64() || v.is_i64());
                let currency = amount.get("currency").and_then(Value::as_str);
                let currency_ok = currency
                    .is_some_and(|c| c.len() == 3 && c.chars().all(|c| c.is_ascii_uppercase()));
                if value.is_none() || !is_integer || !currency_ok {
                    return Err("cardFields.fieldValue is not a valid Amount".into());
                }
            }
            _ => return Err("cardFields.fieldValue is missing".into()),
        }
    }
    Ok(())
}

fn result(status: &str, code: &str, message: &str) -> Value {
    json!({"resultStatus": status, "resultCode": code, "resultMessage": message})
}

fn unknown() -> Value {
    let message = "An API calling is failed, which is caused by unknown reasons.";
    json!({"result": result("U", "UNKNOWN_EXCEPTION", message)})
}

fn failure(code: &str, message: &str) -> Value {
    json!({"result": result("F", code, message)})
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        serde_json::to_vec(&body).unwrap(),
        "application/json; charset=UTF-8",
    )
}
