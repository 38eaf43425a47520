//! Population-wide viewing and buying kernels of the daily loop (filled in by the model).
