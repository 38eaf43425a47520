//! Integer apportionment by cumulative rounding: share an integer amount over weights in
//! index order so the parts sum exactly to the amount and each part is within one unit of
//! its exact quota. Prefix sums make it parallel without changing a single result.

/// Part `k` of `amount` over integer weights: floor(A*S_k/W) - floor(A*S_{k-1}/W).
#[inline]
pub fn cumulative_part(amount: i128, before: i128, weight: i128, total: i128) -> i64 {
    (cumulative_floor(amount, before + weight, total) - cumulative_floor(amount, before, total))
        as i64
}

/// floor(A * S / W) exactly, for non-negative A, S and W > 0 whose product fits 128 bits:
/// a 64-bit division when the product fits 64 bits (the common case), 128-bit otherwise.
#[inline]
pub fn cumulative_floor(amount: i128, prefix: i128, total: i128) -> i128 {
    const MAX: i128 = u64::MAX as i128;
    if amount <= MAX && prefix <= MAX && total <= MAX {
        if let Some(product) = (amount as u64).checked_mul(prefix as u64) {
            return (product / total as u64) as i128;
        }
    }
    amount * prefix / total
}

/// floor(a * b / d) exactly, for a, b >= 0 and d > 0, given `inv` = 1/d as a float.
///
/// Below 2^48 the float quotient is within half a unit of a * b / d, so its truncation is
/// off by at most one, which one branch-free integer step corrects. A 64- or 128-bit
/// hardware division costs several times more, and the kernels divide once per work.
/// Every conversion is a signed 64-bit one (128-bit ones are library calls).
#[inline]
pub fn floor_mul_div(a: i64, b: i64, d: i64, inv: f64) -> i128 {
    let product = a as i128 * b as i128;
    let estimate = a as f64 * b as f64 * inv;
    if estimate >= (1u64 << 48) as f64 {
        return product / d as i128;
    }
    let q = estimate as i64;
    let r = product - q as i128 * d as i128;
    (q + (r >= d as i128) as i64 - (r < 0) as i64) as i128
}

/// [`cumulative_floor`] for a fixed amount and total, evaluated at many prefixes.
#[derive(Clone, Copy, Debug)]
pub struct FloorByTotal {
    amount: i128,
    total: i128,
    inv: f64,
}

impl FloorByTotal {
    /// `total` must be positive.
    pub fn new(amount: i128, total: i128) -> Self {
        Self {
            amount,
            total,
            inv: 1.0 / total as f64,
        }
    }

    /// floor(amount * prefix / total), exactly.
    #[inline]
    pub fn at(&self, prefix: i128) -> i128 {
        const MAX: i128 = i64::MAX as i128;
        if self.amount <= MAX && prefix <= MAX && self.total <= MAX {
            floor_mul_div(
                self.amount as i64,
                prefix as i64,
                self.total as i64,
                self.inv,
            )
        } else {
            self.amount * prefix / self.total
        }
    }
}

/// Cumulative rounding of `amount` over weights with the given `total`, as a stream: the
/// part of each successive weight, starting from the weight `before` seen earlier (so a
/// range of entries can be rounded on its own, in parallel, with the same result).
#[derive(Clone, Copy, Debug)]
pub struct Rounding {
    floor: Option<FloorByTotal>,
    before: i128,
    handed: i128,
}

impl Rounding {
    /// Zero parts when `amount` or `total` is not positive.
    pub fn new(amount: i128, total: i128, before: i128) -> Self {
        let floor = (amount > 0 && total > 0).then(|| FloorByTotal::new(amount, total));
        Self {
            floor,
            before,
            handed: floor.map_or(0, |f| f.at(before)),
        }
    }

    /// The part of the next entry, of weight `weight`.
    #[inline]
    pub fn part(&mut self, weight: i64) -> i64 {
        let Some(floor) = self.floor else { return 0 };
        self.before += weight as i128;
        let handed = floor.at(self.before);
        let part = (handed - self.handed) as i64;
        self.handed = handed;
        part
    }
}

/// Offsets of fixed chunks (the running sum before each) and the grand total.
pub fn chunk_offsets(chunk_totals: &[i128]) -> (Vec<i128>, i128) {
    let mut offsets = Vec::with_capacity(chunk_totals.len());
    let mut running = 0i128;
    for t in chunk_totals {
        offsets.push(running);
        running += t;
    }
    (offsets, running)
}

