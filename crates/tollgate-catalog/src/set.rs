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
/// Set operations between sets of different catalogs are meaningless; they
/// do not panic but only combine the common prefix of the tables.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ActionSet {
    words: Vec<u64>,
    universe: u32,
}

impl ActionSet {
    /// The empty set over a table of `universe` actions.
    pub(crate) fn empty(universe: usize) -> Self {
        ActionSet { words: vec![0; universe.div_ceil(64)], universe: universe as u32 }
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

    pub(crate) fn insert(&mut self, id: usize) {
        if let Some(w) = self.words.get_mut(id / 64) {
            *w |= 1u64 << (id % 64);
        }
    }

    /// Inserts the ids `start..end`.
    pub(crate) fn insert_range(&mut self, start: usize, end: usize) {
        let end = end.min(self.universe as usize);
        let mut i = start;
        while i < end {
            let word = i / 64;
            let bit = i % 64;
            let span = (64 - bit).min(end - i);
            let mask = if span == 64 { u64::MAX } else { ((1u64 << span) - 1) << bit };
            if let Some(w) = self.words.get_mut(word) {
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
        self.words.get(id.index() / 64).is_some_and(|w| w & (1u64 << (id.index() % 64)) != 0)
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
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= *b;
        }
    }

    /// Keeps only the actions also in `other`.
    pub fn intersect_with(&mut self, other: &ActionSet) {
        for (i, a) in self.words.iter_mut().enumerate() {
            *a &= other.words.get(i).copied().unwrap_or(0);
        }
    }

    /// Removes every action of `other`.
    pub fn subtract(&mut self, other: &ActionSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !*b;
        }
    }

    /// Number of actions in both sets, without building the intersection.
    pub fn intersection_len(&self, other: &ActionSet) -> usize {
        self.words.iter().zip(&other.words).map(|(a, b)| (a & b).count_ones() as usize).sum()
    }

    /// Number of actions with ids in `start..end`.
    pub fn count_range(&self, start: usize, end: usize) -> usize {
        let end = end.min(self.universe as usize);
        let mut i = start;
        let mut n = 0usize;
        while i < end {
            let bit = i % 64;
            let span = (64 - bit).min(end - i);
            let mask = if span == 64 { u64::MAX } else { ((1u64 << span) - 1) << bit };
            n += (self.words.get(i / 64).copied().unwrap_or(0) & mask).count_ones() as usize;
            i += span;
        }
        n
    }

    /// Whether the sets share an action.
    pub fn intersects(&self, other: &ActionSet) -> bool {
        self.words.iter().zip(&other.words).any(|(a, b)| a & b != 0)
    }

    /// Whether every action of `self` is in `other`.
    pub fn is_subset(&self, other: &ActionSet) -> bool {
        self.words.iter().enumerate().all(|(i, a)| a & !other.words.get(i).copied().unwrap_or(0) == 0)
    }

    /// Every action of the catalog that is not in this set (what `NotAction` grants).
    pub fn complement(&self) -> ActionSet {
        let mut out = ActionSet::full(self.universe as usize);
        out.subtract(self);
        out
    }

    /// The actions in ascending id order.
    pub fn iter(&self) -> impl Iterator<Item = ActionId> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| BitIter { word: w, base: wi as u32 * 64 })
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
}
