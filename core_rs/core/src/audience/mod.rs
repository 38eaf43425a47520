//! The fans' day: attention conserved over real works, a follow graph, trust per
//! (fan, creator), and buyers who viewed what they bought (issue 12, `docs/fans.md`).
//!
//! One [`Audience`] per model owns the fans and their relations to creators. A day is
//! three calls, in order: [`Audience::plan`] draws each fan's views and splits them between
//! the discovery feed and the follow page; [`Audience::view`] spends them on the day's
//! works (exact per (fan, work) on the follow page, per (work, category) in discovery) and
//! makes follows and unfollows; [`Audience::buy`] turns views into orders, each with a fan
//! who viewed the work. [`Audience::settle`] moves trust after the orders are settled.
//!
//! Every draw comes from a [`Stream`](crate::rng::Stream) keyed by (seed, day, entity,
//! purpose); per-fan work runs in parallel over fixed chunks of fans with the fan's own
//! stream, and shared state (in-degree, budgets, capacity) changes in serial passes in a
//! fixed order, so every result is the same for any number of threads.

mod buy;
mod draw;
mod plan;
pub mod relations;
mod view;
mod warm;

pub use buy::{Offers, Orders};
pub use plan::Plan;
pub use relations::{Relation, BOUGHT, BOUGHT_ON_PAGE, FOLLOWS, MAX_RELATIONS};
pub use view::{FollowEvent, Viewing, WorksToday};

use std::fmt;

use relations::RelationList;

pub use crate::chunks::FAN_CHUNK;

/// Trust of a fan in a creator it has no relation with, and of a new relation.
pub const STRANGER_TRUST: f32 = 0.3;
/// Days without a follow-page view after which a follow may fade.
pub const FADE_DAYS: u32 = 30;
/// Daily probability that a faded follow is undone.
pub const UNFOLLOW_HAZARD: f64 = 0.05;
/// Lowest trust a complaint can leave.
pub const TRUST_FLOOR: f32 = 0.05;

/// Stream purposes: one per kind of draw, so draws for different purposes never coincide.
mod purpose {
    pub const PLAN: u64 = 101;
    pub const FOLLOW_PAGE: u64 = 102;
    pub const FADE: u64 = 103;
    pub const DISCOVERY: u64 = 104;
    pub const ENGAGE: u64 = 105;
    pub const FOLLOW: u64 = 106;
    pub const REACH: u64 = 107;
    pub const BUY_FOLLOW: u64 = 108;
    pub const BUY_DISCOVERY: u64 = 109;
    pub const WARM: u64 = 110;
}

/// A rejected input: the argument it concerns and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub argument: &'static str,
    pub message: String,
}

impl InputError {
    pub(crate) fn new(argument: &'static str, message: impl Into<String>) -> Self {
        InputError {
            argument,
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.argument, self.message)
    }
}

impl std::error::Error for InputError {}

/// Where the day stands: each call needs the one before it, for the same day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Idle,
    Planned,
    Viewed,
    Bought,
}

/// Per-fan cumulative totals (the rows of `fans.parquet`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FanTotals {
    pub views: Vec<u64>,
    pub follows: Vec<u32>,
    pub orders: Vec<u32>,
    pub spend: Vec<f64>,
}

/// The fans, their relations to creators, and what they did today.
#[derive(Clone, Debug)]
pub struct Audience {
    n_categories: usize,
    interest: Vec<u16>,
    activity: Vec<f32>,
    /// Where each fan's Poisson draw of views starts its search (from `activity`).
    poisson_start: Vec<draw::PoissonStart>,
    sensitivity: Vec<f32>,
    relations: Vec<RelationList>,
    /// In-degree of the follow graph per creator.
    followers: Vec<u32>,
    /// Whether each creator is on the platform, as `view` last saw it (the next `plan`
    /// drops relations to those who left).
    alive: Vec<bool>,
    totals: FanTotals,
    /// Fans by interest, each category's fans in index order: `fans_by_category[k]`.
    fans_by_category: Vec<Vec<u32>>,
    /// Relation lists that moved to a new allocation since the last repack.
    moved: usize,
    stage: Stage,
    today: plan::Today,
    viewed: view::Viewed,
}

