//! Exit codes, in one place (documented in the README).

/// Every check passed (or, for `lint`, every contract is valid).
pub const SUCCESS: u8 = 0;
/// At least one check failed; an unreachable or timed-out target counts as a failed check.
pub const CHECKS_FAILED: u8 = 1;
/// Invalid invocation or invalid contract: nothing was checked.
pub const USAGE: u8 = 2;
