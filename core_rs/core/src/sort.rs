//! A stable LSD radix sort for integers: the exact Gini sorts a million creator totals,
//! and a few radix passes over integers of limited range beat a comparison sort.

use rayon::prelude::*;

use crate::chunks;

/// Bits per digit: 2048 counters fit the L1 cache, and six passes cover 64 bits.
const BITS: u32 = 11;
const BUCKETS: usize = 1 << BITS;
/// Below this a comparison sort is faster than clearing the counters.
const SMALL: usize = 1024;
/// Below this many keys a pass is not split over threads.
const PARALLEL_MIN: usize = 1 << 17;

/// Digit `pass` (0 = lowest bits) of a key.
#[inline]
fn digit(key: u64, pass: usize) -> usize {
    ((key >> (pass as u32 * BITS)) & (BUCKETS as u64 - 1)) as usize
}

/// Sort `values` by `key` ascending, keeping the input order of equal keys (stable).
///
/// Each pass counts and scatters in parallel, one part of the input per thread: part p's
/// entries of a digit go after part p - 1's, so the order is that of a serial stable sort
/// whatever the number of threads.
pub fn radix_sort_by_key<T, K>(values: &mut Vec<T>, key: K)
where
    T: Copy + Send + Sync,
    K: Fn(&T) -> u64 + Sync,
{
    if values.len() < SMALL {
        values.sort_by_key(|v| key(v));
        return;
    }
    let max = values
        .par_chunks(SMALL)
        .map(|c| c.iter().map(&key).max().unwrap_or(0))
        .max()
        .unwrap_or(0);
    radix_sort_by_key_below(values, key, max);
}

/// [`radix_sort_by_key`] when the caller already knows the largest key, `max`.
pub fn radix_sort_by_key_below<T, K>(values: &mut Vec<T>, key: K, max: u64)
where
    T: Copy + Send + Sync,
    K: Fn(&T) -> u64 + Sync,
{
    let n = values.len();
    if n < SMALL {
        values.sort_by_key(|v| key(v));
        return;
    }
    // Only the digits below the largest key's top bit can differ: smaller keys take
    // fewer passes.
    let passes = ((u64::BITS - max.leading_zeros()) as usize).div_ceil(BITS as usize);
    // One part per thread; below PARALLEL_MIN keys one part (the threads cost more).
    let parts = if n < PARALLEL_MIN {
        1
    } else {
        rayon::current_num_threads().clamp(1, 64)
    };
    let step = n.div_ceil(parts);
    let mut scratch = values.clone(); // every slot is overwritten by each pass
    for pass in 0..passes {
        let counts: Vec<Vec<usize>> = values
            .par_chunks(step)
            .map(|part| {
                let mut c = vec![0usize; BUCKETS];
                for v in part {
                    c[digit(key(v), pass)] += 1;
                }
                c
            })
            .collect();
        // A digit every key shares needs no pass.
        if (0..BUCKETS).any(|d| counts.iter().map(|c| c[d]).sum::<usize>() == n) {
            continue;
        }
        // Where each part's entries of each digit start in the output.
        let mut starts = counts;
        let mut next = 0usize;
        for d in 0..BUCKETS {
            for part in starts.iter_mut() {
                let here = part[d];
                part[d] = next;
                next += here;
            }
        }
        let out = SharedSlots(scratch.as_mut_ptr());
        values
            .par_chunks(step)
            .zip(starts.into_par_iter())
            .for_each(|(part, mut cursor)| {
                for v in part {
                    let d = digit(key(v), pass);
                    // SAFETY: the cursors of all parts and digits start at disjoint ranges
                    // that tile 0..n, and each advances once per entry it owns, so every
                    // slot of `scratch` is written by exactly one thread, once.
                    unsafe { out.write(cursor[d], *v) };
                    cursor[d] += 1;
                }
            });
        std::mem::swap(values, &mut scratch);
    }
}

