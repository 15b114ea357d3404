//! The contract file format as written on disk: serde types that mirror the JSON one to one.
//!
//! These types only describe shape. Meaning (type names resolve, `minLength <= maxLength`, examples
//! fit the request, pointers point somewhere) is checked by [`super::compile`], which turns a
//! [`ContractFile`] into a [`super::Contract`]. The doc comments here double as the descriptions in
//! the published JSON Schema (`conform schema`), so they are written for contract authors.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Number, Value};

/// One API operation: what a valid request is, what a valid response is, and the rules around them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "conform contract")]
pub(crate) struct ContractFile {
    /// Editors use this to find the JSON Schema; conform ignores it.
    #[serde(rename = "$schema", default)]
    #[allow(
        dead_code,
        reason = "read by readers of the file and its JSON Schema, not by conform"
    )]
    pub schema: Option<String>,
    /// The operation's name, used as the first segment of every case name (`issueCard/...`).
    pub name: String,
    /// Free text for readers of the contract.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read by readers of the file and its JSON Schema, not by conform"
    )]
    pub description: Option<String>,
    /// The HTTP method and path.
    pub operation: OperationDef,
    /// Named reusable types, referred to by name in any `type`.
    #[serde(default)]
    pub types: IndexMap<String, FieldDef>,
    /// The request: path, query and header parameters, and the body's fields.
    pub request: RequestDef,
    /// The response body of the statuses that carry a business result in the body (`result.in`
    /// `body`, the default): a JSON object.
    #[serde(default)]
    pub response: Option<BodyDef>,
    /// Responses per HTTP status (`"201"`), status class (`"4XX"`) or `"default"`: their role,
    /// headers and body. Required when the result is carried by the HTTP status; with a result in
    /// the body, it declares the other statuses the operation may answer with (a `429` or `503`
    /// from a gateway, say).
    #[serde(default)]
    pub responses: IndexMap<String, ResponseDef>,
    /// Where the business result lives in a response and which status/code/message combinations
    /// are allowed.
    pub result: ResultDef,
    /// The idempotency key and what a replay must do. Absent: the operation is not idempotent and
    /// no idempotency checks run.
    #[serde(default)]
    pub idempotency: Option<IdempotencyDef>,
    /// Named request bodies with the status they must produce.
    #[serde(default)]
    pub examples: Vec<ExampleDef>,
    /// How responses are recorded as snapshots.
    #[serde(default)]
    pub snapshot: SnapshotDef,
    /// What generated negative (invalid-request) cases expect back.
    #[serde(default)]
    pub generated: GeneratedDef,
    /// Glob patterns of case names the contract leaves out, whatever their kind: examples,
    /// generated cases, idempotency scenarios, flows, security probes, run-wide cases (`*`
    /// matches across `/`). Each is a glob, or `{"cases": GLOB, "reason": "..."}` whose reason
    /// reports show (security probes left out without one get a lint warning). A pattern that
    /// matches no case is a lint warning.
    #[serde(default)]
    pub skip: Vec<SkipDef>,
    /// Message signing: what a request whose signature is missing or bad gets back.
    #[serde(default)]
    pub signing: SigningDef,
    /// Credentials carried in request headers (`Authorization`, an API key): which headers they
    /// are and what a request without them, or with a wrong value, must get back.
    #[serde(default)]
    pub credentials: Option<CredentialsDef>,
    /// The resource this operation creates, reads, updates, deletes or lists. Contracts naming
    /// the same resource are run together as flows (create then read, delete then read, ...),
    /// and a read gets a resource that exists.
    #[serde(default)]
    pub resource: Option<ResourceDef>,
    /// Values of a successful answer that no two requests may share (each new card gets its
    /// own number): places in the answer, written like a `create`'s `resource.id`
    /// (`/body/cardNo`, `/headers/Location`), each a string or number field or a declared
    /// header. Requests with the same idempotency key may repeat a value; requests with
    /// distinct keys (or without keys) may not, across the whole run. Default: the id of the
    /// resource a `create` makes; `[]` checks none.
    #[serde(default)]
    pub unique: Option<Vec<String>>,
}

