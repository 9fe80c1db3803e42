#!/usr/bin/env bash
# Builds mcurelease with warnings as errors and runs the whole test suite twice:
# a normal optimised build, then an AddressSanitizer + UndefinedBehaviorSanitizer build; then
# the unit suites and a set of e2e suites again under valgrind's memcheck on the normal build;
# then builds the libFuzzer targets with clang and gives each a short smoke run.
# Usage: bash ci/test.sh [--quick]   (--quick: only the normal build and its suite)
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
	# memcheck on the plain build: every unit suite, and the e2e suites of the signers, the
	# audit log and verify. The whole suite under valgrind takes about 35 minutes on two
	# cores, too long for one CI run: 'bash ci/valgrind.sh build/ci' runs all of it.
	echo "== the suite under valgrind (memcheck)"
	mapfile -t units < <(find build/ci/tests -maxdepth 1 -name 'check_unit_*' -printf '%f\n' | sed 's/^check_//' | sort)
	bash ci/valgrind.sh build/ci "${units[@]}" e2e_verify e2e_signer_pkcs11 e2e_signer_vault \
		e2e_signer_command e2e_audit_cmd e2e_imgtool_cli e2e_audit_concurrency e2e_hooks
	# 2000 mutated inputs per target from its seed corpus; long runs: docs/fuzzing.md
	echo "== fuzz targets: smoke runs (clang, libFuzzer, ASan+UBSan)"
	cmake -S . -B build/ci-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
		-DMCR_FUZZ=ON -DMCR_TESTS=OFF >/dev/null
	cmake --build build/ci-fuzz -j"$jobs" --target fuzz_targets
	ctest --test-dir build/ci-fuzz/tests/fuzz -L fuzz --output-on-failure -j"$jobs"
fi
echo "== all tests passed"
