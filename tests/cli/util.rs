//! Running the binary and making its output comparable across runs (ports, durations, dates,
//! nonces replaced by placeholders).

use std::path::{Path, PathBuf};
use std::process::Stdio;

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Exit code, stdout and stderr together, redacted, for snapshots.
    pub fn transcript(&self) -> String {
        redact(&format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        ))
    }
}

/// The project folder: commands run from here so relative contract paths stay short.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture path relative to the project folder.
pub fn fixture(name: &str) -> String {
    format!("tests/fixtures/{name}")
}

/// Runs `conform args...` to completion without colours or CI defaults.
pub async fn conform(args: &[&str]) -> Run {
    conform_in(&root(), args).await
}

/// Runs `conform args...` in `dir`. Snapshots are off unless the arguments say otherwise, so
/// tests never write into the project's own `snapshots/` folder.
pub async fn conform_in(dir: &Path, args: &[&str]) -> Run {
    conform_with(dir, args, &[("CONFORM_SNAPSHOTS", "off")], None).await
}

/// Runs `conform args...` in `dir` with extra environment variables (such as `CI=true`), the
/// default snapshot mode and, when given, `stdin` as standard input.
pub async fn conform_with(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&[u8]>,
) -> Run {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("CONFORM_SNAPSHOTS")
        .envs(env.iter().copied())
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
        pipe.write_all(bytes).await.expect("stdin is written");
    }
    let output = child.wait_with_output().await.expect("conform runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Replaces what changes from run to run.
pub fn redact(text: &str) -> String {
    let rules = [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"conform \d+\.\d+\.\d+", "conform [VERSION]"),
        (r"\b\d+(\.\d+)?(ms|s)\b", "[DURATION]"),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "[TIME]",
        ),
        (r"\b\d{22,}\b", "[NUMBER]"),
    ];
    rules.iter().fold(text.to_string(), |acc, (pattern, with)| {
        regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&acc, *with)
            .into_owned()
    })
}

/// A running `conform serve`, killed when dropped.
pub struct Served {
    /// The URL it listens on.
    pub url: String,
    /// The lines it printed after the URL, up to its "press Ctrl-C" line: the operations served.
    pub banner: Vec<String>,
    _child: tokio::process::Child,
}

/// Starts `conform serve --port 0 extra...` and waits for its URL and banner.
pub async fn serve(extra: &[&str]) -> Served {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .args(["serve", "--port", "0"])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("conform serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next_line().await.unwrap().unwrap_or_default();
    let url = first.rsplit(' ').next().unwrap_or_default().to_string();
    assert!(url.contains("://127.0.0.1:"), "{first}");
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
        _child: child,
    }
}
