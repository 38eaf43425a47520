//! The thin PyO3 layer: convert NumPy arrays, validate them with messages that name the
//! argument, release the GIL for the heavy work. No algorithm lives here.

use std::borrow::Cow;

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadwriteArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use ecosim_core::allocate::{self, Method, Policy};
use ecosim_core::gini;
use ecosim_core::market;

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
    let values: &[i64] = &values;
    py.detach(|| gini::gini_i64(values)).map_err(|i| {
        PyValueError::new_err(format!("values: negative value {} at index {i}", values[i]))
    })
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

/// Check that every array has the length of the first; the message names the offender.
fn same_length(arrays: &[(&str, usize)]) -> PyResult<()> {
    let (first, n) = arrays[0];
    for &(name, len) in &arrays[1..] {
        if len != n {
            return Err(PyValueError::new_err(format!(
                "{name}: length {len} does not match {first} length {n}"
            )));
        }
    }
    Ok(())
}

/// Check that probabilities lie in [0, 1] and rates are finite and non-negative.
fn finite_non_negative(name: &str, values: &[f64], upper: Option<f64>) -> PyResult<()> {
    if let Some(i) = values
        .iter()
        .position(|v| !v.is_finite() || *v < 0.0 || upper.is_some_and(|u| *v > u))
    {
        return Err(PyValueError::new_err(format!(
            "{name}: invalid value {} at index {i}",
            values[i]
        )));
    }
    Ok(())
}

/// Today's views per fan and commerce reach: (views, reached, active, median, mean).
#[pyfunction]
fn fan_day(
    py: Python<'_>,
    seed: u64,
    day: u64,
    activity: PyReadonlyArray1<'_, f32>,
    commerce_share: f64,
) -> PyResult<(u64, u64, u64, f64, f64)> {
    let activity = contiguous(&activity);
    if let Some(i) = activity.iter().position(|v| !v.is_finite() || *v < 0.0) {
        return Err(PyValueError::new_err(format!(
            "activity: invalid value {} at index {i}",
            activity[i]
        )));
    }
    if !(0.0..=1.0).contains(&commerce_share) {
        return Err(PyValueError::new_err(format!(
            "commerce_share: must be between 0 and 1, got {commerce_share}"
        )));
    }
    let activity: &[f32] = &activity;
    let d = py.detach(|| market::fan_day(seed, day, activity, commerce_share));
    Ok((d.views, d.reached, d.active, d.median_views, d.mean_views))
}

type ViewTuple<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
);

/// Views, engagement and follows per work: (discovery views, follow views, engaged, follows).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn view_works<'py>(
    py: Python<'py>,
    seed: u64,
    day: u64,
    work_uid: PyReadonlyArray1<'py, i64>,
    impressions: PyReadonlyArray1<'py, i64>,
    p_view: PyReadonlyArray1<'py, f64>,
    follow_views: PyReadonlyArray1<'py, f64>,
    engage_rate: PyReadonlyArray1<'py, f64>,
    follow_rate: PyReadonlyArray1<'py, f64>,
) -> PyResult<ViewTuple<'py>> {
    let (uid, imp, pv, fv, er, fr) = (
        contiguous(&work_uid),
        contiguous(&impressions),
        contiguous(&p_view),
        contiguous(&follow_views),
        contiguous(&engage_rate),
        contiguous(&follow_rate),
    );
    same_length(&[
        ("work_uid", uid.len()),
        ("impressions", imp.len()),
        ("p_view", pv.len()),
        ("follow_views", fv.len()),
        ("engage_rate", er.len()),
        ("follow_rate", fr.len()),
    ])?;
    if let Some(i) = imp.iter().position(|&v| v < 0) {
        return Err(PyValueError::new_err(format!(
            "impressions: negative value {} at index {i}",
            imp[i]
        )));
    }
    finite_non_negative("p_view", &pv, Some(1.0))?;
    finite_non_negative("follow_views", &fv, None)?;
    finite_non_negative("engage_rate", &er, Some(1.0))?;
    finite_non_negative("follow_rate", &fr, Some(1.0))?;
    let input = market::ViewInputs {
        work_uid: &uid,
        impressions: &imp,
        p_view: &pv,
        follow_views: &fv,
        engage_rate: &er,
        follow_rate: &fr,
    };
    let out = py.detach(|| market::view_works(seed, day, &input));
    Ok((
        out.views_discovery.into_pyarray(py),
        out.views_follow.into_pyarray(py),
        out.engaged.into_pyarray(py),
        out.follows.into_pyarray(py),
    ))
}

type OrderTuple<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
);

/// The buying step with its memory of who bought from whom (repeat purchases).
#[pyclass(module = "sim._core")]
struct Market {
    memory: market::BuyerMemory,
}

#[pymethods]
impl Market {
    #[new]
    fn new() -> Self {
        Market {
            memory: market::BuyerMemory::new(),
        }
    }

    /// Number of distinct (creator, fan) buyer pairs remembered.
    fn buyer_pairs(&self) -> usize {
        self.memory.len()
    }

    /// Number of distinct past buyers of one creator.
    fn buyers_of(&self, creator: usize) -> usize {
        self.memory.buyers_of(creator).len()
    }

