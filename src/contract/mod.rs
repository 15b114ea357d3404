//! Contracts: the JSON file format, its compilation into checked rules, and contract errors.
//!
//! A contract file is read ([`load`]), its text indexed for positions ([`source`]), deserialized
//! into the raw file model ([`model`]) and compiled ([`compile`]) into a [`Contract`] whose
//! schemas ([`schema`]) the rest of conform works from. This module knows nothing of HTTP.

pub mod compile;
pub mod error;
pub mod load;
pub mod model;
pub mod schema;
pub mod source;

use std::path::PathBuf;
use std::time::Duration;

use globset::GlobSet;
use serde_json::Value;

pub use error::{ContractError, ContractErrorKind, ContractErrors};
pub use load::{load_paths, load_str};
pub use model::{ConflictPolicy, StatusRole};
pub use schema::{Field, Kind, Presence, Schema, Types};

use crate::json::Pointer;

/// A compiled, consistent contract for one API operation.
#[derive(Debug, Clone)]
pub struct Contract {
    /// The operation's name, the first segment of case names.
    pub name: String,
    /// Where it came from.
    pub source: SourceInfo,
    /// Upper-case HTTP method.
    pub method: String,
    /// The documented path, starting with `/`.
    pub path: String,
    /// Named types referred to by the schemas.
    pub types: Types,
    /// The request body (an object schema).
    pub request: Schema,
    /// The response body (an object schema).
    pub response: Schema,
    /// The media type responses must declare.
    pub content_type: String,
    /// Business-result semantics.
    pub result: ResultRules,
    /// Idempotency rules, when the operation has a key.
    pub idempotency: Option<Idempotency>,
    /// Named examples.
    pub examples: Vec<Example>,
    /// Snapshot settings.
    pub snapshot: SnapshotRules,
    /// What a generated invalid request must get back.
    pub negative: Expect,
    /// Generated cases to leave out.
    pub skip: GlobSet,
    /// What a request with a missing or bad signature gets: the contract's `signing.rejectCode`,
    /// else `ACCESS_DENIED` when the catalogue has it as a failure code, else `None`.
    pub signature_rejection: Option<Expect>,
}

/// Where a contract was read from and its digest, for reports and snapshot headers.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    /// The file as the user named it.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

/// Where the business result is and which combinations are allowed.
#[derive(Debug, Clone)]
pub struct ResultRules {
    /// HTTP statuses that carry a business result.
    pub http_status: Vec<u16>,
    /// Pointer to the status.
    pub status: Pointer,
    /// Pointer to the code.
    pub code: Pointer,
    /// Pointer to the message.
    pub message: Option<Pointer>,
    /// Each declared status and its role, in contract order.
    pub statuses: Vec<(String, StatusRole)>,
    /// The catalogue.
    pub codes: Vec<CodeEntry>,
}

/// One catalogue entry.
#[derive(Debug, Clone)]
pub struct CodeEntry {
    /// The code.
    pub code: String,
    /// The status it goes with.
    pub status: String,
    /// The exact message required, if any.
    pub message: Option<String>,
    /// What the code means; the reference implementation's message when none is fixed.
    pub description: Option<String>,
}

impl CodeEntry {
    /// The message to answer with: the fixed one, else the description, else the code.
    pub fn message_text(&self) -> &str {
        self.message
            .as_deref()
            .or(self.description.as_deref())
            .unwrap_or(&self.code)
    }
}

impl ResultRules {
    /// The role of `status`, or `None` when the contract does not declare it.
    pub fn role(&self, status: &str) -> Option<StatusRole> {
        self.statuses
            .iter()
            .find(|(s, _)| s == status)
            .map(|(_, role)| *role)
    }

    /// The first status with `role` (every compiled contract has a success and a failure status).
    pub fn status_for(&self, role: StatusRole) -> Option<&str> {
        self.statuses
            .iter()
            .find(|(_, r)| *r == role)
            .map(|(s, _)| s.as_str())
    }

