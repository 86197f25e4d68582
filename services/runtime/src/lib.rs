//! # crossbar-runtime
//!
//! What every Crossbar process shares around its agents, in the shape of Aeron's agent model:
//!
//! - [`agent`]: an [`Agent`] is a struct with `do_work(now_ns) -> usize`; an [`AgentRunner`]
//!   drives one (or a [`CompositeAgent`] of several, Aeron's "shared" mode) on a thread and
//!   idles with the configured [`IdleStrategy`] whenever a duty cycle did no work. The runner
//!   records the longest duty cycle in ns.
//! - [`idle`]: busy-spin, yield, backoff and sleep idle strategies, chosen by name in config.
//!   Production gateways busy-spin on a pinned core; tests and CI (2 cores) back off or sleep.
//! - [`config`]: typed configuration from a TOML file plus `CROSSBAR_` environment overrides
//!   (figment); a bad file or value is an error naming the key and the reason.
//! - [`logging`]: tracing-subscriber set-up, human or JSON, level from config or `RUST_LOG`.
//! - [`process`]: the start (config, logging, signals; exit 2 on bad config) and the counter
//!   dump at exit that every process binary shares.
//! - [`shutdown`]: SIGINT/SIGTERM turned into a flag the main loop checks.
//! - [`counters`]: named monotonic counters (atomic, lock-free) that agents bump on the hot
//!   path and operators read off it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod agent;
pub mod config;
pub mod counters;
pub mod idle;
pub mod logging;
pub mod process;
pub mod shutdown;

pub use agent::{Agent, AgentRunner, CompositeAgent, RunnerStats};
pub use config::{load_config, ConfigError};
pub use counters::{Counter, CounterSet};
pub use idle::{IdleStrategy, IdleStrategyConfig};
pub use logging::{init_logging, LogFormat, LoggingConfig};
pub use shutdown::ShutdownSignal;
