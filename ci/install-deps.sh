#!/usr/bin/env bash
# Installs everything mcurelease needs to build, test and run its demo on Debian 12.
# Idempotent: when every package is already present it changes nothing.
set -euo pipefail

packages=(
	# build
	build-essential cmake pkg-config clang libclang-rt-14-dev
	# libraries (see README "Libraries")
	libgit2-dev libssl-dev libcjson-dev libsqlite3-dev libcurl4-openssl-dev libp11-kit-dev check
	# tools the program drives, and the real peers its tests use
	git gnupg openssh-client openssh-server openssl sqlite3 softhsm2 opensc gnutls-bin
	python3 python3-cryptography python3-jsonschema poppler-utils valgrind hyperfine xxd
	ca-certificates procps jq strace python3-yaml shellcheck
	# audit export --format pdf|bundle prints its HTML report with headless Chromium
	chromium fonts-dejavu-core
)

missing=()
for pkg in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages (${missing[*]}); run as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
