# Helpers shared by the IAM and S3 rules: action matching, read-only
# classification, public principals and narrowing conditions.
#
# Action patterns are matched literally with IAM's case-insensitive glob
# semantics (`*` any run of characters, `?` one character). Values that are
# not strings ({"$unknown": ...} objects) never match anything.
package tollgate.lib.iam

import rego.v1

# `svc:*` for one service.
service_wildcard(a) if {
	is_string(a)
	endswith(a, ":*") # cheap first test: most actions are literal
	parts := split(lower(a), ":")
	count(parts) == 2
	parts[0] != "*"
	parts[0] != ""
	parts[1] == "*"
}

service_of(a) := split(lower(a), ":")[0]

# `pattern` (an action as written, possibly with wildcards) covers `action`
# (a literal action name). Literal patterns compare without a regex; a
# wildcard pattern whose service part is literal must name the same service.
matches(pattern, action) if {
	is_string(pattern)
	not wildcard(pattern)
	lower(pattern) == lower(action)
}

matches(pattern, action) if {
	is_string(pattern)
	wildcard(pattern)
	p := lower(pattern)
	a := lower(action)
	same_service(p, a)
	regex.match(`^[a-z0-9:*?_-]+$`, p)
	regex.match(concat("", ["^", replace(replace(p, "*", ".*"), "?", "."), "$"]), a)
}

wildcard(p) if contains(p, "*")

wildcard(p) if contains(p, "?")

same_service(p, a) if {
	svc := split(p, ":")[0]
	not wildcard(svc)
	startswith(a, concat("", [svc, ":"]))
}

same_service(p, _) if wildcard(split(p, ":")[0])

# Verbs of actions that only read or list (access levels Read and List).
read_verbs := [
	"get", "list", "describe", "head", "search", "lookup", "query", "scan", "select",
	"batchget", "batchcheck", "view", "check", "validate", "estimate", "preview", "simulate", "test",
	"verify", "detect", "download", "discover", "read", "retrieve", "filter",
]

# The pattern's action part starts with a read verb (`s3:Get*`, `ec2:DescribeInstances`).
read_only(a) if {
	parts := split(lower(a), ":")
	count(parts) == 2
	some v in read_verbs
	startswith(parts[1], v)
}

# Write and permissions-management actions that accept only `Resource: "*"`
# (no resource-level constraint exists), so `*` is not a finding for them.
star_only_actions := {
	"cloudformation:createuploadbucket",
	"cloudwatch:putmetricdata",
	"ec2:createlaunchtemplate",
	"ecs:createcluster",
	"ecs:deregistertaskdefinition",
	"ecs:registertaskdefinition",
	"iam:createaccountalias",
	"iam:deleteaccountalias",
	"iam:deleteaccountpasswordpolicy",
	"iam:updateaccountpasswordpolicy",
	"kms:createkey",
	"lambda:createcodesigningconfig",
	"lambda:createeventsourcemapping",
	"logs:createlogdelivery",
	"logs:deleteresourcepolicy",
	"logs:putresourcepolicy",
	"route53:createhostedzone",
	"s3:createjob",
	"s3:putaccesspointpublicaccessblock",
	"s3:putaccountpublicaccessblock",
	"s3:putstoragelensconfiguration",
	"secretsmanager:getrandompassword",
	"ses:sendemail",
	"ses:sendrawemail",
	"sts:getcalleridentity",
	"xray:puttelemetryrecords",
	"xray:puttracesegments",
}

star_only(a) if lower(a) in star_only_actions

# A statement's principal values that mean "anyone": `*` (also written as
# `"Principal": "*"`) and ARNs with a wildcard account.
public_principals(s) := {v |
	some v in s.principals.AWS
	is_string(v)
	public_principal_value(v)
}

public_principal_value(v) if v == "*"

public_principal_value(v) if regex.match(`^arn:aws[a-z-]*:iam::\*:`, v)

# Condition keys that restrict who (or which network path or source) can
# use a grant to a known set.
narrowing_keys := {
	"aws:principalaccount",
	"aws:principalarn",
	"aws:principalorgid",
	"aws:principalorgpaths",
	"aws:sourceaccount",
	"aws:sourcearn",
	"aws:sourceorgid",
	"aws:sourceorgpaths",
	"aws:sourceowner",
	"aws:sourcevpc",
	"aws:sourcevpce",
	"aws:userid",
}

# Operators that require the key to be present and to match the values.
narrowing_operators := {"stringequals", "stringlike", "stringequalsignorecase", "arnequals", "arnlike"}

narrowing_condition(c) if {
	lower(c.key) in narrowing_keys
	op := trim_prefix(lower(c.operator), "foranyvalue:")
	op in narrowing_operators
	some v in c.values
	v != "*"
}

narrowed(s) if {
	some c in s.conditions
	narrowing_condition(c)
}

# Values for messages: strings quoted, unknowns named.
show(v) := sprintf("%q", [v]) if is_string(v)

show(v) := sprintf("(unknown: %s)", [v["$unknown"]]) if is_object(v)

show(v) := sprintf("%v", [v]) if {
	not is_string(v)
	not is_object(v)
}

show_list(vs) := concat(", ", sort([show(v) | some v in vs]))

# Deny statements of the same policy that limit a grant without removing it
# (`s.grants.deny_limits`: on part of the resources, or under a condition).
# `limit_covers(l, action)`: the limit denies `action` (a canonical or
# as-written name); a capped list counts as covering.
limit_covers(l, action) if {
	some e in l.actions
	lower(e) == lower(action)
}

limit_covers(l, _) if "*" in l.actions

limit_covers(l, action) if {
	some e in l.actions
	endswith(e, ":*")
	startswith(lower(action), lower(trim_suffix(e, "*")))
}

limit_covers(l, _) if count(l.actions) < l.count

show_condition(c) := sprintf("%s %s %s", [c.operator, c.key, show_list(c.values)])

limit_where(l) := sprintf(" on Resource %s", [show_list(l.resources)]) if count(object.get(l, "resources", [])) > 0

limit_where(l) := sprintf(" outside NotResource %s", [show_list(l.not_resources)]) if count(object.get(l, "not_resources", [])) > 0

limit_where(l) := "" if {
	count(object.get(l, "resources", [])) == 0
	count(object.get(l, "not_resources", [])) == 0
}

limit_when(l) := sprintf(" when %s", [concat(" and ", [show_condition(c) | some c in l.conditions])]) if count(object.get(l, "conditions", [])) > 0

limit_when(l) := "" if count(object.get(l, "conditions", [])) == 0

limit_who(l) := " for the principals it names" if l.principal_scoped

limit_who(l) := "" if not l.principal_scoped

# ` (denied by statement 8 when BoolIfExists aws:MultiFactorAuthPresent "false")`
# when a limit of `s` covers one of `actions`, else "".
deny_note(s, actions) := sprintf(" (%s)", [concat("; ", sort(notes))]) if {
	notes := {sprintf("denied by statement %d%s%s%s", [l.statement_index, limit_who(l), limit_where(l), limit_when(l)]) |
		some l in object.get(object.get(s, "grants", {}), "deny_limits", [])
		some a in actions
		limit_covers(l, a)
	}
	count(notes) > 0
}

deny_note(s, actions) := "" if {
	not any_limit(s, actions)
}

any_limit(s, actions) if {
	some l in object.get(object.get(s, "grants", {}), "deny_limits", [])
	some a in actions
	limit_covers(l, a)
}
