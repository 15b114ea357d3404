//! Certification from the command line: `verify --certify DIR --certifier-key FILE` sets up the
//! bundle, `certify verify BUNDLE --public-key FILE` checks one and says what it certifies.

use std::path::Path;
use std::sync::Arc;

use super::CliError;
use super::args::{CertifyArgs, CertifyVerifyArgs};
use crate::certify::check::{self, Checked};
use crate::certify::manifest::Manifest;
use crate::certify::{self as bundle, Bundle};
use crate::contract::suite::Entry;
use crate::exit;
use crate::report::FileReport;
use crate::run::Evidence;
use crate::target::profile::{self, KeySource};

/// The bundle a `verify --certify DIR` writes.
pub(super) struct Certification {
    /// Where the runner sends every case's exchanges.
    pub evidence: Arc<dyn Evidence>,
    /// The report that writes the rest of the bundle.
    pub report: FileReport,
}

/// The bundle a `verify --certify DIR` asks for. The folder is made ready and the key loaded
/// before anything is sent.
pub(super) fn bundle(
    args: &CertifyArgs,
    contracts: &[Entry],
) -> Result<Option<Certification>, CliError> {
    let Some(dir) = &args.certify else {
        return Ok(None);
    };
    let source = match (&args.certifier_key, &args.certifier_key_env) {
        (Some(file), _) => KeySource::File(file.clone()),
        (None, Some(name)) => KeySource::Env(name.clone()),
        (None, None) => {
            return Err(CliError::usage(
                "--certify needs the certifier's key that signs the bundle: --certifier-key FILE (or --certifier-key-env NAME)",
            ));
        }
    };
    let key = profile::load_private_key(&source)?;
    bundle::prepare(dir).map_err(CliError::usage)?;
    let binary =
        bundle::binary_sha256().map_err(CliError::io("cannot read conform's own executable"))?;
    let bundle = Bundle::new(dir, contracts, Arc::new(key), binary);
    let evidence: Arc<dyn Evidence> = bundle.evidence();
    let report = FileReport::new("certification bundle", dir, Box::new(bundle));
    Ok(Some(Certification { evidence, report }))
}

/// `certify verify BUNDLE --public-key FILE`: exit 0 when the signature and every file check
/// out, 1 naming each problem, 2 when the bundle or the key cannot be used at all.
pub(super) fn verify(args: CertifyVerifyArgs) -> Result<u8, CliError> {
    let source = match (&args.public_key, &args.public_key_env) {
        (Some(file), _) => KeySource::File(file.clone()),
        (None, Some(name)) => KeySource::Env(name.clone()),
        (None, None) => return Err(CliError::usage("give the certifier's --public-key FILE")),
    };
    let key = profile::load_public_key(&source)?;
    let checked = check::check(&args.bundle, &key).map_err(|e| CliError::usage(e.to_string()))?;
    print(&args.bundle, &checked);
    Ok(if checked.problems.is_empty() {
        exit::SUCCESS
    } else {
        exit::CHECKS_FAILED
    })
}

/// A verified bundle's claims, then the line saying so; a refused bundle's refusal first, so
/// that no reader (or script reading the first line) takes its claimed verdict for the truth.
fn print(dir: &Path, checked: &Checked) {
    if checked.problems.is_empty() {
        if let Some(manifest) = &checked.manifest {
            print_claims(manifest);
        }
        let files = checked.manifest.as_ref().map_or(0, |m| m.files.len());
        println!(
            "VERIFIED {}: the signature holds and all {files} files are as signed",
            dir.display()
        );
        return;
    }
    let n = checked.problems.len();
    println!(
        "NOT VERIFIED {}: {n} problem{}; nothing in this bundle can be relied on",
        dir.display(),
        if n == 1 { "" } else { "s" }
    );
    for problem in &checked.problems {
        println!("problem: {problem}");
    }
    if let Some(manifest) = &checked.manifest {
        println!("what the bundle claims, unverified:");
        print_claims(manifest);
    }
}

/// What the manifest says was certified: verdict, implementation, target, operations, tool
/// and time span.
fn print_claims(m: &Manifest) {
    let complete = if m.verdict.complete {
        "complete".to_string()
    } else {
        format!("not complete: {}", m.verdict.why().unwrap_or_default())
    };
    println!("verdict          {} ({complete})", m.verdict.kind.label());
    let implementation = m
        .implementation
        .shown()
        .unwrap_or_else(|| "not named".into());
    println!("implementation   {implementation}");
    let embedded = if m.embedded {
        " (embedded reference implementation)"
    } else {
        ""
    };
    println!("target           {}{embedded}", m.target);
    for op in &m.operations {
        println!(
            "operation        {} {} {} (contract sha256 {})",
            op.name, op.method, op.path, op.sha256
        );
    }
    println!(
        "cases            {} run, {} failed",
        m.cases.run, m.cases.failed
    );
    println!(
        "tool             {} {} (binary sha256 {})",
        m.tool.name, m.tool.version, m.tool.binary_sha256
    );
    println!(
        "time             {} to {} ({} ms)",
        m.time.started, m.time.finished, m.time.duration_ms
    );
    println!(
        "signed by        {} key sha256 {}",
        m.signer.algorithm, m.signer.public_key_sha256
    );
}
