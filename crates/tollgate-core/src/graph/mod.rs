//! The normalized resource graph: what rules query.
//!
//! A scan produces one [`Graph`] per *unit*: a Terraform root module with
//! all its child modules, a Terraform plan, a CloudFormation template, or a
//! raw IAM policy file. Resources in one unit can reference each other;
//! units never do. The JSON form of this graph (see `docs/graph-schema.md`)
//! is the input every Rego rule receives.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::span::Span;
use crate::value::Value;

pub(crate) mod bucket;
pub mod grants;
pub(crate) mod iam;
pub(crate) mod index;
pub(crate) mod network;
pub mod path;

/// Version of the graph's JSON schema. Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Where the input came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Terraform,
    TerraformPlan,
    Cloudformation,
    IamJson,
}

/// A module call on the way from a root module to a resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CallSite {
    /// The module instance address, e.g. `module.web_sg` or `module.app["a"]`.
    pub module: String,
    pub file: Arc<str>,
    pub line: u32,
    pub end_line: u32,
}

/// What a finding points at: an address and a source region, plus the
/// module call sites (outermost first) when the address is inside a module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub address: String,
    pub file: Arc<str>,
    pub line: u32,
    pub end_line: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub call_sites: Vec<CallSite>,
}

impl Location {
    pub fn new(address: impl Into<String>, span: &Span, call_sites: &[CallSite]) -> Self {
        Location {
            address: address.into(),
            file: span.file.clone(),
            line: span.line,
            end_line: span.end_line,
            call_sites: call_sites.to_vec(),
        }
    }

    /// The same address and call sites at another span.
    pub fn with_span(&self, span: &Span) -> Self {
        Location { file: span.file.clone(), line: span.line, end_line: span.end_line, ..self.clone() }
    }
}

/// Terraform's `resource` vs `data`; CloudFormation resources and raw IAM
/// files are `managed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Managed,
    Data,
}

/// One resource instance with its evaluated attributes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    /// Terraform address (`module.a.aws_s3_bucket.b[0]`), CloudFormation
    /// logical ID, or the file path for a raw IAM policy.
    pub address: String,
    /// Provider type: `aws_s3_bucket`, `AWS::S3::Bucket`, or `iam_policy` for raw IAM JSON.
    #[serde(rename = "type")]
    pub resource_type: String,
    pub kind: SourceKind,
    pub mode: Mode,
    /// Evaluated attributes (for CloudFormation: the `Properties` map).
    pub attributes: Value,
    pub loc: Location,
    /// Spans of attributes and nested values, keyed by path (see [`path`]):
    /// `ingress[0].cidr_blocks`, `policy.Statement[1]`, `PolicyDocument.Statement[0].Action`.
    /// Each span is in `loc.file`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub spans: BTreeMap<String, LineRange>,
}

/// Lines in the owning resource's file (1-based, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LineRange {
    pub line: u32,
    pub end_line: u32,
}

impl From<&Span> for LineRange {
    fn from(s: &Span) -> Self {
        LineRange { line: s.line, end_line: s.end_line }
    }
}

impl Resource {
    /// The location of an attribute path, falling back to the closest
    /// enclosing path that has a span, then to the resource itself.
    pub fn loc_of(&self, attr_path: &str) -> Location {
        let mut p = attr_path;
        loop {
            if let Some(r) = self.spans.get(p) {
                return Location { line: r.line, end_line: r.end_line, ..self.loc.clone() };
            }
            match path::parent(p) {
                Some(parent) => p = parent,
                None => return self.loc.clone(),
            }
        }
    }
}

/// A reference from one resource to another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// The attribute of `from` that holds the reference (top-level name).
    pub attribute: String,
}

/// What a policy document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyRole {
    /// Grants permissions to the principal it is attached to.
    Identity,
    /// Says who may assume a role (`assume_role_policy`, `AssumeRolePolicyDocument`).
    Trust,
    /// Attached to a resource (bucket, queue, topic, key…); has principals.
    Resource,
}

/// An IAM policy document, normalized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    /// Unique within the graph: `<owner>#<attribute path>`.
    pub id: String,
    /// Address of the resource that holds the document.
    pub owner: String,
    pub owner_type: String,
    /// Attribute path of the document inside the owner (`policy`, `inline_policy[0].policy`, `Policies[1].PolicyDocument`).
    pub attribute: String,
    pub role: PolicyRole,
    /// For identity policies: addresses of the roles, users and groups it
    /// applies to (direct inline owner or via attachments), where known.
    pub principals: Vec<String>,
    /// For resource policies: address of the resource it protects (a bucket…), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// True when the document itself is unknown before apply.
    pub unknown: bool,
    pub statements: Vec<Statement>,
    pub loc: Location,
}

