//! Unit tests of the day's bookkeeping: fading follows, creators who leave, the stages.

use super::*;

/// 100 fans of one category, two creators; every fan follows both.
fn followed() -> Audience {
    let mut a = Audience::new(vec![0; 100], vec![10.0; 100], vec![1.0; 100], 1, 2).expect("valid");
    assert_eq!(a.warm_start(1, &[100, 100], &[0, 0], 1.0, 0.5), Ok(200));
    a
}

/// One day with a single filler work of creator 1 (never shown on the follow page,
/// since `has_work` says nobody has a work).
fn quiet_day(a: &mut Audience, day: u64, alive: &[bool]) -> Viewing {
    let plan = a.plan(9, day, &[false, false], 0.5).expect("plan");
    assert_eq!(plan.follow_views, 0);
    let impressions = [plan.screens as i64 * 2];
    let works = WorksToday {
        creator: &[1],
        impressions: &impressions,
        appeal: &[1.0],
        category: &[0],
        commerce: &[false],
        engage_rate: &[0.0],
        follow_rate: &[0.0],
        uid: &[day as i64],
    };
    a.view(9, day, &works, 2, false, 1.0, alive).expect("view")
}

#[test]
fn follows_fade_after_the_fade_days_and_buyers_keep_their_relation() {
    let mut a = followed();
    // Fan 0 has bought from creator 0: its relation outlives the follow.
    a.relations[0].find_mut(0).expect("relation").flags |= BOUGHT;
    let mut unfollows = 0;
    for day in 0..=FADE_DAYS as u64 {
        unfollows += quiet_day(&mut a, day, &[true, true]).unfollows;
    }
    assert_eq!(unfollows, 0, "nothing fades within the fade days");
    for day in FADE_DAYS as u64 + 1..FADE_DAYS as u64 + 200 {
        unfollows += quiet_day(&mut a, day, &[true, true]).unfollows;
    }
    assert!(unfollows > 190, "{unfollows}");
    assert_eq!(
        a.follow_count(),
        a.followers().iter().map(|&x| x as usize).sum::<usize>()
    );
    let kept = a.relations_of(0).iter().find(|r| r.creator == 0);
    assert!(kept.is_none_or(|r| r.bought()));
}

#[test]
fn relations_to_a_creator_who_left_go_at_the_next_plan() {
    let mut a = followed();
    quiet_day(&mut a, 0, &[false, true]);
    assert_eq!(a.followers(), &[100, 100], "kept until the next plan");
    let viewing = quiet_day(&mut a, 1, &[false, true]);
    assert_eq!(a.followers(), &[0, 100]);
    assert_eq!(viewing.unfollows, 100);
    assert_eq!(a.relation_count(), 100);
    let events = a.follow_events();
    assert_eq!(events.len(), 100);
    assert!(events.iter().all(|e| !e.follow && e.creator == 0));
}

#[test]
fn calls_come_in_order() {
    let mut a = followed();
    assert_eq!(
        a.view(
            0,
            0,
            &WorksToday {
                creator: &[],
                impressions: &[],
                appeal: &[],
                category: &[],
                commerce: &[],
                engage_rate: &[],
                follow_rate: &[],
                uid: &[],
            },
            1,
            true,
            1.0,
            &[true, true]
        )
        .unwrap_err()
        .argument,
        "day"
    );
    quiet_day(&mut a, 3, &[true, true]);
    let offers = Offers {
        p_buy: &[0.0],
        price: &[1.0],
        reference_price: &[1.0],
        follow_factor: 1.0,
        cohort: 1.0,
        seeding: &[],
    };
    let (mut capacity, mut budget) = (vec![0i64; 2], vec![0.0f64; 100]);
    assert!(a.buy(0, 4, &offers, &mut capacity, &mut budget).is_err());
    assert!(a.buy(0, 3, &offers, &mut capacity, &mut budget).is_ok());
    assert!(
        a.buy(0, 3, &offers, &mut capacity, &mut budget).is_err(),
        "one buy a day"
    );
    assert!(a.memory_bytes() > 100 * std::mem::size_of::<Relation>() * 2);
}

