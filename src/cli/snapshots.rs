//! `conform snapshots review|accept|reject|prune`: the review side of snapshot testing.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};

use owo_colors::OwoColorize;

use super::CliError;
use super::args::{PruneArgs, SnapshotFilterArgs, SnapshotsCommand};
use crate::exit;
use crate::snapshot::review::{self, Pending};

pub(super) fn run(command: SnapshotsCommand) -> Result<u8, CliError> {
    match command {
        SnapshotsCommand::Review(args) => review_all(&args.snapshot_dir),
        SnapshotsCommand::Accept(args) => decide(&args, "accepted", review::accept),
        SnapshotsCommand::Reject(args) => decide(&args, "rejected", review::reject),
        SnapshotsCommand::Prune(args) => prune(&args),
    }
}

/// Shows each pending diff and asks; needs a terminal on standard input.
fn review_all(root: &std::path::Path) -> Result<u8, CliError> {
    let pending = review::pending(root, None).map_err(unreadable(root))?;
    if pending.is_empty() {
        println!("no pending snapshots in {}", root.display());
        return Ok(exit::SUCCESS);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "`snapshots review` asks questions and needs a terminal; use `conform snapshots accept` or `reject` instead",
        ));
    }
    let mut out = anstream::stdout();
    let mut tally = [0usize; 3];
    let console = || CliError::io("cannot talk to the terminal");
    let term = console::Term::stdout();
    let mut key = || term.read_char();
    for (i, item) in pending.iter().enumerate() {
        let diff = review::diff(item).map_err(unreadable(&item.pending))?;
        writeln!(out, "\n{} ({}/{})", item.case.bold(), i + 1, pending.len())
            .and_then(|()| write_diff(&mut out, &diff))
            .map_err(console())?;
        match ask(&mut out, &mut key).map_err(console())? {
            Choice::Accept => {
                review::accept(item).map_err(unwritable(&item.pending))?;
                tally[0] += 1;
            }
            Choice::Reject => {
                review::reject(item).map_err(unwritable(&item.pending))?;
                tally[1] += 1;
            }
            Choice::Skip => tally[2] += 1,
            Choice::Quit => break,
        }
    }
    writeln!(out, "\n{}", summary(tally, pending.len(), root)).map_err(console())?;
    Ok(exit::SUCCESS)
}

/// What a review did, and what is still pending (skipped, or left when it was quit).
fn summary(tally: [usize; 3], total: usize, root: &std::path::Path) -> String {
    let [accepted, rejected, skipped] = tally;
    let left = total - accepted - rejected;
    let mut text = format!("{accepted} accepted, {rejected} rejected, {skipped} skipped");
    if left > 0 {
        let unseen = left - skipped;
        let unseen = if unseen > 0 {
            format!(", {unseen} not shown")
        } else {
            String::new()
        };
        text.push_str(&format!(
            "; {left} still pending{unseen} in {} (`conform snapshots review` again, or `accept`/`reject` FILTER)",
            root.display()
        ));
    }
    text
}

