//! Typed configuration: defaults, then a TOML file, then `CROSSBAR_` environment overrides.
//!
//! Defaults come from the config types themselves (`#[serde(default)]` on every struct), not
//! from a serialized copy merged underneath: merging would mix a default variant's keys into a
//! tagged enum the file chose differently (e.g. backoff's `max_spins` into `kind = "sleep"`).
//!
//! Nested keys are separated by `__` in the environment: `CROSSBAR_TRANSPORT__STREAM_ID=1001`
//! overrides `[transport] stream_id`. Config structs use `#[serde(deny_unknown_fields)]`, so a
//! misspelt key is an error, not a silently ignored setting. Any error stops the process at
//! start with the key and the reason ([`ConfigError`]).

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Environment prefix for overrides.
pub const ENV_PREFIX: &str = "CROSSBAR_";

/// Why configuration could not be loaded. The message starts with a stable code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The named file does not exist or cannot be read.
    #[error("CONFIG_FILE_UNREADABLE path={path} reason={reason}")]
    FileUnreadable {
        /// The file given.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// A key has a bad value, is unknown, or the file is not valid TOML.
    #[error("CONFIG_INVALID key={key} reason={reason} source={source_name}")]
    Invalid {
        /// Dotted key path, e.g. `transport.stream_id` (`<root>` for whole-file errors).
        key: String,
        /// What is wrong with it.
        reason: String,
        /// Where the value came from (file path or environment variable).
        source_name: String,
    },
}

impl ConfigError {
    /// The dotted key the error is about, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { key, .. } => Some(key),
            ConfigError::FileUnreadable { .. } => None,
        }
    }
}

/// Loads `T` from the TOML file at `path` (when given) and the environment; keys absent from
/// both take `T`'s serde defaults, so every config struct carries `#[serde(default)]`.
///
/// # Errors
/// [`ConfigError::FileUnreadable`] if `path` is given but cannot be read;
/// [`ConfigError::Invalid`] naming the first bad key otherwise.
pub fn load_config<T>(path: Option<&Path>) -> Result<T, ConfigError>
where
    T: DeserializeOwned,
{
    let mut figment = Figment::new();
    if let Some(path) = path {
        // Toml::file ignores a missing file; a named file that is missing is an error here.
        std::fs::File::open(path).map_err(|e| ConfigError::FileUnreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        figment = figment.merge(Toml::file_exact(path));
    }
    figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__"));
    figment.extract::<T>().map_err(|e| {
        let first = e.into_iter().next();
        match first {
            Some(err) => {
                let key = if err.path.is_empty() {
                    "<root>".to_owned()
                } else {
                    err.path.join(".")
                };
                let source_name = err
                    .metadata
                    .as_ref()
                    .map(|m| match &m.source {
                        Some(s) => s.to_string(),
                        None => m.name.to_string(),
                    })
                    .unwrap_or_else(|| "unknown".to_owned());
                ConfigError::Invalid {
                    key,
                    reason: err.kind.to_string(),
                    source_name,
                }
            }
            None => ConfigError::Invalid {
                key: "<root>".to_owned(),
                reason: "unknown configuration error".to_owned(),
                source_name: "unknown".to_owned(),
            },
        }
    })
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error by design
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Inner {
        stream_id: u32,
        channel: String,
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Sample {
        name: String,
        inner: Inner,
    }

    #[test]
    fn file_then_env_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "name = \"gw\"\n[inner]\nstream_id = 7\n")?;
            jail.set_env("CROSSBAR_INNER__CHANNEL", "aeron:ipc");
            let c: Sample = load_config(Some(Path::new("c.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.name, "gw");
            assert_eq!(
                c.inner,
                Inner {
                    stream_id: 7,
                    channel: "aeron:ipc".into()
                }
            );
            jail.set_env("CROSSBAR_INNER__STREAM_ID", "9");
            let c: Sample = load_config(Some(Path::new("c.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.inner.stream_id, 9, "environment beats file");
            Ok(())
        });
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct WithIdle {
        idle: crate::IdleStrategyConfig,
    }

    #[test]
    fn tagged_enum_in_file_is_not_mixed_with_the_default_variant() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("i.toml", "idle = { kind = \"sleep\" }\n")?;
            let c: WithIdle = load_config(Some(Path::new("i.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(
                c.idle,
                crate::IdleStrategyConfig::Sleep {
                    sleep_ns: 1_000_000
                }
            );
            let c: WithIdle = load_config(None).map_err(|e| e.to_string())?;
            assert_eq!(
                c.idle,
                crate::IdleStrategyConfig::default(),
                "absent key takes the serde default"
            );
            Ok(())
        });
    }

    #[test]
    fn bad_value_names_the_key() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "[inner]\nstream_id = \"seven\"\n")?;
            let err = load_config::<Sample>(Some(Path::new("c.toml"))).unwrap_err();
            assert_eq!(err.key(), Some("inner.stream_id"), "{err}");
            assert!(
                err.to_string()
                    .starts_with("CONFIG_INVALID key=inner.stream_id"),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn unknown_key_and_bad_toml_and_missing_file_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("u.toml", "[inner]\nstream_idd = 1\n")?;
            let err = load_config::<Sample>(Some(Path::new("u.toml"))).unwrap_err();
            assert!(err.to_string().contains("stream_idd"), "{err}");
            jail.create_file("t.toml", "name = \n")?;
            let err = load_config::<Sample>(Some(Path::new("t.toml"))).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { .. }), "{err}");
            let err = load_config::<Sample>(Some(Path::new("missing.toml"))).unwrap_err();
            assert!(matches!(err, ConfigError::FileUnreadable { .. }), "{err}");
            Ok(())
        });
    }
}
