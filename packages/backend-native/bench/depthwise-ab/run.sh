#!/usr/bin/env bash
# Interleaved A/B of the addon's depthwise kernels: the native/ of git revision BASE (default: the one before the
# 3-wide loops) against the working tree's, linked into one process, alternating per call; first checks the working
# tree's kernels against a float64 reference on every shape. Usage, from anywhere:
#   bench/depthwise-ab/run.sh [BASE]        env: ISA=2|1|0 (AVX-512, AVX2, base), REPS=21, CHECK=1, ONLY=<name part>,
#                                           SHAPE=B,H,W,C,k,stride,dilation (one custom shape)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
native=$(cd "$here/../../native" && pwd)
base=${1:-3056853}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/old"
for f in depthwise.c depthwise_body.h isa.h heap_args.h; do
  git -C "$native" show "$base:./$f" > "$work/old/$f"
done
nodeApi=$(dirname "$(command -v node)")/../include/node
flags=(-O3 -std=c11 -ffp-contract=fast -w -I"$nodeApi")
cc "${flags[@]}" -I"$work/old" -DVARIANT=old_ -c "$here/variant.c" -o "$work/old.o"
cc "${flags[@]}" -I"$native" -DVARIANT=new_ -c "$here/variant.c" -o "$work/new.o"
cc "${flags[@]}" "$here/harness.c" "$here/stubs.c" "$work/old.o" "$work/new.o" -lm -o "$work/ab"
"$work/ab"
