#!/usr/bin/env bash
# Benchmark of the release job: 'mcurelease sign' of a 1 MiB image, tag signed with OpenPGP
# (gpg), two build records, the release key a P-256 key on a SoftHSM token, the log on disk.
# Prints the median and best of each phase (from --json) and of the whole process (wall clock,
# process start included). Target (issue 7): total <= 100 ms.
# Usage: bench_sign.sh MCURELEASE [RUNS]
set -euo pipefail
mcr=$1
runs=${2:-15}
work=$(mktemp -d /tmp/mcr-bench-sign-XXXXXX)
trap 'gpgconf --homedir "$work/gnupg" --kill gpg-agent 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
export HOME="$work" GNUPGHOME="$work/gnupg" TZ=UTC GIT_CONFIG_NOSYSTEM=1
mkdir -p -m 700 gnupg
mkdir -p keys hsm/tokens records times

# The release manager's OpenPGP key and two builders' SSH keys.
gpg -q --batch --pinentry-mode loopback --passphrase '' \
	--quick-gen-key 'Release Manager <rm@acme.example>' ed25519 sign never 2>/dev/null
gpg -q --batch --check-trustdb 2>/dev/null || true
fpr=$(gpg --with-colons --list-secret-keys | awk -F: '/^fpr/ {print $10; exit}')
gpg -q --armor --export "$fpr" > keys/release-manager.asc
for who in a b; do
	ssh-keygen -q -t ed25519 -N '' -C "builder-$who" -f "keys/builder-$who"
	printf 'builder-%s namespaces="mcurelease-build" %s\n' "$who" "$(cut -d' ' -f1,2 "keys/builder-$who.pub")"
done > keys/builders

# A repository whose build yields a 1 MiB payload behind the 0x200-byte header space.
git init -q -b main repo
head -c 1048576 /dev/urandom > repo/payload.bin
printf 'build/zephyr.bin: payload.bin\n\tmkdir -p build\n\t{ head -c 512 /dev/zero; cat payload.bin; } > $@\n' \
	> repo/Makefile
git -C repo add -A
git -C repo -c user.name=RM -c user.email=rm@acme.example commit -q -m firmware

# The release key on a SoftHSM token.
export SOFTHSM2_CONF="$work/hsm/softhsm2.conf"
printf 'directories.tokendir = %s/hsm/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$work" \
	> "$SOFTHSM2_CONF"
printf 'bench-pin\n' > hsm/pin
softhsm2-util --init-token --free --label release --so-pin 12345678 --pin bench-pin >/dev/null
module=/usr/lib/softhsm/libsofthsm2.so
PKCS11_PIN=bench-pin pkcs11-tool --module "$module" --token-label release --login --pin env:PKCS11_PIN \
	--keypairgen --key-type EC:prime256v1 --id 01 --label release >/dev/null 2>&1
pkcs11-tool --module "$module" --token-label release --read-object --type pubkey --label release \
	-o hsm/release.der 2>/dev/null
openssl pkey -pubin -inform DER -in hsm/release.der -out hsm/release.pem
openssl genpkey -algorithm ED25519 -out keys/log.pem

cat > mcurelease.json <<EOF
{
  "product": "bench",
  "signers": {
    "release": {"type": "pkcs11", "uri": "pkcs11:token=release;object=release;type=private",
                "module": "$module", "pin_file": "$work/hsm/pin", "public_key": "$work/hsm/release.pem"},
    "log": {"type": "file", "key": "$work/keys/log.pem"}
  },
  "policy": {
    "tag": {"gpg_fingerprints": ["$fpr"], "gpg_keyring": "$work/keys/release-manager.asc"},
    "builders": {"quorum": 2, "allowed_signers": "$work/keys/builders"}
  },
  "image": {"slot_size": "0x200000"},
  "build": {"command": ["make"], "artifacts": ["build/zephyr.bin"], "work_dir": "$work/builds"},
  "audit": {"database": "$work/audit.db", "log_signer": "log"}
}
EOF
export MCURELEASE_CONFIG="$work/mcurelease.json"

# One release tag per run, each built by both builders: every run is a first signature.
for i in $(seq 1 "$runs"); do
	tag="v1.0.$i"
	git -C repo -c user.name=RM -c user.email=rm@acme.example -c user.signingkey="$fpr" \
		tag -s "$tag" -m "release $tag"
	"$mcr" -q build --repo repo --tag "$tag" --builder builder-a --key keys/builder-a \
		-o "records/$tag.a.json" --copy-artifacts "images/$tag" >/dev/null
	"$mcr" -q build --repo repo --tag "$tag" --builder builder-b --key keys/builder-b \
		-o "records/$tag.b.json" >/dev/null
done

printf 'sign: %d runs, 1 MiB image, gpg tag, 2 records, SoftHSM P-256\n' "$runs"
for i in $(seq 1 "$runs"); do
	tag="v1.0.$i"
	start=$(date +%s%N)
	"$mcr" sign --repo repo --tag "$tag" --json -o "signed-$i.bin" "images/$tag/build/zephyr.bin" \
		"records/$tag.a.json" "records/$tag.b.json" > "times/$i.json"
	end=$(date +%s%N)
	jq --argjson wall "$(((end - start) / 1000))" '.timings_ms + {wall: ($wall / 1000)}' "times/$i.json" \
		> "times/$i.t.json"
done
python3 - "$work/times" <<'EOF'
import glob, json, statistics, sys
rows = [json.load(open(p)) for p in sorted(glob.glob(sys.argv[1] + "/*.t.json"))]
for key in ["setup", "request", "check", "sign", "write", "complete", "total", "wall"]:
    values = [r[key] for r in rows]
    print(f"  {key:9s} median {statistics.median(values):8.2f} ms   best {min(values):8.2f} ms")
EOF
