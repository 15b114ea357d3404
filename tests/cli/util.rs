//! Running the binary and making its output comparable across runs (ports, durations, dates,
//! nonces replaced by placeholders).

use std::path::{Path, PathBuf};
use std::process::Stdio;

/// What one run of the binary produced.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Exit code, stdout and stderr together, redacted, for snapshots.
    pub(crate) fn transcript(&self) -> String {
        redact(&format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        ))
    }
}

/// The project folder: commands run from here so relative contract paths stay short.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped issueCard contract, relative to the project folder: the contract the
/// issueCard implementations of these tests serve (the default `contracts/` holds the whole
/// family).
pub(crate) const ISSUE_CARD: &str = "contracts/platform/issue-card.json";

/// A fixture path relative to the project folder.
pub(crate) fn fixture(name: &str) -> String {
    format!("tests/fixtures/{name}")
}

/// Runs `conform args...` to completion without colours or CI defaults.
pub(crate) async fn conform(args: &[&str]) -> Run {
    conform_in(&root(), args).await
}

/// Runs `conform args...` in `dir`. Snapshots are off unless the arguments say otherwise, so
/// tests never write into the project's own `snapshots/` folder.
pub(crate) async fn conform_in(dir: &Path, args: &[&str]) -> Run {
    conform_with(dir, args, &[("CONFORM_SNAPSHOTS", "off")], None).await
}

/// Runs `conform args...` in `dir` with extra environment variables (such as `CI=true`), the
/// default snapshot mode and, when given, `stdin` as standard input.
pub(crate) async fn conform_with(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&[u8]>,
) -> Run {
    drive(dir, args, env, stdin).await.run
}

/// Replaces what changes from run to run.
pub(crate) fn redact(text: &str) -> String {
    let rules = [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"conform \d+\.\d+\.\d+", "conform [VERSION]"),
        (r"\b\d+(\.\d+)?(ms|s)\b", "[DURATION]"),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "[TIME]",
        ),
        (r"\b\d{22,}\b", "[NUMBER]"),
        // How old late-replayed keys were, and how much traffic came in between, depend on
        // scheduling: a range or a single value.
        (r"\[DURATION\] to \[DURATION\]", "[DURATION]"),
        (r"\b\d+( to \d+)? requests later", "[COUNT] requests later"),
    ];
    rules.iter().fold(text.to_string(), |acc, (pattern, with)| {
        regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&acc, *with)
            .into_owned()
    })
}

/// A running `conform serve`, killed when dropped.
pub(crate) struct Served {
    /// The URL it listens on.
    pub url: String,
    /// The lines it printed after the URL, up to its "press Ctrl-C" line: operations, faults,
    /// signing, bounds.
    pub banner: Vec<String>,
    /// What it has written on stderr so far.
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
    child: tokio::process::Child,
}

