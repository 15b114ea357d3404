//! The key memory's map: bounded, in least-recently-used order, laid out for a full memory.
//!
//! Under load nearly every request brings a new key to a full memory (100,000 keys by
//! default), so the common case is: look the key up (absent), forget the least recently used
//! entry, remember the new one. What that costs is mostly cache misses on entries no request has
//! touched for a while. So entries live in one vector, linked in recency order by index, and
//! the hash table holds only indexes, with each entry's hash kept in the entry:
//! - forgetting an entry finds it in the table by its stored hash and index, without reading
//!   its key again to hash it;
//! - the new entry takes the forgotten one's place in the vector: no allocation per entry, and
//!   a key of the forgotten one's length (ids usually have one length) is written over it.
//!
//! The vector is kept in blocks of [`BLOCK`] entries that never move: growing to 100,000 keys
//! copies no entry (one vector doubling would hold the memory's lock for a copy of megabytes
//! and, while it copied, need twice the room).

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// The end of the recency list.
const NONE: u32 = u32::MAX;

/// Entries per block of the vector; the first block grows to it as keys come, since most
/// memories (one per operation of a suite) hold a few keys.
const BLOCK: usize = 1024;

/// A map of at most `capacity` entries that forgets the least recently used to make room.
pub(crate) struct Recency<V> {
    /// Indexes of slots, found by each slot's `hash`.
    index: HashTable<u32>,
    /// The slots, [`BLOCK`] to a block.
    blocks: Vec<Vec<Slot<V>>>,
    len: usize,
    newest: u32,
    oldest: u32,
    capacity: usize,
    // Keys come from clients: a randomly seeded hash keeps them from forcing collisions.
    state: foldhash::fast::RandomState,
}

struct Slot<V> {
    hash: u64,
    /// The next more recently used slot.
    newer: u32,
    /// The next less recently used slot.
    older: u32,
    key: Box<[u8]>,
    value: V,
}

/// What [`Recency::put_with`] took out: a value replaced, or a whole entry forgotten to make room.
/// The caller drops it after releasing its lock.
pub(crate) type Displaced<V> = Option<(Option<Box<[u8]>>, V)>;

impl<V> Recency<V> {
    /// An empty map of at most `capacity` entries (at least one; at most `u32::MAX - 1`, as
    /// entries are linked by 32-bit indexes: `--key-capacity` refuses more). Memory is taken as
    /// entries come.
    pub(crate) fn new(capacity: usize) -> Self {
        Recency {
            index: HashTable::new(),
            blocks: Vec::new(),
            len: 0,
            newest: NONE,
            oldest: NONE,
            capacity: capacity.clamp(1, NONE as usize - 1),
            state: foldhash::fast::RandomState::default(),
        }
    }

    /// How many entries it holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The hash that [`Recency::get`] and [`Recency::put_with`] take for `key` (hashed once
    /// for both).
    pub(crate) fn hash(&self, key: &str) -> u64 {
        self.state.hash_one(key.as_bytes())
    }

    /// `key`'s value, which becomes the most recently used.
    pub(crate) fn get(&mut self, hash: u64, key: &str) -> Option<&mut V> {
        let at = self.find(hash, key)?;
        self.touch(at);
        Some(&mut self.slot_mut(at).value)
    }

    /// Sets `key`'s value, as [`Recency::put_with`] does.
    #[cfg(test)]
    pub(crate) fn put(&mut self, hash: u64, key: &str, value: V) -> Displaced<V> {
        self.put_with(hash, key, |_| value)
    }

