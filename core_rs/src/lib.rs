//! ecosim core: traffic allocation under fairness control, inequality metrics, and the
//! population-wide viewing and buying kernels of the daily loop.
//!
//! The algorithms are plain Rust (tested with `cargo test --no-default-features`); the
//! `python` feature adds the thin PyO3 layer in [`py`] that converts and validates arrays.

pub mod allocate;
pub mod blocks;
pub mod gini;
pub mod market;
pub mod profile;
pub mod rng;
pub mod rounding;
pub mod sort;

#[cfg(feature = "python")]
mod py;
