//! Shared test set-up: a real tonic server on 127.0.0.1:0 over TCP in front of the
//! [`memory_backend::MemoryBackend`] stand-in, and authenticated clients.
#![allow(dead_code)] // each test binary uses a different part

pub mod memory_backend;
pub mod pki;

use std::sync::Arc;

use crossbar_api::proto::kill_switch_client::KillSwitchClient;
use crossbar_api::proto::limits_client::LimitsClient;
use crossbar_api::proto::orders_client::OrdersClient;
use crossbar_api::proto::positions_client::PositionsClient;
use crossbar_api::proto::venues_client::VenuesClient;
use crossbar_api::proto::{OrderType, Side, Strategy, SubmitParentRequest, TimeInForce};
use crossbar_api::{ApiConfig, ApiError};
use memory_backend::MemoryBackend;
use tonic::transport::Channel;
use tonic::Request;

/// The token the test servers accept.
pub const TOKEN: &str = "test-token-0123456789abcdef";

/// A running server; stopped (and awaited) by [`TestServer::stop`].
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    pub backend: Arc<MemoryBackend>,
    pub counters: crossbar_runtime::CounterSet,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<Result<(), ApiError>>>,
}

/// Config accepting [`TOKEN`], reads authenticated unless `open_reads`.
pub fn config(open_reads: bool) -> ApiConfig {
    ApiConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        tokens: vec![TOKEN.into()],
        allow_unauthenticated_reads: open_reads,
        ..ApiConfig::default()
    }
}

/// Binds `config` and serves `backend` until [`TestServer::stop`].
pub async fn start(config: ApiConfig, backend: Arc<MemoryBackend>) -> TestServer {
    let bound = crossbar_api::bind(&config).await.expect("bind");
    let addr = bound.local_addr();
    let counters = bound.counters();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serving = Arc::clone(&backend);
    let handle = tokio::spawn(async move {
        bound
            .serve(serving, async move {
                let _ = stop_rx.await;
            })
            .await
    });
    TestServer {
        addr,
        backend,
        counters,
        stop: Some(stop_tx),
        handle: Some(handle),
    }
}

impl TestServer {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(self.url())
            .unwrap()
            .connect()
            .await
            .expect("connect")
    }

    pub async fn orders(&self) -> OrdersClient<Channel> {
        OrdersClient::new(self.channel().await)
    }

    pub async fn positions(&self) -> PositionsClient<Channel> {
        PositionsClient::new(self.channel().await)
    }

    pub async fn limits(&self) -> LimitsClient<Channel> {
        LimitsClient::new(self.channel().await)
    }

    pub async fn kill_switch(&self) -> KillSwitchClient<Channel> {
        KillSwitchClient::new(self.channel().await)
    }

    pub async fn venues(&self) -> VenuesClient<Channel> {
        VenuesClient::new(self.channel().await)
    }

    /// A counter's value.
    pub fn counter(&self, label: &str) -> u64 {
        self.counters.value(label).unwrap()
    }

    /// Signals shutdown and waits for `serve` to return.
    pub async fn stop(mut self) -> Result<(), ApiError> {
        let _ = self.stop.take().unwrap().send(());
        self.handle.take().unwrap().await.expect("server task")
    }
}

/// `message` with `authorization: Bearer <token>`.
pub fn with_token<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// `message` with the good token.
pub fn authed<T>(message: T) -> Request<T> {
    with_token(message, TOKEN)
}

/// A valid submit: buy 100 AAPL at $189.25, limit, day, sweep.
pub fn submit_request(client_order_id: &str) -> SubmitParentRequest {
    SubmitParentRequest {
        instrument_symbol: "AAPL".into(),
        side: Side::Buy as i32,
        qty: 100,
        limit_price: 1_892_500,
        order_type: OrderType::Limit as i32,
        time_in_force: TimeInForce::Day as i32,
        strategy: Strategy::Sweep as i32,
        client_order_id: client_order_id.into(),
    }
}
