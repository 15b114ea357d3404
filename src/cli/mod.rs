//! Command-line interface: clap definitions and one function per subcommand. Arguments are
//! turned into library options here; the library never sees clap types.

mod args;
mod certify;
mod commands;
mod error;
mod gates;
mod keys;
mod merge;
mod new;
mod openapi;
mod proxy_args;
mod sign;
mod snapshots;
mod traffic;

pub(crate) use args::Cli;
pub(crate) use error::CliError;

/// Runs the chosen subcommand and returns its exit code.
pub(crate) fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        args::Command::Verify(args) => commands::verify(*args),
        args::Command::Lint(args) => commands::lint(args),
        args::Command::Serve(args) => commands::serve(args),
        args::Command::Proxy(args) => traffic::proxy(*args),
        args::Command::Schema(args) => commands::schema(args),
        args::Command::Cases(args) => commands::cases(args),
        args::Command::Snapshots(command) => snapshots::run(command),
        args::Command::Sign(args) => sign::sign(args),
        args::Command::Import(args::ImportCommand::Openapi(args)) => openapi::import(args),
        args::Command::Export(args::ExportCommand::Openapi(args)) => openapi::export(args),
        args::Command::Merge(args) => merge::merge(args),
        args::Command::Certify(args::CertifyCommand::Verify(args)) => certify::verify(args),
        args::Command::New(args) => new::new(args),
    }
}
