//! Snapshot workflow end to end: record against a correct implementation, catch drift that
//! still fits the contract, review it, and never write in CI.

use std::path::{Path, PathBuf};

use crate::issue_card::{Defects, serve};
use crate::util::{ISSUE_CARD, conform, conform_with, root};

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

async fn verify(
    defects: Defects,
    dir: &Path,
    env: &[(&str, &str)],
    extra: &[&str],
) -> crate::util::Run {
    let server = serve(defects).await;
    let uri = server.uri();
    let dir = dir.display().to_string();
    let mut args = vec![
        "verify",
        ISSUE_CARD,
        "--target",
        &uri,
        "--snapshot-dir",
        &dir,
    ];
    args.extend_from_slice(extra);
    conform_with(&root(), &args, env, None).await
}

fn drifted() -> Defects {
    Defects {
        drift_extend_info: true,
        drift_failure_message: true,
        ..Defects::default()
    }
}

/// Records the example case's snapshot against the correct implementation.
async fn record_example(dir: &Path) -> crate::util::Run {
    verify(Defects::default(), dir, &[], &["--filter", "*/example/*"]).await
}

/// Runs the example case against the drifted implementation (mode `new`).
async fn drift_example(dir: &Path) -> crate::util::Run {
    verify(drifted(), dir, &[], &["--filter", "*/example/*"]).await
}

#[tokio::test]
async fn drift_is_shown_exactly_and_nothing_is_written_in_ci() {
    let dir = tempfile::tempdir().unwrap();
    let recorded = verify(Defects::default(), dir.path(), &[], &[]).await;
    assert_eq!(recorded.code, 0, "{}", recorded.stdout);
    let before = files(dir.path());
    assert!(
        before.contains(&PathBuf::from("issueCard/example/seed-sample.snap")),
        "{before:?}"
    );
    assert!(before.contains(&PathBuf::from("issueCard/negative/appId/too-long.snap")));

    let run = verify(drifted(), dir.path(), &[("CI", "true")], &[]).await;
    assert_eq!(run.code, 1);
    assert_eq!(files(dir.path()), before, "CI=true writes nothing");
    let changed: Vec<&str> = run
        .stdout
        .lines()
        .map(str::trim_start)
        .filter(|l| {
            (l.starts_with('+') && !l.starts_with("+++"))
                || (l.starts_with('-') && !l.starts_with("---"))
        })
        .collect();
    assert!(!changed.is_empty());
    for line in &changed {
        let drift = line.contains("\"extendInfo\"") || line.contains("\"resultMessage\"");
        assert!(drift, "only the drift may show, not `{line}`");
    }
    assert!(
        changed.contains(&"+  \"extendInfo\": \"{\\\"tier\\\":\\\"standard\\\"}\","),
        "{changed:?}"
    );
    assert!(run.stdout.contains("check mode: nothing written"));
    assert!(
        run.stdout.contains(
            "snapshot                 response differs from its snapshot (1 line changed)"
        )
    );

    let again = verify(Defects::default(), dir.path(), &[("CI", "true")], &[]).await;
    assert_eq!(
        again.code, 0,
        "fresh keys, same answers: no diff\n{}",
        again.stdout
    );
}

