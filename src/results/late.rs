//! Late replays as reports show them: what the run asked for (in the [`super::Scope`]) and
//! what the replayed keys went through (in the [`super::Summary`]): how old they were and how
//! much traffic came in between, the evidence that keys are remembered for at least that long.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Keys replayed late per contract unless told otherwise: half the first ones sent, half spread
/// over the rest of the run.
pub(crate) const DEFAULT_LATE_REPLAYS: u32 = 8;

/// How old a key must be before its late replay, against a live target, unless told otherwise:
/// past a cache that keeps keys for a few seconds, without making a gate slow.
pub(crate) const DEFAULT_LATE_REPLAY_AFTER: Duration = Duration::from_secs(5);

/// Successful requests with other keys between a key's first answer and its late replay unless
/// told otherwise: past any small cache of keys (the last 50, 64 or 100).
pub(crate) const DEFAULT_LATE_REPLAY_GAP: u64 = 128;

/// The late replays a run asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LateReplayScope {
    /// Keys replayed per contract with an idempotency key (`--late-replays`; 0: none).
    pub keys: u32,
    /// The least time between a key's first answer and its late replay (`--late-replay-after`).
    #[serde(rename = "after_ms", serialize_with = "super::as_millis")]
    #[serde(deserialize_with = "super::from_millis")]
    pub after: Duration,
    /// The fewest successful requests with other keys between them (`--late-replay-gap`).
    pub gap: u64,
}

/// What the keys replayed late went through, over every contract.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LateReplayEvidence {
    /// Keys replayed.
    pub keys: usize,
    /// How many of them got exactly their first answer.
    pub remembered: usize,
    /// The age of the youngest key replayed (from its first answer to its late replay).
    #[serde(rename = "youngest_ms", serialize_with = "super::as_millis")]
    #[serde(deserialize_with = "super::from_millis")]
    pub youngest: Duration,
    /// The age of the oldest.
    #[serde(rename = "oldest_ms", serialize_with = "super::as_millis")]
    #[serde(deserialize_with = "super::from_millis")]
    pub oldest: Duration,
    /// The fewest requests the run sent between a key's first answer and its late replay.
    pub fewest_requests_between: u64,
    /// The most.
    pub most_requests_between: u64,
    /// The most successful requests of the same operation with other keys in between.
    pub most_keys_between: u64,
}

impl LateReplayEvidence {
    /// Counts one more key replayed late.
    pub(crate) fn add(&mut self, age: Duration, requests: u64, keys: u64, remembered: bool) {
        let first = self.keys == 0;
        self.keys += 1;
        self.remembered += usize::from(remembered);
        self.youngest = if first { age } else { self.youngest.min(age) };
        self.oldest = self.oldest.max(age);
        self.fewest_requests_between = if first {
            requests
        } else {
            self.fewest_requests_between.min(requests)
        };
        self.most_requests_between = self.most_requests_between.max(requests);
        self.most_keys_between = self.most_keys_between.max(keys);
    }
}

/// The evidence of several shards of one run (`conform merge`), as one: every key counted,
/// the widest ranges kept.
pub(crate) fn merged(
    shards: impl IntoIterator<Item = LateReplayEvidence>,
) -> Option<LateReplayEvidence> {
    shards.into_iter().reduce(|a, b| LateReplayEvidence {
        keys: a.keys + b.keys,
        remembered: a.remembered + b.remembered,
        youngest: a.youngest.min(b.youngest),
        oldest: a.oldest.max(b.oldest),
        fewest_requests_between: a.fewest_requests_between.min(b.fewest_requests_between),
        most_requests_between: a.most_requests_between.max(b.most_requests_between),
        most_keys_between: a.most_keys_between.max(b.most_keys_between),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_evidence_merges_into_the_widest_ranges() {
        let mut one = LateReplayEvidence::default();
        one.add(Duration::from_secs(6), 200, 100, true);
        let mut two = LateReplayEvidence::default();
        two.add(Duration::from_secs(5), 120, 60, false);
        let mut both = one;
        both.add(Duration::from_secs(5), 120, 60, false);
        assert_eq!(merged([one, two]), Some(both));
        assert_eq!(merged([]), None);
    }

    #[test]
    fn evidence_keeps_the_range_of_ages_and_traffic() {
        let mut evidence = LateReplayEvidence::default();
        evidence.add(Duration::from_secs(6), 200, 100, true);
        evidence.add(Duration::from_secs(5), 120, 60, false);
        assert_eq!(
            evidence,
            LateReplayEvidence {
                keys: 2,
                remembered: 1,
                youngest: Duration::from_secs(5),
                oldest: Duration::from_secs(6),
                fewest_requests_between: 120,
                most_requests_between: 200,
                most_keys_between: 100,
            }
        );
    }
}
