#!/usr/bin/env python3
"""A loopback stand-in for HashiCorp Vault's Transit engine, for mcurelease's tests only.

Serves HTTPS on 127.0.0.1 (port 0: the chosen port is written to STATE/port) and implements,
as Vault documents them, the two endpoints the vault-transit signer uses:

  GET  /v1/<mount>/keys/<name>                   public keys per version (PEM; Ed25519: base64)
  POST /v1/<mount>/sign/<name>[/<hash>]          {"data":{"signature":"vault:vN:...",
                                                           "key_version":N}}

Keys are real OpenSSL keys (--key NAME=PEM). Every request needs the X-Vault-Token held in
--token-file, and X-Vault-Namespace if STATE/namespace exists. Errors look like Vault's:
{"errors":["..."]}. Unknown body fields give a warning, as Vault does.

Faults, read from STATE/mode before each request (so one server serves a whole test suite):
  ok            behave
  forbidden     403 to everything             error500     500 to everything
  slow          sign sleeps 5 s               garbage      sign answers 200 with HTML
  truncated     sign reply cut off mid-body   truncated-json  sign reply is half a JSON text
  wrong-key     sign with another key         wrong-pub    key read reports another key
  max-salt      RSA-PSS with the largest salt (Vault's "auto")
  old-vault     ignore salt_length with a warning, as a Vault without it would
  raw-ecdsa     ECDSA r||s instead of DER     no-prefix    signature without "vault:vN:"
  wrong-version signature claims version 9    echo-token   400 quoting the received token

Each request is appended to STATE/requests.jsonl (method, path, the Vault headers, body).
The server exits when its standard input reaches end of file, so it never outlives the test.
"""
import argparse
import base64
import http.server
import json
import os
import socket
import socketserver
import ssl
import sys
import threading
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

HASHES = {"sha2-256": hashes.SHA256, "sha2-384": hashes.SHA384, "sha2-512": hashes.SHA512}
SIGN_FIELDS = {"input", "prehashed", "hash_algorithm", "signature_algorithm", "salt_length",
               "marshaling_algorithm", "key_version", "context", "batch_input", "reference"}


def key_type(key):
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa-%d" % key.key_size
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {"secp256r1": "ecdsa-p256", "secp384r1": "ecdsa-p384"}[key.curve.name]
    return "ed25519"


def new_key_like(key):
    if isinstance(key, rsa.RSAPrivateKey):
        return rsa.generate_private_key(65537, key.key_size)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return ec.generate_private_key(key.curve)
    return ed25519.Ed25519PrivateKey.generate()


def public_text(key):
    pub = key.public_key()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode()
    return pub.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def der_to_raw(der, key):
    r, s = utils.decode_dss_signature(der)
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


class VaultError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class State:
    def __init__(self, args):
        self.dir = args.state
        self.mount = args.mount
        self.latest = args.latest_version
        with open(args.token_file) as f:
            self.token = f.read().strip()
        self.keys = {}
        for spec in args.key:
            name, path = spec.split("=", 1)
            with open(path, "rb") as f:
                self.keys[name] = serialization.load_pem_private_key(f.read(), None)
        self.others = {}
        self.lock = threading.Lock()

    def read(self, name, default=None):
        try:
            with open(os.path.join(self.dir, name)) as f:
                return f.read().strip()
        except FileNotFoundError:
            return default

    def other_key(self, name):
        with self.lock:
            if name not in self.others:
                self.others[name] = new_key_like(self.keys[name])
            return self.others[name]

    def log(self, entry):
        with self.lock, open(os.path.join(self.dir, "requests.jsonl"), "a") as f:
            f.write(json.dumps(entry) + "\n")


def sign_rsa(key, digest, algo, body, mode):
    if body.get("signature_algorithm", "pss") == "pkcs1v15":
        pad = padding.PKCS1v15()
    else:
        salt = body.get("salt_length", "auto")
        if mode in ("max-salt", "old-vault") or salt == "auto":
            salt_len = padding.PSS.MAX_LENGTH
        elif salt == "hash":
            salt_len = algo.digest_size
        else:
            salt_len = int(salt)
        pad = padding.PSS(mgf=padding.MGF1(algo), salt_length=salt_len)
    return key.sign(digest, pad, utils.Prehashed(algo))


