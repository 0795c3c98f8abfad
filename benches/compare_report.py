#!/usr/bin/env python3
"""Turns the runs of benches/compare.sh into benches/RESULTS.md.

Reads WORK/runs/<label>/<tool>/<i>.{time,out,load} (GNU time -v reports and
tool outputs), WORK/runs/phases.json, WORK/runs/versions, and writes one
markdown report: targets, side-by-side tables, phase breakdown, growth
curves, the rule-family mapping and the commands to reproduce.
"""

import argparse
import collections
import json
import pathlib
import re
import statistics

# Rule families and the checks of each tool that belong to them. Only checks
# about the same risk as a tollgate rule are counted; everything else a peer
# reports (encryption, logging, tagging...) is out of scope here.
FAMILIES = ["IAM wildcard", "escalation", "trust", "SG open", "public bucket"]
TOLLGATE = {
    "IAM wildcard": ["IAM001", "IAM002", "IAM003", "IAM004", "IAM007", "IAM009"],
    "escalation": ["IAM005", "IAM008"],
    "trust": ["IAM006"],
    "SG open": ["NET001", "NET002"],
    "public bucket": ["S3001", "S3002", "S3003", "S3004"],
}
CHECKOV = {
    "IAM wildcard": [
        "CKV_AWS_1", "CKV_AWS_49", "CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_274", "CKV_AWS_355",
        "CKV_AWS_356", "CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_111", "CKV_AWS_287",
        "CKV_AWS_288", "CKV_AWS_289", "CKV_AWS_290",
        "CKV2_AWS_40", "CKV2_AWS_56",
    ],
    "escalation": ["CKV_AWS_110", "CKV_AWS_286"],
    "trust": ["CKV_AWS_60", "CKV_AWS_61", "CKV_AWS_358"],
    "SG open": ["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"],
    "public bucket": [
        "CKV_AWS_20", "CKV_AWS_57", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56",
        "CKV_AWS_70", "CKV2_AWS_6", "CKV2_AWS_43",
    ],
}
TRIVY = {
    "IAM wildcard": ["AWS-0057", "AWS-0345"],
    "escalation": ["AWS-0342"],
    "trust": [],
    "SG open": ["AWS-0107"],
    "public bucket": ["AWS-0086", "AWS-0087", "AWS-0091", "AWS-0092", "AWS-0093", "AWS-0094"],
}
MAPS = {"tollgate": TOLLGATE, "checkov": CHECKOV, "trivy": TRIVY}


def family_of(tool, check_id):
    for fam, ids in MAPS.get(tool, {}).items():
        if check_id in ids:
            return fam
    return None


def parse_time(path):
    """GNU time -v report -> dict(wall, cpu, rss_mb, status)."""
    text = path.read_text(errors="replace")
    out = {}
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    if m:
        parts = [float(p) for p in m.group(1).split(":")]
        wall = 0.0
        for p in parts:
            wall = wall * 60 + p
        out["wall"] = wall
    user = re.search(r"User time \(seconds\): (\S+)", text)
    sys_ = re.search(r"System time \(seconds\): (\S+)", text)
    if user and sys_:
        out["cpu"] = float(user.group(1)) + float(sys_.group(1))
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if rss:
        out["rss_mb"] = int(rss.group(1)) / 1024
    status = re.search(r"Exit status: (\d+)", text)
    if status:
        out["status"] = int(status.group(1))
    return out


def findings(tool, out_path):
    """Counts per family (and 'other', 'total') in one tool output."""
    counts = collections.Counter()
    try:
        text = out_path.read_text(errors="replace")
    except OSError:
        return None
    if tool == "floor":
        return None
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return None
    ids = []
    if tool == "tollgate":
        ids = [f.get("rule_id") for f in data.get("findings", [])]
    elif tool == "trivy":
        for r in data.get("Results") or []:
            for m in r.get("Misconfigurations") or []:
                if m.get("Status") == "FAIL":
                    ids.append(m.get("ID"))
    elif tool == "checkov":
        reports = data if isinstance(data, list) else [data]
        for rep in reports:
            for c in (rep.get("results") or {}).get("failed_checks", []):
                ids.append(c.get("check_id"))
    for i in ids:
        counts[family_of(tool, i) or "other"] += 1
    counts["total"] = len(ids)
    return counts


