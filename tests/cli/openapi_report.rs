//! What `conform import openapi` says about a document: each construct not mapped, guessed or
//! ignored listed with its pointer and the contracts it affects, `--strict`, and the exit codes
//! of documents that cannot be imported or written.

use crate::openapi::{fixture, import, report_items};
use crate::util::conform;

/// (kind, source pointer, contract, words of the message) the store report must hold.
const STORE_ITEMS: &[(&str, &str, &str, &str)] = &[
    (
        "skipped",
        "/paths/~1catalog~1{broken/get",
        "brokenPath",
        "without its `}`",
    ),
    (
        "skipped",
        "/paths/~1orders~1{orderId}/put",
        "replaceOrder",
        "multipart/form-data",
    ),
    ("not-mapped", "#/webhooks", "", "webhooks"),
    (
        "not-mapped",
        "/paths/~1orders/post/callbacks",
        "createOrder",
        "callbacks",
    ),
    (
        "not-mapped",
        "/paths/~1orders/get/responses/2xx/links",
        "list-orders",
        "links",
    ),
    (
        "not-mapped",
        "/paths/~1orders/get/parameters/1",
        "list-orders",
        "deepObject",
    ),
    (
        "not-mapped",
        "/paths/~1orders/get/parameters/2",
        "list-orders",
        "explode: false",
    ),
    (
        "not-mapped",
        "/paths/~1orders/get/parameters/3",
        "list-orders",
        "`content`",
    ),
    (
        "not-mapped",
        "/paths/~1orders/get/parameters/4",
        "list-orders",
        "cookie",
    ),
    (
        "ignored",
        "/paths/~1orders/get/parameters/5",
        "list-orders",
        "`Accept`",
    ),
    (
        "not-mapped",
        "/paths/~1orders/get/responses/2XY",
        "list-orders",
        "not an HTTP status",
    ),
    (
        "not-mapped",
        "/paths/~1orders/get/responses/2xx/content/application~1json/schema",
        "list-orders",
        "an array",
    ),
    (
        "not-mapped",
        "/paths/~1orders/post/requestBody/content/application~1xml",
        "createOrder",
        "application/xml",
    ),
    (
        "not-mapped",
        "/paths/~1orders/post/requestBody/content/application~1json/examples/remote",
        "createOrder",
        "externalValue",
    ),
    (
        "not-mapped",
        "/paths/~1orders/post",
        "createOrder",
        "`/examples/1` left out",
    ),
    (
        "not-mapped",
        "/components/schemas/Event/discriminator",
        "createOrder",
        "discriminator",
    ),
    (
        "not-mapped",
        "/components/schemas/NewOrder/properties/lines/uniqueItems",
        "createOrder",
        "uniqueItems",
    ),
    (
        "not-mapped",
        "/components/schemas/NewOrder/properties/coupon/pattern",
        "createOrder",
        "look-around",
    ),
    (
        "not-mapped",
        "/components/schemas/NewOrder/properties/currency/enum",
        "createOrder",
        "another type",
    ),
    (
        "not-mapped",
        "/components/schemas/NewOrder/properties/metadata/additionalProperties",
        "createOrder",
        "unchecked",
    ),
    (
        "not-mapped",
        "/components/schemas/NewOrder/properties/dimensions/prefixItems",
        "createOrder",
        "tuples",
    ),
    (
        "not-mapped",
        "/components/schemas/NewOrder/properties/iban/format",
        "createOrder",
        "`iban` is not checked",
    ),
    (
        "not-mapped",
        "/components/schemas/Money/properties/amount/multipleOf",
        "createOrder",
        "multipleOf",
    ),
    (
        "not-mapped",
        "/components/schemas/Line/properties/attributes/patternProperties",
        "createOrder",
        "patternProperties",
    ),
    (
        "not-mapped",
        "/components/schemas/Order/allOf/1/properties/never/not",
        "createOrder",
        "`not`",
    ),
    (
        "not-mapped",
        "/components/schemas/Order/allOf/1/properties/warehouse/$ref",
        "createOrder",
        "remote reference",
    ),
    (
        "not-mapped",
        "/components/schemas/Order/allOf/1/properties/legacy/$ref",
        "createOrder",
        "points to nothing",
    ),
    (
        "not-mapped",
        "/components/schemas/LoopA/allOf/0",
        "createOrder",
        "comes back to itself",
    ),
    (
        "not-mapped",
        "/components/schemas/Order/allOf/1/properties/conflict",
        "createOrder",
        "no type in common",
    ),
    (
        "not-mapped",
        "/components/schemas/Order/allOf/1/properties/mixedUp",
        "createOrder",
        "do not apply",
    ),
    (
        "not-mapped",
        "/components/schemas/Product/properties/weight/exclusiveMinimum",
        "getProduct",
        "exclusive bound",
    ),
    (
        "not-mapped",
        "/components/securitySchemes/queryKey",
        "getOrder",
        "in query",
    ),
    (
        "not-mapped",
        "/paths/~1orders~1{orderId}/delete/requestBody",
        "getOrder-2",
        "x-www-form-urlencoded",
    ),
    (
        "not-mapped",
        "/paths/~1orders~1{orderId}~1events/get/requestBody",
        "orderEvents",
        "a body on GET",
    ),
    (
        "not-mapped",
        "/paths/~1orders~1{orderId}~1events/get/responses/200/content/application~1json/schema",
        "orderEvents",
        "one of several",
    ),
    (
        "guess",
        "/paths/~1orders~1{orderId}/delete/operationId",
        "",
        "this contract is named `getOrder-2`",
    ),
    (
        "guess",
        "/paths/~1orders~1{orderId}~1events",
        "orderEvents",
        "`orderId` is not defined",
    ),
    (
        "guess",
        "/paths/~1orders~1{orderId}/get/security",
        "getOrder",
        "alternatives",
    ),
    (
        "ignored",
        "/paths/~1orders/get/parameters/6/schema/x-kind",
        "list-orders",
        "extension",
    ),
    (
        "ignored",
        "/components/schemas/Product/properties/name/title",
        "getProduct",
        "documentation",
    ),
];

