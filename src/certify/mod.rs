//! Certification bundles: the evidence of one `verify` run, in one folder a scheme owner can
//! check without rerunning anything, and the check itself ([`check`]).
//!
//! A bundle holds the contracts as checked (`contracts/`), every case's exchanges with secrets
//! redacted (`exchanges/`, see [`exchanges`]), the JSON report with every verdict, the coverage
//! and the scope (`report.json`), the Markdown and HTML certificates rendered from the same
//! results (`certificate.md`, `certificate.html`), and the [`manifest`] naming the tool, the
//! implementation, the operations, the time span and every file's SHA-256, signed with the
//! certifier's RSA key (`manifest.sig`). Keys never enter the bundle: the manifest names the
//! certifier's public key by fingerprint.
//!
//! Everything is written in a fixed order with fixed key order, so the same run gives the same
//! bytes apart from timestamps, durations, the signature, and what differs between runs by
//! nature (idempotency keys carry the run's nonce; targets mint identifiers).

pub(crate) mod check;
pub(crate) mod exchanges;
pub(crate) mod manifest;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::contract::suite::Entry;
use crate::report::{Reporter, html, json, markdown, output};
use crate::results::{CaseResult, RunInfo, Summary};
use crate::signing::PrivateKey;

use self::exchanges::ExchangeFiles;
use self::manifest::{
    Cases, FORMAT, MANIFEST, Manifest, Operation, SIGNATURE, Signer, TimeSpan, Tool, VERSION,
};

/// The JSON report's name in a bundle.
pub(crate) const REPORT: &str = "report.json";
/// The Markdown certificate's name in a bundle.
pub(crate) const CERTIFICATE_MD: &str = "certificate.md";
/// The HTML certificate's name in a bundle.
pub(crate) const CERTIFICATE_HTML: &str = "certificate.html";
/// The folder of the contracts as checked.
pub(crate) const CONTRACTS: &str = "contracts";

/// Makes `dir` ready to hold a bundle: created when absent; an existing folder must be empty,
/// since a file left from before would be signed as part of this run's evidence.
pub(crate) fn prepare(dir: &Path) -> Result<(), String> {
    match std::fs::read_dir(dir).map(|mut entries| entries.next().is_none()) {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!(
            "--certify `{}`: the folder is not empty; a bundle goes in a new or empty folder",
            dir.display()
        )),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| {
                format!(
                    "--certify `{}`: cannot create the folder: {e}",
                    dir.display()
                )
            })
        }
        Err(err) => Err(format!("--certify `{}`: {err}", dir.display())),
    }
}

/// SHA-256 of the executable running now, so a bundle names the exact build that made it.
pub(crate) fn binary_sha256() -> io::Result<String> {
    let exe = std::env::current_exe()?;
    Ok(manifest::sha256_hex(&std::fs::read(exe)?))
}

/// Writes a certification bundle as the run goes: a reporter for the verdicts and certificates,
/// with [`Bundle::evidence`] to hand the runner for the exchanges.
pub(crate) struct Bundle {
    dir: PathBuf,
    key: Arc<PrivateKey>,
    binary_sha256: String,
    operations: Vec<Operation>,
    exchanges: Arc<ExchangeFiles>,
    reports: Vec<Box<dyn Reporter>>,
    run: Option<RunInfo>,
}

impl Bundle {
    /// A bundle in `dir` (see [`prepare`]) of a run of `contracts`, signed with `key`.
    pub(crate) fn new(
        dir: &Path,
        contracts: &[Entry],
        key: Arc<PrivateKey>,
        binary: String,
    ) -> Self {
        let operations = contracts
            .iter()
            .map(|c| Operation {
                name: c.name.clone(),
                method: c.method.clone(),
                path: c.path.clone(),
                contract: format!("{CONTRACTS}/{}", exchanges::file_name(&c.name)),
                source: c.file.display().to_string(),
                sha256: c.sha256.clone(),
            })
            .collect();
        let reports: Vec<Box<dyn Reporter>> = vec![
            Box::new(json::JsonReport::new(&dir.join(REPORT))),
            Box::new(markdown::MarkdownReport::new(&dir.join(CERTIFICATE_MD))),
            Box::new(html::HtmlReport::new(&dir.join(CERTIFICATE_HTML))),
        ];
        Bundle {
            dir: dir.to_path_buf(),
            key,
            binary_sha256: binary,
            operations,
            exchanges: Arc::new(ExchangeFiles::new(dir)),
            reports,
            run: None,
        }
    }

    /// Where the runner sends every case's exchanges.
    pub(crate) fn evidence(&self) -> Arc<ExchangeFiles> {
        Arc::clone(&self.exchanges)
    }

    /// Copies each contract as checked, refusing one that changed since it was loaded.
    fn copy_contracts(&self) -> io::Result<()> {
        std::fs::create_dir_all(self.dir.join(CONTRACTS))?;
        for operation in &self.operations {
            let bytes = std::fs::read(&operation.source)?;
            if manifest::sha256_hex(&bytes) != operation.sha256 {
                return Err(io::Error::other(format!(
                    "contract `{}` changed on disk during the run",
                    operation.source
                )));
            }
            std::fs::write(self.dir.join(&operation.contract), bytes)?;
        }
        Ok(())
    }

    fn manifest(&self, run: &RunInfo, summary: &Summary) -> io::Result<Manifest> {
        let paths = manifest::files(&self.dir)?;
        Ok(Manifest {
            format: FORMAT.into(),
            version: VERSION,
            tool: Tool {
                name: "conform".into(),
                version: run.tool_version.clone(),
                binary_sha256: self.binary_sha256.clone(),
            },
            implementation: run.implementation.clone(),
            target: output::shown_target(&run.target),
            embedded: run.embedded,
            operations: self.operations.clone(),
            scope: run.scope.clone(),
            time: TimeSpan {
                started: run.started.clone(),
                finished: jiff::Timestamp::now().to_string(),
                duration_ms: summary.duration.as_millis() as u64,
            },
            verdict: summary.verdict.clone(),
            cases: Cases {
                run: summary.cases,
                failed: summary.failed_cases,
            },
            signer: Signer {
                algorithm: crate::signing::ALGORITHM.into(),
                public_key_sha256: self.key.public_key().fingerprint(),
            },
            files: manifest::entries(&self.dir, &paths)?,
        })
    }
}

impl Reporter for Bundle {
    fn start(&mut self, info: &RunInfo) -> io::Result<()> {
        self.copy_contracts()?;
        self.run = Some(info.clone());
        self.reports.iter_mut().try_for_each(|r| r.start(info))
    }

    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        self.reports.iter_mut().try_for_each(|r| r.case(result))
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.reports
            .iter_mut()
            .try_for_each(|r| r.finish(summary))?;
        if let Some(error) = self.exchanges.error() {
            return Err(io::Error::other(format!("exchanges not written: {error}")));
        }
        let run = self
            .run
            .take()
            .ok_or_else(|| io::Error::other("bundle not started"))?;
        let manifest = self.manifest(&run, summary)?.to_bytes();
        let signature = crate::signing::signature_header(&self.key, "1", &manifest);
        std::fs::write(self.dir.join(MANIFEST), &manifest)?;
        std::fs::write(self.dir.join(SIGNATURE), format!("{signature}\n"))
    }
}
