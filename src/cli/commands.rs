//! One function per subcommand: load, turn arguments into options, call the library, pick the
//! exit code.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::CliError;
use super::args::{
    CasesArgs, PathsArgs, SchemaArgs, ServeArgs, ServeBounds, ServeTlsArgs, VerifyArgs,
};
use super::gates;
use super::keys::{server_signing, target_profile};
use crate::contract::Contract;
use crate::contract::suite::{DEFAULT_BATCH, Suite};
use crate::exit;
use crate::plan::choose::Patterns;
use crate::plan::{KindCounts, Selection};
use crate::reference::{
    Bound, Faults, Limits, ReferenceServer, RejectionLog, ServeOptions, ServerCredentials,
    ServerSigning, SignatureRejection,
};
use crate::report::console::Console;
use crate::report::{self, FileReport, Reporters};
use crate::results::Implementation;
use crate::run::{self, RunOptions, Target};
use crate::snapshot::{Mode, Snapshots};
use crate::target::profile::{KeySource, ProfileFile};
use crate::target::tls::{self, ClientTls};

pub(super) fn verify(args: VerifyArgs) -> Result<u8, CliError> {
    let suite = load_suite(&args.paths, args.batch)?;
    if suite.batch_count() > 1 {
        eprintln!(
            "note: {} contracts run in {} batches of about {} (--batch), each compiled, run and let go in turn",
            suite.len(),
            suite.batch_count(),
            args.batch
        );
    }
    let scenarios = suite_scenarios(&args.paths, &suite)?;
    let profile = target_profile(&args)?;
    let mut options = run_options(&args, &profile)?;
    tls_warnings(&options.tls, profile.base_url.as_deref());
    // The embedded target completes a signing set-up with the private key's public half; a
    // private key is what makes a run sign, so the probes planned are the same either way.
    let auth = run::auth(&options, options.signing.as_ref());
    patterns(&args.filters, &args.excludes)?
        .check_with(&suite, &scenarios, &auth)
        .map_err(|e| CliError::usage(e.to_string()))?;
    options.scenarios = scenarios;
    gates::snapshots_to_check(&options, &suite)?;
    gates::coverage_names(&options, &suite)?;
    let mut reporters = reporters(&args.reports)?;
    let (baseline, recording) = gates::baseline(
        args.baseline.as_deref(),
        args.update_baseline,
        &mut reporters,
    )?;
    options.baseline = baseline;
    if let Some(bundle) = super::certify::bundle(&args.certification, &suite.entries())? {
        options.evidence = Some(bundle.evidence);
        reporters.files.push(bundle.report);
    }
    let target = match &profile.base_url {
        Some(url) => Target::Live(url.clone()),
        None => Target::Embedded,
    };
    let runtime = runtime()?;
    let summary = runtime.block_on(run::run_suite(suite, target, options, &mut reporters));
    // Every case is done and every report written: what the runtime still holds (idle
    // connections to close, a blocking thread kept warm) is not waited for.
    runtime.shutdown_background();
    Ok(gates::conclude(&reporters, recording.as_deref(), &summary?))
}

