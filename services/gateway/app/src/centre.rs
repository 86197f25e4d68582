//! Control messages from the centre (aggregator / risk / ops) that arrive on the order stream
//! and change the risk engine: CreditGrant (`schemas/crossbar.xml` id 30), KillSwitch (id 34)
//! and RiskLimits (id 33); and the centre's liveness: its Heartbeat (id 1) times, read by the
//! fail-closed rule (`CENTRE_SILENT`, see `crate::agent`).

use crossbar_model::{InstrumentId, Qty};
use crossbar_risk::{
    held_after_statement, Credit, InstrumentLimits, KillScope, LedgerError, RiskEngine,
};
use crossbar_runtime::{Counter, CounterSet};
use crossbar_sbe::generated as g;
use crossbar_sbe::KillSwitchScope;

const NS_PER_SECOND: u64 = 1_000_000_000;

/// What the centre handler counted, registered as `centre.<name>`.
#[derive(Clone, Debug)]
pub struct CentreCounters {
    /// KillSwitch messages applied.
    pub kill_switches: Counter,
    /// KillSwitch messages for another venue or an unknown instrument (ignored).
    pub kill_switches_ignored: Counter,
    /// RiskLimits messages applied (at least partly).
    pub risk_limits: Counter,
    /// RiskLimits messages older than the version in force (ignored).
    pub risk_limits_stale: Counter,
    /// RiskLimits entries refused (unknown instrument, invalid or above the start-up rate).
    pub limit_entries_rejected: Counter,
    /// Heartbeats from the centre.
    pub heartbeats: Counter,
    /// CreditGrants applied.
    pub credit_grants: Counter,
    /// CreditGrants whose grantSequence was not above the last applied one for the
    /// instrument (duplicate or out of order): ignored.
    pub credit_grants_stale: Counter,
    /// CreditGrants that skipped grant sequence numbers (applied; the missing ones are lost).
    pub credit_grant_gaps: Counter,
    /// CreditGrants for another gateway, an unknown instrument or an invalid amount: ignored.
    pub credit_grants_ignored: Counter,
    /// Times the centre went silent (fail closed `CENTRE_SILENT`).
    pub silent_entered: Counter,
    /// OUCH Cancels sent because the centre went silent.
    pub silent_cancels: Counter,
    /// CreditReturns published.
    pub credit_returns: Counter,
    /// CreditSlices (absolute credit) applied.
    pub credit_slices: Counter,
    /// CreditSlices ignored: another gateway's, an unknown instrument, a grant sequence
    /// already applied, or a statement the execution-stream ledger cannot account for.
    pub credit_slices_ignored: Counter,
}

impl CentreCounters {
    /// Registers every counter in `set`.
    pub fn register(set: &mut CounterSet) -> Self {
        let mut c = |n: &str| set.register(&format!("centre.{n}"));
        Self {
            kill_switches: c("kill_switches"),
            kill_switches_ignored: c("kill_switches_ignored"),
            risk_limits: c("risk_limits"),
            risk_limits_stale: c("risk_limits_stale"),
            limit_entries_rejected: c("limit_entries_rejected"),
            heartbeats: c("heartbeats"),
            credit_grants: c("credit_grants"),
            credit_grants_stale: c("credit_grants_stale"),
            credit_grant_gaps: c("credit_grant_gaps"),
            credit_grants_ignored: c("credit_grants_ignored"),
            silent_entered: c("silent_entered"),
            silent_cancels: c("silent_cancels"),
            credit_returns: c("credit_returns"),
            credit_slices: c("credit_slices"),
            credit_slices_ignored: c("credit_slices_ignored"),
        }
    }
}

/// The gateway's view of the centre.
pub struct Centre {
    gateway_id: u16,
    venue_id: u16,
    throttle_window_ns: u64,
    limits_version: Option<u64>,
    /// Last heartbeat, or the first time the agent asked (start-up), UTC ns.
    last_heartbeat_ns: Option<u64>,
    /// Last applied grantSequence per instrument (0: none).
    grant_sequences: Vec<u64>,
    counters: CentreCounters,
}

impl Centre {
    /// For gateway `gateway_id` of `venue_id` with `instruments` instruments, whose risk
    /// throttle window is `throttle_window_ns`.
    pub fn new(
        gateway_id: u16,
        venue_id: u16,
        instruments: usize,
        throttle_window_ns: u64,
        counters: CentreCounters,
    ) -> Self {
        Self {
            gateway_id,
            venue_id,
            throttle_window_ns,
            limits_version: None,
            last_heartbeat_ns: None,
            grant_sequences: vec![0; instruments],
            counters,
        }
    }

