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
pub struct ContractFile {
    /// Editors use this to find the JSON Schema; conform ignores it.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// The operation's name, used as the first segment of every case name (`issueCard/...`).
    pub name: String,
    /// Free text for readers of the contract.
    #[serde(default)]
    pub description: Option<String>,
    /// The HTTP method and path.
    pub operation: OperationDef,
    /// Named reusable types, referred to by name in any `type`.
    #[serde(default)]
    pub types: IndexMap<String, FieldDef>,
    /// The request body: a JSON object.
    pub request: BodyDef,
    /// The response body: a JSON object.
    pub response: BodyDef,
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
    /// Message signing: what a request whose signature is missing or bad gets back.
    #[serde(default)]
    pub signing: SigningDef,
}

/// The HTTP method and path of the operation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperationDef {
    /// Upper-case HTTP method, e.g. `POST`.
    pub method: String,
    /// Path as documented, starting with `/`; a target's base URL may add a gateway prefix.
    pub path: String,
}

/// A request or response body: a JSON object with named fields.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BodyDef {
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
pub enum UnknownFields {
    /// Unknown fields are fine (the default: APIs add fields over time).
    Allow,
    /// An unknown field is a violation.
    Reject,
}

/// A value's type and constraints. Used for body fields, nested fields, array items and named types.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldDef {
    /// `string`, `integer`, `number`, `boolean`, `object`, `array`, `null`, or the name of a type
    /// from `types`. A list means "any of these" (a union).
    #[serde(rename = "type")]
    pub ty: TypeDef,
    /// Free text for readers of the contract.
    #[serde(default)]
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
}

/// One type name, or several for a union.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TypeDef {
    /// A single type.
    One(String),
    /// A union: the value must fit at least one of these.
    Union(Vec<String>),
}

/// String formats conform knows how to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// ISO 8601 / RFC 3339 date and time with an offset: `2022-02-17T00:00:00.00+08:00` or
    /// `...Z`. Fractional seconds are allowed; date-only, offset-less, space-separated and
    /// impossible dates (month 13, 30 February) are not.
    DateTime,
}

/// The business result inside a response body and the allowed status/code/message combinations.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResultDef {
    /// HTTP statuses that carry a business result (e.g. `[200]`); any other is a transport
    /// failure.
    pub http_status: Vec<u16>,
    /// JSON pointer to the result status in the response body, e.g. `/result/resultStatus`.
    pub status: String,
    /// JSON pointer to the result code.
    pub code: String,
    /// JSON pointer to the result message.
    #[serde(default)]
    pub message: Option<String>,
    /// What each status means to conform: `success`, `failure` or `unknown` (retry with the same
    /// idempotency key until it settles). A status not listed here is a violation.
    pub statuses: IndexMap<String, StatusRole>,
    /// The catalogue: every code a response may carry, with the status it goes with. A response
    /// whose (status, code) pair is not listed fails the `result-status` check.
    pub codes: Vec<CodeDef>,
}

/// The role a result status plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StatusRole {
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
pub struct CodeDef {
    /// The result code, e.g. `PARAM_ILLEGAL`.
    pub code: String,
    /// The status this code goes with, e.g. `F`.
    pub status: String,
    /// When given, the message must be exactly this.
    #[serde(default)]
    pub message: Option<String>,
    /// Free text for readers of the contract.
    #[serde(default)]
    pub description: Option<String>,
}

/// The idempotency key and the rules for replays.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IdempotencyDef {
    /// JSON pointer to the key field in the request body, e.g. `/requestId`.
    pub key: String,
    /// What a request with a used key and a different payload must get back.
    pub conflict: ConflictDef,
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

/// The policy for a replayed key with a different payload.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictDef {
    /// `same-result`: the original result comes back; `reject`: a failure with `code`;
    /// `either`: one of the two.
    pub policy: ConflictPolicy,
    /// The failure code for `reject` and `either`.
    #[serde(default)]
    pub code: Option<String>,
}

/// What a conflicting replay must get back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictPolicy {
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
pub struct SettleDef {
    /// Most requests sent in all, the first included (default 5).
    #[serde(default)]
    pub tries: Option<u32>,
    /// Wait before the first retry, doubled each time (default `100ms`).
    #[serde(default)]
    pub backoff: Option<String>,
}

/// A named request body and what it must produce.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExampleDef {
    /// Unique within the contract; becomes the case name `<contract>/example/<name>`.
    pub name: String,
    /// The request body. Its idempotency key is replaced by a fresh one on every run.
    pub request: Value,
    /// What the response must carry.
    pub expect: ExpectDef,
    /// A documented sample response; conform checks that it fits the contract.
    #[serde(default)]
    pub response: Option<Value>,
}

/// The expected business result of a request.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectDef {
    /// The result status, e.g. `S`.
    pub status: String,
    /// The result code; any code of that status when absent.
    #[serde(default)]
    pub code: Option<String>,
}

/// How responses are recorded as snapshots.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotDef {
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
pub struct GeneratedDef {
    /// What an invalid request must get back (default: the `failure` status with code
    /// `PARAM_ILLEGAL`). The reference implementation answers invalid requests with it too.
    #[serde(default)]
    pub negative: Option<ExpectDef>,
    /// Glob patterns of generated case names to leave out, for rules the API documents but
    /// does not enforce.
    #[serde(default)]
    pub skip: Vec<String>,
}

/// Message signing rules (used when requests are signed: `serve` and `verify` given keys).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SigningDef {
    /// The failure code answered, with HTTP 200 and the `failure` status, to a request whose
    /// `Signature` is missing or does not verify (default `ACCESS_DENIED`). It must be in
    /// `result.codes` with the failure status.
    #[serde(default)]
    pub reject_code: Option<String>,
}
