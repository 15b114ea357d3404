//! conform checks that an HTTP API implementation honours its contract.
//!
//! A contract is a JSON file describing one operation: its request and response fields with
//! their constraints, where the business result lives and which status/code/message
//! combinations are allowed, the idempotency key, examples and snapshot redactions. conform
//! reads contracts and checks an implementation, live over HTTP or the embedded reference
//! implementation built from the same contract.
//!
//! # Using conform from Rust
//!
//! The public API is what a Rust test needs, and nothing more:
//!
//! - [`contract`]: [`contract::load_paths`] reads contract files into [`contract::Contract`]s,
//!   or refuses them with [`contract::ContractErrors`], each error with its file, line and
//!   column;
//! - [`verify`]: [`verify::Verify`] runs contracts against a base URL or the embedded reference
//!   implementation and returns [`verify::Verified`], every case's results;
//! - [`results`]: those results: per case ([`results::CaseResult`]) the outcome of each check
//!   ([`results::CheckResult`]) with its findings ([`results::Finding`]), and the run's
//!   [`results::Summary`] with its [`results::Verdict`];
//! - [`reference`](mod@reference): [`reference::ReferenceServer`] serves the reference implementation on a free
//!   loopback port, for testing a client;
//! - [`signing`]: the keys and signatures of the message-signing protocol, for a signed target
//!   or a client that signs;
//! - [`exit`]: the command line's exit codes;
//! - [`command_line`]: the command line itself, as the `conform` binary runs it.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use conform::verify::Verify;
//!
//! // Against your implementation: `.target("http://127.0.0.1:8080")`.
//! let verified = Verify::load(&["contracts/platform/issue-card.json"])
//!     .expect("valid contracts")
//!     .filter(&["issueCard/example/*"])
//!     .expect("valid globs")
//!     .run()
//!     .await
//!     .expect("the run starts");
//! verified.assert_passed();
//! assert!(verified.case("issueCard/example/seed-sample").is_some());
//! # });
//! ```
//!
//! Types that will grow (results, errors, options) are `#[non_exhaustive]`; options are set
//! through builder methods, never public fields.
//!
//! # Inside
//!
//! Everything else is private to the crate (`pub(crate)`), so it can change without breaking
//! callers; the `unreachable_pub` and `missing_docs` lints keep the surface deliberate and
//! documented. The command line lives inside the library too (module `cli`), because it drives
//! those internals; the binary only calls [`command_line`]. The pipeline, one module per
//! stage, data flowing one way:
//!
//! 1. `contract`: files are read, located errors reported, and compiled into contracts;
//!    `scenario` files beside them are compiled against those contracts;
//! 2. `plan`: each contract becomes a deterministic list of named cases, then the flows its
//!    resources imply and one case per scenario;
//! 3. `target` / `reference`: cases are sent over HTTP, to a live URL or to the embedded
//!    reference implementation on loopback;
//! 4. `observe`: what was sent and what came back, every try and replay kept;
//! 5. `check`: the observations are judged; `rules` validates JSON against compiled schemas;
//! 6. `results`: outcomes as data, with the verdict;
//! 7. `report`: reporters render the results; `run` drives the whole thing (sending included).
//!
//! `certify` keeps a run's evidence as a signed bundle (contracts, exchanges, verdicts,
//! certificates) and checks such a bundle. `merge` reads the JSON reports of a run's shards
//! back into the result model and renders them as one run. `traffic` judges real traffic
//! instead of planned cases, with the same checks and reporters: the exchanges `proxy`
//! forwards to an implementation, or the requests the reference implementation answers
//! (`serve --report`). `signing` (RSA256 message signatures) serves stages 3 and 4: targets
//! sign what they send, the reference implementation checks and signs, and the `signature`
//! check verifies answers.

pub(crate) mod atomic;
pub(crate) mod baseline;
pub(crate) mod certify;
pub(crate) mod check;
mod cli;
pub mod contract;
pub mod exit;
#[cfg(test)]
mod fuzz;
pub(crate) mod generate;
pub(crate) mod input;
pub(crate) mod json;
pub(crate) mod merge;
pub(crate) mod observe;
pub(crate) mod openapi;
pub(crate) mod plan;
pub(crate) mod proxy;
pub mod reference;
pub(crate) mod report;
pub mod results;
pub(crate) mod rules;
pub(crate) mod run;
pub(crate) mod scenario;
pub mod signing;
pub(crate) mod snapshot;
pub(crate) mod target;
pub(crate) mod traffic;
pub(crate) mod units;
pub mod verify;
pub(crate) mod wire;

/// The conform command line, as the binary runs it: parses `args` (the program name first),
/// runs the subcommand, prints any error and returns the exit code (one of [`exit`]'s).
///
/// Help, version and argument errors are printed by the parser, which then exits the process
/// as the binary does. The code is a number rather than a [`std::process::ExitCode`] so that
/// the binary can end its process the moment the work is done (see `src/main.rs`).
pub fn command_line(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    use clap::Parser;
    let parsed = match cli::Cli::try_parse_from(args) {
        Ok(parsed) => parsed,
        Err(err) => return cli::usage_error(err),
    };
    match cli::run(parsed) {
        Ok(code) => code,
        Err(err) => {
            // A key pasted where a path or a variable's name was expected is not repeated.
            eprintln!("{}", signing::hide_key_text(&err.to_string()));
            err.exit_code()
        }
    }
}
