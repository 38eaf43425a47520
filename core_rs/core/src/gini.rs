//! Gini coefficient of non-negative values: exact for integers (a histogram or a radix
//! sort, then exact 128-bit sums), deterministic for floats (fixed-size chunk sums).
//!
//! With values sorted ascending x_(1) <= ... <= x_(n) and S = sum x, the Gini is
//! G = (2 * sum_i i * x_(i) - (n + 1) * S) / (n * S), the population form of
//! sum_i sum_j |x_i - x_j| / (2 n^2 mean). Empty or all-zero inputs give 0.

use rayon::prelude::*;

use crate::chunks::{self, CHUNK};
use crate::sort::radix_sort_by_key_below;

/// Values above this maximum are sorted instead of counted.
const HISTOGRAM_MAX: u64 = 1 << 22;

/// Gini from the exact integer sums: `weighted` = sum_i i * x_(i) (1-based), `total` = S.
pub fn gini_from_sums(n: u64, weighted: u128, total: u128) -> f64 {
    if n == 0 || total == 0 {
        return 0.0;
    }
    let numerator = 2 * weighted - (n as u128 + 1) * total;
    numerator as f64 / (n as u128 * total) as f64
}

/// Exact Gini of signed integers, or the index of the first negative one.
pub fn gini_i64(values: &[i64]) -> Result<f64, usize> {
    // SAFETY: i64 and u64 have the same size and alignment, and every bit pattern is a
    // valid u64. A negative value reads as one above i64::MAX, so the largest value shows
    // whether any is negative: the check costs no pass of its own.
    let unsigned =
        unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<u64>(), values.len()) };
    let max = max_u64(unsigned);
    if max > i64::MAX as u64 {
        return Err(values.iter().position(|&v| v < 0).unwrap_or(0));
    }
    Ok(gini_u64_below(unsigned, max))
}

/// Exact Gini of unsigned integers.
pub fn gini_u64(values: &[u64]) -> f64 {
    gini_u64_below(values, max_u64(values))
}

fn max_u64(values: &[u64]) -> u64 {
    chunks::map_chunks(values, |_, c| c.iter().copied().max().unwrap_or(0))
        .into_iter()
        .max()
        .unwrap_or(0)
}

/// [`gini_u64`] of values whose largest is `max`.
fn gini_u64_below(values: &[u64], max: u64) -> f64 {
    let n = values.len();
    if n == 0 || max == 0 {
        return 0.0;
    }
    // A histogram no longer than the values beats sorting; a sparser one does not (its
    // memory is cleared and scanned, and per-thread copies multiply it).
    if max <= HISTOGRAM_MAX && (max as usize) <= n {
        gini_by_histogram(values, max as usize)
    } else if max <= u32::MAX as u64 {
        // Half the bytes to move, and the radix sort skips the empty high digits.
        let mut sorted: Vec<u32> = chunks::map(n, |i| values[i] as u32);
        radix_sort_by_key_below(&mut sorted, |&v| v as u64, max);
        gini_sorted(&sorted)
    } else {
        let mut sorted = values.to_vec();
        radix_sort_by_key_below(&mut sorted, |&v| v, max);
        gini_sorted(&sorted)
    }
}

/// Exact Gini of integers already sorted ascending. Integer sums over fixed chunks, in
/// parallel: exact, so the same for any number of threads.
pub fn gini_sorted<T: Copy + Into<u64> + Sync>(sorted: &[T]) -> f64 {
    let (weighted, total) = chunks::map_chunks(sorted, |c, chunk| {
        let mut weighted: u128 = 0;
        let mut total: u128 = 0;
        for (i, &v) in chunk.iter().enumerate() {
            let v: u64 = v.into();
            weighted += (i as u128 + 1) * v as u128;
            total += v as u128;
        }
        // Ranks in this chunk start after c * CHUNK entries.
        (weighted + (c * CHUNK) as u128 * total, total)
    })
    .into_iter()
    .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    gini_from_sums(sorted.len() as u64, weighted, total)
}

/// Exact Gini of integers given in an order where none exceeds a later one by more than
/// one (integers rounded from sorted floats, each within one of its float), or `None`
/// when the order is not such. Every out-of-order pair then differs by exactly one, so
/// sorting would raise sum_i i * x_(i) by the number of such pairs, counted in the same
/// pass: the sums, and so the Gini, are [`gini_sorted`]'s without a sort.
pub fn gini_in_near_order(values: impl Iterator<Item = u64>) -> Option<f64> {
    let (mut n, mut weighted, mut total) = (0u64, 0u128, 0u128);
    // The largest value so far, how many of the values so far equal it, and the
    // out-of-order pairs.
    let (mut max, mut at_max, mut inverted) = (0u64, 0u64, 0u128);
    for v in values {
        n += 1;
        weighted += n as u128 * v as u128;
        total += v as u128;
        if v > max {
            (max, at_max) = (v, 1);
        } else if v == max {
            at_max += 1;
        } else if v + 1 == max {
            inverted += at_max as u128;
        } else {
            return None;
        }
    }
    Some(gini_from_sums(n, weighted + inverted, total))
}

fn gini_by_histogram(values: &[u64], max: usize) -> f64 {
    // One histogram per thread-sized part: integer counts do not depend on the split.
    // 32-bit counts when a part cannot overflow them: half the memory to clear and touch.
    let parts = if chunks::is_parallel(values.len()) {
        rayon::current_num_threads().clamp(1, 8)
    } else {
        1
    };
    let step = values.len().div_ceil(parts).max(1);
    if step <= u32::MAX as usize {
        histogram_sums::<u32>(values, max, step)
    } else {
        histogram_sums::<u64>(values, max, step)
    }
}

