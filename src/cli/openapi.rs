//! `conform import openapi` and `conform export openapi`.

use super::CliError;
use super::args::{ExportOpenApiArgs, ImportOpenApiArgs};
use crate::exit;
use crate::openapi;

pub(super) fn import(args: ImportOpenApiArgs) -> Result<u8, CliError> {
    let import = openapi::import(&args.file).map_err(|e| CliError::usage(e.to_string()))?;
    for line in import.report.console_lines() {
        println!("{line}");
    }
    let count = import.contracts.len();
    let summary = import.report.summary();
    if args.strict && import.report.has_strict_errors() {
        return Err(CliError::usage(format!(
            "--strict: the import has items that are not mapped or guessed ({summary}); nothing was written"
        )));
    }
    match openapi::write(&import, &args.out) {
        Ok(_) => {
            println!(
                "{count} contract{} imported from {} (OpenAPI {}) into {}: {summary}",
                if count == 1 { "" } else { "s" },
                import.document,
                import.version,
                args.out.display()
            );
            let dir = args.out.display();
            println!("report written to {dir}/import-report.md and {dir}/import-report.jsonl");
            Ok(exit::SUCCESS)
        }
        Err((path, err)) => {
            eprintln!("error: cannot write {}: {err}", path.display());
            Ok(exit::REPORT_NOT_WRITTEN)
        }
    }
}

pub(super) fn export(args: ExportOpenApiArgs) -> Result<u8, CliError> {
    let contracts = super::commands::load(&args.paths)?;
    let document =
        openapi::export::export(&contracts).map_err(|e| CliError::usage(e.to_string()))?;
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    match &args.out {
        None => {
            print!("{text}");
            Ok(exit::SUCCESS)
        }
        Some(path) => match crate::atomic::write(path, text.as_bytes()) {
            Ok(()) => {
                eprintln!(
                    "OpenAPI 3.1 document of {} contract{} written to {}",
                    contracts.len(),
                    if contracts.len() == 1 { "" } else { "s" },
                    path.display()
                );
                Ok(exit::SUCCESS)
            }
            Err(err) => {
                eprintln!("error: cannot write {}: {err}", path.display());
                Ok(exit::REPORT_NOT_WRITTEN)
            }
        },
    }
}