impl Served {
    /// The server's process id (to read its memory from `/proc`).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id().expect("serve is running")
    }

    /// Its stderr so far, waiting up to a second for at least `expected` to appear.
    pub(crate) async fn stderr_with(&self, expected: &str) -> String {
        for _ in 0..100 {
            let text = self.stderr.lock().unwrap().clone();
            if text.contains(expected) {
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.stderr.lock().unwrap().clone()
    }
}

/// Starts `conform serve --port 0 extra...` and waits for its URL and banner.
pub(crate) async fn serve(extra: &[&str]) -> Served {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .args(["serve", "--port", "0"])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("conform serve starts");
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut errors = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let sink = std::sync::Arc::clone(&stderr);
    tokio::spawn(async move {
        while let Ok(Some(line)) = errors.next_line().await {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next_line().await.unwrap().unwrap_or_default();
    let url = first.clone();
    assert!(
        url.contains("://127.0.0.1:"),
        "the first line is the URL alone: {first}"
    );
    let mut banner = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.contains("Ctrl-C") {
            break;
        }
        banner.push(line);
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Served {
        url,
        banner,
        stderr,
        child,
    }
}

/// A run with the wall time and peak resident memory of the conform process.
#[derive(Debug)]
pub(crate) struct Measured {
    pub run: Run,
    pub elapsed: std::time::Duration,
    pub peak_mb: u64,
}

/// Waits for `pid` to exit, reading its memory high-water mark (`VmHWM`) every few
/// milliseconds; its exit status and the highest mark, in KiB.
///
/// Not `wait4`'s `ru_maxrss`: a child started by `posix_spawn` runs in its parent's memory until
/// it executes, and Linux counts that, so the figure would include this test process's own
/// memory. The high-water mark of the child's own memory starts at its `exec`.
fn wait_measuring(pid: libc::pid_t) -> (libc::c_int, u64) {
    let mut peak = 0;
    loop {
        if let Some(kb) = high_water_mark(pid) {
            peak = peak.max(kb);
        }
        let mut status = 0;
        // SAFETY: `status` is a valid out-parameter; `pid` is this process's child, not yet
        // reaped (it is reaped here, once).
        let waited = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        assert!(waited >= 0, "waitpid failed");
        if waited == pid {
            return (status, peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// `VmHWM` of `pid` in KiB, while it runs.
fn high_water_mark(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `conform args...` like [`conform`], with its wall time and peak memory.
pub(crate) async fn conform_measured(args: &[&str]) -> Measured {
    drive(&root(), args, &[("CONFORM_SNAPSHOTS", "off")], None).await
}

/// The one driver of the binary: runs it to completion without colours or CI defaults, with
/// `env` added and `stdin` fed, and measures it (the peak memory is the child's own high-water
/// mark, `VmHWM`, read while it runs).
async fn drive(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Measured {
    let owned = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let (dir, env) = (dir.to_path_buf(), owned(env));
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let stdin = stdin.map(<[u8]>::to_vec);
    tokio::task::spawn_blocking(move || measure(&dir, &args, &env, stdin))
        .await
        .expect("conform runs")
}

// The child is reaped by `waitpid`, not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn measure(
    dir: &Path,
    args: &[String],
    env: &[(String, String)],
    stdin: Option<Vec<u8>>,
) -> Measured {
    use std::io::{Read, Write};
    let started = std::time::Instant::now();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_conform"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("CONFORM_SNAPSHOTS")
        // Late replays would wait 5 s at the end of every run against a test server; the tests
        // of late replays ask for their own wait (a flag wins over this), and an empty value
        // in `env` removes it to show the default.
        .env("CONFORM_LATE_REPLAY_AFTER", "0s");
    for (name, value) in env {
        if value.is_empty() {
            command.env_remove(name);
        } else {
            command.env(name, value);
        }
    }
    let mut child = command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("conform runs");
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        std::thread::spawn(move || pipe.write_all(&bytes));
    }
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let (status, peak_kb) = wait_measuring(child.id() as libc::pid_t);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Measured {
        run: Run {
            code,
            stdout: stdout.join().expect("stdout read"),
            stderr: stderr.join().expect("stderr read"),
        },
        elapsed: started.elapsed(),
        peak_mb: peak_kb / 1024,
    }
}

/// An HTTP client for tests that talk to a server themselves (reqwest is built without a
/// default TLS crypto provider; ring is installed once).
pub(crate) fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A running `conform proxy` or `serve --report`: it prints its URL first, then its banner and
/// one line per exchange, and ends by itself (`--max-exchanges`, `--duration`) or on a signal.
pub(crate) struct Listening {
    /// The URL it listens on.
    pub url: String,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    readers: Vec<tokio::task::JoinHandle<()>>,
    child: tokio::process::Child,
}

/// Starts `conform args...` (a command that listens with `--port 0`) in the project folder and
/// waits for its URL.
pub(crate) async fn listening(args: &[&str]) -> Listening {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("conform starts");
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut errors = child.stderr.take().expect("stderr");
    let sink = std::sync::Arc::clone(&stderr);
    let reading_errors = tokio::spawn(async move {
        let mut text = String::new();
        let _ = errors.read_to_string(&mut text).await;
        sink.lock().unwrap().push_str(&text);
    });
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = lines.next_line().await.unwrap().unwrap_or_default();
    let stdout = std::sync::Arc::new(std::sync::Mutex::new(format!("{url}\n")));
    let sink = std::sync::Arc::clone(&stdout);
    let reading = tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    if !url.starts_with("http://127.0.0.1:") && !url.starts_with("https://127.0.0.1:") {
        let mut child = child;
        let _ = child.wait().await;
        let _ = reading_errors.await;
        panic!(
            "the first line is the URL alone: {url}\n{}",
            stderr.lock().unwrap()
        );
    }
    Listening {
        url,
        stdout,
        stderr,
        readers: vec![reading, reading_errors],
        child,
    }
}

impl Listening {
    /// Sends it a signal (`libc::SIGTERM`, `libc::SIGINT`).
    pub(crate) fn signal(&self, signal: libc::c_int) {
        let pid = self.child.id().expect("still running") as libc::pid_t;
        // SAFETY: `pid` is this test's own child, still running (not reaped).
        unsafe { libc::kill(pid, signal) };
    }

    /// What it has printed so far.
    pub(crate) fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Waits (up to a minute) for it to end by itself; its exit code and everything it printed.
    pub(crate) async fn finish(mut self) -> Run {
        let status = tokio::time::timeout(std::time::Duration::from_secs(60), self.child.wait())
            .await
            .expect("it ends within a minute")
            .expect("its exit status");
        // Its pipes close as it exits: the readers have the last of its output.
        for reader in self.readers.drain(..) {
            let _ = reader.await;
        }
        Run {
            code: status.code().unwrap_or(-1),
            stdout: self.stdout.lock().unwrap().clone(),
            stderr: self.stderr.lock().unwrap().clone(),
        }
    }
}
