//! Compiling the cases a contract leaves out: `skip` (every kind of case) and `generated.skip`
//! (generated cases), each pattern kept with its place in the file, so that one matching no
//! case can be pointed at in a warning.

use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::Compiler;
use crate::contract::ContractErrorKind as K;
use crate::contract::model::SkipDef;
use crate::contract::{CaseGlob, SkipPattern, Skips, WarnedFile, WarningPlace};

/// Up to this many patterns, a case name is matched against each pattern's own matcher
/// ([`Skips::leaves_out`]) and no set is built: building a `GlobSet` costs far more than the
/// few matches it would speed up, and every contract is compiled before the first request.
const FEW_SKIP_PATTERNS: usize = 4;

impl Compiler<'_> {
    /// `skip` (every kind of case) and `generated.skip` (generated cases), with each pattern's
    /// place for the warning a pattern matching nothing gets.
    pub(super) fn skips(&mut self, all: &[SkipDef], generated: &[String]) -> Skips {
        let mut patterns = Vec::new();
        let all: Vec<(&str, Option<&str>)> = all.iter().map(SkipDef::parts).collect();
        let generated: Vec<(&str, Option<&str>)> =
            generated.iter().map(|g| (g.as_str(), None)).collect();
        let sets = all.len() + generated.len() > FEW_SKIP_PATTERNS;
        if all.is_empty() && generated.is_empty() {
            return Skips {
                all: GlobSet::empty(),
                generated: GlobSet::empty(),
                patterns,
            };
        }
        // The file's text is kept for the patterns' warnings.
        let file = WarnedFile::of(self.source);
        let all = self.skip_set(&all, "/skip", false, sets, (&file, &mut patterns));
        let generated = self.skip_set(
            &generated,
            "/generated/skip",
            true,
            sets,
            (&file, &mut patterns),
        );
        Skips {
            all,
            generated,
            patterns,
        }
    }

    fn skip_set(
        &mut self,
        texts: &[(&str, Option<&str>)],
        at: &str,
        generated_only: bool,
        set: bool,
        (file, patterns): (&Arc<WarnedFile>, &mut Vec<SkipPattern>),
    ) -> GlobSet {
        let mut builder = GlobSetBuilder::new();
        for (i, (text, reason)) in texts.iter().enumerate() {
            let entry = format!("{at}/{i}");
            // A glob with a reason is an object: its place is its `cases`.
            let here = match reason {
                Some(_) => format!("{entry}/cases"),
                None => entry,
            };
            match CaseGlob::new(text) {
                Ok(glob) => {
                    patterns.push(SkipPattern {
                        text: text.to_string(),
                        reason: reason.map(str::to_string),
                        glob,
                        generated_only,
                        place: WarningPlace::new(Arc::clone(file), here),
                    });
                    // Valid for `CaseGlob`, so for globset too.
                    if set && let Ok(glob) = Glob::new(text) {
                        builder.add(glob);
                    }
                }
                Err(err) => self.error(&here, K::Invalid(err.kind().to_string())),
            }
        }
        if !set {
            return GlobSet::empty();
        }
        builder.build().unwrap_or_else(|_| GlobSet::empty())
    }
}
