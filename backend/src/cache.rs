//! A tiny time-to-live cache for hot per-request lookups (sessions, layer versions) that would
//! otherwise cost a database round trip on every tile.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the cache reads the time: the monotonic clock, or a test's own.
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// Entries live for `ttl`; the whole map is dropped when it reaches `capacity` (simple and
/// bounded: the caches here are small and refill in one query per key).
pub struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    clock: Clock,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K, V> std::fmt::Debug for TtlCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TtlCache").field("ttl", &self.ttl).field("capacity", &self.capacity).finish_non_exhaustive()
    }
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// A cache on the monotonic clock.
    #[must_use]
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self::with_clock(ttl, capacity, Arc::new(Instant::now))
    }

    /// A cache reading the time from `clock`.
    #[must_use]
    pub fn with_clock(ttl: Duration, capacity: usize, clock: Clock) -> Self {
        TtlCache { ttl, capacity, clock, entries: Mutex::new(HashMap::new()) }
    }

    /// The cached value, unless missing or expired.
    pub fn get(&self, key: &K) -> Option<V> {
        let now = (self.clock)();
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(key).filter(|(at, _)| now.saturating_duration_since(*at) < self.ttl).map(|(_, v)| v.clone())
    }

    /// The cached value if it was stored less than `max_age` ago, even past the TTL (a stale
    /// answer for when the source cannot be asked).
    pub fn get_within(&self, key: &K, max_age: Duration) -> Option<V> {
        let now = (self.clock)();
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(key).filter(|(at, _)| now.saturating_duration_since(*at) < max_age).map(|(_, v)| v.clone())
    }

    pub fn insert(&self, key: K, value: V) {
        let now = (self.clock)();
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(key, (now, value));
    }

    pub fn remove(&self, key: &K) {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_capacity_is_bounded() {
        let start = Instant::now();
        let offset = Arc::new(Mutex::new(Duration::ZERO));
        let clock: Clock = {
            let offset = Arc::clone(&offset);
            Arc::new(move || start + *offset.lock().expect("clock"))
        };
        let advance = |d: Duration| *offset.lock().expect("clock") += d;
        let c = TtlCache::with_clock(Duration::from_secs(30), 2, clock);
        c.insert("a", 1);
        advance(Duration::from_secs(29));
        assert_eq!(c.get(&"a"), Some(1), "still fresh just before the TTL");
        advance(Duration::from_secs(1));
        assert_eq!(c.get(&"a"), None, "expired at the TTL");
        assert_eq!(c.get_within(&"a", Duration::from_mins(1)), Some(1), "still there for a stale answer");
        assert_eq!(c.get_within(&"a", Duration::from_secs(30)), None);
        c.insert("a", 1);
        c.insert("b", 2);
        c.insert("c", 3);
        assert_eq!((c.get(&"a"), c.get(&"c")), (None, Some(3)));
        c.remove(&"c");
        assert_eq!(c.get(&"c"), None);
    }
}
