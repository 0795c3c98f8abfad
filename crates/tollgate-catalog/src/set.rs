//! Sets of catalog actions as bitsets over the catalog's action table.

use std::fmt;

/// The index of an action in its catalog's sorted action table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActionId(pub(crate) u32);

impl ActionId {
    /// The index in the catalog's action table (sorted by service prefix,
    /// then action name, both case-insensitively).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A set of actions of one catalog: one bit per action.
///
/// Only the span of words from the set's first to its last action is
/// stored (a pattern such as `s3:Get*` covers a few words of one service,
/// not the whole table): a set costs what it holds, and operations walk the
/// span they touch.
///
/// Set operations between sets of different catalogs are meaningless; they
/// do not panic but only combine the common prefix of the tables.
#[derive(Clone)]
pub struct ActionSet {
    /// Index of the first stored word in the whole bitset.
    first: u32,
    /// Words `first..first + words.len()`; every bit outside them is clear.
    words: Vec<u64>,
    universe: u32,
}

impl ActionSet {
    /// The empty set over a table of `universe` actions.
    pub(crate) fn empty(universe: usize) -> Self {
        ActionSet { first: 0, words: Vec::new(), universe: universe as u32 }
    }

    /// The empty set, storing every word of the table (for a set that
    /// will be filled across it).
    pub(crate) fn spanning(universe: usize) -> Self {
        ActionSet { first: 0, words: vec![0; universe.div_ceil(64)], universe: universe as u32 }
    }

    /// Every action of a table of `universe` actions.
    pub(crate) fn full(universe: usize) -> Self {
        let mut s = ActionSet::empty(universe);
        s.insert_range(0, universe);
        s
    }

    /// Number of actions in the catalog this set belongs to.
    pub fn universe(&self) -> usize {
        self.universe as usize
    }

    /// The word at index `i` of the whole bitset.
    fn word(&self, i: usize) -> u64 {
        i.checked_sub(self.first as usize).and_then(|j| self.words.get(j)).copied().unwrap_or(0)
    }

    /// The stored words from the first to the last non-zero one, and the
    /// index of the first of them.
    fn trimmed(&self) -> (usize, &[u64]) {
        let Some(lo) = self.words.iter().position(|&w| w != 0) else { return (0, &[]) };
        let hi = self.words.iter().rposition(|&w| w != 0).map_or(lo, |i| i + 1);
        (self.first as usize + lo, self.words.get(lo..hi).unwrap_or(&[]))
    }

    /// Widens the stored span to words `lo..hi` (`lo < hi`).
    fn cover(&mut self, lo: usize, hi: usize) {
        if self.words.is_empty() {
            self.first = lo as u32;
            self.words = vec![0; hi - lo];
            return;
        }
        let first = self.first as usize;
        if lo < first {
            self.words.splice(0..0, std::iter::repeat_n(0, first - lo));
            self.first = lo as u32;
        }
        let end = self.first as usize + self.words.len();
        if hi > end {
            self.words.resize(self.words.len() + (hi - end), 0);
        }
    }

    /// The stored words `lo..hi` of the whole bitset, which must be covered.
    fn span_mut(&mut self, lo: usize, hi: usize) -> &mut [u64] {
        let first = self.first as usize;
        match (lo.checked_sub(first), hi.checked_sub(first)) {
            (Some(a), Some(b)) => self.words.get_mut(a..b).unwrap_or(&mut []),
            _ => &mut [],
        }
    }

    pub(crate) fn insert(&mut self, id: usize) {
        if id >= self.universe as usize {
            return;
        }
        let w = id / 64;
        let bit = 1u64 << (id % 64);
        if let Some(x) = w.checked_sub(self.first as usize).and_then(|j| self.words.get_mut(j)) {
            *x |= bit;
            return;
        }
        self.cover(w, w + 1);
        if let Some(x) = self.span_mut(w, w + 1).first_mut() {
            *x |= bit;
        }
    }

    /// Inserts the ids `start..end`.
    pub(crate) fn insert_range(&mut self, start: usize, end: usize) {
        let end = end.min(self.universe as usize);
        if start >= end {
            return;
        }
        self.cover(start / 64, (end - 1) / 64 + 1);
        let first = self.first as usize;
        let mut i = start;
        while i < end {
            let word = i / 64;
            let bit = i % 64;
            let span = (64 - bit).min(end - i);
            let mask = if span == 64 { u64::MAX } else { ((1u64 << span) - 1) << bit };
            if let Some(w) = self.words.get_mut(word - first) {
                *w |= mask;
            }
            i += span;
        }
    }

    /// Adds one action.
    pub fn add(&mut self, id: ActionId) {
        self.insert(id.index());
    }

