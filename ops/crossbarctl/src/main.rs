//! # crossbarctl
//!
//! The operator command line for the aggregator's gRPC API (`crossbar.v1`,
//! `schemas/crossbar.proto`): positions, parent orders (list, show, submit, cancel), limits,
//! the kill switch and venue health.
//!
//! Global options: `--addr` (default `http://127.0.0.1:50051`; `host:port` is taken as
//! `http://host:port`, or `https://host:port` with TLS options), `--token` or
//! `CROSSBAR_TOKEN` (sent as `authorization: Bearer`), `--tls-ca`, `--tls-cert`, `--tls-key`,
//! `--tls-server-name` (or `CROSSBAR_TLS_CA` etc.; TLS and mTLS, [`tls`]), `--json` (one JSON
//! object per line; without it, aligned tables).
//!
//! Prices are typed and printed in dollars with up to 4 decimals (`189.25` is sent as
//! 1892500 in 1/10,000 $); conversion is exact integer arithmetic ([`price`]).
//!
//! Exit status: 0 ok; 1 the server refused the call (stderr:
//! `crossbarctl: refused: code=<gRPC code> <stable message>`); 2 usage error (clap, bad TLS
//! options: `CTL_TLS_*`) or no connection (`crossbarctl: error: CTL_CONNECT_FAILED ...`,
//! which includes a refused TLS handshake).
//!
//! Guide: `docs/grpc-api.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cli;
mod price;
mod render;
mod table;
mod tls;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use crossbar_api::proto::kill_switch_client::KillSwitchClient;
use crossbar_api::proto::limits_client::LimitsClient;
use crossbar_api::proto::orders_client::OrdersClient;
use crossbar_api::proto::positions_client::PositionsClient;
use crossbar_api::proto::venues_client::VenuesClient;
use crossbar_api::proto::{
    CancelParentRequest, GetLimitsRequest, GetParentRequest, GetPositionsRequest,
    KillSwitchStatusRequest, ListParentsRequest, ListVenuesRequest,
};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Status};

use crate::cli::{Cli, Command, KillCommand, LimitsCommand};
use crate::render::Output;
use crate::tls::TlsArgs;

/// How long to wait for the TCP/HTTP2 connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for any one call.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a run failed, and so its exit status.
#[derive(Debug)]
enum Failure {
    /// The server answered with a non-OK status: exit 1.
    Refused(Status),
    /// No usable connection (or a bad address): exit 2.
    Connection(String),
}

impl From<Status> for Failure {
    fn from(status: Status) -> Self {
        // UNAVAILABLE without one of the API's codes, or any status tonic made from a local
        // transport error (it carries that error as its source; statuses the server sent do
        // not), is the connection, not the server.
        let local = std::error::Error::source(&status);
        let transport = (status.code() == Code::Unavailable || local.is_some())
            && !status.message().starts_with("API_");
        if transport {
            let mut reason = status.message().to_owned();
            if let Some(source) = local {
                reason = format!("{reason}: {}", error_chain(source));
            }
            Failure::Connection(format!("CTL_CONNECTION_LOST reason={reason}"))
        } else {
            Failure::Refused(status)
        }
    }
}

/// What a connection lost over TLS most likely means: with TLS 1.3 the server checks the
/// client certificate after the client's side of the handshake is done, so its refusal
/// (alert `certificate_required` / `unknown_ca`) arrives as a closed connection on the first
/// call, and tonic reports only that.
const TLS_HINT: &str = " (TLS: the server may have refused the client certificate: check \
                        --tls-cert/--tls-key and that the server's client_ca signed it)";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("crossbarctl: error: CTL_RUNTIME reason={e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refused(status)) => {
            eprintln!(
                "crossbarctl: refused: code={:?} {}",
                status.code(),
                status.message()
            );
            ExitCode::from(1)
        }
        Err(Failure::Connection(reason)) => {
            eprintln!("crossbarctl: error: {reason}");
            ExitCode::from(2)
        }
    }
}

/// A connected client with the caller's token.
struct Client {
    channel: Channel,
    token: Option<String>,
    /// Whether the connection is TLS (https).
    tls: bool,
}

