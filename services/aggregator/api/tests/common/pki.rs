//! A throwaway PKI generated at test time (rcgen, ECDSA P-256): a CA, a server certificate
//! for `localhost` / `127.0.0.1`, a client certificate it signed, and a second, unrelated CA
//! with its own client certificate. Written as PEM files into a temporary directory, the way
//! an operator would configure `[api.tls]` and crossbarctl; nothing is committed.

use std::path::PathBuf;

use crossbar_api::{ApiConfig, ClientAuth, TlsConfig};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// The client certificate's subject CN, which becomes the caller `cert:<CN>`.
pub const CLIENT_NAME: &str = "ops-desk-1";

/// PEM files of one test PKI; the directory is removed on drop.
pub struct Pki {
    pub dir: tempfile::TempDir,
    /// CA certificate that signed the server and `client` certificates.
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// CN = [`CLIENT_NAME`], signed by `ca`.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// CA unrelated to the server.
    pub other_ca: PathBuf,
    /// CN = "intruder", signed by `other_ca`.
    pub other_client_cert: PathBuf,
    pub other_client_key: PathBuf,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// (certificate PEM, key PEM) signed by `issuer`.
fn leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    common_name: &str,
    alt_names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let names: Vec<String> = alt_names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

impl Pki {
    /// Generates every certificate and writes the PEM files.
    pub fn generate() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, pem: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, pem).unwrap();
            path
        };
        let our_ca = ca("Crossbar test CA");
        let their_ca = ca("Someone else's CA");
        let (server_cert, server_key) = leaf(
            &our_ca,
            "crossbar-aggregator",
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client_cert, client_key) = leaf(
            &our_ca,
            CLIENT_NAME,
            &[],
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        let (other_cert, other_key) = leaf(
            &their_ca,
            "intruder",
            &[],
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        Pki {
            ca: write("ca.pem", &our_ca.pem()),
            server_cert: write("server.pem", &server_cert),
            server_key: write("server.key", &server_key),
            client_cert: write("client.pem", &client_cert),
            client_key: write("client.key", &client_key),
            other_ca: write("other-ca.pem", &their_ca.pem()),
            other_client_cert: write("intruder.pem", &other_cert),
            other_client_key: write("intruder.key", &other_key),
            dir,
        }
    }

    /// `[api.tls]` serving the server certificate, client certificates checked against `ca`.
    pub fn tls(&self, client_auth: ClientAuth) -> TlsConfig {
        TlsConfig {
            cert: self.server_cert.clone(),
            key: self.server_key.clone(),
            client_ca: (client_auth != ClientAuth::Off).then(|| self.ca.clone()),
            client_auth,
            handshake_timeout_ms: 10_000,
        }
    }

    /// An `[api]` on 127.0.0.1:0 with this TLS and no bearer token at all, reads authenticated.
    pub fn config(&self, client_auth: ClientAuth) -> ApiConfig {
        ApiConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            tokens: Vec::new(),
            tls: Some(self.tls(client_auth)),
            ..ApiConfig::default()
        }
    }
}
