//! One function per subcommand: load, turn arguments into options, call the library, pick the
//! exit code.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::CliError;
use super::args::{CasesArgs, PathsArgs, SchemaArgs, ServeArgs, VerifyArgs};
use super::keys::{server_signing, target_profile};
use conform::contract::{self, Contract};
use conform::exit;
use conform::reference::{Faults, ReferenceServer, ServerSigning};
use conform::report::console::Console;
use conform::report::json::JsonReport;
use conform::report::{Reporter, Reporters};
use conform::run::{self, RunOptions, Target};

pub fn verify(args: VerifyArgs) -> Result<u8, CliError> {
    let contracts = load(&args.paths)?;
    let faults = faults(&args.faults)?;
    let profile = target_profile(&args)?;
    if faults.any() && profile.base_url.is_some() {
        return Err(CliError(
            "error: --fault applies to the embedded target only (drop --target or the target config's baseUrl)".into(),
        ));
    }
    let options = RunOptions {
        jobs: usize::from(args.jobs),
        timeout: conform::units::parse_duration(&args.timeout)
            .map_err(|e| CliError(format!("error: --timeout: {e}")))?,
        filter: globs(&args.filters)?,
        faults,
        fail_fast: args.fail_fast,
        replays: args.replays,
        concurrency: args.concurrency,
        settle_tries: args.settle_tries,
        signing: profile.signing()?,
    };

    let planned = conform::plan::plan(&contracts).filter(options.filter.as_ref());
    if planned.cases.is_empty() {
        return Err(CliError("error: no case matches the given --filter".into()));
    }
    let mut reporters = reporters(&args.reports)?;
    let target = match profile.base_url {
        Some(url) => Target::Live(url),
        None => Target::Embedded,
    };
    let summary = runtime()?.block_on(run::run(contracts, target, options, &mut reporters))?;
    Ok(if summary.success() {
        exit::SUCCESS
    } else {
        exit::CHECKS_FAILED
    })
}

pub fn lint(args: PathsArgs) -> Result<u8, CliError> {
    let contracts = load(&args)?;
    for contract in &contracts {
        println!(
            "ok   {} ({})",
            contract.name,
            contract.source.path.display()
        );
    }
    println!(
        "{} contract{} valid",
        contracts.len(),
        if contracts.len() == 1 { "" } else { "s" }
    );
    Ok(exit::SUCCESS)
}

pub fn serve(args: ServeArgs) -> Result<u8, CliError> {
    let contracts = load(&args.paths)?;
    let faults = faults(&args.faults)?;
    let signing = server_signing(&args.keys)?;
    let notes = signing_notes(&signing);
    let address = format!("{}:{}", args.host, args.port);
    runtime()?.block_on(async {
        let server =
            ReferenceServer::start_signed(&contracts, Some(&address), &faults, signing).await?;
        println!(
            "conform reference implementation listening on http://{}",
            server.address()
        );
        for contract in &contracts {
            println!(
                "  {} {}  ({})",
                contract.method, contract.path, contract.name
            );
        }
        for note in &notes {
            println!("{note}");
        }
        println!("press Ctrl-C to stop");
        tokio::signal::ctrl_c().await?;
        Ok::<_, CliError>(())
    })?;
    Ok(exit::SUCCESS)
}

pub fn schema(args: SchemaArgs) -> Result<u8, CliError> {
    if args.target {
        println!("{}", conform::target::profile::json_schema());
    } else {
        println!("{}", conform::contract::json_schema());
    }
    Ok(exit::SUCCESS)
}

/// What `serve` says about signing, after the routes.
fn signing_notes(signing: &ServerSigning) -> Vec<String> {
    let mut notes = Vec::new();
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

pub fn cases(args: CasesArgs) -> Result<u8, CliError> {
    let contracts = load(&args.paths)?;
    let plan = conform::plan::plan(&contracts).filter(globs(&args.filters)?.as_ref());
    for case in &plan.cases {
        println!("{}", case.name);
    }
    println!();
    for (kind, count) in plan.counts() {
        println!("{:<12}{count:>6}", kind.name());
    }
    println!("{:<12}{:>6}", "total", plan.cases.len());
    Ok(exit::SUCCESS)
}

/// Loads contracts, turning contract errors into their rendered text.
fn load(args: &PathsArgs) -> Result<Vec<Contract>, CliError> {
    let paths: Vec<PathBuf> = args.paths.clone();
    let contracts = contract::load_paths(&paths).map_err(|errors| CliError(errors.render()))?;
    if contracts.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(CliError(format!(
            "error: no contract files (*.json) found in {}",
            shown.join(", ")
        )));
    }
    Ok(contracts)
}

fn globs(patterns: &[String]) -> Result<Option<GlobSet>, CliError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(
            Glob::new(pattern)
                .map_err(|e| CliError(format!("error: --filter `{pattern}`: {}", e.kind())))?,
        );
    }
    Ok(Some(builder.build()?))
}

fn faults(specs: &[String]) -> Result<Faults, CliError> {
    let mut faults = Faults::default();
    for spec in specs {
        faults
            .add(spec)
            .map_err(|e| CliError(format!("error: --fault: {e}")))?;
    }
    Ok(faults)
}

fn reporters(specs: &[String]) -> Result<Reporters, CliError> {
    let mut all: Vec<Box<dyn Reporter>> =
        vec![Box::new(Console::new(Box::new(anstream::stdout())))];
    for spec in specs {
        let (format, path) = spec.split_once('=').ok_or_else(|| {
            CliError(format!(
                "error: --report `{spec}`: expected FORMAT=PATH, e.g. json=report.json"
            ))
        })?;
        let path = Path::new(path);
        match format {
            "json" => all.push(Box::new(JsonReport::new(path))),
            other => {
                return Err(CliError(format!(
                    "error: --report: unknown format `{other}` (expected json)"
                )));
            }
        }
    }
    Ok(Reporters(all))
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
