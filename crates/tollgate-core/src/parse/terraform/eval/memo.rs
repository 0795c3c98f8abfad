//! Memoized evaluation with cycle detection, shared by variables, locals,
//! outputs, resources and module calls of a module instance.
//!
//! A name is evaluated once: [`Memo::begin`] marks it in progress,
//! [`Memo::finish`] stores its value. Reaching a name that is still in
//! progress is a cycle, reported by [`Ev::cycle`].

use std::collections::BTreeMap;
use std::ops::Range;

use super::Ev;
use crate::diagnostic::DiagnosticLevel;

/// The state of one memoized name.
pub(super) enum Slot<V, P> {
    /// Not evaluated yet; `P` is what its evaluation starts from.
    Pending(P),
    /// Being evaluated: reaching it again is a cycle.
    InProgress,
    Done(V),
}

/// What [`Memo::lookup`] found.
pub(super) enum Lookup<V> {
    /// Evaluated before: a copy of the value.
    Done(V),
    /// Being evaluated.
    Cycle,
    /// Not evaluated yet.
    Pending,
}

/// Memoized values by name. Names without an entry are not evaluated yet
/// and have no unevaluated form (`P` is `()` unless the value starts from
/// something other than its declaration).
pub(super) struct Memo<V, P = ()> {
    slots: BTreeMap<String, Slot<V, P>>,
}

impl<V, P> Default for Memo<V, P> {
    fn default() -> Self {
        Memo { slots: BTreeMap::new() }
    }
}

impl<V, P> FromIterator<(String, P)> for Memo<V, P> {
    /// Names with their unevaluated forms.
    fn from_iter<I: IntoIterator<Item = (String, P)>>(iter: I) -> Self {
        Memo { slots: iter.into_iter().map(|(k, p)| (k, Slot::Pending(p))).collect() }
    }
}

impl<V: Clone, P> Memo<V, P> {
    /// The state of `name`; `None` when it has no entry.
    pub(super) fn lookup(&self, name: &str) -> Option<Lookup<V>> {
        Some(match self.slots.get(name)? {
            Slot::Pending(_) => Lookup::Pending,
            Slot::InProgress => Lookup::Cycle,
            Slot::Done(v) => Lookup::Done(v.clone()),
        })
    }
}

impl<V, P> Memo<V, P> {
    /// The value of `name`, when it was evaluated.
    pub(super) fn done(&self, name: &str) -> Option<&V> {
        match self.slots.get(name) {
            Some(Slot::Done(v)) => Some(v),
            _ => None,
        }
    }

    /// Marks `name` in progress; returns its unevaluated form, if it had one.
    pub(super) fn begin(&mut self, name: &str) -> Option<P> {
        match self.slots.insert(name.to_string(), Slot::InProgress) {
            Some(Slot::Pending(p)) => Some(p),
            _ => None,
        }
    }

    /// Stores the value of `name`.
    pub(super) fn finish(&mut self, name: &str, v: V) {
        self.slots.insert(name.to_string(), Slot::Done(v));
    }
}

impl Ev<'_> {
    /// Reports a reference back into something still being evaluated, at
    /// its declaration (`file`, `span`) when there is one.
    pub(super) fn cycle(&mut self, inst: usize, at: Option<(usize, Option<Range<usize>>)>, message: String) {
        if let Some((file, span)) = at {
            self.diag(inst, file, span, DiagnosticLevel::Warning, "cycle", message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn begin_finish_lookup() {
        let mut m: Memo<u32> = Memo::default();
        assert!(m.lookup("a").is_none());
        assert_eq!(m.begin("a"), None);
        assert!(matches!(m.lookup("a"), Some(Lookup::Cycle)));
        assert_eq!(m.done("a"), None);
        m.finish("a", 7);
        assert!(matches!(m.lookup("a"), Some(Lookup::Done(7))));
        assert_eq!(m.done("a"), Some(&7));
    }

    #[test]
    fn pending_form_is_taken_once() {
        let mut m: Memo<u32, &str> = [("v".to_string(), "input")].into_iter().collect();
        assert!(matches!(m.lookup("v"), Some(Lookup::Pending)));
        assert_eq!(m.begin("v"), Some("input"));
        assert!(matches!(m.lookup("v"), Some(Lookup::Cycle)));
        assert_eq!(m.begin("v"), None);
    }
}
