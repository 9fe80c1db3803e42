#!/usr/bin/env bash
# The demo: builds mcurelease, then in a temporary directory signs a Zephyr-style firmware
# image with a development key, verifies it, and dumps it. Later stages of the project grow
# this into the full release flow (signed tag, HSM key, audit log, export).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DMCR_TESTS=OFF >/dev/null
cmake --build build/demo -j"$(nproc)" >/dev/null
mcr="$root/build/demo/mcurelease"

work=$(mktemp -d /tmp/mcurelease-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
step() { printf '\n== %s\n' "$*"; }

step "a firmware image as Zephyr builds it: 0x200 zero bytes for the header, then the code"
{ head -c 512 /dev/zero; head -c 40000 /dev/urandom; } > zephyr.bin
ls -l zephyr.bin

step "a development key (P-256), kept in a file: fine for a laptop, never for a release"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out dev.pem 2>/dev/null
"$mcr" imgtool getpub -k dev.pem -e pem > dev.pub.pem
cat dev.pub.pem

step "sign it with imgtool's own options: mcurelease imgtool sign"
"$mcr" imgtool sign --key dev.pem --version 1.4.0+7 --header-size 0x200 --slot-size 0x60000 \
	--align 4 --security-counter auto zephyr.bin zephyr.signed.bin
"$mcr" imgtool sign --key dev.pem --version 1.4.0+7 --header-size 0x200 --slot-size 0x60000 \
	--align 4 --security-counter auto --hex-addr 0xc000 zephyr.bin zephyr.signed.hex
ls -l zephyr.signed.bin zephyr.signed.hex

step "verify it as MCUboot would"
"$mcr" imgtool verify -k dev.pub.pem zephyr.signed.bin
"$mcr" imgtool verify -k dev.pub.pem zephyr.signed.hex

step "a byte flipped in the payload is caught"
cp zephyr.signed.bin tampered.bin
printf '\x42' | dd of=tampered.bin bs=1 seek=4096 conv=notrunc status=none
if "$mcr" imgtool verify -k dev.pub.pem tampered.bin; then
	echo "demo: tampered image was accepted" >&2
	exit 1
fi

step "what is inside"
"$mcr" imgtool dumpinfo zephyr.signed.bin

printf '\ndemo finished: signed, verified, tampering detected\n'
