#!/bin/sh
# A command signer for the tests: signs with openssl like a real wrapper would, or fails in one
# chosen way. usage: fake-signer.sh MODE KEY.pem ENCODING STATE_DIR
# It reads the bytes to sign from $MCURELEASE_DIGEST_FILE (config "input": "file") and knows the
# algorithm from $MCURELEASE_ALG. Every run appends a line to STATE_DIR/attempts.
set -eu
mode=$1 key=$2 encoding=$3 state=$4
echo "$mode" >> "$state/attempts"

sign() { # KEY [extra pkeyutl options]: the signature, raw, on stdout
	k=$1
	shift
	case "$MCURELEASE_ALG" in
	rsa-pss-*) set -- -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss "$@" ;;
	ed25519) set -- -rawin "$@" ;;
	esac
	openssl pkeyutl -sign -inkey "$k" -in "$MCURELEASE_DIGEST_FILE" "$@"
}

encode() { # raw stdin -> the configured text form on stdout
	case "$encoding" in
	raw) cat ;;
	base64) openssl base64 -A ;;
	base64url) openssl base64 -A | tr '+/' '-_' | tr -d '=' ;;
	hex) od -An -v -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' ;;
	vault) printf 'vault:v7:'; openssl base64 -A ;;
	esac
}

pss32() {
	case "$MCURELEASE_ALG" in
	rsa-pss-*) echo "-pkeyopt rsa_pss_saltlen:32 -pkeyopt rsa_mgf1_md:sha256" ;;
	esac
}

case "$mode" in
ok)
	# shellcheck disable=SC2046 # the options are meant to split
	sign "$key" $(pss32) | encode
	[ "$encoding" = raw ] || echo # text replies end with a newline, as CLIs print them
	;;
to-file)
	# shellcheck disable=SC2046
	sign "$key" $(pss32) | encode > "$MCURELEASE_SIG_FILE"
	;;
no-file) exit 0 ;;
maxsalt) sign "$key" | encode ;; # OpenSSL's default PSS salt: as long as possible
garbage) echo 'this is not a signature, sorry' ;;
truncate)
	# shellcheck disable=SC2046
	sign "$key" $(pss32) > "$state/full.sig"
	head -c 20 "$state/full.sig" | encode
	;;
empty) exit 0 ;;
big) head -c 70000 /dev/zero ;;
sleep)
	# Ignores SIGTERM, as does its grandchild: only the SIGKILL that follows ends them.
	trap '' TERM
	sleep 30 &
	echo $! > "$state/grandchild.pid"
	echo $$ > "$state/child.pid"
	wait
	;;
slow)
	printf 'MEUCIQ'
	sleep 30
	;;
tempfail-once)
	if [ ! -e "$state/failed-once" ]; then
		: > "$state/failed-once"
		echo 'ThrottlingException: rate exceeded' >&2
		exit 75
	fi
	# shellcheck disable=SC2046
	sign "$key" $(pss32) | encode
	;;
tempfail)
	echo 'ThrottlingException: rate exceeded' >&2
	exit 75
	;;
denied)
	echo "AccessDeniedException: not authorized, session token ${FAKE_TOKEN:-none}" >&2
	exit 77
	;;
fail)
	echo "" >&2
	echo "error: bad request; PIN ${FAKE_PIN:-none} refused; X-Vault-Token: ${FAKE_TOKEN:-none}" >&2
	echo "second line, never shown: ${FAKE_PIN:-none}" >&2
	exit 3
	;;
leak)
	# A secret with no telltale word before it: only its shape gives it away.
	echo "unexpected response ${FAKE_TOKEN:-none} from server" >&2
	exit 1
	;;
lose-completion)
	# Signs, but first makes the audit log refuse the coming sign.completed (as a full disk
	# would between the two appends); STATE_DIR/audit_db names the database.
	sqlite3 "$(cat "$state/audit_db")" "CREATE TRIGGER lose_completion BEFORE INSERT ON events
		WHEN json_extract(NEW.body, '\$.kind') = 'sign.completed'
		BEGIN SELECT RAISE(ABORT, 'database or disk is full (injected)'); END;"
	# shellcheck disable=SC2046
	sign "$key" $(pss32) | encode
	echo
	;;
killed) kill -9 $$ ;;
env)
	env > "$state/env"
	for a in "$@"; do echo "$a"; done > "$state/argv"
	# shellcheck disable=SC2046
	sign "$key" $(pss32) | encode
	;;
*)
	echo "fake-signer: unknown mode $mode" >&2
	exit 64
	;;
esac
