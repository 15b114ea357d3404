//! `verify`'s gates: the checks that keep a CI gate from going green by mistake (a mistyped
//! baseline path, a snapshot folder with nothing to compare), and the account of what the run
//! wrote, with the exit code a report that could not be written earns.

use std::path::{Path, PathBuf};

use super::CliError;
use crate::baseline::{Baseline, BaselineRecorder};
use crate::contract::suite::Suite;
use crate::exit;
use crate::plan::Selection;
use crate::report::{FileReport, Reporters};
use crate::results::Summary;
use crate::run::RunOptions;
use crate::snapshot::{self, Mode};

/// The value of the `CI` environment variable.
pub(super) fn ci_value() -> Option<String> {
    std::env::var("CI").ok()
}

/// Applies `--baseline FILE` (`path`): loads the file, or arranges for this run's failures to be
/// recorded to it (returning its path too). Under CI a missing file is an error unless
/// `--update-baseline` (`update`) says to record it: recording there would turn every failure
/// into a known one and pass.
pub(super) fn baseline(
    path: Option<&Path>,
    update: bool,
    reporters: &mut Reporters,
) -> Result<(Option<Baseline>, Option<PathBuf>), CliError> {
    let Some(path) = path else {
        return Ok((None, None));
    };
    if !update && path.exists() {
        return Ok((Some(Baseline::load(path)?), None));
    }
    if !update && snapshot::ci_is_set(ci_value().as_deref()) {
        return Err(CliError::usage(format!(
            "baseline `{}` does not exist, and CI is set: recording a new baseline here \
             would let every failure pass.\n  help: commit the baseline file, correct the path, \
             or pass --update-baseline to record it on purpose",
            path.display()
        )));
    }
    let recorder = Box::new(BaselineRecorder::new(path));
    reporters
        .files
        .push(FileReport::new("baseline", path, recorder));
    Ok((Some(Baseline::recording(path)), Some(path.to_path_buf())))
}

/// The account of a finished run (or merge): why it stopped sending, if it did, where each file
/// went, and whether conform itself failed; then its exit code. Conform failing wins (the
/// verdict cannot be trusted), then a report not written, then a recording run passes (every
/// failure of the run is now known), then the checks decide.
pub(super) fn conclude(reporters: &Reporters, recording: Option<&Path>, summary: &Summary) -> u8 {
    if let Some(stopped) = &summary.stopped {
        println!("{stopped} (--give-up-after 0 keeps sending)");
    }
    let all_written = say_where_files_went(reporters, recording, summary);
    if !summary.crashed.is_empty() {
        eprintln!(
            "error: conform itself failed while running {}; the verdict cannot be trusted",
            summary.crashed.join(", ")
        );
        exit::INTERNAL
    } else if !all_written {
        exit::REPORT_NOT_WRITTEN
    } else if recording.is_some() || summary.success() {
        exit::SUCCESS
    } else {
        exit::CHECKS_FAILED
    }
}

/// In `check` mode, a run where no selected case has a snapshot would compare nothing and pass:
/// almost always a wrong `--snapshot-dir` or snapshots never committed. That is an error; a
/// partial set is not (the missing ones are reported as skipped).
pub(super) fn snapshots_to_check(options: &RunOptions, suite: &Suite) -> Result<(), CliError> {
    let Some(snapshots) = options.snapshots.as_ref().filter(|s| s.mode == Mode::Check) else {
        return Ok(());
    };
    let selection = Selection {
        filter: options.filter.clone(),
        exclude: options.exclude.clone(),
        partition: options.partition,
    };
    let (mut cases, mut recorded) = (0, false);
    let auth = crate::plan::Auth::default();
    crate::plan::each_batch_selected(
        suite,
        &options.scenarios,
        &auth,
        &selection,
        |_, planned| {
            if recorded {
                return Ok(());
            }
            let names = planned.flat_map(|case| crate::plan::snapshot_names(&case));
            match snapshot::none_recorded(&snapshots.root, names) {
                Some(looked) => cases += looked,
                None => recorded = true,
            }
            Ok::<_, CliError>(())
        },
    )?;
    if recorded {
        return Ok(());
    }
    Err(CliError::usage(format!(
        "no snapshot recorded in `{}` for any of the {cases} case{} to check \
         (snapshot mode check{}): nothing would be compared.\n  help: point --snapshot-dir at the \
         folder that holds the snapshots, or record them with a run outside CI \
         (--snapshots new) and commit them",
        snapshots.root.display(),
        if cases == 1 { "" } else { "s" },
        if snapshot::ci_is_set(ci_value().as_deref()) {
            ", the default when CI is set"
        } else {
            ""
        }
    )))
}

/// A `--require-coverage` list naming an item no contract declares would gate on nothing (a
/// typo): an error before anything is sent.
pub(super) fn coverage_names(options: &RunOptions, suite: &Suite) -> Result<(), CliError> {
    if options.require_coverage.is_empty() {
        return Ok(());
    }
    let mut declared = Vec::new();
    suite.each_batch(|contracts| {
        declared.extend(crate::results::observed::declared_coverage(contracts));
        Ok::<_, CliError>(())
    })?;
    match options
        .require_coverage
        .iter()
        .find_map(|r| r.undeclared(&declared))
    {
        Some(problem) => Err(CliError::usage(problem)),
        None => Ok(()),
    }
}

/// Says where each file of the run went (stdout) or why it was not written (stderr); true when
/// every file was written.
pub(super) fn say_where_files_went(
    reporters: &Reporters,
    recording: Option<&Path>,
    summary: &Summary,
) -> bool {
    let mut all_written = true;
    // A report on standard output has it to itself: these lines go where the console went.
    let to_stdout = reporters
        .files
        .iter()
        .any(|file| super::commands::is_stdout(&file.path));
    let say = |line: String| match to_stdout {
        true => eprintln!("{line}"),
        false => println!("{line}"),
    };
    for file in &reporters.files {
        match file.error() {
            None if recording == Some(file.path.as_path()) => {
                let n = summary.failed;
                say(format!(
                    "baseline: {n} known failure{} recorded in {}",
                    if n == 1 { "" } else { "s" },
                    file.path.display()
                ));
            }
            None => say(format!("{} written to {}", file.what, file.path.display())),
            Some(error) => {
                all_written = false;
                eprintln!("{}", not_written(file, error));
            }
        }
    }
    all_written
}

fn not_written(file: &FileReport, error: &std::io::Error) -> String {
    let reason = error.to_string();
    let prefix = format!("{}: ", file.path.display());
    let reason = reason.strip_prefix(&prefix).unwrap_or(&reason);
    format!(
        "error: {} not written to `{}`: {reason}",
        file.what,
        file.path.display()
    )
}
