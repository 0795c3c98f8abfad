//! IAM policy documents and managed-policy attachments.
//!
//! Every policy document found in a resource becomes one [`Policy`] with its
//! statements normalized (see [`normalize`]); every managed-policy
//! attachment becomes one [`Attachment`] per (principal, policy) pair.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use super::index::{Index, Ref, Target};
use super::{Attachment, Location, Mode, PermissionsBoundary, Policy, PolicyRole, Principal, Resource, path};
use crate::value::Value;

pub(crate) mod normalize;

/// How a policy document finds the principals it applies to (identity
/// policies) or the resource it protects (resource policies).
#[derive(Debug, Clone, Copy)]
enum Link {
    /// Nothing to link.
    None,
    /// The owning resource itself (an inline policy of a role, a bucket's own policy).
    Owner,
    /// The resources named by these top-level attributes of the owner.
    Refs(&'static [(&'static str, Target<'static>)]),
    /// A managed policy: the principals of the attachments that name it
    /// (plus, for CloudFormation, its own `Roles`/`Users`/`Groups`, which are
    /// attachments too).
    Attached,
}

/// Where a policy document sits in a resource type.
#[derive(Debug, Clone, Copy)]
struct DocSpec {
    /// Top-level attribute.
    attr: &'static str,
    /// For a list of blocks (`inline_policy`, `Policies`): the key of the
    /// document inside each block.
    each: Option<&'static str>,
    role: PolicyRole,
    link: Link,
}

const fn doc(attr: &'static str, role: PolicyRole, link: Link) -> DocSpec {
    DocSpec { attr, each: None, role, link }
}

const fn each(attr: &'static str, key: &'static str, role: PolicyRole, link: Link) -> DocSpec {
    DocSpec { attr, each: Some(key), role, link }
}

const fn target(types: &'static [&'static str], name_attrs: &'static [&'static str]) -> Target<'static> {
    Target { types, name_attrs }
}

const TF_ROLE: Target<'static> = target(&["aws_iam_role"], &["name"]);
const TF_USER: Target<'static> = target(&["aws_iam_user"], &["name"]);
const TF_GROUP: Target<'static> = target(&["aws_iam_group"], &["name"]);
const TF_POLICY: Target<'static> = target(&["aws_iam_policy"], &["arn"]);
const TF_BUCKET: Target<'static> = target(&["aws_s3_bucket", "aws_s3_directory_bucket"], &["bucket"]);
const CFN_ROLE: Target<'static> = target(&["AWS::IAM::Role"], &["RoleName"]);
const CFN_USER: Target<'static> = target(&["AWS::IAM::User"], &["UserName"]);
const CFN_GROUP: Target<'static> = target(&["AWS::IAM::Group"], &["GroupName"]);
const CFN_POLICY: Target<'static> = target(&["AWS::IAM::ManagedPolicy"], &[]);
const CFN_BUCKET: Target<'static> = target(&["AWS::S3::Bucket"], &["BucketName"]);

use PolicyRole::{Identity, Resource as ResourcePolicy, Trust};

/// A `'static` slice of document specs.
macro_rules! specs {
    ($($spec:expr),* $(,)?) => {{
        const SPECS: &[DocSpec] = &[$($spec),*];
        SPECS
    }};
}