def make_signature(key, body, hash_name, mode):
    try:
        data = base64.b64decode(body.get("input", ""), validate=True)
    except ValueError as e:
        raise VaultError(400, "unable to decode input as base64: %s" % e)
    prehashed = body.get("prehashed", False)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        if prehashed:
            raise VaultError(400, "prehashed ed25519 (Ed25519ph) is an Enterprise feature")
        return key.sign(data), False
    algo = HASHES.get(hash_name or body.get("hash_algorithm", "sha2-256"))
    if algo is None:
        raise VaultError(400, "invalid hash algorithm %r" % hash_name)
    algo = algo()
    if not prehashed:
        h = hashes.Hash(algo)
        h.update(data)
        data = h.finalize()
    if len(data) != algo.digest_size:
        raise VaultError(400, "input must be hashed with the given hash (%d bytes)"
                         % algo.digest_size)
    if isinstance(key, rsa.RSAPrivateKey):
        return sign_rsa(key, data, algo, body, mode), False
    der = key.sign(data, ec.ECDSA(utils.Prehashed(algo)))
    if mode == "raw-ecdsa":
        return der_to_raw(der, key), False
    if body.get("marshaling_algorithm", "asn1") == "jws":
        return der_to_raw(der, key), True
    return der, False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj=None, raw=None, cut=False):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if cut:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def do_GET(self):
        self.serve("GET")

    def do_POST(self):
        self.serve("POST")

    def serve(self, method):
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        state.log({"method": method, "path": self.path, "body": body,
                   "token": self.headers.get("X-Vault-Token"),
                   "namespace": self.headers.get("X-Vault-Namespace"),
                   "request": self.headers.get("X-Vault-Request"),
                   "content_type": self.headers.get("Content-Type")})
        mode = state.read("mode", "ok")
        try:
            self.route(state, method, body, mode)
        except VaultError as e:
            self.reply(e.status, {"errors": [str(e)]})

    def check_auth(self, state, mode):
        if mode == "forbidden" or self.headers.get("X-Vault-Token") != state.token:
            raise VaultError(403, "permission denied")
        namespace = state.read("namespace")
        if namespace is not None and self.headers.get("X-Vault-Namespace") != namespace:
            raise VaultError(403, "permission denied")
        if mode == "error500":
            raise VaultError(500, "1 error occurred:\n\t* internal error\n\n")

    def route(self, state, method, body, mode):
        self.check_auth(state, mode)
        prefix = "/v1/%s/" % state.mount
        parts = self.path[len(prefix):].split("/") if self.path.startswith(prefix) else []
        if method == "GET" and len(parts) == 2 and parts[0] == "keys" and parts[1] in state.keys:
            return self.read_key(state, parts[1], mode)
        if method == "POST" and len(parts) in (2, 3) and parts[0] == "sign":
            if parts[1] not in state.keys:
                raise VaultError(400, "signing key not found")
            if body is None:
                raise VaultError(400, "failed to parse JSON input")
            return self.sign(state, parts[1], parts[2] if len(parts) == 3 else None, body, mode)
        raise VaultError(404, "no handler for route %r" % self.path)

    def read_key(self, state, name, mode):
        key = state.other_key(name) if mode == "wrong-pub" else state.keys[name]
        versions = {str(v): {"creation_time": "2026-11-24T10:00:00Z", "name": key_type(key),
                             "public_key": public_text(key)} for v in range(1, state.latest + 1)}
        self.reply(200, {"request_id": "fake", "data": {
            "name": name, "type": key_type(key), "keys": versions, "latest_version": state.latest,
            "min_decryption_version": 1, "min_encryption_version": 0, "supports_signing": True,
            "exportable": False, "deletion_allowed": False}, "warnings": None})

    def sign(self, state, name, hash_name, body, mode):
        if mode == "slow":
            time.sleep(5)
        if mode == "echo-token":
            raise VaultError(400, "token %s may not sign" % self.headers.get("X-Vault-Token"))
        version = int(body.get("key_version") or state.latest)
        if version > state.latest:
            raise VaultError(400, "requested version for signing is higher than the latest "
                                  "key version")
        key = state.other_key(name) if mode == "wrong-key" else state.keys[name]
        sig, url_safe = make_signature(key, body, hash_name, mode)
        if url_safe:
            text = base64.urlsafe_b64encode(sig).rstrip(b"=").decode()
        else:
            text = base64.b64encode(sig).decode()
        if mode == "wrong-version":
            version = 9
        unknown = sorted(set(body) - SIGN_FIELDS)
        if mode == "old-vault":
            unknown = sorted(set(unknown) | {"salt_length"})
        warnings = None
        if unknown:
            warnings = ["Endpoint ignored these unrecognized parameters: [%s]" % " ".join(unknown)]
        reply = {"request_id": "fake", "data": {
            "signature": text if mode == "no-prefix" else "vault:v%d:%s" % (version, text),
            "key_version": version}, "warnings": warnings}
        if mode == "garbage":
            return self.reply(200, raw=b"<html><body>502 Bad Gateway</body></html>")
        encoded = json.dumps(reply).encode()
        if mode == "truncated-json":
            return self.reply(200, raw=encoded[:len(encoded) // 2])
        self.reply(200, raw=encoded, cut=(mode == "truncated"))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def finish_request(self, request, client_address):
        # TLS per connection in the worker thread: a client refusing our certificate
        # (the TLS-failure test) must not stall the accept loop.
        request.settimeout(30)
        # As Go (and so Vault) does: without it, Nagle's algorithm meets the client's
        # delayed ACK and every reply waits 40 ms.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (ssl.SSLError, OSError):
            pass
        finally:
            conn.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--state", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--cert-key", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--mount", default="transit")
    p.add_argument("--latest-version", type=int, default=3)
    p.add_argument("--key", action="append", default=[], help="NAME=PEM")
    args = p.parse_args()

    server = Server(("127.0.0.1", 0), Handler)
    server.state = State(args)
    server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.tls.load_cert_chain(args.cert, args.cert_key)

    def watch_stdin():
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    port_file = os.path.join(args.state, "port")
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
