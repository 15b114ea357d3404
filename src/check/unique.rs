//! `unique`: no two distinct requests of the run got the same value where the contract declares
//! one unique (issueCard's `cardNo`, a created resource's id). Requests with one idempotency
//! key may repeat a value (that is what a replay is); distinct keys may not. Clashes are
//! grouped by value, each naming the cases and keys that shared it.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::json::abbreviate;
use crate::observe::{Holder, UniqueRecord};
use crate::results::{Check, CheckResult, Finding};

/// Shared values shown; the rest are counted.
const VALUES_SHOWN: usize = 10;

/// Requests named per shared value; the rest are counted.
const HOLDERS_SHOWN: usize = 3;

/// `unique` over what the run recorded for one contract. A value at one of `secret` (the places
/// of credentials the operation issues: an access token) is shown masked, as everywhere else.
pub(crate) fn check(record: &UniqueRecord, key_name: Option<&str>, secret: &[&str]) -> CheckResult {
    if record.compared == 0 {
        return CheckResult::skip(
            Check::Unique,
            "no successful answer carried a value to compare",
        );
    }
    let mut shared: BTreeMap<(&str, &str), Vec<&Holder>> = BTreeMap::new();
    for clash in &record.clashes {
        let holders = shared
            .entry((clash.place.as_str(), clash.value.as_str()))
            .or_default();
        for holder in [&clash.first, &clash.again] {
            if !holders.contains(&holder) {
                holders.push(holder);
            }
        }
    }
    let mut findings: Vec<Finding> = shared
        .iter()
        .take(VALUES_SHOWN)
        .map(|((place, value), holders)| {
            let shown = match secret.contains(place) {
                true => crate::json::secret_shown(value),
                false => abbreviate(&Value::String(value.to_string()), 60),
            };
            finding(place, &shown, holders, key_name)
        })
        .collect();
    if shared.len() > VALUES_SHOWN || record.more > 0 {
        let more_values = shared.len().saturating_sub(VALUES_SHOWN);
        findings.push(Finding::message(format!(
            "{} more shared value{} not shown ({} clashes in all)",
            more_values,
            if more_values == 1 { "" } else { "s" },
            record.clashes.len() + record.more
        )));
    }
    CheckResult::from_findings(Check::Unique, findings)
}

/// `/cardNo "0111…" was answered to 41 distinct requests: a (requestId 1), b (requestId 2), ...`
/// (`shown`: the value as the message shows it).
fn finding(place: &str, shown: &str, holders: &[&Holder], key_name: Option<&str>) -> Finding {
    let named: Vec<String> = holders
        .iter()
        .take(HOLDERS_SHOWN)
        .map(|h| name(h, key_name))
        .collect();
    let mut requests = named.join(", ");
    if holders.len() > HOLDERS_SHOWN {
        requests.push_str(&format!(" and {} more", holders.len() - HOLDERS_SHOWN));
    }
    let distinct = match key_name {
        Some(key) => format!("requests with distinct {key}s"),
        None => "distinct requests".to_string(),
    };
    Finding {
        pointer: Some(place.to_string()),
        expected: Some("a value no other request got".into()),
        actual: Some(format!("{shown} shared by {} requests", holders.len())),
        message: format!(
            "{place} {shown} was answered to {} {distinct}: {requests}",
            holders.len()
        ),
    }
}