#[test]
fn discovery_picks_drawn_ahead_match_the_serial_draws_when_orders_evict() {
    // 300 fans whose lists are full of follows of creators 0..64 (trust 0.5); orders from
    // creators 64..80 (offered first) evict them, so later picks of creators 0..64 meet a
    // changed trust and must be drawn again.
    let fans = 300;
    let creators = 80;
    let mut a = Audience::new(
        vec![0; fans],
        vec![40.0; fans],
        vec![0.5; fans],
        1,
        creators,
    )
    .expect("valid");
    let mut targets = vec![fans as u32; 64];
    targets.resize(creators, 0);
    a.warm_start(1, &targets, &vec![0; creators], 1.0, 0.5)
        .expect("warm start");
    let plan = a.plan(3, 0, &vec![false; creators], 0.0).expect("plan");
    let order: Vec<i64> = (64..creators as i64).chain(0..64).collect();
    let n = order.len();
    let impressions = vec![plan.screens as i64; n];
    let uid: Vec<i64> = (0..n as i64).collect();
    let works = WorksToday {
        creator: &order,
        impressions: &impressions,
        appeal: &vec![1.0; n],
        category: &vec![0; n],
        commerce: &vec![true; n],
        engage_rate: &vec![0.0; n],
        follow_rate: &vec![0.0; n],
        uid: &uid,
    };
    a.view(3, 0, &works, 1, false, 1.0, &vec![true; creators])
        .expect("view");
    let price = vec![1.0; n];
    let offers = Offers {
        p_buy: &vec![0.3; n],
        price: &price,
        reference_price: &price,
        follow_factor: 1.0,
        cohort: 1.0,
        seeding: &[],
    };
    let run = |redraw: bool| {
        let mut b = a.clone();
        super::buy::REDRAW_ALL.with(|c| c.set(redraw));
        let (mut capacity, mut budget) = (vec![1000i64; creators], vec![1e9f64; fans]);
        let orders = b
            .buy(5, 0, &offers, &mut capacity, &mut budget)
            .expect("buy");
        super::buy::REDRAW_ALL.with(|c| c.set(false));
        let edges = b.edges();
        (orders, capacity, budget, edges)
    };
    let ahead = run(false);
    assert!(ahead.0.evicted_follows > 0, "orders evicted follows");
    assert!(
        ahead.0.creator.iter().any(|&c| c < 64),
        "later works sold too"
    );
    assert_eq!(ahead, run(true));
}

#[test]
fn the_parallel_warm_start_matches_the_creator_by_creator_pass() {
    // 3 categories, 9000 creators (more than one piece), heavy-tailed targets so that some
    // fans are chosen by more than MAX_RELATIONS creators and some creators want more than
    // half of their pool.
    let fans = 2000;
    let creators = 9000;
    let interest: Vec<u16> = (0..fans).map(|f| (f % 3) as u16).collect();
    let fresh =
        Audience::new(interest, vec![20.0; fans], vec![1.0; fans], 3, creators).expect("valid");
    let category: Vec<i64> = (0..creators as i64).map(|c| c % 3).collect();
    let targets: Vec<u32> = (0..creators as u32)
        .map(|c| if c % 997 == 0 { 1500 } else { (c * 7919) % 40 })
        .collect();
    let run = |serial: bool| {
        let mut a = fresh.clone();
        super::warm::SERIAL_ONLY.with(|c| c.set(serial));
        let made = a
            .warm_start(7, &targets, &category, 0.6, 0.4)
            .expect("warm");
        super::warm::SERIAL_ONLY.with(|c| c.set(false));
        let capacities: Vec<usize> = a.relations.iter().map(|l| l.capacity()).collect();
        (
            made,
            a.edges(),
            a.followers().to_vec(),
            capacities,
            a.memory_bytes(),
        )
    };
    let parallel = run(false);
    assert!(
        parallel.1 .0.windows(64).any(|w| w[0] == w[63]),
        "some fan has a full list"
    );
    assert_eq!(parallel, run(true));
}

#[test]
fn a_follow_page_order_after_one_on_the_page_is_a_whole_repeat_in_a_cohort() {
    // Every fan follows creator 0, whose one commerce work each day takes all their views
    // (the follow page); a creator cohort of 4 real creators per simulated one.
    let mut a = Audience::new(vec![0; 100], vec![10.0; 100], vec![1.0; 100], 1, 1).expect("valid");
    assert_eq!(a.warm_start(1, &[100], &[0], 1.0, 0.5), Ok(100));
    let mut bought_before = vec![false; 100];
    let (mut repeats, mut firsts) = (0, 0);
    for day in 0..4u64 {
        let plan = a.plan(3, day, &[true], 1.0).expect("plan");
        assert_eq!(plan.screens, 0, "every view on the follow page");
        let works = WorksToday {
            creator: &[0],
            impressions: &[0],
            appeal: &[1.0],
            category: &[0],
            commerce: &[true],
            engage_rate: &[0.0],
            follow_rate: &[0.0],
            uid: &[day as i64],
        };
        a.view(3, day, &works, 2, false, 1.0, &[true])
            .expect("view");
        let offers = Offers {
            p_buy: &[0.05],
            price: &[10.0],
            reference_price: &[10.0],
            follow_factor: 1.0,
            cohort: 4.0,
            seeding: &[],
        };
        let (mut capacity, mut budget) = (vec![1_000i64], vec![1e9f64; 100]);
        let orders = a
            .buy(3, day, &offers, &mut capacity, &mut budget)
            .expect("buy");
        for (i, &fan) in orders.fan.iter().enumerate() {
            let fan = fan as usize;
            assert!(orders.from_follow[i]);
            // Earlier orders of the pair were all on the page: the followed member's.
            let expected = if bought_before[fan] { 1.0 } else { 0.0 };
            assert_eq!(orders.repeat[i], expected, "fan {fan} on day {day}");
            repeats += bought_before[fan] as usize;
            firsts += !bought_before[fan] as usize;
            bought_before[fan] = true;
            let r = a.relations_of(fan).iter().find(|r| r.creator == 0);
            assert!(r.is_some_and(|r| r.flags & BOUGHT_ON_PAGE != 0 && r.bought()));
        }
    }
    assert!(
        repeats > 0 && firsts > 0,
        "{repeats} repeats, {firsts} first orders"
    );
}

