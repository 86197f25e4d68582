//! The tonic server: one [`Api`] value implements the five generated service traits (one
//! module each), all sharing the authenticator, the backend and the shutdown signal.

mod counters;
mod kill_switch;
mod limits;
mod orders;
mod positions;
mod stream;
mod venues;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use crossbar_runtime::CounterSet;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::ServerTlsConfig;
use tonic::{Request, Status};

use crate::auth::{Access, Authenticator};
use crate::backend::Backend;
use crate::config::ApiConfig;
use crate::error::ApiError;
use crate::proto::kill_switch_server::KillSwitchServer;
use crate::proto::limits_server::LimitsServer;
use crate::proto::orders_server::OrdersServer;
use crate::proto::positions_server::PositionsServer;
use crate::proto::venues_server::VenuesServer;
use crate::tls::ClientAuth;
use counters::ApiCounters;

/// A bound, not yet serving, API listener: lets the caller learn the port (`api.addr` with
/// port 0) before serving.
#[derive(Debug)]
pub struct BoundApi {
    listener: TcpListener,
    local_addr: SocketAddr,
    auth: Authenticator,
    tls: Option<ServerTlsConfig>,
    /// For the log line: `off`, `server`, `optional-client-certs`, `required-client-certs`.
    tls_mode: &'static str,
    list_max: u32,
    stream_buffer: usize,
    counter_set: CounterSet,
    counters: ApiCounters,
}

/// Loads the tokens and `[api.tls]` files, then binds `config.addr`.
///
/// # Errors
/// [`ApiError::NoTokens`], [`ApiError::BadToken`], [`ApiError::TokenFile`] from the token
/// configuration; [`ApiError::Tls`] naming the bad `[api.tls]` file; [`ApiError::Bind`] when
/// the address cannot be bound.
pub async fn bind(config: &ApiConfig) -> Result<BoundApi, ApiError> {
    let tokens = config.load_tokens()?;
    let tls = config.tls.as_ref().map(|tls| tls.load()).transpose()?;
    let client_certs = tls.as_ref().is_some_and(|tls| tls.client_certs);
    let tls_mode = match &config.tls {
        None => "off",
        Some(tls) => match tls.client_auth {
            ClientAuth::Off => "server",
            ClientAuth::Optional => "optional-client-certs",
            ClientAuth::Required => "required-client-certs",
        },
    };
    let bind_error = |e: std::io::Error| ApiError::Bind {
        addr: config.addr,
        reason: e.to_string(),
    };
    let listener = TcpListener::bind(config.addr).await.map_err(bind_error)?;
    let local_addr = listener.local_addr().map_err(bind_error)?;
    let mut counter_set = CounterSet::new();
    let counters = ApiCounters::register(&mut counter_set);
    Ok(BoundApi {
        listener,
        local_addr,
        auth: Authenticator::new(tokens, config.allow_unauthenticated_reads)
            .with_client_certificates(client_certs),
        tls: tls.map(|tls| tls.server),
        tls_mode,
        list_max: config.list_max.max(1),
        stream_buffer: config.stream_buffer.max(1),
        counter_set,
        counters,
    })
}

/// [`bind`] then [`BoundApi::serve`]: the entry point the aggregator calls on its tokio
/// runtime. Returns when `shutdown` completes and every call has finished (open streams end
/// with status OK on shutdown).
///
/// # Errors
/// As [`bind`], and [`ApiError::Serve`] when the server fails.
pub async fn serve<B: Backend>(
    config: &ApiConfig,
    backend: Arc<B>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    bind(config).await?.serve(backend, shutdown).await
}

impl BoundApi {
    /// The address actually bound (the real port when `api.addr` had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The API's counters (`api.calls`, `api.unauthenticated`, `api.invalid_argument`,
    /// `api.backend_errors`, `api.queue_full`, `api.streams_opened`, `api.streams_lagged`),
    /// for the aggregator to log or expose.
    pub fn counters(&self) -> CounterSet {
        self.counter_set.clone()
    }

