//! Encode and decode errors. Each message starts with a stable code followed by key=value
//! context, so logs and alerts can match on the code.
#![forbid(unsafe_code)]

use crate::generated::sbe_rt;

/// Why a buffer is not a valid Crossbar SBE message.
///
/// Codes are stable; new variants may be added (`#[non_exhaustive]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The buffer ends before `field` does (SBE 1.0 §3: header 8 bytes, then `blockLength`
    /// bytes of root block, then groups and var data).
    #[error("SBE_SHORT_BUFFER field={field} needed={needed} available={available}")]
    ShortBuffer {
        /// What was being read (`messageHeader`, `rootBlock`, a group or var-data name).
        field: &'static str,
        /// Bytes needed from the start of the message.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// The header's `schemaId` is not this schema's (100).
    #[error("SBE_SCHEMA_MISMATCH expected={expected} actual={actual}")]
    SchemaMismatch {
        /// This schema's id.
        expected: u16,
        /// The header's `schemaId`.
        actual: u16,
    },
    /// The header's `templateId` names no message of this schema.
    #[error("SBE_UNKNOWN_TEMPLATE template_id={template_id}")]
    UnknownTemplate {
        /// The header's `templateId`.
        template_id: u16,
    },
    /// The header's `blockLength` is shorter than the root block of that message at the
    /// header's `version` (fields would overlap the groups or var data).
    #[error(
        "SBE_BAD_BLOCK_LENGTH template_id={template_id} version={version} block_length={block_length} min={min}"
    )]
    BadBlockLength {
        /// The header's `templateId`.
        template_id: u16,
        /// The header's `version`.
        version: u16,
        /// The header's `blockLength`.
        block_length: u16,
        /// Smallest root block this message has at `version`.
        min: u16,
    },
    /// An enum field holds a value that is not one of its `validValue`s (or is its null).
    #[error("SBE_BAD_ENUM field={field} value={value}")]
    BadEnum {
        /// Field name as in the schema.
        field: &'static str,
        /// The raw wire value.
        value: u16,
    },
    /// A repeating group's dimension header is inconsistent: entries shorter than this
    /// schema's entry block, or more entries than the buffer holds (SBE 1.0 §3.4 "Repeating
    /// groups").
    #[error(
        "SBE_BAD_GROUP group={group} num_in_group={num_in_group} block_length={block_length} min_block_length={min_block_length} available={available}"
    )]
    BadGroup {
        /// Group name as in the schema.
        group: &'static str,
        /// `numInGroup` from the dimension header.
        num_in_group: u16,
        /// `blockLength` from the dimension header.
        block_length: u16,
        /// This schema's entry block length.
        min_block_length: u16,
        /// Bytes left in the buffer after the dimension header.
        available: usize,
    },
    /// A var-data length prefix runs past the buffer or exceeds the schema's maximum (SBE 1.0
    /// §3.5 "Variable-length data").
    #[error("SBE_BAD_VAR_DATA field={field} length={length} max={max} available={available}")]
    BadVarData {
        /// Field name as in the schema.
        field: &'static str,
        /// The wire length prefix.
        length: usize,
        /// The schema's maximum (`maxValue` of the length).
        max: usize,
        /// Bytes left in the buffer after the length prefix.
        available: usize,
    },
    /// Text is not in its declared character encoding (UTF-8 var data, ASCII char arrays).
    #[error("SBE_BAD_TEXT field={field} encoding={encoding} valid_up_to={valid_up_to}")]
    BadText {
        /// Field name as in the schema.
        field: &'static str,
        /// Declared `characterEncoding`.
        encoding: &'static str,
        /// Length of the valid prefix, bytes.
        valid_up_to: usize,
    },
    /// Bytes follow the message although the sender's version is not newer than ours (a newer
    /// version may append groups or var data, which we then skip).
    #[error("SBE_TRAILING_BYTES template_id={template_id} message_len={message_len} buffer_len={buffer_len}")]
    TrailingBytes {
        /// The header's `templateId`.
        template_id: u16,
        /// Length of the message we decoded, header included.
        message_len: usize,
        /// Length of the buffer.
        buffer_len: usize,
    },
    /// The generated ergo-sbe decoder refused the buffer for a reason the checks above did
    /// not catch first.
    #[error("SBE_CODEC_DECODE template_id={template_id} detail={detail}")]
    Codec {
        /// The header's `templateId`.
        template_id: u16,
        /// The generated decoder's error.
        detail: sbe_rt::DecodeError,
    },
}

