//! Contracts: the JSON file format, its compilation into checked rules, and contract errors.
//!
//! A contract file is read (`load`), its text indexed for positions (`source`), checked
//! against the format's JSON Schema (`shape`), deserialized into the raw file model (`model`)
//! and compiled (`compile`) into a [`Contract`] whose schemas (`schema`) the rest of conform
//! works from. This module knows nothing of HTTP. A run's contracts are a `suite`: held
//! compiled whole, or, past `verify --batch` of them, surveyed once and compiled one batch at
//! a time.
//!
//! Public: [`load_paths`], the opaque [`Contract`] it returns (the rest of conform reads its
//! compiled rules; a caller hands it to [`crate::verify::Verify`] or
//! [`crate::reference::ReferenceServer`]) and the located [`ContractErrors`].

mod case_glob;
pub(crate) mod compile;
pub(crate) mod error;
pub(crate) mod http;
pub(crate) mod load;
pub(crate) mod model;
pub(crate) mod schema;
mod shape;
mod shared;
pub(crate) mod source;
pub(crate) mod suite;

use std::path::PathBuf;
use std::time::Duration;

use globset::GlobSet;
use serde_json::Value;

pub(crate) use case_glob::CaseGlob;
pub use error::{ContractError, ContractErrors};
pub(crate) use error::{ContractErrorKind, ContractWarning, WarnedFile, WarningPlace};
pub(crate) use http::{Credentials, Location, PathTemplate, Resource, ResponseSpec, StatusMatch};
pub use load::load_paths;
pub(crate) use load::{load_bytes, load_str};
pub(crate) use model::{ConflictPolicy, ResourceAction, ResultCarrier, StatusRole};
pub(crate) use schema::{Effect, Field, Kind, Presence, Schema, Test, Types};
pub(crate) use shape::{check_against as check_shape_against, closest, none_repeated};
pub(crate) use shared::SharedContract;

use crate::json::Pointer;

/// A compiled, consistent contract for one API operation.
#[derive(Debug, Clone)]
pub struct Contract {
    /// The operation's name, the first segment of case names.
    pub(crate) name: String,
    /// Where it came from.
    pub(crate) source: SourceInfo,
    /// Upper-case HTTP method.
    pub(crate) method: String,
    /// The documented path, starting with `/`.
    pub(crate) path: String,
    /// The path split into literal text and parameters.
    pub(crate) template: PathTemplate,
    /// Named types referred to by the schemas.
    pub(crate) types: Types,
    /// The whole request as one document, `{"path", "query", "headers", "body"}`: parameters
    /// and body checked, generated and named alike (see [`http`]). The body's schema is held
    /// here only ([`Contract::request`]), not twice.
    pub(crate) document: Schema,
    /// The body's media type; `None` when the operation sends no body.
    pub(crate) request_media: Option<String>,
    /// The response body of the business statuses, for results in the body (an object schema).
    pub(crate) response: Schema,
    /// Every declared response, most specific first.
    pub(crate) responses: Vec<ResponseSpec>,
    /// Credentials carried in request headers, when the contract declares them.
    pub(crate) credentials: Option<Credentials>,
    /// Other expected answers for generated cases whose names match a glob, first match first.
    pub(crate) case_expectations: Vec<CaseExpect>,
    /// The resource the operation acts on, when the contract declares one.
    pub(crate) resource: Option<Resource>,
    /// Business-result semantics.
    pub(crate) result: ResultRules,
    /// Idempotency rules, when the operation has a key.
    pub(crate) idempotency: Option<Idempotency>,
    /// Named examples.
    pub(crate) examples: Vec<Example>,
    /// Snapshot settings.
    pub(crate) snapshot: SnapshotRules,
    /// What a generated invalid request must get back.
    pub(crate) negative: Expect,
    /// Cases to leave out: `skip` (every kind) and `generated.skip` (generated cases).
    pub(crate) skip: Skips,
    /// What a request with a missing or bad signature gets: the contract's `signing.rejectCode`,
    /// else `ACCESS_DENIED` when the catalogue has it as a failure code, else `None`.
    pub(crate) signature_rejection: Option<Expect>,
    /// The request's single-use fields: each request carries a fresh value there.
    pub(crate) single_use: Vec<SingleUse>,
    /// The response fields holding credentials the operation issues.
    pub(crate) issues: Vec<Issue>,
    /// The request fields that must carry an issued credential.
    pub(crate) accepts: Vec<Accept>,
    /// Places in a successful answer (`/body/cardNo`, `/headers/Location`) whose values no two
    /// requests with distinct idempotency keys may share across a run.
    pub(crate) unique: Vec<Pointer>,
}

