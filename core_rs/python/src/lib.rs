//! The thin PyO3 layer `sim._core`: turn NumPy arrays into slices, check them with
//! messages that name the argument, release the GIL for the work, and turn the results
//! back into arrays. No algorithm lives here (see the `ecosim-core` crate); no panic
//! reaches Python (every input a kernel could refuse is checked first, and the allocation
//! reports its own refusals as errors).

mod audience;

use std::borrow::Cow;

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use ecosim_core::allocate::{self, Method, Policy};
use ecosim_core::gini;

/// A contiguous view of the array, or a copy when it is strided (documented behaviour).
fn contiguous<'a, T: numpy::Element + Copy>(array: &'a PyReadonlyArray1<'_, T>) -> Cow<'a, [T]> {
    match array.as_slice() {
        Ok(slice) => Cow::Borrowed(slice),
        Err(_) => Cow::Owned(array.as_array().iter().copied().collect()),
    }
}

/// No value for which `bad` holds; else the error "`name`: `message(value, index)`" for
/// the first one.
fn each<T: Copy>(
    name: &str,
    values: &[T],
    bad: impl Fn(T) -> bool,
    message: impl Fn(T, usize) -> String,
) -> PyResult<()> {
    match values.iter().position(|&v| bad(v)) {
        Some(i) => Err(PyValueError::new_err(format!(
            "{name}: {}",
            message(values[i], i)
        ))),
        None => Ok(()),
    }
}

/// Gini coefficient of non-negative 64-bit integers (exact).
#[pyfunction]
fn gini_int(py: Python<'_>, values: PyReadonlyArray1<'_, i64>) -> PyResult<f64> {
    let values = contiguous(&values);
    let values: &[i64] = &values;
    py.detach(|| gini::gini_i64(values)).map_err(|i| {
        PyValueError::new_err(format!("values: negative value {} at index {i}", values[i]))
    })
}

/// Gini coefficient of non-negative finite floats.
#[pyfunction]
fn gini_float(py: Python<'_>, values: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
    let values = contiguous(&values);
    each(
        "values",
        &values,
        |v| !v.is_finite() || v < 0.0,
        |v, i| {
            let reason = if v.is_finite() {
                "negative value"
            } else {
                "non-finite value"
            };
            format!("{reason} {v} at index {i}")
        },
    )?;
    let values: &[f64] = &values;
    Ok(py.detach(|| gini::gini_f64(values)))
}

type AllocationTuple<'py> = (Bound<'py, PyArray1<i64>>, f64, f64, f64, f64, bool);

/// One round of traffic allocation under a fairness policy.
#[pyfunction]
#[pyo3(signature = (work_creator, demand, is_new, creator_ordinary, budget, gini_cap=None, ordinary_floor=None, method="blend"))]
#[allow(clippy::too_many_arguments)]
fn allocate_exposure<'py>(
    py: Python<'py>,
    work_creator: PyReadonlyArray1<'py, i64>,
    demand: PyReadonlyArray1<'py, i64>,
    is_new: PyReadonlyArray1<'py, bool>,
    creator_ordinary: PyReadonlyArray1<'py, bool>,
    budget: i64,
    gini_cap: Option<f64>,
    ordinary_floor: Option<f64>,
    method: &str,
) -> PyResult<AllocationTuple<'py>> {
    let method = match method {
        "blend" => Method::Blend,
        "cap" => Method::Cap,
        other => {
            return Err(PyValueError::new_err(format!(
                "method: must be 'blend' or 'cap', got {other:?}"
            )))
        }
    };
    let policy = Policy {
        gini_cap,
        ordinary_floor,
        method,
    };
    let work_creator = contiguous(&work_creator);
    let demand = contiguous(&demand);
    let is_new = contiguous(&is_new);
    let creator_ordinary = contiguous(&creator_ordinary);
    let (wc, dm, nw, co): (&[i64], &[i64], &[bool], &[bool]) =
        (&work_creator, &demand, &is_new, &creator_ordinary);
    // The checked entry point refuses bad values (lengths, ranges, demands of 2**47 or
    // more, totals past 2**63 - 1) with a message naming the argument.
    let result = py.detach(|| allocate::allocate_checked(wc, dm, nw, co, budget, &policy));
    let a = result.map_err(PyValueError::new_err)?;
    Ok((
        a.impressions.into_pyarray(py),
        a.gini_before,
        a.gini_after,
        a.ordinary_share_before,
        a.ordinary_share_after,
        a.feasible,
    ))
}

/// Number of threads in rayon's pool (RAYON_NUM_THREADS or the core count).
#[pyfunction]
fn thread_count() -> usize {
    rayon::current_num_threads()
}

/// Keep large freed buffers in the heap instead of returning them to the kernel: the daily
/// kernels allocate the same large arrays every call, and on a virtual machine re-faulting
/// their pages costs more than the work itself.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    // SAFETY: mallopt only tunes glibc's allocator thresholds.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 31);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

/// The Rust kernels of ecosim (traffic allocation, Gini, viewing and buying), wrapped by
/// `sim.allocation`, `sim.fairness` and the model's steps.
#[pymodule]
mod _core {
    use pyo3::prelude::*;

    #[pymodule_export]
    use super::audience::Audience;
    #[pymodule_export]
    use super::{allocate_exposure, gini_float, gini_int, thread_count};

    #[pymodule_init]
    fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
        if std::env::var_os("ECOSIM_NO_MALLOPT").is_none() {
            super::keep_freed_memory();
        }
        // One value for both sides: the warm start passes it back as the relations' trust.
        module.add(
            "STRANGER_TRUST",
            f64::from(ecosim_core::audience::STRANGER_TRUST),
        )?;
        Ok(())
    }
}