/// The policy documents of a resource type.
fn doc_specs(resource_type: &str) -> &'static [DocSpec] {
    match resource_type {
        // Terraform: identity policies.
        "aws_iam_policy" => specs![doc("policy", Identity, Link::Attached)],
        "aws_iam_role_policy" => specs![doc("policy", Identity, Link::Refs(&[("role", TF_ROLE)]))],
        "aws_iam_user_policy" => specs![doc("policy", Identity, Link::Refs(&[("user", TF_USER)]))],
        "aws_iam_group_policy" => specs![doc("policy", Identity, Link::Refs(&[("group", TF_GROUP)]))],
        "aws_iam_role" => specs![
            doc("assume_role_policy", Trust, Link::Owner),
            each("inline_policy", "policy", Identity, Link::Owner),
        ],
        "aws_ssoadmin_permission_set_inline_policy" => specs![doc("inline_policy", Identity, Link::None)],
        // Terraform: resource policies.
        "aws_s3_bucket_policy" => specs![doc("policy", ResourcePolicy, Link::Refs(&[("bucket", TF_BUCKET)]))],
        "aws_s3_bucket"
        | "aws_sqs_queue"
        | "aws_sns_topic"
        | "aws_kms_key"
        | "aws_secretsmanager_secret"
        | "aws_vpc_endpoint"
        | "aws_api_gateway_rest_api"
        | "aws_s3_access_point" => {
            specs![doc("policy", ResourcePolicy, Link::Owner)]
        }
        "aws_sqs_queue_policy" => {
            specs![doc("policy", ResourcePolicy, Link::Refs(&[("queue_url", target(&["aws_sqs_queue"], &[]))]))]
        }
        "aws_sns_topic_policy" => {
            specs![doc("policy", ResourcePolicy, Link::Refs(&[("arn", target(&["aws_sns_topic"], &["arn"]))]))]
        }
        "aws_kms_key_policy" => {
            specs![doc("policy", ResourcePolicy, Link::Refs(&[("key_id", target(&["aws_kms_key"], &[]))]))]
        }
        "aws_ecr_repository_policy" => specs![doc(
            "policy",
            ResourcePolicy,
            Link::Refs(&[("repository", target(&["aws_ecr_repository"], &["name"]))]),
        )],
        "aws_ecrpublic_repository_policy" => specs![doc(
            "policy",
            ResourcePolicy,
            Link::Refs(&[("repository_name", target(&["aws_ecrpublic_repository"], &[]))]),
        )],
        "aws_secretsmanager_secret_policy" => specs![doc(
            "policy",
            ResourcePolicy,
            Link::Refs(&[("secret_arn", target(&["aws_secretsmanager_secret"], &["arn"]))]),
        )],
        "aws_opensearch_domain_policy" => specs![doc(
            "access_policies",
            ResourcePolicy,
            Link::Refs(&[("domain_name", target(&["aws_opensearch_domain"], &["domain_name"]))]),
        )],
        "aws_elasticsearch_domain_policy" => specs![doc(
            "access_policies",
            ResourcePolicy,
            Link::Refs(&[("domain_name", target(&["aws_elasticsearch_domain"], &["domain_name"]))]),
        )],
        "aws_opensearch_domain" | "aws_elasticsearch_domain" => {
            specs![doc("access_policies", ResourcePolicy, Link::Owner)]
        }
        "aws_glacier_vault" => specs![doc("access_policy", ResourcePolicy, Link::Owner)],
        "aws_cloudwatch_log_resource_policy" => specs![doc("policy_document", ResourcePolicy, Link::None)],
        "aws_efs_file_system_policy" => specs![doc(
            "policy",
            ResourcePolicy,
            Link::Refs(&[("file_system_id", target(&["aws_efs_file_system"], &[]))]),
        )],
        "aws_vpc_endpoint_policy" => specs![doc(
            "policy",
            ResourcePolicy,
            Link::Refs(&[("vpc_endpoint_id", target(&["aws_vpc_endpoint"], &[]))]),
        )],
        "aws_api_gateway_rest_api_policy" => specs![doc(
            "policy",
            ResourcePolicy,
            Link::Refs(&[("rest_api_id", target(&["aws_api_gateway_rest_api"], &[]))]),
        )],
        "aws_backup_vault_policy" => specs![doc(
            "policy",
            ResourcePolicy,
            Link::Refs(&[("backup_vault_name", target(&["aws_backup_vault"], &["name"]))]),
        )],
        "aws_cloudwatch_event_bus_policy" => specs![doc(
            "policy",
            ResourcePolicy,
            Link::Refs(&[("event_bus_name", target(&["aws_cloudwatch_event_bus"], &["name"]))]),
        )],
        "aws_dynamodb_resource_policy" => specs![doc(
            "policy",
            ResourcePolicy,
            Link::Refs(&[("resource_arn", target(&["aws_dynamodb_table"], &["arn"]))]),
        )],
        // CloudFormation: identity policies.
        "AWS::IAM::Policy" => specs![doc(
            "PolicyDocument",
            Identity,
            Link::Refs(&[("Roles", CFN_ROLE), ("Users", CFN_USER), ("Groups", CFN_GROUP)]),
        )],
        "AWS::IAM::ManagedPolicy" => specs![doc("PolicyDocument", Identity, Link::Attached)],
        "AWS::IAM::RolePolicy" => specs![doc("PolicyDocument", Identity, Link::Refs(&[("RoleName", CFN_ROLE)]))],
        "AWS::IAM::UserPolicy" => specs![doc("PolicyDocument", Identity, Link::Refs(&[("UserName", CFN_USER)]))],
        "AWS::IAM::GroupPolicy" => specs![doc("PolicyDocument", Identity, Link::Refs(&[("GroupName", CFN_GROUP)]))],
        "AWS::IAM::Role" => specs![
            doc("AssumeRolePolicyDocument", Trust, Link::Owner),
            each("Policies", "PolicyDocument", Identity, Link::Owner),
        ],
        "AWS::IAM::User" | "AWS::IAM::Group" => specs![each("Policies", "PolicyDocument", Identity, Link::Owner)],
        "AWS::SSO::PermissionSet" => specs![doc("InlinePolicy", Identity, Link::None)],
        // CloudFormation: resource policies.
        "AWS::S3::BucketPolicy" => specs![doc("PolicyDocument", ResourcePolicy, Link::Refs(&[("Bucket", CFN_BUCKET)]))],
        "AWS::SQS::QueuePolicy" => {
            specs![doc("PolicyDocument", ResourcePolicy, Link::Refs(&[("Queues", target(&["AWS::SQS::Queue"], &[]))]))]
        }
        "AWS::SNS::TopicPolicy" => {
            specs![doc("PolicyDocument", ResourcePolicy, Link::Refs(&[("Topics", target(&["AWS::SNS::Topic"], &[]))]))]
        }
        "AWS::SecretsManager::ResourcePolicy" => specs![doc(
            "ResourcePolicy",
            ResourcePolicy,
            Link::Refs(&[("SecretId", target(&["AWS::SecretsManager::Secret"], &[]))]),
        )],
        "AWS::KMS::Key" => specs![doc("KeyPolicy", ResourcePolicy, Link::Owner)],
        "AWS::ECR::Repository" => specs![doc("RepositoryPolicyText", ResourcePolicy, Link::Owner)],
        "AWS::OpenSearchService::Domain" | "AWS::Elasticsearch::Domain" => {
            specs![doc("AccessPolicies", ResourcePolicy, Link::Owner)]
        }
        "AWS::EC2::VPCEndpoint" => specs![doc("PolicyDocument", ResourcePolicy, Link::Owner)],
        "AWS::S3::AccessPoint" => specs![doc("Policy", ResourcePolicy, Link::Owner)],
        "AWS::ApiGateway::RestApi" => specs![doc("Policy", ResourcePolicy, Link::Owner)],
        "AWS::EFS::FileSystem" => specs![doc("FileSystemPolicy", ResourcePolicy, Link::Owner)],
        "AWS::Backup::BackupVault" => specs![doc("AccessPolicy", ResourcePolicy, Link::Owner)],
        "AWS::Logs::ResourcePolicy" => specs![doc("PolicyDocument", ResourcePolicy, Link::None)],
        _ => specs![],
    }
}

