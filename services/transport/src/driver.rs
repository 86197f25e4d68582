//! The embedded Aeron media driver: rusteron's C driver running on a thread of this process.
//!
//! The driver owns the Aeron directory (CnC file, log buffers under `/dev/shm`) and moves
//! data between publications and subscriptions: for IPC it only manages the shared log
//! buffers (the data path is publisher memory → subscriber memory), for UDP its sender and
//! receiver agents do the socket I/O. Other processes reach it as an external driver by
//! pointing their client at the same directory.
//!
//! Lifecycle: [`EmbeddedDriver::start`] deletes any stale directory, initialises and starts
//! the driver on its own thread, and returns once it is running (or with its error). The
//! thread runs the driver's main duty cycle (in `shared` mode that is conductor, sender and
//! receiver) and idles with [`crossbar_runtime::IdleStrategy`] between cycles. Drop (or
//! [`EmbeddedDriver::stop`]) stops the loop, closes the driver and deletes the directory.
//! Clients of a stopped driver see driver-timeout errors, so stop clients first.

use crate::config::{DriverThreading, TransportConfig};
use crate::error::TransportError;
use crossbar_runtime::{Counter, IdleStrategy, IdleStrategyConfig};
use rusteron_media_driver::bindings::aeron_threading_mode_enum;
use rusteron_media_driver::{AeronCError, AeronDriver, AeronDriverContext, IntoCString};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A media driver running in this process, stopped and cleaned up on drop.
pub struct EmbeddedDriver {
    aeron_dir: PathBuf,
    stop: Arc<AtomicBool>,
    errors: Counter,
    handle: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for EmbeddedDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedDriver")
            .field("aeron_dir", &self.aeron_dir)
            .finish()
    }
}

