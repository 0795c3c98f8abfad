# METADATA
# title: Port other than 80/443 open to the internet
# description: |
#   ## What it flags
#   A security-group ingress rule from `0.0.0.0/0` or `::/0` on tcp or udp
#   to a port or port range other than exactly 80 or 443, that NET001 does
#   not already report (it has no remote-administration port and is not
#   all traffic). Databases (`tcp/5432`, `tcp/3306`), caches, admin UIs and
#   ranges such as `8000-9000` are the usual hits.
#
#   Not flagged: `tcp/80`, `tcp/443`, private CIDRs, ICMP, unknown values.
#
#   ## Why it is risky
#   Services other than the public web front end rarely need the whole
#   internet as their audience, and databases and management consoles
#   exposed this way are a leading cause of data breaches. Severity medium:
#   the service may well be meant to be public; zone A (network exposure).
#
#   ## Example
#   ```yaml
#   SecurityGroupIngress:
#     - IpProtocol: tcp
#       FromPort: 5432
#       ToPort: 5432
#       CidrIp: 0.0.0.0/0
#   ```
#
#   ## Fix
#   Limit the source to the clients' networks or security groups, or put
#   the service behind a load balancer that listens on 443.
# related_resources:
#   - https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
#   - https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-18
# custom:
#   id: NET002
#   severity: medium
#   hazard_zone: A
#   remediation: Restrict the source CIDR, or expose the service through a load balancer on 443.
package tollgate.rules.NET002

import rego.v1

import data.tollgate.lib.net

web_port(r) if {
	r.from_port == r.to_port
	r.from_port in {80, 443}
}

deny contains f if {
	some r in input.network_rules
	cidrs := net.world_sources(r)
	count(cidrs) > 0
	net.known_ports(r)
	not net.all_protocols(r)
	count(net.admin_ports(r)) == 0
	not web_port(r)
	text := net.port_text(r)
	f := {
		"msg": sprintf("%s → %s", [concat(", ", cidrs), text]),
		"loc": r.loc,
	}
}
