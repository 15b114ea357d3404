//! Why a command stopped, by kind, each kind with its exit code (the README's "Exit codes"):
//! invalid input is 2 (nothing was checked), conform itself failing is 4 (the verdict cannot be
//! trusted). Failed checks are not errors (exit 1), and a report that could not be written is
//! accounted for by the run that wrote the others (exit 3).
//!
//! Library errors arrive typed and keep their own messages; only this module decides what each
//! means for the exit code.

use std::io;

use crate::baseline::BaselineError;
use crate::contract::ContractErrors;
use crate::exit;
use crate::merge::{Refused, RenderError};
use crate::reference::ServeError;
use crate::run::RunError;
use crate::target::profile::ProfileError;
use crate::target::tls::TlsError;

/// An error that stops a command.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// Contract files that do not load, every problem rendered rustc-style.
    #[error("{}", .0.render())]
    Contracts(ContractErrors),
    /// A flag, filter, baseline, snapshot folder or combination of them that cannot be used.
    #[error("error: {0}")]
    Usage(String),
    /// A target profile or key that cannot be used.
    #[error("error: {0}")]
    Profile(#[from] ProfileError),
    /// A `--baseline` file that cannot be read.
    #[error("error: {0}")]
    Baseline(#[from] BaselineError),
    /// TLS files or settings that cannot be used (certificates, keys, CAs).
    #[error("error: {0}")]
    Tls(#[from] TlsError),
    /// The run could not start or go on.
    #[error("error: {0}")]
    Run(#[from] RunError),
    /// `serve` could not start its server.
    #[error("error: {0}")]
    Serve(#[from] ServeError),
    /// Reports `merge` will not combine: not the shards of one run, or not conform JSON
    /// reports of this version. One line per problem.
    #[error("error: {}", .0.problems.join("\nerror: "))]
    Refused(#[from] Refused),
    /// A merge that failed while rendering: a report changed while it was read, or the console
    /// could not be written.
    #[error("error: {0}")]
    Merge(#[from] RenderError),
    /// Reading or writing outside the reports failed: standard output, the snapshot folder, a
    /// file given to `sign`.
    #[error("error: {what}: {source}")]
    Io {
        /// What was being read or written.
        what: String,
        /// Why it failed.
        source: io::Error,
    },
}

impl CliError {
    /// A usage error with this message (without the `error: ` prefix).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }

    /// An I/O error while doing `what`.
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let what = what.into();
        move |source| CliError::Io { what, source }
    }

    /// The exit code this error earns.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Contracts(_)
            | CliError::Usage(_)
            | CliError::Profile(_)
            | CliError::Baseline(_)
            | CliError::Tls(_)
            | CliError::Refused(_) => exit::USAGE,
            CliError::Run(err) => err.exit_code(),
            CliError::Serve(ServeError::NoSignatureRejection(_)) => exit::USAGE,
            CliError::Serve(_) | CliError::Io { .. } | CliError::Merge(_) => exit::INTERNAL,
        }
    }
}

impl From<ContractErrors> for CliError {
    fn from(errors: ContractErrors) -> Self {
        CliError::Contracts(errors)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::target::TargetError;

    #[test]
    fn invalid_input_is_2_and_conform_failing_is_4() {
        let target = TargetError {
            url: "ftp://x".into(),
            reason: "no".into(),
        };
        let usage = [
            CliError::usage("--timeout: `ten` is not a duration"),
            CliError::Contracts(ContractErrors(Vec::new())),
            CliError::Run(RunError::Target(target)),
            CliError::Serve(ServeError::NoSignatureRejection("op".into())),
            CliError::Baseline(BaselineError {
                path: PathBuf::from("b.json"),
                reason: "not JSON".into(),
            }),
            CliError::Refused(Refused {
                problems: vec!["shard 2/3 is missing".into()],
            }),
        ];
        for err in usage {
            assert_eq!(err.exit_code(), exit::USAGE, "{err}");
        }
        let bind = ServeError::Bind {
            address: "127.0.0.1:1".into(),
            source: io::Error::from(io::ErrorKind::AddrInUse),
        };
        let internal = [
            CliError::Serve(bind),
            CliError::io("cannot write to standard output")(io::ErrorKind::BrokenPipe.into()),
            CliError::Run(RunError::Report(io::ErrorKind::Other.into())),
            CliError::Merge(RenderError::Reread("`a.json` changed".into())),
        ];
        for err in internal {
            assert_eq!(err.exit_code(), exit::INTERNAL, "{err}");
        }
    }

    #[test]
    fn messages_keep_the_library_error_and_say_what_failed() {
        let err = CliError::io("cannot write to standard output")(io::ErrorKind::BrokenPipe.into());
        assert_eq!(
            err.to_string(),
            "error: cannot write to standard output: broken pipe"
        );
    }
}
