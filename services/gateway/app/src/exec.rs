//! [`Executions`]: the order path's [`SbeSink`]. Every ExecutionReport and OrderReject the
//! OUCH session produces is published on the execution Aeron stream, followed, for a fill, by
//! a PositionUpdate. Nothing is ever dropped: a message Aeron refuses (back pressure, no
//! subscriber) waits in [`ExecQueue`], a bounded byte queue allocated at start-up, and every
//! later message queues behind it so the stream keeps its order. The agent retries the queue
//! every duty cycle ([`Executions::drain`]) and keeps the inputs that produce messages (venue
//! reads, the order subscription) within the queue's free space, so it can never overflow;
//! from the moment it is half full until it is empty again the gateway fails closed (see
//! `crate::agent`).

use std::collections::VecDeque;

use crossbar_model::InstrumentId;
use crossbar_order_entry::{SbeSink, SBE_BYTES_MAX};
use crossbar_risk::{Credit, CreditLedger, LedgerError};
use crossbar_runtime::{Counter, CounterSet};
use crossbar_sbe::generated as g;
use crossbar_sbe::{decode_view, MessageView};
use crossbar_transport::Publisher;

use crate::audit::Audit;
use crate::resync::{
    ReplayJob, ReplayOpened, ReplayOpener, REPLAY_PER_CYCLE, REPLAY_SCAN_PER_CYCLE,
};

/// Length prefix of a queued record, bytes.
const PREFIX: usize = 4;

/// Encoded PositionUpdate length, bytes.
pub const POSITION_UPDATE_BYTES: usize = g::PositionUpdateEncoder::ENCODED_LENGTH;

/// Largest queue record one session message can need: an SBE message of at most
/// [`SBE_BYTES_MAX`] plus its PositionUpdate, each with its length prefix.
pub const RECORD_BYTES_MAX: usize = SBE_BYTES_MAX + POSITION_UPDATE_BYTES + 2 * PREFIX;

/// Credit-taking execution-stream messages (fills, CreditReturns) remembered for absolute
/// credit statements (SBE CreditSlice): the centre states a slice through its last applied
/// message, so only messages in flight need to be here (`crossbar_risk::CreditLedger`).
pub const CREDIT_LEDGER_ENTRIES: usize = 16_384;

/// A FIFO of whole messages in one pre-allocated byte ring (length-prefixed records).
#[derive(Debug)]
pub struct ExecQueue {
    bytes: VecDeque<u8>,
    capacity: usize,
    messages: usize,
}

impl ExecQueue {
    /// A queue of `capacity` bytes, allocated now.
    pub fn new(capacity: usize) -> Self {
        Self {
            bytes: VecDeque::with_capacity(capacity),
            capacity,
            messages: 0,
        }
    }

    /// Bytes used (records and prefixes).
    pub fn used(&self) -> usize {
        self.bytes.len()
    }

    /// Bytes free.
    pub fn free(&self) -> usize {
        self.capacity - self.bytes.len()
    }

    /// Capacity, bytes.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Messages queued.
    pub fn len(&self) -> usize {
        self.messages
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.messages == 0
    }

    /// Appends `message`; false (nothing changes) when it does not fit.
    pub fn push(&mut self, message: &[u8]) -> bool {
        if PREFIX + message.len() > self.free() {
            return false;
        }
        self.bytes
            .extend((message.len() as u32).to_le_bytes().iter().copied());
        self.bytes.extend(message.iter().copied());
        self.messages += 1;
        debug_assert!(self.bytes.len() <= self.capacity);
        true
    }

    /// Copies the oldest message into `out` and returns its length (`None` when empty, or
    /// when `out` is too short, which the caller sizes to prevent).
    pub fn peek_into(&self, out: &mut [u8]) -> Option<usize> {
        if self.messages == 0 {
            return None;
        }
        let mut prefix = [0u8; PREFIX];
        for (dst, src) in prefix.iter_mut().zip(self.bytes.iter()) {
            *dst = *src;
        }
        let len = u32::from_le_bytes(prefix) as usize;
        let out = out.get_mut(..len)?;
        for (dst, src) in out.iter_mut().zip(self.bytes.iter().skip(PREFIX)) {
            *dst = *src;
        }
        Some(len)
    }