    pub fn contains(&self, id: ActionId) -> bool {
        self.word(id.index() / 64) & (1u64 << (id.index() % 64)) != 0
    }

    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// Whether the set holds every action of its catalog.
    pub fn is_full(&self) -> bool {
        self.len() == self.universe as usize
    }

    /// Adds every action of `other`.
    pub fn union_with(&mut self, other: &ActionSet) {
        let (lo, src) = other.trimmed();
        if src.is_empty() {
            return;
        }
        let hi = lo + src.len();
        self.cover(lo, hi);
        for (a, b) in self.span_mut(lo, hi).iter_mut().zip(src) {
            *a |= *b;
        }
    }

    /// Keeps only the actions also in `other`.
    pub fn intersect_with(&mut self, other: &ActionSet) {
        let first = self.first as usize;
        for (i, a) in self.words.iter_mut().enumerate() {
            *a &= other.word(first + i);
        }
    }

    /// Removes every action of `other`.
    pub fn subtract(&mut self, other: &ActionSet) {
        let first = self.first as usize;
        for (i, a) in self.words.iter_mut().enumerate() {
            *a &= !other.word(first + i);
        }
    }

    /// The words both sets store, as two slices over the same word indexes.
    fn overlap<'a>(&'a self, other: &'a ActionSet) -> (&'a [u64], &'a [u64]) {
        let lo = self.first.max(other.first) as usize;
        let hi = (self.first as usize + self.words.len()).min(other.first as usize + other.words.len());
        if lo >= hi {
            return (&[], &[]);
        }
        let a = self.words.get(lo - self.first as usize..hi - self.first as usize).unwrap_or(&[]);
        let b = other.words.get(lo - other.first as usize..hi - other.first as usize).unwrap_or(&[]);
        (a, b)
    }

    /// Number of actions in both sets, without building the intersection.
    pub fn intersection_len(&self, other: &ActionSet) -> usize {
        let (a, b) = self.overlap(other);
        a.iter().zip(b).map(|(a, b)| (a & b).count_ones() as usize).sum()
    }

    /// Number of actions with ids in `start..end`.
    pub fn count_range(&self, start: usize, end: usize) -> usize {
        let end = end.min(self.universe as usize).min((self.first as usize + self.words.len()) * 64);
        let mut i = start.max(self.first as usize * 64);
        let mut n = 0usize;
        while i < end {
            let bit = i % 64;
            let span = (64 - bit).min(end - i);
            let mask = if span == 64 { u64::MAX } else { ((1u64 << span) - 1) << bit };
            n += (self.word(i / 64) & mask).count_ones() as usize;
            i += span;
        }
        n
    }

    /// Whether the sets share an action.
    pub fn intersects(&self, other: &ActionSet) -> bool {
        let (a, b) = self.overlap(other);
        a.iter().zip(b).any(|(a, b)| a & b != 0)
    }

    /// Whether every action of `self` is in `other`.
    pub fn is_subset(&self, other: &ActionSet) -> bool {
        let first = self.first as usize;
        self.words.iter().enumerate().all(|(i, a)| a & !other.word(first + i) == 0)
    }

    /// Every action of the catalog that is not in this set (what `NotAction` grants).
    pub fn complement(&self) -> ActionSet {
        let mut out = ActionSet::full(self.universe as usize);
        out.subtract(self);
        out
    }

    /// The actions in ascending id order.
    pub fn iter(&self) -> impl Iterator<Item = ActionId> + '_ {
        let first = self.first;
        self.words.iter().enumerate().flat_map(move |(wi, &w)| BitIter { word: w, base: (first + wi as u32) * 64 })
    }
}

/// Sets are equal when they hold the same actions, whatever span they store.
impl PartialEq for ActionSet {
    fn eq(&self, other: &ActionSet) -> bool {
        self.universe == other.universe && self.trimmed() == other.trimmed()
    }
}

impl Eq for ActionSet {}

impl std::hash::Hash for ActionSet {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.universe.hash(state);
        self.trimmed().hash(state);
    }
}

struct BitIter {
    word: u64,
    base: u32,
}

impl Iterator for BitIter {
    type Item = ActionId;

    fn next(&mut self) -> Option<ActionId> {
        if self.word == 0 {
            return None;
        }
        let tz = self.word.trailing_zeros();
        self.word &= self.word - 1;
        Some(ActionId(self.base + tz))
    }
}

