//! Aeron transport: embedded or external media driver, publications, subscriptions.
