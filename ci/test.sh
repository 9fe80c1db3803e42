#!/usr/bin/env bash
# Builds mcurelease with warnings as errors and runs the whole test suite twice:
# a normal optimised build, then an AddressSanitizer + UndefinedBehaviorSanitizer build;
# then builds the libFuzzer targets with clang and gives each a short smoke run.
# Usage: bash ci/test.sh [--quick]   (--quick: skip the sanitizer pass and the fuzz smoke runs)
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
quick=0
[ "${1:-}" = "--quick" ] && quick=1

run_suite() {
	local dir=$1
	shift
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
	cmake --build "$dir" -j"$jobs"
	ctest --test-dir "$dir" --output-on-failure -j"$jobs"
}

echo "== build and test (RelWithDebInfo, -Werror)"
run_suite build/ci
if [ "$quick" -eq 0 ]; then
	# the sanitizer options for the tests are set in tests/CMakeLists.txt
	echo "== build and test under ASan+UBSan"
	run_suite build/ci-asan -DMCR_SANITIZE=ON
	# 2000 mutated inputs per target from its seed corpus; long runs: docs/fuzzing.md
	echo "== fuzz targets: smoke runs (clang, libFuzzer, ASan+UBSan)"
	cmake -S . -B build/ci-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
		-DMCR_FUZZ=ON -DMCR_TESTS=OFF >/dev/null
	cmake --build build/ci-fuzz -j"$jobs" --target fuzz_targets
	ctest --test-dir build/ci-fuzz/tests/fuzz -L fuzz --output-on-failure -j"$jobs"
fi
echo "== all tests passed"
