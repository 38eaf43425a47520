//! Property tests of the fans' day (`ecosim_core::audience`, issue 12): attention is
//! conserved, followers are the in-degree, every order's fan viewed the work, repeat
//! orders come from past buyers, budgets and capacity hold, results do not depend on the
//! thread count.

use std::collections::{HashMap, HashSet};

use ecosim_core::audience::{
    Audience, InputError, Offers, Orders, Plan, Viewing, WorksToday, BOUGHT, FOLLOWS, MAX_RELATIONS,
};
use ecosim_core::rng::{mix, Stream};
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
struct Config {
    fans: usize,
    creators: usize,
    categories: usize,
    works: usize,
    days: u64,
    follow_page_weight: f64,
    covers: u32,
    single_column: bool,
    follow_rate: f64,
    p_buy: f64,
    seed: u64,
}

fn configs() -> impl Strategy<Value = Config> {
    (
        (1usize..400, 1usize..40, 1usize..5, 1usize..60, 1u64..8),
        (
            0.0f64..=1.0,
            1u32..5,
            any::<bool>(),
            0.0f64..0.3,
            0.0f64..0.2,
            any::<u64>(),
        ),
    )
        .prop_map(
            |((fans, creators, categories, works, days), (fpw, covers, single, fr, pb, seed))| {
                Config {
                    fans,
                    creators,
                    categories,
                    works,
                    days,
                    follow_page_weight: fpw,
                    covers,
                    single_column: single,
                    follow_rate: fr,
                    p_buy: pb,
                    seed,
                }
            },
        )
}

fn audience(cfg: &Config) -> Audience {
    let interest = (0..cfg.fans)
        .map(|f| (mix(f as u64 ^ cfg.seed) % cfg.categories as u64) as u16)
        .collect();
    let activity = (0..cfg.fans)
        .map(|f| 2.0 + (mix(f as u64 + 7) % 60) as f32)
        .collect();
    let sensitivity = (0..cfg.fans)
        .map(|f| (mix(f as u64 + 9) % 3) as f32)
        .collect();
    Audience::new(
        interest,
        activity,
        sensitivity,
        cfg.categories,
        cfg.creators,
    )
    .expect("valid")
}

/// The works of one day, owned.
struct Works {
    creator: Vec<i64>,
    impressions: Vec<i64>,
    appeal: Vec<f64>,
    category: Vec<i64>,
    commerce: Vec<bool>,
    engage_rate: Vec<f64>,
    follow_rate: Vec<f64>,
    uid: Vec<i64>,
}

impl Works {
    fn today(&self) -> WorksToday<'_> {
        WorksToday {
            creator: &self.creator,
            impressions: &self.impressions,
            appeal: &self.appeal,
            category: &self.category,
            commerce: &self.commerce,
            engage_rate: &self.engage_rate,
            follow_rate: &self.follow_rate,
            uid: &self.uid,
        }
    }
}

/// Works of the day: creators first (for the plan), impressions once the screens are
/// known, topped up to `screens × covers` as the model's filler works do.
fn works(cfg: &Config, day: u64) -> Works {
    let mut s = Stream::new(cfg.seed, day, 0, 999);
    let n = cfg.works;
    Works {
        creator: (0..n)
            .map(|_| s.below(cfg.creators as u64) as i64)
            .collect(),
        impressions: (0..n).map(|_| s.below(200) as i64).collect(),
        appeal: (0..n).map(|_| s.uniform() * 2.0).collect(),
        category: (0..n)
            .map(|_| s.below(cfg.categories as u64) as i64)
            .collect(),
        commerce: (0..n).map(|_| s.uniform() < 0.5).collect(),
        engage_rate: (0..n).map(|_| s.uniform() * 0.3).collect(),
        follow_rate: (0..n).map(|_| s.uniform() * cfg.follow_rate).collect(),
        uid: (0..n)
            .map(|w| (day * 1_000_000 + w as u64) as i64)
            .collect(),
    }
}

