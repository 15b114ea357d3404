//! Reporters: renderings of the one result model, fed case by case as results stream in.
//!
//! No reporter recomputes a verdict; each renders [`CaseResult`]s and the final [`Summary`].
//! File reports ([`FORMATS`]) are written to a temporary file beside their destination and
//! renamed into place when complete, so a reader never sees half a report.

pub mod console;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod output;
pub mod progress;
pub mod tally;

use std::io;
use std::path::Path;

use crate::results::{CaseResult, RunInfo, Summary};

/// Receives a run's results as they happen.
pub trait Reporter: Send {
    /// Before the first case.
    fn start(&mut self, info: &RunInfo) -> io::Result<()>;
    /// After each case, in plan order.
    fn case(&mut self, result: &CaseResult) -> io::Result<()>;
    /// After the last case.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}

/// The formats `--report FORMAT=PATH` accepts.
pub const FORMATS: [&str; 4] = ["json", "junit", "markdown", "html"];

/// The file reporter for `format` writing to `destination`, or `None` for an unknown format.
pub fn file_report(format: &str, destination: &Path) -> Option<Box<dyn Reporter>> {
    Some(match format {
        "json" => Box::new(json::JsonReport::new(destination)),
        "junit" => Box::new(junit::JunitReport::new(destination)),
        "markdown" => Box::new(markdown::MarkdownReport::new(destination)),
        "html" => Box::new(html::HtmlReport::new(destination)),
        _ => return None,
    })
}

/// Several reporters fed together.
#[derive(Default)]
pub struct Reporters(pub Vec<Box<dyn Reporter>>);

impl Reporter for Reporters {
    fn start(&mut self, info: &RunInfo) -> io::Result<()> {
        self.0.iter_mut().try_for_each(|r| r.start(info))
    }

    fn case(&mut self, result: &CaseResult) -> io::Result<()> {
        self.0.iter_mut().try_for_each(|r| r.case(result))
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.0.iter_mut().try_for_each(|r| r.finish(summary))
    }
}