impl Audience {
    /// A population of fans (interest category, mean views a day, price sensitivity) and
    /// `n_creators` creators, with no relations yet.
    pub fn new(
        interest: Vec<u16>,
        activity: Vec<f32>,
        sensitivity: Vec<f32>,
        n_categories: usize,
        n_creators: usize,
    ) -> Result<Self, InputError> {
        let n = interest.len();
        if n > u32::MAX as usize {
            return Err(InputError::new("interest", "more than 2^32 - 1 fans"));
        }
        if n_categories == 0 || n_categories > u16::MAX as usize {
            return Err(InputError::new(
                "n_categories",
                format!("must be between 1 and 65535, got {n_categories}"),
            ));
        }
        if n_creators > u32::MAX as usize {
            return Err(InputError::new("n_creators", "more than 2^32 - 1 creators"));
        }
        if activity.len() != n {
            return Err(InputError::new(
                "activity",
                format!(
                    "length {} does not match interest length {n}",
                    activity.len()
                ),
            ));
        }
        if sensitivity.len() != n {
            return Err(InputError::new(
                "sensitivity",
                format!(
                    "length {} does not match interest length {n}",
                    sensitivity.len()
                ),
            ));
        }
        if let Some(i) = interest.iter().position(|&k| k as usize >= n_categories) {
            return Err(InputError::new(
                "interest",
                format!(
                    "value {} at index {i} is outside [0, {n_categories})",
                    interest[i]
                ),
            ));
        }
        for (name, values) in [("activity", &activity), ("sensitivity", &sensitivity)] {
            if let Some(i) = values.iter().position(|v| !v.is_finite() || *v < 0.0) {
                return Err(InputError::new(
                    name,
                    format!("invalid value {} at index {i}", values[i]),
                ));
            }
        }
        let mut fans_by_category = vec![Vec::new(); n_categories];
        for (f, &k) in interest.iter().enumerate() {
            fans_by_category[k as usize].push(f as u32);
        }
        let poisson_start = activity
            .iter()
            .map(|&a| draw::PoissonStart::new(a as f64))
            .collect();
        Ok(Audience {
            n_categories,
            interest,
            activity,
            poisson_start,
            sensitivity,
            relations: vec![RelationList::default(); n],
            followers: vec![0; n_creators],
            alive: vec![true; n_creators],
            totals: FanTotals {
                views: vec![0; n],
                follows: vec![0; n],
                orders: vec![0; n],
                spend: vec![0.0; n],
            },
            fans_by_category,
            moved: 0,
            stage: Stage::Idle,
            today: plan::Today::default(),
            viewed: view::Viewed::default(),
        })
    }

    pub fn n_fans(&self) -> usize {
        self.interest.len()
    }

    pub fn n_creators(&self) -> usize {
        self.followers.len()
    }

    pub fn n_categories(&self) -> usize {
        self.n_categories
    }

    /// New creators join with no followers; their indices follow the existing ones.
    pub fn add_creators(&mut self, n: usize) -> Result<(), InputError> {
        if self.followers.len() + n > u32::MAX as usize {
            return Err(InputError::new("n", "more than 2^32 - 1 creators"));
        }
        self.followers.resize(self.followers.len() + n, 0);
        self.alive.resize(self.followers.len(), true);
        Ok(())
    }

    /// Followers per creator: the in-degree of the follow graph.
    pub fn followers(&self) -> &[u32] {
        &self.followers
    }

    /// The relations of one fan.
    pub fn relations_of(&self, fan: usize) -> &[Relation] {
        self.relations[fan].as_slice()
    }

