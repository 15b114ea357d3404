//! The request body's parser: RFC 8259 JSON read straight into the arena.
//!
//! `serve` parses every request it answers, and reading through serde's visitor protocol (a
//! call and a `Result` per value, per key and per "is there another member?") cost more than
//! the reading itself: 10k instructions for a 435-byte issueCard request, a quarter of all the
//! work `serve` does per request. This parser is a loop over the bytes that builds nodes as it
//! goes. It accepts and refuses exactly what `serde_json` does (a test holds the two to it over
//! generated documents), and a number it cannot settle by itself (a fraction, an exponent, an
//! integer past 19 digits, `-0`) it hands to `serde_json`, so a body's number equals the same
//! literal in a contract to the last bit.

use bumpalo::Bump;
use bumpalo::collections::{String as BumpString, Vec as BumpVec};
use serde_json::Number;

use super::Node;

/// How deeply arrays and objects may nest: `serde_json`'s limit, so both refuse the same
/// bodies, and the parser's recursion stays far from the end of a thread's stack.
const MAX_DEPTH: usize = 127;

/// Parses `text`, which is valid UTF-8, into `arena`; the message says what is wrong and where.
pub(super) fn parse<'a>(text: &'a str, arena: &'a Bump) -> Result<Node<'a>, String> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        depth: 0,
        arena,
        members: BumpVec::with_capacity_in(16, arena),
        items: BumpVec::with_capacity_in(16, arena),
    };
    let located = |(problem, at): (Problem, usize)| located(text, problem, at);
    let node = parser.value().map_err(located)?;
    parser.skip_whitespace();
    if parser.at < parser.bytes.len() {
        return Err(located((Problem::TrailingCharacters, parser.at)));
    }
    Ok(node)
}

/// What is wrong with a body, worded as `serde_json` words it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Problem {
    EofValue,
    EofString,
    EofObject,
    EofList,
    ExpectedValue,
    ExpectedIdent,
    ExpectedColon,
    ExpectedObjectCommaOrEnd,
    ExpectedListCommaOrEnd,
    KeyMustBeAString,
    TrailingComma,
    TrailingCharacters,
    InvalidNumber,
    NumberOutOfRange,
    InvalidEscape,
    ControlCharacter,
    LoneSurrogate,
    UnexpectedEndOfHexEscape,
    RecursionLimit,
}

impl Problem {
    fn words(self) -> &'static str {
        match self {
            Problem::EofValue => "EOF while parsing a value",
            Problem::EofString => "EOF while parsing a string",
            Problem::EofObject => "EOF while parsing an object",
            Problem::EofList => "EOF while parsing a list",
            Problem::ExpectedValue => "expected value",
            Problem::ExpectedIdent => "expected ident",
            Problem::ExpectedColon => "expected `:`",
            Problem::ExpectedObjectCommaOrEnd => "expected `,` or `}`",
            Problem::ExpectedListCommaOrEnd => "expected `,` or `]`",
            Problem::KeyMustBeAString => "key must be a string",
            Problem::TrailingComma => "trailing comma",
            Problem::TrailingCharacters => "trailing characters",
            Problem::InvalidNumber => "invalid number",
            Problem::NumberOutOfRange => "number out of range",
            Problem::InvalidEscape => "invalid escape",
            Problem::ControlCharacter => {
                "control character (\\u0000-\\u001F) found while parsing a string"
            }
            // serde_json's words, though a second half alone is not a "leading" one.
            Problem::LoneSurrogate => "lone leading surrogate in hex escape",
            Problem::UnexpectedEndOfHexEscape => "unexpected end of hex escape",
            Problem::RecursionLimit => "recursion limit exceeded",
        }
    }
}

