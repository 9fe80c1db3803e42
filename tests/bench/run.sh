#!/usr/bin/env bash
# Runs the benchmarks on an optimised build (RelWithDebInfo, -O2: the build CI checks) and prints their figures.
# Usage: bash tests/bench/run.sh [bench_name...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/bench -j"$(nproc)" >/dev/null
benches=("$@")
[ ${#benches[@]} -eq 0 ] && benches=(bench_image bench_signer bench_audit bench_export bench_sign)
for b in "${benches[@]}"; do
	echo "== $b"
	if [ -f "tests/bench/$b.sh" ]; then
		bash "tests/bench/$b.sh" "$PWD/build/bench/mcurelease"
	else
		"build/bench/tests/bench/$b" "$PWD/build/bench/mcurelease"
	fi
done
