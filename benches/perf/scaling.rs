//! How conform's cost grows with the suite: copies of the shipped contract under distinct names
//! and paths, run end to end. Growth is judged on CPU time per contract (user and system, every
//! thread), which is the work done: a run of minutes on a shared machine sees its wall time
//! swing with whatever else runs. Wall time is shown beside it.
//!
//! - `scaling` (in the default run): 1, 10, 100 and 1000 contracts against the embedded target
//!   (CPU time per contract at 1000 within 1.2× of that at 10; peak memory at 1000 under
//!   200 MB),
//!   `conform lint` of the 1000 (under 1 s), and the merge of the 1000's four shards
//!   ([`merge`]; its own work, in CPU time, at most a quarter of the run's, in under 100 MB).
//! - `large` (only when asked for: it takes about twelve minutes): 10,000 contracts, 1,250,000
//!   cases, against the embedded target and against `conform serve` in a process of its own
//!   (so the run's memory is told apart from the target's), then its four shards and their
//!   merge. Same targets, at 10,000.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{CONFORM, JOBS, Measured, measure, median, ms};

/// Shards in the merge measures, as a CI matrix of four jobs would run them.
const SHARDS: usize = 4;
/// Cases per copy of the shipped contract.
const CASES: usize = 127;

/// The default part: 1 to 1000 contracts, loading, and the merge of 1000.
pub(crate) fn scaling(root: &Path, work: &Path, missed: &mut Vec<String>) {
    let shipped = shipped(root);
    header(
        "scaling, embedded target (median of runs; peak resident memory of the conform process)",
    );
    let mut at = Vec::new();
    let mut dir = PathBuf::new();
    for (n, runs) in [(1, 5), (10, 5), (100, 3), (1000, 1)] {
        dir = copies(&shipped, n, work);
        at.push((n, row(n, &verify_runs(&dir, n, runs, None))));
    }
    judge_growth(
        1000,
        per_contract(&at[3].1, 1000) / per_contract(&at[1].1, 10),
        missed,
    );
    judge_memory(
        "at 1000 contracts (embedded target)",
        at[3].1.peak_kb,
        missed,
    );
    lint(&dir, missed);
    let merged = merge(&dir, work, None);
    judge_merge(&merged, &at[3].1, missed);
}

/// The `large` part: 10,000 contracts.
pub(crate) fn large(root: &Path, work: &Path, missed: &mut Vec<String>) {
    let shipped = shipped(root);
    header("large suite, 10,000 contracts (peak resident memory of the conform process)");
    let ten = copies(&shipped, 10, work);
    let base = row(10, &verify_runs(&ten, 10, 5, None));
    let dir = copies(&shipped, 10_000, work);
    let embedded = row(10_000, &verify_runs(&dir, 10_000, 1, None));
    let served = Served::start(&dir);
    let live = verify_runs(&dir, 10_000, 1, Some(&served.url));
    print_row(10_000, &live[0]);
    println!("            (against `conform serve` in a process of its own)");
    judge_growth(
        10_000,
        per_contract(&embedded, 10_000) / per_contract(&base, 10),
        missed,
    );
    judge_memory(
        "of the run at 10,000 contracts (live target)",
        live[0].peak_kb,
        missed,
    );
    judge_memory(
        "at 10,000 contracts (embedded target)",
        embedded.peak_kb,
        missed,
    );
    let merged = merge(&dir, work, Some(&served.url));
    judge_merge(&merged, &embedded, missed);
}

fn shipped(root: &Path) -> String {
    std::fs::read_to_string(root.join("contracts/platform/issue-card.json"))
        .expect("shipped contract")
}

fn header(title: &str) {
    println!("\n{title}");
    println!(
        "  {:>9} {:>9} {:>11} {:>14} {:>14} {:>10}",
        "contracts", "cases", "wall", "per contract", "CPU/contract", "peak RSS"
    );
}

