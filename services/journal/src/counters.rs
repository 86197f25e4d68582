//! The journal's counters: plain totals on the hot path ([`JournalCounts`]), published to
//! lock-free `crossbar_runtime` counters (`journal.*`) from `Journal::maintain` and `flush`.

use crossbar_runtime::{Counter, CounterSet};

use crate::writer::RecoveryReport;

/// Totals since `Journal::open`. Plain integers: the single writer bumps them without atomics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JournalCounts {
    /// Records appended.
    pub appends: u64,
    /// Payload bytes appended (headers and padding excluded).
    pub payload_bytes: u64,
    /// Appends refused (`JOURNAL_EMPTY_PAYLOAD`, `JOURNAL_RECORD_TOO_LARGE`).
    pub rejected: u64,
    /// Segment rolls.
    pub segment_rolls: u64,
    /// Rolls that found no prepared spare and created the segment on the hot path.
    pub unprepared_rolls: u64,
    /// Completed `flush` calls.
    pub flushes: u64,
    /// Pages write-faulted ahead of the append position by `maintain` (config `pretouch`).
    pub pages_touched: u64,
}

/// `journal.*` counters in a [`CounterSet`], readable from any thread.
#[derive(Clone, Debug)]
pub struct JournalCounters {
    /// `journal.appends`.
    pub appends: Counter,
    /// `journal.payload_bytes`.
    pub payload_bytes: Counter,
    /// `journal.rejected`.
    pub rejected: Counter,
    /// `journal.segment_rolls`.
    pub segment_rolls: Counter,
    /// `journal.unprepared_rolls`.
    pub unprepared_rolls: Counter,
    /// `journal.flushes`.
    pub flushes: Counter,
    /// `journal.pages_touched`.
    pub pages_touched: Counter,
    /// `journal.recovered_torn_tails`: 1 when open cut off a torn tail.
    pub recovered_torn_tails: Counter,
    /// `journal.recovered_zeroed_bytes`: bytes zeroed by that recovery.
    pub recovered_zeroed_bytes: Counter,
}

impl JournalCounters {
    /// Registers every counter as `<prefix>.<name>`.
    pub fn register(set: &mut CounterSet, prefix: &str) -> Self {
        let mut c = |name: &str| set.register(&format!("{prefix}.{name}"));
        Self {
            appends: c("appends"),
            payload_bytes: c("payload_bytes"),
            rejected: c("rejected"),
            segment_rolls: c("segment_rolls"),
            unprepared_rolls: c("unprepared_rolls"),
            flushes: c("flushes"),
            pages_touched: c("pages_touched"),
            recovered_torn_tails: c("recovered_torn_tails"),
            recovered_zeroed_bytes: c("recovered_zeroed_bytes"),
        }
    }

    /// Publishes the monotonic totals (`record_max`, so publishing twice is harmless).
    pub(crate) fn publish(&self, counts: &JournalCounts) {
        self.appends.record_max(counts.appends);
        self.payload_bytes.record_max(counts.payload_bytes);
        self.rejected.record_max(counts.rejected);
        self.segment_rolls.record_max(counts.segment_rolls);
        self.unprepared_rolls.record_max(counts.unprepared_rolls);
        self.flushes.record_max(counts.flushes);
        self.pages_touched.record_max(counts.pages_touched);
    }

    pub(crate) fn publish_recovery(&self, recovery: &RecoveryReport) {
        if recovery.torn_tail.is_some() {
            self.recovered_torn_tails.increment();
        }
        self.recovered_zeroed_bytes.add(recovery.zeroed_bytes);
    }
}
