//! What each `Allow` statement grants, computed against the IAM action
//! catalog ([`tollgate_catalog`]).
//!
//! Rules never see the expansion of `*` into every action: each statement
//! gets a compact [`Grants`] summary (counts per access level, whole
//! services, the write actions that could have been scoped, the catalog's
//! risk-tagged actions it includes, and per pattern what it expands to).
//! AWS-managed policies attached by ARN are looked up in the catalog and
//! summarized the same way ([`AwsManagedPolicy`]). The schema is described
//! in `docs/graph-schema.md` ("Grants").

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::Serialize;
use tollgate_catalog::{AccessLevel, ActionId, ActionSet, Catalog, PatternStatus, Risk, ServiceCoverage};

use super::iam::normalize;
use super::{Attachment, Condition, Location, Policy, Principal, Statement};
use crate::value::Value;

/// Longest list of names in a summary; the matching `*_count` field holds
/// the full number.
pub const LIST_CAP: usize = 10;

/// Number of example actions shown per wildcard pattern.
pub const SAMPLE_CAP: usize = 8;

/// What one `Allow` statement grants (after the same policy's unconditional
/// `Deny` statements on every resource).
///
/// To keep the rule input small, `false` flags, zero counts and empty name
/// lists are left out of the JSON; in Rego an absent field is undefined,
/// so `s.grants.all_actions` and `some a in s.grants.escalation` read as
/// expected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grants {
    /// Every action in the catalog is granted.
    #[serde(skip_serializing_if = "is_false")]
    pub all_actions: bool,
    /// Number of catalog actions granted.
    pub count: usize,
    /// Granted actions per access level (`List`, `Read`, `Write`,
    /// `Permissions management`, `Tagging`); levels with none are left out.
    pub access_levels: BTreeMap<&'static str, usize>,
    /// Number of services with at least one granted action.
    pub services_count: usize,
    /// Services whose every action is granted (at most [`LIST_CAP`], sorted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services_full: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub services_full_count: usize,
    /// Write and Permissions-management actions granted that accept a
    /// resource narrower than `*` (at most [`LIST_CAP`] names, in catalog order).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub constrainable_write: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub constrainable_write_count: usize,
    /// Granted actions the catalog tags privilege-escalation (all of them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escalation: Vec<String>,
    /// Granted actions the catalog tags credentials-exposure (all of them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credentials_exposure: Vec<String>,
    /// Granted actions the catalog tags data-exfiltration (all of them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data_exfiltration: Vec<String>,
    /// Each string of `Action` (or `NotAction`, with `not: true`), in order.
    /// Left empty for AWS-managed documents ([`AwsManagedPolicy`]).
    pub patterns: Vec<PatternGrant>,
    /// Patterns that match no catalog action (likely invalid); left empty
    /// for AWS-managed documents.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_patterns: Vec<UnknownPattern>,
    /// Actions the statement would grant that the same policy's
    /// unconditional `Deny` statements remove for every resource the
    /// statement names.
    #[serde(skip_serializing_if = "is_zero")]
    pub denied: usize,
    /// The `Deny` statements that removed at least one action, in statement
    /// order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub denied_by: Vec<DeniedBy>,
    /// `Deny` statements of the same policy that deny some of the granted
    /// actions without removing them: only on part of the statement's
    /// resources, or only when a condition holds (in statement order).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deny_limits: Vec<DenyLimit>,
    /// An action value is unknown before apply: the summary is a lower
    /// bound (`Action`) or an upper bound (`NotAction`).
    #[serde(skip_serializing_if = "is_false")]
    pub indeterminate: bool,
    /// `Resource` contains `"*"`, or the statement uses `NotResource`.
    #[serde(skip_serializing_if = "is_false")]
    pub any_resource: bool,
    /// The statement has a `Condition`.
    #[serde(skip_serializing_if = "is_false")]
    pub conditional: bool,
}

/// What one action pattern of a statement expands to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatternGrant {
    /// The pattern as written.
    pub pattern: String,
    /// From `NotAction`: these actions are excluded, not granted.
    #[serde(skip_serializing_if = "is_false")]
    pub not: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub wildcard: bool,
    /// Number of catalog actions it matches.
    pub count: usize,
    pub access_levels: BTreeMap<&'static str, usize>,
    /// Services it touches (at most [`LIST_CAP`]) and whether it covers one whole.
    pub services: Vec<String>,
    pub services_count: usize,
    #[serde(skip_serializing_if = "is_false")]
    pub service_full: bool,
    /// Write and Permissions-management actions it matches that accept a
    /// resource narrower than `*`.
    #[serde(skip_serializing_if = "is_zero")]
    pub constrainable_write: usize,
    /// The first matched actions (canonical names, at most [`SAMPLE_CAP`]).
    pub sample: Vec<String>,
    /// Actions of the pattern removed by the same policy's unconditional
    /// `Deny` statements; the other fields then describe what remains.
    #[serde(skip_serializing_if = "is_zero")]
    pub denied: usize,
    /// The risk lists of the statement (`escalation`,
    /// `credentials_exposure`, `data_exfiltration`) that some matched
    /// action of this pattern is on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<&'static str>,
}