    /// Serves every crossbar.v1 service until `shutdown` completes. Logs
    /// `API_LISTENING addr=<addr> tls=<off|server|optional-client-certs|required-client-certs>`
    /// (tracing, info) once serving.
    ///
    /// # Errors
    /// [`ApiError::Serve`] when the transport fails.
    pub async fn serve<B: Backend>(
        self,
        backend: Arc<B>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ApiError> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let api = Api {
            backend,
            auth: Arc::new(self.auth),
            list_max: self.list_max,
            stream_buffer: self.stream_buffer,
            shutdown: stop_rx,
            counters: self.counters,
        };
        let signal = async move {
            shutdown.await;
            // Ends every open stream, so graceful shutdown does not wait on them forever.
            let _ = stop_tx.send(true);
        };
        let mut server = tonic::transport::Server::builder();
        if let Some(tls) = self.tls {
            // Checked in `bind` (TlsConfig::load), so this does not fail in practice.
            server = server
                .tls_config(tls)
                .map_err(|e| ApiError::Serve(format!("TLS setup: {e}")))?;
        }
        tracing::info!(
            "API_LISTENING addr={} tls={}",
            self.local_addr,
            self.tls_mode
        );
        server
            .add_service(PositionsServer::new(api.clone()))
            .add_service(OrdersServer::new(api.clone()))
            .add_service(LimitsServer::new(api.clone()))
            .add_service(KillSwitchServer::new(api.clone()))
            .add_service(VenuesServer::new(api))
            .serve_with_incoming_shutdown(TcpListenerStream::new(self.listener), signal)
            .await
            .map_err(|e| ApiError::Serve(e.to_string()))
    }
}

/// The service implementation shared by the five services.
struct Api<B> {
    backend: Arc<B>,
    auth: Arc<Authenticator>,
    list_max: u32,
    stream_buffer: usize,
    shutdown: watch::Receiver<bool>,
    counters: ApiCounters,
}

impl<B> Clone for Api<B> {
    fn clone(&self) -> Self {
        Self {
            backend: Arc::clone(&self.backend),
            auth: Arc::clone(&self.auth),
            list_max: self.list_max,
            stream_buffer: self.stream_buffer,
            shutdown: self.shutdown.clone(),
            counters: self.counters.clone(),
        }
    }
}

impl<B: Backend> Api<B> {
    /// Counts the call and authenticates it (token or verified client certificate). An
    /// admitted mutating call logs `API_AUTHENTICATED client=<caller> call=<request type>`.
    fn admit<T>(&self, request: &Request<T>, access: Access) -> Result<(), Status> {
        self.counters.calls.increment();
        let peer_certs = request.peer_certs();
        match self.auth.check(
            request.metadata(),
            peer_certs.as_deref().map(Vec::as_slice),
            access,
        ) {
            Ok(caller) => {
                if access == Access::Mutate {
                    tracing::info!(
                        remote = ?request.remote_addr(),
                        "API_AUTHENTICATED client={caller} call={}",
                        call_name::<T>()
                    );
                }
                Ok(())
            }
            Err(status) => {
                self.counters.unauthenticated.increment();
                tracing::warn!(remote = ?request.remote_addr(), "{}", status.message());
                Err(status)
            }
        }
    }

    /// Maps a validation failure to INVALID_ARGUMENT, counted and logged.
    fn invalid(&self, error: crate::validate::FieldError) -> Status {
        self.counters.invalid_argument.increment();
        tracing::info!("{error}");
        crate::status::invalid(error)
    }

    /// Maps a backend failure to its status, counted and logged.
    fn backend_failed(&self, error: crate::backend::BackendError) -> Status {
        self.counters.backend_errors.increment();
        if matches!(error, crate::backend::BackendError::QueueFull { .. }) {
            self.counters.queue_full.increment();
        }
        tracing::warn!("{error}");
        crate::status::from_backend(error)
    }
}

/// The request message's name (`SubmitParentRequest`), for log lines.
fn call_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}
