//! Whether reports are the shards of one run, and the run they make together.
//!
//! One run: the same conform version (the plan is the version's), the same contracts by
//! SHA-256 in the same order (so the same plan), the same target and implementation, the same
//! settings (`scope`, the partition aside), and the same plan size. Its shards: `--partition
//! K/N` for one N, every K from 1 to N once, each holding exactly the cases shard K has of the
//! filtered plan (every N-th, starting at the K-th), unless `--fail-fast` stopped it. A single
//! report without a partition is a whole run on its own.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::report::ReportFile;
use super::{Merge, Totals, shown};
use crate::plan::Partition;
use crate::results::across_shards::Across;
use crate::results::{ContractInfo, Coverage, RunInfo, Summary};

/// Every reason the reports are not the shards of one run.
pub(super) fn problems(reports: &[ReportFile], own_baseline: bool) -> Vec<String> {
    let Some(first) = reports.first() else {
        return vec!["no report given".into()];
    };
    let mut problems: Vec<String> = reports[1..]
        .iter()
        .filter_map(|other| difference(first, other, own_baseline))
        .collect();
    problems.extend(coverage(reports));
    problems
}

/// The first way `other` is not of the same run as `first`, in words.
fn difference(first: &ReportFile, other: &ReportFile, own_baseline: bool) -> Option<String> {
    let (a, b) = (&first.run, &other.run);
    let (fa, fb) = (shown(&first.path), shown(&other.path));
    if a.tool_version != b.tool_version {
        return Some(format!(
            "{fb} was written by conform {} and {fa} by conform {}: each version plans its own cases",
            b.tool_version, a.tool_version
        ));
    }
    if let Some(contracts) = contracts((&other.contracts, &fb), (&first.contracts, &fa)) {
        return Some(format!(
            "{fb} checked other contracts than {fa}: {contracts}"
        ));
    }
    if a.embedded != b.embedded || (!a.embedded && a.target != b.target) {
        return Some(format!(
            "{fb} checked {} and {fa} checked {}",
            target(b),
            target(a)
        ));
    }
    if a.implementation != b.implementation {
        let named = |r: &RunInfo| {
            r.implementation
                .shown()
                .unwrap_or("no implementation named".into())
        };
        return Some(format!(
            "{fb} checked {} and {fa} checked {}",
            named(b),
            named(a)
        ));
    }
    if let Some(setting) = setting((b, &fb), (a, &fa), own_baseline) {
        return Some(format!("{fb} ran with other settings than {fa}: {setting}"));
    }
    plan_size(&first.summary, &other.summary)
        .map(|size| format!("{fb} and {fa} ran different plans: {size}"))
}

fn target(run: &RunInfo) -> String {
    if run.embedded {
        "the embedded reference implementation".into()
    } else {
        format!("target {}", run.target)
    }
}

