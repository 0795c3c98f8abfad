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

use serde::Serialize;
use tollgate_catalog::{AccessLevel, ActionSet, Catalog, PatternStatus, Risk};

use super::iam::normalize;
use super::{Attachment, Location, Policy, Statement};
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Actions the statement would grant that an unconditional `Deny` on
    /// every resource in the same policy removes.
    #[serde(skip_serializing_if = "is_zero")]
    pub denied: usize,
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
}

impl PatternCache {
    fn with_budget(expansions_left: usize) -> Self {
        PatternCache { map: HashMap::new(), sets: HashMap::new(), expansions_left }
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
            out.union_with(&expand(pattern));
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

/// Annotates every `Allow` statement of every policy.
pub(crate) fn annotate_policies(policies: &mut [Policy], catalog: &Catalog) {
    let mut cache = PatternCache::with_budget(MAX_WILDCARD_EXPANSIONS);
    for p in policies {
        annotate_statements(&mut p.statements, catalog, &mut cache, Detail::Patterns);
    }
}

/// Annotates the `Allow` statements of one document, after its `Deny`s.
fn annotate_statements(statements: &mut [Statement], catalog: &Catalog, cache: &mut PatternCache, detail: Detail) {
    let Some(denied) = unconditional_denies(statements, catalog, cache) else {
        return;
    };
    for s in statements.iter_mut() {
        s.grants = if is_effect(&s.effect, "Allow") { grants(s, catalog, &denied, cache, detail) } else { None };
    }
}

fn is_effect(v: &Value, want: &str) -> bool {
    v.as_str() == Some(want)
}

/// The actions removed everywhere by `Deny` statements without conditions on
/// `"Resource": "*"` whose action lists are fully known.
fn unconditional_denies(statements: &[Statement], catalog: &Catalog, cache: &mut PatternCache) -> Option<ActionSet> {
    let mut out = catalog.empty_set();
    for s in statements {
        let all_resources = s.not_resources.is_empty() && s.resources.iter().any(|r| r.as_str() == Some("*"));
        let known = s.actions.iter().chain(&s.not_actions).all(|a| a.as_str().is_some());
        if !is_effect(&s.effect, "Deny") || !s.conditions.is_empty() || !all_resources || !known {
            continue;
        }
        let (set, _) = expand(s, catalog, cache)?;
        out.union_with(&set);
    }
    Some(out)
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
    let mut w = catalog.with_level(AccessLevel::Write).clone();
    w.union_with(catalog.with_level(AccessLevel::PermissionsManagement));
    w.intersect_with(catalog.constrainable());
    w.intersect_with(set);
    w
}

fn names(set: &ActionSet, catalog: &Catalog, cap: usize) -> Vec<String> {
    catalog.actions_in(set).take(cap).map(|a| a.full_name()).collect()
}

fn risky(set: &ActionSet, catalog: &Catalog, risk: Risk) -> Vec<String> {
    let mut r = catalog.with_risk(risk).clone();
    r.intersect_with(set);
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
            });
        }
    }
    let e = catalog.expand(p);
    if e.status != PatternStatus::Matched {
        return Err(e.status);
    }
    let coverage: Vec<_> = catalog.service_coverage(&e.actions).collect();
    Ok(PatternGrant {
        pattern: p.to_owned(),
        not,
        wildcard,
        count: e.actions.len(),
        access_levels: levels(&e.actions, catalog),
        services: coverage.iter().take(LIST_CAP).map(|c| c.prefix.to_owned()).collect(),
        services_count: coverage.len(),
        service_full: coverage.iter().any(|c| c.is_full()),
        constrainable_write: constrainable_write(&e.actions, catalog).len(),
        sample: names(&e.actions, catalog, SAMPLE_CAP),
    })
}

fn grants(
    s: &Statement,
    catalog: &Catalog,
    denied: &ActionSet,
    cache: &mut PatternCache,
    detail: Detail,
) -> Option<Grants> {
    let (mut set, not) = expand(s, catalog, cache)?;
    let before = set.len();
    set.subtract(denied);
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
            Ok(g) => patterns.push(g.clone()),
            Err(reason) => unknown_patterns.push(UnknownPattern { pattern: p.to_owned(), not, reason: *reason }),
        }
    }

    let mut full = Vec::new();
    let mut services_count = 0;
    for c in catalog.service_coverage(&set) {
        services_count += 1;
        if c.is_full() {
            full.push(c.prefix);
        }
    }
    let cw = constrainable_write(&set, catalog);
    Some(Grants {
        all_actions: set.is_full(),
        count: set.len(),
        access_levels: levels(&set, catalog),
        services_count,
        services_full: full.iter().take(LIST_CAP).map(|s| (*s).to_owned()).collect(),
        services_full_count: full.len(),
        constrainable_write: names(&cw, catalog, LIST_CAP),
        constrainable_write_count: cw.len(),
        escalation: risky(&set, catalog, Risk::PrivilegeEscalation),
        credentials_exposure: risky(&set, catalog, Risk::CredentialsExposure),
        data_exfiltration: risky(&set, catalog, Risk::DataExfiltration),
        patterns,
        unknown_patterns,
        denied: before - set.len(),
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

/// One entry per AWS-managed policy ARN the attachments name, in ARN order.
pub(crate) fn aws_managed_policies(attachments: &[Attachment], catalog: &Catalog) -> Vec<AwsManagedPolicy> {
    struct Acc<'a> {
        arn: &'a str,
        path: &'a str,
        principals: BTreeSet<String>,
        principal_values: Vec<Value>,
        attached_by: BTreeSet<String>,
        loc: &'a Location,
    }
    // Keyed by the lowercase path so partitions and spellings merge.
    let mut by_path: BTreeMap<String, Acc<'_>> = BTreeMap::new();
    for a in attachments {
        let Some(arn) = a.policy_arn.as_str() else { continue };
        let Some(path) = aws_managed_path(arn) else { continue };
        let acc = by_path.entry(path.to_ascii_lowercase()).or_insert_with(|| Acc {
            arn,
            path,
            principals: BTreeSet::new(),
            principal_values: Vec::new(),
            attached_by: BTreeSet::new(),
            loc: &a.loc,
        });
        let key = serde_json::to_string(&a.principal).unwrap_or_default();
        if acc.principals.insert(key) {
            acc.principal_values.push(a.principal.clone());
        }
        acc.attached_by.insert(a.owner.clone());
    }
    by_path
        .into_values()
        .map(|acc| {
            let found = catalog.managed_policy(acc.arn);
            let mut statements = Vec::new();
            if let Some(doc) = found.and_then(|m| m.document().ok()) {
                let doc = Value::from_json(&doc);
                let (_, mut st) = normalize::statements(&doc, |_| acc.loc.clone());
                annotate_statements(&mut st, catalog, &mut PatternCache::with_budget(usize::MAX), Detail::Summary);
                statements = st;
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
                statements,
                loc: acc.loc.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "grants_tests.rs"]
mod tests;
