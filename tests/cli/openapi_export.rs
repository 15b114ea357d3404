//! `conform export openapi`, end to end: exports (and the fixture documents) validated against
//! the official OpenAPI JSON Schemas vendored in tests/fixtures/openapi/schema/, conform's rules
//! carried in `x-conform-*` extensions, and an import of an export giving back equivalent
//! contracts.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::openapi::{FIXTURES, files, fixture, import};
use crate::util::{conform, root};

/// Validation errors of `document` against a vendored official OpenAPI schema, empty when valid.
fn schema_errors(document: &Value, schema: &str) -> String {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let location = root().join("tests/fixtures/openapi/schema").join(schema);
    let index = compiler
        .compile(location.to_str().unwrap(), &mut schemas)
        .expect("the OpenAPI schema compiles");
    match schemas.validate(document, index) {
        Ok(()) => String::new(),
        Err(error) => format!("{error:#}"),
    }
}

fn read_document(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    if path.ends_with(".json") {
        serde_json::from_str(&text).unwrap()
    } else {
        // YAML 1.2, as OpenAPI recommends (and as conform reads documents): `on` is a string.
        let mut options = serde_saphyr::Options::default();
        options.strict_booleans = true;
        serde_saphyr::from_str_with_options(&text, options).unwrap()
    }
}

#[test]
fn fixture_documents_are_valid_openapi_of_their_version() {
    // The store document breaks the specification on purpose (a `2xx` key, a `2XY` key), as
    // real documents do; the others are valid.
    for (document, _) in FIXTURES.iter().filter(|(d, _)| !d.starts_with("store")) {
        let value = read_document(&fixture(document));
        let schema = if value["openapi"].as_str().unwrap().starts_with("3.1") {
            "oas-3.1.schema.json"
        } else {
            "oas-3.0.schema.json"
        };
        assert_eq!(
            schema_errors(&value, schema),
            "",
            "{document} is not valid OpenAPI"
        );
    }
    let mut broken = read_document(&fixture("clinic-3.0.yaml"));
    broken["paths"]["/health"]["get"]["responses"] = json!("none");
    assert_ne!(
        schema_errors(&broken, "oas-3.0.schema.json"),
        "",
        "the check can fail"
    );
}

/// Exports `paths`; the document.
async fn export(paths: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("openapi.json");
    let mut args = vec!["export", "openapi"];
    args.extend_from_slice(paths);
    args.extend_from_slice(&["--out", out.to_str().unwrap()]);
    let run = conform(&args).await;
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stderr.contains("OpenAPI 3.1 document of"),
        "{}",
        run.stderr
    );
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

#[tokio::test]
async fn export_is_valid_openapi_3_1_and_carries_conform_rules_in_extensions() {
    let document = export(&["contracts", "examples/cards-api"]).await;
    assert_eq!(schema_errors(&document, "oas-3.1.schema.json"), "");
    let create = &document["paths"]["/v1/cards"]["post"];
    assert_eq!(create["operationId"], "createCard");
    assert_eq!(
        create["x-conform-idempotency"]["key"],
        json!({"header": "Idempotency-Key"})
    );
    assert_eq!(create["parameters"][0]["name"], "Idempotency-Key");
    assert_eq!(
        create["responses"]["201"]["headers"]["Location"]["required"],
        json!(true)
    );
    assert_eq!(create["security"], json!([{"Authorization": []}]));
    let issue = &document["paths"]["/v2/pds/memberships/issueCard"]["post"];
    assert_eq!(issue["x-conform-result"]["status"], "/result/resultStatus");
    let card_no =
        &issue["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["cardNo"];
    assert_eq!(card_no["x-conform-requiredOn"], json!(["S"]));
    assert_eq!(card_no["x-conform-forbiddenChars"], json!("@#?"));
    for (fixture_name, _) in FIXTURES {
        let (_keep, out, _) = import(&fixture(fixture_name), &[]).await;
        let document = export(&[out.to_str().unwrap()]).await;
        assert_eq!(
            schema_errors(&document, "oas-3.1.schema.json"),
            "",
            "export of the {fixture_name} import"
        );
    }
}

#[tokio::test]
async fn import_of_an_export_gives_back_equivalent_contracts() {
    let (_keep, imported, _) = import(&fixture("clinic-3.0.yaml"), &[]).await;
    for source in [
        "contracts",
        "examples/cards-api",
        imported.to_str().unwrap(),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let exported = dir.path().join("openapi.json");
        let run = conform(&[
            "export",
            "openapi",
            source,
            "--out",
            exported.to_str().unwrap(),
        ])
        .await;
        assert_eq!(run.code, 0, "{}", run.transcript());
        let back = dir.path().join("back");
        let run = conform(&[
            "import",
            "openapi",
            exported.to_str().unwrap(),
            "--out",
            back.to_str().unwrap(),
            "--strict",
        ])
        .await;
        assert_eq!(
            run.code,
            0,
            "an export imports with nothing guessed or left out: {}",
            run.transcript()
        );
        let originals = load_all(&root().join(source));
        let returned = load_all(&back);
        assert_eq!(
            originals.keys().collect::<Vec<_>>(),
            returned.keys().collect::<Vec<_>>(),
            "{source}"
        );
        for (name, original) in &originals {
            assert_eq!(
                canonical(original),
                canonical(&returned[name]),
                "{source}: {name} changed on the way"
            );
        }
    }
}

/// Every contract under `dir` (folders included), by name; scenario files are no contracts.
fn load_all(dir: &Path) -> BTreeMap<String, Value> {
    let mut all = BTreeMap::new();
    for (name, bytes) in files(dir) {
        let path = dir.join(&name);
        if path.is_dir() {
            all.extend(load_all(&path));
        } else if name.ends_with(".json") && !name.ends_with(".scenario.json") {
            let value: Value = serde_json::from_slice(&bytes).unwrap();
            all.insert(value["name"].as_str().unwrap().to_string(), value);
        }
    }
    all
}

/// A contract with named types written out where they are used (names may change between
/// contracts that disagree on one), defaults dropped and key order ignored.
fn canonical(contract: &Value) -> Value {
    let types = contract.get("types").cloned().unwrap_or(json!({}));
    let mut out = contract.clone();
    if let Value::Object(map) = &mut out {
        map.remove("types");
        map.remove("$schema");
    }
    expand(&out, &types, 0)
}

fn expand(value: &Value, types: &Value, depth: usize) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (key, member) in map {
                let default = matches!((key.as_str(), member), ("unknownFields", Value::String(s)) if s == "allow")
                    || matches!((key.as_str(), member), ("contentType", Value::String(s)) if s == "application/json")
                    || (key == "required" && member == &json!(false));
                if default {
                    continue;
                }
                let member = match (key.as_str(), member) {
                    ("type", Value::String(name)) if depth < 4 && types.get(name).is_some() => {
                        json!({ "named": expand(&types[name], types, depth + 1) })
                    }
                    ("type", Value::Array(names)) if depth < 4 => Value::Array(
                        names
                            .iter()
                            .map(|n| match n.as_str().and_then(|n| types.get(n)) {
                                Some(def) => json!({ "named": expand(def, types, depth + 1) }),
                                None => n.clone(),
                            })
                            .collect(),
                    ),
                    _ => expand(member, types, depth),
                };
                out.insert(key.clone(), member);
            }
            let mut sorted: Vec<(String, Value)> = out.into_iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| expand(v, types, depth)).collect())
        }
        other => other.clone(),
    }
}
