//! `conform import openapi`, end to end: fixture documents written for these tests
//! (tests/fixtures/openapi/: OpenAPI 3.0 YAML with `$ref`s across files, 3.1 JSON with
//! constructs contracts cannot hold, and a large payments API), checked for what a user sees:
//! the contracts written and what they say, the report's items, and exit codes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::util::conform;

/// The fixture documents with how many operations each imports.
pub(crate) const FIXTURES: &[(&str, usize)] = &[
    ("clinic-3.0.yaml", 8),
    ("store-3.1.json", 6),
    ("payments-3.0.yaml", 49),
    ("tokens-3.1.yaml", 2),
];

pub(crate) fn fixture(name: &str) -> String {
    format!("tests/fixtures/openapi/{name}")
}

/// Imports `document` into a fresh folder; the folder (kept alive) and the run.
pub(crate) async fn import(
    document: &str,
    extra: &[&str],
) -> (tempfile::TempDir, PathBuf, crate::util::Run) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("contracts");
    let mut args = vec![
        "import",
        "openapi",
        document,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = conform(&args).await;
    (dir, out, run)
}

fn contract(dir: &Path, name: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(format!("{name}.json")))
        .unwrap_or_else(|e| panic!("{name}.json: {e}"));
    serde_json::from_str(&text).unwrap()
}