    /// Every relation as (fan, creator, trust, flags), fans in order.
    pub fn edges(&self) -> (Vec<u32>, Vec<u32>, Vec<f32>, Vec<u8>) {
        let n = self.relation_count();
        let (mut fan, mut creator, mut trust, mut flags) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (f, list) in self.relations.iter().enumerate() {
            for r in list.as_slice() {
                fan.push(f as u32);
                creator.push(r.creator);
                trust.push(r.trust);
                flags.push(r.flags);
            }
        }
        (fan, creator, trust, flags)
    }

    /// Cumulative views, follows, orders and spend per fan.
    pub fn fan_totals(&self) -> &FanTotals {
        &self.totals
    }

    /// Today's views per fan and how many of them went to the follow page (from `plan`).
    pub fn views_today(&self) -> (&[u32], &[u32]) {
        (&self.today.views, &self.today.follow)
    }

    /// Today's follow-page views as (fan, work, views), fans in order (after `view`, until
    /// the next `plan`; empty otherwise).
    pub fn follow_page_views(&self) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
        let (mut fan, mut work, mut views) = (Vec::new(), Vec::new(), Vec::new());
        let by_creator = &self.viewed.by_creator;
        if !by_creator.is_built() {
            return (fan, work, views);
        }
        let mut per_work = Vec::new();
        for (c, chunk) in self.today.pages.iter().enumerate() {
            for j in 0..chunk.offsets.len() - 1 {
                let f = c * FAN_CHUNK + j;
                let creators =
                    &chunk.entries[chunk.offsets[j] as usize..chunk.offsets[j + 1] as usize];
                view::split_page(
                    self.viewed.seed,
                    self.today.day,
                    f,
                    creators,
                    by_creator,
                    &mut per_work,
                    |w, v, _| {
                        fan.push(f as u32);
                        work.push(w);
                        views.push(v);
                    },
                );
            }
        }
        (fan, work, views)
    }

    /// Today's discovery views by (work, category of the viewers), row-major
    /// `work * n_categories + category` (after `view`).
    pub fn discovery_by_category(&self) -> &[u64] {
        &self.viewed.by_category
    }

    /// Today's follows and unfollows, in the order they happened (after `view` and `buy`).
    pub fn follow_events(&self) -> &[FollowEvent] {
        &self.viewed.events
    }

    pub fn relation_count(&self) -> usize {
        self.relations.iter().map(|r| r.len()).sum()
    }

    /// Number of FOLLOWS relations (equals the sum of [`Audience::followers`]).
    pub fn follow_count(&self) -> usize {
        self.relations
            .iter()
            .map(|r| r.as_slice().iter().filter(|x| x.follows()).count())
            .sum()
    }

    /// Heap and inline bytes held: fans, relations (by capacity), creators, today's views.
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        let n = self.n_fans();
        let per_fan = size_of::<u16>()
            + 2 * size_of::<f32>()
            + size_of::<draw::PoissonStart>()
            + size_of::<RelationList>()
            + size_of::<u64>()
            + 2 * size_of::<u32>()
            + size_of::<f64>()
            + size_of::<u32>();
        let relations: usize = self
            .relations
            .iter()
            .map(|r| r.capacity() * size_of::<Relation>())
            .sum();
        size_of::<Self>()
            + n * per_fan
            + relations
            + self.followers.len() * size_of::<u32>()
            + self.today.memory_bytes()
            + self.viewed.memory_bytes()
    }

    /// Copy every relation list to fresh allocations made in fan order, so that the
    /// per-fan passes read the lists in address order (`plan` does it once an eighth of
    /// the lists have moved since the last time). Chunk by chunk in parallel: each chunk's
    /// lists are allocated in order by one thread, and the old ones freed in parallel.
    pub fn repack(&mut self) {
        use rayon::prelude::*;
        let packed: Vec<RelationList> = self
            .relations
            .par_chunks(FAN_CHUNK)
            .flat_map_iter(|chunk| chunk.iter().map(RelationList::repacked).collect::<Vec<_>>())
            .collect();
        let old = std::mem::replace(&mut self.relations, packed);
        old.into_par_iter().with_min_len(FAN_CHUNK).for_each(drop);
        self.moved = 0;
    }

    /// Add a relation the fan has none with (see [`RelationList::insert`]), counting the
    /// lists that move; returns the evicted relation.
    fn insert_relation(&mut self, fan: usize, relation: Relation) -> Option<Relation> {
        let list = &mut self.relations[fan];
        if list.len() == list.capacity() && list.len() < MAX_RELATIONS {
            self.moved += 1;
        }
        list.insert(relation)
    }

    fn expect_stage(&self, wanted: Stage, day: u64, call: &str) -> Result<(), InputError> {
        if self.stage != wanted || self.today.day != day {
            let before = match wanted {
                Stage::Planned => "plan",
                Stage::Viewed => "view",
                Stage::Bought => "buy",
                Stage::Idle => "nothing",
            };
            return Err(InputError::new(
                "day",
                format!("{call} of day {day} must follow {before} of the same day"),
            ));
        }
        Ok(())
    }

    /// Follow (or upgrade the relation to FOLLOWS) fan → creator; true when it is new.
    /// An evicted FOLLOWS relation is an unfollow, recorded in `events`.
    fn follow(
        &mut self,
        fan: usize,
        creator: u32,
        day: u16,
        events: &mut Vec<FollowEvent>,
    ) -> bool {
        let list = &mut self.relations[fan];
        if let Some(r) = list.find_mut(creator) {
            r.last_day = day;
            if r.follows() {
                return false;
            }
            r.flags |= FOLLOWS;
        } else {
            let evicted = self.insert_relation(
                fan,
                Relation {
                    creator,
                    trust: STRANGER_TRUST,
                    last_day: day,
                    flags: FOLLOWS,
                    orders: 0,
                },
            );
            self.unfollow_evicted(fan, evicted, events);
        }
        self.followers[creator as usize] += 1;
        self.totals.follows[fan] += 1;
        events.push(FollowEvent {
            fan: fan as u32,
            creator,
            follow: true,
        });
        true
    }

    fn unfollow_evicted(
        &mut self,
        fan: usize,
        evicted: Option<Relation>,
        events: &mut Vec<FollowEvent>,
    ) {
        if let Some(old) = evicted.filter(|r| r.follows()) {
            self.followers[old.creator as usize] -= 1;
            events.push(FollowEvent {
                fan: fan as u32,
                creator: old.creator,
                follow: false,
            });
        }
    }
}

