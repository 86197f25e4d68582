//! Restart recovery: the journal replayed into the router (order table, UserRefNums, risk
//! reservations, positions, the duplicate-execution window), the centre (credit, grant
//! sequences, kill switches, limits) and the execution sink (today's fills), before the
//! agent runs. `docs/gateway.md` ("Restart recovery") states the rules; `crate::audit` the
//! record convention they read.
//!
//! | record | replay |
//! |---|---|
//! | inbound, centre: CreditGrant, KillSwitch, RiskLimits | applied through [`Centre`] as live (same sequence checks) |
//! | inbound, centre: orders | nothing (the outbound venue record says what was sent) |
//! | outbound, venue: NewChildOrder / ReplaceOrder | risk reservation restored, next UserRefNum, PendingNew |
//! | outbound, centre: OrderReject NotConnected right after the request of the same order | the unsent order undone |
//! | inbound, venue: ExecutionReport / OrderReject | the OUCH event rebuilt and applied through the live handlers; its `seq=` is the last venue sequence |
//! | outbound, centre: ExecutionReport | today's fills (PositionUpdate totals) |
//! | outbound, centre: CreditReturn | credit handed back |
//!
//! A venue report journaled inbound but not yet outbound when the process died is returned
//! in [`Recovered::unsent_report`] so start-up publishes it.

use std::path::Path;

use crossbar_journal::{Direction, JournalError, JournalReader};
use crossbar_model::{InstrumentId, OrderId};
use crossbar_order_entry::{venue_origin, OrderEntryError, OrderRouter, SBE_BYTES_MAX};
use crossbar_risk::Credit;
use crossbar_sbe::{decode_view, MessageView, RejectReason};

use crate::audit::CENTRE_SOURCE;
use crate::centre::Centre;
use crate::exec::Executions;

/// Why recovery refused to start the gateway: the journal and the gateway disagree.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecoveryError {
    /// The journal could not be read.
    #[error("GATEWAY_RECOVERY_FAILED {0}")]
    Journal(#[from] JournalError),
    /// A record the router refused (e.g. a smaller order table than when it was written).
    #[error("GATEWAY_RECOVERY_FAILED sequence={sequence} {source}")]
    Record {
        /// Journal sequence of the record.
        sequence: u64,
        /// What the router said.
        source: OrderEntryError,
    },
}

/// What the replay found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Records read.
    pub records: u64,
    /// Requests to the venue replayed (new and replacement orders).
    pub orders_sent: u64,
    /// Venue reports replayed.
    pub venue_reports: u64,
    /// The venue session of the last venue report (trimmed), empty when none.
    pub venue_session: Vec<u8>,
    /// The SoupBinTCP sequence number of the last venue report, 0 when none.
    pub last_venue_sequence: u64,
    /// A venue report journaled but never journaled outbound (the process died between).
    pub unsent_report: Option<Vec<u8>>,
}

