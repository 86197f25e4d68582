//! TLS and mTLS over real TCP: the real API server (`crossbar_api::bind` + `serve`) with
//! `[api.tls]` files generated at test time (tests/common/pki.rs), real tonic clients with
//! and without client certificates. The in-memory stand-in backend shows whether anything
//! reached the order core.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::memory_backend::{default_limits, MemoryBackend};
use common::pki::{Pki, CLIENT_NAME};
use common::{authed, start, submit_request, TestServer, TOKEN};
use crossbar_api::proto::kill_switch_client::KillSwitchClient;
use crossbar_api::proto::limits_client::LimitsClient;
use crossbar_api::proto::orders_client::OrdersClient;
use crossbar_api::proto::{
    ActivateKillSwitchRequest, CancelParentRequest, DeactivateKillSwitchRequest, GetParentRequest,
    KillSwitchScope, ListParentsRequest, SetLimitsRequest,
};
use crossbar_api::{ApiConfig, ApiError, ClientAuth};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::Code;

const PATIENCE: Duration = Duration::from_secs(30);

/// Everything the API logged in this test binary (tracing, plain text).
static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

/// Installs the capturing subscriber once; returns the buffer.
fn log_buffer() -> Arc<Mutex<Vec<u8>>> {
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
            .with_writer(move || LogWriter(Arc::clone(&sink)))
            .init();
        buffer
    })
    .clone()
}

fn log_text() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `https://localhost:<port>` (the server certificate names `localhost` and `127.0.0.1`).
fn https(server: &TestServer) -> String {
    format!("https://localhost:{}", server.addr.port())
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// A TLS channel trusting `ca`, presenting `client` (cert, key) when given. Err when the
/// connection (TCP + TLS + HTTP/2) fails.
async fn tls_channel(
    server: &TestServer,
    ca: &Path,
    client: Option<(&Path, &Path)>,
) -> Result<Channel, String> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read(ca)))
        .domain_name("localhost");
    if let Some((cert, key)) = client {
        tls = tls.identity(Identity::from_pem(read(cert), read(key)));
    }
    Endpoint::from_shared(https(server))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect_timeout(PATIENCE)
        .timeout(PATIENCE)
        .connect()
        .await
        .map_err(|e| chain(&e))
}

/// The error and all its sources, joined.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}

/// A raw TLS 1.3 client (rustls, ALPN h2) trusting `ca`, presenting `client` when given,
/// then reading the server's first bytes. Ok when the server sent HTTP/2 data (its SETTINGS
/// frame: the handshake was accepted); Err with the TLS error otherwise, e.g.
/// `received fatal alert: CertificateRequired`.
async fn raw_handshake(
    server: &TestServer,
    ca: &Path,
    client: Option<(&Path, &Path)>,
) -> Result<(), String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use tokio::io::AsyncReadExt;

    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder().with_root_certificates(roots);
    let mut config = match client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(
                CertificateDer::pem_file_iter(cert)
                    .unwrap()
                    .map(Result::unwrap)
                    .collect(),
                PrivateKeyDer::from_pem_file(key).unwrap(),
            )
            .unwrap(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let mut first = [0u8; 9];
    match tokio::time::timeout(PATIENCE, tls.read(&mut first)).await {
        Err(_) => Err("server sent nothing".to_owned()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(0)) => Err("closed without an alert".to_owned()),
        Ok(Ok(_)) => Ok(()),
    }
}

/// Connects with tonic as `client` and tries a mutating call; the text of whatever refused
/// it. Panics if the call succeeds or is refused by the API itself (an `API_*` status): the
/// refusal must come from the TLS layer, before any service. (tonic reports the server's
/// TLS alert only as "connection closed", hence [`raw_handshake`] for the alert itself.)
async fn refused_before_the_api(
    server: &TestServer,
    ca: &Path,
    client: Option<(&Path, &Path)>,
) -> String {
    let channel = match tls_channel(server, ca, client).await {
        Ok(channel) => channel,
        Err(connect_error) => return connect_error,
    };
    // TLS 1.3: the client finishes its side of the handshake before the server has checked
    // the client's certificate, so the server's alert arrives with the first call.
    let status = OrdersClient::new(channel)
        .submit(authed(submit_request("refused")))
        .await
        .expect_err("the server must refuse this client");
    assert!(
        !status.message().starts_with("API_"),
        "refused by the API, not the handshake: {status:?}"
    );
    format!("{:?} {}", status.code(), chain(&status))
}