/// The principal side of an attachment.
#[derive(Debug, Clone, Copy)]
enum PrincipalSide {
    /// The owner is the principal (`managed_policy_arns` of a role).
    Owner(&'static str),
    /// (attribute, principal type, target) for each attribute naming principals.
    Attrs(&'static [(&'static str, &'static str, Target<'static>)]),
}

/// The policy side of an attachment.
#[derive(Debug, Clone, Copy)]
enum PolicySide {
    /// An attribute holding one ARN or a list of ARNs.
    Attr(&'static str, Target<'static>),
    /// The owner is the policy (`AWS::IAM::ManagedPolicy` `Roles`…).
    Owner,
}

fn attachment_spec(resource_type: &str) -> Option<(PrincipalSide, PolicySide)> {
    use PolicySide::Attr;
    use PrincipalSide::{Attrs, Owner};
    Some(match resource_type {
        "aws_iam_role_policy_attachment" => (Attrs(&[("role", "role", TF_ROLE)]), Attr("policy_arn", TF_POLICY)),
        "aws_iam_user_policy_attachment" => (Attrs(&[("user", "user", TF_USER)]), Attr("policy_arn", TF_POLICY)),
        "aws_iam_group_policy_attachment" => (Attrs(&[("group", "group", TF_GROUP)]), Attr("policy_arn", TF_POLICY)),
        "aws_iam_policy_attachment" => (
            Attrs(&[("roles", "role", TF_ROLE), ("users", "user", TF_USER), ("groups", "group", TF_GROUP)]),
            Attr("policy_arn", TF_POLICY),
        ),
        "aws_iam_role_policy_attachments_exclusive" => {
            (Attrs(&[("role_name", "role", TF_ROLE)]), Attr("policy_arns", TF_POLICY))
        }
        "aws_iam_user_policy_attachments_exclusive" => {
            (Attrs(&[("user_name", "user", TF_USER)]), Attr("policy_arns", TF_POLICY))
        }
        "aws_iam_group_policy_attachments_exclusive" => {
            (Attrs(&[("group_name", "group", TF_GROUP)]), Attr("policy_arns", TF_POLICY))
        }
        "aws_iam_role" => (Owner("role"), Attr("managed_policy_arns", TF_POLICY)),
        "AWS::IAM::Role" => (Owner("role"), Attr("ManagedPolicyArns", CFN_POLICY)),
        "AWS::IAM::User" => (Owner("user"), Attr("ManagedPolicyArns", CFN_POLICY)),
        "AWS::IAM::Group" => (Owner("group"), Attr("ManagedPolicyArns", CFN_POLICY)),
        "AWS::IAM::ManagedPolicy" => (
            Attrs(&[("Roles", "role", CFN_ROLE), ("Users", "user", CFN_USER), ("Groups", "group", CFN_GROUP)]),
            PolicySide::Owner,
        ),
        _ => return None,
    })
}

