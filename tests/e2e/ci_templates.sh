#!/usr/bin/env bash
# Checks the release CI templates in ci/templates against the built binary. All of them parse
# as YAML, run on v* tags only, use only mcurelease commands and options that exist, and keep
# secrets off command lines. The all-in-one templates sign in one job, on the signing host. The
# remote templates never run 'mcurelease sign': one job on an ordinary runner runs 'mcurelease
# request', sends the request to the signing host with a host-key-checked ssh, keeps the
# response when the host says no, and runs 'mcurelease assemble'. When the shellcheck tool is
# installed, it lints the shell bodies too.
# Usage: tests/e2e/ci_templates.sh PATH/TO/mcurelease [TEMPLATE_DIR]
#   TEMPLATE_DIR defaults to ci/templates; give a copy to try changed templates.
# Exit status: 0 all good, 1 a problem (each printed), 2 usage, 77 skipped (no python3-yaml).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: ci_templates.sh PATH/TO/mcurelease [TEMPLATE_DIR]" >&2
	exit 2
fi
mcr=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tdir=${2:-$root/ci/templates}
if [ ! -x "$mcr" ]; then
	echo "ci_templates: binary '$mcr' is not executable" >&2
	exit 1
fi
if [ ! -d "$tdir" ]; then
	echo "ci_templates: template directory '$tdir' does not exist" >&2
	exit 1
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "ci_templates: skipped: python3 with PyYAML (python3-yaml) is needed" >&2
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/mcr-ci-templates-XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 - "$mcr" "$tdir" "$work" <<'PY'
import os
import re
import shlex
import subprocess
import sys

import yaml

mcr, tdir, work = sys.argv[1:4]
# (file, CI, variant): "all-in-one" signs on the signing host, "remote" sends it a request.
TEMPLATES = [
    ("github-release.yml", "github", "all-in-one"),
    ("gitlab-release.gitlab-ci.yml", "gitlab", "all-in-one"),
    ("github-release-remote.yml", "github", "remote"),
    ("gitlab-release-remote.gitlab-ci.yml", "gitlab", "remote"),
]
problems = []


def problem(where, msg):
    problems.append(f"{where}: {msg}")


def load(name):
    try:
        with open(os.path.join(tdir, name), encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except OSError as e:
        problem(name, f"cannot be read: {e.strerror}")
        return None
    except yaml.YAMLError as e:
        problem(name, f"does not parse as YAML: {e}")
        return None
    if not isinstance(doc, dict):
        problem(name, "is not a YAML mapping")
        return None
    return doc


# --- shell bodies: mcurelease invocations -------------------------------------------------

COMMAND_START = {";", "&&", "||", "|", "(", "!", "{", "then", "do", "else", "elif", "if",
                 "while", "until", "time"}
PUNCT = set(";&|()<>")
invocations = []   # (where, [words after 'mcurelease'])


def logical_lines(body):
    return body.replace("\\\n", " ").splitlines()


def tokens(line):
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = False
    try:
        return list(lex)
    except ValueError:
        return line.split()


def command_at(toks, i):
    """Whether toks[i] is in command position."""
    before = toks[i - 1] if i else None
    return before is None or before in COMMAND_START or \
        re.fullmatch(r"[A-Za-z_]\w*=.*", before) is not None


def scan_invocations(where, body):
    for line in logical_lines(body):
        toks = tokens(line)
        for i, tok in enumerate(toks):
            if tok != "mcurelease" or not command_at(toks, i):
                continue
            if i + 1 < len(toks) and toks[i + 1].startswith("@"):
                continue   # mcurelease@host, a user name
            words = []
            for t in toks[i + 1:]:
                if t == "--" or all(c in PUNCT for c in t):
                    break
                words.append(t)
            invocations.append((where, words))


help_cache = {}


def help_text(cmd):
    if cmd not in help_cache:
        r = subprocess.run([mcr, *cmd, "--help"], capture_output=True, text=True)
        help_cache[cmd] = (r.returncode, r.stdout + r.stderr)
    return help_cache[cmd]


def is_nested(cmd):
    rc, text = help_text(cmd)
    return rc == 0 and re.search(r"^commands:", text, re.M) is not None


checked = set()


def check_invocations():
    for where, words in invocations:
        cmd = []
        rest = list(words)
        while rest and rest[0].startswith("-"):          # global options
            opt = rest.pop(0)
            if opt == "--version":
                r = subprocess.run([mcr, "--version"], capture_output=True, text=True)
                if r.returncode != 0:
                    problem(where, "'mcurelease --version' fails")
            elif not option_in(opt, help_text(())[1]):
                problem(where, f"'mcurelease {opt}': no such global option")
        if not rest:
            continue
        cmd.append(rest.pop(0))
        while rest and not rest[0].startswith("-") and is_nested(tuple(cmd)):
            cmd.append(rest.pop(0))
        rc, text = help_text(tuple(cmd))
        name = "mcurelease " + " ".join(cmd)
        checked.add(" ".join(cmd))
        if rc != 0:
            problem(where, f"'{name}' is not a command (--help exits {rc})")
            continue
        for w in rest:
            if w.startswith("-") and len(w) > 1:
                opt = w.split("=", 1)[0]
                if not option_in(opt, text):
                    problem(where, f"'{name}' has no option '{opt}'")


def option_in(opt, text):
    return re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text) is not None


