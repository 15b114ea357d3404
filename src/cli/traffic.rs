//! The commands that judge real traffic: `proxy`, and `serve --report`. Both print their URL
//! first (alone, for scripts), then a banner, then one line per exchange while the run goes;
//! when it ends (Ctrl-C, SIGTERM, `--duration`, `--max-exchanges`) the reports are written and
//! the exit code follows the verdict, as for `verify`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::CliError;
use super::args::{ProxyArgs, ProxyBounds, ProxyKeys, ServeArgs, ServeBounds, TlsArgs};
use super::commands::{load, reporters, runtime, serve_bounds};
use super::gates;
use crate::contract::Contract;
use crate::proxy::{Proxy, ProxyError, ProxyOptions};
use crate::reference::{ReferenceServer, ServeOptions};
use crate::report::Reporters;
use crate::report::console::Console;
use crate::results::{Implementation, Scope, SigningScope, SnapshotScope, TrafficScope};
use crate::signing::PublicKey;
use crate::target::profile::{self, KeySource};
use crate::target::tls::{self, ClientTls, TlsOptions};
use crate::traffic::{self, JudgeOptions, Session, SessionOptions};
use crate::units::{format_duration, parse_duration, parse_size};

/// How long exchanges still under way are waited for once the run ends, beyond the time-out.
const GRACE: Duration = Duration::from_secs(2);

pub(super) fn proxy(args: ProxyArgs) -> Result<u8, CliError> {
    let contracts = load(&args.paths)?;
    let (limits, keys) = serve_bounds(&bounds(&args.bounds))?;
    let timeout = positive("--timeout", &args.timeout)?;
    let max_response_size = parse_size(&args.max_response_size)
        .map_err(|e| CliError::usage(format!("--max-response-size: {e}")))?;
    let duration = (args.duration.as_deref())
        .map(|d| positive("--duration", d))
        .transpose()?;
    let (client_key, answer_key) = proxy_keys(&args.keys)?;
    let tls = ClientTls::load(&tls_options(&args.tls))?;
    if !tls::is_https(&args.target) && tls.is_configured() {
        eprintln!(
            "warning: the TLS options have no effect: `{}` is plain HTTP",
            args.target
        );
    }
    let listen_tls = super::commands::server_tls(&args.listen_tls)?;
    let mut reporters = traffic_reporters(&args.reports)?;
    let options = ProxyOptions {
        address: Some(format!("{}:{}", args.host, args.port)),
        target: args.target.clone(),
        limits,
        timeout,
        max_response_size,
        tls: tls.clone(),
        max_exchanges: args.max_exchanges,
        listen_tls,
    };
    let until = until(duration, args.max_exchanges);
    let judge = JudgeOptions {
        judge_answers: true,
        client_key: client_key.clone(),
        answer_key: answer_key.clone(),
        keys,
        max_body: limits.max_body,
    };
    let session_options = SessionOptions {
        judge,
        max_exchanges: args.max_exchanges,
        grace: timeout + GRACE,
    };
    let summary = runtime()?.block_on(async {
        let signals = Signals::listen()?;
        let proxy = Proxy::start(&contracts, options)
            .await
            .map_err(|e| match e {
                ProxyError::Bind { address, source } => CliError::Io {
                    what: format!("cannot listen on {address}"),
                    source,
                },
                target => CliError::usage(target.to_string()),
            })?;
        let url = proxy.uri();
        let mut lines = proxy_banner(&contracts, proxy.target(), &until);
        lines.extend(super::commands::listening_tls_lines(&args.listen_tls));
        banner(&url, &lines);
        let scope = Scope {
            timeout,
            jobs: limits.max_connections,
            signing: signing_scope(client_key.as_deref(), answer_key.as_deref()),
            tls: tls::is_https(proxy.target()).then(|| tls.scope()),
            traffic: Some(TrafficScope {
                mode: "proxy".into(),
                listening: url,
                client: args.client.clone(),
                until,
            }),
            ..planless_scope()
        };
        let implementation = Implementation {
            name: args.implementation.clone(),
            version: args.implementation_version.clone(),
        };
        let info = traffic::run_info(&contracts, proxy.target(), false, implementation, scope);
        let log = Some(Box::new(anstream::stdout()) as Box<dyn Write + Send>);
        let session = Session::new(contracts.clone(), session_options, log);
        proxy
            .run(session, &info, &mut reporters, signals.or_after(duration))
            .await
            .map_err(CliError::io("cannot write to standard output"))
    })?;
    Ok(gates::conclude(&reporters, None, &summary))
}

