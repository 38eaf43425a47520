//! Works grouped by blocks of consecutive creators, in work order within a block.
//!
//! Summing works per creator, and splitting a creator's boost back over its works, touch a
//! per-creator table once per work. Over a million creators that table spans tens of
//! megabytes and nearly every touch misses the TLB (about 10 ns each here, 100 ms per
//! 10^7 works). Grouped by block, a scan touches one block's rows at a time, which stay in
//! the L2 cache. Work order inside a block is kept, so order-dependent results (cumulative
//! rounding per creator) are the same as a scan in work order.
//!
//! Grouped works are records in one array (see [`Record`]): grouping writes one output
//! stream per block, and separate columns would triple the streams (measured slower).
//! Up to 2^16 creators there is a single block: the per-creator table then fits the
//! caches and the TLB, and grouping is a copy in work order.

use std::mem::MaybeUninit;
use std::ops::Range;

use rayon::prelude::*;

use crate::chunks::CHUNK;

/// Creators per block when there are several, as a power of two: 4096 rows of 40 bytes
/// fit the L2 cache.
const BLOCK_BITS: u32 = 12;
/// Blocks are widened (up to [`MAX_BITS`]) rather than exceed this many: grouping writes
/// one output stream per block.
const MAX_BLOCKS: usize = 1024;
/// The widest block: a creator's place in its block must fit a `u16`.
const MAX_BITS: u32 = 16;
/// The top bit of a record's `meta` word marks a new work.
const NEW_BIT: u64 = 1 << 63;
/// The creator's place in its block sits above the demand.
const DEMAND_BITS: u32 = 47;
/// Demands must be below this to be grouped (the allocation refuses larger ones).
pub const DEMAND_LIMIT: i64 = 1 << DEMAND_BITS;

/// One work, decoded from its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Work {
    pub demand: i64,
    pub is_new: bool,
    pub local: usize,
}

/// A grouped work in 16 bytes (every pass after the grouping is bound by the bytes it
/// moves): demand (below [`DEMAND_LIMIT`]), block place and new flag in one word, and the
/// work's value (its plain allocation, later its impressions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    meta: u64,
    value: i64,
}

impl Record {
    #[inline]
    pub fn pack(demand: i64, is_new: bool, local: u16, value: i64) -> Self {
        debug_assert!((0..DEMAND_LIMIT).contains(&demand));
        let flag = if is_new { NEW_BIT } else { 0 };
        Record {
            meta: demand as u64 | (local as u64) << DEMAND_BITS | flag,
            value,
        }
    }

    #[inline]
    pub fn work(&self) -> Work {
        Work {
            demand: (self.meta & ((1 << DEMAND_BITS) - 1)) as i64,
            is_new: self.meta & NEW_BIT != 0,
            local: ((self.meta >> DEMAND_BITS) & 0xffff) as usize,
        }
    }

    #[inline]
    pub fn value(&self) -> i64 {
        self.value
    }

    #[inline]
    pub fn set_value(&mut self, value: i64) {
        self.value = value;
    }
}

/// How creators are cut into blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// A creator's block is `creator >> shift`.
    pub shift: u32,
    pub n_blocks: usize,
}

impl Layout {
    pub fn new(n_creators: usize) -> Layout {
        if n_creators <= 1 << MAX_BITS {
            return Layout {
                shift: MAX_BITS,
                n_blocks: 1,
            };
        }
        let mut shift = BLOCK_BITS;
        while n_creators.div_ceil(1 << shift) > MAX_BLOCKS && shift < MAX_BITS {
            shift += 1;
        }
        Layout {
            shift,
            n_blocks: n_creators.div_ceil(1 << shift).max(1),
        }
    }

    /// The block of a valid creator index.
    #[inline]
    pub fn block(&self, creator: i64) -> usize {
        creator as usize >> self.shift
    }
}

/// A contiguous range of works grouped by block; several parts let the grouping run in
/// parallel without changing any per-block order (block b's works are part 0's, then
/// part 1's, ...). A part's records sit at its works' positions in [`Blocks::records`].
pub struct Part {
    pub range: Range<usize>,
    /// `starts[b]..starts[b + 1]` are block b's records.
    pub starts: Vec<usize>,
}

/// The grouping of one round's works.
pub struct Blocks {
    pub shift: u32,
    pub n_blocks: usize,
    pub parts: Vec<Part>,
    pub records: Vec<Record>,
}

