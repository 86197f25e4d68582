//! [`ReplayJob`]: the gateway's answer to an ExecutionReplayRequest (`schemas/crossbar.xml`
//! 35): every execution-stream message it journaled for the centre (outbound, source 0:
//! ExecutionReport, OrderReject, CreditReturn, PositionUpdate) whose `streamSequence` is at
//! least the request's `fromSequence`, read back from the audit journal (never from memory),
//! in journal order, then an ExecutionReplayComplete (36) with the highest sequence sent.
//!
//! Nothing of it may stall the gateway's hot path:
//! - opening the journal validates every record (O(journal bytes): seconds for a day's
//!   journal), so [`ReplayOpener`] does it on a thread of its own and the duty cycle only
//!   polls for the finished reader (one `try_recv`);
//! - the job is paced by the execution queue ([`crate::exec::Executions::pump_replay`]): each
//!   duty cycle offers at most [`REPLAY_PER_CYCLE`] frames, looks at most at
//!   [`REPLAY_SCAN_PER_CYCLE`] records, and stops at the first frame the queue cannot take, so
//!   a long replay never fills the queue past a quarter (the gateway fails closed at half);
//! - it resumes where the last cycle stopped ([`RecordCursor`], O(1)), not by walking the
//!   segment from its start.
//!
//! The reader is a snapshot of the journal taken after the request came: messages journaled
//! later were published live, and the centre asks again if it missed any (the Complete's
//! `lastSequence` tells it).

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};

use crossbar_journal::{Direction, JournalError, JournalReader, RecordCursor};

use crate::audit::CENTRE_SOURCE;

/// Most journaled frames one duty cycle hands to the execution stream.
pub const REPLAY_PER_CYCLE: usize = 256;

/// Most journal records one duty cycle looks at (sent or skipped: inbound records, other
/// sources, older stream sequences), so a request near the end of a long journal costs many
/// short cycles instead of one long one.
pub const REPLAY_SCAN_PER_CYCLE: usize = 4 * REPLAY_PER_CYCLE;

/// One replay request being answered.
pub struct ReplayJob {
    reader: JournalReader,
    /// Where the next cycle resumes.
    cursor: RecordCursor,
    /// The centre's request number.
    pub request_id: u64,
    /// First stream sequence asked for.
    pub from_sequence: u64,
    /// Frames sent again so far.
    pub replayed: u64,
}

impl ReplayJob {
    /// A replay from stream sequence `from_sequence` over `reader` (a validated snapshot of
    /// the gateway's journal, from [`ReplayOpener`]).
    pub fn new(reader: JournalReader, request_id: u64, from_sequence: u64) -> Self {
        let cursor = reader.records().cursor();
        Self {
            reader,
            cursor,
            request_id,
            from_sequence,
            replayed: 0,
        }
    }

    /// Hands the next journaled execution-stream frames to `send`, in order: at most
    /// `max_sent` frames and `max_scanned` records looked at; stops early when `send` returns
    /// false (no room: the same frame comes first next time). Returns (frames sent, whether the
    /// snapshot is exhausted).
    pub fn pump(
        &mut self,
        max_sent: usize,
        max_scanned: usize,
        mut send: impl FnMut(&[u8]) -> bool,
    ) -> (usize, bool) {
        let mut sent = 0;
        let mut records = self.reader.records_at(self.cursor);
        for _ in 0..max_scanned {
            if sent == max_sent {
                break;
            }
            let before = records.cursor();
            let Some(record) = records.next() else {
                self.cursor = records.cursor();
                return (sent, true);
            };
            let wanted = record.direction == Direction::Outbound
                && record.source_id == CENTRE_SOURCE
                && crossbar_sbe::stream_sequence(record.payload)
                    .is_some_and(|s| s >= self.from_sequence);
            if wanted {
                if !send(record.payload) {
                    self.cursor = before;
                    return (sent, false);
                }
                sent += 1;
                self.replayed += 1;
            }
        }
        self.cursor = records.cursor();
        (sent, false)
    }
}

