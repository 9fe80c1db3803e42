#!/bin/sh
# A pkcs11-tool wrapper as docs/signer-command.md recommends: the PIN comes from a file and
# reaches pkcs11-tool through its environment (--pin env:VAR), never through any argv.
# usage: p11-sign.sh PIN_FILE PKCS11-TOOL-ARGUMENTS...
set -eu
pin_file=$1
shift
PKCS11_PIN=$(cat "$pin_file") # $(...) drops the file's trailing newline
export PKCS11_PIN
exec pkcs11-tool --login --pin env:PKCS11_PIN "$@"
