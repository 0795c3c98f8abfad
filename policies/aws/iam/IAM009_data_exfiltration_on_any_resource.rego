# METADATA
# title: Data-exfiltration or credential-exposure action on every resource
# description: |
#   ## What it flags
#   An identity policy `Allow` statement on `"Resource": "*"` (or with
#   `NotResource`) whose actions, expanded against the IAM action catalog,
#   include actions the catalog tags as data exfiltration
#   (`s3:GetObject`, `secretsmanager:GetSecretValue`,
#   `ssm:GetParameter(s)(ByPath)`, `rds:CopyDBSnapshot`…) or credential
#   exposure (`iam:CreateAccessKey`, `iam:CreateLoginProfile`,
#   `sts:AssumeRole`, `ecr:GetAuthorizationToken`…). Wildcards count by
#   what they expand to: `s3:Get*`, `ssm:GetParameter*`, `secretsmanager:*`
#   and `NotAction` all qualify. The message lists the actions (at most
#   five) and the patterns that granted them
#   (with the number of the others).
#
#   Actions that a `Deny` statement of the same policy removes for every
#   resource of the statement do not count; a `Deny` that applies only
#   under a condition or to part of the resources is named in the message.
#   A statement with the full wildcard `"*"` is IAM001's and not repeated
#   here.
#
#   Informational: reading secrets or objects is often the job, but on
#   every resource it is also everything an attacker holding the
#   credentials needs. Statements whose action is unknown before apply are
#   not reported.
#
#   ## Why it is risky
#   These are the actions that turn a compromised workload into a data
#   breach: every object in every bucket, every secret, every parameter,
#   or new long-lived credentials for other principals. Scoping them to
#   the resources the workload owns limits what a leak exposes. Zone B:
#   data access.
#
#   ## Example
#   ```json
#   {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "s3:Get*"], "Resource": "*"}
#   ```
#
#   ## Fix
#   Name the secrets, parameters and buckets:
#   `arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/*`,
#   `arn:aws:s3:::reports/*`, `arn:aws:ssm:*:*:parameter/app/*`.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
#   - https://github.com/salesforce/policy_sentry
#   - https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
# custom:
#   id: IAM009
#   severity: info
#   hazard_zone: B
#   remediation: Scope data-reading and credential-issuing actions to the ARNs of the resources the principal needs.
package tollgate.rules.IAM009

import rego.v1

import data.tollgate.lib.iam

# The grants' risk lists this rule reports, in message order.
exposure_lists := ["data_exfiltration", "credentials_exposure"]

# Granted actions of `s` tagged as data exfiltration, then those tagged as
# credential exposure (canonical names in catalog order; complete lists).
exposed(s) := [a |
	some list in exposure_lists
	some a in object.get(s.grants, list, [])
]

# The patterns of `s` that grant at least one of the exposed actions: the
# catalog annotation lists, per pattern, the risk lists its actions (after
# the Denies) are on. NotAction patterns are shown as `NotAction "..."`.
granting(s) := sort({show_pattern(pat) |
	some pat in s.grants.patterns
	pattern_grants(pat)
})

pattern_grants(pat) if {
	not pat.not
	some r in object.get(pat, "risks", [])
	r in exposure_lists
}

pattern_grants(pat) if pat.not

show_pattern(pat) := sprintf("NotAction %q", [pat.pattern]) if pat.not

show_pattern(pat) := sprintf("%q", [pat.pattern]) if not pat.not

full_wildcard_statement(s) if {
	some a in s.actions
	a in {"*", "*:*"}
}

scope(s) := "Resource \"*\"" if "*" in s.resources

scope(s) := sprintf("NotResource %s", [iam.show_list(s.not_resources)]) if {
	not "*" in s.resources
	count(s.not_resources) > 0
}

capped(names) := concat(", ", names) if count(names) <= 5

capped(names) := sprintf("%s (and %d more)", [concat(", ", array.slice(names, 0, 5)), count(names) - 5]) if count(names) > 5

deny contains f if {
	some p in input.policies
	p.role == "identity"
	some s in p.statements
	s.effect == "Allow"
	s.grants.any_resource
	actions := exposed(s)
	count(actions) > 0
	not full_wildcard_statement(s)
	f := {
		"msg": sprintf("%s on %s (granted by %s)%s", [capped(actions), scope(s), concat(", ", granting(s)), iam.deny_note(s, actions)]),
		"loc": s.loc,
	}
}
