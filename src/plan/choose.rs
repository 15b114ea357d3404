//! Choosing cases by name: the globs a run is given (`--filter`, `--exclude`, a leading `!` in
//! a filter), the check that every one of them matches some case, and the warnings for the
//! skip patterns of a contract that match none.
//!
//! A pattern that matches nothing is almost always a typo, and a typo in a filter or an
//! exclusion silently changes what a gate checks: on the command line it is an error, in a
//! contract (where it cannot stop a run that is otherwise fine) a warning.

use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};

use super::{Action, Auth, Case, CaseKind, Selection};
use crate::contract::{Contract, ContractWarning};

/// The name patterns a run was given: what to keep and what to leave out, as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Patterns {
    /// `--filter` globs (without a leading `!`).
    pub include: Vec<String>,
    /// `--exclude` globs, and `--filter` globs that start with `!` (without it).
    pub exclude: Vec<String>,
}

/// A pattern that is not a glob, or matches no case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PatternError {
    /// Not a glob.
    #[error("{flag} `{pattern}`: {why}")]
    Invalid {
        /// `--filter` or `--exclude`.
        flag: &'static str,
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        why: String,
    },
    /// A glob no planned case matches.
    #[error("no case matches {flag} `{pattern}`")]
    Unmatched {
        /// `--filter` or `--exclude`.
        flag: &'static str,
        /// The pattern as written.
        pattern: String,
    },
    /// The filters and exclusions together keep no case.
    #[error("no case matches the given --filter and --exclude together")]
    NothingLeft,
    /// A batch of the suite could not be read again as it was loaded.
    #[error("{0}")]
    Contracts(String),
}

impl From<crate::contract::ContractErrors> for PatternError {
    fn from(errors: crate::contract::ContractErrors) -> Self {
        PatternError::Contracts(errors.to_string())
    }
}

impl Patterns {
    /// Sorts `--filter` and `--exclude` arguments: a filter starting with `!` excludes.
    pub(crate) fn new(filters: &[String], excludes: &[String]) -> Self {
        let mut patterns = Patterns::default();
        for filter in filters {
            match filter.strip_prefix('!') {
                Some(excluded) => patterns.exclude.push(excluded.to_string()),
                None => patterns.include.push(filter.clone()),
            }
        }
        patterns.exclude.extend(excludes.iter().cloned());
        patterns
    }

    /// Whether no pattern was given.
    pub(crate) fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// The patterns as reports show them: filters as given, exclusions with a leading `!`.
    pub(crate) fn shown(&self) -> Vec<String> {
        let excluded = self.exclude.iter().map(|p| format!("!{p}"));
        self.include.iter().cloned().chain(excluded).collect()
    }

    /// The selection these patterns make (no shard).
    pub(crate) fn selection(&self) -> Result<Selection, PatternError> {
        Ok(Selection {
            filter: set(&self.include, "--filter")?,
            exclude: set(&self.exclude, "--exclude")?,
            partition: None,
        })
    }

    /// Checks that each pattern matches at least one of the cases `contracts` plan, and that
    /// together they keep at least one. Plans every case once.
    #[cfg(test)]
    pub(crate) fn check(&self, contracts: &[Contract]) -> Result<(), PatternError> {
        let suite = crate::contract::suite::Suite::Whole(contracts.to_vec());
        self.check_with(&suite, &[], &Auth::default())
    }

    /// [`Patterns::check`], counting the scenarios of `scenarios` and the security probes of a
    /// run authenticating as `auth`.
    pub(crate) fn check_with(
        &self,
        suite: &crate::contract::suite::Suite,
        scenarios: &[crate::scenario::ScenarioSet],
        auth: &Auth,
    ) -> Result<(), PatternError> {
        if self.is_empty() {
            return Ok(());
        }
        let selection = self.selection()?;
        let include = matchers(&self.include, "--filter")?;
        let exclude = matchers(&self.exclude, "--exclude")?;
        let mut seen = vec![false; include.len() + exclude.len()];
        let mut kept = false;
        suite.each_batch(|contracts| {
            for case in super::stream_all(contracts, scenarios, auth.clone()) {
                let mut matched = 0;
                kept |= selection.keeps(&case, &mut matched);
                for (i, glob) in include.iter().chain(&exclude).enumerate() {
                    seen[i] |= glob.is_match(&case.name);
                }
            }
            Ok::<_, PatternError>(())
        })?;
        let flags = include.iter().map(|_| "--filter");
        let flags = flags.chain(exclude.iter().map(|_| "--exclude"));
        let written = self.include.iter().chain(&self.exclude);
        for ((seen, flag), pattern) in seen.iter().zip(flags).zip(written) {
            if !seen {
                let pattern = pattern.clone();
                return Err(PatternError::Unmatched { flag, pattern });
            }
        }
        if kept {
            Ok(())
        } else {
            Err(PatternError::NothingLeft)
        }
    }
}

fn matchers(patterns: &[String], flag: &'static str) -> Result<Vec<GlobMatcher>, PatternError> {
    patterns
        .iter()
        .map(|p| glob(p, flag).map(|g| g.compile_matcher()))
        .collect()
}

fn set(patterns: &[String], flag: &'static str) -> Result<Option<GlobSet>, PatternError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(glob(pattern, flag)?);
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| PatternError::Invalid {
            flag,
            pattern: patterns.join(" "),
            why: e.kind().to_string(),
        })
}

