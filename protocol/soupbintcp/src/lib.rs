//! SoupBinTCP 3.0 framing and session state machines.