fn top_up(works: &mut Works, screens: u64, covers: u64) {
    let needed = (screens * covers) as i64;
    let served: i64 = works.impressions.iter().sum();
    let n = works.impressions.len() as i64;
    if served < needed {
        let deficit = needed - served;
        for (w, imp) in works.impressions.iter_mut().enumerate() {
            *imp += deficit / n + i64::from((w as i64) < deficit % n);
        }
    }
}

/// Relations before a call, as (fan, creator) → flags.
fn snapshot(a: &Audience) -> HashMap<(u32, u32), u8> {
    let (fan, creator, _, flags) = a.edges();
    fan.into_iter().zip(creator).zip(flags).collect()
}

struct DayResult {
    plan: Plan,
    viewing: Viewing,
    orders: Orders,
}

/// One day with every check of the properties that hold per day.
fn run_day(
    a: &mut Audience,
    cfg: &Config,
    day: u64,
    capacity: &mut [i64],
    budget: &mut [f64],
) -> DayResult {
    let mut w = works(cfg, day);
    let mut has_work = vec![false; cfg.creators];
    w.creator.iter().for_each(|&c| has_work[c as usize] = true);
    let alive: Vec<bool> = (0..cfg.creators)
        .map(|c| !mix(c as u64 + day / 4).is_multiple_of(11) || has_work[c])
        .collect();
    let plan = a
        .plan(cfg.seed, day, &has_work, cfg.follow_page_weight)
        .expect("plan");
    let (views, follow) = a.views_today();
    assert_eq!(
        plan.screens + plan.follow_views,
        views.iter().map(|&v| v as u64).sum::<u64>()
    );
    assert_eq!(
        plan.follow_views,
        follow.iter().map(|&v| v as u64).sum::<u64>()
    );
    let v_disc: Vec<u64> = views
        .iter()
        .zip(follow)
        .map(|(&v, &f)| (v - f) as u64)
        .collect();
    let covers = if cfg.single_column {
        1
    } else {
        cfg.covers as u64
    };
    top_up(&mut w, plan.screens, covers);
    let before_view = snapshot(a);
    let viewing = a
        .view(
            cfg.seed,
            day,
            &w.today(),
            cfg.covers,
            cfg.single_column,
            1.5,
            &alive,
        )
        .expect("view");

    // Attention is conserved, for discovery and the follow page separately.
    assert_eq!(
        viewing.views_discovery.iter().sum::<i64>() as u64,
        plan.screens
    );
    assert_eq!(
        viewing.views_follow.iter().sum::<i64>() as u64,
        plan.follow_views
    );
    assert_eq!(
        viewing.fan_views,
        (viewing.views_discovery.iter().sum::<i64>() + viewing.views_follow.iter().sum::<i64>())
            as u64
    );
    // A discovery view needs an impression.
    assert!(viewing
        .views_discovery
        .iter()
        .zip(&w.impressions)
        .all(|(v, i)| v <= i));
    // Follow-page views land only on works of creators the fan followed.
    let (pf, pw, pv) = a.follow_page_views();
    for i in 0..pf.len() {
        let creator = w.creator[pw[i] as usize] as u32;
        let flags = before_view.get(&(pf[i], creator)).copied().unwrap_or(0);
        assert!(
            flags & FOLLOWS != 0,
            "fan {} viewed unfollowed creator {creator}",
            pf[i]
        );
        assert!(pv[i] > 0);
    }
    let page: HashSet<(u32, u32)> = pf.iter().copied().zip(pw.iter().copied()).collect();
    let by_category = a.discovery_by_category().to_vec();
    let k = cfg.categories;
    for wk in 0..w.creator.len() {
        let row: u64 = by_category[wk * k..(wk + 1) * k].iter().sum();
        assert_eq!(row as i64, viewing.views_discovery[wk]);
    }
    for (wk, &n) in viewing.follows.iter().enumerate() {
        assert!(n as u64 <= viewing.views_discovery[wk] as u64);
    }
    assert!(viewing.reached <= cfg.fans as u64);
    check_in_degree(a);

    let p_buy: Vec<f64> = w
        .commerce
        .iter()
        .map(|&c| if c { cfg.p_buy } else { 0.0 })
        .collect();
    let price: Vec<f64> = (0..w.creator.len())
        .map(|i| 20.0 + (i % 7) as f64 * 30.0)
        .collect();
    let reference: Vec<f64> = vec![80.0; w.creator.len()];
    let offers = Offers {
        p_buy: &p_buy,
        price: &price,
        reference_price: &reference,
        follow_factor: 2.0,
        cohort: 1.0,
        seeding: &[],
    };
    let before_buy = snapshot(a);
    let capacity_before = capacity.to_vec();
    let orders = a
        .buy(cfg.seed, day, &offers, capacity, budget)
        .expect("buy");
    assert!(budget.iter().all(|&b| b >= 0.0));
    assert!(capacity.iter().all(|&c| c >= 0));
    let mut per_creator = vec![0i64; cfg.creators];
    let mut bought_today = HashSet::new();
    for i in 0..orders.fan.len() {
        let (fan, work) = (orders.fan[i] as u32, orders.work[i] as usize);
        let creator = w.creator[work] as u32;
        assert_eq!(orders.creator[i], creator as i64);
        per_creator[creator as usize] += 1;
        // Every order's fan viewed the work today.
        if orders.from_follow[i] {
            assert!(
                page.contains(&(fan, work as u32)),
                "follow order without a view"
            );
            let flags = before_view.get(&(fan, creator)).copied().unwrap_or(0);
            assert!(
                flags & FOLLOWS != 0,
                "follow-page order from a non-follower"
            );
        } else {
            assert!(
                v_disc[fan as usize] > 0,
                "discovery order from a fan without discovery views"
            );
            let cat = fan_interest(cfg, fan as usize);
            assert!(
                by_category[work * k + cat] > 0,
                "no discovery view of the work in the fan's category"
            );
        }
        // A repeat order's fan had bought from that creator before.
        let had = before_buy
            .get(&(fan, creator))
            .is_some_and(|f| f & BOUGHT != 0)
            || bought_today.contains(&(fan, creator));
        assert_eq!(
            orders.repeat[i],
            if had { 1.0 } else { 0.0 },
            "repeat of order {i}"
        );
        bought_today.insert((fan, creator));
    }
    for c in 0..cfg.creators {
        assert_eq!(capacity_before[c] - capacity[c], per_creator[c]);
    }
    check_in_degree(a);
    let complaint: Vec<bool> = (0..orders.fan.len()).map(|i| i % 5 == 0).collect();
    a.settle(&orders.fan, &orders.creator, &complaint, 0.1, 0.3, 1.0)
        .expect("settle");
    DayResult {
        plan,
        viewing,
        orders,
    }
}

