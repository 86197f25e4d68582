//! Authentication of each call: a bearer token (`authorization: Bearer <token>`, RFC 6750
//! §2.1) or a client certificate verified during the TLS handshake (mTLS, [`crate::tls`]).
//!
//! Mutating RPCs (Orders.Submit/Cancel, Limits.Set, KillSwitch.Activate/Deactivate) always
//! need a caller: a configured token, or a verified client certificate when `[api.tls]` has
//! `client_auth` "required" or "optional". Read-only RPCs need one too unless
//! `api.allow_unauthenticated_reads`. A present `authorization` header is always checked, so
//! a wrong token is refused even on a connection with a good certificate.
//! Tokens are compared in constant time per token, against every configured token (no early
//! exit on a match), so timing reveals neither which token matched nor how much of it.

use std::fmt;

use rustls::pki_types::CertificateDer;
use tonic::metadata::MetadataMap;
use tonic::Status;

use crate::status;

/// Whether a call changes state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Get, List, Stream, Status.
    Read,
    /// Submit, Cancel, Limits.Set, KillSwitch.Activate/Deactivate.
    Mutate,
}

/// Who made an admitted call, as logged (`client=<caller>`). Never the token itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// The configured token at this index of [`crate::ApiConfig::load_tokens`]' list
    /// (`api.tokens` first, then `token_file` lines). Displayed `token[<i>]`.
    Token(usize),
    /// The name in a verified client certificate ([`crate::tls::client_name`]: subject CN,
    /// else first SAN). Displayed `cert:<name>`.
    Certificate(String),
    /// No credentials: a read allowed by `allow_unauthenticated_reads`. Displayed `anonymous`.
    Anonymous,
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Caller::Token(index) => write!(f, "token[{index}]"),
            Caller::Certificate(name) => write!(f, "cert:{name}"),
            Caller::Anonymous => f.write_str("anonymous"),
        }
    }
}

/// Checks each call's `authorization` header and client certificate.
#[derive(Clone, Debug)]
pub struct Authenticator {
    tokens: Vec<String>,
    allow_unauthenticated_reads: bool,
    client_certs: bool,
}

impl Authenticator {
    /// Accepts any of `tokens` (as loaded by [`crate::ApiConfig::load_tokens`]; may be empty
    /// when client certificates are on). Client certificates are off until
    /// [`Authenticator::with_client_certificates`].
    pub fn new(tokens: Vec<String>, allow_unauthenticated_reads: bool) -> Self {
        Self {
            tokens,
            allow_unauthenticated_reads,
            client_certs: false,
        }
    }

    /// `enabled`: a client certificate the TLS handshake verified authenticates the call
    /// (set when `[api.tls]` has a `client_ca` and `client_auth` is not "off").
    pub fn with_client_certificates(mut self, enabled: bool) -> Self {
        self.client_certs = enabled;
        self
    }

    /// The caller when the call may proceed. `peer_certs` is the chain the client presented
    /// in the TLS handshake (end-entity first; tonic's `Request::peer_certs`), which rustls
    /// has already verified against `client_ca`.
    ///
    /// Order: reads with `allow_unauthenticated_reads` pass as [`Caller::Anonymous`]; else a
    /// present `authorization` header decides (good token or refusal); else a verified
    /// client certificate, when enabled; else refused.
    ///
    /// # Errors
    /// `UNAUTHENTICATED API_UNAUTHENTICATED reason=...`: header not ASCII, not `Bearer`, or
    /// an unknown token; no header and no (usable) client certificate.
    pub fn check(
        &self,
        metadata: &MetadataMap,
        peer_certs: Option<&[CertificateDer<'_>]>,
        access: Access,
    ) -> Result<Caller, Status> {
        if access == Access::Read && self.allow_unauthenticated_reads {
            return Ok(Caller::Anonymous);
        }
        if let Some(value) = metadata.get("authorization") {
            return self.check_header(value);
        }
        let leaf = peer_certs.and_then(<[_]>::first);
        match (self.client_certs, leaf) {
            (true, Some(cert)) => client_certificate(cert),
            (true, None) => Err(status::unauthenticated(
                "no client certificate and missing authorization header",
            )),
            (false, _) => Err(status::unauthenticated("missing authorization header")),
        }
    }

    fn check_header(
        &self,
        value: &tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
    ) -> Result<Caller, Status> {
        let Ok(value) = value.to_str() else {
            return Err(status::unauthenticated("authorization header is not ASCII"));
        };
        let Some(token) = bearer_token(value) else {
            return Err(status::unauthenticated(
                "authorization is not 'Bearer <token>'",
            ));
        };
        let mut matched = None;
        for (index, known) in self.tokens.iter().enumerate() {
            if constant_time_eq::constant_time_eq(known.as_bytes(), token.as_bytes()) {
                matched = Some(index);
            }
        }
        matched
            .map(Caller::Token)
            .ok_or_else(|| status::unauthenticated("unknown bearer token"))
    }
}

fn client_certificate(cert: &CertificateDer<'_>) -> Result<Caller, Status> {
    crate::tls::client_name(cert)
        .map(Caller::Certificate)
        .map_err(status::unauthenticated)
}

/// The token of `Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1 / RFC 7235 §2.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "ops-token-0123456789";

