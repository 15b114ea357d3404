//! Exit codes, in one place (documented in the README's "Exit codes" section).
//!
//! Each code names one kind of outcome, so a CI script can tell "the implementation broke the
//! contract" from "the invocation was wrong" from "the evidence was not written" from "conform
//! itself failed".

/// Every check passed (or, for `lint`, every contract is valid).
pub const SUCCESS: u8 = 0;
/// At least one check failed; an unreachable or timed-out target counts as a failed check.
pub const CHECKS_FAILED: u8 = 1;
/// Invalid input: a bad flag, contract, target profile, key or filter. Nothing was checked.
pub const USAGE: u8 = 2;
/// Everything was checked, but a report file could not be written (the others were).
pub const REPORT_NOT_WRITTEN: u8 = 3;
/// conform itself failed: a case crashed, the embedded target could not start, an I/O error
/// outside the reports. The verdict cannot be trusted.
pub const INTERNAL: u8 = 4;