pub(crate) fn report_items(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("import-report.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub(crate) fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = if p.is_dir() {
                Vec::new()
            } else {
                std::fs::read(&p).unwrap()
            };
            (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

#[tokio::test]
async fn imports_every_fixture_into_contracts_that_lint() {
    for (document, operations) in FIXTURES {
        let (_keep, out, run) = import(&fixture(document), &[]).await;
        assert_eq!(run.code, 0, "{document}: {}", run.transcript());
        let plural = if *operations == 1 { "" } else { "s" };
        assert!(
            run.stdout
                .contains(&format!("{operations} contract{plural} imported from")),
            "{document}: {}",
            run.stdout
        );
        let contracts = files(&out).keys().filter(|f| f.ends_with(".json")).count();
        assert_eq!(contracts, *operations, "{document}");
        let lint = conform(&["lint", out.to_str().unwrap()]).await;
        assert_eq!(lint.code, 0, "{document}: {}", lint.transcript());
        assert!(
            lint.stdout
                .contains(&format!("{operations} contract{plural} valid")),
            "{}",
            lint.stdout
        );
    }
}

#[tokio::test]
async fn reimporting_the_same_document_writes_the_same_bytes() {
    for (document, _) in FIXTURES {
        let (_a, first, _) = import(&fixture(document), &[]).await;
        let (_b, second, _) = import(&fixture(document), &[]).await;
        let (first, second) = (files(&first), files(&second));
        assert_eq!(
            first.keys().collect::<Vec<_>>(),
            second.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &first {
            if name == "import-report.md" {
                // It names the output folder, which differs between the two imports.
                continue;
            }
            assert!(
                bytes == &second[name],
                "{document}: {name} differs between two imports"
            );
        }
    }
}

#[tokio::test]
async fn maps_3_0_parameters_bodies_responses_and_types_into_contract_rules() {
    let (_keep, out, run) = import(&fixture("clinic-3.0.yaml"), &[]).await;
    assert_eq!(run.code, 0, "{}", run.transcript());
    let create = contract(&out, "createPet");
    let at = |c: &Value, p: &str| c.pointer(p).cloned().unwrap_or(Value::Null);
    // Request body from a `$ref`, `readOnly` members left out of it, `writeOnly` kept.
    assert_eq!(
        at(&create, "/request/fields/name"),
        json!({"type": "string", "required": true, "minLength": 1, "maxLength": 40, "example": "Rex"})
    );
    assert_eq!(
        at(&create, "/request/fields/species"),
        json!({"type": "Species", "required": true})
    );
    assert_eq!(
        at(&create, "/types/Species/enum"),
        json!(["dog", "cat", "rabbit", "parrot"])
    );
    assert_eq!(
        at(&create, "/request/fields/id"),
        Value::Null,
        "readOnly members are not sent"
    );
    assert_eq!(at(&create, "/request/fields/notes/maxLength"), json!(500));
    assert_eq!(
        at(&create, "/responses/201/fields/notes"),
        Value::Null,
        "writeOnly members are not answered"
    );
    assert_eq!(at(&create, "/responses/201/fields/id/minimum"), json!(1));
    assert_eq!(
        at(&create, "/request/fields/microchip/type"),
        json!(["string", "null"])
    );
    assert_eq!(at(&create, "/request/fields/tags/maxItems"), json!(5));
    assert_eq!(
        at(&create, "/request/fields/tags/items/maxLength"),
        json!(20)
    );
    assert_eq!(
        at(&create, "/request/fields/birthDate/pattern"),
        json!("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    );
    assert_eq!(at(&create, "/request/fields/registeredAt"), Value::Null);
    assert_eq!(
        at(&create, "/responses/201/fields/registeredAt/format"),
        json!("date-time")
    );
    // A member whose type differs by side gets a request variant without its readOnly members.
    assert_eq!(
        at(&create, "/request/fields/owner/type"),
        json!("Owner.request")
    );
    assert_eq!(at(&create, "/types/Owner.request/fields/id"), Value::Null);
    assert_eq!(
        at(&create, "/types/Owner/fields/contact/type"),
        json!(["EmailContact", "PhoneContact"])
    );
    // Responses per status, headers, media types, and the problem-details body from another file.
    assert_eq!(
        at(&create, "/responses/201/headers/Location"),
        json!({"type": "string", "required": true, "pattern": "^/pets/[0-9]+$"})
    );
    assert_eq!(
        at(&create, "/responses/422/contentType"),
        json!("application/problem+json")
    );
    assert_eq!(
        at(&create, "/responses/422/fields/status/maximum"),
        json!(599)
    );
    assert_eq!(
        at(&create, "/result"),
        json!({"in": "http-status", "code": "/type", "message": "/detail"})
    );
    assert_eq!(at(&create, "/generated/negative"), json!({"status": "422"}));
    assert_eq!(
        at(&create, "/idempotency"),
        json!({"key": {"header": "Idempotency-Key"}, "conflict": {"policy": "reject", "status": "422"}, "inProgress": {"status": "409"}})
    );
    assert_eq!(
        at(&create, "/credentials"),
        json!({"headers": ["Authorization"], "reject": {"status": "4XX"}})
    );
    let examples: Vec<&str> = create["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        examples,
        ["dog", "cat"],
        "the inline and the `$ref`ed example"
    );
    assert_eq!(at(&create, "/examples/1/request/name"), json!("Tom"));

    let list = contract(&out, "listPets");
    // Parameters from another file, `allOf` merged with a page schema from a third.
    assert_eq!(
        at(&list, "/request/query/limit"),
        json!({"type": "integer", "description": "Page size.", "minimum": 1, "maximum": 100})
    );
    // Parameters travel as text: their named types are written out in place.
    assert_eq!(
        at(&list, "/request/query/species/items"),
        json!({"type": "string", "enum": ["dog", "cat", "rabbit", "parrot"]})
    );
    assert_eq!(
        at(&list, "/request/headers/X-Request-Id/pattern")
            .as_str()
            .map(|p| p.starts_with("^[0-9a-fA-F]{8}")),
        Some(true)
    );
    assert_eq!(
        at(&list, "/responses/200/fields/total"),
        json!({"type": "integer", "required": true, "minimum": 0})
    );
    assert_eq!(
        at(&list, "/responses/200/fields/next/type"),
        json!(["string", "null"])
    );
    assert_eq!(
        at(&list, "/responses/200/fields/items/required"),
        json!(true)
    );
    assert_eq!(
        at(
            &list,
            "/responses/200/headers/X-Rate-Limit-Remaining/minimum"
        ),
        json!(0)
    );
    assert_eq!(at(&list, "/credentials/reject"), json!({"status": "401"}));

    let update = contract(&out, "updatePet");
    assert_eq!(
        at(&update, "/request/contentType"),
        json!("application/merge-patch+json")
    );
    assert_eq!(at(&update, "/request/unknownFields"), json!("reject"));
    assert_eq!(
        at(&update, "/request/path/petId"),
        json!({"type": "string", "description": "The pet's number.", "maxLength": 12, "pattern": "^[0-9]+$", "example": "1001"})
    );
    let book = contract(&out, "bookAppointment");
    assert_eq!(
        at(&book, "/request/fields/vet/type"),
        json!(["string", "Vet", "null"])
    );
    assert_eq!(
        at(&book, "/types/Vet/fields/supervisor/type"),
        json!("Vet"),
        "recursive schemas become recursive types"
    );
    assert_eq!(
        at(&book, "/request/fields/durationMinutes"),
        json!({"type": "integer", "minimum": 15, "maximum": 240})
    );
    let owner = contract(&out, "getOwner");
    assert_eq!(
        at(&owner, "/credentials"),
        Value::Null,
        "`security: []` needs no credentials"
    );
    assert_eq!(
        at(&owner, "/examples/0"),
        json!({"name": "documented", "path": {"ownerId": 42}, "expect": {"status": "200"}})
    );
    assert_eq!(
        contract(&out, "get-health")["operation"],
        json!({"method": "GET", "path": "/health"})
    );
}

#[tokio::test]
async fn maps_3_1_type_lists_const_exclusive_bounds_and_nullable_references() {
    let (_keep, out, run) = import(&fixture("store-3.1.json"), &[]).await;
    assert_eq!(run.code, 0, "{}", run.transcript());
    let list = contract(&out, "list-orders");
    assert_eq!(
        list["request"]["query"]["status"],
        json!({"type": "string", "enum": ["open", "shipped"]}),
        "null cannot travel in a query"
    );
    assert_eq!(
        list["request"]["query"]["page"],
        json!({"type": "integer", "minimum": 1}),
        "exclusiveMinimum 0 on integers"
    );
    assert!(list["request"]["query"].get("created").is_none());
    let create = contract(&out, "createOrder");
    assert_eq!(
        create["types"]["Currency"],
        json!({"type": "string", "pattern": "^[A-Z]{3}$", "enum": ["EUR"]})
    );
    assert_eq!(create["types"]["Sku"]["example"], json!("SKU-1"));
    assert_eq!(
        create["request"]["unknownFields"],
        json!("reject"),
        "unevaluatedProperties: false"
    );
    assert_eq!(
        create["types"]["Event"]["type"],
        json!(["Shipped", "Cancelled"])
    );
    assert_eq!(
        create["types"]["Shipped"]["fields"]["kind"]["enum"],
        json!(["shipped"])
    );
    assert_eq!(create["result"]["code"], json!("/error/code"));
    let order = &create["request"]["fields"];
    assert_eq!(
        order["giftWrap"]["requiredWhen"],
        json!({"field": "/giftMessage", "present": true}),
        "dependentRequired: giftMessage needs giftWrap"
    );
    assert_eq!(
        order["giftMessage"]["requiredWhen"],
        json!({"field": "/giftWrap", "in": [true]}),
        "if giftWrap is true then giftMessage is required"
    );
    let product = contract(&out, "getProduct");
    assert_eq!(
        product["types"]["Category"]["fields"]["parent"]["type"],
        json!(["Category", "null"])
    );
    assert_eq!(
        product["request"]["path"]["sku"]["pattern"],
        json!("^SKU-[0-9]+$"),
        "path items by `$ref`"
    );
}

#[tokio::test]
async fn imported_contracts_pass_against_the_embedded_reference() {
    for (document, _) in FIXTURES {
        let (_keep, out, run) = import(&fixture(document), &[]).await;
        assert_eq!(run.code, 0, "{}", run.transcript());
        let verify = conform(&["verify", out.to_str().unwrap()]).await;
        assert_eq!(verify.code, 0, "{document}: {}", verify.transcript());
    }
}

#[tokio::test]
async fn a_default_error_answer_checks_the_client_errors_invalid_requests_get() {
    // The petstore shape: errors documented as `default` only, and one operation with a 404.
    let dir = tempfile::tempdir().unwrap();
    let document = dir.path().join("pets.yaml");
    std::fs::write(
        &document,
        r#"openapi: 3.0.0
info: {title: pets, version: "1"}
paths:
  /pets/{petId}:
    get:
      operationId: showPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: integer, maximum: 1000}}
      responses:
        "200":
          description: a pet
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: integer}}}
        "404": {description: no such pet}
        default:
          description: unexpected error
          content:
            application/json:
              schema:
                type: object
                required: [code, message]
                properties: {code: {type: integer}, message: {type: string}}
"#,
    )
    .unwrap();
    let (_keep, out, run) = import(document.to_str().unwrap(), &[]).await;
    assert_eq!(run.code, 0, "{}", run.transcript());
    let show = contract(&out, "showPet");
    let client_error = &show["responses"]["4XX"];
    assert_eq!(
        client_error["fields"]["message"]["required"], true,
        "the default body is what a 400 must have: {show:#}"
    );
}

