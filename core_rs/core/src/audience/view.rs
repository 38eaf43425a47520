//! The second call of the day: the planned views land on works. The follow page exactly
//! per (fan, work), discovery per (work, category of the viewing fans) under the
//! impression caps; then engagement, follows from discovery, fading follows, and reach.

use rayon::prelude::*;

use super::draw;
use super::plan::PageCreator;
use super::{
    day_u16, in_range, indices, purpose, same_length, Audience, InputError, Stage, FAN_CHUNK,
};
use crate::profile;
use crate::rng::Stream;

/// Works per piece of the parallel pass over works in `view` (results do not depend on it).
const WORK_GRAIN: usize = 64;
/// Passes of the capped multinomial before the rest is apportioned to the remaining caps.
const MAX_PASSES: usize = 16;

/// Today's works, one entry per work (the allocation's works plus the filler works).
#[derive(Clone, Copy, Debug)]
pub struct WorksToday<'a> {
    pub creator: &'a [i64],
    /// Discovery impressions: a discovery view needs one, so they cap a work's views.
    pub impressions: &'a [i64],
    /// Quality as the fans see it on the cover (relative weight of being chosen).
    pub appeal: &'a [f64],
    pub category: &'a [i64],
    pub commerce: &'a [bool],
    /// Probability that a view engages (watches through, likes): the climbing signal.
    pub engage_rate: &'a [f64],
    /// Probability that a discovery view turns into a follow.
    pub follow_rate: &'a [f64],
    /// A stable id per work: the key of the work's random streams.
    pub uid: &'a [i64],
}

/// The day's per-work views and the population totals.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Viewing {
    pub views_discovery: Vec<i64>,
    pub views_follow: Vec<i64>,
    pub engaged: Vec<i64>,
    /// New follows each work brought its creator.
    pub follows: Vec<i64>,
    /// Views by all fans (Σ over fans of their views: equal to Σ over works).
    pub fan_views: u64,
    pub total_follows: u64,
    pub unfollows: u64,
    /// Distinct fans who viewed at least one commerce work.
    pub reached: u64,
    pub median_views: f64,
    pub mean_views: f64,
}

/// A follow (`follow`) or an unfollow of a creator by a fan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowEvent {
    pub fan: u32,
    pub creator: u32,
    pub follow: bool,
}

/// Follow-page views of one fan on one work, with the fan's trust in its creator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct FollowView {
    pub work: u32,
    pub views: u32,
    pub trust: f32,
}

/// The follow-page views of commerce works of one chunk of fans (all `buy` needs when
/// only commerce works are on offer): fan `j` of the chunk has
/// `entries[offsets[j]..offsets[j + 1]]`.
#[derive(Clone, Debug, Default)]
pub(super) struct FollowChunk {
    pub offsets: Vec<u32>,
    pub entries: Vec<FollowView>,
}

/// What the viewing leaves for buying (today only; replaced every day).
#[derive(Clone, Debug, Default)]
pub(super) struct Viewed {
    pub work_creator: Vec<u32>,
    pub work_uid: Vec<u64>,
    pub views_discovery: Vec<u64>,
    /// Discovery views by (work, category of the viewer), row-major `w * K + k`.
    pub by_category: Vec<u64>,
    /// Today's works of each creator: the follow pages of `plan` (views per (fan,
    /// creator)) are split over them again, with the same draws, wherever the views per
    /// (fan, work) are needed ([`split_page`]); they are not kept.
    pub by_creator: WorksByCreator,
    /// The seed `view` split the follow pages with.
    pub seed: u64,
    /// Whether each work is a commerce work.
    pub commerce: Vec<bool>,
    /// Today's follow-page views of commerce works, per chunk of fans.
    pub commerce_pages: Vec<FollowChunk>,
    /// Yesterday's buffers of `commerce_pages`, emptied, for today's.
    pub spare: Vec<FollowChunk>,
    /// Per category, inclusive prefix sums of discovery views over that category's fans.
    pub prefix: Vec<Vec<u64>>,
    /// Per category, a guide to `prefix`: a draw `r` falls in bucket `b = r·G/total`
    /// (G = the category's fans) and its fan lies in `guide[b]..=guide[b + 1]`.
    pub guide: Vec<Vec<u32>>,
    pub events: Vec<FollowEvent>,
}

