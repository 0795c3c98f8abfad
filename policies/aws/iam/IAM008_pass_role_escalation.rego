# METADATA
# title: Principal can pass a broader role to a service it can start
# description: |
#   ## What it flags
#   A role, user or group whose identity policies (inline, attached
#   customer-managed and AWS-managed, and for a user those of its groups)
#   grant `iam:PassRole` on a role of the same configuration, together
#   with the actions that start a service that role trusts, when the
#   role's own policies are broader than the holder's. The path is traced
#   through the graph: holder → its policies (or its group's) → the
#   passed role (`"*"`, a role ARN or name pattern that matches it, or a
#   reference to it) → the role's trust policy (`Service` principal) → the
#   role's inline, attached and AWS-managed policies.
#
#   A permissions boundary caps both sides: the holder's boundary must
#   also allow `iam:PassRole` on the role and the start actions, and
#   "broader" compares the role's and the holder's grants each after its
#   boundary. A boundary that is not in the configuration (a customer
#   policy by ARN, an unknown ARN) is not guessed: the finding says that
#   the path holds unless that boundary excludes it.
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
#   # (or iam:PassRole from a group it is a member of)
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

# Allow statements that apply to `principal` itself, each as
# {"s": statement, "loc": where a finding points}: customer identity
# policies that name it (the statement), and the AWS-managed policies
# attached to it (the attachment to this principal). A principal in
# `iam_principals` lists its policies and attachments by index; another
# (a group known only by name) is looked up in every policy.
statements_of(principal) := array.concat(
	[{"s": s, "loc": s.loc} |
		some p in identity_policies_of(principal)
		some s in p.statements
		s.effect == "Allow"
		is_object(s.grants)
	],
	[{"s": s, "loc": attachment_loc(m, principal)} |
		some m in managed_policies_of(principal)
		some s in m.statements
		s.effect == "Allow"
		is_object(s.grants)
	],
)

identity_policies_of(principal) := [input.policies[i] | some i in object.get(principal_of[principal], "identity_policies", [])] if principal_of[principal]

identity_policies_of(principal) := [p |
	some p in input.policies
	p.role == "identity"
	principal in p.principals
] if not principal_of[principal]

managed_policies_of(principal) := [input.aws_managed_policies[i] | some i in object.get(principal_of[principal], "aws_managed_policies", [])] if principal_of[principal]

managed_policies_of(principal) := [m |
	some m in input.aws_managed_policies
	principal in m.principals
] if not principal_of[principal]

attachments_of(principal) := [input.attachments[i] | some i in object.get(principal_of[principal], "attachments", [])] if principal_of[principal]

attachments_of(principal) := input.attachments if not principal_of[principal]

# The first attachment of AWS-managed policy `m` to `principal`.
attachment_loc(m, principal) := locs[0] if {
	locs := sort([a.loc |
		some a in attachments_of(principal)
		a.principal == principal
		a.owner in m.attached_by
		a.policy_arn == m.arn
	])
	count(locs) > 0
}

attachment_loc(m, principal) := m.loc if {
	not any_attachment(m, principal)
}

any_attachment(m, principal) if {
	some a in attachments_of(principal)
	a.principal == principal
	a.owner in m.attached_by
	a.policy_arn == m.arn
}

principal_of[p.address] := p if some p in object.get(input, "iam_principals", [])

# The statements a principal holds: its own (`via: ""`) and, for a user,
# those of its groups (`via`: the group).
held_statements(addr) := array.concat(
	[object.union(x, {"via": ""}) | some x in statements_of(addr)],
	[object.union(x, {"via": g}) |
		some g in object.get(object.get(principal_of, addr, {}), "groups", [])
		is_string(g)
		some x in statements_of(g)
	],
)

# Allow statements of the permissions boundary `b` of `addr`: an in-graph
# managed policy, or an AWS-managed one from the catalog.
boundary_statements(addr, b) := array.concat(
	[s |
		some p in input.policies
		p.role == "identity"
		p.owner == b.policy
		some s in p.statements
		s.effect == "Allow"
		is_object(s.grants)
	],
	[s |
		some m in input.aws_managed_policies
		addr in object.get(m, "boundary_of", [])
		some s in m.statements
		s.effect == "Allow"
		is_object(s.grants)
	],
)

boundary(addr) := principal_of[addr].permissions_boundary

# A principal's effective grant: what it holds, capped by its boundary
# when that resolves. An unresolved boundary is named in the finding.
principal_grant(addr) := {"stmts": held_statements(addr), "bounded": false} if not boundary(addr)

principal_grant(addr) := {"stmts": held_statements(addr), "bounded": true, "bound": boundary_statements(addr, b)} if {
	b := boundary(addr)
	b.resolved
}

principal_grant(addr) := {"stmts": held_statements(addr), "bounded": false, "unresolved": iam.show(b.arn)} if {
	b := boundary(addr)
	not b.resolved
}

# Statement `s` grants the catalog action `action` (canonical name):
# `grants.escalation` lists every granted escalation-tagged action (all
# actions used here are tagged) after the same policy's Denies, whatever
# pattern or NotAction granted it.
grants_action(s, _) if s.grants.all_actions