fn fan_interest(cfg: &Config, fan: usize) -> usize {
    (mix(fan as u64 ^ cfg.seed) % cfg.categories as u64) as usize
}

/// Followers equal the in-degree; one relation per (fan, creator); at most 64 per fan.
fn check_in_degree(a: &Audience) {
    let mut in_degree = vec![0u32; a.n_creators()];
    for f in 0..a.n_fans() {
        let rel = a.relations_of(f);
        assert!(rel.len() <= MAX_RELATIONS);
        let distinct: HashSet<u32> = rel.iter().map(|r| r.creator).collect();
        assert_eq!(
            distinct.len(),
            rel.len(),
            "fan {f} has two relations to one creator"
        );
        for r in rel.iter().filter(|r| r.follows()) {
            in_degree[r.creator as usize] += 1;
        }
        assert!(rel.iter().all(|r| (0.0..=1.0).contains(&r.trust)));
    }
    assert_eq!(in_degree, a.followers());
    assert_eq!(
        a.follow_count() as u64,
        a.followers().iter().map(|&x| x as u64).sum::<u64>()
    );
}

fn run(cfg: &Config) -> (Audience, Vec<DayResult>) {
    let mut a = audience(cfg);
    let targets: Vec<u32> = (0..cfg.creators)
        .map(|c| (mix(c as u64) % (cfg.fans as u64 / 2 + 1)) as u32)
        .collect();
    let cats: Vec<i64> = (0..cfg.creators)
        .map(|c| (c % cfg.categories) as i64)
        .collect();
    a.warm_start(cfg.seed, &targets, &cats, 0.7, 0.5)
        .expect("warm start");
    check_in_degree(&a);
    let mut capacity = vec![50i64; cfg.creators];
    let mut budget = vec![300.0f64; cfg.fans];
    let days = (0..cfg.days)
        .map(|day| run_day(&mut a, cfg, day * 13, &mut capacity, &mut budget))
        .collect();
    (a, days)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_day_keeps_the_identities(cfg in configs()) {
        let (a, days) = run(&cfg);
        let views: u64 = days.iter().map(|d| d.viewing.fan_views).sum();
        let totals = a.fan_totals();
        prop_assert_eq!(totals.views.iter().sum::<u64>(), views);
        let orders: usize = days.iter().map(|d| d.orders.fan.len()).sum();
        prop_assert_eq!(totals.orders.iter().map(|&x| x as usize).sum::<usize>(), orders);
        let follows: u64 = days.iter().map(|d| d.viewing.total_follows).sum();
        prop_assert!(totals.follows.iter().map(|&x| x as u64).sum::<u64>() == follows);
        prop_assert!(days.iter().all(|d| d.plan.screens_by_category.len() == cfg.categories));
    }
}

