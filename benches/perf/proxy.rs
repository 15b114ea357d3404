//! (7) `conform proxy` in front of an implementation: what it adds to each exchange at a steady
//! 1,000 requests per second on loopback, against the same traffic sent to the implementation
//! directly.
//!
//! The implementation is the bare hyper server of the `serve` part (a fixed issueCard success,
//! which the proxy judges like any answer), each party is its own process, and the traffic comes
//! from a paced generator (`perf --paced`, its own process too): eight keep-alive connections
//! together sending 1,000 requests per second, each the shipped example with a distinct key, and
//! the latency of every one recorded. Rounds alternate direct and proxied traffic; the figures
//! are the medians over the rounds of the median latency's ratio and difference (the added
//! latency), with the 99th percentile shown too, and the proxy's CPU time per exchange (judging
//! included, which happens after the answer has gone back).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use conform::contract::Contract;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::CONFORM;
use crate::load::{SEQ_DIGITS, read_answer};
use crate::serve::{Server, write_template};

/// The steady rate, requests per second.
const RATE: &str = "1000";
/// Connections the rate is spread over.
const CONNECTIONS: u32 = 8;
/// How long each round sends, per side.
const SECONDS: &str = "2";
/// Measured rounds.
const ROUNDS: usize = 7;
/// The target: added median latency per exchange.
const TARGET_ADDED: Duration = Duration::from_micros(500);

/// Latencies of one paced run, in microseconds.
#[derive(Debug, Clone, Copy)]
struct Latency {
    count: u64,
    p50: f64,
    p99: f64,
}

/// Runs the proxy part, adding missed targets to `missed`.
pub(crate) fn run(root: &Path, contracts: &[Contract], work: &Path, missed: &mut Vec<String>) {
    let issue_card = contracts
        .iter()
        .find(|c| c.name() == "issueCard")
        .expect("the shipped issueCard contract");
    let template = write_template(issue_card, work);
    let exe = std::env::current_exe().expect("bench binary");
    let bare = Server::start(Command::new(&exe).arg("--hyper-server"));
    let contract = root.join("contracts/platform/issue-card.json");
    let proxy = Server::start(Command::new(CONFORM).args([
        "proxy",
        "--port",
        "0",
        "--target",
        &bare.url,
        contract.to_str().expect("path"),
    ]));
    let path = issue_card.path().to_string();
    let paced = |server: &Server, prefix: &str, seconds: &str| {
        paced(&exe, server, &path, prefix, seconds, &template)
    };
    paced(&bare, "wd", "1");
    paced(&proxy, "wp", "1");
    let mut rounds = Vec::new();
    let mut proxied_exchanges = 0;
    let cpu_before = cpu_time(proxy.pid());
    for round in 0..ROUNDS {
        let (d, p) = (format!("r{round}d"), format!("r{round}p"));
        let (direct, proxied) = if round % 2 == 0 {
            let direct = paced(&bare, &d, SECONDS);
            (direct, paced(&proxy, &p, SECONDS))
        } else {
            let proxied = paced(&proxy, &p, SECONDS);
            (paced(&bare, &d, SECONDS), proxied)
        };
        proxied_exchanges += proxied.count;
        rounds.push((direct, proxied));
    }
    let cpu = cpu_time(proxy.pid()).saturating_sub(cpu_before);
    report(&rounds, cpu, proxied_exchanges, missed);
}

fn report(rounds: &[(Latency, Latency)], cpu: Duration, exchanges: u64, missed: &mut Vec<String>) {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let direct = median(rounds.iter().map(|r| r.0.p50).collect());
    let proxied = median(rounds.iter().map(|r| r.1.p50).collect());
    let ratio = median(rounds.iter().map(|r| r.1.p50 / r.0.p50).collect());
    let added = median(rounds.iter().map(|r| r.1.p50 - r.0.p50).collect());
    let added_p99 = median(rounds.iter().map(|r| r.1.p99 - r.0.p99).collect());
    println!(
        "\nproxy overhead: {RATE} requests/s over {CONNECTIONS} connections, a distinct key per request ({ROUNDS} rounds of {SECONDS}s per side, medians)"
    );
    println!("  direct to the implementation   p50 {direct:>7.0} µs");
    println!("  through conform proxy          p50 {proxied:>7.0} µs");
    println!("  proxied ÷ direct               {ratio:>11.2}");
    println!(
        "  added per exchange             p50 {added:>7.0} µs, p99 {added_p99:>7.0} µs  (target: p50 under {} µs)",
        TARGET_ADDED.as_micros()
    );
    if exchanges > 0 {
        let per = cpu.as_secs_f64() * 1e6 / exchanges as f64;
        println!("  proxy CPU per exchange         {per:>11.0} µs  (forwarding and judging)");
    }
    if added > TARGET_ADDED.as_secs_f64() * 1e6 {
        missed.push(format!("the proxy adds {added:.0} µs per exchange"));
    }
}