/// One statement of a policy, normalized: every list field is a list even
/// when written as a single string; absent fields are empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// `Allow`, `Deny`, or an unknown value.
    pub effect: Value,
    pub actions: Vec<Value>,
    pub not_actions: Vec<Value>,
    pub resources: Vec<Value>,
    pub not_resources: Vec<Value>,
    /// Principal type (`AWS`, `Service`, `Federated`, `CanonicalUser`) to
    /// values; `"Principal": "*"` becomes `{"AWS": ["*"]}`.
    pub principals: BTreeMap<String, Vec<Value>>,
    pub not_principals: BTreeMap<String, Vec<Value>>,
    pub conditions: Vec<Condition>,
    pub loc: Location,
    /// For `Allow` statements: what they grant according to the IAM action
    /// catalog (see [`grants`]); absent for other statements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grants: Option<grants::Grants>,
}

/// One condition test: `{"StringEquals": {"aws:SourceVpce": ["vpce-1"]}}`
/// gives operator `StringEquals`, key `aws:SourceVpce`, values `["vpce-1"]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    pub operator: String,
    pub key: String,
    pub values: Vec<Value>,
}

/// Attachment of a managed policy (by ARN or by in-graph policy resource)
/// to a role, user or group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attachment {
    /// Address of the resource that declares the attachment.
    pub owner: String,
    pub owner_type: String,
    /// `role`, `user` or `group`.
    pub principal_type: String,
    /// The principal: its address when it is in the graph, else its name/ARN value.
    pub principal: Value,
    /// The attached policy ARN (string or unknown).
    pub policy_arn: Value,
    /// Address of the attached policy resource, when it is in the graph.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub loc: Location,
}

/// An IAM role, user or group of the graph, with what decides its
/// permissions besides the policies that name it: the groups a user
/// belongs to and a permissions boundary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Principal {
    pub address: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    /// `role`, `user` or `group`.
    pub principal_type: String,
    /// Users: the groups it belongs to, as addresses when in the graph, else
    /// the names as written (sorted, deduplicated).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Value>,
    /// Users: the resources that declare those memberships (sorted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub memberships: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<PermissionsBoundary>,
    /// Indexes into `policies` of the identity policies that name it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identity_policies: Vec<usize>,
    /// Indexes into `aws_managed_policies` of the AWS-managed policies
    /// attached to it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aws_managed_policies: Vec<usize>,
    /// Indexes into `attachments` of the attachments to it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<usize>,
    pub loc: Location,
}

/// The managed policy that caps a role's or user's permissions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PermissionsBoundary {
    /// The ARN as written (a string or an unknown).
    pub arn: Value,
    /// Address of the managed policy resource when it is in the graph.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Its document is known: an in-graph policy, or an AWS-managed policy
    /// the catalog has (then in `aws_managed_policies`, `boundary_of`).
    pub resolved: bool,
    pub loc: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Ingress,
    Egress,
}

/// One security-group rule, normalized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkRule {
    pub direction: Direction,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `all`, another protocol number as a
    /// string, or unknown.
    pub protocol: Value,
    /// Effective port range (0–65535 for `all`), or unknown.
    pub from_port: Value,
    pub to_port: Value,
    pub cidr_ipv4: Vec<Value>,
    pub cidr_ipv6: Vec<Value>,
    pub source_groups: Vec<Value>,
    pub prefix_lists: Vec<Value>,
    /// The security group the rule belongs to: its address when in the graph, else its ID value.
    pub security_group: Value,
    pub owner: String,
    pub owner_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub loc: Location,
}

/// A canned ACL applied to a bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketAcl {
    /// Normalized to the Terraform spelling (`public-read`…), or unknown.
    pub acl: Value,
    pub owner: String,
    pub loc: Location,
}

/// A public access block; each setting is `true`, `false` (also when
/// omitted: the default) or unknown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: Value,
    pub block_public_policy: Value,
    pub ignore_public_acls: Value,
    pub restrict_public_buckets: Value,
    pub owner: String,
    pub loc: Location,
}

/// An S3 bucket with everything that decides whether it is public.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    pub address: String,
    pub name: Value,
    pub acls: Vec<BucketAcl>,
    /// Ids of resource policies (in `policies`) that apply to this bucket.
    pub policies: Vec<String>,
    pub public_access_blocks: Vec<PublicAccessBlock>,
    pub loc: Location,
}

/// The normalized graph of one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Graph {
    pub schema_version: u32,
    pub resources: Vec<Resource>,
    pub edges: Vec<Edge>,
    pub policies: Vec<Policy>,
    pub attachments: Vec<Attachment>,
    /// IAM roles, users and groups with their groups and permissions boundary.
    pub iam_principals: Vec<Principal>,
    pub network_rules: Vec<NetworkRule>,
    pub buckets: Vec<Bucket>,
    /// AWS-managed policies attached by ARN, with their documents from the
    /// IAM action catalog (see [`grants`]).
    pub aws_managed_policies: Vec<grants::AwsManagedPolicy>,
    /// The first statement left without `grants` when the unit's wildcard
    /// budget ran out; the scan reports it as a `limit` error.
    #[serde(skip)]
    pub(crate) grants_truncated: Option<Location>,
}

impl Graph {
    /// Builds the derived views (policies, attachments, network rules,
    /// buckets) from resources and edges, and sorts everything into a
    /// stable order.
    pub fn build(resources: Vec<Resource>, edges: Vec<Edge>) -> Graph {
        let mut graph = Graph::build_unannotated(resources, edges);
        if let Ok(catalog) = tollgate_catalog::Catalog::embedded() {
            graph.annotate(catalog);
        }
        graph.link_principals();
        graph
    }

