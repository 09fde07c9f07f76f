//! A bounded in-process map of loaded aggregates, one async lock each: commands for the same
//! aggregate queue behind each other within one instance, so conflicts come only from other
//! instances. The cache is an optimisation; the expected sequence of every append keeps it
//! honest.

use super::aggregate::Loaded;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Mutex as AsyncMutex;
use uuid::Uuid;

/// One aggregate's slot: `None` until loaded, or after a failure left it uncertain.
pub type Slot<A> = Arc<AsyncMutex<Option<Loaded<A>>>>;

/// Loaded aggregates by id.
#[derive(Debug)]
pub struct Cache<A> {
    slots: Mutex<HashMap<Uuid, Slot<A>>>,
    capacity: usize,
}

impl<A> Cache<A> {
    /// A cache holding about `capacity` aggregates.
    pub fn new(capacity: usize) -> Self {
        Self { slots: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
    }

    /// The slot of `id`, created empty if missing. When the cache is over capacity, slots
    /// that nobody holds are dropped first.
    pub fn slot(&self, id: Uuid) -> Slot<A> {
        let mut slots = self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if slots.len() >= self.capacity && !slots.contains_key(&id) {
            slots.retain(|_, slot| Arc::strong_count(slot) > 1);
        }
        slots.entry(id).or_default().clone()
    }
}
