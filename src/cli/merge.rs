//! `conform merge`: the shards' JSON reports combined into one run, rendered to the console and
//! to `--report` files, with a baseline applied to the whole and the exit code of the whole.

use super::CliError;
use super::args::MergeArgs;
use super::commands::reporters;
use super::gates;

pub(super) fn merge(args: MergeArgs) -> Result<u8, CliError> {
    let mut reporters = reporters(&args.reports)?;
    let (baseline, recording) = gates::baseline(
        args.baseline.as_deref(),
        args.update_baseline,
        &mut reporters,
    )?;
    let merge = crate::merge::read(&args.inputs, baseline.is_some())?;
    let summary = merge.render(baseline.as_ref(), &mut reporters)?;
    Ok(gates::conclude(&reporters, recording.as_deref(), &summary))
}
