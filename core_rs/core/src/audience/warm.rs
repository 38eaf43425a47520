//! The warm start: an established follow graph before the first day.

use super::draw;
use super::relations::{Relation, RelationList, FOLLOWS, MAX_RELATIONS};
use super::{indices, purpose, Audience, InputError, FAN_CHUNK};
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
        if !serial_only() && self.relations.iter().all(RelationList::is_empty) {
            return Ok(self.warm_start_fresh(
                seed,
                targets,
                creator_category,
                same_category_share,
                initial_trust,
            ));
        }
        let n = self.n_fans();
        // mark[f] == c + 1: fan f was chosen for creator c (no clearing between creators).
        let mut mark = vec![0u32; n];
        let mut chosen: Vec<u32> = Vec::new();
        let mut made = 0u64;
        for (c, &target) in targets.iter().enumerate() {
            chosen.clear();
            self.choose_followers(
                seed,
                c,
                target,
                creator_category,
                same_category_share,
                &mut mark,
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
                        orders: 0,
                    });
                    self.followers[c] += 1;
                    made += 1;
                }
            }
        }
        self.repack();
        Ok(made)
    }

    /// The distinct followers creator `c` gets in the warm start, appended to `out`, in the
    /// order they are drawn (its own stream; `mark` holds no stamp `c + 1` on entry).
    #[allow(clippy::too_many_arguments)]
    fn choose_followers(
        &self,
        seed: u64,
        c: usize,
        target: u32,
        creator_category: &[i64],
        same_category_share: f64,
        mark: &mut [u32],
        out: &mut Vec<u32>,
    ) {
        let n = self.n_fans();
        let target = (target as usize).min(n);
        if target == 0 {
            return;
        }
        let stamp = c as u32 + 1;
        let mut s = Stream::new(seed, 0, c as u64, purpose::WARM);
        let pool = &self.fans_by_category[creator_category[c] as usize];
        let same =
            (draw::binomial(&mut s, target as u64, same_category_share) as usize).min(pool.len());
        choose(
            &mut s,
            |i| pool[i],
            pool.len(),
            pool.len(),
            same,
            mark,
            stamp,
            out,
        );
        choose(
            &mut s,
            |i| i as u32,
            n,
            n - same,
            target - same,
            mark,
            stamp,
            out,
        );
    }

    /// The warm start on fans without relations (the model's case), with the same result
    /// as the creator-by-creator pass: each creator's followers depend only on its own
    /// stream, so they are drawn for chunks of creators in parallel; a fan then keeps the
    /// first [`MAX_RELATIONS`] creators that chose it in creator order (those a full list
    /// skipped), its relations in that order, and the lists are built per chunk of fans.
    fn warm_start_fresh(
        &mut self,
        seed: u64,
        targets: &[u32],
        creator_category: &[i64],
        same_category_share: f64,
        initial_trust: f32,
    ) -> u64 {
        use rayon::prelude::*;
        let n = self.n_fans();
        let n_creators = targets.len();
        // Creators per piece: each piece has its own marks (stamps are unique per creator).
        const CREATORS: usize = 4096;
        let this = &*self;
        let pieces: Vec<(Vec<u32>, Vec<u32>)> = (0..n_creators.div_ceil(CREATORS))
            .into_par_iter()
            .map(|piece| {
                let mut mark = vec![0u32; n];
                let mut fans = Vec::new();
                let mut ends = Vec::new();
                let lo = piece * CREATORS;
                let hi = (lo + CREATORS).min(n_creators);
                for (i, &target) in targets[lo..hi].iter().enumerate() {
                    let c = lo + i;
                    this.choose_followers(
                        seed,
                        c,
                        target,
                        creator_category,
                        same_category_share,
                        &mut mark,
                        &mut fans,
                    );
                    ends.push(fans.len() as u32);
                }
                (fans, ends)
            })
            .collect();
        // Relations per fan: the first MAX_RELATIONS creators that chose it.
        let mut count = vec![0u32; n + 1];
        for (fans, _) in &pieces {
            for &f in fans {
                count[f as usize + 1] += 1;
            }
        }
        let mut offsets = count;
        offsets[0] = 0;
        for f in 0..n {
            offsets[f + 1] = offsets[f] + offsets[f + 1].min(MAX_RELATIONS as u32);
        }
        let mut next = offsets[..n].to_vec();
        let empty = Relation {
            creator: 0,
            trust: initial_trust,
            last_day: 0,
            flags: FOLLOWS,
            orders: 0,
        };
        let mut flat = vec![empty; offsets[n] as usize];
        let mut made = 0u64;
        for (piece, (fans, ends)) in pieces.iter().enumerate() {
            let mut start = 0usize;
            for (i, &end) in ends.iter().enumerate() {
                let c = piece * CREATORS + i;
                for &f in &fans[start..end as usize] {
                    let f = f as usize;
                    if next[f] < offsets[f + 1] {
                        flat[next[f] as usize].creator = c as u32;
                        next[f] += 1;
                        self.followers[c] += 1;
                        made += 1;
                    }
                }
                start = end as usize;
            }
        }
        drop(pieces);
        let offsets = &offsets;
        let flat = &flat;
        self.relations
            .par_chunks_mut(FAN_CHUNK)
            .enumerate()
            .for_each(|(chunk, lists)| {
                for (j, list) in lists.iter_mut().enumerate() {
                    let f = chunk * FAN_CHUNK + j;
                    *list = RelationList::from_slice(
                        &flat[offsets[f] as usize..offsets[f + 1] as usize],
                    );
                }
            });
        self.moved = 0;
        made
    }
}

#[cfg(test)]
thread_local! {
    /// Tests: take the creator-by-creator pass even on fans without relations.
    pub(super) static SERIAL_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[inline(always)]
fn serial_only() -> bool {
    #[cfg(test)]
    return SERIAL_ONLY.with(|c| c.get());
    #[cfg(not(test))]
    false
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
