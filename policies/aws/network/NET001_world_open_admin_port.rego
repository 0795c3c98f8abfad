# METADATA
# title: Remote-administration port or all traffic open to the internet
# description: |
#   ## What it flags
#   A security-group ingress rule from `0.0.0.0/0` or `::/0` that opens SSH
#   (tcp/22), RDP (tcp/3389, udp/3389) or every port and protocol. A port
#   range that contains 22 or 3389 counts (`0-65535`, `20-25`). Applies to
#   inline `ingress` blocks, `aws_security_group_rule`,
#   `aws_vpc_security_group_ingress_rule`, CloudFormation
#   `SecurityGroupIngress` and `AWS::EC2::SecurityGroupIngress`.
#
#   Not flagged: private or named CIDRs (`10.0.0.0/8`), other security
#   groups as source, unknown CIDRs or ports.
#
#   ## Why it is risky
#   Internet-wide scanners find open SSH and RDP within minutes and try
#   credential stuffing and known exploits against them; an all-traffic rule
#   exposes every service on the instance. Severity high, zone A
#   (production network exposure).
#
#   ## Example
#   ```hcl
#   ingress {
#     from_port   = 22
#     to_port     = 22
#     protocol    = "tcp"
#     cidr_blocks = ["0.0.0.0/0"]
#   }
#   ```
#
#   ## Fix
#   Allow only the administrators' network (`203.0.113.0/24`) or a bastion's
#   security group, or drop the port and use AWS Systems Manager Session
#   Manager or EC2 Instance Connect Endpoint.
# related_resources:
#   - https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
#   - https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-13
# custom:
#   id: NET001
#   severity: high
#   hazard_zone: A
#   remediation: Restrict the source CIDR to a known network, or use Session Manager instead of an open admin port.
package tollgate.rules.NET001

import rego.v1

import data.tollgate.lib.net

deny contains f if {
	some r in input.network_rules
	cidrs := net.world_sources(r)
	count(cidrs) > 0
	net.all_protocols(r)
	f := {
		"msg": sprintf("%s → all ports and protocols", [concat(", ", cidrs)]),
		"loc": r.loc,
	}
}

deny contains f if {
	some r in input.network_rules
	cidrs := net.world_sources(r)
	count(cidrs) > 0
	not net.all_protocols(r)
	ports := net.admin_ports(r)
	count(ports) > 0
	f := {
		"msg": sprintf("%s → %s%s", [concat(", ", cidrs), net.port_text(r), includes(r, ports)]),
		"loc": r.loc,
	}
}

includes(r, _) := "" if r.from_port == r.to_port

includes(r, ports) := sprintf(" (includes %s)", [concat(", ", [sprintf("%d", [p]) | some p in sort(ports)])]) if {
	r.from_port != r.to_port
}