# --- shell bodies: secrets --------------------------------------------------------------------

# A secret may only be written to a file by a shell builtin, or, for a file variable (a path),
# be copied to a 0600 file.
SAFE_SECRET_LINE = re.compile(
    r"^\s*(printf|echo)\b[^|]*>\s*\S|^\s*install\s+-m\s+0?600\s")
# GitLab File variables that hold a key: MCR_BUILDER_A_KEY, MCR_SIGNING_SSH_KEY, ...
GL_KEY_VARIABLE = re.compile(r"\$\{?(MCR_\w*_KEY)\b")


def check_secret_uses(where, body, names, indirect=()):
    for line in logical_lines(body):
        refs = [n for n in names if re.search(r"\$\{?" + re.escape(n) + r"\b", line)]
        refs += ["${!" + n + "}" for n in indirect if "${!" + n + "}" in line]
        if not refs:
            continue
        if not SAFE_SECRET_LINE.search(line):
            problem(where, f"secret {', '.join(refs)} reaches a command line: {line.strip()}")
        elif re.search(r"\bGITHUB_(ENV|OUTPUT|STEP_SUMMARY|PATH)\b", line):
            problem(where, f"secret {', '.join(refs)} goes to a later step: {line.strip()}")


def check_common(where, body):
    if re.search(r"(^|[\s;])set\s+-[a-wyz]*x", body) or "bash -x" in body:
        problem(where, "'set -x' would echo secrets and commands into the log")
    if "CI_JOB_TOKEN" in body:
        problem(where, "uses CI_JOB_TOKEN in a script")


def write_body(name, body, header):
    path = os.path.join(work, re.sub(r"[^\w.-]+", "_", name) + ".sh")
    with open(path, "w", encoding="utf-8") as f:
        f.write("#!/usr/bin/env bash\n" + header + body + "\n")


TAG_FETCH = re.compile(r'git fetch --force origin "refs/tags/\$(\w+):refs/tags/\$\1"')
USES_TAG = re.compile(r"\bmcurelease\s+(build|sign|request)\b")
SIGNS = re.compile(r"\bmcurelease\s+sign\b")


# --- shell bodies: ssh to the signing host (remote variant) -----------------------------------

def ssh_commands(body):
    """Each ssh command of a body: (logical line number, line, stdin file, stdout file)."""
    found = []
    for n, line in enumerate(logical_lines(body)):
        toks = tokens(line)
        if not any(t == "ssh" and command_at(toks, i) for i, t in enumerate(toks)):
            continue
        src = re.search(r'(?<![<\d])<\s*"?([^\s"<>;|&]+)', line)
        dst = re.search(r'(?<![<>&\d])>\s*"?([^\s"<>;|&]+)', line)
        found.append((n, line.strip(), src and src.group(1), dst and dst.group(1)))
    return found


def check_ssh_rules(where, body):
    """Rules for every ssh: a pinned host key, a key file, no prompts."""
    if re.search(r"StrictHostKeyChecking[= ]\s*(no|off|accept-new)\b", body, re.I):
        problem(where, "turns off host key checking")
    if "ssh-keyscan" in body:
        problem(where, "learns the host key with ssh-keyscan: take it from a CI variable")
    for _, line, _, _ in ssh_commands(body):
        for need, why in ((r"\s-i\s", "-i KEYFILE"),
                          (r"BatchMode=yes", "-o BatchMode=yes"),
                          (r"StrictHostKeyChecking=yes", "-o StrictHostKeyChecking=yes"),
                          (r"UserKnownHostsFile=\S", "-o UserKnownHostsFile=FILE")):
            if not re.search(need, line):
                problem(where, f"ssh without {why}: {line}")


def base(path):
    return os.path.basename(path.rstrip("/")) if path else None