/// One `skip` entry: a glob, or a glob with the reason its cases are left out.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum SkipDef {
    /// A glob over case names; the reason, if any, is in the contract's `description`.
    Pattern(String),
    /// A glob over case names and why they are left out, shown in reports.
    WithReason(SkipReasonDef),
}

/// A `skip` glob with its reason.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SkipReasonDef {
    /// Glob over case names (`*` matches across `/`).
    pub cases: String,
    /// Why these cases are left out, e.g. `the gateway checks signatures; certified apart`.
    pub reason: String,
}

impl SkipDef {
    /// The glob and the reason, when one is given.
    pub(crate) fn parts(&self) -> (&str, Option<&str>) {
        match self {
            SkipDef::Pattern(glob) => (glob, None),
            SkipDef::WithReason(def) => (&def.cases, Some(&def.reason)),
        }
    }
}

/// What an operation does to a resource, and where the resource's id is.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ResourceDef {
    /// The resource's name, the same in every contract acting on it (`card`); the first
    /// segment of derived flow names (`card/flow/create-then-read`).
    pub name: String,
    /// What the operation does.
    pub action: ResourceAction,
    /// Where the id is. `create`: in the answer (`/body/card/id`, or `/headers/Location`, whose
    /// last path segment is taken); `read`, `update`, `delete`: in the request
    /// (`/path/cardId`, or `/body/cardNo`).
    #[serde(default)]
    pub id: Option<String>,
    /// Where the resource's fields are in a successful answer (`/body/card`; default `/body`),
    /// to compare what was sent with what is read back.
    #[serde(default)]
    pub representation: Option<String>,
    /// `read`, `update`, `delete`: what a request for an id that does not exist must get
    /// (default `404` for results in the HTTP status; no default for results in the body).
    #[serde(default)]
    pub not_found: Option<ExpectDef>,
}

/// What an operation does to its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ResourceAction {
    /// Creates one; the answer carries its id.
    Create,
    /// Reads one by id.
    Read,
    /// Changes one by id; the request carries the new values.
    Update,
    /// Removes one by id.
    Delete,
    /// Lists them.
    List,
}

/// The HTTP method and path of the operation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OperationDef {
    /// Upper-case HTTP method, e.g. `POST`.
    pub method: String,
    /// Path as documented, starting with `/`; a target's base URL may add a gateway prefix.
    /// `{name}` marks a path parameter (`/v1/cards/{cardNo}`), defined in `request.path`.
    pub path: String,
}

/// The request: its parameters (path, query, headers) and its body.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RequestDef {
    /// Path parameters, one per `{name}` of `operation.path`; always required.
    #[serde(default)]
    pub path: IndexMap<String, FieldDef>,
    /// Query parameters. An `array` of scalars is sent as repeated keys (`?tag=a&tag=b`).
    #[serde(default)]
    pub query: IndexMap<String, FieldDef>,
    /// Request headers the operation defines (names are case-insensitive). Credentials given
    /// to the target (`--header`) need not be listed here.
    #[serde(default)]
    pub headers: IndexMap<String, FieldDef>,
    /// The body's fields. Absent: the request has no body (a `GET`, a `DELETE`).
    #[serde(default)]
    pub fields: Option<IndexMap<String, FieldDef>>,
    /// What to do with body fields the contract does not name (default `allow`).
    #[serde(default)]
    pub unknown_fields: Option<UnknownFields>,
    /// The body's media type, sent as `Content-Type` (default `application/json`).
    #[serde(default)]
    pub content_type: Option<String>,
}

/// One response of an operation: its role, headers and body.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ResponseDef {
    /// Free text for readers of the contract.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read by readers of the file and its JSON Schema, not by conform"
    )]
    pub description: Option<String>,
    /// What this status means to conform. Default by class: `2XX` success, `5XX` unknown
    /// (retry with the same idempotency key), anything else failure.
    #[serde(default)]
    pub role: Option<StatusRole>,
    /// The media type `Content-Type` must carry (default `application/json` when the response
    /// has `fields`; not checked otherwise).
    #[serde(default)]
    pub content_type: Option<String>,
    /// Response headers (names are case-insensitive), e.g. `Location` required on `201`.
    #[serde(default)]
    pub headers: IndexMap<String, FieldDef>,
    /// The body's fields. Absent: the body is not described and not checked.
    #[serde(default)]
    pub fields: Option<IndexMap<String, FieldDef>>,
    /// What to do with body fields the contract does not name (default `allow`).
    #[serde(default)]
    pub unknown_fields: Option<UnknownFields>,
}

