//! The run's ledger of promises that span it. As cases finish, every successful answer is
//! entered: its values at the contract's `unique` places (kept with the case and key that got
//! each first, so a second request with another key and the same value is a clash), and, for
//! a bounded sample of keyed requests, what is needed to replay them late. The run-wide cases
//! read it at the end.
//!
//! Memory stays bounded whatever the run's size: at most [`MAX_VALUES`] unique values are
//! kept for the whole run (later ones are still compared with those), at most [`MAX_CLASHES`]
//! clashes per contract, and per contract a sample of at most twice the keys replayed:
//! the first ones sent, and a systematic sample of the rest whose stride doubles as it fills,
//! so it stays spread evenly over the run however long the run is. The sample's requests and
//! first answers are parked ([`super::parked`]): in memory up to a budget for the run, then in
//! a temporary file, so a large suite holds about a hundred bytes per kept key.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::parked::{Parked, Parking, Payload};
use crate::contract::{Contract, StatusRole};
use crate::json::Pointer;
use crate::observe::{Clash, Exchange, Holder, LateReplay, Request, Response, UniqueRecord};
use crate::results::LateReplayEvidence;
use crate::results::across_shards::{UniqueValues, digest};

/// Unique values kept for the whole run, about 100 bytes each.
pub(crate) const MAX_VALUES: usize = 200_000;

/// Clashes kept per contract (more are counted): enough to show every shared value a report
/// lists.
pub(crate) const MAX_CLASHES: usize = 200;

/// A successful answer, with what the ledger needs of its request.
pub(crate) struct Answered<'a> {
    /// The case that sent it.
    pub case: &'a str,
    /// The settled exchange.
    pub exchange: &'a Exchange,
    /// The request, when it may be replayed late: a case whose request expects success.
    pub request: Option<&'a Request>,
    /// Requests the run had sent when the answer came.
    pub sent: u64,
}

/// A keyed request kept to be replayed late.
#[derive(Debug, Clone)]
pub(crate) struct Kept {
    pub case: Arc<str>,
    pub key: Arc<str>,
    pub request: Request,
    pub first: Response,
    /// The first request's secret values (its signature) the first answer quotes.
    pub echoed: Vec<String>,
    /// When the first answer was entered.
    pub at: Instant,
    /// Requests the run had sent by then.
    pub sent: u64,
    /// Successful requests of the contract entered by then, this one included.
    pub successes: u64,
}

/// The ledger of one run.
pub(crate) struct Ledger {
    books: Vec<Mutex<Book>>,
    values: AtomicUsize,
    max_values: usize,
    sample: Sample,
    parking: Parking,
    evidence: Mutex<LateReplayEvidence>,
}

/// How many keys per contract are replayed late: the first `early` sent, and `spread` more
/// spread over the rest of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sample {
    early: usize,
    spread: usize,
}

/// A kept key as the ledger holds it while the run lasts: its numbers, and its request and
/// first answer parked ([`super::parked`]) in memory or, in a large run, in a temporary file.
/// Boxed in the sample, so the sample's spare room costs a pointer, not an entry.
#[derive(Debug)]
struct Stored {
    parked: Parked,
    status: u16,
    elapsed: Duration,
    at: Instant,
    sent: u64,
    successes: u64,
}

impl Stored {
    /// The key as a late replay sends it, its request and first answer read back from where
    /// they were parked.
    fn kept(&self, parking: &Parking) -> std::io::Result<Kept> {
        let payload = parking.payload(&self.parked)?;
        let mut headers = HeaderMap::with_capacity(payload.headers.len());
        for (name, value) in payload.headers {
            headers.append(name, value);
        }
        Ok(Kept {
            case: Arc::from(payload.case),
            key: Arc::from(&*payload.key),
            request: Request {
                method: payload.method,
                path: payload.path.into(),
                headers,
                body: payload.body,
                key: Some(payload.key.into()),
            },
            first: Response::new(
                self.status,
                HeaderMap::new(),
                payload.answer.into(),
                self.elapsed,
            ),
            echoed: payload
                .echoed
                .into_vec()
                .into_iter()
                .map(String::from)
                .collect(),
            at: self.at,
            sent: self.sent,
            successes: self.successes,
        })
    }
}

