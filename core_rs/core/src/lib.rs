//! ecosim core: traffic allocation under fairness control, inequality metrics, and the
//! population-wide viewing and buying kernels of the daily loop.
//!
//! Plain Rust with no Python in it (`cargo test -p ecosim-core`); the binding crate
//! `core_rs/python` (`sim._core`) only converts and validates arrays and calls in here.

pub mod allocate;
pub mod audience;
pub mod blocks;
pub mod chunks;
pub mod gini;
pub mod profile;
pub mod rng;
pub mod rounding;
pub mod sort;
