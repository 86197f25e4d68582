//! The crate's error type.

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The file could not be opened or read.
    #[error("CAPTURE_IO path={path} error={source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Neither a pcap nor a pcapng magic number at the start.
    #[error("CAPTURE_FORMAT_UNKNOWN magic={magic:#010x} (expected pcap or pcapng)")]
    UnknownFormat {
        /// The first four bytes, big-endian.
        magic: u32,
    },
    /// `pcap-file` rejected the file (bad header, truncated record, ...).
    #[error("CAPTURE_PCAP_FILE packet_index={packet_index} error={message}")]
    PcapFile {
        /// Index of the record being read when the error occurred.
        packet_index: usize,
        /// `pcap-file`'s description.
        message: String,
    },
    /// The capture's link type is one this crate does not parse.
    #[error("CAPTURE_LINKTYPE_UNSUPPORTED linktype={linktype} (supported: ETHERNET, LINUX_SLL, RAW, IPV4, IPV6)")]
    UnsupportedLinkType {
        /// The link type as `pcap-file` names it.
        linktype: String,
    },
}
