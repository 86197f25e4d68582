//! [`GatewayAgent`]: the whole hot path as one agent on one thread. Its parts are the feed
//! agent ([`MoldFeed`] over [`MarketData`]), the order subscription, the OUCH session
//! ([`OuchSession`] over [`Executions`]) and the timers; they run in turn each duty cycle, as
//! a composite agent would, but as fields of one struct, so the order path reads the feed's
//! book (price collar, stale, halted) directly, without locks or copies.
//!
//! One duty cycle:
//! 1. feed: datagrams → ITCH → book → market data (refused offers mark instruments dirty);
//! 2. dirty instruments re-published as full refreshes, a refused FeedStatus retried;
//! 3. the order subscription, at most as many messages as the execution queue can answer;
//! 4. the OUCH session, reading at most what the execution queue can hold;
//! 5. the execution queue retried; fail closed from half full until it is empty again;
//! 6. the centre's liveness: fail closed (`CENTRE_SILENT`) after `centre.heartbeat_timeout_ms`
//!    without a centre Heartbeat, optionally canceling every working order;
//! 7. heartbeats and periodic FeedStatus; when nothing else was done, journal upkeep.
//!
//! The fail-closed causes are a set in the risk engine (exec queue full, centre silent,
//! journal failed): each is entered and cleared on its own.
//!
//! **Audit hook.** Every order-stream message that changes state is journaled (inbound,
//! source 0) in [`on_order_message`] before it is applied; everything else goes through the
//! session's [`Executions`] sink, which journals venue reports, requests sent to the venue and
//! messages to the centre (`crate::audit`).

use crossbar_feed::MoldFeed;
use crossbar_model::InstrumentId;
use crossbar_order_entry::{OrderEntryError, OuchSession, READ_BYTES_MAX};
use crossbar_ouch::OrderCanceled;
use crossbar_risk::{Credit, FailClosedCause, MarketView};
use crossbar_runtime::{Agent, Counter, CounterSet};
use crossbar_sbe::{decode_view, MessageView};
use crossbar_transport::Subscriber;

use crate::centre::Centre;
use crate::exec::{Executions, RECORD_BYTES_MAX};
use crate::market_data::MarketData;

/// Order-stream messages polled per duty cycle at most.
const ORDERS_PER_CYCLE: usize = 16;

/// Smallest venue packet that yields an SBE message: SoupBinTCP Sequenced Data header (3
/// bytes, §2.2.3) + OUCH 5.0 §3.4 Order Canceled, the shortest reported message.
const VENUE_PACKET_BYTES_MIN: usize = 3 + OrderCanceled::FIXED_LEN;

/// What the agent counted, registered as `orders.<name>`.
#[derive(Clone, Debug)]
pub struct OrderCounters {
    /// Messages taken off the order stream.
    pub received: Counter,
    /// Messages that are not valid SBE (counted, logged, skipped).
    pub malformed: Counter,
    /// Valid SBE messages the gateway does not take on this stream (skipped).
    pub unexpected: Counter,
    /// Order requests the order-entry path could not process (logged).
    pub errors: Counter,
    /// Duty cycles that polled fewer orders, or read less from the venue, because the
    /// execution queue was nearly full.
    pub input_throttled: Counter,
    /// Times the gateway started failing closed because the execution queue filled.
    pub fail_closed_entered: Counter,
    /// Messages not applied because the journal could not record them.
    pub not_journaled: Counter,
}

impl OrderCounters {
    /// Registers every counter in `set`.
    pub fn register(set: &mut CounterSet) -> Self {
        let mut c = |n: &str| set.register(&format!("orders.{n}"));
        Self {
            received: c("received"),
            malformed: c("malformed"),
            unexpected: c("unexpected"),
            errors: c("errors"),
            input_throttled: c("input_throttled"),
            fail_closed_entered: c("fail_closed_entered"),
            not_journaled: c("not_journaled"),
        }
    }
}

/// The gateway's hot-path agent (see the module docs).
pub struct GatewayAgent {
    feed: MoldFeed<MarketData>,
    session: OuchSession<Executions>,
    orders: Subscriber,
    centre: Centre,
    heartbeat_interval_ns: u64,
    feed_status_interval_ns: u64,
    next_heartbeat_ns: u64,
    next_feed_status_ns: u64,
    centre_rule: CentreRule,
    counters: OrderCounters,
}