/// The keys in ascending order, each with its index, ties by index: the order of a
/// stable sort.
///
/// A counting pass on the high bits of the keys spreads the pairs over about one bucket
/// each (a zero key joins the lowest bucket), keeping index order within a bucket; a
/// bucket is then sorted by insertion when small, left as it is when all its keys are
/// equal (creators with the same total are common), and spread again over buckets of its
/// own range otherwise. Distinct (key, index) pairs have one sorted order, so neither the
/// buckets nor the number of threads can change the result. From [`PARALLEL_MIN`] keys
/// the first counting pass, its scatter and the buckets' sorts are split over threads.
pub fn sorted_with_index(keys: &[u64]) -> Vec<(u64, u32)> {
    let n = keys.len();
    assert!(n <= u32::MAX as usize, "at most 2^32 keys");
    if n < PARALLEL_MIN {
        let mut sorted = vec![(0, 0); n];
        sort_in_index_order(n, |i| (keys[i], i as u32), &mut sorted);
        return sorted;
    }
    let (lo, hi) = chunks::map_chunks(keys, |_, c| {
        c.iter().fold((u64::MAX, 0u64), |(lo, hi), &k| {
            (if k == 0 { lo } else { lo.min(k) }, hi.max(k))
        })
    })
    .into_iter()
    .fold((u64::MAX, 0), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    let spread = Spread::new(if lo < hi { lo } else { 0 }, hi, n);
    let parts = rayon::current_num_threads().clamp(1, 64);
    let step = n.div_ceil(parts);
    let counts: Vec<Vec<u32>> = keys
        .par_chunks(step)
        .map(|part| {
            let mut c = vec![0u32; spread.buckets];
            for &k in part {
                c[spread.bucket(k)] += 1;
            }
            c
        })
        .collect();
    // Where each bucket starts, and each part's share of it.
    let mut bounds = Vec::with_capacity(spread.buckets + 1);
    let mut starts = counts;
    let mut next = 0usize;
    for b in 0..spread.buckets {
        bounds.push(next);
        for part in starts.iter_mut() {
            let here = part[b] as usize;
            part[b] = next as u32;
            next += here;
        }
    }
    bounds.push(n);
    let mut sorted: Vec<(u64, u32)> = Vec::with_capacity(n);
    let out = SharedSlots(sorted.as_mut_ptr());
    keys.par_chunks(step)
        .enumerate()
        .zip(starts.into_par_iter())
        .for_each(|((p, part), mut cursor)| {
            for (i, &key) in part.iter().enumerate() {
                let b = spread.bucket(key);
                // SAFETY: the cursors of all parts and buckets start at disjoint ranges
                // that tile 0..n, and each advances once per pair it owns, so every slot
                // of `sorted` is written by exactly one thread, once.
                unsafe { out.write(cursor[b] as usize, (key, (p * step + i) as u32)) };
                cursor[b] += 1;
            }
        });
    // SAFETY: all n slots were written above.
    unsafe { sorted.set_len(n) };
    // Runs of whole buckets of about equal size, one task each.
    let piece = n.div_ceil(8 * parts);
    let mut cuts = vec![0usize];
    for b in 1..spread.buckets {
        if bounds[b] - bounds[cuts[cuts.len() - 1]] >= piece {
            cuts.push(b);
        }
    }
    cuts.push(spread.buckets);
    let mut pieces = Vec::with_capacity(cuts.len());
    let mut rest: &mut [(u64, u32)] = &mut sorted;
    for w in cuts.windows(2) {
        let (head, tail) = rest.split_at_mut(bounds[w[1]] - bounds[w[0]]);
        pieces.push((head, w[0], w[1]));
        rest = tail;
    }
    pieces.into_par_iter().for_each(|(slots, b0, b1)| {
        let first = bounds[b0];
        for w in bounds[b0..=b1].windows(2) {
            sort_bucket(&mut slots[w[0] - first..w[1] - first]);
        }
    });
    sorted
}

/// Buckets over the keys `lo..=hi`: about one per key of `n`, in key order.
#[derive(Clone, Copy)]
struct Spread {
    lo: u64,
    shift: u32,
    buckets: usize,
}

impl Spread {
    fn new(lo: u64, hi: u64, n: usize) -> Spread {
        let bits = usize::BITS - n.saturating_sub(1).leading_zeros();
        let shift = (u64::BITS - (hi - lo).leading_zeros()).saturating_sub(bits);
        Spread {
            lo,
            shift,
            buckets: ((hi - lo) >> shift) as usize + 1,
        }
    }

    /// A key's bucket; keys below `lo` go to the first.
    #[inline]
    fn bucket(&self, key: u64) -> usize {
        (key.saturating_sub(self.lo) >> self.shift) as usize
    }
}

/// Sort the `n` pairs `pair_at(0..n)` (equal keys in index order) into `sorted` (of
/// length `n`): spread over buckets, each sorted by [`sort_bucket`].
fn sort_in_index_order(n: usize, pair_at: impl Fn(usize) -> (u64, u32), sorted: &mut [(u64, u32)]) {
    if n <= INSERTION_MAX {
        for (i, slot) in sorted.iter_mut().enumerate() {
            *slot = pair_at(i);
        }
        insertion_sort(sorted);
        return;
    }
    let (lo, hi) = (0..n).fold((u64::MAX, 0u64), |(lo, hi), i| {
        let k = pair_at(i).0;
        (if k == 0 { lo } else { lo.min(k) }, hi.max(k))
    });
    // Zero keys join the lowest bucket, unless every other key is the same: then the
    // range must start at zero to tell them apart.
    let lo = if lo < hi { lo } else { 0 };
    let spread = Spread::new(lo, hi, n);
    let mut starts = vec![0u32; spread.buckets + 1];
    for i in 0..n {
        starts[spread.bucket(pair_at(i).0) + 1] += 1;
    }
    for b in 0..spread.buckets {
        starts[b + 1] += starts[b];
    }
    let bounds = starts.clone();
    for i in 0..n {
        let pair = pair_at(i);
        let next = &mut starts[spread.bucket(pair.0)];
        sorted[*next as usize] = pair;
        *next += 1;
    }
    for w in bounds.windows(2) {
        if w[1] - w[0] > 1 {
            sort_bucket(&mut sorted[w[0] as usize..w[1] as usize]);
        }
    }
}

/// Sort one bucket (equal keys in index order) in place.
fn sort_bucket(bucket: &mut [(u64, u32)]) {
    let n = bucket.len();
    if n <= INSERTION_MAX {
        insertion_sort(bucket);
        return;
    }
    // Most often a large bucket is one run of equal keys (creators with the same total)
    // and a few others: the middle key is then that run's. The run keeps its index order,
    // the others are sorted on their own, before and after it.
    let pivot = bucket[n / 2].0;
    let equal = bucket.iter().filter(|p| p.0 == pivot).count();
    if 2 * equal < n {
        let pairs = bucket.to_vec();
        sort_in_index_order(pairs.len(), |i| pairs[i], bucket);
        return;
    }
    if equal == n {
        return;
    }
    let (mut less, mut greater) = (Vec::new(), Vec::new());
    let mut kept = 0;
    for i in 0..n {
        let pair = bucket[i];
        if pair.0 == pivot {
            bucket[kept] = pair; // kept <= i: a stable compaction in place
            kept += 1;
        } else if pair.0 < pivot {
            less.push(pair);
        } else {
            greater.push(pair);
        }
    }
    bucket.copy_within(0..equal, less.len());
    bucket[..less.len()].copy_from_slice(&less);
    bucket[less.len() + equal..].copy_from_slice(&greater);
    sort_bucket(&mut bucket[..less.len()]);
    sort_bucket(&mut bucket[less.len() + equal..]);
}

/// Buckets up to this size are sorted by insertion (most hold one or two pairs, and a
/// call of the general sort costs more than sorting them).
const INSERTION_MAX: usize = 16;

/// Sort a short slice in place.
#[inline]
fn insertion_sort<T: Copy + Ord>(values: &mut [T]) {
    for i in 1..values.len() {
        let v = values[i];
        let mut j = i;
        while j > 0 && values[j - 1] > v {
            values[j] = values[j - 1];
            j -= 1;
        }
        values[j] = v;
    }
}

/// The output of a scatter, shared by the threads that write disjoint slots of it.
struct SharedSlots<T>(*mut T);

// SAFETY: threads only write slots no other thread touches (see `radix_sort_by_key`).
unsafe impl<T: Send> Send for SharedSlots<T> {}
unsafe impl<T: Send> Sync for SharedSlots<T> {}

impl<T> SharedSlots<T> {
    /// # Safety
    /// `i` must be in bounds, and no other thread may access slot `i` meanwhile.
    #[inline]
    unsafe fn write(&self, i: usize, value: T) {
        unsafe { self.0.add(i).write(value) };
    }
}

/// Order-preserving key of a non-negative, finite float (its IEEE bits).
#[inline]
pub fn float_key(x: f64) -> u64 {
    // +0.0 and -0.0 must tie: both map to 0.
    if x == 0.0 {
        0
    } else {
        x.to_bits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_sort_is_stable_and_sorted() {
        for n in [0usize, 1, 5, 1023, 1024, 5000, 70_000] {
            let mut pairs: Vec<(u64, u32)> = (0..n as u64)
                .map(|i| ((i * 7919) % 1000 * 1_000_003 + ((i % 3) << 60), i as u32))
                .collect();
            let mut want = pairs.clone();
            want.sort();
            radix_sort_by_key(&mut pairs, |p| p.0);
            assert_eq!(pairs, want, "n = {n}");
        }
    }

    #[test]
    fn any_number_of_threads_gives_the_stable_order() {
        let pairs: Vec<(u64, u32)> = (0..PARALLEL_MIN as u64 + 70_001)
            .map(|i| ((i * 7919) % 4099 + ((i % 5) << 40), i as u32))
            .collect();
        let mut want = pairs.clone();
        want.sort_by_key(|p| p.0); // stable
        for threads in 1..=5 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            let mut got = pairs.clone();
            pool.install(|| radix_sort_by_key(&mut got, |p| p.0));
            assert_eq!(got, want, "{threads} threads");
        }
    }

    #[test]
    fn keys_with_index_sort_like_std_for_any_thread_count() {
        let spread = |i: u64| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / 2f64.powi(53);
        let cases: Vec<Vec<u64>> = vec![
            (0..300_000u64)
                .map(|i| float_key(300.0 * (6.0 * spread(i)).exp()))
                .collect(),
            (0..200_000u64)
                .map(|i| float_key((i % 7) as f64 * 1000.0))
                .collect(),
            (0..5000u64)
                .map(|i| float_key(if i % 3 == 0 { 0.0 } else { spread(i) }))
                .collect(),
            vec![0; 3000],
            (0..3000u64)
                .map(|i| if i % 2 == 0 { 0 } else { 77 })
                .collect(),
            (0..70_000u64)
                .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect(),
        ];
        for keys in cases {
            let mut want: Vec<(u64, u32)> = keys
                .iter()
                .enumerate()
                .map(|(i, &k)| (k, i as u32))
                .collect();
            want.sort_unstable();
            for threads in 1..=3 {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("a thread pool");
                let got = pool.install(|| sorted_with_index(&keys));
                assert!(got == want, "{threads} threads, n = {}", keys.len());
            }
        }
    }

    #[test]
    fn sort_matches_std() {
        let mut v: Vec<u64> = (0..10_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let mut w = v.clone();
        radix_sort_by_key(&mut v, |&x| x);
        w.sort_unstable();
        assert_eq!(v, w);
    }
}
