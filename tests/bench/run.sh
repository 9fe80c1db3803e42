#!/usr/bin/env bash
# Runs the benchmarks on an optimised build and prints their figures.
# Usage: bash tests/bench/run.sh [bench_name...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench -j"$(nproc)" >/dev/null
benches=("$@")
[ ${#benches[@]} -eq 0 ] && benches=(bench_image bench_signer bench_audit)
for b in "${benches[@]}"; do
	echo "== $b"
	"build/bench/tests/bench/$b" "$PWD/build/bench/mcurelease"
done