/// `runs` runs of `conform verify DIR` (against `target`, or the embedded one).
fn verify_runs(dir: &Path, n: usize, runs: usize, target: Option<&str>) -> Vec<Measured> {
    (0..runs)
        .map(|_| {
            let mut command = Command::new(CONFORM);
            command.args(["verify", path(dir), "--jobs", JOBS, "--snapshots", "off"]);
            if let Some(url) = target {
                command.args(["--target", url]);
            }
            let run = measure(&mut command);
            assert_eq!(run.code, 0, "conform verify of {n} contracts failed");
            run
        })
        .collect()
}

/// Prints the row of `n` contracts: the median wall time, and the largest peak memory; returns
/// them with the CPU time of the median run.
fn row(n: usize, runs: &[Measured]) -> Measured {
    let walls: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
    let wall = median(&walls);
    let cpu = runs
        .iter()
        .find(|r| r.wall == wall)
        .map_or(Duration::ZERO, |r| r.cpu);
    let peak_kb = runs.iter().map(|r| r.peak_kb).max().unwrap_or(0);
    let row = Measured {
        code: 0,
        wall,
        cpu,
        peak_kb,
    };
    print_row(n, &row);
    row
}

fn print_row(n: usize, m: &Measured) {
    let each = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1e3 / n as f64);
    println!(
        "  {n:>9} {:>9} {:>11} {:>14} {:>14} {:>7} MB",
        n * CASES,
        ms(m.wall),
        each(m.wall),
        each(m.cpu),
        m.peak_kb / 1024
    );
}

/// CPU time per contract, in seconds.
fn per_contract(m: &Measured, n: usize) -> f64 {
    m.cpu.as_secs_f64() / n as f64
}

fn judge_growth(n: usize, growth: f64, missed: &mut Vec<String>) {
    println!("  CPU per contract at {n} ÷ at 10: {growth:.2} (target ≤ 1.20)");
    if growth > 1.2 {
        missed.push(format!(
            "CPU time per contract grows {growth:.2}× from 10 to {n} contracts"
        ));
    }
}

fn judge_memory(what: &str, peak_kb: u64, missed: &mut Vec<String>) {
    if peak_kb > 200 * 1024 {
        println!(
            "  peak memory {what}: {} MB (target < 200 MB)",
            peak_kb / 1024
        );
        missed.push(format!("peak memory {what} is {} MB", peak_kb / 1024));
    }
}

fn lint(dir: &Path, missed: &mut Vec<String>) {
    let walls: Vec<Duration> = (0..5)
        .map(|_| {
            let run = measure(Command::new(CONFORM).args(["lint", path(dir)]));
            assert_eq!(run.code, 0, "lint failed");
            run.wall
        })
        .collect();
    let wall = median(&walls);
    println!(
        "\nloading: conform lint of 1000 contracts  {} (median of 5; target < 1 s)",
        ms(wall)
    );
    if wall >= Duration::from_secs(1) {
        missed.push(format!("lint of 1000 contracts takes {}", ms(wall)));
    }
}

/// What merging the shards of a suite cost.
struct Merged {
    contracts: usize,
    shards: Duration,
    reports_mb: u64,
    all: Measured,
    console: Measured,
}

