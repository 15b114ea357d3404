//! `conform snapshots review|accept|reject|prune`: the review side of snapshot testing.

use std::collections::HashSet;
use std::io::{BufRead, IsTerminal, Write};

use owo_colors::OwoColorize;

use super::CliError;
use super::args::{PruneArgs, SnapshotFilterArgs, SnapshotsCommand};
use conform::exit;
use conform::snapshot::review::{self, Pending};

pub fn run(command: SnapshotsCommand) -> Result<u8, CliError> {
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
    for (i, item) in pending.iter().enumerate() {
        let diff = review::diff(item).map_err(unreadable(&item.pending))?;
        writeln!(out, "\n{} ({}/{})", item.case.bold(), i + 1, pending.len())
            .and_then(|()| write_diff(&mut out, &diff))
            .map_err(console())?;
        match ask(&mut out).map_err(console())? {
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
    let [accepted, rejected, skipped] = tally;
    let summary = format!("\n{accepted} accepted, {rejected} rejected, {skipped} skipped");
    writeln!(out, "{summary}").map_err(console())?;
    Ok(exit::SUCCESS)
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

fn ask(out: &mut impl Write) -> std::io::Result<Choice> {
    let stdin = std::io::stdin();
    loop {
        write!(out, "accept (a), reject (r), skip (s), quit (q)? ")?;
        out.flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            return Ok(Choice::Quit);
        }
        match line.trim() {
            "a" | "accept" => return Ok(Choice::Accept),
            "r" | "reject" => return Ok(Choice::Reject),
            "s" | "skip" => return Ok(Choice::Skip),
            "q" | "quit" => return Ok(Choice::Quit),
            _ => {}
        }
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
    let pending = review::pending(root, filter.as_ref()).map_err(unreadable(root))?;
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

/// Lists (and with `--delete` removes) snapshots whose case is no longer planned.
fn prune(args: &PruneArgs) -> Result<u8, CliError> {
    let contracts = super::commands::load(&args.paths)?;
    let scenarios = super::commands::load_scenarios(&args.paths, &contracts)?;
    let cases: HashSet<String> = conform::plan::stream_with(&contracts, &scenarios)
        .flat_map(|case| conform::plan::snapshot_names(&case))
        .collect();
    let root = &args.dir.snapshot_dir;
    let orphans = review::orphans(root, &cases).map_err(unreadable(root))?;
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
