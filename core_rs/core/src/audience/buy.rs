//! The third call of the day: orders from fans who viewed the work, within budget and
//! capacity; and the trust update after settlement.

use rayon::prelude::*;

use super::draw;
use super::relations::{Relation, BOUGHT, BOUGHT_ON_PAGE};
use super::view::{split_page, FollowView};
use super::{
    day_u16, in_range, indices, purpose, same_length, Audience, InputError, Stage, FAN_CHUNK,
    STRANGER_TRUST, TRUST_FLOOR,
};
use crate::profile;
use crate::rng::Stream;

/// Highest value of `0.5 + trust` (trust is at most 1): the thinning bound.
const MAX_TRUST_TERM: f64 = 1.5;

/// Today's offers, one entry per work of the day's viewing.
#[derive(Clone, Copy, Debug)]
pub struct Offers<'a> {
    /// Purchase probability per view for a trust of 0.5 (everything but trust: value,
    /// skill, live, quality, event); 0 for works without goods.
    pub p_buy: &'a [f64],
    pub price: &'a [f64],
    /// The price the viewer considers fair.
    pub reference_price: &'a [f64],
    /// Followers on their follow page buy this many times more readily.
    pub follow_factor: f64,
    /// Real creators per simulated creator (`creator_scale`): what one order tells about
    /// the real pairs of a (fan, creator) pair (see [`Relation::repeat_share`]).
    pub cohort: f64,
    /// Per work, the probability that a fan who decides to buy orders on a later day
    /// instead (种草 then 拔草: a short video seeds interest); 0 for live streams. Such a
    /// decision is not an order today: it is returned in [`Orders::planted_fan`], and the
    /// caller books it on its day with [`Audience::book`]. Empty: 0 for every work.
    pub seeding: &'a [f64],
}

impl Offers<'_> {
    #[inline]
    fn seeding(&self, w: usize) -> f64 {
        self.seeding.get(w).copied().unwrap_or(0.0)
    }
}

/// The day's orders, one entry each, in the order they were taken.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Orders {
    pub fan: Vec<i64>,
    pub work: Vec<i64>,
    pub creator: Vec<i64>,
    pub price: Vec<f64>,
    /// Share of the order's real users who had bought from the creator they met before
    /// (0 or 1 when a simulated creator is one real creator).
    pub repeat: Vec<f64>,
    /// The order came from a follow-page view (else from a discovery view).
    pub from_follow: Vec<bool>,
    /// Follows undone because a new buyer relation needed the slot.
    pub evicted_follows: u64,
    /// Decisions to buy on a later day (see [`Offers::seeding`]): the fan, the work it
    /// viewed today, and whether it viewed it on its follow page. They used no budget
    /// or capacity today.
    pub planted_fan: Vec<i64>,
    pub planted_work: Vec<i64>,
    pub planted_from_follow: Vec<bool>,
}

/// Works per piece of the parallel pass over works (results do not depend on it). Fine:
/// a few works with many views hold most of the day's candidates (4096 took 29 ms where
/// 64 takes 18, baseline days 200-250, two threads).
const WORK_GRAIN: usize = 64;

