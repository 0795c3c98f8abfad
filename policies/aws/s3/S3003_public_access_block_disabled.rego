# METADATA
# title: Public access block with a protection turned off
# description: |
#   ## What it flags
#   An S3 bucket public access block (`aws_s3_bucket_public_access_block`,
#   CloudFormation `PublicAccessBlockConfiguration`) in which any of
#   `block_public_acls`, `block_public_policy`, `ignore_public_acls` or
#   `restrict_public_buckets` is `false`, including when the setting is
#   omitted (its default is `false`). Unknown values are not flagged.
#
#   ## Why it is risky
#   A public access block is the guard rail that keeps a later ACL or
#   policy change from making the bucket public. A block with a protection
#   off looks like protection in review but lets exactly that change
#   through. Severity medium: the bucket is not public by itself; zone A
#   (customer data).
#
#   ## Example
#   ```hcl
#   resource "aws_s3_bucket_public_access_block" "data" {
#     bucket              = aws_s3_bucket.data.id
#     block_public_acls   = true
#     block_public_policy = false
#   }
#   ```
#
#   ## Fix
#   Set all four settings to `true`. If the bucket must serve public
#   content, put CloudFront in front of it instead.
# related_resources:
#   - https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
# custom:
#   id: S3003
#   severity: medium
#   hazard_zone: A
#   remediation: Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to true.
package tollgate.rules.S3003

import rego.v1

settings := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

deny contains f if {
	some b in input.buckets
	some pab in b.public_access_blocks
	off := [sprintf("%s = false", [k]) | some k in settings; pab[k] == false]
	count(off) > 0
	f := {"msg": concat(", ", off), "loc": pab.loc}
}