/// Derives `policies`, `attachments` and `principals` from resources (in
/// graph order) and edges.
pub(crate) fn derive(index: &Index<'_>, resources: &[Resource]) -> (Vec<Policy>, Vec<Attachment>, Vec<Principal>) {
    let mut attachments = Vec::new();
    // (policy address, principal address) for every resolved attachment.
    let mut links: BTreeSet<(String, String)> = BTreeSet::new();
    for r in resources.iter().filter(|r| r.mode == Mode::Managed) {
        if let Some((principals, policy)) = attachment_spec(&r.resource_type) {
            attach(index, r, principals, policy, &mut attachments, &mut links);
        }
    }
    let mut policies = Vec::new();
    for r in resources.iter().filter(|r| r.mode == Mode::Managed) {
        if r.resource_type == "iam_policy" {
            policies.push(raw_policy(r));
            continue;
        }
        for spec in doc_specs(&r.resource_type) {
            collect_documents(index, r, spec, &links, &mut policies);
        }
    }
    policies.sort_by(|a, b| {
        (&a.loc.file, a.loc.line, &a.owner, &a.attribute).cmp(&(&b.loc.file, b.loc.line, &b.owner, &b.attribute))
    });
    attachments.sort_by(|a, b| (&a.loc.file, a.loc.line).cmp(&(&b.loc.file, b.loc.line)));
    let principals = principals(index, resources);
    (policies, attachments, principals)
}

