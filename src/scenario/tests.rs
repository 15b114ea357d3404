//! Scenario files compiled against the platform contracts: what a compiled step holds, and the
//! defaults an author does not write.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{CaptureFrom, ScenarioSet, load_paths};
use crate::contract::{Contract, load_paths as load_contracts};

fn platform() -> Vec<Contract> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    load_contracts(&[root.join("contracts/platform")]).unwrap()
}

fn compile(text: serde_json::Value, contracts: &[Contract]) -> Result<ScenarioSet, String> {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("t.scenario.json");
    std::fs::write(&path, serde_json::to_string_pretty(&text).unwrap()).unwrap();
    load_paths(&[path], contracts)
        .map(|mut sets| sets.remove(0))
        .map_err(|e| e.render())
}

#[test]
fn the_shipped_platform_scenarios_compile_with_their_steps_contracts_and_captures() {
    let contracts = platform();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sets = load_paths(&[root.join("contracts/platform")], &contracts).unwrap();
    let tokens = &sets[0];
    assert_eq!(tokens.name, "tokens");
    let names: Vec<String> = tokens.scenarios.iter().map(|s| s.case_name()).collect();
    assert_eq!(
        names,
        [
            "tokens/scenario/token-opens-user-info",
            "tokens/scenario/auth-code-works-once",
            "tokens/scenario/refresh-token-works-once"
        ]
    );
    let profile = &tokens.scenarios[0].steps[1];
    assert_eq!(contracts[profile.contract].name, "inquiryUserInfo");
    assert_eq!(profile.set[0].0.as_str(), "/body/accessToken");
    let capture = &tokens.scenarios[1].steps[0].captures[0];
    assert_eq!(
        capture.from,
        CaptureFrom::Sent(crate::json::Pointer::parse("/body/authCode").unwrap())
    );
    assert!(capture.secret, "a single-use auth code is a credential");
}

#[test]
fn captures_are_secret_by_what_they_hold_unless_the_author_says_otherwise() {
    let contracts = platform();
    let set = compile(
        json!({"name": "s", "scenarios": [{"name": "a", "steps": [{
        "name": "x", "call": "applyToken", "capture": {
            "issued": "/body/customerId",
            "customer": "/body/customerId",
            "token": "/body/accessToken",
            "open": {"from": "/body/accessToken", "secret": false}
        }}]}]}),
        &contracts,
    )
    .unwrap();
    let secret: Vec<(String, bool)> = set.scenarios[0].steps[0]
        .captures
        .iter()
        .map(|c| (c.name.clone(), c.secret))
        .collect();
    assert_eq!(
        secret,
        [
            ("issued".to_string(), false),
            ("customer".to_string(), false),
            ("token".to_string(), true),
            ("open".to_string(), false)
        ]
    );
}

#[test]
fn a_step_expects_the_contracts_success_unless_it_says_and_names_must_be_unique_in_a_run() {
    let contracts = platform();
    let set = compile(
        json!({"name": "s", "scenarios": [{"name": "a", "steps": [
            {"name": "x", "call": "applyToken"}]}]}),
        &contracts,
    )
    .unwrap();
    assert_eq!(set.scenarios[0].steps[0].expect.result.describe(), "S");
    let taken = compile(
        json!({"name": "issueCard", "scenarios": [{"name": "a", "steps": [
            {"name": "x", "call": "applyToken"}]}]}),
        &contracts,
    )
    .unwrap_err();
    assert!(
        taken.starts_with("error: name `issueCard` is also used by"),
        "{taken}"
    );
}
