//! Start-up errors of the API server. Errors of individual calls are gRPC statuses (see
//! [`crate::status`]).

use std::path::PathBuf;

/// Why the API server could not start or stopped abnormally. Messages start with a stable code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No bearer token is configured and client certificates are off, so no mutating call
    /// could ever be accepted.
    #[error(
        "API_CONFIG_NO_TOKENS reason=set api.tokens or api.token_file, or [api.tls] with client_ca"
    )]
    NoTokens,
    /// A configured token is unusable.
    #[error("API_CONFIG_BAD_TOKEN place={place} reason={reason}")]
    BadToken {
        /// `api.tokens[i]` or `<file>:<line>`.
        place: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The token file cannot be read.
    #[error("API_CONFIG_TOKEN_FILE path={path} reason={reason}")]
    TokenFile {
        /// The configured `api.token_file`.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// An `[api.tls]` file is unreadable or unusable, or the section is inconsistent.
    #[error("API_CONFIG_TLS path={path} reason={reason}")]
    Tls {
        /// The offending file (`api.tls.cert`, `key`, `client_ca`), or the missing key's name.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The listen address cannot be bound.
    #[error("API_BIND_FAILED addr={addr} reason={reason}")]
    Bind {
        /// The configured `api.addr`.
        addr: std::net::SocketAddr,
        /// The I/O error.
        reason: String,
    },
    /// The server failed while serving.
    #[error("API_SERVE_FAILED reason={0}")]
    Serve(String),
}
