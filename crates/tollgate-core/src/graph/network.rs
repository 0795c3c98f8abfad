//! Security-group rules in one shape.
//!
//! Sources: Terraform `aws_security_group` / `aws_default_security_group`
//! inline `ingress`/`egress` blocks, `aws_security_group_rule`,
//! `aws_vpc_security_group_ingress_rule` / `_egress_rule`; CloudFormation
//! `AWS::EC2::SecurityGroup` `SecurityGroupIngress`/`SecurityGroupEgress`
//! and `AWS::EC2::SecurityGroupIngress` / `AWS::EC2::SecurityGroupEgress`.
//!
//! Protocols are normalized to `tcp`, `udp`, `icmp`, `icmpv6`, `all` (for
//! `-1`/`all`), another protocol as its lowercased name or number string, or
//! unknown. Ports: `all` and protocols other than tcp/udp/icmp/icmpv6 cover
//! 0–65535 (EC2 ignores the ports given for them); tcp/udp keep the range as
//! written (as numbers); icmp/icmpv6 keep `from_port`/`to_port` as written,
//! which there are the ICMP type and code (-1 = any); an unknown protocol
//! keeps the ports as written.

use super::index::{Index, Target};
use super::{Direction, Location, Mode, NetworkRule, Resource, path};
use crate::value::Value;

const TF_GROUP: Target<'static> =
    Target { types: &["aws_security_group", "aws_default_security_group"], name_attrs: &[] };
const CFN_GROUP: Target<'static> = Target { types: &["AWS::EC2::SecurityGroup"], name_attrs: &[] };

/// Field names of one rule shape.
struct Fields {
    protocol: &'static str,
    from_port: &'static str,
    to_port: &'static str,
    cidr_ipv4: &'static [&'static str],
    cidr_ipv6: &'static [&'static str],
    source_groups: &'static [&'static str],
    prefix_lists: &'static [&'static str],
    /// Boolean field meaning "the owning group itself" (Terraform `self`).
    self_flag: Option<&'static str>,
    description: &'static str,
}

const TF_INLINE: Fields = Fields {
    protocol: "protocol",
    from_port: "from_port",
    to_port: "to_port",
    cidr_ipv4: &["cidr_blocks"],
    cidr_ipv6: &["ipv6_cidr_blocks"],
    source_groups: &["security_groups"],
    prefix_lists: &["prefix_list_ids"],
    self_flag: Some("self"),
    description: "description",
};

const TF_RULE: Fields = Fields {
    protocol: "protocol",
    from_port: "from_port",
    to_port: "to_port",
    cidr_ipv4: &["cidr_blocks"],
    cidr_ipv6: &["ipv6_cidr_blocks"],
    source_groups: &["source_security_group_id"],
    prefix_lists: &["prefix_list_ids"],
    self_flag: Some("self"),
    description: "description",
};

const TF_VPC_RULE: Fields = Fields {
    protocol: "ip_protocol",
    from_port: "from_port",
    to_port: "to_port",
    cidr_ipv4: &["cidr_ipv4"],
    cidr_ipv6: &["cidr_ipv6"],
    source_groups: &["referenced_security_group_id"],
    prefix_lists: &["prefix_list_id"],
    self_flag: None,
    description: "description",
};

const CFN_INGRESS: Fields = Fields {
    protocol: "IpProtocol",
    from_port: "FromPort",
    to_port: "ToPort",
    cidr_ipv4: &["CidrIp"],
    cidr_ipv6: &["CidrIpv6"],
    source_groups: &["SourceSecurityGroupId", "SourceSecurityGroupName"],
    prefix_lists: &["SourcePrefixListId"],
    self_flag: None,
    description: "Description",
};

const CFN_EGRESS: Fields = Fields {
    protocol: "IpProtocol",
    from_port: "FromPort",
    to_port: "ToPort",
    cidr_ipv4: &["CidrIp"],
    cidr_ipv6: &["CidrIpv6"],
    source_groups: &["DestinationSecurityGroupId"],
    prefix_lists: &["DestinationPrefixListId"],
    self_flag: None,
    description: "Description",
};

