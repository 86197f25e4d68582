//! The seam between the API and the order core: the [`Backend`] trait the server calls, and
//! [`BackendError`], the ways a call can fail there.
//!
//! # Contract for implementers
//!
//! Every method is called from a tokio task and **must never block** the thread: no locks held
//! across I/O, no `std::sync::mpsc::recv`, no waiting on the router thread except through an
//! `.await`. The aggregator's implementation forwards each command through a bounded queue to
//! the single-writer router thread and awaits its reply with a timeout:
//!
//! * queue full → return [`BackendError::QueueFull`] at once (do not wait for room); the
//!   client gets `RESOURCE_EXHAUSTED API_QUEUE_FULL reason=...` and nothing changed;
//! * no reply within the timeout → [`BackendError::Timeout`]: the command may still be applied,
//!   the client gets `DEADLINE_EXCEEDED` and is told to look the order up before retrying;
//! * the router refused the command → [`BackendError::Rejected`] with its stable reject code.
//!
//! Requests arrive wrapped in [`Valid`]: the API has already checked every field the
//! `crossbar.proto` comments constrain (symbol of 1..=8 `A-Z0-9.-/`, positive qty and price,
//! known enum values, scope/venue/instrument coherence, ...); the backend checks only what
//! needs its state (unknown symbol or venue, limits, kill switch, duplicate ids).
//!
//! Read paths (`positions`, `list_parents`, `get_limits`, `kill_switch_status`, `venues`)
//! may read published snapshots directly instead of queueing, but **read-your-writes** must
//! hold: once a mutating method (`submit_parent`, `cancel_parent`, `set_limits`,
//! `activate_kill_switch`, `deactivate_kill_switch`) has returned, OK or an error other than
//! `Timeout`, every read that starts afterwards reflects it (`docs/grpc-api.md`, "Consistency
//! and read-your-writes"). Each read answers from one consistent version of the state.
//!
//! Streams: `subscribe_*` returns a `tokio::sync::broadcast::Receiver` of the backend's update
//! channel. Every update carries a sequence number, +1 per update, and every snapshot carries
//! the sequence of the last update it reflects; the server subscribes *before* it takes the
//! snapshot and drops live updates the snapshot already covers, so a stream neither misses nor
//! repeats a change. The broadcast's capacity bounds how far a client may fall behind: a
//! lagging stream ends with `DATA_LOSS API_STREAM_LAGGED missed=<n>`.

use std::future::Future;

use tokio::sync::broadcast;

use crate::proto::{
    ActivateKillSwitchRequest, CancelParentRequest, DeactivateKillSwitchRequest, GetLimitsRequest,
    GetParentRequest, GetPositionsRequest, KillSwitchStatus, LimitsSnapshot, ListParentsRequest,
    ParentOrder, ParentOrderList, ParentOrderUpdate, PositionUpdate, PositionsSnapshot,
    SetLimitsRequest, SubmitParentRequest, VenueList,
};
use crate::validate::Valid;

