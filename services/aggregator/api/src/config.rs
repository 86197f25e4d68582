//! The `[api]` configuration: listen address, bearer tokens, read access, stream and list
//! sizes, and `[api.tls]` (TLS / mTLS, [`crate::tls`]). Loaded with
//! `crossbar_runtime::load_config` as part of the aggregator's file (`deny_unknown_fields`,
//! every key defaulted).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::tls::TlsConfig;

/// Longest accepted bearer token, bytes. Longer lines in a token file are refused at start.
pub const TOKEN_LEN_MAX: usize = 512;
/// Shortest accepted bearer token, bytes: short tokens are guessable.
pub const TOKEN_LEN_MIN: usize = 16;

/// Operator API settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Address the gRPC server listens on (`127.0.0.1:50051` by default; port 0 = any free
    /// port, see [`crate::BoundApi::local_addr`]).
    pub addr: SocketAddr,
    /// Bearer tokens accepted on `authorization: Bearer <token>`, each
    /// [`TOKEN_LEN_MIN`]..=[`TOKEN_LEN_MAX`] bytes of printable ASCII.
    pub tokens: Vec<String>,
    /// A file with more accepted tokens, one per line; blank lines and lines starting with
    /// `#` are skipped. Read once at start-up.
    pub token_file: Option<PathBuf>,
    /// true: read-only RPCs (Get, List, Stream, Status) need no token. Mutating RPCs always do.
    pub allow_unauthenticated_reads: bool,
    /// Most parent orders one `Orders.List` returns (also the default when the request's
    /// `limit` is 0).
    pub list_max: u32,
    /// Items each server stream buffers for a slow client. When the buffer is full the
    /// stream stops reading the backend's broadcast; once the broadcast (its capacity is the
    /// backend's) has moved on past it, the stream ends with DATA_LOSS `API_STREAM_LAGGED`.
    pub stream_buffer: usize,
    /// `[api.tls]`: serve TLS, and with a client CA, accept client certificates (mTLS) as
    /// authentication. None (the section absent): plaintext HTTP/2.
    pub tls: Option<TlsConfig>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            tokens: Vec::new(),
            token_file: None,
            allow_unauthenticated_reads: false,
            list_max: 1000,
            stream_buffer: 1024,
            tls: None,
        }
    }
}

impl ApiConfig {
    /// Every accepted token: `tokens` plus the lines of `token_file`.
    ///
    /// # Errors
    /// [`ApiError::TokenFile`] when the file cannot be read; [`ApiError::BadToken`] for a
    /// token of the wrong length or with non-printable characters; [`ApiError::NoTokens`]
    /// when there is none at all and client certificates are off (mutating calls could never
    /// succeed). With `[api.tls]` accepting client certificates the list may be empty.
    pub fn load_tokens(&self) -> Result<Vec<String>, ApiError> {
        let mut tokens = Vec::with_capacity(self.tokens.len());
        for (index, token) in self.tokens.iter().enumerate() {
            check_token(token, &format!("api.tokens[{index}]"))?;
            tokens.push(token.clone());
        }
        if let Some(path) = &self.token_file {
            tokens.extend(read_token_file(path)?);
        }
        let client_certs = self
            .tls
            .as_ref()
            .is_some_and(TlsConfig::client_certs_enabled);
        if tokens.is_empty() && !client_certs {
            return Err(ApiError::NoTokens);
        }
        Ok(tokens)
    }
}

