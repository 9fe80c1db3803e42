#!/usr/bin/env bash
# The whole test suite once under valgrind's memcheck, on a plain (unsanitized) build:
# every unit suite runs under valgrind itself (Check's forked test processes included), and
# every e2e suite runs every mcurelease it starts under valgrind (MCR_TEST_WRAP), leaving the
# tools around it (git, gpg, ssh-keygen, SoftHSM) alone. One log per process; any memcheck
# error or definite leak fails the run and prints its log.
# usage: bash ci/valgrind.sh BUILD_DIR [SUITE...]   (SUITE: e.g. unit_json e2e_sign; default all)
# MCR_VG_JOBS: suites run at once (default: the number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "$1" && pwd)
shift
logs=$(mktemp -d "${TMPDIR:-/tmp}/mcr-valgrind-XXXXXX")
supp=$PWD/tests/valgrind.supp

# --error-exitcode makes a bad process fail its test as well; the logs say why.
# an absolute path: some tests run the binary with a PATH that has only what they allow
vg="$(command -v valgrind) --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
vg="$vg --show-leak-kinds=definite --track-fds=no --num-callers=30 --suppressions=$supp"
vg="$vg --log-file=$logs/%q{MCR_VG_SUITE}.%p.log"
# memcheck is 20-50x slower: Check's per-test timeout goes up with it
export CK_DEFAULT_TIMEOUT=1200

if [ $# -eq 0 ]; then
	# every Check suite (e2e_secrets_scan and e2e_ci_templates are scripts, not suites)
	mapfile -t suites < <(ctest --test-dir "$build" -N -L 'unit|e2e' |
		sed -n 's/^ *Test *#[0-9]*: *\([a-z0-9_]*\)$/\1/p' |
		while read -r s; do [ -x "$build/tests/check_$s" ] && echo "$s"; done)
else
	suites=("$@")
fi

# One suite: its verdict on stdout, its output in LOGS/SUITE.out.
run_one() {
	local suite=$1 exe="$build/tests/check_$1" t0
	t0=$(date +%s)
	export MCR_VG_SUITE=$suite
	# shellcheck disable=SC2086 # vg is a command line: split into words on purpose
	case $suite in
	unit_*) set -- $vg "$exe" ;;
	e2e_*) export MCR_TEST_WRAP="$vg"; set -- "$exe" ;;
	*) echo "valgrind: '$suite' is not a unit_ or e2e_ suite: FAILED"; return ;;
	esac
	if "$@" > "$logs/$suite.out" 2>&1; then
		echo "valgrind: $suite passed ($(($(date +%s) - t0)) s)"
	else
		echo "valgrind: $suite FAILED ($(($(date +%s) - t0)) s)"
		tail -20 "$logs/$suite.out"
	fi
}
export -f run_one
export build logs vg

start=$(date +%s)
# the slow e2e suites first, so that the lanes end together
printf '%s\n' "${suites[@]}" | sort |
	xargs -P "${MCR_VG_JOBS:-$(nproc)}" -I{} bash -c 'run_one {}' | tee "$logs/verdicts"
mapfile -t failed < <(sed -n 's/^valgrind: \([a-z0-9_]*\) FAILED.*/\1/p' "$logs/verdicts")

# Belt and braces: a process whose exit status no test looked at still leaves its log.
bad=$(grep -lE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$logs"/*.log 2>/dev/null || true)
processes=$(find "$logs" -name '*.log' | wc -l)
echo "valgrind: ${#suites[@]} suites, $processes processes checked, $(($(date +%s) - start)) s"
if [ -n "$bad" ]; then
	echo "valgrind: memcheck errors in:" >&2
	for f in $(echo "$bad" | head -5); do
		echo "--- $f" >&2
		grep -vE '^==[0-9]+== *$' "$f" | head -60 >&2
	done
	failed+=(memcheck)
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "valgrind: failed: ${failed[*]} (logs kept in $logs)" >&2
	exit 1
fi
rm -rf "$logs"
echo "valgrind: clean"