/// Share an integer `amount` over float weights by cumulative rounding of their running
/// sum. Zero total weight shares equally. Parts are non-negative and sum to `amount`.
pub fn apportion_float(amount: i64, weights: &[f64]) -> Vec<i64> {
    let n = weights.len();
    let mut parts = vec![0i64; n];
    if n == 0 || amount <= 0 {
        return parts;
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        for (before, p) in parts.iter_mut().enumerate() {
            *p = cumulative_part(amount as i128, before as i128, 1, n as i128);
        }
        return parts;
    }
    let amount_f = amount as f64;
    let mut running = 0.0f64;
    let mut target_before = 0i64;
    for (k, (p, &w)) in parts.iter_mut().zip(weights).enumerate() {
        running += w;
        let target = if k + 1 == n {
            amount
        } else {
            let t = ((running / total) * amount_f + 0.5).floor();
            (t.max(0.0) as i64).clamp(target_before, amount)
        };
        *p = target - target_before;
        target_before = target;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_parts_sum_exactly_and_stay_near_quota() {
        let w: Vec<i64> = (0..200_000).map(|i| (i % 17) as i64).collect();
        let total: i64 = (0..w.len()).filter(|i| i % 3 != 0).map(|i| w[i]).sum();
        let mut rounding = Rounding::new(1_234_567, total as i128, 0);
        let parts: Vec<i64> = (0..w.len())
            .map(|i| if i % 3 != 0 { rounding.part(w[i]) } else { 0 })
            .collect();
        assert_eq!(parts.iter().sum::<i64>(), 1_234_567);
        for (i, &p) in parts.iter().enumerate() {
            let quota = if i % 3 != 0 {
                1_234_567.0 * w[i] as f64 / total as f64
            } else {
                0.0
            };
            assert!((p as f64 - quota).abs() < 1.0 + 1e-9);
        }
    }

    #[test]
    fn fast_floor_is_exact() {
        let cases: [(i128, i128, i128); 6] = [
            (7, 10, 3),
            (0, 5, 7),
            (i64::MAX as i128, i64::MAX as i128, 3),
            (1 << 62, (1 << 62) + 12345, (1 << 61) + 7),
            (999_999_999_999, 123_456_789_012, 1_000_000_000_039),
            (5, 5, 25),
        ];
        for (a, s, w) in cases {
            assert_eq!(cumulative_floor(a, s, w), a * s / w, "{a} {s} {w}");
        }
        for i in 1..20_000i128 {
            let (a, s, w) = (i * 7919 % 100_003, i * 104_729 % 1_000_003, i % 997 + 1);
            assert_eq!(cumulative_floor(a, s, w), a * s / w);
            assert_eq!(FloorByTotal::new(a, w).at(s), a * s / w);
        }
        for (a, s, w) in cases {
            assert_eq!(FloorByTotal::new(a, w).at(s), a * s / w, "{a} {s} {w}");
        }
    }

    #[test]
    fn float_estimated_division_is_exact() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> (x % 64)) >> 1) as i64
        };
        for _ in 0..300_000 {
            let (a, b, d) = (next(), next(), next().max(1));
            let want = a as i128 * b as i128 / d as i128;
            assert_eq!(
                floor_mul_div(a, b, d, 1.0 / d as f64),
                want,
                "{a} * {b} / {d}"
            );
        }
        let max = i64::MAX;
        for (a, b, d) in [
            (max, 1, 1),
            (max, max, max),
            (max, 3, 7),
            (1 << 48, 1, 1),
            ((1 << 48) - 1, 1, 1),
            ((1 << 48) + 1, 1, 1),
            (0, 7, 7),
            (6, 7, 42),
            (6, 7, 43),
        ] {
            let want = a as i128 * b as i128 / d as i128;
            assert_eq!(
                floor_mul_div(a, b, d, 1.0 / d as f64),
                want,
                "{a} * {b} / {d}"
            );
        }
    }

    #[test]
    fn rounding_a_range_on_its_own_gives_the_same_parts() {
        let w: Vec<i64> = (0..10_000).map(|i| (i % 23) * 1_000_003).collect();
        let total: i128 = w.iter().map(|&x| x as i128).sum();
        let mut whole = Rounding::new(987_654_321, total, 0);
        let parts: Vec<i64> = w.iter().map(|&x| whole.part(x)).collect();
        assert_eq!(parts.iter().sum::<i64>(), 987_654_321);
        let before: i128 = w[..6000].iter().map(|&x| x as i128).sum();
        let mut tail = Rounding::new(987_654_321, total, before);
        for (i, &x) in w.iter().enumerate().skip(6000) {
            assert_eq!(tail.part(x), parts[i]);
        }
        let mut none = Rounding::new(0, total, 0);
        assert!(w.iter().all(|&x| none.part(x) == 0));
    }

    #[test]
    fn float_parts_sum_exactly() {
        let w = [0.5, 2.25, 0.0, 7.125, 1.0];
        let parts = apportion_float(1001, &w);
        assert_eq!(parts.iter().sum::<i64>(), 1001);
        assert!(parts.iter().all(|&p| p >= 0));
        assert_eq!(apportion_float(5, &[0.0, 0.0]).iter().sum::<i64>(), 5);
    }
}
