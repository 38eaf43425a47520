//! The first call of the day: each fan's views, split between discovery and follow page.

use rayon::prelude::*;

use super::draw;
use super::relations::{RelationList, FOLLOWS, MAX_RELATIONS};
use super::{
    day_u16, purpose, Audience, FollowEvent, InputError, Stage, FADE_DAYS, FAN_CHUNK,
    UNFOLLOW_HAZARD,
};
use crate::profile;
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
    /// Per creator, [`HAS_WORK`] and [`GONE`] for the scan of `plan` (its buffer kept).
    pub creator_state: Vec<u8>,
    /// Follow-page views per (fan, followed creator), by chunk of fans.
    pub pages: Vec<PageChunk>,
    pub plan: Plan,
}

impl Today {
    pub fn discovery(&self, fan: usize) -> u32 {
        self.views[fan] - self.follow[fan]
    }

    pub fn memory_bytes(&self) -> usize {
        (self.views.capacity() + self.follow.capacity()) * 4
            + self.has_work.capacity()
            + self.creator_state.capacity()
            + self
                .pages
                .iter()
                .map(|c| c.offsets.capacity() * 4 + c.entries.capacity() * 12)
                .sum::<usize>()
    }
}

struct ChunkPlan {
    screens_by_category: Vec<u64>,
    follow_views: u64,
    views: u64,
    hist: Vec<u32>,
    /// (fan, creator) of follows undone today: faded, or the creator left.
    unfollows: Vec<(u32, u32)>,
}

/// Follow-page views of one fan on one followed creator (split over the creator's works
/// by `view`), with the fan's trust in it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct PageCreator {
    pub creator: u32,
    pub views: u32,
    pub trust: f32,
}

/// The follow pages of one chunk of fans: fan `j` of the chunk has
/// `entries[offsets[j]..offsets[j + 1]]`.
#[derive(Clone, Debug, Default)]
pub(super) struct PageChunk {
    pub offsets: Vec<u32>,
    pub entries: Vec<PageCreator>,
}

impl Audience {
    /// Start the day, one pass over the fans: undo faded follows and drop relations to
    /// creators who have left; draw each fan's views, `Poisson(activity)`; send
    /// `Binomial(views, follow_page_weight)` of them to the follow page when the fan follows
    /// a creator with a work today (`creator_has_work[c]`), spread over those creators in
    /// proportion to `0.5 + trust`; the rest are discovery screens.
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
        profile::start();
        if self.moved > n / 8 {
            self.repack();
            profile::mark("repack");
        }
        let k_count = self.n_categories;
        let mut today = std::mem::take(&mut self.today);
        today.day = day;
        today.views.resize(n, 0);
        today.follow.resize(n, 0);
        today.has_work.clear();
        today.has_work.extend_from_slice(creator_has_work);
        let day16 = day as u16;
        let (activity, interest, alive) = (&self.activity, &self.interest, &self.alive);
        let poisson_start = &self.poisson_start;
        // One byte per creator for the scan: a work today, gone (one load per relation).
        let mut state = std::mem::take(&mut today.creator_state);
        state.clear();
        state.extend(
            creator_has_work
                .iter()
                .zip(alive.iter())
                .map(|(&w, &a)| (w as u8 * HAS_WORK) | (!a as u8 * GONE)),
        );
        let state_ref = &state;
        let split = draw::BinomialTable::new(follow_page_weight);
        let split = &split;
        // Yesterday's follow pages keep their buffers (no allocation, no page faults).
        let mut pages = std::mem::take(&mut today.pages);
        pages.resize_with(n.div_ceil(FAN_CHUNK), PageChunk::default);
        let parts: Vec<ChunkPlan> = self
            .relations
            .par_chunks_mut(FAN_CHUNK)
            .zip(today.views.par_chunks_mut(FAN_CHUNK))
            .zip(today.follow.par_chunks_mut(FAN_CHUNK))
            .zip(pages.par_iter_mut())
            .enumerate()
            .map(|(c, (((lists, views), follow), page))| {
                let mut part = ChunkPlan {
                    screens_by_category: vec![0; k_count],
                    follow_views: 0,
                    views: 0,
                    hist: vec![0; VIEW_BINS],
                    unfollows: Vec::new(),
                };
                page.offsets.clear();
                page.entries.clear();
                page.offsets.reserve(lists.len() + 1);
                page.offsets.push(0);
                let mut eligible = [0u8; MAX_RELATIONS];
                let mut weights = [0.0f64; MAX_RELATIONS];
                let mut counts = [0u32; MAX_RELATIONS];
                for j in 0..lists.len() {
                    if let Some(ahead) = lists.get(j + PREFETCH_AHEAD) {
                        prefetch(ahead.as_slice());
                    }
                    let list = &mut lists[j];
                    let fan = c * FAN_CHUNK + j;
                    // One pass over the list: the followed creators with a work today,
                    // and whether any relation is stale (then fade and look again).
                    let mut m = scan(list.as_slice(), state_ref, day, &mut eligible, &mut weights);
                    if m.stale {
                        fade(seed, day, fan, list, alive, &mut part.unfollows);
                        m = scan(list.as_slice(), state_ref, day, &mut eligible, &mut weights);
                    }
                    let mut s = Stream::new(seed, day, fan as u64, purpose::PLAN);
                    let v =
                        draw::poisson_from_mode(&mut s, activity[fan] as f64, &poisson_start[fan])
                            .min(u32::MAX as u64);
                    let to_follow = if m.eligible == 0 {
                        0
                    } else {
                        split.draw(&mut s, v)
                    };
                    if to_follow > 0 {
                        // The follow page: views over the followed creators with a work
                        // today, in proportion to 0.5 + trust.
                        let k = m.eligible;
                        let counts = &mut counts[..k];
                        counts.fill(0);
                        draw::multinomial(&mut s, to_follow, &weights[..k], m.total, counts);
                        let relations = list.as_mut_slice();
                        for (&i, &n) in eligible[..k].iter().zip(counts.iter()) {
                            if n > 0 {
                                let r = &mut relations[i as usize];
                                r.last_day = day16;
                                page.entries.push(PageCreator {
                                    creator: r.creator,
                                    views: n,
                                    trust: r.trust,
                                });
                            }
                        }
                    }
                    page.offsets.push(page.entries.len() as u32);
                    views[j] = v as u32;
                    follow[j] = to_follow as u32;
                    part.views += v;
                    part.follow_views += to_follow;
                    part.screens_by_category[interest[fan] as usize] += v - to_follow;
                    part.hist[(v as usize).min(VIEW_BINS - 1)] += 1;
                }
                part
            })
            .collect();
        today.pages = pages;
        today.creator_state = state;
        profile::mark("plan pass");
        let mut plan = Plan {
            screens_by_category: vec![0; k_count],
            ..Plan::default()
        };
        let mut hist = vec![0u64; VIEW_BINS];
        let mut views = 0u64;
        // Yesterday's views go; today's events start with the follows undone here.
        self.viewed.clear();
        self.viewed.events.clear();
        for part in parts {
            for &(fan, creator) in &part.unfollows {
                self.followers[creator as usize] -= 1;
                self.viewed.events.push(FollowEvent {
                    fan,
                    creator,
                    follow: false,
                });
            }
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
        profile::mark("plan merge");
        today.plan = plan.clone();
        self.today = today;
        self.stage = Stage::Planned;
        Ok(plan)
    }
}

