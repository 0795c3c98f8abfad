# METADATA
# title: Allow statement grants every action of a service
# description: |
#   ## What it flags
#   An identity policy statement with `"Effect": "Allow"` and a
#   service-wide wildcard action such as `"s3:*"` or `"iam:*"`. Action names
#   are case-insensitive, so `"S3:*"` is the same grant. The full wildcard
#   `"*"` is IAM001's.
#
#   Also flagged: a narrower wildcard that the IAM action catalog expands
#   to a service's permissions-management actions (`iam:Put*`,
#   `iam:*Policy*`, `s3:PutBucket*`), or to every action of its service.
#   The message shows the expansion. Write-only families
#   (`dynamodb:*Item`) on `"Resource": "*"` are IAM003's.
#
#   ## Why it is risky
#   A service wildcard grants the service's destructive and
#   permissions-management actions along with the ones the workload uses:
#   `s3:*` includes `s3:DeleteBucket` and `s3:PutBucketPolicy` (make a
#   bucket public), `iam:*` is a path to full administrator, `kms:*`
#   includes scheduling key deletion. It also grows silently whenever AWS
#   adds actions to the service. Severity high, zone A: it is an identity
#   grant, one step below full admin.
#
#   ## Example
#   ```hcl
#   statement {
#     actions   = ["s3:*"]
#     resources = ["arn:aws:s3:::reports/*"]
#   }
#   ```
#
#   ## Fix
#   Name the actions used (`s3:GetObject`, `s3:PutObject`), or at least a
#   read-only family such as `s3:Get*`.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
#   - https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
# custom:
#   id: IAM002
#   severity: high
#   hazard_zone: A
#   remediation: Replace the `service:*` wildcard with the service's actions the principal uses.
package tollgate.rules.IAM002

import rego.v1

import data.tollgate.lib.iam

deny contains f if {
	some p in input.policies
	iam.identity_policy(p)
	some s in p.statements
	iam.is_allow(s)
	some a in s.actions
	iam.service_wildcard(a)
	f := {
		"msg": sprintf("Action %q allows every %s action", [a, iam.service_of(a)]),
		"loc": s.loc,
	}
}

# A narrower wildcard that expands to permissions-management actions (or
# to a whole service) according to the catalog.
deny contains f if {
	some p in input.policies
	iam.identity_policy(p)
	some s in p.statements
	iam.is_allow(s)
	is_object(s.grants)
	some pat in s.grants.patterns
	pat.wildcard
	not pat.not
	not iam.full_wildcard(pat.pattern)
	not iam.service_wildcard(pat.pattern)
	what := family(pat)
	f := {
		"msg": sprintf("Action %q expands to %s (%s)", [pat.pattern, what, expansion(pat)]),
		"loc": s.loc,
	}
}

family(pat) := sprintf("every %s action", [concat(", ", pat.services)]) if pat.service_full

family(pat) := sprintf("%d %s actions, %d of them permissions management", [pat.count, concat(", ", pat.services), n]) if {
	not pat.service_full
	n := object.get(pat.access_levels, "Permissions management", 0)
	n > 0
}

expansion(pat) := concat(", ", pat.sample) if pat.count <= count(pat.sample)

expansion(pat) := sprintf("%s…", [concat(", ", pat.sample)]) if pat.count > count(pat.sample)
