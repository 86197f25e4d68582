//! The `[transport]` configuration section: where the media driver lives, how it runs, and
//! which channels and stream ids each named publication and subscription uses.
//!
//! Channels and stream ids are configuration, never code: a gateway names its streams
//! (`orders`, `fills`) and the deployment maps each name to an Aeron channel URI and stream id
//! (Aeron channel URI syntax: `aeron:ipc`, `aeron:udp?endpoint=127.0.0.1:40123`).
//!
//! ```toml
//! [transport]
//! aeron_dir = "/dev/shm/crossbar-gw1"
//! embedded_driver = true
//! driver_threading = "shared"
//! idle = { kind = "backoff" }
//! [transport.publications.orders]
//! channel = "aeron:ipc"
//! stream_id = 1001
//! [transport.subscriptions.fills]
//! channel = "aeron:udp?endpoint=127.0.0.1:40124"
//! stream_id = 1002
//! ```

use crate::error::TransportError;
use crossbar_runtime::IdleStrategyConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Smallest term buffer Aeron accepts, bytes (Aeron `AERON_LOGBUFFER_TERM_MIN_LENGTH`).
pub const TERM_LENGTH_MIN: usize = 64 * 1024;
/// Largest term buffer Aeron accepts, bytes (Aeron `AERON_LOGBUFFER_TERM_MAX_LENGTH`).
pub const TERM_LENGTH_MAX: usize = 1024 * 1024 * 1024;

/// How the media driver's agents (conductor, sender, receiver) are spread over threads
/// (Aeron driver `threading.mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriverThreading {
    /// One thread runs conductor, sender and receiver in turn. Fewest threads; the right
    /// choice on small machines and for IPC-only processes. Default.
    #[default]
    Shared,
    /// Conductor, sender and receiver each get a thread (lowest UDP latency, 3 cores).
    Dedicated,
    /// Conductor on one thread, sender and receiver sharing another.
    SharedNetwork,
}

/// One named stream: an Aeron channel URI and a stream id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamConfig {
    /// Aeron channel URI, e.g. `aeron:ipc` or `aeron:udp?endpoint=127.0.0.1:40123`.
    pub channel: String,
    /// Aeron stream id within the channel.
    pub stream_id: i32,
}

impl StreamConfig {
    /// A stream on `channel` with `stream_id`.
    pub fn new(channel: impl Into<String>, stream_id: i32) -> Self {
        Self {
            channel: channel.into(),
            stream_id,
        }
    }
}

/// The transport section of a process's configuration. Every field has a default, so an
/// empty section is valid; unknown keys are errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransportConfig {
    /// The Aeron directory (CnC file, log buffers). Default `/dev/shm/crossbar-<user>`
    /// (`<user>` from `$USER`, else `default`). An embedded driver deletes and recreates it
    /// on start and deletes it on shutdown, so never point it at another driver's directory
    /// while `embedded_driver = true`.
    pub aeron_dir: PathBuf,
    /// `true` (default): start a media driver inside this process. `false`: connect to an
    /// external driver already running at `aeron_dir`.
    pub embedded_driver: bool,
    /// Threading mode of the embedded driver. Default `shared`.
    pub driver_threading: DriverThreading,
    /// Term buffer length for IPC publications, bytes; a power of two in 64 KiB..=1 GiB.
    /// The log is 3 terms plus a 4 KiB trailer. Default 4 MiB. The largest message is
    /// `term length / 8`.
    pub ipc_term_buffer_length: usize,
    /// Term buffer length for UDP publications and images, bytes; a power of two in
    /// 64 KiB..=1 GiB. Default 4 MiB.
    pub udp_term_buffer_length: usize,
    /// How long the client waits for the driver to answer before declaring it dead, and the
    /// bound on adding a publication or subscription, ms. Default 10 000 (Aeron's default).
    pub driver_timeout_ms: u64,
    /// Idle strategy of the embedded driver's threads. Default backoff.
    pub driver_idle: IdleStrategyConfig,
    /// Idle strategy used while waiting (for a publication or subscription to be added, for
    /// a connection) and by `offer_with_retry` callers that take it from here. Default
    /// backoff.
    pub idle: IdleStrategyConfig,
    /// Named publications, e.g. `orders = { channel = "aeron:ipc", stream_id = 1001 }`.
    pub publications: BTreeMap<String, StreamConfig>,
    /// Named subscriptions.
    pub subscriptions: BTreeMap<String, StreamConfig>,
}

/// The default Aeron directory, `/dev/shm/crossbar-<user>`.
pub fn default_aeron_dir() -> PathBuf {
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "default".to_owned());
    PathBuf::from(format!("/dev/shm/crossbar-{user}"))
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            aeron_dir: default_aeron_dir(),
            embedded_driver: true,
            driver_threading: DriverThreading::Shared,
            ipc_term_buffer_length: 4 * 1024 * 1024,
            udp_term_buffer_length: 4 * 1024 * 1024,
            driver_timeout_ms: 10_000,
            driver_idle: IdleStrategyConfig::default(),
            idle: IdleStrategyConfig::default(),
            publications: BTreeMap::new(),
            subscriptions: BTreeMap::new(),
        }
    }
}

