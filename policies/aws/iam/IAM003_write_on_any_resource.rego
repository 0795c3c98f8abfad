# METADATA
# title: Write or permissions-management action on every resource
# description: |
#   ## What it flags
#   An identity policy statement with `"Effect": "Allow"` and
#   `"Resource": "*"` that grants a write or permissions-management action
#   (`s3:PutObject`, `iam:PutRolePolicy`, `ec2:TerminateInstances`…) which
#   could have been limited to specific resources.
#
#   Not flagged: read and list actions (`Get*`, `List*`, `Describe*`…),
#   actions that only accept `"*"` because AWS offers no resource-level
#   constraint for them (`cloudwatch:PutMetricData`, `kms:CreateKey`…),
#   and the full or service-wide wildcards, which IAM001 and IAM002 report.
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

# Actions of `s` that write or manage permissions on any resource.
offending(s) := {a |
	some a in s.actions
	is_string(a)
	not iam.full_wildcard(a)
	not iam.service_wildcard(a)
	not iam.read_only(a)
	not iam.star_only(a)
}

deny contains f if {
	some p in input.policies
	iam.identity_policy(p)
	some s in p.statements
	iam.is_allow(s)
	"*" in s.resources
	actions := offending(s)
	count(actions) > 0
	noun := {true: "Actions", false: "Action"}[count(actions) > 1]
	f := {
		"msg": sprintf("%s %s on Resource \"*\"", [noun, iam.show_list(actions)]),
		"loc": s.loc,
	}
}
