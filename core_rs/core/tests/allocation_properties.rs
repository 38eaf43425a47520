//! Property tests of the allocation invariants (DESIGN.md §4), in plain Rust.

use ecosim_core::allocate::{allocate, allocate_checked, validate, Method, Policy};
use ecosim_core::gini::gini_u64;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Case {
    work_creator: Vec<i64>,
    demand: Vec<i64>,
    is_new: Vec<bool>,
    ordinary: Vec<bool>,
    budget: i64,
}

fn cases() -> impl Strategy<Value = Case> {
    (1usize..12, 0usize..40).prop_flat_map(|(n_creators, n_works)| {
        (
            prop::collection::vec(0..n_creators as i64, n_works),
            prop::collection::vec(0i64..100_000, n_works),
            prop::collection::vec(any::<bool>(), n_works),
            prop::collection::vec(any::<bool>(), n_creators),
            0i64..2_000_000,
        )
            .prop_map(|(work_creator, demand, is_new, ordinary, budget)| Case {
                work_creator,
                demand,
                is_new,
                ordinary,
                budget,
            })
    })
}

fn policies() -> impl Strategy<Value = Policy> {
    (
        prop::option::of(0.0f64..=1.0),
        prop::option::of(0.0f64..=1.0),
        any::<bool>(),
    )
        .prop_map(|(gini_cap, ordinary_floor, blend)| Policy {
            gini_cap,
            ordinary_floor,
            method: if blend { Method::Blend } else { Method::Cap },
        })
}

/// Per-creator totals over the creators with at least one work.
fn totals(case: &Case, impressions: &[i64]) -> (Vec<u64>, Vec<bool>) {
    let n = case.ordinary.len();
    let mut sums = vec![0u64; n];
    let mut active = vec![false; n];
    for (i, &c) in case.work_creator.iter().enumerate() {
        sums[c as usize] += impressions[i] as u64;
        active[c as usize] = true;
    }
    let keep: Vec<usize> = (0..n).filter(|&c| active[c]).collect();
    (
        keep.iter().map(|&c| sums[c]).collect(),
        keep.iter().map(|&c| case.ordinary[c]).collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn totals_are_exact_and_base_comes_first(case in cases(), policy in policies()) {
        prop_assert!(validate(&case.work_creator, &case.demand, &case.is_new, case.ordinary.len(), case.budget, &policy).is_ok());
        let a = allocate(&case.work_creator, &case.demand, &case.is_new, &case.ordinary, case.budget, &policy);
        prop_assert!(a.impressions.iter().all(|&x| x >= 0));
        let total: i64 = a.impressions.iter().sum();
        prop_assert_eq!(total, case.budget.min(case.demand.iter().sum()));
        let base: i64 = case.demand.iter().zip(&case.is_new).filter(|(_, &n)| n).map(|(d, _)| d).sum();
        if case.budget >= base {
            for i in 0..case.demand.len() {
                if case.is_new[i] {
                    prop_assert!(a.impressions[i] >= case.demand[i]);
                }
            }
        }
    }

    #[test]
    fn feasible_means_the_constraints_hold(case in cases(), policy in policies()) {
        let a = allocate(&case.work_creator, &case.demand, &case.is_new, &case.ordinary, case.budget, &policy);
        let (sums, ordinary) = totals(&case, &a.impressions);
        let g = gini_u64(&sums);
        prop_assert_eq!(g, a.gini_after);
        let total: u64 = sums.iter().sum();
        let ord: u64 = sums.iter().zip(&ordinary).filter(|(_, &o)| o).map(|(s, _)| s).sum();
        if a.feasible {
            if let Some(cap) = policy.gini_cap { prop_assert!(g <= cap); }
            if let (Some(floor), true) = (policy.ordinary_floor, total > 0) {
                prop_assert!(ord as f64 / total as f64 >= floor);
            }
        }
    }

    #[test]
    fn no_op_policies_change_nothing(case in cases(), blend in any::<bool>()) {
        let method = if blend { Method::Blend } else { Method::Cap };
        let plain = allocate(&case.work_creator, &case.demand, &case.is_new, &case.ordinary, case.budget, &Policy { gini_cap: None, ordinary_floor: None, method });
        let loose = allocate(&case.work_creator, &case.demand, &case.is_new, &case.ordinary, case.budget, &Policy { gini_cap: Some(1.0), ordinary_floor: Some(0.0), method });
        prop_assert_eq!(&plain.impressions, &loose.impressions);
        prop_assert!(loose.feasible);
    }

    #[test]
    fn same_result_for_any_thread_count(case in cases(), policy in policies()) {
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| {
                allocate(&case.work_creator, &case.demand, &case.is_new, &case.ordinary, case.budget, &policy)
            })
        };
        let one = run(1);
        prop_assert_eq!(&one, &run(3));
        prop_assert_eq!(&one, &run(4));
    }
}

#[test]
fn bad_inputs_are_named() {
    let policy = Policy {
        gini_cap: None,
        ordinary_floor: None,
        method: Method::Blend,
    };
    let err = validate(&[0, 5], &[1, 1], &[true, true], 2, 10, &policy).unwrap_err();
    assert!(err.starts_with("work_creator:"), "{err}");
    let err = validate(&[0], &[-1], &[true], 1, 10, &policy).unwrap_err();
    assert!(err.starts_with("demand:"), "{err}");
    let err = validate(&[0], &[1, 2], &[true], 1, 10, &policy).unwrap_err();
    assert!(err.starts_with("demand:"), "{err}");
    let err = validate(&[0], &[1], &[true], 1, -1, &policy).unwrap_err();
    assert!(err.starts_with("budget:"), "{err}");
    let bad = Policy {
        gini_cap: Some(1.5),
        ..policy
    };
    assert!(validate(&[0], &[1], &[true], 1, 1, &bad)
        .unwrap_err()
        .starts_with("gini_cap:"));
    let bad = Policy {
        ordinary_floor: Some(f64::NAN),
        ..policy
    };
    assert!(validate(&[0], &[1], &[true], 1, 1, &bad)
        .unwrap_err()
        .starts_with("ordinary_floor:"));
}

#[test]
fn allocate_checked_reports_what_validate_reports() {
    let policy = Policy {
        gini_cap: Some(0.5),
        ordinary_floor: None,
        method: Method::Blend,
    };
    let ordinary = [true, false];
    // (work_creator, demand, is_new), budget 10.
    type Works = (Vec<i64>, Vec<i64>, Vec<bool>);
    let cases: [Works; 5] = [
        (vec![0, 5], vec![1, 1], vec![true, true]),
        (vec![0, -1], vec![1, 1], vec![true, true]),
        (vec![0, 1], vec![1, -1], vec![true, false]),
        (vec![0], vec![1, 2], vec![true]),
        (vec![0, 1], vec![i64::MAX, 1], vec![false, false]),
    ];
    for (work_creator, demand, is_new) in cases {
        let want = validate(&work_creator, &demand, &is_new, 2, 10, &policy).unwrap_err();
        let got =
            allocate_checked(&work_creator, &demand, &is_new, &ordinary, 10, &policy).unwrap_err();
        assert_eq!(got, want);
    }
    // Valid input: the same allocation as validate-then-allocate.
    let (work_creator, demand, is_new) =
        (vec![0, 1, 1], vec![10, 300, 20], vec![false, true, false]);
    let checked =
        allocate_checked(&work_creator, &demand, &is_new, &ordinary, 200, &policy).unwrap();
    assert_eq!(
        checked,
        allocate(&work_creator, &demand, &is_new, &ordinary, 200, &policy)
    );
}
