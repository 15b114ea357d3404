//! The `results` array of a JSON report turned back into [`CaseResult`]s: one entry per check,
//! a case starting at each entry that carries the case's `duration_ms`. Each entry is checked to
//! be one [`crate::report::json`] writes: its outcome and message agree (a pass says nothing, a
//! failure's message is its findings'), and a case's checks all name the case.

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::scan::{ScanError, Scanner, Undecoded};
use crate::results::{CaseResult, Check, CheckResult, Finding, Outcome, StepTrace};

/// One entry of `results`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry<'a> {
    #[serde(borrow)]
    contract: Cow<'a, str>,
    #[serde(borrow)]
    case: Cow<'a, str>,
    check: Check,
    outcome: Outcome,
    message: String,
    #[serde(default)]
    findings: Vec<Finding>,
    diff: Option<String>,
    #[serde(default)]
    known: bool,
    wrote: Option<PathBuf>,
    duration_ms: Option<f64>,
    #[serde(default)]
    steps: Vec<StepTrace>,
    clause: Option<crate::results::Clause>,
}

/// Reads cases from the `results` array a [`Scanner`] stands at.
#[derive(Default)]
pub(super) struct CaseReader {
    opened: bool,
    closed: bool,
    /// Entries read so far, for messages (`results[12]`).
    index: usize,
    buf: Vec<u8>,
    /// The case the last entry read began.
    next: Option<CaseResult>,
}

impl CaseReader {
    /// The next case, `None` after the last.
    pub(super) fn next_case(
        &mut self,
        scan: &mut Scanner,
    ) -> Result<Option<CaseResult>, ScanError> {
        if !self.opened {
            self.opened = true;
            scan.expect(b'[', "the results (`[`)")?;
            if scan.peek()? == Some(b']') {
                scan.expect(b']', "`]`")?;
                self.closed = true;
            }
        }
        let mut case = match self.next.take() {
            Some(case) => case,
            None if self.closed => return Ok(None),
            // With no case open, an entry begins one or is refused.
            None => match self.entry(scan, None)? {
                Some(case) => case,
                None => return Ok(None),
            },
        };
        while !self.closed {
            if let Some(next) = self.entry(scan, Some(&mut case))? {
                self.next = Some(next);
                break;
            }
        }
        Ok(Some(case))
    }

    /// Reads one entry: it either begins a new case (returned) or adds a check to `current`.
    fn entry(
        &mut self,
        scan: &mut Scanner,
        current: Option<&mut CaseResult>,
    ) -> Result<Option<CaseResult>, ScanError> {
        let index = self.index;
        self.index += 1;
        let open = current.as_deref();
        let read = scan.decode(&mut self.buf, |bytes| {
            decode(bytes, open).map_err(|e| match e {
                Undecoded::Invalid(message) => {
                    Undecoded::Invalid(format!("results[{index}]: {message}"))
                }
                incomplete => incomplete,
            })
        })?;
        self.closed = !scan.next_or_close(b']')?;
        Ok(match (read.begins, current) {
            (Some((contract, case, duration)), _) => Some(CaseResult {
                contract,
                case,
                checks: vec![read.check],
                duration,
                steps: read.steps,
            }),
            (None, Some(current)) => {
                current.checks.push(read.check);
                None
            }
            (None, None) => None,
        })
    }
}

/// An entry taken apart: the case it begins (contract, name, duration), if it begins one, and
/// its check.
struct Read {
    begins: Option<(String, String, Duration)>,
    check: CheckResult,
    /// The steps of the case it begins (a flow or scenario).
    steps: Vec<StepTrace>,
}

/// Decodes the entry at the start of `bytes`, which continue `current` (the case open, if any),
/// with the number of bytes it took.
fn decode(bytes: &[u8], current: Option<&CaseResult>) -> Result<(Read, usize), Undecoded> {
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Entry>();
    let entry = match stream.next() {
        Some(Ok(entry)) => entry,
        None => return Err(Undecoded::Incomplete),
        Some(Err(err)) if err.is_eof() => return Err(Undecoded::Incomplete),
        Some(Err(err)) => {
            return Err(Undecoded::Invalid(format!(
                "not a result of this version: {err}"
            )));
        }
    };
    let used = stream.byte_offset();
    let begun = begin(&entry, current).map_err(Undecoded::Invalid)?;
    // Names are copied only for a case's first check; the others are compared borrowed.
    let begins = begun.map(|d| (entry.contract.to_string(), entry.case.to_string(), d));
    if begins.is_none() && !entry.steps.is_empty() {
        return Err(Undecoded::Invalid(format!(
            "case {}: `steps` on a check other than the case's first",
            entry.case
        )));
    }
    let steps = entry.steps.clone();
    let check = check(entry).map_err(Undecoded::Invalid)?;
    Ok((
        Read {
            begins,
            check,
            steps,
        },
        used,
    ))
}

/// The duration of the case `entry` begins, or `None` when it continues `current`.
fn begin(entry: &Entry, current: Option<&CaseResult>) -> Result<Option<Duration>, String> {
    match (entry.duration_ms, current) {
        (Some(ms), _) if ms.is_finite() && ms >= 0.0 => {
            Ok(Some(Duration::from_micros((ms * 1000.0).round() as u64)))
        }
        (Some(ms), _) => Err(format!("`duration_ms` {ms} is not a duration")),
        (None, Some(current))
            if current.case == entry.case && current.contract == entry.contract =>
        {
            Ok(None)
        }
        (None, Some(current)) => Err(format!(
            "case {} has no `duration_ms` on its first check, yet follows case {}",
            entry.case, current.case
        )),
        (None, None) => Err(format!(
            "case {} has no `duration_ms` on its first check: the report was written by a \
             conform older than `conform merge`, or edited",
            entry.case
        )),
    }
}

/// The check an entry records, if its parts agree.
fn check(entry: Entry) -> Result<CheckResult, String> {
    let Entry {
        case,
        check,
        outcome,
        message,
        findings,
        diff,
        known,
        wrote,
        clause,
        ..
    } = entry;
    if known && outcome != Outcome::Fail {
        return Err(format!("case {case}: {check} is `known` but did not fail"));
    }
    let findings = match outcome {
        Outcome::Fail => {
            let joined: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
            if findings.is_empty() || joined.join("; ") != message {
                return Err(format!(
                    "case {case}: {check} failed, but its message is not its findings'"
                ));
            }
            findings
        }
        _ if !findings.is_empty() => {
            return Err(format!(
                "case {case}: {check} has findings but did not fail"
            ));
        }
        Outcome::Pass if !message.is_empty() => {
            return Err(format!("case {case}: {check} passed with a message"));
        }
        // A skip or a recording has only its reason, written as the message.
        _ if message.is_empty() => Vec::new(),
        _ => vec![Finding::message(message)],
    };
    Ok(CheckResult {
        check,
        outcome,
        findings,
        diff,
        known,
        wrote,
        clause,
    })
}