    fn with_auth(value: &str) -> MetadataMap {
        let mut m = MetadataMap::new();
        m.insert("authorization", value.parse().unwrap());
        m
    }

    #[test]
    fn mutating_calls_need_a_configured_token() {
        let auth = Authenticator::new(vec!["other-token-0123456789".into(), TOKEN.into()], true);
        assert!(auth
            .check(&with_auth(&format!("Bearer {TOKEN}")), None, Access::Mutate)
            .is_ok());
        assert!(auth
            .check(&with_auth(&format!("bearer {TOKEN}")), None, Access::Mutate)
            .is_ok());
        for (metadata, reason) in [
            (MetadataMap::new(), "missing authorization header"),
            (with_auth(TOKEN), "not 'Bearer <token>'"),
            (with_auth(&format!("Basic {TOKEN}")), "not 'Bearer <token>'"),
            (with_auth("Bearer "), "not 'Bearer <token>'"),
            (
                with_auth("Bearer ops-token-012345678"),
                "unknown bearer token",
            ),
            (
                with_auth(&format!("Bearer {TOKEN}x")),
                "unknown bearer token",
            ),
        ] {
            let status = auth.check(&metadata, None, Access::Mutate).unwrap_err();
            assert_eq!(status.code(), tonic::Code::Unauthenticated);
            assert!(
                status.message().starts_with("API_UNAUTHENTICATED reason="),
                "{}",
                status.message()
            );
            assert!(
                status.message().contains(reason),
                "{} vs {reason}",
                status.message()
            );
        }
    }

    #[test]
    fn reads_follow_the_configuration() {
        let open = Authenticator::new(vec![TOKEN.into()], true);
        assert!(open.check(&MetadataMap::new(), None, Access::Read).is_ok());
        let closed = Authenticator::new(vec![TOKEN.into()], false);
        assert!(closed
            .check(&MetadataMap::new(), None, Access::Read)
            .is_err());
        assert!(closed
            .check(&with_auth(&format!("Bearer {TOKEN}")), None, Access::Read)
            .is_ok());
    }

    fn client_cert(common_name: &str) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        params.self_signed(&key).unwrap().der().clone()
    }

    #[test]
    fn callers_are_the_matching_token_or_the_certificate_name() {
        let auth = Authenticator::new(vec!["other-token-0123456789".into(), TOKEN.into()], false)
            .with_client_certificates(true);
        let good = with_auth(&format!("Bearer {TOKEN}"));
        assert_eq!(
            auth.check(&good, None, Access::Mutate).unwrap(),
            Caller::Token(1)
        );
        let cert = [client_cert("ops-desk-1")];
        let caller = auth
            .check(&MetadataMap::new(), Some(&cert), Access::Mutate)
            .unwrap();
        assert_eq!(caller, Caller::Certificate("ops-desk-1".into()));
        assert_eq!(caller.to_string(), "cert:ops-desk-1");
        assert_eq!(Caller::Token(1).to_string(), "token[1]");
        // A present header decides, even next to a good certificate.
        let wrong = with_auth("Bearer wrong-token-0123456789");
        let status = auth.check(&wrong, Some(&cert), Access::Mutate).unwrap_err();
        assert!(status.message().contains("unknown bearer token"));
        assert_eq!(
            auth.check(&good, Some(&cert), Access::Mutate).unwrap(),
            Caller::Token(1)
        );
        let status = auth
            .check(&MetadataMap::new(), None, Access::Mutate)
            .unwrap_err();
        assert_eq!(
            status.message(),
            "API_UNAUTHENTICATED reason=no client certificate and missing authorization header"
        );
        let status = auth
            .check(&MetadataMap::new(), Some(&[]), Access::Read)
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
    }

    #[test]
    fn certificates_count_only_when_enabled() {
        let tokens_only = Authenticator::new(vec![TOKEN.into()], false);
        let cert = [client_cert("ops-desk-1")];
        let status = tokens_only
            .check(&MetadataMap::new(), Some(&cert), Access::Mutate)
            .unwrap_err();
        assert_eq!(
            status.message(),
            "API_UNAUTHENTICATED reason=missing authorization header"
        );
        let certs_only = Authenticator::new(Vec::new(), false).with_client_certificates(true);
        let status = certs_only
            .check(
                &MetadataMap::new(),
                Some(&[CertificateDer::from(vec![1, 2, 3])]),
                Access::Mutate,
            )
            .unwrap_err();
        assert!(
            status.message().contains("does not parse"),
            "{}",
            status.message()
        );
    }
}
