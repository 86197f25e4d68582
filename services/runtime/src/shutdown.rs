//! Orderly shutdown on SIGINT and SIGTERM.
//!
//! The signal handler only sets an atomic flag (async-signal-safe, via signal-hook); the main
//! loop sees it at its next duty cycle, finishes that cycle, runs `on_close` and exits 0.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Set when SIGINT or SIGTERM arrives (or [`ShutdownSignal::request`] is called).
#[derive(Clone, Debug)]
pub struct ShutdownSignal {
    requested: Arc<AtomicBool>,
}

impl ShutdownSignal {
    /// Registers handlers for SIGINT and SIGTERM.
    ///
    /// # Errors
    /// The OS error if a handler cannot be installed.
    pub fn install() -> std::io::Result<Self> {
        let requested = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(signal, requested.clone())?;
        }
        Ok(Self { requested })
    }

    /// True until shutdown is requested.
    #[inline]
    pub fn is_running(&self) -> bool {
        !self.requested.load(Ordering::Acquire)
    }

    /// Requests shutdown from inside the process (e.g. on a fatal error in another thread).
    pub fn request(&self) {
        self.requested.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigterm_sets_the_flag() {
        let signal = ShutdownSignal::install().unwrap();
        assert!(signal.is_running());
        signal_hook::low_level::raise(signal_hook::consts::SIGTERM).unwrap();
        assert!(!signal.is_running());
    }
}
