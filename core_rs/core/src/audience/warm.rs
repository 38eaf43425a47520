//! The warm start: an established follow graph before the first day.

use super::draw;
use super::relations::{Relation, FOLLOWS, MAX_RELATIONS};
use super::{indices, purpose, Audience, InputError};
use crate::rng::Stream;

impl Audience {
    /// Make `targets[c]` distinct fans follow creator `c`: `Binomial(targets[c],
    /// same_category_share)` of them drawn from the fans interested in the creator's
    /// category, the rest from all fans. A fan whose relations are full is skipped, so a
    /// creator's followers are the realized count. Relations start with `initial_trust`
    /// on day 0. Expected time O(total edges). Returns the number of follows made.
    pub fn warm_start(
        &mut self,
        seed: u64,
        targets: &[u32],
        creator_category: &[i64],
        same_category_share: f64,
        initial_trust: f32,
    ) -> Result<u64, InputError> {
        for (name, len) in [
            ("targets", targets.len()),
            ("creator_category", creator_category.len()),
        ] {
            if len != self.n_creators() {
                return Err(InputError::new(
                    name,
                    format!(
                        "length {len} does not match the {} creators",
                        self.n_creators()
                    ),
                ));
            }
        }
        indices("creator_category", creator_category, self.n_categories)?;
        if !(0.0..=1.0).contains(&same_category_share) {
            return Err(InputError::new(
                "same_category_share",
                format!("must be between 0 and 1, got {same_category_share}"),
            ));
        }
        if !(0.0..=1.0).contains(&initial_trust) {
            return Err(InputError::new(
                "initial_trust",
                format!("must be between 0 and 1, got {initial_trust}"),
            ));
        }
        let n = self.n_fans();
        // mark[f] == c + 1: fan f was chosen for creator c (no clearing between creators).
        let mut mark = vec![0u32; n];
        let mut chosen: Vec<u32> = Vec::new();
        let mut made = 0u64;
        for (c, &target) in targets.iter().enumerate() {
            let target = (target as usize).min(n);
            if target == 0 {
                continue;
            }
            let stamp = c as u32 + 1;
            let mut s = Stream::new(seed, 0, c as u64, purpose::WARM);
            let pool = &self.fans_by_category[creator_category[c] as usize];
            let same = (draw::binomial(&mut s, target as u64, same_category_share) as usize)
                .min(pool.len());
            chosen.clear();
            choose(
                &mut s,
                |i| pool[i],
                pool.len(),
                pool.len(),
                same,
                &mut mark,
                stamp,
                &mut chosen,
            );
            choose(
                &mut s,
                |i| i as u32,
                n,
                n - same,
                target - same,
                &mut mark,
                stamp,
                &mut chosen,
            );
            for &fan in &chosen {
                let list = &mut self.relations[fan as usize];
                if let Some(r) = list.find_mut(c as u32) {
                    if !r.follows() {
                        r.flags |= FOLLOWS;
                        self.followers[c] += 1;
                        made += 1;
                    }
                } else if list.len() < MAX_RELATIONS {
                    list.insert(Relation {
                        creator: c as u32,
                        trust: initial_trust,
                        last_day: 0,
                        flags: FOLLOWS,
                    });
                    self.followers[c] += 1;
                    made += 1;
                }
            }
        }
        self.repack();
        Ok(made)
    }
}

/// Append `m` distinct unmarked fans of a pool (`fan_at(i)` for `i < len`, of which
/// `available` are unmarked) to `out`, marking them: by rejection when they are at most
/// half of the available ones, else by selection sampling in pool order.
#[allow(clippy::too_many_arguments)]
fn choose(
    s: &mut Stream,
    fan_at: impl Fn(usize) -> u32,
    len: usize,
    available: usize,
    m: usize,
    mark: &mut [u32],
    stamp: u32,
    out: &mut Vec<u32>,
) {
    let m = m.min(available);
    if m == 0 {
        return;
    }
    if 2 * m <= available {
        let mut got = 0;
        while got < m {
            let fan = fan_at(s.below(len as u64) as usize);
            if mark[fan as usize] != stamp {
                mark[fan as usize] = stamp;
                out.push(fan);
                got += 1;
            }
        }
        return;
    }
    let (mut need, mut left) = (m, available);
    for i in 0..len {
        if need == 0 {
            break;
        }
        let fan = fan_at(i);
        if mark[fan as usize] == stamp {
            continue;
        }
        if s.below(left as u64) < need as u64 {
            mark[fan as usize] = stamp;
            out.push(fan);
            need -= 1;
        }
        left -= 1;
    }
}
