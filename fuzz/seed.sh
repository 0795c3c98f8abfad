#!/bin/sh
# Seeds fuzz/corpus/<target>/ from fixtures/ (the corpus is not committed).
# Usage: fuzz/seed.sh   (from anywhere)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../fixtures"
corpus="$here/corpus"
seed() { # target, find expression...
    target=$1; shift
    mkdir -p "$corpus/$target"
    find "$fixtures" -type f "$@" -size -256k | while read -r f; do
        cp "$f" "$corpus/$target/$(echo "$f" | sed "s|$fixtures/||; s|/|__|g")"
    done
}
seed terraform_hcl -name '*.tf' -o -type f -name '*.tfvars'
seed terraform_json -name '*.tf.json'
seed cfn_yaml \( -name '*.yaml' -o -name '*.yml' \)
seed cfn_json -name '*.json'
seed iam_json -name '*.json'
seed plan_json -name '*.json'
# Whole-tree inputs: every fixture directory as one input, files joined by
# "\n--- PATH\n" (see fuzz/src/lib.rs).
for target in tree check; do
    mkdir -p "$corpus/$target"
    find "$fixtures" -type d | while read -r d; do
        out="$corpus/$target/$(echo "$d" | sed "s|$fixtures/\{0,1\}||; s|/|__|g").tree"
        : > "$out"
        first=1
        find "$d" -type f -size -64k \( -name '*.tf' -o -name '*.tf.json' -o -name '*.tfvars' -o -name '*.json' -o -name '*.yaml' -o -name '*.yml' \) | sort | head -16 |
        while read -r f; do
            rel=$(echo "$f" | sed "s|$d/||")
            if [ $first = 1 ] && [ "$rel" = main.tf ]; then cat "$f" >> "$out"; else printf '\n--- %s\n' "$rel" >> "$out"; cat "$f" >> "$out"; fi
            first=0
        done
        [ -s "$out" ] || rm -f "$out"
    done
done
# Hand-written seeds kept in the repository (fuzz/seeds/<target>/).
for d in "$here"/seeds/*/; do
    target=$(basename "$d")
    mkdir -p "$corpus/$target"
    cp "$d"* "$corpus/$target/"
done
for t in "$corpus"/*; do echo "$(basename "$t"): $(ls "$t" | wc -l) seeds"; done