/// The cases a contract leaves out on purpose.
#[derive(Debug, Clone)]
pub(crate) struct Skips {
    /// `skip`: cases of every kind (examples, generated cases, idempotency scenarios, flows).
    pub(crate) all: GlobSet,
    /// `generated.skip`: generated cases only.
    pub(crate) generated: GlobSet,
    /// Every pattern of both, with its place in the file, for warnings about patterns that
    /// match nothing.
    pub(crate) patterns: Vec<SkipPattern>,
}

impl Default for Skips {
    fn default() -> Self {
        Skips {
            all: GlobSet::empty(),
            generated: GlobSet::empty(),
            patterns: Vec::new(),
        }
    }
}

impl Skips {
    /// Whether the case `name` is left out; `generated` says whether it is a generated case.
    pub(crate) fn leaves_out(&self, name: &str, generated: bool) -> bool {
        // A contract with few patterns has no sets built (see `FEW_SKIP_PATTERNS`): its
        // patterns' own matchers say the same.
        if self.all.is_empty() && self.generated.is_empty() {
            return self
                .patterns
                .iter()
                .any(|p| (generated || !p.generated_only) && p.glob.is_match(name));
        }
        self.all.is_match(name) || (generated && self.generated.is_match(name))
    }

    /// The first `skip` pattern (not `generated.skip`) leaving out the case `name`.
    pub(crate) fn pattern_for(&self, name: &str) -> Option<&SkipPattern> {
        self.patterns
            .iter()
            .find(|p| !p.generated_only && p.glob.is_match(name))
    }
}

/// A single-use request field: its place in the request document and its `maxLength`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SingleUse {
    /// `/body/authCode`, `/query/token`.
    pub(crate) pointer: Pointer,
    /// Fresh values are cut to this many characters.
    pub(crate) max_len: Option<usize>,
    /// What a request reusing a value gets, when the contract says (`singleUse.reused`).
    pub(crate) reused: Option<Expect>,
}

/// A response field whose value is a credential the operation issues (`issues`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issue {
    /// Its place in the answer document (`/body/accessToken`).
    pub(crate) pointer: Pointer,
    /// The credential's name (`accessToken`).
    pub(crate) credential: String,
}

/// A request field that must carry an issued credential (`accepts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accept {
    /// Its place in the request document (`/body/accessToken`).
    pub(crate) pointer: Pointer,
    /// The credential's name (`accessToken`).
    pub(crate) credential: String,
    /// What a request carrying a value never issued gets.
    pub(crate) otherwise: Expect,
}

/// A glob of case names a contract leaves out, with its place in the file for warnings.
#[derive(Debug, Clone)]
pub(crate) struct SkipPattern {
    /// The glob as written.
    pub(crate) text: String,
    /// Compiled.
    pub(crate) glob: CaseGlob,
    /// Why its cases are left out, when the entry says (`{"cases": ..., "reason": ...}`).
    pub(crate) reason: Option<String>,
    /// Whether it is from `generated.skip` (it applies to generated cases only).
    pub(crate) generated_only: bool,
    /// Where it is written: what a warning about it points at.
    pub(crate) place: WarningPlace,
}

/// Where a contract was read from and its digest, for reports and snapshot headers.
#[derive(Debug, Clone)]
pub(crate) struct SourceInfo {
    /// The file as the user named it.
    pub(crate) path: PathBuf,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub(crate) sha256: String,
}

/// The expected answer of the generated cases whose names match a glob.
#[derive(Debug, Clone)]
pub(crate) struct CaseExpect {
    /// The glob, over case names.
    pub(crate) cases: CaseGlob,
    /// What those cases must get.
    pub(crate) expect: Expect,
}

