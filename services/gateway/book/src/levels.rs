//! One side of one instrument's price levels inside [`crate::OrderBook`], in two tiers:
//!
//! * the **window**: the best [`WINDOW`] levels, inline in the instrument's record (one dense
//!   array indexed by instrument), sorted ascending by key with the best last, like
//!   [`crate::ladder::Ladder`];
//! * the **overflow**: the side's deeper levels, in that side's fixed region of one arena
//!   shared by all sides, also ascending with its best (the level just below the window) last.
//!
//! Why: nearly every feed event lands within a few levels of the touch (on the generated
//! NASDAQ-like day, 98.8% of level updates are within 16 levels of the best), so the hot data
//! of an instrument (stale flag, last trade, both windows) sits in one contiguous record
//! instead of behind two pointers to separate allocations in different pages; with thousands
//! of instruments the old per-side vectors cost a cache miss and a TLB miss per event.
//!
//! Invariant: the overflow is non-empty only when the window is full, and every overflow key
//! is below every window key. Positions are "combined": `0..overflow_len` are the overflow's,
//! `overflow_len..len` the window's, so the whole side is one ascending sequence and the best
//! level is at `len - 1`, as in [`crate::ladder::Ladder`].
//!
//! The arena is allocated zeroed (`vec![[0u64; 3]; n]` is a calloc), so a side's region is
//! paged in only when that side first goes deeper than the window.

/// Levels per side kept inline in the instrument record: the level count and 15 keys fill one
/// 128-byte array (the first of its two cache lines holds the count and the best keys of a
/// thin side), the 16-byte level bodies another 256 bytes.
pub(crate) const WINDOW: usize = 15;

/// Entries of [`Window::head`] and [`Window::bodies`]: a power of two, so indices are masked
/// instead of bounds-checked.
const SLOTS: usize = WINDOW + 1;
const _: () = assert!(SLOTS.is_power_of_two());
const MASK: usize = SLOTS - 1;

/// Key of the unused window slots `wlen..WINDOW`: no key is greater, so the window
/// search below never counts a pad as "below" the key it looks for.
const KEY_PAD: i64 = i64::MAX;

/// A level without its key (the key lives in [`Window::head`]): total shares, order count and
/// the slab index of the last order of its FIFO queue (the queue's first order is found by
/// following `prev` links from it; only views and `clear_instrument` need it). 16 bytes, four
/// to a cache line.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LevelBody {
    pub(crate) qty: u64,
    pub(crate) count: u32,
    pub(crate) tail: u32,
}

const _: () = assert!(std::mem::size_of::<LevelBody>() == 16);

const EMPTY_BODY: LevelBody = LevelBody {
    qty: 0,
    count: 0,
    tail: 0,
};

/// One level with its key, for the general (two-tier) paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LevelRec {
    /// Sort key: the price for bids, `!price` for asks.
    pub(crate) key: i64,
    pub(crate) qty: u64,
    pub(crate) count: u32,
    pub(crate) tail: u32,
}

#[inline(always)]
fn body(l: LevelRec) -> LevelBody {
    LevelBody {
        qty: l.qty,
        count: l.count,
        tail: l.tail,
    }
}

/// A side's level count and its window (the best `min(len, WINDOW)` levels), keys apart from
/// the bodies (structure of arrays). `head` is the first 128 bytes: the count and the keys, so
/// a search and the count are one cache line for a side with at most 7 levels (nearly every
/// side of the generated day) and two otherwise; the body of the level an event changes is a
/// third (bodies `0..4` share one line, the levels a thin side has).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(128))]
pub(crate) struct Window {
    /// `head[0]`: levels on the side, window and overflow together (a count stored as `i64`);
    /// `head[1 + w]`: the key of window level `w`, ascending, best last, [`KEY_PAD`] for
    /// `w >= wlen`.
    head: [i64; SLOTS],
    /// `bodies[w]`: the body of window level `w` (`bodies[WINDOW]` is never used).
    bodies: [LevelBody; SLOTS],
}

const _: () = assert!(std::mem::size_of::<Window>() == 384);

impl Window {
    pub(crate) const EMPTY: Window = {
        let mut head = [KEY_PAD; SLOTS];
        head[0] = 0;
        Window {
            head,
            bodies: [EMPTY_BODY; SLOTS],
        }
    };

    /// Key of window level `w` (`w < WINDOW`).
    #[inline(always)]
    fn key(&self, w: usize) -> i64 {
        self.head[(w + 1) & MASK]
    }

    #[inline(always)]
    fn set_key(&mut self, w: usize, key: i64) {
        self.head[(w + 1) & MASK] = key;
    }