#[tokio::test]
async fn no_example_is_made_up_from_a_value_the_import_chose_for_a_format() {
    // A uuid id of no example: a request naming the import's typical uuid would ask for a
    // resource no one made, and a correct implementation would answer 404.
    let dir = tempfile::tempdir().unwrap();
    let document = dir.path().join("things.yaml");
    std::fs::write(
        &document,
        r#"openapi: 3.1.0
info: {title: things, version: "1"}
paths:
  /things/{thingId}:
    get:
      operationId: getThing
      parameters:
        - {name: thingId, in: path, required: true, schema: {type: string, format: uuid}}
      responses:
        "200": {description: the thing}
        "404": {description: no such thing}
"#,
    )
    .unwrap();
    let (_keep, out, run) = import(document.to_str().unwrap(), &[]).await;
    assert_eq!(run.code, 0, "{}", run.transcript());
    let thing = contract(&out, "getThing");
    assert!(thing.get("examples").is_none(), "{thing:#}");
    assert_eq!(
        thing["request"]["path"]["thingId"]["example"], "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "made-up values still look like the format"
    );
}

#[tokio::test]
async fn an_imported_operation_no_case_reaches_makes_the_run_partial_by_name() {
    // getOrder reads an order by a path id of no example: nothing to send, no rule to probe.
    let (_keep, out, run) = import(&fixture("store-3.1.json"), &[]).await;
    assert_eq!(run.code, 0, "{}", run.transcript());
    let dir = out.to_str().unwrap().to_string();
    let report = out.join("report.json");
    let json = format!("json={}", report.display());
    let verify = conform(&["verify", &dir, "--report", &json]).await;
    assert_eq!(verify.code, 0, "nothing failed: {}", verify.transcript());
    assert!(verify.stdout.contains("\nPARTIAL "), "{}", verify.stdout);
    assert!(
        verify.stdout.contains(
            "not complete: 3 contracts planned no case, so nothing checked them: getOrder-2, getOrder, orderEvents"
        ),
        "{}",
        verify.stdout
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        report["summary"]["unreached"],
        json!(["getOrder-2", "getOrder", "orderEvents"])
    );
    assert_eq!(
        report["verdict"]["reasons"][0]["reason"],
        "contracts-unreached"
    );
}