#[test]
fn evictions_keep_the_in_degree() {
    // 300 creators and eager following: lists fill up and evict.
    let cfg = Config {
        fans: 200,
        creators: 300,
        categories: 2,
        works: 250,
        days: 12,
        follow_page_weight: 0.3,
        covers: 2,
        single_column: false,
        follow_rate: 0.9,
        p_buy: 0.2,
        seed: 5,
    };
    let (a, days) = run(&cfg);
    let full = (0..cfg.fans)
        .filter(|&f| a.relations_of(f).len() == MAX_RELATIONS)
        .count();
    assert!(full > 100, "{full} fans with full lists");
    assert!(days.iter().map(|d| d.viewing.unfollows).sum::<u64>() > 0);
    check_in_degree(&a);
    let bound = a.n_fans() * MAX_RELATIONS * 12;
    let (fans, _, _, _) = a.edges();
    assert!(fans.len() * 12 <= bound);
}

#[test]
fn single_column_views_are_the_impressions() {
    let cfg = Config {
        fans: 500,
        creators: 20,
        categories: 3,
        works: 40,
        days: 1,
        follow_page_weight: 0.0,
        covers: 1,
        single_column: true,
        follow_rate: 0.0,
        p_buy: 0.0,
        seed: 11,
    };
    let mut a = audience(&cfg);
    let mut w = works(&cfg, 0);
    let plan = a.plan(1, 0, &vec![false; cfg.creators], 0.0).expect("plan");
    // Impressions that add up to the screens exactly: every cap binds.
    let n = w.impressions.len() as u64;
    w.impressions = (0..n)
        .map(|i| (plan.screens / n + u64::from(i < plan.screens % n)) as i64)
        .collect();
    let viewing = a
        .view(1, 0, &w.today(), 4, true, 3.0, &vec![true; cfg.creators])
        .expect("view");
    assert_eq!(viewing.views_discovery, w.impressions);
    assert_eq!(viewing.views_follow, vec![0; w.creator.len()]);
}

