//! The reference implementation's idempotency memory: which keys it has answered, with what,
//! for which payload. Bounded, so that a long-running `serve` keeps a flat memory profile
//! whatever its clients send: it holds at most [`Bound::capacity`] keys, forgets the least
//! recently used one to make room, and forgets any key [`Bound::ttl`] after its first use.
//!
//! A key is looked up and, when absent, recorded under one lock, so concurrent first requests
//! with one key get one card between them (the others replay it).

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::recency::Recency;

/// How much the memory holds: the documented defaults of `serve --key-capacity` and
/// `--key-ttl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bound {
    /// Most keys remembered per operation.
    pub capacity: NonZeroUsize,
    /// How long after its first use a key is remembered.
    pub ttl: Duration,
}

impl Bound {
    /// 100,000 keys per operation (about 40 MB for issueCard), each for 24 hours: past any
    /// retry a client makes, and Stripe's window for idempotency keys.
    pub(crate) const DEFAULT: Bound = Bound {
        capacity: NonZeroUsize::new(100_000).expect("non-zero"),
        ttl: Duration::from_secs(24 * 60 * 60),
    };
}

impl Default for Bound {
    fn default() -> Self {
        Bound::DEFAULT
    }
}

/// What is remembered of a key: a digest of the request it came with (so a replay with another
/// payload is told apart without keeping the payload), the exact answer bytes, and when.
#[derive(Debug, Clone)]
pub(crate) struct Remembered<T = Bytes> {
    /// Digest of the first request's body.
    pub request: u64,
    /// The answer, byte for byte.
    pub response: T,
    first_used: Instant,
}

/// How a value is copied into the memory.
pub(crate) trait Keep: Clone {
    /// The copy of `self` to remember, which may take the room of `displaced`: the value it
    /// is about to displace (the least recently used one's, in a full memory).
    fn keep(&self, displaced: Option<&mut Self>) -> Self {
        let _ = displaced;
        self.clone()
    }
}

impl Keep for () {}

impl Keep for Bytes {}

/// What [`KeyMemory::recall_or_remember`] found.
#[derive(Debug)]
pub(crate) enum Recall<T = Bytes> {
    /// The key was new: the offered answer, now remembered.
    New(T),
    /// The key was known: what it was first answered with.
    Known(Remembered<T>),
}

/// Remembered keys of one operation, each with its answer (`T`: the answer's bytes, or the
/// whole answer with its status and headers).
#[derive(Debug)]
pub(crate) struct KeyMemory<T = Bytes> {
    keys: Mutex<Recency<Remembered<T>>>,
    ttl: Duration,
}

impl<T: Keep> KeyMemory<T> {
    /// An empty memory holding at most `bound`.
    pub(crate) fn new(bound: Bound) -> Self {
        KeyMemory {
            // Grown as keys come, not allocated for the whole capacity up front: a run over a
            // thousand contracts has a thousand of these, most holding a few keys.
            keys: Mutex::new(Recency::new(bound.capacity.get())),
            ttl: bound.ttl,
        }
    }

    /// Returns what `key` was answered with, or, when it is new (or forgotten), remembers
    /// `offer()` as its answer to `request`. Atomic per key: of concurrent callers with one new
    /// key, exactly one remembers its offer and the others get it back as `Known`. `offer` runs
    /// under the lock, so it must be quick (filling in a rendered body is).
    pub(crate) fn recall_or_remember(
        &self,
        key: &str,
        request: u64,
        offer: impl FnOnce() -> T,
    ) -> Recall<T> {
        let now = Instant::now();
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let hash = keys.hash(key);
        if let Some(seen) = keys.get(hash, key)
            && now.duration_since(seen.first_used) < self.ttl
        {
            return Recall::Known(seen.clone());
        }
        let response = offer();
        let entry = |displaced: Option<&mut Remembered<T>>| Remembered {
            request,
            response: response.keep(displaced.map(|old| &mut old.response)),
            first_used: now,
        };
        // The forgotten entry (or the expired one replaced) is freed after the lock is released.
        let displaced = keys.put_with(hash, key, entry);
        drop(keys);
        drop(displaced);
        Recall::New(response)
    }

    /// What `key` was answered with, when it is remembered; remembers nothing (a client
    /// reusing a key after a rejection is told apart from a retry this way).
    pub(crate) fn recall(&self, key: &str) -> Option<Remembered<T>> {
        let now = Instant::now();
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let hash = keys.hash(key);
        keys.get(hash, key)
            .filter(|seen| now.duration_since(seen.first_used) < self.ttl)
            .cloned()
    }

    /// How many keys are remembered now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.keys.lock().map_or(0, |k| k.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(capacity: usize, ttl: Duration) -> KeyMemory {
        KeyMemory::new(Bound {
            capacity: NonZeroUsize::new(capacity).unwrap(),
            ttl,
        })
    }

    fn known(recall: Recall) -> Bytes {
        match recall {
            Recall::Known(seen) => seen.response,
            Recall::New(_) => panic!("expected a known key"),
        }
    }

    #[test]
    fn a_known_key_returns_its_first_answer() {
        let memory = memory(10, Duration::from_secs(60));
        assert!(matches!(
            memory.recall_or_remember("k", 1, || Bytes::from_static(b"first")),
            Recall::New(_)
        ));
        let again = memory.recall_or_remember("k", 1, || Bytes::from_static(b"second"));
        assert_eq!(known(again), "first");
    }

    #[test]
    fn forgets_the_least_recently_used_key_beyond_its_capacity() {
        let memory = memory(2, Duration::from_secs(60));
        memory.recall_or_remember("a", 1, || Bytes::from_static(b"A"));
        memory.recall_or_remember("b", 1, || Bytes::from_static(b"B"));
        // Using `a` again makes `b` the least recently used.
        known(memory.recall_or_remember("a", 1, Bytes::new));
        memory.recall_or_remember("c", 1, || Bytes::from_static(b"C"));
        assert_eq!(memory.len(), 2);
        assert_eq!(known(memory.recall_or_remember("a", 1, Bytes::new)), "A");
        assert!(matches!(
            memory.recall_or_remember("b", 1, Bytes::new),
            Recall::New(_)
        ));
    }

    #[test]
    fn forgets_a_key_once_its_time_to_live_has_passed() {
        let memory = memory(10, Duration::from_millis(30));
        memory.recall_or_remember("k", 1, || Bytes::from_static(b"first"));
        std::thread::sleep(Duration::from_millis(40));
        assert!(matches!(
            memory.recall_or_remember("k", 1, || Bytes::from_static(b"second")),
            Recall::New(_)
        ));
        assert_eq!(
            known(memory.recall_or_remember("k", 1, Bytes::new)),
            "second"
        );
    }

    #[test]
    fn concurrent_first_requests_with_one_key_remember_one_answer() {
        let memory = std::sync::Arc::new(memory(100, Duration::from_secs(60)));
        let answers: Vec<Bytes> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let memory = std::sync::Arc::clone(&memory);
                    scope.spawn(move || {
                        let offer = || Bytes::from(format!("card-{i}"));
                        match memory.recall_or_remember("same", 1, offer) {
                            Recall::New(answer) => answer,
                            Recall::Known(seen) => seen.response,
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    }
}