impl Viewed {
    /// Today's follow-page views of commerce works of one fan.
    pub fn commerce_page(&self, fan: usize) -> &[FollowView] {
        let chunk = &self.commerce_pages[fan / FAN_CHUNK];
        let j = fan % FAN_CHUNK;
        &chunk.entries[chunk.offsets[j] as usize..chunk.offsets[j + 1] as usize]
    }

    pub fn clear(&mut self) {
        self.work_creator.clear();
        self.work_uid.clear();
        self.views_discovery.clear();
        self.by_category.clear();
        self.by_creator.clear();
        self.commerce.clear();
        self.spare.append(&mut self.commerce_pages);
        self.prefix.iter_mut().for_each(Vec::clear);
        self.guide.iter_mut().for_each(Vec::clear);
    }

    pub fn memory_bytes(&self) -> usize {
        self.work_creator.capacity() * 4
            + (self.work_uid.capacity() + self.views_discovery.capacity()) * 8
            + self.by_category.capacity() * 8
            + (self.by_creator.offsets.capacity() + self.by_creator.works.capacity()) * 4
            + self.commerce.capacity()
            + self
                .commerce_pages
                .iter()
                .chain(&self.spare)
                .map(|c| c.offsets.capacity() * 4 + c.entries.capacity() * 12)
                .sum::<usize>()
            + self.prefix.iter().map(|p| p.capacity() * 8).sum::<usize>()
            + self.guide.iter().map(|g| g.capacity() * 4).sum::<usize>()
            + self.events.capacity() * std::mem::size_of::<FollowEvent>()
    }

    /// The fan behind one discovery view of `work`: its category in proportion to the
    /// work's views by category, then a fan of that category in proportion to its
    /// discovery views. `views` is the work's discovery views (> 0).
    pub fn discovery_viewer(
        &self,
        s: &mut Stream,
        work: usize,
        views: u64,
        fans_by_category: &[Vec<u32>],
    ) -> usize {
        let k_count = self.prefix.len();
        let row = &self.by_category[work * k_count..(work + 1) * k_count];
        let mut r = s.below(views);
        let mut k = 0;
        while r >= row[k] {
            r -= row[k];
            k += 1;
        }
        let prefix = &self.prefix[k];
        let total = *prefix.last().expect("a category with views has fans");
        let r = s.below(total);
        let guide = &self.guide[k];
        let b = bucket(r, (guide.len() - 1) as u64, total);
        let (lo, hi) = (
            guide[b] as usize,
            (guide[b + 1] as usize).min(prefix.len() - 1),
        );
        fans_by_category[k][lo + draw::pick(&prefix[lo..=hi], r)] as usize
    }
}

/// Works of each creator today: `works[offsets[c]..offsets[c + 1]]`, in work order.
#[derive(Clone, Debug, Default)]
pub(super) struct WorksByCreator {
    offsets: Vec<u32>,
    works: Vec<u32>,
}

impl WorksByCreator {
    pub fn clear(&mut self) {
        self.offsets.clear();
        self.works.clear();
    }

    /// Whether it holds the works of a day (between `view` and the next `plan`).
    pub fn is_built(&self) -> bool {
        !self.offsets.is_empty()
    }

    /// Rebuild for today's works (`creator` per work), reusing the buffers.
    fn rebuild(&mut self, creator: &[i64], n_creators: usize) {
        let offsets = &mut self.offsets;
        offsets.clear();
        offsets.resize(n_creators + 1, 0);
        for &c in creator {
            offsets[c as usize + 1] += 1;
        }
        for c in 0..n_creators {
            offsets[c + 1] += offsets[c];
        }
        let mut next = offsets[..n_creators].to_vec();
        self.works.clear();
        self.works.resize(creator.len(), 0);
        for (w, &c) in creator.iter().enumerate() {
            self.works[next[c as usize] as usize] = w as u32;
            next[c as usize] += 1;
        }
    }

