//! Lookups shared by the derived views: resources by address, edges by
//! source, and the resolution of a reference (an attribute value such as
//! `role = aws_iam_role.app.name` or `Bucket: !Ref Logs`) to the in-graph
//! resource it names.
//!
//! A reference is resolved, in this order:
//! 1. a literal string equal to a resource's name attribute (`bucket`,
//!    `name`, `BucketName`, `RoleName`…) of one of the expected types;
//! 2. an unknown value whose description mentions the address of a resource
//!    that `owner` has an edge to, through this attribute;
//! 3. (for top-level attributes only) the remaining edges of the attribute,
//!    in order, for the unknown values that are still unresolved;
//! 4. (CloudFormation) a `Ref` equal to the name attribute of exactly one
//!    resource of the expected types (`BucketName: !Ref Param`).
//!
//! Anything else stays as it was written: no guess is made.

use std::collections::{BTreeMap, BTreeSet};

use super::{Edge, Mode, Resource};
use crate::value::Value;

/// Attribute names that carry a resource's own name, used for step 1.
const NAME_ATTRS: &[&str] = &[
    "bucket",
    "name",
    "arn",
    "BucketName",
    "RoleName",
    "UserName",
    "GroupName",
    "ManagedPolicyName",
    "QueueName",
    "TopicName",
    "domain_name",
    "DomainName",
];

pub(crate) struct Index<'a> {
    by_address: BTreeMap<&'a str, &'a Resource>,
    edges_from: BTreeMap<&'a str, Vec<&'a Edge>>,
    /// (type, name attribute, name) -> first managed resource in graph order.
    by_name: BTreeMap<(&'a str, &'static str, &'a str), &'a Resource>,
    /// (type, name attribute, unknown description) -> resources whose name
    /// is that unknown (step 4).
    by_unknown_name: BTreeMap<(&'a str, &'static str, &'a str), Vec<&'a Resource>>,
}

/// One element of a reference after resolution.
#[derive(Debug, Clone)]
pub(crate) struct Ref<'a> {
    /// The value as written (a name, an ARN, an ID, or an unknown).
    pub(crate) value: Value,
    /// The resource it names, when that resource is in the graph.
    pub(crate) resource: Option<&'a Resource>,
}

impl Ref<'_> {
    /// The resource address when resolved, else the value as written.
    pub(crate) fn to_value(&self) -> Value {
        match self.resource {
            Some(r) => Value::String(r.address.clone()),
            None => self.value.clone(),
        }
    }
}

impl<'a> Index<'a> {
    pub(crate) fn new(resources: &'a [Resource], edges: &'a [Edge]) -> Self {
        let mut by_address = BTreeMap::new();
        let mut by_name = BTreeMap::new();
        let mut by_unknown_name: BTreeMap<_, Vec<&Resource>> = BTreeMap::new();
        for r in resources {
            by_address.entry(r.address.as_str()).or_insert(r);
            if r.mode != Mode::Managed {
                continue;
            }
            for attr in NAME_ATTRS {
                match r.attributes.get(attr) {
                    Some(Value::String(name)) => {
                        by_name.entry((r.resource_type.as_str(), *attr, name.as_str())).or_insert(r);
                    }
                    Some(Value::Unknown(what)) => {
                        by_unknown_name.entry((r.resource_type.as_str(), *attr, what.as_str())).or_default().push(r);
                    }
                    _ => {}
                }
            }
        }
        let mut edges_from: BTreeMap<&str, Vec<&Edge>> = BTreeMap::new();
        for e in edges {
            edges_from.entry(e.from.as_str()).or_default().push(e);
        }
        Index { by_address, edges_from, by_name, by_unknown_name }
    }