/// A request or response body: a JSON object with named fields.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct BodyDef {
    /// The body's fields, in the order examples and generated requests use.
    pub fields: IndexMap<String, FieldDef>,
    /// What to do with fields the contract does not name (default `allow`).
    #[serde(default)]
    pub unknown_fields: Option<UnknownFields>,
    /// Response only: the media type the `Content-Type` header must carry (default
    /// `application/json`; parameters such as `charset` are ignored).
    #[serde(default)]
    pub content_type: Option<String>,
}

/// Policy for fields an object's definition does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum UnknownFields {
    /// Unknown fields are fine (the default: APIs add fields over time).
    Allow,
    /// An unknown field is a violation.
    Reject,
}

/// A value's type and constraints. Used for body fields, nested fields, array items and named types.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct FieldDef {
    /// `string`, `integer`, `number`, `boolean`, `object`, `array`, `null`, or the name of a type
    /// from `types`. A list means "any of these" (a union).
    #[serde(rename = "type")]
    pub ty: TypeDef,
    /// Free text for readers of the contract.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read by readers of the file and its JSON Schema, not by conform"
    )]
    pub description: Option<String>,
    /// The field must be present (in a field list only).
    #[serde(default)]
    pub required: Option<bool>,
    /// Response fields only: the field must be present when the result status is one of these
    /// (issueCard's `cardNo` on `S`).
    #[serde(default)]
    pub required_on: Option<Vec<String>>,
    /// Strings: minimum length in characters (Unicode scalar values, not bytes).
    #[serde(default)]
    pub min_length: Option<u64>,
    /// Strings: maximum length in characters (Unicode scalar values, not bytes).
    #[serde(default)]
    pub max_length: Option<u64>,
    /// Strings: characters that must not occur, written as one string (`"@#?"`).
    #[serde(default)]
    pub forbidden_chars: Option<String>,
    /// Strings: a regular expression (Rust `regex` syntax) the whole value must match; anchor it
    /// with `^...$` to constrain the whole value.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Strings: a well-known format.
    #[serde(default)]
    pub format: Option<Format>,
    /// The only values allowed.
    #[serde(default, rename = "enum")]
    pub enum_values: Option<Vec<Value>>,
    /// Integers and numbers: smallest allowed value.
    #[serde(default)]
    pub minimum: Option<Number>,
    /// Integers and numbers: largest allowed value.
    #[serde(default)]
    pub maximum: Option<Number>,
    /// Arrays: fewest elements.
    #[serde(default)]
    pub min_items: Option<u64>,
    /// Arrays: most elements.
    #[serde(default)]
    pub max_items: Option<u64>,
    /// Arrays: the type of every element.
    #[serde(default)]
    pub items: Option<Box<FieldDef>>,
    /// Objects: the named fields.
    #[serde(default)]
    pub fields: Option<IndexMap<String, FieldDef>>,
    /// Objects: what to do with fields not named in `fields` (default `allow`).
    #[serde(default)]
    pub unknown_fields: Option<UnknownFields>,
    /// A typical value, used when conform has to make one up (reference responses, generated
    /// requests that need an optional field present).
    #[serde(default)]
    pub example: Option<Value>,
    /// The field must be present when another field of the same object has one of some values
    /// (or is absent, or present): `{"field": "/grantType", "in": ["AUTHORIZATION_CODE"]}`. A
    /// list means "when any of these holds". The pointer starts at the object holding this
    /// field: the body for the body's own fields.
    #[serde(default)]
    pub required_when: Option<ConditionsDef>,
    /// The field must be absent when another field of the same object has one of some values
    /// (or is absent, or present); same form as `requiredWhen`.
    #[serde(default)]
    pub forbidden_when: Option<ConditionsDef>,
    /// Request string fields (in the body's top level, or parameters): the implementation
    /// accepts each value once, like an auth code. conform sends a fresh value in every request
    /// (digits, as for idempotency keys), in place of the example's. `{"reused": {"status":
    /// "F", "code": "EXPIRED_CODE"}}` also says what a second use gets: the reference
    /// implementation then refuses a value it has seen with that answer.
    #[serde(default)]
    pub single_use: Option<SingleUseDef>,
    /// Response body fields (top level): the value is a credential the operation issues, under
    /// this name (`"accessToken"`); request fields that `accepts` it must carry one. The
    /// reference implementation remembers every value it issues.
    #[serde(default)]
    pub issues: Option<String>,
    /// Request fields (body top level, or parameters): the value must be a credential some
    /// operation issued (`issues`), else the answer is `otherwise`. The reference implementation
    /// accepts what it issued and the values of the contract's own success examples (documented
    /// samples a test environment honours); when no operation it serves issues the credential,
    /// it accepts any value.
    #[serde(default)]
    pub accepts: Option<AcceptsDef>,
}

