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
//! The arena is allocated zeroed (`vec![[0u64; 4]; n]` is a calloc), so a side's region is
//! paged in only when that side first goes deeper than the window.

use crate::ladder::LevelSlot;

/// Levels per side kept inline in the instrument record (16 × 32 bytes = 512 bytes per side).
pub(crate) const WINDOW: usize = 16;
/// Levels scanned linearly back from the best before binary search (as in the ladder).
const LINEAR_SCAN: usize = 8;

const EMPTY_LEVEL: LevelSlot = LevelSlot {
    key: 0,
    qty: 0,
    count: 0,
    head: 0,
    tail: 0,
};

/// A side's level count and its window (the best `min(len, WINDOW)` levels).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    /// Levels on the side, window and overflow together.
    len: u32,
    levels: [LevelSlot; WINDOW],
}

impl Window {
    pub(crate) const EMPTY: Window = Window {
        len: 0,
        levels: [EMPTY_LEVEL; WINDOW],
    };
}

/// An overflow level packed in 32 bytes of `u64`s (so the arena can be allocated zeroed).
type Packed = [u64; 4];

#[inline]
fn pack(l: LevelSlot) -> Packed {
    [
        l.key as u64,
        l.qty,
        u64::from(l.count) | (u64::from(l.head) << 32),
        u64::from(l.tail),
    ]
}

#[inline]
fn unpack(p: Packed) -> LevelSlot {
    LevelSlot {
        key: p[0] as i64,
        qty: p[1],
        count: p[2] as u32,
        head: (p[2] >> 32) as u32,
        tail: p[3] as u32,
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
            slots: vec![[0u64; 4]; sides * capacity],
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

/// Read access to one side.
#[derive(Clone, Copy)]
pub(crate) struct SideRef<'a> {
    pub(crate) window: &'a Window,
    pub(crate) overflow: &'a [Packed],
}

/// Read and write access to one side.
pub(crate) struct SideMut<'a> {
    pub(crate) window: &'a mut Window,
    pub(crate) overflow: &'a mut [Packed],
}

#[inline]
fn window_len(len: usize) -> usize {
    len.min(WINDOW)
}

/// `find` over the window part: combined positions, `olen` = overflow length.
#[inline]
fn find_in(window: &Window, overflow: &[Packed], key: i64) -> Result<usize, usize> {
    let len = window.len as usize;
    let wlen = window_len(len);
    let olen = len - wlen;
    if olen == 0 || key >= window.levels[0].key {
        let levels = &window.levels[..wlen];
        let stop = wlen.saturating_sub(LINEAR_SCAN);
        let mut pos = wlen;
        while pos > stop {
            let k = levels[pos - 1].key;
            if k == key {
                return Ok(olen + pos - 1);
            }
            if k < key {
                return Err(olen + pos);
            }
            pos -= 1;
        }
        return match levels[..stop].binary_search_by(|l| l.key.cmp(&key)) {
            Ok(p) => Ok(olen + p),
            Err(p) => Err(olen + p),
        };
    }
    overflow[..olen].binary_search_by(|p| (p[0] as i64).cmp(&key))
}

#[inline]
fn get_in(window: &Window, overflow: &[Packed], pos: usize) -> LevelSlot {
    let len = window.len as usize;
    let olen = len - window_len(len);
    debug_assert!(pos < len);
    if pos >= olen {
        window.levels[pos - olen]
    } else {
        unpack(overflow[pos])
    }
}

impl SideRef<'_> {
    /// Levels on the side.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.window.len as usize
    }

    /// `Ok(pos)` when a level with `key` exists, else `Err(pos)` where it would be inserted.
    #[inline]
    pub(crate) fn find(&self, key: i64) -> Result<usize, usize> {
        find_in(self.window, self.overflow, key)
    }

    /// The level at combined position `pos` (`< len`).
    #[inline]
    pub(crate) fn get(&self, pos: usize) -> LevelSlot {
        get_in(self.window, self.overflow, pos)
    }

    /// The level `index` places from the best (0 = best).
    #[inline]
    pub(crate) fn nth_from_best(&self, index: usize) -> Option<LevelSlot> {
        let pos = self.len().checked_sub(1 + index)?;
        Some(self.get(pos))
    }
}

