//! # crossbar-integration-tests
//!
//! A small harness for tests that run Crossbar's real binaries as separate processes over
//! real sockets and real Aeron: [`binary`] finds (or builds) a workspace binary,
//! [`ChildProcess`] starts one with captured output and stops it with SIGTERM or SIGKILL
//! (SIGKILL when dropped unstopped, e.g. by a failing test), [`free_udp_port`] and
//! [`free_tcp_port`] find loopback ports, [`aeron_dir`] gives each test its own Aeron directory
//! under `/dev/shm`. The tests themselves are in `tests/`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Path of the workspace binary `name` of package `package`. `ops/test.sh` builds every
/// workspace binary first (`cargo build --workspace --bins`); when a test is run on its own and
/// the binary is missing, the same command is run here, so the binaries are built with the
/// workspace's unified features and nothing (rusteron's C build above all) is compiled twice.
///
/// # Panics
/// If the build fails: a test cannot run without the binary it tests.
pub fn binary(package: &str, name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = profile_dir.join(name);
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--workspace", "--bins"]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(
            status.success(),
            "cargo build --workspace --bins failed (needed for {package}'s {name})"
        );
    }
    assert!(
        path.exists(),
        "binary {name} not found at {}",
        path.display()
    );
    path
}

/// A loopback UDP port that was free a moment ago, below the kernel's ephemeral range (see
/// [`free_tcp_port`] for why).
pub fn free_udp_port() -> u16 {
    free_port(|port| std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok())
}

/// A loopback TCP port that was free a moment ago, for a server whose address another process
/// must be configured with before the server starts.
///
/// Taken below the kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`), never
/// from it: a port from the range (what binding port 0 gives) can be handed by the kernel to
/// any outgoing connection before the server binds it. The gateways' OUCH clients, retrying
/// every 200 ms against a venue simulator not yet listening, did exactly that in CI: the
/// simulator then failed with `Address already in use`. No port is given twice by one test
/// process; the first candidate depends on the process id, so test binaries run one after
/// another start at different ports.
pub fn free_tcp_port() -> u16 {
    free_port(|port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
}

/// Lowest port [`free_port`] hands out.
const TEST_PORTS_FROM: u16 = 10_000;

/// The first port of the kernel's ephemeral range (32,768 when it cannot be read).
fn ephemeral_ports_from() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

/// The next port in `TEST_PORTS_FROM..ephemeral_ports_from()` (cycling, process-wide) that
/// `bindable` accepts.
///
/// # Panics
/// When no port in the range is bindable, or the range is empty.
fn free_port(bindable: impl Fn(u16) -> bool) -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let end = ephemeral_ports_from();
    assert!(
        end > TEST_PORTS_FROM,
        "no test ports below the ephemeral range (it starts at {end})"
    );
    let span = u32::from(end - TEST_PORTS_FROM);
    // Offset of the process's first candidate: spread by process id.
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7_919) % span,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    for _ in 0..span {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed) % span;
        let port = TEST_PORTS_FROM + offset as u16;
        if bindable(port) {
            return port;
        }
    }
    panic!("no bindable loopback port in {TEST_PORTS_FROM}..{end}");
}

/// A fresh Aeron directory path for one test, under `/dev/shm` (the driver creates it).
pub fn aeron_dir(test: &str) -> PathBuf {
    let unique = format!(
        "crossbar-test-{test}-{}-{}",
        std::process::id(),
        nanos_now()
    );
    PathBuf::from("/dev/shm").join(unique)
}

fn nanos_now() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// A running child process whose stdout lines arrive on a channel and whose stderr is kept.
pub struct ChildProcess {
    name: String,
    child: Child,
    stdout: Receiver<String>,
    stdout_seen: Vec<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl ChildProcess {
    /// Starts `program` with `args` (and extra environment), capturing stdout and stderr.
    ///
    /// # Panics
    /// If the process cannot be spawned.
    pub fn spawn(name: &str, program: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
        let out = child.stdout.take().expect("piped stdout");
        let mut err = child.stderr.take().expect("piped stderr");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        Self {
            name: name.to_owned(),
            child,
            stdout: rx,
            stdout_seen: Vec::new(),
            stderr: Some(stderr),
        }
    }

    /// Waits until a stdout line contains `needle`; returns it.
    ///
    /// # Panics
    /// On timeout or if the process exits first, with everything it printed.
    pub fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => {
                    self.stdout_seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(e) => {
                    let _ = self.child.kill();
                    let status = self.child.wait().ok();
                    // The process is gone: its stderr (why it stopped) is complete now.
                    let stderr = self
                        .stderr
                        .take()
                        .and_then(|t| t.join().ok())
                        .unwrap_or_default();
                    let what = match e {
                        RecvTimeoutError::Timeout => format!("within {timeout:?}"),
                        RecvTimeoutError::Disconnected => format!("before exiting ({status:?})"),
                    };
                    panic!(
                        "{}: no line containing {needle:?} {what}; stdout so far:\n{}\nstderr:\n{stderr}",
                        self.name,
                        self.stdout_seen.join("\n")
                    );
                }
            }
        }
    }

    /// Sends SIGTERM and waits (up to `timeout`, then SIGKILL) for exit; returns the status,
    /// all stdout lines (including those already seen) and stderr.
    pub fn terminate(self, timeout: Duration) -> (ExitStatus, Vec<String>, String) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        self.wait(timeout)
    }

    /// Sends SIGKILL (no chance to clean up, as in a crash) and waits for the exit.
    pub fn kill(mut self) -> (ExitStatus, Vec<String>, String) {
        let _ = self.child.kill();
        self.wait(Duration::from_secs(10))
    }

    /// Waits up to `timeout` for the process to exit by itself (SIGKILL after that); returns
    /// the status, all stdout lines and stderr.
    pub fn wait(mut self, timeout: Duration) -> (ExitStatus, Vec<String>, String) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                break self.child.wait().expect("wait after kill");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut lines = std::mem::take(&mut self.stdout_seen);
        lines.extend(self.stdout.iter());
        let stderr = self
            .stderr
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        (status, lines, stderr)
    }
}

impl Drop for ChildProcess {
    /// A child still running when its handle goes away (a test failed before stopping it) is
    /// killed and reaped, so no process outlives its test.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Writes `contents` to `dir/name` and returns the path.
///
/// # Panics
/// If the file cannot be written.
pub fn write_file(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

#[cfg(test)]
mod port_tests {
    use super::{ephemeral_ports_from, free_port, free_tcp_port, free_udp_port, TEST_PORTS_FROM};

    #[test]
    fn ports_are_below_the_ephemeral_range_distinct_and_bindable() {
        let end = ephemeral_ports_from();
        let mut seen = std::collections::HashSet::new();
        for i in 0..40 {
            let port = if i % 2 == 0 {
                free_tcp_port()
            } else {
                free_udp_port()
            };
            assert!((TEST_PORTS_FROM..end).contains(&port), "port {port}");
            assert!(seen.insert(port), "port {port} handed out twice");
        }
        let tcp = free_tcp_port();
        std::net::TcpListener::bind(("127.0.0.1", tcp)).expect("free TCP port binds");
        let udp = free_udp_port();
        std::net::UdpSocket::bind(("127.0.0.1", udp)).expect("free UDP port binds");
    }

    #[test]
    fn ports_that_do_not_bind_are_skipped() {
        for _ in 0..10 {
            assert_eq!(free_port(|p| p % 3 == 0) % 3, 0);
        }
    }
}