/// Where the business result is and which combinations are allowed.
#[derive(Debug, Clone)]
pub(crate) struct ResultRules {
    /// Whether the status is a body field or the HTTP status.
    pub(crate) carrier: ResultCarrier,
    /// `body` results: HTTP statuses that carry a business result.
    pub(crate) http_status: Vec<u16>,
    /// `body` results: pointer to the status (the root for `http-status` results).
    pub(crate) status: Pointer,
    /// Pointer to the code (the root when the contract names none: it never holds a string).
    pub(crate) code: Pointer,
    /// Pointer to the message.
    pub(crate) message: Option<Pointer>,
    /// Each declared status and its role, in contract order: the body statuses (`S`, `F`, `U`),
    /// or for `http-status` results the response keys (`201`, `4XX`, `default`).
    pub(crate) statuses: Vec<(String, StatusRole)>,
    /// Roles of the HTTP statuses that carry no business result in the body (every status, for
    /// `http-status` results), most specific first.
    pub(crate) http_roles: Vec<(StatusMatch, StatusRole)>,
    /// The catalogue.
    pub(crate) codes: Vec<CodeEntry>,
}

/// One catalogue entry.
#[derive(Debug, Clone)]
pub(crate) struct CodeEntry {
    /// The code.
    pub(crate) code: String,
    /// The status it goes with.
    pub(crate) status: String,
    /// The exact message required, if any.
    pub(crate) message: Option<String>,
    /// What the code means; the reference implementation's message when none is fixed.
    pub(crate) description: Option<String>,
}

impl CodeEntry {
    /// The message to answer with: the fixed one, else the description, else the code.
    pub(crate) fn message_text(&self) -> &str {
        self.message
            .as_deref()
            .or(self.description.as_deref())
            .unwrap_or(&self.code)
    }
}

impl ResultRules {
    /// The role of `status`, or `None` when the contract does not declare it. An HTTP status
    /// (`"404"`) is resolved through its class and `default` when it is not declared itself.
    pub(crate) fn role(&self, status: &str) -> Option<StatusRole> {
        if let Some((_, role)) = self.statuses.iter().find(|(s, _)| s == status) {
            return Some(*role);
        }
        let code = status.parse::<u16>().ok().filter(|_| status.len() == 3)?;
        self.http_roles
            .iter()
            .filter(|(m, _)| m.covers(code))
            .min_by_key(|(m, _)| m.rank())
            .map(|(_, role)| *role)
    }

    /// Whether an answer whose status is `actual` has the expected status `expected`: equal,
    /// or, for HTTP statuses, inside the expected class (`4XX` holds `422`).
    pub(crate) fn status_matches(expected: &str, actual: &str) -> bool {
        if expected == actual {
            return true;
        }
        match (StatusMatch::parse(expected), actual.parse::<u16>()) {
            (Some(StatusMatch::Class(class)), Ok(code)) => code / 100 == class,
            _ => false,
        }
    }

    /// The first status with `role` (every compiled contract has a success and a failure status).
    pub(crate) fn status_for(&self, role: StatusRole) -> Option<&str> {
        self.statuses
            .iter()
            .find(|(_, r)| *r == role)
            .map(|(s, _)| s.as_str())
    }

    /// The catalogue entry for a (status, code) pair (an entry of class `4XX` holds `404`).
    pub(crate) fn entry(&self, status: &str, code: &str) -> Option<&CodeEntry> {
        self.codes
            .iter()
            .find(|e| e.code == code && Self::status_matches(&e.status, status))
    }

    /// The first catalogue entry of `status`: what the reference implementation answers with.
    pub(crate) fn first_entry(&self, status: &str) -> Option<&CodeEntry> {
        self.codes
            .iter()
            .find(|e| Self::status_matches(&e.status, status))
    }

    /// Whether the catalogue lists codes for `status`: an answer with such a status must carry
    /// one of them.
    pub(crate) fn has_codes(&self, status: &str) -> bool {
        self.first_entry(status).is_some()
    }

    /// The declared statuses, for messages: `S, F, U`.
    pub(crate) fn status_list(&self) -> String {
        let names: Vec<_> = self.statuses.iter().map(|(s, _)| s.as_str()).collect();
        names.join(", ")
    }
}

/// The fewest identical requests the concurrency scenario sends: one alone compares nothing.
pub(crate) const MIN_CONCURRENCY: u32 = 2;

/// The fewest tries of a request whose status is unknown: the first one.
pub(crate) const MIN_SETTLE_TRIES: u32 = 1;

/// How a request answered with the unknown status is settled when the contract does not say
/// (`idempotency.settle`): at most this many tries in all...
pub(crate) const DEFAULT_SETTLE_TRIES: u32 = 5;
/// ...waiting this long before the second, twice as long before each next one...
pub(crate) const DEFAULT_SETTLE_BACKOFF: Duration = Duration::from_millis(100);
/// ...and never longer than this between two, a `Retry-After` included.
pub(crate) const DEFAULT_SETTLE_MAX_WAIT: Duration = Duration::from_secs(2);

