//! Configuration of both echo roles.

use crossbar_runtime::{IdleStrategyConfig, LoggingConfig};
use crossbar_transport::TransportConfig;
use serde::{Deserialize, Serialize};

/// The whole file: `[logging]`, `[transport]` and `[echo]`.
///
/// The transport section must name a `requests` and a `replies` stream (publication or
/// subscription according to the role).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EchoConfig {
    /// Log format and level.
    pub logging: LoggingConfig,
    /// Aeron driver, client and the named streams.
    pub transport: TransportConfig,
    /// Timeouts and loop behaviour.
    pub echo: EchoSettings,
}

/// The `[echo]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EchoSettings {
    /// How long to wait for the driver (external mode) and for both streams to connect, ms.
    /// Default 20 000.
    pub connect_timeout_ms: u64,
    /// How long the initiator waits for each echo, ms. Default 5 000.
    pub reply_timeout_ms: u64,
    /// How many times the initiator sends the full set of message types. Default 1.
    pub rounds: u32,
    /// Initiator: send malformed buffers before the real messages. Default false.
    pub send_malformed: bool,
    /// Idle strategy of the responder's loop and the initiator's waits. Default backoff.
    pub idle: IdleStrategyConfig,
    /// Label printed with each result line, e.g. `ipc` or `udp`. Default: derived from the
    /// `requests` channel.
    pub label: Option<String>,
}

impl Default for EchoSettings {
    fn default() -> Self {
        Self {
            connect_timeout_ms: 20_000,
            reply_timeout_ms: 5_000,
            rounds: 1,
            send_malformed: false,
            idle: IdleStrategyConfig::default(),
            label: None,
        }
    }
}