    /// Sets `key`'s value, as the most recently used: the value `make` returns when shown the
    /// value it will displace, so that the new one can reuse what the old one holds. That is
    /// `key`'s own value, or, when the map is full, its least recently used entry's, which is
    /// forgotten to make room (`None` when there is room). Returns the value replaced, or the
    /// entry forgotten.
    pub(crate) fn put_with(
        &mut self,
        hash: u64,
        key: &str,
        make: impl FnOnce(Option<&mut V>) -> V,
    ) -> Displaced<V> {
        if let Some(at) = self.find(hash, key) {
            self.touch(at);
            let slot = self.slot_mut(at);
            let value = make(Some(&mut slot.value));
            return Some((None, std::mem::replace(&mut slot.value, value)));
        }
        if self.len < self.capacity {
            let at = self.len as u32;
            self.push(Slot {
                hash,
                newer: NONE,
                older: NONE,
                key: key.as_bytes().into(),
                value: make(None),
            });
            self.link_newest(at);
            self.index_slot(at);
            return None;
        }
        let at = self.oldest;
        self.unlink(at);
        let forgotten_hash = self.slot(at).hash;
        if let Ok(entry) = self.index.find_entry(forgotten_hash, |&i| i == at) {
            entry.remove();
        }
        let slot = self.slot_mut(at);
        slot.hash = hash;
        let old_key = if slot.key.len() == key.len() {
            slot.key.copy_from_slice(key.as_bytes());
            None
        } else {
            Some(std::mem::replace(&mut slot.key, key.as_bytes().into()))
        };
        let value = make(Some(&mut slot.value));
        let old = std::mem::replace(&mut slot.value, value);
        self.link_newest(at);
        self.index_slot(at);
        Some((old_key, old))
    }

    fn slot(&self, at: u32) -> &Slot<V> {
        slot_in(&self.blocks, at)
    }

    fn slot_mut(&mut self, at: u32) -> &mut Slot<V> {
        let at = at as usize;
        &mut self.blocks[at / BLOCK][at % BLOCK]
    }

    fn push(&mut self, slot: Slot<V>) {
        match self.blocks.last_mut() {
            Some(block) if block.len() < BLOCK => block.push(slot),
            last => {
                let room = if last.is_some() { BLOCK } else { 0 };
                let mut block = Vec::with_capacity(room);
                block.push(slot);
                self.blocks.push(block);
            }
        }
        self.len += 1;
    }

    fn find(&self, hash: u64, key: &str) -> Option<u32> {
        let blocks = &self.blocks;
        self.index
            .find(hash, |&i| {
                let slot = slot_in(blocks, i);
                slot.hash == hash && *slot.key == *key.as_bytes()
            })
            .copied()
    }

    fn index_slot(&mut self, at: u32) {
        let blocks = &self.blocks;
        let hash = slot_in(blocks, at).hash;
        self.index
            .insert_unique(hash, at, |&i| slot_in(blocks, i).hash);
    }

    fn touch(&mut self, at: u32) {
        if self.newest != at {
            self.unlink(at);
            self.link_newest(at);
        }
    }

    fn unlink(&mut self, at: u32) {
        let Slot { newer, older, .. } = *self.slot(at);
        match newer {
            NONE => self.newest = older,
            newer => self.slot_mut(newer).older = older,
        }
        match older {
            NONE => self.oldest = newer,
            older => self.slot_mut(older).newer = newer,
        }
    }

    fn link_newest(&mut self, at: u32) {
        let previous = self.newest;
        let slot = self.slot_mut(at);
        slot.older = previous;
        slot.newer = NONE;
        match previous {
            NONE => self.oldest = at,
            previous => self.slot_mut(previous).newer = at,
        }
        self.newest = at;
    }
}

fn slot_in<V>(blocks: &[Vec<Slot<V>>], at: u32) -> &Slot<V> {
    let at = at as usize;
    &blocks[at / BLOCK][at % BLOCK]
}