#[derive(Default)]
struct Book {
    /// Per unique place, each value with the request that got it first.
    seen: Vec<HashMap<Box<str>, First, foldhash::fast::RandomState>>,
    compared: usize,
    clashes: Vec<Clash>,
    more_clashes: usize,
    not_kept: usize,
    successes: u64,
    // Boxed: an entry is ~200 bytes, and the spread sample's room for twice what is replayed
    // then costs a pointer per empty place, not an entry.
    #[allow(clippy::vec_box)]
    early: Vec<Box<Stored>>,
    #[allow(clippy::vec_box)]
    spread: Vec<Box<Stored>>,
    stride: u64,
    offered: u64,
}

impl Ledger {
    /// An empty ledger for `contracts`, keeping `replays` keys per contract to replay late,
    /// their requests and answers in memory up to `in_memory` bytes.
    pub(super) fn new(contracts: &[Contract], replays: usize, in_memory: usize) -> Self {
        let early = replays.div_ceil(2);
        Ledger {
            books: contracts.iter().map(|_| Mutex::default()).collect(),
            values: AtomicUsize::new(0),
            max_values: MAX_VALUES,
            sample: Sample {
                early,
                spread: replays - early,
            },
            parking: Parking::new(in_memory),
            evidence: Mutex::default(),
        }
    }

    /// Enters a successful answer of the contract at `index` (any other answer is ignored).
    pub(super) fn enter(&self, index: usize, contract: &Contract, answered: Answered<'_>) {
        let Some(response) = answered.exchange.response() else {
            return;
        };
        if response.role(contract) != Some(StatusRole::Success) {
            return;
        }
        let mut book = self.book(index);
        book.successes += 1;
        let key = answered.exchange.sent.key.as_deref();
        let sampled = answered.request.is_some() && key.is_some() && book.takes(self.sample);
        if contract.unique.is_empty() && !sampled {
            return;
        }
        if !contract.unique.is_empty() {
            self.compare(&mut book, contract, response, answered.case, key);
        }
        if let (true, Some(request), Some(key)) = (sampled, answered.request, key) {
            let payload = Payload {
                case: answered.case.into(),
                key: key.into(),
                method: request.method.clone(),
                path: request.path.as_str().into(),
                headers: (request.headers.iter())
                    .map(|(name, value)| (name.clone(), value.clone()))
                    .collect(),
                // Exactly the bytes sent, not the buffer they were written into.
                body: (request.body.as_ref()).map(|body| Bytes::copy_from_slice(body)),
                // Status and body are what a replay is compared on. The headers stay behind:
                // their values share the connection's read buffer, which a copy would keep
                // alive (kilobytes per key).
                answer: response.body.as_slice().into(),
                echoed: echoed(answered.exchange, response),
            };
            let stored = Stored {
                parked: self.parking.park(payload),
                status: response.status,
                elapsed: response.elapsed,
                at: Instant::now(),
                sent: answered.sent,
                successes: book.successes,
            };
            book.keep(Box::new(stored), self.sample, &self.parking);
        }
    }

    /// Successful requests of the contract at `index` entered so far.
    pub(super) fn successes(&self, index: usize) -> u64 {
        self.book(index).successes
    }

    /// The keys of the contract at `index` to replay late, oldest first; an error when what
    /// was parked in the temporary file cannot be read back.
    pub(super) fn sample(&self, index: usize) -> std::io::Result<Vec<Kept>> {
        let book = self.book(index);
        let spread = spread(&book.spread, self.sample.spread);
        (book.early.iter().chain(spread))
            .map(|stored| stored.kept(&self.parking))
            .collect()
    }

    /// What the run recorded of the contract's unique values.
    pub(super) fn unique(&self, index: usize, contract: &Contract) -> UniqueRecord {
        let book = self.book(index);
        UniqueRecord {
            places: contract.unique.iter().map(ToString::to_string).collect(),
            compared: book.compared,
            clashes: book.clashes.clone(),
            more: book.more_clashes,
            not_kept: book.not_kept,
        }
    }

    /// The values the contract at `index` got at its `unique` places, digested, each with the
    /// case that got it first: what a `--partition` shard writes for `conform merge` to compare
    /// across shards (see [`crate::results::across_shards`]).
    pub(super) fn unique_values(&self, index: usize, contract: &Contract) -> Vec<UniqueValues> {
        let book = self.book(index);
        let places = contract.unique.iter().zip(&book.seen);
        places
            .filter(|(_, seen)| !seen.is_empty())
            .map(|(pointer, seen)| {
                let mut values: Vec<(String, String)> = (seen.iter())
                    .map(|(value, first)| (digest(value), first.case().to_string()))
                    .collect();
                values.sort_unstable();
                UniqueValues {
                    contract: contract.name.clone(),
                    place: pointer.to_string(),
                    values,
                }
            })
            .collect()
    }