/// The risk classes a statement lists its granted actions for, with the
/// names of those lists (and of a pattern's `risks`), in the order of the
/// `Grants` fields `escalation`, `credentials_exposure`, `data_exfiltration`.
const LISTED_RISKS: [(Risk, &str); 3] = [
    (Risk::PrivilegeEscalation, "escalation"),
    (Risk::CredentialsExposure, "credentials_exposure"),
    (Risk::DataExfiltration, "data_exfiltration"),
];

/// A `Deny` statement that removed actions from an `Allow` statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeniedBy {
    /// Index of the `Deny` statement in the document.
    pub statement_index: usize,
    /// Number of the statement's actions it removes (two Denies may remove
    /// the same action; each counts it).
    pub count: usize,
}

/// A `Deny` statement that limits what an `Allow` statement grants without
/// removing the actions outright.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DenyLimit {
    /// Index of the `Deny` statement in the document.
    pub statement_index: usize,
    /// Number of granted actions it denies (where or when it applies).
    pub count: usize,
    /// Those actions, compact: `svc:*` for a whole service, else canonical
    /// names (at most [`LIST_CAP`] entries, catalog order).
    pub actions: Vec<String>,
    /// Its `Resource` / `NotResource`, when it does not cover every
    /// resource of the `Allow` statement (the action stays granted on the
    /// rest); left out when it covers them all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_resources: Vec<Value>,
    /// Its conditions: the actions are denied only when they hold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The Deny names principals (a resource policy): it applies only to them.
    #[serde(skip_serializing_if = "is_false")]
    pub principal_scoped: bool,
    /// Its action list or resources are partly unknown before apply: it may
    /// deny these actions.
    #[serde(skip_serializing_if = "is_false")]
    pub indeterminate: bool,
}

/// A pattern that matches nothing in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownPattern {
    pub pattern: String,
    #[serde(skip_serializing_if = "is_false")]
    pub not: bool,
    /// `unknown_service`, `unknown_action` or `invalid`.
    pub reason: PatternStatus,
}

/// An AWS-managed policy attached by ARN in this unit, with its document
/// from the catalog, normalized and annotated like any other policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AwsManagedPolicy {
    /// The ARN as first written by an attachment.
    pub arn: String,
    /// Name and path from the ARN (`AdministratorAccess`, `service-role/AWSLambdaRole`).
    pub name: String,
    pub path: String,
    /// The catalog has the policy; otherwise `statements` is empty.
    pub known: bool,
    /// Default version the document was taken from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Principals it is attached to (addresses, or names/ARNs outside the graph), sorted.
    pub principals: Vec<Value>,
    /// Addresses of the resources that declare the attachments, sorted.
    pub attached_by: Vec<String>,
    /// Roles and users whose permissions boundary it is (addresses, sorted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub boundary_of: Vec<String>,
    pub statements: Vec<Statement>,
    /// Location of the first attachment.
    pub loc: Location,
}

/// Wildcard expansions one unit may do (a distinct wildcard costs up to two:
/// its action set and its pattern detail). Expanding a wildcard
/// scans the whole catalog, so a crafted policy with thousands of distinct
/// wildcards would otherwise stall the scan; past this budget the remaining
/// statements carry no `grants` (rules then use literal matching).
pub(crate) const MAX_WILDCARD_EXPANSIONS: usize = 1_024;

/// Per-pattern results, shared by all statements annotated in one pass
/// (the same patterns recur across a configuration), and the budget of
/// wildcard expansions still allowed.
struct PatternCache {
    map: HashMap<(String, bool), Result<PatternGrant, PatternStatus>>,
    sets: HashMap<String, ActionSet>,
    expansions_left: usize,
    /// Resource-glob comparison work still allowed (DP cells, see [`Globs`]).
    globs: Globs,
}

impl PatternCache {
    fn with_budget(expansions_left: usize) -> Self {
        PatternCache { map: HashMap::new(), sets: HashMap::new(), expansions_left, globs: Globs(MAX_GLOB_CELLS) }
    }

    /// Spends one wildcard expansion; false once the budget is used up.
    fn spend(&mut self) -> bool {
        if self.expansions_left == 0 {
            return false;
        }
        self.expansions_left -= 1;
        true
    }