impl Blocks {
    /// Group works by block (see [`Layout`]); `chunk_counts[c][b]` is how many works of
    /// `CHUNK` c belong to block b (the caller counts them in a pass it makes anyway).
    /// `values(start)` gives the function that yields `value[i]` for `i = start, start +
    /// 1, ...` in turn (a part starts at a multiple of `CHUNK`), so a running computation
    /// such as cumulative rounding rides along.
    pub fn new<F, V>(
        (work_creator, demand, is_new): (&[i64], &[i64], &[bool]),
        layout: Layout,
        chunk_counts: &[Vec<u32>],
        values: F,
    ) -> Blocks
    where
        F: Fn(usize) -> V + Sync,
        V: FnMut(usize) -> i64,
    {
        let n = work_creator.len();
        let Layout { shift, n_blocks } = layout;
        let mask = (1usize << shift) - 1;
        let parts: Vec<Part> = work_ranges(n)
            .into_iter()
            .map(|range| {
                let mut starts = vec![0usize; n_blocks + 1];
                starts[0] = range.start;
                let chunks = range.start / CHUNK..range.end.div_ceil(CHUNK);
                for counts in &chunk_counts[chunks] {
                    for (b, &k) in counts.iter().enumerate() {
                        starts[b + 1] += k as usize;
                    }
                }
                for b in 0..n_blocks {
                    starts[b + 1] += starts[b];
                }
                Part { range, starts }
            })
            .collect();
        // Allocated here, not in the workers: glibc serves a large block on a worker
        // thread by a fresh mmap, and faulting 160 MB in costs more than the pass itself.
        let mut records: Vec<Record> = Vec::with_capacity(n);
        split_by_parts(&mut records.spare_capacity_mut()[..n], &parts)
            .into_par_iter()
            .zip(parts.par_iter())
            .for_each(|(slots, part)| {
                let mut cursor: Vec<usize> =
                    part.starts.iter().map(|s| s - part.range.start).collect();
                let mut value_of = values(part.range.start);
                for i in part.range.clone() {
                    let c = work_creator[i] as usize;
                    let next = &mut cursor[c >> shift];
                    slots[*next].write(Record::pack(
                        demand[i],
                        is_new[i],
                        (c & mask) as u16,
                        value_of(i),
                    ));
                    *next += 1;
                }
            });
        // SAFETY: each part's cursors start at its blocks' offsets, which partition the
        // part's slots, and advance once per work of the block, so every one of the n
        // slots was written exactly once above.
        unsafe { records.set_len(n) };
        Blocks {
            shift,
            n_blocks,
            parts,
            records,
        }
    }

    /// Creators per block (the last block may be shorter).
    pub fn width(&self) -> usize {
        1 << self.shift
    }

    /// Block b's records as one piece per part (together in work order). Callers loop
    /// over the pieces, then over each: a flattened iterator costs a check per record.
    pub fn block(&self, b: usize) -> impl Iterator<Item = &[Record]> + '_ {
        self.parts
            .iter()
            .map(move |p| &self.records[p.starts[b]..p.starts[b + 1]])
    }

    /// Call `f(b, pieces)` for every block b in parallel, with the block's records as one
    /// piece per part (in work order); `f` may rewrite the values.
    pub fn for_each_block_mut<F>(&mut self, f: F)
    where
        F: Fn(usize, Vec<&mut [Record]>) + Sync,
    {
        let mut by_block: Vec<Vec<&mut [Record]>> =
            (0..self.n_blocks).map(|_| Vec::new()).collect();
        let mut rest: &mut [Record] = &mut self.records;
        for part in &self.parts {
            for (b, block) in by_block.iter_mut().enumerate() {
                let (head, tail) = rest.split_at_mut(part.starts[b + 1] - part.starts[b]);
                block.push(head);
                rest = tail;
            }
        }
        by_block
            .into_par_iter()
            .enumerate()
            .for_each(|(b, pieces)| f(b, pieces));
    }

    /// Every work's value, back in work order.
    pub fn values_in_work_order(&self, work_creator: &[i64]) -> Vec<i64> {
        // Allocated on the calling thread, as in `new`.
        let n = work_creator.len();
        let mut out: Vec<i64> = Vec::with_capacity(n);
        let slots = split_by_parts(&mut out.spare_capacity_mut()[..n], &self.parts);
        slots
            .into_par_iter()
            .zip(self.parts.par_iter())
            .for_each(|(out, part)| {
                let mut cursor = part.starts.clone();
                for (slot, &c) in out.iter_mut().zip(&work_creator[part.range.clone()]) {
                    let next = &mut cursor[c as usize >> self.shift];
                    slot.write(self.records[*next].value());
                    *next += 1;
                }
            });
        // SAFETY: each part writes every slot of its range once, in order.
        unsafe { out.set_len(n) };
        out
    }
}

