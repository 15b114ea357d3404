//! A hand-written Cards API implementation, coded from `examples/cards-api/API.md` and not from
//! conform's contracts, validator or reference implementation, so that conform's REST support
//! is tested against an independent reading of the API. [`Defects`] switches on one mistake at
//! a time, the kinds real REST implementations make.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The token a correct client sends.
pub(crate) const TOKEN: &str = "Bearer test-token-7f3a";

/// How long creating a card takes: a second request with the same key in this window is told
/// the first is still in flight (`409`).
const PROCESSING: Duration = Duration::from_millis(60);

/// One mistake each; all off is a correct implementation.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Defects {
    pub auth_not_enforced: bool,
    pub created_answers_200: bool,
    pub no_location: bool,
    pub flat_error_body: bool,
    pub include_not_checked: bool,
    pub card_id_not_checked: bool,
    pub nickname_not_checked: bool,
    pub key_ignored: bool,
    pub reused_key_accepted: bool,
    pub racy_insert: bool,
    pub server_error_on_unknown_card: bool,
    pub read_returns_first_card: bool,
    pub update_not_stored: bool,
    pub delete_not_effective: bool,
    /// The `Location` of a created card names the card created before it.
    pub location_names_another_card: bool,
    /// A change replaces the card with what was sent: fields not sent are lost.
    pub update_forgets_unsent_fields: bool,
    /// Any bearer token is taken, not only the one issued.
    pub any_token_accepted: bool,
    /// A create runs before the token is checked: the card is made and its key kept, then the
    /// request is refused.
    pub created_before_auth: bool,
    /// Card ids count per tier (a sequence per shard), so cards of two tiers get the same ones.
    pub ids_per_tier: bool,
    /// Only the last N keys that created a card are remembered.
    pub remember_last: Option<usize>,
    /// A change to an id no card has makes that card (an upsert the API does not have).
    pub update_creates_unknown: bool,
    /// Deleting an id no card has is answered as done.
    pub delete_of_unknown_succeeds: bool,
}

struct Stored {
    body: Value,
    card_id: String,
    visible_from: Instant,
}

/// The implementation: its cards and the keys it has seen.
pub(crate) struct CardsApi {
    defects: Defects,
    keys: Mutex<HashMap<String, Stored>>,
    /// Keys in the order they created a card, oldest first (for `remember_last`).
    order: Mutex<VecDeque<String>>,
    cards: Mutex<HashMap<String, Value>>,
    next: AtomicU64,
    per_tier: Mutex<HashMap<String, u64>>,
}

/// Starts a server running the implementation with `defects`.
pub(crate) async fn serve(defects: Defects) -> MockServer {
    let server = MockServer::start().await;
    let api = CardsApi {
        defects,
        keys: Mutex::new(HashMap::new()),
        order: Mutex::new(VecDeque::new()),
        cards: Mutex::new(HashMap::new()),
        next: AtomicU64::new(1),
        per_tier: Mutex::new(HashMap::new()),
    };
    Mock::given(wiremock::matchers::any())
        .respond_with(api)
        .mount(&server)
        .await;
    server
}

impl Respond for CardsApi {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        if !self.authorized(request) {
            if self.defects.created_before_auth && request.method.as_str() == "POST" {
                let _ = self.create(request);
            }
            return self.error(401, "unauthorized", "missing or wrong bearer token");
        }
        match (request.method.as_str(), path) {
            ("POST", "/v1/cards") => self.create(request),
            ("GET", _) if path.starts_with("/v1/cards/") => {
                self.read(&path["/v1/cards/".len()..], request)
            }
            ("PATCH", _) if path.starts_with("/v1/cards/") => {
                self.update(&path["/v1/cards/".len()..], request)
            }
            ("DELETE", _) if path.starts_with("/v1/cards/") => {
                self.delete(&path["/v1/cards/".len()..])
            }
            _ => self.error(404, "not_found", "no such endpoint"),
        }
    }
}

impl CardsApi {
    fn authorized(&self, request: &Request) -> bool {
        let token = header(request, "authorization");
        if self.defects.auth_not_enforced {
            return true;
        }
        if self.defects.any_token_accepted {
            return token.is_some_and(|t| t.len() > "Bearer ".len() && t.starts_with("Bearer "));
        }
        token == Some(TOKEN)
    }

