//! Idle strategies: what a polling loop does after a duty cycle that did no work.
//!
//! Modelled on Aeron's `aeron_idle_strategy.c`: the loop calls [`IdleStrategy::idle`] with the
//! work count of the last duty cycle; a non-zero count resets the strategy, zero escalates it.
//! Busy-spin is for production on isolated cores. On a 2-core machine a busy-spinning thread
//! starves its peer, so tests and CI configure `backoff` or `sleep`.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The idle strategy as written in configuration, e.g. `idle = { kind = "backoff" }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum IdleStrategyConfig {
    /// Never yields the CPU: lowest latency, one full core per loop.
    BusySpin,
    /// `std::thread::yield_now()` on every idle cycle.
    Yield,
    /// Spin `max_spins` times, then yield `max_yields` times, then park for an exponentially
    /// growing time from `min_park_ns` to `max_park_ns` (Aeron's BackoffIdleStrategy).
    Backoff {
        /// Idle cycles spent spinning before yielding.
        #[serde(default = "default_max_spins")]
        max_spins: u32,
        /// Idle cycles spent yielding before parking.
        #[serde(default = "default_max_yields")]
        max_yields: u32,
        /// First park duration, ns.
        #[serde(default = "default_min_park_ns")]
        min_park_ns: u64,
        /// Longest park duration, ns.
        #[serde(default = "default_max_park_ns")]
        max_park_ns: u64,
    },
    /// Sleep a fixed `sleep_ns` on every idle cycle.
    Sleep {
        /// Sleep duration, ns.
        #[serde(default = "default_sleep_ns")]
        sleep_ns: u64,
    },
}

fn default_max_spins() -> u32 {
    10
}
fn default_max_yields() -> u32 {
    5
}
fn default_min_park_ns() -> u64 {
    1_000
}
fn default_max_park_ns() -> u64 {
    1_000_000
}
fn default_sleep_ns() -> u64 {
    1_000_000
}

impl Default for IdleStrategyConfig {
    /// Backoff with Aeron's defaults: safe on a shared machine, sub-millisecond wake-up.
    fn default() -> Self {
        IdleStrategyConfig::Backoff {
            max_spins: default_max_spins(),
            max_yields: default_max_yields(),
            min_park_ns: default_min_park_ns(),
            max_park_ns: default_max_park_ns(),
        }
    }
}

/// A running idle strategy with its escalation state.
#[derive(Clone, Debug)]
pub struct IdleStrategy {
    config: IdleStrategyConfig,
    spins: u32,
    yields: u32,
    park_ns: u64,
}

impl IdleStrategy {
    /// Builds the strategy described by `config`.
    pub fn new(config: IdleStrategyConfig) -> Self {
        let park_ns = match config {
            IdleStrategyConfig::Backoff { min_park_ns, .. } => min_park_ns,
            _ => 0,
        };
        Self {
            config,
            spins: 0,
            yields: 0,
            park_ns,
        }
    }

    /// The configuration this strategy was built from.
    pub fn config(&self) -> IdleStrategyConfig {
        self.config
    }

    /// Called after every duty cycle with the work it did; idles only when `work_count == 0`.
    #[inline]
    pub fn idle(&mut self, work_count: usize) {
        if work_count > 0 {
            self.reset();
            return;
        }
        match self.config {
            IdleStrategyConfig::BusySpin => std::hint::spin_loop(),
            IdleStrategyConfig::Yield => std::thread::yield_now(),
            IdleStrategyConfig::Sleep { sleep_ns } => {
                std::thread::sleep(Duration::from_nanos(sleep_ns))
            }
            IdleStrategyConfig::Backoff {
                max_spins,
                max_yields,
                min_park_ns,
                max_park_ns,
            } => {
                if self.spins < max_spins {
                    self.spins += 1;
                    std::hint::spin_loop();
                } else if self.yields < max_yields {
                    self.yields += 1;
                    std::thread::yield_now();
                } else {
                    std::thread::park_timeout(Duration::from_nanos(self.park_ns));
                    self.park_ns = (self.park_ns.saturating_mul(2)).clamp(min_park_ns, max_park_ns);
                }
            }
        }
    }

    /// Returns to the cheapest idle state; called when work arrives.
    #[inline]
    pub fn reset(&mut self) {
        self.spins = 0;
        self.yields = 0;
        if let IdleStrategyConfig::Backoff { min_park_ns, .. } = self.config {
            self.park_ns = min_park_ns;
        }
    }

    /// Current park duration of a backoff strategy, ns (0 for the others). For tests and stats.
    pub fn park_ns(&self) -> u64 {
        self.park_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_escalates_then_resets_on_work() {
        let mut idle = IdleStrategy::new(IdleStrategyConfig::Backoff {
            max_spins: 2,
            max_yields: 1,
            min_park_ns: 1_000,
            max_park_ns: 4_000,
        });
        for _ in 0..3 {
            idle.idle(0); // 2 spins + 1 yield
        }
        assert_eq!(idle.park_ns(), 1_000);
        idle.idle(0);
        assert_eq!(idle.park_ns(), 2_000);
        idle.idle(0);
        idle.idle(0);
        idle.idle(0);
        assert_eq!(idle.park_ns(), 4_000, "capped at max_park_ns");
        idle.idle(1);
        assert_eq!(idle.park_ns(), 1_000, "work resets the backoff");
    }

    #[test]
    fn config_parses_by_name_with_defaults() {
        use figment::providers::Format;
        #[derive(Deserialize)]
        struct C {
            idle: IdleStrategyConfig,
        }
        let c: C = figment::Figment::new()
            .merge(figment::providers::Toml::string(
                "idle = { kind = \"sleep\" }",
            ))
            .extract()
            .unwrap();
        assert_eq!(
            c.idle,
            IdleStrategyConfig::Sleep {
                sleep_ns: 1_000_000
            }
        );
        let bad = figment::Figment::new()
            .merge(figment::providers::Toml::string(
                "idle = { kind = \"nap\" }",
            ))
            .extract::<C>();
        assert!(bad.is_err());
    }
}
