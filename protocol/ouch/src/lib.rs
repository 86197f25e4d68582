//! NASDAQ OUCH 5.0 order-entry messages.