    #[inline]
    pub fn of(&self, creator: u32) -> &[u32] {
        let c = creator as usize;
        &self.works[self.offsets[c] as usize..self.offsets[c + 1] as usize]
    }
}

/// One fan's follow-page views of each creator (`creators`, from `plan`) split over the
/// creator's works today, uniformly (one stream per fan, drawn only for creators with
/// more than one work); `emit(work, views, trust)` for every (fan, work) with views, in
/// page order. The same draws every time it is called for the fan and day, so `view`,
/// `buy` and [`Audience::follow_page_views`] see the same split without keeping it.
#[inline]
pub(super) fn split_page(
    seed: u64,
    day: u64,
    fan: usize,
    creators: &[PageCreator],
    by_creator: &WorksByCreator,
    per_work: &mut Vec<u32>,
    mut emit: impl FnMut(u32, u32, f32),
) {
    let mut s: Option<Stream> = None;
    for e in creators {
        let shown = by_creator.of(e.creator);
        if let [work] = shown {
            emit(*work, e.views, e.trust);
            continue;
        }
        let s = s.get_or_insert_with(|| Stream::new(seed, day, fan as u64, purpose::FOLLOW_PAGE));
        per_work.clear();
        per_work.resize(shown.len(), 0);
        draw::uniform_counts(s, e.views as u64, per_work);
        for (&work, &views) in shown.iter().zip(per_work.iter()) {
            if views > 0 {
                emit(work, views, e.trust);
            }
        }
    }
}

