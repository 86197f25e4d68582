//! TLS options of the connection (`--tls-ca`, `--tls-cert`, `--tls-key`,
//! `--tls-server-name`, or `CROSSBAR_TLS_*`) and the server address they imply: any of them
//! makes a `host:port` address `https://host:port`; an explicit `http://` with them is a
//! usage error, as is `https://` without `--tls-ca` (no system roots are trusted: the API's
//! certificates come from the operator's own CA). See docs/grpc-api.md, "TLS and mTLS".

use std::path::{Path, PathBuf};

use clap::Args;
use tonic::transport::{Certificate, ClientTlsConfig, Identity};

/// TLS flags, global to every subcommand.
#[derive(Debug, Clone, Default, Args)]
pub struct TlsArgs {
    /// CA certificate(s), PEM, that signed the server's certificate. Turns on TLS.
    #[arg(long, global = true, env = "CROSSBAR_TLS_CA", value_name = "PEM")]
    pub tls_ca: Option<PathBuf>,
    /// Client certificate chain, PEM, for mTLS (with --tls-key).
    #[arg(long, global = true, env = "CROSSBAR_TLS_CERT", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// Private key of --tls-cert, PEM (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, global = true, env = "CROSSBAR_TLS_KEY", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// Name the server certificate must carry (default: the host of --addr).
    #[arg(
        long,
        global = true,
        env = "CROSSBAR_TLS_SERVER_NAME",
        value_name = "NAME"
    )]
    pub tls_server_name: Option<String>,
}

impl TlsArgs {
    /// Whether any TLS option is given.
    pub fn any(&self) -> bool {
        self.tls_ca.is_some()
            || self.tls_cert.is_some()
            || self.tls_key.is_some()
            || self.tls_server_name.is_some()
    }

    /// The URL to connect to: `addr` as given when it has a scheme, else `https://addr` with
    /// TLS options and `http://addr` without.
    ///
    /// # Errors
    /// `CTL_TLS_CONFLICT ...` for `http://` with TLS options.
    pub fn url(&self, addr: &str) -> Result<String, String> {
        if let Some((scheme, _)) = addr.split_once("://") {
            if scheme.eq_ignore_ascii_case("http") && self.any() {
                return Err(format!(
                    "CTL_TLS_CONFLICT addr={addr} reason=--tls-* options need an https:// \
                     address (or host:port)"
                ));
            }
            return Ok(addr.to_owned());
        }
        let scheme = if self.any() { "https" } else { "http" };
        Ok(format!("{scheme}://{addr}"))
    }

    /// tonic's client TLS configuration for an `https` URL.
    ///
    /// # Errors
    /// `CTL_TLS_NO_CA ...` without --tls-ca; `CTL_TLS_CONFIG ...` for --tls-cert without
    /// --tls-key or the reverse; `CTL_TLS_FILE path=... reason=...` for an unreadable file.
    pub fn client_config(&self) -> Result<ClientTlsConfig, String> {
        let Some(ca) = &self.tls_ca else {
            return Err(
                "CTL_TLS_NO_CA reason=an https address needs --tls-ca (the CA that \
                        signed the server's certificate)"
                    .to_owned(),
            );
        };
        let mut config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read(ca)?));
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => {
                config = config.identity(Identity::from_pem(read(cert)?, read(key)?));
            }
            (None, None) => {}
            _ => {
                return Err("CTL_TLS_CONFIG reason=--tls-cert and --tls-key go together".to_owned())
            }
        }
        if let Some(name) = &self.tls_server_name {
            config = config.domain_name(name.clone());
        }
        Ok(config)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("CTL_TLS_FILE path={} reason={e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_options_pick_the_scheme_and_refuse_plaintext() {
        let none = TlsArgs::default();
        assert_eq!(none.url("127.0.0.1:1").unwrap(), "http://127.0.0.1:1");
        assert_eq!(none.url("https://h:1").unwrap(), "https://h:1");
        let ca = TlsArgs {
            tls_ca: Some("ca.pem".into()),
            ..TlsArgs::default()
        };
        assert_eq!(ca.url("h:1").unwrap(), "https://h:1");
        assert!(ca
            .url("http://h:1")
            .unwrap_err()
            .starts_with("CTL_TLS_CONFLICT"));
        assert!(none
            .client_config()
            .unwrap_err()
            .starts_with("CTL_TLS_NO_CA"));
        let half = TlsArgs {
            tls_ca: Some("/dev/null".into()),
            tls_cert: Some("/dev/null".into()),
            ..TlsArgs::default()
        };
        assert!(half
            .client_config()
            .unwrap_err()
            .starts_with("CTL_TLS_CONFIG"));
        let missing = TlsArgs {
            tls_ca: Some("/nonexistent/ca.pem".into()),
            ..TlsArgs::default()
        };
        assert!(missing
            .client_config()
            .unwrap_err()
            .starts_with("CTL_TLS_FILE path=/nonexistent/ca.pem"));
    }
}
