//! Start-up: Aeron streams, feed sockets, book, risk, order entry, all allocated here from
//! [`Settings`]; after [`start`] returns nothing on the hot path allocates.

use std::net::SocketAddr;

use crossbar_feed::{BookBuilder, FeedError, MoldFeed};
use crossbar_journal::JournalError;
use crossbar_model::InstrumentId;
use crossbar_order_entry::{OrderEntryError, OrderRouter, OuchSession, SbeSink};
use crossbar_risk::{Credit, LimitsError, RiskEngine, RiskStateError};
use crossbar_runtime::agent::wall_clock_ns;
use crossbar_runtime::CounterSet;
use crossbar_soupbintcp::SessionId;
use crossbar_transport::{Transport, TransportError};

use crate::agent::{GatewayAgent, OrderCounters};
use crate::audit::Audit;
use crate::centre::{Centre, CentreCounters};
use crate::config::{invalid, ConfigInvalid, EXECUTIONS, MARKET_DATA, ORDERS};
use crate::exec::{ExecCounters, Executions};
use crate::market_data::{refresh_bytes, MarketData, MarketDataCounters};
use crate::recovery::{replay, Recovered, RecoveryError};
use crate::resync::ReplayOpener;
use crate::settings::Settings;

/// Why the gateway could not start. Messages start with a stable code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A value only checkable against the running transport (e.g. message sizes).
    #[error(transparent)]
    Config(#[from] ConfigInvalid),
    /// Aeron: driver, client or a stream.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The feed sockets or limits.
    #[error(transparent)]
    Feed(#[from] FeedError),
    /// Risk limits.
    #[error(transparent)]
    Risk(#[from] LimitsError),
    /// Start-up credit.
    #[error(transparent)]
    RiskState(#[from] RiskStateError),
    /// Order entry.
    #[error(transparent)]
    OrderEntry(#[from] OrderEntryError),
    /// The audit journal could not be opened.
    #[error("GATEWAY_JOURNAL_OPEN_FAILED {0}")]
    Journal(#[from] JournalError),
    /// A helper thread (the replay opener, `crate::resync`) could not be created.
    #[error("GATEWAY_THREAD_SPAWN_FAILED reason={0}")]
    Thread(std::io::Error),
    /// The journal could not be replayed.
    #[error(transparent)]
    Recovery(#[from] RecoveryError),
}

/// A started gateway: the agent to run and what it needs kept alive. Field order is drop
/// order: the agent's publications and subscription go before the transport (and its
/// embedded driver).
pub struct Gateway {
    /// The hot-path agent.
    pub agent: GatewayAgent,
    /// Every counter (`md.*`, `exec.*`, `orders.*`, `centre.*`, `feed.*`, `pub.*`, `sub.*`).
    pub counters: CounterSet,
    /// The feed socket's bound address.
    pub feed_addr: SocketAddr,
    /// The feed socket's kernel receive buffer as granted (`SO_RCVBUF` read back), bytes.
    pub feed_receive_buffer_bytes: usize,
    /// What journal replay rebuilt.
    pub recovered: Recovered,
    /// The Aeron client (and embedded driver).
    pub transport: Transport,
}

/// Starts the transport, adds the three streams, binds the feed sockets and builds the
/// agent. The OUCH session connects on the agent's first duty cycle.
///
/// # Errors
/// [`StartError`].
pub fn start(settings: &Settings) -> Result<Gateway, StartError> {
    let mut transport = Transport::start(settings.config.transport.clone())?;
    let market_data = transport.add_publication(MARKET_DATA)?;
    let executions = transport.add_publication(EXECUTIONS)?;
    let orders = transport.add_subscription(ORDERS)?;
    let levels = settings.book.book.levels_per_side;
    if refresh_bytes(levels) > market_data.max_message_length() {
        return Err(invalid(
            "book.levels_per_side",
            format!(
                "a full refresh of {levels} levels per side is {} bytes, over the market_data \
                 stream's largest message {} (term length / 8)",
                refresh_bytes(levels),
                market_data.max_message_length()
            ),
        )
        .into());
    }
    let mut counters = transport.counters().clone();
    let builder = BookBuilder::with_universe(settings.book, &settings.universe.stocks)?;
    let md = MarketData::new(
        builder,
        market_data,
        settings.venue_id.0,
        settings.gateway_id.0,
        levels,
        MarketDataCounters::register(&mut counters),
    );
    let feed = MoldFeed::new("feed", settings.feed, md, &mut counters)?;
    let feed_addr = feed.feed_local_addr().map_err(|source| FeedError::Socket {
        step: "local_addr",
        addr: settings.feed.feed_addr.to_string(),
        source,
    })?;
    let feed_receive_buffer_bytes = feed.feed_receive_buffer_bytes();
    let risk = RiskEngine::new(settings.risk.clone())?;
    let mut router = OrderRouter::new(settings.order_entry.clone(), risk)?;
    let audit = Audit::open(
        &settings.config.journal,
        settings.gateway_id.0,
        &mut counters,
    )?;
    let opener = ReplayOpener::spawn(audit.dir().to_path_buf()).map_err(StartError::Thread)?;
    let mut sink = Executions::new(
        audit,
        executions,
        settings.queue_bytes,
        settings.gateway_id.0,
        settings.venue_id.0,
        settings.universe.len(),
        opener,
        ExecCounters::register(&mut counters),
    );
    let mut centre = Centre::new(
        settings.gateway_id.0,
        settings.venue_id.0,
        settings.universe.len(),
        settings.risk.throttle_window_ns,
        CentreCounters::register(&mut counters),
    );
    let recovered = replay(
        &settings.config.journal.dir,
        settings.gateway_id.0,
        &mut router,
        &mut centre,
        &mut sink,
    )?;
    // Start-up credit is configuration, not a journaled grant: it is added after the replay,
    // whose journaled CreditReturns (which handed back the previous run's start-up credit too)
    // are clamped to what the journaled grants left.
    let (shares, notional) = settings.startup_credit;
    if shares > 0 || notional > 0 {
        for i in 0..settings.universe.len() {
            let credit = Credit::both_sides(shares, notional);
            router
                .risk_mut()
                .grant_credit(InstrumentId(i as u32), credit)?;
        }
    }
    let mut soup = settings.soup.clone();
    if recovered.last_venue_sequence > 0 {
        // SoupBinTCP §2.3.1: log in to the journaled session from the next message, so the
        // venue replays exactly what this gateway has not journaled.
        soup.requested_session = std::str::from_utf8(&recovered.venue_session)
            .ok()
            .and_then(|s| SessionId::new(s).ok())
            .unwrap_or(SessionId::BLANK);
        soup.requested_sequence_number = recovered.last_venue_sequence + 1;
    }
    let now_ns = wall_clock_ns();
    sink.set_now(now_ns);
    if let Some(report) = &recovered.unsent_report {
        sink.on_sbe(report);
    }
    if recovered.records > 0 {
        sink.publish_positions(now_ns);
    }
    let session = OuchSession::new(
        settings.config.order_entry.venue_addr,
        soup,
        router,
        sink,
        settings.reconnect_interval_ns,
    );
    let agent = GatewayAgent::new(
        feed,
        session,
        orders,
        centre,
        settings.heartbeat_interval_ns,
        settings.feed_status_interval_ns,
        settings.centre_rule,
        OrderCounters::register(&mut counters),
    );
    Ok(Gateway {
        agent,
        counters,
        feed_addr,
        feed_receive_buffer_bytes,
        recovered,
        transport,
    })
}
