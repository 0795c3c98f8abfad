# METADATA
# title: Names every resource
# description: |
#   ## What it flags
#   Every resource (a custom-rule example).
# related_resources:
#   - https://example.com/custom
# custom:
#   id: OK001
#   severity: info
#   hazard_zone: C
#   remediation: Nothing to do.
package custom.every

import rego.v1

deny contains f if {
	some r in input.resources
	f := {"msg": sprintf("resource %s", [r.address]), "loc": r.loc}
}
