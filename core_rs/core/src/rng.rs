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

    /// Standard normal by inverting its CDF (Acklam's rational approximation, relative
    /// error below 1.2e-9): one uniform, and a logarithm only in the 5% of tails.
    pub fn normal(&mut self) -> f64 {
        inverse_normal_cdf(self.uniform().max(f64::MIN_POSITIVE))
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

/// The standard normal quantile function (Acklam's algorithm).
#[allow(clippy::excessive_precision)] // the published coefficients, as published
pub fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383577518672690e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    const LOW: f64 = 0.02425;
    if p < LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
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
    fn normal_quantiles() {
        assert!(inverse_normal_cdf(0.5).abs() < 1e-9);
        assert!((inverse_normal_cdf(0.975) - 1.959963985).abs() < 1e-6);
        assert!((inverse_normal_cdf(0.001) + 3.090232306).abs() < 1e-6);
        let mut s = Stream::new(3, 0, 0, 0);
        let draws: Vec<f64> = (0..200_000).map(|_| s.normal()).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0).abs() < 0.02,
            "{mean} {var}"
        );
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