impl TransportConfig {
    /// Checks the values serde cannot: term lengths, timeout, directory and stream entries.
    ///
    /// # Errors
    /// [`TransportError::InvalidConfig`] naming the first bad key.
    pub fn validate(&self) -> Result<(), TransportError> {
        check_term_length(
            "transport.ipc_term_buffer_length",
            self.ipc_term_buffer_length,
        )?;
        check_term_length(
            "transport.udp_term_buffer_length",
            self.udp_term_buffer_length,
        )?;
        if self.driver_timeout_ms == 0 {
            return Err(invalid("transport.driver_timeout_ms", "must be > 0"));
        }
        if self.aeron_dir.as_os_str().is_empty() {
            return Err(invalid("transport.aeron_dir", "must not be empty"));
        }
        for (kind, map) in [
            ("publications", &self.publications),
            ("subscriptions", &self.subscriptions),
        ] {
            for (name, stream) in map {
                stream.validate(&format!("transport.{kind}.{name}"))?;
            }
        }
        Ok(())
    }
}

impl StreamConfig {
    /// Checks that the channel is an Aeron URI without NUL bytes.
    ///
    /// # Errors
    /// [`TransportError::InvalidConfig`] with `key` = `<key>.channel`.
    pub fn validate(&self, key: &str) -> Result<(), TransportError> {
        if !self.channel.starts_with("aeron:") {
            return Err(invalid(&format!("{key}.channel"), "must start with aeron:"));
        }
        if self.channel.contains('\0') {
            return Err(invalid(&format!("{key}.channel"), "contains a NUL byte"));
        }
        Ok(())
    }
}

fn check_term_length(key: &str, length: usize) -> Result<(), TransportError> {
    if !(TERM_LENGTH_MIN..=TERM_LENGTH_MAX).contains(&length) || !length.is_power_of_two() {
        return Err(invalid(
            key,
            &format!("{length} is not a power of two in 65536..=1073741824"),
        ));
    }
    Ok(())
}

fn invalid(key: &str, reason: &str) -> TransportError {
    TransportError::InvalidConfig {
        key: key.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail closures return figment::Error
mod tests {
    use super::*;
    use crossbar_runtime::load_config;
    use std::path::Path;

    #[derive(Debug, Default, Serialize, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Root {
        transport: TransportConfig,
    }

    #[test]
    fn toml_sets_streams_and_driver_and_keeps_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "c.toml",
                r#"
                [transport]
                aeron_dir = "/dev/shm/crossbar-cfgtest"
                driver_threading = "shared_network"
                ipc_term_buffer_length = 65536
                idle = { kind = "sleep", sleep_ns = 1000 }
                driver_idle = { kind = "yield" }
                [transport.publications.orders]
                channel = "aeron:ipc"
                stream_id = 1001
                [transport.subscriptions.fills]
                channel = "aeron:udp?endpoint=127.0.0.1:40124"
                stream_id = 1002
                "#,
            )?;
            let c: Root = load_config(Some(Path::new("c.toml"))).map_err(|e| e.to_string())?;
            let t = c.transport;
            assert_eq!(t.aeron_dir, PathBuf::from("/dev/shm/crossbar-cfgtest"));
            assert!(t.embedded_driver, "default kept");
            assert_eq!(t.driver_threading, DriverThreading::SharedNetwork);
            assert_eq!(t.ipc_term_buffer_length, 65536);
            assert_eq!(t.udp_term_buffer_length, 4 * 1024 * 1024, "default kept");
            assert_eq!(t.idle, IdleStrategyConfig::Sleep { sleep_ns: 1000 });
            assert_eq!(t.driver_idle, IdleStrategyConfig::Yield);
            assert_eq!(
                t.publications["orders"],
                StreamConfig::new("aeron:ipc", 1001)
            );
            assert_eq!(t.subscriptions["fills"].stream_id, 1002);
            t.validate().map_err(|e| e.to_string())?;
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("a.toml", "[transport]\nembeded_driver = false\n")?;
            let err = load_config::<Root>(Some(Path::new("a.toml"))).unwrap_err();
            assert!(err.to_string().contains("embeded_driver"), "{err}");
            jail.create_file(
                "b.toml",
                "[transport.publications.x]\nchannel = \"aeron:ipc\"\nstream_id = 1\nstream = 2\n",
            )?;
            let err = load_config::<Root>(Some(Path::new("b.toml"))).unwrap_err();
            assert!(err.to_string().contains("stream"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn validate_names_the_bad_key() {
        let mut c = TransportConfig {
            ipc_term_buffer_length: 100_000,
            ..Default::default()
        };
        let err = c.validate().unwrap_err().to_string();
        assert!(
            err.starts_with("TRANSPORT_INVALID_CONFIG key=transport.ipc_term_buffer_length"),
            "{err}"
        );
        c.ipc_term_buffer_length = 32 * 1024;
        assert!(c.validate().is_err(), "below the 64 KiB minimum");
        c.ipc_term_buffer_length = 64 * 1024;
        c.publications
            .insert("orders".into(), StreamConfig::new("udp://x", 1));
        let err = c.validate().unwrap_err().to_string();
        assert!(
            err.contains("key=transport.publications.orders.channel"),
            "{err}"
        );
        c.publications
            .insert("orders".into(), StreamConfig::new("aeron:ipc", 1));
        c.driver_timeout_ms = 0;
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("driver_timeout_ms"));
        c.driver_timeout_ms = 1;
        assert!(c.validate().is_ok());
        assert!(TransportConfig::default().validate().is_ok());
        assert!(default_aeron_dir().starts_with("/dev/shm"));
    }
}
