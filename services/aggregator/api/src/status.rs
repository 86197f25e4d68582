//! gRPC statuses the API returns. Each message starts with a stable code (the table in
//! `schemas/crossbar.proto`'s header and `docs/grpc-api.md`).

use tonic::{Code, Status};

use crate::backend::BackendError;
use crate::validate::FieldError;

/// `UNAUTHENTICATED API_UNAUTHENTICATED reason=<reason>`.
pub fn unauthenticated(reason: &str) -> Status {
    Status::unauthenticated(format!("API_UNAUTHENTICATED reason={reason}"))
}

/// `INVALID_ARGUMENT API_INVALID_ARGUMENT field=<field> reason=<reason>`.
pub fn invalid(error: FieldError) -> Status {
    Status::invalid_argument(error.to_string())
}

/// `DATA_LOSS API_STREAM_LAGGED missed=<n>`: a stream fell more than the backend's broadcast
/// capacity behind.
pub fn lagged(missed: u64) -> Status {
    Status::data_loss(format!(
        "API_STREAM_LAGGED missed={missed} (resubscribe to get a fresh snapshot)"
    ))
}

/// The gRPC code of each [`BackendError`].
pub fn code_of(error: &BackendError) -> Code {
    match error {
        BackendError::QueueFull { .. } => Code::ResourceExhausted,
        BackendError::Timeout { .. } => Code::DeadlineExceeded,
        BackendError::NotFound { .. } => Code::NotFound,
        BackendError::Duplicate { .. } => Code::AlreadyExists,
        BackendError::Rejected { .. } => Code::FailedPrecondition,
        BackendError::Stopped { .. } => Code::Unavailable,
    }
}

/// The status for a [`BackendError`]: [`code_of`] with the error's message.
pub fn from_backend(error: BackendError) -> Status {
    Status::new(code_of(&error), error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_backend_error_has_its_code_and_stable_prefix() {
        let cases = [
            (
                BackendError::QueueFull {
                    reason: "full".into(),
                },
                Code::ResourceExhausted,
                "API_QUEUE_FULL reason=full",
            ),
            (
                BackendError::Timeout { waited_ms: 5 },
                Code::DeadlineExceeded,
                "API_BACKEND_TIMEOUT waited_ms=5",
            ),
            (
                BackendError::NotFound {
                    what: "parent_order_id=9".into(),
                },
                Code::NotFound,
                "API_NOT_FOUND what=parent_order_id=9",
            ),
            (
                BackendError::Duplicate {
                    what: "client_order_id=a".into(),
                },
                Code::AlreadyExists,
                "API_DUPLICATE what=client_order_id=a",
            ),
            (
                BackendError::Rejected {
                    code: "KillSwitch".into(),
                    reason: "all".into(),
                },
                Code::FailedPrecondition,
                "API_REJECTED code=KillSwitch reason=all",
            ),
            (
                BackendError::Stopped {
                    reason: "down".into(),
                },
                Code::Unavailable,
                "API_BACKEND_STOPPED reason=down",
            ),
        ];
        for (error, code, prefix) in cases {
            let status = from_backend(error);
            assert_eq!(status.code(), code);
            assert!(status.message().starts_with(prefix), "{}", status.message());
        }
    }
}