def check_release_job(where, text, kept):
    """The remote release job: request, ssh to the signing host, assemble, in that order, and
    the response kept when the job fails. kept: paths saved even on failure."""
    lines = logical_lines(text)
    req = [n for n, l in enumerate(lines) if re.search(r"\bmcurelease\s+request\b", l)]
    asm = [n for n, l in enumerate(lines) if re.search(r"\bmcurelease\s+assemble\b", l)]
    sends = [(n, l, s, d) for n, l, s, d in ssh_commands(text)
             if s and any(base(s) in lines[r] for r in req)]
    if not req:
        problem(where, "runs no 'mcurelease request'")
    if not asm:
        problem(where, "runs no 'mcurelease assemble'")
    if not sends:
        problem(where, "sends the request to the signing host with no ssh (ssh ... < REQUEST > RESPONSE)")
        return
    n, line, _, resp = sends[0]
    if asm and not req[0] < n < asm[-1]:
        problem(where, "must run request, then ssh, then assemble")
    if not re.search(r"\|\|\s*\w+=\$\?\s*$", line):
        problem(where, "a non-zero ssh exit ends the script before assemble reads the response: "
                       f"end the line with '|| status=$?': {line}")
    if not resp:
        problem(where, f"the ssh's response goes to no file: {line}")
        return
    if asm and not any(base(resp) in lines[a] for a in asm):
        problem(where, f"'mcurelease assemble' does not read the response '{resp}'")
    if not any(base(resp) == base(k) or resp.startswith(k.rstrip("/") + "/") for k in kept):
        problem(where, f"the response '{base(resp)}' is not kept when the job fails "
                       "(an upload with 'if: always()', or 'artifacts: when: always')")


# --- GitHub Actions ---------------------------------------------------------------------------

def github(GH, doc, remote):
    on = doc.get("on", doc.get(True))
    if not isinstance(on, dict) or set(on) != {"push"}:
        problem(GH, "must trigger on tag pushes only ('on: push: tags')")
    else:
        push = on["push"] or {}
        if "v*" not in (push.get("tags") or []) or set(push) - {"tags"}:
            problem(GH, "must trigger on pushes of 'v*' tags, and nothing else")
    for level in (doc.get("env") or {}), :
        for k, v in level.items():
            if "secrets." in str(v):
                problem(GH, f"workflow env {k} holds a secret: give it only to the step that needs it")
    jobs = doc.get("jobs") or {}
    signing_jobs, request_jobs = 0, []
    for jid, job in jobs.items():
        for k, v in (job.get("env") or {}).items():
            if "secrets." in str(v):
                problem(f"{GH}: job {jid}", f"job env {k} holds a secret: give it to one step only")
        runs, kept = [], []
        for n, step in enumerate(job.get("steps") or []):
            where = f"{GH}: job {jid} step {step.get('name', n + 1)!r}"
            uses = str(step.get("uses", ""))
            if uses.startswith("actions/checkout@"):
                w = step.get("with") or {}
                if "repository" not in w and w.get("fetch-depth") != 0:
                    problem(where, "the firmware checkout needs 'fetch-depth: 0'")
            if uses.startswith("actions/upload-artifact@") and \
               re.search(r"\b(always|failure)\(\)", str(step.get("if", ""))):
                kept += [p.strip() for p in str((step.get("with") or {}).get("path", "")).splitlines()
                         if p.strip()]
            if "run" not in step:
                continue
            body = str(step["run"])
            runs.append(body)
            if "${{" in body:
                problem(where, "'${{ }}' inside run: pass the value through env instead")
            check_common(where, body)
            secret_env = [k for k, v in (step.get("env") or {}).items() if "secrets." in str(v)]
            check_secret_uses(where, body, secret_env)
            scan_invocations(where, body)
            if remote:
                check_ssh_rules(where, body)
            write_body(f"{GH}-{jid}-{n + 1}", body, "set -eo pipefail\n")
        text = "\n".join(runs)
        where = f"{GH}: job {jid}"
        labels = job.get("runs-on")
        labels = labels if isinstance(labels, list) else [labels]
        if USES_TAG.search(text) and not TAG_FETCH.search(text):
            problem(where, "does not fetch the annotated tag object (git fetch --force origin \"refs/tags/$TAG:refs/tags/$TAG\")")
        if remote:
            if SIGNS.search(text):
                problem(where, "runs 'mcurelease sign': the remote variant never signs on a runner")
            if "mcurelease-signer" in labels:
                problem(where, "runs on the signing host: in the remote variant no job does")
            if re.search(r"\bmcurelease\s+request\b", text):
                request_jobs.append(jid)
                check_release_job(where, text, kept)
        elif SIGNS.search(text):
            signing_jobs += 1
            if "self-hosted" not in labels or "mcurelease-signer" not in labels:
                problem(where, "runs 'mcurelease sign' but not on [self-hosted, mcurelease-signer]")
    if remote and len(request_jobs) != 1:
        problem(GH, f"{len(request_jobs)} jobs run 'mcurelease request', not one")
    if not remote and signing_jobs != 1:
        problem(GH, f"{signing_jobs} jobs run 'mcurelease sign', not one")


