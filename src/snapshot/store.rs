//! Snapshot files on disk: where a case's snapshot lives, its header, and safe writes.
//!
//! `snapshots/<contract>/<rest of the case name>.snap`, one folder per name segment, each
//! segment made safe for file systems. A file is a short `#` header saying which contract (and
//! its digest) and which case produced it, a `---` line, then the rendered response; only the
//! part after `---` is compared. Files are written with [`crate::atomic`], so an interrupted run
//! never leaves a half-written snapshot.

use std::io;
use std::path::{Path, PathBuf};

use crate::contract::Contract;

/// The line between a snapshot's header and its content.
const SEPARATOR: &str = "---\n";

/// Suffix of a pending snapshot waiting for review.
pub(crate) const PENDING_SUFFIX: &str = ".new";

/// The path of a case's snapshot under `root`.
pub(crate) fn path_for(root: &Path, case: &str) -> PathBuf {
    let mut path = root.to_path_buf();
    let segments: Vec<String> = case.split('/').map(safe_segment).collect();
    for (i, segment) in segments.iter().enumerate() {
        if i + 1 == segments.len() {
            path.push(format!("{segment}.snap"));
        } else {
            path.push(segment);
        }
    }
    path
}

/// The pending (`.snap.new`) file beside a snapshot.
pub(crate) fn pending_for(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.as_os_str().to_os_string();
    name.push(PENDING_SUFFIX);
    PathBuf::from(name)
}

/// Letters, digits, `.`, `_` and `-` are kept; anything else becomes `_`; names that a file
/// system treats specially (`.`, `..`, empty) are prefixed.
fn safe_segment(segment: &str) -> String {
    let safe = crate::plan::slug(segment);
    match safe.as_str() {
        "" | "." | ".." => format!("_{safe}"),
        _ => safe,
    }
}

/// A snapshot file's whole text: header, separator, content.
pub(crate) fn file_text(contract: &Contract, case: &str, content: &str) -> String {
    format!(
        "# conform snapshot: review changes with `conform snapshots review`\n\
         # contract: {} ({}, sha256 {})\n\
         # case: {case}\n{SEPARATOR}{content}",
        contract.name,
        contract.source.path.display(),
        contract.source.sha256
    )
}

/// The content part of a snapshot file (everything after the separator).
pub(crate) fn content_of(text: &str) -> &str {
    match text.find(&format!("\n{SEPARATOR}")) {
        Some(i) => &text[i + 1 + SEPARATOR.len()..],
        None => text,
    }
}

/// The case named in a snapshot file's header.
pub(crate) fn case_of(text: &str) -> Option<&str> {
    text.lines()
        .take_while(|line| line.starts_with('#'))
        .find_map(|line| line.strip_prefix("# case: "))
}

/// Reads a file, `None` when it does not exist.
pub(crate) fn read(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// Removes a file if it exists.
pub(crate) fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

/// Every file under `root` whose name ends with `suffix`, sorted.
pub(crate) fn files_ending(root: &Path, suffix: &str) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    if root.exists() {
        walk(root, suffix, &mut found)?;
    }
    found.sort();
    Ok(found)
}

fn walk(dir: &Path, suffix: &str, found: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, suffix, found)?;
        } else if path.to_string_lossy().ends_with(suffix) {
            found.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_names_map_to_nested_safe_paths() {
        let path = path_for(
            Path::new("snapshots"),
            "issueCard/negative/appId/forbidden-char-at",
        );
        assert_eq!(
            path,
            Path::new("snapshots/issueCard/negative/appId/forbidden-char-at.snap")
        );
        let odd = path_for(Path::new("s"), "op/example/a b:c/..");
        assert_eq!(odd, Path::new("s/op/example/a_b_c/_...snap"));
        assert_eq!(
            pending_for(&path),
            Path::new("snapshots/issueCard/negative/appId/forbidden-char-at.snap.new")
        );
    }

    #[test]
    fn header_and_content_are_split_at_the_separator() {
        let text = "# conform snapshot\n# case: op/example/x\n---\nHTTP 200\n\n{}\n";
        assert_eq!(content_of(text), "HTTP 200\n\n{}\n");
        assert_eq!(case_of(text), Some("op/example/x"));
    }
}
