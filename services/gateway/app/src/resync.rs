//! [`ReplayJob`]: the gateway's answer to an ExecutionReplayRequest (`schemas/crossbar.xml`
//! 35): every execution-stream message it journaled for the centre (outbound, source 0:
//! ExecutionReport, OrderReject, CreditReturn, PositionUpdate) whose `streamSequence` is at
//! least the request's `fromSequence`, read back from the audit journal (never from memory),
//! in journal order, then an ExecutionReplayComplete (36) with the highest sequence sent.
//!
//! The job is paced by the execution queue ([`crate::exec::Executions::pump_replay`]): each
//! duty cycle offers at most [`REPLAY_PER_CYCLE`] frames and stops at the first one the queue
//! cannot take, so a long replay never fills the queue past a quarter (the gateway fails
//! closed at half) and never stalls the hot path for more than one batch. The reader is a
//! snapshot of the journal when the request came: messages journaled later were published
//! live, and the centre asks again if it missed any (the Complete's `lastSequence` tells it).

use std::path::Path;

use crossbar_journal::{Direction, JournalError, JournalReader};

use crate::audit::CENTRE_SOURCE;

/// Most journaled frames one duty cycle hands to the execution stream.
pub const REPLAY_PER_CYCLE: usize = 256;

/// One replay request being answered.
pub struct ReplayJob {
    reader: JournalReader,
    /// Next journal record to look at (journal sequence, not stream sequence).
    next_record: u64,
    /// The centre's request number.
    pub request_id: u64,
    /// First stream sequence asked for.
    pub from_sequence: u64,
    /// Frames sent again so far.
    pub replayed: u64,
}

impl ReplayJob {
    /// Opens a read-only snapshot of the journal in `dir` (O(journal size) validation, on
    /// the request only) for a replay from stream sequence `from_sequence`.
    ///
    /// # Errors
    /// [`JournalError`] when the journal cannot be read (the request goes unanswered; the
    /// centre asks again).
    pub fn open(dir: &Path, request_id: u64, from_sequence: u64) -> Result<Self, JournalError> {
        Ok(Self {
            reader: JournalReader::open(dir)?,
            next_record: 1,
            request_id,
            from_sequence,
            replayed: 0,
        })
    }

    /// Hands the next journaled execution-stream frames to `send`, in order, at most `max`;
    /// stops early when `send` returns false (no room: the same frame comes first next time).
    /// Returns (frames sent, whether the snapshot is exhausted).
    pub fn pump(&mut self, max: usize, mut send: impl FnMut(&[u8]) -> bool) -> (usize, bool) {
        let mut sent = 0;
        for record in self.reader.records_from(self.next_record) {
            if sent == max {
                return (sent, false);
            }
            let wanted = record.direction == Direction::Outbound
                && record.source_id == CENTRE_SOURCE
                && crossbar_sbe::stream_sequence(record.payload)
                    .is_some_and(|s| s >= self.from_sequence);
            if wanted {
                if !send(record.payload) {
                    return (sent, false);
                }
                sent += 1;
                self.replayed += 1;
            }
            self.next_record = record.sequence + 1;
        }
        (sent, true)
    }
}
