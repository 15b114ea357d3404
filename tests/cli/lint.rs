//! `conform lint` and `conform schema`: valid contracts pass, invalid ones get located errors
//! and exit 2.

use crate::util::{conform, fixture};

#[tokio::test]
async fn shipped_and_valid_fixture_contracts_lint_clean() {
    let run = conform(&["lint", "contracts", &fixture("valid")]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr, "",
        "no note or warning about the shipped contracts"
    );
    assert!(
        run.stdout
            .ends_with("9 contracts and 1 scenario file valid\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("ok   tokens (contracts/platform/tokens.scenario.json)\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn invalid_contracts_exit_2_with_file_line_column_errors() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    insta::glob!("../fixtures/invalid", "*.json", |path| {
        let relative = path.strip_prefix(crate::util::root()).unwrap();
        let run = runtime.block_on(conform(&["lint", relative.to_str().unwrap()]));
        assert_eq!(run.code, 2, "{}", run.stdout);
        assert!(
            run.stderr.contains(&format!("--> {}", relative.display())),
            "{}",
            run.stderr
        );
        insta::assert_snapshot!(run.stderr);
    });
}

#[test]
fn invalid_scenario_files_exit_2_with_file_line_column_errors() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    insta::glob!("../fixtures/invalid-scenarios", "*.json", |path| {
        let relative = path.strip_prefix(crate::util::root()).unwrap();
        let file = relative.to_str().unwrap();
        let run = runtime.block_on(conform(&[
            "lint",
            "contracts/platform",
            "examples/cards-api",
            file,
        ]));
        assert_eq!(run.code, 2, "{}", run.stdout);
        assert!(
            run.stderr.contains(&format!("--> {file}:")),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.ends_with("in 1 scenario file\n"),
            "{}",
            run.stderr
        );
        insta::assert_snapshot!(run.stderr);
    });
}

#[tokio::test]
async fn schema_scenario_prints_the_published_scenario_schema() {
    let run = conform(&["schema", "--scenario"]).await;
    assert_eq!(run.code, 0);
    let published =
        std::fs::read_to_string(crate::util::root().join("docs/scenario.schema.json")).unwrap();
    assert_eq!(
        run.stdout, published,
        "docs/scenario.schema.json is stale: run `cargo run -- schema --scenario > docs/scenario.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(schema["title"], "conform scenarios");
    assert!(schema["$defs"]["StepDef"]["properties"]["capture"].is_object());
}

#[tokio::test]
async fn schema_command_prints_the_published_contract_schema() {
    let run = conform(&["schema"]).await;
    assert_eq!(run.code, 0);
    let published =
        std::fs::read_to_string(crate::util::root().join("docs/contract.schema.json")).unwrap();
    assert_eq!(
        run.stdout, published,
        "docs/contract.schema.json is stale: run `cargo run -- schema > docs/contract.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(schema["title"], "conform contract");
    assert!(schema["$defs"]["FieldDef"]["properties"]["forbiddenChars"].is_object());
}

#[tokio::test]
async fn schema_target_prints_the_published_target_profile_schema() {
    let run = conform(&["schema", "--target"]).await;
    assert_eq!(run.code, 0);
    let published =
        std::fs::read_to_string(crate::util::root().join("docs/target.schema.json")).unwrap();
    assert_eq!(
        run.stdout, published,
        "docs/target.schema.json is stale: run `cargo run -- schema --target > docs/target.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(schema["title"], "conform target profile");
    assert_eq!(schema["additionalProperties"], false);
    assert!(schema["properties"]["privateKey"].is_object());
}

#[tokio::test]
async fn missing_contract_folder_is_a_usage_error() {
    let run = conform(&["lint", "no-such-folder"]).await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no-such-folder"), "{}", run.stderr);
}

#[tokio::test]
async fn lint_and_cases_name_the_limits_too_large_to_probe() {
    let dir = tempfile::tempdir().unwrap();
    let mut contract: serde_json::Value =
        serde_json::from_str(include_str!("../../contracts/platform/issue-card.json")).unwrap();
    contract["request"]["fields"]["extendInfo"]["maxLength"] = serde_json::json!(2147483647u64);
    let path = dir.path().join("issue-card.json");
    std::fs::write(&path, serde_json::to_string_pretty(&contract).unwrap()).unwrap();
    let note = "note: issueCard: extendInfo: `maxLength` 2147483647 is above the probe limit of \
                65536 characters: its too-long and max-length cases are left out\n";

    let lint = conform(&["lint", path.to_str().unwrap()]).await;
    assert_eq!(lint.code, 0, "{}", lint.stderr);
    assert_eq!(lint.stderr, note);

    let cases = conform(&["cases", path.to_str().unwrap()]).await;
    assert_eq!(cases.code, 0, "{}", cases.stderr);
    assert_eq!(cases.stderr, note);
    assert!(
        !cases.stdout.contains("extendInfo/too-long"),
        "{}",
        cases.stdout
    );
    assert!(
        !cases.stdout.contains("extendInfo/max-length"),
        "{}",
        cases.stdout
    );
    assert!(
        cases
            .stdout
            .contains("issueCard/negative/extendInfo/forbidden-char-at\n")
    );
}

#[tokio::test]
async fn a_path_that_never_ends_is_refused_at_the_bound_not_read_whole() {
    // A device reports no size: conform must stop reading it, for contracts and imports alike.
    let lint = conform(&["lint", "/dev/zero"]).await;
    assert_eq!(lint.code, 2, "{}", lint.stderr);
    assert!(
        lint.stderr
            .contains("more than 67108864 bytes, the most conform reads from one file"),
        "{}",
        lint.stderr
    );
    let out = tempfile::tempdir().unwrap();
    let out = out.path().to_str().unwrap();
    let import = conform(&["import", "openapi", "/dev/zero", "--out", out]).await;
    assert_eq!(import.code, 2, "{}", import.stderr);
    assert!(
        import.stderr.contains("cannot read /dev/zero: more than"),
        "{}",
        import.stderr
    );
}

#[tokio::test]
async fn a_snapshot_redaction_matching_no_declared_field_is_a_located_warning() {
    let dir = tempfile::tempdir().unwrap();
    let source =
        std::fs::read_to_string(crate::util::root().join("examples/cards-api/create-card.json"))
            .unwrap();
    let typo = source.replace("\"/card/createdAt\"", "\"/card/createAt\"");
    assert_ne!(typo, source);
    let file = dir.path().join("create-card.json");
    std::fs::write(&file, &typo).unwrap();
    let run = conform(&["lint", file.to_str().unwrap()]).await;
    assert_eq!(run.code, 0, "a warning, not an error: {}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "warning: snapshot.redact `/card/createAt` matches no field the answers of `createCard` declare"
        ),
        "{}",
        run.stderr
    );
    let line = typo
        .lines()
        .position(|l| l.contains("/card/createAt"))
        .unwrap()
        + 1;
    assert!(
        run.stderr.contains(&format!("create-card.json:{line}:")),
        "{}",
        run.stderr
    );
    let examples = conform(&["lint", "examples/cards-api"]).await;
    assert_eq!(examples.stderr, "", "the shipped redactions all match");
}
