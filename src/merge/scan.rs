//! A streaming scanner over one JSON document: it walks the top-level object key by key and the
//! `results` array element by element, handing each value's bytes to serde_json. A shard report
//! of a large suite runs to gigabytes, so it is never held whole: only one value at a time.
//!
//! The scanner finds where values start and end (strings, escapes and nesting); serde_json
//! judges whether they are valid. Errors carry the byte offset where the scanner stood, turned
//! into a line and column only when one is shown.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes buffered per open report; a merge of N shards keeps N of these.
const BUFFER: usize = 64 * 1024;

/// The largest value read: far above any entry a run writes (a finding quotes at most a
/// response, which the run caps), so that a corrupt or hostile file cannot take all memory.
const MAX_VALUE: usize = 256 * 1024 * 1024;

/// What went wrong where in a report.
#[derive(Debug)]
pub(super) enum ScanError {
    /// The file could not be read.
    Io(io::Error),
    /// The bytes at `offset` are not what a JSON report has there.
    Syntax { offset: u64, message: String },
}

impl From<io::Error> for ScanError {
    fn from(err: io::Error) -> Self {
        ScanError::Io(err)
    }
}

/// Why a value could not be decoded where it lies.
pub(super) enum Undecoded {
    /// The bytes end inside the value.
    Incomplete,
    /// The value is not what it should be, in words.
    Invalid(String),
}

/// A report file being scanned.
pub(super) struct Scanner {
    reader: BufReader<File>,
    offset: u64,
}

impl Scanner {
    /// Scans `path` from `offset` (0 for the start of the document).
    pub(super) fn open(path: &Path, offset: u64) -> io::Result<Self> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Scanner {
            reader: BufReader::with_capacity(BUFFER, file),
            offset,
        })
    }

    /// Where the scanner stands, in bytes from the start of the file.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// An error at the scanner's position.
    pub(super) fn error(&self, message: impl Into<String>) -> ScanError {
        ScanError::Syntax {
            offset: self.offset,
            message: message.into(),
        }
    }

    /// The next byte after any whitespace, not consumed; `None` at the end of the file.
    pub(super) fn peek(&mut self) -> Result<Option<u8>, ScanError> {
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(at) => {
                    let byte = buf[at];
                    self.consume(at);
                    return Ok(Some(byte));
                }
                None => {
                    let all = buf.len();
                    self.consume(all);
                }
            }
        }
    }

    /// Consumes `byte` (after any whitespace), or fails saying what was `expected`.
    pub(super) fn expect(&mut self, byte: u8, expected: &str) -> Result<(), ScanError> {
        match self.peek()? {
            Some(found) if found == byte => {
                self.consume(1);
                Ok(())
            }
            Some(found) => {
                Err(self.error(format!("expected {expected}, found `{}`", found as char)))
            }
            None => Err(self.error(format!("expected {expected}, found the end of the file"))),
        }
    }

    /// Consumes a `,` and returns true, or consumes `close` and returns false: what follows a
    /// member of an object or an element of an array.
    pub(super) fn next_or_close(&mut self, close: u8) -> Result<bool, ScanError> {
        match self.peek()? {
            Some(b',') => {
                self.consume(1);
                Ok(true)
            }
            Some(found) if found == close => {
                self.consume(1);
                Ok(false)
            }
            _ => Err(self.error(format!("expected `,` or `{}`", close as char))),
        }
    }

    /// Replaces `out` with the bytes of the next JSON value (after any whitespace).
    pub(super) fn value(&mut self, out: &mut Vec<u8>) -> Result<(), ScanError> {
        out.clear();
        self.walk(Some(out))
    }

    /// Passes the next JSON value (after any whitespace), checking only where it ends: for a
    /// value decoded later, on another thread. Returns where the value starts and its length.
    pub(super) fn skip_value(&mut self) -> Result<(u64, u64), ScanError> {
        self.peek()?;
        let start = self.offset;
        self.walk(None)?;
        Ok((start, self.offset - start))
    }

    /// Consumes the next value, copying its bytes to `out` when given.
    fn walk(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<(), ScanError> {
        let mut length = 0;
        let first = self
            .peek()?
            .ok_or_else(|| self.error("expected a value, found the end of the file"))?;
        let mut state = Value::new(first);
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                // A number may end the file; anything open may not.
                return match state {
                    Value::Scalar if length > 0 => Ok(()),
                    _ => Err(self.error("the file ends inside a value")),
                };
            }
            let end = state.end_in(buf);
            let taken = end.unwrap_or(buf.len());
            if length + taken > MAX_VALUE {
                return Err(self.error(format!(
                    "a value longer than {} MiB",
                    MAX_VALUE / (1024 * 1024)
                )));
            }
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(&buf[..taken]);
            }
            length += taken;
            self.consume(taken);
            if end.is_some() {
                return Ok(());
            }
        }
    }

    /// Decodes the next value (after any whitespace) with `decode`, which returns what it made
    /// and how many bytes it used. The value is decoded where it lies in the read buffer, not
    /// copied (almost every value does lie there whole); when the buffer ends inside it, it is
    /// copied out into `spill` and decoded from there.
    pub(super) fn decode<T>(
        &mut self,
        spill: &mut Vec<u8>,
        mut decode: impl FnMut(&[u8]) -> Result<(T, usize), Undecoded>,
    ) -> Result<T, ScanError> {
        self.peek()?;
        let at = self.offset;
        let invalid = |message| ScanError::Syntax {
            offset: at,
            message,
        };
        match decode(self.reader.fill_buf()?) {
            Ok((value, used)) => {
                self.consume(used);
                return Ok(value);
            }
            Err(Undecoded::Invalid(message)) => return Err(invalid(message)),
            Err(Undecoded::Incomplete) => {}
        }
        self.value(spill)?;
        match decode(spill) {
            Ok((value, _)) => Ok(value),
            Err(Undecoded::Invalid(message)) => Err(invalid(message)),
            Err(Undecoded::Incomplete) => Err(invalid("the file ends inside a value".into())),
        }
    }

    fn consume(&mut self, n: usize) {
        self.reader.consume(n);
        self.offset += n as u64;
    }
}