    /// Removes the oldest message.
    pub fn pop(&mut self, len: usize) {
        debug_assert!(self.messages > 0);
        self.bytes.drain(..PREFIX + len);
        self.messages -= 1;
    }
}

/// What the execution side counted, registered as `exec.<name>`.
#[derive(Clone, Debug)]
pub struct ExecCounters {
    /// Messages published (reports, rejects, position updates).
    pub published: Counter,
    /// Messages that had to wait in the queue.
    pub queued: Counter,
    /// Offers Aeron refused (first attempts and retries; details in `pub.executions.*`).
    pub refused: Counter,
    /// Messages that did not fit the queue. Stays 0: the agent bounds every input by the
    /// free space; a non-zero value is a bug.
    pub overflowed: Counter,
    /// PositionUpdates produced.
    pub position_updates: Counter,
    /// Heartbeats published.
    pub heartbeats: Counter,
    /// Largest queue use seen, bytes.
    pub queue_high_water: Counter,
    /// ExecutionReplayRequests for this gateway taken (`crate::resync`).
    pub replay_requests: Counter,
    /// Journaled frames sent again for replay requests.
    pub replayed: Counter,
    /// ExecutionReplayCompletes sent.
    pub replay_completes: Counter,
    /// Replay requests that could not be answered (journal unreadable; logged).
    pub replay_failed: Counter,
}

impl ExecCounters {
    /// Registers every counter in `set`.
    pub fn register(set: &mut CounterSet) -> Self {
        let mut c = |n: &str| set.register(&format!("exec.{n}"));
        Self {
            published: c("published"),
            queued: c("queued"),
            refused: c("refused"),
            overflowed: c("overflowed"),
            position_updates: c("position_updates"),
            heartbeats: c("heartbeats"),
            queue_high_water: c("queue_high_water"),
            replay_requests: c("replay_requests"),
            replayed: c("replayed"),
            replay_completes: c("replay_completes"),
            replay_failed: c("replay_failed"),
        }
    }
}

/// Today's fills of one instrument.
#[derive(Clone, Copy, Debug, Default)]
struct Fills {
    bought: u64,
    sold: u64,
    notional_bought: i64,
    notional_sold: i64,
}

/// The execution-stream sink (see the module docs). It also owns the [`Audit`] journal: every
/// message it publishes, every venue report it is handed and every request recorded through
/// it is journaled first (`crate::audit` has the convention).
pub struct Executions {
    audit: Audit,
    now_ns: u64,
    publisher: Publisher,
    queue: ExecQueue,
    gateway_id: u16,
    venue_id: u16,
    fills: Vec<Fills>,
    scratch: Box<[u8; SBE_BYTES_MAX]>,
    /// The message being numbered and sent (`journal_and_send`); capacity
    /// [`SBE_BYTES_MAX`], allocated once.
    stamped: Vec<u8>,
    position: [u8; POSITION_UPDATE_BYTES],
    heartbeat_sequence: u64,
    /// Highest execution-stream sequence (`streamSequence`) given out; 0 = none yet.
    stream_sequence: u64,
    /// The replay request being answered, if any.
    replay: Option<ReplayJob>,
    /// Opens journal snapshots for replay requests off the hot path.
    opener: ReplayOpener,
    /// What each recent numbered message took from the slices, as the centre counts it.
    ledger: CreditLedger,
    counters: ExecCounters,
}