/// Derives `network_rules` from resources (in graph order) and edges.
pub(crate) fn derive(index: &Index<'_>, resources: &[Resource]) -> Vec<NetworkRule> {
    let mut out = Vec::new();
    for r in resources.iter().filter(|r| r.mode == Mode::Managed) {
        match r.resource_type.as_str() {
            "aws_security_group" | "aws_default_security_group" => {
                inline(index, r, "ingress", Direction::Ingress, &TF_INLINE, &mut out);
                inline(index, r, "egress", Direction::Egress, &TF_INLINE, &mut out);
            }
            "AWS::EC2::SecurityGroup" => {
                inline(index, r, "SecurityGroupIngress", Direction::Ingress, &CFN_INGRESS, &mut out);
                inline(index, r, "SecurityGroupEgress", Direction::Egress, &CFN_EGRESS, &mut out);
            }
            "aws_security_group_rule" => {
                let direction = match r.attributes.get("type").and_then(Value::as_str) {
                    Some("ingress") => Direction::Ingress,
                    Some("egress") => Direction::Egress,
                    // An unknown or invalid `type`: the direction cannot be told.
                    _ => continue,
                };
                standalone(index, r, direction, &TF_RULE, "security_group_id", TF_GROUP, &mut out);
            }
            "aws_vpc_security_group_ingress_rule" => {
                standalone(index, r, Direction::Ingress, &TF_VPC_RULE, "security_group_id", TF_GROUP, &mut out);
            }
            "aws_vpc_security_group_egress_rule" => {
                standalone(index, r, Direction::Egress, &TF_VPC_RULE, "security_group_id", TF_GROUP, &mut out);
            }
            "AWS::EC2::SecurityGroupIngress" => {
                let group_attr = if r.attributes.get("GroupId").is_some() { "GroupId" } else { "GroupName" };
                standalone(index, r, Direction::Ingress, &CFN_INGRESS, group_attr, CFN_GROUP, &mut out);
            }
            "AWS::EC2::SecurityGroupEgress" => {
                standalone(index, r, Direction::Egress, &CFN_EGRESS, "GroupId", CFN_GROUP, &mut out);
            }
            _ => {}
        }
    }
    out.sort_by(|a, b| (&a.loc.file, a.loc.line, &a.owner).cmp(&(&b.loc.file, b.loc.line, &b.owner)));
    out
}

/// The inline rule blocks of a group: one rule per block.
fn inline(
    index: &Index<'_>,
    group: &Resource,
    attr: &str,
    direction: Direction,
    fields: &Fields,
    out: &mut Vec<NetworkRule>,
) {
    let group_value = Value::String(group.address.clone());
    match group.attributes.get(attr) {
        Some(Value::List(blocks)) => {
            for (i, block) in blocks.iter().enumerate() {
                let block_path = path::index(attr, i);
                let loc = group.loc_of(&block_path);
                out.push(rule(index, group, attr, false, block, direction, fields, group_value.clone(), loc));
            }
        }
        // A single block written as a map (CloudFormation allows neither,
        // but a map is read as the one rule it describes).
        Some(block @ Value::Map(_)) => {
            out.push(rule(index, group, attr, false, block, direction, fields, group_value, group.loc_of(attr)));
        }
        // Dynamic blocks over unknown input: a rule whose every part is unknown.
        Some(unknown @ Value::Unknown(_)) => {
            out.push(rule(index, group, attr, false, unknown, direction, fields, group_value, group.loc_of(attr)));
        }
        _ => {}
    }
}

/// A rule that is a resource of its own.
fn standalone(
    index: &Index<'_>,
    r: &Resource,
    direction: Direction,
    fields: &Fields,
    group_attr: &str,
    group_target: Target<'_>,
    out: &mut Vec<NetworkRule>,
) {
    let group_value = r.attributes.get(group_attr).cloned().unwrap_or(Value::Null);
    let security_group = match index.resolve(r, &group_value, group_attr, &group_target, true).first() {
        Some(g) => g.to_value(),
        None => group_value,
    };
    out.push(rule(index, r, "", true, &r.attributes, direction, fields, security_group, r.loc.clone()));
}