/// The run options a `verify` invocation asks for.
fn run_options(args: &VerifyArgs, profile: &ProfileFile) -> Result<RunOptions, CliError> {
    let faults = faults(&args.faults)?;
    if faults.any() && profile.base_url.is_some() {
        return Err(CliError::usage(
            "--fault applies to the embedded target only (drop --target or the target config's baseUrl)",
        ));
    }
    let patterns = patterns(&args.filters, &args.excludes)?;
    let selection = patterns
        .selection()
        .map_err(|e| CliError::usage(e.to_string()))?;
    Ok(RunOptions {
        jobs: usize::from(args.jobs),
        timeout: crate::units::parse_duration(&args.timeout)
            .map_err(|e| CliError::usage(format!("--timeout: {e}")))?,
        max_response_size: crate::units::parse_size(&args.max_response_size)
            .map_err(|e| CliError::usage(format!("--max-response-size: {e}")))?,
        give_up_after: args.give_up_after,
        filter: selection.filter,
        exclude: selection.exclude,
        faults,
        fail_fast: args.fail_fast,
        partition: args.partition,
        baseline: None,
        replays: args.replays,
        concurrency: args.concurrency,
        settle_tries: args.settle_tries,
        snapshots: Some(snapshot_settings(args, profile.base_url.is_none())?),
        signing: profile.signing()?,
        filter_globs: patterns.shown(),
        headers: profile.target_headers(&args.headers)?,
        implementation: Implementation {
            name: profile.implementation.clone(),
            version: profile.implementation_version.clone(),
        },
        tls: ClientTls::load(&profile.tls_options(args.tls.insecure))?,
        scenarios: Vec::new(),
        require_coverage: args.require_coverage.clone(),
        evidence: None,
        late_replays: args.late_replays,
        late_replay_after: args
            .late_replay_after
            .as_deref()
            .map(crate::units::parse_duration)
            .transpose()
            .map_err(|e| CliError::usage(format!("--late-replay-after: {e}")))?,
        late_replay_gap: args.late_replay_gap,
        late_replay_memory: crate::run::LATE_REPLAY_MEMORY,
    })
}

/// `--insecure` is loud, and TLS options a plain-HTTP target never uses are pointed out.
fn tls_warnings(tls: &ClientTls, target: Option<&str>) {
    let https = target.is_some_and(tls::is_https);
    if !https && tls.is_configured() {
        let target = target.map_or("the embedded target".to_string(), |t| format!("`{t}`"));
        eprintln!("warning: the TLS options have no effect: {target} is plain HTTP");
    } else if https && tls.insecure() {
        eprintln!(
            "warning: --insecure: the target's TLS certificate is not verified, so nothing shows that the answers come from the target named; every report says so and the verdict is at best PARTIAL"
        );
    }
}

pub(super) fn lint(args: PathsArgs) -> Result<u8, CliError> {
    // A large suite is checked as `verify` would run it: surveyed, then batch by batch.
    let suite = load_suite(&args, DEFAULT_BATCH)?;
    let scenarios = suite_scenarios(&args, &suite)?;
    let entries = suite.entries();
    let named = (entries.iter().map(|e| (&e.name, &e.file)))
        .chain(scenarios.iter().map(|s| (&s.name, &s.source.path)));
    for (name, file) in named {
        println!("ok   {name} ({})", file.display());
    }
    suite.each_batch(|contracts| {
        print_notes(contracts);
        Ok::<_, CliError>(())
    })?;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let files = match scenarios.len() {
        0 => String::new(),
        n => format!(" and {n} scenario file{}", plural(n)),
    };
    println!(
        "{} contract{}{files} valid",
        entries.len(),
        plural(entries.len())
    );
    Ok(exit::SUCCESS)
}

pub(super) fn serve(args: ServeArgs) -> Result<u8, CliError> {
    let contracts = load(&args.paths)?;
    let faults = faults(&args.faults)?;
    let signing = server_signing(&args.keys)?;
    let tls = server_tls(&args.tls)?;
    let (limits, memory) = serve_bounds(&args.bounds)?;
    let mut banner = serve_banner(&contracts, &faults, &signing, &limits, &memory);
    banner.extend(listening_tls_lines(&args.tls));
    // Written without `eprint!`/`println!`: a reader that went away (a script that read the
    // URL and closed the pipe) must not stop the server.
    let log: RejectionLog = Arc::new(|rejection: &SignatureRejection| {
        let _ = write!(std::io::stderr(), "{rejection}");
    });
    let mut credentials = ServerCredentials::default();
    for header in &args.credentials {
        credentials.require(&header.name, &header.value, false);
    }
    if !credentials.is_empty() {
        let names: Vec<&str> = credentials.names().collect();
        banner.push(format!(
            "credentials: operations declaring them require {} (values not shown)",
            names.join(", ")
        ));
    }
    let options = ServeOptions {
        address: Some(format!("{}:{}", args.host, args.port)),
        faults,
        signing,
        credentials,
        limits,
        memory,
        on_signature_rejected: Some(log),
        tls,
        requests: None,
        threads: serving_threads(),
    };
    if !args.reports.is_empty() {
        return super::traffic::serve_reported(contracts, options, &banner, &args);
    }
    runtime()?.block_on(async {
        let signals = super::traffic::Signals::listen()?;
        let server = ReferenceServer::serve_shared(contracts.into(), options).await?;
        // The URL alone comes first, for scripts; the banner is for people.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", server.uri());
        for line in &banner {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "press Ctrl-C to stop");
        let _ = out.flush();
        drop(out);
        signals.wait().await;
        Ok::<_, CliError>(())
    })?;
    Ok(exit::SUCCESS)
}

