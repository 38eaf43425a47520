//! Counter-based random numbers keyed by (seed, day, entity, stream): every draw can be
//! recomputed independently, so results do not depend on thread count or call order.

/// SplitMix64 finaliser: a bijective 64-bit mixer with good avalanche.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 64-bit random word for (seed, day, entity, stream).
#[inline]
pub fn key(seed: u64, day: u64, entity: u64, stream: u64) -> u64 {
    let a = mix(seed ^ 0x9E37_79B9_7F4A_7C15);
    let b = mix(a ^ day.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let c = mix(b ^ entity.wrapping_mul(0xABC9_8388_FB8C_AC03));
    mix(c ^ stream.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7))
}

/// A stream of draws for one (seed, day, entity): counter `i` gives the i-th draw.
#[derive(Clone, Copy, Debug)]
pub struct Stream {
    base: u64,
    counter: u64,
}

impl Stream {
    pub fn new(seed: u64, day: u64, entity: u64, stream: u64) -> Self {
        Stream {
            base: key(seed, day, entity, stream),
            counter: 0,
        }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(1);
        mix(self
            .base
            .wrapping_add(self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
    }

    /// Uniform in [0, 1) with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n); n > 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Poisson(lambda): inversion for small lambda, a rounded normal approximation above 50.
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 50.0 {
            let x = lambda + lambda.sqrt() * self.normal() + 0.5;
            return if x < 0.0 { 0 } else { x as u64 };
        }
        let limit = (-lambda).exp();
        let mut k = 0u64;
        let mut p = self.uniform();
        while p > limit {
            k += 1;
            p *= self.uniform();
        }
        k
    }

    /// Binomial(n, p) via Poisson for rare events and a normal approximation for large n.
    pub fn binomial(&mut self, n: u64, p: f64) -> u64 {
        if n == 0 || p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        if n <= 32 {
            return (0..n).filter(|_| self.uniform() < p).count() as u64;
        }
        let mean = n as f64 * p;
        if p < 0.05 && mean < 50.0 {
            return self.poisson(mean).min(n);
        }
        let sd = (mean * (1.0 - p)).sqrt();
        let x = (mean + sd * self.normal() + 0.5).floor();
        x.clamp(0.0, n as f64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_keyed_not_sequenced() {
        let mut a = Stream::new(1, 2, 3, 0);
        let mut b = Stream::new(1, 2, 3, 0);
        assert_eq!(a.next_u64(), b.next_u64());
        let mut c = Stream::new(1, 2, 4, 0);
        assert_ne!(Stream::new(1, 2, 3, 0).next_u64(), c.next_u64());
    }

    #[test]
    fn uniform_mean_and_binomial_mean() {
        let mut s = Stream::new(7, 0, 0, 0);
        let m: f64 = (0..100_000).map(|_| s.uniform()).sum::<f64>() / 100_000.0;
        assert!((m - 0.5).abs() < 0.01);
        let b: u64 = (0..2000)
            .map(|i| Stream::new(7, 1, i, 0).binomial(1000, 0.01))
            .sum();
        let mean = b as f64 / 2000.0;
        assert!((mean - 10.0).abs() < 0.5, "{mean}");
    }
}