/// `singleUse`: `true`, or what a second use gets.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum SingleUseDef {
    /// `true`: fresh values in every request (`false` is the same as leaving it out).
    Flag(bool),
    /// Single-use, and what a request reusing a value gets.
    Rules(SingleUseRules),
}

impl SingleUseDef {
    /// Whether the field is single-use.
    pub(crate) fn is_on(&self) -> bool {
        !matches!(self, SingleUseDef::Flag(false))
    }

    /// What a reused value gets, when the contract says.
    pub(crate) fn reused(&self) -> Option<&ExpectDef> {
        match self {
            SingleUseDef::Rules(rules) => Some(&rules.reused),
            SingleUseDef::Flag(_) => None,
        }
    }
}

/// A single-use field's answer to a reused value.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SingleUseRules {
    /// What a request carrying a value used before gets (`F`/`EXPIRED_CODE`).
    pub reused: ExpectDef,
}

/// `accepts`: the credential a request field carries, and the answer without it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AcceptsDef {
    /// The name a response field `issues` the credential under (`accessToken`).
    pub issued: String,
    /// What a request whose value was never issued gets (`F`/`INVALID_ACCESS_TOKEN`).
    pub otherwise: ExpectDef,
}

/// One condition, or several of which any may hold.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum ConditionsDef {
    /// One condition.
    One(ConditionDef),
    /// Any of these conditions.
    Any(Vec<ConditionDef>),
}

impl ConditionsDef {
    /// The conditions, in order.
    pub(crate) fn as_slice(&self) -> &[ConditionDef] {
        match self {
            ConditionsDef::One(one) => std::slice::from_ref(one),
            ConditionsDef::Any(many) => many,
        }
    }
}

/// A condition on another field of the same object: it has one of some values (`in`), or it
/// is present or absent (`present`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConditionDef {
    /// JSON pointer to the other field, from the object holding the conditional field
    /// (`/grantType`; `/payer/type` for a nested one).
    pub field: String,
    /// The condition holds when the other field is present with one of these values.
    #[serde(default, rename = "in")]
    pub values: Option<Vec<Value>>,
    /// The condition holds when the other field is present (`true`) or absent (`false`).
    #[serde(default)]
    pub present: Option<bool>,
}

/// One type name, or several for a union.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum TypeDef {
    /// A single type.
    One(String),
    /// A union: the value must fit at least one of these.
    Union(Vec<String>),
}

/// String formats conform knows how to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Format {
    /// ISO 8601 / RFC 3339 date and time with an offset: `2022-02-17T00:00:00.00+08:00` or
    /// `...Z`. Fractional seconds are allowed; date-only, offset-less, space-separated and
    /// impossible dates (month 13, 30 February) are not.
    DateTime,
}

