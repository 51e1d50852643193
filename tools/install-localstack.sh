#!/usr/bin/env bash
# Install LocalStack for the test suite's third engine, into the repo (git-ignored), from PyPI and npm only:
#   tools/.venv-localstack          localstack-core (and jsonata-python, awslocal) in its own venv, on a Python >= 3.12
#   tools/.npm-localstack/node_modules/dynalite  the in-memory DynamoDB that serves LocalStack's DynamoDB offline
#   (its own npm prefix: an `npm install --no-save` into install-scanners.sh's would remove what that one put there)
# tools/localstack/launch.py starts it on the host, offline (tests/e2e/localstack.py, for the test suite).
# Idempotent: what is installed at the pinned versions is left alone (a second run takes a fraction of a second).
set -euo pipefail

LOCALSTACK_VERSION=4.14.0
DYNALITE_VERSION=4.0.0
# awslocal, LocalStack's wrapper of the AWS CLI, which the README's "On LocalStack" commands use (it runs `aws`)
AWSCLI_LOCAL_VERSION=0.23.0
# The pins localstack-core's own ranges miss (each breaks it at run time otherwise):
#   cbor2<6            cbor2 6 drops the module cbor2._decoder LocalStack imports
#   pyopenssl<25, cryptography<45   'X509' object has no attribute 'add_extensions' (its self-signed certificate)
#   service-identity   imported by LocalStack's TLS code, not declared
EXTRA_PINS=("cbor2<6" "pyopenssl<25" "cryptography<45" "service-identity")

tools=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$tools")
venv="$tools/.venv-localstack"
npm_prefix="$tools/.npm-localstack"
start=$SECONDS
# jsonata-python: the same version as the package's (setup.cfg), so both engines evaluate JSONata alike
JSONATA_REQUIREMENT=$(grep -Eo 'jsonata-python==[0-9.]+' "$repo/setup.cfg" | head -1)
[ -n "$JSONATA_REQUIREMENT" ] || { echo "install-localstack: no jsonata-python==X pin in setup.cfg" >&2; exit 1; }
stamp="$venv/.installed-$LOCALSTACK_VERSION-${JSONATA_REQUIREMENT#*==}-$AWSCLI_LOCAL_VERSION"

# A Python >= 3.12: LocalStack 4.x uses PEP 695 syntax (its metadata says >= 3.10; on 3.11 every call but IAM
# fails with `invalid syntax (stores.py, ...)`).
PYTHON_MINIMUM=3.12
# shellcheck source=find-python.sh
. "$tools/find-python.sh"

installed_dynalite_version() {
  node -p "require('$npm_prefix/node_modules/dynalite/package.json').version" 2>/dev/null || true
}

if [ ! -f "$stamp" ]; then
  python=$(find_python "${LOCALSTACK_PYTHON:-}" python3.13 python3.12 python3) || {
    echo "install-localstack: LocalStack $LOCALSTACK_VERSION needs Python >= 3.12, and none was found: no working" \
         "python3.13, python3.12 or python3 >= 3.12 on PATH, nor under \$(pyenv root)/versions/3.12* or 3.13*." \
         "Install one (e.g. \`pyenv install 3.12\`, or Debian's python3.12), or set LOCALSTACK_PYTHON to its path." >&2
    exit 1
  }
  echo "install-localstack: localstack-core[runtime]==$LOCALSTACK_VERSION, $JSONATA_REQUIREMENT," \
       "awscli-local==$AWSCLI_LOCAL_VERSION -> $venv ($python)"
  [ -x "$venv/bin/python" ] && works "$venv/bin/python" || { rm -rf "$venv"; "$python" -m venv "$venv"; }
  # -qq: errors only (this machine's pip config warns about every absent local index).
  "$venv/bin/pip" install -qq --disable-pip-version-check \
    "localstack-core[runtime]==$LOCALSTACK_VERSION" "${EXTRA_PINS[@]}" "$JSONATA_REQUIREMENT" \
    "awscli-local==$AWSCLI_LOCAL_VERSION"
  "$venv/bin/python" -c 'import localstack.services.stores, jsonata, service_identity'
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi

if [ "$(installed_dynalite_version)" != "$DYNALITE_VERSION" ]; then
  command -v npm >/dev/null || { echo "install-localstack: npm is required (Debian: apt-get install npm)" >&2; exit 1; }
  echo "install-localstack: dynalite@$DYNALITE_VERSION -> $npm_prefix"
  mkdir -p "$npm_prefix"
  npm install --prefix "$npm_prefix" --no-save --no-audit --no-fund --loglevel=error "dynalite@$DYNALITE_VERSION"
fi

touch "$venv/.ready"  # make's target: newer than this script and setup.cfg
if [ $((SECONDS - start)) -gt 0 ]; then
  echo "install-localstack: done in $((SECONDS - start)) s"
fi