/// Where the scan of one value stands.
enum Value {
    /// A number, `true`, `false` or `null`: it ends before the next delimiter.
    Scalar,
    /// A string, object or array, `depth` brackets deep (a lone string is depth 0).
    Nested {
        depth: usize,
        in_string: bool,
        escaped: bool,
    },
}

impl Value {
    fn new(first: u8) -> Self {
        match first {
            b'{' | b'[' | b'"' => Value::Nested {
                depth: 0,
                in_string: false,
                escaped: false,
            },
            _ => Value::Scalar,
        }
    }

    /// How many bytes of `buf` finish the value, if it ends within `buf`.
    fn end_in(&mut self, buf: &[u8]) -> Option<usize> {
        let Value::Nested {
            depth,
            in_string,
            escaped,
        } = self
        else {
            return buf
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace());
        };
        for (i, &byte) in buf.iter().enumerate() {
            if *in_string {
                if *escaped {
                    *escaped = false;
                } else if byte == b'\\' {
                    *escaped = true;
                } else if byte == b'"' {
                    *in_string = false;
                    if *depth == 0 {
                        return Some(i + 1);
                    }
                }
                continue;
            }
            match byte {
                b'"' => *in_string = true,
                b'{' | b'[' => *depth += 1,
                b'}' | b']' => {
                    // A stray closing bracket ends the value here; serde_json then says what
                    // is wrong with it.
                    *depth = depth.saturating_sub(1);
                    if *depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

/// Line and column (both from 1) of byte `offset` in the file at `path`, read again for the
/// purpose: only an error is ever shown with its place.
pub(super) fn line_column(path: &Path, offset: u64) -> Option<(u64, u64)> {
    let mut reader = BufReader::new(File::open(path).ok()?).take(offset);
    let (mut line, mut column) = (1, 1);
    loop {
        let buf = reader.fill_buf().ok()?;
        if buf.is_empty() {
            return Some((line, column));
        }
        for &byte in buf {
            if byte == b'\n' {
                line += 1;
                column = 1;
            } else if byte & 0xC0 != 0x80 {
                // Columns count characters, not the continuation bytes of UTF-8.
                column += 1;
            }
        }
        let n = buf.len();
        reader.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner(text: &str) -> (tempfile::TempDir, Scanner) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, text).unwrap();
        let scanner = Scanner::open(&path, 0).unwrap();
        (dir, scanner)
    }

    fn values(text: &str) -> Vec<String> {
        let (_dir, mut scan) = scanner(text);
        scan.expect(b'[', "`[`").unwrap();
        let mut out = Vec::new();
        let mut buf = Vec::new();
        loop {
            scan.value(&mut buf).unwrap();
            out.push(String::from_utf8(buf.clone()).unwrap());
            if !scan.next_or_close(b']').unwrap() {
                return out;
            }
        }
    }

    #[test]
    fn values_end_where_json_says_whatever_their_strings_hold() {
        assert_eq!(
            values(r#"[ {"a":"}]\"{"} , "x\\", 12.5e3,true,[1,[2]] ]"#),
            [r#"{"a":"}]\"{"}"#, r#""x\\""#, "12.5e3", "true", "[1,[2]]"]
        );
    }

    #[test]
    fn a_value_cut_short_is_an_error_at_its_place() {
        let (_dir, mut scan) = scanner("\n  {\"a\": [1, 2");
        let mut buf = Vec::new();
        let Err(ScanError::Syntax { offset, message }) = scan.value(&mut buf) else {
            panic!("the value is cut short");
        };
        assert_eq!(message, "the file ends inside a value");
        assert_eq!(offset, 14);
    }

    #[test]
    fn line_and_column_count_characters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, "{\n  \"é\": x").unwrap();
        assert_eq!(line_column(&path, 10), Some((2, 8)));
    }
}