/// Fans ahead whose relation list is prefetched (the lists are read once, in fan order).
const PREFETCH_AHEAD: usize = 8;

#[inline(always)]
pub(super) fn prefetch(relations: &[super::Relation]) {
    #[cfg(target_arch = "x86_64")]
    if !relations.is_empty() {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = relations.as_ptr() as *const i8;
        // SAFETY: prefetching is a hint; it never faults, and both addresses lie within
        // (or one cache line past the start of) the list's allocation.
        unsafe {
            _mm_prefetch(p, _MM_HINT_T0);
            if relations.len() > 5 {
                _mm_prefetch(p.add(64), _MM_HINT_T0);
            }
        }
    }
}

/// What one pass over a fan's relations found.
struct Scan {
    /// Followed creators with a work today: `eligible[..n]` (positions in the list).
    eligible: usize,
    /// Σ of their weights `0.5 + trust`.
    total: f64,
    /// Some relation is stale: its creator left, or a follow has faded.
    stale: bool,
}

/// A creator has a work today (bit of the per-creator state of `plan`'s scan).
const HAS_WORK: u8 = 1;
/// A creator has left (as `view` last saw it).
const GONE: u8 = 2;

#[inline(always)]
fn scan(
    relations: &[super::Relation],
    state: &[u8],
    day: u64,
    eligible: &mut [u8; MAX_RELATIONS],
    weights: &mut [f64; MAX_RELATIONS],
) -> Scan {
    let today = day as u32;
    let mut out = Scan {
        eligible: 0,
        total: 0.0,
        stale: false,
    };
    for (i, r) in relations.iter().enumerate() {
        let st = state[r.creator as usize];
        let follows = r.follows();
        out.stale |=
            (st & GONE != 0) | (follows & (today.saturating_sub(r.last_day as u32) > FADE_DAYS));
        if follows & (st & HAS_WORK != 0) {
            let w = 0.5 + r.trust as f64;
            eligible[out.eligible] = i as u8;
            weights[out.eligible] = w;
            out.eligible += 1;
            out.total += w;
        }
    }
    out
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

/// Undo follows that faded (no follow-page view for more than [`FADE_DAYS`], then with
/// probability [`UNFOLLOW_HAZARD`] a day) and drop relations to creators who have left
/// (`alive[c]` false, as `view` last saw it). A faded relation stays while the fan has
/// bought from the creator (it keeps the trust).
fn fade(
    seed: u64,
    day: u64,
    fan: usize,
    list: &mut RelationList,
    alive: &[bool],
    unfollows: &mut Vec<(u32, u32)>,
) {
    let today = day as u32;
    let stale = |r: &super::Relation| {
        !alive[r.creator as usize]
            || (r.follows() && today.saturating_sub(r.last_day as u32) > FADE_DAYS)
    };
    if !list.as_slice().iter().any(stale) {
        return;
    }
    let mut s = Stream::new(seed, day, fan as u64, purpose::FADE);
    list.retain_mut(|r| {
        if !alive[r.creator as usize] {
            if r.follows() {
                unfollows.push((fan as u32, r.creator));
            }
            return false;
        }
        if r.follows()
            && today.saturating_sub(r.last_day as u32) > FADE_DAYS
            && s.uniform() < UNFOLLOW_HAZARD
        {
            r.flags &= !FOLLOWS;
            unfollows.push((fan as u32, r.creator));
            return r.bought();
        }
        true
    });
}