/// What the API server needs from the order core. See the module docs for the non-blocking
/// contract. All prices are fixed point 1/10,000 $, quantities shares, times UTC ns.
pub trait Backend: Send + Sync + 'static {
    /// Orders.Submit: accept a new parent order and return it as stored (state `PENDING_NEW`
    /// or later, `parent_order_id` assigned).
    ///
    /// # Errors
    /// `QueueFull`, `Timeout`, `Stopped`; `Duplicate` for a reused `client_order_id`;
    /// `Rejected` when the core refuses it outright (it may instead return the order in state
    /// `REJECTED` with `reject_code`, which is not an error of the call).
    fn submit_parent(
        &self,
        request: Valid<SubmitParentRequest>,
    ) -> impl Future<Output = Result<ParentOrder, BackendError>> + Send;

    /// Orders.Cancel: request the cancel of a parent order's remainder; returns the order
    /// after the request (typically `PENDING_CANCEL` or `CANCELED`).
    ///
    /// # Errors
    /// `NotFound` for an unknown id; `Rejected` (code e.g. `NotCancelable`) for a terminal
    /// order; `QueueFull`, `Timeout`, `Stopped`.
    fn cancel_parent(
        &self,
        request: Valid<CancelParentRequest>,
    ) -> impl Future<Output = Result<ParentOrder, BackendError>> + Send;

    /// Orders.Get: one parent order with its children.
    ///
    /// # Errors
    /// `NotFound` for an unknown id; `Stopped`.
    fn get_parent(
        &self,
        request: Valid<GetParentRequest>,
    ) -> impl Future<Output = Result<ParentOrder, BackendError>> + Send;

    /// Orders.List: newest first, at most `request.limit` orders (the server has already
    /// replaced 0 by, and clamped it to, `api.list_max`).
    ///
    /// # Errors
    /// `Stopped`.
    fn list_parents(
        &self,
        request: Valid<ListParentsRequest>,
    ) -> impl Future<Output = Result<ParentOrderList, BackendError>> + Send;

    /// Positions.Get: positions of every instrument, or of `request.instrument_symbol`.
    ///
    /// # Errors
    /// `NotFound` for an unknown symbol; `Stopped`.
    fn positions(
        &self,
        request: Valid<GetPositionsRequest>,
    ) -> impl Future<Output = Result<PositionsSnapshot, BackendError>> + Send;

    /// A receiver of every position change, in sequence order. Must not block.
    ///
    /// # Errors
    /// `Stopped`.
    fn subscribe_positions(&self) -> Result<broadcast::Receiver<PositionUpdate>, BackendError>;

    /// A receiver of every parent-order change, in sequence order. Must not block.
    ///
    /// # Errors
    /// `Stopped`.
    fn subscribe_parent_updates(
        &self,
    ) -> Result<broadcast::Receiver<ParentOrderUpdate>, BackendError>;

    /// Limits.Get: limits of every instrument, or of `request.instrument_symbol`.
    ///
    /// # Errors
    /// `NotFound` for an unknown symbol; `Stopped`.
    fn get_limits(
        &self,
        request: Valid<GetLimitsRequest>,
    ) -> impl Future<Output = Result<LimitsSnapshot, BackendError>> + Send;

    /// Limits.Set: replace the limits of the listed instruments; returns all limits after.
    ///
    /// # Errors
    /// `Rejected` with code `VersionMismatch` when `expected_version` is set and differs;
    /// `NotFound` for an unknown symbol; `QueueFull`, `Timeout`, `Stopped`.
    fn set_limits(
        &self,
        request: Valid<SetLimitsRequest>,
    ) -> impl Future<Output = Result<LimitsSnapshot, BackendError>> + Send;

    /// KillSwitch.Activate: engage the switch for the scope (again engaging an engaged scope
    /// updates its `allow_risk_reducing` and reason); returns every engaged switch after.
    ///
    /// # Errors
    /// `NotFound` for an unknown venue or symbol; `QueueFull`, `Timeout`, `Stopped`.
    fn activate_kill_switch(
        &self,
        request: Valid<ActivateKillSwitchRequest>,
    ) -> impl Future<Output = Result<KillSwitchStatus, BackendError>> + Send;

    /// KillSwitch.Deactivate: release the switch of exactly this scope (releasing one that is
    /// not engaged is not an error); returns every engaged switch after.
    ///
    /// # Errors
    /// `NotFound` for an unknown venue or symbol; `QueueFull`, `Timeout`, `Stopped`.
    fn deactivate_kill_switch(
        &self,
        request: Valid<DeactivateKillSwitchRequest>,
    ) -> impl Future<Output = Result<KillSwitchStatus, BackendError>> + Send;

    /// KillSwitch.Status: every engaged switch.
    ///
    /// # Errors
    /// `Stopped`.
    fn kill_switch_status(
        &self,
    ) -> impl Future<Output = Result<KillSwitchStatus, BackendError>> + Send;

    /// Venues.List: session and feed health of every configured venue.
    ///
    /// # Errors
    /// `Stopped`.
    fn venues(&self) -> impl Future<Output = Result<VenueList, BackendError>> + Send;
}

/// Why the order core did not do what was asked. Each maps to one gRPC code (see
/// [`crate::status::from_backend`]); messages start with a stable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The command queue to the router thread is full; nothing was enqueued.
    /// gRPC `RESOURCE_EXHAUSTED`.
    #[error("API_QUEUE_FULL reason={reason}")]
    QueueFull {
        /// e.g. `command queue full (capacity 1024)`.
        reason: String,
    },
    /// No reply within the timeout; the command may or may not have been applied.
    /// gRPC `DEADLINE_EXCEEDED`.
    #[error("API_BACKEND_TIMEOUT waited_ms={waited_ms} (the command may have been applied; look it up before retrying)")]
    Timeout {
        /// How long the backend waited, milliseconds.
        waited_ms: u64,
    },
    /// The named thing does not exist. gRPC `NOT_FOUND`.
    #[error("API_NOT_FOUND what={what}")]
    NotFound {
        /// e.g. `parent_order_id=42`, `instrument_symbol=ZZZZ`, `venue=XXXX`.
        what: String,
    },
    /// The id is already in use. gRPC `ALREADY_EXISTS`.
    #[error("API_DUPLICATE what={what}")]
    Duplicate {
        /// e.g. `client_order_id=abc`.
        what: String,
    },
    /// The core refused the command for a reason of state. gRPC `FAILED_PRECONDITION`.
    #[error("API_REJECTED code={code} reason={reason}")]
    Rejected {
        /// Stable code: an SBE `RejectReason` name (e.g. `KillSwitch`) or `NotCancelable`,
        /// `VersionMismatch`.
        code: String,
        /// Human-readable detail.
        reason: String,
    },
    /// The order core is not running (or is shutting down). gRPC `UNAVAILABLE`.
    #[error("API_BACKEND_STOPPED reason={reason}")]
    Stopped {
        /// Why, if known.
        reason: String,
    },
}
