//! `sim._core.Audience`: the thin binding of `ecosim_core::audience` (the fans' day).
//! Converts NumPy arrays, turns rejected inputs into `ValueError` naming the argument,
//! and releases the GIL for every call that walks the population.

use std::borrow::Cow;

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadwriteArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use ecosim_core::audience::{self, InputError, Offers, WorksToday};

/// A contiguous view of the array, or a copy when it is strided.
fn contiguous<'a, T: numpy::Element + Copy>(array: &'a PyReadonlyArray1<'_, T>) -> Cow<'a, [T]> {
    match array.as_slice() {
        Ok(slice) => Cow::Borrowed(slice),
        Err(_) => Cow::Owned(array.as_array().iter().copied().collect()),
    }
}

fn value_error(e: InputError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Values of an int64 array as `T`, or a ValueError naming the argument.
fn narrow<T: TryFrom<i64>>(name: &str, values: &[i64], what: &str) -> PyResult<Vec<T>> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            T::try_from(v).map_err(|_| {
                PyValueError::new_err(format!("{name}: value {v} at index {i} is not {what}"))
            })
        })
        .collect()
}

fn writeable<'a, T: numpy::Element>(
    name: &str,
    array: &'a mut PyReadwriteArray1<'_, T>,
    dtype: &str,
) -> PyResult<&'a mut [T]> {
    array.as_slice_mut().map_err(|_| {
        PyValueError::new_err(format!(
            "{name}: must be a contiguous, writeable {dtype} array"
        ))
    })
}

fn int64<'py>(py: Python<'py>, values: impl IntoIterator<Item = i64>) -> Bound<'py, PyArray1<i64>> {
    values.into_iter().collect::<Vec<i64>>().into_pyarray(py)
}

type Int64<'py> = Bound<'py, PyArray1<i64>>;
type PlanTuple<'py> = (Int64<'py>, u64, u64, f64, f64);
type ViewTuple<'py> = (
    Int64<'py>,
    Int64<'py>,
    Int64<'py>,
    Int64<'py>,
    Bound<'py, PyDict>,
);
type OrderTuple<'py> = (
    Int64<'py>,
    Int64<'py>,
    Int64<'py>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
);
type EdgeTuple<'py> = (
    Int64<'py>,
    Int64<'py>,
    Bound<'py, PyArray1<f32>>,
    Bound<'py, PyArray1<u8>>,
);
type TotalsTuple<'py> = (
    Int64<'py>,
    Int64<'py>,
    Int64<'py>,
    Bound<'py, PyArray1<f64>>,
);

/// The fans of one model: their relations to creators (follows, trust, past purchases)
/// and the day in three calls, `plan`, `view` and `buy` (see docs/fans.md).
#[pyclass(module = "sim._core")]
pub struct Audience {
    inner: audience::Audience,
    /// The last `buy`'s decisions to buy on a later day: (fan, work, from_follow).
    planted: (Vec<i64>, Vec<i64>, Vec<bool>),
}

#[pymethods]
impl Audience {
    /// Relations per fan at most.
    #[classattr]
    const MAX_RELATIONS: usize = audience::MAX_RELATIONS;
    /// Flag of a relation: the fan follows the creator.
    #[classattr]
    const FOLLOWS: u8 = audience::FOLLOWS;
    /// Flag of a relation: the fan has bought from the creator.
    #[classattr]
    const BOUGHT: u8 = audience::BOUGHT;
    /// Flag of a relation: some of its orders came from the fan's follow page.
    #[classattr]
    const BOUGHT_ON_PAGE: u8 = audience::BOUGHT_ON_PAGE;

    #[new]
    fn new(
        interest: PyReadonlyArray1<'_, i64>,
        activity: PyReadonlyArray1<'_, f32>,
        sensitivity: PyReadonlyArray1<'_, f32>,
        n_categories: usize,
        n_creators: usize,
    ) -> PyResult<Self> {
        let interest: Vec<u16> = narrow("interest", &contiguous(&interest), "a category")?;
        let inner = audience::Audience::new(
            interest,
            contiguous(&activity).into_owned(),
            contiguous(&sensitivity).into_owned(),
            n_categories,
            n_creators,
        )
        .map_err(value_error)?;
        Ok(Audience {
            inner,
            planted: Default::default(),
        })
    }

