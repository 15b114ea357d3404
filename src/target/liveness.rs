//! Giving up on a target that never answers: when the run's first requests all time out or are
//! refused, sending more only multiplies the time-out by the number of cases. Once any answer
//! has come back the target is never given up on, whatever happens later.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::observe::{Response, TransportError};

/// Whether a target has answered, and whether the run stopped sending to it.
#[derive(Debug)]
pub(super) struct Liveness {
    /// Unanswered requests that make the run give up; 0 never does.
    limit: u32,
    answered: AtomicBool,
    unanswered: AtomicU32,
    given_up: AtomicBool,
}

impl Liveness {
    pub(super) fn new(limit: u32) -> Self {
        Liveness {
            limit,
            answered: AtomicBool::new(false),
            unanswered: AtomicU32::new(0),
            given_up: AtomicBool::new(false),
        }
    }

    /// Counts one request's outcome.
    pub(super) fn record(&self, answer: &Result<Response, TransportError>) {
        match answer {
            Err(err) if err.is_no_answer() => {
                let unanswered = self.unanswered.fetch_add(1, Ordering::Relaxed) + 1;
                let never_answered = !self.answered.load(Ordering::Relaxed);
                if self.limit > 0 && unanswered >= self.limit && never_answered {
                    self.given_up.store(true, Ordering::Relaxed);
                }
            }
            // A reset or garbage is not silence, but not an answer either.
            Err(TransportError::Other { .. } | TransportError::NotSent { .. }) => {}
            _ => self.answered.store(true, Ordering::Relaxed),
        }
    }

    pub(super) fn given_up(&self) -> bool {
        self.given_up.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::observe::testing::response;

    fn timeout() -> Result<Response, TransportError> {
        Err(TransportError::Timeout {
            url: "http://h/".into(),
            after: Duration::from_secs(1),
        })
    }

    #[test]
    fn gives_up_after_the_limit_of_unanswered_requests() {
        let liveness = Liveness::new(3);
        liveness.record(&timeout());
        liveness.record(&timeout());
        assert!(!liveness.given_up());
        liveness.record(&timeout());
        assert!(liveness.given_up());
    }

    #[test]
    fn never_gives_up_once_the_target_answered_or_when_turned_off() {
        let answered = Liveness::new(2);
        answered.record(&Ok(response(500, None, b"")));
        for _ in 0..10 {
            answered.record(&timeout());
        }
        assert!(!answered.given_up());
        let off = Liveness::new(0);
        for _ in 0..10 {
            off.record(&timeout());
        }
        assert!(!off.given_up());
    }
}
