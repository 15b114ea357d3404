//! Resources the reference implementation created, shared by the operations acting on them: a
//! created card can be read, updated and deleted, so `serve` is a stateful fake of a whole API
//! and derived flows pass against it. Bounded like the idempotency memory: the least recently
//! used resource of a kind is forgotten first. The store also holds what the operations share
//! besides resources: the credentials they issued ([`super::issued`]).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use lru::LruCache;
use serde_json::Value;

use super::Bound;
use super::issued::Issued;
use crate::contract::{Contract, ResourceAction};

/// The resources of every kind served.
#[derive(Debug)]
pub(crate) struct ResourceStore {
    kinds: Mutex<HashMap<String, LruCache<String, Value>>>,
    /// The kinds some served operation creates: only those can be told not to exist.
    created: HashSet<String>,
    capacity: usize,
    issued: Issued,
}

impl ResourceStore {
    /// An empty store for the resources `contracts` act on, each kind holding at most `bound`.
    pub(crate) fn new(contracts: &[Contract], bound: Bound) -> Self {
        let created = contracts
            .iter()
            .filter_map(|c| c.resource.as_ref())
            .filter(|r| r.action == ResourceAction::Create)
            .map(|r| r.name.clone())
            .collect();
        ResourceStore {
            kinds: Mutex::new(HashMap::new()),
            created,
            capacity: bound.capacity.get(),
            issued: Issued::new(contracts, bound),
        }
    }

    /// Whether a served operation creates resources of `kind`: then an id it never issued does
    /// not exist. Without one, any id is taken to exist (the reference cannot know better).
    pub(crate) fn knows(&self, kind: &str) -> bool {
        self.created.contains(kind)
    }

    /// The credentials the operations issued.
    pub(crate) fn issued(&self) -> &Issued {
        &self.issued
    }

    /// Keeps `representation` as the resource `id` of `kind`.
    pub(crate) fn put(&self, kind: &str, id: &str, representation: Value) {
        let mut kinds = self.lock();
        let resources = kinds
            .entry(kind.to_string())
            .or_insert_with(LruCache::unbounded);
        resources.push(id.to_string(), representation);
        if resources.len() > self.capacity {
            resources.pop_lru();
        }
    }

    /// The resource `id` of `kind`, when it exists.
    pub(crate) fn get(&self, kind: &str, id: &str) -> Option<Value> {
        self.lock().get_mut(kind)?.get(id).cloned()
    }

    /// Removes the resource `id` of `kind`; whether it existed.
    pub(crate) fn remove(&self, kind: &str, id: &str) -> bool {
        self.lock()
            .get_mut(kind)
            .is_some_and(|resources| resources.pop(id).is_some())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, LruCache<String, Value>>> {
        self.kinds
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
