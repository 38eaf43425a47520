//! The first call of the day: each fan's views, split between discovery and follow page.

use rayon::prelude::*;

use super::draw;
use super::{day_u16, purpose, Audience, InputError, Stage, FAN_CHUNK};
use crate::rng::Stream;

/// Bins of the per-chunk histogram of views per fan; the median falls back to a selection
/// when it lies in the last one.
const VIEW_BINS: usize = 512;

/// What the fans will do today.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Discovery screens (views) of the fans of each interest category.
    pub screens_by_category: Vec<u64>,
    /// All discovery screens: the sum of `screens_by_category`.
    pub screens: u64,
    /// All follow-page views.
    pub follow_views: u64,
    /// Median and mean of the views per fan, over all fans.
    pub median_views: f64,
    pub mean_views: f64,
}

/// The plan kept for the rest of the day.
#[derive(Clone, Debug, Default)]
pub(super) struct Today {
    pub day: u64,
    /// Views per fan, and how many of them go to the follow page.
    pub views: Vec<u32>,
    pub follow: Vec<u32>,
    /// Creators with a work today (the follow page shows only those).
    pub has_work: Vec<bool>,
    pub plan: Plan,
}

impl Today {
    pub fn discovery(&self, fan: usize) -> u32 {
        self.views[fan] - self.follow[fan]
    }

    pub fn memory_bytes(&self) -> usize {
        (self.views.capacity() + self.follow.capacity()) * 4 + self.has_work.capacity()
    }
}

struct ChunkPlan {
    screens_by_category: Vec<u64>,
    follow_views: u64,
    views: u64,
    hist: Vec<u32>,
}

impl Audience {
    /// Draw each fan's views today, `Poisson(activity)`, and send `Binomial(views,
    /// follow_page_weight)` of them to the follow page when the fan follows a creator with
    /// a work today (`creator_has_work[c]`); the rest are discovery screens.
    pub fn plan(
        &mut self,
        seed: u64,
        day: u64,
        creator_has_work: &[bool],
        follow_page_weight: f64,
    ) -> Result<Plan, InputError> {
        day_u16(day)?;
        if creator_has_work.len() != self.n_creators() {
            return Err(InputError::new(
                "creator_has_work",
                format!(
                    "length {} does not match the {} creators",
                    creator_has_work.len(),
                    self.n_creators()
                ),
            ));
        }
        if !(0.0..=1.0).contains(&follow_page_weight) {
            return Err(InputError::new(
                "follow_page_weight",
                format!("must be between 0 and 1, got {follow_page_weight}"),
            ));
        }
        let n = self.n_fans();
        if self.moved > n / 8 {
            self.repack();
        }
        let k_count = self.n_categories;
        let mut today = std::mem::take(&mut self.today);
        today.day = day;
        today.views.resize(n, 0);
        today.follow.resize(n, 0);
        today.has_work.clear();
        today.has_work.extend_from_slice(creator_has_work);
        let (activity, interest, relations) = (&self.activity, &self.interest, &self.relations);
        let parts: Vec<ChunkPlan> = today
            .views
            .par_chunks_mut(FAN_CHUNK)
            .zip(today.follow.par_chunks_mut(FAN_CHUNK))
            .enumerate()
            .map(|(c, (views, follow))| {
                let mut part = ChunkPlan {
                    screens_by_category: vec![0; k_count],
                    follow_views: 0,
                    views: 0,
                    hist: vec![0; VIEW_BINS],
                };
                for (j, (v_out, f_out)) in views.iter_mut().zip(follow.iter_mut()).enumerate() {
                    let fan = c * FAN_CHUNK + j;
                    let mut s = Stream::new(seed, day, fan as u64, purpose::PLAN);
                    let v = draw::poisson(&mut s, activity[fan] as f64).min(u32::MAX as u64);
                    let followed_with_work = relations[fan]
                        .as_slice()
                        .iter()
                        .any(|r| r.follows() && creator_has_work[r.creator as usize]);
                    let to_follow = if followed_with_work {
                        draw::binomial(&mut s, v, follow_page_weight)
                    } else {
                        0
                    };
                    *v_out = v as u32;
                    *f_out = to_follow as u32;
                    part.views += v;
                    part.follow_views += to_follow;
                    part.screens_by_category[interest[fan] as usize] += v - to_follow;
                    part.hist[(v as usize).min(VIEW_BINS - 1)] += 1;
                }
                part
            })
            .collect();
        let mut plan = Plan {
            screens_by_category: vec![0; k_count],
            ..Plan::default()
        };
        let mut hist = vec![0u64; VIEW_BINS];
        let mut views = 0u64;
        for part in parts {
            plan.follow_views += part.follow_views;
            views += part.views;
            for (total, x) in plan
                .screens_by_category
                .iter_mut()
                .zip(part.screens_by_category)
            {
                *total += x;
            }
            for (total, x) in hist.iter_mut().zip(part.hist) {
                *total += x as u64;
            }
        }
        plan.screens = plan.screens_by_category.iter().sum();
        plan.mean_views = if n > 0 { views as f64 / n as f64 } else { 0.0 };
        plan.median_views = median(&hist, &today.views);
        today.plan = plan.clone();
        self.today = today;
        self.viewed.clear();
        self.stage = Stage::Planned;
        Ok(plan)
    }
}

/// Median of the views per fan from their histogram; exact by selection when it lies in
/// the open last bin.
fn median(hist: &[u64], values: &[u32]) -> f64 {
    let n = values.len() as u64;
    if n == 0 {
        return 0.0;
    }
    let mut sorted: Option<Vec<u32>> = None;
    let mut value_at = |rank: u64| {
        let mut seen = 0u64;
        for (v, &k) in hist.iter().enumerate().take(hist.len() - 1) {
            seen += k;
            if seen > rank {
                return v as f64;
            }
        }
        let sorted = sorted.get_or_insert_with(|| {
            let mut s = values.to_vec();
            s.sort_unstable();
            s
        });
        sorted[rank as usize] as f64
    };
    if n % 2 == 1 {
        value_at(n / 2)
    } else {
        0.5 * (value_at(n / 2 - 1) + value_at(n / 2))
    }
}
