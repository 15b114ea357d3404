//! `late-replay`: keys replayed after the rest of the run's traffic (seconds later, past many
//! other keys) still get exactly their first answer, as replays right after the first request
//! must. An implementation that remembers only its last few keys, or keeps them for seconds,
//! passes every early replay and fails here.

use super::compare::{changed_fields, diff, same};
use crate::observe::{LateReplay, LateReplays};
use crate::results::{Check, CheckResult, Finding};
use crate::units::format_duration;

/// `late-replay` over what the late replays of one contract observed.
pub(crate) fn check(observed: &LateReplays) -> CheckResult {
    if observed.replays.is_empty() {
        return CheckResult::skip(
            Check::LateReplay,
            "no request with an idempotency key succeeded, so there is nothing to replay late",
        );
    }
    let mut findings = Vec::new();
    let mut shown_diff = None;
    for replay in &observed.replays {
        let which = which(replay, &observed.key_name);
        let late = replay.late.answer();
        match &late.answer {
            Err(err) => findings.push(Finding::message(format!("{which}: {err}"))),
            Ok(answer) if !same(&replay.first, answer) => {
                let changes = changed_fields(&replay.first, answer);
                findings.push(Finding::message(format!(
                    "{which} returned a different answer: {changes}"
                )));
                shown_diff.get_or_insert_with(|| {
                    let right = format!("late replay of {} {}", observed.key_name, replay.key);
                    diff(&replay.first, answer, "first answer", &right)
                });
            }
            Ok(_) => {}
        }
    }
    if let Some(stopped) = &observed.fill_stopped {
        findings.push(Finding::message(format!(
            "only {} successful requests with other {}s came between the oldest key and its late replay ({} asked by --late-replay-gap): a valid request sent to make up the difference got {}",
            stopped.reached, observed.key_name, stopped.asked, stopped.answer
        )));
    }
    let result = CheckResult::from_findings(Check::LateReplay, findings);
    match shown_diff {
        Some(diff) => result.with_diff(diff),
        None => result,
    }
}

/// Whether a key replayed late got exactly its first answer.
pub(crate) fn remembered(replay: &LateReplay) -> bool {
    replay
        .late
        .answer()
        .response()
        .is_some_and(|late| same(&replay.first, late))
}

/// `the late replay of requestId 1001 (first sent by issueCard/example/seed-sample, 5.20s and
/// 180 requests earlier, 100 other requestIds succeeding in between)`.
fn which(replay: &LateReplay, key_name: &str) -> String {
    format!(
        "the late replay of {key_name} {} (first sent by {}, {} and {} requests earlier, {} other {key_name}s succeeding in between)",
        replay.key,
        replay.case,
        format_duration(replay.age),
        replay.requests_between,
        replay.keys_between
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::observe::testing::{json_exchange, json_response, success_body};
    use crate::observe::{FillStopped, Settled};
    use crate::results::Outcome;

    fn replay(first: &str, late: &str) -> LateReplay {
        LateReplay {
            case: Arc::from("issueCard/example/seed-sample"),
            key: Arc::from("1001"),
            first: json_response(success_body(first)),
            late: Settled::new(json_exchange(success_body(late))),
            age: Duration::from_millis(5200),
            requests_between: 180,
            keys_between: 100,
        }
    }

    fn observed(replays: Vec<LateReplay>) -> LateReplays {
        LateReplays {
            replays,
            fill_stopped: None,
            key_name: "requestId".into(),
        }
    }

    #[test]
    fn remembered_keys_pass() {
        let result = check(&observed(vec![replay("1", "1"), replay("2", "2")]));
        assert_eq!(result.outcome, Outcome::Pass);
    }

    #[test]
    fn a_forgotten_key_fails_with_its_age_the_traffic_in_between_and_a_diff() {
        let result = check(&observed(vec![replay("1", "1"), replay("2", "9")]));
        assert_eq!(result.outcome, Outcome::Fail);
        assert_eq!(
            result.message(),
            "the late replay of requestId 1001 (first sent by issueCard/example/seed-sample, 5.20s and 180 requests earlier, 100 other requestIds succeeding in between) returned a different answer: /cardNo \"2\" → \"9\""
        );
        let diff = result.diff.expect("a diff");
        assert!(diff.contains("-  \"cardNo\": \"2\""), "{diff}");
        assert!(diff.contains("+  \"cardNo\": \"9\""), "{diff}");
    }

    #[test]
    fn nothing_to_replay_is_skipped() {
        let result = check(&observed(Vec::new()));
        assert_eq!(result.outcome, Outcome::Skip);
    }

    #[test]
    fn traffic_that_could_not_be_made_up_fails_saying_what_stopped_it() {
        let mut observed = observed(vec![replay("1", "1")]);
        observed.fill_stopped = Some(FillStopped {
            reached: 40,
            asked: 100,
            answer: "HTTP 503, body \"busy\"".into(),
        });
        let result = check(&observed);
        assert_eq!(result.outcome, Outcome::Fail);
        assert!(
            result.message().starts_with("only 40 successful requests with other requestIds came between the oldest key and its late replay (100 asked by --late-replay-gap)"),
            "{}",
            result.message()
        );
    }
}