fn glob(pattern: &str, flag: &'static str) -> Result<Glob, PatternError> {
    Glob::new(pattern).map_err(|e| PatternError::Invalid {
        flag,
        pattern: pattern.to_string(),
        why: e.kind().to_string(),
    })
}

/// Whether a contract taking part in a flow case skips it.
pub(super) fn skipped_flow(contracts: &[Contract], case: &Case) -> bool {
    let Action::Flow(flow) = &case.action else {
        return false;
    };
    flow.steps
        .iter()
        .filter_map(|step| contracts.get(step.contract))
        .any(|c| c.skip.leaves_out(&case.name, false))
}

/// A warning for every skip pattern of `contracts` that matches none of their cases (flows
/// count among the cases of the contracts taking part, and security probes as a signed run with
/// every declared credential would plan them): most likely a typo, or a case renamed since the
/// pattern was written. And one for every pattern leaving out security probes without a stated
/// reason, which reports could then not give. Plans only the contracts that have skip patterns.
pub(crate) fn skip_warnings(contracts: &[Contract]) -> Vec<ContractWarning> {
    let mut warnings = Vec::new();
    let flows = if contracts.iter().any(|c| !c.skip.patterns.is_empty()) {
        let mut later = super::flow_cases(contracts, false);
        later.extend(super::promises::planned(contracts, false));
        later
    } else {
        Vec::new()
    };
    let auth = Auth::everything(contracts);
    for (index, contract) in contracts.iter().enumerate() {
        if contract.skip.patterns.is_empty() {
            continue;
        }
        let mut names: Vec<(String, CaseKind)> = Vec::new();
        super::each_case_planned(index, contract, false, &auth, &mut |case| {
            names.push((case.name, case.kind));
            true
        });
        names.extend(
            flows
                .iter()
                .filter(|case| takes_part(case, index))
                .map(|case| (case.name.clone(), CaseKind::Flow)),
        );
        for pattern in &contract.skip.patterns {
            warnings.extend(pattern_warning(contract, pattern, &names));
        }
    }
    warnings
}

fn pattern_warning(
    contract: &Contract,
    pattern: &crate::contract::SkipPattern,
    names: &[(String, CaseKind)],
) -> Option<ContractWarning> {
    let generated = |kind: &CaseKind| matches!(kind, CaseKind::Negative | CaseKind::Boundary);
    let matches = |(name, kind): &&(String, CaseKind)| {
        (generated(kind) || !pattern.generated_only) && pattern.glob.is_match(name)
    };
    let key = if pattern.generated_only {
        "generated.skip"
    } else {
        "skip"
    };
    let mut matched = names.iter().filter(matches).peekable();
    if matched.peek().is_none() {
        let message = format!(
            "{key} pattern `{}` matches no case of `{}`: nothing is left out by it",
            pattern.text, contract.name
        );
        return Some(pattern.place.warning(message));
    }
    let security = matched.any(|(_, kind)| *kind == CaseKind::Security);
    (security && pattern.reason.is_none()).then(|| {
        pattern.place.warning(format!(
            "skip pattern `{0}` leaves out security probes of `{1}` without a stated reason: write it as {{\"cases\": \"{0}\", \"reason\": \"...\"}} so that reports can say why",
            pattern.text, contract.name
        ))
    })
}

fn takes_part(case: &Case, index: usize) -> bool {
    match &case.action {
        Action::Flow(flow) => flow.steps.iter().any(|s| s.contract == index),
        _ => case.contract == index,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue_card() -> Vec<Contract> {
        vec![crate::contract::tests::issue_card()]
    }

    #[test]
    fn a_leading_bang_in_a_filter_excludes_and_reports_show_it_so() {
        let patterns = Patterns::new(&["a/*".into(), "!b/*".into()], &["c/*".into()]);
        assert_eq!(patterns.include, ["a/*"]);
        assert_eq!(patterns.exclude, ["b/*", "c/*"]);
        assert_eq!(patterns.shown(), ["a/*", "!b/*", "!c/*"]);
    }

    #[test]
    fn each_pattern_must_match_a_case_and_together_they_must_keep_one() {
        let contracts = issue_card();
        let ok = Patterns::new(&["issueCard/negative/*".into()], &["*/appId/*".into()]);
        assert_eq!(ok.check(&contracts), Ok(()));
        let typo = Patterns::new(&[], &["issueCard/negativ/*".into()]);
        assert_eq!(
            typo.check(&contracts).unwrap_err().to_string(),
            "no case matches --exclude `issueCard/negativ/*`"
        );
        let nothing = Patterns::new(&["*/example/*".into()], &["issueCard/example/*".into()]);
        assert_eq!(nothing.check(&contracts), Err(PatternError::NothingLeft));
    }

    #[test]
    fn a_selection_keeps_what_it_filters_in_and_drops_what_it_excludes() {
        let selection = Patterns::new(
            &["issueCard/negative/appId/*".into(), "!*/too-long*".into()],
            &[],
        )
        .selection()
        .unwrap();
        let kept: Vec<String> = selection
            .apply(crate::plan::stream(&issue_card()))
            .map(|c| c.name)
            .collect();
        assert!(kept.contains(&"issueCard/negative/appId/missing".to_string()));
        assert!(kept.iter().all(|n| !n.contains("too-long")), "{kept:?}");
    }
}
