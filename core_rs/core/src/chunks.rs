//! Fixed chunks: every parallel pass of the kernels cuts its input into pieces of
//! [`CHUNK`] entries, so that float sums (one partial sum per chunk, added in chunk order)
//! and every other result are the same for any number of threads.
//!
//! An input of at most one chunk is handled on the calling thread without touching the
//! thread pool: the daily rounds of the model are that small, and handing a pass to
//! rayon's workers and waiting for them costs more than the pass itself there.

use std::ops::Range;

use rayon::prelude::*;

/// Entries per chunk.
pub const CHUNK: usize = 1 << 16;

/// Fans per chunk of the fans' engine ([`crate::audience`]): its per-fan passes do far
/// more work per entry (a fan's relations, its draws) than the kernels' per-work passes,
/// so a finer grain balances the threads. Results do not depend on it (every fan has its
/// own stream and every sum over fans is an integer sum).
pub const FAN_CHUNK: usize = 1 << 12;

/// Whether an input of `n` entries is split over threads (more than one chunk).
#[inline]
pub fn is_parallel(n: usize) -> bool {
    n > CHUNK
}

/// `f(i)` for `i` in `0..n`, in order; in parallel over chunks when there are several.
pub fn map<T, F>(n: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Sync + Send,
{
    if is_parallel(n) {
        (0..n).into_par_iter().with_min_len(CHUNK).map(f).collect()
    } else {
        (0..n).map(f).collect()
    }
}

/// `f(chunk index, index range of the chunk)` for the chunks of `0..n`, results in chunk
/// order.
pub fn map_ranges<T, F>(n: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, Range<usize>) -> T + Sync + Send,
{
    let chunk = |c: usize| f(c, c * CHUNK..((c + 1) * CHUNK).min(n));
    if is_parallel(n) {
        (0..n.div_ceil(CHUNK)).into_par_iter().map(chunk).collect()
    } else {
        (0..n.div_ceil(CHUNK)).map(chunk).collect()
    }
}

/// `f(chunk index, chunk)` for every chunk of `values`, results in chunk order.
pub fn map_chunks<'a, V, T, F>(values: &'a [V], f: F) -> Vec<T>
where
    V: Sync,
    T: Send,
    F: Fn(usize, &'a [V]) -> T + Sync + Send,
{
    map_ranges(values.len(), |c, range| f(c, &values[range]))
}

/// `f(chunk index, chunk)` for every chunk of `values`, which it may rewrite.
pub fn for_each_chunk_mut<V, F>(values: &mut [V], f: F)
where
    V: Send,
    F: Fn(usize, &mut [V]) + Sync + Send,
{
    if is_parallel(values.len()) {
        values
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, v)| f(c, v));
    } else {
        values
            .chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, v)| f(c, v));
    }
}

/// Sum of `f(i)` over `0..n`: one partial sum per chunk, in index order, and the
/// partial sums added in chunk order. The same bits for any number of threads.
pub fn sum_f64<F: Fn(usize) -> f64 + Sync + Send>(n: usize, f: F) -> f64 {
    let partial = map_ranges(n, |_, range| {
        let mut s = 0.0;
        for i in range {
            s += f(i);
        }
        s
    });
    partial.iter().sum()
}

/// Exact sum of `f(i)` over `0..n` (integers: any order gives the same).
pub fn sum_i128<F: Fn(usize) -> i128 + Sync + Send>(n: usize, f: F) -> i128 {
    if is_parallel(n) {
        (0..n).into_par_iter().with_min_len(CHUNK).map(f).sum()
    } else {
        (0..n).map(f).sum()
    }
}

/// The number of `i` in `0..n` for which `f(i)` holds.
pub fn count<F: Fn(usize) -> bool + Sync + Send>(n: usize, f: F) -> usize {
    if is_parallel(n) {
        (0..n)
            .into_par_iter()
            .with_min_len(CHUNK)
            .filter(|&i| f(i))
            .count()
    } else {
        (0..n).filter(|&i| f(i)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_do_not_depend_on_the_thread_count() {
        let n = 5 * CHUNK + 17;
        let value = |i: usize| 1.0 / (1.0 + i as f64);
        let serial: f64 = (0..n.div_ceil(CHUNK))
            .map(|c| {
                let mut s = 0.0;
                for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                    s += value(i);
                }
                s
            })
            .sum();
        for threads in 1..=3 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            assert_eq!(pool.install(|| sum_f64(n, value)), serial);
            let squares = pool.install(|| map(n, |i| i * i));
            assert!(squares.iter().enumerate().all(|(i, &s)| s == i * i));
            assert_eq!(pool.install(|| count(n, |i| i % 3 == 0)), n.div_ceil(3));
        }
        assert_eq!(sum_f64(0, value), 0.0);
        assert_eq!(sum_i128(10, |i| i as i128), 45);
    }
}
