//! [`Audit`]: the gateway's audit journal (crossbar-journal) and its record convention.
//!
//! Every order event is appended **before** it is acted on or leaves the process, as the SBE
//! message (`schemas/crossbar.xml`) it is or translates to:
//!
//! | direction | source id | payload | when |
//! |---|---|---|---|
//! | inbound | 0 (centre) | NewChildOrder, CancelOrder, ReplaceOrder, KillSwitch, RiskLimits, CreditGrant, exactly as on Aeron | taken off the order stream, before it is applied |
//! | outbound | gateway id (venue) | the SBE request behind each OUCH Enter / Replace / Cancel (as received, or a CancelOrder the gateway built) | before the OUCH bytes are encoded and written |
//! | inbound | gateway id (venue) | the ExecutionReport / OrderReject the router made of a sequenced OUCH message; its text carries `OUCH session=<id> seq=<n>` | before the report is published, before anything else leaves |
//! | outbound | 0 (centre) | ExecutionReport, OrderReject, PositionUpdate, CreditReturn | before the first offer to Aeron (or queueing) |
//!
//! Heartbeats and market data are not journaled. Source id 0 is the aggregator (the SBE
//! `GatewayId` space); the gateway's own id stands for its venue session. Appends are
//! allocation-free copies into the journal's memory mapping (`docs/journal.md`).

use crossbar_journal::{Direction, Journal, JournalConfig, JournalError};
use crossbar_runtime::{Counter, CounterSet};

/// Source id of the centre (aggregator / router) in journal records.
pub const CENTRE_SOURCE: u16 = 0;

/// The journal and this gateway's source ids.
pub struct Audit {
    journal: Journal,
    dir: std::path::PathBuf,
    venue_source: u16,
    failed: Counter,
    /// Set when an append failed since the last [`Audit::take_failure`].
    failure: bool,
}

impl Audit {
    /// Opens (and recovers) the journal in `config.dir`; `gateway_id` is the source id of the
    /// venue side. Registers `journal.*` and `audit.failed`.
    ///
    /// # Errors
    /// [`JournalError`] (locked by another process, corrupt, I/O).
    pub fn open(
        config: &JournalConfig,
        gateway_id: u16,
        counters: &mut CounterSet,
    ) -> Result<Self, JournalError> {
        let journal = Journal::open(config, counters)?;
        Ok(Self {
            journal,
            dir: config.dir.clone(),
            venue_source: gateway_id,
            failed: counters.register("audit.failed"),
            failure: false,
        })
    }

    /// The journal's directory (execution-stream replays read it, `crate::resync`).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The source id of the venue side (this gateway's id).
    pub fn venue_source(&self) -> u16 {
        self.venue_source
    }

    fn append(&mut self, direction: Direction, source: u16, now_ns: u64, sbe: &[u8]) -> bool {
        match self.journal.append(direction, source, now_ns, sbe) {
            Ok(_) => true,
            Err(error) => {
                self.failed.increment();
                self.failure = true;
                tracing::error!(%error, len = sbe.len(), "GATEWAY_JOURNAL_FAILED");
                false
            }
        }
    }

    /// A message from the centre, before it is applied.
    pub fn inbound_centre(&mut self, sbe: &[u8], now_ns: u64) -> bool {
        self.append(Direction::Inbound, CENTRE_SOURCE, now_ns, sbe)
    }

    /// A message to the centre, before it is offered.
    pub fn outbound_centre(&mut self, sbe: &[u8], now_ns: u64) -> bool {
        self.append(Direction::Outbound, CENTRE_SOURCE, now_ns, sbe)
    }

    /// A venue message's SBE translation, before it is published.
    pub fn inbound_venue(&mut self, sbe: &[u8], now_ns: u64) -> bool {
        let source = self.venue_source;
        self.append(Direction::Inbound, source, now_ns, sbe)
    }

    /// The SBE request of an OUCH message, before the OUCH bytes are written.
    pub fn outbound_venue(&mut self, sbe: &[u8], now_ns: u64) -> bool {
        let source = self.venue_source;
        self.append(Direction::Outbound, source, now_ns, sbe)
    }

    /// True once after any append failed (the agent then fails closed,
    /// `cause=JOURNAL_FAILED`).
    pub fn take_failure(&mut self) -> bool {
        std::mem::take(&mut self.failure)
    }

    /// Background upkeep (next segment, interval flush); call when the duty cycle was idle.
    pub fn maintain(&mut self, now_ns: u64) -> usize {
        match self.journal.maintain(now_ns) {
            Ok(work) => work,
            Err(error) => {
                self.failed.increment();
                tracing::error!(%error, "GATEWAY_JOURNAL_MAINTAIN_FAILED");
                0
            }
        }
    }

    /// Durability point (msync); on shutdown.
    ///
    /// # Errors
    /// [`JournalError::Io`].
    pub fn flush(&mut self) -> Result<(), JournalError> {
        self.journal.flush()
    }
}