impl Executions {
    /// A sink publishing on `publisher` with a queue of `queue_bytes`, tracking fills of
    /// `instruments` instruments, journaling into `audit`; replay requests are answered from
    /// snapshots `opener` opens (on its own thread) of the same journal.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        audit: Audit,
        publisher: Publisher,
        queue_bytes: usize,
        gateway_id: u16,
        venue_id: u16,
        instruments: usize,
        opener: ReplayOpener,
        counters: ExecCounters,
    ) -> Self {
        Self {
            audit,
            now_ns: 0,
            publisher,
            queue: ExecQueue::new(queue_bytes),
            gateway_id,
            venue_id,
            fills: vec![Fills::default(); instruments],
            scratch: Box::new([0; SBE_BYTES_MAX]),
            stamped: Vec::with_capacity(SBE_BYTES_MAX),
            position: [0; POSITION_UPDATE_BYTES],
            heartbeat_sequence: 0,
            stream_sequence: 0,
            replay: None,
            opener,
            ledger: CreditLedger::new(CREDIT_LEDGER_ENTRIES),
            counters,
        }
    }

    /// The queue.
    pub fn queue(&self) -> &ExecQueue {
        &self.queue
    }

    /// The audit journal.
    pub fn audit_mut(&mut self) -> &mut Audit {
        &mut self.audit
    }

    /// The time journal records get until the next call (the agent sets it every duty
    /// cycle), UTC ns.
    pub fn set_now(&mut self, now_ns: u64) {
        self.now_ns = now_ns;
    }

    /// Numbers `message` with the next execution-stream sequence (`streamSequence`, schema
    /// version 2), journals it (outbound to the centre), then publishes or queues it.
    fn journal_and_send(&mut self, message: &[u8]) {
        // Taken out of `self` for the calls below, put back after (no allocation).
        let mut frame = std::mem::take(&mut self.stamped);
        frame.clear();
        frame.extend_from_slice(message);
        if crossbar_sbe::set_stream_sequence(&mut frame, self.stream_sequence + 1) {
            self.stream_sequence += 1;
            note_credit_taken(&mut self.ledger, self.stream_sequence, &frame);
        }
        // A report of something the venue already did is published even when the journal
        // refused it: withholding it would leave the centre wrong. The agent fails closed.
        self.audit.outbound_centre(&frame, self.now_ns);
        self.send(&frame);
        self.stamped = frame;
    }

    /// Highest execution-stream sequence given out (0 = none).
    pub fn stream_sequence(&self) -> u64 {
        self.stream_sequence
    }

    /// Journal replay: an outbound centre record's `streamSequence` (when it has one)
    /// advances the numbering, so the next message continues after it.
    pub fn replay_stream_sequence(&mut self, frame: &[u8]) {
        if let Some(sequence) = crossbar_sbe::stream_sequence(frame) {
            self.stream_sequence = self.stream_sequence.max(sequence);
            note_credit_taken(&mut self.ledger, sequence, frame);
        }
    }

    /// What this gateway's messages numbered after `through` took from `instrument`'s slice
    /// as the centre counts it (fill shares on their side and last price × last qty of
    /// notional; CreditReturn amounts), for a CreditSlice stated through `through`.
    ///
    /// # Errors
    /// [`LedgerError`]: `through` is above the last number given out (a statement about an
    /// older stream of this gateway) or older than what the ledger still holds.
    pub fn credit_taken_after(
        &self,
        instrument: InstrumentId,
        through: u64,
    ) -> Result<Credit, LedgerError> {
        self.ledger.taken_after(instrument, through)
    }

    /// An ExecutionReplayRequest for this gateway: asks the opener thread for a snapshot of
    /// the journal to answer it from ([`Self::pump_replay`] starts the replay when it is
    /// ready). A request still being answered is replaced: the centre asks from what it has.
    pub fn start_replay(&mut self, request_id: u64, from_sequence: u64) {
        self.counters.replay_requests.increment();
        if let Some(job) = self.replay.take() {
            tracing::info!(
                request_id = job.request_id,
                replayed = job.replayed,
                "GATEWAY_EXEC_REPLAY_REPLACED"
            );
        }
        self.opener.request(request_id, from_sequence);
    }

    /// True while a replay request waits for its snapshot or is being answered.
    pub fn replaying(&self) -> bool {
        self.replay.is_some() || self.opener.waiting()
    }

    /// Starts the replay whose snapshot the opener thread has finished, if any.
    fn take_opened_replay(&mut self) {
        match self.opener.poll() {
            None => {}
            Some(ReplayOpened::Ready(job)) => {
                tracing::info!(
                    request_id = job.request_id,
                    from_sequence = job.from_sequence,
                    last_sequence = self.stream_sequence,
                    "GATEWAY_EXEC_REPLAY_STARTED"
                );
                self.replay = Some(job);
            }
            Some(ReplayOpened::Failed { request_id, reason }) => {
                self.counters.replay_failed.increment();
                tracing::error!(%reason, request_id, "GATEWAY_EXEC_REPLAY_FAILED");
            }
        }
    }

    /// Offers a frame that is already journaled (a replay): at once when nothing waits,
    /// else queued while the queue stays under a quarter of its capacity; false = no room.
    fn send_replayed(&mut self, frame: &[u8]) -> bool {
        if self.queue.is_empty() {
            if self.publisher.offer(frame).is_ok() {
                self.counters.published.increment();
                return true;
            }
            self.counters.refused.increment();
        }
        if self.queue.used() + PREFIX + frame.len() > self.queue.capacity() / 4 {
            return false;
        }
        let pushed = self.queue.push(frame);
        if pushed {
            self.counters.queued.increment();
            self.counters
                .queue_high_water
                .record_max(self.queue.used() as u64);
        }
        pushed
    }

    /// One duty cycle of the replay being answered (`crate::resync`): the next journaled
    /// frames, then the ExecutionReplayComplete. Returns the frames sent.
    pub fn pump_replay(&mut self, now_ns: u64) -> usize {
        self.take_opened_replay();
        let Some(mut job) = self.replay.take() else {
            return 0;
        };
        let (sent, exhausted) = job.pump(REPLAY_PER_CYCLE, REPLAY_SCAN_PER_CYCLE, |frame| {
            self.send_replayed(frame)
        });
        self.counters.replayed.add(sent as u64);
        if !exhausted {
            self.replay = Some(job);
            return sent;
        }
        let mut buf = [0u8; g::ExecutionReplayCompleteEncoder::ENCODED_LENGTH];
        let encoded = g::ExecutionReplayCompleteEncoder::try_wrap_and_apply_header(&mut buf, 0)
            .map(|e| {
                e.fixed(&g::ExecutionReplayCompleteFixedFields {
                    gateway_id: self.gateway_id,
                    request_id: job.request_id,
                    from_sequence: job.from_sequence,
                    last_sequence: self.stream_sequence,
                    replayed: job.replayed,
                    timestamp_ns: now_ns,
                })
                .encoded_length_with_header()
            });
        let Ok(len) = encoded else {
            return sent;
        };
        if self.send_replayed(&buf[..len]) {
            self.counters.replay_completes.increment();
            tracing::info!(
                request_id = job.request_id,
                from_sequence = job.from_sequence,
                replayed = job.replayed,
                last_sequence = self.stream_sequence,
                "GATEWAY_EXEC_REPLAY_COMPLETE"
            );
            sent + 1
        } else {
            self.replay = Some(job); // the Complete is retried next cycle
            sent
        }
    }

    /// Publishes `message` now if nothing waits ahead of it, else (or if refused) queues it.
    fn send(&mut self, message: &[u8]) {
        if self.queue.is_empty() {
            if self.publisher.offer(message).is_ok() {
                self.counters.published.increment();
                return;
            }
            self.counters.refused.increment();
        }
        if self.queue.push(message) {
            self.counters.queued.increment();
            self.counters
                .queue_high_water
                .record_max(self.queue.used() as u64);
        } else {
            self.counters.overflowed.increment();
            tracing::error!(
                len = message.len(),
                free = self.queue.free(),
                "GATEWAY_EXEC_QUEUE_OVERFLOW message lost"
            );
        }
    }

    /// Retries queued messages in order until Aeron refuses one; returns messages sent.
    pub fn drain(&mut self) -> usize {
        let mut sent = 0;
        while let Some(len) = self.queue.peek_into(&mut self.scratch[..]) {
            if self.publisher.offer(&self.scratch[..len]).is_err() {
                self.counters.refused.increment();
                break;
            }
            self.queue.pop(len);
            self.counters.published.increment();
            sent += 1;
        }
        sent
    }

    /// Publishes a Heartbeat when nothing is queued (a heartbeat never overtakes a report);
    /// returns whether one was sent.
    pub fn publish_heartbeat(&mut self, now_ns: u64) -> bool {
        if !self.queue.is_empty() {
            return false;
        }
        let sequence = self.heartbeat_sequence + 1;
        let len =
            crate::heartbeat::encode(&mut self.scratch[..], self.gateway_id, sequence, now_ns);
        if self.publisher.offer(&self.scratch[..len]).is_ok() {
            self.heartbeat_sequence = sequence;
            self.counters.heartbeats.increment();
            true
        } else {
            self.counters.refused.increment();
            false
        }
    }

    /// Adds a fill to today's totals of its instrument; `None` when it is not a fill.
    fn add_fill(&mut self, report: &g::ExecutionReportDecoder<'_>) -> Option<Fills> {
        let qty = u64::from(report.last_qty());
        if qty == 0 {
            return None;
        }
        let fills = self.fills.get_mut(report.instrument_id() as usize)?;
        let notional =
            i64::try_from(i128::from(report.last_px()) * i128::from(qty)).unwrap_or(i64::MAX);
        if matches!(report.side(), g::Side::Sell | g::Side::SellShort) {
            fills.sold += qty;
            fills.notional_sold = fills.notional_sold.saturating_add(notional);
        } else {
            fills.bought += qty;
            fills.notional_bought = fills.notional_bought.saturating_add(notional);
        }
        Some(*fills)
    }

    /// Journal replay: a fill reported to the centre before the restart counts in today's
    /// totals again (nothing is published).
    pub fn replay_report(&mut self, report: &[u8]) {
        if let Ok(MessageView::ExecutionReport(r)) = decode_view(report) {
            self.add_fill(&r);
        }
    }

    /// Today's totals of `instrument` as (position, bought, sold) shares.
    pub fn fills(&self, instrument: InstrumentId) -> Option<(i64, u64, u64)> {
        let f = self.fills.get(instrument.index())?;
        Some((f.bought as i64 - f.sold as i64, f.bought, f.sold))
    }

    /// After a restart: one PositionUpdate per instrument with fills today, so the centre's
    /// position counters (merged by maximum, `docs/router.md`) hold whatever it missed.
    /// Returns how many were published or queued.
    pub fn publish_positions(&mut self, now_ns: u64) -> usize {
        let mut n = 0;
        for i in 0..self.fills.len() {
            let f = self.fills[i];
            if f.bought == 0 && f.sold == 0 {
                continue;
            }
            if let Some(len) = self.encode_position(i as u32, f, now_ns) {
                let update = self.position;
                self.journal_and_send(&update[..len]);
                n += 1;
            }
        }
        n
    }

    /// Hands unused credit back: a CreditReturn (`schemas/crossbar.xml` id 31) for
    /// `grant_sequence`, journaled and published like a report.
    pub fn publish_credit_return(
        &mut self,
        instrument: InstrumentId,
        grant_sequence: u64,
        credit: Credit,
        now_ns: u64,
    ) {
        let mut buf = [0u8; g::CreditReturnEncoder::ENCODED_LENGTH];
        let encoded = g::CreditReturnEncoder::try_wrap_and_apply_header(&mut buf, 0).map(|e| {
            e.fixed(&g::CreditReturnFixedFields {
                gateway_id: self.gateway_id,
                instrument_id: instrument.0,
                grant_sequence,
                buy_qty: credit.buy_shares.max(0) as u64,
                sell_qty: credit.sell_shares.max(0) as u64,
                notional: i64::try_from(credit.notional).unwrap_or(i64::MAX),
                timestamp_ns: now_ns,
                stream_sequence: None, // numbered when sent
            })
            .encoded_length_with_header()
        });
        if let Ok(len) = encoded {
            self.now_ns = now_ns;
            self.journal_and_send(&buf[..len]);
        }
    }

    /// After a fill: the instrument's position and today's totals as a PositionUpdate.
    fn position_update(&mut self, report: &g::ExecutionReportDecoder<'_>) -> Option<usize> {
        let f = self.add_fill(report)?;
        self.encode_position(report.instrument_id(), f, report.timestamp_ns())
    }

    fn encode_position(&mut self, instrument: u32, f: Fills, timestamp_ns: u64) -> Option<usize> {
        let len = g::PositionUpdateEncoder::try_wrap_and_apply_header(&mut self.position, 0)
            .map(|e| {
                e.fixed(&g::PositionUpdateFixedFields {
                    gateway_id: self.gateway_id,
                    venue_id: self.venue_id,
                    instrument_id: instrument,
                    position: f.bought as i64 - f.sold as i64,
                    bought_qty: f.bought,
                    sold_qty: f.sold,
                    notional_bought: f.notional_bought,
                    notional_sold: f.notional_sold,
                    timestamp_ns,
                    stream_sequence: None, // numbered when sent
                })
                .encoded_length_with_header()
            })
            .ok()?;
        self.counters.position_updates.increment();
        Some(len)
    }
}

