# METADATA
# title: AWS-managed administrator-class policy attached
# description: |
#   ## What it flags
#   An attachment of an AWS-managed policy that grants administrator-class
#   access (`aws_iam_role_policy_attachment`, `aws_iam_policy_attachment`,
#   `managed_policy_arns`, CloudFormation `ManagedPolicyArns`…):
#
#   | policy | severity |
#   |---|---|
#   | `AdministratorAccess` | critical |
#   | `IAMFullAccess` | critical (can grant itself anything) |
#   | `PowerUserAccess` | high (everything except IAM and Organizations) |
#   | any other `…FullAccess` (`AmazonS3FullAccess`…) | medium |
#
#   ## Why it is risky
#   These policies are `Action: "*"` or `service:*` grants maintained by
#   AWS; they are the same hazard as IAM001/IAM002, hidden behind an ARN,
#   and they grow as AWS adds actions. Zone A: identity.
#
#   ## Example
#   ```hcl
#   resource "aws_iam_role_policy_attachment" "ci" {
#     role       = aws_iam_role.ci.name
#     policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
#   }
#   ```
#
#   ## Fix
#   Attach a customer-managed policy with the actions the principal uses,
#   or a narrower AWS-managed job-function or `ReadOnly` policy.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html
#   - https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html
# custom:
#   id: IAM007
#   severity: high
#   hazard_zone: A
#   remediation: Replace the AWS-managed administrator-class policy with a least-privilege customer-managed policy.
package tollgate.rules.IAM007

import rego.v1

managed_name(arn) := name if {
	is_string(arn)
	m := regex.find_all_string_submatch_n(`^arn:aws[a-z-]*:iam::aws:policy/(?:[^/]+/)*([A-Za-z0-9+=,.@_-]+)$`, arn, 1)
	name := m[0][1]
}

severity("AdministratorAccess") := "critical"

severity("IAMFullAccess") := "critical"

severity("PowerUserAccess") := "high"

severity(name) := "medium" if {
	not name in {"AdministratorAccess", "IAMFullAccess", "PowerUserAccess"}
	endswith(name, "FullAccess")
}

holder(a) := sprintf(" to %s", [a.principal]) if is_string(a.principal)

holder(a) := "" if not is_string(a.principal)

deny contains f if {
	some a in input.attachments
	is_string(a.policy_arn) # before the call: most attachments name a policy of the configuration, unknown before apply
	name := managed_name(a.policy_arn)
	sev := severity(name)
	f := {
		"msg": sprintf("AWS-managed policy %q attached%s", [name, holder(a)]),
		"loc": a.loc,
		"severity": sev,
	}
}