    /// Adds what the late replays of one contract went through to the run's evidence.
    pub(super) fn note(&self, replays: &[LateReplay]) {
        let mut evidence = self
            .evidence
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for replay in replays {
            let remembered = crate::check::late_replay::remembered(replay);
            let (age, requests, keys) = (replay.age, replay.requests_between, replay.keys_between);
            evidence.add(age, requests, keys, remembered);
        }
    }

    /// How old the keys replayed late were and how much traffic came in between; `None` when
    /// none was.
    pub(super) fn evidence(&self) -> Option<LateReplayEvidence> {
        let evidence = *self
            .evidence
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (evidence.keys > 0).then_some(evidence)
    }

    fn book(&self, index: usize) -> MutexGuard<'_, Book> {
        // A case that panicked while holding the lock left whole entries behind: each entry
        // is made under one lock, so what is there is still consistent.
        self.books[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Compares the answer's unique values with those kept, as got by `case` with `key`.
    fn compare(
        &self,
        book: &mut Book,
        contract: &Contract,
        response: &Response,
        case: &str,
        key: Option<&str>,
    ) {
        if book.seen.len() < contract.unique.len() {
            book.seen
                .resize_with(contract.unique.len(), HashMap::default);
        }
        for (place, pointer) in contract.unique.iter().enumerate() {
            let Some(value) = value_at(response, pointer) else {
                continue;
            };
            book.compared += 1;
            match book.seen[place].get(value.as_str()) {
                Some(first) if first.distinct_from(key) => {
                    let clash = Clash {
                        place: pointer.to_string(),
                        value,
                        first: first.holder(),
                        again: Holder {
                            case: Arc::from(case),
                            key: key.map(Arc::from),
                        },
                    };
                    if book.clashes.len() < MAX_CLASHES {
                        book.clashes.push(clash);
                    } else {
                        book.more_clashes += 1;
                    }
                }
                Some(_) => {}
                None if self.values.fetch_add(1, Ordering::Relaxed) < self.max_values => {
                    book.seen[place].insert(value.into_boxed_str(), First::of(case, key));
                }
                None => book.not_kept += 1,
            }
        }
    }
}

/// The secret values of the request `exchange` sent (its signature) that `response` quotes.
fn echoed(exchange: &Exchange, response: &Response) -> Box<[Box<str>]> {
    let body = String::from_utf8_lossy(&response.body);
    (exchange.sent.secret_values())
        .filter(|value| body.contains(value.as_str()))
        .map(String::into_boxed_str)
        .collect()
}

/// The request that got a unique value first, as the ledger keeps it for the whole run: its
/// case and key in one allocation, where a [`Holder`] takes three (up to 200,000 are kept).
#[derive(Debug)]
struct First {
    /// The case, then the key.
    text: Box<str>,
    /// Where the key starts; `None` for a request without one.
    key_at: Option<u32>,
}

impl First {
    fn of(case: &str, key: Option<&str>) -> Self {
        let mut text = String::with_capacity(case.len() + key.map_or(0, str::len));
        text.push_str(case);
        let key_at = key.map(|key| {
            text.push_str(key);
            u32::try_from(case.len()).unwrap_or(u32::MAX)
        });
        First {
            text: text.into_boxed_str(),
            key_at,
        }
    }

    fn case(&self) -> &str {
        let end = self.key_at.map_or(self.text.len(), |at| at as usize);
        self.text.get(..end).unwrap_or(&self.text)
    }

    fn key(&self) -> Option<&str> {
        self.key_at
            .map(|at| self.text.get(at as usize..).unwrap_or_default())
    }

    /// Whether a request with key `other` is another request than this one: different keys,
    /// or no key at all (every request of an operation without keys is distinct).
    fn distinct_from(&self, other: Option<&str>) -> bool {
        self.key().is_none() || self.key() != other
    }

