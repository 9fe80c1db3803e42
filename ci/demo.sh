#!/usr/bin/env bash
# The demo: a release, end to end, made of real parts. In a temporary directory it makes a
# firmware repository with a release tag signed by the release manager's SSH key, a SoftHSM
# token holding the release key (generated on the token, never extractable), two builders
# who build the tag independently, then runs `mcurelease sign`, verifies the signed image (as
# MCUboot would, and its provenance with `mcurelease verify`), shows that an image signed with
# the release key outside mcurelease raises the alarm, shows a refusal, checks the audit log
# and exports the compliance report.
# Needs what ci/install-deps.sh installs. Leaves its files in the directory it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

echo "building mcurelease ..."
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCR_TESTS=OFF >/dev/null
cmake --build build/demo -j"$(nproc)" >/dev/null
mcr="$root/build/demo/mcurelease"
start=$(date +%s.%N)

work=$(mktemp -d /tmp/mcurelease-demo-XXXXXX)
cd "$work"
mkdir -p keys hsm/tokens records out
export HOME="$work/home" TZ=UTC GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "people and their keys: a release manager and two builders (SSH, ed25519)"
for who in release-manager builder-a builder-b; do
	ssh-keygen -q -t ed25519 -N '' -C "$who@acme.example" -f "keys/$who"
done
printf '%s@acme.example namespaces="git" %s\n' release-manager "$(cut -d' ' -f1,2 keys/release-manager.pub)" \
	> keys/release-managers
for who in builder-a builder-b; do
	printf '%s@acme.example namespaces="mcurelease-build" %s\n' "$who" "$(cut -d' ' -f1,2 "keys/$who.pub")"
done > keys/builders
cat keys/release-managers keys/builders

step "a firmware repository; the release manager tags v1.4.0 and signs the tag"
git init -q -b main repo
cat > repo/main.c <<'EOF'
#include <stdio.h>
static const char banner[] = "acme-sensor " __DATE__ " " __TIME__;
int main(void) { puts(banner); return 0; }
EOF
# The image is laid out as Zephyr's zephyr.bin: 0x200 zero bytes for the MCUboot header, then
# the program. Reproducible: no paths, and the date comes from SOURCE_DATE_EPOCH.
cat > repo/Makefile <<'EOF'
CFLAGS = -O2 -ffile-prefix-map=$(CURDIR)=.
build/zephyr.bin: main.c
	mkdir -p build
	$(CC) $(CFLAGS) -o build/app main.c
	{ head -c 512 /dev/zero; cat build/app; } > build/zephyr.bin
EOF
printf 'build/\n' > repo/.gitignore
git -C repo add -A
git -C repo -c user.name='Rel Manager' -c user.email=release-manager@acme.example commit -q -m 'acme-sensor 1.4.0'
git -C repo -c user.name='Rel Manager' -c user.email=release-manager@acme.example \
	-c gpg.format=ssh -c user.signingkey="$work/keys/release-manager" \
	tag -s v1.4.0 -m 'acme-sensor 1.4.0'
git -C repo -c gpg.ssh.allowedSignersFile="$work/keys/release-managers" verify-tag v1.4.0

step "a SoftHSM token with the release key (P-256), generated on the token"
export SOFTHSM2_CONF="$work/hsm/softhsm2.conf"
printf 'directories.tokendir = %s/hsm/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$work" \
	> "$SOFTHSM2_CONF"
umask 077
printf 'demo-pin-4711\n' > hsm/pin
umask 022
softhsm2-util --init-token --free --label release --so-pin 12345678 --pin "$(cat hsm/pin)" >/dev/null
module=/usr/lib/softhsm/libsofthsm2.so
PKCS11_PIN=$(cat hsm/pin) pkcs11-tool --module "$module" --token-label release --login \
	--pin env:PKCS11_PIN --keypairgen --key-type EC:prime256v1 --id 01 --label fw-release \
	>/dev/null 2>&1
pkcs11-tool --module "$module" --token-label release --read-object --type pubkey --label fw-release \
	-o hsm/release.pub.der 2>/dev/null
