//! The thin PyO3 layer `sim._core`: turn NumPy arrays into slices, check them with
//! messages that name the argument, release the GIL for the work, and turn the results
//! back into arrays. No algorithm lives here (see the `ecosim-core` crate); no panic
//! reaches Python (every input a kernel could refuse is checked first, and the allocation
//! reports its own refusals as errors).

mod audience;

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

/// What a float argument may hold.
#[derive(Clone, Copy)]
enum Values {
    /// Finite and in [0, 1].
    Probability,
    /// Finite and >= 0.
    NonNegative,
}

/// Every argument as long as the first; the error names the first that is not.
fn same_lengths(lengths: &[(&str, usize)]) -> PyResult<()> {
    let Some(&(first, n)) = lengths.first() else {
        return Ok(());
    };
    match lengths.iter().find(|&&(_, len)| len != n) {
        Some(&(name, len)) => Err(PyValueError::new_err(format!(
            "{name}: length {len} does not match {first} length {n}"
        ))),
        None => Ok(()),
    }
}

/// Every float argument within its [`Values`]; the error names the argument and the first
/// bad index.
fn within(floats: &[(&str, &[f64], Values)]) -> PyResult<()> {
    for &(name, values, allowed) in floats {
        let upper = match allowed {
            Values::Probability => 1.0,
            Values::NonNegative => f64::INFINITY,
        };
        each(
            name,
            values,
            |v| !v.is_finite() || v < 0.0 || v > upper,
            |v, i| format!("invalid value {v} at index {i}"),
        )?;
    }
    Ok(())
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

/// Whether an index is outside `0..n`.
fn outside(n: usize) -> impl Fn(i64) -> bool {
    move |k| k < 0 || k as u64 >= n as u64
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
    each(
        "activity",
        &activity,
        |v| !v.is_finite() || v < 0.0,
        |v, i| format!("invalid value {v} at index {i}"),
    )?;
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
    use Values::{NonNegative, Probability};
    same_lengths(&[
        ("work_uid", uid.len()),
        ("impressions", imp.len()),
        ("p_view", pv.len()),
        ("follow_views", fv.len()),
        ("engage_rate", er.len()),
        ("follow_rate", fr.len()),
    ])?;
    each(
        "impressions",
        &imp,
        |v| v < 0,
        |v, i| format!("negative value {v} at index {i}"),
    )?;
    within(&[
        ("p_view", &pv, Probability),
        ("follow_views", &fv, NonNegative),
        ("engage_rate", &er, Probability),
        ("follow_rate", &fr, Probability),
    ])?;
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
        use Values::{NonNegative, Probability};
        same_lengths(&[
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
        within(&[
            ("p_discovery", &pd, Probability),
            ("p_follow", &pf, Probability),
            ("price", &pr, NonNegative),
            ("reference_price", &rp, NonNegative),
            ("repeat_share", &rs, Probability),
        ])?;
        let capacity = capacity_left.as_slice_mut().map_err(|_| {
            PyValueError::new_err("capacity_left: must be a contiguous, writeable int64 array")
        })?;
        let budget = fan_budget.as_slice_mut().map_err(|_| {
            PyValueError::new_err("fan_budget: must be a contiguous, writeable float64 array")
        })?;
        let n_creators = capacity.len().min(rs.len());
        each("work_creator", &wc, outside(n_creators), |c, i| {
            format!("value {c} at index {i} is outside [0, {n_creators})")
        })?;
        let n_categories = po.len().saturating_sub(1);
        each("work_category", &wk, outside(n_categories), |k, i| {
            format!("value {k} at index {i} is outside [0, {n_categories})")
        })?;
        if po.windows(2).any(|w| w[0] > w[1])
            || po.first().is_some_and(|&x| x != 0)
            || po.last().is_some_and(|&x| x as usize != pool.len())
        {
            return Err(PyValueError::new_err(
                "pool_offsets: must rise from 0 to len(fan_pool)",
            ));
        }
        same_lengths(&[
            ("fan_budget", budget.len()),
            ("fan_sensitivity", sens.len()),
        ])?;
        each("fan_pool", &pool, outside(budget.len()), |f, i| {
            format!("value {f} at index {i} is not a fan")
        })?;
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

/// The Rust kernels of ecosim (traffic allocation, Gini, viewing and buying), wrapped by
/// `sim.allocation`, `sim.fairness` and the model's steps.
#[pymodule]
mod _core {
    use pyo3::prelude::*;

    #[pymodule_export]
    use super::audience::Audience;
    #[pymodule_export]
    use super::{
        allocate_exposure, fan_day, gini_float, gini_int, thread_count, view_works, Market,
    };

    #[pymodule_init]
    fn init(_module: &Bound<'_, PyModule>) -> PyResult<()> {
        if std::env::var_os("ECOSIM_NO_MALLOPT").is_none() {
            super::keep_freed_memory();
        }
        Ok(())
    }
}