/// An error reading the snapshots at `path`.
fn unreadable(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CliError {
    CliError::io(format!("cannot read snapshots in {}", path.display()))
}

/// An error changing the snapshot files at `path`.
fn unwritable(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CliError {
    CliError::io(format!("cannot change snapshot {}", path.display()))
}

enum Choice {
    Accept,
    Reject,
    Skip,
    Quit,
}

const PROMPT: &str = "accept (a), reject (r), skip (s), quit (q)? ";

/// Asks for one key (no Enter needed); any other key is answered with the valid ones.
fn ask(
    out: &mut impl Write,
    key: &mut impl FnMut() -> std::io::Result<char>,
) -> std::io::Result<Choice> {
    write!(out, "{PROMPT}")?;
    loop {
        out.flush()?;
        let pressed = match key() {
            Ok(pressed) => pressed,
            // End of input (Ctrl-D) quits, keeping what was decided.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(Choice::Quit),
            Err(e) => return Err(e),
        };
        let choice = match pressed.to_ascii_lowercase() {
            'a' => Choice::Accept,
            'r' => Choice::Reject,
            's' => Choice::Skip,
            'q' | '\u{4}' => Choice::Quit,
            other => {
                let shown = if other.is_control() {
                    format!("{:?}", other)
                } else {
                    format!("`{other}`")
                };
                write!(
                    out,
                    "\n{shown} is not a choice: press a, r, s or q. {PROMPT}"
                )?;
                continue;
            }
        };
        writeln!(out, "{pressed}")?;
        return Ok(choice);
    }
}

fn write_diff(out: &mut impl Write, diff: &str) -> std::io::Result<()> {
    for line in diff.lines() {
        match line.chars().next() {
            Some('+') if !line.starts_with("+++") => writeln!(out, "{}", line.green())?,
            Some('-') if !line.starts_with("---") => writeln!(out, "{}", line.red())?,
            _ => writeln!(out, "{}", line.dimmed())?,
        }
    }
    Ok(())
}

/// Accepts or rejects every pending snapshot matching the filter.
fn decide(
    args: &SnapshotFilterArgs,
    verb: &str,
    action: fn(&Pending) -> std::io::Result<()>,
) -> Result<u8, CliError> {
    let filter = args
        .filter
        .as_deref()
        .map(super::commands::glob_set)
        .transpose()?;
    let root = &args.dir.snapshot_dir;
    folder_given(root)?;
    let pending = review::pending(root, filter.as_ref()).map_err(unreadable(root))?;
    // A pattern that matches nothing is most likely mistyped: said, as git says of a pathspec.
    if let (true, Some(text)) = (pending.is_empty(), &args.filter) {
        return Err(CliError::usage(format!(
            "no pending snapshot in {} matches `{text}` (`conform snapshots review` lists them)",
            root.display()
        )));
    }
    for item in &pending {
        action(item).map_err(unwritable(&item.pending))?;
        println!("{verb} {}", item.case);
    }
    println!(
        "{} snapshot{} {verb}",
        pending.len(),
        if pending.len() == 1 { "" } else { "s" }
    );
    Ok(exit::SUCCESS)
}

/// A `--snapshot-dir` that is not a folder: a usage error saying which it is.
fn folder_given(root: &std::path::Path) -> Result<(), CliError> {
    let what = match std::fs::metadata(root) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => "is not a folder",
        Err(_) => "does not exist",
    };
    Err(CliError::usage(format!(
        "snapshot folder {} {what} (--snapshot-dir)",
        root.display()
    )))
}

/// Lists (and with `--delete` removes) snapshots whose case is no longer planned.
fn prune(args: &PruneArgs) -> Result<u8, CliError> {
    folder_given(&args.dir.snapshot_dir)?;
    let contracts = super::commands::load(&args.paths)?;
    let scenarios = super::commands::load_scenarios(&args.paths, &contracts)?;
    let auth = crate::plan::Auth::default();
    let cases: HashSet<String> = crate::plan::stream_all(&contracts, &scenarios, auth)
        .flat_map(|case| crate::plan::snapshot_names(&case))
        .collect();
    let root = &args.dir.snapshot_dir;
    // Only the snapshots of the contracts given are judged: a folder of a contract not among
    // them (a command given one contract of a suite) is left alone, never deleted. A
    // resource's flows (`card/flow/...`) span several contracts, and given only some of them
    // the others' flows are not planned: their folder is judged only when the suite is given
    // as folders, not as single files.
    let whole = args.paths.paths.iter().all(|path| path.is_dir());
    let named: HashSet<&str> = contracts.iter().map(|c| c.name.as_str()).collect();
    let owners: HashSet<&str> = cases
        .iter()
        .filter_map(|name| name.split('/').next())
        .filter(|owner| whole || named.contains(owner))
        .collect();
    let owner = |path: &std::path::Path| {
        let relative = path.strip_prefix(root).unwrap_or(path);
        let first = relative.components().next();
        first
            .and_then(|c| c.as_os_str().to_str())
            .map(str::to_string)
    };
    let (orphans, others): (Vec<_>, Vec<_>) = review::orphans(root, &cases)
        .map_err(unreadable(root))?
        .into_iter()
        .partition(|path| owner(path).is_some_and(|o| owners.contains(o.as_str())));
    if !others.is_empty() {
        let mut folders: Vec<String> = others.iter().filter_map(|p| owner(p)).collect();
        folders.dedup();
        println!(
            "{} snapshot{} left alone: no contract given is named {} (a contract removed? delete its folder, or give it)",
            others.len(),
            if others.len() == 1 { "" } else { "s" },
            folders.join(", ")
        );
    }
    for path in &orphans {
        if args.delete {
            std::fs::remove_file(path).map_err(unwritable(path))?;
            println!("deleted {}", path.display());
        } else {
            println!("{}", path.display());
        }
    }
    let what = if args.delete {
        "deleted"
    } else {
        "orphaned (use --delete to remove)"
    };
    println!(
        "{} snapshot{} {what}",
        orphans.len(),
        if orphans.len() == 1 { "" } else { "s" }
    );
    Ok(exit::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(typed: &str) -> impl FnMut() -> std::io::Result<char> + '_ {
        let mut chars = typed.chars();
        move || {
            chars
                .next()
                .ok_or_else(|| std::io::ErrorKind::UnexpectedEof.into())
        }
    }

    #[test]
    fn one_key_decides_without_enter() {
        let mut out = Vec::new();
        let choice = ask(&mut out, &mut keys("r")).unwrap();
        assert!(matches!(choice, Choice::Reject));
        assert_eq!(String::from_utf8(out).unwrap(), format!("{PROMPT}r\n"));
    }

    #[test]
    fn another_key_is_answered_with_the_valid_ones() {
        let mut out = Vec::new();
        let choice = ask(&mut out, &mut keys("xA")).unwrap();
        assert!(matches!(choice, Choice::Accept));
        let shown = String::from_utf8(out).unwrap();
        assert!(
            shown.contains("`x` is not a choice: press a, r, s or q."),
            "{shown}"
        );
    }

    #[test]
    fn end_of_input_quits() {
        let choice = ask(&mut Vec::new(), &mut keys("")).unwrap();
        assert!(matches!(choice, Choice::Quit));
    }

    #[test]
    fn the_summary_counts_what_is_still_pending() {
        let root = std::path::Path::new("snapshots");
        assert_eq!(
            summary([2, 1, 0], 3, root),
            "2 accepted, 1 rejected, 0 skipped"
        );
        assert_eq!(
            summary([1, 1, 1], 5, root),
            "1 accepted, 1 rejected, 1 skipped; 3 still pending, 2 not shown in snapshots (`conform snapshots review` again, or `accept`/`reject` FILTER)"
        );
    }
}