    fn holder(&self) -> Holder {
        Holder {
            case: Arc::from(self.case()),
            key: self.key().map(Arc::from),
        }
    }
}

impl Book {
    /// Whether the next key offered is kept (asked before copying its request and answer):
    /// the first `early` keys, then every `stride`-th key after them.
    fn takes(&mut self, sample: Sample) -> bool {
        if self.early.len() < sample.early {
            return true;
        }
        if sample.spread == 0 {
            return false;
        }
        let position = self.offered;
        self.offered += 1;
        position.is_multiple_of(self.stride.max(1))
    }

    /// Keeps a key [`Book::takes`] took. When the spread sample holds more than twice what is
    /// replayed, every other one goes and the stride doubles, so the sample always covers the
    /// whole run evenly.
    fn keep(&mut self, kept: Box<Stored>, sample: Sample, parking: &Parking) {
        if self.early.len() < sample.early {
            if self.early.capacity() == 0 {
                self.early.reserve_exact(sample.early);
            }
            self.early.push(kept);
            return;
        }
        if self.spread.capacity() == 0 {
            // Never more than this: past it, half go.
            self.spread.reserve_exact(2 * sample.spread + 1);
        }
        self.spread.push(kept);
        if self.spread.len() > 2 * sample.spread {
            let all =
                std::mem::replace(&mut self.spread, Vec::with_capacity(2 * sample.spread + 1));
            for (index, stored) in all.into_iter().enumerate() {
                if index % 2 == 0 {
                    self.spread.push(stored);
                } else {
                    // Its room, in memory or in the file, goes to the keys kept after it.
                    parking.release(stored.parked);
                }
            }
            self.stride = self.stride.max(1) * 2;
        }
    }
}

/// `count` of `kept`, evenly spread from the first to the last.
fn spread<T>(kept: &[T], count: usize) -> Vec<&T> {
    if kept.len() <= count {
        return kept.iter().collect();
    }
    match count {
        0 => Vec::new(),
        1 => vec![&kept[kept.len() - 1]],
        _ => (0..count)
            .map(|i| &kept[i * (kept.len() - 1) / (count - 1)])
            .collect(),
    }
}

/// The value at a unique place of an answer, as text: a body field's string or number, or a
/// header's value.
fn value_at(response: &Response, at: &Pointer) -> Option<String> {
    match at.segments() {
        [first, rest @ ..] if first == crate::contract::Location::Body.name() => {
            let body = response.json().as_ref().ok()?;
            match crate::json::pointer::walk(body, rest)? {
                Value::String(text) => Some(text.clone()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            }
        }
        [_, name] => response.header(name).map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tests::issue_card;
    use crate::observe::testing::{failure_body, json_exchange, success_body};
    use crate::run::parked::IN_MEMORY;

    fn answer(card: &str, key: Option<&str>) -> Exchange {
        let mut exchange = json_exchange(success_body(card));
        exchange.sent.key = key.map(str::to_string);
        exchange
    }

    fn enter(ledger: &Ledger, contract: &Contract, case: &str, exchange: &Exchange) {
        let request = Request::json("POST", "/x", "{}");
        let answered = Answered {
            case,
            exchange,
            request: Some(&request),
            sent: 0,
        };
        ledger.enter(0, contract, answered);
    }

    #[test]
    fn a_value_answered_to_two_keys_is_a_clash_and_to_one_key_is_a_replay() {
        let contract = issue_card();
        let ledger = Ledger::new(std::slice::from_ref(&contract), 8, IN_MEMORY);
        enter(&ledger, &contract, "c/example/a", &answer("7", Some("k1")));
        enter(
            &ledger,
            &contract,
            "c/idempotency/conflict",
            &answer("7", Some("k1")),
        );
        enter(&ledger, &contract, "c/boundary/b", &answer("8", Some("k2")));
        assert!(ledger.unique(0, &contract).clashes.is_empty());
        enter(&ledger, &contract, "c/boundary/c", &answer("7", Some("k3")));
        let record = ledger.unique(0, &contract);
        assert_eq!(record.compared, 4);
        assert_eq!(record.places, ["/body/cardNo"]);
        let [clash] = record.clashes.as_slice() else {
            panic!("one clash: {:?}", record.clashes);
        };
        assert_eq!(clash.value, "7");
        assert_eq!(&*clash.first.case, "c/example/a");
        assert_eq!(&*clash.again.case, "c/boundary/c");
        assert_eq!(clash.again.key.as_deref(), Some("k3"));
    }

    #[test]
    fn requests_without_keys_are_all_distinct() {
        let contract = issue_card();
        let ledger = Ledger::new(std::slice::from_ref(&contract), 0, IN_MEMORY);
        enter(&ledger, &contract, "a", &answer("7", None));
        enter(&ledger, &contract, "b", &answer("7", None));
        assert_eq!(ledger.unique(0, &contract).clashes.len(), 1);
    }

    #[test]
    fn failures_are_not_entered() {
        let contract = issue_card();
        let ledger = Ledger::new(std::slice::from_ref(&contract), 8, IN_MEMORY);
        let mut failed = json_exchange(failure_body("PARAM_ILLEGAL", "no"));
        failed.sent.key = Some("k".into());
        enter(&ledger, &contract, "a", &failed);
        assert_eq!(ledger.successes(0), 0);
        assert!(ledger.sample(0).unwrap().is_empty());
        assert_eq!(ledger.unique(0, &contract).compared, 0);
    }

    #[test]
    fn the_sample_is_the_first_keys_and_an_even_spread_of_the_rest_in_bounded_memory() {
        let contract = issue_card();
        let ledger = Ledger::new(std::slice::from_ref(&contract), 8, IN_MEMORY);
        for n in 0..1000 {
            let key = format!("k{n}");
            enter(&ledger, &contract, "c", &answer(&n.to_string(), Some(&key)));
            let book = ledger.book(0);
            assert!(
                book.early.len() + book.spread.len() <= 12,
                "the first 4, at most 8 spread"
            );
        }
        let keys: Vec<String> = ledger
            .sample(0)
            .unwrap()
            .iter()
            .map(|k| k.key.to_string())
            .collect();
        assert_eq!(keys[..4], ["k0", "k1", "k2", "k3"]);
        let spread: Vec<usize> = keys[4..].iter().map(|k| k[1..].parse().unwrap()).collect();
        assert_eq!(spread.len(), 4, "{keys:?}");
        assert!(
            spread[0] < 100 && spread[3] > 800,
            "spread over the run: {spread:?}"
        );
        assert!(spread.windows(2).all(|w| w[1] - w[0] > 150), "{spread:?}");
    }

    #[test]
    fn keys_parked_in_the_file_are_replayed_exactly_as_those_kept_in_memory() {
        let contract = issue_card();
        let sampled = |in_memory: usize| {
            let ledger = Ledger::new(std::slice::from_ref(&contract), 8, in_memory);
            for n in 0..100 {
                let mut exchange = answer(&n.to_string(), Some(&format!("k{n}")));
                exchange.sent.key = Some(format!("k{n}"));
                let request = Request::json("POST", &format!("/x/{n}"), format!("{{\"n\":{n}}}"));
                let answered = Answered {
                    case: "c/boundary/n",
                    exchange: &exchange,
                    request: Some(&request),
                    sent: n,
                };
                ledger.enter(0, &contract, answered);
            }
            let seen = |k: &Kept| {
                let headers: Vec<String> = (k.request.headers.iter())
                    .map(|(name, value)| format!("{name}: {value:?}"))
                    .collect();
                (
                    (k.case.to_string(), k.key.to_string(), k.request.key.clone()),
                    (k.request.method.clone(), k.request.path.clone(), headers),
                    (k.request.body.clone(), k.first.status, k.first.body.clone()),
                    (k.sent, k.successes),
                )
            };
            ledger
                .sample(0)
                .unwrap()
                .iter()
                .map(seen)
                .collect::<Vec<_>>()
        };
        let in_memory = sampled(IN_MEMORY);
        assert_eq!(in_memory.len(), 8);
        assert_eq!(sampled(0), in_memory, "every key parked in the file");
        assert_eq!(
            sampled(3000),
            in_memory,
            "some in memory, the rest in the file"
        );
    }

    #[test]
    fn past_the_cap_values_are_still_compared_but_no_longer_kept() {
        let contract = issue_card();
        let mut ledger = Ledger::new(std::slice::from_ref(&contract), 0, IN_MEMORY);
        ledger.max_values = 2;
        for (n, card) in ["1", "2", "3", "1", "3"].iter().enumerate() {
            let key = format!("k{n}");
            enter(&ledger, &contract, "c", &answer(card, Some(&key)));
        }
        let record = ledger.unique(0, &contract);
        assert_eq!(record.not_kept, 2, "3 twice: never kept");
        assert_eq!(
            record.clashes.len(),
            1,
            "1 was kept, so its repeat is caught"
        );
    }
}