/// How the agent treats the centre's silence and its own shutdown (`[centre]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CentreRule {
    /// Silence that fails closed, ns; 0 disables the rule.
    pub heartbeat_timeout_ns: u64,
    /// Cancel every working order on entering CENTRE_SILENT.
    pub cancel_on_fail_closed: bool,
    /// Return unused credit on shutdown.
    pub return_credit_on_shutdown: bool,
}

/// Applies one order-stream message. A free function over the agent's parts so the
/// subscription's poll closure can borrow them while `orders` polls.
fn on_order_message(
    message: &[u8],
    now_ns: u64,
    feed: &mut MoldFeed<MarketData>,
    session: &mut OuchSession<Executions>,
    centre: &mut Centre,
    counters: &OrderCounters,
) {
    counters.received.increment();
    let view = match decode_view(message) {
        Err(error) => {
            counters.malformed.increment();
            tracing::debug!(%error, len = message.len(), "GATEWAY_MALFORMED_ORDER_MESSAGE");
            return;
        }
        Ok(view) => view,
    };
    let journaled = matches!(
        view,
        MessageView::NewChildOrder(_)
            | MessageView::CancelOrder(_)
            | MessageView::ReplaceOrder(_)
            | MessageView::KillSwitch(_)
            | MessageView::RiskLimits(_)
            | MessageView::CreditGrant(_)
            | MessageView::CreditSlice(_)
            | MessageView::ExecutionReplayRequest(_)
    );
    // The audit hook: recorded before it is applied; not recorded, not applied.
    if journaled
        && !session
            .sink_mut()
            .audit_mut()
            .inbound_centre(message, now_ns)
    {
        counters.not_journaled.increment();
        return;
    }
    let instrument = match view {
        MessageView::NewChildOrder(m) => InstrumentId(m.instrument_id()),
        MessageView::ReplaceOrder(m) => InstrumentId(m.instrument_id()),
        MessageView::CancelOrder(_) => {
            submit(message, now_ns, session, counters);
            return;
        }
        MessageView::KillSwitch(m) => {
            centre.on_kill_switch(&m, session.router_mut().risk_mut());
            return;
        }
        MessageView::RiskLimits(m) => {
            centre.on_risk_limits(&m, session.router_mut().risk_mut());
            return;
        }
        MessageView::CreditGrant(m) => {
            centre.on_credit_grant(&m, session.router_mut().risk_mut());
            return;
        }
        MessageView::CreditSlice(m) => {
            let taken = session
                .sink_mut()
                .credit_taken_after(InstrumentId(m.instrument_id()), m.through_stream_sequence());
            centre.on_credit_slice(&m, taken, session.router_mut().risk_mut());
            return;
        }
        MessageView::ExecutionReplayRequest(m) => {
            // Another gateway's request (a shared stream) is not ours to answer.
            if m.gateway_id() == centre.gateway_id() {
                session
                    .sink_mut()
                    .start_replay(m.request_id(), m.from_sequence());
                // A resyncing centre restarted: it has none of our books.
                feed.handler_mut().refresh_all();
            } else {
                counters.unexpected.increment();
            }
            return;
        }
        MessageView::Heartbeat(_) => {
            centre.on_heartbeat(now_ns);
            // The centre is back: orders behind this heartbeat in the same poll pass.
            let risk = session.router_mut().risk_mut();
            if risk.has_fail_closed_cause(FailClosedCause::CentreSilent) {
                risk.set_fail_closed_cause(FailClosedCause::CentreSilent, false);
                tracing::warn!("GATEWAY_FAIL_CLOSED_CLEARED cause=CENTRE_SILENT");
                // What we published while it was silent may never have reached it.
                feed.handler_mut().refresh_all();
            }
            return;
        }
        other => {
            counters.unexpected.increment();
            tracing::debug!(
                kind = other.kind().name(),
                "GATEWAY_UNEXPECTED_ORDER_MESSAGE"
            );
            return;
        }
    };
    // The collar, stale and halt checks see the book as of this instant.
    let builder = feed.handler().builder();
    let market = MarketView::from_book(builder.book(), instrument);
    let router = session.router_mut();
    router.update_market(instrument, market);
    // An unknown instrument is refused by risk itself (RISK_UNKNOWN_INSTRUMENT).
    let _ = router
        .risk_mut()
        .set_halted(instrument, builder.is_halted(instrument));
    submit(message, now_ns, session, counters);
}

