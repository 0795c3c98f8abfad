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
#   The message shows the expansion. Actions removed by a `Deny` of the
#   same policy whose resources cover the statement's are left out: a
#   wildcard whose every action is denied is not flagged, one partly
#   denied is shown with what remains. Write-only families
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
	p.role == "identity"
	some s in p.statements
	s.effect == "Allow"
	some a in s.actions
	is_string(a)
	endswith(a, ":*") # before the call: most actions are not service wildcards
	iam.service_wildcard(a)
	not fully_denied(s, a)
	f := {
		"msg": service_message(s, a),
		"loc": s.loc,
	}
}

# The catalog entry of pattern `a` in `s`, when annotated.
pattern_entry(s, a) := pat if {
	some pat in s.grants.patterns
	pat.pattern == a
	not pat.not
}

# Every action of the pattern is removed by a Deny of the same policy that
# covers the statement's resources.
fully_denied(s, a) if {
	pat := pattern_entry(s, a)
	pat.count == 0
	pat.denied > 0
}

service_message(s, a) := sprintf("Action %q allows every %s action%s", [a, iam.service_of(a), iam.deny_note(s, [a])]) if {
	not partly_denied(s, a)
}

service_message(s, a) := sprintf("Action %q allows %d of the %d %s actions (the rest denied by %s)%s", [
	a, pat.count, pat.count + pat.denied, iam.service_of(a), denied_by(s), iam.deny_note(s, [a]),
]) if {
	pat := pattern_entry(s, a)
	pat.denied > 0
	pat.count > 0
}

partly_denied(s, a) if pattern_entry(s, a).denied > 0

denied_by(s) := sprintf("statement %d", [s.grants.denied_by[0].statement_index]) if count(s.grants.denied_by) == 1

denied_by(s) := sprintf("statements %s", [concat(", ", [sprintf("%d", [d.statement_index]) | some d in s.grants.denied_by])]) if {
	count(s.grants.denied_by) > 1
}

# A narrower wildcard that expands to a whole service, or to some of a
# service's permissions-management actions, according to the catalog.
# (The catalog's answer is tested first, in the body: most wildcards
# expand to neither, and a function call per pattern costs more in the VM.)
deny contains f if {
	some p in input.policies
	p.role == "identity"
	some s in p.statements
	s.effect == "Allow"
	some pat in s.grants.patterns
	pat.wildcard
	pat.service_full
	narrower_wildcard(pat)
	f := expansion_finding(s, pat, sprintf("every %s action", [concat(", ", pat.services)]))
}

deny contains f if {
	some p in input.policies
	p.role == "identity"
	some s in p.statements
	s.effect == "Allow"
	some pat in s.grants.patterns
	pat.wildcard
	n := object.get(pat.access_levels, "Permissions management", 0)
	n > 0
	not pat.service_full
	narrower_wildcard(pat)
	what := sprintf("%d %s actions, %d of them permissions management", [pat.count, concat(", ", pat.services), n])
	f := expansion_finding(s, pat, what)
}

narrower_wildcard(pat) if {
	not pat.not
	not pat.pattern in {"*", "*:*"}
	not iam.service_wildcard(pat.pattern)
}

expansion_finding(s, pat, what) := {
	"msg": sprintf("Action %q expands to %s (%s)", [pat.pattern, what, expansion(pat)]),
	"loc": s.loc,
}

expansion(pat) := concat(", ", pat.sample) if pat.count <= count(pat.sample)

expansion(pat) := sprintf("%s…", [concat(", ", pat.sample)]) if pat.count > count(pat.sample)