    /// The catalogue entry for a (status, code) pair.
    pub fn entry(&self, status: &str, code: &str) -> Option<&CodeEntry> {
        self.codes
            .iter()
            .find(|e| e.status == status && e.code == code)
    }

    /// The first catalogue entry of `status`: what the reference implementation answers with.
    pub fn first_entry(&self, status: &str) -> Option<&CodeEntry> {
        self.codes.iter().find(|e| e.status == status)
    }

    /// The declared statuses, for messages: `S, F, U`.
    pub fn status_list(&self) -> String {
        let names: Vec<_> = self.statuses.iter().map(|(s, _)| s.as_str()).collect();
        names.join(", ")
    }
}

/// The fewest identical requests the concurrency scenario sends: one alone compares nothing.
pub const MIN_CONCURRENCY: u32 = 2;

/// The fewest tries of a request whose status is unknown: the first one.
pub const MIN_SETTLE_TRIES: u32 = 1;

/// Idempotency rules.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// Pointer to the key in the request body.
    pub key: Pointer,
    /// The conflict policy.
    pub policy: ConflictPolicy,
    /// The failure code for `reject` and `either`.
    pub conflict_code: Option<String>,
    /// Replays of each successful case.
    pub replays: u32,
    /// Identical requests sent at once by the concurrency check.
    pub concurrency: u32,
    /// Most tries while an unknown status settles.
    pub settle_tries: u32,
    /// First wait between tries; doubled each time.
    pub settle_backoff: Duration,
    /// The field the conflict check changes, when the contract names one.
    pub vary: Option<Pointer>,
    /// The key field's `maxLength`: fresh keys are cut to fit it.
    pub key_max_len: Option<usize>,
}

/// A named example request.
#[derive(Debug, Clone)]
pub struct Example {
    /// Unique within the contract.
    pub name: String,
    /// The request body.
    pub request: Value,
    /// What it must produce.
    pub expect: Expect,
}

/// An expected business result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// The result status.
    pub status: String,
    /// The code, when one specific code is expected.
    pub code: Option<String>,
}

/// Snapshot settings.
#[derive(Debug, Clone, Default)]
pub struct SnapshotRules {
    /// Response fields replaced by `[name]`.
    pub redact: Vec<Pointer>,
    /// Response headers recorded, lower-case.
    pub headers: Vec<String>,
}

impl Contract {
    /// The field schema reached by following `pointer` through the request schema (array
    /// indices step into items; named types are resolved). `None` when the pointer leaves the
    /// schema or crosses a union.
    pub fn request_field(&self, pointer: &Pointer) -> Option<&Schema> {
        schema_at(&self.types, &self.request, pointer.segments())
    }
}

/// Follows `segments` through `schema`; see [`Contract::request_field`].
pub fn schema_at<'a>(
    types: &'a Types,
    schema: &'a Schema,
    segments: &[String],
) -> Option<&'a Schema> {
    let Some((first, rest)) = segments.split_first() else {
        return Some(schema);
    };
    let resolved = resolve_single(types, schema)?;
    let next = if resolved.kinds.contains(&Kind::Array) {
        first.parse::<usize>().ok()?;
        resolved.arrays.items.as_deref()?
    } else {
        let field = resolved.objects.fields.iter().find(|f| &f.name == first)?;
        &field.schema
    };
    schema_at(types, next, rest)
}

/// The schema itself, or the named type it consists of; `None` for unions.
pub fn resolve_single<'a>(types: &'a Types, schema: &'a Schema) -> Option<&'a Schema> {
    match schema.kinds.as_slice() {
        [Kind::Named(id)] => resolve_single(types, &types.get(*id).schema),
        [_] => Some(schema),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests;

/// The JSON Schema of the contract file format, pretty-printed, for editors and `conform schema`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(model::ContractFile);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}