impl SideMut<'_> {
    /// Levels on the side.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.window.len as usize
    }

    /// See [`SideRef::find`].
    #[inline]
    pub(crate) fn find(&self, key: i64) -> Result<usize, usize> {
        find_in(self.window, self.overflow, key)
    }

    /// See [`SideRef::get`].
    #[inline]
    pub(crate) fn get(&self, pos: usize) -> LevelSlot {
        get_in(self.window, self.overflow, pos)
    }

    /// Distance of `pos` from the best level (0 = best).
    #[inline]
    pub(crate) fn index_nth_from_best(&self, pos: usize) -> u32 {
        (self.len() - 1 - pos) as u32
    }

    /// Overwrites the level at `pos` (its key must not change).
    #[inline]
    pub(crate) fn set(&mut self, pos: usize, level: LevelSlot) {
        let len = self.len();
        let olen = len - window_len(len);
        debug_assert!(pos < len);
        if pos >= olen {
            debug_assert_eq!(self.window.levels[pos - olen].key, level.key);
            self.window.levels[pos - olen] = level;
        } else {
            self.overflow[pos] = pack(level);
        }
    }

    /// True when `levels_max` levels are on the side already.
    #[inline]
    pub(crate) fn is_full(&self, levels_max: usize) -> bool {
        self.len() >= levels_max
    }

    /// Inserts `level` at combined position `pos` (from `find`'s `Err`). The caller has
    /// checked [`Self::is_full`]; the overflow region has `levels_max - WINDOW` slots.
    pub(crate) fn insert(&mut self, pos: usize, level: LevelSlot) {
        let len = self.len();
        let wlen = window_len(len);
        let olen = len - wlen;
        debug_assert!(pos <= len);
        if wlen < WINDOW {
            // Room in the window, so the overflow is empty and `pos` is a window position.
            self.window.levels.copy_within(pos..wlen, pos + 1);
            self.window.levels[pos] = level;
        } else if pos <= olen {
            // Below the window: a sorted insert into the overflow.
            debug_assert!(olen < self.overflow.len(), "caller checked is_full");
            self.overflow.copy_within(pos..olen, pos + 1);
            self.overflow[pos] = pack(level);
        } else {
            // Into a full window: its worst level moves to the top of the overflow.
            debug_assert!(olen < self.overflow.len(), "caller checked is_full");
            self.overflow[olen] = pack(self.window.levels[0]);
            let w = pos - olen;
            self.window.levels.copy_within(1..w, 0);
            self.window.levels[w - 1] = level;
        }
        self.window.len += 1;
    }

    /// Removes the level at combined position `pos`; when a window level goes and the
    /// overflow is not empty, the overflow's best moves into the window.
    pub(crate) fn remove(&mut self, pos: usize) {
        let len = self.len();
        let wlen = window_len(len);
        let olen = len - wlen;
        debug_assert!(pos < len);
        if pos < olen {
            self.overflow.copy_within(pos + 1..olen, pos);
        } else {
            let w = pos - olen;
            if olen == 0 {
                self.window.levels.copy_within(w + 1..wlen, w);
            } else {
                self.window.levels.copy_within(0..w, 1);
                self.window.levels[0] = unpack(self.overflow[olen - 1]);
            }
        }
        self.window.len -= 1;
    }

    /// Removes every level (their orders are the caller's to release).
    pub(crate) fn clear(&mut self) {
        self.window.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(key: i64) -> LevelSlot {
        LevelSlot {
            key,
            qty: (key as u64) ^ 0x5555,
            count: key as u32 & 7,
            head: key as u32,
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
            LevelSlot {
                key: 0,
                qty: u64::MAX,
                count: u32::MAX,
                head: u32::MAX,
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
                overflow: overflow.region_mut(0),
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
            let len = side.len();
            assert!(len <= WINDOW || side.window.len as usize == len);
            let view = SideRef {
                window: &window,
                overflow: overflow.region(0),
            };
            for (i, k) in model.iter().rev().enumerate().take(3) {
                assert_eq!(view.nth_from_best(i).map(|l| l.key), Some(*k));
            }
            assert_eq!(view.nth_from_best(model.len()), None);
        }
    }

    #[test]
    fn clear_and_regions_are_separate() {
        let mut overflow = Overflow::new(2, 4);
        overflow.region_mut(1)[0] = pack(level(5));
        assert_eq!(overflow.region(0)[0], [0; 4]);
        assert_eq!(unpack(overflow.region(1)[0]).key, 5);
        let mut window = Window::EMPTY;
        let mut side = SideMut {
            window: &mut window,
            overflow: overflow.region_mut(0),
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