/// Nothing reached a service: no call counted, the backend untouched.
fn untouched(server: &TestServer) {
    assert_eq!(server.counter("api.calls"), 0, "a call reached the API");
    assert_eq!(server.backend.applied(), 0);
    assert_eq!(server.backend.read_calls(), 0);
    assert!(server.backend.orders().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_signed_by_the_ca_submits_and_reads_without_a_token() {
    log_buffer();
    let pki = Pki::generate();
    let server = start(pki.config(ClientAuth::Required), MemoryBackend::roomy()).await;
    let channel = tls_channel(&server, &pki.ca, Some((&pki.client_cert, &pki.client_key)))
        .await
        .expect("mTLS connect");
    let mut orders = OrdersClient::new(channel);
    let placed = orders
        .submit(tonic::Request::new(submit_request("mtls-1")))
        .await
        .expect("a verified certificate authenticates a mutating call")
        .into_inner();
    assert_eq!(placed.client_order_id, "mtls-1");
    let got = orders
        .get(tonic::Request::new(GetParentRequest {
            parent_order_id: placed.parent_order_id,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.client_order_id, "mtls-1");
    let list = orders
        .list(tonic::Request::new(ListParentsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.orders.len(), 1);
    assert_eq!(server.backend.applied(), 1);
    assert_eq!(server.counter("api.unauthenticated"), 0);
    // A wrong token next to a good certificate is still refused: a present header decides.
    let status = orders
        .submit(common::with_token(
            submit_request("mtls-2"),
            "wrong-token-0123456789abc",
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(server.backend.applied(), 1);
    server.stop().await.unwrap();
    let logged = log_text();
    assert!(
        logged.contains(&format!(
            "API_AUTHENTICATED client=cert:{CLIENT_NAME} call=SubmitParentRequest"
        )),
        "the certificate's CN is logged as the caller: {logged}"
    );
    assert!(logged.contains("tls=required-client-certs"), "{logged}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_mode_refuses_a_client_without_a_certificate_at_the_handshake() {
    let pki = Pki::generate();
    let server = start(pki.config(ClientAuth::Required), MemoryBackend::roomy()).await;
    let alert = raw_handshake(&server, &pki.ca, None).await.unwrap_err();
    assert!(
        alert.contains("received fatal alert: CertificateRequired"),
        "{alert}"
    );
    // The same server accepts the handshake of a client with a CA-signed certificate.
    raw_handshake(&server, &pki.ca, Some((&pki.client_cert, &pki.client_key)))
        .await
        .expect("a CA-signed client certificate passes the handshake");
    // A real gRPC client fails too, before the API.
    refused_before_the_api(&server, &pki.ca, None).await;
    untouched(&server);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_another_ca_is_refused_at_the_handshake_in_both_modes() {
    let pki = Pki::generate();
    for mode in [ClientAuth::Required, ClientAuth::Optional] {
        let server = start(pki.config(mode), MemoryBackend::roomy()).await;
        let intruder = Some((
            pki.other_client_cert.as_path(),
            pki.other_client_key.as_path(),
        ));
        let alert = raw_handshake(&server, &pki.ca, intruder).await.unwrap_err();
        assert!(
            alert.contains("received fatal alert: UnknownCA"),
            "{mode:?}: {alert}"
        );
        refused_before_the_api(&server, &pki.ca, intruder).await;
        untouched(&server);
        server.stop().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plaintext_client_is_refused() {
    let pki = Pki::generate();
    let server = start(pki.config(ClientAuth::Required), MemoryBackend::roomy()).await;
    let plaintext = Endpoint::from_shared(server.url())
        .unwrap()
        .connect_timeout(PATIENCE)
        .timeout(PATIENCE)
        .connect()
        .await;
    if let Ok(channel) = plaintext {
        let status = OrdersClient::new(channel)
            .submit(authed(submit_request("plain")))
            .await
            .expect_err("plaintext HTTP/2 must not reach the API");
        assert!(!status.message().starts_with("API_"), "{status:?}");
    }
    untouched(&server);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_the_handshake_is_disconnected() {
    use tokio::io::AsyncReadExt;

    let pki = Pki::generate();
    let mut config = pki.config(ClientAuth::Required);
    config.tls.as_mut().unwrap().handshake_timeout_ms = 200;
    let server = start(config, MemoryBackend::roomy()).await;
    let mut silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut byte = [0u8; 1];
    // Without the handshake timeout the server would wait on this connection forever.
    let read = tokio::time::timeout(PATIENCE, silent.read(&mut byte))
        .await
        .expect("the server closes a connection that sends no ClientHello");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    untouched(&server);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_mode_without_certificate_or_token_is_unauthenticated_and_changes_nothing() {
    let pki = Pki::generate();
    let config = ApiConfig {
        tokens: vec![TOKEN.into()],
        ..pki.config(ClientAuth::Optional)
    };
    let server = start(config, MemoryBackend::roomy()).await;
    let anonymous = tls_channel(&server, &pki.ca, None)
        .await
        .expect("optional mode lets a client without a certificate connect");
    let mut orders = OrdersClient::new(anonymous.clone());
    let mut limits = LimitsClient::new(anonymous.clone());
    let mut kill = KillSwitchClient::new(anonymous.clone());
    let results = [
        orders
            .submit(tonic::Request::new(submit_request("anon")))
            .await
            .map(|_| ()),
        orders
            .cancel(tonic::Request::new(CancelParentRequest {
                parent_order_id: 1,
            }))
            .await
            .map(|_| ()),
        limits
            .set(tonic::Request::new(SetLimitsRequest {
                instruments: vec![default_limits("AAPL")],
                expected_version: 0,
                ..SetLimitsRequest::default()
            }))
            .await
            .map(|_| ()),
        kill.activate(tonic::Request::new(ActivateKillSwitchRequest {
            scope: KillSwitchScope::All as i32,
            reason: "drill".into(),
            ..ActivateKillSwitchRequest::default()
        }))
        .await
        .map(|_| ()),
        kill.deactivate(tonic::Request::new(DeactivateKillSwitchRequest {
            scope: KillSwitchScope::All as i32,
            ..DeactivateKillSwitchRequest::default()
        }))
        .await
        .map(|_| ()),
    ];
    for result in results {
        let status = result.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        assert_eq!(
            status.message(),
            "API_UNAUTHENTICATED reason=no client certificate and missing authorization header"
        );
    }
    let status = orders
        .list(tonic::Request::new(ListParentsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::Unauthenticated,
        "reads need a caller too"
    );
    assert_eq!(
        server.backend.applied(),
        0,
        "no command reached the backend"
    );
    assert_eq!(server.backend.read_calls(), 0);
    assert!(server.backend.orders().is_empty());
    assert_eq!(server.backend.limits_version(), 1);
    assert!(server.backend.kill_switches().is_empty());
    assert_eq!(server.counter("api.unauthenticated"), 6);

    // Same connection, with the token: accepted. A certificate alone: accepted.
    orders
        .submit(authed(submit_request("with-token")))
        .await
        .unwrap();
    let with_cert = tls_channel(&server, &pki.ca, Some((&pki.client_cert, &pki.client_key)))
        .await
        .unwrap();
    OrdersClient::new(with_cert)
        .submit(tonic::Request::new(submit_request("with-cert")))
        .await
        .unwrap();
    assert_eq!(server.backend.applied(), 2);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_only_tls_authenticates_with_tokens() {
    let pki = Pki::generate();
    let config = ApiConfig {
        tokens: vec![TOKEN.into()],
        ..pki.config(ClientAuth::Off)
    };
    let server = start(config, MemoryBackend::roomy()).await;
    let channel = tls_channel(&server, &pki.ca, None).await.unwrap();
    let mut orders = OrdersClient::new(channel);
    let status = orders
        .submit(tonic::Request::new(submit_request("no-token")))
        .await
        .unwrap_err();
    assert_eq!(
        status.message(),
        "API_UNAUTHENTICATED reason=missing authorization header"
    );
    assert_eq!(server.backend.applied(), 0);
    orders
        .submit(authed(submit_request("token")))
        .await
        .unwrap();
    assert_eq!(server.backend.applied(), 1);
    server.stop().await.unwrap();
}

async fn start_up_error(config: ApiConfig) -> String {
    match crossbar_api::bind(&config).await {
        Ok(_) => panic!("bind accepted a bad [api.tls]"),
        Err(error) => {
            assert!(matches!(error, ApiError::Tls { .. }), "{error}");
            error.to_string()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tls_files_fail_start_up_naming_the_file() {
    let pki = Pki::generate();
    let dir = pki.dir.path();
    let garbage = dir.join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let not_pem = dir.join("not-pem.txt");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let missing = dir.join("missing.pem");
    let with = |edit: &dyn Fn(&mut crossbar_api::TlsConfig)| {
        // A token too, so the token rule never hides a TLS error.
        let mut config = ApiConfig {
            tokens: vec![TOKEN.into()],
            ..pki.config(ClientAuth::Required)
        };
        edit(config.tls.as_mut().unwrap());
        config
    };
    let cases: Vec<(ApiConfig, &Path, &str)> = vec![
        (
            with(&|t| t.cert = missing.clone()),
            &missing,
            "No such file",
        ),
        (with(&|t| t.cert = garbage.clone()), &garbage, "bad PEM"),
        (
            with(&|t| t.cert = not_pem.clone()),
            &not_pem,
            "no CERTIFICATE section",
        ),
        (
            with(&|t| t.key = not_pem.clone()),
            &not_pem,
            "no usable PRIVATE KEY",
        ),
        (
            with(&|t| t.key = pki.client_key.clone()),
            &pki.client_key,
            "key does not match the certificate",
        ),
        (
            with(&|t| t.client_ca = Some(garbage.clone())),
            &garbage,
            "bad PEM",
        ),
        (
            with(&|t| t.client_ca = Some(missing.clone())),
            &missing,
            "No such file",
        ),
        (
            with(&|t| t.client_ca = None),
            Path::new("api.tls.client_ca"),
            "needs client_ca",
        ),
        (
            with(&|t| t.client_auth = ClientAuth::Off),
            &pki.ca,
            "client_auth = \"off\"",
        ),
    ];
    for (config, path, reason) in cases {
        let message = start_up_error(config).await;
        assert!(
            message.starts_with(&format!("API_CONFIG_TLS path={} reason=", path.display())),
            "{message}"
        );
        assert!(message.contains(reason), "{message} vs {reason}");
    }
    // No token and no client certificates: nothing could ever mutate.
    let no_way_in = pki.config(ClientAuth::Off);
    assert!(matches!(
        crossbar_api::bind(&no_way_in).await,
        Err(ApiError::NoTokens)
    ));
}
