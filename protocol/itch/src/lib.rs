//! NASDAQ TotalView-ITCH 5.0 decoder and day-file framing.