    pub(crate) fn get(&self, address: &str) -> Option<&'a Resource> {
        self.by_address.get(address).copied()
    }

    /// The resource an edge points at: the exact address, else the only
    /// instance `to[...]` of a counted/for_each resource.
    pub(crate) fn edge_target(&self, to: &str) -> Option<&'a Resource> {
        if let Some(r) = self.get(to) {
            return Some(r);
        }
        let prefix = format!("{to}[");
        let mut instances = self.by_address.range(prefix.as_str()..).take_while(|(a, _)| a.starts_with(&prefix));
        match (instances.next(), instances.next()) {
            (Some((_, r)), None) => Some(*r),
            _ => None,
        }
    }

    /// Edges leaving `from` through its top-level attribute `attribute`.
    pub(crate) fn edges<'s>(&'s self, from: &'s str, attribute: &'s str) -> impl Iterator<Item = &'a Edge> + 's {
        self.edges_from.get(from).into_iter().flatten().copied().filter(move |e| e.attribute == attribute)
    }

    /// Distinct resources of one of `types` that `from` references through `attribute`.
    pub(crate) fn edge_targets(&self, from: &str, attribute: &str, types: &[&str]) -> Vec<&'a Resource> {
        let mut seen = BTreeSet::new();
        self.edges(from, attribute)
            .filter_map(|e| self.edge_target(&e.to))
            .filter(|r| types.contains(&r.resource_type.as_str()))
            .filter(|r| seen.insert(r.address.as_str()))
            .collect()
    }

    /// A managed resource of one of `types` whose name attribute equals `name`.
    pub(crate) fn by_name(&self, types: &[&str], name_attr: &str, name: &str) -> Option<&'a Resource> {
        let attr = NAME_ATTRS.iter().find(|a| **a == name_attr)?;
        types.iter().find_map(|t| self.by_name.get(&(*t, *attr, name)).copied())
    }

    /// Resolves the value(s) at `owner.attributes[...]` (already looked up:
    /// `value`) that reference resources of `types`. `edge_attr` is the
    /// top-level attribute of `owner` holding the value; `fill` allows step 3
    /// (only sound when the value is the sole user of those edges).
    pub(crate) fn resolve(
        &self,
        owner: &Resource,
        value: &Value,
        edge_attr: &str,
        target: &Target<'_>,
        fill: bool,
    ) -> Vec<Ref<'a>> {
        let targets = self.edge_targets(&owner.address, edge_attr, target.types);
        let mut used = vec![false; targets.len()];
        let mut out: Vec<Ref<'a>> = Vec::new();
        let mut pending = Vec::new();
        for element in value.as_one_or_many() {
            let mut resolved = None;
            match element {
                Value::String(s) => {
                    resolved = target.name_attrs.iter().find_map(|a| self.by_name(target.types, a, s));
                    if resolved.is_none() {
                        // A literal that names a referenced resource's address
                        // (some evaluators keep `aws_x.y.id` as text).
                        resolved = pick_mentioned(owner, &targets, &mut used, s);
                    }
                }
                Value::Unknown(desc) => {
                    resolved = pick_mentioned(owner, &targets, &mut used, desc);
                    if resolved.is_none() {
                        pending.push(out.len());
                    }
                }
                Value::Map(_) => pending.push(out.len()),
                _ => {}
            }
            out.push(Ref { value: element.clone(), resource: resolved });
        }
        if fill {
            let mut free = targets.iter().zip(used.iter()).filter(|(_, u)| !**u).map(|(t, _)| *t);
            for i in &pending {
                match (free.next(), out.get_mut(*i)) {
                    (Some(t), Some(slot)) => slot.resource = Some(t),
                    _ => break,
                }
            }
        }
        for i in pending {
            if let Some(slot) = out.get_mut(i)
                && slot.resource.is_none()
                && let Value::Unknown(what) = &slot.value
            {
                slot.resource = self.same_unknown_name(owner, target, what);
            }
        }
        out
    }
}

impl<'a> Index<'a> {
    /// Step 4 (CloudFormation): the only resource whose name is the very
    /// same `Ref` as the reference: `Bucket: !Ref BucketParam` for a bucket
    /// with `BucketName: !Ref BucketParam`. A `Ref` (to a parameter or a
    /// resource) is the only unknown whose description is a bare logical
    /// name, and it has one value per template. Terraform's descriptions
    /// name the unknown input *inside* a value (`"${var.env}-a"` is
    /// described as `var.env`), so they do not identify a value.
    fn same_unknown_name(&self, owner: &Resource, target: &Target<'_>, what: &str) -> Option<&'a Resource> {
        let logical_name = !what.is_empty() && what.chars().all(|c| c.is_ascii_alphanumeric());
        if !owner.resource_type.starts_with("AWS::") || !logical_name {
            return None;
        }
        let module = module_prefix(owner);
        let mut found = target
            .name_attrs
            .iter()
            .flat_map(|a| target.types.iter().map(move |t| (*t, *a)))
            .filter_map(|(t, a)| {
                let attr = NAME_ATTRS.iter().find(|n| **n == a)?;
                self.by_unknown_name.get(&(t, *attr, what))
            })
            .flatten()
            .filter(|r| module_prefix(r) == module);
        match (found.next(), found.next()) {
            (Some(r), None) => Some(*r),
            _ => None,
        }
    }
}

/// What a reference may point at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'t> {
    pub(crate) types: &'t [&'t str],
    /// Name attributes of those types a literal may be matched against.
    pub(crate) name_attrs: &'t [&'t str],
}