/// `problem` at byte `at` of `text`, with its line and column (both from 1; the column counts
/// bytes, and a problem at the end of the body is placed just after its last byte).
fn located(text: &str, problem: Problem, at: usize) -> String {
    let before = &text.as_bytes()[..at.min(text.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = at - line_start + 1;
    format!("{} at line {line} column {column}", problem.words())
}

type Parsed<T> = Result<T, (Problem, usize)>;

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// The next byte to read.
    at: usize,
    /// How many arrays and objects enclose the value being read.
    depth: usize,
    arena: &'a Bump,
    /// The members of the objects being read, innermost last: an object's are copied into
    /// the arena at their exact count when it ends (JSON does not say how many there will
    /// be, and a slice grown in place would be copied each time it outgrew its room).
    members: BumpVec<'a, (&'a str, Node<'a>)>,
    /// The items of the arrays being read, likewise.
    items: BumpVec<'a, Node<'a>>,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// The next byte that is not whitespace, not consumed.
    fn next_token(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.peek()
    }

    fn value(&mut self) -> Parsed<Node<'a>> {
        match self.next_token() {
            None => Err((Problem::EofValue, self.at)),
            Some(b'"') => {
                self.at += 1;
                self.string().map(Node::String)
            }
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b't') => self.word("true", Node::Bool(true)),
            Some(b'f') => self.word("false", Node::Bool(false)),
            Some(b'n') => self.word("null", Node::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err((Problem::ExpectedValue, self.at)),
        }
    }

    /// Reads an array or object one level deeper, refusing nesting past [`MAX_DEPTH`].
    fn nested(&mut self, read: fn(&mut Self) -> Parsed<Node<'a>>) -> Parsed<Node<'a>> {
        if self.depth == MAX_DEPTH {
            return Err((Problem::RecursionLimit, self.at));
        }
        self.depth += 1;
        self.at += 1;
        let node = read(self);
        self.depth -= 1;
        node
    }

    /// An object's members, its `{` read. The order in which problems are looked for is
    /// serde_json's, so both say the same about a broken body.
    fn object(&mut self) -> Parsed<Node<'a>> {
        let start = self.members.len();
        let mut first = true;
        loop {
            match self.next_token() {
                None => return Err((Problem::EofObject, self.at)),
                Some(b'}') => break,
                Some(b'"') if first => first = false,
                Some(_) if first => return Err((Problem::KeyMustBeAString, self.at)),
                Some(b',') => {
                    self.at += 1;
                    match self.next_token() {
                        Some(b'"') => {}
                        Some(b'}') => return Err((Problem::TrailingComma, self.at)),
                        Some(_) => return Err((Problem::KeyMustBeAString, self.at)),
                        None => return Err((Problem::EofValue, self.at)),
                    }
                }
                Some(_) => return Err((Problem::ExpectedObjectCommaOrEnd, self.at)),
            }
            self.at += 1;
            let name = self.string()?;
            match self.next_token() {
                Some(b':') => self.at += 1,
                Some(_) => return Err((Problem::ExpectedColon, self.at)),
                None => return Err((Problem::EofObject, self.at)),
            }
            let value = self.value()?;
            self.members.push((name, value));
        }
        self.at += 1;
        let members = self.arena.alloc_slice_clone(&self.members[start..]);
        self.members.truncate(start);
        Ok(Node::Object(members))
    }

    /// An array's items, its `[` read; problems are looked for in serde_json's order.
    fn array(&mut self) -> Parsed<Node<'a>> {
        let start = self.items.len();
        let mut first = true;
        loop {
            match self.next_token() {
                None => return Err((Problem::EofList, self.at)),
                Some(b']') => break,
                Some(_) if first => first = false,
                Some(b',') => {
                    self.at += 1;
                    match self.next_token() {
                        Some(b']') => return Err((Problem::TrailingComma, self.at)),
                        Some(_) => {}
                        None => return Err((Problem::EofValue, self.at)),
                    }
                }
                Some(_) => return Err((Problem::ExpectedListCommaOrEnd, self.at)),
            }
            let item = self.value()?;
            self.items.push(item);
        }
        self.at += 1;
        let items = self.arena.alloc_slice_clone(&self.items[start..]);
        self.items.truncate(start);
        Ok(Node::Array(items))
    }

    /// `true`, `false` or `null`, whose first byte is next.
    fn word(&mut self, word: &str, node: Node<'a>) -> Parsed<Node<'a>> {
        for expected in word.bytes() {
            match self.peek() {
                Some(b) if b == expected => self.at += 1,
                None => return Err((Problem::EofValue, self.at)),
                Some(_) => return Err((Problem::ExpectedIdent, self.at)),
            }
        }
        Ok(node)
    }

    /// The rest of a string whose opening quote has been read: borrowed from the body when it
    /// has no escapes, as nearly every string of a request has none.
    fn string(&mut self) -> Parsed<&'a str> {
        let start = self.at;
        let end = self.plain_run(start);
        match self.bytes.get(end) {
            Some(b'"') => {
                self.at = end + 1;
                // Both ends are ASCII quotes, so both are character boundaries.
                Ok(&self.text[start..end])
            }
            Some(b'\\') => self.escaped(start, end),
            Some(_) => Err((Problem::ControlCharacter, end)),
            None => Err((Problem::EofString, end)),
        }
    }

    /// Where the run of bytes from `from` that need no attention ends: at a quote, a
    /// backslash, a control character or the end of the body.
    fn plain_run(&self, from: usize) -> usize {
        let rest = &self.bytes[from..];
        let mut chunks = rest.chunks_exact(8);
        let mut at = from;
        for chunk in chunks.by_ref() {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            let found = attention(word);
            if found != 0 {
                return at + (found.trailing_zeros() / 8) as usize;
            }
            at += 8;
        }
        let tail = chunks.remainder();
        at + tail
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(tail.len())
    }

    /// A string with escapes, unescaped into the arena; `escape` is its first backslash.
    fn escaped(&mut self, start: usize, escape: usize) -> Parsed<&'a str> {
        let mut text = BumpString::with_capacity_in(escape - start + 16, self.arena);
        text.push_str(&self.text[start..escape]);
        let mut at = escape;
        loop {
            match self.bytes.get(at) {
                Some(b'"') => {
                    self.at = at + 1;
                    return Ok(text.into_bump_str());
                }
                Some(b'\\') => at = self.unescape(at + 1, &mut text)?,
                Some(_) => {
                    let end = self.plain_run(at);
                    if end == at {
                        return Err((Problem::ControlCharacter, at));
                    }
                    // `at` and `end` are both next to ASCII bytes: character boundaries.
                    text.push_str(&self.text[at..end]);
                    at = end;
                }
                None => return Err((Problem::EofString, at)),
            }
        }
    }

    /// The escape whose letter is at `at`, pushed onto `text`; gives where reading goes on.
    fn unescape(&self, at: usize, text: &mut BumpString<'a>) -> Parsed<usize> {
        let c = match self.bytes.get(at) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode(at + 1, text),
            Some(_) => return Err((Problem::InvalidEscape, at)),
            None => return Err((Problem::EofString, at)),
        };
        text.push(c);
        Ok(at + 1)
    }

    /// A `\u` escape's code point, whose four hex digits start at `at`: a surrogate must be
    /// the first of a pair whose second follows at once.
    fn unicode(&self, at: usize, text: &mut BumpString<'a>) -> Parsed<usize> {
        let first = self.hex4(at)?;
        let (code, next) = match first {
            0xD800..=0xDBFF => {
                for (i, expected) in [(at + 4, b'\\'), (at + 5, b'u')] {
                    match self.bytes.get(i) {
                        Some(&b) if b == expected => {}
                        Some(_) => return Err((Problem::UnexpectedEndOfHexEscape, i)),
                        None => return Err((Problem::EofString, i)),
                    }
                }
                let second = self.hex4(at + 6)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err((Problem::LoneSurrogate, at + 6));
                }
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                (code, at + 10)
            }
            0xDC00..=0xDFFF => return Err((Problem::LoneSurrogate, at)),
            _ => (first, at + 4),
        };
        let c = char::from_u32(code).ok_or((Problem::InvalidEscape, at))?;
        text.push(c);
        Ok(next)
    }

    /// Four hex digits from `at`; as in serde_json, a body that ends before all four is
    /// refused for ending, whatever the digits before the end.
    fn hex4(&self, at: usize) -> Parsed<u32> {
        let digits = self
            .bytes
            .get(at..at + 4)
            .ok_or((Problem::EofString, self.bytes.len()))?;
        digits.iter().zip(at..).try_fold(0, |code, (&b, i)| {
            let digit = (b as char)
                .to_digit(16)
                .ok_or((Problem::InvalidEscape, i))?;
            Ok(code * 16 + digit)
        })
    }

    /// A number, whose first byte (a digit or `-`) is next.
    fn number(&mut self) -> Parsed<Node<'a>> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.at += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err((Problem::InvalidNumber, self.at));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            None => return Err((Problem::EofValue, self.at)),
            Some(_) => return Err((Problem::InvalidNumber, self.at)),
        }
        let integer_digits = self.at - start - usize::from(negative);
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.required_digits()?;
            integer = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.required_digits()?;
            integer = false;
        }
        let literal = &self.text[start..self.at];
        let simple = integer.then(|| simple_integer(literal, negative, integer_digits));
        match simple.flatten() {
            Some(number) => Ok(Node::Number(number)),
            // serde_json's own reading, so the body's number is the contract's to the bit.
            None => serde_json::from_str::<Number>(literal)
                .map(Node::Number)
                .map_err(|_| (Problem::NumberOutOfRange, start)),
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    /// At least one digit, as after a decimal point or an exponent's sign.
    fn required_digits(&mut self) -> Parsed<()> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            None => Err((Problem::EofValue, self.at)),
            Some(_) => Err((Problem::InvalidNumber, self.at)),
        }
    }
}

