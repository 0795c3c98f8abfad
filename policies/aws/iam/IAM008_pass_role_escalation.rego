# METADATA
# title: Principal can pass a broader role to a service it can start
# description: |
#   ## What it flags
#   A role, user or group whose identity policies (inline, attached
#   customer-managed and AWS-managed) grant `iam:PassRole` on a role of the
#   same configuration, together with the actions that start a service
#   that role trusts, when the role's own policies are broader than the
#   holder's. The path is traced through the graph: holder → its policies
#   → the passed role (`"*"`, a role ARN or name pattern that matches it,
#   or a reference to it) → the role's trust policy (`Service` principal)
#   → the role's inline, attached and AWS-managed policies.
#
#   | trusted service | start actions |
#   |---|---|
#   | `lambda` | `lambda:CreateFunction` + `lambda:InvokeFunction` or `lambda:CreateEventSourceMapping` |
#   | `ec2` | `ec2:RunInstances` |
#   | `ecs-tasks` | `ecs:RunTask`, `ecs:StartTask`, or `ecs:RegisterTaskDefinition` + `ecs:CreateService` |
#   | `glue` | `glue:CreateDevEndpoint`, or `glue:CreateJob` + `glue:StartJobRun` |
#   | `cloudformation` | `cloudformation:CreateStack` |
#   | `codebuild` | `codebuild:CreateProject` + `codebuild:StartBuild` |
#   | `sagemaker` | `sagemaker:CreateTrainingJob`, `sagemaker:CreateProcessingJob`, or `sagemaker:CreateNotebookInstance` + `sagemaker:CreatePresignedNotebookInstanceUrl` |
#   | `datapipeline` | `datapipeline:CreatePipeline` + `datapipeline:PutPipelineDefinition` |
#
#   "Broader" means the role grants every action (`"*"`,
#   `AdministratorAccess`) while the holder does not, or grants
#   privilege-escalation actions or whole services the holder lacks.
#   Actions are compared after expansion against the IAM action catalog,
#   so `iam:*`, `iam:Pass*` and `NotAction` count. An
#   `iam:PassedToService` condition that names another service breaks the
#   path. One finding per `iam:PassRole` statement names each path it
#   opens.
#
#   ## Why it is risky
#   Passing a role to code the holder controls is acting as that role: a
#   Lambda function, instance, task or build created by the holder runs
#   with the passed role's permissions. When that role is an
#   administrator, the holder is one. IAM005 flags the grant pattern in a
#   single policy; this rule shows the concrete role that makes it an
#   escalation. Severity high, zone A.
#
#   ## Example
#   ```hcl
#   # aws_iam_user.ci: iam:PassRole on aws_iam_role.admin.arn, lambda:CreateFunction + lambda:InvokeFunction
#   # aws_iam_role.admin: trusts lambda.amazonaws.com, AdministratorAccess attached
#   ```
#
#   ## Fix
#   Limit `iam:PassRole` to the roles the holder's workloads need (roles
#   no broader than the holder), add an `iam:PassedToService` condition,
#   or narrow the passed role's permissions.
# related_resources:
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
#   - https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
#   - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService
# custom:
#   id: IAM008
#   severity: high
#   hazard_zone: A
#   remediation: Restrict `iam:PassRole` to roles no broader than the holder, with an `iam:PassedToService` condition, or narrow the passed role.
package tollgate.rules.IAM008

import rego.v1

import data.tollgate.lib.iam

# Start actions per trusted service (the `<service>.amazonaws.com` principal).
starters := {
	"lambda": [
		["lambda:CreateFunction", "lambda:InvokeFunction"],
		["lambda:CreateFunction", "lambda:CreateEventSourceMapping"],
	],
	"ec2": [["ec2:RunInstances"]],
	"ecs-tasks": [
		["ecs:RunTask"],
		["ecs:StartTask"],
		["ecs:RegisterTaskDefinition", "ecs:CreateService"],
	],
	"glue": [["glue:CreateDevEndpoint"], ["glue:CreateJob", "glue:StartJobRun"]],
	"cloudformation": [["cloudformation:CreateStack"]],
	"codebuild": [["codebuild:CreateProject", "codebuild:StartBuild"]],
	"sagemaker": [
		["sagemaker:CreateTrainingJob"],
		["sagemaker:CreateProcessingJob"],
		["sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"],
	],
	"datapipeline": [["datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"]],
}

role_types := {"aws_iam_role", "AWS::IAM::Role"}

holder_types := {
	"aws_iam_role", "aws_iam_user", "aws_iam_group",
	"AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group",
}

# Allow statements that apply to `principal`: customer identity policies
# that name it, and the AWS-managed policies attached to it.
statements_of(principal) := array.concat(
	[s |
		some p in input.policies
		iam.identity_policy(p)
		principal in p.principals
		some s in p.statements
		iam.is_allow(s)
		is_object(s.grants)
	],
	[s |
		some m in input.aws_managed_policies
		principal in m.principals
		some s in m.statements
		iam.is_allow(s)
		is_object(s.grants)
	],
)

# Statement `s` grants the catalog action `action` (canonical name):
# `grants.escalation` lists every granted escalation-tagged action (all
# actions used here are tagged) after the same policy's Denies, whatever
# pattern or NotAction granted it.
grants_action(s, _) if s.grants.all_actions

grants_action(s, action) if {
	some a in object.get(s.grants, "escalation", [])
	lower(a) == lower(action)
}

# Every action of `method` is granted by some statement in `stmts`.
has_method(stmts, method) if {
	every action in method {
		some s in stmts
		grants_action(s, action)
	}
}

