//! (4) `conform serve` under load: requests/s against a bare hyper server answering a fixed
//! body, and resident memory over a long run with distinct keys.
//!
//! Both servers run as their own processes, driven by the same load generator (`perf --load`,
//! its own process too) with the same connections, a distinct idempotency key per request and
//! validation on (every request is the shipped example, which `serve` validates in full and
//! answers with a fresh card). Rounds alternate which server goes first; the figure is the
//! median of the rounds' ratios, so the machine's drift cancels out.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use conform::contract::Contract;

use crate::CONFORM;

/// Keep-alive connections of the load generator.
const CONNECTIONS: &str = "32";
/// Measured rounds, each running the load against both servers.
const ROUNDS: usize = 9;
/// How long each server is loaded per round.
const LOAD: &str = "1.5s";
/// The throughput target: serve ÷ bare.
const TARGET: f64 = 0.8;
/// Keys sent in the long run, in chunks, reading memory after each.
const LONG_RUN: u64 = 300_000;
const CHUNK: u64 = 50_000;
/// `serve`'s default idempotency memory, in keys: memory must stop growing past it.
const KEY_CAPACITY: u64 = 100_000;

/// A server process, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
}

impl Server {
    pub(crate) fn start(command: &mut Command) -> Server {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("server starts");
        let mut first = String::new();
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        out.read_line(&mut first).expect("server prints its URL");
        // Keep reading what else it prints, so it never writes to a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let url = first.trim().to_string();
        assert!(url.starts_with("http://"), "first line is the URL: {first}");
        Server { child, url }
    }

