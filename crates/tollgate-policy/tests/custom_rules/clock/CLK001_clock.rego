# METADATA
# title: Reads the clock
# description: Calls time.now_ns().
# custom:
#   id: CLK001
#   severity: low
#   hazard_zone: C
#   remediation: none
package custom.clock

import rego.v1

deny contains f if {
	now := time.now_ns()
	f := {"msg": sprintf("%v", [now]), "loc": input.resources[0].loc}
}
