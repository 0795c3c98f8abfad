# METADATA
# title: Spins
# description: A rule that never finishes in reasonable time.
# custom:
#   id: LOOP001
#   severity: low
#   hazard_zone: C
#   remediation: none
package custom.loop

import rego.v1

deny contains f if {
	some r in input.resources
	some i in numbers.range(1, 100000)
	some j in numbers.range(1, 100000)
	i == j + 1000000
	f := {"msg": "unreachable", "loc": r.loc}
}