/// Check that every array has the length of the first; the error names the offender.
pub(crate) fn same_length(arrays: &[(&'static str, usize)]) -> Result<(), InputError> {
    let (first, n) = arrays[0];
    for &(name, len) in &arrays[1..] {
        if len != n {
            return Err(InputError::new(
                name,
                format!("length {len} does not match {first} length {n}"),
            ));
        }
    }
    Ok(())
}

/// Check finite values in `[0, upper]` (or `[0, ∞)`).
pub(crate) fn in_range(
    name: &'static str,
    values: &[f64],
    upper: Option<f64>,
) -> Result<(), InputError> {
    if let Some(i) = values
        .iter()
        .position(|v| !v.is_finite() || *v < 0.0 || upper.is_some_and(|u| *v > u))
    {
        return Err(InputError::new(
            name,
            format!("invalid value {} at index {i}", values[i]),
        ));
    }
    Ok(())
}

/// Check indices in `[0, n)`.
pub(crate) fn indices(name: &'static str, values: &[i64], n: usize) -> Result<(), InputError> {
    if let Some(i) = values.iter().position(|&v| v < 0 || v as u64 >= n as u64) {
        return Err(InputError::new(
            name,
            format!("value {} at index {i} is outside [0, {n})", values[i]),
        ));
    }
    Ok(())
}

pub(crate) fn day_u16(day: u64) -> Result<u16, InputError> {
    u16::try_from(day)
        .map_err(|_| InputError::new("day", format!("must be below 65536, got {day}")))
}

#[cfg(test)]
mod tests;
