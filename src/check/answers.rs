//! The per-response checks (transport, http-status, content-type, response-schema,
//! result-status, signature) over every answer of a case: replays, the intermediate `U` answers
//! of settling, and the scenarios' extra answers included.
//!
//! Reports keep one row per check per case. The main request's settled answer sets a row; any
//! other answer that fails the check fails the row, each finding labelled with the answer it
//! came from (`settle try 1 of 3: ...`). A problem the main answer already shows is not
//! repeated, and one several other answers share is shown once, with how many more had it. An
//! answer byte-identical to one already judged (status, content type, body) reuses that
//! judgement; the signature, which differs per answer, is always checked.

use std::fmt;

use reqwest::header::CONTENT_TYPE;

use super::{
    content_type, http_status, response_headers, response_schema, result_status, signature,
};
use crate::contract::{Contract, ResultCarrier};
use crate::observe::{Exchange, Observations, Response, Sent, TransportError};
use crate::results::{Check, CheckResult, Finding, Outcome};

/// The rows every answer gets, in report order, and the signature row when answers are
/// checked for signatures.
pub(super) struct PerResponse {
    pub rows: Vec<CheckResult>,
    pub signature: Option<CheckResult>,
}

/// Judges every answer of `observed`.
pub(super) fn judge(contract: &Contract, observed: &Observations) -> PerResponse {
    let answers = observed.labelled();
    let signed = answers
        .iter()
        .any(|(_, e)| e.response().is_some_and(|r| r.signature_context.is_some()));
    let mut judged: Vec<(&Response, &Sent, Vec<CheckResult>)> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut signature_row = None;
    for (label, exchange) in answers {
        let results = match &exchange.answer {
            Ok(response) => reuse_or_judge(contract, (response, &exchange.sent), &mut judged),
            Err(err) => no_response(contract, err),
        };
        if label.is_main() {
            rows = results.into_iter().map(Row::new).collect();
        } else {
            for (row, result) in rows.iter_mut().zip(&results) {
                row.add(label, result);
            }
        }
        if signed {
            let result = signature_of(contract, exchange);
            match &mut signature_row {
                None => signature_row = Some(Row::new(result)),
                Some(row) => row.add(label, &result),
            }
        }
    }
    PerResponse {
        rows: rows.into_iter().map(Row::finish).collect(),
        signature: signature_row.map(Row::finish),
    }
}

/// The judgement of an identical answer already judged, or a fresh one. A `404` or `405` names
/// the path it answered, so it is identical only to one for the same path.
fn reuse_or_judge<'r>(
    contract: &Contract,
    (response, sent): (&'r Response, &'r Sent),
    judged: &mut Vec<(&'r Response, &'r Sent, Vec<CheckResult>)>,
) -> Vec<CheckResult> {
    let content_type = |r: &'r Response| r.headers.get(CONTENT_TYPE);
    let routing = matches!(response.status, 404 | 405);
    let identical = |seen: &'r Response, seen_sent: &'r Sent| {
        seen.status == response.status
            && seen.body == response.body
            && content_type(seen) == content_type(response)
            && (!routing || seen_sent.path() == sent.path())
    };
    if let Some((_, _, results)) = judged.iter().find(|(seen, s, _)| identical(seen, s)) {
        return results.clone();
    }
    let results = one_answer(contract, response, sent);
    judged.push((response, sent, results.clone()));
    results
}

/// The per-response checks of one response, in report order.
fn one_answer(contract: &Contract, response: &Response, sent: &Sent) -> Vec<CheckResult> {
    let transport = CheckResult::pass(Check::Transport);
    let status = http_status::check(contract, response, sent);
    let Some(spec) = contract.response_for(response.status) else {
        // An undeclared status is a failure of its own: its body and headers are not the
        // API's, so judging them would only add noise.
        let why = match contract.result.carrier {
            ResultCarrier::Body => format!("HTTP {} carries no business result", response.status),
            ResultCarrier::HttpStatus => {
                format!(
                    "HTTP {} is not a status the contract declares",
                    response.status
                )
            }
        };
        let mut rows = vec![transport, status];
        rows.extend(after_status(contract).map(|check| CheckResult::skip(check, why.clone())));
        return rows;
    };
    let mut rows = vec![
        transport,
        status,
        content_type::check(spec, response),
        response_schema::check(contract, spec, response),
    ];
    if declares_headers(contract) {
        rows.push(response_headers::check(contract, spec, response));
    }
    rows.push(result_status::check(contract, response));
    rows
}