impl fmt::Debug for ActionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActionSet({} of {})", self.len(), self.universe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_complement() {
        let mut s = ActionSet::empty(200);
        s.insert_range(3, 130);
        assert_eq!(s.len(), 127);
        assert!(s.contains(ActionId(3)) && s.contains(ActionId(129)));
        assert!(!s.contains(ActionId(2)) && !s.contains(ActionId(130)));
        let c = s.complement();
        assert_eq!(c.len(), 73);
        assert!(!c.intersects(&s));
        let mut u = c.clone();
        u.union_with(&s);
        assert!(u.is_full());
        assert_eq!(ActionSet::full(200).len(), 200);
        assert_eq!(s.iter().next(), Some(ActionId(3)));
        assert_eq!(s.iter().count(), 127);
        assert_eq!(s.intersection_len(&ActionSet::full(200)), 127);
        assert!(s.is_subset(&u));
        assert_eq!(s.count_range(0, 200), 127);
        assert_eq!(s.count_range(64, 128), 64);
        assert_eq!(s.count_range(100, 135), 30);
        assert_eq!(s.count_range(150, 900), 0);
        assert!(!u.is_subset(&s));
    }

    #[test]
    fn sets_store_only_the_span_they_hold() {
        let mut s = ActionSet::empty(22_000);
        assert!(s.words.is_empty());
        s.insert(10_000);
        assert_eq!((s.first, s.words.len()), (156, 1));
        s.insert_range(9_000, 9_100);
        assert_eq!((s.first, s.words.len()), (140, 17));
        assert_eq!(s.len(), 101);
        // Equality and hashing ignore the stored span.
        let mut t = ActionSet::full(22_000);
        t.intersect_with(&s);
        assert_eq!(t, s);
        assert_eq!(t.words.len(), 344);
        let state = std::hash::RandomState::new();
        assert_eq!(std::hash::BuildHasher::hash_one(&state, &t), std::hash::BuildHasher::hash_one(&state, &s));
        assert_ne!(s, ActionSet::empty(22_000));
        assert_eq!(ActionSet::empty(22_000), ActionSet::full(22_000).complement());
        // Ids past the universe are ignored.
        s.insert(22_000);
        assert_eq!(s.len(), 101);
    }

    fn model(universe: usize, ops: &[(u8, usize, usize)]) -> (ActionSet, std::collections::BTreeSet<usize>) {
        let mut set = ActionSet::empty(universe);
        let mut m = std::collections::BTreeSet::new();
        for &(op, a, b) in ops {
            let (lo, hi) = (a.min(b), a.max(b));
            match op % 3 {
                0 => {
                    set.insert(a);
                    if a < universe {
                        m.insert(a);
                    }
                }
                1 => {
                    set.insert_range(lo, hi);
                    m.extend(lo..hi.min(universe));
                }
                _ => {
                    let mut other = ActionSet::empty(universe);
                    other.insert_range(lo, hi);
                    set.subtract(&other);
                    m.retain(|x| !(lo..hi).contains(x));
                }
            }
        }
        (set, m)
    }

    proptest::proptest! {
        #[test]
        fn span_sets_behave_as_sets(
            universe in 1usize..700,
            ops_a in proptest::collection::vec((0u8..3, 0usize..720, 0usize..720), 0..8),
            ops_b in proptest::collection::vec((0u8..3, 0usize..720, 0usize..720), 0..8),
            range in (0usize..720, 0usize..720),
        ) {
            let (a, ma) = model(universe, &ops_a);
            let (b, mb) = model(universe, &ops_b);
            let ids = |s: &ActionSet| s.iter().map(ActionId::index).collect::<std::collections::BTreeSet<_>>();
            proptest::prop_assert_eq!(ids(&a), ma.clone());
            proptest::prop_assert_eq!(a.len(), ma.len());
            proptest::prop_assert_eq!(a.is_empty(), ma.is_empty());
            proptest::prop_assert_eq!(a.is_full(), ma.len() == universe);
            let mut u = a.clone();
            u.union_with(&b);
            proptest::prop_assert_eq!(ids(&u), ma.union(&mb).copied().collect());
            let mut i = a.clone();
            i.intersect_with(&b);
            proptest::prop_assert_eq!(ids(&i), ma.intersection(&mb).copied().collect());
            let mut d = a.clone();
            d.subtract(&b);
            proptest::prop_assert_eq!(ids(&d), ma.difference(&mb).copied().collect());
            proptest::prop_assert_eq!(a.intersection_len(&b), ma.intersection(&mb).count());
            proptest::prop_assert_eq!(a.intersects(&b), ma.intersection(&mb).next().is_some());
            proptest::prop_assert_eq!(a.is_subset(&b), ma.is_subset(&mb));
            proptest::prop_assert_eq!(a == b, ma == mb);
            let c = a.complement();
            proptest::prop_assert_eq!(ids(&c), (0..universe).filter(|x| !ma.contains(x)).collect());
            let (lo, hi) = (range.0.min(range.1), range.0.max(range.1));
            proptest::prop_assert_eq!(a.count_range(lo, hi), ma.range(lo..hi).count());
            for x in 0..universe + 70 {
                proptest::prop_assert_eq!(a.contains(ActionId(x as u32)), ma.contains(&x));
            }
        }
    }
}