    /// The process id (to read its CPU time from `/proc`).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn address(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// `VmRSS` and `VmHWM` (peak) of the process, in kB.
    fn memory_kb(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the serve part, adding missed targets to `missed`.
pub(crate) fn run(root: &Path, contracts: &[Contract], work: &Path, missed: &mut Vec<String>) {
    // issueCard alone: the operation the bare server's answer stands for.
    let issue_card = contracts
        .iter()
        .find(|c| c.name() == "issueCard")
        .expect("the shipped issueCard contract");
    let template = write_template(issue_card, work);
    let path = issue_card.path().to_string();
    let contracts_dir = root.join("contracts/platform/issue-card.json");
    let conform = || {
        Server::start(Command::new(CONFORM).args([
            "serve",
            "--port",
            "0",
            contracts_dir.to_str().expect("path"),
        ]))
    };
    let exe = std::env::current_exe().expect("bench binary");
    let serve = conform();
    let bare = Server::start(Command::new(&exe).arg("--hyper-server"));
    let load = |server: &Server, prefix: &str, limit: &str| {
        load(&exe, server, &path, limit, prefix, &template)
    };
    // One unmeasured round warms both servers and the generator.
    load(&serve, "w0s", LOAD);
    load(&bare, "w0b", LOAD);
    let mut rounds = Vec::new();
    for round in 0..ROUNDS {
        let (s, b) = (format!("r{round}s"), format!("r{round}b"));
        let (serve_rate, bare_rate) = if round % 2 == 0 {
            let s = load(&serve, &s, LOAD);
            (s, load(&bare, &b, LOAD))
        } else {
            let b = load(&bare, &b, LOAD);
            (load(&serve, &s, LOAD), b)
        };
        rounds.push((serve_rate, bare_rate));
    }
    report_throughput(&rounds, missed);
    drop((serve, bare));
    long_run(
        &conform(),
        &|server, prefix, limit| load(server, prefix, limit),
        missed,
    );
}

fn report_throughput(rounds: &[(f64, f64)], missed: &mut Vec<String>) {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let serve = median(rounds.iter().map(|r| r.0).collect());
    let bare = median(rounds.iter().map(|r| r.1).collect());
    let mut ratios: Vec<f64> = rounds.iter().map(|r| r.0 / r.1).collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let spread = (ratios[ratios.len() / 4], ratios[ratios.len() * 3 / 4]);
    println!(
        "\nserve under load: {CONNECTIONS} keep-alive connections, a distinct key per request, validation on ({ROUNDS} rounds of {LOAD} each, medians)"
    );
    println!("  conform serve   {serve:>9.0} requests/s");
    println!("  bare hyper      {bare:>9.0} requests/s");
    println!(
        "  serve ÷ bare    {ratio:>9.2}  (median of the rounds' ratios, middle half {:.2} to {:.2}; target ≥ {TARGET:.2})",
        spread.0, spread.1
    );
    if ratio < TARGET {
        missed.push(format!("serve ÷ bare hyper is {ratio:.2}"));
    }
}

type Load<'a> = dyn Fn(&Server, &str, &str) -> f64 + 'a;

/// A fresh `serve` sent LONG_RUN distinct keys: resident memory must stop growing once its
/// idempotency memory is full.
fn long_run(server: &Server, load: &Load, missed: &mut Vec<String>) {
    println!(
        "\nserve memory over {LONG_RUN} distinct keys (idempotency memory: {KEY_CAPACITY} keys)"
    );
    println!("  {:>8} {:>10} {:>10}", "keys", "resident", "peak");
    let mut samples = Vec::new();
    for chunk in 0..LONG_RUN / CHUNK {
        load(server, &format!("m{chunk}"), &CHUNK.to_string());
        let (rss, peak) = server.memory_kb();
        let keys = (chunk + 1) * CHUNK;
        println!("  {keys:>8} {:>7} MB {:>7} MB", rss / 1024, peak / 1024);
        samples.push((keys, rss, peak));
    }
    // Once the memory is full (plus one chunk for the allocator to settle), the peak must
    // stay where it was: growth of more than 10% (and 2 MB) means keys are still kept.
    let full = samples
        .iter()
        .find(|(keys, ..)| *keys >= KEY_CAPACITY + CHUNK)
        .map_or(0, |s| s.2);
    let last = samples.last().map_or(0, |s| s.2);
    println!(
        "  peak after {} keys ÷ peak at {} keys: {:.2} (target ≤ 1.10)",
        LONG_RUN,
        KEY_CAPACITY + CHUNK,
        last as f64 / full as f64
    );
    if last > full + full / 10 && last > full + 2048 {
        missed.push(format!(
            "serve memory grew from {} MB to {} MB after its idempotency memory was full",
            full / 1024,
            last / 1024
        ));
    }
}

/// Runs the load generator against `server`; returns the requests/s it achieved.
fn load(
    exe: &Path,
    server: &Server,
    path: &str,
    limit: &str,
    prefix: &str,
    template: &Path,
) -> f64 {
    let output = Command::new(exe)
        .args(["--load", server.address(), path, CONNECTIONS, limit, prefix])
        .arg(template)
        .stderr(Stdio::inherit())
        .output()
        .expect("load generator runs");
    assert!(
        output.status.success(),
        "load generator failed against {}",
        server.url
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.split_whitespace();
    let sent: f64 = fields.next().and_then(|f| f.parse().ok()).expect("count");
    let secs: f64 = fields.next().and_then(|f| f.parse().ok()).expect("seconds");
    sent / secs
}

/// The shipped example request with `{KEY}` where the idempotency key goes.
pub(crate) fn write_template(contract: &Contract, work: &Path) -> std::path::PathBuf {
    // The first example and the key's place as the contract file states them.
    let text = std::fs::read_to_string(contract.file()).expect("contract file");
    let file: serde_json::Value = serde_json::from_str(&text).expect("contract JSON");
    let mut body = file["examples"][0]["request"].clone();
    let key = file["idempotency"]["key"]
        .as_str()
        .expect("idempotency key");
    *body
        .pointer_mut(key)
        .expect("the key's field in the example") = "{KEY}".into();
    let file = work.join("serve-template.json");
    std::fs::write(&file, serde_json::to_vec(&body).expect("json")).expect("template");
    file
}