    /// This gateway's id (the `gatewayId` the centre addresses it by).
    pub fn gateway_id(&self) -> u16 {
        self.gateway_id
    }

    /// The counters.
    pub fn counters(&self) -> &CentreCounters {
        &self.counters
    }

    /// When the last centre heartbeat arrived (gateway clock, UTC ns).
    pub fn last_heartbeat_ns(&self) -> Option<u64> {
        self.last_heartbeat_ns
    }

    /// A centre Heartbeat arrived at `now_ns`.
    pub fn on_heartbeat(&mut self, now_ns: u64) {
        self.counters.heartbeats.increment();
        self.last_heartbeat_ns = Some(now_ns);
    }

    /// Whether the centre has been silent for more than `timeout_ns` at `now_ns`: no
    /// heartbeat within `timeout_ns`, counting from the first call when none came yet. A
    /// clock going backwards reads as no time passed.
    pub fn is_silent(&mut self, now_ns: u64, timeout_ns: u64) -> bool {
        let since = *self.last_heartbeat_ns.get_or_insert(now_ns);
        now_ns.saturating_sub(since) > timeout_ns
    }

    /// The last applied grantSequence of `instrument` (0: none).
    pub fn grant_sequence(&self, instrument: InstrumentId) -> u64 {
        self.grant_sequences
            .get(instrument.index())
            .copied()
            .unwrap_or(0)
    }

    /// Applies a CreditGrant: for this gateway, a known instrument and a grantSequence above
    /// the last one applied for the instrument, buyQty / sellQty (shares) and notional
    /// (1/10,000) are **added** to the instrument's credit (`docs/router.md`: additive
    /// grants). A duplicate or out-of-order sequence is ignored and counted
    /// (`credit_grants_stale`); a jump past the next number is applied and counted
    /// (`credit_grant_gaps`). Returns whether it was applied.
    pub fn on_credit_grant(
        &mut self,
        m: &g::CreditGrantDecoder<'_>,
        risk: &mut RiskEngine,
    ) -> bool {
        let instrument = InstrumentId(m.instrument_id());
        let sequence = m.grant_sequence();
        let Some(last) = self.grant_sequences.get(instrument.index()).copied() else {
            self.counters.credit_grants_ignored.increment();
            return false;
        };
        if m.gateway_id() != self.gateway_id {
            self.counters.credit_grants_ignored.increment();
            return false;
        }
        if sequence <= last {
            self.counters.credit_grants_stale.increment();
            tracing::warn!(
                instrument = instrument.0,
                sequence,
                last,
                "GATEWAY_CREDIT_GRANT_STALE ignored"
            );
            return false;
        }
        let credit = Credit {
            buy_shares: i64::try_from(m.buy_qty()).unwrap_or(-1),
            sell_shares: i64::try_from(m.sell_qty()).unwrap_or(-1),
            notional: i128::from(m.notional()),
        };
        if let Err(error) = risk.grant_credit(instrument, credit) {
            self.counters.credit_grants_ignored.increment();
            tracing::warn!(%error, instrument = instrument.0, sequence, "GATEWAY_CREDIT_GRANT_REJECTED");
            return false;
        }
        if sequence > last + 1 {
            self.counters.credit_grant_gaps.increment();
        }
        self.grant_sequences[instrument.index()] = sequence;
        self.counters.credit_grants.increment();
        true
    }