def floor_stats(out_path):
    m = re.search(r"files=(\d+) bytes=(\d+) (?:skipped=\d+ )?failed=(\d+)", out_path.read_text(errors="replace"))
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def clock_wall(path):
    """Seconds between the two EPOCHREALTIME stamps of a `.wall` file."""
    try:
        t0, t1 = (float(x) for x in path.read_text().split()[:2])
    except (OSError, ValueError):
        return None
    return t1 - t0


class Runs:
    def __init__(self, work):
        self.root = pathlib.Path(work) / "runs"
        harness = [w for w in (clock_wall(p) for p in sorted((self.root / "harness" / "true").glob("*.wall")))
                   if w is not None]
        # What the harness adds to every run (median over the `true` runs).
        self.overhead = statistics.median(harness) if harness else 0.0

    def samples(self, label, tool):
        """Completed runs only: a run stopped by a signal is left out. The
        wall time is the microsecond clock around the run less the harness
        overhead when there is one (GNU time's own is in 10 ms steps)."""
        d = self.root / label / tool
        if not d.is_dir():
            return []
        out = []
        for p in sorted(d.glob("*.time")):
            if "terminated by signal" in p.read_text():
                continue
            s = parse_time(p)
            w = clock_wall(p.with_suffix(".wall"))
            if w is not None:
                s["wall"] = max(w - self.overhead, 0.0)
            out.append(s)
        return out

    def median(self, label, tool, key):
        vals = [s[key] for s in self.samples(label, tool) if key in s]
        return statistics.median(vals) if vals else None

    def first_out(self, label, tool):
        d = self.root / label / tool
        outs = sorted(d.glob("*.out")) if d.is_dir() else []
        return outs[0] if outs else None

    def loads(self, label, tool):
        d = self.root / label / tool
        vals = []
        for p in sorted(d.glob("*.load")) if d.is_dir() else []:
            for line in p.read_text().splitlines():
                if line.split():
                    vals.append(float(line.split()[0]))
        return vals


def fmt(v, digits=2, unit=""):
    if v is None:
        return "–"
    if isinstance(v, float):
        if v >= 100:
            return f"{v:,.0f}{unit}"
        if v >= 10:
            return f"{v:.1f}{unit}"
        return f"{v:.{digits}f}{unit}"
    return f"{v}{unit}"


