# METADATA
# title: Grant that lets the holder escalate its own privileges
# description: |
#   ## What it flags
#   An identity policy that grants one of the published IAM
#   privilege-escalation methods (Rhino Security Labs' list, plus
#   `sts:AssumeRole` on `*` and the CodeBuild/SageMaker `iam:PassRole`
#   paths):
#
#   - rewrite or attach policies: `iam:CreatePolicyVersion`,
#     `iam:SetDefaultPolicyVersion`, `iam:Attach{User,Group,Role}Policy`,
#     `iam:Put{User,Group,Role}Policy`, `iam:AddUserToGroup`,
#     `iam:UpdateAssumeRolePolicy`;
#   - take over other users: `iam:CreateAccessKey`,
#     `iam:CreateLoginProfile`, `iam:UpdateLoginProfile`;
#   - run code as a more privileged role: `iam:PassRole` together with
#     `ec2:RunInstances`, `lambda:CreateFunction` + `lambda:InvokeFunction`
#     or `lambda:CreateEventSourceMapping`, `glue:CreateDevEndpoint`,
#     `cloudformation:CreateStack`, `datapipeline:CreatePipeline` +
#     `datapipeline:PutPipelineDefinition`, `codebuild:CreateProject` +
#     `codebuild:StartBuild`, `sagemaker:CreateNotebookInstance` +
#     `sagemaker:CreatePresignedNotebookInstanceUrl`; or modify existing
#     code: `lambda:UpdateFunctionCode`, `glue:UpdateDevEndpoint`;
#   - `sts:AssumeRole` on `"Resource": "*"`.
#
#   A method counts when an `Allow` statement grants its first action on a
#   wildcard resource (one containing `*`, or via `NotResource`) and the
#   same policy grants the rest. Actions are taken from the statement's
#   expansion against the IAM action catalog, so `iam:*`, `iam:Create*`,
#   `iam:Put*Policy` and `NotAction: s3:*` count (case-insensitively), and
#   an action removed by an unconditional `Deny` of the same policy whose
#   resources cover the statement's does not (a `Deny` that applies only
#   under a condition or to part of the resources is named in the
#   message). For the "other users"
#   methods a resource scoped to `${aws:username}` (self-service) does not
#   count. The full wildcard `"*"` is left to IAM001. One finding per
#   statement lists every method it enables.
#
#   ## Why it is risky
#   Each method turns a limited principal into an administrator: it can
#   write itself a new policy, attach `AdministratorAccess`, mint keys for
#   an admin user, or hand an admin role to code it controls. Severity
#   critical, zone A: the end state equals IAM001.
#
#   ## Example
#   ```json
#   {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}
#   ```
#
#   ## Fix
#   Restrict the resource to the exact policies, users or roles the
#   workload manages (`arn:aws:iam::123456789012:role/app-*` for
#   `iam:PassRole`, with an `iam:PassedToService` condition), or move these
#   permissions to a deployment role that workloads cannot use.
# related_resources:
#   - https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
#   - https://github.com/RhinoSecurityLabs/AWS-IAM-Privilege-Escalation
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
# custom:
#   id: IAM005
#   severity: critical
#   hazard_zone: A
#   remediation: Scope escalation-capable actions to named resources, or move them to a separate administrative role.
package tollgate.rules.IAM005

import rego.v1

import data.tollgate.lib.iam

