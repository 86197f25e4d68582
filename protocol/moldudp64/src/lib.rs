//! MoldUDP64 1.0 packet framing and request protocol.
