//! Making up a string that matches a regular expression, by walking its parsed form and taking
//! the simplest choice at each node (first alternative, minimum repetition, a plain character
//! from each class).

use regex_syntax::hir::{Class, Hir, HirKind};

/// A string matching `pattern`, or `None` when the pattern is too unusual to sample this way
/// (the caller then falls back to other candidates, and the result is always re-checked).
/// Samples longer than [`super::MAX_MADE_BYTES`] are not made (`^a{100000000}$`).
pub(crate) fn sample(pattern: &str, at_least: usize) -> Option<String> {
    let hir = regex_syntax::parse(pattern).ok()?;
    let mut out = String::new();
    walk(&hir, at_least, &mut out)?;
    Some(out)
}

fn walk(hir: &Hir, stretch: usize, out: &mut String) -> Option<()> {
    if out.len() > super::MAX_MADE_BYTES {
        return None;
    }
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(()),
        HirKind::Literal(literal) => {
            out.push_str(std::str::from_utf8(&literal.0).ok()?);
            Some(())
        }
        HirKind::Class(class) => {
            out.push(pick(class)?);
            Some(())
        }
        HirKind::Repetition(rep) => {
            // Repeat at least `min` times; grow an unbounded repetition towards `stretch` so a
            // pattern like `^[0-9]+$` can still satisfy a `minLength`.
            let wanted = (rep.min as usize).max(stretch.min(rep.max.unwrap_or(u32::MAX) as usize));
            for _ in 0..wanted {
                walk(&rep.sub, 0, out)?;
            }
            Some(())
        }
        HirKind::Capture(capture) => walk(&capture.sub, stretch, out),
        HirKind::Concat(parts) => parts.iter().try_for_each(|p| walk(p, stretch, out)),
        HirKind::Alternation(options) => walk(options.first()?, stretch, out),
    }
}

/// Prefers a letter or digit from the class, so samples stay readable and clear of
/// forbidden punctuation.
fn pick(class: &Class) -> Option<char> {
    match class {
        Class::Unicode(unicode) => {
            let ranges = unicode.ranges();
            for candidate in ['A', 'a', '0'] {
                if ranges
                    .iter()
                    .any(|r| r.start() <= candidate && candidate <= r.end())
                {
                    return Some(candidate);
                }
            }
            ranges
                .iter()
                .flat_map(|r| (r.start()..=r.end()).take(128))
                .find(|c| c.is_alphanumeric())
                .or_else(|| ranges.first().map(|r| r.start()))
        }
        Class::Bytes(bytes) => bytes.ranges().first().map(|r| char::from(r.start())),
    }
}

#[cfg(test)]
mod tests {
    use super::sample;

    #[test]
    fn samples_match_their_pattern() {
        for pattern in [
            "^[A-Z]{3}$",
            "^\\d{4}-\\d{2}$",
            "^(foo|bar)[0-9]+$",
            "^[a-z_]{2,5}$",
        ] {
            let value = sample(pattern, 0).unwrap();
            assert!(
                regex::Regex::new(pattern).unwrap().is_match(&value),
                "{pattern} -> {value}"
            );
        }
    }

    #[test]
    fn samples_longer_than_the_budget_are_not_made() {
        assert_eq!(sample("^a{2000000}$", 0), None);
        assert_eq!(sample("^[0-9]+$", 4_000_000_000), None);
        assert_eq!(sample("^a{1000}$", 0).map(|s| s.len()), Some(1000));
    }

    #[test]
    fn unbounded_repetitions_stretch_towards_a_minimum_length() {
        assert_eq!(sample("^[0-9]+$", 6).unwrap().len(), 6);
    }
}