/// Idempotency rules.
#[derive(Debug, Clone)]
pub(crate) struct Idempotency {
    /// Pointer to the key in the request body (the root for a header key: see `key_in`).
    pub(crate) key: Pointer,
    /// Where the key travels.
    pub(crate) key_in: KeyLocation,
    /// The conflict policy.
    pub(crate) policy: ConflictPolicy,
    /// The failure code for `reject` and `either`.
    pub(crate) conflict_code: Option<String>,
    /// The failure status for `reject` and `either`.
    pub(crate) conflict_status: Option<String>,
    /// The answer accepted while an identical request is in flight.
    pub(crate) in_progress: Option<Expect>,
    /// Longest wait between settle tries, `Retry-After` included.
    pub(crate) settle_max_wait: Duration,
    /// Replays of each successful case.
    pub(crate) replays: u32,
    /// Identical requests sent at once by the concurrency check.
    pub(crate) concurrency: u32,
    /// Most tries while an unknown status settles.
    pub(crate) settle_tries: u32,
    /// First wait between tries; doubled each time.
    pub(crate) settle_backoff: Duration,
    /// The field the conflict check changes, when the contract names one.
    pub(crate) vary: Option<Pointer>,
    /// The key field's `maxLength`: fresh keys are cut to fit it.
    pub(crate) key_max_len: Option<usize>,
}

/// Where an idempotency key travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyLocation {
    /// A string field of the body.
    Body(Pointer),
    /// A request header, name as written.
    Header(String),
}

impl KeyLocation {
    /// The key's place in the request document (`/body/requestId`, `/headers/Idempotency-Key`).
    pub(crate) fn document_pointer(&self) -> Pointer {
        match self {
            // Built in one go: this runs for every case planned and sent.
            KeyLocation::Body(pointer) => {
                let mut segments = Vec::with_capacity(pointer.segments().len() + 1);
                segments.push(Location::Body.name().to_string());
                segments.extend(pointer.segments().iter().cloned());
                Pointer::from_segments(segments)
            }
            KeyLocation::Header(name) => {
                Pointer::from_segments(vec![Location::Headers.name().to_string(), name.clone()])
            }
        }
    }

    /// The key's name for messages: `requestId`, `Idempotency-Key`.
    pub(crate) fn name(&self) -> &str {
        match self {
            KeyLocation::Body(pointer) => pointer.last().unwrap_or("key"),
            KeyLocation::Header(name) => name,
        }
    }
}

/// A named example request.
#[derive(Debug, Clone)]
pub(crate) struct Example {
    /// Unique within the contract.
    pub(crate) name: String,
    /// The whole request document: parameters and body (the body only here, not twice: a
    /// suite of thousands of contracts holds every example).
    pub(crate) document: Value,
    /// What it must produce.
    pub(crate) expect: Expect,
    /// The documented sample response, when the example gives one.
    pub(crate) response: Option<Value>,
}

impl Example {
    /// The request body (`null` when the operation has none).
    pub(crate) fn request(&self) -> &Value {
        self.document
            .get(Location::Body.name())
            .unwrap_or(&Value::Null)
    }
}

/// An expected business result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expect {
    /// The result status.
    pub(crate) status: String,
    /// The code, when one specific code is expected.
    pub(crate) code: Option<String>,
}

impl Expect {
    /// Whether an answer whose business result is (`status`, `code`) is the expected one: the
    /// same status (or, for HTTP statuses, one inside an expected class such as `4XX`), and the
    /// expected code when one is named.
    pub(crate) fn matches(&self, status: Option<&str>, code: Option<&str>) -> bool {
        status.is_some_and(|s| ResultRules::status_matches(&self.status, s))
            && self.code.as_deref().is_none_or(|c| code == Some(c))
    }

    /// `F/PARAM_ILLEGAL`, `404`, `4XX/invalid_request`, for messages.
    pub(crate) fn describe(&self) -> String {
        match &self.code {
            Some(code) => format!("{}/{code}", self.status),
            None => self.status.clone(),
        }
    }
}

