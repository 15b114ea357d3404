//! The first hour of a new user: starting a contract, running outside a project, and the
//! usual slips on the command line. Each message says what happened, where, and what to do.

use crate::util::{conform, conform_in};

#[tokio::test]
async fn new_writes_a_rest_contract_that_lints_and_passes_against_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let run = conform_in(dir.path(), &["new", "createOrder"]).await;
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.contains("wrote contracts/create-order.json"),
        "{}",
        run.stdout
    );
    let text = std::fs::read_to_string(dir.path().join("contracts/create-order.json")).unwrap();
    let contract: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(contract["$schema"], "./contract.schema.json");
    assert_eq!(contract["operation"]["path"], "/v1/create-order");
    let schema =
        std::fs::read_to_string(dir.path().join("contracts/contract.schema.json")).unwrap();
    assert!(
        schema.contains("\"$schema\""),
        "the contract JSON Schema is written for editors"
    );

    let get = [
        "new",
        "getOrder",
        "--method",
        "get",
        "--path",
        "/v1/orders/{orderId}",
    ];
    assert_eq!(conform_in(dir.path(), &get).await.code, 0);
    let body = ["new", "issueThing", "--style", "body"];
    assert_eq!(conform_in(dir.path(), &body).await.code, 0);

    let lint = conform_in(dir.path(), &["lint"]).await;
    assert_eq!(lint.code, 0, "{}", lint.transcript());
    assert!(
        lint.stdout.contains("3 contracts valid"),
        "the schema beside them is not read as a contract: {}",
        lint.stdout
    );
    let verify = conform_in(dir.path(), &["verify"]).await;
    assert_eq!(verify.code, 0, "{}", verify.transcript());
    assert!(verify.stdout.contains("\nPASS "), "{}", verify.stdout);
}

#[tokio::test]
async fn new_never_overwrites_and_refuses_a_name_cases_cannot_carry() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        conform_in(dir.path(), &["new", "createOrder"]).await.code,
        0
    );
    let again = conform_in(dir.path(), &["new", "createOrder"]).await;
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains(
            "contracts/create-order.json already exists: choose another NAME or --out folder"
        ),
        "{}",
        again.stderr
    );
    let bad = conform_in(dir.path(), &["new", "create order"]).await;
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("cannot name a contract"),
        "{}",
        bad.stderr
    );
    let relative = conform_in(dir.path(), &["new", "x", "--path", "v1/x"]).await;
    assert_eq!(relative.code, 2);
    assert!(
        relative.stderr.contains("must start with `/`"),
        "{}",
        relative.stderr
    );
}

#[tokio::test]
async fn verify_outside_a_project_says_where_it_looked_and_how_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let run = conform_in(dir.path(), &["verify"]).await;
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(
        run.stderr
            .contains("no contracts to check: there is no `contracts/` folder here"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("start one with `conform new NAME`"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_target_without_a_scheme_is_answered_with_the_url_to_write() {
    for given in ["127.0.0.1:8080", "localhost:8080"] {
        let run = conform(&["verify", "--target", given]).await;
        assert_eq!(run.code, 2, "{}", run.transcript());
        assert!(
            run.stderr.contains(&format!(
                "invalid target `{given}`: a target URL starts with its scheme: write `http://{given}`"
            )),
            "{}",
            run.stderr
        );
    }
}

#[tokio::test]
async fn a_resource_declared_on_new_contracts_passes_its_own_reference() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        conform_in(dir.path(), &["new", "createOrder"]).await.code,
        0
    );
    let get = [
        "new",
        "getOrder",
        "--method",
        "GET",
        "--path",
        "/v1/orders/{orderId}",
    ];
    assert_eq!(conform_in(dir.path(), &get).await.code, 0);
    // The documented resource declarations: the create keyless, the read answering 404.
    let edit = |file: &str, change: &dyn Fn(&mut serde_json::Value)| {
        let path = dir.path().join("contracts").join(file);
        let mut contract: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        change(&mut contract);
        std::fs::write(&path, serde_json::to_string_pretty(&contract).unwrap()).unwrap();
    };
    edit("create-order.json", &|c| {
        c["operation"]["path"] = "/v1/orders".into();
        c["resource"] = serde_json::json!({"name": "order", "action": "create", "id": "/body/id"});
    });
    edit("get-order.json", &|c| {
        c["responses"]["404"] =
            serde_json::json!({"fields": {"error": {"type": "Error", "required": true}}});
        c["result"]["codes"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"code": "not_found", "status": "404"}));
        c["resource"] =
            serde_json::json!({"name": "order", "action": "read", "id": "/path/orderId"});
    });
    let cases = conform_in(dir.path(), &["cases"]).await;
    assert!(
        !cases.stdout.contains("order/flow/create-replay-then-read"),
        "a keyless create promises no replay: {}",
        cases.stdout
    );
    // The reference answers a valid id nobody created with its 404, as the boundary cases of
    // the id now expect; before, they expected 200 and the run failed its own reference.
    let verify = conform_in(dir.path(), &["verify"]).await;
    assert_eq!(verify.code, 0, "{}", verify.transcript());
    assert!(
        cases
            .stdout
            .contains("getOrder/boundary/path.orderId/max-length"),
        "{}",
        cases.stdout
    );
}