pub(super) fn serve_bounds(args: &ServeBounds) -> Result<(Limits, Bound), CliError> {
    let size = |flag: &str, text: &str| {
        crate::units::parse_size(text)
            .and_then(|n| usize::try_from(n).map_err(|_| format!("`{text}` is too large")))
            .map_err(|e| CliError::usage(format!("{flag}: {e}")))
    };
    let duration = |flag: &str, text: &str| {
        crate::units::parse_duration(text)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                CliError::usage(format!(
                    "{flag}: `{text}` is not a positive duration (examples: 10s, 1m, 24h)"
                ))
            })
    };
    let limits = Limits {
        max_body: size("--max-body-size", &args.max_body_size)?,
        max_header_size: size("--max-header-size", &args.max_header_size)?,
        max_headers: usize::from(args.max_headers),
        read_timeout: duration("--read-timeout", &args.read_timeout)?,
        max_connections: args.max_connections as usize,
    };
    let capacity = usize::try_from(args.key_capacity)
        .ok()
        .and_then(std::num::NonZeroUsize::new)
        .ok_or_else(|| CliError::usage("--key-capacity: too large"))?;
    let memory = Bound {
        capacity,
        ttl: duration("--key-ttl", &args.key_ttl)?,
    };
    Ok((limits, memory))
}

/// What `serve` prints after its URL: operations, faults, signing, bounds.
fn serve_banner(
    contracts: &[Contract],
    faults: &Faults,
    signing: &ServerSigning,
    limits: &Limits,
    memory: &Bound,
) -> Vec<String> {
    use crate::units::{format_duration, format_size};
    let operations = match contracts.len() {
        1 => "1 operation".to_string(),
        n => format!("{n} operations"),
    };
    let mut lines = vec![format!("conform reference implementation of {operations}:")];
    for contract in contracts {
        lines.push(format!(
            "  {} {}  ({})",
            contract.method, contract.path, contract.name
        ));
    }
    lines.push(format!("faults: {}", faults.describe()));
    lines.push(format!("signing: {}", signing_notes(signing).join("; ")));
    lines.push(format!(
        "limits: bodies up to {}, heads up to {} and {} fields, {} to send each, {} connections",
        format_size(limits.max_body as u64),
        format_size(limits.max_header_size as u64),
        limits.max_headers,
        format_duration(limits.read_timeout),
        limits.max_connections
    ));
    lines.push(format!(
        "idempotency memory: the last {} keys per operation, each for {}",
        memory.capacity,
        format_duration(memory.ttl)
    ));
    lines
}

/// What the banner of `serve` or `proxy` says of `--tls-cert` and `--client-ca`.
pub(super) fn listening_tls_lines(args: &ServeTlsArgs) -> Vec<String> {
    let mut lines = Vec::new();
    if args.tls_cert.is_some() {
        lines.push("tls: HTTPS (HTTP/2 when offered)".into());
    }
    if let Some(ca) = &args.client_ca {
        lines.push(format!(
            "clients must present a certificate issued by a CA in {} (mutual TLS)",
            ca.display()
        ));
    }
    lines
}