    /// The derived views without the catalog's `grants`.
    fn build_unannotated(mut resources: Vec<Resource>, mut edges: Vec<Edge>) -> Graph {
        resources.sort_by(|a, b| (&a.loc.file, a.loc.line, &a.address).cmp(&(&b.loc.file, b.loc.line, &b.address)));
        edges.sort();
        edges.dedup();
        let index = index::Index::new(&resources, &edges);
        let (policies, attachments, principals) = iam::derive(&index, &resources);
        let network_rules = network::derive(&index, &resources);
        let buckets = bucket::derive(&index, &resources, &policies);
        drop(index);
        Graph {
            schema_version: SCHEMA_VERSION,
            resources,
            edges,
            policies,
            attachments,
            iam_principals: principals,
            network_rules,
            buckets,
            aws_managed_policies: Vec::new(),
            grants_truncated: None,
        }
    }

    /// Fills each principal's indexes of the identity policies, AWS-managed
    /// policies and attachments that apply to it, so that rules reach them
    /// without scanning every policy for every principal.
    fn link_principals(&mut self) {
        let at: BTreeMap<&str, usize> =
            self.iam_principals.iter().enumerate().map(|(i, p)| (p.address.as_str(), i)).collect();
        let mut identity: Vec<Vec<usize>> = vec![Vec::new(); self.iam_principals.len()];
        let mut managed: Vec<Vec<usize>> = vec![Vec::new(); self.iam_principals.len()];
        let mut attached: Vec<Vec<usize>> = vec![Vec::new(); self.iam_principals.len()];
        let push = |lists: &mut Vec<Vec<usize>>, principal: Option<&str>, i: usize| {
            if let Some(list) = principal.and_then(|p| at.get(p)).and_then(|&k| lists.get_mut(k)) {
                list.push(i);
            }
        };
        for (i, p) in self.policies.iter().enumerate().filter(|(_, p)| p.role == PolicyRole::Identity) {
            for principal in &p.principals {
                push(&mut identity, Some(principal.as_str()), i);
            }
        }
        for (i, m) in self.aws_managed_policies.iter().enumerate() {
            for principal in &m.principals {
                push(&mut managed, principal.as_str(), i);
            }
        }
        for (i, a) in self.attachments.iter().enumerate() {
            push(&mut attached, a.principal.as_str(), i);
        }
        for (((p, ids), ms), atts) in self.iam_principals.iter_mut().zip(identity).zip(managed).zip(attached) {
            let dedup = |mut v: Vec<usize>| {
                v.dedup();
                v
            };
            p.identity_policies = dedup(ids);
            p.aws_managed_policies = dedup(ms);
            p.attachments = dedup(atts);
        }
    }

    /// [`Graph::build`] with another action catalog than the embedded one
    /// (`--catalog FILE`); `None` uses the embedded catalog.
    pub fn build_with(
        resources: Vec<Resource>,
        edges: Vec<Edge>,
        catalog: Option<&tollgate_catalog::Catalog>,
    ) -> Graph {
        match catalog {
            None => Graph::build(resources, edges),
            Some(catalog) => {
                let mut graph = Graph::build_unannotated(resources, edges);
                graph.annotate(catalog);
                graph.link_principals();
                graph
            }
        }
    }

    /// Appends another unit's graph (for whole-scan output).
    pub fn extend(&mut self, mut other: Graph) {
        self.schema_version = SCHEMA_VERSION;
        // Indexes into the appended lists move by the lengths before them.
        for p in &mut other.iam_principals {
            p.identity_policies.iter_mut().for_each(|i| *i += self.policies.len());
            p.aws_managed_policies.iter_mut().for_each(|i| *i += self.aws_managed_policies.len());
            p.attachments.iter_mut().for_each(|i| *i += self.attachments.len());
        }
        self.resources.extend(other.resources);
        self.edges.extend(other.edges);
        self.policies.extend(other.policies);
        self.attachments.extend(other.attachments);
        self.iam_principals.extend(other.iam_principals);
        self.network_rules.extend(other.network_rules);
        self.buckets.extend(other.buckets);
        self.aws_managed_policies.extend(other.aws_managed_policies);
    }

    /// (Re)computes every statement's `grants` and the AWS-managed policy
    /// view against `catalog`. [`Graph::build`] does this with the embedded
    /// catalog; call it again to use another one (`--catalog FILE`).
    pub fn annotate_grants(&mut self, catalog: &tollgate_catalog::Catalog) {
        self.annotate(catalog);
        self.link_principals();
    }

    /// The grants and the AWS-managed view, without relinking principals.
    fn annotate(&mut self, catalog: &tollgate_catalog::Catalog) {
        self.grants_truncated = grants::annotate_policies(&mut self.policies, catalog);
        self.aws_managed_policies = grants::aws_managed_policies(&self.attachments, &mut self.iam_principals, catalog);
    }
}
