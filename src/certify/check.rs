//! Checking a bundle as its receiver does: the manifest's signature with the certifier's public
//! key, then every file against the manifest's digests, refusing any file altered, missing or
//! added. Every problem is named, not only the first, so one look tells what was tampered with.

use std::path::Path;

use super::manifest::{self, FORMAT, MANIFEST, Manifest, SIGNATURE, VERSION};
use crate::signing::PublicKey;

/// A bundle that cannot be checked at all (not a bundle): nothing was verified.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unusable {
    /// The folder cannot be read.
    #[error("`{0}` is not a folder that can be read: {1}")]
    Folder(String, std::io::Error),
    /// No manifest.
    #[error("`{0}` holds no {MANIFEST}: it is not a conform certification bundle")]
    NoManifest(String),
}

/// What checking a bundle found.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The manifest, when it could be read (its claims are trustworthy only when `problems` is
    /// empty).
    pub manifest: Option<Manifest>,
    /// Every way the bundle differs from what was signed; empty: verified.
    pub problems: Vec<String>,
}

/// Checks the bundle in `dir` with the certifier's `key`.
pub(crate) fn check(dir: &Path, key: &PublicKey) -> Result<Checked, Unusable> {
    let shown = dir.display().to_string();
    if let Err(err) = std::fs::read_dir(dir) {
        return Err(Unusable::Folder(shown, err));
    }
    let bytes = std::fs::read(dir.join(MANIFEST)).map_err(|_| Unusable::NoManifest(shown))?;
    let mut problems = Vec::new();
    signature(dir, key, &bytes, &mut problems);
    let manifest = match serde_json::from_slice::<Manifest>(&bytes) {
        Ok(m) if m.format == FORMAT && m.version == VERSION => Some(m),
        Ok(m) => {
            problems.push(format!(
                "{MANIFEST} is format `{}` version {}, not {FORMAT} version {VERSION}",
                m.format, m.version
            ));
            None
        }
        Err(err) => {
            problems.push(format!("{MANIFEST} is not a bundle manifest: {err}"));
            None
        }
    };
    if let Some(manifest) = &manifest {
        files(dir, manifest, &mut problems);
    }
    Ok(Checked { manifest, problems })
}

fn signature(dir: &Path, key: &PublicKey, manifest: &[u8], problems: &mut Vec<String>) {
    let Ok(text) = std::fs::read_to_string(dir.join(SIGNATURE)) else {
        problems.push(format!(
            "{SIGNATURE} is missing: the manifest is not signed"
        ));
        return;
    };
    if crate::signing::verify(key, manifest, text.trim()).is_err() {
        problems.push(format!(
            "the signature in {SIGNATURE} does not verify with the public key given (sha256 {}): \
             the manifest was altered, or signed with another key",
            key.fingerprint()
        ));
    }
}

fn files(dir: &Path, manifest: &Manifest, problems: &mut Vec<String>) {
    let present = match manifest::files(dir) {
        Ok(present) => present,
        Err(err) => {
            problems.push(format!("the bundle's files cannot be listed: {err}"));
            return;
        }
    };
    for entry in &manifest.files {
        if !present.contains(&entry.path) {
            problems.push(format!("`{}` is missing", entry.path));
            continue;
        }
        match std::fs::read(dir.join(&entry.path)) {
            Ok(bytes) if manifest::sha256_hex(&bytes) == entry.sha256 => {}
            Ok(bytes) => problems.push(format!(
                "`{}` was altered: sha256 {}, the manifest says {}",
                entry.path,
                manifest::sha256_hex(&bytes),
                entry.sha256
            )),
            Err(err) => problems.push(format!("`{}` cannot be read: {err}", entry.path)),
        }
    }
    for path in present {
        if !manifest.files.iter().any(|e| e.path == path) {
            problems.push(format!("`{path}` was added: the manifest does not list it"));
        }
    }
    for operation in &manifest.operations {
        if !manifest.files.iter().any(|e| e.path == operation.contract) {
            problems.push(format!(
                "the contract of {} (`{}`) is not among the bundle's files",
                operation.name, operation.contract
            ));
        }
        let listed = manifest.files.iter().find(|e| e.path == operation.contract);
        if let Some(entry) = listed.filter(|e| e.sha256 != operation.sha256) {
            problems.push(format!(
                "`{}` is not the contract checked: sha256 {}, the run checked {}",
                entry.path, entry.sha256, operation.sha256
            ));
        }
    }
}