/// `serve`'s (and `proxy`'s) TLS towards clients, when `--tls-cert` is given (clap ensures `--tls-key` comes with it).
pub(super) fn server_tls(
    args: &ServeTlsArgs,
) -> Result<Option<Arc<rustls::ServerConfig>>, CliError> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        return Ok(None);
    };
    let source = |path: &PathBuf| KeySource::File(path.clone());
    let client_ca = args.client_ca.as_ref().map(source);
    Ok(Some(tls::server_config(
        &source(cert),
        &source(key),
        client_ca.as_ref(),
    )?))
}

pub(super) fn schema(args: SchemaArgs) -> Result<u8, CliError> {
    if args.target {
        println!("{}", crate::target::profile::json_schema());
    } else if args.scenario {
        println!("{}", crate::scenario::json_schema());
    } else {
        println!("{}", crate::contract::json_schema());
    }
    Ok(exit::SUCCESS)
}

/// What `serve` says about signing.
pub(super) fn signing_notes(signing: &ServerSigning) -> Vec<String> {
    let mut notes = Vec::new();
    if signing.client_public_key.is_none() && signing.private_key.is_none() {
        notes.push("off (requests are not checked, answers are not signed)".into());
    }
    if signing.client_public_key.is_some() {
        notes.push(
            "requests must carry a Signature that verifies with the client's public key".into(),
        );
    }
    if signing.private_key.is_some() {
        notes.push(format!(
            "answers are signed (Response-Time, Signature keyVersion={})",
            signing.key_version
        ));
    }
    notes
}

/// What case generation leaves out, on stderr: `note: issueCard: extendInfo: ...`, then the
/// skip patterns that match no case, located like errors.
fn print_notes(contracts: &[Contract]) {
    for contract in contracts {
        for note in crate::plan::notes(contract) {
            eprintln!("note: {}: {note}", contract.name);
        }
    }
    for warning in crate::plan::choose::skip_warnings(contracts) {
        eprintln!("{}", warning.render());
    }
    for warning in contracts
        .iter()
        .flat_map(crate::snapshot::lint::redact_warnings)
    {
        eprintln!("{}", warning.render());
    }
}

/// The `--filter` and `--exclude` patterns, checked to be globs.
fn patterns(filters: &[String], excludes: &[String]) -> Result<Patterns, CliError> {
    let patterns = Patterns::new(filters, excludes);
    patterns
        .selection()
        .map_err(|e| CliError::usage(e.to_string()))?;
    Ok(patterns)
}

/// `cases --write-requests FILE`: the selected cases' requests written out, and how many.
fn write_requests(
    suite: &Suite,
    scenarios: &[crate::scenario::ScenarioSet],
    selection: &Selection,
    auth: crate::plan::Auth,
    file: &Path,
) -> Result<u8, CliError> {
    let what = format!("write {}", file.display());
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(file).map_err(CliError::io(what.clone()))?);
    let mut count = 0;
    crate::plan::each_batch_selected(suite, scenarios, &auth, selection, |contracts, cases| {
        count += crate::plan::requests::write(contracts, cases, &mut out)
            .map_err(CliError::io(what.clone()))?;
        Ok::<_, CliError>(())
    })?;
    out.flush().map_err(CliError::io(what))?;
    println!("{count} requests written to {}", file.display());
    Ok(exit::SUCCESS)
}

