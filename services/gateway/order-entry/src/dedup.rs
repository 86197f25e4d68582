//! A bounded window of recently applied executions, to drop duplicates.

use crossbar_book::RefMap;

/// The last `capacity` execution keys (match number and side), oldest evicted first.
/// Fixed memory: a ring of keys and a [`RefMap`] index, both allocated in [`Self::new`].
#[derive(Debug)]
pub(crate) struct ExecutionWindow {
    ring: Vec<u64>,
    next: usize,
    len: usize,
    index: RefMap,
}

impl ExecutionWindow {
    pub(crate) fn new(capacity: u32) -> Self {
        let capacity = capacity.max(1) as usize;
        Self {
            ring: vec![0; capacity],
            next: 0,
            len: 0,
            index: RefMap::with_capacity(capacity),
        }
    }

    /// The key of an execution: OUCH 5.0 §3.6 "Match Number" is shared by both sides of a
    /// trade, so a self-match gives our buy and our sell the same number; the side bit keeps
    /// them apart.
    pub(crate) const fn key(match_number: u64, is_sell: bool) -> u64 {
        (match_number << 1) | is_sell as u64
    }

    pub(crate) fn contains(&self, key: u64) -> bool {
        self.index.contains(key)
    }

    /// Remembers `key` (which must not be present), evicting the oldest when full.
    pub(crate) fn insert(&mut self, key: u64) {
        debug_assert!(!self.index.contains(key));
        if self.len == self.ring.len() {
            self.index.remove(self.ring[self.next]);
        } else {
            self.len += 1;
        }
        self.ring[self.next] = key;
        // Cannot fail: the map holds `capacity` entries and one was just evicted if full.
        let _ = self.index.insert(key, 0);
        self.next = (self.next + 1) % self.ring.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_last_capacity_keys() {
        let mut w = ExecutionWindow::new(3);
        for k in 1..=3 {
            w.insert(k);
        }
        assert!(w.contains(1) && w.contains(2) && w.contains(3));
        w.insert(4);
        assert!(!w.contains(1), "oldest evicted");
        assert!(w.contains(2) && w.contains(3) && w.contains(4));
        for k in 5..1_000 {
            w.insert(k);
        }
        assert!(w.contains(999) && w.contains(997) && !w.contains(996));
    }

    #[test]
    fn same_match_number_on_both_sides_is_two_keys() {
        let mut w = ExecutionWindow::new(4);
        w.insert(ExecutionWindow::key(77, false));
        assert!(!w.contains(ExecutionWindow::key(77, true)));
        assert!(w.contains(ExecutionWindow::key(77, false)));
    }
}
