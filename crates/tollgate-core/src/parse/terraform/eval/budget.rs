//! What evaluation may cost: the size of values, instances, the unit's
//! step budget, and the diagnostics when one runs out.

use super::*;

impl Ev<'_> {
    /// Room for one value about to be built: the per-value bound, or what
    /// is left of the unit's memory budget when that is less.
    pub(super) fn room(&self) -> usize {
        MAX_VALUE_SIZE.min(self.budget.room())
    }

    /// Takes `n` bytes from the unit's budget for a value about to be
    /// built, `n` being at most [`Ev::room`] or not. False (and reported)
    /// when the value is over [`MAX_VALUE_SIZE`] (it alone is unknown) or
    /// the unit's budget is spent (the unit stops).
    pub(super) fn charge_bytes(&mut self, n: Option<usize>, sc: &Scope<'_>, at: Option<Range<usize>>) -> bool {
        match n {
            Some(n) if n <= MAX_VALUE_SIZE && self.budget.charge_bytes(n) => true,
            _ => {
                self.too_large(sc, at);
                false
            }
        }
    }

    /// Reports a value that does not fit in [`Ev::room`].
    pub(super) fn too_large(&mut self, sc: &Scope<'_>, at: Option<Range<usize>>) {
        if self.budget.room() < MAX_VALUE_SIZE {
            // The unit's budget is what is short: spend it, the unit stops.
            self.budget.charge_bytes(usize::MAX);
            let what = self.budget.message();
            self.over_budget(sc, at, what);
        } else {
            let msg = format!("a value larger than {} MiB would be built here; it is unknown", MAX_VALUE_SIZE >> 20);
            self.limit_error(sc, at, msg);
        }
    }

    /// Measures and charges a value that was just copied or built.
    pub(super) fn charge_value(&mut self, v: &Value, sc: &Scope<'_>, at: Option<Range<usize>>) -> bool {
        let n = size::value_size(v, self.room());
        self.charge_bytes(n, sc, at)
    }

    /// Adds `v` to a collection of `*size` bytes being built, charging the
    /// new element's slot (and `key`): false (reported) when the collection
    /// would be over [`Ev::room`].
    pub(super) fn grow(
        &mut self,
        size: &mut usize,
        v: &Value,
        key: usize,
        sc: &Scope<'_>,
        at: Option<Range<usize>>,
    ) -> bool {
        let room = self.room();
        let new =
            size::value_size(v, room.saturating_sub(*size)).and_then(|n| size::add(*size, n.saturating_add(key), room));
        match new {
            Some(n) if self.budget.charge_bytes(NODE_COST + key) => {
                *size = n;
                true
            }
            _ => {
                self.too_large(sc, at);
                false
            }
        }
    }

    /// Takes up to `n` instances from the unit's [`MAX_UNIT_INSTANCES`];
    /// reports the limit when fewer are left.
    pub(super) fn reserve_instances(&mut self, n: usize, sc: &Scope<'_>, at: Option<Range<usize>>) -> usize {
        let room = MAX_UNIT_INSTANCES.saturating_sub(self.instances);
        if n > room {
            self.over_budget(sc, at, format!("more than {MAX_UNIT_INSTANCES} resource and module instances"));
        }
        let n = n.min(room);
        self.instances += n;
        n
    }

    /// Reports (once per unit) that an evaluation limit was hit.
    /// Reports (once per unit) a value or an input left unknown because it
    /// is too large; the evaluation goes on.
    pub(super) fn limit_error(&mut self, sc: &Scope<'_>, at: Option<Range<usize>>, msg: String) {
        self.errors += 1;
        if !self.value_reported {
            self.value_reported = true;
            // A value the rules cannot see may hide a finding: an error.
            self.diag(sc.inst, sc.file, at, DiagnosticLevel::Error, "limit", msg);
        }
    }

    pub(super) fn over_budget(&mut self, sc: &Scope<'_>, at: Option<Range<usize>>, what: String) {
        self.errors += 1;
        if self.budget.exhausted() && self.stopped_at.is_none() {
            self.stopped_at = Some(self.resources.len());
        }
        if !self.budget_reported {
            self.budget_reported = true;
            self.diag(
                sc.inst,
                sc.file,
                at,
                // The unit's remaining values are unknown, so its findings are incomplete: an error.
                DiagnosticLevel::Error,
                "limit",
                format!("evaluation stopped at {what}; the rest is unknown"),
            );
        }
    }

    /// Says which files' resources were evaluated after the unit's budget
    /// ran out (their values are unknown): one error per file, so that
    /// what was not evaluated is named, not only where it stopped.
    pub(super) fn report_unevaluated(&mut self) {
        let Some(from) = self.stopped_at else { return };
        // Per file: how many, and the first line.
        let mut files: BTreeMap<Arc<str>, (usize, u32)> = BTreeMap::new();
        for r in self.resources.get(from..).unwrap_or_default() {
            let e = files.entry(r.loc.file.clone()).or_insert((0, r.loc.line));
            e.0 += 1;
            e.1 = e.1.min(r.loc.line);
        }
        for (file, (n, line)) in files {
            self.diags.push(
                Diagnostic::error(
                    file,
                    "limit",
                    format!("{n} resource instance(s) in this file were evaluated after the unit's evaluation budget ran out; their values are unknown"),
                )
                .at(line, 1),
            );
        }
    }
}