/// `serve --report`: the reference implementation serves as usual, and every request it
/// answers is judged for the client's report.
pub(super) fn serve_reported(
    contracts: Vec<Contract>,
    mut options: ServeOptions,
    lines: &[String],
    args: &ServeArgs,
) -> Result<u8, CliError> {
    let mut reporters = traffic_reporters(&args.reports)?;
    let client_key = options.signing.client_public_key.clone();
    let connections = options.limits.max_connections;
    let judge = JudgeOptions {
        judge_answers: false,
        client_key: client_key.clone(),
        answer_key: None,
        keys: options.memory,
        max_body: options.limits.max_body,
    };
    let session_options = SessionOptions {
        judge,
        max_exchanges: None,
        grace: options.limits.read_timeout + GRACE,
    };
    let summary = runtime()?.block_on(async {
        let signals = Signals::listen()?;
        let (requests, served) = tokio::sync::mpsc::channel(traffic::WAITING);
        options.requests = Some(requests);
        let server = ReferenceServer::serve(&contracts, options).await?;
        let url = server.uri();
        let mut lines = lines.to_vec();
        lines.push("report: every request is judged; the reports are written when it stops".into());
        banner(&url, &lines);
        let scope = Scope {
            jobs: connections,
            signing: signing_scope(client_key.as_deref(), None),
            traffic: Some(TrafficScope {
                mode: "serve".into(),
                listening: url.clone(),
                client: args.client.clone(),
                until: Vec::new(),
            }),
            ..planless_scope()
        };
        let implementation = Implementation {
            name: Some("conform reference implementation".into()),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        };
        let info = traffic::run_info(&contracts, &url, true, implementation, scope);
        let seen = traffic::served(&contracts, &url, served);
        let session = Session::new(contracts.clone(), session_options, None);
        let stop_serving = move || drop(server);
        session
            .run(&info, seen, &mut reporters, signals.wait(), stop_serving)
            .await
            .map_err(CliError::io("cannot write to standard output"))
    })?;
    Ok(gates::conclude(&reporters, None, &summary))
}

/// The reporters of a traffic run: the console without a progress counter (the exchange log
/// shows the progress), then the report files.
fn traffic_reporters(specs: &[String]) -> Result<Reporters, CliError> {
    let mut reporters = reporters(specs)?;
    reporters.streams = vec![Box::new(Console::new(super::commands::console_stdout()))];
    Ok(reporters)
}

/// The URL alone first, for scripts; the banner for people. A reader that went away must not
/// stop the run.
fn banner(url: &str, lines: &[String]) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{url}");
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "press Ctrl-C to stop");
    let _ = out.flush();
}

fn proxy_banner(contracts: &[Contract], target: &str, until: &[String]) -> Vec<String> {
    let operations = match contracts.len() {
        1 => "1 operation".to_string(),
        n => format!("{n} operations"),
    };
    let mut lines = vec![format!(
        "conform proxy to {}, checking {operations}:",
        crate::report::output::shown_target(target)
    )];
    for contract in contracts {
        lines.push(format!(
            "  {} {}  ({})",
            contract.method, contract.path, contract.name
        ));
    }
    if !until.is_empty() {
        lines.push(format!("until: {}", until.join(", ")));
    }
    lines
}

