# METADATA
# title: Allow statement with NotAction or NotResource
# description: |
#   ## What it flags
#   An identity policy statement with `"Effect": "Allow"` that uses
#   `NotAction` or `NotResource`.
#
#   ## Why it is risky
#   `Allow` + `NotAction` grants *every* action except the listed ones,
#   including every action AWS adds in the future; `"NotAction": "iam:*"`
#   with `"Resource": "*"` is administrator minus IAM. `Allow` +
#   `NotResource` applies the grant to every resource except the listed
#   ones. Both read as restrictions and are grants. Severity high, zone A.
#   (`NotAction` in a `Deny` statement is a normal guard rail and is not
#   flagged.)
#
#   ## Example
#   ```json
#   {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
#   ```
#
#   ## Fix
#   List the allowed actions and resources positively. To carve out
#   exceptions, add a separate `Deny` statement.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
# custom:
#   id: IAM004
#   severity: high
#   hazard_zone: A
#   remediation: Replace NotAction/NotResource in Allow statements with explicit Action/Resource lists; use Deny for exceptions.
package tollgate.rules.IAM004

import rego.v1

import data.tollgate.lib.iam

deny contains f if {
	some p in input.policies
	p.role == "identity"
	some s in p.statements
	s.effect == "Allow"
	count(s.not_actions) > 0
	f := {
		"msg": sprintf("NotAction %s in an Allow grants every other action", [iam.show_list(s.not_actions)]),
		"loc": s.loc,
	}
}

deny contains f if {
	some p in input.policies
	p.role == "identity"
	some s in p.statements
	s.effect == "Allow"
	count(s.not_resources) > 0
	f := {
		"msg": sprintf("NotResource %s in an Allow applies to every other resource", [iam.show_list(s.not_resources)]),
		"loc": s.loc,
	}
}