#[cfg(test)]
thread_local! {
    /// Tests: draw every discovery candidate again in the serial pass (the plain serial
    /// algorithm the picks drawn ahead must reproduce).
    pub(super) static REDRAW_ALL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[inline(always)]
fn redraw_all() -> bool {
    #[cfg(test)]
    return REDRAW_ALL.with(|c| c.get());
    #[cfg(not(test))]
    false
}

/// What a discovery candidate of one work is drawn with.
struct DiscoveryDraw {
    creator: u32,
    views: u64,
    p_buy: f64,
    p_max: f64,
    /// Reference price over price.
    ratio: f64,
    /// Probability that a decision to buy is put off to a later day.
    seeding: f64,
}

impl DiscoveryDraw {
    fn new(offers: &Offers<'_>, w: usize, creator: u32, views: u64) -> Self {
        let p_buy = offers.p_buy[w];
        DiscoveryDraw {
            creator,
            views,
            p_buy,
            p_max: (p_buy * MAX_TRUST_TERM).min(1.0),
            ratio: offers.reference_price[w] / offers.price[w],
            seeding: offers.seeding(w),
        }
    }
}

/// A discovery candidate drawn ahead: its fan, the trust it was drawn with, whether it
/// keeps the candidate and accepts the price, and the work's stream after it.
struct Pick {
    fan: u32,
    trust: f32,
    keep: bool,
    /// The fan puts the purchase off to a later day.
    plant: bool,
    after: Stream,
}

/// The discovery candidates of one work, and its stream before the first.
struct WorkPicks {
    start: Stream,
    picks: Vec<Pick>,
}

/// (1 − p)^n, by multiplication for the few views of one (fan, work).
#[inline]
fn none_of(n: u32, p: f64) -> f64 {
    let q = 1.0 - p;
    match n {
        0 => 1.0,
        1 => q,
        2 => q * q,
        3 => q * q * q,
        4 => (q * q) * (q * q),
        _ => q.powi(n.min(i32::MAX as u32) as i32),
    }
}

/// What the day's orders draw on (each creator's capacity, each fan's budget) and what
/// they write (the orders, the follows they undo).
struct Till<'a> {
    orders: Orders,
    events: Vec<super::FollowEvent>,
    capacity_left: &'a mut [i64],
    budget_left: &'a mut [f64],
    day: u16,
    cohort: f64,
    /// One bit per fan: an order of today evicted one of its relations. Only an eviction
    /// changes a fan's trust in a creator during `buy` (an order on a relation keeps its
    /// trust; a new relation starts at the stranger's), so a fan without the bit still has
    /// the trust its picks were drawn with.
    evicted_from: Vec<u64>,
}

impl Till<'_> {
    #[inline]
    fn lost_a_relation(&self, fan: usize) -> bool {
        self.evicted_from[fan / 64] >> (fan % 64) & 1 != 0
    }

    /// A decision to buy on a later day: no budget, capacity or relation changes today.
    fn plant(&mut self, fan: usize, work: usize, from_follow: bool) {
        self.orders.planted_fan.push(fan as i64);
        self.orders.planted_work.push(work as i64);
        self.orders.planted_from_follow.push(from_follow);
    }
}

impl Audience {
    /// Turn today's views into orders. Follow-page candidates first (fans in order), then
    /// discovery candidates (works in order); a candidate orders when the price seems fair
    /// (`min(1, (reference / price)^sensitivity)`), its budget covers the price and the
    /// creator has capacity left. `capacity_left` (per creator) and `budget_left` (per fan)
    /// are updated in place.
    pub fn buy(
        &mut self,
        seed: u64,
        day: u64,
        offers: &Offers<'_>,
        capacity_left: &mut [i64],
        budget_left: &mut [f64],
    ) -> Result<Orders, InputError> {
        self.expect_stage(Stage::Viewed, day, "buy")?;
        let day16 = day_u16(day)?;
        self.check_offers(offers, capacity_left, budget_left)?;
        profile::start();
        // Both read the relations as they are before any order of the day: the follow
        // page's candidates, and the discovery candidates drawn ahead per work (checked
        // against the relations as the orders change them, below). One after the other,
        // each over all threads: side by side in a `rayon::join`, the day's buy took
        // 30 ms against 23 ms (baseline, days 200-250, two threads).
        let candidates = self.follow_candidates(seed, day, offers);
        let picks = self.discovery_picks(seed, day, offers);
        profile::mark("follow candidates");
        let viewed = std::mem::take(&mut self.viewed);
        let mut till = Till {
            orders: Orders::default(),
            events: Vec::new(),
            capacity_left,
            budget_left,
            day: day16,
            cohort: offers.cohort,
            evicted_from: vec![0; self.n_fans().div_ceil(64)],
        };
        for (fan, work, plant) in candidates {
            let (fan, work) = (fan as usize, work as usize);
            let creator = viewed.work_creator[work];
            let price = offers.price[work];
            if plant {
                till.plant(fan, work, true);
            } else if till.capacity_left[creator as usize] > 0 && till.budget_left[fan] >= price {
                self.order(&mut till, fan, work, creator, price, true);
            }
        }
        // Discovery candidates, works in order. A pick drawn ahead stands while the fan's
        // trust in the creator is still the one it was drawn with (an order of today may
        // have evicted the relation); from the first that is not, the work's remaining
        // candidates are drawn again here, from the stream where that pick began.
        for (w, work_picks) in picks.iter().enumerate() {
            let Some(work_picks) = work_picks else {
                continue;
            };
            let views = viewed.views_discovery[w];
            let p_buy = offers.p_buy[w];
            let creator = viewed.work_creator[w];
            let price = offers.price[w];
            let draw = DiscoveryDraw::new(offers, w, creator, views);
            let mut s = work_picks.start;
            let mut live = redraw_all();
            for pick in &work_picks.picks {
                if till.capacity_left[creator as usize] <= 0 {
                    break;
                }
                if !live && till.lost_a_relation(pick.fan as usize) {
                    let trust = self.trust_in(pick.fan as usize, creator);
                    live = trust.to_bits() != pick.trust.to_bits();
                }
                let (fan, keep, plant) = if live {
                    let (fan, _, keep, plant) = self.draw_pick(&viewed, &mut s, &draw, w);
                    (fan, keep, plant)
                } else {
                    s = pick.after;
                    (pick.fan as usize, pick.keep, pick.plant)
                };
                debug_assert!(p_buy > 0.0);
                if plant {
                    till.plant(fan, w, false);
                } else if keep && till.budget_left[fan] >= price {
                    self.order(&mut till, fan, w, creator, price, false);
                }
            }
        }
        profile::mark("orders");
        let mut viewed = viewed;
        viewed.events.extend(till.events);
        self.viewed = viewed;
        self.stage = Stage::Bought;
        Ok(till.orders)
    }

