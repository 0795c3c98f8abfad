# METADATA
# title: Bad metadata
# description: Has an unknown field.
# custom:
#   id: BAD001
#   severity: low
#   hazard_zone: C
#   remediation: none
#   owner: someone
package custom.bad

import rego.v1

deny contains "never" if false
