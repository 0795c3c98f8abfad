# Helpers for security-group rules (input.network_rules).
package tollgate.lib.net

import rego.v1

world_cidrs := {"0.0.0.0/0", "::/0"}

# The world CIDRs an ingress rule names (empty for egress and private sources).
world_sources(r) := [c | r.direction == "ingress"; some c in array.concat(r.cidr_ipv4, r.cidr_ipv6); c in world_cidrs]

all_protocols(r) if r.protocol in {"all", "-1"}

tcp(r) if r.protocol in {"tcp", "6"}

udp(r) if r.protocol in {"udp", "17"}

known_ports(r) if {
	is_number(r.from_port)
	is_number(r.to_port)
}

# Remote-administration ports the rule opens (SSH on tcp, RDP on tcp and udp).
admin_ports(r) := {p | some p in [22, 3389]; opens_admin(r, p)}

opens_admin(r, p) if {
	tcp(r)
	in_range(r, p)
}

opens_admin(r, p) if {
	udp(r)
	p == 3389
	in_range(r, p)
}

in_range(r, p) if {
	known_ports(r)
	r.from_port <= p
	p <= r.to_port
}

proto_name(r) := "tcp" if tcp(r)

proto_name(r) := "udp" if udp(r)

port_text(r) := sprintf("%s/%d", [proto_name(r), r.from_port]) if r.from_port == r.to_port

port_text(r) := sprintf("%s/%d-%d", [proto_name(r), r.from_port, r.to_port]) if r.from_port != r.to_port