impl Audience {
    /// Spend the planned views on today's works (see the module docs and `docs/fans.md`).
    ///
    /// `covers_per_screen` covers make one discovery screen (1 in single column, where the
    /// platform pushes the item and the fan does not choose); `match_bonus` multiplies the
    /// weight of works of the fan's own interest; `creator_alive[c]` is false for creators
    /// who have left (they gain no follows, and the next `plan` drops their relations).
    #[allow(clippy::too_many_arguments)]
    pub fn view(
        &mut self,
        seed: u64,
        day: u64,
        works: &WorksToday<'_>,
        covers_per_screen: u32,
        single_column: bool,
        match_bonus: f64,
        creator_alive: &[bool],
    ) -> Result<Viewing, InputError> {
        self.expect_stage(Stage::Planned, day, "view")?;
        profile::start();
        let day16 = day_u16(day)?;
        let n_works = works.creator.len();
        let k_count = self.n_categories;
        let n_creators = self.n_creators();
        self.check_works(
            works,
            covers_per_screen,
            single_column,
            match_bonus,
            creator_alive,
        )?;
        self.viewed.by_creator.rebuild(works.creator, n_creators);
        let by_creator = &self.viewed.by_creator;
        if let Some(c) =
            (0..n_creators).find(|&c| self.today.has_work[c] && by_creator.of(c as u32).is_empty())
        {
            self.viewed.by_creator.clear();
            return Err(InputError::new(
                "creator",
                format!("creator {c} had a work today in plan but has none among the works"),
            ));
        }

        self.alive.copy_from_slice(creator_alive);
        let mut viewed = std::mem::take(&mut self.viewed);
        let by_creator = std::mem::take(&mut viewed.by_creator);
        viewed.clear();
        viewed.by_creator = by_creator;
        viewed.seed = seed;
        viewed.commerce.extend_from_slice(works.commerce);
        let mut commerce_pages = std::mem::take(&mut viewed.spare);
        let mut events = std::mem::take(&mut viewed.events);

        // Two independent halves at once: discovery (serial: the screens of each category
        // choose works under the impression caps) beside the follow pages (per fan, in
        // parallel over chunks of fans) and the prefix sums of who made the discovery
        // views (for follows and orders). Neither reads what the other writes.
        let screens = self.today.plan.screens_by_category.clone();
        let today = &self.today;
        let fans_by_category = &self.fans_by_category;
        let totals_views = &mut self.totals.views;
        let pages = &mut commerce_pages;
        let (prefix, guide, by_creator) =
            (&mut viewed.prefix, &mut viewed.guide, &viewed.by_creator);
        let ((views_discovery, by_category), (reached_by_follow, views_follow, fan_views)) =
            rayon::join(
                || discover(seed, day, works, &screens, single_column, match_bonus),
                || {
                    let follow = follow_pages(
                        seed,
                        day,
                        today,
                        works.commerce,
                        by_creator,
                        totals_views,
                        pages,
                    );
                    prefix.resize_with(k_count, Vec::new);
                    for (k, fans) in fans_by_category.iter().enumerate() {
                        let prefix = &mut prefix[k];
                        let mut total = 0u64;
                        prefix.extend(fans.iter().map(|&f| {
                            total += today.discovery(f as usize) as u64;
                            total
                        }));
                    }
                    guide.resize_with(k_count, Vec::new);
                    for (prefix, guide) in prefix.iter().zip(guide.iter_mut()) {
                        build_guide(prefix, guide);
                    }
                    follow
                },
            );
        profile::mark("follow pages, discovery, prefix");
        viewed.commerce_pages = commerce_pages;

        // Commerce reach: follow-page views of commerce works, or at least one of the
        // fan's discovery views on commerce at its category's realized commerce share.
        let mut commerce_share = vec![0.0f64; k_count];
        for w in (0..n_works).filter(|&w| works.commerce[w]) {
            for k in 0..k_count {
                commerce_share[k] += by_category[w * k_count + k] as f64;
            }
        }
        for k in 0..k_count {
            commerce_share[k] = if screens[k] > 0 {
                (commerce_share[k] / screens[k] as f64).min(1.0)
            } else {
                0.0
            };
        }
        let reached = self.reach(seed, day, &reached_by_follow, &commerce_share);

        profile::mark("reach");
        viewed
            .work_creator
            .extend(works.creator.iter().map(|&c| c as u32));
        viewed.work_uid.extend(works.uid.iter().map(|&u| u as u64));
        viewed.views_discovery = views_discovery;
        viewed.by_category = by_category;

        profile::mark("prefix");
        // Engagement (aggregate) and who follows from discovery, per work in parallel;
        // the follows themselves in a serial pass, in (fan, work) order so that the
        // relation lists are visited in address order. Every work has its own streams, so
        // the grain of the parallel pass is free: finer than `CHUNK`, which the day's
        // works seldom exceed.
        let picks: Vec<(i64, Vec<(u32, u32)>)> = (0..n_works)
            .into_par_iter()
            .with_min_len(WORK_GRAIN)
            .map(|w| {
                let uid = viewed.work_uid[w];
                let disc = viewed.views_discovery[w];
                let all = disc + views_follow[w] as u64;
                let mut s = Stream::new(seed, day, uid, purpose::ENGAGE);
                let engaged = draw::binomial(&mut s, all, works.engage_rate[w]) as i64;
                let creator = viewed.work_creator[w];
                if disc == 0 || works.follow_rate[w] <= 0.0 || !creator_alive[creator as usize] {
                    return (engaged, Vec::new());
                }
                let mut s = Stream::new(seed, day, uid, purpose::FOLLOW);
                let n = draw::binomial(&mut s, disc, works.follow_rate[w]);
                let fans = (0..n)
                    .map(|_| {
                        let fan = viewed.discovery_viewer(&mut s, w, disc, &self.fans_by_category);
                        (fan as u32, w as u32)
                    })
                    .collect();
                (engaged, fans)
            })
            .collect();
        let mut engaged = Vec::with_capacity(n_works);
        let mut candidates: Vec<(u32, u32)> = Vec::new();
        for (e, fans) in picks {
            engaged.push(e);
            candidates.extend(fans);
        }
        candidates.sort_unstable();
        let mut follows = vec![0i64; n_works];
        let mut total_follows = 0u64;
        for i in 0..candidates.len() {
            // The relation lists are far apart in memory: fetch a few follows ahead.
            if let Some(&(ahead, _)) = candidates.get(i + 4) {
                super::plan::prefetch(self.relations[ahead as usize].as_slice());
            }
            let (fan, w) = candidates[i];
            if self.follow(
                fan as usize,
                viewed.work_creator[w as usize],
                day16,
                &mut events,
            ) {
                follows[w as usize] += 1;
                total_follows += 1;
            }
        }
        profile::mark("follows");
        let unfollows = events.iter().filter(|e| !e.follow).count() as u64;
        viewed.events = events;
        let views_discovery = viewed.views_discovery.iter().map(|&v| v as i64).collect();
        self.viewed = viewed;
        self.stage = Stage::Viewed;
        Ok(Viewing {
            views_discovery,
            views_follow,
            engaged,
            follows,
            fan_views,
            total_follows,
            unfollows,
            reached,
            median_views: self.today.plan.median_views,
            mean_views: self.today.plan.mean_views,
        })
    }

