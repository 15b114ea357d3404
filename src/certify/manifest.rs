//! The bundle's manifest: who and what was certified (implementation, target, operations and
//! the contracts' digests, scope, verdict), with which tool (version and its binary's digest),
//! when, and the SHA-256 of every other file of the bundle; and its signature, an RSA256
//! signature of the manifest's exact bytes in `manifest.sig`. Published as
//! `docs/certification-manifest.schema.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::results::{Implementation, Scope, Verdict};

/// The manifest's file name.
pub(crate) const MANIFEST: &str = "manifest.json";
/// The signature's file name.
pub(crate) const SIGNATURE: &str = "manifest.sig";
/// What the `format` key of a manifest says.
pub(crate) const FORMAT: &str = "conform-certification-bundle";
/// The manifest format version; bumped on any incompatible change.
pub(crate) const VERSION: u32 = 1;

/// The manifest of a certification bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The tool that ran the checks.
    pub tool: Tool,
    /// The implementation certified, as named on the command line or in the target profile.
    pub implementation: Implementation,
    /// The target's base URL (credentials shown as `***`).
    pub target: String,
    /// Whether the target was conform's embedded reference implementation.
    pub embedded: bool,
    /// The operations certified, one per contract, in run order.
    pub operations: Vec<Operation>,
    /// What the run was asked to cover.
    pub scope: Scope,
    /// When the run started and finished (RFC 3339), and its wall time.
    pub time: TimeSpan,
    /// The verdict.
    pub verdict: Verdict,
    /// Cases run, and cases with a failed check.
    pub cases: Cases,
    /// The certifier's key that signs this manifest, by fingerprint (the key itself never
    /// enters the bundle).
    pub signer: Signer,
    /// Every file of the bundle but the manifest and its signature, sorted by path.
    pub files: Vec<FileEntry>,
}

/// The tool that ran the checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tool {
    /// `conform`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// SHA-256 of the executable that ran.
    pub binary_sha256: String,
}

/// One operation certified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Operation {
    /// The contract's name.
    pub name: String,
    /// HTTP method.
    pub method: String,
    /// Documented path.
    pub path: String,
    /// The contract as checked, inside the bundle (`contracts/issueCard.json`).
    pub contract: String,
    /// The contract file as the certifier named it.
    pub source: String,
    /// SHA-256 of the contract file.
    pub sha256: String,
}

/// When the run happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimeSpan {
    /// Start, RFC 3339.
    pub started: String,
    /// End, RFC 3339.
    pub finished: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

/// Case counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Cases {
    /// Cases run.
    pub run: usize,
    /// Cases with a failed check (known failures aside).
    pub failed: usize,
}

/// The key that signs the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Signer {
    /// `RSA256`: RSASSA-PKCS1-v1_5 with SHA-256, over the manifest's bytes.
    pub algorithm: String,
    /// SHA-256 of the public key (DER SubjectPublicKeyInfo), as `openssl pkey -pubin
    /// -outform DER | sha256sum` prints it.
    pub public_key_sha256: String,
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileEntry {
    /// Path inside the bundle, `/`-separated.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
}

impl Manifest {
    /// The manifest as written: pretty JSON, fields in a fixed order, a final newline.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every file under `root` but the manifest and its signature, as `/`-separated relative paths,
/// sorted; symbolic links and other non-files are listed too, so that they are refused.
pub(crate) fn files(root: &Path) -> std::io::Result<Vec<String>> {
    let mut found = Vec::new();
    walk(root, root, &mut found)?;
    found.retain(|p| p != MANIFEST && p != SIGNATURE);
    found.sort();
    Ok(found)
}

fn walk(root: &Path, dir: &Path, found: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(root, &path, found)?;
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(&path);
        let parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        found.push(parts.join("/"));
    }
    Ok(())
}

/// The entries of `paths` under `root`: their digests and sizes.
pub(crate) fn entries(root: &Path, paths: &[String]) -> std::io::Result<Vec<FileEntry>> {
    paths
        .iter()
        .map(|path| {
            let bytes = std::fs::read(root.join(path))?;
            Ok(FileEntry {
                path: path.clone(),
                sha256: sha256_hex(&bytes),
                bytes: bytes.len() as u64,
            })
        })
        .collect()
}
