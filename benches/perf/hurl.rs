//! (6) Hurl against conform: the shipped suite's requests as Hurl files, each request with the
//! asserts a Hurl user would write for it (the HTTP status, and the business result status
//! present and one the contract allows), sent to the same reference server as `conform verify`
//! sends them, in paired rounds. Skipped with a message when `hurl` is not installed (set
//! `HURL` to its path, or put it on `PATH`).

use std::path::{Path, PathBuf};
use std::process::Command;

use conform::contract::Contract;
use conform::reference::ReferenceServer;

use super::bare::Group;
use super::{CONFORM, JOBS, measure, median, ms, requests};

/// Paired rounds counted, after one not counted.
const ROUNDS: usize = 5;
/// conform must be at least this many times faster than Hurl for the same requests.
const TARGET: f64 = 10.0;

/// Runs the comparison, adding a missed target to `missed`.
pub(crate) fn run(
    runtime: &tokio::runtime::Runtime,
    contracts: &[Contract],
    work: &Path,
    missed: &mut Vec<String>,
) {
    let hurl = std::env::var_os("HURL").map_or_else(|| PathBuf::from("hurl"), PathBuf::from);
    let version = Command::new(&hurl).arg("--version").output();
    let Some(version) = version.ok().filter(|o| o.status.success()) else {
        println!(
            "\nHurl comparison skipped: `{}` is not installed (set HURL to its path)",
            hurl.display()
        );
        return;
    };
    let version = String::from_utf8_lossy(&version.stdout);
    let version = version.lines().next().unwrap_or_default().to_string();
    let server = runtime
        .block_on(ReferenceServer::start(contracts))
        .expect("server");
    let url = server.uri();
    let mut ratios = Vec::new();
    let (mut conform_walls, mut hurl_walls) = (Vec::new(), Vec::new());
    let mut sent = 0;
    for round in 0..=ROUNDS {
        let dir = work.join(format!("hurl-{round}"));
        let requests = write_hurl_files(contracts, &url, &dir);
        let conform = || {
            let before = server.served();
            // Late replays resend requests chosen at run time, which no Hurl file holds.
            let run = measure(Command::new(CONFORM).args([
                "verify",
                "--target",
                &url,
                "--jobs",
                JOBS,
                "--snapshots",
                "off",
                "--late-replays",
                "0",
            ]));
            assert_eq!(run.code, 0, "conform verify failed");
            (run.wall, server.served() - before)
        };
        let hurl_run = || {
            let before = server.served();
            let run = measure(
                Command::new(&hurl)
                    .args(["--test", "--jobs", JOBS, "--glob"])
                    .arg(dir.join("*.hurl")),
            );
            assert_eq!(run.code, 0, "hurl failed: its asserts do not hold");
            (run.wall, server.served() - before)
        };
        let ((c, c_sent), (h, h_sent)) = if round % 2 == 0 {
            let c = conform();
            (c, hurl_run())
        } else {
            let h = hurl_run();
            (conform(), h)
        };
        assert_eq!(h_sent as usize, requests, "Hurl sent every request");
        assert_eq!(c_sent, h_sent, "conform and Hurl sent as many requests");
        if round > 0 {
            ratios.push(h.as_secs_f64() / c.as_secs_f64());
            conform_walls.push(c);
            hurl_walls.push(h);
        }
        sent = requests;
    }
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    println!(
        "\nHurl comparison ({version}; {sent} requests, {JOBS} at once, median of {ROUNDS} paired rounds)\n  conform {}  hurl {}  hurl ÷ conform: {ratio:.1} (target ≥ {TARGET})",
        ms(median(&conform_walls)),
        ms(median(&hurl_walls)),
    );
    if ratio < TARGET {
        missed.push(format!(
            "conform is {ratio:.1}× faster than Hurl, not {TARGET}×"
        ));
    }
}

/// One Hurl file per case of the shipped suite, fresh keys; returns how many requests.
fn write_hurl_files(contracts: &[Contract], url: &str, dir: &Path) -> usize {
    std::fs::create_dir_all(dir).expect("hurl folder");
    let lines = dir.join("requests.jsonl");
    requests::write(contracts, &lines);
    let text = std::fs::read_to_string(&lines).expect("requests");
    std::fs::remove_file(&lines).expect("requests");
    let mut total = 0;
    for (i, line) in text.lines().enumerate() {
        let group: Group = serde_json::from_str(line).expect("group");
        if group.bodies.is_empty() {
            continue;
        }
        let contract = contracts
            .iter()
            .find(|c| c.path() == group.path)
            .expect("the group's contract");
        let mut file = String::new();
        for body in &group.bodies {
            file.push_str(&entry(contract, url, &group.path, body));
            total += 1;
        }
        std::fs::write(dir.join(format!("case-{i:05}.hurl")), file).expect("hurl file");
    }
    total
}

/// One request with its asserts: the contract's HTTP status for results in the body, and the
/// result status present and one of the contract's.
fn entry(contract: &Contract, url: &str, path: &str, body: &str) -> String {
    // The contract's `result` as its file states it (the shipped contracts state every key).
    let text = std::fs::read_to_string(contract.file()).expect("contract file");
    let file: serde_json::Value = serde_json::from_str(&text).expect("contract JSON");
    let rules = &file["result"];
    let status = rules["httpStatus"][0].as_u64().unwrap_or(200);
    let pointer = rules["status"].as_str().unwrap_or_default();
    let field = pointer.trim_start_matches('/').replace('/', ".");
    let allowed: Vec<&str> = rules["statuses"]
        .as_object()
        .map(|statuses| statuses.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let asserts = if field.is_empty() {
        String::new()
    } else {
        format!(
            "jsonpath \"$.{field}\" isString\njsonpath \"$.{field}\" matches \"^({})$\"\n",
            allowed.join("|")
        )
    };
    format!(
        "POST {url}{path}\nContent-Type: application/json; charset=UTF-8\n```\n{body}\n```\nHTTP {status}\n[Asserts]\nheader \"Content-Type\" contains \"application/json\"\n{asserts}\n"
    )
}