    fn create(&self, request: &Request) -> ResponseTemplate {
        let Some(key) = header(request, "idempotency-key").filter(|k| valid_key(k)) else {
            return self.error(
                400,
                "invalid_request",
                "Idempotency-Key is missing or malformed",
            );
        };
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(body) => body,
            Err(_) => return self.error(400, "invalid_request", "body is not JSON"),
        };
        if let Err(why) = self.validate_card(&body) {
            return self.error(400, "invalid_request", &why);
        }
        let key = if self.defects.key_ignored {
            format!("{key}-{}", self.next.fetch_add(1, Ordering::Relaxed))
        } else {
            key.to_string()
        };
        let mut keys = self.keys.lock().unwrap();
        let now = Instant::now();
        if let Some(stored) = keys.get(&key) {
            if stored.visible_from > now && !self.defects.racy_insert {
                return self.error(
                    409,
                    "idempotency_key_in_use",
                    "a request with this key is in flight",
                );
            }
            if stored.visible_from <= now {
                if stored.body != body && !self.defects.reused_key_accepted {
                    return self.error(422, "idempotency_key_reused", "key used with another body");
                }
                if stored.body == body {
                    let card = self.cards.lock().unwrap()[&stored.card_id].clone();
                    return self.created(&card);
                }
            }
        }
        let card = self.new_card(&body);
        let id = card["id"].as_str().unwrap().to_string();
        self.cards.lock().unwrap().insert(id.clone(), card.clone());
        keys.insert(
            key.clone(),
            Stored {
                body,
                card_id: id,
                visible_from: now + PROCESSING,
            },
        );
        if let Some(capacity) = self.defects.remember_last {
            let mut order = self.order.lock().unwrap();
            order.push_back(key);
            while order.len() > capacity {
                let oldest = order.pop_front().unwrap();
                keys.remove(&oldest);
            }
        }
        self.created(&card).set_delay(PROCESSING)
    }

    fn read(&self, card_id: &str, request: &Request) -> ResponseTemplate {
        if !self.defects.card_id_not_checked && !valid_id(card_id, "card_", 8, 32) {
            return self.error(400, "invalid_request", "malformed card id");
        }
        let includes: Vec<String> = request
            .url
            .query_pairs()
            .filter(|(name, _)| name == "include")
            .map(|(_, value)| value.into_owned())
            .collect();
        let known = |v: &String| v == "assets" || v == "history";
        if !self.defects.include_not_checked && (includes.len() > 2 || !includes.iter().all(known))
        {
            return self.error(
                400,
                "invalid_request",
                "include takes assets or history, at most twice",
            );
        }
        let card_id = if self.defects.read_returns_first_card {
            "card_0000000001"
        } else {
            card_id
        };
        let Some(mut card) = self.cards.lock().unwrap().get(card_id).cloned() else {
            if self.defects.server_error_on_unknown_card {
                return ResponseTemplate::new(500).set_body_string("NullPointerException");
            }
            return self.error(404, "card_not_found", "no card with this id");
        };
        if includes.iter().any(|i| i == "assets") {
            card["assets"] = json!([{"kind": "POINT", "amount": 120}]);
        }
        json_answer(200, &json!({"card": card}))
    }

    fn update(&self, card_id: &str, request: &Request) -> ResponseTemplate {
        if !valid_id(card_id, "card_", 8, 32) {
            return self.error(400, "invalid_request", "malformed card id");
        }
        let changes: Value = match serde_json::from_slice(&request.body) {
            Ok(Value::Object(changes)) => Value::Object(changes),
            _ => return self.error(400, "invalid_request", "body is not a JSON object"),
        };
        for (name, value) in changes.as_object().into_iter().flatten() {
            let valid = match name.as_str() {
                "tier" => matches!(value.as_str(), Some("gold" | "silver" | "bronze")),
                "nickname" => value.as_str().is_some_and(|n| n.chars().count() <= 32),
                _ => false,
            };
            if !valid {
                return self.error(400, "invalid_request", &format!("{name} cannot be set so"));
            }
        }
        let mut cards = self.cards.lock().unwrap();
        if self.defects.update_creates_unknown && !cards.contains_key(card_id) {
            let made = json!({"id": card_id, "customerId": "cus_00000000", "tier": "bronze",
                "createdAt": "2026-11-30T10:00:00Z"});
            cards.insert(card_id.to_string(), made);
        }
        let Some(card) = cards.get_mut(card_id) else {
            return self.error(404, "card_not_found", "no card with this id");
        };
        let mut updated = card.clone();
        if self.defects.update_forgets_unsent_fields {
            let kept = ["id", "customerId", "tier", "createdAt"];
            updated
                .as_object_mut()
                .unwrap()
                .retain(|k, _| kept.contains(&k.as_str()));
        }
        for (name, value) in changes.as_object().into_iter().flatten() {
            updated[name] = value.clone();
        }
        if !self.defects.update_not_stored {
            *card = updated.clone();
        }
        json_answer(200, &json!({"card": updated}))
    }

    fn delete(&self, card_id: &str) -> ResponseTemplate {
        if !valid_id(card_id, "card_", 8, 32) {
            return self.error(400, "invalid_request", "malformed card id");
        }
        let mut cards = self.cards.lock().unwrap();
        let found = if self.defects.delete_not_effective {
            cards.contains_key(card_id)
        } else {
            cards.remove(card_id).is_some()
        };
        if !found && !self.defects.delete_of_unknown_succeeds {
            return self.error(404, "card_not_found", "no card with this id");
        }
        ResponseTemplate::new(204)
    }

    fn validate_card(&self, body: &Value) -> Result<(), String> {
        let fields = body.as_object().ok_or("body is not an object")?;
        let allowed = ["customerId", "tier", "nickname", "expiresAt"];
        if let Some(extra) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!("unknown field {extra}"));
        }
        match fields.get("customerId").and_then(Value::as_str) {
            Some(id) if valid_id(id, "cus_", 8, 24) => {}
            _ => return Err("customerId is missing or malformed".into()),
        }
        match fields.get("tier").and_then(Value::as_str) {
            Some("gold" | "silver" | "bronze") => {}
            _ => return Err("tier must be gold, silver or bronze".into()),
        }
        match fields.get("nickname") {
            None => {}
            Some(Value::String(n))
                if self.defects.nickname_not_checked || n.chars().count() <= 32 => {}
            _ => return Err("nickname is longer than 32 characters".into()),
        }
        match fields.get("expiresAt") {
            None => {}
            Some(Value::String(t)) if rfc3339(t) => {}
            _ => return Err("expiresAt is not an RFC 3339 date-time".into()),
        }
        Ok(())
    }

    fn new_card(&self, body: &Value) -> Value {
        let n = if self.defects.ids_per_tier {
            let tier = body["tier"].as_str().unwrap_or_default().to_string();
            let mut counts = self.per_tier.lock().unwrap();
            let n = counts.entry(tier).or_insert(0);
            *n += 1;
            *n
        } else {
            self.next.fetch_add(1, Ordering::Relaxed)
        };
        let mut card = Map::new();
        card.insert("id".into(), json!(format!("card_{n:010}")));
        for field in ["customerId", "tier", "nickname", "expiresAt"] {
            if let Some(value) = body.get(field) {
                card.insert(field.into(), value.clone());
            }
        }
        // The clock's time, as a real implementation stamps it: it differs from run to run.
        let now = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ");
        card.insert("createdAt".into(), json!(now.to_string()));
        Value::Object(card)
    }

    fn created(&self, card: &Value) -> ResponseTemplate {
        let status = if self.defects.created_answers_200 {
            200
        } else {
            201
        };
        let mut answer = json_answer(status, &json!({"card": card}));
        if !self.defects.no_location {
            let mut id = card["id"].as_str().unwrap_or_default().to_string();
            if self.defects.location_names_another_card {
                let n: u64 = id["card_".len()..].parse().unwrap_or(1);
                id = format!("card_{:010}", n.saturating_sub(1).max(1));
            }
            let location = format!("/v1/cards/{id}");
            answer = answer.insert_header("Location", location.as_str());
        }
        answer
    }

    fn error(&self, status: u16, code: &str, message: &str) -> ResponseTemplate {
        let body = if self.defects.flat_error_body {
            json!({"message": message})
        } else {
            json!({"error": {"code": code, "message": message}})
        };
        json_answer(status, &body)
    }
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// `2030-01-31T00:00:00Z` or with `±HH:MM`, fractions allowed, `T` required.
fn rfc3339(text: &str) -> bool {
    let offset = match text.strip_suffix('Z') {
        Some(rest) => format!("{rest}+00:00"),
        None => text.to_string(),
    };
    jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%.f%:z", &offset).is_ok()
}

fn valid_key(key: &str) -> bool {
    (8..=64).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn valid_id(id: &str, prefix: &str, min: usize, max: usize) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        (min..=max).contains(&rest.len()) && rest.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

fn json_answer(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_raw(serde_json::to_vec(body).unwrap(), "application/json")
}
