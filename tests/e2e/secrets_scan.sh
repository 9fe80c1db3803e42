#!/usr/bin/env bash
# Secrets never reach argv, messages, logs or the audit log. This runs the end-to-end suites
# that handle PINs and tokens with every mcurelease process traced by strace (the argv of it and
# of every child it starts), every command's output written to one transcript, and every temp
# directory kept; then it looks for each PIN and token those suites use in all of that.
# usage: secrets_scan.sh BUILD_DIR
set -euo pipefail
build=$1
scan=$(mktemp -d "${TMPDIR:-/tmp}/mcr-secrets-XXXXXX")
trap 'if [ "${found:-1}" -eq 0 ]; then rm -rf "$scan"; else echo "secrets_scan: kept $scan" >&2; fi' EXIT
mkdir "$scan/trace" "$scan/tmp"

# The secrets the suites use (tests/support/hsmfix.h, tests/e2e/check_signer_vault.c,
# tests/e2e/check_signer_command.c, tests/e2e/check_sign.c).
secrets=(
	"pin-7731-q"
	"hvs.MCRTEST-7f3a9c1e-never-print-me"
	"hvs.MCRTEST-wrong-token-0b5d"
	"hvs.CAESIJlUa3F0b2tlbi1zZWNyZXQtdmFsdWU"
	"98765432"
)

export TMPDIR="$scan/tmp" MCR_TEST_KEEP=1 MCR_TEST_TRANSCRIPT="$scan/transcript" CK_DEFAULT_TIMEOUT=600
export MCR_TEST_WRAP="strace -ff -qq -s 65536 -e trace=execve -o $scan/trace/mcurelease"
ran=0
for suite in signer_pkcs11 signer_command signer_vault sign remote verify; do
	exe="$build/tests/check_e2e_$suite"
	[ -x "$exe" ] || continue
	if ! "$exe" > "$scan/$suite.out" 2>&1; then
		echo "secrets_scan: suite $suite failed under the scan:" >&2
		tail -20 "$scan/$suite.out" >&2
		exit 1
	fi
	ran=$((ran + 1))
done
traces=$(find "$scan/trace" -type f | wc -l)
execs=$(cat "$scan/trace"/* | grep -c 'execve(' || true)
echo "secrets_scan: $ran suites, $traces traced mcurelease runs, $execs processes started"
[ "$traces" -gt 50 ] || { echo "secrets_scan: too few traced runs: is strace working?" >&2; exit 1; }

# Where secrets must never be: argv of every process mcurelease started, everything any
# command printed, and what mcurelease wrote (audit logs, responses, records, reports, logs).
# Not scanned: the files the tests write the secrets into on purpose (PIN and token files),
# the fake Vault server's own request log (the server side of the wire), and what the fake
# command signer dumps of the environment it was deliberately given (env_pass).
mapfile -t files < <(find "$scan/tmp" -type f \( -name '*.db' -o -name '*.db-wal' -o \
	-name '*.db-journal' -o -name '*.json' -o -name '*.jsonl' -o -name '*.log' -o \
	-name '*.txt' -o -name '*.html' -o -name '*.csv' -o -name '*.hex' -o -name '*.note' \) \
	! -name 'requests.jsonl')
echo "secrets_scan: ${#files[@]} output files, $(wc -c < "$scan/transcript") bytes of transcript"
found=0
for secret in "${secrets[@]}"; do
	if grep -rlaF -- "$secret" "$scan/trace" "$scan/transcript" "${files[@]}" > "$scan/hits"; then
		echo "secrets_scan: '$secret' found in:" >&2
		head -5 "$scan/hits" >&2
		found=1
	fi
done
[ "$found" -eq 0 ] || exit 1
echo "secrets_scan: no PIN or token in argv, output, logs or audit events"
