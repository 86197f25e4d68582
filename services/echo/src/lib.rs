//! Two-process SBE-over-Aeron exchange of every message type.