impl DecodeError {
    /// The stable code at the start of the message, e.g. `"SBE_SHORT_BUFFER"`.
    pub const fn code(&self) -> &'static str {
        match self {
            DecodeError::ShortBuffer { .. } => "SBE_SHORT_BUFFER",
            DecodeError::SchemaMismatch { .. } => "SBE_SCHEMA_MISMATCH",
            DecodeError::UnknownTemplate { .. } => "SBE_UNKNOWN_TEMPLATE",
            DecodeError::BadBlockLength { .. } => "SBE_BAD_BLOCK_LENGTH",
            DecodeError::BadEnum { .. } => "SBE_BAD_ENUM",
            DecodeError::BadGroup { .. } => "SBE_BAD_GROUP",
            DecodeError::BadVarData { .. } => "SBE_BAD_VAR_DATA",
            DecodeError::BadText { .. } => "SBE_BAD_TEXT",
            DecodeError::TrailingBytes { .. } => "SBE_TRAILING_BYTES",
            DecodeError::Codec { .. } => "SBE_CODEC_DECODE",
        }
    }
}

/// Why a message could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is shorter than the encoded message.
    #[error(
        "SBE_ENCODE_SHORT_BUFFER template_id={template_id} needed={needed} available={available}"
    )]
    ShortBuffer {
        /// Message being encoded.
        template_id: u16,
        /// Encoded length, header included.
        needed: usize,
        /// Output buffer length.
        available: usize,
    },
    /// An enum field holds its `NullVal`, which is not a value a message may carry.
    #[error("SBE_ENCODE_NULL_ENUM field={field}")]
    NullEnum {
        /// Field name as in the schema.
        field: &'static str,
    },
    /// Var data longer than the schema allows.
    #[error("SBE_ENCODE_VAR_DATA_TOO_LONG field={field} length={length} max={max}")]
    VarDataTooLong {
        /// Field name as in the schema.
        field: &'static str,
        /// Bytes given.
        length: usize,
        /// Schema maximum.
        max: usize,
    },
    /// More group entries than `numInGroup` (uint16) can count.
    #[error("SBE_ENCODE_GROUP_TOO_LARGE group={group} count={count} max={max}")]
    GroupTooLarge {
        /// Group name as in the schema.
        group: &'static str,
        /// Entries given.
        count: usize,
        /// 65,535.
        max: usize,
    },
    /// A value that reads back as absent (`Some(u64::MAX)` for an optional timestamp).
    #[error("SBE_ENCODE_NULL_VALUE field={field}")]
    NullValue {
        /// Field name as in the schema.
        field: &'static str,
    },
    /// The generated ergo-sbe encoder refused (should not happen after the checks above).
    #[error("SBE_CODEC_ENCODE template_id={template_id} detail={detail}")]
    Codec {
        /// Message being encoded.
        template_id: u16,
        /// The generated encoder's error.
        detail: sbe_rt::EncodeError,
    },
}

impl EncodeError {
    /// The stable code at the start of the message, e.g. `"SBE_ENCODE_SHORT_BUFFER"`.
    pub const fn code(&self) -> &'static str {
        match self {
            EncodeError::ShortBuffer { .. } => "SBE_ENCODE_SHORT_BUFFER",
            EncodeError::NullEnum { .. } => "SBE_ENCODE_NULL_ENUM",
            EncodeError::VarDataTooLong { .. } => "SBE_ENCODE_VAR_DATA_TOO_LONG",
            EncodeError::GroupTooLarge { .. } => "SBE_ENCODE_GROUP_TOO_LARGE",
            EncodeError::NullValue { .. } => "SBE_ENCODE_NULL_VALUE",
            EncodeError::Codec { .. } => "SBE_CODEC_ENCODE",
        }
    }
}
