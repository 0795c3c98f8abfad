#!/usr/bin/env python3
"""Fails when a locked dependency needs a newer Rust than the workspace declares.

The declared `rust-version` (Cargo.toml, [workspace.package]) must hold for
every package in Cargo.lock that is built for Linux: `cargo metadata` gives
each package's own `rust-version`. Run from anywhere: scripts/check-rust-version.py
"""
import json
import pathlib
import re
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent


def version(text):
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


manifest = (root / "Cargo.toml").read_text()
declared = re.search(r'^rust-version\s*=\s*"([0-9.]+)"', manifest, re.MULTILINE)
if not declared:
    sys.exit("check-rust-version: no rust-version in Cargo.toml")
declared = declared.group(1)
metadata = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", "x86_64-unknown-linux-gnu"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
)
newer = sorted(
    (version(p["rust_version"]), p["name"], p["version"])
    for p in metadata["packages"]
    if p.get("rust_version") and version(p["rust_version"]) > version(declared)
)
if newer:
    for need, name, ver in newer:
        print(f"{name} {ver} needs Rust {'.'.join(map(str, need))}", file=sys.stderr)
    sys.exit(f"check-rust-version: the workspace declares {declared}; {len(newer)} locked packages need more")
highest = max(version(p["rust_version"]) for p in metadata["packages"] if p.get("rust_version"))
print(f"rust-version {declared} holds for every locked package (highest needed: {'.'.join(map(str, highest))})")
