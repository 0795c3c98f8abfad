# METADATA
# title: Allow statement grants every action
# description: |
#   ## What it flags
#   An identity policy statement with `"Effect": "Allow"` whose `Action` is
#   `"*"` (or `"*:*"`): every action of every AWS service.
#
#   ## Why it is risky
#   The holder is a full administrator: it can read every secret, delete
#   every resource and grant itself or anyone else any permission. A leaked
#   key or a compromised workload with this policy is a compromised
#   account. Severity is critical and the hazard zone A (identity), because
#   nothing narrower than the account itself contains the damage.
#
#   ## Example
#   ```json
#   {"Effect": "Allow", "Action": "*", "Resource": "*"}
#   ```
#
#   ## Fix
#   List the actions the principal needs (`"s3:GetObject"`,
#   `"dynamodb:PutItem"`…) on the resources it needs. IAM Access Analyzer's
#   policy generation can derive them from CloudTrail activity. `Deny`
#   statements with wildcards are not flagged: they only take away.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
# custom:
#   id: IAM001
#   severity: critical
#   hazard_zone: A
#   remediation: 'Replace `"Action": "*"` with the specific actions the principal needs.'
package tollgate.rules.IAM001

import rego.v1

deny contains f if {
	some p in input.policies
	p.role == "identity"
	some s in p.statements
	s.effect == "Allow"
	some a in s.actions
	a in {"*", "*:*"}
	f := {
		"msg": sprintf("Action %q allows every action on every service", [a]),
		"loc": s.loc,
	}
}