/// Replays the journal in `dir` (already opened and tail-repaired by the writer).
///
/// # Errors
/// [`RecoveryError`]; the gateway must not start.
pub fn replay(
    dir: &Path,
    venue_source: u16,
    router: &mut OrderRouter,
    centre: &mut Centre,
    exec: &mut Executions,
) -> Result<Recovered, RecoveryError> {
    let reader = JournalReader::open(dir)?;
    let mut out = Recovered::default();
    let mut scratch = vec![0u8; SBE_BYTES_MAX];
    // The last request sent to the venue, when it was the record just before.
    let mut last_request: Option<OrderId> = None;
    for record in reader.records_from(1) {
        out.records += 1;
        let sequence = record.sequence;
        let fail = |source| RecoveryError::Record { sequence, source };
        let payload = record.payload;
        let Ok(view) = decode_view(payload) else {
            continue;
        };
        let just_sent = last_request.take();
        match (record.direction, record.source_id) {
            (Direction::Inbound, CENTRE_SOURCE) => match view {
                MessageView::CreditSlice(m) => {
                    // As live: the ledger holds the outbound records journaled before it.
                    let taken = exec.credit_taken_after(
                        InstrumentId(m.instrument_id()),
                        m.through_stream_sequence(),
                    );
                    centre.on_credit_slice(&m, taken, router.risk_mut());
                }
                MessageView::CreditGrant(m) => {
                    centre.on_credit_grant(&m, router.risk_mut());
                }
                MessageView::KillSwitch(m) => centre.on_kill_switch(&m, router.risk_mut()),
                MessageView::RiskLimits(m) => centre.on_risk_limits(&m, router.risk_mut()),
                _ => {}
            },
            (Direction::Outbound, s) if s == venue_source => {
                let order_id = match view {
                    MessageView::NewChildOrder(m) => Some(OrderId(m.order_id())),
                    MessageView::ReplaceOrder(m) => Some(OrderId(m.order_id())),
                    _ => None,
                };
                if router.replay_request_sent(payload).map_err(fail)?.is_some() {
                    out.orders_sent += 1;
                }
                last_request = order_id;
            }
            (Direction::Inbound, s) if s == venue_source => {
                let origin = router
                    .replay_venue_report(payload, record.timestamp_ns, &mut scratch)
                    .map_err(fail)?;
                if let Some(seq) = origin {
                    out.venue_reports += 1;
                    out.last_venue_sequence = seq;
                    out.venue_session = venue_session_of(payload);
                    out.unsent_report = Some(payload.to_vec());
                }
            }
            (Direction::Outbound, CENTRE_SOURCE) => {
                exec.replay_stream_sequence(payload);
                match view {
                    MessageView::OrderReject(r)
                        if r.reject_reason() == RejectReason::NotConnected
                            && just_sent == Some(OrderId(r.order_id())) =>
                    {
                        router.replay_unsent(OrderId(r.order_id())).map_err(fail)?;
                    }
                    MessageView::ExecutionReport(_) | MessageView::OrderReject(_) => {
                        if out
                            .unsent_report
                            .as_deref()
                            .is_some_and(|r| same_report(r, payload))
                        {
                            out.unsent_report = None;
                        }
                        exec.replay_report(payload);
                    }
                    MessageView::CreditReturn(m) => {
                        let credit = Credit::from_sbe(m.buy_qty(), m.sell_qty(), m.notional());
                        let instrument = InstrumentId(m.instrument_id());
                        // A return may include the previous run's start-up credit, which was never
                        // journaled as a grant: hand back at most what the journaled grants left.
                        let credit = match router.risk().credit(instrument) {
                            Some(view) => Credit {
                                buy_shares: credit.buy_shares.min(view.available.buy_shares),
                                sell_shares: credit.sell_shares.min(view.available.sell_shares),
                                notional: credit.notional.min(view.available.notional),
                            },
                            None => credit,
                        };
                        if let Err(error) = router.risk_mut().return_credit(instrument, credit) {
                            tracing::warn!(%error, sequence, "GATEWAY_RECOVERY_CREDIT_RETURN");
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    router.resume_venue_session(out.last_venue_sequence);
    Ok(out)
}

/// The venue report journaled inbound (unnumbered) is the one journaled outbound when they
/// differ at most in the execution-stream sequence the outbound copy was given.
fn same_report(inbound: &[u8], outbound: &[u8]) -> bool {
    if inbound.len() != outbound.len() {
        return false;
    }
    let mut copy = inbound.to_vec();
    if let Some(sequence) = crossbar_sbe::stream_sequence(outbound) {
        crossbar_sbe::set_stream_sequence(&mut copy, sequence);
    }
    copy == outbound
}

fn venue_session_of(report: &[u8]) -> Vec<u8> {
    let text = match decode_view(report) {
        Ok(MessageView::ExecutionReport(r)) => r.text().ok(),
        Ok(MessageView::OrderReject(r)) => r.text().ok(),
        _ => None,
    };
    text.and_then(venue_origin)
        .map(|o| o.session.to_vec())
        .unwrap_or_default()
}