/// Snapshot settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct SnapshotRules {
    /// Response fields replaced by `[name]`.
    pub(crate) redact: Vec<Pointer>,
    /// Response headers recorded, lower-case.
    pub(crate) headers: Vec<String>,
}

impl Contract {
    /// The operation's name, the first segment of its case names (`issueCard`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The upper-case HTTP method (`POST`).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The documented path, starting with `/` (`/v2/pds/memberships/issueCard`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file the contract was read from.
    pub fn file(&self) -> &std::path::Path {
        &self.source.path
    }

    /// The request body (an object schema; no fields when the operation has no body).
    pub(crate) fn request(&self) -> &Schema {
        static NO_BODY: std::sync::LazyLock<Schema> =
            std::sync::LazyLock::new(|| Schema::of(vec![Kind::Object]));
        self.document
            .objects
            .fields
            .iter()
            .find(|field| field.name == Location::Body.name())
            .map_or(&*NO_BODY, |field| &field.schema)
    }

    /// The parameter `name` of `location` (header names compared case-insensitively).
    pub(crate) fn parameter(&self, location: Location, name: &str) -> Option<&Field> {
        let container = self
            .document
            .objects
            .fields
            .iter()
            .find(|f| f.name == location.name())?;
        let fields = &container.schema.objects.fields;
        match location {
            Location::Headers => fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)),
            _ => fields.iter().find(|f| f.name == name),
        }
    }

    /// The parameters of `location`, in contract order.
    pub(crate) fn parameters(&self, location: Location) -> &[Field] {
        self.document
            .objects
            .fields
            .iter()
            .find(|f| f.name == location.name())
            .map_or(&[], |f| f.schema.objects.fields.as_slice())
    }

    /// What a request that must succeed expects: the first success status (results in the
    /// body); with results in the HTTP status, the one success status, or any `2XX` when there
    /// are several.
    pub(crate) fn success_expect(&self) -> Expect {
        let successes: Vec<&str> = self
            .result
            .statuses
            .iter()
            .filter(|(_, role)| *role == StatusRole::Success)
            .map(|(status, _)| status.as_str())
            .collect();
        let status = match (self.result.carrier, successes.as_slice()) {
            (ResultCarrier::HttpStatus, [one]) => one.to_string(),
            (ResultCarrier::HttpStatus, _) => "2XX".to_string(),
            (ResultCarrier::Body, [first, ..]) => first.to_string(),
            (ResultCarrier::Body, []) => String::new(),
        };
        Expect { status, code: None }
    }

    /// The response definition covering an HTTP status, if any.
    pub(crate) fn response_for(&self, status: u16) -> Option<&ResponseSpec> {
        http::response_for(&self.responses, status)
    }

    /// The field schema reached by following `pointer` through the request schema (array
    /// indices step into items; named types are resolved). `None` when the pointer leaves the
    /// schema or crosses a union.
    pub(crate) fn request_field(&self, pointer: &Pointer) -> Option<&Schema> {
        schema_at(&self.types, self.request(), pointer.segments())
    }
}

/// Follows `segments` through `schema`; see [`Contract::request_field`]. A loop, not a
/// recursion: a pointer into a recursive type can be as long as the contract makes it.
pub(crate) fn schema_at<'a>(
    types: &'a Types,
    schema: &'a Schema,
    segments: &[String],
) -> Option<&'a Schema> {
    let mut current = schema;
    for segment in segments {
        let resolved = resolve_single(types, current)?;
        current = if resolved.kinds.contains(&Kind::Array) {
            segment.parse::<usize>().ok()?;
            resolved.arrays.items.as_deref()?
        } else {
            let field = resolved
                .objects
                .fields
                .iter()
                .find(|f| &f.name == segment)?;
            &field.schema
        };
    }
    Some(current)
}

/// The schema itself, or the named type it consists of; `None` for unions (and for a chain of
/// renames longer than a compiled contract allows).
pub(crate) fn resolve_single<'a>(types: &'a Types, schema: &'a Schema) -> Option<&'a Schema> {
    let mut current = schema;
    for _ in 0..=compile::MAX_RENAMES + 1 {
        match current.kinds.as_slice() {
            [Kind::Named(id)] => current = &types.get(*id).schema,
            [_] => return Some(current),
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests;

/// The JSON Schema of the contract file format, pretty-printed, for editors and `conform schema`.
pub(crate) fn json_schema() -> String {
    let schema = schemars::schema_for!(model::ContractFile);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}