    /// Adds the actions one pattern names to `out`; `None` when it is a new
    /// wildcard and the budget is used up.
    fn union_into(&mut self, pattern: &str, catalog: &Catalog, out: &mut ActionSet) -> Option<()> {
        let expand = |p: &str| {
            let e = catalog.expand(p);
            if e.status == PatternStatus::Matched { e.actions } else { catalog.empty_set() }
        };
        if !pattern.contains(['*', '?']) {
            // A literal `service:Action` names at most one action: look it up
            // instead of expanding it into a set of its own.
            if pattern.contains(':') {
                if let Some(a) = catalog.action(pattern) {
                    out.add(a.id());
                }
            } else {
                out.union_with(&expand(pattern));
            }
            return Some(());
        }
        let key = pattern.to_ascii_lowercase();
        if !self.sets.contains_key(&key) {
            if !self.spend() {
                return None;
            }
            self.sets.insert(key.clone(), expand(pattern));
        }
        out.union_with(self.sets.get(&key)?);
        Some(())
    }
}

/// How much per-pattern detail to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// `patterns` and `unknown_patterns` filled (policies written in the configuration).
    Patterns,
    /// Statement-level summary only (AWS-managed documents).
    Summary,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Annotates every `Allow` statement of every policy. Returns the first
/// `Allow` statement left without `grants` because the unit's budget of
/// wildcard expansions ran out (the rules then match its actions only
/// literally, so the caller reports it).
pub(crate) fn annotate_policies(policies: &mut [Policy], catalog: &Catalog) -> Option<Location> {
    let mut cache = PatternCache::with_budget(MAX_WILDCARD_EXPANSIONS);
    let mut first_left = None;
    for p in policies {
        annotate_statements(&mut p.statements, catalog, &mut cache, Detail::Patterns);
        if first_left.is_none() && cache.expansions_left == 0 {
            first_left = p
                .statements
                .iter()
                .find(|s| s.grants.is_none() && is_effect(&s.effect, "Allow") && has_wildcard(s))
                .map(|s| s.loc.clone());
        }
    }
    first_left
}

/// True when the statement's `Action` or `NotAction` holds a wildcard
/// (only those cost an expansion).
fn has_wildcard(s: &Statement) -> bool {
    s.actions.iter().chain(&s.not_actions).filter_map(Value::as_str).any(|p| p.contains(['*', '?']))
}

/// Annotates the `Allow` statements of one document, after its `Deny`s.
fn annotate_statements(statements: &mut [Statement], catalog: &Catalog, cache: &mut PatternCache, detail: Detail) {
    let annotated: Option<Vec<Option<Grants>>> = (|| {
        let denies = deny_statements(statements, catalog, cache)?;
        let mut out = Vec::with_capacity(statements.len());
        for s in statements.iter() {
            out.push(if is_effect(&s.effect, "Allow") { grants(s, catalog, &denies, cache, detail) } else { None });
        }
        Some(out)
    })();
    let Some(annotated) = annotated else { return };
    for (s, g) in statements.iter_mut().zip(annotated) {
        s.grants = g;
    }
}

fn is_effect(v: &Value, want: &str) -> bool {
    v.as_str() == Some(want)
}

/// `Deny` statements of one document weighed against its `Allow`
/// statements; past this number the rest are ignored (the summaries are
/// then upper bounds), so a crafted document cannot make annotation
/// quadratic.
pub(crate) const MAX_DENY_STATEMENTS: usize = 64;

/// Resource-glob comparison work one unit may do (cells of the containment
/// table, about the product of the two patterns' lengths per comparison).
/// Past it, a Deny is no longer seen to cover anything and every Deny
/// counts as possibly overlapping: the summaries become upper bounds, so
/// a crafted policy costs time only up to this budget.
pub(crate) const MAX_GLOB_CELLS: usize = 1 << 24;

/// The remaining resource-glob comparison budget of a unit.
struct Globs(usize);

impl Globs {
    /// `outer` covers `inner`; false when not proven (or over budget).
    fn covers(&mut self, outer: &str, inner: &str) -> bool {
        if all_stars(outer) {
            return true;
        }
        glob_covers_bytes(outer.as_bytes(), inner.as_bytes(), &mut self.0) == Some(true)
    }

    /// `a` and `b` match no common resource; false when not proven.
    fn disjoint(&mut self, a: &str, b: &str) -> bool {
        globs_disjoint_within(a, b, &mut self.0) == Some(true)
    }
}

/// A `Deny` statement of the document being annotated, expanded once.
struct Deny<'a> {
    stmt: &'a Statement,
    /// The actions it certainly names: the known entries of `Action`, or
    /// the complement of `NotAction` (an upper bound when `NotAction` has
    /// unknown entries).
    set: ActionSet,
    /// It removes what it covers: no condition, no principal scope, and its
    /// action set is not an upper bound.
    definite: bool,
    principal_scoped: bool,
    indeterminate: bool,
}

