//! Works grouped by blocks of consecutive creators, in work order within a block.
//!
//! Summing works per creator, and splitting a creator's boost back over its works, touch a
//! per-creator table once per work. Over a million creators that table spans tens of
//! megabytes and nearly every touch misses the TLB (about 10 ns each here, 100 ms per
//! 10^7 works). Grouped by block, a scan touches one block's rows at a time, which stay in
//! the L2 cache. Work order inside a block is kept, so order-dependent results (cumulative
//! rounding per creator) are the same as a scan in work order.

use std::ops::Range;

use rayon::prelude::*;

/// Creators per block, as a power of two: 4096 rows of 48 bytes fit the L2 cache.
const BLOCK_BITS: u32 = 12;
/// More blocks than this would spread the grouping pass over too many output streams.
const MAX_BLOCKS: usize = 1024;

/// One work, as the per-block scans need it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub demand: i64,
    /// The work's plain impressions, later overwritten with its final impressions.
    pub value: i64,
    /// Creator index minus the block's first creator.
    pub local: u32,
    pub is_new: bool,
}

/// A contiguous range of works grouped by block; several parts let the grouping run in
/// parallel without changing any per-block order (block b's works are part 0's, then
/// part 1's, ...). A part's records sit at its works' positions in [`Blocks::records`].
pub struct Part {
    pub range: Range<usize>,
    /// `starts[b]..starts[b + 1]` are block b's records (positions in `records`).
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
    /// Group works by `creator >> shift`; `value[i]` is carried along.
    pub fn new(
        work_creator: &[i64],
        demand: &[i64],
        is_new: &[bool],
        value: &[i64],
        n_creators: usize,
    ) -> Blocks {
        let n = work_creator.len();
        let mut shift = BLOCK_BITS;
        while n_creators.div_ceil(1 << shift) > MAX_BLOCKS {
            shift += 1;
        }
        let n_blocks = n_creators.div_ceil(1 << shift).max(1);
        let mask = (1usize << shift) - 1;
        let parts: Vec<Part> = work_ranges(n)
            .into_par_iter()
            .map(|range| {
                let mut starts = vec![0usize; n_blocks + 1];
                starts[0] = range.start;
                for &c in &work_creator[range.clone()] {
                    starts[(c as usize >> shift) + 1] += 1;
                }
                for b in 0..n_blocks {
                    starts[b + 1] += starts[b];
                }
                Part { range, starts }
            })
            .collect();
        // Allocated here, not in the workers: glibc serves a large block on a worker
        // thread by a fresh mmap, and faulting 240 MB in costs more than the pass itself.
        let mut records: Vec<Record> = Vec::with_capacity(n);
        let mut free = &mut records.spare_capacity_mut()[..n];
        let mut slices = Vec::with_capacity(parts.len());
        for part in &parts {
            let (head, tail) = free.split_at_mut(part.range.len());
            slices.push(head);
            free = tail;
        }
        slices
            .into_par_iter()
            .zip(parts.par_iter())
            .for_each(|(slots, part)| {
                let mut cursor: Vec<usize> =
                    part.starts.iter().map(|s| s - part.range.start).collect();
                for i in part.range.clone() {
                    let c = work_creator[i] as usize;
                    let next = &mut cursor[c >> shift];
                    slots[*next].write(Record {
                        demand: demand[i],
                        value: value[i],
                        local: (c & mask) as u32,
                        is_new: is_new[i],
                    });
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

    /// Block b's records, part by part (work order).
    pub fn block(&self, b: usize) -> impl Iterator<Item = &Record> {
        self.parts
            .iter()
            .flat_map(move |p| self.records[p.starts[b]..p.starts[b + 1]].iter())
    }

    /// Every block's records as mutable slices, one per part, for a parallel scan.
    pub fn blocks_mut(&mut self) -> Vec<Vec<&mut [Record]>> {
        let mut by_block: Vec<Vec<&mut [Record]>> =
            (0..self.n_blocks).map(|_| Vec::new()).collect();
        let mut rest: &mut [Record] = &mut self.records;
        for part in &self.parts {
            for (b, slot) in by_block.iter_mut().enumerate() {
                let (head, tail) = rest.split_at_mut(part.starts[b + 1] - part.starts[b]);
                slot.push(head);
                rest = tail;
            }
        }
        by_block
    }

    /// Write each record's value back to its work's position.
    pub fn scatter_values(&self, work_creator: &[i64], out: &mut [i64]) {
        let mut slices = Vec::with_capacity(self.parts.len());
        let mut rest = out;
        for part in &self.parts {
            let (head, tail) = rest.split_at_mut(part.range.len());
            slices.push(head);
            rest = tail;
        }
        slices
            .into_par_iter()
            .zip(self.parts.par_iter())
            .for_each(|(out, part)| {
                let mut cursor = part.starts.clone();
                for (slot, &c) in out.iter_mut().zip(&work_creator[part.range.clone()]) {
                    let next = &mut cursor[c as usize >> self.shift];
                    *slot = self.records[*next].value;
                    *next += 1;
                }
            });
    }
}

/// Contiguous ranges of works grouped in parallel; no result depends on them.
fn work_ranges(n_works: usize) -> Vec<Range<usize>> {
    let parts = if n_works < 1 << 20 {
        1
    } else {
        rayon::current_num_threads().clamp(1, 4)
    };
    let step = n_works.div_ceil(parts).max(1);
    (0..parts)
        .map(|p| (p * step).min(n_works)..((p + 1) * step).min(n_works))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_work_order_and_round_trip() {
        let n_creators = 10_000;
        let work_creator: Vec<i64> = (0..50_000i64).map(|i| i * 7919 % n_creators).collect();
        let demand: Vec<i64> = (0..50_000).collect();
        let is_new: Vec<bool> = (0..50_000).map(|i| i % 3 == 0).collect();
        let mut blocks = Blocks::new(
            &work_creator,
            &demand,
            &is_new,
            &demand,
            n_creators as usize,
        );
        assert_eq!(blocks.n_blocks, 3);
        for b in 0..blocks.n_blocks {
            let works: Vec<i64> = blocks.block(b).map(|r| r.demand).collect();
            assert!(works.windows(2).all(|w| w[0] < w[1]), "work order kept");
            for r in blocks.block(b) {
                let c = (b << blocks.shift) + r.local as usize;
                assert_eq!(work_creator[r.demand as usize] as usize, c);
                assert_eq!(is_new[r.demand as usize], r.is_new);
            }
        }
        for slices in blocks.blocks_mut() {
            for slice in slices {
                slice.iter_mut().for_each(|r| r.value = 2 * r.demand + 1);
            }
        }
        let mut out = vec![0i64; work_creator.len()];
        blocks.scatter_values(&work_creator, &mut out);
        assert!(out.iter().enumerate().all(|(i, &v)| v == 2 * i as i64 + 1));
    }
}
