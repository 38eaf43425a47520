//! A stable LSD radix sort for integers: the exact Gini sorts a million creator totals,
//! and a few radix passes over integers of limited range beat a comparison sort.

/// Bits per digit: 2048 counters fit the L1 cache, and six passes cover 64 bits.
const BITS: u32 = 11;
const BUCKETS: usize = 1 << BITS;
const PASSES: usize = 64usize.div_ceil(BITS as usize);
/// Below this a comparison sort is faster than clearing the counters.
const SMALL: usize = 1024;

/// Digit `pass` (0 = lowest bits) of a key.
#[inline]
fn digit(key: u64, pass: usize) -> usize {
    ((key >> (pass as u32 * BITS)) & (BUCKETS as u64 - 1)) as usize
}

/// Sort `values` by `key` ascending, keeping the input order of equal keys (stable).
pub fn radix_sort_by_key<T, K>(values: &mut Vec<T>, key: K)
where
    T: Copy,
    K: Fn(&T) -> u64,
{
    let n = values.len();
    if n < SMALL {
        values.sort_by_key(|v| key(v));
        return;
    }
    // Every pass's counts in one read; a digit every key shares needs no pass.
    let mut counts = vec![[0usize; BUCKETS]; PASSES];
    for v in values.iter() {
        let k = key(v);
        for (pass, c) in counts.iter_mut().enumerate() {
            c[digit(k, pass)] += 1;
        }
    }
    let mut scratch = values.clone();
    for (pass, c) in counts.iter_mut().enumerate() {
        if c.contains(&n) {
            continue;
        }
        let mut start = 0usize;
        for slot in c.iter_mut() {
            let here = *slot;
            *slot = start;
            start += here;
        }
        for v in values.iter() {
            let d = digit(key(v), pass);
            scratch[c[d]] = *v;
            c[d] += 1;
        }
        std::mem::swap(values, &mut scratch);
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