    #[inline(always)]
    fn level(&self, w: usize) -> LevelRec {
        let b = self.bodies[w & MASK];
        LevelRec {
            key: self.key(w),
            qty: b.qty,
            count: b.count,
            tail: b.tail,
        }
    }

    #[inline(always)]
    fn put(&mut self, w: usize, level: LevelRec) {
        self.set_key(w, level.key);
        self.bodies[w & MASK] = body(level);
    }

    /// Levels on the side, window and overflow together.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.head[0] as usize
    }

    #[inline(always)]
    fn set_len(&mut self, len: usize) {
        self.head[0] = len as i64;
    }

    /// Window levels in use: `min(len, WINDOW)`.
    #[inline(always)]
    pub(crate) fn wlen(&self) -> usize {
        window_len(self.len())
    }

    /// The hot path's search, over the window only: `Ok(w)` when window level `w` has `key`,
    /// else `Err(w)`, the number of window keys below `key`. `Err(w)` is the combined
    /// insertion position only when the side has no overflow levels (`len < WINDOW`); with
    /// overflow levels a key below the window may still rest there (use [`SideRef::find`]).
    #[inline(always)]
    pub(crate) fn search(&self, key: i64) -> Result<usize, usize> {
        match self.locate(key) {
            (w, true) => Ok(w),
            (w, false) => Err(w),
        }
    }

    /// [`Self::search`] as `(w, found)`, for callers that must not branch on `found`.
    #[inline(always)]
    pub(crate) fn locate(&self, key: i64) -> (usize, bool) {
        let (w, eq) = scan(&self.head, key);
        // A pad equals only `KEY_PAD` itself: for that key (a real one only at the `i64`
        // extreme) the level is there when a window key was not below it.
        let pad_key = key == KEY_PAD;
        (w, (eq & !pad_key) | (pad_key & (w < self.wlen())))
    }

    /// The body of window level `w` (`w < wlen`), to update in place.
    #[inline(always)]
    pub(crate) fn body_mut(&mut self, w: usize) -> &mut LevelBody {
        // Masked: `w < WINDOW` already, and the mask lets the compiler drop the bounds check.
        &mut self.bodies[w & MASK]
    }

    /// Inserts a new level at window position `w` (from [`Self::search`]'s `Err`) on a side
    /// with room in the window (`len < WINDOW`, so no overflow levels).
    #[inline(always)]
    pub(crate) fn insert_unspilled(&mut self, w: usize, key: i64, body: LevelBody) {
        let wlen = self.len();
        debug_assert!(wlen < WINDOW && w <= wlen);
        self.shift(w..wlen, w + 1);
        self.set_key(w, key);
        self.bodies[w & MASK] = body;
        self.set_len(wlen + 1);
    }

    /// Removes window level `w` (`w < len`) of a side with no overflow levels
    /// (`len <= WINDOW`).
    #[inline(always)]
    pub(crate) fn remove_unspilled(&mut self, w: usize) {
        let wlen = self.len();
        debug_assert!(wlen <= WINDOW && w < wlen);
        self.shift(w + 1..wlen, w);
        self.set_key(wlen - 1, KEY_PAD);
        self.set_len(wlen - 1);
    }

    /// Moves window positions `from` one place up (`up`) or down; empty ranges do nothing
    /// (so the common case, a change at the best level, calls no `memmove`).
    #[inline(always)]
    fn shift(&mut self, from: std::ops::Range<usize>, to: usize) {
        if from.start < from.end {
            self.head.copy_within(from.start + 1..from.end + 1, to + 1);
            self.bodies.copy_within(from, to);
        }
    }
}

/// Prefetch hints (`crate::book::prefetch_hints`), next to the layout they depend on.
impl Window {
    /// Starts loading the three lines an event on a side with at most 7 window levels (nearly
    /// every side of the generated day) reads: `head`'s first line (the level count and keys
    /// `0..7`, all a [`Self::search`] reads there) and both lines of the bodies of levels
    /// `0..8`, one of which holds the best level (the one most events change). Fixed offsets,
    /// so the hint reads nothing: an earlier version loaded only the best level's body line,
    /// found from the count in a second stage (~30 instructions per message for both sides;
    /// see `docs/bench/feed.md`, sessions 6 and 7).
    #[inline(always)]
    pub(crate) fn prefetch_hot_lines(&self) {
        crate::prefetch::prefetch_read(&self.head[0]);
        crate::prefetch::prefetch_read(&self.bodies[0]);
        crate::prefetch::prefetch_read(&self.bodies[4]);
    }
}

