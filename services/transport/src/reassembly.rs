//! Reassembles messages that Aeron split into several frames (messages longer than
//! MTU − 32 bytes), one buffer per publisher session.
//!
//! Port of Aeron's `aeron_fragment_assembler.c` (Aeron 1.54): a frame whose flags carry both
//! BEGIN and END is a whole message and is delivered in place; otherwise BEGIN starts a
//! session's buffer, each following frame must start exactly at the previous frame's
//! `next_term_offset`, and END delivers the buffer. A frame that does not follow (a gap, or a
//! subscriber that joined mid-message) discards the partial message; unlike the C assembler
//! we count every discard so the loss is visible.
//!
//! It is ours rather than rusteron's `AeronFragmentAssembler` because that one holds raw
//! pointers and is not `Send`, which would pin every `Subscriber` to the thread that made it.
//! Buffers are allocated on the first fragmented message of a session and reused after.

/// Data frame flag: first frame of a message (Aeron protocol, Data Frame `flags`, `B` bit).
pub const BEGIN_FLAG: u8 = 0x80;
/// Data frame flag: last frame of a message (`E` bit).
pub const END_FLAG: u8 = 0x40;
/// Both flags: the frame is a whole message.
pub const UNFRAGMENTED: u8 = BEGIN_FLAG | END_FLAG;

/// One received frame as seen by the reassembler.
#[derive(Clone, Copy, Debug)]
pub struct Fragment<'a> {
    /// Data frame flags (`BEGIN_FLAG`, `END_FLAG`).
    pub flags: u8,
    /// Publisher session id (one per publication / image).
    pub session_id: i32,
    /// Offset of this frame in its term, bytes.
    pub term_offset: i32,
    /// Offset just after this frame, aligned to 32 bytes (Aeron `aeron_header_next_term_offset`).
    pub next_term_offset: i32,
    /// The frame's payload.
    pub payload: &'a [u8],
}

/// What one call to [`FragmentReassembler::on_fragment`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FragmentOutcome {
    /// A whole message was delivered (the frame was unfragmented or completed a message).
    Delivered,
    /// The frame was buffered; the message is not complete yet.
    Buffered,
    /// The frame did not follow the buffered part (gap, or joined mid-message) or the
    /// message would exceed the size limit: the partial message was discarded.
    Discarded,
}

struct SessionBuffer {
    session_id: i32,
    /// Expected `term_offset` of the next frame; `None` when no message is in progress.
    next_term_offset: Option<i32>,
    bytes: Vec<u8>,
}

/// Per-session reassembly buffers for one subscription.
pub struct FragmentReassembler {
    sessions: Vec<SessionBuffer>,
    max_message_length: usize,
}

impl FragmentReassembler {
    /// A reassembler that refuses (discards) messages longer than `max_message_length`
    /// bytes (Aeron's limit is `term length / 8`, at most 16 MiB).
    pub fn new(max_message_length: usize) -> Self {
        Self {
            sessions: Vec::new(),
            max_message_length,
        }
    }

    /// Feeds one frame; calls `deliver` with a whole message when one is complete.
    pub fn on_fragment(
        &mut self,
        frame: Fragment<'_>,
        deliver: &mut impl FnMut(&[u8]),
    ) -> FragmentOutcome {
        if frame.flags & UNFRAGMENTED == UNFRAGMENTED {
            deliver(frame.payload);
            return FragmentOutcome::Delivered;
        }
        let max = self.max_message_length;
        if frame.flags & BEGIN_FLAG == BEGIN_FLAG {
            let buffer = self.session(frame.session_id);
            // A BEGIN while a message is in progress means the rest of that message was lost.
            let lost_partial = buffer.next_term_offset.is_some();
            buffer.bytes.clear();
            if frame.payload.len() > max {
                buffer.next_term_offset = None;
                return FragmentOutcome::Discarded;
            }
            buffer.bytes.extend_from_slice(frame.payload);
            buffer.next_term_offset = Some(frame.next_term_offset);
            return if lost_partial {
                FragmentOutcome::Discarded
            } else {
                FragmentOutcome::Buffered
            };
        }
        let Some(buffer) = self
            .sessions
            .iter_mut()
            .find(|s| s.session_id == frame.session_id)
        else {
            return FragmentOutcome::Discarded; // middle or end frame of a message we never began
        };
        if buffer.next_term_offset != Some(frame.term_offset)
            || buffer.bytes.len() + frame.payload.len() > max
        {
            buffer.bytes.clear();
            buffer.next_term_offset = None;
            return FragmentOutcome::Discarded;
        }
        buffer.bytes.extend_from_slice(frame.payload);
        if frame.flags & END_FLAG == END_FLAG {
            deliver(&buffer.bytes);
            buffer.bytes.clear();
            buffer.next_term_offset = None;
            FragmentOutcome::Delivered
        } else {
            buffer.next_term_offset = Some(frame.next_term_offset);
            FragmentOutcome::Buffered
        }
    }

