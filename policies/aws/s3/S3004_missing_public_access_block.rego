# METADATA
# title: Bucket without a public access block
# description: |
#   ## What it flags
#   A managed S3 bucket with no public access block: no
#   `aws_s3_bucket_public_access_block` for it in the same configuration
#   and no CloudFormation `PublicAccessBlockConfiguration`. An account-level
#   block (`aws_s3_account_public_access_block`) in the same configuration
#   with all four settings `true` counts as a block for every bucket.
#
#   ## Why it is risky
#   Since April 2023 new buckets get all four protections by default, but
#   buckets created earlier, or by tools that set their own configuration,
#   do not; without an explicit block nothing stops a later ACL or policy
#   change from making the bucket public, and the code does not say which
#   state is intended. Severity low: it is a missing guard rail, not an
#   exposure; zone A (customer data).
#
#   ## Example
#   ```hcl
#   resource "aws_s3_bucket" "data" {
#     bucket = "acme-data"
#   }
#   ```
#
#   ## Fix
#   Add an `aws_s3_bucket_public_access_block` (or
#   `PublicAccessBlockConfiguration`) with all four settings `true`.
# related_resources:
#   - https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
#   - https://aws.amazon.com/about-aws/whats-new/2022/12/amazon-s3-automatically-enable-block-public-access-disable-access-control-lists-buckets-april-2023/
# custom:
#   id: S3004
#   severity: low
#   hazard_zone: A
#   remediation: Add a public access block with all four settings true.
package tollgate.rules.S3004

import rego.v1

account_block if {
	some r in input.resources
	r.type == "aws_s3_account_public_access_block"
	every k in ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] {
		r.attributes[k] == true
	}
}

deny contains f if {
	not account_block
	some b in input.buckets
	not startswith(b.address, "data.")
	count(b.public_access_blocks) == 0
	f := {"msg": "no public access block", "loc": b.loc}
}