/// Opens journal snapshots for replays on a thread of its own ("gw-replay-open"), so the
/// O(journal bytes) validation of [`JournalReader::open`] never runs on the hot path. One
/// open at a time; a request that comes while one is in flight is answered with a snapshot
/// opened after it (the one in flight is dropped), as if the first had not come.
pub struct ReplayOpener {
    requests: SyncSender<()>,
    readers: Receiver<Result<JournalReader, JournalError>>,
    /// The request to answer with the next reader: (request id, from stream sequence).
    pending: Option<(u64, u64)>,
    in_flight: bool,
    /// A newer request came while the open in flight was already under way.
    reopen: bool,
}

/// What [`ReplayOpener::poll`] found.
pub enum ReplayOpened {
    /// The snapshot for the latest request is ready.
    Ready(ReplayJob),
    /// It could not be opened (the request goes unanswered; the centre asks again).
    Failed {
        /// The request given up.
        request_id: u64,
        /// Why: the journal's error, or `REPLAY_OPENER_GONE` when the thread ended.
        reason: String,
    },
}

impl ReplayOpener {
    /// Starts the opener thread for the journal in `dir`. It waits (blocked, no spinning)
    /// for requests and ends when the opener is dropped.
    ///
    /// # Errors
    /// The operating system's error when the thread cannot be created.
    pub fn spawn(dir: PathBuf) -> std::io::Result<Self> {
        let (requests, wanted) = mpsc::sync_channel::<()>(1);
        let (opened, readers) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("gw-replay-open".into())
            .spawn(move || {
                while wanted.recv().is_ok() {
                    if opened.send(JournalReader::open(&dir)).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Self {
            requests,
            readers,
            pending: None,
            in_flight: false,
            reopen: false,
        })
    }

    /// Asks for a snapshot to answer request `request_id` from stream sequence
    /// `from_sequence`; replaces any request not answered yet. Never blocks.
    pub fn request(&mut self, request_id: u64, from_sequence: u64) {
        self.pending = Some((request_id, from_sequence));
        if self.in_flight {
            self.reopen = true;
        } else {
            self.send_request();
        }
    }

    /// True while a request waits for its snapshot.
    pub fn waiting(&self) -> bool {
        self.pending.is_some()
    }

    fn send_request(&mut self) {
        // The channel holds one request and one is never in flight here, so it has room; a
        // disconnected thread shows on the next poll.
        let _ = self.requests.try_send(());
        self.in_flight = true;
    }

    /// Takes the opened snapshot if it is ready (one `try_recv`; never blocks).
    pub fn poll(&mut self) -> Option<ReplayOpened> {
        if !self.in_flight {
            return None;
        }
        let opened = match self.readers.try_recv() {
            Ok(opened) => opened,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => {
                self.in_flight = false;
                let (request_id, _) = self.pending.take()?;
                return Some(ReplayOpened::Failed {
                    request_id,
                    reason: "REPLAY_OPENER_GONE".into(),
                });
            }
        };
        self.in_flight = false;
        if std::mem::take(&mut self.reopen) {
            self.send_request();
            return None;
        }
        let (request_id, from_sequence) = self.pending.take()?;
        Some(match opened {
            Ok(reader) => ReplayOpened::Ready(ReplayJob::new(reader, request_id, from_sequence)),
            Err(error) => ReplayOpened::Failed {
                request_id,
                reason: error.to_string(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crossbar_journal::{Journal, JournalConfig};
    use crossbar_runtime::CounterSet;
    use crossbar_sbe::{encode, sample_messages, set_stream_sequence, Message};

    use super::*;

    /// An ExecutionReport frame numbered `sequence`.
    fn report(sequence: u64) -> Vec<u8> {
        let msg = sample_messages()
            .into_iter()
            .find(|m| matches!(m, Message::ExecutionReport(_)))
            .unwrap();
        let mut buf = vec![0u8; msg.encoded_len().unwrap()];
        let len = encode(&msg, &mut buf).unwrap();
        buf.truncate(len);
        assert!(set_stream_sequence(&mut buf, sequence));
        buf
    }

    /// A journal where every fourth record is an outbound centre report numbered 1, 2, ...
    /// and the rest are inbound or venue-side records the replay must skip. Returns the
    /// number of reports.
    fn journal(dir: &std::path::Path, records: u64) -> u64 {
        let mut journal =
            Journal::open(&JournalConfig::in_dir(dir), &mut CounterSet::new()).unwrap();
        let mut numbered = 0;
        for i in 0..records {
            let (direction, source) = match i % 4 {
                0 => (Direction::Outbound, CENTRE_SOURCE),
                1 => (Direction::Inbound, CENTRE_SOURCE),
                2 => (Direction::Outbound, 7),
                _ => (Direction::Inbound, 7),
            };
            if i % 4 == 0 {
                numbered += 1;
            }
            journal
                .append(direction, source, i, &report(numbered.max(1)))
                .unwrap();
        }
        journal.flush().unwrap();
        numbered
    }

    fn sequences(frames: &[Vec<u8>]) -> Vec<u64> {
        frames
            .iter()
            .map(|f| crossbar_sbe::stream_sequence(f).unwrap())
            .collect()
    }

    #[test]
    fn a_replay_looks_at_a_bounded_number_of_records_per_cycle_and_resumes_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let numbered = journal(tmp.path(), 4_000);
        let reader = JournalReader::open(tmp.path()).unwrap();
        let mut job = ReplayJob::new(reader, 9, 900);
        let mut frames = Vec::new();
        let mut cycles = 0;
        loop {
            cycles += 1;
            let (sent, exhausted) = job.pump(256, 100, |f| {
                frames.push(f.to_vec());
                true
            });
            // 100 records looked at hold at most 25 reports.
            assert!(sent <= 25, "cycle {cycles} sent {sent}");
            if exhausted {
                break;
            }
        }
        // 4,000 records at most 100 per cycle.
        assert!(cycles >= 40, "{cycles} cycles");
        assert_eq!(sequences(&frames), (900..=numbered).collect::<Vec<_>>());
        assert_eq!(job.replayed, numbered - 899);
    }

    #[test]
    fn a_frame_the_queue_refuses_comes_first_next_cycle() {
        let tmp = tempfile::tempdir().unwrap();
        let numbered = journal(tmp.path(), 400);
        let mut job = ReplayJob::new(JournalReader::open(tmp.path()).unwrap(), 1, 1);
        let mut frames = Vec::new();
        let mut room = 0;
        loop {
            // Room for 0, 1, 2, 0, 1, 2, ... frames per cycle.
            let mut left = room % 3;
            room += 1;
            let (_, exhausted) = job.pump(256, 1_000, |f| {
                if left == 0 {
                    return false;
                }
                left -= 1;
                frames.push(f.to_vec());
                true
            });
            if exhausted {
                break;
            }
        }
        assert_eq!(sequences(&frames), (1..=numbered).collect::<Vec<_>>());
    }

    fn wait_opened(opener: &mut ReplayOpener) -> ReplayOpened {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(opened) = opener.poll() {
                return opened;
            }
            assert!(Instant::now() < deadline, "the opener never answered");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn the_opener_answers_the_latest_request_with_a_snapshot_opened_after_it() {
        let tmp = tempfile::tempdir().unwrap();
        let numbered = journal(tmp.path(), 40);
        let mut opener = ReplayOpener::spawn(tmp.path().to_path_buf()).unwrap();
        assert!(opener.poll().is_none(), "nothing asked");
        opener.request(1, 1);
        // A second request before the first is answered replaces it.
        opener.request(2, 5);
        assert!(opener.waiting());
        let ReplayOpened::Ready(mut job) = wait_opened(&mut opener) else {
            panic!("the journal opens");
        };
        assert!(!opener.waiting());
        assert_eq!((job.request_id, job.from_sequence), (2, 5));
        let mut frames = Vec::new();
        let (_, exhausted) = job.pump(256, 1_000, |f| {
            frames.push(f.to_vec());
            true
        });
        assert!(exhausted);
        assert_eq!(sequences(&frames), (5..=numbered).collect::<Vec<_>>());
        // The thread serves later requests too.
        opener.request(3, numbered);
        let ReplayOpened::Ready(job) = wait_opened(&mut opener) else {
            panic!("the journal opens again");
        };
        assert_eq!(job.request_id, 3);
    }

    #[test]
    fn a_journal_that_cannot_be_read_fails_the_request_with_a_reason() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("no-such-journal");
        let mut opener = ReplayOpener::spawn(missing).unwrap();
        opener.request(4, 1);
        let ReplayOpened::Failed { request_id, reason } = wait_opened(&mut opener) else {
            panic!("a missing directory cannot be opened");
        };
        assert_eq!(request_id, 4);
        assert!(reason.starts_with("JOURNAL_IO"), "{reason}");
        assert!(!opener.waiting());
    }
}