#[allow(clippy::too_many_arguments)]
fn rule(
    index: &Index<'_>,
    owner: &Resource,
    edge_attr: &str,
    top_level: bool,
    block: &Value,
    direction: Direction,
    fields: &Fields,
    security_group: Value,
    loc: Location,
) -> NetworkRule {
    if let Value::Unknown(_) = block {
        return NetworkRule {
            direction,
            protocol: block.clone(),
            from_port: block.clone(),
            to_port: block.clone(),
            cidr_ipv4: vec![block.clone()],
            cidr_ipv6: vec![block.clone()],
            source_groups: vec![block.clone()],
            prefix_lists: vec![block.clone()],
            security_group,
            owner: owner.address.clone(),
            owner_type: owner.resource_type.clone(),
            description: None,
            loc,
        };
    }
    let field = |name: &str| block.get(name).cloned().unwrap_or(Value::Null);
    let protocol = protocol(&field(fields.protocol));
    let (from_port, to_port) = ports(&protocol, &field(fields.from_port), &field(fields.to_port));
    let gather = |names: &[&str]| -> Vec<Value> {
        names.iter().flat_map(|n| block.get(n).map(Value::as_one_or_many).unwrap_or_default()).cloned().collect()
    };
    let group_target = if owner.resource_type.starts_with("AWS::") { CFN_GROUP } else { TF_GROUP };
    let mut source_groups = Vec::new();
    for name in fields.source_groups {
        let Some(value) = block.get(name) else { continue };
        // Standalone rules hold the reference at the top level; inline
        // blocks share their edges with sibling blocks (no positional fill).
        let edge_attr = if top_level { *name } else { edge_attr };
        for r in index.resolve(owner, value, edge_attr, &group_target, top_level) {
            source_groups.push(r.to_value());
        }
    }
    if let Some(flag) = fields.self_flag {
        match block.get(flag) {
            Some(Value::Bool(true)) => source_groups.push(security_group.clone()),
            Some(v @ Value::Unknown(_)) => source_groups.push(v.clone()),
            Some(v) if v.as_bool() == Some(true) => source_groups.push(security_group.clone()),
            _ => {}
        }
    }
    NetworkRule {
        direction,
        protocol,
        from_port,
        to_port,
        cidr_ipv4: gather(fields.cidr_ipv4),
        cidr_ipv6: gather(fields.cidr_ipv6),
        source_groups,
        prefix_lists: gather(fields.prefix_lists),
        security_group,
        owner: owner.address.clone(),
        owner_type: owner.resource_type.clone(),
        description: block.get(fields.description).and_then(Value::as_str).map(str::to_string),
        loc,
    }
}

/// Normalizes an IP protocol (see the module docs).
pub(crate) fn protocol(value: &Value) -> Value {
    let number = |n: i64| -> Value {
        match n {
            -1 => "all".into(),
            1 => "icmp".into(),
            6 => "tcp".into(),
            17 => "udp".into(),
            58 => "icmpv6".into(),
            other => other.to_string().into(),
        }
    };
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(i) => number(i),
            None => n.to_string().into(),
        },
        Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            match s.parse::<i64>() {
                Ok(i) => number(i),
                Err(_) if s == "all" => "all".into(),
                Err(_) if s == "icmp-v6" || s == "ipv6-icmp" => "icmpv6".into(),
                Err(_) => s.into(),
            }
        }
        other => other.clone(),
    }
}

/// The effective port range of a rule with a normalized protocol.
pub(crate) fn ports(protocol: &Value, from: &Value, to: &Value) -> (Value, Value) {
    match protocol.as_str() {
        Some("tcp" | "udp" | "icmp" | "icmpv6") => (port(from), port(to)),
        Some(_) => (Value::from(0), Value::from(65535)),
        None => (port(from), port(to)),
    }
}

/// A port as a number when it is one (also written as a string).
fn port(value: &Value) -> Value {
    match value {
        Value::String(s) => match s.trim().parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => value.clone(),
        },
        Value::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => value.clone(),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests;
