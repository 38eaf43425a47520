//! A fan's relations to creators: at most [`MAX_RELATIONS`], one per creator, 12 bytes each.

/// The fan follows the creator (an edge of the follow graph).
pub const FOLLOWS: u8 = 1;
/// The fan has bought from the creator (a later order is a repeat purchase).
pub const BOUGHT: u8 = 2;
/// Some of those orders came from the fan's follow page: from the cohort member its real
/// users follow (see [`Relation::repeat_share`]).
pub const BOUGHT_ON_PAGE: u8 = 4;
/// Relations per fan at most: the memory of the graph is bounded by fans × this.
pub const MAX_RELATIONS: usize = 64;

/// One (fan, creator) relation. `last_day` is the last day the fan saw the creator on its
/// follow page, followed it or bought from it (days are below 2^16).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Relation {
    pub creator: u32,
    pub trust: f32,
    pub last_day: u16,
    pub flags: u8,
    /// Orders the fan has placed with the creator (saturating): with creator cohorts
    /// (one simulated creator for several real ones) the share of the pair's real users
    /// who bought from the member they meet is 1 − (1 − 1/cohort)^orders.
    pub orders: u8,
}

const _: () = assert!(std::mem::size_of::<Relation>() == 12);

impl Relation {
    #[inline]
    pub fn follows(&self) -> bool {
        self.flags & FOLLOWS != 0
    }

    #[inline]
    pub fn bought(&self) -> bool {
        self.flags & BOUGHT != 0
    }

    /// Share of the pair's real users for whom an order now is a repeat purchase. After
    /// the pair's n orders, the share s = 1 − (1 − 1/cohort)^n of a creator cohort of
    /// `cohort` members has sold to a user (each order met a random member). A user buys
    /// from a member in proportion to 0.5 + its trust in it, and the pair's trust is the
    /// mean over members: with the members that never sold at the stranger's trust, the
    /// ones that did hold the rest, so an order lands on one of them with probability
    /// (s·(0.5 + stranger) + trust − stranger) / (0.5 + trust). On its follow page
    /// (`on_page`) a user meets the member it follows: once the pair has bought there, that
    /// member has sold to every one of its users. All are 1 for any n ≥ 1 when a simulated
    /// creator is one real creator.
    #[inline]
    pub fn repeat_share(&self, cohort: f64, on_page: bool) -> f64 {
        if self.orders == 0 {
            0.0
        } else if cohort <= 1.0 || (on_page && self.flags & BOUGHT_ON_PAGE != 0) {
            1.0
        } else {
            let sold = 1.0 - (1.0 - 1.0 / cohort).powi(self.orders as i32);
            let (trust, stranger) = (self.trust as f64, super::STRANGER_TRUST as f64);
            ((sold * (0.5 + stranger) + trust - stranger) / (0.5 + trust)).clamp(0.0, 1.0)
        }
    }
}

/// The relations of one fan, unordered. Its capacity never exceeds [`MAX_RELATIONS`]
/// (a `Vec` grows by doubling from 4, and 64 is a power of two).
#[derive(Clone, Debug, Default)]
pub struct RelationList(Vec<Relation>);

