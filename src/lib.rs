//! conform checks that an HTTP API implementation honours its contract.
//!
//! A contract is a JSON file describing one operation: its request and response fields with
//! their constraints, where the business result lives and which status/code/message
//! combinations are allowed, the idempotency key, examples and snapshot redactions. conform
//! reads contracts and checks an implementation, live over HTTP or the embedded reference
//! implementation built from the same contract.
//!
//! The pipeline, one module per stage, data flowing one way:
//!
//! 1. [`contract`]: files are read, located errors reported, and compiled into [`contract::Contract`]s;
//!    [`scenario`] files beside them are compiled against those contracts;
//! 2. [`plan`]: each contract becomes a deterministic list of named cases, then the flows its
//!    resources imply and one case per scenario;
//! 3. [`target`] / [`reference`]: cases are sent over HTTP, to a live URL or to the embedded
//!    reference implementation on loopback;
//! 4. [`observe`]: what was sent and what came back, every try and replay kept;
//! 5. [`check`]: the observations are judged; [`rules`] validates JSON against compiled schemas;
//! 6. [`results`]: outcomes as data, with the verdict;
//! 7. [`report`]: reporters render the results; [`run`] drives the whole thing (sending included).
//!
//! [`certify`] keeps a run's evidence as a signed bundle (contracts, exchanges, verdicts,
//! certificates) and checks such a bundle.
//!
//! [`merge`] reads the JSON reports of a run's shards back into the result model and renders
//! them as one run.
//!
//! [`traffic`] judges real traffic instead of planned cases, with the same checks and
//! reporters: the exchanges [`proxy`] forwards to an implementation, or the requests the
//! reference implementation answers (`serve --report`).
//!
//! [`signing`] (RSA256 message signatures) serves stages 3 and 4: targets sign what they send,
//! the reference implementation checks and signs, and the `signature` check verifies answers.
//!
//! ```
//! use std::path::PathBuf;
//!
//! let contracts = conform::contract::load_paths(&[PathBuf::from("contracts")]).expect("valid contracts");
//! let plan = conform::plan::plan(&contracts);
//! assert!(plan.cases.iter().any(|case| case.name == "issueCard/example/seed-sample"));
//!
//! let runtime = tokio::runtime::Runtime::new().unwrap();
//! let mut silent = conform::report::Reporters::default();
//! let summary = runtime
//!     .block_on(conform::run::run(contracts, conform::run::Target::Embedded, Default::default(), &mut silent))
//!     .expect("the run starts");
//! assert!(summary.success());
//! ```

pub mod atomic;
pub mod baseline;
pub mod certify;
pub mod check;
pub mod contract;
pub mod exit;
#[cfg(test)]
mod fuzz;
pub mod generate;
pub mod json;
pub mod merge;
pub mod observe;
pub mod openapi;
pub mod plan;
pub mod proxy;
pub mod reference;
pub mod report;
pub mod results;
pub mod rules;
pub mod run;
pub mod scenario;
pub mod signing;
pub mod snapshot;
pub mod target;
pub mod traffic;
pub mod units;
pub mod verify;
pub mod wire;