#[tokio::test]
async fn report_lists_each_construct_not_mapped_with_its_pointer_and_contract() {
    let (_keep, out, run) = import(&fixture("store-3.1.json"), &[]).await;
    assert_eq!(run.code, 0, "{}", run.transcript());
    let items = report_items(&out);
    for (kind, pointer, contract, words) in STORE_ITEMS {
        let found = items.iter().any(|item| {
            item["kind"] == *kind
                && item["source"].as_str().unwrap().ends_with(pointer)
                && (contract.is_empty()
                    || item["contracts"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|c| c == contract))
                && item["message"].as_str().unwrap().contains(words)
        });
        assert!(
            found,
            "no {kind} item at {pointer} for {contract:?} saying {words:?}; items:\n{}",
            std::fs::read_to_string(out.join("import-report.jsonl")).unwrap()
        );
    }
    // The console lists what changes a check, and says where the full list is.
    assert!(run.stdout.contains("skipped     brokenPath  tests/fixtures/openapi/store-3.1.json#/paths/~1catalog~1{broken/get"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("x-kind"),
        "documentation items are only counted on the console"
    );
    assert!(
        run.stdout.contains(
            "6 contracts imported from tests/fixtures/openapi/store-3.1.json (OpenAPI 3.1.0)"
        ),
        "{}",
        run.stdout
    );
    let markdown = std::fs::read_to_string(out.join("import-report.md")).unwrap();
    assert!(
        markdown.contains("## Operations not imported (2)"),
        "{markdown}"
    );
    assert!(
        markdown.contains("--header \"X-Api-Key: $API_KEY\""),
        "{markdown}"
    );
    assert!(
        markdown.contains("--target https://store.example.com"),
        "{markdown}"
    );
}

#[tokio::test]
async fn strict_refuses_an_import_with_items_and_writes_nothing() {
    let (_keep, out, run) = import(&fixture("clinic-3.0.yaml"), &["--strict"]).await;
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(
        run.stderr
            .contains("error: --strict: the import has items that are not mapped or guessed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("guess "),
        "the items are still listed: {}",
        run.stdout
    );
    assert!(!out.exists(), "nothing is written");
}

#[tokio::test]
async fn documents_that_cannot_be_imported_are_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let mut bomb = String::from("openapi: 3.0.0\na: &a [x, x, x, x, x, x, x, x, x]\n");
    for (name, previous) in [
        ("b", "a"),
        ("c", "b"),
        ("d", "c"),
        ("e", "d"),
        ("f", "e"),
        ("g", "f"),
        ("h", "g"),
        ("i", "h"),
    ] {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{previous}"); 9].join(", ")
        ));
    }
    let cases = [
        (
            write(
                "swagger.yaml",
                "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n",
            ),
            "Swagger 2.0",
        ),
        (
            write("broken.yaml", "openapi: 3.0.0\npaths:\n  /a: [1, 2\n"),
            "line 3",
        ),
        (
            write("plain.json", "{\"name\": \"not an API\"}"),
            "has no `openapi` version",
        ),
        (
            write(
                "number.yaml",
                "openapi: 3.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
            ),
            "`openapi` is the number 3.0, not a version string: write it as a quoted string",
        ),
        (
            write(
                "twice.json",
                r#"{"openapi": "3.0.3", "info": {"title": "t", "title": "u", "version": "1"}, "paths": {}}"#,
            ),
            "duplicate key at /info/title",
        ),
        (write("bomb.yaml", &bomb), "budget"),
        (
            dir.path()
                .join("missing.yaml")
                .to_str()
                .unwrap()
                .to_string(),
            "cannot read",
        ),
    ];
    for (path, words) in cases {
        let out = dir.path().join("out");
        let run = conform(&["import", "openapi", &path, "--out", out.to_str().unwrap()]).await;
        assert_eq!(run.code, 2, "{path}: {}", run.transcript());
        assert!(run.stderr.contains(words), "{path}: {}", run.stderr);
        assert!(!out.exists(), "{path}: nothing is written");
    }
}