impl RelationList {
    #[inline]
    pub fn as_slice(&self) -> &[Relation] {
        &self.0
    }

    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [Relation] {
        &mut self.0
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A copy in a fresh allocation of the capacity it needs (a power of two, at least 4).
    pub fn repacked(&self) -> Self {
        if self.0.is_empty() {
            return RelationList(Vec::new());
        }
        let room = self.0.len().next_power_of_two().clamp(4, MAX_RELATIONS);
        let mut v = Vec::with_capacity(room);
        v.extend_from_slice(&self.0);
        RelationList(v)
    }

    /// A list of these relations (at most [`MAX_RELATIONS`]) in an allocation of the
    /// capacity [`RelationList::repacked`] gives.
    pub fn from_slice(relations: &[Relation]) -> Self {
        debug_assert!(relations.len() <= MAX_RELATIONS);
        if relations.is_empty() {
            return RelationList(Vec::new());
        }
        let room = relations.len().next_power_of_two().clamp(4, MAX_RELATIONS);
        let mut v = Vec::with_capacity(room);
        v.extend_from_slice(relations);
        RelationList(v)
    }

    pub fn capacity(&self) -> usize {
        self.0.capacity()
    }

    #[inline]
    pub fn find(&self, creator: u32) -> Option<&Relation> {
        self.0.iter().find(|r| r.creator == creator)
    }

    #[inline]
    pub fn find_mut(&mut self, creator: u32) -> Option<&mut Relation> {
        self.0.iter_mut().find(|r| r.creator == creator)
    }

    /// Add a relation to a creator the fan has none with. When the list is full the
    /// stalest relation that is not FOLLOWS makes room (if all follow, the stalest follow
    /// does); ties go to the lowest position. Returns the evicted relation.
    pub fn insert(&mut self, relation: Relation) -> Option<Relation> {
        debug_assert!(self.find(relation.creator).is_none());
        if self.0.len() < MAX_RELATIONS {
            self.0.push(relation);
            return None;
        }
        let stalest = |follows: bool| {
            self.0
                .iter()
                .enumerate()
                .filter(|(_, r)| r.follows() == follows)
                .min_by_key(|(i, r)| (r.last_day, *i))
                .map(|(i, _)| i)
        };
        let slot = stalest(false).or_else(|| stalest(true))?;
        Some(std::mem::replace(&mut self.0[slot], relation))
    }

    /// Keep the relations for which `keep` holds, which may also rewrite them (order of
    /// the kept ones preserved).
    pub fn retain_mut(&mut self, keep: impl FnMut(&mut Relation) -> bool) {
        self.0.retain_mut(keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(creator: u32, last_day: u16, flags: u8) -> Relation {
        Relation {
            creator,
            trust: 0.5,
            last_day,
            flags,
            orders: 0,
        }
    }

    #[test]
    fn eviction_takes_the_stalest_non_follow_first() {
        let mut list = RelationList::default();
        for c in 0..MAX_RELATIONS as u32 {
            let flags = if c == 7 || c == 9 { BOUGHT } else { FOLLOWS };
            assert!(list.insert(rel(c, 100 - c as u16 % 50, flags)).is_none());
        }
        assert_eq!(list.capacity(), MAX_RELATIONS);
        // Creators 7 (day 93) and 9 (day 91) do not follow; 9 is staler.
        assert_eq!(
            list.insert(rel(1000, 200, FOLLOWS)).map(|r| r.creator),
            Some(9)
        );
        assert_eq!(
            list.insert(rel(1001, 200, FOLLOWS)).map(|r| r.creator),
            Some(7)
        );
        // All follow now: the stalest follow goes (creator 49, day 51).
        let evicted = list.insert(rel(1002, 200, BOUGHT)).expect("full");
        assert_eq!((evicted.creator, evicted.last_day), (49, 51));
        assert_eq!(list.len(), MAX_RELATIONS);
        assert_eq!(list.capacity(), MAX_RELATIONS);
    }

    #[test]
    fn repeat_share_is_the_share_of_the_cohort_that_has_sold_to_the_fan() {
        let mut r = rel(0, 0, BOUGHT);
        r.trust = super::super::STRANGER_TRUST;
        assert_eq!(
            r.repeat_share(1.0, false),
            0.0,
            "no orders yet: never a repeat"
        );
        r.orders = 1;
        assert_eq!(
            r.repeat_share(1.0, false),
            1.0,
            "one creator: every later order repeats"
        );
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert!(
            close(r.repeat_share(4.0, false), 0.25),
            "trust unmoved: the share sold"
        );
        r.orders = 2;
        let sold = 1.0 - 0.75f64.powi(2);
        assert!(close(r.repeat_share(4.0, false), sold));
        assert!(
            close(r.repeat_share(4.0, true), sold),
            "not bought on the page yet"
        );
        r.flags |= BOUGHT_ON_PAGE;
        assert_eq!(
            r.repeat_share(4.0, true),
            1.0,
            "bought on the page before: the followed member sold to every user"
        );
        assert!(
            close(r.repeat_share(4.0, false), sold),
            "discovery: any member"
        );
        // Members that sold are trusted more, and more often chosen.
        r.trust = 0.4;
        let share = r.repeat_share(4.0, false);
        assert!(share > sold && share < 1.0, "{share}");
        assert!(close(share, (sold * 0.8 + 0.1) / 0.9));
        r.trust = 0.05;
        assert!(
            r.repeat_share(4.0, false) < sold,
            "a complaint: the sellers are shunned"
        );
        r.orders = u8::MAX;
        r.trust = super::super::STRANGER_TRUST;
        assert!(r.repeat_share(4.0, false) > 0.999_999);
    }
}
