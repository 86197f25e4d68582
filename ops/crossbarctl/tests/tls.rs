//! crossbarctl as a real binary over mTLS: a real API server (127.0.0.1:0, TCP) with
//! `[api.tls]` client_auth = "required" and certificates generated at test time
//! (services/aggregator/api/tests/common/pki.rs), in front of the in-memory stand-in backend.

#[path = "../../../services/aggregator/api/tests/common/mod.rs"]
mod common;

use std::process::Command;

use common::memory_backend::MemoryBackend;
use common::pki::Pki;
use common::start;
use crossbar_api::ClientAuth;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs crossbarctl with `args`, no token and no TLS settings from the environment.
async fn ctl(args: Vec<String>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_crossbarctl"));
    command.args(&args);
    for var in [
        "CROSSBAR_TOKEN",
        "CROSSBAR_TLS_CA",
        "CROSSBAR_TLS_CERT",
        "CROSSBAR_TLS_KEY",
        "CROSSBAR_TLS_SERVER_NAME",
    ] {
        command.env_remove(var);
    }
    let output = tokio::task::spawn_blocking(move || command.output().expect("run crossbarctl"))
        .await
        .unwrap();
    Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crossbarctl_submits_and_lists_over_mtls_and_is_refused_without_a_certificate() {
    let pki = Pki::generate();
    let server = start(pki.config(ClientAuth::Required), MemoryBackend::roomy()).await;
    let port = server.addr.port();
    let ca = pki.ca.display().to_string();
    let cert = pki.client_cert.display().to_string();
    let key = pki.client_key.display().to_string();
    let submit = [
        "submit",
        "--symbol",
        "AAPL",
        "--side",
        "buy",
        "--qty",
        "100",
        "--price",
        "189.25",
        "--client-order-id",
        "tls-1",
        "--json",
    ];

    // host:port plus TLS options means https; the certificate is the only credential.
    let mut with_cert = args(&[
        "--addr",
        &format!("localhost:{port}"),
        "--tls-ca",
        &ca,
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ]);
    with_cert.extend(args(&submit));
    let run = ctl(with_cert).await;
    assert_eq!(run.code, 0, "stderr={}", run.stderr);
    assert!(run.stdout.contains("\"tls-1\""), "{}", run.stdout);
    assert_eq!(server.backend.orders().len(), 1);
    assert_eq!(server.backend.orders()[0].limit_price, 1_892_500);

    // A read over https:// with the IP address (the server certificate names 127.0.0.1 too).
    let run = ctl(args(&[
        "--addr",
        &format!("https://127.0.0.1:{port}"),
        "--tls-ca",
        &ca,
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "orders",
        "--json",
    ]))
    .await;
    assert_eq!(run.code, 0, "stderr={}", run.stderr);
    assert!(run.stdout.contains("\"tls-1\""), "{}", run.stdout);

    // No client certificate: the handshake refuses it; exit 2 (connection), nothing applied.
    let mut no_cert = args(&[
        "--addr",
        &format!("https://localhost:{port}"),
        "--tls-ca",
        &ca,
    ]);
    no_cert.extend(args(&submit));
    let run = ctl(no_cert).await;
    assert_eq!(run.code, 2, "stdout={} stderr={}", run.stdout, run.stderr);
    assert!(
        run.stderr.starts_with("crossbarctl: error: CTL_CONNECT"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.to_lowercase().contains("certificate"),
        "the reason names the certificate: {}",
        run.stderr
    );

    // Plaintext with TLS options is a usage error; plaintext without reaches no service.
    let run = ctl(args(&[
        "--addr",
        &format!("http://localhost:{port}"),
        "--tls-ca",
        &ca,
        "venues",
    ]))
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("CTL_TLS_CONFLICT"), "{}", run.stderr);
    let run = ctl(args(&["--addr", &format!("127.0.0.1:{port}"), "venues"])).await;
    assert_eq!(run.code, 2, "{}", run.stderr);

    assert_eq!(
        server.backend.applied(),
        1,
        "only the mTLS submit was applied"
    );
    assert_eq!(server.counter("api.unauthenticated"), 0);
    server.stop().await.unwrap();
}