#[tokio::test]
async fn pending_snapshots_are_reviewed_with_accept_and_reject() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    record_example(dir.path()).await;
    let run = drift_example(dir.path()).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("pending snapshot written to"),
        "{}",
        run.stdout
    );
    assert!(files(dir.path()).contains(&PathBuf::from("issueCard/example/seed-sample.snap.new")));

    let rejected = conform(&[
        "snapshots",
        "reject",
        "issueCard/example/*",
        "--snapshot-dir",
        &d,
    ])
    .await;
    assert_eq!(
        rejected.stdout,
        "rejected issueCard/example/seed-sample\n1 snapshot rejected\n"
    );
    assert_eq!(
        files(dir.path()),
        vec![PathBuf::from("issueCard/example/seed-sample.snap")]
    );

    drift_example(dir.path()).await;
    let mistyped = conform(&["snapshots", "accept", "isueCard/*", "--snapshot-dir", &d]).await;
    assert_eq!(mistyped.code, 2, "{}", mistyped.stdout);
    assert!(
        mistyped.stderr.contains("no pending snapshot in ")
            && mistyped.stderr.contains(" matches `isueCard/*`"),
        "{}",
        mistyped.stderr
    );
    let nowhere = dir.path().join("nowhere").display().to_string();
    let missing = conform(&["snapshots", "accept", "--snapshot-dir", &nowhere]).await;
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("does not exist"),
        "{}",
        missing.stderr
    );
    let pruned = conform(&["snapshots", "prune", "--snapshot-dir", &nowhere]).await;
    assert_eq!(pruned.code, 2, "prune says so too: {}", pruned.stdout);
    let a_file = dir.path().join("issueCard/example/seed-sample.snap");
    let file = a_file.display().to_string();
    let not_a_folder = conform(&["snapshots", "reject", "--snapshot-dir", &file]).await;
    assert!(
        not_a_folder.stderr.contains("is not a folder"),
        "{}",
        not_a_folder.stderr
    );
    let accepted = conform(&["snapshots", "accept", "--snapshot-dir", &d]).await;
    assert_eq!(accepted.code, 0);
    let snapshot =
        std::fs::read_to_string(dir.path().join("issueCard/example/seed-sample.snap")).unwrap();
    assert!(snapshot.contains("\"extendInfo\""), "{snapshot}");
    let run = verify(
        drifted(),
        dir.path(),
        &[("CI", "true")],
        &["--filter", "*/example/*"],
    )
    .await;
    assert_eq!(
        run.code, 0,
        "the accepted drift is the new baseline\n{}",
        run.stdout
    );
}

#[tokio::test]
async fn review_asks_on_a_terminal_and_refuses_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    record_example(dir.path()).await;
    drift_example(dir.path()).await;
    let piped = conform(&["snapshots", "review", "--snapshot-dir", &d]).await;
    assert_eq!(piped.code, 2);
    assert!(
        piped.stderr.contains("needs a terminal"),
        "{}",
        piped.stderr
    );

    // `script` gives the command a pseudo-terminal; the answer `a` accepts the one change.
    let command = format!(
        "{} snapshots review --snapshot-dir {d}",
        env!("CARGO_BIN_EXE_conform")
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"a\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(
        shown.contains("issueCard/example/seed-sample (1/1)"),
        "{shown}"
    );
    assert!(shown.contains("+  \"extendInfo\""), "{shown}");
    assert!(
        shown.contains("1 accepted, 0 rejected, 0 skipped"),
        "{shown}"
    );
    assert_eq!(
        files(dir.path()),
        vec![PathBuf::from("issueCard/example/seed-sample.snap")]
    );
    // Given another contract alone, prune leaves issueCard's snapshots where they are.
    let other = "contracts/platform/apply-token.json";
    let alone = conform(&[
        "snapshots",
        "prune",
        other,
        "--delete",
        "--snapshot-dir",
        &d,
    ])
    .await;
    assert!(
        alone.stdout.contains(
            "1 snapshot left alone: no contract given is named issueCard (a contract removed? delete its folder, or give it)"
        ),
        "{}",
        alone.stdout
    );
    assert!(
        alone.stdout.contains("0 snapshots deleted"),
        "{}",
        alone.stdout
    );
    assert_eq!(
        files(dir.path()),
        vec![PathBuf::from("issueCard/example/seed-sample.snap")]
    );
}

#[tokio::test]
async fn prune_lists_and_deletes_snapshots_of_vanished_cases() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    record_example(dir.path()).await;
    let stale = dir.path().join("issueCard/example/retired.snap");
    std::fs::write(
        &stale,
        "# conform snapshot\n# case: issueCard/example/retired\n---\nHTTP 200\n",
    )
    .unwrap();
    let listed = conform(&["snapshots", "prune", "--snapshot-dir", &d]).await;
    assert!(
        listed.stdout.contains("retired.snap\n1 snapshot orphaned"),
        "{}",
        listed.stdout
    );
    assert!(stale.exists());
    let deleted = conform(&["snapshots", "prune", "--delete", "--snapshot-dir", &d]).await;
    assert!(
        deleted.stdout.contains("1 snapshot deleted"),
        "{}",
        deleted.stdout
    );
    assert_eq!(
        files(dir.path()),
        vec![PathBuf::from("issueCard/example/seed-sample.snap")]
    );
}