/// A column's slots cut at the parts' boundaries.
fn split_by_parts<'a, T>(
    mut slots: &'a mut [MaybeUninit<T>],
    parts: &[Part],
) -> Vec<&'a mut [MaybeUninit<T>]> {
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        let (head, tail) = slots.split_at_mut(part.range.len());
        out.push(head);
        slots = tail;
    }
    out
}

/// Contiguous ranges of works grouped in parallel, each starting at a multiple of
/// `CHUNK`; no result depends on them.
fn work_ranges(n_works: usize) -> Vec<Range<usize>> {
    let parts = if n_works < 1 << 20 {
        1
    } else {
        rayon::current_num_threads().clamp(1, 4)
    };
    let step = n_works.div_ceil(parts).div_ceil(CHUNK).max(1) * CHUNK;
    (0..parts)
        .map(|p| (p * step).min(n_works)..((p + 1) * step).min(n_works))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Works per block in each `CHUNK` of works, as `allocate`'s first pass counts them.
    fn count_by_chunk(layout: Layout, work_creator: &[i64]) -> Vec<Vec<u32>> {
        work_creator
            .chunks(CHUNK)
            .map(|chunk| {
                let mut counts = vec![0u32; layout.n_blocks];
                for &c in chunk {
                    counts[layout.block(c)] += 1;
                }
                counts
            })
            .collect()
    }

    #[test]
    fn records_decode_what_they_pack() {
        let cases = [
            (0, false, 0, 0),
            (DEMAND_LIMIT - 1, true, u16::MAX, -5),
            (12345, true, 4095, i64::MAX),
        ];
        for (demand, is_new, local, value) in cases {
            let want = Work {
                demand,
                is_new,
                local: local as usize,
            };
            let record = Record::pack(demand, is_new, local, value);
            assert_eq!((record.work(), record.value()), (want, value));
        }
    }

    #[test]
    fn one_block_up_to_2_16_creators() {
        assert_eq!(Layout::new(0).n_blocks, 1);
        assert_eq!(Layout::new(1 << 16).n_blocks, 1);
        let wide = Layout::new((1 << 16) + 1);
        assert_eq!((wide.shift, wide.n_blocks), (BLOCK_BITS, 17));
        assert_eq!(Layout::new(10_000_000).n_blocks, 611);
    }

    #[test]
    fn blocks_keep_work_order_and_round_trip() {
        for n_creators in [10_000, 100_000] {
            round_trip(n_creators);
        }
    }

    fn round_trip(n_creators: i64) {
        let n = 3 * CHUNK + 5;
        let work_creator: Vec<i64> = (0..n as i64).map(|i| i * 7919 % n_creators).collect();
        let demand: Vec<i64> = (0..n as i64).collect();
        let is_new: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        // A running value: each part must start its stream at its own first work.
        let values = |start: usize| {
            let mut next = start as i64;
            move |i: usize| {
                assert_eq!(i as i64, next);
                next += 1;
                10 * i as i64
            }
        };
        let layout = Layout::new(n_creators as usize);
        let counts = count_by_chunk(layout, &work_creator);
        let mut blocks = Blocks::new((&work_creator, &demand, &is_new), layout, &counts, values);
        assert_eq!(blocks.n_blocks, layout.n_blocks);
        for b in 0..blocks.n_blocks {
            let works: Vec<(Work, i64)> = blocks
                .block(b)
                .flatten()
                .map(|r| (r.work(), r.value()))
                .collect();
            assert!(works.windows(2).all(|w| w[0].0.demand < w[1].0.demand));
            for (w, v) in works {
                let i = w.demand as usize;
                assert_eq!(work_creator[i] as usize, (b << blocks.shift) + w.local);
                assert_eq!(is_new[i], w.is_new);
                assert_eq!(v, 10 * i as i64);
            }
        }
        blocks.for_each_block_mut(|_, pieces| {
            for piece in pieces {
                for r in piece.iter_mut() {
                    r.set_value(2 * r.work().demand + 1);
                }
            }
        });
        let out = blocks.values_in_work_order(&work_creator);
        assert!(out.iter().enumerate().all(|(i, &v)| v == 2 * i as i64 + 1));
    }
}
