use serde_json::json;

use super::*;
use crate::graph::Graph;
use crate::graph::index::test_support::{at, edge, res, spans};

fn s(x: &str) -> Value {
    Value::from(x)
}

fn n(x: i64) -> Value {
    Value::from(x)
}

/// (direction, protocol, from, to, ipv4, ipv6, source groups, prefix lists, group, line)
type Row = (Direction, Value, Value, Value, Vec<Value>, Vec<Value>, Vec<Value>, Vec<Value>, Value, u32);

fn rows(g: &Graph) -> Vec<Row> {
    g.network_rules
        .iter()
        .map(|r| {
            (
                r.direction,
                r.protocol.clone(),
                r.from_port.clone(),
                r.to_port.clone(),
                r.cidr_ipv4.clone(),
                r.cidr_ipv6.clone(),
                r.source_groups.clone(),
                r.prefix_lists.clone(),
                r.security_group.clone(),
                r.loc.line,
            )
        })
        .collect()
}

#[test]
fn protocols_normalize() {
    let cases = [
        (s("-1"), s("all")),
        (n(-1), s("all")),
        (s("ALL"), s("all")),
        (s("6"), s("tcp")),
        (n(6), s("tcp")),
        (s("TCP"), s("tcp")),
        (s("17"), s("udp")),
        (s("1"), s("icmp")),
        (n(58), s("icmpv6")),
        (s("icmpv6"), s("icmpv6")),
        (s("50"), s("50")),
        (s("Esp"), s("esp")),
        (Value::unknown("var.p"), Value::unknown("var.p")),
    ];
    for (given, want) in cases {
        assert_eq!(protocol(&given), want, "{given:?}");
    }
}

#[test]
fn ports_follow_the_protocol() {
    assert_eq!(ports(&s("all"), &n(0), &n(0)), (n(0), n(65535)));
    assert_eq!(ports(&s("tcp"), &s("22"), &n(22)), (n(22), n(22)));
    assert_eq!(ports(&s("icmp"), &n(8), &n(-1)), (n(8), n(-1)));
    assert_eq!(ports(&s("50"), &n(1), &n(2)), (n(0), n(65535)));
    assert_eq!(ports(&s("tcp"), &Value::unknown("var.port"), &n(80)), (Value::unknown("var.port"), n(80)));
    assert_eq!(ports(&Value::unknown("var.p"), &n(1), &n(2)), (n(1), n(2)));
    assert_eq!(ports(&s("tcp"), &Value::Null, &Value::Null), (Value::Null, Value::Null));
}

#[test]
fn terraform_inline_blocks_one_rule_each() {
    let sg = spans(
        res(
            "aws_security_group.web",
            "aws_security_group",
            1,
            30,
            json!({
                "name": "web",
                "ingress": [
                    {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "description": "ssh"},
                    {"from_port": 0, "to_port": 0, "protocol": "-1", "ipv6_cidr_blocks": ["::/0"], "self": true,
                     "security_groups": [{"$unknown": "aws_security_group.lb.id"}, "sg-123"]}
                ],
                "egress": [{"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"], "prefix_list_ids": ["pl-1"]}]
            }),
        ),
        &[("ingress[0]", 3, 9), ("ingress[1]", 10, 17), ("egress[0]", 18, 24)],
    );
    let lb = res("aws_security_group.lb", "aws_security_group", 40, 45, json!({}));
    let edges = vec![edge("aws_security_group.web", "aws_security_group.lb", "ingress")];
    let g = Graph::build(vec![sg, lb], edges);
    let web = s("aws_security_group.web");
    assert_eq!(
        rows(&g),
        vec![
            (Direction::Ingress, s("tcp"), n(22), n(22), vec![s("0.0.0.0/0")], vec![], vec![], vec![], web.clone(), 3),
            (
                Direction::Ingress,
                s("all"),
                n(0),
                n(65535),
                vec![],
                vec![s("::/0")],
                vec![s("aws_security_group.lb"), s("sg-123"), web.clone()],
                vec![],
                web.clone(),
                10
            ),
            (
                Direction::Egress,
                s("all"),
                n(0),
                n(65535),
                vec![s("0.0.0.0/0")],
                vec![],
                vec![],
                vec![s("pl-1")],
                web,
                18
            ),
        ]
    );
    assert_eq!(g.network_rules[0].description.as_deref(), Some("ssh"));
    assert_eq!(g.network_rules[0].owner, "aws_security_group.web");
    assert_eq!(g.network_rules[0].owner_type, "aws_security_group");
}