/// (principal type, permissions-boundary attribute, policy target) of the
/// resource types that are IAM principals.
fn principal_spec(resource_type: &str) -> Option<(&'static str, Option<Side>)> {
    Some(match resource_type {
        "aws_iam_role" => ("role", Some(("permissions_boundary", TF_POLICY))),
        "aws_iam_user" => ("user", Some(("permissions_boundary", TF_POLICY))),
        "aws_iam_group" => ("group", None),
        "AWS::IAM::Role" => ("role", Some(("PermissionsBoundary", CFN_POLICY))),
        "AWS::IAM::User" => ("user", Some(("PermissionsBoundary", CFN_POLICY))),
        "AWS::IAM::Group" => ("group", None),
        _ => return None,
    })
}

/// An attribute naming principals, and the type of principal it names.
type Side = (&'static str, Target<'static>);

/// Group memberships: (user side, group side) of the resource types that
/// declare them; `None` for the side that is the owner itself.
fn membership_spec(resource_type: &str) -> Option<(Option<Side>, Side)> {
    Some(match resource_type {
        "aws_iam_group_membership" => (Some(("users", TF_USER)), ("group", TF_GROUP)),
        "aws_iam_user_group_membership" => (Some(("user", TF_USER)), ("groups", TF_GROUP)),
        "AWS::IAM::UserToGroupAddition" => (Some(("Users", CFN_USER)), ("GroupName", CFN_GROUP)),
        "AWS::IAM::User" => (None, ("Groups", CFN_GROUP)),
        _ => return None,
    })
}

/// One entry per role, user and group resource, in graph order.
fn principals(index: &Index<'_>, resources: &[Resource]) -> Vec<Principal> {
    // User address -> (group values keyed by their JSON, declaring resources).
    let mut groups: BTreeMap<&str, (BTreeMap<String, Value>, BTreeSet<String>)> = BTreeMap::new();
    for r in resources.iter().filter(|r| r.mode == Mode::Managed) {
        let Some((users_side, (group_attr, group_target))) = membership_spec(&r.resource_type) else { continue };
        let group_value = r.attributes.get(group_attr).unwrap_or(&NULL);
        let group_refs = index.resolve(r, group_value, group_attr, &group_target, true);
        if group_refs.is_empty() {
            continue;
        }
        let users: Vec<&Resource> = match users_side {
            None => vec![r],
            Some((attr, target)) => {
                let value = r.attributes.get(attr).unwrap_or(&NULL);
                index.resolve(r, value, attr, &target, true).into_iter().filter_map(|u| u.resource).collect()
            }
        };
        for u in users {
            let entry = groups.entry(u.address.as_str()).or_default();
            for g in &group_refs {
                let v = g.to_value();
                entry.0.insert(serde_json::to_string(&v).unwrap_or_default(), v);
            }
            if r.address != u.address {
                entry.1.insert(r.address.clone());
            }
        }
    }
    resources
        .iter()
        .filter(|r| r.mode == Mode::Managed)
        .filter_map(|r| {
            let (kind, boundary) = principal_spec(&r.resource_type)?;
            let (group_values, memberships) = groups.remove(r.address.as_str()).unwrap_or_default();
            Some(Principal {
                address: r.address.clone(),
                resource_type: r.resource_type.clone(),
                principal_type: kind.to_string(),
                groups: group_values.into_values().collect(),
                memberships: memberships.into_iter().collect(),
                permissions_boundary: boundary.and_then(|(attr, target)| permissions_boundary(index, r, attr, target)),
                identity_policies: Vec::new(),
                aws_managed_policies: Vec::new(),
                attachments: Vec::new(),
                loc: r.loc.clone(),
            })
        })
        .collect()
}