    fn check_offers(
        &self,
        offers: &Offers<'_>,
        capacity_left: &[i64],
        budget_left: &[f64],
    ) -> Result<(), InputError> {
        let n_works = self.viewed.work_creator.len();
        same_length(&[
            ("p_buy", offers.p_buy.len()),
            ("price", offers.price.len()),
            ("reference_price", offers.reference_price.len()),
        ])?;
        per_work("p_buy", offers.p_buy, n_works)?;
        if !offers.seeding.is_empty() {
            per_work("seeding", offers.seeding, n_works)?;
        }
        in_range("price", offers.price, None)?;
        in_range("reference_price", offers.reference_price, None)?;
        if let Some(w) = (0..n_works).find(|&w| offers.p_buy[w] > 0.0 && offers.price[w] <= 0.0) {
            return Err(InputError::new(
                "price",
                format!(
                    "work {w} is offered (p_buy > 0) at a price of {}",
                    offers.price[w]
                ),
            ));
        }
        check_cohort(offers.cohort)?;
        if !offers.follow_factor.is_finite() || offers.follow_factor < 0.0 {
            return Err(InputError::new(
                "follow_factor",
                format!(
                    "must be finite and non-negative, got {}",
                    offers.follow_factor
                ),
            ));
        }
        if capacity_left.len() != self.n_creators() {
            return Err(InputError::new(
                "capacity_left",
                format!(
                    "length {} does not match the {} creators",
                    capacity_left.len(),
                    self.n_creators()
                ),
            ));
        }
        if budget_left.len() != self.n_fans() {
            return Err(InputError::new(
                "budget_left",
                format!(
                    "length {} does not match the {} fans",
                    budget_left.len(),
                    self.n_fans()
                ),
            ));
        }
        if let Some(i) = budget_left.iter().position(|b| b.is_nan()) {
            return Err(InputError::new("budget_left", format!("NaN at index {i}")));
        }
        Ok(())
    }

    /// The fan's trust in the creator (a stranger's without a relation).
    #[inline]
    fn trust_in(&self, fan: usize, creator: u32) -> f32 {
        self.relations[fan]
            .find(creator)
            .map_or(STRANGER_TRUST, |r| r.trust)
    }

    /// One discovery purchase candidate of work `w`: its fan (one of the work's discovery
    /// viewers), the fan's trust in the creator, and whether it keeps the candidate
    /// (`p_buy · (0.5 + trust) / p_max`) and accepts the price.
    #[inline]
    fn draw_pick(
        &self,
        viewed: &super::view::Viewed,
        s: &mut Stream,
        draw: &DiscoveryDraw,
        w: usize,
    ) -> (usize, f32, bool, bool) {
        let fan = viewed.discovery_viewer(s, w, draw.views, &self.fans_by_category);
        let trust = self.trust_in(fan, draw.creator);
        let p = (draw.p_buy * (0.5 + trust as f64)).min(1.0);
        // The price test only when the thinning keeps the candidate (its power is dear).
        let keep = s.uniform() * draw.p_max < p
            && s.uniform() < draw.ratio.powf(self.sensitivity[fan] as f64).min(1.0);
        // Put off to a later day: a draw only where the work seeds interest.
        let plant = keep && draw.seeding > 0.0 && s.uniform() < draw.seeding;
        (fan, trust, keep, plant)
    }