/// Ctrl-C and SIGTERM, listened for from the moment this is made (before the URL is printed, so
/// a signal sent as soon as the URL is read is not missed).
pub(super) struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Starts listening; must run inside the runtime.
    pub(super) fn listen() -> Result<Self, CliError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen = |kind| signal(kind).map_err(CliError::io("cannot listen for signals"));
            Ok(Signals {
                interrupt: listen(SignalKind::interrupt())?,
                terminate: listen(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Waits for Ctrl-C or SIGTERM; says which it was.
    pub(super) async fn wait(mut self) -> String {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "Ctrl-C".to_string(),
                _ = self.terminate.recv() => "SIGTERM".to_string(),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C".to_string()
        }
    }

    /// Waits for a signal, or the end of `duration` when given; says which it was.
    pub(super) async fn or_after(self, duration: Option<Duration>) -> String {
        let timer = async {
            match duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            signal = self.wait() => signal,
            _ = timer => format!("--duration {}", format_duration(duration.unwrap_or_default())),
        }
    }
}

fn until(duration: Option<Duration>, max_exchanges: Option<u64>) -> Vec<String> {
    let mut until = Vec::new();
    if let Some(d) = duration {
        until.push(format!("--duration {}", format_duration(d)));
    }
    if let Some(n) = max_exchanges {
        until.push(format!("--max-exchanges {n}"));
    }
    until
}

/// A scope with nothing a planned run sets: no filter, no snapshots, no faults.
fn planless_scope() -> Scope {
    Scope {
        snapshots: SnapshotScope {
            mode: "off".into(),
            folder: None,
        },
        ..Scope::default()
    }
}

fn signing_scope(client: Option<&PublicKey>, answers: Option<&PublicKey>) -> SigningScope {
    SigningScope {
        client_id: None,
        requests_signed: client.is_some(),
        key_version: None,
        request_key_sha256: client.map(PublicKey::fingerprint),
        answers_verified: answers.is_some(),
        answer_key_sha256: answers.map(PublicKey::fingerprint),
    }
}

/// A public key, when one was given.
type Key = Option<Arc<PublicKey>>;

/// The client's key (checks requests) and the implementation's (checks answers).
fn proxy_keys(keys: &ProxyKeys) -> Result<(Key, Key), CliError> {
    let load = |file: &Option<PathBuf>, env: &Option<String>| {
        source(file.clone(), env.clone())
            .map(|s| profile::load_public_key(&s).map(Arc::new))
            .transpose()
    };
    Ok((
        load(&keys.client_public_key, &keys.client_public_key_env)?,
        load(&keys.public_key, &keys.public_key_env)?,
    ))
}

fn source(file: Option<PathBuf>, env: Option<String>) -> Option<KeySource> {
    file.map(KeySource::File).or(env.map(KeySource::Env))
}

fn tls_options(args: &TlsArgs) -> TlsOptions {
    TlsOptions {
        ca_certs: args.ca_certs.iter().cloned().map(KeySource::File).collect(),
        client_cert: source(args.client_cert.clone(), args.client_cert_env.clone()),
        client_key: source(args.client_key.clone(), args.client_key_env.clone()),
        insecure: args.insecure,
    }
}

/// The proxy's bounds are `serve`'s, read the same way.
fn bounds(args: &ProxyBounds) -> ServeBounds {
    ServeBounds {
        max_body_size: args.max_body_size.clone(),
        max_header_size: args.max_header_size.clone(),
        max_headers: args.max_headers,
        read_timeout: args.read_timeout.clone(),
        max_connections: args.max_connections,
        key_capacity: args.key_capacity,
        key_ttl: args.key_ttl.clone(),
    }
}

fn positive(flag: &str, text: &str) -> Result<Duration, CliError> {
    parse_duration(text)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            CliError::usage(format!(
                "{flag}: `{text}` is not a positive duration (examples: 10s, 5m, 1h)"
            ))
        })
}
