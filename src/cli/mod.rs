//! Command-line interface: clap definitions and one function per subcommand. Arguments are
//! turned into library options here; the library never sees clap types.

mod args;
mod commands;
mod gates;
mod keys;
mod merge;
mod sign;
mod snapshots;

pub use args::Cli;

use std::fmt;

/// An error that stops a command before or instead of checking anything (exit code 2).
#[derive(Debug)]
pub struct CliError(pub String);

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for CliError {
    fn from(err: E) -> Self {
        CliError(format!("error: {err}"))
    }
}

/// Runs the chosen subcommand and returns its exit code.
pub fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        args::Command::Verify(args) => commands::verify(*args),
        args::Command::Lint(args) => commands::lint(args),
        args::Command::Serve(args) => commands::serve(args),
        args::Command::Schema(args) => commands::schema(args),
        args::Command::Cases(args) => commands::cases(args),
        args::Command::Snapshots(command) => snapshots::run(command),
        args::Command::Sign(args) => sign::sign(args),
        args::Command::Merge(args) => merge::merge(args),
    }
}
