//! `conform merge`: the shards' JSON reports combined into one run, rendered to the console and
//! to `--report` files, with a baseline applied to the whole and the exit code of the whole.

use super::CliError;
use super::args::MergeArgs;
use super::commands::reporters;
use super::gates;
use conform::exit;

pub fn merge(args: MergeArgs) -> Result<u8, CliError> {
    let mut reporters = reporters(&args.reports)?;
    let (baseline, recording) = gates::baseline(
        args.baseline.as_deref(),
        args.update_baseline,
        &mut reporters,
    )?;
    let merge = conform::merge::read(&args.inputs, baseline.is_some()).map_err(|refused| {
        let lines: Vec<String> = refused
            .problems
            .iter()
            .map(|problem| format!("error: {problem}"))
            .collect();
        CliError(lines.join("\n"))
    })?;
    let summary = match merge.render(baseline.as_ref(), &mut reporters) {
        Ok(summary) => summary,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(exit::INTERNAL);
        }
    };
    let all_written = gates::say_where_files_went(&reporters, recording.as_deref(), &summary);
    Ok(gates::exit_code(all_written, recording.is_some(), &summary))
}