/// The business result inside a response body and the allowed status/code/message combinations.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ResultDef {
    /// Where the result status is: `body` (default: a field of the body, on the HTTP statuses of
    /// `httpStatus`) or `http-status` (the HTTP status itself, as declared in `responses`).
    #[serde(default, rename = "in")]
    pub carrier: Option<ResultCarrier>,
    /// `body` results: HTTP statuses that carry a business result (e.g. `[200]`); any other
    /// status must be declared in `responses`.
    #[serde(default)]
    pub http_status: Option<Vec<u16>>,
    /// `body` results: JSON pointer to the result status in the response body, e.g.
    /// `/result/resultStatus`.
    #[serde(default)]
    pub status: Option<String>,
    /// JSON pointer to the result code in the body (`/result/resultCode`; for `http-status`
    /// results, into the error body, e.g. `/error/code`). Required for `body` results.
    #[serde(default)]
    pub code: Option<String>,
    /// JSON pointer to the result message.
    #[serde(default)]
    pub message: Option<String>,
    /// `body` results: what each status means to conform: `success`, `failure` or `unknown`
    /// (retry with the same idempotency key until it settles). A status not listed here is a
    /// violation. (`http-status` results give the role on each entry of `responses`.)
    #[serde(default)]
    pub statuses: IndexMap<String, StatusRole>,
    /// The catalogue: every code a response may carry, with the status it goes with (for
    /// `http-status` results an HTTP status such as `"404"` or a class such as `"4XX"`). A
    /// response whose status has codes here must carry one of them.
    #[serde(default)]
    pub codes: Vec<CodeDef>,
}

/// Where a response's business result status is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ResultCarrier {
    /// A field of the response body (`S`/`F`/`U` in `/result/resultStatus`).
    Body,
    /// The HTTP status (`201`, `404`), with the code read from the error body.
    HttpStatus,
}

/// The role a result status plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum StatusRole {
    /// The request was processed successfully.
    Success,
    /// The request was rejected or failed; the code says why.
    Failure,
    /// The outcome is not known yet: retry with the same idempotency key until it settles.
    Unknown,
}

/// One entry of the result-code catalogue.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeDef {
    /// The result code, e.g. `PARAM_ILLEGAL`.
    pub code: String,
    /// The status this code goes with, e.g. `F`.
    pub status: String,
    /// When given, the message must be exactly this.
    #[serde(default)]
    pub message: Option<String>,
    /// Free text for readers of the contract.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read by readers of the file and its JSON Schema, not by conform"
    )]
    pub description: Option<String>,
}

/// The idempotency key and the rules for replays.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct IdempotencyDef {
    /// Where the key is: a JSON pointer into the request body (`"/requestId"`), or a request
    /// header (`{"header": "Idempotency-Key"}`).
    pub key: KeyDef,
    /// What a request with a used key and a different payload must get back.
    pub conflict: ConflictDef,
    /// The answer a request may get while an earlier request with the same key is still being
    /// processed (e.g. `{"status": "409"}`): the concurrency check accepts it for all but one of
    /// its identical requests.
    #[serde(default)]
    pub in_progress: Option<ExpectDef>,
    /// How many times a successful case is replayed (default 2).
    #[serde(default)]
    pub replays: Option<u32>,
    /// How many identical requests the concurrency check sends at once (default 8).
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// How an `unknown` status is retried until it settles.
    #[serde(default)]
    pub settle: Option<SettleDef>,
    /// JSON pointer to the request field the conflict check changes (a top-level string field
    /// that is pure payload); by default conform picks the last string field it can change.
    #[serde(default)]
    pub vary: Option<String>,
}

/// Where the idempotency key is.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum KeyDef {
    /// A JSON pointer to a string field of the request body.
    Body(String),
    /// A request header.
    Header(HeaderKeyDef),
}

/// An idempotency key carried in a request header.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HeaderKeyDef {
    /// The header's name, e.g. `Idempotency-Key`; it must be defined in `request.headers`.
    pub header: String,
}

/// The policy for a replayed key with a different payload.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConflictDef {
    /// `same-result`: the original result comes back; `reject`: a failure with `code`;
    /// `either`: one of the two.
    pub policy: ConflictPolicy,
    /// The failure code for `reject` and `either`.
    #[serde(default)]
    pub code: Option<String>,
    /// The failure status for `reject` and `either` (default: the first `failure` status; for
    /// `http-status` results, e.g. `"422"` or `"409"`).
    #[serde(default)]
    pub status: Option<String>,
}

/// What a conflicting replay must get back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ConflictPolicy {
    /// The original result, unchanged.
    SameResult,
    /// A failure with the configured code.
    Reject,
    /// Either of the above.
    Either,
}