/// Runs the paced generator against `server`.
fn paced(
    exe: &Path,
    server: &Server,
    path: &str,
    prefix: &str,
    seconds: &str,
    template: &Path,
) -> Latency {
    let output = Command::new(exe)
        .args(["--paced", server.address(), path, RATE, seconds, prefix])
        .arg(template)
        .stderr(Stdio::inherit())
        .output()
        .expect("paced generator runs");
    assert!(
        output.status.success(),
        "paced generator failed against {}",
        server.url
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<f64> = text
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let [count, p50, p99] = fields[..] else {
        panic!("paced generator printed {text}");
    };
    Latency {
        count: count as u64,
        p50,
        p99,
    }
}

/// User and system time of process `pid` so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<u64> = rest
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // utime and stime are fields 14 and 15 of the line, 11 and 12 after the state.
    let ticks = fields.get(10).copied().unwrap_or(0) + fields.get(11).copied().unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_micros(ticks * 1_000_000 / per_second)
}

/// `perf --paced ADDR PATH RATE SECONDS PREFIX TEMPLATE`: sends RATE requests per second for
/// SECONDS over eight keep-alive connections, each on its own schedule (a connection whose
/// answer is late sends its next request at once, never two at a time); every request is
/// TEMPLATE with `{KEY}` replaced by a distinct key starting with PREFIX. Prints
/// `requests p50_µs p99_µs`; any answer but HTTP 200 stops it with exit code 1.
pub(crate) fn main(args: &[String]) {
    let [address, path, rate, seconds, prefix, template] = args else {
        eprintln!("usage: perf --paced ADDR PATH RATE SECONDS PREFIX TEMPLATE");
        std::process::exit(2);
    };
    let template = std::fs::read_to_string(template).expect("template file");
    let (before, after) = template.split_once("{KEY}").expect("{KEY} in the template");
    let body_len = before.len() + prefix.len() + SEQ_DIGITS + after.len();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {body_len}\r\n\r\n"
    );
    let rate: f64 = rate.parse().expect("rate");
    let seconds: f64 = seconds.parse().expect("seconds");
    let plan = Arc::new(Paced {
        address: address.clone(),
        head: head.into_bytes(),
        before: before.as_bytes().to_vec(),
        after: after.as_bytes().to_vec(),
        prefix: prefix.clone(),
        interval: Duration::from_secs_f64(f64::from(CONNECTIONS) / rate),
        per_connection: (rate * seconds / f64::from(CONNECTIONS)) as u64,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut latencies = runtime.block_on(async {
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|c| tokio::spawn(connection(Arc::clone(&plan), c)))
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            match task.await.expect("connection task") {
                Ok(latencies) => all.extend(latencies),
                Err(e) => {
                    eprintln!("paced: {e}");
                    std::process::exit(1);
                }
            }
        }
        all
    });
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!("{} {} {}", latencies.len(), at(0.5), at(0.99));
}

struct Paced {
    address: String,
    head: Vec<u8>,
    before: Vec<u8>,
    after: Vec<u8>,
    prefix: String,
    interval: Duration,
    per_connection: u64,
}

/// One connection on its schedule; the latency of each request in microseconds.
async fn connection(plan: Arc<Paced>, index: u32) -> Result<Vec<u64>, String> {
    let mut stream = TcpStream::connect(&plan.address)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let offset = plan.interval / CONNECTIONS * index;
    let start = tokio::time::Instant::now() + offset;
    let mut ticks = tokio::time::interval_at(start, plan.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut request, mut buffer) = (Vec::new(), Vec::with_capacity(8192));
    let mut latencies = Vec::with_capacity(plan.per_connection as usize);
    for n in 0..plan.per_connection {
        ticks.tick().await;
        let seq = n * u64::from(CONNECTIONS) + u64::from(index);
        request.clear();
        request.extend_from_slice(&plan.head);
        request.extend_from_slice(&plan.before);
        request.extend_from_slice(plan.prefix.as_bytes());
        request.extend_from_slice(format!("{seq:0SEQ_DIGITS$}").as_bytes());
        request.extend_from_slice(&plan.after);
        let sent = Instant::now();
        stream
            .write_all(&request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        read_answer(&mut stream, &mut buffer).await?;
        latencies.push(sent.elapsed().as_micros() as u64);
    }
    Ok(latencies)
}