    /// The discovery purchase candidates of every work on offer with discovery views,
    /// `Binomial(views, p_max)` of them, drawn per work in parallel (each work has its own
    /// stream) with the relations as they are now.
    fn discovery_picks(&self, seed: u64, day: u64, offers: &Offers<'_>) -> Vec<Option<WorkPicks>> {
        let viewed = &self.viewed;
        (0..viewed.work_creator.len())
            .into_par_iter()
            .with_min_len(WORK_GRAIN)
            .map(|w| {
                let views = viewed.views_discovery[w];
                if views == 0 || offers.p_buy[w] <= 0.0 {
                    return None;
                }
                let draw = DiscoveryDraw::new(offers, w, viewed.work_creator[w], views);
                let mut s = Stream::new(seed, day, viewed.work_uid[w], purpose::BUY_DISCOVERY);
                let n = draw::binomial(&mut s, views, draw.p_max);
                let start = s;
                let picks = (0..n)
                    .map(|_| {
                        let (fan, trust, keep, plant) = self.draw_pick(viewed, &mut s, &draw, w);
                        Pick {
                            fan: fan as u32,
                            trust,
                            keep,
                            plant,
                            after: s,
                        }
                    })
                    .collect();
                Some(WorkPicks { start, picks })
            })
            .collect()
    }

    /// Follow-page purchase candidates (fan, work, put off to a later day) that accepted
    /// the price, per fan in parallel with the fan's own stream; fans in order.
    fn follow_candidates(&self, seed: u64, day: u64, offers: &Offers<'_>) -> Vec<(u32, u32, bool)> {
        let viewed = &self.viewed;
        // Creators with a work on offer today: a fan following none of them on its page
        // has no candidate, and its page need not be split over works.
        let mut offered = vec![false; self.n_creators()];
        for (w, &p) in offers.p_buy.iter().enumerate() {
            if p > 0.0 {
                offered[viewed.work_creator[w] as usize] = true;
            }
        }
        let offered = &offered;
        // Nearly always only commerce works are on offer: then the follow-page views of
        // commerce works that `view` kept are the whole of each page that matters (an
        // entry without an offer draws nothing); otherwise split every page again.
        let commerce_only =
            (0..offers.p_buy.len()).all(|w| offers.p_buy[w] <= 0.0 || viewed.commerce[w]);
        let parts: Vec<Vec<(u32, u32, bool)>> = self
            .today
            .pages
            .par_iter()
            .enumerate()
            .map(|(c, chunk)| {
                let mut out = Vec::new();
                let mut page: Vec<FollowView> = Vec::new();
                let mut per_work: Vec<u32> = Vec::new();
                for j in 0..chunk.offsets.len() - 1 {
                    let fan = c * FAN_CHUNK + j;
                    let page = if commerce_only {
                        viewed.commerce_page(fan)
                    } else {
                        let creators = &chunk.entries
                            [chunk.offsets[j] as usize..chunk.offsets[j + 1] as usize];
                        if !creators.iter().any(|e| offered[e.creator as usize]) {
                            continue;
                        }
                        // The fan's (fan, work) follow-page views, as `view` split them.
                        page.clear();
                        split_page(
                            viewed.seed,
                            day,
                            fan,
                            creators,
                            &viewed.by_creator,
                            &mut per_work,
                            |work, views, trust| page.push(FollowView { work, views, trust }),
                        );
                        &page[..]
                    };
                    if page.is_empty() {
                        continue;
                    }
                    // P(no candidate on the whole page) = Π (1 − p)^views: one uniform
                    // decides whether there is any (nearly always not).
                    let p_of = |e: &FollowView| {
                        let p_buy = offers.p_buy[e.work as usize];
                        if p_buy <= 0.0 {
                            0.0
                        } else {
                            (p_buy * offers.follow_factor * (0.5 + e.trust as f64)).min(1.0)
                        }
                    };
                    let mut none = 1.0f64;
                    let mut any_offer = false;
                    for e in page {
                        let p = p_of(e);
                        if p > 0.0 {
                            any_offer = true;
                            none *= none_of(e.views, p);
                        }
                    }
                    if !any_offer {
                        continue;
                    }
                    let mut s = Stream::new(seed, day, fan as u64, purpose::BUY_FOLLOW);
                    if s.uniform() < none {
                        continue;
                    }
                    // At least one candidate: walk the page conditioned on that. `rest` is
                    // P(no candidate from here on); the entry has none with probability
                    // (1 − p)^n (1 − rest') / (1 − rest), else Binomial(n, p) given ≥ 1, and
                    // the entries after the first with candidates are unconditioned.
                    let mut rest = none;
                    let mut conditioned = true;
                    for e in page {
                        let p = p_of(e);
                        if p <= 0.0 {
                            continue;
                        }
                        let n = if conditioned {
                            let zero = none_of(e.views, p);
                            let after = if zero > 0.0 { rest / zero } else { 1.0 };
                            let p_zero = zero * (1.0 - after) / (1.0 - rest);
                            rest = after;
                            if s.uniform() < p_zero {
                                continue;
                            }
                            conditioned = false;
                            draw::binomial_at_least_one(&mut s, e.views as u64, p)
                        } else {
                            draw::binomial(&mut s, e.views as u64, p)
                        };
                        if n == 0 {
                            continue;
                        }
                        let w = e.work as usize;
                        let ratio = offers.reference_price[w] / offers.price[w];
                        let fair = ratio.powf(self.sensitivity[fan] as f64).min(1.0);
                        let seeding = offers.seeding(w);
                        for _ in 0..n {
                            if s.uniform() < fair {
                                let plant = seeding > 0.0 && s.uniform() < seeding;
                                out.push((fan as u32, e.work, plant));
                            }
                        }
                    }
                }
                out
            })
            .collect();
        parts.concat()
    }