fn deny_statements<'a>(
    statements: &'a [Statement],
    catalog: &Catalog,
    cache: &mut PatternCache,
) -> Option<Vec<Deny<'a>>> {
    let mut out = Vec::new();
    for s in statements.iter().filter(|s| is_effect(&s.effect, "Deny")).take(MAX_DENY_STATEMENTS) {
        let (set, not) = expand(s, catalog, cache)?;
        let unknown_actions = s.actions.iter().chain(&s.not_actions).any(|a| a.as_str().is_none());
        let unknown_resources = s.resources.iter().chain(&s.not_resources).any(|r| r.as_str().is_none());
        let anyone = s.principals.is_empty()
            || s.principals.get("AWS").is_some_and(|v| v.iter().any(|p| p.as_str() == Some("*")));
        let principal_scoped = !s.not_principals.is_empty() || !anyone;
        out.push(Deny {
            stmt: s,
            set,
            definite: s.conditions.is_empty() && !principal_scoped && !(not && unknown_actions),
            principal_scoped,
            indeterminate: unknown_actions || unknown_resources,
        });
    }
    Some(out)
}

fn all_stars(p: &str) -> bool {
    !p.is_empty() && p.bytes().all(|c| c == b'*')
}

/// Whether every resource matched by the glob `inner` is matched by the
/// glob `outer` (IAM resource semantics: `*` any run of characters, `?`
/// one, case-sensitive). Sound but not complete: a wildcard of `inner` is
/// only absorbed by a `*` of `outer` (or a `?` by a `?`), so `?*` is not
/// seen to cover `*?`. A pair that is not seen as covered keeps its grant,
/// which never hides a finding.
#[cfg(test)]
pub(crate) fn glob_covers(outer: &str, inner: &str) -> bool {
    let mut unbounded = usize::MAX;
    glob_covers_bytes(outer.as_bytes(), inner.as_bytes(), &mut unbounded) == Some(true)
}

/// [`glob_covers`] spending `budget` cells; `None` when over budget.
fn glob_covers_bytes(o: &[u8], i: &[u8], budget: &mut usize) -> Option<bool> {
    let cells = o.len().saturating_mul(i.len() + 1);
    *budget = budget.checked_sub(cells)?;
    // row[j]: the part of `outer` read so far covers inner[..j].
    let mut row = vec![false; i.len() + 1];
    row[0] = true;
    let mut next = vec![false; i.len() + 1];
    for &oc in o {
        if oc == b'*' {
            let mut acc = false;
            for (n, r) in next.iter_mut().zip(&row) {
                acc |= *r;
                *n = acc;
            }
        } else {
            next[0] = false;
            for j in 1..=i.len() {
                let ic = i[j - 1];
                let ok = match oc {
                    b'?' => ic != b'*',
                    _ => ic == oc && ic != b'?',
                };
                next[j] = row[j - 1] && ok;
            }
        }
        std::mem::swap(&mut row, &mut next);
    }
    Some(row[i.len()])
}

/// Whether two resource globs certainly match no common resource: their
/// literal prefixes (up to the first wildcard) or literal suffixes (after
/// the last) disagree. Sound, not complete.
#[cfg(test)]
pub(crate) fn globs_disjoint(a: &str, b: &str) -> bool {
    let mut unbounded = usize::MAX;
    globs_disjoint_within(a, b, &mut unbounded) == Some(true)
}

/// [`globs_disjoint`] spending `budget`; `None` when over budget.
fn globs_disjoint_within(a: &str, b: &str, budget: &mut usize) -> Option<bool> {
    let wild = |c: &u8| *c == b'*' || *c == b'?';
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (wa, wb) = (a.iter().any(wild), b.iter().any(wild));
    // A literal side is matched against the other exactly.
    match (wa, wb) {
        (false, false) => return Some(a != b),
        (false, true) => return glob_covers_bytes(b, a, budget).map(|m| !m),
        (true, false) => return glob_covers_bytes(a, b, budget).map(|m| !m),
        (true, true) => {}
    }
    let prefix = |s: &[u8]| s.iter().take_while(|c| !wild(c)).count();
    let suffix = |s: &[u8]| s.iter().rev().take_while(|c| !wild(c)).count();
    let (pa, pb) = (prefix(a), prefix(b));
    let n = pa.min(pb);
    if a[..n] != b[..n] {
        return Some(true);
    }
    let (sa, sb) = (suffix(a), suffix(b));
    let m = sa.min(sb);
    Some(a[a.len() - m..] != b[b.len() - m..])
}

fn strings(values: &[Value]) -> Option<Vec<&str>> {
    values.iter().map(Value::as_str).collect()
}

