//! A bounded in-process map of loaded aggregates, one async lock each: commands for the same
//! aggregate queue behind each other within one instance, so conflicts come only from other
//! instances. The cache is an optimisation; the expected sequence of every append keeps it
//! honest.
//!
//! Eviction is `quick_cache`'s (S3-FIFO: only as room is needed, a few entries at a time; an
//! entry used again outlives one seen once), with one rule of SKP's: a slot that somebody
//! holds (a command or a query working on that aggregate right now) is pinned and never
//! evicted, so two commands on one aggregate always meet at the same lock.

use super::aggregate::Loaded;
use quick_cache::sync::Cache as Quick;
use quick_cache::{DefaultHashBuilder, Lifecycle, UnitWeighter};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::Mutex as AsyncMutex;
use uuid::Uuid;

/// One aggregate's slot: `None` until loaded, or after a failure left it uncertain.
pub type Slot<A> = Arc<AsyncMutex<Option<Loaded<A>>>>;

/// Pins the slots in use: the cache's own reference is one, every holder adds one.
#[derive(Debug, Clone, Copy, Default)]
struct InUse;

impl<A> Lifecycle<Uuid, Slot<A>> for InUse {
    type RequestState = ();

    fn is_pinned(&self, _id: &Uuid, slot: &Slot<A>) -> bool {
        Arc::strong_count(slot) > 1
    }

    fn begin_request(&self) -> Self::RequestState {}
}

/// Loaded aggregates by id.
pub struct Cache<A> {
    slots: Quick<Uuid, Slot<A>, UnitWeighter, DefaultHashBuilder, InUse>,
}

impl<A> std::fmt::Debug for Cache<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("len", &self.slots.len()).field("capacity", &self.slots.capacity()).finish()
    }
}

impl<A> Cache<A> {
    /// A cache holding about `capacity` aggregates (more only while more are in use).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self { slots: Quick::with(capacity, capacity as u64, UnitWeighter, DefaultHashBuilder::default(), InUse) }
    }

    /// The slot of `id`, created empty if missing; while the caller holds it, it stays.
    pub fn slot(&self, id: Uuid) -> Slot<A> {
        match self.slots.get_or_insert_with(&id, || Ok::<_, Infallible>(Slot::default())) {
            Ok(slot) => slot,
            Err(never) => match never {},
        }
    }

    /// How many slots it holds now.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether it holds no slot.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Whether `id` has a slot now (without counting as a use).
    pub fn contains(&self, id: Uuid) -> bool {
        self.slots.contains_key(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skp_domain::appraisal::Appraisal;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn past_its_capacity_it_evicts_one_by_one_and_keeps_the_entries_used_again_and_in_use() {
        const CAPACITY: u128 = 1_000;
        let cache = Cache::<Appraisal>::new(CAPACITY as usize);
        for n in 0..CAPACITY {
            cache.slot(id(n));
        }
        // The warm set: used again since it was loaded.
        let warm: Vec<u128> = (0..CAPACITY).step_by(10).collect();
        for &n in &warm {
            cache.slot(id(n));
        }
        // In use right now, and seen only once.
        let held = cache.slot(id(CAPACITY - 1));
        // A scan of new aggregates, three times the capacity, one at a time.
        let mut before = cache.len();
        let mut smallest = before;
        for n in CAPACITY..4 * CAPACITY {
            cache.slot(id(n));
            let now = cache.len();
            assert!(now <= CAPACITY as usize + 1, "never past its capacity: {now} at {n}");
            assert!(now + 4 >= before, "a few entries out at a time, never a sweep: {before} -> {now} at {n}");
            before = now;
            smallest = smallest.min(now);
        }
        assert!(smallest >= CAPACITY as usize * 9 / 10, "the warm set never went cold together: {smallest} entries at the least");
        let warm_kept = warm.iter().filter(|&&n| cache.contains(id(n))).count();
        assert_eq!(warm_kept, warm.len(), "every entry used again survived the scan");
        assert!(cache.contains(id(CAPACITY - 1)), "the entry in use was not evicted");
        // The newest entries are there, to be used again.
        assert!(cache.contains(id(4 * CAPACITY - 1)));
        // The holder and the cache share one slot: a second command meets the same lock.
        assert!(Arc::ptr_eq(&held, &cache.slot(id(CAPACITY - 1))));
    }
}