    #[allow(clippy::too_many_arguments)]
    fn order(
        &mut self,
        till: &mut Till<'_>,
        fan: usize,
        work: usize,
        creator: u32,
        price: f64,
        from_follow: bool,
    ) {
        till.capacity_left[creator as usize] -= 1;
        till.budget_left[fan] -= price;
        let (repeat, evicted) = self.remember(
            fan,
            creator,
            till.day,
            till.cohort,
            from_follow,
            &mut till.events,
        );
        if evicted.is_some() {
            till.evicted_from[fan / 64] |= 1 << (fan % 64);
        }
        if evicted.is_some_and(|r| r.follows()) {
            till.orders.evicted_follows += 1;
        }
        let orders = &mut till.orders;
        orders.fan.push(fan as i64);
        orders.work.push(work as i64);
        orders.creator.push(creator as i64);
        orders.price.push(price);
        orders.repeat.push(repeat);
        orders.from_follow.push(from_follow);
        self.totals.spend[fan] += price;
    }

    /// What an order leaves on the fan's side: its relation to the creator (bought, on
    /// the page or not; a new relation at the stranger's trust, evicting the stalest when
    /// the list is full) and its order count. Returns the order's repeat share and the
    /// evicted relation.
    fn remember(
        &mut self,
        fan: usize,
        creator: u32,
        day: u16,
        cohort: f64,
        from_follow: bool,
        events: &mut Vec<super::FollowEvent>,
    ) -> (f64, Option<Relation>) {
        let page_bit = if from_follow { BOUGHT_ON_PAGE } else { 0 };
        self.totals.orders[fan] += 1;
        match self.relations[fan].find_mut(creator) {
            Some(r) => {
                let before = r.repeat_share(cohort, from_follow);
                r.flags |= BOUGHT | page_bit;
                r.orders = r.orders.saturating_add(1);
                r.last_day = day;
                (before, None)
            }
            None => {
                let evicted = self.insert_relation(
                    fan,
                    Relation {
                        creator,
                        trust: STRANGER_TRUST,
                        last_day: day,
                        flags: BOUGHT | page_bit,
                        orders: 1,
                    },
                );
                self.unfollow_evicted(fan, evicted, events);
                (0.0, evicted)
            }
        }
    }