/// The boundary named by `attr`, linked to its in-graph policy where
/// possible. `resolved` is set for in-graph policies here, and for
/// AWS-managed ones once the catalog is known (`grants`).
fn permissions_boundary(
    index: &Index<'_>,
    owner: &Resource,
    attr: &str,
    target: Target<'static>,
) -> Option<PermissionsBoundary> {
    let value = owner.attributes.get(attr)?;
    if matches!(value, Value::Null) {
        return None;
    }
    let found = index.resolve(owner, value, attr, &target, true).into_iter().next();
    let policy = found.as_ref().and_then(|r| r.resource).map(|p| p.address.clone());
    Some(PermissionsBoundary { arn: value.clone(), resolved: policy.is_some(), policy, loc: owner.loc_of(attr) })
}

fn attach(
    index: &Index<'_>,
    owner: &Resource,
    principals: PrincipalSide,
    policy: PolicySide,
    out: &mut Vec<Attachment>,
    links: &mut BTreeSet<(String, String)>,
) {
    // (principal type, reference, attribute path of the element).
    let principal_refs: Vec<(&str, Ref<'_>, Option<String>)> = match principals {
        PrincipalSide::Owner(kind) => {
            vec![(kind, Ref { value: Value::String(owner.address.clone()), resource: Some(owner) }, None)]
        }
        PrincipalSide::Attrs(attrs) => attrs
            .iter()
            .flat_map(|(attr, kind, target)| {
                let value = owner.attributes.get(attr).unwrap_or(&NULL);
                let refs = index.resolve(owner, value, attr, target, true);
                refs.into_iter().enumerate().map(move |(i, r)| (*kind, r, Some(element_path(attr, value, i))))
            })
            .collect(),
    };
    // (reference, attribute path of the element).
    let policy_refs: Vec<(Ref<'_>, Option<String>)> = match policy {
        PolicySide::Owner => {
            // What `Ref` of a managed policy returns: its ARN.
            vec![(Ref { value: Value::unknown(owner.address.clone()), resource: Some(owner) }, None)]
        }
        PolicySide::Attr(attr, target) => {
            // An unknown list of ARNs is one attachment with an unknown ARN.
            let value = owner.attributes.get(attr).unwrap_or(&NULL);
            let refs = index.resolve(owner, value, attr, &target, true);
            refs.into_iter().enumerate().map(|(i, r)| (r, Some(element_path(attr, value, i)))).collect()
        }
    };
    for (policy_ref, policy_path) in &policy_refs {
        for (kind, principal_ref, principal_path) in &principal_refs {
            let loc = match (policy_path, principal_path) {
                (Some(p), _) | (None, Some(p)) => owner.loc_of(p),
                (None, None) => owner.loc.clone(),
            };
            if let (Some(p), Some(q)) = (policy_ref.resource, principal_ref.resource) {
                links.insert((p.address.clone(), q.address.clone()));
            }
            out.push(Attachment {
                owner: owner.address.clone(),
                owner_type: owner.resource_type.clone(),
                principal_type: (*kind).to_string(),
                principal: principal_ref.to_value(),
                policy_arn: policy_ref.value.clone(),
                policy: policy_ref.resource.map(|r| r.address.clone()),
                loc,
            });
        }
    }
}

/// `attr[i]` when the attribute holds a list, else `attr`.
fn element_path(attr: &str, value: &Value, i: usize) -> String {
    match value {
        Value::List(_) => path::index(attr, i),
        _ => attr.to_string(),
    }
}

