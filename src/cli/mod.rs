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

/// A command line clap refused (or `--help`, `--version`), printed as clap does, but without
/// the secrets a refused value may hold: a key pasted where a file was expected, or the value
/// of a credential header (`--header 'Authorization: Bearer ...'` shown as `Authorization: ***`).
/// Returns the exit code: 0 for help and version, 2 for usage errors.
pub(crate) fn usage_error(err: clap::Error) -> u8 {
    use clap::error::{ContextKind, ContextValue};
    if !err.use_stderr() {
        // `--help`, `--version`: nothing of the user's is echoed.
        let _ = err.print();
        return crate::exit::SUCCESS;
    }
    let mut text = err.render().to_string();
    let argument = err.get(ContextKind::InvalidArg).map(ToString::to_string);
    let credential =
        argument.is_some_and(|a| a.starts_with("--header") || a.starts_with("--credential"));
    if let (true, Some(ContextValue::String(value))) =
        (credential, err.get(ContextKind::InvalidValue))
    {
        let shown = match value.split_once(':') {
            Some((name, _)) => format!("{name}: ***"),
            None => "***".to_string(),
        };
        // As given, and as a plain rendering shows it (control characters left out).
        let printable: String = value.chars().filter(|c| !c.is_control()).collect();
        text = text
            .replace(value.as_str(), &shown)
            .replace(&printable, &shown);
    }
    eprint!("{}", crate::signing::hide_key_text(&text));
    crate::exit::USAGE
}

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