/// How the contracts of two runs (each with its file as shown) differ, if they do.
fn contracts(
    (a, fa): (&Arc<Vec<ContractInfo>>, &str),
    (b, fb): (&Arc<Vec<ContractInfo>>, &str),
) -> Option<String> {
    // Reports listing the same contracts share one list.
    if Arc::ptr_eq(a, b) {
        return None;
    }
    let digests = |contracts: &[ContractInfo]| -> Vec<(String, String)> {
        contracts
            .iter()
            .map(|c| (c.name.clone(), c.sha256.clone()))
            .collect()
    };
    let (da, db) = (digests(a.as_slice()), digests(b.as_slice()));
    if da == db {
        return None;
    }
    let in_b: HashMap<&str, &str> = db.iter().map(|(n, d)| (n.as_str(), d.as_str())).collect();
    for (name, digest) in &da {
        match in_b.get(name.as_str()) {
            Some(other) if other != digest => {
                return Some(format!(
                    "{name} has sha256 {}… in {fa} and {}… in {fb}",
                    short(digest),
                    short(other)
                ));
            }
            None => return Some(format!("{name} is in {fa} only")),
            Some(_) => {}
        }
    }
    Some(
        match db.iter().find(|(n, _)| !da.iter().any(|(m, _)| m == n)) {
            Some((name, _)) => format!("{name} is in {fb} only"),
            None => "the same contracts in another order, so another plan".into(),
        },
    )
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// The first setting in which two runs (each with its file as shown) differ, the partition
/// aside: `scope.timeout_ms is 5000 in a.json and 10000 in b.json`.
fn setting(
    (a, fa): (&RunInfo, &str),
    (b, fb): (&RunInfo, &str),
    own_baseline: bool,
) -> Option<String> {
    let comparable = |run: &RunInfo| {
        let mut scope = run.scope.clone();
        scope.partition = None;
        if own_baseline {
            scope.baseline = None;
        }
        serde_json::to_value(scope).unwrap_or(Value::Null)
    };
    let (va, vb) = (comparable(a), comparable(b));
    let (Value::Object(ma), Value::Object(mb)) = (&va, &vb) else {
        return None;
    };
    ma.iter()
        .find(|(key, value)| mb.get(*key) != Some(*value))
        .map(|(key, value)| {
            let other = mb.get(key).unwrap_or(&Value::Null);
            format!("scope.{key} is {value} in {fa} and {other} in {fb}")
        })
}

/// How two runs' plan sizes differ, if both counted them.
fn plan_size(a: &Summary, b: &Summary) -> Option<String> {
    let counted = |s: &Summary| !s.stopped_early;
    if !counted(a) || !counted(b) || (a.planned, a.matched) == (b.planned, b.matched) {
        return None;
    }
    Some(format!(
        "{} of {} cases planned in one, {} of {} in the other",
        b.matched, b.planned, a.matched, a.planned
    ))
}

/// Whether the reports are every shard of one partition, each once and whole.
fn coverage(reports: &[ReportFile]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut shards: BTreeMap<usize, Vec<&ReportFile>> = BTreeMap::new();
    let mut n = None;
    for report in reports {
        let Some(partition) = partition(report, &mut problems) else {
            continue;
        };
        match n {
            None => n = Some((partition, report)),
            Some((first, by)) if first.n != partition.n => {
                problems.push(overlap((by, first), (report, partition)));
            }
            Some(_) => {}
        }
        shards.entry(partition.k).or_default().push(report);
    }
    if !problems.is_empty() {
        return problems;
    }
    let n = n.map_or(1, |(p, _)| p.n);
    for k in 1..=n {
        match shards.get(&k).map(Vec::as_slice) {
            None | Some([]) => problems.push(missing(k, n, &shards)),
            Some([report]) => problems.extend(whole(report, Partition { k, n }, reports)),
            Some(twice) => {
                let files: Vec<String> = twice.iter().map(|r| shown(&r.path)).collect();
                problems.push(format!(
                    "shard {k}/{n} is given twice: {}",
                    files.join(" and ")
                ));
            }
        }
    }
    problems
}

/// Two reports from partitions of different sizes: their shards share cases.
fn overlap(a: (&ReportFile, Partition), b: (&ReportFile, Partition)) -> String {
    let what = |(report, p): (&ReportFile, Partition)| match report.run.scope.partition {
        None => format!("{} ran every case (no --partition)", shown(&report.path)),
        Some(_) => format!("{} is shard {}/{}", shown(&report.path), p.k, p.n),
    };
    format!("{} and {}: they overlap", what(a), what(b))
}

/// The report's partition (a whole run is `1/1`), or why it has none that can be merged.
fn partition(report: &ReportFile, problems: &mut Vec<String>) -> Option<Partition> {
    match report.run.scope.partition.as_deref() {
        None => Some(Partition { k: 1, n: 1 }),
        Some(text) => match text.parse() {
            Ok(partition) => Some(partition),
            Err(err) => {
                problems.push(format!("{}: scope.partition {err}", shown(&report.path)));
                None
            }
        },
    }
}

fn missing(k: usize, n: usize, shards: &BTreeMap<usize, Vec<&ReportFile>>) -> String {
    if n == 1 {
        // Only whole runs were given, and more than one: each ran every case.
        return "more than one report ran every case (no --partition): they overlap".into();
    }
    let given: Vec<String> = shards
        .iter()
        .flat_map(|(k, reports)| {
            reports
                .iter()
                .map(move |r| format!("{k}/{n} in {}", shown(&r.path)))
        })
        .collect();
    format!("shard {k}/{n} is missing (given: {})", given.join(", "))
}

/// Whether `report` holds every case its shard has of the plan.
fn whole(report: &ReportFile, shard: Partition, reports: &[ReportFile]) -> Option<String> {
    let summary = &report.summary;
    // A shard stopped early did not count the plan; any other shard of the run did.
    let matched = reports
        .iter()
        .find(|r| !r.summary.stopped_early)
        .map(|r| r.summary.matched)?;
    // Shard K holds the cases at K-1, K-1+N, ... of the filtered plan.
    let expected = match matched.checked_sub(shard.k) {
        Some(after) => after / shard.n + 1,
        None => 0,
    };
    let fits = if summary.stopped_early {
        // --fail-fast stopped it: its cases are the start of its share, and the merged run is
        // stopped early too.
        summary.cases <= expected
    } else {
        summary.cases == expected
    };
    (!fits).then(|| {
        let of = if shard.n == 1 {
            String::new()
        } else {
            format!(" (shard {}/{})", shard.k, shard.n)
        };
        format!(
            "{}{of} holds {} cases where its share of the {matched} cases is {expected}",
            shown(&report.path),
            summary.cases
        )
    })
}

/// The run the shards make together: the first shard's run, whole, with the earliest start.
/// Fails, naming the file, when a report cannot be read again for its coverage.
pub(super) fn merge(mut reports: Vec<ReportFile>) -> Result<Merge, String> {
    reports.sort_by_key(|r| {
        r.run
            .scope
            .partition
            .as_deref()
            .and_then(|p| p.parse::<Partition>().ok())
            .map_or(1, |p| p.k)
    });
    let mut info = reports[0].run.clone();
    info.contracts = reports[0].contracts.to_vec();
    for report in &mut reports {
        // The merged run's copy is the one kept from here on.
        report.contracts = Arc::default();
    }
    info.started = reports
        .iter()
        .map(|r| r.run.started.clone())
        .min_by(|a, b| earlier(a, b))
        .unwrap_or_default();
    if let Some(partition) = info.scope.partition.take() {
        let n = partition
            .parse::<Partition>()
            .map_or(reports.len(), |p| p.n);
        info.scope.shards = Some(n);
    }
    let counted = reports.iter().find(|r| !r.summary.stopped_early);
    let totals = Totals {
        planned: counted.map_or(0, |r| r.summary.planned),
        matched: counted.map_or(0, |r| r.summary.matched),
        stopped_early: reports.iter().any(|r| r.summary.stopped_early),
        duration: reports
            .iter()
            .map(|r| r.summary.duration)
            .max()
            .unwrap_or_default(),
        fixed: reports
            .iter()
            .flat_map(|r| r.summary.fixed.iter().cloned())
            .collect(),
        // A shard that stopped sending, or in which conform failed, does so in the whole run.
        stopped: reports.iter().find_map(|r| r.summary.stopped.clone()),
        // Every shard plans every case, so each knows the contracts none reaches.
        unreached: counted.map_or_else(Vec::new, |r| r.summary.unreached.clone()),
        crashed: reports
            .iter()
            .flat_map(|r| r.summary.crashed.iter().cloned())
            .collect(),
        coverage: merged_coverage(&reports)?,
        late_replays: crate::results::merged_late_replays(
            reports.iter().filter_map(|r| r.summary.late_replays),
        ),
        unique: across_shards(&info, &mut reports),
    };
    Ok(Merge {
        shards: reports,
        info,
        totals,
    })
}

/// The values at `unique` places the shards' requests got in common. Against the embedded
/// target each shard checked a reference implementation of its own, whose values are its own:
/// there is nothing to compare. The shards' lists are dropped once compared.
fn across_shards(info: &RunInfo, reports: &mut [ReportFile]) -> Across {
    let across = match info.embedded {
        true => Across::default(),
        false => Across::of(reports.iter().map(|r| r.summary.unique_values.as_slice())),
    };
    for report in reports {
        report.summary.unique_values = Vec::new();
    }
    across
}

/// Orders RFC 3339 times by the instant they name, text that is not one last.
fn earlier(a: &str, b: &str) -> std::cmp::Ordering {
    let at = |t: &str| t.parse::<jiff::Timestamp>().ok();
    match (at(a), at(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// The shards' coverage together: an item counts as observed when any shard observed it, and
/// the shards' `--require-coverage` gate is judged again on the whole. Each shard's coverage
/// is read again and folded in, in shard order, so only one is held besides the whole.
fn merged_coverage(reports: &[ReportFile]) -> Result<Coverage, String> {
    let again = |report: &ReportFile| {
        report.coverage().map_err(|err| {
            format!(
                "{} changed while it was merged: {}",
                shown(&report.path),
                err.message
            )
        })
    };
    let mut coverage = match reports.first() {
        Some(first) => again(first)?,
        None => Coverage::default(),
    };
    for other in reports.iter().skip(1) {
        coverage.union(&again(other)?);
    }
    let requirements: Vec<crate::results::Requirement> = coverage
        .required
        .iter()
        .filter_map(|text| text.parse().ok())
        .collect();
    coverage.judge(&requirements);
    compact(&mut coverage);
    Ok(coverage)
}

/// Frees the room decoding left in `coverage`'s lists (a list grows by doubling as it is
/// decoded, and the union only shortens them): it is held to the end of the rendering.
fn compact(coverage: &mut Coverage) {
    coverage.contracts.shrink_to_fit();
    for contract in &mut coverage.contracts {
        let aspects = [
            &mut contract.statuses,
            &mut contract.codes,
            &mut contract.fields,
            &mut contract.http_statuses,
            &mut contract.headers,
        ];
        for items in aspects {
            items.declared.shrink_to_fit();
            items.missing.shrink_to_fit();
        }
    }
}