def ratio(a, b):
    return a / b if a is not None and b else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="benches/compare.sh")
    args = ap.parse_args()
    runs = Runs(args.work)
    root = runs.root
    versions = {}
    vpath = root / "versions"
    if vpath.exists():
        for line in vpath.read_text().splitlines():
            k, _, v = line.partition("=")
            versions[k] = v.strip()
    version_of = {
        "tollgate": versions.get("tollgate", "?"),
        "floor": "hcl-edit 0.10 / serde_json / saphyr 0.3 (benches/src/bin/parse_floor.rs)",
        "trivy": versions.get("trivy", "?"),
        "checkov": versions.get("checkov", "?"),
    }
    date = (root / "date").read_text().strip() if (root / "date").exists() else "?"
    load_start = (root / "load-start").read_text().strip() if (root / "load-start").exists() else "?"
    load_end = (root / "load-end").read_text().strip() if (root / "load-end").exists() else "?"

    L = []
    L.append("# tollgate benchmark results")
    L.append("")
    L.append("Written by `benches/compare.sh` (see the end for the commands); profile notes and the")
    L.append("criterion benches are described in `benches/README.md`.")
    L.append("")
    L.append(f"- Date: {date}")
    L.append(f"- Machine: {versions.get('nproc', '?')} cores, {versions.get('cpu', '?')}, {versions.get('mem', '?')}")
    L.append(f"- Load average (1, 5, 15 min) at start: {load_start}; at end: {load_end}")
    L.append(f"- {versions.get('rustc', '')}")
    L.append(f"- Wall times: microsecond clock around each run less {runs.overhead * 1000:.1f} ms, the median "
             "time the harness (subshell, GNU time, exec) takes to run `true`; CPU and peak RSS from GNU time")
    L.append("")

    notes = root / "notes.md"
    if notes.exists():
        L.append(notes.read_text().rstrip())
        L.append("")

    # --- targets
    tg_tf = runs.median("tf", "tollgate", "wall")
    tg_iam = runs.median("iam", "tollgate", "wall")
    ck_tf = runs.median("tf-checkov", "checkov", "wall")
    # Checkov's subtree runs are their own set (older work dirs: interleaved with the others).
    ck_iam_label = "iam-checkov" if runs.samples("iam-checkov", "checkov") else "iam"
    ck_iam = runs.median(ck_iam_label, "checkov", "wall")
    tr_tf = runs.median("tf", "trivy", "wall")
    tr_iam = runs.median("iam", "trivy", "wall")
    tg_rss = runs.median("tf", "tollgate", "rss_mb")

    def verdict(value, goal, higher=True):
        if value is None:
            return "not measured"
        ok = value >= goal if higher else value < goal
        return "met" if ok else "**missed**"

    L.append("## Targets (issue 7)")
    L.append("")
    L.append("On the Terraform part of the shared corpus (terraform-aws-modules + terragoat), medians of")
    L.append("the runs below; Checkov on the whole tree is one run, with medians on `terraform-aws-modules/iam`.")
    L.append("")
    L.append("| target | measured | goal | verdict |")
    L.append("|---|---:|---:|---|")
    r = ratio(ck_tf, tg_tf)
    L.append(f"| Checkov wall / tollgate wall, whole tree (1 Checkov run) | {fmt(r, 0, '×')} | ≥ 1,000× | {verdict(r, 1000)} |")
    r = ratio(ck_iam, tg_iam)
    L.append(f"| Checkov wall / tollgate wall, `iam` subtree (medians) | {fmt(r, 0, '×')} | ≥ 1,000× | {verdict(r, 1000)} |")
    r = ratio(tr_tf, tg_tf)
    L.append(f"| Trivy wall / tollgate wall, whole tree | {fmt(r, 0, '×')} | ≥ 100× | {verdict(r, 100)} |")
    r = ratio(tr_iam, tg_iam)
    L.append(f"| Trivy wall / tollgate wall, `iam` subtree | {fmt(r, 0, '×')} | ≥ 100× | {verdict(r, 100)} |")
    # The floor ratio from the dedicated interleaved pairs when there are
    # any, else from the `tf` runs.
    fl_label = "floor" if runs.samples("floor", "floor") else "tf"
    pairs = len(runs.samples(fl_label, "floor"))
    r = ratio(runs.median(fl_label, "tollgate", "wall"), runs.median(fl_label, "floor", "wall"))
    L.append(f"| tollgate wall / parse-floor wall ({pairs} interleaved pairs, medians) | {fmt(r, 3, '×')} | ≤ 3× | "
             f"{verdict(-r if r is not None else None, -3)} |")
    r2 = ratio(runs.median(fl_label, "tollgate", "cpu"), runs.median(fl_label, "floor", "cpu"))
    L.append(f"| tollgate CPU / parse-floor CPU (for reference) | {fmt(r2, 2, '×')} | – | – |")
    L.append(f"| tollgate peak RSS | {fmt(tg_rss, 1, ' MB')} | < 100 MB | {verdict(tg_rss, 100, higher=False)} |")
    L.append("")
    tg_pairs, fl_pairs = runs.samples("floor", "tollgate"), runs.samples("floor", "floor")
    if tg_pairs and fl_pairs:
        per = sorted(t["wall"] / f["wall"] for t, f in zip(tg_pairs, fl_pairs) if "wall" in t and f.get("wall"))
        walls_t = sorted(t["wall"] for t in tg_pairs if "wall" in t)
        walls_f = sorted(f["wall"] for f in fl_pairs if "wall" in f)
        loads = runs.loads("floor", "tollgate")
        L.append(f"Floor pairs: tollgate {fmt(walls_t[0] * 1000, 0)}–{fmt(walls_t[-1] * 1000, 0)} ms "
                 f"(median {fmt(statistics.median(walls_t) * 1000, 0)}), floor {fmt(walls_f[0] * 1000, 0)}–"
                 f"{fmt(walls_f[-1] * 1000, 0)} ms (median {fmt(statistics.median(walls_f) * 1000, 0)}); "
                 f"the ratio of each pair run back to back: {per[0]:.2f}× to {per[-1]:.2f}×, median "
                 f"{statistics.median(per):.2f}×"
                 + (f" (load {min(loads):.1f}–{max(loads):.1f})." if loads else "."))
        L.append("")

    # --- side by side tables
    def side_by_side(label, title, tools, extra=None):
        L.append(f"## {title}")
        L.append("")
        if extra:
            L.append(extra)
            L.append("")
        L.append("| tool | version | runs | wall s (median) | CPU s user+sys (median) | peak RSS MB (median) | "
                 + " | ".join(FAMILIES) + " | other | load during runs |")
        L.append("|---|---|---:|---:|---:|---:|" + "---:|" * (len(FAMILIES) + 1) + "---|")
        for tool, lab in tools:
            samples = runs.samples(lab, tool)
            if not samples:
                continue
            out = runs.first_out(lab, tool)
            counts = findings(tool, out) if out else None
            if counts is None:
                fam = ["–"] * (len(FAMILIES) + 1)
            else:
                fam = [str(counts.get(f, 0)) for f in FAMILIES] + [str(counts.get("other", 0))]
                for i, f in enumerate(FAMILIES):
                    if tool in MAPS and not MAPS[tool][f]:
                        fam[i] = "n/a"
            loads = runs.loads(lab, tool)
            load = f"{min(loads):.1f}–{max(loads):.1f}" if loads else "?"
            L.append(
                f"| {tool} | {version_of[tool]} | {len(samples)} | {fmt(runs.median(lab, tool, 'wall'), 3)} | "
                f"{fmt(runs.median(lab, tool, 'cpu'), 3)} | {fmt(runs.median(lab, tool, 'rss_mb'), 1)} | "
                + " | ".join(fam) + f" | {load} |"
            )
        L.append("")

    fl = floor_stats(runs.first_out("tf", "floor")) if runs.first_out("tf", "floor") else None
    size = f"{fl[0]} files tollgate reads ({fl[1] / 1e6:.1f} MB), {fl[2]} the floor could not parse" if fl else ""
    side_by_side(
        "tf",
        "Whole Terraform corpus: terraform-aws-modules + terragoat",
        [("tollgate", "tf"), ("floor", "tf"), ("trivy", "tf"), ("checkov", "tf-checkov")],
        size,
    )
    ckload = runs.loads("tf-checkov", "checkov")
    ckdate = root / "tf-checkov" / "checkov" / "1.date"
    if ckload:
        L.append(f"The whole-tree Checkov run ended {ckdate.read_text().strip() if ckdate.exists() else '?'} "
                 f"(load {min(ckload):.1f}–{max(ckload):.1f}).")
        L.append("")
    fl = floor_stats(runs.first_out("iam", "floor")) if runs.first_out("iam", "floor") else None
    side_by_side(
        "iam",
        "Subtree terraform-aws-modules/iam",
        [("tollgate", "iam"), ("floor", "iam"), ("trivy", "iam"), ("checkov", ck_iam_label)],
        f"{fl[0]} files ({fl[1] / 1e6:.2f} MB)" if fl else None,
    )
    L.append("Findings are counted as each tool reports them: Checkov and Trivy once per failed check")
    L.append("and resource, tollgate once per offending value (statement, action, rule, port range).")
    L.append("")

    # --- phases
    ph = root / "phases.json"
    if ph.exists():
        p = json.loads(ph.read_text())
        L.append("## tollgate phase breakdown (whole Terraform corpus)")
        L.append("")
        L.append(f"`benches/src/bin/phases.rs` through the library, median of {p['runs']} runs, "
                 f"{p['threads']} threads: {p['files_scanned']} files, {p['units']} units, "
                 f"{p['resources']} resources, {p['findings']} findings, peak RSS {p['peak_rss_kib'] / 1024:.0f} MiB.")
        L.append("`(sum)` rows are summed over worker threads; `(wall)` rows are elapsed time.")
        L.append("")
        L.append("| phase | ms |")
        L.append("|---|---:|")
        for k, v in p["phases_ms"].items():
            L.append(f"| {k} | {v:.1f} |")
        L.append("")

    # --- growth
    def growth(prefix, title, unit, per):
        labels = sorted(
            [d.name for d in root.glob(f"{prefix}-*") if d.is_dir()],
            key=lambda s: int(s.rsplit("-", 1)[1]),
        )
        if not labels:
            return
        L.append(f"## {title}")
        L.append("")
        L.append(f"| {unit} | files | MB | resources | tollgate wall s | per {per} ms | "
                 "tollgate CPU s | tollgate peak RSS MB | floor wall s | floor peak RSS MB | tollgate / floor wall |")
        L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for lab in labels:
            n = int(lab.rsplit("-", 1)[1])
            out = runs.first_out(lab, "floor")
            fs = floor_stats(out) if out else None
            tout = runs.first_out(lab, "tollgate")
            resources = "–"
            if tout:
                try:
                    resources = str(json.loads(tout.read_text()).get("summary", {}).get("resources", "–"))
                except json.JSONDecodeError:
                    pass
            tw = runs.median(lab, "tollgate", "wall")
            fw = runs.median(lab, "floor", "wall")
            L.append(
                f"| {n} | {fs[0] if fs else '–'} | {fs[1] / 1e6:.1f} | {resources} | {fmt(tw)} | "
                f"{fmt(tw * 1000 / n if tw is not None else None)} | {fmt(runs.median(lab, 'tollgate', 'cpu'))} | "
                f"{fmt(runs.median(lab, 'tollgate', 'rss_mb'), 1)} | {fmt(fw)} | "
                f"{fmt(runs.median(lab, 'floor', 'rss_mb'), 1)} | {fmt(ratio(tw, fw), 2, '×')} |"
                if fs else f"| {n} | – | – | {resources} | {fmt(tw)} | – | – | – | {fmt(fw)} | – | – |"
            )
        L.append("")

    growth("growth", "Growth: copies of the whole Terraform corpus", "copies", "copy")
    growth("instances", "Growth: one module (iam-role) instantiated N times", "instances", "instance")

    # --- mapping
    L.append("## Rule families")
    L.append("")
    L.append("| family | tollgate | Checkov | Trivy |")
    L.append("|---|---|---|---|")
    for f in FAMILIES:
        L.append(f"| {f} | {', '.join(TOLLGATE[f])} | {', '.join(CHECKOV[f]) or '–'} | {', '.join(TRIVY[f]) or '– (no such check)'} |")
    L.append("")
    L.append("Everything else a tool reports is counted under `other` (for the peers: encryption, logging,")
    L.append("versioning, tagging, other clouds…). Checkov runs with `--framework terraform`; Trivy runs")
    L.append("`trivy config` over every file type it knows, as tollgate reads every file type it knows.")
    L.append("")

    # --- reproduce
    L.append("## Reproduce")
    L.append("")
    L.append("```sh")
    L.append("export CARGO_TARGET_DIR=/work/target-bench   # any target dir")
    L.append("benches/compare.sh checkov-full               # optional: the ~15 min Checkov run first, alone")
    L.append(args.command)
    L.append("benches/compare.sh --quick                    # dry run: one run each, small growth")
    L.append("cargo bench -p tollgate-benches               # criterion: parse, graph build, rules, scans")
    L.append("```")
    L.append("")
    L.append("Raw data (GNU time reports, tool outputs) stays in the `--work` directory (default")
    L.append("`/tmp/tollgate-compare/runs`).")
    L.append("")
    profile = pathlib.Path(__file__).with_name("PROFILE.md")
    if profile.exists():
        L.append(profile.read_text().rstrip())
        L.append("")
    pathlib.Path(args.out).write_text("\n".join(L))


if __name__ == "__main__":
    main()
