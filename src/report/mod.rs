//! Reporters: renderings of the one result model, fed case by case as results stream in.
//!
//! No reporter recomputes a verdict; each renders [`CaseResult`]s and the final [`Summary`]
//! with its [`crate::results::Verdict`], and the run's scope in the terms of [`scope`].
//! File reports ([`FORMATS`]) are written with [`crate::atomic`], so a reader never sees half a
//! report; one that cannot be written is set aside as a [`FileReport`] failure and never stops
//! the run or the other reports.

pub(crate) mod console;
pub(crate) mod coverage;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod output;
pub(crate) mod progress;
pub(crate) mod scope;
pub(crate) mod tally;
pub(crate) mod traffic;

use std::io;
use std::path::{Path, PathBuf};

use crate::results::clause::ClausesShown;
use crate::results::{CaseResult, RunInfo, Summary};

/// Receives a run's results as they happen.
pub(crate) trait Reporter: Send {
    /// Before the first case.
    fn start(&mut self, info: &RunInfo) -> io::Result<()>;
    /// After each case, in plan order.
    fn case(&mut self, result: &CaseResult) -> io::Result<()>;
    /// After the last case.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
    /// Which checks' contract clauses it shows: the runner reads the contract files back to
    /// locate clauses only for the checks some reporter shows them for.
    fn clauses_shown(&self) -> ClausesShown {
        ClausesShown::All
    }
}

/// The formats `--report FORMAT=PATH` accepts.
pub(crate) const FORMATS: [&str; 4] = ["json", "junit", "markdown", "html"];

/// The file reporter for `format` writing to `destination`, or `None` for an unknown format.
pub(crate) fn file_report(format: &str, destination: &Path) -> Option<Box<dyn Reporter>> {
    Some(match format {
        "json" => Box::new(json::JsonReport::new(destination)),
        "junit" => Box::new(junit::JunitReport::new(destination)),
        "markdown" => Box::new(markdown::MarkdownReport::new(destination)),
        "html" => Box::new(html::HtmlReport::new(destination)),
        _ => return None,
    })
}

/// A reporter that writes one file: its first error is kept rather than returned, and it then
/// stops, so one unwritable file costs neither the run nor the other files.
pub(crate) struct FileReport {
    /// What the file is (`json`, `html`, `baseline`, ...), as messages name it.
    pub what: String,
    /// Where it goes.
    pub path: PathBuf,
    inner: Box<dyn Reporter>,
    error: Option<io::Error>,
}

impl FileReport {
    /// `inner`, writing the `what` file at `path`.
    pub(crate) fn new(what: &str, path: &Path, inner: Box<dyn Reporter>) -> Self {
        FileReport {
            what: what.to_string(),
            path: path.to_path_buf(),
            inner,
            error: None,
        }
    }

    /// Why the file was not written, if it was not.
    pub(crate) fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    fn guard(&mut self, step: impl FnOnce(&mut dyn Reporter) -> io::Result<()>) {
        if self.error.is_none()
            && let Err(err) = step(self.inner.as_mut())
        {
            self.error = Some(err);
        }
    }
}

impl Reporter for FileReport {
    fn start(&mut self, info: &RunInfo) -> io::Result<()> {
        self.guard(|r| r.start(info));
        Ok(())
    }

    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        self.guard(|r| r.case(result));
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.guard(|r| r.finish(summary));
        Ok(())
    }

    fn clauses_shown(&self) -> ClausesShown {
        self.inner.clauses_shown()
    }
}

/// Several reporters fed together: `streams` (the console) first, whose errors stop the run,
/// then `files`, whose errors are kept in each [`FileReport`].
#[derive(Default)]
pub(crate) struct Reporters {
    /// Reporters writing to a stream; an error there is an error of the run.
    pub streams: Vec<Box<dyn Reporter>>,
    /// File reports, in the order given.
    pub files: Vec<FileReport>,
}

impl Reporters {
    fn each(&mut self) -> impl Iterator<Item = &mut dyn Reporter> {
        let streams = self
            .streams
            .iter_mut()
            .map(|r| r.as_mut() as &mut dyn Reporter);
        streams.chain(self.files.iter_mut().map(|r| r as &mut dyn Reporter))
    }
}

impl Reporter for Reporters {
    fn start(&mut self, info: &RunInfo) -> io::Result<()> {
        self.each().try_for_each(|r| r.start(info))
    }

    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        self.each().try_for_each(|r| r.case(result))
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.each().try_for_each(|r| r.finish(summary))
    }

    fn clauses_shown(&self) -> ClausesShown {
        let streams = self.streams.iter().map(|r| r.clauses_shown());
        let files = self.files.iter().map(|r| r.clauses_shown());
        streams.chain(files).max().unwrap_or(ClausesShown::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unwritable_file_report_stops_neither_the_run_nor_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let bad = blocker.join("r.md");
        let good = dir.path().join("r.json");
        let mut reporters = Reporters::default();
        for (format, path) in [("markdown", &bad), ("json", &good)] {
            let inner = file_report(format, path).unwrap();
            reporters.files.push(FileReport::new(format, path, inner));
        }
        tally::sample::feed(&mut reporters);
        let error = reporters.files[0]
            .error()
            .expect("the markdown report failed");
        assert!(
            error.to_string().contains(&bad.display().to_string()),
            "{error}"
        );
        assert!(reporters.files[1].error().is_none());
        assert!(
            std::fs::read_to_string(&good)
                .unwrap()
                .contains("\"summary\"")
        );
    }

    #[test]
    fn clauses_are_located_only_for_the_checks_a_report_shows_them_for() {
        let dir = tempfile::tempdir().unwrap();
        let with = |formats: &[&str]| {
            let mut reporters = Reporters::default();
            for format in formats {
                let path = dir.path().join(format!("r.{format}"));
                let inner = file_report(format, &path).unwrap();
                reporters.files.push(FileReport::new(format, &path, inner));
            }
            reporters.clauses_shown()
        };
        assert_eq!(with(&[]), ClausesShown::None);
        assert_eq!(with(&["junit", "markdown"]), ClausesShown::NotPassed);
        assert_eq!(with(&["junit", "json"]), ClausesShown::All);
        assert_eq!(with(&["html"]), ClausesShown::All);
    }
}