fn collect_documents(
    index: &Index<'_>,
    owner: &Resource,
    spec: &DocSpec,
    links: &BTreeSet<(String, String)>,
    out: &mut Vec<Policy>,
) {
    let Some(top) = owner.attributes.get(spec.attr) else { return };
    match spec.each {
        None => {
            if let Some(p) = build_policy(index, owner, spec, spec.attr, top, links) {
                out.push(p);
            }
        }
        Some(key) => match top {
            Value::List(blocks) => {
                for (i, block) in blocks.iter().enumerate() {
                    let block_path = path::index(spec.attr, i);
                    let (attr_path, document) = match block {
                        Value::Unknown(_) => (block_path, block),
                        other => match other.get(key) {
                            Some(d) => (path::key(&block_path, key), d),
                            None => continue,
                        },
                    };
                    if let Some(p) = build_policy(index, owner, spec, &attr_path, document, links) {
                        out.push(p);
                    }
                }
            }
            // A dynamic list of blocks that is unknown as a whole.
            Value::Unknown(_) => {
                if let Some(p) = build_policy(index, owner, spec, spec.attr, top, links) {
                    out.push(p);
                }
            }
            _ => {}
        },
    }
}

/// An absent attribute.
static NULL: Value = Value::Null;

/// The document of an attribute, as a policy would see it.
enum Document<'a> {
    /// Unknown before apply.
    Unknown,
    /// Not a JSON object (invalid JSON text, a number…): an error in the
    /// reviewed code; the policy is kept with no statements.
    Invalid,
    Parsed(Cow<'a, Value>),
}

fn read_document(value: &Value) -> Option<Document<'_>> {
    match value {
        Value::Null => None,
        Value::Unknown(_) => Some(Document::Unknown),
        Value::Map(_) => Some(Document::Parsed(Cow::Borrowed(value))),
        // `{"$unknown": "what"}` in the text is an unknown value: the
        // Terraform evaluator's `jsonencode` (and the rendering of
        // `aws_iam_policy_document`) writes unknowns that way, in place.
        Value::String(text) => match Value::parse_json_marked(text) {
            Ok(doc @ (Value::Map(_) | Value::Unknown(_))) => Some(Document::Parsed(Cow::Owned(doc))),
            Ok(_) | Err(_) => Some(Document::Invalid),
        },
        _ => Some(Document::Invalid),
    }
}

fn build_policy(
    index: &Index<'_>,
    owner: &Resource,
    spec: &DocSpec,
    attr_path: &str,
    value: &Value,
    links: &BTreeSet<(String, String)>,
) -> Option<Policy> {
    let document = read_document(value)?;
    let data_doc = policy_document_source(index, owner, spec, value);
    let stmt_loc = |i: usize| statement_loc(owner, attr_path, data_doc, i);
    let (unknown, statements) = match document {
        Document::Unknown => (true, Vec::new()),
        Document::Invalid => (false, Vec::new()),
        Document::Parsed(doc) => normalize::statements(&doc, stmt_loc),
    };
    let (principals, target) = link(index, owner, spec, links);
    Some(Policy {
        id: policy_id(&owner.address, attr_path),
        owner: owner.address.clone(),
        owner_type: owner.resource_type.clone(),
        attribute: attr_path.to_string(),
        role: spec.role,
        principals,
        target,
        unknown,
        statements,
        loc: owner.loc_of(attr_path),
    })
}

fn policy_id(owner: &str, attr_path: &str) -> String {
    if attr_path.is_empty() { owner.to_string() } else { format!("{owner}#{attr_path}") }
}

/// The `data.aws_iam_policy_document` a Terraform document was rendered
/// from: the one whose rendered `json` equals the text, else the only one
/// the attribute references (for single-document attributes).
fn policy_document_source<'a>(
    index: &Index<'a>,
    owner: &Resource,
    spec: &DocSpec,
    value: &Value,
) -> Option<&'a Resource> {
    let candidates: Vec<&Resource> = index
        .edges(&owner.address, spec.attr)
        .filter_map(|e| index.edge_target(&e.to))
        .filter(|r| r.mode == Mode::Data && r.resource_type == "aws_iam_policy_document")
        .collect();
    if let Some(text) = value.as_str()
        && let Some(r) = candidates.iter().find(|r| r.attributes.get("json").and_then(Value::as_str) == Some(text))
    {
        return Some(r);
    }
    match candidates.as_slice() {
        [only] if spec.each.is_none() => Some(only),
        _ => None,
    }
}

