//! The real aggregator process with `[api.tls]` (mTLS, client_auth = "required", no bearer
//! token configured) and the real crossbarctl binary over it: a client certificate signed by
//! the configured CA engages and releases the kill switch and reads its status; without a
//! certificate crossbarctl is refused at the handshake; a key that does not match its
//! certificate stops the aggregator at start-up naming the file. Certificates are generated at
//! test time (services/aggregator/api/tests/common/pki.rs); nothing is committed.

#[allow(dead_code)]
#[path = "../../services/aggregator/api/tests/common/pki.rs"]
mod pki;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crossbar_integration_tests::{aeron_dir, binary, ChildProcess};
use pki::{Pki, CLIENT_NAME};

const DEADLINE: Duration = Duration::from_secs(120);
const IDLE: &str = "{kind=\"backoff\"}";

fn deploy_config() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/aggregator/aggregator.toml")
        .display()
        .to_string()
}

/// The aggregator alone (IPC layout, embedded media driver), its API on 127.0.0.1:0 with TLS
/// from `pki`, `key` as the server key.
fn start_aggregator(test: &str, pki: &Pki, key: &Path) -> ChildProcess {
    let journal = pki.dir.path().join("journal");
    let aeron = aeron_dir(test);
    let mut env: Vec<(String, String)> = vec![
        ("CROSSBAR_IDLE".into(), IDLE.into()),
        ("CROSSBAR_LOGGING__LEVEL".into(), "info".into()),
        (
            "CROSSBAR_JOURNAL__DIR".into(),
            journal.display().to_string(),
        ),
        (
            "CROSSBAR_JOURNAL__SEGMENT_SIZE_BYTES".into(),
            "1048576".into(),
        ),
        ("CROSSBAR_JOURNAL__PRETOUCH".into(), "false".into()),
        (
            "CROSSBAR_TRANSPORT__AERON_DIR".into(),
            aeron.display().to_string(),
        ),
        ("CROSSBAR_TRANSPORT__EMBEDDED_DRIVER".into(), "true".into()),
        (
            "CROSSBAR_TRANSPORT__DRIVER_THREADING".into(),
            "shared".into(),
        ),
        ("CROSSBAR_TRANSPORT__DRIVER_IDLE".into(), IDLE.into()),
        ("CROSSBAR_TRANSPORT__IDLE".into(), IDLE.into()),
        (
            "CROSSBAR_TRANSPORT__IPC_TERM_BUFFER_LENGTH".into(),
            "1048576".into(),
        ),
        (
            "CROSSBAR_TRANSPORT__UDP_TERM_BUFFER_LENGTH".into(),
            "1048576".into(),
        ),
        (
            "CROSSBAR_TRANSPORT__SUBSCRIPTIONS__MARKET_DATA__CHANNEL".into(),
            "aeron:ipc".into(),
        ),
        (
            "CROSSBAR_TRANSPORT__SUBSCRIPTIONS__EXECUTIONS__CHANNEL".into(),
            "aeron:ipc".into(),
        ),
        ("CROSSBAR_API__ADDR".into(), "127.0.0.1:0".into()),
        ("CROSSBAR_API__TOKENS".into(), "[]".into()),
        (
            "CROSSBAR_API__TLS__CERT".into(),
            pki.server_cert.display().to_string(),
        ),
        ("CROSSBAR_API__TLS__KEY".into(), key.display().to_string()),
        (
            "CROSSBAR_API__TLS__CLIENT_CA".into(),
            pki.ca.display().to_string(),
        ),
        ("CROSSBAR_API__TLS__CLIENT_AUTH".into(), "required".into()),
    ];
    for venue in 1..=3 {
        env.push((
            format!("CROSSBAR_TRANSPORT__PUBLICATIONS__ORDERS_{venue}__CHANNEL"),
            "aeron:ipc".into(),
        ));
    }
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    ChildProcess::spawn(
        "crossbar-aggregator",
        &binary("crossbar-aggregator", "crossbar-aggregator"),
        &["--config", &deploy_config()],
        &pairs,
    )
}