/// Whether the Deny applies to every resource the Allow names.
fn covers_resources(deny: &Statement, allow: &Statement, g: &mut Globs) -> bool {
    let (dr, dnr) = (&deny.resources, &deny.not_resources);
    if dnr.is_empty() && dr.iter().any(|r| r.as_str().is_some_and(all_stars)) {
        return true;
    }
    let (Some(dr), Some(dnr), Some(ar), Some(anr)) =
        (strings(dr), strings(dnr), strings(&allow.resources), strings(&allow.not_resources))
    else {
        return false;
    };
    if g.0 == 0 {
        return false;
    }
    match (anr.is_empty(), dnr.is_empty(), dr.is_empty()) {
        // Resource vs Resource: each allowed pattern inside a denied one.
        (true, true, _) => !ar.is_empty() && ar.iter().all(|a| dr.iter().any(|d| g.covers(d, a))),
        // Resource vs NotResource: each allowed pattern outside every excluded one.
        (true, false, true) => !ar.is_empty() && ar.iter().all(|a| dnr.iter().all(|n| g.disjoint(n, a))),
        // NotResource vs NotResource: what the Deny spares is spared by the Allow.
        (false, false, true) => dnr.iter().all(|n| anr.iter().any(|x| g.covers(x, n))),
        // NotResource vs Resource (only `*` covers, above), or an invalid
        // statement with both Resource and NotResource.
        _ => false,
    }
}

/// Whether the Deny may apply to some resource the Allow names.
fn may_overlap(deny: &Statement, allow: &Statement, g: &mut Globs) -> bool {
    let (Some(dr), Some(dnr), Some(ar), Some(anr)) = (
        strings(&deny.resources),
        strings(&deny.not_resources),
        strings(&allow.resources),
        strings(&allow.not_resources),
    ) else {
        return true;
    };
    if g.0 == 0 {
        return true;
    }
    match (anr.is_empty(), dnr.is_empty()) {
        (true, true) => ar.iter().any(|a| dr.iter().any(|d| !g.disjoint(a, d))),
        (true, false) => ar.iter().any(|a| !dnr.iter().any(|n| g.covers(n, a))),
        (false, true) => dr.iter().any(|d| !anr.iter().any(|n| g.covers(n, d))),
        (false, false) => true,
    }
}

/// A set as a compact list: `*` for everything, `svc:*` for a whole
/// service, else canonical names; at most `cap` entries, catalog order.
pub(crate) fn compact_actions(set: &ActionSet, catalog: &Catalog, cap: usize) -> Vec<String> {
    if set.is_full() {
        return vec!["*".to_owned()];
    }
    let mut out = Vec::new();
    for c in catalog.service_coverage(set) {
        if out.len() >= cap {
            break;
        }
        if c.is_full() {
            out.push(format!("{}:*", c.prefix));
            continue;
        }
        let Some(mut part) = catalog.service_actions(c.prefix) else { continue };
        part.intersect_with(set);
        out.extend(names(&part, catalog, cap - out.len()));
    }
    out
}

/// The set a statement names (before any Deny) and whether it used NotAction.
/// `None` when the unit's wildcard budget is used up.
fn expand(s: &Statement, catalog: &Catalog, cache: &mut PatternCache) -> Option<(ActionSet, bool)> {
    let not = !s.not_actions.is_empty();
    let written = if not { &s.not_actions } else { &s.actions };
    let mut set = catalog.empty_set();
    for p in written.iter().filter_map(Value::as_str) {
        cache.union_into(p, catalog, &mut set)?;
    }
    Some(if not { (catalog.complement(&set), true) } else { (set, false) })
}

fn levels(set: &ActionSet, catalog: &Catalog) -> BTreeMap<&'static str, usize> {
    AccessLevel::ALL
        .iter()
        .filter_map(|&l| {
            let n = set.intersection_len(catalog.with_level(l));
            (n > 0).then_some((l.as_str(), n))
        })
        .collect()
}

fn constrainable_write(set: &ActionSet, catalog: &Catalog) -> ActionSet {
    // Built from `set` (sets store only the span they hold).
    let mut w = set.clone();
    w.intersect_with(catalog.with_level(AccessLevel::Write));
    let mut pm = set.clone();
    pm.intersect_with(catalog.with_level(AccessLevel::PermissionsManagement));
    w.union_with(&pm);
    w.intersect_with(catalog.constrainable());
    w
}

fn names(set: &ActionSet, catalog: &Catalog, cap: usize) -> Vec<String> {
    catalog.actions_in(set).take(cap).map(|a| a.full_name()).collect()
}

fn risky(set: &ActionSet, catalog: &Catalog, risk: Risk) -> Vec<String> {
    let mut r = set.clone();
    r.intersect_with(catalog.with_risk(risk));
    names(&r, catalog, usize::MAX)
}

