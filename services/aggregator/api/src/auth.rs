//! Bearer-token authentication (`authorization: Bearer <token>`, RFC 6750 §2.1).
//!
//! Mutating RPCs (Orders.Submit/Cancel, Limits.Set, KillSwitch.Activate/Deactivate) always
//! need a configured token; read-only RPCs need one unless `api.allow_unauthenticated_reads`.
//! Tokens are compared in constant time per token, against every configured token (no early
//! exit on a match), so timing reveals neither which token matched nor how much of it.
//! mTLS is not implemented (see docs/grpc-api.md, "Left out").

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

/// Checks the `authorization` header of each call against the configured tokens.
#[derive(Clone, Debug)]
pub struct Authenticator {
    tokens: Vec<String>,
    allow_unauthenticated_reads: bool,
}

impl Authenticator {
    /// Accepts any of `tokens` (as loaded by [`crate::ApiConfig::load_tokens`]).
    pub fn new(tokens: Vec<String>, allow_unauthenticated_reads: bool) -> Self {
        debug_assert!(!tokens.is_empty(), "load_tokens refuses an empty set");
        Self {
            tokens,
            allow_unauthenticated_reads,
        }
    }

    /// Ok when the call may proceed.
    ///
    /// # Errors
    /// `UNAUTHENTICATED API_UNAUTHENTICATED reason=...`: header missing, not `Bearer`, or the
    /// token is not one of the configured ones.
    pub fn check(&self, metadata: &MetadataMap, access: Access) -> Result<(), Status> {
        if access == Access::Read && self.allow_unauthenticated_reads {
            return Ok(());
        }
        let Some(value) = metadata.get("authorization") else {
            return Err(status::unauthenticated("missing authorization header"));
        };
        let Ok(value) = value.to_str() else {
            return Err(status::unauthenticated("authorization header is not ASCII"));
        };
        let Some(token) = bearer_token(value) else {
            return Err(status::unauthenticated(
                "authorization is not 'Bearer <token>'",
            ));
        };
        let mut matched = false;
        for known in &self.tokens {
            matched |= constant_time_eq::constant_time_eq(known.as_bytes(), token.as_bytes());
        }
        if matched {
            Ok(())
        } else {
            Err(status::unauthenticated("unknown bearer token"))
        }
    }
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
            .check(&with_auth(&format!("Bearer {TOKEN}")), Access::Mutate)
            .is_ok());
        assert!(auth
            .check(&with_auth(&format!("bearer {TOKEN}")), Access::Mutate)
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
            let status = auth.check(&metadata, Access::Mutate).unwrap_err();
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
        assert!(open.check(&MetadataMap::new(), Access::Read).is_ok());
        let closed = Authenticator::new(vec![TOKEN.into()], false);
        assert!(closed.check(&MetadataMap::new(), Access::Read).is_err());
        assert!(closed
            .check(&with_auth(&format!("Bearer {TOKEN}")), Access::Read)
            .is_ok());
    }
}