    /// Turn today's views into orders: (fan, work, price, repeat, from_follow) per order.
    /// `capacity_left` and `fan_budget` are updated in place.
    #[allow(clippy::too_many_arguments)]
    fn buy<'py>(
        &mut self,
        py: Python<'py>,
        seed: u64,
        day: u64,
        work_uid: PyReadonlyArray1<'py, i64>,
        work_creator: PyReadonlyArray1<'py, i64>,
        work_category: PyReadonlyArray1<'py, i64>,
        views_discovery: PyReadonlyArray1<'py, i64>,
        views_follow: PyReadonlyArray1<'py, i64>,
        p_discovery: PyReadonlyArray1<'py, f64>,
        p_follow: PyReadonlyArray1<'py, f64>,
        price: PyReadonlyArray1<'py, f64>,
        reference_price: PyReadonlyArray1<'py, f64>,
        repeat_share: PyReadonlyArray1<'py, f64>,
        pool_offsets: PyReadonlyArray1<'py, i64>,
        fan_pool: PyReadonlyArray1<'py, i64>,
        fan_sensitivity: PyReadonlyArray1<'py, f32>,
        mut capacity_left: PyReadwriteArray1<'py, i64>,
        mut fan_budget: PyReadwriteArray1<'py, f64>,
    ) -> PyResult<OrderTuple<'py>> {
        let (uid, wc, wk, vd, vf) = (
            contiguous(&work_uid),
            contiguous(&work_creator),
            contiguous(&work_category),
            contiguous(&views_discovery),
            contiguous(&views_follow),
        );
        let (pd, pf, pr, rp, rs) = (
            contiguous(&p_discovery),
            contiguous(&p_follow),
            contiguous(&price),
            contiguous(&reference_price),
            contiguous(&repeat_share),
        );
        let (po, pool, sens) = (
            contiguous(&pool_offsets),
            contiguous(&fan_pool),
            contiguous(&fan_sensitivity),
        );
        same_length(&[
            ("work_uid", uid.len()),
            ("work_creator", wc.len()),
            ("work_category", wk.len()),
            ("views_discovery", vd.len()),
            ("views_follow", vf.len()),
            ("p_discovery", pd.len()),
            ("p_follow", pf.len()),
            ("price", pr.len()),
            ("reference_price", rp.len()),
        ])?;
        finite_non_negative("p_discovery", &pd, Some(1.0))?;
        finite_non_negative("p_follow", &pf, Some(1.0))?;
        finite_non_negative("price", &pr, None)?;
        finite_non_negative("reference_price", &rp, None)?;
        finite_non_negative("repeat_share", &rs, Some(1.0))?;
        let capacity = capacity_left.as_slice_mut().map_err(|_| {
            PyValueError::new_err("capacity_left: must be a contiguous, writeable int64 array")
        })?;
        let budget = fan_budget.as_slice_mut().map_err(|_| {
            PyValueError::new_err("fan_budget: must be a contiguous, writeable float64 array")
        })?;
        let n_creators = capacity.len().min(rs.len());
        if let Some(i) = wc.iter().position(|&c| c < 0 || c as usize >= n_creators) {
            return Err(PyValueError::new_err(format!(
                "work_creator: value {} at index {i} is outside [0, {n_creators})",
                wc[i]
            )));
        }
        let n_categories = po.len().saturating_sub(1);
        if let Some(i) = wk.iter().position(|&k| k < 0 || k as usize >= n_categories) {
            return Err(PyValueError::new_err(format!(
                "work_category: value {} at index {i} is outside [0, {n_categories})",
                wk[i]
            )));
        }
        if po.windows(2).any(|w| w[0] > w[1])
            || po.first().is_some_and(|&x| x != 0)
            || po.last().is_some_and(|&x| x as usize != pool.len())
        {
            return Err(PyValueError::new_err(
                "pool_offsets: must rise from 0 to len(fan_pool)",
            ));
        }
        if sens.len() != budget.len() {
            return Err(PyValueError::new_err(format!(
                "fan_sensitivity: length {} does not match fan_budget length {}",
                sens.len(),
                budget.len()
            )));
        }
        if let Some(i) = pool
            .iter()
            .position(|&f| f < 0 || f as usize >= budget.len())
        {
            return Err(PyValueError::new_err(format!(
                "fan_pool: value {} at index {i} is not a fan",
                pool[i]
            )));
        }
        let input = market::BuyInputs {
            work_uid: &uid,
            work_creator: &wc,
            work_category: &wk,
            views_discovery: &vd,
            views_follow: &vf,
            p_discovery: &pd,
            p_follow: &pf,
            price: &pr,
            reference_price: &rp,
            repeat_share: &rs,
            pool_offsets: &po,
            fan_pool: &pool,
            fan_sensitivity: &sens,
        };
        let memory = &mut self.memory;
        let o = py.detach(|| market::buy(seed, day, &input, capacity, budget, memory));
        Ok((
            o.fan.into_pyarray(py),
            o.work.into_pyarray(py),
            o.price.into_pyarray(py),
            o.repeat.into_pyarray(py),
            o.from_follow.into_pyarray(py),
        ))
    }
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
    m.add_function(wrap_pyfunction!(fan_day, m)?)?;
    m.add_function(wrap_pyfunction!(view_works, m)?)?;
    m.add_class::<Market>()?;
    Ok(())
}