impl<V: std::fmt::Debug> std::fmt::Debug for Recency<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recency")
            .field("len", &self.len)
            .field("capacity", &self.capacity)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    /// The plainest least-recently-used map: keys from the least to the most recently used.
    struct Model {
        order: VecDeque<(String, u32)>,
        capacity: usize,
    }

    impl Model {
        fn get(&mut self, key: &str) -> Option<u32> {
            let at = self.order.iter().position(|(k, _)| k == key)?;
            let entry = self.order.remove(at)?;
            self.order.push_back(entry);
            self.order.back().map(|(_, v)| *v)
        }

        fn put(&mut self, key: &str, value: u32) -> Option<u32> {
            if let Some(at) = self.order.iter().position(|(k, _)| k == key) {
                let (_, old) = self.order.remove(at)?;
                self.order.push_back((key.to_string(), value));
                return Some(old);
            }
            self.order.push_back((key.to_string(), value));
            if self.order.len() > self.capacity {
                return self.order.pop_front().map(|(_, v)| v);
            }
            None
        }
    }

    #[test]
    fn keeps_and_forgets_exactly_as_a_plain_least_recently_used_list() {
        // A small deterministic generator: keys of one and of two lengths, so forgotten keys
        // are both written over and replaced.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for capacity in 1..=6 {
            let mut map = Recency::new(capacity);
            let mut model = Model {
                order: VecDeque::new(),
                capacity,
            };
            for step in 0..5_000u32 {
                let n = next() % 12;
                let key = if n % 3 == 0 {
                    format!("key-{n}-long")
                } else {
                    format!("k{n}")
                };
                let hash = map.hash(&key);
                if next() % 3 == 0 {
                    let got = map.get(hash, &key).map(|v| *v);
                    assert_eq!(got, model.get(&key), "get {key} at step {step}");
                } else {
                    let out = map.put(hash, &key, step).map(|(_, v)| v);
                    assert_eq!(out, model.put(&key, step), "put {key} at step {step}");
                }
                assert_eq!(map.len(), model.order.len(), "length at step {step}");
            }
            for (key, value) in model.order.clone() {
                let hash = map.hash(&key);
                assert_eq!(map.get(hash, &key).map(|v| *v), Some(value), "{key}");
            }
        }
    }

    #[test]
    fn a_map_over_several_blocks_forgets_the_least_recently_used_first() {
        let capacity = 2 * BLOCK + 100;
        let mut map = Recency::new(capacity);
        let key = |n: usize| format!("id-{n}");
        let put = |map: &mut Recency<usize>, n: usize| {
            let hash = map.hash(&key(n));
            map.put(hash, &key(n), n).map(|(_, forgotten)| forgotten)
        };
        for n in 0..capacity {
            assert_eq!(put(&mut map, n), None, "room for {n}");
        }
        // Using the first key makes the second the least recently used.
        let hash = map.hash(&key(0));
        assert_eq!(map.get(hash, &key(0)).copied(), Some(0));
        assert_eq!(put(&mut map, capacity), Some(1));
        for n in capacity + 1..2 * capacity - 1 {
            assert_eq!(
                put(&mut map, n),
                Some(n - capacity + 1),
                "forgotten for {n}"
            );
        }
        assert_eq!(
            put(&mut map, 2 * capacity - 1),
            Some(0),
            "the key used again, last"
        );
        assert_eq!(map.len(), capacity);
        let kept = (capacity..2 * capacity).all(|n| {
            let hash = map.hash(&key(n));
            map.get(hash, &key(n)).copied() == Some(n)
        });
        assert!(kept, "the most recent {capacity} keys are kept");
    }

    #[test]
    fn shows_the_value_it_will_displace_to_the_one_it_makes() {
        let mut map = Recency::new(2);
        let put = |map: &mut Recency<u32>, key: &str, value: u32| {
            let hash = map.hash(key);
            let mut shown = None;
            map.put_with(hash, key, |displaced| {
                shown = displaced.map(|v| *v);
                value
            });
            shown
        };
        assert_eq!(put(&mut map, "a", 1), None, "room for a");
        assert_eq!(put(&mut map, "b", 2), None, "room for b");
        assert_eq!(put(&mut map, "b", 3), Some(2), "its own value");
        assert_eq!(put(&mut map, "c", 4), Some(1), "the least recently used");
        let hash = map.hash("c");
        assert_eq!(map.get(hash, "c").copied(), Some(4));
    }

    #[test]
    fn a_forgotten_key_of_another_length_is_handed_back_to_be_freed() {
        let mut map = Recency::new(1);
        let hash = map.hash("short");
        assert!(map.put(hash, "short", 1).is_none());
        let hash = map.hash("a longer key");
        let (key, value) = map.put(hash, "a longer key", 2).expect("one forgotten");
        assert_eq!((key.as_deref(), value), (Some(&b"short"[..]), 1));
        let hash = map.hash("same length!");
        let (key, value) = map.put(hash, "same length!", 3).expect("one forgotten");
        assert_eq!((key, value), (None, 2), "written over in place");
        assert_eq!(map.get(hash, "same length!").copied(), Some(3));
        let hash = map.hash("a longer key");
        assert_eq!(map.get(hash, "a longer key"), None);
    }
}