/// The per-response checks of an answer that never came.
fn no_response(contract: &Contract, err: &TransportError) -> Vec<CheckResult> {
    let mut rows = vec![
        CheckResult::fail_with(Check::Transport, err.to_string()),
        CheckResult::skip(Check::HttpStatus, "no response"),
    ];
    rows.extend(after_status(contract).map(|check| CheckResult::skip(check, "no response")));
    rows
}

/// The checks that read an answer's body and headers, in report order; `response-headers` only
/// for contracts that declare response headers (a row that could never run would be noise).
fn after_status(contract: &Contract) -> impl Iterator<Item = Check> {
    let headers = declares_headers(contract).then_some(Check::ResponseHeaders);
    [Check::ContentType, Check::ResponseSchema]
        .into_iter()
        .chain(headers)
        .chain([Check::ResultStatus])
}

fn declares_headers(contract: &Contract) -> bool {
    contract.responses.iter().any(|r| !r.headers.is_empty())
}

/// The `signature` row over answers none of which is a case's main request (a late replay
/// case's gap requests and replays), each failure labelled with the answer it came from;
/// `None` when there is none.
pub(crate) fn signature_row(judged: &[(String, CheckResult)]) -> Option<CheckResult> {
    let (_, first) = judged.first()?;
    let any = |outcome| judged.iter().any(|(_, r)| r.outcome == outcome);
    let start = if any(Outcome::Pass) {
        CheckResult::pass(Check::Signature)
    } else if any(Outcome::Fail) {
        CheckResult::skip(Check::Signature, "")
    } else {
        first.clone()
    };
    let mut row = Row::new(start);
    for (label, result) in judged {
        row.add(label, result);
    }
    Some(row.finish())
}

/// The `signature` check of one answer; skipped when it was not checked for signatures.
pub(crate) fn signature_of(contract: &Contract, exchange: &Exchange) -> CheckResult {
    match &exchange.answer {
        Ok(response) => match &response.signature_context {
            Some(context) => signature::check(contract, response, context),
            None => CheckResult::skip(Check::Signature, "no signature context"),
        },
        Err(_) => CheckResult::skip(Check::Signature, "no response"),
    }
}

/// One check's row being put together from every answer.
struct Row {
    result: CheckResult,
    /// Findings at the front that are the main answer's own.
    from_main: usize,
    /// For each labelled finding: its message before labelling, its index, and how many more
    /// answers had it.
    shared: Vec<(String, usize, usize)>,
}

impl Row {
    fn new(result: CheckResult) -> Self {
        let from_main = result.findings.len();
        Row {
            result,
            from_main,
            shared: Vec::new(),
        }
    }

    /// Adds one other answer's result: only a failure changes the row.
    fn add(&mut self, label: impl fmt::Display, result: &CheckResult) {
        if result.outcome != Outcome::Fail {
            return;
        }
        if self.result.outcome != Outcome::Fail {
            // The main answer passed or was skipped: the row is this failure's now.
            self.result.outcome = Outcome::Fail;
            self.result.findings.clear();
            self.from_main = 0;
        }
        for finding in &result.findings {
            let main = &self.result.findings[..self.from_main];
            if main.iter().any(|f| f.message == finding.message) {
                continue;
            }
            match self
                .shared
                .iter_mut()
                .find(|(m, _, _)| *m == finding.message)
            {
                Some((_, _, more)) => *more += 1,
                None => {
                    let index = self.result.findings.len();
                    self.shared.push((finding.message.clone(), index, 0));
                    self.result.findings.push(labelled(&label, finding));
                }
            }
        }
    }

    fn finish(mut self) -> CheckResult {
        for (_, index, more) in self.shared {
            if more > 0 {
                let answers = if more == 1 { "answer" } else { "answers" };
                let finding = &mut self.result.findings[index];
                finding
                    .message
                    .push_str(&format!(" (and {more} more {answers})"));
            }
        }
        self.result
    }
}

fn labelled(label: &impl fmt::Display, finding: &Finding) -> Finding {
    Finding {
        message: format!("{label}: {}", finding.message),
        ..finding.clone()
    }
}
