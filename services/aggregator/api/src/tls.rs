//! TLS and mutual TLS (mTLS) for the API server: the `[api.tls]` configuration, its start-up
//! checks, and the client identity a verified client certificate carries.
//!
//! The handshake itself is tonic's (`ServerTlsConfig`, rustls 0.23 with ring; TLS 1.2 and
//! 1.3, RFC 8446). Client certificates are verified by rustls' WebPKI verifier against the
//! configured CA bundle (RFC 5280 path validation): with `client_auth = "required"` a client
//! without a certificate signed by that CA is refused during the handshake and never reaches
//! a service. See docs/grpc-api.md, "TLS and mTLS".

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::RootCertStore;
use serde::{Deserialize, Serialize};
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use x509_parser::extensions::GeneralName;

use crate::error::ApiError;

/// Longest client identity (certificate CN or SAN) accepted, bytes.
pub const CLIENT_NAME_LEN_MAX: usize = 256;

/// Whether the server asks for client certificates (`api.tls.client_auth`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// Server TLS only: no client certificate is asked for; callers authenticate with bearer
    /// tokens.
    Off,
    /// A client certificate is asked for but not needed. One that is presented must chain to
    /// `client_ca` (else the handshake fails); callers without one authenticate with tokens.
    Optional,
    /// mTLS: every client must present a certificate chaining to `client_ca`; the handshake
    /// fails otherwise (TLS 1.3 alert `certificate_required`, RFC 8446 §4.4.2.4).
    #[default]
    Required,
}

/// `[api.tls]`: the server's certificate and key, and who may connect. All files are PEM
/// (RFC 7468), read once at start-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The server's certificate chain: its own certificate first, then any intermediates.
    pub cert: PathBuf,
    /// The private key of `cert` (PKCS#8, PKCS#1 RSA or SEC1 EC; not encrypted).
    pub key: PathBuf,
    /// CA bundle (one or more certificates) that client certificates must chain to. Needed
    /// unless `client_auth = "off"`; refused with `"off"` (it would be silently ignored).
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// `"required"` (default), `"optional"` or `"off"`; see [`ClientAuth`].
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// Longest a client may take to finish the TLS handshake, ms (default 10,000); slower
    /// connections are closed.
    #[serde(default = "default_handshake_timeout_ms")]
    pub handshake_timeout_ms: u64,
}

fn default_handshake_timeout_ms() -> u64 {
    10_000
}

/// A checked `[api.tls]`: tonic's server configuration built from files that parsed, with a
/// key that matches its certificate.
#[derive(Clone, Debug)]
pub(crate) struct LoadedTls {
    /// Handed to `tonic::transport::Server::tls_config`.
    pub server: ServerTlsConfig,
    /// Whether verified client certificates authenticate calls (client_auth not off).
    pub client_certs: bool,
}

impl TlsConfig {
    /// Whether this configuration lets client certificates authenticate calls.
    pub fn client_certs_enabled(&self) -> bool {
        self.client_auth != ClientAuth::Off
    }

    /// Reads and checks every file, building tonic's server configuration.
    ///
    /// # Errors
    /// [`ApiError::Tls`] naming the file (or key) and what is wrong: unreadable, no PEM
    /// section of the expected kind, a certificate that is not X.509 DER, an unsupported
    /// key, a key that does not match the certificate, `client_ca` missing or misplaced for
    /// the chosen `client_auth`.
    pub(crate) fn load(&self) -> Result<LoadedTls, ApiError> {
        let cert_pem = read(&self.cert)?;
        let chain = certificates(&self.cert, &cert_pem)?;
        let key_pem = read(&self.key)?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem)
            .map_err(|e| tls_error(&self.key, format!("no usable PRIVATE KEY section: {e}")))?;
        let signing_key = rustls::crypto::ring::sign::any_supported_type(&key)
            .map_err(|e| tls_error(&self.key, format!("unsupported private key: {e}")))?;
        CertifiedKey::new(chain, signing_key)
            .keys_match()
            .map_err(|e| {
                tls_error(
                    &self.key,
                    format!(
                        "key does not match the certificate in {}: {e}",
                        self.cert.display()
                    ),
                )
            })?;
        let mut server = ServerTlsConfig::new()
            .identity(Identity::from_pem(&cert_pem, &key_pem))
            .timeout(Duration::from_millis(self.handshake_timeout_ms.max(1)));
        match (&self.client_ca, self.client_auth) {
            (None, ClientAuth::Off) => {}
            (Some(ca), ClientAuth::Off) => {
                return Err(tls_error(
                    ca,
                    "client_ca is set but client_auth = \"off\": set client_auth to \
                     \"required\" or \"optional\", or remove client_ca"
                        .to_owned(),
                ))
            }
            (None, _) => {
                return Err(ApiError::Tls {
                    path: PathBuf::from("api.tls.client_ca"),
                    reason: format!(
                        "client_auth = \"{}\" needs client_ca (the CA bundle client \
                         certificates must chain to)",
                        self.client_auth.name()
                    ),
                })
            }
            (Some(ca), mode) => {
                let ca_pem = read(ca)?;
                check_client_ca(ca, &ca_pem)?;
                server = server
                    .client_ca_root(Certificate::from_pem(ca_pem))
                    .client_auth_optional(mode == ClientAuth::Optional);
            }
        }
        // tonic builds its rustls acceptor here: anything it still refuses is a start-up error.
        tonic::transport::Server::builder()
            .tls_config(server.clone())
            .map_err(|e| tls_error(&self.cert, format!("tonic refused the TLS setup: {e}")))?;
        Ok(LoadedTls {
            server,
            client_certs: self.client_certs_enabled(),
        })
    }
}

