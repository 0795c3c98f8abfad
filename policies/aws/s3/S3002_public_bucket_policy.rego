# METADATA
# title: Bucket policy allows anonymous access
# description: |
#   ## What it flags
#   A bucket policy statement with `"Effect": "Allow"` whose principal is
#   `"*"` / `{"AWS": "*"}` (or an ARN with a wildcard account, or
#   `NotPrincipal`) and that has no condition narrowing the caller to a
#   known network path or organisation: `aws:SourceVpce`, `aws:SourceVpc`,
#   `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:PrincipalAccount`,
#   `aws:PrincipalArn`, `aws:SourceArn`, `aws:SourceAccount`,
#   `aws:SourceOwner`, `aws:userid`, with a positive operator
#   (`StringEquals`, `StringLike`, `ArnEquals`, `ArnLike`). Conditions that
#   do not identify the caller, such as `aws:SecureTransport`, do not
#   narrow. `Deny` statements never count.
#
#   ## Why it is risky
#   Anyone on the internet, without AWS credentials, can perform the
#   allowed actions: read every object, or with `s3:PutObject` host
#   content or overwrite data under your name. Severity critical, zone A
#   (customer data).
#
#   ## Example
#   ```json
#   {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
#    "Resource": "arn:aws:s3:::site/*"}
#   ```
#
#   ## Fix
#   Serve public content through CloudFront with origin access control and
#   grant `cloudfront.amazonaws.com` with an `aws:SourceArn` condition; for
#   internal access add `aws:SourceVpce` or `aws:PrincipalOrgID`.
# related_resources:
#   - https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html
#   - https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
# custom:
#   id: S3002
#   severity: critical
#   hazard_zone: A
#   remediation: Replace Principal "*" with named principals, or add an aws:SourceVpce / aws:PrincipalOrgID condition.
package tollgate.rules.S3002

import rego.v1

import data.tollgate.lib.iam

s3_owner_types := {"aws_s3_bucket_policy", "aws_s3_bucket", "AWS::S3::BucketPolicy"}

# Resource policies of buckets: attached to a bucket in the graph, held by a
# bucket-policy resource, or (raw JSON) naming S3 resources.
bucket_policy_ids contains id if {
	some b in input.buckets
	some id in b.policies
}

bucket_policy_ids contains p.id if {
	some p in input.policies
	p.role == "resource"
	p.owner_type in s3_owner_types
}

bucket_policy_ids contains p.id if {
	some p in input.policies
	p.role == "resource"
	some s in p.statements
	some r in s.resources
	is_string(r)
	startswith(r, "arn:aws:s3:::")
}

deny contains f if {
	some p in input.policies
	p.id in bucket_policy_ids
	some s in p.statements
	s.effect == "Allow"
	not iam.narrowed(s)
	some v in iam.public_principals(s)
	f := {
		"msg": sprintf("Principal %q allowed %s without a narrowing condition", [v, iam.show_list(s.actions)]),
		"loc": s.loc,
	}
}

deny contains f if {
	some p in input.policies
	p.id in bucket_policy_ids
	some s in p.statements
	s.effect == "Allow"
	not iam.narrowed(s)
	count(s.not_principals) > 0
	f := {
		"msg": sprintf("NotPrincipal in an Allow grants %s to every other principal", [iam.show_list(s.actions)]),
		"loc": s.loc,
	}
}
