//! Globs over case names (`skip`, `generated.skip`, `generated.expect[].cases`), with
//! globset's syntax and meaning.
//!
//! Nearly every such glob is literal text and single `*`s (`issueCard/boundary/cardNo/*`).
//! Those are matched here directly: a `*` matches any run of characters, `/` included, as in
//! globset by default. Every other glob (`?`, classes, alternatives, `**`, escapes) goes to
//! globset. globset compiles each glob into a regular expression, which costs about 130k
//! instructions per glob before the first request is sent, and then runs a regex search for
//! every case planned.

use globset::{Glob, GlobMatcher};

/// A compiled glob over case names.
#[derive(Debug, Clone)]
pub(crate) struct CaseGlob(Matcher);

#[derive(Debug, Clone)]
enum Matcher {
    /// The literal text between the `*`s: one piece means no `*` at all.
    Stars(Box<[Box<str>]>),
    /// Anything else, as globset matches it.
    Full(GlobMatcher),
}

impl CaseGlob {
    /// Compiles `text`; the error is globset's, for a glob it refuses.
    pub(crate) fn new(text: &str) -> Result<CaseGlob, globset::Error> {
        if only_stars(text) {
            return Ok(CaseGlob(Matcher::Stars(
                text.split('*').map(Box::from).collect(),
            )));
        }
        Ok(CaseGlob(Matcher::Full(Glob::new(text)?.compile_matcher())))
    }

    /// Whether the case `name` matches.
    pub(crate) fn is_match(&self, name: &str) -> bool {
        match &self.0 {
            Matcher::Stars(pieces) => stars_match(pieces, name),
            Matcher::Full(glob) => glob.is_match(name),
        }
    }
}

/// Whether globset would read `text` as literal characters and single `*`s only.
fn only_stars(text: &str) -> bool {
    !text.contains("**")
        && !text
            .bytes()
            .any(|b| matches!(b, b'?' | b'[' | b']' | b'{' | b'}' | b'\\'))
}

/// `name` is the pieces in order, with anything in place of each `*` between them. A middle
/// piece is taken at its first place: any later match of the pattern could use that one too.
fn stars_match(pieces: &[Box<str>], name: &str) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return name.is_empty();
    };
    let Some(mut tail) = name.strip_prefix(&**first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return tail.is_empty();
    };
    for piece in middle {
        match tail.find(&**piece) {
            Some(at) => tail = &tail[at + piece.len()..],
            None => return false,
        }
    }
    tail.ends_with(&**last)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &[
        "",
        "issueCard",
        "issueCard/boundary/cardNo/max-length",
        "issueCard/boundary/cardNo/",
        "issueCard/negative/cardFields.fieldCode/too-long",
        "issueCard/negative/extendInfo/wrong-type",
        "applyToken/boundary/authClientId/min",
        "a/b/c",
        "abc",
        "aXbXc",
        "abab",
        "ab",
        "ba",
        "é/ü/x",
        "line\nbreak",
    ];

    const GLOBS: &[&str] = &[
        "",
        "*",
        "issueCard",
        "issueCard/*",
        "issueCard/boundary/cardNo/*",
        "*/boundary/*",
        "*/negative/*/too-long",
        "*too-long",
        "issueCard*",
        "a*b*c",
        "ab*ab",
        "a*a",
        "*b",
        "a*",
        "é/*/x",
        "*\n*",
        // Left to globset.
        "issueCard/**",
        "**/too-long",
        "a?c",
        "[ab]*",
        "{a,b}*",
        "a\\*c",
    ];

    #[test]
    fn matches_every_name_as_globset_does() {
        for glob in GLOBS {
            let ours = CaseGlob::new(glob).unwrap();
            let theirs = Glob::new(glob).unwrap().compile_matcher();
            for name in NAMES {
                assert_eq!(
                    ours.is_match(name),
                    theirs.is_match(name),
                    "glob {glob:?} on {name:?}"
                );
            }
        }
    }

    #[test]
    fn matches_stars_directly_and_leaves_the_rest_to_globset() {
        let direct = |g: &str| matches!(CaseGlob::new(g).unwrap().0, Matcher::Stars(_));
        assert!(direct("issueCard/boundary/cardNo/*"));
        assert!(direct("*/negative/*/too-long"));
        for other in ["a/**", "a?c", "[ab]", "{a,b}", "a\\*"] {
            assert!(!direct(other), "{other}");
        }
    }

    #[test]
    fn refuses_what_globset_refuses() {
        let err = CaseGlob::new("a[").unwrap_err();
        assert_eq!(err.kind(), Glob::new("a[").unwrap_err().kind());
    }
}
