//! Matching a received path against a path template, gateway prefixes allowed.

use percent_encoding::percent_decode_str;

use crate::contract::PathTemplate;
use crate::contract::http::PathPiece;

/// A path matched by a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathMatch {
    /// Each parameter's value, percent-decoded.
    pub params: Vec<(String, String)>,
    /// How many bytes of the path came before the template (a gateway prefix such as
    /// `/api/open`); 0 for an exact match.
    pub prefix: usize,
}

/// Matches `path` against `template`, exactly or behind a prefix that ends at a segment
/// boundary (`/api/open/v1/cards/1` for `/v1/cards/{id}`). The longest match wins.
pub(crate) fn match_path(template: &PathTemplate, path: &str) -> Option<PathMatch> {
    let starts = std::iter::once(0).chain(path.match_indices('/').skip(1).map(|(i, _)| i));
    for start in starts {
        let mut params = Vec::new();
        if matches(&template.pieces, &path[start..], &mut params) {
            return Some(PathMatch {
                params,
                prefix: start,
            });
        }
    }
    None
}

/// Whether `pieces` match all of `rest`; a parameter takes a (possibly empty) run of
/// characters within one segment.
fn matches(pieces: &[PathPiece], rest: &str, params: &mut Vec<(String, String)>) -> bool {
    let Some((first, others)) = pieces.split_first() else {
        return rest.is_empty();
    };
    match first {
        PathPiece::Literal(text) => {
            rest.starts_with(text.as_str()) && matches(others, &rest[text.len()..], params)
        }
        PathPiece::Param(name) => {
            let segment_end = rest.find('/').unwrap_or(rest.len());
            // Longest value first, so `{name}.json` keeps dots inside the name.
            for end in (0..=segment_end)
                .rev()
                .filter(|e| rest.is_char_boundary(*e))
            {
                let mark = params.len();
                if matches(others, &rest[end..], params) {
                    let value = percent_decode_str(&rest[..end]).decode_utf8_lossy();
                    params.insert(mark, (name.clone(), value.into_owned()));
                    return true;
                }
                params.truncate(mark);
            }
            false
        }
    }
}