/// What one pattern expands to, or why it matches nothing.
fn pattern_grant(p: &str, not: bool, catalog: &Catalog) -> Result<PatternGrant, PatternStatus> {
    let wildcard = p.contains(['*', '?']);
    if !wildcard {
        // A literal names at most one action: no set work needed.
        if let Some(a) = catalog.action(p) {
            let level = a.access_level();
            let write = matches!(level, AccessLevel::Write | AccessLevel::PermissionsManagement);
            return Ok(PatternGrant {
                pattern: p.to_owned(),
                not,
                wildcard,
                count: 1,
                access_levels: BTreeMap::from([(level.as_str(), 1)]),
                services: vec![a.service().to_owned()],
                services_count: 1,
                service_full: catalog.service_len(a.service()) == Some(1),
                constrainable_write: usize::from(write && a.resource_constrainable()),
                sample: vec![a.full_name()],
                denied: 0,
                risks: LISTED_RISKS.iter().filter(|(r, _)| a.has_risk(*r)).map(|(_, name)| *name).collect(),
            });
        }
    }
    let e = catalog.expand(p);
    if e.status != PatternStatus::Matched {
        return Err(e.status);
    }
    Ok(pattern_of_set(p, not, &e.actions, catalog))
}

/// The pattern entry for the actions of `set`.
fn pattern_of_set(p: &str, not: bool, set: &ActionSet, catalog: &Catalog) -> PatternGrant {
    let sum = Summary::of(set, catalog, false);
    PatternGrant {
        pattern: p.to_owned(),
        not,
        wildcard: p.contains(['*', '?']),
        count: sum.count,
        access_levels: sum.levels,
        services: sum.coverage.iter().take(LIST_CAP).map(|c| c.prefix.to_owned()).collect(),
        services_count: sum.coverage.len(),
        service_full: sum.coverage.iter().any(|c| c.is_full()),
        constrainable_write: sum.constrainable_write.len(),
        sample: names(set, catalog, SAMPLE_CAP),
        denied: 0,
        risks: LISTED_RISKS
            .iter()
            .filter(|(r, _)| set.intersects(catalog.with_risk(*r)))
            .map(|(_, name)| *name)
            .collect(),
    }
}

/// Sets of at most this many actions are summarized from their members;
/// larger ones with whole-set operations (a few hundred words each).
const SPARSE_SET: usize = 256;

/// What the grants report of an action set: per access level, per service,
/// the writes a resource could narrow, and (with `risks`) the risky actions.
#[derive(Debug, PartialEq)]
struct Summary<'c> {
    count: usize,
    levels: BTreeMap<&'static str, usize>,
    /// Services with at least one action in the set, in prefix order.
    coverage: Vec<ServiceCoverage<'c>>,
    /// Write and permissions-management actions that accept a resource
    /// narrower than `*`, in catalog order.
    constrainable_write: Vec<ActionId>,
    /// Granted actions on each of [`LISTED_RISKS`], in its order (empty
    /// unless asked for).
    risk_lists: [Vec<String>; LISTED_RISKS.len()],
}

impl<'c> Summary<'c> {
    fn of(set: &'c ActionSet, catalog: &'c Catalog, risks: bool) -> Summary<'c> {
        let count = set.len();
        if count > SPARSE_SET {
            Summary::dense(set, catalog, risks, count)
        } else {
            Summary::sparse(set, catalog, risks, count)
        }
    }

    /// With whole-set operations.
    fn dense(set: &'c ActionSet, catalog: &'c Catalog, risks: bool, count: usize) -> Summary<'c> {
        Summary {
            count,
            levels: levels(set, catalog),
            coverage: catalog.service_coverage(set).collect(),
            constrainable_write: constrainable_write(set, catalog).iter().collect(),
            risk_lists: LISTED_RISKS.map(|(r, _)| if risks { risky(set, catalog, r) } else { Vec::new() }),
        }
    }

    /// From the members, in id order (grouped by service, as the catalog
    /// sorts them).
    fn sparse(set: &'c ActionSet, catalog: &'c Catalog, risks: bool, count: usize) -> Summary<'c> {
        let mut counts = [0usize; AccessLevel::ALL.len()];
        let mut sum = Summary {
            count,
            levels: BTreeMap::new(),
            coverage: Vec::new(),
            constrainable_write: Vec::new(),
            risk_lists: Default::default(),
        };
        for a in catalog.actions_in(set) {
            let level = a.access_level();
            if let Some(n) = AccessLevel::ALL.iter().position(|l| *l == level).and_then(|i| counts.get_mut(i)) {
                *n += 1;
            }
            let service = a.service();
            match sum.coverage.last_mut() {
                Some(c) if c.prefix == service => c.granted += 1,
                _ => sum.coverage.push(ServiceCoverage {
                    prefix: service,
                    granted: 1,
                    total: catalog.service_len(service).unwrap_or(0),
                }),
            }
            if matches!(level, AccessLevel::Write | AccessLevel::PermissionsManagement) && a.resource_constrainable() {
                sum.constrainable_write.push(a.id());
            }
            if risks {
                for ((risk, _), list) in LISTED_RISKS.iter().zip(&mut sum.risk_lists) {
                    if a.has_risk(*risk) {
                        list.push(a.full_name());
                    }
                }
            }
        }
        sum.levels =
            AccessLevel::ALL.iter().zip(counts).filter(|(_, n)| *n > 0).map(|(l, n)| (l.as_str(), n)).collect();
        sum
    }
}