/// `(number of window keys below key, some window key or pad equals key)`, by comparing `key`
/// with every key at once: 7 (the first cache line, all a side with at most 7 levels has)
/// or, on a deeper side, 15 independent compares whose results are summed (pads are never
/// below a key). The only branch is on the level count (known before the keys are read).
///
/// Why not a binary search: its 4 steps are a chain of dependent loads and compares (~25
/// cycles), and the add's new-or-join branch waits on its result; when it mispredicts (at
/// random from event to event) all work started after it is lost. The independent compares
/// finish a few cycles after the key line arrives: ~8 more instructions per message, 1.10x
/// (per packet) to 1.13x (continuous) messages/s on the generated day, medians of
/// alternating rounds (session 7, `docs/bench/feed.md`).
#[inline(always)]
fn scan(head: &[i64; SLOTS], key: i64) -> (usize, bool) {
    let mut below = 0usize;
    let mut eq = false;
    for &k in &head[1..8] {
        below += usize::from(k < key);
        eq |= k == key;
    }
    if head[0] > 7 {
        for &k in &head[8..SLOTS] {
            below += usize::from(k < key);
            eq |= k == key;
        }
    }
    (below, eq)
}

/// An overflow level packed in 24 bytes of `u64`s (so the arena can be allocated zeroed):
/// key, shares, count | tail << 32.
type Packed = [u64; 3];

#[inline]
fn pack(l: LevelRec) -> Packed {
    [
        l.key as u64,
        l.qty,
        u64::from(l.count) | (u64::from(l.tail) << 32),
    ]
}

#[inline]
fn unpack(p: Packed) -> LevelRec {
    LevelRec {
        key: p[0] as i64,
        qty: p[1],
        count: p[2] as u32,
        tail: (p[2] >> 32) as u32,
    }
}

/// The overflow tier of every side: `sides * capacity` packed levels, allocated once.
#[derive(Clone, Debug)]
pub(crate) struct Overflow {
    slots: Vec<Packed>,
    capacity: usize,
}

impl Overflow {
    /// Room for `capacity` overflow levels on each of `sides` sides.
    pub(crate) fn new(sides: usize, capacity: usize) -> Self {
        Overflow {
            slots: vec![[0u64; 3]; sides * capacity],
            capacity,
        }
    }

    /// The region of side number `side` (instrument * 2 + book side).
    #[inline]
    pub(crate) fn region(&self, side: usize) -> &[Packed] {
        &self.slots[side * self.capacity..(side + 1) * self.capacity]
    }

    #[inline]
    pub(crate) fn region_mut(&mut self, side: usize) -> &mut [Packed] {
        &mut self.slots[side * self.capacity..(side + 1) * self.capacity]
    }
}

/// Read access to one side. The overflow region is sliced out of the arena only when the side
/// has overflow levels (rare), not for every event.
#[derive(Clone, Copy)]
pub(crate) struct SideRef<'a> {
    pub(crate) window: &'a Window,
    pub(crate) overflow: &'a Overflow,
    /// Overflow region number (instrument * 2 + book side).
    pub(crate) region: usize,
}

/// Read and write access to one side.
pub(crate) struct SideMut<'a> {
    pub(crate) window: &'a mut Window,
    pub(crate) overflow: &'a mut Overflow,
    /// Overflow region number (instrument * 2 + book side).
    pub(crate) region: usize,
}

#[inline]
fn window_len(len: usize) -> usize {
    len.min(WINDOW)
}

/// `find` over the window part: combined positions, `olen` = overflow length.
#[inline(always)]
fn find_in(window: &Window, overflow: &Overflow, region: usize, key: i64) -> Result<usize, usize> {
    let len = window.len();
    let wlen = window_len(len);
    let olen = len - wlen;
    if olen != 0 && key < window.key(0) {
        return overflow.region(region)[..olen].binary_search_by(|p| (p[0] as i64).cmp(&key));
    }
    match window.search(key) {
        Ok(w) => Ok(olen + w),
        Err(w) => Err(olen + w),
    }
}

#[inline]
fn get_in(window: &Window, overflow: &Overflow, region: usize, pos: usize) -> LevelRec {
    let len = window.len();
    let olen = len - window_len(len);
    debug_assert!(pos < len);
    if pos >= olen {
        window.level(pos - olen)
    } else {
        unpack(overflow.region(region)[pos])
    }
}