impl EmbeddedDriver {
    /// Starts a driver at `config.aeron_dir` with the configured threading mode, term
    /// lengths, driver timeout and idle strategy, and waits until it runs.
    ///
    /// # Errors
    /// [`TransportError::InvalidConfig`] for bad values; [`TransportError::DriverStart`] if
    /// Aeron refuses the context or the driver fails to start.
    pub fn start(config: &TransportConfig) -> Result<Self, TransportError> {
        config.validate()?;
        let aeron_dir = config.aeron_dir.clone();
        let dir_text = aeron_dir.to_string_lossy().into_owned();
        let start_error = |reason: String| TransportError::DriverStart {
            aeron_dir: dir_text.clone(),
            reason,
        };
        let context = driver_context(config).map_err(|e| start_error(e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let errors = Counter::detached();
        let (started_tx, started_rx) = mpsc::sync_channel::<Result<(), String>>(1);
        let (thread_stop, thread_errors) = (stop.clone(), errors.clone());
        let idle = config.driver_idle;
        let handle = std::thread::Builder::new()
            .name("aeron-driver".to_owned())
            .spawn(move || run_driver(&context, idle, &thread_stop, &thread_errors, &started_tx))
            .map_err(|e| start_error(format!("cannot spawn driver thread: {e}")))?;
        let wait = Duration::from_millis(config.driver_timeout_ms.saturating_mul(2));
        let outcome = match started_rx.recv_timeout(wait) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                Err(format!("not started after {} ms", wait.as_millis()))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err("driver thread exited".to_owned()),
        };
        let driver = Self {
            aeron_dir,
            stop,
            errors,
            handle: Some(handle),
        };
        match outcome {
            Ok(()) => {
                tracing::info!(aeron_dir = %dir_text, threading = ?config.driver_threading, "media driver started");
                Ok(driver)
            }
            Err(reason) => Err(start_error(reason)), // drop stops and joins the thread
        }
    }

    /// The directory clients connect to.
    pub fn aeron_dir(&self) -> &Path {
        &self.aeron_dir
    }

    /// Errors returned by the driver's duty cycle so far (each is also logged).
    pub fn duty_cycle_errors(&self) -> u64 {
        self.errors.get()
    }

    /// Stops the driver now, closes it (deleting its directory) and waits for its thread.
    pub fn stop(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(handle) = self.handle.take() {
            if handle.join().is_err() {
                tracing::error!(aeron_dir = %self.aeron_dir.display(), "media driver thread panicked");
            }
        }
    }
}

impl Drop for EmbeddedDriver {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Body of the driver thread: create, start, report, then duty cycles until stopped. The
/// driver is created and driven on the same thread, as Aeron's `aeronmd` does.
fn run_driver(
    context: &AeronDriverContext,
    idle: IdleStrategyConfig,
    stop: &AtomicBool,
    errors: &Counter,
    started: &mpsc::SyncSender<Result<(), String>>,
) {
    let driver = match AeronDriver::new(context).and_then(|d| d.start(true).map(|_| d)) {
        Ok(driver) => driver,
        Err(e) => {
            let _ = started.send(Err(e.capture_errmsg().to_string()));
            return;
        }
    };
    let _ = started.send(Ok(()));
    let mut idle = IdleStrategy::new(idle);
    while !stop.load(Ordering::Acquire) {
        match driver.main_do_work() {
            Ok(work) => idle.idle(work.max(0) as usize),
            Err(e) => {
                errors.increment();
                tracing::error!(error = %e.capture_errmsg(), "media driver duty cycle failed");
                idle.idle(0);
            }
        }
    }
    drop(driver); // aeron_driver_close: releases the log buffers, deletes the directory
}

fn driver_context(config: &TransportConfig) -> Result<AeronDriverContext, AeronCError> {
    let context = AeronDriverContext::new()?;
    context.set_dir(&config.aeron_dir.to_string_lossy().as_ref().into_c_string())?;
    context.set_dir_delete_on_start(true)?;
    context.set_dir_delete_on_shutdown(true)?;
    context.set_threading_mode(match config.driver_threading {
        DriverThreading::Shared => aeron_threading_mode_enum::AERON_THREADING_MODE_SHARED,
        DriverThreading::Dedicated => aeron_threading_mode_enum::AERON_THREADING_MODE_DEDICATED,
        DriverThreading::SharedNetwork => {
            aeron_threading_mode_enum::AERON_THREADING_MODE_SHARED_NETWORK
        }
    })?;
    context.set_ipc_term_buffer_length(config.ipc_term_buffer_length)?;
    context.set_term_buffer_length(config.udp_term_buffer_length)?;
    context.set_driver_timeout_ms(config.driver_timeout_ms)?;
    let (name, args) = aeron_idle_strategy(config.driver_idle);
    let (name, args) = (name.into_c_string(), args.into_c_string());
    // Init args first: the driver validates them against the strategy when it loads it.
    context.set_shared_idle_strategy_init_args(&args)?;
    context.set_shared_idle_strategy(&name)?;
    context.set_conductor_idle_strategy_init_args(&args)?;
    context.set_conductor_idle_strategy(&name)?;
    context.set_sender_idle_strategy_init_args(&args)?;
    context.set_sender_idle_strategy(&name)?;
    context.set_receiver_idle_strategy_init_args(&args)?;
    context.set_receiver_idle_strategy(&name)?;
    context.set_sharednetwork_idle_strategy_init_args(&args)?;
    context.set_sharednetwork_idle_strategy(&name)?;
    Ok(context)
}

/// The Aeron C idle strategy name and init args equivalent to `config` (Aeron
/// `aeron_idle_strategy_load`: `spin`, `yield`, `sleeping` with a period in ns, `backoff`
/// with `maxSpins-maxYields-minParkNs-maxParkNs`). Used for the driver threads Aeron runs
/// itself (sender and receiver outside `shared` mode).
pub fn aeron_idle_strategy(config: IdleStrategyConfig) -> (&'static str, String) {
    match config {
        IdleStrategyConfig::BusySpin => ("spin", String::new()),
        IdleStrategyConfig::Yield => ("yield", String::new()),
        IdleStrategyConfig::Sleep { sleep_ns } => ("sleeping", sleep_ns.to_string()),
        IdleStrategyConfig::Backoff {
            max_spins,
            max_yields,
            min_park_ns,
            max_park_ns,
        } => (
            "backoff",
            format!("{max_spins}-{max_yields}-{min_park_ns}-{max_park_ns}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_strategies_map_to_aeron_names() {
        assert_eq!(
            aeron_idle_strategy(IdleStrategyConfig::BusySpin),
            ("spin", String::new())
        );
        assert_eq!(
            aeron_idle_strategy(IdleStrategyConfig::Yield),
            ("yield", String::new())
        );
        assert_eq!(
            aeron_idle_strategy(IdleStrategyConfig::Sleep { sleep_ns: 5 }),
            ("sleeping", "5".to_owned())
        );
        assert_eq!(
            aeron_idle_strategy(IdleStrategyConfig::default()),
            ("backoff", "10-5-1000-1000000".to_owned())
        );
    }
}