grants_action(s, action) if {
	some a in object.get(s.grants, "escalation", [])
	lower(a) == lower(action)
}

# The boundary of grant `g` (if any) allows `action`.
bound_allows(g, _) if not g.bounded

bound_allows(g, action) if {
	g.bounded
	some s in g.bound
	grants_action(s, action)
}

g_grants(g, action) if {
	some x in g.stmts
	grants_action(x.s, action)
	bound_allows(g, action)
}

# Every action of `method` is in the effective grant `g`.
has_method(g, method) if {
	every action in method {
		g_grants(g, action)
	}
}

# The boundary of `g` (if any) lets the holder pass role `r`.
bound_passes(g, _) if not g.bounded

bound_passes(g, r) if {
	g.bounded
	some s in g.bound
	grants_action(s, "iam:PassRole")
	pass_covers(s, r)
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
	s.effect == "Allow"
	some v in object.get(s.principals, "Service", [])
	is_string(v)
	contains(lower(v), ".amazonaws.com")
}

service_key(v) := split(v, ".")[0]

# What the role grants that the holder does not: "\"*\"", escalation
# actions, or whole services, each after the principal's boundary.
broader(rg, hg) := "grants \"*\"" if {
	g_all(rg)
	not g_all(hg)
}

broader(rg, hg) := sprintf("grants %s", [extra_list(extra)]) if {
	not g_all(rg)
	not g_all(hg)
	extra := g_escalation(rg) - g_escalation(hg)
	count(extra) > 0
}

broader(rg, hg) := sprintf("grants all of %s", [extra_list(extra)]) if {
	not g_all(rg)
	not g_all(hg)
	count(g_escalation(rg) - g_escalation(hg)) == 0
	extra := g_services(rg) - g_services(hg)
	count(extra) > 0
}

own_all(g) if {
	some x in g.stmts
	x.s.grants.all_actions
}

bound_all(g) if not g.bounded

bound_all(g) if {
	g.bounded
	some s in g.bound
	s.grants.all_actions
}

g_all(g) if {
	own_all(g)
	bound_all(g)
}

# Escalation actions in the effective grant (canonical names).
g_escalation(g) := {a |
	some x in g.stmts
	some a in object.get(x.s.grants, "escalation", [])
	bound_allows(g, a)
}

own_services(g) := {svc | some x in g.stmts; some svc in object.get(x.s.grants, "services_full", [])}

bound_services(g) := {svc | some s in g.bound; some svc in object.get(s.grants, "services_full", [])}

# Whole services in the effective grant.
g_services(g) := own_services(g) if bound_all(g)

g_services(g) := bound_services(g) if {
	not bound_all(g)
	own_all(g)
}

g_services(g) := own_services(g) & bound_services(g) if {
	not bound_all(g)
	not own_all(g)
}

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
grant[h.address] := principal_grant(h.address) if {
	some h in input.resources
	h.type in holder_types
}

role_services[r.address] := trusted_services(r) if some r in roles

# Roles some service may assume: the only ones a passed role can reach.
service_roles := [r | some r in roles; count(role_services[r.address]) > 0]

via_text("") := ""

via_text(g) := sprintf(" (through group %s)", [g]) if g != ""

# An unresolved boundary of the holder or the role.
boundary_note(g, who) := sprintf(", unless the permissions boundary %s of %s (not resolvable in this configuration) excludes it", [g.unresolved, who]) if g.unresolved

boundary_note(g, _) := "" if not g.unresolved

# Some Allow statement of the unit grants iam:PassRole. Every path starts
# with one (a holder's statements come from `policies` and
# `aws_managed_policies`), so without it nothing else is computed.
passrole_granted if {
	some p in input.policies
	some s in p.statements
	s.effect == "Allow"
	is_object(s.grants)
	grants_action(s, "iam:PassRole")
}

passrole_granted if {
	some m in input.aws_managed_policies
	some s in m.statements
	s.effect == "Allow"
	is_object(s.grants)
	grants_action(s, "iam:PassRole")
}

# Every path: the PassRole statement's location, and the path's text.
paths contains [x.loc, text] if {
	passrole_granted
	some h in input.resources
	h.type in holder_types
	hg := grant[h.address]
	# No role is broader than a holder with every action (`broader`).
	not g_all(hg)
	some x in hg.stmts
	grants_action(x.s, "iam:PassRole")
	bound_allows(hg, "iam:PassRole")
	some r in service_roles
	r.address != h.address
	pass_covers(x.s, r)
	bound_passes(hg, r)
	rg := grant[r.address]
	why := broader(rg, hg)
	some service in role_services[r.address]
	passed_to(x.s, service)
	methods := [concat(" + ", m) | some m in starters[service_key(service)]; has_method(hg, m)]
	count(methods) > 0
	text := sprintf("%s → iam:PassRole%s → %s (trusts %s, %s) via %s%s%s", [
		h.address, via_text(x.via), r.address, service, why, concat(" or ", methods),
		boundary_note(hg, h.address), boundary_note(rg, r.address),
	])
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