/// Retrying an `unknown` status.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettleDef {
    /// Most requests sent in all, the first included (default 5).
    #[serde(default)]
    pub tries: Option<u32>,
    /// Wait before the first retry, doubled each time (default `100ms`).
    #[serde(default)]
    pub backoff: Option<String>,
    /// Longest wait between two tries, a `Retry-After` header included (default `2s`).
    #[serde(default)]
    pub max_wait: Option<String>,
}

/// A named request body and what it must produce.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExampleDef {
    /// Unique within the contract; becomes the case name `<contract>/example/<name>`.
    pub name: String,
    /// Path parameter values, e.g. `{"cardNo": "card_1"}`.
    #[serde(default)]
    pub path: Option<serde_json::Map<String, Value>>,
    /// Query parameter values (an array for a repeated key).
    #[serde(default)]
    pub query: Option<serde_json::Map<String, Value>>,
    /// Request header values.
    #[serde(default)]
    pub headers: Option<serde_json::Map<String, Value>>,
    /// The request body (absent for an operation without one). Its idempotency key is replaced
    /// by a fresh one on every run.
    #[serde(default)]
    pub request: Option<Value>,
    /// What the response must carry.
    pub expect: ExpectDef,
    /// A documented sample response; conform checks that it fits the contract.
    #[serde(default)]
    pub response: Option<Value>,
}

/// The expected business result of a request.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpectDef {
    /// The result status, e.g. `S` (for `http-status` results an HTTP status such as `"404"`
    /// or a class such as `"4XX"`).
    pub status: String,
    /// The result code; any code of that status when absent.
    #[serde(default)]
    pub code: Option<String>,
}

/// How responses are recorded as snapshots.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SnapshotDef {
    /// JSON pointers to response fields whose values legitimately change between runs (e.g.
    /// `/cardNo`); `*` matches any array index or field name. Replaced by `[name]` in snapshots.
    #[serde(default)]
    pub redact: Vec<String>,
    /// Response headers recorded in snapshots (case-insensitive).
    #[serde(default)]
    pub headers: Vec<String>,
}

/// Expectations for generated cases.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GeneratedDef {
    /// What an invalid request must get back (default: the `failure` status with code
    /// `PARAM_ILLEGAL`). The reference implementation answers invalid requests with it too.
    #[serde(default)]
    pub negative: Option<ExpectDef>,
    /// Glob patterns of generated case names to leave out, for rules the API documents but
    /// does not enforce.
    #[serde(default)]
    pub skip: Vec<String>,
    /// Other answers for some generated cases, the first matching entry winning: an API that
    /// answers a malformed path parameter with `404` says
    /// `{"cases": "getCard/negative/path.*", "status": "404"}`.
    #[serde(default)]
    pub expect: Vec<CaseExpectDef>,
}

/// The expected answer of the generated cases whose names match a glob.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaseExpectDef {
    /// Glob over generated case names (`*` matches across `/`).
    pub cases: String,
    /// The result status.
    pub status: String,
    /// The result code; any code of that status when absent.
    #[serde(default)]
    pub code: Option<String>,
}

/// Credentials carried in request headers.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CredentialsDef {
    /// The headers holding credentials (`Authorization`, `X-Api-Key`). Their values come from
    /// the target (`--header`, the target profile), are never shown, and security probes send
    /// requests without them or with wrong values.
    pub headers: Vec<String>,
    /// What a request with missing or wrong credentials must get back, e.g.
    /// `{"status": "401", "code": "unauthorized"}`.
    pub reject: ExpectDef,
}

/// Message signing rules (used when requests are signed: `serve` and `verify` given keys).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SigningDef {
    /// The failure code answered, with HTTP 200 and the `failure` status, to a request whose
    /// `Signature` is missing or does not verify (default `ACCESS_DENIED`). It must be in
    /// `result.codes` with the failure status.
    #[serde(default)]
    pub reject_code: Option<String>,
    /// For results in the HTTP status: the status a request with a missing or bad signature
    /// gets (default `401`).
    #[serde(default)]
    pub reject_status: Option<String>,
}
