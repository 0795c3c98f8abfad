# METADATA
# title: More than one resource of a type
# description: Groups resources by type with a rule that builds an object of sets.
# custom:
#   id: GRP001
#   severity: low
#   hazard_zone: C
#   remediation: Keep one resource per type.
package custom.GRP001

import rego.v1

by_type[t] contains a if {
	some r in input.resources
	t := r.type
	a := r.address
}

deny contains f if {
	some r in input.resources
	n := count(by_type[r.type])
	n > 1
	f := {"msg": sprintf("%s is one of %d %s resources", [r.address, n, r.type]), "loc": r.loc}
}