#[tokio::test]
async fn a_resource_flow_snapshot_is_judged_only_when_the_suite_is_given_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let flow = dir.path().join("card/flow/delete-then-read/delete.snap");
    std::fs::create_dir_all(flow.parent().unwrap()).unwrap();
    let text = "# conform snapshot\n# case: card/flow/delete-then-read/delete\n---\nHTTP 204\n";
    std::fs::write(&flow, text).unwrap();
    let stale = dir.path().join("card/flow/retired/delete.snap");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, text.replace("delete-then-read", "retired")).unwrap();
    // One contract of the suite plans only some of the resource's flows: none is judged.
    let one = "examples/cards-api/get-card.json";
    let alone = conform(&["snapshots", "prune", one, "--delete", "--snapshot-dir", &d]).await;
    assert_eq!(alone.code, 0, "{}{}", alone.stdout, alone.stderr);
    assert!(flow.exists() && stale.exists(), "{}", alone.stdout);
    assert!(
        alone.stdout.contains("0 snapshots deleted"),
        "{}",
        alone.stdout
    );
    // The suite's folder plans them all: only the retired flow's snapshot is an orphan.
    let whole = conform(&[
        "snapshots",
        "prune",
        "examples/cards-api",
        "--delete",
        "--snapshot-dir",
        &d,
    ])
    .await;
    assert!(
        whole.stdout.contains("1 snapshot deleted"),
        "{}",
        whole.stdout
    );
    assert!(flow.exists() && !stale.exists());
}

#[tokio::test]
async fn embedded_runs_take_no_snapshots_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let args = [
        "verify",
        ISSUE_CARD,
        "--snapshot-dir",
        &d,
        "--filter",
        "*/example/*",
    ];
    let run = conform_with(&root(), &args, &[], None).await;
    assert_eq!(run.code, 0);
    assert!(files(dir.path()).is_empty());
    let run = conform(&[
        "verify",
        ISSUE_CARD,
        "--snapshot-dir",
        &d,
        "--filter",
        "*/example/*",
        "--snapshots",
        "new",
    ])
    .await;
    assert_eq!(run.code, 0);
    assert_eq!(
        files(dir.path()),
        vec![PathBuf::from("issueCard/example/seed-sample.snap")]
    );
    let bad = conform(&["verify", ISSUE_CARD, "--snapshots", "sometimes"]).await;
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("unknown snapshot mode `sometimes`"));
}

#[tokio::test]
async fn broken_answers_never_become_snapshots_or_pending_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let faulty = [
        "verify",
        ISSUE_CARD,
        "--snapshots",
        "new",
        "--snapshot-dir",
        &d,
        "--fault",
        "http-503=0.3",
    ];
    let first = conform(&faulty).await;
    assert_eq!(first.code, 1, "{}", first.stdout);
    let recorded = files(dir.path());
    assert!(!recorded.is_empty(), "healthy answers are recorded");
    for file in &recorded {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(
            text.contains("---\nHTTP 200\n"),
            "{}: {text}",
            file.display()
        );
    }

    // Healthy snapshots for every case, then 503s again: none becomes a pending snapshot.
    let healthy = conform(&[
        "verify",
        ISSUE_CARD,
        "--snapshots",
        "new",
        "--snapshot-dir",
        &d,
    ])
    .await;
    assert_eq!(healthy.code, 0, "{}", healthy.stdout);
    let before = files(dir.path());
    let again = conform(&faulty).await;
    assert_eq!(again.code, 1);
    assert_eq!(files(dir.path()), before, "no .snap.new of a broken answer");
    assert!(
        again
            .stdout
            .contains("nothing written: the answer failed other checks"),
        "{}",
        again.stdout
    );
}

#[tokio::test]
async fn the_console_says_how_many_snapshots_were_written_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let first = record_example(dir.path()).await;
    assert!(
        first.stdout.contains(&format!(
            "  snapshots    new in {d}: 1 recorded (not compared)\n"
        )),
        "{}",
        first.stdout
    );
    let drift = drift_example(dir.path()).await;
    assert!(
        drift.stdout.contains(&format!(
            "  snapshots    new in {d}: 1 pending written for review\n"
        )),
        "{}",
        drift.stdout
    );
    assert!(
        drift
            .stdout
            .contains("review the pending snapshots with `conform snapshots review`"),
        "{}",
        drift.stdout
    );
}
