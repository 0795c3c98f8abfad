# METADATA
# title: Role trust policy lets any AWS principal assume the role
# description: |
#   ## What it flags
#   A role's trust policy (`assume_role_policy`, `AssumeRolePolicyDocument`)
#   with an `Allow` statement whose principal is `"*"`, `{"AWS": "*"}` or an
#   ARN with a wildcard account (`arn:aws:iam::*:root`), or that uses
#   `NotPrincipal`, and that has no condition narrowing who may assume it:
#   `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:PrincipalAccount`,
#   `aws:PrincipalArn`, `aws:SourceAccount`, `aws:SourceArn`,
#   `aws:SourceVpc`, `aws:SourceVpce`, `aws:userid` with a positive operator
#   (`StringEquals`, `StringLike`, `ArnEquals`, `ArnLike`, also under
#   `ForAnyValue:`). `…IfExists`, negated and `ForAllValues:` operators pass
#   when the key is absent, so they do not narrow.
#
#   Service principals (`{"Service": "ec2.amazonaws.com"}`) and named
#   accounts are not flagged. A raw policy JSON file counts as a trust
#   policy when every action it names is `sts:AssumeRole`,
#   `sts:AssumeRoleWithSAML` or `sts:AssumeRoleWithWebIdentity`.
#
#   ## Why it is risky
#   Any principal in any AWS account can call `sts:AssumeRole` and receive
#   the role's permissions. `sts:ExternalId` alone is a shared string, not
#   an identity check. Severity critical, zone A: the role's permissions
#   are public.
#
#   ## Example
#   ```yaml
#   AssumeRolePolicyDocument:
#     Statement:
#       - Effect: Allow
#         Principal: {AWS: "*"}
#         Action: sts:AssumeRole
#   ```
#
#   ## Fix
#   Name the trusted account or role ARN in `Principal`, or add a
#   `StringEquals` condition on `aws:PrincipalOrgID`.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
# custom:
#   id: IAM006
#   severity: critical
#   hazard_zone: A
#   remediation: Name the trusted principals in the trust policy, or add an aws:PrincipalOrgID / aws:PrincipalAccount condition.
package tollgate.rules.IAM006

import rego.v1

import data.tollgate.lib.iam

assume_actions := {"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity"}

# Trust policies; a raw policy file is one when every action it allows is an
# `sts:AssumeRole*` action.
trust_policy(p) if p.role == "trust"

trust_policy(p) if {
	p.owner_type == "iam_policy"
	actions := {lower(a) | some s in p.statements; some a in s.actions; is_string(a)}
	count(actions) > 0
	every a in actions {
		a in assume_actions
	}
}

# Computed once for both rule bodies.
trust_policies := [p | some p in input.policies; trust_policy(p)]

deny contains f if {
	some p in trust_policies
	some s in p.statements
	s.effect == "Allow"
	some v in iam.public_principals(s)
	not iam.narrowed(s)
	f := {
		"msg": sprintf("Principal %q can assume the role without a narrowing condition", [v]),
		"loc": s.loc,
	}
}

deny contains f if {
	some p in trust_policies
	some s in p.statements
	s.effect == "Allow"
	count(s.not_principals) > 0
	not iam.narrowed(s)
	f := {
		"msg": "NotPrincipal in an Allow lets every other principal assume the role",
		"loc": s.loc,
	}
}