impl ClientAuth {
    /// The configuration spelling: `off`, `optional`, `required`.
    pub fn name(self) -> &'static str {
        match self {
            ClientAuth::Off => "off",
            ClientAuth::Optional => "optional",
            ClientAuth::Required => "required",
        }
    }
}

fn tls_error(path: &Path, reason: String) -> ApiError {
    ApiError::Tls {
        path: path.to_owned(),
        reason,
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ApiError> {
    std::fs::read(path).map_err(|e| tls_error(path, e.to_string()))
}

/// Every CERTIFICATE section of `pem`, each checked to be X.509 DER.
fn certificates(path: &Path, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, ApiError> {
    let mut chain = Vec::new();
    for (index, cert) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let cert = cert.map_err(|e| tls_error(path, format!("bad PEM: {e}")))?;
        if let Err(e) = x509_parser::parse_x509_certificate(&cert) {
            return Err(tls_error(
                path,
                format!("certificate #{} is not X.509: {e}", index + 1),
            ));
        }
        chain.push(cert);
    }
    if chain.is_empty() {
        return Err(tls_error(path, "no CERTIFICATE section".to_owned()));
    }
    Ok(chain)
}

/// The CA bundle parses and rustls accepts it as trust anchors for client certificates.
fn check_client_ca(path: &Path, pem: &[u8]) -> Result<(), ApiError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(path, pem)? {
        roots
            .add(cert)
            .map_err(|e| tls_error(path, format!("not usable as a trust anchor: {e}")))?;
    }
    WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .map_err(|e| tls_error(path, format!("no client verifier: {e}")))?;
    Ok(())
}

/// The identity of a client certificate (DER, already verified by the handshake): its
/// subject Common Name, else its first DNS, URI or e-mail subject alternative name
/// (RFC 5280 §4.1.2.6, §4.2.1.6).
///
/// # Errors
/// A reason (for `API_UNAUTHENTICATED reason=...`) when the certificate does not parse or
/// names nobody in printable ASCII of at most [`CLIENT_NAME_LEN_MAX`] bytes.
pub fn client_name(der: &[u8]) -> Result<String, &'static str> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|_| "client certificate does not parse")?;
    let common_name = cert
        .subject()
        .iter_common_name()
        .find_map(|cn| cn.as_str().ok());
    let alt_name = || {
        let san = cert.subject_alternative_name().ok()??;
        san.value.general_names.iter().find_map(|name| match name {
            GeneralName::DNSName(s) | GeneralName::URI(s) | GeneralName::RFC822Name(s) => Some(*s),
            _ => None,
        })
    };
    let name = common_name
        .or_else(alt_name)
        .ok_or("client certificate has no subject CN or DNS/URI/e-mail SAN")?;
    if name.is_empty()
        || name.len() > CLIENT_NAME_LEN_MAX
        || !name.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err("client certificate name is empty, too long or not printable ASCII");
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert_with(params: rcgen::CertificateParams) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn client_name_is_the_cn_else_the_first_san() {
        let mut params = rcgen::CertificateParams::new(vec!["desk.example".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "ops-desk-1");
        assert_eq!(client_name(&cert_with(params)).unwrap(), "ops-desk-1");

        let mut san_only = rcgen::CertificateParams::new(vec!["desk.example".into()]).unwrap();
        san_only.distinguished_name = rcgen::DistinguishedName::new();
        assert_eq!(client_name(&cert_with(san_only)).unwrap(), "desk.example");

        let mut nobody = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        nobody.distinguished_name = rcgen::DistinguishedName::new();
        assert!(client_name(&cert_with(nobody))
            .unwrap_err()
            .contains("no subject CN"));

        let mut control = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        control
            .distinguished_name
            .push(rcgen::DnType::CommonName, "ops\ndesk");
        assert!(client_name(&cert_with(control))
            .unwrap_err()
            .contains("printable"));
        assert!(client_name(b"not a certificate").is_err());
    }
}
