//! Agents and the runner that drives them, after Aeron's `aeron_agent.c`.
//!
//! An agent does a bounded amount of work per duty cycle and returns how much it did; it never
//! blocks and never sleeps. The runner owns the loop, the clock read and the idle strategy, so
//! the same agent runs busy-spinning in production and backing off in tests.

use crate::idle::{IdleStrategy, IdleStrategyConfig};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// A unit of work driven by an [`AgentRunner`].
pub trait Agent: Send {
    /// Name for logs and thread names (at most 15 bytes are used for the OS thread name).
    fn role_name(&self) -> &str;

    /// Does one duty cycle at wall-clock time `now_ns` (UTC ns) and returns the number of
    /// items of work done (messages polled, bytes sent, timers fired); 0 means "idle".
    fn do_work(&mut self, now_ns: u64) -> usize;

    /// Called once on the runner's thread before the first duty cycle.
    fn on_start(&mut self) {}

    /// Called once on the runner's thread after the last duty cycle.
    fn on_close(&mut self) {}
}

/// Several agents run in turn on one thread (Aeron's SHARED threading mode): one duty cycle
/// of the composite is one duty cycle of each member; the work counts add up.
pub struct CompositeAgent {
    name: String,
    agents: Vec<Box<dyn Agent>>,
}

impl CompositeAgent {
    /// Combines `agents` under the role name `name`.
    pub fn new(name: impl Into<String>, agents: Vec<Box<dyn Agent>>) -> Self {
        Self {
            name: name.into(),
            agents,
        }
    }
}

impl Agent for CompositeAgent {
    fn role_name(&self) -> &str {
        &self.name
    }
    fn do_work(&mut self, now_ns: u64) -> usize {
        self.agents.iter_mut().map(|a| a.do_work(now_ns)).sum()
    }
    fn on_start(&mut self) {
        self.agents.iter_mut().for_each(|a| a.on_start());
    }
    fn on_close(&mut self) {
        self.agents.iter_mut().for_each(|a| a.on_close());
    }
}

/// Counters a runner publishes about its loop; read from any thread, written only by the
/// runner's thread (relaxed stores: [`run_loop`] is their single writer).
#[derive(Debug, Default)]
pub struct RunnerStats {
    /// Duty cycles executed.
    pub duty_cycles: AtomicU64,
    /// Sum of work counts returned by `do_work`.
    pub work_items: AtomicU64,
    /// Longest single duty cycle that did work, ns (Aeron's "duty cycle time max"); idle
    /// cycles (work count 0) are not timed, so the loop reads the clock once per cycle.
    pub duty_cycle_ns_max: AtomicU64,
}

/// Wall-clock time as UTC ns, read once per duty cycle by the runner ([`run_loop`]).
#[inline]
pub fn wall_clock_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Drives one agent on a dedicated thread until stopped.
pub struct AgentRunner {
    running: Arc<AtomicBool>,
    stats: Arc<RunnerStats>,
    handle: Option<JoinHandle<()>>,
}

impl AgentRunner {
    /// Spawns a thread named after the agent that calls `do_work` until [`AgentRunner::stop`].
    ///
    /// # Errors
    /// The OS error if the thread cannot be spawned.
    pub fn start<A: Agent + 'static>(
        mut agent: A,
        idle: IdleStrategyConfig,
    ) -> std::io::Result<Self> {
        let running = Arc::new(AtomicBool::new(true));
        let stats = Arc::new(RunnerStats::default());
        let name: String = agent.role_name().chars().take(15).collect();
        let (r, s) = (running.clone(), stats.clone());
        let handle = std::thread::Builder::new().name(name).spawn(move || {
            run_loop(
                &mut agent,
                IdleStrategy::new(idle),
                || r.load(Ordering::Acquire),
                &s,
            );
        })?;
        Ok(Self {
            running,
            stats,
            handle: Some(handle),
        })
    }

    /// The runner's loop statistics.
    pub fn stats(&self) -> &Arc<RunnerStats> {
        &self.stats
    }

    /// A flag that stops the loop when cleared; hand it to signal handlers.
    pub fn running_flag(&self) -> Arc<AtomicBool> {
        self.running.clone()
    }

    /// Asks the loop to stop after its current duty cycle and waits for the thread.
    /// Returns `false` if the agent thread panicked.
    pub fn stop(mut self) -> bool {
        self.running.store(false, Ordering::Release);
        self.handle.take().map(|h| h.join().is_ok()).unwrap_or(true)
    }
}

