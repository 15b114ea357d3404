//! A case's whole record: settled sequences with every try kept, replays, the conflict and
//! concurrency scenarios' answers, and the label each answer is reported under.

use std::fmt;

use super::Exchange;
use crate::contract::{Contract, StatusRole};

/// A request sent, then again with the same key and body while its answer had the unknown
/// status: every try, in order. The last one is the settled answer.
#[derive(Debug, Clone)]
pub(crate) struct Settled {
    tries: Vec<Exchange>,
}

impl Settled {
    /// A sequence that starts with `first`.
    pub(crate) fn new(first: Exchange) -> Self {
        Settled { tries: vec![first] }
    }

    /// Adds a retry.
    pub(crate) fn push(&mut self, retry: Exchange) {
        self.tries.push(retry);
    }

    /// The settled answer: the last try.
    pub(crate) fn answer(&self) -> &Exchange {
        // Never empty: built from a first exchange and only ever grown.
        &self.tries[self.tries.len() - 1]
    }

    /// Every try, in the order sent.
    pub(crate) fn tries(&self) -> &[Exchange] {
        &self.tries
    }

    /// Whether any try had the unknown status.
    pub(crate) fn saw_unknown(&self, contract: &Contract) -> bool {
        self.tries
            .iter()
            .any(|t| t.role(contract) == Some(StatusRole::Unknown))
    }

    /// Whether the settled answer still has the unknown status.
    pub(crate) fn still_unknown(&self, contract: &Contract) -> bool {
        self.answer().role(contract) == Some(StatusRole::Unknown)
    }

    /// Each try with its label, for a request known as `which`.
    fn labelled(&self, which: Which) -> impl Iterator<Item = (Label, &Exchange)> {
        let total = self.tries.len();
        self.tries.iter().enumerate().map(move |(i, exchange)| {
            let attempt = (i + 1 < total).then_some((i + 1, total));
            (Label { which, attempt }, exchange)
        })
    }
}

/// Everything one case observed.
#[derive(Debug, Clone)]
pub(crate) enum Observations {
    /// One request, settled, and its replays.
    Single {
        /// The case's request.
        main: Settled,
        /// Replays with the same key and body: `None` when the case asks for none (it does
        /// not expect success, or replays are off), empty when the request did not succeed.
        replays: Option<Vec<Exchange>>,
    },
    /// A request, the same key with one field changed, then the original again.
    Conflict {
        /// The original request.
        original: Settled,
        /// The field that was changed, for messages.
        field: String,
        /// The rest of the scenario; `None` when the original did not succeed.
        after: Option<AfterConflict>,
    },
    /// Identical requests sent at once with one key, each settled.
    Concurrent {
        /// Every request's sequence, in the order sent; never empty.
        answers: Vec<Settled>,
    },
}

/// The conflict scenario after its original request succeeded.
#[derive(Debug, Clone)]
pub(crate) struct AfterConflict {
    /// The same key with one field changed.
    pub conflicting: Settled,
    /// The original request replayed afterwards.
    pub again: Settled,
}

impl Observations {
    /// The case's main request: the one its expectation judges.
    pub(crate) fn main(&self) -> &Settled {
        match self {
            Observations::Single { main, .. } => main,
            Observations::Conflict { original, .. } => original,
            Observations::Concurrent { answers } => &answers[0],
        }
    }

    /// Every exchange of the case with its label, the main request's settled answer first.
    pub(crate) fn labelled(&self) -> Vec<(Label, &Exchange)> {
        let main = self.main();
        let mut all = vec![(Label::MAIN, main.answer())];
        let earlier = main.tries().len() - 1;
        all.extend(main.labelled(Which::Main).take(earlier));
        match self {
            Observations::Single { replays, .. } => {
                let replays = replays.as_deref().unwrap_or_default();
                let of = replays.len();
                all.extend(
                    replays
                        .iter()
                        .enumerate()
                        .map(|(i, exchange)| (Label::of(Which::Replay { n: i + 1, of }), exchange)),
                );
            }
            Observations::Conflict { after, .. } => {
                if let Some(after) = after {
                    all.extend(after.conflicting.labelled(Which::Conflicting));
                    all.extend(after.again.labelled(Which::Again));
                }
            }
            Observations::Concurrent { answers } => {
                let of = answers.len();
                for (i, settled) in answers.iter().enumerate().skip(1) {
                    all.extend(settled.labelled(Which::Concurrent { n: i + 1, of }));
                }
            }
        }
        all
    }
}

/// Which request of a case an answer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    /// The case's main request.
    Main,
    /// A replay of the main request.
    Replay {
        /// 1-based.
        n: usize,
        /// How many replays.
        of: usize,
    },
    /// The conflict scenario's request with one field changed.
    Conflicting,
    /// The conflict scenario's original request, replayed after the conflicting one.
    Again,
    /// One of the concurrency scenario's identical requests.
    Concurrent {
        /// 1-based.
        n: usize,
        /// How many were sent at once.
        of: usize,
    },
}

/// How reports name one answer of a case: `replay 2 of 2`, `settle try 1 of 3`,
/// `concurrent request 5 of 8, settle try 1 of 2`. The main request's settled answer has the
/// empty label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Label {
    /// The request.
    pub which: Which,
    /// For a try before the settled one: (try, tries).
    pub attempt: Option<(usize, usize)>,
}

impl Label {
    /// The main request's settled answer.
    pub(crate) const MAIN: Label = Label {
        which: Which::Main,
        attempt: None,
    };

    /// The settled answer of `which`.
    pub(crate) fn of(which: Which) -> Self {
        Label {
            which,
            attempt: None,
        }
    }

    /// Whether this is the main request's settled answer.
    pub(crate) fn is_main(&self) -> bool {
        *self == Label::MAIN
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let request = match self.which {
            Which::Main => String::new(),
            Which::Replay { n, of } => format!("replay {n} of {of}"),
            Which::Conflicting => "conflicting request".into(),
            Which::Again => "original replayed after the conflict".into(),
            Which::Concurrent { n, of } => format!("concurrent request {n} of {of}"),
        };
        f.write_str(&request)?;
        if let Some((n, of)) = self.attempt {
            let comma = if request.is_empty() { "" } else { ", " };
            write!(f, "{comma}settle try {n} of {of}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::testing::{json_exchange, success_body, unknown_body};

    fn labels(observations: &Observations) -> Vec<String> {
        let all = observations.labelled();
        all.iter().map(|(label, _)| label.to_string()).collect()
    }

    #[test]
    fn every_answer_is_labelled_main_first() {
        let mut main = Settled::new(json_exchange(unknown_body()));
        main.push(json_exchange(success_body("1")));
        let replays = vec![json_exchange(success_body("1")); 2];
        let single = Observations::Single {
            main,
            replays: Some(replays),
        };
        assert_eq!(
            labels(&single),
            ["", "settle try 1 of 2", "replay 1 of 2", "replay 2 of 2"]
        );
    }

    #[test]
    fn concurrent_tries_name_their_request_and_try() {
        let mut second = Settled::new(json_exchange(unknown_body()));
        second.push(json_exchange(success_body("1")));
        let concurrent = Observations::Concurrent {
            answers: vec![Settled::new(json_exchange(success_body("1"))), second],
        };
        assert_eq!(
            labels(&concurrent),
            [
                "",
                "concurrent request 2 of 2, settle try 1 of 2",
                "concurrent request 2 of 2"
            ]
        );
    }
}
