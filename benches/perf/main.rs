//! conform's performance benchmark: `cargo bench --bench perf`.
//!
//! Everything is measured in one run on this machine, so the targets are ratios against a
//! baseline taken at the same time (a shared 2-core machine is noisy; absolute figures drift):
//!
//! 1. the shipped suite end to end, `conform verify --target URL` against the reference
//!    implementation served on loopback, against the same requests sent by a bare reqwest loop
//!    with the same concurrency and no checks (target: conform ÷ bare ≤ 1.10);
//! 2. scaling: 1, 10, 100 and 1000 copies of the shipped contract under distinct paths, run with
//!    the embedded target (targets: CPU time per contract at 1000 within 1.2× of that at 10;
//!    peak memory at 1000 under 200 MB);
//! 3. loading: `conform lint` of 1000 contracts (target: under 1 s);
//! 4. merging: the four shards of the 1000 contracts merged by `conform merge` (targets: reading,
//!    proving and combining them in at most a quarter of the run's CPU time, under 100 MB; the
//!    merge into every report format is shown too);
//! 5. `conform serve` under load against a bare hyper server answering a fixed body, with the
//!    same load generator (target: serve ÷ bare ≥ 0.8), and its memory over a long run with
//!    distinct keys (target: flat once its idempotency memory is full). See [`serve`].
//! 6. Hurl sending the requests of (1) as Hurl files with their asserts, when `hurl` is
//!    installed (target: conform at least 10× faster). See [`hurl`].
//! 7. only when asked for (`-- large`, about twelve minutes): the scaling and merging of 2 and
//!    4 at 10,000 contracts. See [`scaling`].
//! 8. `conform proxy` in front of the bare hyper server at a steady 1,000 requests per second,
//!    against the same traffic sent directly: the latency it adds per exchange (target: a
//!    median under 0.5 ms) and the ratio. See [`proxy`].
//!
//! Both clients of (1) run as their own processes and the server counts the requests each sent,
//! so the comparison is of like with like. Medians of several runs are reported.
//! `cargo bench --bench perf -- overhead` (or `scaling`, `serve`, `proxy`, `hurl`, `large`) runs
//! one part;
//! `cargo bench --bench perf -- --write-requests FILE` writes the requests conform sends for the
//! shipped suite (one JSON line per case: path, bodies, sequential or parallel), so other tools
//! can be timed sending exactly the same ones.

mod bare;
mod hurl;
mod load;
mod proxy;
mod requests;
mod scaling;
mod serve;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use conform::contract::{self, Contract};
use conform::reference::ReferenceServer;

pub(crate) const CONFORM: &str = env!("CARGO_BIN_EXE_conform");
pub(crate) const JOBS: &str = "8";
/// Measured rounds of the suite comparison, each running both clients back to back.
const ROUNDS: usize = 31;
/// Rounds run first and not counted.
const WARM_UP: usize = 3;
/// The most conform may take over the bare client for the same requests.
const OVERHEAD_TARGET: f64 = 1.10;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--bare") {
        return bare::main(&args[2..], false);
    }
    if args.get(1).map(String::as_str) == Some("--bare-hyper") {
        return bare::main(&args[2..], true);
    }
    if args.get(1).map(String::as_str) == Some("--load") {
        return load::main(&args[2..]);
    }
    if args.get(1).map(String::as_str) == Some("--paced") {
        return proxy::main(&args[2..]);
    }
    if args.get(1).map(String::as_str) == Some("--hyper-server") {
        return load::hyper_server();
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let contracts = contract::load_paths(&[root.join("contracts")]).expect("shipped contracts");
    if let Some(file) = args
        .iter()
        .position(|a| a == "--write-requests")
        .and_then(|i| args.get(i + 1))
    {
        let count = requests::write(&contracts, Path::new(file)).requests;
        println!(
            "{count} requests of the shipped suite written to {file} (one JSON line per case)"
        );
        return;
    }
    let work = tempfile::tempdir().expect("temporary folder");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "conform performance benchmark ({} cores)\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    // `cargo bench --bench perf -- overhead` (or `scaling`, `serve`) runs one part only.
    let only = args.iter().skip(1).find(|a| !a.starts_with("--")).cloned();
    let wanted = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let asked = |part: &str| only.as_deref() == Some(part);
    let mut missed = Vec::new();
    if wanted("overhead") {
        overhead(&runtime, &contracts, work.path(), &mut missed);
    }
    if wanted("scaling") {
        scaling::scaling(&root, work.path(), &mut missed);
    }
    if wanted("serve") {
        serve::run(&root, &contracts, work.path(), &mut missed);
    }
    if wanted("proxy") {
        proxy::run(&root, &contracts, work.path(), &mut missed);
    }
    if wanted("hurl") {
        hurl::run(&runtime, &contracts, work.path(), &mut missed);
    }
    if asked("large") {
        scaling::large(&root, work.path(), &mut missed);
    }
    // Removed here: `process::exit` below skips destructors, and a large run leaves gigabytes.
    drop(work);
    if missed.is_empty() {
        println!("\nall targets hold");
    } else {
        println!("\ntargets missed: {}", missed.join("; "));
        std::process::exit(1);
    }
}