impl Client {
    async fn connect(addr: &str, token: Option<String>, tls: &TlsArgs) -> Result<Self, Failure> {
        let url = tls.url(addr).map_err(Failure::Connection)?;
        let failed = |reason: String| {
            Failure::Connection(format!("CTL_CONNECT_FAILED addr={url} reason={reason}"))
        };
        let mut endpoint = Endpoint::from_shared(url.clone())
            .map_err(|e| failed(e.to_string()))?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALL_TIMEOUT);
        let https = endpoint.uri().scheme_str() == Some("https");
        if https {
            let config = tls.client_config().map_err(Failure::Connection)?;
            endpoint = endpoint
                .tls_config(config)
                .map_err(|e| failed(error_chain(&e)))?;
        }
        let channel = endpoint
            .connect()
            .await
            .map_err(|e| failed(error_chain(&e)))?;
        Ok(Self {
            channel,
            token,
            tls: https,
        })
    }

    fn request<T>(&self, message: T) -> Result<Request<T>, Failure> {
        let mut request = Request::new(message);
        if let Some(token) = &self.token {
            let value = format!("Bearer {token}").parse().map_err(|_| {
                Failure::Connection("CTL_BAD_TOKEN reason=not printable ASCII".into())
            })?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

/// `error` and its sources, joined with `: ` (a TLS alert is usually a few sources deep).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        reason = format!("{reason}: {inner}");
        source = inner.source();
    }
    reason
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let client = Client::connect(&cli.addr, cli.token.clone(), &cli.tls).await?;
    let tls = client.tls;
    call(cli, client).await.map_err(|failure| match failure {
        Failure::Connection(reason) if tls && reason.starts_with("CTL_CONNECTION_LOST") => {
            Failure::Connection(reason + TLS_HINT)
        }
        other => other,
    })
}

async fn call(cli: Cli, client: Client) -> Result<(), Failure> {
    let out = Output { json: cli.json };
    let channel = client.channel.clone();
    match cli.command {
        Command::Positions { symbol } => {
            let request = GetPositionsRequest {
                instrument_symbol: symbol.unwrap_or_default(),
            };
            let reply = PositionsClient::new(channel)
                .get(client.request(request)?)
                .await?;
            out.positions(reply.get_ref());
        }
        Command::Orders { id: Some(id), .. } => {
            let request = GetParentRequest {
                parent_order_id: id,
            };
            let reply = OrdersClient::new(channel)
                .get(client.request(request)?)
                .await?;
            out.order(reply.get_ref());
        }
        Command::Orders {
            id: None,
            active,
            limit,
        } => {
            let request = ListParentsRequest {
                active_only: active,
                limit,
            };
            let reply = OrdersClient::new(channel)
                .list(client.request(request)?)
                .await?;
            out.orders(&reply.get_ref().orders);
        }
        Command::Submit(args) => {
            let reply = OrdersClient::new(channel)
                .submit(client.request(args.into_request())?)
                .await?;
            out.order(reply.get_ref());
        }
        Command::Cancel { id } => {
            let request = CancelParentRequest {
                parent_order_id: id,
            };
            let reply = OrdersClient::new(channel)
                .cancel(client.request(request)?)
                .await?;
            out.order(reply.get_ref());
        }
        Command::Limits { command } => {
            let mut limits = LimitsClient::new(channel);
            let reply = match command.unwrap_or(LimitsCommand::Get { symbol: None }) {
                LimitsCommand::Get { symbol } => {
                    let request = GetLimitsRequest {
                        instrument_symbol: symbol.unwrap_or_default(),
                    };
                    limits.get(client.request(request)?).await?
                }
                LimitsCommand::Set(args) => {
                    limits.set(client.request(args.into_request())?).await?
                }
            };
            out.limits(reply.get_ref());
        }
        Command::Kill { command } => {
            let mut kill = KillSwitchClient::new(channel);
            let reply = match command.unwrap_or(KillCommand::Status) {
                KillCommand::Status => {
                    kill.status(client.request(KillSwitchStatusRequest {})?)
                        .await?
                }
                KillCommand::On(args) => {
                    kill.activate(client.request(args.into_request())?).await?
                }
                KillCommand::Off(args) => {
                    kill.deactivate(client.request(args.into_request())?)
                        .await?
                }
            };
            out.kill_switch(reply.get_ref());
        }
        Command::Venues => {
            let reply = VenuesClient::new(channel)
                .list(client.request(ListVenuesRequest {})?)
                .await?;
            out.venues(reply.get_ref());
        }
    }
    Ok(())
}