pub(super) fn cases(args: CasesArgs) -> Result<u8, CliError> {
    let suite = load_suite(&args.paths, args.batch)?;
    let scenarios = suite_scenarios(&args.paths, &suite)?;
    let mut auth = crate::plan::Auth::default();
    suite.each_batch(|contracts| {
        print_notes(contracts);
        if args.security {
            auth.absorb(crate::plan::Auth::everything(contracts));
        }
        Ok::<_, CliError>(())
    })?;
    let patterns = patterns(&args.filters, &args.excludes)?;
    patterns
        .check_with(&suite, &scenarios, &auth)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let selection = Selection {
        partition: args.partition,
        ..patterns
            .selection()
            .map_err(|e| CliError::usage(e.to_string()))?
    };
    if let Some(file) = &args.write_requests {
        return write_requests(&suite, &scenarios, &selection, auth, file);
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut counts = KindCounts::default();
    let stdout = || CliError::io("cannot write to standard output");
    crate::plan::each_batch_selected(&suite, &scenarios, &auth, &selection, |_, cases| {
        for case in cases {
            writeln!(out, "{}", case.name).map_err(stdout())?;
            counts.add(&case);
        }
        Ok::<_, CliError>(())
    })?;
    let mut totals = || -> std::io::Result<()> {
        writeln!(out)?;
        // Flows exist only where contracts declare resources, security probes only for runs
        // that sign or carry credentials, scenarios only where files hold them: a zero there
        // is noise.
        use crate::plan::CaseKind;
        let shown = counts.by_kind().filter(|(kind, count)| {
            *count > 0
                || !matches!(
                    kind,
                    CaseKind::Flow | CaseKind::Security | CaseKind::Scenario
                )
        });
        for (kind, count) in shown {
            writeln!(out, "{:<12}{count:>6}", kind.name())?;
        }
        writeln!(out, "{:<12}{:>6}", "total", counts.total())?;
        out.flush()
    };
    totals().map_err(stdout())?;
    Ok(exit::SUCCESS)
}

/// The folder contracts are read from when no path is given.
const DEFAULT_CONTRACTS: &str = "contracts";

/// Loads contracts; contract errors stay typed until they are rendered.
pub(super) fn load(args: &PathsArgs) -> Result<Vec<Contract>, CliError> {
    match load_suite(args, usize::MAX)? {
        Suite::Whole(contracts) => Ok(contracts),
        Suite::Batched(_) => unreachable!("a batch of usize::MAX contracts holds every suite"),
    }
}

/// Loads contracts, batched past `batch` of them ([`Suite::load`]: a suite with scenario files
/// is held whole).
pub(super) fn load_suite(args: &PathsArgs, batch: usize) -> Result<Suite, CliError> {
    let paths: Vec<PathBuf> = args.paths.clone();
    if let [only] = &paths[..]
        && only == Path::new(DEFAULT_CONTRACTS)
        && !only.exists()
    {
        return Err(CliError::usage(format!(
            "no contracts to check: there is no `{DEFAULT_CONTRACTS}/` folder here ({})\n  = help: conform reads ./{DEFAULT_CONTRACTS} unless given contract files or folders (`conform verify path/to/contracts`); start one with `conform new NAME`",
            std::env::current_dir().map_or_else(|_| ".".into(), |d| d.display().to_string())
        )));
    }
    let suite = Suite::load(&paths, batch)?;
    if suite.len() == 0 {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(CliError::usage(format!(
            "no contract files (*.json) found in {}",
            shown.join(", ")
        )));
    }
    Ok(suite)
}

/// The scenario files among the paths, compiled against the suite (held whole when there are
/// any).
fn suite_scenarios(
    args: &PathsArgs,
    suite: &Suite,
) -> Result<Vec<crate::scenario::ScenarioSet>, CliError> {
    match suite.whole() {
        Some(contracts) => load_scenarios(args, contracts),
        None => Ok(Vec::new()),
    }
}

/// Loads the scenario files among the paths, compiled against `contracts`.
pub(super) fn load_scenarios(
    args: &PathsArgs,
    contracts: &[Contract],
) -> Result<Vec<crate::scenario::ScenarioSet>, CliError> {
    Ok(crate::scenario::load_paths(&args.paths, contracts)?)
}

/// One glob as a set, for filters given as a single argument.
pub(super) fn glob_set(pattern: &str) -> Result<GlobSet, CliError> {
    Ok(globs(&[pattern.to_string()])?.unwrap_or_else(GlobSet::empty))
}

fn globs(patterns: &[String]) -> Result<Option<GlobSet>, CliError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(
            Glob::new(pattern)
                .map_err(|e| CliError::usage(format!("--filter `{pattern}`: {}", e.kind())))?,
        );
    }
    let set = builder
        .build()
        .map_err(|e| CliError::usage(format!("--filter: {e}")))?;
    Ok(Some(set))
}

