//! A contract file's text with an index from JSON pointers to where each value and key stands.
//!
//! serde_json forgets positions once a value is parsed, yet every contract error must point at a
//! line and column. So the text is scanned once more with a strict span-keeping parser
//! (`jsonc-parser` with every extension turned off), and errors found later, on the typed model
//! or during compilation, are located through the pointer of the offending value.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use jsonc_parser::ast::{ObjectPropName, Value as Node};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions};

/// A byte range in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// A contract file's text and, built only when an error needs a place, the spans of its
/// values and keys.
#[derive(Debug)]
pub(crate) struct SourceText {
    /// Where the text came from, as the user named it.
    pub path: PathBuf,
    /// The whole file.
    pub text: String,
    index: OnceLock<Index>,
    /// Byte offset of each line's start, built on the first error: locating an error is then
    /// a search, not a scan of the text before it.
    line_starts: OnceLock<Vec<usize>>,
}

/// The file's values as a tree of spans, looked up by walking a pointer's segments. Each key is
/// kept once, so the index is proportional to the file (an index by full pointer would repeat
/// a long key for every value under it).
#[derive(Debug, Default)]
struct Index {
    root: Option<Tree>,
}

#[derive(Debug)]
struct Tree {
    span: Span,
    children: Children,
}

#[derive(Debug)]
enum Children {
    None,
    Items(Vec<Tree>),
    /// Members with their key spans, in file order (a repeated key: the last one counts, as
    /// for serde).
    Members(Vec<(String, Span, Tree)>),
}

/// A strict-JSON syntax error with its span.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    /// What is wrong, as a lowercase fragment.
    pub message: String,
    /// Where.
    pub span: Span,
}

impl SourceText {
    /// A source for `text`; nothing is parsed yet (a valid contract never needs positions).
    pub(crate) fn new(path: &Path, text: String) -> Self {
        SourceText {
            path: path.to_path_buf(),
            text,
            index: OnceLock::new(),
            line_starts: OnceLock::new(),
        }
    }

    /// Scans `text` as strict JSON, returning the source, or it with its first syntax error.
    #[cfg(test)]
    pub(crate) fn parse(path: &Path, text: String) -> Result<Self, Box<(Self, SyntaxError)>> {
        let source = SourceText::new(path, text);
        match source.syntax_error() {
            Some(error) => Err(Box::new((source, error))),
            None => Ok(source),
        }
    }

    /// The first strict-JSON syntax error of the text, with its span.
    pub(crate) fn syntax_error(&self) -> Option<SyntaxError> {
        self.parse_tree(|_| ()).err()
    }

    /// Parses the text as strict JSON and hands the tree, with the span of every value and key,
    /// to `visit`; or returns the first syntax error. An empty file is a syntax error too.
    pub(crate) fn parse_tree<R>(
        &self,
        visit: impl FnOnce(&Node<'_>) -> R,
    ) -> Result<R, SyntaxError> {
        let parsed =
            jsonc_parser::parse_to_ast(&self.text, &CollectOptions::default(), &strict_options());
        match parsed {
            Ok(result) => match &result.value {
                Some(root) => Ok(visit(root)),
                None => Err(SyntaxError {
                    message: "the file holds no JSON value".into(),
                    span: Span { start: 0, end: 1 },
                }),
            },
            Err(err) => {
                let range = err.range();
                Err(SyntaxError {
                    message: lowercase_first(&err.kind().to_string()),
                    span: self.char_span(Span {
                        start: range.start,
                        end: range.end.max(range.start + 1),
                    }),
                })
            }
        }
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let parsed = jsonc_parser::parse_to_ast(
                &self.text,
                &CollectOptions::default(),
                &strict_options(),
            );
            Index {
                root: parsed
                    .ok()
                    .and_then(|result| result.value.as_ref().map(tree)),
            }
        })
    }

    /// The span of the value at `pointer`, or of its nearest ancestor that exists.
    pub(crate) fn value_span(&self, pointer: &str) -> Span {
        // A valid contract wants a place or two (a skip pattern's, for a warning): the text is
        // scanned for them rather than indexed whole, which costs several times more.
        if self.index.get().is_none()
            && let Some(span) = scan::value_span(&self.text, pointer)
        {
            return span;
        }
        self.indexed_span(pointer)
    }

    /// [`SourceText::value_span`] through the index.
    fn indexed_span(&self, pointer: &str) -> Span {
        let Some(mut current) = self.index().root.as_ref() else {
            return Span { start: 0, end: 1 };
        };
        for segment in segments(pointer) {
            match current.child(&segment) {
                Some((_, child)) => current = child,
                None => break,
            }
        }
        current.span
    }

    /// The span of the key naming the value at `pointer`, if that value is an object member.
    pub(crate) fn key_span(&self, pointer: &str) -> Option<Span> {
        let mut current = self.index().root.as_ref()?;
        let mut key = None;
        for segment in segments(pointer) {
            let (span, child) = current.child(&segment)?;
            key = span;
            current = child;
        }
        key
    }

    /// `span` within the text and on character boundaries: a span from a byte-level scan may
    /// end inside a multi-byte character, and slicing there would panic.
    pub(crate) fn char_span(&self, span: Span) -> Span {
        let start = self
            .text
            .floor_char_boundary(span.start.min(self.text.len()));
        let end = self
            .text
            .ceil_char_boundary(span.end.clamp(start, self.text.len()));
        Span { start, end }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let (line, start, offset) = self.line_of(offset);
        let column = self.text[start..offset].chars().count() + 1;
        (line, column)
    }

    /// The text of the line holding `offset`, without its line break.
    pub(crate) fn line_text(&self, offset: usize) -> &str {
        let (line, start, _) = self.line_of(offset);
        let end = self
            .starts()
            .get(line)
            .map_or(self.text.len(), |next| next - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    /// The bytes of the line holding `offset`, without its line break.
    pub(crate) fn line_span(&self, offset: usize) -> Span {
        let text = self.line_text(offset);
        let start = text.as_ptr() as usize - self.text.as_ptr() as usize;
        Span {
            start,
            end: start + text.len(),
        }
    }

    /// The 1-based line holding `offset`, the line's first byte, and `offset` on a character
    /// boundary within the text.
    fn line_of(&self, offset: usize) -> (usize, usize, usize) {
        let offset = self.text.floor_char_boundary(offset.min(self.text.len()));
        let starts = self.starts();
        let line = starts.partition_point(|start| *start <= offset);
        (line, starts[line - 1], offset)
    }

    fn starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let breaks = self.text.match_indices('\n').map(|(i, _)| i + 1);
            std::iter::once(0).chain(breaks).collect()
        })
    }
}

