//! Reviewing snapshot changes: listing pending `.snap.new` files with their diffs, accepting or
//! rejecting them, and finding snapshots whose case no longer exists.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use globset::GlobSet;
use similar::TextDiff;

use super::store::{self, PENDING_SUFFIX};

/// A pending snapshot waiting for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    /// The case that produced it.
    pub case: String,
    /// The snapshot it would replace (which may not exist yet).
    pub snapshot: PathBuf,
    /// The pending file itself.
    pub pending: PathBuf,
}

/// Every pending snapshot under `root` whose case matches `filter` (all when `None`).
pub(crate) fn pending(root: &Path, filter: Option<&GlobSet>) -> io::Result<Vec<Pending>> {
    let mut found = Vec::new();
    for path in store::files_ending(root, &format!(".snap{PENDING_SUFFIX}"))? {
        let text = std::fs::read_to_string(&path)?;
        let case = store::case_of(&text).unwrap_or_default().to_string();
        if filter.is_none_or(|f| f.is_match(&case)) {
            let snapshot = PathBuf::from(path.to_string_lossy().trim_end_matches(PENDING_SUFFIX));
            found.push(Pending {
                case,
                snapshot,
                pending: path,
            });
        }
    }
    Ok(found)
}

/// The unified diff from the recorded snapshot (or nothing) to the pending one.
pub(crate) fn diff(pending: &Pending) -> io::Result<String> {
    let old = store::read(&pending.snapshot)?.unwrap_or_default();
    let new = std::fs::read_to_string(&pending.pending)?;
    let (old, new) = (store::content_of(&old), store::content_of(&new));
    let label = if old.is_empty() {
        "(no snapshot yet)".to_string()
    } else {
        pending.snapshot.display().to_string()
    };
    Ok(TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&label, &pending.pending.display().to_string())
        .to_string())
}

/// Makes the pending snapshot the recorded one.
pub(crate) fn accept(pending: &Pending) -> io::Result<()> {
    std::fs::rename(&pending.pending, &pending.snapshot)
}

/// Throws the pending snapshot away.
pub(crate) fn reject(pending: &Pending) -> io::Result<()> {
    store::remove_if_present(&pending.pending)
}

/// Recorded snapshots (and pending ones) whose case is not among `cases`.
pub(crate) fn orphans(root: &Path, cases: &HashSet<String>) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for suffix in [".snap".to_string(), format!(".snap{PENDING_SUFFIX}")] {
        for path in store::files_ending(root, &suffix)? {
            let text = std::fs::read_to_string(&path)?;
            let known = store::case_of(&text).is_some_and(|case| cases.contains(case));
            if !known {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}