# scope: which resources make the first action dangerous.
#   wide:   any resource pattern with `*` (or NotResource)
#   others: like wide, but `${aws:username}` (the caller itself) does not count
#   star:   exactly `*`
methods := [
	{"actions": ["iam:CreatePolicyVersion"], "scope": "wide"},
	{"actions": ["iam:SetDefaultPolicyVersion"], "scope": "wide"},
	{"actions": ["iam:PassRole", "ec2:RunInstances"], "scope": "wide"},
	{"actions": ["iam:CreateAccessKey"], "scope": "others"},
	{"actions": ["iam:CreateLoginProfile"], "scope": "others"},
	{"actions": ["iam:UpdateLoginProfile"], "scope": "others"},
	{"actions": ["iam:AttachUserPolicy"], "scope": "wide"},
	{"actions": ["iam:AttachGroupPolicy"], "scope": "wide"},
	{"actions": ["iam:AttachRolePolicy"], "scope": "wide"},
	{"actions": ["iam:PutUserPolicy"], "scope": "wide"},
	{"actions": ["iam:PutGroupPolicy"], "scope": "wide"},
	{"actions": ["iam:PutRolePolicy"], "scope": "wide"},
	{"actions": ["iam:AddUserToGroup"], "scope": "wide"},
	{"actions": ["iam:UpdateAssumeRolePolicy"], "scope": "wide"},
	{"actions": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "scope": "wide"},
	{"actions": ["iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"], "scope": "wide"},
	{"actions": ["lambda:UpdateFunctionCode"], "scope": "wide"},
	{"actions": ["iam:PassRole", "glue:CreateDevEndpoint"], "scope": "wide"},
	{"actions": ["glue:UpdateDevEndpoint"], "scope": "wide"},
	{"actions": ["iam:PassRole", "cloudformation:CreateStack"], "scope": "wide"},
	{"actions": ["iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"], "scope": "wide"},
	{"actions": ["iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"], "scope": "wide"},
	{"actions": ["iam:PassRole", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"], "scope": "wide"},
	{"actions": ["sts:AssumeRole"], "scope": "star"},
]

resource_ok(s, "wide") if count(s.not_resources) > 0

resource_ok(s, "wide") if {
	some r in s.resources
	is_string(r)
	contains(r, "*")
}

resource_ok(s, "others") if count(s.not_resources) > 0

resource_ok(s, "others") if {
	some r in s.resources
	is_string(r)
	contains(r, "*")
	not contains(r, "${aws:username}")
}

resource_ok(s, "star") if "*" in s.resources

method_actions := {lower(a) | some m in methods; some a in m.actions}

# With the catalog annotation, its expansion; without it (a graph built
# elsewhere), the `Action` patterns matched by glob.
statement_actions(s) := expanded(s) if is_object(s.grants)

statement_actions(s) := matched(s) if not is_object(s.grants)

# Method actions matched by the statement's `Action` patterns.
matched(s) := {a |
	some pattern in s.actions
	is_string(pattern)
	not pattern in {"*", "*:*"}
	some a in candidates(pattern)
	iam.matches(pattern, a)
}

# Method actions in the catalog expansion (`grants.escalation`: after the
# same policy's Denies, including what `NotAction` grants). A statement
# with the full wildcard is IAM001's.
expanded(s) := {lower(a) |
	some a in s.grants.escalation
	lower(a) in method_actions
	not full_wildcard_statement(s)
}

full_wildcard_statement(s) if {
	some pattern in s.actions
	pattern in {"*", "*:*"}
}

# Method actions by service, so a pattern is only matched against its own service's.
actions_by_service[svc] := actions if {
	some a0 in method_actions
	svc := split(a0, ":")[0]
	actions := {a | some a in method_actions; startswith(a, concat("", [svc, ":"]))}
}

candidates(pattern) := actions_by_service[split(lower(pattern), ":")[0]]

candidates(pattern) := method_actions if iam.wildcard(split(pattern, ":")[0])

# The method actions any Allow statement of policy `p` grants.
policy_actions(p) := {a |
	some s in p.statements
	s.effect == "Allow"
	some a in statement_actions(s)
}

# Methods whose first action is in `own` (granted by statement `s` on a
# qualifying resource), with every other action in `granted` (granted
# somewhere in the same policy).
escalations(own, granted, s) := {name |
	some m in methods
	lower(m.actions[0]) in own
	resource_ok(s, m.scope)
	every other in array.slice(m.actions, 1, count(m.actions)) {
		lower(other) in granted
	}
	name := concat(" + ", m.actions)
}

summary(names) := concat("; ", sorted) if {
	sorted := sort(names)
	count(sorted) <= 4
}

summary(names) := sprintf("%s (and %d more)", [concat("; ", array.slice(sorted, 0, 4)), count(sorted) - 4]) if {
	sorted := sort(names)
	count(sorted) > 4
}

# The statement's own method actions are computed inline for annotated
# statements: a function call per statement costs more in the VM than the
# whole test on the (mostly empty) escalation list.
deny contains f if {
	some p in input.policies
	p.role == "identity"
	some s in p.statements
	s.effect == "Allow"
	own := {lower(a) | some a in s.grants.escalation; lower(a) in method_actions}
	count(own) > 0
	f := finding(p, s, own)
}

deny contains f if {
	some p in input.policies
	p.role == "identity"
	some s in p.statements
	s.effect == "Allow"
	not is_object(s.grants)
	own := matched(s)
	count(own) > 0
	f := finding(p, s, own)
}

finding(p, s, own) := {
	"msg": sprintf("privilege escalation: %s%s", [summary(names), iam.deny_note(s, own)]),
	"loc": s.loc,
} if {
	not full_wildcard_statement(s)
	names := escalations(own, policy_actions(p), s)
	count(names) > 0
}
