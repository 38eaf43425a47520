//! A stable LSD radix sort for integers: the exact Gini sorts a million creator totals,
//! and a few radix passes over integers of limited range beat a comparison sort.

use rayon::prelude::*;

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
