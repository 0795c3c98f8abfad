# METADATA
# title: Write or permissions-management action on every resource
# description: |
#   ## What it flags
#   An identity policy statement with `"Effect": "Allow"` and
#   `"Resource": "*"` that grants a write or permissions-management action
#   (`s3:PutObject`, `iam:PutRolePolicy`, `ec2:TerminateInstances`…) which
#   could have been limited to specific resources.
#
#   Access levels and resource support come from the IAM action catalog:
#   a pattern counts when it expands to Write or Permissions-management
#   actions that accept a narrower resource, after the `Deny` statements
#   of the same policy that cover every resource of the statement (an
#   action they remove is not reported); a wildcard is shown with its
#   expansion.
#
#   Not flagged: Read, List and Tagging actions (`Get*`, `List*`,
#   `Describe*`, `ec2:CreateTags`…), actions that only accept `"*"`
#   because AWS offers no resource-level constraint for them
#   (`kms:CreateKey`, `logs:PutResourcePolicy`, `xray:PutTraceSegments`…),
#   `NotAction` (IAM004), and the full or service-wide wildcards, which
#   IAM001 and IAM002 report.
#
#   ## Why it is risky
#   `Resource: "*"` extends a write to every bucket, table, queue and role
#   in the account, including the ones created later and the ones that
#   belong to other workloads. Severity medium: the action set is limited,
#   the blast radius is not. Zone A: it is an identity grant.
#
#   ## Example
#   ```yaml
#   - Effect: Allow
#     Action: [s3:PutObject, s3:DeleteObject]
#     Resource: "*"
#   ```
#
#   ## Fix
#   Name the resources: `arn:aws:s3:::uploads/*`, `!GetAtt Queue.Arn`,
#   `aws_dynamodb_table.orders.arn`.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
#   - https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
# custom:
#   id: IAM003
#   severity: medium
#   hazard_zone: A
#   remediation: 'Replace `"Resource": "*"` with the ARNs of the resources the actions need.'
package tollgate.rules.IAM003

import rego.v1

import data.tollgate.lib.iam

# Actions of `s` that write or manage permissions on any resource, as
# written, without the catalog annotation (a graph built elsewhere): by
# verb and a list of `*`-only actions.
plain_offending(s) := {sprintf("%q", [a]) |
	some a in s.actions
	is_string(a)
	not a in {"*", "*:*"}
	not iam.service_wildcard(a)
	not iam.read_only(a)
	not iam.star_only(a)
}

show_wildcard(pat) := sprintf("%q (%d write or permissions-management actions: %s)", [
	pat.pattern, pat.constrainable_write, sample(pat),
])

sample(pat) := concat(", ", array.slice(pat.sample, 0, 3)) if count(pat.sample) <= 3

sample(pat) := sprintf("%s…", [concat(", ", array.slice(pat.sample, 0, 3))]) if count(pat.sample) > 3

# With the catalog annotation: the `Action` patterns that expand to Write
# or Permissions-management actions accepting a narrower resource (after
# the same policy's Denies), wildcards shown with their expansion. Written
# out in the rule body: a function call per statement costs more in the VM
# than the test.
deny contains f if {
	some p in input.policies
	p.role == "identity"
	some s in p.statements
	s.effect == "Allow"
	"*" in s.resources
	s.grants.constrainable_write_count > 0
	literal := {sprintf("%q", [pat.pattern]) |
		some pat in s.grants.patterns
		not pat.wildcard
		not pat.not
		pat.constrainable_write > 0
	}
	wildcards := {show_wildcard(pat) |
		some pat in s.grants.patterns
		pat.wildcard
		not pat.not
		pat.constrainable_write > 0
		not pat.pattern in {"*", "*:*"}
		not iam.service_wildcard(pat.pattern)
	}
	actions := literal | wildcards
	count(actions) > 0
	f := finding(s, actions)
}

deny contains f if {
	some p in input.policies
	p.role == "identity"
	some s in p.statements
	s.effect == "Allow"
	"*" in s.resources
	not is_object(s.grants)
	actions := plain_offending(s)
	count(actions) > 0
	f := finding(s, actions)
}

finding(s, actions) := {
	"msg": sprintf("%s %s on Resource \"*\"", [noun, concat(", ", sort(actions))]),
	"loc": s.loc,
} if {
	noun := {true: "Actions", false: "Action"}[count(actions) > 1]
}
