//! The thin PyO3 layer: convert NumPy arrays, validate them with messages that name the
//! argument, release the GIL for the heavy work. No algorithm lives here.

use std::borrow::Cow;

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::allocate::{self, Method, Policy};
use crate::gini;

/// A contiguous view of the array, or a copy when it is strided (documented behaviour).
fn contiguous<'a, T: numpy::Element + Copy>(array: &'a PyReadonlyArray1<'_, T>) -> Cow<'a, [T]> {
    match array.as_slice() {
        Ok(slice) => Cow::Borrowed(slice),
        Err(_) => Cow::Owned(array.as_array().iter().copied().collect()),
    }
}

/// Gini coefficient of non-negative 64-bit integers (exact).
#[pyfunction]
fn gini_int(py: Python<'_>, values: PyReadonlyArray1<'_, i64>) -> PyResult<f64> {
    let values = contiguous(&values);
    if let Some(i) = values.iter().position(|&v| v < 0) {
        return Err(PyValueError::new_err(format!(
            "values: negative value {} at index {i}",
            values[i]
        )));
    }
    let values: &[i64] = &values;
    Ok(py.detach(|| {
        let as_u64: Vec<u64> = values.iter().map(|&v| v as u64).collect();
        gini::gini_u64(&as_u64)
    }))
}

/// Gini coefficient of non-negative finite floats.
#[pyfunction]
fn gini_float(py: Python<'_>, values: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
    let values = contiguous(&values);
    if let Some(i) = values.iter().position(|v| !v.is_finite() || *v < 0.0) {
        let reason = if values[i].is_finite() {
            "negative value"
        } else {
            "non-finite value"
        };
        return Err(PyValueError::new_err(format!(
            "values: {reason} {} at index {i}",
            values[i]
        )));
    }
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
    let result = py.detach(|| {
        allocate::validate(wc, dm, nw, co.len(), budget, &policy)?;
        Ok::<_, String>(allocate::allocate(wc, dm, nw, co, budget, &policy))
    });
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

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    if std::env::var_os("ECOSIM_NO_MALLOPT").is_none() {
        keep_freed_memory();
    }
    m.add_function(wrap_pyfunction!(gini_int, m)?)?;
    m.add_function(wrap_pyfunction!(gini_float, m)?)?;
    m.add_function(wrap_pyfunction!(allocate_exposure, m)?)?;
    m.add_function(wrap_pyfunction!(thread_count, m)?)?;
    Ok(())
}