/// A day of 100 fans following creators 0 and 1, each with one commerce work today
/// (follow page and discovery), ready to `buy`.
fn shopping_day(day: u64) -> (Audience, Vec<f64>) {
    let mut a = followed();
    let plan = a.plan(4, day, &[true, true], 0.5).expect("plan");
    let impressions = [plan.screens as i64, plan.screens as i64];
    let works = WorksToday {
        creator: &[0, 1],
        impressions: &impressions,
        appeal: &[1.0, 1.0],
        category: &[0, 0],
        commerce: &[true, true],
        engage_rate: &[0.0, 0.0],
        follow_rate: &[0.0, 0.0],
        uid: &[10, 11],
    };
    a.view(4, day, &works, 1, false, 1.0, &[true, true])
        .expect("view");
    (a, vec![1.0, 1.0])
}

fn offers<'a>(price: &'a [f64], seeding: &'a [f64]) -> Offers<'a> {
    Offers {
        p_buy: &[0.05, 0.05],
        price,
        reference_price: price,
        follow_factor: 1.0,
        cohort: 1.0,
        seeding,
    }
}

#[test]
fn no_seeding_is_the_same_day_as_before() {
    let (a, price) = shopping_day(0);
    let run = |seeding: &[f64]| {
        let mut b = a.clone();
        let (mut capacity, mut budget) = (vec![1000i64; 2], vec![100.0f64; 100]);
        let orders = b
            .buy(5, 0, &offers(&price, seeding), &mut capacity, &mut budget)
            .expect("buy");
        (orders, capacity, budget)
    };
    let (none, zeros) = (run(&[]), run(&[0.0, 0.0]));
    assert!(!none.0.fan.is_empty());
    assert_eq!(none, zeros);
    assert!(none.0.planted_fan.is_empty());
}

#[test]
fn seeded_decisions_are_not_orders_today_and_are_booked_later() {
    let (mut a, price) = shopping_day(0);
    let (mut capacity, mut budget) = (vec![1000i64; 2], vec![100.0f64; 100]);
    let orders = a
        .buy(
            5,
            0,
            &offers(&price, &[1.0, 0.0]),
            &mut capacity,
            &mut budget,
        )
        .expect("buy");
    // Work 0 seeds every decision: none of its orders is today's; work 1 sells.
    assert!(orders.work.iter().all(|&w| w == 1));
    assert!(!orders.work.is_empty());
    assert!(!orders.planted_fan.is_empty());
    assert!(orders.planted_work.iter().all(|&w| w == 0));
    assert_eq!(
        capacity[0], 1000,
        "a decision for later uses no capacity today"
    );
    let spent: f64 = budget.iter().map(|b| 100.0 - b).sum();
    assert_eq!(spent, orders.fan.len() as f64);
    assert!(orders.planted_from_follow.iter().any(|&f| f));
    assert!(orders.planted_from_follow.iter().any(|&f| !f));
    // The next day (after `view`), the decisions are booked: every fan follows creator 0
    // with no purchase yet, so the first booking of a fan is no repeat, a second one is.
    let before: u32 = a.fan_totals().orders.iter().sum();
    let mut b = a.clone();
    quiet_day(&mut b, 1, &[true, true]);
    let fans = orders.planted_fan.clone();
    let creators = vec![0i64; fans.len()];
    let spend = vec![1.0; fans.len()];
    let page = orders.planted_from_follow.clone();
    assert_eq!(
        b.book(2, &fans, &creators, &spend, &page, 1.0)
            .unwrap_err()
            .argument,
        "day"
    );
    let repeats = b
        .book(1, &fans, &creators, &spend, &page, 1.0)
        .expect("book");
    let mut seen = std::collections::HashSet::new();
    for (&fan, &repeat) in fans.iter().zip(&repeats) {
        assert_eq!(repeat, if seen.insert(fan) { 0.0 } else { 1.0 });
        assert!(b
            .relations_of(fan as usize)
            .iter()
            .any(|r| r.creator == 0 && r.bought()));
    }
    let after: u32 = b.fan_totals().orders.iter().sum();
    assert_eq!(after - before, fans.len() as u32);
    assert_eq!(
        b.book(1, &[0], &[2], &[1.0], &[false], 1.0)
            .unwrap_err()
            .argument,
        "creators"
    );
}