fn pick_mentioned<'a>(
    owner: &Resource,
    targets: &[&'a Resource],
    used: &mut [bool],
    text: &str,
) -> Option<&'a Resource> {
    let owner_module = module_prefix(owner);
    let i = targets.iter().position(|t| {
        // Inside a module, references are written without the module prefix.
        let local = t.address.strip_prefix(owner_module).filter(|_| module_prefix(t) == owner_module);
        mentions(text, &t.address) || local.is_some_and(|l| mentions(text, l))
    })?;
    if let Some(u) = used.get_mut(i) {
        *u = true;
    }
    targets.get(i).copied()
}

/// The `module.a.module.b[0].` part of a Terraform address (empty at the
/// root and for other kinds of input).
fn module_prefix(r: &Resource) -> &str {
    if !r.address.starts_with("module.") {
        return "";
    }
    let local = match r.mode {
        Mode::Data => format!(".data.{}.", r.resource_type),
        Mode::Managed => format!(".{}.", r.resource_type),
    };
    match r.address.rfind(&local) {
        Some(i) => r.address.get(..=i).unwrap_or(""),
        None => "",
    }
}

/// True when `text` contains `address` as a whole token: not preceded by an
/// identifier character or `.`, and not followed by one (nor by `[`), so
/// `aws_iam_role.a` is found in `aws_iam_role.a.name` and `Ref RoleA` but not
/// in `aws_iam_role.ab`, `aws_iam_role.a[0]` or `module.m.aws_iam_role.a`.
pub(crate) fn mentions(text: &str, address: &str) -> bool {
    if address.is_empty() {
        return false;
    }
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut start = 0;
    while let Some(pos) = text.get(start..).and_then(|t| t.find(address)) {
        let at = start + pos;
        let end = at + address.len();
        let before = text.get(..at).and_then(|t| t.chars().next_back());
        let after = text.get(end..).and_then(|t| t.chars().next());
        let before_ok = before.is_none_or(|c| !(ident(c) || c == '.'));
        let after_ok = after.is_none_or(|c| !(ident(c) || c == '['));
        if before_ok && after_ok {
            return true;
        }
        start = at + address.len().max(1);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_whole_addresses_only() {
        assert!(mentions("aws_iam_role.a.name", "aws_iam_role.a"));
        assert!(mentions("aws_iam_role.a", "aws_iam_role.a"));
        assert!(mentions("Ref RoleA", "RoleA"));
        assert!(mentions("Fn::GetAtt RoleA.Arn", "RoleA"));
        assert!(!mentions("aws_iam_role.ab.name", "aws_iam_role.a"));
        assert!(!mentions("aws_iam_role.a[0].name", "aws_iam_role.a"));
        assert!(mentions("aws_iam_role.a[0].name", "aws_iam_role.a[0]"));
        assert!(!mentions("module.m.aws_iam_role.a.name", "aws_iam_role.a"));
        assert!(mentions("x aws_iam_role.ab aws_iam_role.a", "aws_iam_role.a"));
        assert!(!mentions("RoleAB", "RoleA"));
        assert!(!mentions("anything", ""));
    }

    #[test]
    fn same_unknown_input_names_the_same_resource() {
        use super::test_support::res;
        let policy = res("P", "AWS::S3::BucketPolicy", 1, 2, serde_json::json!({"Bucket": {"$unknown": "Name"}}));
        let bucket = res("B", "AWS::S3::Bucket", 3, 4, serde_json::json!({"BucketName": {"$unknown": "Name"}}));
        let generic = res("C", "AWS::S3::Bucket", 5, 6, serde_json::json!({"BucketName": {"$unknown": "Fn::Join"}}));
        let tf_policy = res("aws_s3_bucket_policy.p", "aws_s3_bucket_policy", 7, 8, serde_json::json!({}));
        let tf_a =
            res("aws_s3_bucket.a", "aws_s3_bucket", 9, 10, serde_json::json!({"bucket": {"$unknown": "var.name"}}));
        let tf_b =
            res("aws_s3_bucket.b", "aws_s3_bucket", 11, 12, serde_json::json!({"bucket": {"$unknown": "var.other"}}));
        let tf_c =
            res("aws_s3_bucket.c", "aws_s3_bucket", 13, 14, serde_json::json!({"bucket": {"$unknown": "var.other"}}));
        let resources = [policy, bucket, generic, tf_policy, tf_a, tf_b, tf_c];
        let index = Index::new(&resources, &[]);
        let cfn = Target { types: &["AWS::S3::Bucket"], name_attrs: &["BucketName"] };
        let tf = Target { types: &["aws_s3_bucket"], name_attrs: &["bucket"] };
        let got = |owner: usize, what: &str, target: &Target<'_>| {
            index.resolve(&resources[owner], &Value::unknown(what), "bucket", target, true)[0]
                .resource
                .map(|r| r.address.clone())
        };
        assert_eq!(got(0, "Name", &cfn), Some("B".to_string()));
        assert_eq!(got(0, "Fn::Join", &cfn), None, "not one input");
        // `"${var.name}-x"` is also described as `var.name`: not a value identity.
        assert_eq!(got(3, "var.name", &tf), None);
        assert_eq!(got(3, "var.other", &tf), None);
    }

    #[test]
    fn module_references_are_local() {
        use super::test_support::{edge, res};
        let rule = res("module.m.aws_security_group_rule.r", "aws_security_group_rule", 1, 2, serde_json::json!({}));
        let sg = res("module.m.aws_security_group.g", "aws_security_group", 3, 4, serde_json::json!({}));
        let other = res("module.n.aws_security_group.g", "aws_security_group", 5, 6, serde_json::json!({}));
        assert_eq!(module_prefix(&rule), "module.m.");
        assert_eq!(module_prefix(&sg), "module.m.");
        let resources = [rule, sg, other];
        let edges = [
            edge("module.m.aws_security_group_rule.r", "module.n.aws_security_group.g", "x"),
            edge("module.m.aws_security_group_rule.r", "module.m.aws_security_group.g", "x"),
        ];
        let index = Index::new(&resources, &edges);
        let target = Target { types: &["aws_security_group"], name_attrs: &[] };
        let value = Value::unknown("aws_security_group.g.id");
        let refs = index.resolve(&resources[0], &value, "x", &target, false);
        assert_eq!(refs[0].resource.map(|r| r.address.as_str()), Some("module.m.aws_security_group.g"));
    }
}

