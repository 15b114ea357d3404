//! Where file reports are written: through [`AtomicFile`] (a temporary file beside the
//! destination, renamed into place only when the report is complete), and anonymous spool files
//! that hold streamed parts of a report (every JUnit test case, every HTML case) until the counts
//! that head them are known.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};

use crate::atomic::AtomicFile;

/// A report being written: made on `start`, and renamed over the destination on `commit`.
pub(crate) struct Pending {
    file: AtomicFile,
}

impl Pending {
    /// A temporary file beside `destination`.
    pub(crate) fn beside(destination: &std::path::Path) -> io::Result<Self> {
        Ok(Pending {
            file: AtomicFile::beside(destination)?,
        })
    }

    /// Where the report is written to until it is committed.
    pub(crate) fn writer(&mut self) -> &mut dyn Write {
        &mut self.file
    }

    /// Flushes the report, syncs it and renames it over the destination.
    pub(crate) fn commit(self) -> io::Result<()> {
        self.file.commit()
    }

    /// A spool in the destination's folder (so it counts against the same disk, not `/tmp`).
    pub(crate) fn spool(&self) -> io::Result<Spool> {
        let file = self.file.scratch()?;
        Ok(Spool {
            file: BufWriter::new(file),
            written: 0,
        })
    }
}

/// An anonymous temporary file (removed by the OS when dropped) that streamed output is written
/// to and later copied into the report.
pub(crate) struct Spool {
    file: BufWriter<File>,
    /// Bytes written since it was made.
    written: u64,
}

impl Spool {
    /// How many bytes have been written to it: where the next write starts.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Copies the bytes from `start` to `end` (offsets as [`Spool::written`] gave them) to
    /// `out`; writing may go on afterwards.
    pub(crate) fn copy_into(
        &mut self,
        (start, end): (u64, u64),
        out: &mut dyn Write,
    ) -> io::Result<()> {
        self.file.flush()?;
        let file = self.file.get_mut();
        file.seek(SeekFrom::Start(start))?;
        io::copy(&mut io::Read::take(&mut *file, end - start), out)?;
        file.seek(SeekFrom::End(0))?;
        Ok(())
    }

    /// Copies everything written so far to `out` and leaves the spool empty.
    pub(crate) fn drain_into(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.file.flush()?;
        let file = self.file.get_mut();
        file.seek(SeekFrom::Start(0))?;
        io::copy(file, out)?;
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        self.written = 0;
        Ok(())
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// The target URL as reports show it: a password or user name in the URL is replaced, since
/// reports are handed to other people.
pub(crate) fn shown_target(target: &str) -> String {
    let Some((scheme, rest)) = target.split_once("://") else {
        return target.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => target.to_string(),
    }
}

/// The start of the run to the second, in RFC 3339 (UTC).
pub(crate) fn shown_date(started: &str) -> String {
    started
        .parse::<jiff::Timestamp>()
        .and_then(|at| jiff::Timestamp::from_second(at.as_second()))
        .map_or_else(|_| started.to_string(), |at| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_target_url_are_not_shown() {
        assert_eq!(
            shown_target("https://user:s3cret@gw.example.com/api?x=1"),
            "https://***@gw.example.com/api?x=1"
        );
        assert_eq!(
            shown_target("http://127.0.0.1:8080/a@b"),
            "http://127.0.0.1:8080/a@b"
        );
        assert_eq!(shown_target("not a url"), "not a url");
    }

    #[test]
    fn spool_hands_back_what_was_written_and_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let pending = Pending::beside(&dir.path().join("r.txt")).unwrap();
        let mut spool = pending.spool().unwrap();
        spool.write_all(b"first").unwrap();
        let mut out = Vec::new();
        spool.drain_into(&mut out).unwrap();
        spool.write_all(b"second").unwrap();
        spool.drain_into(&mut out).unwrap();
        assert_eq!(out, b"firstsecond");
    }

    #[test]
    fn spool_hands_back_any_stretch_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let pending = Pending::beside(&dir.path().join("r.txt")).unwrap();
        let mut spool = pending.spool().unwrap();
        spool.write_all(b"aaa").unwrap();
        let middle = spool.written();
        spool.write_all(b"bb").unwrap();
        let mut out = Vec::new();
        spool
            .copy_into((middle, spool.written()), &mut out)
            .unwrap();
        spool.write_all(b"c").unwrap();
        spool.copy_into((0, middle), &mut out).unwrap();
        spool.copy_into((5, spool.written()), &mut out).unwrap();
        assert_eq!(out, b"bbaaac");
    }

    #[test]
    fn date_is_shown_to_the_second() {
        assert_eq!(
            shown_date("2026-11-28T19:40:00.623456789Z"),
            "2026-11-28T19:40:00Z"
        );
        assert_eq!(shown_date("yesterday"), "yesterday");
    }
}