impl SideRef<'_> {
    /// Levels on the side.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.window.len()
    }

    /// `Ok(pos)` when a level with `key` exists, else `Err(pos)` where it would be inserted.
    #[inline]
    pub(crate) fn find(&self, key: i64) -> Result<usize, usize> {
        find_in(self.window, self.overflow, self.region, key)
    }

    /// The level at combined position `pos` (`< len`).
    #[inline]
    pub(crate) fn get(&self, pos: usize) -> LevelRec {
        get_in(self.window, self.overflow, self.region, pos)
    }

    /// The level `index` places from the best (0 = best).
    #[inline]
    pub(crate) fn nth_from_best(&self, index: usize) -> Option<LevelRec> {
        let pos = self.len().checked_sub(1 + index)?;
        Some(self.get(pos))
    }
}

impl SideMut<'_> {
    /// Levels on the side.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.window.len()
    }

    /// See [`SideRef::find`].
    #[inline]
    pub(crate) fn find(&self, key: i64) -> Result<usize, usize> {
        find_in(self.window, self.overflow, self.region, key)
    }

    /// See [`SideRef::get`].
    #[inline]
    pub(crate) fn get(&self, pos: usize) -> LevelRec {
        get_in(self.window, self.overflow, self.region, pos)
    }

    /// Distance of `pos` from the best level (0 = best).
    #[inline]
    pub(crate) fn index_nth_from_best(&self, pos: usize) -> u32 {
        (self.len() - 1 - pos) as u32
    }

    /// Overwrites the level at `pos` (its key must not change).
    #[inline]
    pub(crate) fn set(&mut self, pos: usize, level: LevelRec) {
        let len = self.len();
        let olen = len - window_len(len);
        debug_assert!(pos < len);
        if pos >= olen {
            debug_assert_eq!(self.window.key(pos - olen), level.key);
            self.window.bodies[(pos - olen) & MASK] = body(level);
        } else {
            self.overflow.region_mut(self.region)[pos] = pack(level);
        }
    }

    /// True when `levels_max` levels are on the side already.
    #[inline]
    pub(crate) fn is_full(&self, levels_max: usize) -> bool {
        self.len() >= levels_max
    }

    /// Inserts `level` at combined position `pos` (from `find`'s `Err`). The caller has
    /// checked [`Self::is_full`]; the overflow region has `levels_max - WINDOW` slots.
    pub(crate) fn insert(&mut self, pos: usize, level: LevelRec) {
        let len = self.len();
        let wlen = window_len(len);
        let olen = len - wlen;
        debug_assert!(pos <= len);
        if wlen < WINDOW {
            // Room in the window, so the overflow is empty and `pos` is a window position.
            self.window.shift(pos..wlen, pos + 1);
            self.window.put(pos, level);
        } else if pos <= olen {
            // Below the window: a sorted insert into the overflow.
            let overflow = self.overflow.region_mut(self.region);
            debug_assert!(olen < overflow.len(), "caller checked is_full");
            overflow.copy_within(pos..olen, pos + 1);
            overflow[pos] = pack(level);
        } else {
            // Into a full window: its worst level moves to the top of the overflow.
            let overflow = self.overflow.region_mut(self.region);
            debug_assert!(olen < overflow.len(), "caller checked is_full");
            overflow[olen] = pack(self.window.level(0));
            let w = pos - olen;
            self.window.shift(1..w, 0);
            self.window.put(w - 1, level);
        }
        self.window.set_len(len + 1);
    }

    /// Removes the level at combined position `pos`; when a window level goes and the
    /// overflow is not empty, the overflow's best moves into the window.
    pub(crate) fn remove(&mut self, pos: usize) {
        let len = self.len();
        let wlen = window_len(len);
        let olen = len - wlen;
        debug_assert!(pos < len);
        if pos < olen {
            self.overflow
                .region_mut(self.region)
                .copy_within(pos + 1..olen, pos);
        } else {
            let w = pos - olen;
            if olen == 0 {
                self.window.shift(w + 1..wlen, w);
                self.window.set_key(wlen - 1, KEY_PAD);
            } else {
                self.window.shift(0..w, 1);
                let top = self.overflow.region(self.region)[olen - 1];
                self.window.put(0, unpack(top));
            }
        }
        self.window.set_len(len - 1);
    }

    /// Removes every level (their orders are the caller's to release).
    pub(crate) fn clear(&mut self) {
        *self.window = Window::EMPTY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(key: i64) -> LevelRec {
        LevelRec {
            key,
            qty: (key as u64) ^ 0x5555,
            count: key as u32 & 7,
            tail: !(key as u32),
        }
    }

    fn keys(side: &SideMut<'_>) -> Vec<i64> {
        (0..side.len()).map(|p| side.get(p).key).collect()
    }

    #[test]
    fn pack_round_trips_extremes() {
        for l in [
            level(i64::MIN),
            level(i64::MAX),
            level(-1),
            LevelRec {
                key: 0,
                qty: u64::MAX,
                count: u32::MAX,
                tail: u32::MAX,
            },
        ] {
            assert_eq!(unpack(pack(l)), l);
        }
    }

    /// Random inserts and removes across both tiers against a sorted `Vec`, checking every
    /// position, `find` for present and absent keys, and the tier invariant.
    #[test]
    fn two_tiers_match_a_sorted_vec() {
        const MAX: usize = WINDOW * 3;
        let mut window = Window::EMPTY;
        let mut overflow = Overflow::new(1, MAX - WINDOW);
        let mut model: Vec<i64> = Vec::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for step in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = (x % 120) as i64 - 60;
            let mut side = SideMut {
                window: &mut window,
                overflow: &mut overflow,
                region: 0,
            };
            match (side.find(key), model.binary_search(&key)) {
                (Ok(p), Ok(q)) => {
                    assert_eq!(p, q);
                    if x & (1 << 33) == 0 {
                        side.remove(p);
                        model.remove(q);
                    } else {
                        let mut l = side.get(p);
                        l.qty += 1;
                        side.set(p, l);
                        assert_eq!(side.get(p), l);
                    }
                }
                (Err(p), Err(q)) => {
                    assert_eq!(p, q, "step {step} key {key}");
                    if !side.is_full(MAX) {
                        side.insert(p, level(key));
                        model.insert(q, key);
                    }
                }
                (got, want) => panic!("step {step} key {key}: {got:?} vs {want:?}"),
            }
            assert_eq!(keys(&side), model, "step {step}");
            let wlen = side.len().min(WINDOW);
            assert!(
                side.window.head[1 + wlen..].iter().all(|k| *k == KEY_PAD),
                "pads at {step}"
            );
            let len = side.len();
            assert_eq!(side.window.wlen(), len.min(WINDOW));
            let view = SideRef {
                window: &window,
                overflow: &overflow,
                region: 0,
            };
            for (i, k) in model.iter().rev().enumerate().take(3) {
                assert_eq!(view.nth_from_best(i).map(|l| l.key), Some(*k));
            }
            assert_eq!(view.nth_from_best(model.len()), None);
        }
    }

    /// The window scan against `binary_search` for every length of the window, keys at the
    /// `i64` extremes included (a real key equal to the pad value must still be found).
    #[test]
    fn window_scan_matches_binary_search_at_every_length_and_extreme() {
        let keys: Vec<i64> = vec![i64::MIN, i64::MIN + 1, -7, -1, 0, 1, 2, 5, 9, 100, 1 << 40];
        for wlen in 0..=WINDOW {
            let mut model: Vec<i64> = keys.iter().copied().cycle().take(wlen).collect();
            model.sort_unstable();
            model.dedup();
            if wlen == WINDOW {
                // A full window ending at the pad value itself.
                model = (0..WINDOW as i64 - 1).map(|k| k * 3 - 20).collect();
                model.push(i64::MAX);
            }
            let mut window = Window::EMPTY;
            let mut overflow = Overflow::new(1, 0);
            let mut side = SideMut {
                window: &mut window,
                overflow: &mut overflow,
                region: 0,
            };
            for (i, k) in model.iter().enumerate() {
                side.insert(i, level(*k));
            }
            let probes = model
                .iter()
                .flat_map(|k| [k.saturating_sub(1), *k, k.saturating_add(1)])
                .chain([i64::MIN, i64::MAX, 0]);
            for probe in probes {
                assert_eq!(
                    side.find(probe),
                    model.binary_search(&probe),
                    "wlen {wlen} probe {probe}"
                );
            }
            for w in model.len()..WINDOW {
                assert_eq!(side.window.key(w), KEY_PAD);
            }
        }
    }

    #[test]
    fn clear_and_regions_are_separate() {
        let mut overflow = Overflow::new(2, 4);
        overflow.region_mut(1)[0] = pack(level(5));
        assert_eq!(overflow.region(0)[0], [0; 3]);
        assert_eq!(unpack(overflow.region(1)[0]).key, 5);
        let mut window = Window::EMPTY;
        let mut side = SideMut {
            window: &mut window,
            overflow: &mut overflow,
            region: 0,
        };
        for k in 0..(WINDOW as i64 + 4) {
            side.insert(k as usize, level(k));
        }
        assert_eq!(side.len(), WINDOW + 4);
        assert_eq!(side.find(3), Ok(3));
        assert_eq!(side.find(WINDOW as i64 + 3), Ok(WINDOW + 3));
        side.clear();
        assert_eq!(side.len(), 0);
        assert_eq!(side.find(3), Err(0));
    }
}