fn statement_loc(owner: &Resource, attr_path: &str, data_doc: Option<&Resource>, i: usize) -> Location {
    let stmt_path = path::index(&path::key(attr_path, "Statement"), i);
    if !owner.spans.contains_key(&stmt_path)
        && let Some(data) = data_doc
    {
        let block = path::index("statement", i);
        if data.spans.contains_key(&block) {
            // The lines of the statement block, named after the resource the
            // document takes effect in (one data source may serve several).
            return Location { address: owner.address.clone(), ..data.loc_of(&block) };
        }
    }
    owner.loc_of(&stmt_path)
}

fn link(
    index: &Index<'_>,
    owner: &Resource,
    spec: &DocSpec,
    links: &BTreeSet<(String, String)>,
) -> (Vec<String>, Option<String>) {
    let mut found: Vec<String> = match spec.link {
        Link::None => Vec::new(),
        Link::Owner => vec![owner.address.clone()],
        Link::Refs(attrs) => attrs
            .iter()
            .flat_map(|(attr, target)| {
                let value = owner.attributes.get(attr).unwrap_or(&NULL);
                index.resolve(owner, value, attr, target, true)
            })
            .filter_map(|r| r.resource.map(|r| r.address.clone()))
            .collect(),
        Link::Attached => links
            .range((owner.address.clone(), String::new())..)
            .take_while(|(p, _)| *p == owner.address)
            .map(|(_, q)| q.clone())
            .collect(),
    };
    match spec.role {
        PolicyRole::Identity => {
            found.sort();
            found.dedup();
            (found, None)
        }
        PolicyRole::Resource => (Vec::new(), found.into_iter().next()),
        PolicyRole::Trust => (Vec::new(), None),
    }
}

/// A raw IAM policy file: the whole document. An identity policy when no
/// statement names a principal; else a trust policy when it only allows
/// assuming a role (the output of `aws iam get-role`, or a trust policy kept
/// in its own file); else a resource policy.
fn raw_policy(owner: &Resource) -> Policy {
    let (unknown, statements) = match read_document(&owner.attributes) {
        Some(Document::Parsed(doc)) => normalize::statements(&doc, |i| owner.loc_of(&path::index("Statement", i))),
        Some(Document::Unknown) => (true, Vec::new()),
        Some(Document::Invalid) | None => (false, Vec::new()),
    };
    let role = if !statements.iter().any(|s| !s.principals.is_empty() || !s.not_principals.is_empty()) {
        PolicyRole::Identity
    } else if is_trust_document(&statements) {
        PolicyRole::Trust
    } else {
        PolicyRole::Resource
    };
    Policy {
        id: policy_id(&owner.address, ""),
        owner: owner.address.clone(),
        owner_type: owner.resource_type.clone(),
        attribute: String::new(),
        role,
        principals: Vec::new(),
        target: None,
        unknown,
        statements,
        loc: owner.loc.clone(),
    }
}

/// A document with principals whose every statement only allows assuming
/// a role (`sts:AssumeRole*`, `sts:TagSession`, `sts:SetSourceIdentity`,
/// `sts:SetContext`) is a role's trust policy.
fn is_trust_document(statements: &[super::Statement]) -> bool {
    let assume = |a: &Value| {
        a.as_str().is_some_and(|a| {
            let a = a.to_ascii_lowercase();
            a.starts_with("sts:assumerole")
                || matches!(a.as_str(), "sts:tagsession" | "sts:setsourceidentity" | "sts:setcontext")
        })
    };
    !statements.is_empty()
        && statements.iter().all(|s| s.not_actions.is_empty() && !s.actions.is_empty() && s.actions.iter().all(assume))
}

#[cfg(test)]
mod tests;