/// Builders for hand-made resources in unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use crate::graph::{Edge, LineRange, Location, Mode, Resource, SourceKind};
    use crate::value::Value;

    /// JSON to a value, reading `{"$unknown": "what"}` as an unknown.
    pub(crate) fn val(json: serde_json::Value) -> Value {
        match json {
            serde_json::Value::Object(map) if map.len() == 1 && map.contains_key("$unknown") => {
                Value::Unknown(map.get("$unknown").and_then(|v| v.as_str()).unwrap_or("").to_string())
            }
            serde_json::Value::Object(map) => Value::Map(map.into_iter().map(|(k, v)| (k, val(v))).collect()),
            serde_json::Value::Array(items) => Value::List(items.into_iter().map(val).collect()),
            other => Value::from_json(&other),
        }
    }

    /// A resource at `line..=end_line`; the file, kind and mode follow from
    /// the type and address (`AWS::…` in `t.yaml`, `iam_policy` in
    /// `p.json`, Terraform in `main.tf`; `data.` addresses are data sources).
    pub(crate) fn res(address: &str, ty: &str, line: u32, end_line: u32, attrs: serde_json::Value) -> Resource {
        let (kind, file) = if ty.starts_with("AWS::") {
            (SourceKind::Cloudformation, "t.yaml")
        } else if ty == "iam_policy" {
            (SourceKind::IamJson, "p.json")
        } else {
            (SourceKind::Terraform, "main.tf")
        };
        let mode = if address.starts_with("data.") { Mode::Data } else { Mode::Managed };
        Resource {
            address: address.to_string(),
            resource_type: ty.to_string(),
            kind,
            mode,
            attributes: val(attrs),
            loc: Location {
                address: address.to_string(),
                file: Arc::from(file),
                line,
                end_line,
                call_sites: Vec::new(),
            },
            spans: BTreeMap::new(),
        }
    }

    pub(crate) fn spans(mut r: Resource, spans: &[(&str, u32, u32)]) -> Resource {
        for (p, line, end_line) in spans {
            r.spans.insert((*p).to_string(), LineRange { line: *line, end_line: *end_line });
        }
        r
    }

    pub(crate) fn edge(from: &str, to: &str, attribute: &str) -> Edge {
        Edge { from: from.to_string(), to: to.to_string(), attribute: attribute.to_string() }
    }

    /// The location `(file, line, end_line)` of something with a [`Location`].
    pub(crate) fn at(loc: &Location) -> (&str, u32, u32) {
        (&loc.file, loc.line, loc.end_line)
    }
}