/// (1) The shipped suite, conform against a bare client, same server, same requests.
fn overhead(
    runtime: &tokio::runtime::Runtime,
    contracts: &[Contract],
    work: &Path,
    missed: &mut Vec<String>,
) {
    let server = runtime
        .block_on(ReferenceServer::start(contracts))
        .expect("server");
    let url = server.uri();
    let mut rounds = Vec::new();
    for round in 0..ROUNDS + WARM_UP {
        let measured = suite_round(
            &server,
            &url,
            contracts,
            &work.join(format!("requests-{round}.jsonl")),
            round,
        );
        // The first rounds warm the server and the file cache; they are not counted.
        if round >= WARM_UP {
            rounds.push(measured);
        }
    }
    let conform_time = median(&rounds.iter().map(|r| r.conform).collect::<Vec<_>>());
    let bare_time = median(&rounds.iter().map(|r| r.bare).collect::<Vec<_>>());
    let hyper_time = median(&rounds.iter().map(|r| r.hyper).collect::<Vec<_>>());
    let lint_time = median(&rounds.iter().map(|r| r.lint).collect::<Vec<_>>());
    // Each round runs both clients back to back, so its ratio cancels most of the machine's
    // drift; the median of those ratios is the figure judged.
    let mut ratios: Vec<f64> = rounds
        .iter()
        .map(|r| r.conform.as_secs_f64() / r.bare.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let (requests, cases) = (rounds[0].requests, rounds[0].cases);
    println!(
        "shipped suite, {cases} cases, against the reference implementation on loopback ({ROUNDS} rounds, medians)"
    );
    println!(
        "  conform verify   {:>9}  {requests} requests  {:>8.0} cases/s",
        ms(conform_time),
        cases as f64 / conform_time.as_secs_f64()
    );
    println!(
        "  bare reqwest     {:>9}  {requests} requests",
        ms(bare_time)
    );
    // conform sends to a plain-HTTP target through hyper's client directly, which costs less
    // than reqwest: the same loop through hyper shows what the checks cost apart from that.
    let mut over_hyper: Vec<f64> = rounds
        .iter()
        .map(|r| r.conform.as_secs_f64() / r.hyper.as_secs_f64())
        .collect();
    over_hyper.sort_by(f64::total_cmp);
    println!(
        "  bare hyper       {:>9}  {requests} requests (hyper's pooled client; conform sends over hyper's connections too; conform ÷ this {:.2}, shown, not judged)",
        ms(hyper_time),
        over_hyper[over_hyper.len() / 2]
    );
    // What conform pays before its first request and the bare client does not: starting,
    // loading and compiling the contracts (`lint` of the same files sends nothing).
    println!(
        "  conform lint     {:>9}  start-up, loading and compiling the same contracts",
        ms(lint_time)
    );
    let spread = (ratios[ratios.len() / 4], ratios[ratios.len() * 3 / 4]);
    println!(
        "  conform ÷ bare   {ratio:>9.2}  (median of the rounds' ratios, middle half {:.2} to {:.2}; target ≤ {OVERHEAD_TARGET:.2})",
        spread.0, spread.1
    );
    if ratio > OVERHEAD_TARGET {
        missed.push(format!("conform ÷ bare is {ratio:.2}"));
    }
}

/// One round: conform and the bare client, in alternating order, each checked to have sent the
/// same number of requests.
struct Round {
    conform: Duration,
    bare: Duration,
    /// The bare loop through hyper's client directly: shown, not judged.
    hyper: Duration,
    lint: Duration,
    requests: u64,
    cases: usize,
}

fn suite_round(
    server: &ReferenceServer,
    url: &str,
    contracts: &[Contract],
    file: &Path,
    round: usize,
) -> Round {
    let written = requests::write(contracts, file);
    let planned = written.requests;
    let conform = || {
        let before = server.served();
        // The contract files by name, not their folder: the shipped scenarios beside them send
        // values captured from earlier answers, which the bare client replaying written
        // requests cannot follow, so both send the contracts' cases only. Late replays wait by
        // design and resend requests chosen at run time, which the bare client cannot know
        // either: both sides leave them out (their cost is measured on their own).
        let files = contracts.iter().map(|c| c.file().as_os_str());
        let args = [
            "--target",
            url,
            "--jobs",
            JOBS,
            "--snapshots",
            "off",
            "--late-replays",
            "0",
        ];
        let run = measure(Command::new(CONFORM).arg("verify").args(files).args(args));
        assert_eq!(
            run.code, 0,
            "conform verify failed against the reference implementation"
        );
        (run.wall, server.served() - before)
    };
    let bare = |mode: &str| {
        let before = server.served();
        let exe = std::env::current_exe().expect("bench binary");
        let run = measure(Command::new(exe).args([mode, url, file.to_str().expect("path"), JOBS]));
        assert_eq!(run.code, 0, "bare client failed");
        (run.wall, server.served() - before)
    };
    // The order turns with the round, so that none of the three always goes first.
    let ((conform, sent), (bare, bare_sent), (hyper, hyper_sent)) = match round % 3 {
        0 => {
            let c = conform();
            let b = bare("--bare");
            (c, b, bare("--bare-hyper"))
        }
        1 => {
            let b = bare("--bare");
            let h = bare("--bare-hyper");
            (conform(), b, h)
        }
        _ => {
            let h = bare("--bare-hyper");
            let c = conform();
            (c, bare("--bare"), h)
        }
    };
    assert_eq!(
        bare_sent as usize, planned,
        "the bare client sent what was planned"
    );
    assert_eq!(
        sent, bare_sent,
        "conform and the bare client sent the same requests"
    );
    assert_eq!(
        hyper_sent, bare_sent,
        "both bare clients sent the same requests"
    );
    let files = contracts.iter().map(|c| c.file().as_os_str());
    let lint = measure(Command::new(CONFORM).arg("lint").args(files));
    assert_eq!(lint.code, 0, "conform lint failed on the shipped contracts");
    Round {
        conform,
        bare,
        hyper,
        lint: lint.wall,
        requests: sent,
        cases: written.cases,
    }
}

pub(crate) struct Measured {
    pub code: i32,
    pub wall: Duration,
    /// User and system time.
    pub cpu: Duration,
    pub peak_kb: u64,
}

/// Runs a command to completion, output discarded, with its wall time and peak resident memory.
// The child is reaped by `wait4` (which also reports its peak memory), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
pub(crate) fn measure(command: &mut Command) -> Measured {
    let started = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env_remove("CI")
        .spawn()
        .expect("command starts");
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value, and `wait4` only writes into the two
    // out-parameters for this child, which has not been waited for (so is not reaped twice).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(waited > 0, "wait4 failed");
    Measured {
        code: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
        wall: started.elapsed(),
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        peak_kb: usage.ru_maxrss as u64,
    }
}

fn time(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

pub(crate) fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}
