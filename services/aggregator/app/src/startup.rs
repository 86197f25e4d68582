//! Start-up in order: journal (open, recover, replay), Aeron (driver, subscriptions, one
//! orders publication per gateway), the router thread's core (end of replay, first credit
//! grants), then the gRPC server on its own tokio thread. [`start`] returns once gRPC is
//! bound; the caller prints the ready line and runs the agent.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;
use crossbar_api::proto;
use crossbar_journal::{Journal, JournalReader};
use crossbar_router::Router;
use crossbar_runtime::agent::wall_clock_ns;
use crossbar_runtime::CounterSet;
use crossbar_transport::Transport;
use tokio::sync::broadcast;

use crate::backend::{run_differ, AggregatorBackend, Reads};
use crate::codec::VenueMap;
use crate::config::{orders_publication, Settings, EXECUTIONS, MARKET_DATA};
use crate::core::{AggregatorAgent, Core, CoreCounters, CoreParts};
use crate::orders::OrderViews;
use crate::outbox::{Outbox, OutboxCounters};
use crate::replay::{replay, ReplayReport, Replayed};
use crate::resync::{ResyncCounters, Streams};
use crate::views::{Names, Published};

/// Why the aggregator could not start. Messages start with a stable code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The journal could not be opened or read.
    #[error(transparent)]
    Journal(#[from] crossbar_journal::JournalError),
    /// Replay found a record the aggregator does not write.
    #[error(transparent)]
    Replay(#[from] crate::replay::ReplayError),
    /// Aeron.
    #[error(transparent)]
    Transport(#[from] crossbar_transport::TransportError),
    /// The router refused the limits (validated before, so a bug).
    #[error(transparent)]
    Router(#[from] crossbar_router::RouterError),
    /// The gRPC server could not start (bad tokens, address in use).
    #[error("AGG_API_START_FAILED {0}")]
    Api(String),
}

/// A started aggregator.
pub struct Aggregator {
    /// The router thread's agent (run it on the calling thread).
    pub agent: AggregatorAgent,
    /// The gRPC address bound.
    pub grpc_addr: SocketAddr,
    /// What replay did.
    pub replay: ReplayReport,
    /// Counters (`agg.*`, `outbox.*`, `journal.*`, `pub.*`, `sub.*`).
    pub counters: CounterSet,
    /// Set to false to stop the gRPC thread.
    pub api_running: Arc<AtomicBool>,
    /// The gRPC thread.
    pub api_thread: JoinHandle<()>,
    /// The Aeron client (and embedded driver); dropped last.
    pub transport: Transport,
}

fn names(settings: &Settings) -> Names {
    Names {
        symbols: settings.config.instruments.clone(),
        venues: settings.venue_names.clone(),
        venue_ids: settings.venue_ids.clone(),
    }
}

/// Starts everything but the agent loop.
///
/// # Errors
/// [`StartError`].
pub fn start(settings: &Settings) -> Result<Aggregator, StartError> {
    let config = &settings.config;
    let mut counters = CounterSet::new();
    let journal = Journal::open(&config.journal, &mut counters)?;
    let reader = JournalReader::open(&config.journal.dir)?;
    let venues = VenueMap::new(&settings.venue_ids);
    let mut router = Router::new(settings.limits.clone())?;
    let mut orders = OrderViews::new(
        settings.limits.max_parents as usize,
        settings.limits.max_children as usize,
    );
    let mut kills = Vec::new();
    let report = replay(
        &reader,
        &venues,
        Replayed {
            router: &mut router,
            orders: &mut orders,
            kills: &mut kills,
        },
    )?;
    // Last execution-stream number applied per gateway: every applied message is journaled
    // inbound, raw, with its number (`crate::resync`).
    let applied: Vec<(u16, u64)> = reader
        .records()
        .filter(|r| r.direction == crossbar_journal::Direction::Inbound)
        .filter_map(|r| crossbar_sbe::stream_sequence(r.payload).map(|s| (r.source_id, s)))
        .collect();
    drop(reader);
    tracing::info!(
        records = report.records,
        refused = report.refused,
        "AGG_REPLAYED"
    );

    let mut transport = Transport::start(config.transport.clone())?;
    let market_data = transport.add_subscription(MARKET_DATA)?;
    let executions = transport.add_subscription(EXECUTIONS)?;
    let mut outboxes = Vec::with_capacity(settings.gateways.len());
    for &g in &settings.gateways {
        let publisher = transport.add_publication(&orders_publication(g))?;
        let c = OutboxCounters::register(&mut counters, g);
        outboxes.push(Outbox::new(g, publisher, config.control.outbox_bytes, c));
    }

    let names = Arc::new(names(settings));
    let published = Arc::new(ArcSwap::from_pointee(Published::default()));
    let limits_view = Arc::new(ArcSwap::from_pointee(proto::LimitsSnapshot::default()));
    let core_counters = CoreCounters::register(&mut counters);
    let streams = Streams::new(
        &settings.gateways,
        &applied,
        report.records == 0,
        ResyncCounters::register(&mut counters),
    );
    let mut core = Core::new(CoreParts {
        router,
        journal,
        orders,
        kills,
        outboxes,
        venues,
        names: names.clone(),
        published: published.clone(),
        limits_view: limits_view.clone(),
        streams,
        router_id: config.router_id,
        heartbeat_interval_ns: settings.heartbeat_interval_ns,
        snapshot_interval_ns: settings.snapshot_interval_ns,
        counters: core_counters,
    });
    core.start(
        wall_clock_ns().max(report.last_timestamp_ns),
        report.records > 0,
    );

    let (tx, rx) = sync_channel(config.control.command_queue);
    let agent = AggregatorAgent::new(
        core,
        market_data,
        executions,
        rx,
        config.control.commands_per_cycle,
    );

    let (parent_tx, _) = broadcast::channel(config.control.update_buffer);
    let (position_tx, _) = broadcast::channel(config.control.update_buffer);
    let reads = Arc::new(Reads::new(published, names.clone(), parent_tx, position_tx));
    let backend = Arc::new(AggregatorBackend::new(
        tx,
        config.control.command_queue,
        Duration::from_millis(config.control.command_timeout_ms),
        reads.clone(),
        names,
    ));
    let api_running = Arc::new(AtomicBool::new(true));
    let (ready_tx, ready_rx) = sync_channel::<Result<SocketAddr, String>>(1);
    let api_config = config.api.clone();
    let running = api_running.clone();
    let snapshot_every = Duration::from_nanos(settings.snapshot_interval_ns);
    let api_thread = std::thread::Builder::new()
        .name("aggregator-api".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("tokio runtime: {e}")));
                    return;
                }
            };
            rt.block_on(async move {
                let bound = match crossbar_api::bind(&api_config).await {
                    Ok(b) => b,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(bound.local_addr()));
                let differ_running = running.clone();
                tokio::spawn(run_differ(reads, snapshot_every, move || {
                    differ_running.load(Ordering::Acquire)
                }));
                let stop = async move {
                    while running.load(Ordering::Acquire) {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                };
                if let Err(e) = bound.serve(backend, stop).await {
                    tracing::error!(error = %e, "AGG_API_FAILED");
                }
            });
        })
        .map_err(|e| StartError::Api(e.to_string()))?;
    let grpc_addr = match ready_rx.recv() {
        Ok(Ok(addr)) => addr,
        Ok(Err(e)) => return Err(StartError::Api(e)),
        Err(_) => return Err(StartError::Api("api thread ended".into())),
    };
    Ok(Aggregator {
        agent,
        grpc_addr,
        replay: report,
        counters,
        api_running,
        api_thread,
        transport,
    })
}
