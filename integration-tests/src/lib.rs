//! Tests across real processes.