/// Runs the `SHARDS` shards of the suite in `dir` one after another (against `target`, or each
/// against its embedded target), each writing its JSON report, then merges them: into all four
/// report formats, and into the console summary alone.
fn merge(dir: &Path, work: &Path, target: Option<&str>) -> Merged {
    let contracts = std::fs::read_dir(dir).expect("contracts").count();
    let out = work.join(format!("merge-{contracts}"));
    std::fs::create_dir_all(&out).expect("folder");
    let mut shards = Duration::ZERO;
    let mut inputs = Vec::new();
    for k in 1..=SHARDS {
        let report = out.join(format!("shard-{k}.json"));
        let mut command = Command::new(CONFORM);
        command.args(["verify", path(dir), "--jobs", JOBS, "--snapshots", "off"]);
        command.arg(format!("--partition={k}/{SHARDS}"));
        command.arg(format!("--report=json={}", report.display()));
        if let Some(url) = target {
            command.args(["--target", url]);
        }
        let run = measure(&mut command);
        assert_eq!(
            run.code, 0,
            "shard {k}/{SHARDS} of {contracts} contracts failed"
        );
        shards += run.wall;
        inputs.push(report);
    }
    let reports_mb = inputs
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum::<u64>()
        / 1_000_000;
    let merge_into = |formats: &[(&str, &str)]| {
        let mut command = Command::new(CONFORM);
        command.arg("merge").args(&inputs);
        for (format, extension) in formats {
            command.arg(format!(
                "--report={format}={}",
                out.join(format!("merged.{extension}")).display()
            ));
        }
        let run = measure(&mut command);
        assert_eq!(run.code, 0, "merge of {contracts} contracts' shards failed");
        run
    };
    let all = merge_into(&[
        ("json", "json"),
        ("junit", "xml"),
        ("markdown", "md"),
        ("html", "html"),
    ]);
    let console = merge_into(&[]);
    // Reports of 10,000 contracts take gigabytes.
    let _ = std::fs::remove_dir_all(&out);
    Merged {
        contracts,
        shards,
        reports_mb,
        all,
        console,
    }
}

/// Merging is judged by its own work, reading, proving and combining the shards (the merge into
/// the console summary alone), in CPU time against the run's, both measured here: CPU time is
/// what a shared machine does not distort. Writing report files costs a merge what it costs a
/// run to write them; it is shown, not judged.
fn judge_merge(merged: &Merged, run: &Measured, missed: &mut Vec<String>) {
    let n = merged.contracts;
    println!(
        "\nmerge of {SHARDS} shards of {n} contracts ({} cases; shards run one after another in {}, JSON reports {} MB)",
        n * CASES,
        ms(merged.shards),
        merged.reports_mb
    );
    let formats = "into json, junit, markdown, html";
    for (what, m) in [
        (formats, &merged.all),
        ("console summary only", &merged.console),
    ] {
        println!(
            "  {what:<34} {:>11} wall  {:>11} CPU  {:>5} MB peak",
            ms(m.wall),
            ms(m.cpu),
            m.peak_kb / 1024
        );
    }
    let ratio = merged.console.cpu.as_secs_f64() / run.cpu.as_secs_f64();
    println!(
        "  merge CPU (console summary) ÷ the run's CPU ({}): {ratio:.2} (target ≤ 0.25)",
        ms(run.cpu)
    );
    if ratio > 0.25 {
        missed.push(format!(
            "merging {n} contracts' shards costs {ratio:.2} of the run"
        ));
    }
    let peak = merged.all.peak_kb.max(merged.console.peak_kb) / 1024;
    println!("  merge peak memory: {peak} MB (target < 100 MB)");
    if peak >= 100 {
        missed.push(format!("merging {n} contracts' shards takes {peak} MB"));
    }
}

/// `n` copies of the contract, each with its own name and path.
fn copies(shipped: &str, n: usize, work: &Path) -> PathBuf {
    let dir = work.join(format!("contracts-{n}"));
    if dir.exists() {
        return dir;
    }
    std::fs::create_dir_all(&dir).expect("folder");
    let mut template: serde_json::Value = serde_json::from_str(shipped).expect("json");
    for i in 0..n {
        template["name"] = format!("issueCard{i}").into();
        template["operation"]["path"] = format!("/v2/pds/memberships/issueCard{i}").into();
        let text = serde_json::to_string_pretty(&template).expect("json");
        std::fs::write(dir.join(format!("c{i:05}.json")), text).expect("write");
    }
    dir
}

fn path(dir: &Path) -> &str {
    dir.to_str().expect("a UTF-8 path")
}

/// `conform serve` of a suite, in a process of its own, stopped when dropped.
struct Served {
    url: String,
    child: Child,
}

impl Served {
    fn start(dir: &Path) -> Self {
        let mut child = Command::new(CONFORM)
            .args(["serve", path(dir), "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("conform serve starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let url = first.rsplit(' ').next().unwrap_or_default().to_string();
        assert!(
            url.starts_with("http://"),
            "conform serve printed {first:?}"
        );
        // Keep reading so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Served { url, child }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