impl SbeSink for Executions {
    fn on_sbe(&mut self, message: &[u8]) {
        self.journal_and_send(message);
        let position = match decode_view(message) {
            Ok(MessageView::ExecutionReport(report)) => self.position_update(&report),
            _ => None,
        };
        if let Some(len) = position {
            let update = self.position;
            self.journal_and_send(&update[..len]);
        }
    }

    fn on_venue_sbe(&mut self, message: &[u8]) {
        self.audit.inbound_venue(message, self.now_ns);
        self.on_sbe(message);
    }

    fn record_request(&mut self, request: &[u8]) -> bool {
        self.audit.outbound_venue(request, self.now_ns)
    }
}

/// Records in `ledger` what the numbered centre message `frame` (sequence `sequence`) takes
/// from its instrument's slice as the centre will count it: an ExecutionReport's fill
/// (`lastQty` shares on its side, `lastPx × lastQty` notional), a CreditReturn's amounts;
/// anything else takes nothing.
fn note_credit_taken(ledger: &mut CreditLedger, sequence: u64, frame: &[u8]) {
    let (instrument, taken) = match decode_view(frame) {
        Ok(MessageView::ExecutionReport(r)) if r.last_qty() > 0 => {
            let qty = i64::from(r.last_qty());
            let notional = i128::from(r.last_px()) * i128::from(r.last_qty());
            let sell = matches!(r.side(), g::Side::Sell | g::Side::SellShort);
            (
                r.instrument_id(),
                Credit {
                    buy_shares: if sell { 0 } else { qty },
                    sell_shares: if sell { qty } else { 0 },
                    notional,
                },
            )
        }
        Ok(MessageView::CreditReturn(m)) => (
            m.instrument_id(),
            Credit::from_sbe(m.buy_qty(), m.sell_qty(), m.notional()),
        ),
        _ => (0, Credit::default()),
    };
    ledger.record(sequence, InstrumentId(instrument), taken);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_keeps_order_and_bounds() {
        let mut q = ExecQueue::new(32);
        assert!(q.push(b"first"));
        assert!(q.push(b"second!"));
        assert_eq!(q.used(), 4 + 5 + 4 + 7);
        assert!(!q.push(b"too long for what is left"), "does not fit");
        assert_eq!(q.len(), 2);
        let mut out = [0u8; 16];
        let n = q.peek_into(&mut out).unwrap();
        assert_eq!(&out[..n], b"first");
        q.pop(n);
        // Wrap around the ring.
        assert!(q.push(b"third"));
        for want in [&b"second!"[..], b"third"] {
            let n = q.peek_into(&mut out).unwrap();
            assert_eq!(&out[..n], want);
            q.pop(n);
        }
        assert!(q.is_empty());
        assert_eq!(q.free(), 32);
        assert_eq!(q.peek_into(&mut out), None);
    }
}