/// [`gini_by_histogram`] with counts of type `C`, over parts of `step` values.
fn histogram_sums<C>(values: &[u64], max: usize, step: usize) -> f64
where
    C: Copy + Default + Send + Sync + Into<u64> + std::ops::AddAssign + From<u8>,
{
    // Allocated here, not in the workers: glibc serves large blocks on worker threads by
    // fresh mmaps, and faulting them in costs more than counting.
    let mut partial: Vec<Vec<C>> = (0..values.len().div_ceil(step))
        .map(|_| vec![C::default(); max + 1])
        .collect();
    partial
        .par_iter_mut()
        .zip(values.par_chunks(step))
        .for_each(|(h, chunk)| {
            for &v in chunk {
                h[v as usize] += C::from(1);
            }
        });
    let mut before: u128 = 0; // entries with a smaller value
    let mut weighted: u128 = 0;
    let mut total: u128 = 0;
    for v in 0..=max {
        let k: u64 = partial.iter().map(|h| h[v].into()).sum();
        if k == 0 {
            continue;
        }
        let k = k as u128;
        let positions = k * before + k * (k + 1) / 2;
        weighted += positions * v as u128;
        total += k * v as u128;
        before += k;
    }
    gini_from_sums(values.len() as u64, weighted, total)
}

/// Gini of non-negative finite floats.
pub fn gini_f64(values: &[f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    if chunks::is_parallel(n) {
        sorted.par_sort_unstable_by(|a, b| a.total_cmp(b));
    } else {
        sorted.sort_unstable_by(|a, b| a.total_cmp(b));
    }
    gini_sorted_f64(&sorted)
}

/// Gini of non-negative floats already sorted ascending.
pub fn gini_sorted_f64(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    let total = chunks::sum_f64(n, |i| sorted[i]);
    if n == 0 || total <= 0.0 {
        return 0.0;
    }
    let centred = chunks::sum_f64(n, |i| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * sorted[i]);
    (centred / (n as f64 * total)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(values: &[f64]) -> f64 {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        if mean == 0.0 {
            return 0.0;
        }
        let mut s = 0.0;
        for a in values {
            for b in values {
                s += (a - b).abs();
            }
        }
        s / (2.0 * n * n * mean)
    }

    #[test]
    fn known_values() {
        assert_eq!(gini_u64(&[]), 0.0);
        assert_eq!(gini_u64(&[0, 0, 0]), 0.0);
        assert_eq!(gini_u64(&[5, 5, 5, 5]), 0.0);
        assert_eq!(gini_u64(&[0, 0, 0, 1]), 0.75);
        assert!((gini_f64(&[0.0, 0.0, 0.0, 1.0]) - 0.75).abs() < 1e-15);
    }

    #[test]
    fn counting_equals_the_sorted_sums_for_any_thread_count() {
        // Values no larger than their count: the histogram path.
        let n = 300_000u64;
        let values: Vec<u64> = (0..n)
            .map(|i| {
                let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                if i % 3 == 0 {
                    x % 1000
                } else {
                    (x % 200_000) | 1 << 16
                }
            })
            .collect();
        assert!(values.iter().max().is_some_and(|&m| m > 1 << 16 && m <= n));
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let want = gini_sorted(&sorted);
        for threads in 1..=3 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            assert_eq!(
                pool.install(|| gini_u64(&values)),
                want,
                "{threads} threads"
            );
        }
        let max = *values.iter().max().expect("values");
        assert_eq!(histogram_sums::<u64>(&values, max as usize, 1 << 20), want);
    }

    #[test]
    fn histogram_and_sort_paths_agree_with_brute_force() {
        let small: Vec<u64> = (0..3000u64).map(|i| (i * 2654435761) % 977).collect();
        let mid: Vec<u64> = small.iter().map(|v| v * 1000).collect();
        let big: Vec<u64> = small.iter().map(|v| v * 1_000_000_007).collect();
        let f: Vec<f64> = small.iter().map(|&v| v as f64).collect();
        let b = brute(&f);
        assert!((gini_u64(&small) - b).abs() < 1e-12);
        assert!((gini_u64(&mid) - b).abs() < 1e-12);
        assert!((gini_u64(&big) - b).abs() < 1e-12);
        assert!((gini_f64(&f) - b).abs() < 1e-12);
    }

    #[test]
    fn near_order_matches_the_sorted_gini() {
        // Integers rounded from sorted floats, in the floats' order.
        let floats: Vec<f64> = (0..5000u64)
            .map(|i| ((i * 2654435761) % 10007) as f64 / 7.0)
            .collect();
        let mut sorted_f = floats.clone();
        sorted_f.sort_by(f64::total_cmp);
        for shift in [0.0, 0.3, 0.5, 0.99] {
            let ints: Vec<u64> = sorted_f
                .iter()
                .enumerate()
                .map(|(i, f)| (f + shift * ((i % 7) as f64 / 7.0)).round() as u64)
                .collect();
            let mut sorted = ints.clone();
            sorted.sort_unstable();
            assert_eq!(
                gini_in_near_order(ints.iter().copied()),
                Some(gini_sorted(&sorted)),
                "shift {shift}"
            );
        }
        // A value two above a later one is refused.
        assert_eq!(gini_in_near_order([1, 5, 3, 6].into_iter()), None);
        assert_eq!(
            gini_in_near_order([1, 5, 4, 6].into_iter()),
            Some(gini_sorted(&[1u64, 4, 5, 6]))
        );
        assert_eq!(gini_in_near_order(std::iter::empty()), Some(0.0));
    }
}