# --- GitLab CI ----------------------------------------------------------------------------------

GL_RESERVED = {"stages", "variables", "workflow", "default", "include", "image", "services",
               "cache", "before_script", "after_script"}


def merge(base, over):
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def resolve(GL, doc, name, seen=()):
    job = doc[name]
    parents = job.get("extends", [])
    parents = parents if isinstance(parents, list) else [parents]
    merged = {}
    for p in parents:
        if p in seen or p not in doc:
            problem(f"{GL}: job {name}", f"cannot resolve 'extends: {p}'")
            continue
        merged = merge(merged, resolve(GL, doc, p, seen + (name,)))
    return merge(merged, {k: v for k, v in job.items() if k != "extends"})


def as_script(v):
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def gitlab(GL, doc, remote):
    if str((doc.get("variables") or {}).get("GIT_DEPTH")) != "0":
        problem(GL, "needs 'GIT_DEPTH: 0' in the global variables")
    names = [k for k, v in doc.items() if k not in GL_RESERVED and isinstance(v, dict)]
    jobs = {n: resolve(GL, doc, n) for n in names if not n.startswith(".")}
    signing_jobs, builder_tags, request_jobs = 0, [], []
    for jid, job in jobs.items():
        where = f"{GL}: job {jid}"
        rules = job.get("rules") or []
        if not any(isinstance(r, dict) and re.fullmatch(r"\$CI_COMMIT_TAG\s*=~\s*/\^v/", str(r.get("if", "")))
                   for r in rules):
            problem(where, "needs 'rules: - if: $CI_COMMIT_TAG =~ /^v/'")
        variables = job.get("variables") or {}
        key_vars = [k for k in variables if k.endswith("_KEY_VAR")]
        file_vars = [str(variables[k]) for k in key_vars]
        body = "\n".join(as_script(job.get("before_script")) + as_script(job.get("script")))
        after = "\n".join(as_script(job.get("after_script")))
        for part, text in (("script", body), ("after_script", after)):
            if not text:
                continue
            check_common(f"{where} {part}", text)
            secrets = sorted(set(file_vars) | set(GL_KEY_VARIABLE.findall(text)))
            check_secret_uses(f"{where} {part}", text, secrets, key_vars)
            scan_invocations(f"{where} {part}", text)
            if remote:
                check_ssh_rules(f"{where} {part}", text)
            write_body(f"{GL}-{jid}-{part}", text, "set -eo pipefail\n")
        tags = job.get("tags") or []
        if re.search(r"\bmcurelease\s+build\b", body):
            builder_tags.append(tuple(tags))
        if USES_TAG.search(body) and not TAG_FETCH.search(body):
            problem(where, "does not fetch the annotated tag object")
        if remote:
            if SIGNS.search(body + after):
                problem(where, "runs 'mcurelease sign': the remote variant never signs on a runner")
            if "mcurelease-signer" in tags:
                problem(where, "runs on the signing host: in the remote variant no job does")
            if re.search(r"\bmcurelease\s+request\b", body):
                request_jobs.append(jid)
                art = job.get("artifacts") or {}
                kept = [str(p) for p in art.get("paths") or []] if art.get("when") == "always" else []
                check_release_job(where, body, kept)
        elif SIGNS.search(body):
            signing_jobs += 1
            if "mcurelease-signer" not in tags:
                problem(where, "runs 'mcurelease sign' but not on a runner tagged mcurelease-signer")
    if remote and len(request_jobs) != 1:
        problem(GL, f"{len(request_jobs)} jobs run 'mcurelease request', not one")
    if not remote and signing_jobs != 1:
        problem(GL, f"{signing_jobs} jobs run 'mcurelease sign', not one")
    if len(builder_tags) < 2 or len(set(builder_tags)) != len(builder_tags):
        problem(GL, "needs two builder jobs on runners with different tags")


for name, ci, variant in TEMPLATES:
    doc = load(name)
    if doc is not None:
        (github if ci == "github" else gitlab)(name, doc, variant == "remote")
if not invocations:
    problem(tdir, "no mcurelease invocation found in the templates")
check_invocations()
print(f"ci_templates: {len(TEMPLATES)} templates, {len(invocations)} mcurelease invocations of "
      f"{', '.join(sorted(checked)) or 'no command'} checked against --help")
for p in problems:
    print(f"ci_templates: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY

if command -v shellcheck > /dev/null; then
	shellcheck -s bash -S warning "$work"/*.sh
	echo "ci_templates: shellcheck found nothing in $(find "$work" -name '*.sh' | wc -l) shell bodies"
else
	echo "ci_templates: shellcheck not installed: shell bodies not linted"
fi
echo "ci_templates: ok"
