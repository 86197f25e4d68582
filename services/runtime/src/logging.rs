//! Logging and tracing set-up with tracing-subscriber.
//!
//! The level filter comes from `RUST_LOG` when set (standard `EnvFilter` syntax), else from
//! [`LoggingConfig::level`]. Logs go to stderr so that stdout stays free for a tool's output.

use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

/// Output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Human,
    /// One JSON object per event (for log shippers).
    Json,
}

/// The `[logging]` section of every process's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// `human` or `json`. Default `human`.
    pub format: LogFormat,
    /// An `EnvFilter` directive such as `info` or `crossbar_transport=debug,info`.
    /// Default `info`. Overridden by `RUST_LOG`.
    pub level: String,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Human,
            level: "info".to_owned(),
        }
    }
}

/// Installs the global subscriber. Calling it twice is harmless (the second call is ignored).
///
/// # Errors
/// A message naming the bad `level` directive.
pub fn init_logging(config: &LoggingConfig) -> Result<(), String> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.is_empty() => EnvFilter::try_new(&v)
            .map_err(|e| format!("LOG_FILTER_INVALID RUST_LOG={v:?} reason={e}"))?,
        _ => EnvFilter::try_new(&config.level).map_err(|e| {
            format!(
                "LOG_FILTER_INVALID key=logging.level value={:?} reason={e}",
                config.level
            )
        })?,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_level_is_refused_with_key() {
        if std::env::var("RUST_LOG").is_ok() {
            return; // RUST_LOG takes precedence; nothing to check.
        }
        let err = init_logging(&LoggingConfig {
            level: "=[bad".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.contains("key=logging.level"), "{err}");
        assert!(init_logging(&LoggingConfig::default()).is_ok());
    }
}