    #[getter]
    fn n_fans(&self) -> usize {
        self.inner.n_fans()
    }

    #[getter]
    fn n_creators(&self) -> usize {
        self.inner.n_creators()
    }

    #[getter]
    fn n_categories(&self) -> usize {
        self.inner.n_categories()
    }

    /// Add `n` creators with no followers (indices after the existing ones).
    fn add_creators(&mut self, n: usize) -> PyResult<()> {
        self.inner.add_creators(n).map_err(value_error)
    }

    /// Make `targets[c]` distinct fans follow creator `c`; returns the follows made.
    fn warm_start(
        &mut self,
        py: Python<'_>,
        seed: u64,
        targets: PyReadonlyArray1<'_, i64>,
        creator_category: PyReadonlyArray1<'_, i64>,
        same_category_share: f64,
        initial_trust: f32,
    ) -> PyResult<u64> {
        let targets: Vec<u32> = narrow("targets", &contiguous(&targets), "a count below 2^32")?;
        let category = contiguous(&creator_category);
        let (inner, category): (&mut audience::Audience, &[i64]) = (&mut self.inner, &category);
        py.detach(|| inner.warm_start(seed, &targets, category, same_category_share, initial_trust))
            .map_err(value_error)
    }

    /// Start the day: undo faded follows, drop relations to creators who left, draw
    /// today's views per fan and split them between discovery and the follow page:
    /// (screens by category, screens, follow-page views, median and mean views per fan).
    fn plan<'py>(
        &mut self,
        py: Python<'py>,
        seed: u64,
        day: u64,
        creator_has_work: PyReadonlyArray1<'py, bool>,
        follow_page_weight: f64,
    ) -> PyResult<PlanTuple<'py>> {
        let has_work = contiguous(&creator_has_work);
        let (inner, has_work): (&mut audience::Audience, &[bool]) = (&mut self.inner, &has_work);
        let plan = py
            .detach(|| inner.plan(seed, day, has_work, follow_page_weight))
            .map_err(value_error)?;
        Ok((
            int64(py, plan.screens_by_category.iter().map(|&x| x as i64)),
            plan.screens,
            plan.follow_views,
            plan.median_views,
            plan.mean_views,
        ))
    }

    /// Spend the planned views on today's works: (discovery views, follow-page views,
    /// engaged, new follows) per work and the day's totals.
    #[allow(clippy::too_many_arguments)]
    fn view<'py>(
        &mut self,
        py: Python<'py>,
        seed: u64,
        day: u64,
        creator: PyReadonlyArray1<'py, i64>,
        impressions: PyReadonlyArray1<'py, i64>,
        appeal: PyReadonlyArray1<'py, f64>,
        category: PyReadonlyArray1<'py, i64>,
        commerce: PyReadonlyArray1<'py, bool>,
        engage_rate: PyReadonlyArray1<'py, f64>,
        follow_rate: PyReadonlyArray1<'py, f64>,
        uid: PyReadonlyArray1<'py, i64>,
        creator_alive: PyReadonlyArray1<'py, bool>,
        covers_per_screen: u32,
        single_column: bool,
        match_bonus: f64,
    ) -> PyResult<ViewTuple<'py>> {
        let (cr, im, ap, ca) = (
            contiguous(&creator),
            contiguous(&impressions),
            contiguous(&appeal),
            contiguous(&category),
        );
        let (co, er, fr, ui, al) = (
            contiguous(&commerce),
            contiguous(&engage_rate),
            contiguous(&follow_rate),
            contiguous(&uid),
            contiguous(&creator_alive),
        );
        let works = WorksToday {
            creator: &cr,
            impressions: &im,
            appeal: &ap,
            category: &ca,
            commerce: &co,
            engage_rate: &er,
            follow_rate: &fr,
            uid: &ui,
        };
        let (inner, alive): (&mut audience::Audience, &[bool]) = (&mut self.inner, &al);
        let v = py
            .detach(|| {
                inner.view(
                    seed,
                    day,
                    &works,
                    covers_per_screen,
                    single_column,
                    match_bonus,
                    alive,
                )
            })
            .map_err(value_error)?;
        let totals = PyDict::new(py);
        totals.set_item("fan_views", v.fan_views)?;
        totals.set_item("follows", v.total_follows)?;
        totals.set_item("unfollows", v.unfollows)?;
        totals.set_item("reached", v.reached)?;
        totals.set_item("median_views", v.median_views)?;
        totals.set_item("mean_views", v.mean_views)?;
        Ok((
            v.views_discovery.into_pyarray(py),
            v.views_follow.into_pyarray(py),
            v.engaged.into_pyarray(py),
            v.follows.into_pyarray(py),
            totals,
        ))
    }

    /// Turn today's views into orders: (fan, work, creator, price, repeat, from_follow)
    /// per order; `repeat` is the share of the order's real users who had bought from the
    /// creator they met (`cohort` real creators per simulated one). `capacity_left` (per creator) and `budget_left` (per fan) are updated in
    /// place. `seeding` (per work, optional): the probability that a decision to buy is
    /// put off to a later day; those decisions are read with `planted`.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (seed, day, p_buy, price, reference_price, follow_factor, cohort, capacity_left, budget_left, seeding=None))]
    fn buy<'py>(
        &mut self,
        py: Python<'py>,
        seed: u64,
        day: u64,
        p_buy: PyReadonlyArray1<'py, f64>,
        price: PyReadonlyArray1<'py, f64>,
        reference_price: PyReadonlyArray1<'py, f64>,
        follow_factor: f64,
        cohort: f64,
        mut capacity_left: PyReadwriteArray1<'py, i64>,
        mut budget_left: PyReadwriteArray1<'py, f64>,
        seeding: Option<PyReadonlyArray1<'py, f64>>,
    ) -> PyResult<OrderTuple<'py>> {
        let (pb, pr, rp) = (
            contiguous(&p_buy),
            contiguous(&price),
            contiguous(&reference_price),
        );
        let sd = seeding.as_ref().map(contiguous);
        let capacity = writeable("capacity_left", &mut capacity_left, "int64")?;
        let budget = writeable("budget_left", &mut budget_left, "float64")?;
        let offers = Offers {
            p_buy: &pb,
            price: &pr,
            reference_price: &rp,
            follow_factor,
            cohort,
            seeding: sd.as_deref().unwrap_or(&[]),
        };
        let inner = &mut self.inner;
        let mut o = py
            .detach(|| inner.buy(seed, day, &offers, capacity, budget))
            .map_err(value_error)?;
        self.planted = (
            std::mem::take(&mut o.planted_fan),
            std::mem::take(&mut o.planted_work),
            std::mem::take(&mut o.planted_from_follow),
        );
        Ok((
            o.fan.into_pyarray(py),
            o.work.into_pyarray(py),
            o.creator.into_pyarray(py),
            o.price.into_pyarray(py),
            o.repeat.into_pyarray(py),
            o.from_follow.into_pyarray(py),
        ))
    }

    /// The last `buy`'s decisions to buy on a later day: (fan, work, from_follow), one
    /// entry each, in the order they were taken.
    fn planted<'py>(
        &self,
        py: Python<'py>,
    ) -> (Int64<'py>, Int64<'py>, Bound<'py, PyArray1<bool>>) {
        (
            self.planted.0.clone().into_pyarray(py),
            self.planted.1.clone().into_pyarray(py),
            self.planted.2.clone().into_pyarray(py),
        )
    }

    /// Book orders decided on an earlier day, after `view` and before `buy`: the fans'
    /// relations to the creators and their totals; returns each order's repeat share.
    /// The caller checks and spends budgets and capacity.
    #[allow(clippy::too_many_arguments)]
    fn book<'py>(
        &mut self,
        py: Python<'py>,
        day: u64,
        fans: PyReadonlyArray1<'py, i64>,
        creators: PyReadonlyArray1<'py, i64>,
        spend: PyReadonlyArray1<'py, f64>,
        from_follow: PyReadonlyArray1<'py, bool>,
        cohort: f64,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (f, c, sp, ff) = (
            contiguous(&fans),
            contiguous(&creators),
            contiguous(&spend),
            contiguous(&from_follow),
        );
        let repeat = self
            .inner
            .book(day, &f, &c, &sp, &ff, cohort)
            .map_err(value_error)?;
        Ok(repeat.into_pyarray(py))
    }

    /// Move trust after settlement: up by `(trust_gain/cohort)·(1 − trust)` after a good
    /// order, down by `(trust_loss/cohort)·trust` after a complaint (not below 0.05).
    fn settle(
        &mut self,
        orders_fan: PyReadonlyArray1<'_, i64>,
        orders_creator: PyReadonlyArray1<'_, i64>,
        complaint: PyReadonlyArray1<'_, bool>,
        trust_gain: f64,
        trust_loss: f64,
        cohort: f64,
    ) -> PyResult<()> {
        let (f, c, k) = (
            contiguous(&orders_fan),
            contiguous(&orders_creator),
            contiguous(&complaint),
        );
        self.inner
            .settle(&f, &c, &k, trust_gain, trust_loss, cohort)
            .map_err(value_error)
    }

    /// Followers per creator (the in-degree of the follow graph).
    fn followers<'py>(&self, py: Python<'py>) -> Int64<'py> {
        int64(py, self.inner.followers().iter().map(|&x| x as i64))
    }

    /// Every relation as (fan, creator, trust, flags).
    fn edges<'py>(&self, py: Python<'py>) -> EdgeTuple<'py> {
        let inner = &self.inner;
        let (fan, creator, trust, flags) = py.detach(|| inner.edges());
        (
            int64(py, fan.iter().map(|&x| x as i64)),
            int64(py, creator.iter().map(|&x| x as i64)),
            trust.into_pyarray(py),
            flags.into_pyarray(py),
        )
    }

    /// Cumulative (views, follows, orders, spend) per fan.
    fn fan_totals<'py>(&self, py: Python<'py>) -> TotalsTuple<'py> {
        let t = self.inner.fan_totals();
        (
            int64(py, t.views.iter().map(|&x| x as i64)),
            int64(py, t.follows.iter().map(|&x| x as i64)),
            int64(py, t.orders.iter().map(|&x| x as i64)),
            t.spend.clone().into_pyarray(py),
        )
    }

    /// Today's (views, follow-page views) per fan, from `plan`.
    fn views_today<'py>(&self, py: Python<'py>) -> (Int64<'py>, Int64<'py>) {
        let (views, follow) = self.inner.views_today();
        (
            int64(py, views.iter().map(|&x| x as i64)),
            int64(py, follow.iter().map(|&x| x as i64)),
        )
    }

    /// Today's follow-page views as (fan, work, views), from `view`.
    fn follow_page_views<'py>(&self, py: Python<'py>) -> (Int64<'py>, Int64<'py>, Int64<'py>) {
        let (fan, work, views) = self.inner.follow_page_views();
        (
            int64(py, fan.iter().map(|&x| x as i64)),
            int64(py, work.iter().map(|&x| x as i64)),
            int64(py, views.iter().map(|&x| x as i64)),
        )
    }

    /// Today's discovery views by work (rows) and category of the viewers (columns).
    fn discovery_by_category<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<i64>>> {
        let k = self.inner.n_categories();
        let values: Vec<i64> = self
            .inner
            .discovery_by_category()
            .iter()
            .map(|&x| x as i64)
            .collect();
        let rows = values.len() / k;
        let array = Array2::from_shape_vec((rows, k), values)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(array.into_pyarray(py))
    }

    /// Today's follows and unfollows as (fan, creator, is_follow), in order.
    fn follow_events<'py>(
        &self,
        py: Python<'py>,
    ) -> (Int64<'py>, Int64<'py>, Bound<'py, PyArray1<bool>>) {
        let events = self.inner.follow_events();
        (
            int64(py, events.iter().map(|e| e.fan as i64)),
            int64(py, events.iter().map(|e| e.creator as i64)),
            events
                .iter()
                .map(|e| e.follow)
                .collect::<Vec<bool>>()
                .into_pyarray(py),
        )
    }

    /// Number of (fan, creator) relations.
    fn relation_count(&self) -> usize {
        self.inner.relation_count()
    }

    /// Bytes held by the fans, their relations and today's views.
    fn memory_bytes(&self) -> usize {
        self.inner.memory_bytes()
    }
}
