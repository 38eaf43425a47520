//! Stable LSD radix sorts: the fairness search sorts a million creator totals many times,
//! and a radix pass is several times faster than a comparison sort at that size.

const BITS: u32 = 16;
const BUCKETS: usize = 1 << BITS;

/// Digit `pass` (0 = lowest 16 bits) of a key.
#[inline]
fn digit(key: u64, pass: u32) -> usize {
    ((key >> (pass * BITS)) & (BUCKETS as u64 - 1)) as usize
}

/// Indices `0..keys.len()` ordered by key ascending, ties by index (a stable argsort).
pub fn argsort_u64(keys: &[u64]) -> Vec<u32> {
    let n = keys.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    if n < 2 {
        return order;
    }
    if n < 256 {
        order.sort_by_key(|&i| keys[i as usize]);
        return order;
    }
    let mut scratch = vec![0u32; n];
    let mut counts = vec![0usize; BUCKETS];
    for pass in 0..(64 / BITS) {
        counts.iter_mut().for_each(|c| *c = 0);
        for &k in keys {
            counts[digit(k, pass)] += 1;
        }
        if counts.contains(&n) {
            continue; // every key shares this digit: the pass would not move anything
        }
        let mut start = 0usize;
        for c in counts.iter_mut() {
            let here = *c;
            *c = start;
            start += here;
        }
        for &i in order.iter() {
            let d = digit(keys[i as usize], pass);
            scratch[counts[d]] = i;
            counts[d] += 1;
        }
        std::mem::swap(&mut order, &mut scratch);
    }
    order
}

/// Sort unsigned integers ascending in place.
pub fn sort_u64(values: &mut Vec<u64>) {
    let n = values.len();
    if n < 256 {
        values.sort_unstable();
        return;
    }
    let mut scratch = vec![0u64; n];
    let mut counts = vec![0usize; BUCKETS];
    for pass in 0..(64 / BITS) {
        counts.iter_mut().for_each(|c| *c = 0);
        for &k in values.iter() {
            counts[digit(k, pass)] += 1;
        }
        if counts.contains(&n) {
            continue;
        }
        let mut start = 0usize;
        for c in counts.iter_mut() {
            let here = *c;
            *c = start;
            start += here;
        }
        for &k in values.iter() {
            let d = digit(k, pass);
            scratch[counts[d]] = k;
            counts[d] += 1;
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
    fn argsort_is_stable_and_sorted() {
        let keys: Vec<u64> = (0..5000u64)
            .map(|i| (i * 7919) % 1000 * 1_000_003)
            .collect();
        let order = argsort_u64(&keys);
        for w in order.windows(2) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            assert!(keys[a] < keys[b] || (keys[a] == keys[b] && a < b));
        }
    }

    #[test]
    fn sort_matches_std() {
        let mut v: Vec<u64> = (0..10_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let mut w = v.clone();
        sort_u64(&mut v);
        w.sort_unstable();
        assert_eq!(v, w);
    }
}
