//! (6) Hurl against conform: the shipped suite's requests as Hurl files, each request with the
//! asserts a Hurl user would write for it (the HTTP status, and the business result status
//! present and one the contract allows), sent to the same reference server as `conform verify`
//! sends them, in paired rounds. Skipped with a message when `hurl` is not installed (set
//! `HURL` to its path, or put it on `PATH`).
//!
//! The bare hyper loop of (1) sends the same requests in the same rounds: the fastest of the
//! bare clients, checking nothing, with nothing of a runner's work to do, so Hurl's time over
//! its time is about the most any runner can be faster than Hurl here, and it is printed beside
//! the figure judged. (The bare reqwest loop was the bound until conform, sending over hyper's
//! connections from a pool of its own, became as fast as it.)

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
    let (mut ratios, mut bounds) = (Vec::new(), Vec::new());
    let (mut conform_walls, mut hurl_walls, mut bare_walls) = (Vec::new(), Vec::new(), Vec::new());
    let mut sent = 0;
    for round in 0..=ROUNDS {
        let dir = work.join(format!("hurl-{round}"));
        let requests = write_hurl_files(contracts, &url, &dir);
        let conform = || {
            let before = server.served();
            // The contract files by name, as in (1): the shipped scenarios send values captured
            // from earlier answers, which no Hurl file written beforehand holds. Late replays
            // resend requests chosen at run time, which no Hurl file holds either.
            let files = contracts.iter().map(|c| c.file().as_os_str());
            let run = measure(Command::new(CONFORM).arg("verify").args(files).args([
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
        // The same requests with keys of their own: a key Hurl sent already would be answered
        // from the server's memory, which costs it less.
        let lines = dir.join("bare.jsonl");
        requests::write(contracts, &lines);
        let bare = || {
            let before = server.served();
            let exe = std::env::current_exe().expect("bench binary");
            let run = measure(
                Command::new(exe)
                    .arg("--bare-hyper")
                    .arg(&url)
                    .arg(&lines)
                    .arg(JOBS),
            );
            assert_eq!(run.code, 0, "bare client failed");
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
        // Each round runs all three, in an order that turns with the round.
        let ((c, c_sent), (h, h_sent), (b, b_sent)) = match round % 3 {
            0 => {
                let c = conform();
                let h = hurl_run();
                (c, h, bare())
            }
            1 => {
                let h = hurl_run();
                let b = bare();
                (conform(), h, b)
            }
            _ => {
                let b = bare();
                let c = conform();
                (c, hurl_run(), b)
            }
        };
        assert_eq!(h_sent as usize, requests, "Hurl sent every request");
        assert_eq!(c_sent, h_sent, "conform and Hurl sent as many requests");
        assert_eq!(
            b_sent, h_sent,
            "the bare client and Hurl sent as many requests"
        );
        if round > 0 {
            ratios.push(h.as_secs_f64() / c.as_secs_f64());
            bounds.push(h.as_secs_f64() / b.as_secs_f64());
            conform_walls.push(c);
            hurl_walls.push(h);
            bare_walls.push(b);
        }
        sent = requests;
    }
    let middle = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ratio, bound) = (middle(ratios), middle(bounds));
    println!(
        "\nHurl comparison ({version}; {sent} requests, {JOBS} at once, median of {ROUNDS} paired rounds)"
    );
    println!(
        "  conform {}  hurl {}  bare hyper client {}",
        ms(median(&conform_walls)),
        ms(median(&hurl_walls)),
        ms(median(&bare_walls)),
    );
    println!("  hurl ÷ conform  {ratio:>5.1}  (target ≥ {TARGET})");
    println!(
        "  hurl ÷ bare     {bound:>5.1}  (about the most any runner of these requests reaches)"
    );
    if ratio < TARGET {
        let reach = if bound < TARGET {
            format!(", out of reach: the bare hyper client itself is {bound:.1}× faster than Hurl")
        } else {
            String::new()
        };
        missed.push(format!(
            "conform is {ratio:.1}× faster than Hurl, not {TARGET}×{reach}"
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