#[test]
fn double_column_prefers_appeal_and_interest() {
    // Two works, plenty of impressions: views follow weight impressions × appeal × bonus.
    let mut a =
        Audience::new(vec![0; 1000], vec![20.0; 1000], vec![1.0; 1000], 2, 2).expect("valid");
    let plan = a.plan(3, 0, &[false, false], 0.5).expect("plan");
    let imp = plan.screens as i64 * 10;
    let works = WorksToday {
        creator: &[0, 1, 1],
        impressions: &[imp, imp, imp],
        appeal: &[1.0, 1.0, 2.0],
        category: &[0, 1, 1],
        commerce: &[false, false, true],
        engage_rate: &[0.0; 3],
        follow_rate: &[0.0; 3],
        uid: &[1, 2, 3],
    };
    let viewing = a
        .view(3, 0, &works, 2, false, 2.0, &[true, true])
        .expect("view");
    let v = &viewing.views_discovery;
    let total = plan.screens as f64;
    // weights 2 : 1 : 2 (the first work has the bonus, the third twice the appeal)
    assert!((v[0] as f64 / total - 0.4).abs() < 0.01, "{v:?}");
    assert!((v[1] as f64 / total - 0.2).abs() < 0.01, "{v:?}");
    assert_eq!(viewing.views_follow, vec![0, 0, 0]);
    // Everyone sees 20 views with 40% of them on the commerce work: all are reached.
    assert!(viewing.reached >= 995, "{}", viewing.reached);
}

#[test]
fn doubling_the_fans_doubles_the_views() {
    let views = |fans: usize| {
        let cfg = Config {
            fans,
            creators: 30,
            categories: 3,
            works: 60,
            days: 3,
            follow_page_weight: 0.3,
            covers: 2,
            single_column: false,
            follow_rate: 0.05,
            p_buy: 0.01,
            seed: 2,
        };
        let (_, days) = run(&cfg);
        days.iter()
            .map(|d| {
                d.viewing.views_discovery.iter().sum::<i64>()
                    + d.viewing.views_follow.iter().sum::<i64>()
            })
            .sum::<i64>() as f64
    };
    let ratio = views(20_000) / views(10_000);
    assert!((ratio - 2.0).abs() < 0.02, "{ratio}");
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let cfg = Config {
        fans: 3 * 4096 + 77,
        creators: 80,
        categories: 4,
        works: 120,
        days: 3,
        follow_page_weight: 0.4,
        covers: 2,
        single_column: false,
        follow_rate: 0.01,
        p_buy: 0.01,
        seed: 8,
    };
    let outcome = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            let (a, days) = run(&cfg);
            let days: Vec<(Viewing, Orders)> =
                days.into_iter().map(|d| (d.viewing, d.orders)).collect();
            (
                a.edges(),
                a.followers().to_vec(),
                a.fan_totals().clone(),
                days,
                a.follow_events().to_vec(),
            )
        })
    };
    let one = outcome(1);
    assert!(one.3.iter().any(|(_, o)| !o.fan.is_empty()));
    assert_eq!(one, outcome(2));
    assert_eq!(one, outcome(4));
}

#[test]
fn warm_start_makes_distinct_followers() {
    let interest: Vec<u16> = (0..10_000).map(|f| (f % 4) as u16).collect();
    let mut a = Audience::new(
        interest.clone(),
        vec![10.0; 10_000],
        vec![1.0; 10_000],
        4,
        5,
    )
    .expect("valid");
    let targets = [3000u32, 0, 9000, 20_000, 1];
    let made = a
        .warm_start(4, &targets, &[1, 0, 2, 3, 0], 0.8, 0.6)
        .expect("warm");
    check_in_degree(&a);
    assert_eq!(a.followers(), &[3000, 0, 9000, 10_000, 1]);
    assert_eq!(made, 22_001);
    let (fan, creator, trust, flags) = a.edges();
    assert!(trust.iter().all(|&t| t == 0.6) && flags.iter().all(|&f| f == FOLLOWS));
    let same = fan
        .iter()
        .zip(&creator)
        .filter(|(&f, &c)| c == 0 && interest[f as usize] == 1)
        .count();
    let share = same as f64 / 3000.0;
    // 2400 expected from the 2500 fans of category 1, the other 600 from the 7600 fans not
    // chosen yet, 100 of whom are of category 1.
    let expected = 0.8 + 0.2 * 100.0 / 7600.0;
    assert!((share - expected).abs() < 0.03, "{share}");
}