/// The span of an AST node.
pub(crate) fn node_span(node: &Node<'_>) -> Span {
    span_of(node.range())
}

/// The span of an object member's key.
pub(crate) fn key_span(name: &ObjectPropName<'_>) -> Span {
    span_of(name.range())
}

/// Every JSON extension off: contracts are plain JSON so any tool can read them.
fn strict_options() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

fn tree(node: &Node<'_>) -> Tree {
    let children = match node {
        Node::Object(object) => Children::Members(
            object
                .properties
                .iter()
                .map(|prop| {
                    let name = match &prop.name {
                        ObjectPropName::String(lit) => lit.value.to_string(),
                        ObjectPropName::Word(lit) => lit.value.to_string(),
                    };
                    (name, span_of(prop.name.range()), tree(&prop.value))
                })
                .collect(),
        ),
        Node::Array(array) => Children::Items(array.elements.iter().map(tree).collect()),
        _ => Children::None,
    };
    Tree {
        span: span_of(node.range()),
        children,
    }
}

impl Tree {
    /// The member or element `segment` names, with the member's key span.
    fn child(&self, segment: &str) -> Option<(Option<Span>, &Tree)> {
        match &self.children {
            Children::Members(members) => members
                .iter()
                .rev()
                .find(|(name, _, _)| name == segment)
                .map(|(_, key, child)| (Some(*key), child)),
            Children::Items(items) => {
                let index: usize = segment.parse().ok()?;
                items.get(index).map(|child| (None, child))
            }
            Children::None => None,
        }
    }
}

/// The unescaped segments of a pointer (`/a~1b/0` → `a/b`, `0`).
fn segments(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
}

fn span_of(range: jsonc_parser::common::Range) -> Span {
    Span {
        start: range.start,
        end: range.end,
    }
}

