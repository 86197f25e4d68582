//! Every size and bound of the journal, in one place (TigerBeetle's `constants.zig` habit).
//!
//! The on-disk layout (`docs/journal.md` "Format") is fixed by the `*_LEN` constants; the
//! `*_MIN` / `*_MAX` / `*_CEILING` bounds are what [`crate::JournalConfig::validate`] accepts.
//! Relations between them are checked at compile time at the bottom of this file.

/// Bytes of the header at the start of every segment file (magic, format version, first
/// sequence, segment length, creation time, CRC-32C of the header).
pub const SEGMENT_HEADER_LEN: usize = 64;

/// Bytes of the fixed header before every record's payload: CRC-32C (u32), payload length
/// (u32), sequence (u64), timestamp ns (u64), direction (u8), reserved (u8), source id (u16),
/// reserved (u32). Little-endian, like the SBE payloads.
pub const RECORD_HEADER_LEN: usize = 32;

/// Records start on 8-byte boundaries, so every header's u64 fields are aligned in the mapping.
pub const RECORD_ALIGN: usize = 8;

/// Smallest segment file accepted in configuration: 64 KiB.
pub const SEGMENT_SIZE_MIN: u64 = 64 * 1024;

/// Largest segment file accepted in configuration: 1 GiB (offsets stay far inside `usize`
/// and a segment maps in one piece on any 64-bit host).
pub const SEGMENT_SIZE_MAX: u64 = 1024 * 1024 * 1024;

/// Default segment file size: 64 MiB (about 500,000 order events of ~100 bytes).
pub const SEGMENT_SIZE_DEFAULT: u64 = 64 * 1024 * 1024;

/// Largest payload any journal accepts or any reader believes, in bytes: 1 MiB. It covers the
/// largest SBE message Crossbar sends in practice (a `RiskLimits` with ~32,000 instruments).
/// Readers use this ceiling, not the writer's configured maximum, so a journal written with a
/// larger configured maximum still reads.
pub const PAYLOAD_BYTES_CEILING: u32 = 1024 * 1024;

/// Default configured maximum payload: 4 KiB (every order event is under 200 bytes; the
/// largest var-data message, an `ExecutionReport` with 1,024 bytes of text, is ~1.1 KiB).
pub const PAYLOAD_BYTES_DEFAULT: u32 = 4 * 1024;

/// Sequence number of the first record of a fresh journal.
pub const FIRST_SEQUENCE: u64 = 1;

/// Segment files a journal directory may hold when opened (bounds the scan and the reader's
/// table): at the 64 MiB default, 4 TiB of journal.
pub const SEGMENTS_MAX: usize = 65_536;

/// Retired segments whose pages [`crate::Journal::flush`] still has to write back, kept
/// without reallocation; more rolls than this between two flushes grow the list.
pub const UNSYNCED_SEGMENTS_RESERVED: usize = 16;

/// Bytes a record with `payload_len` payload bytes occupies in a segment, padding included.
pub const fn frame_len(payload_len: usize) -> usize {
    (RECORD_HEADER_LEN + payload_len).div_ceil(RECORD_ALIGN) * RECORD_ALIGN
}

const _: () = {
    assert!(SEGMENT_HEADER_LEN.is_multiple_of(RECORD_ALIGN));
    assert!(RECORD_HEADER_LEN.is_multiple_of(RECORD_ALIGN));
    assert!(SEGMENT_SIZE_MIN.is_multiple_of(RECORD_ALIGN as u64));
    assert!(SEGMENT_SIZE_MIN <= SEGMENT_SIZE_DEFAULT && SEGMENT_SIZE_DEFAULT <= SEGMENT_SIZE_MAX);
    // The smallest segment holds at least one record of the default maximum payload.
    assert!(
        (SEGMENT_HEADER_LEN + frame_len(PAYLOAD_BYTES_DEFAULT as usize)) as u64 <= SEGMENT_SIZE_MIN
    );
    // The largest segment holds a record of the payload ceiling.
    assert!(
        (SEGMENT_HEADER_LEN + frame_len(PAYLOAD_BYTES_CEILING as usize)) as u64 <= SEGMENT_SIZE_MAX
    );
    assert!(PAYLOAD_BYTES_DEFAULT <= PAYLOAD_BYTES_CEILING);
    assert!(FIRST_SEQUENCE == 1);
};