#[test]
fn settle_moves_trust_and_floors_it() {
    let mut a = Audience::new(vec![0; 2], vec![1.0; 2], vec![1.0; 2], 1, 1).expect("valid");
    a.warm_start(1, &[2], &[0], 1.0, 0.5).expect("warm");
    a.settle(&[0, 1], &[0, 0], &[false, true], 0.2, 0.5, 1.0)
        .expect("settle");
    let trust = |a: &Audience, f: usize| a.relations_of(f)[0].trust;
    assert!((trust(&a, 0) - 0.6).abs() < 1e-6 && (trust(&a, 1) - 0.25).abs() < 1e-6);
    for _ in 0..20 {
        a.settle(&[1], &[0], &[true], 0.2, 0.5, 1.0)
            .expect("settle");
    }
    assert_eq!(trust(&a, 1), 0.05);
}

#[test]
fn bad_inputs_name_the_argument() {
    let argument = |e: InputError| e.argument;
    assert_eq!(
        argument(Audience::new(vec![0, 3], vec![1.0; 2], vec![1.0; 2], 2, 1).unwrap_err()),
        "interest"
    );
    assert_eq!(
        argument(Audience::new(vec![0], vec![-1.0], vec![1.0], 2, 1).unwrap_err()),
        "activity"
    );
    let mut a = Audience::new(vec![0; 10], vec![5.0; 10], vec![1.0; 10], 1, 2).expect("valid");
    assert_eq!(
        argument(a.plan(0, 0, &[true], 0.5).unwrap_err()),
        "creator_has_work"
    );
    assert_eq!(
        argument(a.plan(0, 0, &[true, false], 1.5).unwrap_err()),
        "follow_page_weight"
    );
    assert_eq!(
        argument(a.plan(0, 70_000, &[true, false], 0.5).unwrap_err()),
        "day"
    );
    let works = WorksToday {
        creator: &[0],
        impressions: &[1],
        appeal: &[1.0],
        category: &[0],
        commerce: &[false],
        engage_rate: &[0.1],
        follow_rate: &[0.1],
        uid: &[0],
    };
    assert_eq!(
        argument(a.view(0, 0, &works, 2, false, 1.0, &[true; 2]).unwrap_err()),
        "day"
    );
    a.plan(0, 0, &[true, false], 0.5).expect("plan");
    assert_eq!(
        argument(a.view(0, 0, &works, 2, false, 1.0, &[true; 2]).unwrap_err()),
        "impressions"
    );
    let bad = WorksToday {
        category: &[4],
        ..works
    };
    assert_eq!(
        argument(a.view(0, 0, &bad, 2, false, 1.0, &[true; 2]).unwrap_err()),
        "category"
    );
    let bad = WorksToday {
        appeal: &[],
        ..works
    };
    assert_eq!(
        argument(a.view(0, 0, &bad, 2, false, 1.0, &[true; 2]).unwrap_err()),
        "appeal"
    );
    let mut capacity = [1i64; 2];
    let mut budget = [1.0f64; 10];
    let offers = Offers {
        p_buy: &[0.1],
        price: &[1.0],
        reference_price: &[1.0],
        follow_factor: 1.0,
        cohort: 1.0,
        seeding: &[],
    };
    assert_eq!(
        argument(
            a.buy(0, 0, &offers, &mut capacity, &mut budget)
                .unwrap_err()
        ),
        "day"
    );
}