#[test]
fn terraform_rule_resources() {
    let sg = res("aws_security_group.db", "aws_security_group", 1, 3, json!({"name": "db"}));
    let rule = res(
        "aws_security_group_rule.r",
        "aws_security_group_rule",
        5,
        13,
        json!({"type": "ingress", "protocol": "6", "from_port": 0, "to_port": 65535, "cidr_blocks": "10.0.0.0/8",
               "security_group_id": {"$unknown": "aws_security_group.db.id"},
               "source_security_group_id": {"$unknown": "aws_security_group.app.id"}}),
    );
    let unknown_type = res(
        "aws_security_group_rule.u",
        "aws_security_group_rule",
        15,
        18,
        json!({"type": {"$unknown": "var.t"}, "protocol": "tcp", "security_group_id": "sg-1"}),
    );
    let v4 = res(
        "aws_vpc_security_group_ingress_rule.v",
        "aws_vpc_security_group_ingress_rule",
        20,
        26,
        json!({"security_group_id": "sg-external", "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp", "from_port": 3389, "to_port": 3389}),
    );
    let v6 = res(
        "aws_vpc_security_group_egress_rule.e",
        "aws_vpc_security_group_egress_rule",
        28,
        32,
        json!({"security_group_id": {"$unknown": "aws_security_group.db.id"}, "cidr_ipv6": "::/0", "ip_protocol": "-1",
               "referenced_security_group_id": {"$unknown": "var.peer"}, "prefix_list_id": {"$unknown": "var.pl"}}),
    );
    let edges = vec![
        edge("aws_security_group_rule.r", "aws_security_group.db", "security_group_id"),
        edge("aws_vpc_security_group_egress_rule.e", "aws_security_group.db", "security_group_id"),
    ];
    let g = Graph::build(vec![sg, rule, unknown_type, v4, v6], edges);
    let db = s("aws_security_group.db");
    assert_eq!(
        rows(&g),
        vec![
            (
                Direction::Ingress,
                s("tcp"),
                n(0),
                n(65535),
                vec![s("10.0.0.0/8")],
                vec![],
                vec![Value::unknown("aws_security_group.app.id")],
                vec![],
                db.clone(),
                5
            ),
            (
                Direction::Ingress,
                s("tcp"),
                n(3389),
                n(3389),
                vec![s("0.0.0.0/0")],
                vec![],
                vec![],
                vec![],
                s("sg-external"),
                20
            ),
            (
                Direction::Egress,
                s("all"),
                n(0),
                n(65535),
                vec![],
                vec![s("::/0")],
                vec![Value::unknown("var.peer")],
                vec![Value::unknown("var.pl")],
                db,
                28
            ),
        ],
        "a rule whose type is unknown has no direction and is left out"
    );
}

#[test]
fn cloudformation_groups_and_rules() {
    let sg = spans(
        res(
            "WebSG",
            "AWS::EC2::SecurityGroup",
            10,
            30,
            json!({
                "GroupDescription": "web",
                "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": "443", "ToPort": "443", "CidrIp": "0.0.0.0/0"},
                    {"IpProtocol": -1, "SourceSecurityGroupId": {"$unknown": "LbSG"}, "SourcePrefixListId": "pl-9"}
                ],
                "SecurityGroupEgress": [{"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "CidrIpv6": "::/0", "DestinationSecurityGroupId": "sg-9"}]
            }),
        ),
        &[("SecurityGroupIngress[0]", 13, 16), ("SecurityGroupIngress[1]", 17, 19), ("SecurityGroupEgress[0]", 21, 25)],
    );
    let lb = res("LbSG", "AWS::EC2::SecurityGroup", 32, 35, json!({"GroupDescription": "lb"}));
    let ingress = res(
        "SshIn",
        "AWS::EC2::SecurityGroupIngress",
        37,
        44,
        json!({"GroupId": {"$unknown": "Fn::GetAtt WebSG.GroupId"}, "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}),
    );
    let by_name = res(
        "NamedIn",
        "AWS::EC2::SecurityGroupIngress",
        46,
        50,
        json!({"GroupName": "default", "IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "CidrIp": "10.0.0.0/8"}),
    );
    let edges = vec![edge("WebSG", "LbSG", "SecurityGroupIngress"), edge("SshIn", "WebSG", "GroupId")];
    let g = Graph::build(vec![ingress, by_name, lb, sg], edges);
    let web = s("WebSG");
    assert_eq!(
        rows(&g),
        vec![
            (
                Direction::Ingress,
                s("tcp"),
                n(443),
                n(443),
                vec![s("0.0.0.0/0")],
                vec![],
                vec![],
                vec![],
                web.clone(),
                13
            ),
            (
                Direction::Ingress,
                s("all"),
                n(0),
                n(65535),
                vec![],
                vec![],
                vec![s("LbSG")],
                vec![s("pl-9")],
                web.clone(),
                17
            ),
            (
                Direction::Egress,
                s("icmp"),
                n(8),
                n(-1),
                vec![],
                vec![s("::/0")],
                vec![s("sg-9")],
                vec![],
                web.clone(),
                21
            ),
            (Direction::Ingress, s("tcp"), n(22), n(22), vec![s("0.0.0.0/0")], vec![], vec![], vec![], web, 37),
            (
                Direction::Ingress,
                s("udp"),
                n(53),
                n(53),
                vec![s("10.0.0.0/8")],
                vec![],
                vec![],
                vec![],
                s("default"),
                46
            ),
        ]
    );
    assert_eq!(at(&g.network_rules[3].loc), ("t.yaml", 37, 44));
}

#[test]
fn unknown_dynamic_blocks_stay_unknown() {
    let sg = res(
        "aws_security_group.d",
        "aws_security_group",
        1,
        9,
        json!({"ingress": {"$unknown": "var.rules"}, "egress": [{"$unknown": "var.rule"}]}),
    );
    let g = Graph::build(vec![sg], vec![]);
    assert_eq!(g.network_rules.len(), 2);
    let r = &g.network_rules[0];
    assert_eq!(r.direction, Direction::Ingress);
    assert_eq!(r.protocol, Value::unknown("var.rules"));
    assert_eq!(r.from_port, Value::unknown("var.rules"));
    assert_eq!(r.cidr_ipv4, vec![Value::unknown("var.rules")]);
    assert_eq!(r.security_group, s("aws_security_group.d"));
    assert_eq!(g.network_rules[1].cidr_ipv6, vec![Value::unknown("var.rule")]);
}