    /// Book orders decided on an earlier day (see [`Offers::seeding`]) on the fans'
    /// side: relation, repeat share, totals. Call after `view` and before `buy` of the
    /// day; the caller has checked budgets and capacity and spends them. Orders in the
    /// given order; `spend` adds to the fans' totals. Returns each order's repeat share
    /// (as [`Orders::repeat`]).
    pub fn book(
        &mut self,
        day: u64,
        fans: &[i64],
        creators: &[i64],
        spend: &[f64],
        from_follow: &[bool],
        cohort: f64,
    ) -> Result<Vec<f64>, InputError> {
        self.expect_stage(Stage::Viewed, day, "book")?;
        let day16 = day_u16(day)?;
        same_length(&[
            ("fans", fans.len()),
            ("creators", creators.len()),
            ("spend", spend.len()),
            ("from_follow", from_follow.len()),
        ])?;
        indices("fans", fans, self.n_fans())?;
        indices("creators", creators, self.n_creators())?;
        in_range("spend", spend, None)?;
        check_cohort(cohort)?;
        let mut events = std::mem::take(&mut self.viewed.events);
        let mut repeat = Vec::with_capacity(fans.len());
        for i in 0..fans.len() {
            let fan = fans[i] as usize;
            let (share, _) = self.remember(
                fan,
                creators[i] as u32,
                day16,
                cohort,
                from_follow[i],
                &mut events,
            );
            repeat.push(share);
            self.totals.spend[fan] += spend[i];
        }
        self.viewed.events = events;
        Ok(repeat)
    }

    /// Trust after settlement: `trust += (gain/cohort)·(1 − trust)` after a good order,
    /// `trust −= (loss/cohort)·trust` after a complaint (not below [`TRUST_FLOOR`]), where
    /// `cohort` is the real creators per simulated one. Orders whose relation has since
    /// been evicted change nothing.
    pub fn settle(
        &mut self,
        orders_fan: &[i64],
        orders_creator: &[i64],
        complaint: &[bool],
        trust_gain: f64,
        trust_loss: f64,
        cohort: f64,
    ) -> Result<(), InputError> {
        same_length(&[
            ("orders_fan", orders_fan.len()),
            ("orders_creator", orders_creator.len()),
            ("complaint", complaint.len()),
        ])?;
        indices("orders_fan", orders_fan, self.n_fans())?;
        indices("orders_creator", orders_creator, self.n_creators())?;
        for (name, value) in [("trust_gain", trust_gain), ("trust_loss", trust_loss)] {
            if !(0.0..=1.0).contains(&value) {
                return Err(InputError::new(
                    name,
                    format!("must be between 0 and 1, got {value}"),
                ));
            }
        }
        check_cohort(cohort)?;
        // One order moves the trust of one member of the creator cohort: the pair's trust
        // (the mean over its real pairs) moves by 1/cohort of the step.
        let (trust_gain, trust_loss) = (trust_gain / cohort, trust_loss / cohort);
        for i in 0..orders_fan.len() {
            if let Some(r) =
                self.relations[orders_fan[i] as usize].find_mut(orders_creator[i] as u32)
            {
                let t = r.trust as f64;
                let t = if complaint[i] {
                    (t - trust_loss * t).max(TRUST_FLOOR as f64)
                } else {
                    t + trust_gain * (1.0 - t)
                };
                r.trust = t.min(1.0) as f32;
            }
        }
        Ok(())
    }
}

/// One value per work of the day, each in [0, 1]; the error names the argument.
fn per_work(name: &'static str, values: &[f64], n_works: usize) -> Result<(), InputError> {
    if values.len() != n_works {
        return Err(InputError::new(
            name,
            format!(
                "length {} does not match the {n_works} works viewed today",
                values.len()
            ),
        ));
    }
    in_range(name, values, Some(1.0))
}

/// Real creators per simulated one: finite and at least 1.
fn check_cohort(cohort: f64) -> Result<(), InputError> {
    if !cohort.is_finite() || cohort < 1.0 {
        return Err(InputError::new(
            "cohort",
            format!("must be finite and at least 1, got {cohort}"),
        ));
    }
    Ok(())
}