    fn check_works(
        &self,
        works: &WorksToday<'_>,
        covers_per_screen: u32,
        single_column: bool,
        match_bonus: f64,
        creator_alive: &[bool],
    ) -> Result<(), InputError> {
        let n_works = works.creator.len();
        same_length(&[
            ("creator", n_works),
            ("impressions", works.impressions.len()),
            ("appeal", works.appeal.len()),
            ("category", works.category.len()),
            ("commerce", works.commerce.len()),
            ("engage_rate", works.engage_rate.len()),
            ("follow_rate", works.follow_rate.len()),
            ("uid", works.uid.len()),
        ])?;
        if n_works > u32::MAX as usize {
            return Err(InputError::new("creator", "more than 2^32 - 1 works"));
        }
        if creator_alive.len() != self.n_creators() {
            return Err(InputError::new(
                "creator_alive",
                format!(
                    "length {} does not match the {} creators",
                    creator_alive.len(),
                    self.n_creators()
                ),
            ));
        }
        indices("creator", works.creator, self.n_creators())?;
        indices("category", works.category, self.n_categories)?;
        if let Some(i) = works.impressions.iter().position(|&v| v < 0) {
            return Err(InputError::new(
                "impressions",
                format!("negative value {} at index {i}", works.impressions[i]),
            ));
        }
        in_range("appeal", works.appeal, None)?;
        in_range("engage_rate", works.engage_rate, Some(1.0))?;
        in_range("follow_rate", works.follow_rate, Some(1.0))?;
        if covers_per_screen == 0 {
            return Err(InputError::new("covers_per_screen", "must be at least 1"));
        }
        if !match_bonus.is_finite() || match_bonus <= 0.0 {
            return Err(InputError::new(
                "match_bonus",
                format!("must be finite and positive, got {match_bonus}"),
            ));
        }
        let covers = if single_column {
            1
        } else {
            covers_per_screen as u128
        };
        let served: u128 = works.impressions.iter().map(|&v| v as u128).sum();
        let needed = self.today.plan.screens as u128 * covers;
        if served < needed {
            return Err(InputError::new(
                "impressions",
                format!(
                    "{served} in total, fewer than the {} screens × {covers} covers the fans \
                     will see (append filler works)",
                    self.today.plan.screens
                ),
            ));
        }
        Ok(())
    }

    fn reach(&self, seed: u64, day: u64, by_follow: &[bool], commerce_share: &[f64]) -> u64 {
        let today = &self.today;
        let interest = &self.interest;
        by_follow
            .par_chunks(FAN_CHUNK)
            .enumerate()
            .map(|(c, chunk)| {
                let mut reached = 0u64;
                for (j, &followed) in chunk.iter().enumerate() {
                    let fan = c * FAN_CHUNK + j;
                    let v = today.discovery(fan);
                    if followed {
                        reached += 1;
                    } else if v > 0 {
                        let share = commerce_share[interest[fan] as usize];
                        let p = 1.0 - (1.0 - share).powi(v.min(i32::MAX as u32) as i32);
                        let mut s = Stream::new(seed, day, fan as u64, purpose::REACH);
                        reached += (s.uniform() < p) as u64;
                    }
                }
                reached
            })
            .sum()
    }
}