#[tokio::test]
async fn an_output_folder_that_cannot_be_written_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let out = blocker.join("contracts");
    let run = conform(&[
        "import",
        "openapi",
        &fixture("clinic-3.0.yaml"),
        "--out",
        out.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, 3, "{}", run.transcript());
    assert!(run.stderr.contains("error: cannot write"), "{}", run.stderr);
}

#[tokio::test]
async fn a_body_that_looks_like_it_carries_the_result_is_listed_as_a_guess() {
    let dir = tempfile::tempdir().unwrap();
    let document = dir.path().join("platform.yaml");
    std::fs::write(
        &document,
        "openapi: 3.0.3\ninfo: {title: platform, version: '1'}\npaths:\n  /v2/issueCard:\n    post:\n      operationId: issueCard\n      requestBody:\n        required: true\n        content:\n          application/json:\n            schema: {type: object, properties: {appId: {type: string}}}\n      responses:\n        '200':\n          description: Every answer, success or not.\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  result:\n                    type: object\n                    properties:\n                      resultStatus: {type: string, enum: [S, F, U]}\n                      resultCode: {type: string}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = conform(&[
        "import",
        "openapi",
        document.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.contains("issueCard  ") && run.stdout.contains("the 200 body has `/result/resultStatus`: if it carries the business result, set `result.in` to `body` by hand"),
        "{}",
        run.stdout
    );
    let contract: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("issueCard.json")).unwrap())
            .unwrap();
    assert_eq!(contract["result"]["in"], "http-status");
}