fn read_token_file(path: &Path) -> Result<Vec<String>, ApiError> {
    let text = std::fs::read_to_string(path).map_err(|e| ApiError::TokenFile {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let mut tokens = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        check_token(line, &format!("{}:{}", path.display(), index + 1))?;
        tokens.push(line.to_owned());
    }
    Ok(tokens)
}

fn check_token(token: &str, place: &str) -> Result<(), ApiError> {
    let reason = if token.len() < TOKEN_LEN_MIN {
        Some(format!("shorter than {TOKEN_LEN_MIN} bytes"))
    } else if token.len() > TOKEN_LEN_MAX {
        Some(format!("longer than {TOKEN_LEN_MAX} bytes"))
    } else if !token.bytes().all(|b| b.is_ascii_graphic()) {
        Some("not printable ASCII without spaces".to_owned())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ApiError::BadToken {
            place: place.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_from_config_and_file_are_merged_and_comments_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        std::fs::write(
            &file,
            "# ops team\n\nfile-token-0123456789\n  spaced-token-0123456789  \n",
        )
        .unwrap();
        let config = ApiConfig {
            tokens: vec!["config-token-0123456789".into()],
            token_file: Some(file),
            ..ApiConfig::default()
        };
        assert_eq!(
            config.load_tokens().unwrap(),
            [
                "config-token-0123456789",
                "file-token-0123456789",
                "spaced-token-0123456789"
            ]
        );
    }

    #[test]
    fn example_config_loads_through_the_runtime_loader() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/api.example.toml");
        let config: ApiConfig = crossbar_runtime::load_config(Some(&path)).unwrap();
        assert_eq!(config.addr, SocketAddr::from(([127, 0, 0, 1], 50051)));
        assert_eq!(config.load_tokens().unwrap().len(), 1);
        assert!(!config.allow_unauthenticated_reads);
        let dir = tempfile::tempdir().unwrap();
        let typo = dir.path().join("typo.toml");
        std::fs::write(&typo, "adress = \"127.0.0.1:1\"\n").unwrap();
        let err = crossbar_runtime::load_config::<ApiConfig>(Some(&typo)).unwrap_err();
        assert!(err.to_string().contains("adress"), "{err}");
    }

    #[test]
    fn no_tokens_short_tokens_and_missing_file_are_start_up_errors() {
        assert!(matches!(
            ApiConfig::default().load_tokens(),
            Err(ApiError::NoTokens)
        ));
        let short = ApiConfig {
            tokens: vec!["short".into()],
            ..ApiConfig::default()
        };
        let err = short.load_tokens().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("API_CONFIG_BAD_TOKEN place=api.tokens[0]"),
            "{err}"
        );
        let missing = ApiConfig {
            token_file: Some("/nonexistent/tokens".into()),
            ..ApiConfig::default()
        };
        let err = missing.load_tokens().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("API_CONFIG_TOKEN_FILE path=/nonexistent/tokens"),
            "{err}"
        );
        let spaced = ApiConfig {
            tokens: vec!["has a space in the token".into()],
            ..ApiConfig::default()
        };
        assert!(matches!(
            spaced.load_tokens(),
            Err(ApiError::BadToken { .. })
        ));
    }

    #[test]
    fn tls_section_loads_with_defaults_and_refuses_unknown_modes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("api.toml");
        std::fs::write(
            &file,
            "[tls]\ncert = \"/etc/api.pem\"\nkey = \"/etc/api.key\"\nclient_ca = \"/etc/ca.pem\"\n",
        )
        .unwrap();
        let config: ApiConfig = crossbar_runtime::load_config(Some(&file)).unwrap();
        let tls = config.tls.as_ref().unwrap();
        assert_eq!(
            tls.client_auth,
            crate::ClientAuth::Required,
            "secure default"
        );
        assert_eq!(tls.handshake_timeout_ms, 10_000);
        assert_eq!(tls.client_ca.as_deref(), Some(Path::new("/etc/ca.pem")));
        // Client certificates can replace tokens: no NoTokens error.
        assert!(config.load_tokens().unwrap().is_empty());

        std::fs::write(
            &file,
            "[tls]\ncert = \"a\"\nkey = \"b\"\nclient_auth = \"maybe\"\n",
        )
        .unwrap();
        let err = crossbar_runtime::load_config::<ApiConfig>(Some(&file)).unwrap_err();
        assert!(err.to_string().contains("maybe"), "{err}");
        std::fs::write(&file, "[tls]\ncert = \"a\"\n").unwrap();
        let err = crossbar_runtime::load_config::<ApiConfig>(Some(&file)).unwrap_err();
        assert!(err.to_string().contains("key"), "{err}");

        std::fs::write(
            &file,
            "tokens = []\n[tls]\ncert = \"a\"\nkey = \"b\"\nclient_auth = \"off\"\n",
        )
        .unwrap();
        let server_only: ApiConfig = crossbar_runtime::load_config(Some(&file)).unwrap();
        assert!(matches!(server_only.load_tokens(), Err(ApiError::NoTokens)));
    }
}