impl Drop for AgentRunner {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Release);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Runs `agent` on the calling thread while `keep_running()` is true (checked once per duty
/// cycle). Used by [`AgentRunner`] and by processes whose main thread is the agent thread
/// (with [`crate::shutdown::ShutdownSignal::is_running`]). The loop is `stats`' only writer:
/// give each running loop its own [`RunnerStats`] (two loops sharing one would lose counts).
pub fn run_loop<A: Agent + ?Sized>(
    agent: &mut A,
    mut idle: IdleStrategy,
    keep_running: impl Fn() -> bool,
    stats: &RunnerStats,
) {
    agent.on_start();
    // One clock read per duty cycle: a cycle that did work reads the clock when it ends, which
    // is both its duration's end and the next cycle's `now` (the idle strategy returns at once
    // after work); an idle cycle reads it after idling instead. The duration comes from the
    // wall clock, so a clock step inside a working cycle distorts that one sample (NTP slews).
    // This thread is the stats' only writer: relaxed loads and stores, no atomic
    // read-modify-write (which would wait for the duty cycle's stores to drain every cycle).
    let mut now_ns = wall_clock_ns();
    while keep_running() {
        let work = agent.do_work(now_ns);
        bump(&stats.duty_cycles, 1);
        if work > 0 {
            let end_ns = wall_clock_ns();
            bump(&stats.work_items, work as u64);
            let took = end_ns.saturating_sub(now_ns);
            if took > stats.duty_cycle_ns_max.load(Ordering::Relaxed) {
                stats.duty_cycle_ns_max.store(took, Ordering::Relaxed);
            }
            now_ns = end_ns;
            idle.idle(work);
        } else {
            idle.idle(work);
            now_ns = wall_clock_ns();
        }
    }
    agent.on_close();
}

/// Adds `n` to a counter this thread alone writes (see `Counter::increment_single_writer`).
#[inline]
fn bump(cell: &AtomicU64, n: u64) {
    cell.store(
        cell.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Relaxed,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    struct CountDown {
        left: usize,
        log: Arc<Mutex<Vec<&'static str>>>,
    }
    impl Agent for CountDown {
        fn role_name(&self) -> &str {
            "countdown"
        }
        fn do_work(&mut self, now_ns: u64) -> usize {
            assert!(now_ns > 0);
            if self.left == 0 {
                return 0;
            }
            self.left -= 1;
            1
        }
        fn on_start(&mut self) {
            self.log.lock().unwrap().push("start");
        }
        fn on_close(&mut self) {
            self.log.lock().unwrap().push("close");
        }
    }

    #[test]
    fn runner_drives_agent_until_stopped() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let a = CountDown {
            left: 100,
            log: log.clone(),
        };
        let b = CountDown {
            left: 50,
            log: log.clone(),
        };
        let composite = CompositeAgent::new("pair", vec![Box::new(a), Box::new(b)]);
        let runner =
            AgentRunner::start(composite, IdleStrategyConfig::Sleep { sleep_ns: 100_000 }).unwrap();
        let stats = runner.stats().clone();
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while stats.work_items.load(Ordering::Relaxed) < 150 && Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(runner.stop());
        assert_eq!(stats.work_items.load(Ordering::Relaxed), 150);
        assert!(stats.duty_cycles.load(Ordering::Relaxed) >= 100);
        assert_eq!(
            *log.lock().unwrap(),
            vec!["start", "start", "close", "close"]
        );
    }

    /// Works (sleeping 3 ms) on every other cycle and records the `now_ns` it is given.
    struct Stamps {
        cycle: usize,
        seen: Arc<Mutex<Vec<(u64, bool)>>>,
    }
    impl Agent for Stamps {
        fn role_name(&self) -> &str {
            "stamps"
        }
        fn do_work(&mut self, now_ns: u64) -> usize {
            self.cycle += 1;
            let works = self.cycle % 2 == 1 && self.cycle < 8;
            self.seen.lock().unwrap().push((now_ns, works));
            if works {
                std::thread::sleep(Duration::from_millis(3));
            }
            usize::from(works)
        }
    }

    #[test]
    fn each_cycle_gets_a_fresh_now_and_working_cycles_are_timed() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let agent = Stamps {
            cycle: 0,
            seen: seen.clone(),
        };
        let runner = AgentRunner::start(
            agent,
            IdleStrategyConfig::Sleep {
                sleep_ns: 1_000_000,
            },
        )
        .unwrap();
        let stats = runner.stats().clone();
        let deadline = Instant::now() + Duration::from_secs(10);
        while seen.lock().unwrap().len() < 10 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(runner.stop());
        let seen = seen.lock().unwrap();
        assert!(seen.len() >= 10);
        // After a working cycle (3 ms) or an idle one (1 ms sleep), the next `now` has moved
        // on by at least that long: the clock is read after the work or after the idling.
        for pair in seen.windows(2) {
            let ((before, worked), (after, _)) = (pair[0], pair[1]);
            let at_least = if worked { 3_000_000 } else { 1_000_000 };
            assert!(
                after >= before + at_least,
                "{before} -> {after} worked={worked}"
            );
        }
        assert!(stats.duty_cycle_ns_max.load(Ordering::Relaxed) >= 3_000_000);
        assert_eq!(stats.work_items.load(Ordering::Relaxed), 4);
    }
}
