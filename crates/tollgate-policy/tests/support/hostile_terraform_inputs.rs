//! Inputs shared by the hostile-Terraform tests of tollgate-policy (the
//! scan in memory) and tollgate-cli (the binary under a memory cap).

/// A unit whose policy allows every action: IAM001 must still fire.
pub(crate) const GOOD: &str = r#"resource "aws_iam_policy" "admin" {
  name = "admin"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}
"#;

/// A 13 MB string (`local.s13m`) and `x = EXPR` on line 4.
pub(crate) fn big_string(expr: &str) -> String {
    format!(
        "locals {{\n  s64k = format(\"%65536s\", \"\")\n  s13m = join(\"\", [for i in range(200) : local.s64k])\n  x = {expr}\n}}\n\nresource \"aws_s3_bucket\" \"b\" {{\n  bucket = \"b\"\n  tags   = {{ n = local.x }}\n}}\n"
    )
}