    fn session(&mut self, session_id: i32) -> &mut SessionBuffer {
        let index = match self
            .sessions
            .iter()
            .position(|s| s.session_id == session_id)
        {
            Some(i) => i,
            None => {
                self.sessions.push(SessionBuffer {
                    session_id,
                    next_term_offset: None,
                    bytes: Vec::new(),
                });
                self.sessions.len() - 1
            }
        };
        &mut self.sessions[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(flags: u8, session_id: i32, term_offset: i32, payload: &[u8]) -> Fragment<'_> {
        let next = term_offset + ((32 + payload.len() as i32 + 31) & !31);
        Fragment {
            flags,
            session_id,
            term_offset,
            next_term_offset: next,
            payload,
        }
    }

    fn run(frames: &[Fragment<'_>], max: usize) -> (Vec<Vec<u8>>, Vec<FragmentOutcome>) {
        let mut r = FragmentReassembler::new(max);
        let mut out = Vec::new();
        let outcomes = frames
            .iter()
            .map(|f| r.on_fragment(*f, &mut |m: &[u8]| out.push(m.to_vec())))
            .collect();
        (out, outcomes)
    }

    #[test]
    fn unfragmented_is_delivered_as_is() {
        let (out, outcomes) = run(&[frame(UNFRAGMENTED, 1, 0, b"abc")], 100);
        assert_eq!(out, vec![b"abc".to_vec()]);
        assert_eq!(outcomes, vec![FragmentOutcome::Delivered]);
    }

    #[test]
    fn three_frames_make_one_message() {
        let a = frame(BEGIN_FLAG, 7, 0, b"aaaa");
        let b = frame(0, 7, a.next_term_offset, b"bbbb");
        let c = frame(END_FLAG, 7, b.next_term_offset, b"cc");
        let (out, outcomes) = run(&[a, b, c], 100);
        assert_eq!(out, vec![b"aaaabbbbcc".to_vec()]);
        use FragmentOutcome::*;
        assert_eq!(outcomes, vec![Buffered, Buffered, Delivered]);
    }

    #[test]
    fn sessions_interleave_independently() {
        let a1 = frame(BEGIN_FLAG, 1, 0, b"A1");
        let b1 = frame(BEGIN_FLAG, 2, 0, b"B1");
        let a2 = frame(END_FLAG, 1, a1.next_term_offset, b"A2");
        let b2 = frame(END_FLAG, 2, b1.next_term_offset, b"B2");
        let (out, _) = run(&[a1, b1, a2, b2], 100);
        assert_eq!(out, vec![b"A1A2".to_vec(), b"B1B2".to_vec()]);
    }

    #[test]
    fn gap_discards_partial_and_next_message_still_arrives() {
        let a = frame(BEGIN_FLAG, 1, 0, b"aaaa");
        let lost = frame(0, 1, a.next_term_offset, b"bbbb");
        let c = frame(END_FLAG, 1, lost.next_term_offset, b"cc");
        let d = frame(UNFRAGMENTED, 1, c.next_term_offset, b"whole");
        let (out, outcomes) = run(&[a, c, d], 100);
        assert_eq!(out, vec![b"whole".to_vec()]);
        use FragmentOutcome::*;
        assert_eq!(outcomes, vec![Buffered, Discarded, Delivered]);
    }

    #[test]
    fn joining_mid_message_and_restarting_are_counted_as_discards() {
        let mid = frame(0, 3, 64, b"mid");
        let end = frame(END_FLAG, 3, mid.next_term_offset, b"end");
        let b1 = frame(BEGIN_FLAG, 3, 256, b"x");
        let b2 = frame(BEGIN_FLAG, 3, b1.next_term_offset, b"y");
        let e2 = frame(END_FLAG, 3, b2.next_term_offset, b"z");
        let (out, outcomes) = run(&[mid, end, b1, b2, e2], 100);
        assert_eq!(out, vec![b"yz".to_vec()]);
        use FragmentOutcome::*;
        assert_eq!(
            outcomes,
            vec![Discarded, Discarded, Buffered, Discarded, Delivered]
        );
    }

    #[test]
    fn oversize_message_is_discarded() {
        let a = frame(BEGIN_FLAG, 1, 0, b"aaaa");
        let b = frame(END_FLAG, 1, a.next_term_offset, b"bbbb");
        let (out, outcomes) = run(&[a, b], 6);
        assert!(out.is_empty());
        assert_eq!(outcomes[1], FragmentOutcome::Discarded);
        let (out, outcomes) = run(&[frame(BEGIN_FLAG, 1, 0, b"too long")], 6);
        assert!(out.is_empty());
        assert_eq!(outcomes[0], FragmentOutcome::Discarded);
    }
}