#[tokio::test]
async fn if_then_and_dependent_required_become_conditional_fields_and_else_is_listed() {
    let (_keep, out, run) = import(&fixture("tokens-3.1.yaml"), &[]).await;
    assert_eq!(run.code, 0, "{}", run.transcript());
    let token = contract(&out, "createToken");
    let fields = &token["types"]["TokenRequest"]["fields"];
    let fields = if fields.is_null() {
        &token["request"]["fields"]
    } else {
        fields
    };
    assert_eq!(
        fields["code"]["requiredWhen"],
        json!([
            {"field": "/redirectUri", "present": true},
            {"field": "/grantType", "in": ["authorization_code"]}
        ]),
        "{token:#}"
    );
    assert_eq!(
        fields["refreshToken"]["requiredWhen"],
        json!({"field": "/grantType", "in": ["refresh_token"]})
    );
    assert!(
        fields["scope"].get("requiredWhen").is_none(),
        "`else` is not mapped"
    );
    let report = std::fs::read_to_string(out.join("import-report.md")).unwrap();
    assert!(
        report.contains("`else` is not mapped"),
        "the else branch is listed:\n{report}"
    );
    assert!(!report.contains("`if`/`then` is mapped only"), "{report}");

    let verify = conform(&["verify", out.to_str().unwrap()]).await;
    assert_eq!(verify.code, 0, "{}", verify.transcript());
    let cases = conform(&["cases", out.to_str().unwrap()]).await;
    assert!(
        cases
            .stdout
            .contains("createToken/negative/code/missing-when-grantType-authorization_code")
            && cases
                .stdout
                .contains("createToken/negative/refreshToken/missing-when-grantType-refresh_token"),
        "a case leaves the conditional member out in its branch:\n{}",
        cases.stdout
    );
}