/// Today's follow-page views split over the works ([`split_page`]), per fan in parallel
/// over chunks of fans, without keeping them: returns whether each fan viewed a commerce
/// work there, the follow-page views per work (integer sums, so the same for any split of
/// the fans between threads) and the views of all fans, which `totals_views` (per fan)
/// gains.
fn follow_pages(
    seed: u64,
    day: u64,
    today: &super::plan::Today,
    commerce: &[bool],
    by_creator: &WorksByCreator,
    totals_views: &mut [u64],
    pages: &mut Vec<FollowChunk>,
) -> (Vec<bool>, Vec<i64>, u64) {
    let n_works = commerce.len();
    let n = today.views.len();
    let mut reached = vec![false; n];
    pages.resize_with(today.pages.len(), FollowChunk::default);
    struct Acc {
        views: Vec<u64>,
        fan_views: u64,
    }
    let empty = || Acc {
        views: vec![0u64; n_works],
        fan_views: 0,
    };
    let acc = today
        .pages
        .par_iter()
        .zip(pages.par_iter_mut())
        .zip(reached.par_chunks_mut(FAN_CHUNK))
        .zip(totals_views.par_chunks_mut(FAN_CHUNK))
        .enumerate()
        .fold(empty, |mut acc, (c, (((chunk, page), reached), totals))| {
            let mut per_work: Vec<u32> = Vec::new();
            page.offsets.clear();
            page.entries.clear();
            page.offsets.reserve(reached.len() + 1);
            page.offsets.push(0);
            for (j, fan_reached) in reached.iter_mut().enumerate() {
                let fan = c * FAN_CHUNK + j;
                let v = today.views[fan] as u64;
                acc.fan_views += v;
                totals[j] += v;
                let creators =
                    &chunk.entries[chunk.offsets[j] as usize..chunk.offsets[j + 1] as usize];
                let mut any_commerce = false;
                split_page(
                    seed,
                    day,
                    fan,
                    creators,
                    by_creator,
                    &mut per_work,
                    |work, views, trust| {
                        acc.views[work as usize] += views as u64;
                        if commerce[work as usize] {
                            any_commerce = true;
                            page.entries.push(FollowView { work, views, trust });
                        }
                    },
                );
                *fan_reached = any_commerce;
                page.offsets.push(page.entries.len() as u32);
            }
            acc
        })
        .reduce(empty, |mut a, b| {
            for (x, y) in a.views.iter_mut().zip(&b.views) {
                *x += y;
            }
            a.fan_views += b.fan_views;
            a
        });
    let views = acc.views.iter().map(|&v| v as i64).collect();
    (reached, views, acc.fan_views)
}

/// The capped multinomial of discovery: category by category, the screens choose works
/// with weight `remaining impressions × appeal × (match_bonus on the category's own
/// works)` (no appeal in single column: the item is pushed), each work's views capped by
/// its impressions over all categories; what the caps turn away is drawn again over the
/// works with impressions left, and after [`MAX_PASSES`] apportioned to the remaining caps.
/// Returns views per work and views per (work, category).
fn discover(
    seed: u64,
    day: u64,
    works: &WorksToday<'_>,
    screens: &[u64],
    single_column: bool,
    match_bonus: f64,
) -> (Vec<u64>, Vec<u64>) {
    let n_works = works.creator.len();
    let k_count = screens.len();
    let mut caps: Vec<u64> = works.impressions.iter().map(|&v| v as u64).collect();
    let mut views = vec![0u64; n_works];
    let mut by_category = vec![0u64; n_works * k_count];
    let mut weights = vec![0.0f64; n_works];
    for (k, &screens_k) in screens.iter().enumerate() {
        let mut need = screens_k;
        let mut s = Stream::new(seed, day, k as u64, purpose::DISCOVERY);
        let mut take = |w: usize, x: u64, caps: &mut [u64]| {
            caps[w] -= x;
            views[w] += x;
            by_category[w * k_count + k] += x;
        };
        for pass in 0.. {
            if need == 0 {
                break;
            }
            let mut total = 0.0;
            let mut last = None;
            for w in 0..n_works {
                let quality = if single_column { 1.0 } else { works.appeal[w] };
                let bonus = if works.category[w] as usize == k {
                    match_bonus
                } else {
                    1.0
                };
                weights[w] = caps[w] as f64 * quality * bonus;
                if weights[w] > 0.0 {
                    total += weights[w];
                    last = Some(w);
                }
            }
            let Some(last) = last.filter(|_| pass < MAX_PASSES && total > 0.0) else {
                for (w, x) in apportion(need, &caps) {
                    take(w, x, &mut caps);
                }
                break;
            };
            let (mut left, mut rest, mut turned_away) = (need, total, 0u64);
            for w in 0..=last {
                if weights[w] <= 0.0 {
                    continue;
                }
                let x = if w == last {
                    left
                } else {
                    draw::binomial(&mut s, left, (weights[w] / rest).min(1.0))
                };
                rest -= weights[w];
                left -= x;
                let kept = x.min(caps[w]);
                turned_away += x - kept;
                take(w, kept, &mut caps);
                if left == 0 {
                    break;
                }
            }
            need = turned_away;
        }
    }
    (views, by_category)
}