fn lowercase_first(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Finding one value in the text without building the index: each value on the way is
/// skipped over whole. Anything unexpected (an escaped key, a missing member or item, text
/// that is not JSON) gives `None`, and the index answers instead, so the two never disagree.
mod scan {
    use super::{Span, segments};

    pub(super) fn value_span(text: &str, pointer: &str) -> Option<Span> {
        let bytes = text.as_bytes();
        let mut at = space(bytes, 0);
        for segment in segments(pointer) {
            at = match bytes.get(at)? {
                b'{' => member(bytes, at, &segment)?,
                b'[' => item(bytes, at, segment.parse().ok()?)?,
                _ => return None,
            };
        }
        let end = value_end(bytes, at)?;
        Some(Span { start: at, end })
    }

    /// Where the value of the member `name` of the object opening at `open` starts (the last
    /// such member, as for serde and the index).
    fn member(bytes: &[u8], open: usize, name: &str) -> Option<usize> {
        let mut at = space(bytes, open + 1);
        let mut found = None;
        loop {
            if bytes.get(at) != Some(&b'"') {
                return None;
            }
            let key_end = string_end(bytes, at)?;
            let key = &bytes[at + 1..key_end - 1];
            if key.contains(&b'\\') {
                return None;
            }
            at = space(bytes, key_end);
            if bytes.get(at) != Some(&b':') {
                return None;
            }
            at = space(bytes, at + 1);
            if key == name.as_bytes() {
                found = Some(at);
            }
            at = space(bytes, value_end(bytes, at)?);
            match bytes.get(at)? {
                b',' => at = space(bytes, at + 1),
                b'}' => return found,
                _ => return None,
            }
        }
    }

    /// Where item `index` of the array opening at `open` starts.
    fn item(bytes: &[u8], open: usize, index: usize) -> Option<usize> {
        let mut at = space(bytes, open + 1);
        if bytes.get(at) == Some(&b']') {
            return None;
        }
        for _ in 0..index {
            at = space(bytes, value_end(bytes, at)?);
            if bytes.get(at) != Some(&b',') {
                return None;
            }
            at = space(bytes, at + 1);
        }
        Some(at)
    }

    /// One past the end of the value starting at `at`.
    fn value_end(bytes: &[u8], at: usize) -> Option<usize> {
        match bytes.get(at)? {
            b'"' => string_end(bytes, at),
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut i = at;
                loop {
                    match bytes.get(i)? {
                        b'"' => {
                            i = string_end(bytes, i)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.checked_sub(1)?;
                            if depth == 0 {
                                return Some(i + 1);
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            b',' | b'}' | b']' | b':' => None,
            _ => {
                let rest = &bytes[at..];
                let len = rest
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                    .unwrap_or(rest.len());
                Some(at + len)
            }
        }
    }

    /// One past the closing quote of the string starting at `at`.
    fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
        let mut i = at + 1;
        loop {
            match bytes.get(i)? {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
    }

    fn space(bytes: &[u8], mut at: usize) -> usize {
        while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            at += 1;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pointer of `value`, the root's included.
    fn pointers(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    pointers(
                        child,
                        format!("{at}/{}", crate::json::pointer::escape(key)),
                        out,
                    );
                }
            }
            serde_json::Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    pointers(child, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }

    #[test]
    fn scanning_for_a_value_finds_the_span_the_index_holds() {
        let mut files: Vec<PathBuf> = Vec::new();
        for folder in ["contracts/platform", "contracts/merchant"] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
            for entry in std::fs::read_dir(dir).expect("shipped contracts") {
                files.push(entry.expect("entry").path());
            }
        }
        let text = "{\"a\": [1, {\"b\": \"x\\\"}\"}, -2.5e3], \"a\": [true, null], \"c~d/e\": {}}";
        let mut checked = 0;
        for text in files
            .iter()
            .map(|f| std::fs::read_to_string(f).expect("readable"))
            .chain([text.to_string()])
        {
            let value: serde_json::Value = serde_json::from_str(&text).expect("json");
            let mut all = Vec::new();
            pointers(&value, String::new(), &mut all);
            all.extend(["/a/7", "/zzz", "/a/0/q"].map(String::from));
            let source = SourceText::new(Path::new("t.json"), text);
            for pointer in &all {
                let scanned = scan::value_span(&source.text, pointer);
                let indexed = source.indexed_span(pointer);
                assert!(
                    scanned.is_none_or(|s| s == indexed),
                    "{pointer}: scanned {scanned:?}, indexed {indexed:?}"
                );
                checked += usize::from(scanned.is_some());
            }
        }
        assert!(checked > 500, "only {checked} values found by scanning");
    }

    fn source(text: &str) -> SourceText {
        SourceText::parse(Path::new("t.json"), text.to_string()).expect("valid json")
    }

    #[test]
    fn locates_nested_values_and_keys_by_pointer() {
        let src = source("{\n  \"a\": {\n    \"b/c\": [1, 22]\n  }\n}");
        let span = src.value_span("/a/b~1c/1");
        assert_eq!(&src.text[span.start..span.end], "22");
        assert_eq!(src.line_col(span.start), (3, 16));
        let key = src.key_span("/a/b~1c").expect("key span");
        assert_eq!(&src.text[key.start..key.end], "\"b/c\"");
    }

    #[test]
    fn missing_pointer_falls_back_to_nearest_ancestor() {
        let src = source("{\"a\": {\"b\": 1}}");
        let span = src.value_span("/a/zzz/0");
        assert_eq!(&src.text[span.start..span.end], "{\"b\": 1}");
    }

    #[test]
    fn rejects_trailing_commas_and_comments_with_a_position() {
        let (src, err) = *SourceText::parse(Path::new("t.json"), "{\"a\": 1,\n}".into())
            .expect_err("trailing comma is not json");
        assert_eq!(src.line_col(err.span.start).0, 1);
        assert!(err.message.contains("trailing comma"), "{}", err.message);
        let (_, err) = *SourceText::parse(Path::new("t.json"), "{} // no".into())
            .expect_err("comments are not json");
        assert!(err.message.contains("comment"), "{}", err.message);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let src = source("{\"é\": \"ü\", \"x\": 1}");
        let span = src.value_span("/x");
        assert_eq!(src.line_col(span.start), (1, 17));
    }
}