/// A pattern's entry after the statement's Deny removals: recomputed on
/// what remains when the Denies take some of its actions.
fn pattern_after_deny(g: &PatternGrant, removed: &ActionSet, catalog: &Catalog, cache: &PatternCache) -> PatternGrant {
    if g.not || removed.is_empty() {
        return g.clone();
    }
    let key = g.pattern.to_ascii_lowercase();
    let own = match cache.sets.get(&key) {
        Some(set) => set.clone(),
        None => catalog.expand(&g.pattern).actions,
    };
    let n = own.intersection_len(removed);
    if n == 0 {
        return g.clone();
    }
    let mut rest = own;
    rest.subtract(removed);
    PatternGrant { denied: n, ..pattern_of_set(&g.pattern, false, &rest, catalog) }
}

fn grants(
    s: &Statement,
    catalog: &Catalog,
    denies: &[Deny<'_>],
    cache: &mut PatternCache,
    detail: Detail,
) -> Option<Grants> {
    let (mut set, not) = expand(s, catalog, cache)?;
    let before = set.len();

    // Definite Denies covering every resource of the statement remove
    // actions; the others that touch granted actions are recorded.
    let mut removed = catalog.empty_set();
    let mut denied_by = Vec::new();
    let mut limiting = Vec::new();
    for d in denies.iter().filter(|d| d.set.intersects(&set)) {
        let covers = covers_resources(d.stmt, s, &mut cache.globs);
        if d.definite && covers {
            removed.union_with(&d.set);
            denied_by.push(DeniedBy { statement_index: d.stmt.index, count: d.set.intersection_len(&set) });
        } else if covers || may_overlap(d.stmt, s, &mut cache.globs) {
            limiting.push((d, covers));
        }
    }
    removed.intersect_with(&set);
    set.subtract(&removed);
    let deny_limits = limiting
        .into_iter()
        .filter_map(|(d, covers)| {
            let mut hit = d.set.clone();
            hit.intersect_with(&set);
            (!hit.is_empty()).then(|| DenyLimit {
                statement_index: d.stmt.index,
                count: hit.len(),
                actions: compact_actions(&hit, catalog, LIST_CAP),
                resources: if covers { Vec::new() } else { d.stmt.resources.clone() },
                not_resources: if covers { Vec::new() } else { d.stmt.not_resources.clone() },
                conditions: d.stmt.conditions.clone(),
                principal_scoped: d.principal_scoped,
                indeterminate: d.indeterminate,
            })
        })
        .collect();

    let written = if not { &s.not_actions } else { &s.actions };
    let mut patterns = Vec::new();
    let mut unknown_patterns = Vec::new();
    for p in written.iter().filter_map(Value::as_str).filter(|_| detail == Detail::Patterns) {
        let key = (p.to_owned(), not);
        if !cache.map.contains_key(&key) && p.contains(['*', '?']) && !cache.spend() {
            return None;
        }
        let entry = cache.map.entry(key).or_insert_with(|| pattern_grant(p, not, catalog));
        match entry {
            Ok(g) => {
                let g = g.clone();
                patterns.push(pattern_after_deny(&g, &removed, catalog, cache));
            }
            Err(reason) => unknown_patterns.push(UnknownPattern { pattern: p.to_owned(), not, reason: *reason }),
        }
    }

    let sum = Summary::of(&set, catalog, true);
    let [escalation, credentials_exposure, data_exfiltration] = sum.risk_lists;
    let full: Vec<&str> = sum.coverage.iter().filter(|c| c.is_full()).map(|c| c.prefix).collect();
    Some(Grants {
        all_actions: sum.count == set.universe(),
        count: sum.count,
        access_levels: sum.levels,
        services_count: sum.coverage.len(),
        services_full: full.iter().take(LIST_CAP).map(|s| (*s).to_owned()).collect(),
        services_full_count: full.len(),
        constrainable_write: sum
            .constrainable_write
            .iter()
            .take(LIST_CAP)
            .filter_map(|id| catalog.get(*id))
            .map(|a| a.full_name())
            .collect(),
        constrainable_write_count: sum.constrainable_write.len(),
        escalation,
        credentials_exposure,
        data_exfiltration,
        patterns,
        unknown_patterns,
        denied: before - set.len(),
        denied_by,
        deny_limits,
        indeterminate: written.iter().any(|v| v.as_str().is_none()),
        any_resource: !s.not_resources.is_empty() || s.resources.iter().any(|r| r.as_str() == Some("*")),
        conditional: !s.conditions.is_empty(),
    })
}

/// `arn:PARTITION:iam::aws:policy/PATH` -> `PATH`.
fn aws_managed_path(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (a, _partition, service, region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if a != "arn" || service != "iam" || !region.is_empty() || account != "aws" {
        return None;
    }
    resource.strip_prefix("policy/").filter(|p| !p.is_empty())
}

/// Annotated statements of AWS-managed policies, per catalog and ARN as
/// written: the same few documents (AdministratorAccess, ReadOnlyAccess,
/// the EKS and Lambda policies...) are attached in unit after unit, and
/// expanding their thousands of patterns is the costly part. Each entry
/// carries the location of the attachment that computed it; users set
/// their own.
type ManagedStatements = HashMap<(u64, String), Option<Arc<Vec<Statement>>>>;
static MANAGED_STATEMENTS: OnceLock<Mutex<ManagedStatements>> = OnceLock::new();

/// The annotated statements of the AWS-managed policy `arn` names in the
/// catalog, computed once per catalog and ARN (`None`: the catalog has no
/// such document, or it does not parse).
fn managed_statements(catalog: &Catalog, arn: &str, loc: &Location) -> Option<Arc<Vec<Statement>>> {
    let cache = MANAGED_STATEMENTS.get_or_init(Mutex::default);
    let key = (catalog.id(), arn.to_owned());
    if let Some(hit) = cache.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
        return hit.clone();
    }
    // Computed outside the lock: two workers may both compute a policy the
    // first time; they get the same statements.
    let computed =
        catalog.managed_policy(arn).and_then(|m| Value::parse_json(m.document_json().ok()?).ok()).map(|doc| {
            let (_, mut st) = normalize::statements(&doc, |_| loc.clone());
            annotate_statements(&mut st, catalog, &mut PatternCache::with_budget(usize::MAX), Detail::Summary);
            Arc::new(st)
        });
    cache.lock().unwrap_or_else(PoisonError::into_inner).insert(key, computed.clone());
    computed
}

/// One entry per AWS-managed policy ARN the attachments and permissions
/// boundaries name, in ARN order. Marks the boundaries whose AWS-managed
/// policy the catalog has as `resolved`.
pub(crate) fn aws_managed_policies(
    attachments: &[Attachment],
    principals: &mut [Principal],
    catalog: &Catalog,
) -> Vec<AwsManagedPolicy> {
    struct Acc<'a> {
        arn: &'a str,
        path: &'a str,
        principals: BTreeSet<String>,
        principal_values: Vec<Value>,
        attached_by: BTreeSet<String>,
        boundary_of: BTreeSet<String>,
        loc: &'a Location,
    }
    let new_acc = |arn, path, loc| Acc {
        arn,
        path,
        principals: BTreeSet::new(),
        principal_values: Vec::new(),
        attached_by: BTreeSet::new(),
        boundary_of: BTreeSet::new(),
        loc,
    };
    // Keyed by the lowercase path so partitions and spellings merge.
    let mut by_path: BTreeMap<String, Acc<'_>> = BTreeMap::new();
    for a in attachments {
        let Some(arn) = a.policy_arn.as_str() else { continue };
        let Some(path) = aws_managed_path(arn) else { continue };
        let acc = by_path.entry(path.to_ascii_lowercase()).or_insert_with(|| new_acc(arn, path, &a.loc));
        let key = serde_json::to_string(&a.principal).unwrap_or_default();
        if acc.principals.insert(key) {
            acc.principal_values.push(a.principal.clone());
        }
        acc.attached_by.insert(a.owner.clone());
    }
    for p in principals.iter_mut() {
        let Some(b) = p.permissions_boundary.as_mut() else { continue };
        let Some(arn) = b.arn.as_str() else { continue };
        if aws_managed_path(arn).is_some() {
            b.resolved = catalog.managed_policy(arn).is_some();
        }
    }
    for p in principals.iter() {
        let Some(b) = p.permissions_boundary.as_ref() else { continue };
        let Some(arn) = b.arn.as_str() else { continue };
        let Some(path) = aws_managed_path(arn) else { continue };
        let acc = by_path.entry(path.to_ascii_lowercase()).or_insert_with(|| new_acc(arn, path, &b.loc));
        acc.boundary_of.insert(p.address.clone());
    }
    by_path
        .into_values()
        .map(|acc| {
            let found = catalog.managed_policy(acc.arn);
            let mut statements = Vec::new();
            if let Some(st) = found.and_then(|_| managed_statements(catalog, acc.arn, acc.loc)) {
                statements = st.iter().cloned().map(|s| Statement { loc: acc.loc.clone(), ..s }).collect();
            }
            let mut principals = acc.principal_values;
            principals.sort_by_key(|v| serde_json::to_string(v).unwrap_or_default());
            AwsManagedPolicy {
                arn: acc.arn.to_owned(),
                name: acc.path.rsplit('/').next().unwrap_or(acc.path).to_owned(),
                path: acc.path.to_owned(),
                known: found.is_some(),
                version: found.map(|m| m.version().to_owned()),
                principals,
                attached_by: acc.attached_by.into_iter().collect(),
                boundary_of: acc.boundary_of.into_iter().collect(),
                statements,
                loc: acc.loc.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