/// The guide of inclusive prefix sums `prefix` (total T, m entries): G = m buckets, and
/// `guide[b]` the first entry above the first draw of bucket b, `ceil(b·T/G)`; bucket G
/// (past the last draw) points at the last entry.
fn build_guide(prefix: &[u64], guide: &mut Vec<u32>) {
    guide.clear();
    let m = prefix.len() as u64;
    let total = prefix.last().copied().unwrap_or(0);
    if total == 0 {
        return;
    }
    // b·T = whole·m + part, stepped without a division per bucket.
    let (step_whole, step_part) = (total / m, total % m);
    let (mut whole, mut part) = (0u64, 0u64);
    let mut i = 0usize;
    let last = prefix.len() - 1;
    for _ in 0..=m {
        let start = whole + (part > 0) as u64;
        while i < last && prefix[i] <= start {
            i += 1;
        }
        guide.push(i as u32);
        whole += step_whole;
        part += step_part;
        if part >= m {
            part -= m;
            whole += 1;
        }
    }
}

/// The bucket of a draw `r < total` in a guide of `buckets` buckets: `r·buckets/total`.
#[inline]
fn bucket(r: u64, buckets: u64, total: u64) -> usize {
    match r.checked_mul(buckets) {
        Some(x) => (x / total) as usize,
        None => ((r as u128 * buckets as u128) / total as u128) as usize,
    }
}

/// `need` views apportioned to the works in proportion to their remaining caps (largest
/// share first by floors, the remainder one each in work order); `need ≤ Σ caps`.
fn apportion(need: u64, caps: &[u64]) -> Vec<(usize, u64)> {
    let total: u128 = caps.iter().map(|&c| c as u128).sum();
    debug_assert!(need as u128 <= total);
    let mut out: Vec<(usize, u64)> = Vec::new();
    let mut given = 0u64;
    for (w, &cap) in caps.iter().enumerate() {
        let x = (need as u128 * cap as u128 / total.max(1)) as u64;
        if x > 0 {
            out.push((w, x));
            given += x;
        }
    }
    let mut room: Vec<u64> = caps.to_vec();
    for &(w, x) in &out {
        room[w] -= x;
    }
    let mut left = need - given;
    for (w, r) in room.iter().enumerate() {
        if left == 0 {
            break;
        }
        if *r > 0 {
            out.push((w, 1));
            left -= 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_finds_the_same_entry_as_a_search() {
        let prefix = [0u64, 3, 3, 10, 11, 40, 40, 41];
        let mut guide = Vec::new();
        build_guide(&prefix, &mut guide);
        let total = 41u64;
        for r in 0..total {
            let b = bucket(r, (guide.len() - 1) as u64, total);
            let (lo, hi) = (
                guide[b] as usize,
                (guide[b + 1] as usize).min(prefix.len() - 1),
            );
            assert_eq!(
                lo + draw::pick(&prefix[lo..=hi], r),
                draw::pick(&prefix, r),
                "{r}"
            );
        }
    }

    #[test]
    fn apportion_fills_exactly_within_caps() {
        let caps = [3u64, 0, 5, 1];
        for need in 0..=9 {
            let out = apportion(need, &caps);
            let mut got = [0u64; 4];
            out.iter().for_each(|&(w, x)| got[w] += x);
            assert_eq!(got.iter().sum::<u64>(), need);
            assert!(got.iter().zip(&caps).all(|(g, c)| g <= c));
        }
    }
}