fn name(holder: &Holder, key_name: Option<&str>) -> String {
    match (&holder.key, key_name) {
        (Some(key), Some(name)) => format!("{} ({name} {key})", holder.case),
        _ => holder.case.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::observe::Clash;
    use crate::results::Outcome;

    fn holder(case: &str, key: &str) -> Holder {
        Holder {
            case: Arc::from(case),
            key: Some(Arc::from(key)),
        }
    }

    fn clash(value: &str, first: Holder, again: Holder) -> Clash {
        Clash {
            place: "/body/cardNo".into(),
            value: value.into(),
            first,
            again,
        }
    }

    #[test]
    fn distinct_values_pass() {
        let record = UniqueRecord {
            places: vec!["/body/cardNo".into()],
            compared: 41,
            ..UniqueRecord::default()
        };
        assert_eq!(
            check(&record, Some("requestId"), &[]).outcome,
            Outcome::Pass
        );
    }

    #[test]
    fn nothing_compared_is_skipped_with_the_reason() {
        let result = check(&UniqueRecord::default(), Some("requestId"), &[]);
        assert_eq!(result.outcome, Outcome::Skip);
        assert!(result.message().contains("no successful answer"));
    }

    #[test]
    fn a_value_shared_by_two_keys_names_both_cases_keys_and_the_value() {
        let a = holder("issueCard/example/seed-sample", "1001");
        let b = holder("issueCard/boundary/appId/max-length", "1002");
        let record = UniqueRecord {
            places: vec!["/body/cardNo".into()],
            compared: 2,
            clashes: vec![clash("0111645086", a, b)],
            ..UniqueRecord::default()
        };
        let result = check(&record, Some("requestId"), &[]);
        assert_eq!(result.outcome, Outcome::Fail);
        assert_eq!(
            result.message(),
            "/body/cardNo \"0111645086\" was answered to 2 requests with distinct requestIds: issueCard/example/seed-sample (requestId 1001), issueCard/boundary/appId/max-length (requestId 1002)"
        );
        assert_eq!(result.findings[0].pointer.as_deref(), Some("/body/cardNo"));
    }

    #[test]
    fn one_value_shared_by_many_is_one_finding_with_a_count() {
        let first = holder("c/example/a", "1");
        let clashes: Vec<Clash> = (2..=41)
            .map(|n| {
                clash(
                    "7",
                    first.clone(),
                    holder(&format!("c/boundary/{n}"), &n.to_string()),
                )
            })
            .collect();
        let record = UniqueRecord {
            places: vec!["/body/cardNo".into()],
            compared: 41,
            clashes,
            ..UniqueRecord::default()
        };
        let result = check(&record, Some("requestId"), &[]);
        assert_eq!(result.findings.len(), 1, "{:?}", result.findings);
        assert!(
            result.message().contains("was answered to 41 requests with distinct requestIds: c/example/a (requestId 1), c/boundary/2 (requestId 2), c/boundary/3 (requestId 3) and 38 more"),
            "{}",
            result.message()
        );
    }

    #[test]
    fn requests_without_keys_are_named_by_case() {
        let keyless = |case: &str| Holder {
            case: Arc::from(case),
            key: None,
        };
        let record = UniqueRecord {
            places: vec!["/body/accessToken".into()],
            compared: 2,
            clashes: vec![clash("t", keyless("a/example/x"), keyless("a/boundary/y"))],
            ..UniqueRecord::default()
        };
        let message = check(&record, None, &[]).message();
        assert!(
            message.ends_with("was answered to 2 distinct requests: a/example/x, a/boundary/y"),
            "{message}"
        );
    }

    #[test]
    fn an_issued_credential_shared_is_named_without_its_value() {
        let token = "AT_FIXED_TOKEN_0001";
        let record = UniqueRecord {
            places: vec!["/body/accessToken".into()],
            compared: 2,
            clashes: vec![Clash {
                place: "/body/accessToken".into(),
                value: token.into(),
                first: holder("applyToken/example/a", "1"),
                again: holder("applyToken/boundary/b", "2"),
            }],
            ..UniqueRecord::default()
        };
        let result = check(&record, Some("requestId"), &["/body/accessToken"]);
        assert_eq!(result.outcome, Outcome::Fail);
        let message = result.message();
        assert!(
            message.starts_with(
                "/body/accessToken AT_F… (19 characters, secret) was answered to 2 requests"
            ),
            "{message}"
        );
        let finding = &result.findings[0];
        let shown = [&finding.message, finding.actual.as_ref().unwrap()];
        assert!(shown.iter().all(|text| !text.contains(token)), "{shown:?}");
    }
}
