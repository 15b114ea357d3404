//! The scenario file format as written on disk: serde types that mirror the JSON one to one.
//!
//! Shape only; what the names and pointers mean is checked by [`super::compile`] against the
//! contracts loaded with the file. The doc comments double as the descriptions of the published
//! JSON Schema (`conform schema --scenario`, `docs/scenario.schema.json`), so they are written
//! for scenario authors.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// Scenarios: requests to the contracts' operations in order, each step's answer checked like
/// any case's, with values captured from earlier answers and expectations that span the steps.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "conform scenarios")]
pub(crate) struct ScenarioFile {
    /// Editors use this to find the JSON Schema; conform ignores it.
    #[serde(rename = "$schema", default)]
    #[allow(
        dead_code,
        reason = "read by readers of the file and its JSON Schema, not by conform"
    )]
    pub schema: Option<String>,
    /// The first segment of the case names (`<name>/scenario/<scenario>`); unique among the
    /// contracts and scenario files of a run.
    pub name: String,
    /// Free text for readers.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read by readers of the file and its JSON Schema, not by conform"
    )]
    pub description: Option<String>,
    /// The scenarios, each one case.
    pub scenarios: Vec<ScenarioDef>,
}

/// One scenario: steps run in order, stopping only where a step needs a value an earlier step
/// did not give.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ScenarioDef {
    /// The last segment of the case name (`tokens/scenario/<name>`): letters, digits, `.`, `_`
    /// and `-`; unique within the file.
    pub name: String,
    /// What the scenario shows, for readers and reports.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read by readers of the file and its JSON Schema, not by conform"
    )]
    pub description: Option<String>,
    /// The requests, in order.
    pub steps: Vec<StepDef>,
}

/// One request of a scenario.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct StepDef {
    /// The step's name in messages, reports and snapshot files (`exchange`, `read-back`):
    /// letters, digits, `.`, `_` and `-`; unique within the scenario.
    pub name: String,
    /// The contract whose operation the step calls, by its `name`.
    pub call: String,
    /// Start from this example of the contract instead of its valid base (its first example
    /// expected to succeed, else a request made up from the definition).
    #[serde(default)]
    pub example: Option<String>,
    /// Values put into the request, by JSON pointer into the request document: `/body/tier`,
    /// `/path/cardId`, `/query/include`, `/headers/Authorization`. Strings may use captured
    /// values: `"{{cardId}}"` alone keeps the captured value's JSON type, `"Bearer {{token}}"`
    /// puts its text in. The idempotency key and single-use fields get fresh values unless
    /// set here.
    #[serde(default)]
    pub request: IndexMap<String, Value>,
    /// Members left out of the request, by JSON pointer (`/body/nickname`).
    #[serde(default)]
    pub omit: Vec<String>,
    /// Values to remember for later steps, by name: a JSON pointer into the answer
    /// (`/body/card/id`, `/headers/Location`, `/status`), or an object saying where from.
    #[serde(default)]
    pub capture: IndexMap<String, CaptureDef>,
    /// What the answer must be (default: the contract's success).
    #[serde(default)]
    pub expect: Option<StepExpectDef>,
}

/// Where a captured value comes from.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum CaptureDef {
    /// A JSON pointer into the answer: `/body/accessToken`, `/headers/Location`, `/status`.
    At(String),
    /// The place, and what to keep of it.
    Detailed(CaptureSpec),
}

/// A capture with its options.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CaptureSpec {
    /// A JSON pointer into the answer (`/headers/Location`).
    #[serde(default)]
    pub from: Option<String>,
    /// A JSON pointer into the request the step sent (`/body/authCode`): a fresh value conform
    /// made up, to send again later.
    #[serde(default)]
    pub sent: Option<String>,
    /// A regular expression applied to the value's text; its first group (or the whole match)
    /// is kept: `"[^/]+$"` keeps the last segment of a `Location`.
    #[serde(default, rename = "match")]
    pub pattern: Option<String>,
    /// Whether the value is a credential, never printed in full. By default it is when its
    /// name or field says so (`token`, `auth`, `key`, `secret`, `password`, `signature`), when
    /// the contract declares it issued (`issues`) or single-use, or when it comes from such a
    /// header.
    #[serde(default)]
    pub secret: Option<bool>,
}

/// What a step's answer must be.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct StepExpectDef {
    /// The result status (`S`, `F`; for `http-status` results `"404"` or a class such as
    /// `"4XX"`); default the contract's success.
    #[serde(default)]
    pub status: Option<String>,
    /// The result code; any code of that status when absent.
    #[serde(default)]
    pub code: Option<String>,
    /// Values the answer must hold, by JSON pointer into the answer (`/body/card/tier`,
    /// `/headers/Location`, `/status`); strings may use captured values (`"{{cardId}}"`).
    #[serde(default)]
    pub equal: IndexMap<String, Value>,
    /// Places the answer must not have (`/body/card/nickname`).
    #[serde(default)]
    pub absent: Vec<String>,
    /// Places whose value must be the one an earlier step's answer had there, by the name of
    /// that step: `{"/body/card/createdAt": "create"}`.
    #[serde(default)]
    pub unchanged: IndexMap<String, String>,
}
