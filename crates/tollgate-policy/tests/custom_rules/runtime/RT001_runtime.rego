# METADATA
# title: Reads the runtime environment
# description: Calls opa.runtime().
# custom:
#   id: RT001
#   severity: low
#   hazard_zone: C
#   remediation: none
package custom.runtime

import rego.v1

deny contains f if {
	resp := opa.runtime()
	f := {"msg": sprintf("%v", [resp]), "loc": input.resources[0].loc}
}
