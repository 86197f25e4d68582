//! Bounded, pre-sized memories of recent events: the throttle's sliding window of accept
//! times and the duplicate check's window of recent order ids.

use crossbar_book::RefMap;

/// A sliding-window log: the times of the last `max` accepted orders. An order at `now_ns` is
/// allowed when fewer than `max` orders were accepted in `(now_ns - window_ns, now_ns]`,
/// i.e. when the `max`-th most recent accept is at least `window_ns` old. Exact, unlike a
/// token bucket, which lets up to twice the rate through across a window boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RateWindow {
    times_ns: Vec<u64>,
    head: usize,
    filled: usize,
    /// Orders allowed per window, at most the ring's length (the start-up rate).
    max: usize,
}

impl RateWindow {
    pub(crate) fn new(max: u32) -> Self {
        Self {
            times_ns: vec![0; max as usize],
            head: 0,
            filled: 0,
            max: max as usize,
        }
    }

    pub(crate) fn max(&self) -> u32 {
        self.max as u32
    }

    /// Most orders per window the ring can enforce (its length, fixed at start-up).
    pub(crate) fn capacity(&self) -> u32 {
        self.times_ns.len() as u32
    }

    /// Changes the rate to `max` orders per window, `1..=capacity()`; false (unchanged)
    /// otherwise. The ring keeps its history, so the new rate applies to past accepts too.
    pub(crate) fn set_max(&mut self, max: u32) -> bool {
        if max == 0 || max > self.capacity() {
            return false;
        }
        self.max = max as usize;
        true
    }

    /// Read-only: would an order at `now_ns` fit? It does when fewer than `max` accepts are
    /// recorded, or the `max`-th most recent one is at least `window_ns` old. A clock that
    /// went backwards reads as "no time passed" (fails closed).
    #[inline]
    pub(crate) fn allows(&self, now_ns: u64, window_ns: u64) -> bool {
        if self.filled < self.max {
            return true;
        }
        // `head` is the next slot to write: the max-th most recent accept is `max` back.
        let len = self.times_ns.len();
        let nth = (self.head + len - self.max) % len;
        now_ns.saturating_sub(self.times_ns[nth]) >= window_ns
    }

    /// Records an accepted order at `now_ns`, forgetting the oldest when full.
    #[inline]
    pub(crate) fn record(&mut self, now_ns: u64) {
        self.times_ns[self.head] = now_ns;
        self.head += 1;
        if self.head == self.times_ns.len() {
            self.head = 0;
        }
        self.filled = (self.filled + 1).min(self.times_ns.len());
    }
}

/// The last `capacity` order ids, in a ring, with a hash index for O(1) membership.
#[derive(Clone, Debug)]
pub(crate) struct RecentIds {
    ring: Vec<u64>,
    index: RefMap,
    head: usize,
    filled: usize,
}

impl RecentIds {
    pub(crate) fn new(capacity: u32) -> Self {
        Self {
            ring: vec![0; capacity as usize],
            index: RefMap::with_capacity(capacity as usize),
            head: 0,
            filled: 0,
        }
    }

    #[inline]
    pub(crate) fn contains(&self, id: u64) -> bool {
        self.index.contains(id)
    }

    /// Remembers `id` (not already present), forgetting the oldest id when full.
    #[inline]
    pub(crate) fn record(&mut self, id: u64) {
        if self.filled == self.ring.len() {
            self.index.remove(self.ring[self.head]);
        } else {
            self.filled += 1;
        }
        let inserted = self.index.insert(id, 0);
        debug_assert!(
            inserted.is_ok(),
            "caller checked contains; a slot was freed"
        );
        self.ring[self.head] = id;
        self.head = (self.head + 1) % self.ring.len();
    }

    /// The remembered ids, oldest first (for state comparison in tests).
    pub(crate) fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        let start = if self.filled == self.ring.len() {
            self.head
        } else {
            0
        };
        (0..self.filled).map(move |i| self.ring[(start + i) % self.ring.len()])
    }
}

impl PartialEq for RecentIds {
    fn eq(&self, other: &Self) -> bool {
        self.ids().eq(other.ids())
    }
}

impl Eq for RecentIds {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_window_rolls_over_exactly_at_the_window_edge() {
        let mut w = RateWindow::new(3);
        let window = 1_000_000_000;
        for t in [100, 200, 300] {
            assert!(w.allows(t, window));
            w.record(t);
        }
        assert!(!w.allows(300, window));
        assert!(
            !w.allows(100 + window - 1, window),
            "1 ns before the oldest ages out"
        );
        assert!(w.allows(100 + window, window), "exactly one window later");
        w.record(100 + window);
        assert!(!w.allows(200 + window - 1, window));
        assert!(w.allows(200 + window, window));
        assert!(!w.allows(50, window), "clock going backwards fails closed");
    }

    #[test]
    fn recent_ids_forget_the_oldest() {
        let mut r = RecentIds::new(2);
        r.record(1);
        r.record(2);
        assert!(r.contains(1) && r.contains(2));
        r.record(3);
        assert!(!r.contains(1));
        assert!(r.contains(2) && r.contains(3));
        assert_eq!(r.ids().collect::<Vec<_>>(), vec![2, 3]);
    }
}