# The role's name with its path (`service-role/deploy`), as the part of its
# ARN after `role/`.
role_name(r) := n if {
	n := r.attributes.name
	is_string(n)
}

role_name(r) := n if {
	n := r.attributes.RoleName
	is_string(n)
}

role_path(r) := trim_left(p, "/") if {
	p := object.get(r.attributes, "path", object.get(r.attributes, "Path", "/"))
	is_string(p)
}

# Resource value `v` of a PassRole statement covers role `r`.
covers(v, _) if v == "*"

covers(v, r) if {
	is_string(v)
	m := regex.find_all_string_submatch_n(`^arn:[^:]*:iam::[^:]*:role/(.+)$`, v, 1)
	glob := lower(m[0][1])
	regex.match(`^[a-z0-9+=,.@_/*?-]+$`, glob)
	full := lower(concat("", [role_path(r), role_name(r)]))
	regex.match(concat("", ["^", replace(replace(replace(glob, ".", `\.`), "*", ".*"), "?", "."), "$"]), full)
}

# A reference to the role (`aws_iam_role.admin.arn`, `Admin.Arn`).
covers(v, r) if {
	is_object(v)
	ref := v["$unknown"]
	is_string(ref)
	startswith(ref, concat("", [r.address, "."]))
}

pass_covers(s, _) if count(s.not_resources) > 0

pass_covers(s, r) if {
	some v in s.resources
	covers(v, r)
}

# An `iam:PassedToService` condition, when present, lets the role go to `service`.
passed_to(s, _) if not restricts_service(s)

restricts_service(s) if {
	some c in s.conditions
	lower(c.key) == "iam:passedtoservice"
}

passed_to(s, service) if {
	some c in s.conditions
	lower(c.key) == "iam:passedtoservice"
	some v in c.values
	is_string(v)
	glob := lower(v)
	regex.match(`^[a-z0-9.*?-]+$`, glob)
	regex.match(concat("", ["^", replace(replace(replace(glob, ".", `\.`), "*", ".*"), "?", "."), "$"]), service)
}

# Services (`lambda.amazonaws.com`) role `r`'s trust policy lets assume it.
trusted_services(r) := {lower(v) |
	some p in input.policies
	p.role == "trust"
	p.owner == r.address
	some s in p.statements
	iam.is_allow(s)
	some v in object.get(s.principals, "Service", [])
	is_string(v)
	contains(lower(v), ".amazonaws.com")
}

service_key(v) := split(v, ".")[0]

# What the role grants that the holder does not: "\"*\"", escalation
# actions, or whole services.
broader(role_stmts, holder_stmts) := "grants \"*\"" if {
	some s in role_stmts
	s.grants.all_actions
	not any_all(holder_stmts)
}

broader(role_stmts, holder_stmts) := sprintf("grants %s", [extra_list(extra)]) if {
	not any_all(role_stmts)
	not any_all(holder_stmts)
	extra := extra_escalation(role_stmts, holder_stmts)
	count(extra) > 0
}

broader(role_stmts, holder_stmts) := sprintf("grants all of %s", [extra_list(extra)]) if {
	not any_all(role_stmts)
	not any_all(holder_stmts)
	count(extra_escalation(role_stmts, holder_stmts)) == 0
	extra := services_full_of(role_stmts) - services_full_of(holder_stmts)
	count(extra) > 0
}

any_all(stmts) if {
	some s in stmts
	s.grants.all_actions
}

escalation_of(stmts) := {a | some s in stmts; some a in object.get(s.grants, "escalation", [])}

# Escalation actions of the role that the holder lacks (canonical names).
extra_escalation(role_stmts, holder_stmts) := {a |
	some a in escalation_of(role_stmts)
	not a in escalation_of(holder_stmts)
}

services_full_of(stmts) := {svc | some s in stmts; some svc in object.get(s.grants, "services_full", [])}

extra_list(names) := concat(", ", sorted) if {
	sorted := sort(names)
	count(sorted) <= 3
}

extra_list(names) := sprintf("%s and %d more", [concat(", ", array.slice(sorted, 0, 3)), count(sorted) - 3]) if {
	sorted := sort(names)
	count(sorted) > 3
}

roles := [r | some r in input.resources; r.type in role_types]

# Computed once per principal (a rule, not a function: evaluated once).
principal_statements[h.address] := statements_of(h.address) if {
	some h in input.resources
	h.type in holder_types
}

role_services[r.address] := trusted_services(r) if some r in roles

# Every path: the PassRole statement's location, and the path's text.
paths contains [s.loc, text] if {
	some h in input.resources
	h.type in holder_types
	holder_stmts := principal_statements[h.address]
	some s in holder_stmts
	grants_action(s, "iam:PassRole")
	some r in roles
	r.address != h.address
	pass_covers(s, r)
	count(role_services[r.address]) > 0
	role_stmts := principal_statements[r.address]
	why := broader(role_stmts, holder_stmts)
	some service in role_services[r.address]
	passed_to(s, service)
	methods := [concat(" + ", m) | some m in starters[service_key(service)]; has_method(holder_stmts, m)]
	count(methods) > 0
	text := sprintf("%s → iam:PassRole → %s (trusts %s, %s) via %s", [h.address, r.address, service, why, concat(" or ", methods)])
}

summary(texts) := concat("; ", sorted) if {
	sorted := sort(texts)
	count(sorted) <= 3
}

summary(texts) := sprintf("%s (and %d more)", [concat("; ", array.slice(sorted, 0, 3)), count(sorted) - 3]) if {
	sorted := sort(texts)
	count(sorted) > 3
}

deny contains f if {
	some [loc, _] in paths
	texts := {t | some [l, t] in paths; l == loc}
	f := {"msg": summary(texts), "loc": loc}
}