/// `--snapshots` as given, or the default for the target and the `CI` variable.
fn snapshot_settings(args: &VerifyArgs, embedded: bool) -> Result<Snapshots, CliError> {
    let mode = match &args.snapshots {
        Some(text) => text
            .parse()
            .map_err(|e| CliError::usage(format!("--snapshots: {e}")))?,
        None => Mode::default_for(embedded, gates::ci_value().as_deref()),
    };
    Ok(Snapshots {
        root: args.snapshot_dir.clone(),
        mode,
    })
}

fn faults(specs: &[String]) -> Result<Faults, CliError> {
    let mut faults = Faults::default();
    for spec in specs {
        faults
            .add(spec)
            .map_err(|e| CliError::usage(format!("--fault: {e}")))?;
    }
    Ok(faults)
}

pub(super) fn reporters(specs: &[String]) -> Result<Reporters, CliError> {
    // A report sent to standard output (`json=/dev/stdout`, to pipe it on) has it to itself:
    // the console goes to standard error.
    let to_stdout = specs.iter().any(|spec| {
        let path = spec.split_once('=').map_or("", |(_, path)| path);
        is_stdout(Path::new(path))
    });
    let console = match to_stdout {
        true => Console::new(console_stderr()),
        false => Console::new(console_stdout()).with_progress(),
    };
    let mut reporters = Reporters::default();
    reporters.streams.push(Box::new(console));
    for spec in specs {
        let (format, path) = spec.split_once('=').ok_or_else(|| {
            CliError::usage(format!(
                "--report `{spec}`: expected FORMAT=PATH, e.g. json=report.json"
            ))
        })?;
        let reporter = report::file_report(format, Path::new(path)).ok_or_else(|| {
            CliError::usage(format!(
                "--report: unknown format `{format}` (expected {})",
                report::FORMATS.join(", ")
            ))
        })?;
        let file = FileReport::new(&format!("{format} report"), Path::new(path), reporter);
        reporters.files.push(file);
    }
    Ok(reporters)
}

/// Standard output for a console report: colours as the terminal and `NO_COLOR` say, taken out
/// into a buffer rather than straight into standard output, which writes each piece between
/// two colour codes that holds a line break with a system call of its own.
pub(super) fn console_stdout() -> Box<dyn Write + Send> {
    let stdout = std::io::stdout();
    let choice = anstream::AutoStream::choice(&stdout);
    let buffered: Box<dyn Write + Send> = Box::new(std::io::BufWriter::new(stdout));
    Box::new(anstream::AutoStream::new(buffered, choice))
}

/// Whether a report path names standard output.
pub(super) fn is_stdout(path: &Path) -> bool {
    ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]
        .iter()
        .any(|alias| path == Path::new(alias))
}

/// Standard error for a console report, when a report has standard output to itself.
fn console_stderr() -> Box<dyn Write + Send> {
    let stderr = std::io::stderr();
    let choice = anstream::AutoStream::choice(&stderr);
    let buffered: Box<dyn Write + Send> = Box::new(std::io::BufWriter::new(stderr));
    Box::new(anstream::AutoStream::new(buffered, choice))
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::io("cannot start the async runtime"))
}

/// Threads `serve` answers on: two per core it may use. With one per core, a thread whose
/// connections all wait on their clients sleeps, and waking it takes longer than answering a
/// request, so under the benchmark's load (32 connections, two cores shared with the load
/// generator) a core sat idle 7% of the time and `serve` answered 0.68 of the bare server's
/// requests; with two per core, one answers while the other waits to be woken: idle 1%, 0.79
/// (medians of twelve alternating rounds, 11 of 12 faster). More than two per core gained
/// nothing more (eight on two cores: 0.73).
fn serving_threads() -> Option<std::num::NonZeroUsize> {
    const PER_CORE: std::num::NonZeroUsize = std::num::NonZeroUsize::new(2).expect("non-zero");
    let cores = std::thread::available_parallelism().ok()?;
    Some(cores.saturating_mul(PER_CORE))
}