openssl pkey -pubin -inform DER -in hsm/release.pub.der -out hsm/release.pub.pem
cat hsm/release.pub.pem
openssl genpkey -algorithm ED25519 -out keys/log.pem # signs audit checkpoints

step "the config: who may tag, which builders count, which key signs, where the log is"
cat > mcurelease.json <<EOF
{
  "product": "acme-sensor",
  "signers": {
    "release": {"type": "pkcs11", "uri": "pkcs11:token=release;object=fw-release;type=private",
                "module": "$module", "pin_file": "$work/hsm/pin",
                "public_key": "$work/hsm/release.pub.pem"},
    "log": {"type": "file", "key": "$work/keys/log.pem"}
  },
  "policy": {
    "tag": {"ssh_allowed_signers": "$work/keys/release-managers", "pin_store": "$work/tag-pins.json"},
    "builders": {"quorum": 2, "allowed_signers": "$work/keys/builders"},
    "release_signer": "release"
  },
  "image": {"header_size": "0x200", "slot_size": "0x60000"},
  "build": {"command": ["make"], "artifacts": ["build/zephyr.bin"], "work_dir": "$work/builds"},
  "audit": {"database": "$work/audit.db", "log_signer": "log"}
}
EOF
export MCURELEASE_CONFIG="$work/mcurelease.json"
show "$mcr" config check
show "$mcr" signer test release

step "two builders build the tag from a clean checkout, each signing a build record"
for who in builder-a builder-b; do
	show "$mcr" -q build --repo repo --tag v1.4.0 --builder "$who@acme.example" --key "keys/$who" \
		-o "records/$who.json" --copy-artifacts "builds/$who"
done
sha256sum builds/*/build/zephyr.bin
show "$mcr" records check --repo repo --tag v1.4.0 builds/builder-a/build/zephyr.bin records/*.json

step "the release job: gate, request, sign on the token, write, record"
show "$mcr" sign --repo repo --tag v1.4.0 --timings -o out/zephyr.signed.bin \
	builds/builder-a/build/zephyr.bin records/*.json

step "verify the signed image as MCUboot would, with the public key only"
show "$mcr" imgtool verify -k hsm/release.pub.pem out/zephyr.signed.bin
"$mcr" imgtool dumpinfo out/zephyr.signed.bin | sed -n '1,12p'
jq '{subject, tag: .predicate.buildDefinition.externalParameters.tag,
     builders: [.predicate.buildDefinition.resolvedDependencies[1:][].annotations.builder]}' \
	out/zephyr.signed.bin.intoto.json

step "a developer asks: is this binary ours? (signature, release record, proof, tag)"
show "$mcr" verify --repo repo out/zephyr.signed.bin

step "the release key used around mcurelease is caught: signed, but never recorded"
"$mcr" imgtool sign --key signer:release --version 1.4.0 --header-size 0x200 --pad-header \
	--slot-size 0x60000 builds/builder-a/build/zephyr.bin out/around.bin
if "$mcr" verify --repo repo out/around.bin; then
	echo "demo: an image signed outside mcurelease passed as genuine" >&2
	exit 1
fi

step "a refusal: someone pushes an unsigned tag v1.4.1"
git -C repo -c user.name=Someone -c user.email=someone@acme.example tag -a v1.4.1 -m 'quick fix'
if "$mcr" sign --repo repo --tag v1.4.1 -o out/quickfix.bin builds/builder-a/build/zephyr.bin \
	records/*.json; then
	echo "demo: an unsigned tag was signed" >&2
	exit 1
fi

step "the audit log: every request, refusal and signature, hash-chained and checkpointed"
show "$mcr" audit log
show "$mcr" audit verify

step "the compliance officer's export"
show "$mcr" audit export --format html -o report.html
show "$mcr" audit export --format json -o report.json
jq '{product, releases: [.releases[]? | {tag, version}], refusals: [.refusals[]? | {tag, reason}]}' \
	report.json 2>/dev/null || true

end=$(date +%s.%N)
printf '\ndemo finished in %.1f s (after the build): signed on the token, verified, out-of-band signing\n' \
	"$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')"
printf 'caught, refusal recorded, log verified, report exported. Files: %s (report: %s/report.html)\n' \
	"$work" "$work"
