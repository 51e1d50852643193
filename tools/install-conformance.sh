#!/usr/bin/env bash
# Install the conformance lane's harness (`make test-aws-recorded`, tools/aws_recorded.py) into the repo (git-ignored),
# from PyPI only:
#   tools/.venv-conformance   localstack-core[test] (LocalStack's pytest fixtures and snapshot library) on a Python
#                             >= 3.13, which runs LocalStack 4.14.0's AWS-recorded tests against `sfn-resume local`
# Idempotent: what is installed at the pinned versions is left alone (a second run takes a fraction of a second).
set -euo pipefail

LOCALSTACK_VERSION=4.14.0
# The pins localstack-core's own ranges miss, and the harness's own need:
#   cbor2<6            cbor2 6 drops the module cbor2._decoder LocalStack imports
#   pytest-timeout     the lane gives each recorded test a time limit (a hung wait fails one test, not the lane)
EXTRA_PINS=("cbor2==5.8.0" "pytest-timeout==2.4.0")

tools=$(cd "$(dirname "$0")" && pwd)
venv="$tools/.venv-conformance"
start=$SECONDS
stamp="$venv/.installed-$LOCALSTACK_VERSION-cbor2-5.8.0-timeout-2.4.0"

# Python >= 3.13: LocalStack's test fixtures import `warnings.deprecated` (new in 3.13).
PYTHON_MINIMUM=3.13
# shellcheck source=find-python.sh
. "$tools/find-python.sh"

if [ ! -f "$stamp" ]; then
  python=$(find_python "${CONFORMANCE_PYTHON:-}" python3.14 python3.13 python3) || {
    echo "install-conformance: LocalStack $LOCALSTACK_VERSION's test harness needs Python >= 3.13, and none was" \
         "found: no working python3.14, python3.13 or python3 >= 3.13 on PATH, nor under \$(pyenv root)/versions." \
         "Install one (e.g. \`pyenv install 3.13\`), or set CONFORMANCE_PYTHON to its path." >&2
    exit 1
  }
  echo "install-conformance: localstack-core[test]==$LOCALSTACK_VERSION ${EXTRA_PINS[*]} -> $venv ($python)"
  [ -x "$venv/bin/python" ] && works "$venv/bin/python" || { rm -rf "$venv"; "$python" -m venv "$venv"; }
  # -qq: errors only (this machine's pip config warns about every absent local index).
  "$venv/bin/pip" install -qq --disable-pip-version-check "localstack-core[test]==$LOCALSTACK_VERSION" "${EXTRA_PINS[@]}"
  "$venv/bin/python" -c 'import localstack.testing.pytest, localstack_snapshot, pytest_timeout'
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi

touch "$venv/.ready"  # make's target: newer than this script
if [ $((SECONDS - start)) -gt 0 ]; then
  echo "install-conformance: done in $((SECONDS - start)) s"
fi
