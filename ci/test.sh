#!/usr/bin/env bash
# Builds mcurelease with warnings as errors and runs the whole test suite twice:
# a normal optimised build, then an AddressSanitizer + UndefinedBehaviorSanitizer build.
# Usage: bash ci/test.sh [--quick]   (--quick: skip the sanitizer pass)
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
fi
echo "== all tests passed"
