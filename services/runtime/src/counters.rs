//! Named, lock-free, monotonic counters (Aeron's system counters, in-process).
//!
//! A [`CounterSet`] is built once at start-up with a closed list of labels; the hot path bumps
//! [`Counter`] handles (one relaxed atomic add, or a relaxed load and store when the thread is
//! the counter's only writer; no allocation, no lock) and any thread reads a snapshot. Services log snapshots periodically and expose them to operators.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A handle to one counter in a [`CounterSet`]; cheap to clone, `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Counter {
    cell: Arc<AtomicU64>,
}

impl Counter {
    /// A counter not registered in any set (for components used standalone in tests).
    pub fn detached() -> Self {
        Self {
            cell: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Adds one.
    #[inline]
    pub fn increment(&self) {
        self.cell.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n`.
    #[inline]
    pub fn add(&self, n: u64) {
        self.cell.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds one, when the calling thread is this counter's only writer: a relaxed load and a
    /// relaxed store (Aeron's counter update by its owner, `setRelease(get() + 1)`) instead of
    /// [`Counter::increment`]'s atomic read-modify-write. Why: a locked x86 instruction waits
    /// for every earlier store to leave the store buffer (on the aggregator's path, the cache
    /// lines of the journal record just written), a plain store does not. Readers on other
    /// threads still see whole values, monotonically. Two threads writing one counter this
    /// way lose increments: shared counters use [`Counter::increment`].
    #[inline]
    pub fn increment_single_writer(&self) {
        self.add_single_writer(1);
    }

    /// Adds `n` when the calling thread is this counter's only writer (see
    /// [`Counter::increment_single_writer`]).
    #[inline]
    pub fn add_single_writer(&self, n: u64) {
        let v = self.cell.load(Ordering::Relaxed).wrapping_add(n);
        self.cell.store(v, Ordering::Relaxed);
    }

    /// Raises the counter to `v` if `v` is larger (for high-water marks such as max lag).
    /// Any number of threads may call it. When `v` is not larger it only reads: a relaxed
    /// load, no atomic read-modify-write (publishing unchanged totals every idle duty cycle
    /// costs nothing).
    #[inline]
    pub fn record_max(&self, v: u64) {
        if v > self.cell.load(Ordering::Relaxed) {
            self.cell.fetch_max(v, Ordering::Relaxed);
        }
    }

    /// Current value.
    #[inline]
    pub fn get(&self) -> u64 {
        self.cell.load(Ordering::Relaxed)
    }
}

/// A closed set of labelled counters, registered at start-up.
#[derive(Clone, Debug, Default)]
pub struct CounterSet {
    entries: Vec<(String, Counter)>,
}

impl CounterSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a counter with `label` (e.g. `"pub.back_pressured"`) and returns its handle.
    /// Registering a label twice returns the existing counter.
    pub fn register(&mut self, label: &str) -> Counter {
        if let Some((_, c)) = self.entries.iter().find(|(l, _)| l == label) {
            return c.clone();
        }
        let c = Counter::detached();
        self.entries.push((label.to_owned(), c.clone()));
        c
    }

    /// `(label, value)` for every counter, in registration order.
    pub fn snapshot(&self) -> Vec<(String, u64)> {
        self.entries
            .iter()
            .map(|(l, c)| (l.clone(), c.get()))
            .collect()
    }

    /// The value of the counter called `label`, if registered.
    pub fn value(&self, label: &str) -> Option<u64> {
        self.entries
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, c)| c.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_count_and_snapshot_in_order() {
        let mut set = CounterSet::new();
        let a = set.register("a");
        let b = set.register("b");
        a.increment();
        a.add(4);
        b.record_max(7);
        b.record_max(3);
        assert_eq!(set.register("a").get(), 5, "same label, same counter");
        assert_eq!(
            set.snapshot(),
            vec![("a".to_owned(), 5), ("b".to_owned(), 7)]
        );
        assert_eq!(set.value("b"), Some(7));
        assert_eq!(set.value("c"), None);
    }

    #[test]
    fn single_writer_updates_are_seen_by_readers_on_other_threads() {
        let mut set = CounterSet::new();
        let c = set.register("owned");
        let writer = {
            let c = c.clone();
            std::thread::spawn(move || {
                for _ in 0..100_000 {
                    c.increment_single_writer();
                }
                c.add_single_writer(5);
            })
        };
        let mut last = 0;
        while !writer.is_finished() {
            let v = c.get();
            assert!(v >= last, "went back from {last} to {v}");
            last = v;
        }
        writer.join().unwrap();
        assert_eq!(set.value("owned"), Some(100_005));
    }

    #[test]
    fn record_max_from_many_threads_keeps_the_largest() {
        let c = Counter::detached();
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let c = c.clone();
                std::thread::spawn(move || {
                    for v in 0..10_000u64 {
                        c.record_max(v * 4 + t);
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(c.get(), 9_999 * 4 + 3);
        c.record_max(5);
        assert_eq!(c.get(), 9_999 * 4 + 3, "a smaller value changes nothing");
    }
}