    /// Applies a CreditSlice (absolute credit, `schemas/crossbar.xml` id 38): for this gateway,
    /// a known instrument and a grantSequence above the last one applied (statements and
    /// grants share the sequence), the instrument's slice becomes the stated amounts minus
    /// what this gateway's messages numbered after `throughStreamSequence` took
    /// (`taken_after`, from [`crate::exec::Executions::credit_taken_after`]); open orders keep
    /// their reservations. When `taken_after` is an error (the statement is about another
    /// stream of this gateway, or the ledger no longer covers it) the slice is left as it is
    /// and the statement counted as ignored: the gateway never takes credit it cannot
    /// account for. Returns whether it was applied.
    pub fn on_credit_slice(
        &mut self,
        m: &g::CreditSliceDecoder<'_>,
        taken_after: Result<Credit, LedgerError>,
        risk: &mut RiskEngine,
    ) -> bool {
        let instrument = InstrumentId(m.instrument_id());
        let sequence = m.grant_sequence();
        let last = self.grant_sequences.get(instrument.index()).copied();
        let stale = last.is_none_or(|last| sequence <= last);
        if m.gateway_id() != self.gateway_id || stale {
            self.counters.credit_slices_ignored.increment();
            return false;
        }
        let taken = match taken_after {
            Ok(taken) => taken,
            Err(error) => {
                self.counters.credit_slices_ignored.increment();
                tracing::warn!(%error, instrument = instrument.0, sequence, "GATEWAY_CREDIT_SLICE_IGNORED");
                return false;
            }
        };
        let stated = Credit::from_sbe(m.buy_qty(), m.sell_qty(), m.notional());
        let held = held_after_statement(stated, taken);
        match risk.set_credit_held(instrument, held) {
            Ok(view) => {
                self.grant_sequences[instrument.index()] = sequence;
                self.counters.credit_slices.increment();
                tracing::info!(
                    instrument = instrument.0,
                    sequence,
                    through = m.through_stream_sequence(),
                    buy = view.available.buy_shares,
                    sell = view.available.sell_shares,
                    notional = %view.available.notional,
                    "GATEWAY_CREDIT_SLICE"
                );
                true
            }
            Err(_) => {
                self.counters.credit_slices_ignored.increment();
                false
            }
        }
    }

    /// Applies a KillSwitch: scope All sets the engine's all-instruments switch, Venue naming
    /// this venue the venue switch (independent of All: releasing one leaves the other),
    /// Instrument that instrument's. `allowRiskReducing`
    /// replaces the engine's risk-reducing allowance. Other venues' switches are ignored.
    pub fn on_kill_switch(&mut self, m: &g::KillSwitchDecoder<'_>, risk: &mut RiskEngine) {
        let active = m.active() == g::BooleanType::True;
        let scope = match m.scope() {
            KillSwitchScope::All => KillScope::All,
            KillSwitchScope::Venue if m.venue_id() == self.venue_id => KillScope::Venue,
            KillSwitchScope::Instrument => KillScope::Instrument(InstrumentId(m.instrument_id())),
            _ => {
                self.counters.kill_switches_ignored.increment();
                return;
            }
        };
        if risk.set_kill_switch(scope, active).is_err() {
            self.counters.kill_switches_ignored.increment();
            return;
        }
        risk.set_kill_switch_allows_reducing(m.allow_risk_reducing() == g::BooleanType::True);
        self.counters.kill_switches.increment();
        tracing::warn!(
            active,
            scope = ?m.scope(),
            instrument = m.instrument_id(),
            reason = m.reason_as_str().unwrap_or(""),
            "GATEWAY_KILL_SWITCH"
        );
    }

    /// Applies a RiskLimits publication newer than the one in force: each entry replaces its
    /// instrument's limits (maxPosition is both the long and the short limit;
    /// maxOrdersPerSecond becomes orders per throttle window, rounded up). Entries the
    /// engine refuses are counted and leave that instrument's limits unchanged.
    pub fn on_risk_limits(&mut self, m: &g::RiskLimitsDecoder<'_>, risk: &mut RiskEngine) {
        if self.limits_version.is_some_and(|v| m.version() <= v) {
            self.counters.risk_limits_stale.increment();
            return;
        }
        self.limits_version = Some(m.version());
        let Ok(entries) = m.limits() else {
            // decode_view validated the group already.
            self.counters.limit_entries_rejected.increment();
            return;
        };
        for e in entries {
            let per_window = (u128::from(e.max_orders_per_second())
                * u128::from(self.throttle_window_ns))
            .div_ceil(u128::from(NS_PER_SECOND));
            let limits = InstrumentLimits {
                max_order_qty: Qty(e.max_order_qty()),
                max_order_notional: i128::from(e.max_order_notional()),
                max_long_position: e.max_position(),
                max_short_position: e.max_position(),
                collar_bps: e.price_collar_bps(),
                max_orders_per_window: u32::try_from(per_window.max(1)).unwrap_or(u32::MAX),
            };
            if let Err(error) = risk.set_instrument_limits(InstrumentId(e.instrument_id()), limits)
            {
                self.counters.limit_entries_rejected.increment();
                tracing::warn!(instrument = e.instrument_id(), %error, "GATEWAY_RISK_LIMITS_REJECTED");
            }
        }
        self.counters.risk_limits.increment();
    }
}