/// crossbarctl against `addr` with `args`: (exit code, stdout, stderr). No token, and no
/// TLS settings from the environment.
fn ctl(args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(binary("crossbarctl", "crossbarctl"));
    command.args(args);
    for var in [
        "CROSSBAR_TOKEN",
        "CROSSBAR_TLS_CA",
        "CROSSBAR_TLS_CERT",
        "CROSSBAR_TLS_KEY",
        "CROSSBAR_TLS_SERVER_NAME",
    ] {
        command.env_remove(var);
    }
    let out = command.output().expect("run crossbarctl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn grpc_port(ready: &str) -> u16 {
    let addr = ready
        .split_whitespace()
        .find_map(|w| w.strip_prefix("grpc="))
        .unwrap_or_else(|| panic!("no grpc= in {ready}"));
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

#[test]
fn the_aggregator_serves_mtls_and_crossbarctl_operates_it_with_a_client_certificate() {
    let pki = Pki::generate();
    let mut aggregator = start_aggregator("api-tls", &pki, &pki.server_key);
    let ready = aggregator.wait_for_line("AGGREGATOR_READY", DEADLINE);
    let addr = format!("localhost:{}", grpc_port(&ready));
    let (ca, cert, key) = (
        pki.ca.display().to_string(),
        pki.client_cert.display().to_string(),
        pki.client_key.display().to_string(),
    );
    let mtls = |args: &[&str]| {
        let mut all = vec![
            "--addr",
            &addr,
            "--tls-ca",
            &ca,
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--json",
        ];
        all.extend_from_slice(args);
        ctl(&all)
    };

    // KillSwitch.Status reads the published snapshot (every snapshot_interval_ms): poll it.
    let status_until = |what: &str, engaged: bool| {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let (code, stdout, stderr) = mtls(&["kill", "status"]);
            assert_eq!(code, 0, "kill status over mTLS: {stderr}");
            if stdout.contains("tls drill") == engaged {
                return;
            }
            assert!(Instant::now() < deadline, "{what}: {stdout}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    let (code, stdout, stderr) = mtls(&["kill", "on", "--all", "--reason", "tls drill"]);
    assert_eq!(code, 0, "kill on over mTLS: {stderr}");
    assert!(
        stdout.contains("tls drill"),
        "the reply shows it engaged: {stdout}"
    );
    status_until("the switch engaged", true);

    // No client certificate: refused at the handshake, exit 2; the switch stays engaged.
    let (code, _, stderr) = ctl(&["--addr", &addr, "--tls-ca", &ca, "kill", "off", "--all"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("CTL_CONNECT"), "{stderr}");
    std::thread::sleep(Duration::from_millis(300));
    let (_, stdout, _) = mtls(&["kill", "status"]);
    assert!(stdout.contains("tls drill"), "still engaged: {stdout}");

    let (code, stdout, stderr) = mtls(&["kill", "off", "--all"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains("tls drill"),
        "the reply shows it released: {stdout}"
    );
    status_until("the switch released", false);

    let (status, lines, stderr) = aggregator.terminate(DEADLINE);
    assert!(status.success(), "{status:?} {stderr}");
    let logged = format!("{}\n{stderr}", lines.join("\n"));
    assert!(
        logged.contains(&format!("API_AUTHENTICATED client=cert:{CLIENT_NAME}")),
        "the certificate's CN is the logged caller: {logged}"
    );
}

#[test]
fn a_key_that_does_not_match_its_certificate_stops_the_aggregator_naming_the_file() {
    let pki = Pki::generate();
    let aggregator = start_aggregator("api-tls-bad", &pki, &pki.client_key);
    let (status, _, stderr) = aggregator.wait(DEADLINE);
    assert!(!status.success(), "started with a mismatched key: {stderr}");
    let expected = format!(
        "API_CONFIG_TLS path={} reason=key does not match the certificate",
        pki.client_key.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}
