# METADATA
# title: Bucket has a public canned ACL
# description: |
#   ## What it flags
#   An S3 bucket whose canned ACL is `public-read`, `public-read-write` or
#   `authenticated-read` (CloudFormation `AccessControl: PublicRead`,
#   `PublicReadWrite`, `AuthenticatedRead`), set on the bucket or with
#   `aws_s3_bucket_acl`. A public access block on the same bucket with
#   `ignore_public_acls = true` neutralises the ACL, and then nothing is
#   reported. When the ACL is unknown before apply (`var.acl`), an info
#   finding labelled "indeterminate" is reported instead.
#
#   ## Why it is risky
#   `public-read` lets anyone on the internet list and download every
#   object; `public-read-write` also lets anyone upload and overwrite;
#   `authenticated-read` means any AWS account, not your account. Severity
#   high, zone A (customer data).
#
#   ## Example
#   ```hcl
#   resource "aws_s3_bucket_acl" "logs" {
#     bucket = aws_s3_bucket.logs.id
#     acl    = "public-read"
#   }
#   ```
#
#   ## Fix
#   Use `private` (the default) and share objects through CloudFront with
#   origin access control or pre-signed URLs; set `object_ownership =
#   "BucketOwnerEnforced"` to disable ACLs altogether.
# related_resources:
#   - https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl
#   - https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
# custom:
#   id: S3001
#   severity: high
#   hazard_zone: A
#   remediation: Set the bucket ACL to private, or disable ACLs with BucketOwnerEnforced object ownership.
package tollgate.rules.S3001

import rego.v1

public_acls := {
	"public-read", "public-read-write", "authenticated-read",
	"publicread", "publicreadwrite", "authenticatedread",
}

neutralised(b) if {
	some pab in b.public_access_blocks
	pab.ignore_public_acls == true
}

deny contains f if {
	some b in input.buckets
	not neutralised(b)
	some acl in b.acls
	is_string(acl.acl)
	lower(acl.acl) in public_acls
	f := {"msg": sprintf("ACL %q", [acl.acl]), "loc": acl.loc}
}

deny contains f if {
	some b in input.buckets
	not neutralised(b)
	some acl in b.acls
	is_object(acl.acl)
	f := {
		"msg": sprintf("ACL is unknown before apply (%s)", [acl.acl["$unknown"]]),
		"loc": acl.loc,
		"indeterminate": true,
	}
}