/// Eight bytes of a string read as one little-endian word: the high bit of each byte that
/// ends a plain run (a quote, a backslash or a control character) is set, and no bit below
/// the first such byte is (the usual "has a zero byte" test, as `serde_json` scans strings).
/// Strings are read eight bytes a step rather than one.
fn attention(word: u64) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w;
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = has_zero(word ^ (ONES * u64::from(b'"')));
    let backslash = has_zero(word ^ (ONES * u64::from(b'\\')));
    (control | quote | backslash) & HIGH
}

/// An integer literal of at most 19 digits (which always fits in 64 bits), as `serde_json`
/// reads it; `None` for `-0` and the like, which it reads as a float.
fn simple_integer(literal: &str, negative: bool, digits: usize) -> Option<Number> {
    if digits > 19 {
        return None;
    }
    let magnitude = literal.as_bytes()[usize::from(negative)..]
        .iter()
        .fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    match (negative, magnitude) {
        (false, n) => Some(n.into()),
        (true, 0) => None,
        (true, n) => 0i64.checked_sub_unsigned(n).map(Number::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::JsonView;
    use serde_json::Value;

    /// A problem's words without its place: the two parsers count columns differently.
    fn words(message: &str) -> String {
        message
            .split(" at line ")
            .next()
            .unwrap_or(message)
            .to_string()
    }

    fn ours(text: &str) -> Result<Value, String> {
        let arena = Bump::new();
        parse(text, &arena)
            .map(|node| node.to_value())
            .map_err(|e| words(&e))
    }

    fn serde_jsons(text: &str) -> Result<Value, String> {
        serde_json::from_str::<Value>(text).map_err(|e| words(&e.to_string()))
    }

    fn assert_read_alike(text: &str) {
        let (ours, theirs) = (ours(text), serde_jsons(text));
        assert_eq!(ours, theirs, "{text:?}");
        // Numbers compare by kind too: 1 and 1.0 differ, and so do 0 and -0.0.
        if let (Ok(a), Ok(b)) = (&ours, &theirs) {
            assert_eq!(a.to_string(), b.to_string(), "{text:?}");
        }
    }

    #[test]
    fn accepts_and_refuses_what_serde_json_does_on_every_edge_of_the_grammar() {
        #[rustfmt::skip]
        let cases = [
            "", " ", "null", "true", "false", "nul", "tru", "fals", "nulL", "trUe", "x",
            "0", "-0", "-", "- 1", "01", "-01", "1.", "1.x", ".5", "1.5", "-1.5e3", "1e", "1e+",
            "1E-2", "1ex", "1e400", "-1e400", "1e-400", "18446744073709551615",
            "18446744073709551616", "-9223372036854775808", "-9223372036854775809",
            "9223372036854775807", "12345678901234567890123", "0.1", "1.0", "1e2", "1x",
            r#""""#, r#""a"#, r#""\"#, r#""\q""#, r#""\/\b\f\n\r\t\"\\""#, "\"\u{1}\"",
            "\"tab\there\"", r#""\u00e9""#, r#""\u00E9x""#, r#""\u12""#, r#""\u12g4""#,
            r#""\ud83d\ude00""#, r#""\ud83d""#, r#""\ud83dx""#, r#""\ud83d\n""#,
            r#""\ud83d\u0041""#, r#""\ude00""#, r#""\ud83d\ud83d""#, "\"ü😀\"",
            "[", "[1", "[1,", "[1,]", "[,1]", "[1 2]", "[]", "[ ]", "[[[]]]", "[1,2,]",
            "{", "{}", "{ }", r#"{"a""#, r#"{"a":"#, r#"{"a":1"#, r#"{"a":1,"#, r#"{"a":1,}"#,
            r#"{"a" 1}"#, r#"{1:2}"#, r#"{"a":1 "b":2}"#, r#"{"a":1,2}"#, r#"{,}"#,
            r#"{"a":1,"a":2}"#, r#"{"a":{"b":[1,{"c":null}]}}"#, " {\"a\" : [ true ,false ] } ",
            "1 2", "{} x", "[]]", "\n\r\t 1 \n",
        ];
        for case in cases {
            assert_read_alike(case);
        }
    }

    #[test]
    fn refuses_nesting_where_serde_json_does() {
        for depth in [126, 127, 128, 129] {
            assert_read_alike(&format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
            let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
            assert_read_alike(&objects);
        }
    }

    #[test]
    fn reads_generated_and_damaged_documents_as_serde_json_does() {
        let mut random = Random(0x5eed_c0f0_4f4d_0001);
        for _ in 0..4000 {
            let mut text = String::new();
            random.document(&mut text, 0);
            assert_read_alike(&text);
            let mut damaged: Vec<char> = text.chars().collect();
            for _ in 0..=random.below(3) {
                random.damage(&mut damaged);
            }
            assert_read_alike(&damaged.into_iter().collect::<String>());
        }
    }

    #[test]
    fn places_a_problem_by_line_and_column() {
        let arena = Bump::new();
        let at = |text: &str| parse(text, &arena).unwrap_err();
        assert_eq!(
            at("{\n  \"a\": tru\n}"),
            "expected ident at line 2 column 11"
        );
        assert_eq!(at("[1,"), "EOF while parsing a value at line 1 column 4");
    }

    /// A small deterministic generator (xorshift), so a failure names the same document on
    /// every run.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'p>(&mut self, from: &[&'p str]) -> &'p str {
            from[self.below(from.len())]
        }

        fn space(&mut self, out: &mut String) {
            out.push_str(self.pick(&["", "", "", " ", "\n", "\t ", "\r\n"]));
        }

        fn document(&mut self, out: &mut String, depth: usize) {
            self.space(out);
            match self.below(if depth > 4 { 4 } else { 6 }) {
                0 => out.push_str(self.pick(&["null", "true", "false"])),
                1 => out.push_str(self.pick(&[
                    "0",
                    "-0",
                    "7",
                    "-12",
                    "3.25",
                    "-0.5e-3",
                    "1E9",
                    "18446744073709551615",
                    "18446744073709551616",
                    "-9223372036854775808",
                    "123456789012345678901",
                    "2.2250738585072014e-308",
                    "0.30000000000000004",
                    "1e-7",
                ])),
                2 | 3 => self.string(out),
                4 => {
                    out.push('[');
                    for i in 0..self.below(4) {
                        if i > 0 {
                            out.push(',');
                        }
                        self.document(out, depth + 1);
                    }
                    self.space(out);
                    out.push(']');
                }
                _ => {
                    out.push('{');
                    for i in 0..self.below(4) {
                        if i > 0 {
                            out.push(',');
                        }
                        self.space(out);
                        self.string(out);
                        self.space(out);
                        out.push(':');
                        self.document(out, depth + 1);
                    }
                    self.space(out);
                    out.push('}');
                }
            }
            self.space(out);
        }

        fn string(&mut self, out: &mut String) {
            out.push('"');
            for _ in 0..self.below(24) {
                out.push_str(self.pick(&[
                    "a",
                    "Z",
                    "7",
                    " ",
                    "-",
                    "ü",
                    "😀",
                    "\\\"",
                    "\\\\",
                    "\\/",
                    "\\n",
                    "\\t",
                    "\\u00e9",
                    "\\u0000",
                    "\\ud83d\\ude00",
                    "abcdefgh",
                    "@#?",
                ]));
            }
            out.push('"');
        }

        fn damage(&mut self, text: &mut Vec<char>) {
            const BYTES: &[char] = &[
                '{', '}', '[', ']', ',', ':', '"', '\\', ' ', '-', '+', '.', 'e', '0', '5', 't',
                'n', 'u', 'd', '\u{1}', '\n', 'é',
            ];
            let at = self.below(text.len() + 1);
            let c = BYTES[self.below(BYTES.len())];
            match self.below(3) {
                0 if at < text.len() => {
                    text.remove(at);
                }
                1 if at < text.len() => text[at] = c,
                _ => text.insert(at, c),
            }
        }
    }
}