fn submit(
    message: &[u8],
    now_ns: u64,
    session: &mut OuchSession<Executions>,
    counters: &OrderCounters,
) {
    if let Err(error) = session.submit(message, now_ns) {
        counters.errors.increment();
        match error {
            OrderEntryError::SbeDecode(_) => counters.malformed.increment(),
            _ => tracing::warn!(%error, "GATEWAY_ORDER_ERROR"),
        }
    }
}

impl GatewayAgent {
    /// Assembles the agent; nothing is sent before the first duty cycle.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        feed: MoldFeed<MarketData>,
        session: OuchSession<Executions>,
        orders: Subscriber,
        centre: Centre,
        heartbeat_interval_ns: u64,
        feed_status_interval_ns: u64,
        centre_rule: CentreRule,
        counters: OrderCounters,
    ) -> Self {
        Self {
            feed,
            session,
            orders,
            centre,
            heartbeat_interval_ns,
            feed_status_interval_ns,
            next_heartbeat_ns: 0,
            next_feed_status_ns: 0,
            centre_rule,
            counters,
        }
    }

    /// The OUCH session, mutably (start-up: re-publishing what recovery found).
    pub fn session_mut(&mut self) -> &mut OuchSession<Executions> {
        &mut self.session
    }

    /// The centre handler.
    pub fn centre(&self) -> &Centre {
        &self.centre
    }

    /// On shutdown, after the last duty cycle: hands every instrument's unused credit back
    /// (one CreditReturn each, when `[centre] return_credit_on_shutdown`), tries to publish
    /// what is queued, and flushes the journal. Returns the CreditReturns published or queued.
    pub fn shutdown(&mut self, now_ns: u64) -> usize {
        let mut returned = 0;
        if self.centre_rule.return_credit_on_shutdown {
            self.session.sink_mut().set_now(now_ns);
            let mut instrument = 0u32;
            while let Some(view) = self
                .session
                .router()
                .risk()
                .credit(InstrumentId(instrument))
            {
                let id = InstrumentId(instrument);
                instrument += 1;
                let unused = Credit {
                    buy_shares: view.available.buy_shares.max(0),
                    sell_shares: view.available.sell_shares.max(0),
                    notional: view.available.notional.max(0),
                };
                if unused.is_zero() {
                    continue;
                }
                let sequence = self.centre.grant_sequence(id);
                if self
                    .session
                    .router_mut()
                    .risk_mut()
                    .return_credit(id, unused)
                    .is_ok()
                {
                    let sink = self.session.sink_mut();
                    sink.publish_credit_return(id, sequence, unused, now_ns);
                    self.centre.counters().credit_returns.increment();
                    returned += 1;
                }
            }
        }
        self.session.sink_mut().drain();
        if let Err(error) = self.session.sink_mut().audit_mut().flush() {
            tracing::error!(%error, "GATEWAY_JOURNAL_FLUSH_FAILED");
        }
        returned
    }

    /// The feed agent.
    pub fn feed(&self) -> &MoldFeed<MarketData> {
        &self.feed
    }

    /// The OUCH session (router, risk, execution sink).
    pub fn session(&self) -> &OuchSession<Executions> {
        &self.session
    }

    /// How many SBE messages the execution queue can still take, keeping one record free.
    fn queue_room(&self) -> usize {
        let free = self.session.sink().queue().free();
        (free / RECORD_BYTES_MAX).saturating_sub(1)
    }

    fn poll_orders(&mut self, now_ns: u64) -> usize {
        let limit = self.queue_room().min(ORDERS_PER_CYCLE);
        if limit < ORDERS_PER_CYCLE {
            self.counters.input_throttled.increment();
        }
        if limit == 0 {
            return 0;
        }
        let Self {
            feed,
            session,
            orders,
            centre,
            counters,
            ..
        } = self;
        let mut handle = |message: &[u8]| {
            on_order_message(message, now_ns, feed, session, centre, counters);
        };
        match orders.poll(&mut handle, limit) {
            Ok(n) => n,
            Err(error) => {
                tracing::error!(%error, "GATEWAY_ORDER_POLL_FAILED");
                0
            }
        }
    }

    fn run_session(&mut self, now_ns: u64) -> usize {
        // Each venue packet read can yield one record: read no more packets than fit.
        let budget = (self.queue_room() * VENUE_PACKET_BYTES_MIN).min(READ_BYTES_MAX);
        self.session.set_read_budget(budget);
        self.session.do_work(now_ns)
    }

    fn update_fail_closed(&mut self) {
        let queue = self.session.sink().queue();
        let (used, capacity, empty) = (queue.used(), queue.capacity(), queue.is_empty());
        let journal_failed = self.session.sink_mut().audit_mut().take_failure();
        let risk = self.session.router_mut().risk_mut();
        let queue_full = risk.has_fail_closed_cause(FailClosedCause::ExecQueueFull);
        if !queue_full && used * 2 >= capacity {
            risk.set_fail_closed_cause(FailClosedCause::ExecQueueFull, true);
            self.counters.fail_closed_entered.increment();
            tracing::error!(used, capacity, "GATEWAY_FAIL_CLOSED cause=EXEC_QUEUE_FULL");
        } else if queue_full && empty {
            risk.set_fail_closed_cause(FailClosedCause::ExecQueueFull, false);
            tracing::warn!("GATEWAY_FAIL_CLOSED_CLEARED cause=EXEC_QUEUE_FULL");
        }
        // Sticky: a journal that cannot record (disk full) needs an operator.
        if journal_failed && !risk.has_fail_closed_cause(FailClosedCause::JournalFailed) {
            risk.set_fail_closed_cause(FailClosedCause::JournalFailed, true);
            tracing::error!("GATEWAY_FAIL_CLOSED cause=JOURNAL_FAILED");
        }
    }

    /// CENTRE_SILENT: entered when no centre Heartbeat came for the timeout (then every
    /// working order is canceled, if configured), cleared by the next heartbeat.
    fn check_centre(&mut self, now_ns: u64) -> usize {
        let timeout = self.centre_rule.heartbeat_timeout_ns;
        if timeout == 0 {
            return 0;
        }
        let silent = self.centre.is_silent(now_ns, timeout);
        let risk = self.session.router_mut().risk_mut();
        let was = risk.has_fail_closed_cause(FailClosedCause::CentreSilent);
        if silent == was {
            return 0;
        }
        risk.set_fail_closed_cause(FailClosedCause::CentreSilent, silent);
        if !silent {
            tracing::warn!("GATEWAY_FAIL_CLOSED_CLEARED cause=CENTRE_SILENT");
            self.feed.handler_mut().refresh_all();
            return 1;
        }
        self.centre.counters().silent_entered.increment();
        let (mut sent, mut failed) = (0, 0);
        if self.centre_rule.cancel_on_fail_closed {
            (sent, failed) = self.session.cancel_all_working(now_ns);
            self.centre.counters().silent_cancels.add(u64::from(sent));
        }
        tracing::error!(
            timeout_ns = timeout,
            cancels_sent = sent,
            cancels_failed = failed,
            "GATEWAY_FAIL_CLOSED cause=CENTRE_SILENT"
        );
        1
    }

    fn timers(&mut self, now_ns: u64) -> usize {
        let mut work = 0;
        if now_ns >= self.next_heartbeat_ns {
            self.next_heartbeat_ns = now_ns.saturating_add(self.heartbeat_interval_ns);
            self.feed.handler_mut().publish_heartbeat(now_ns);
            self.session.sink_mut().publish_heartbeat(now_ns);
            work += 1;
        }
        if now_ns >= self.next_feed_status_ns {
            self.next_feed_status_ns = now_ns.saturating_add(self.feed_status_interval_ns);
            self.feed.handler_mut().publish_feed_status(now_ns);
            work += 1;
        }
        work
    }
}

impl Agent for GatewayAgent {
    fn role_name(&self) -> &str {
        "gateway"
    }

    fn do_work(&mut self, now_ns: u64) -> usize {
        self.session.sink_mut().set_now(now_ns);
        let mut work = self.feed.do_work(now_ns);
        work += self.feed.handler_mut().republish_dirty(now_ns);
        work += self.poll_orders(now_ns);
        work += self.run_session(now_ns);
        work += self.session.sink_mut().drain();
        work += self.session.sink_mut().pump_replay(now_ns);
        self.update_fail_closed();
        work += self.check_centre(now_ns);
        work += self.timers(now_ns);
        if work == 0 {
            work += self.session.sink_mut().audit_mut().maintain(now_ns);
        }
        work
    }
}
