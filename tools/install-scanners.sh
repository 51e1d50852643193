#!/usr/bin/env bash
# Install the static scanners into the repo (git-ignored), from the npm registry and PyPI only:
#   tools/.npm/node_modules/@cdklabs/cdk-validator-cfnguard  cfn-guard 3.x binary + AWS Control Tower guard rules
#   tools/.venv-checkov                                        checkov, in its own venv (it pins an old boto3)
#   tools/.npm-jsonata/node_modules/jsonata                    JSONata's reference implementation (npm), for
#                                                              tests/local/test_jsonata_reference.py
# Idempotent: a scanner already installed at the pinned version is left alone. Re-run after changing a pin.
set -euo pipefail

CFNGUARD_PACKAGE=@cdklabs/cdk-validator-cfnguard
CFNGUARD_VERSION=0.0.62
CHECKOV_VERSION=3.3.30
JSONATA_VERSION=2.2.2

tools=$(cd "$(dirname "$0")" && pwd)
npm_prefix="$tools/.npm"
checkov_venv="$tools/.venv-checkov"
# A prefix of its own: `npm install --no-save` removes from a prefix every package it was not given.
jsonata_prefix="$tools/.npm-jsonata"
python=${PYTHON:-python3}
start=$SECONDS

installed_npm_version() {  # prefix package
  node -p "require('$1/node_modules/$2/package.json').version" 2>/dev/null || true
}

require_npm() {
  command -v npm >/dev/null || { echo "install-scanners: npm is required (Debian: apt-get install npm)" >&2; exit 1; }
}

if [ "$(installed_npm_version "$npm_prefix" "$CFNGUARD_PACKAGE")" != "$CFNGUARD_VERSION" ]; then
  require_npm
  echo "install-scanners: $CFNGUARD_PACKAGE@$CFNGUARD_VERSION -> $npm_prefix"
  mkdir -p "$npm_prefix"
  # --omit=peer: the package's peer dependency aws-cdk-lib is only for its CDK plugin API, not for the binary.
  npm install --prefix "$npm_prefix" --no-save --no-audit --no-fund --omit=peer --loglevel=error \
    "$CFNGUARD_PACKAGE@$CFNGUARD_VERSION"
fi

if [ "$(installed_npm_version "$jsonata_prefix" jsonata)" != "$JSONATA_VERSION" ]; then
  require_npm
  echo "install-scanners: jsonata@$JSONATA_VERSION -> $jsonata_prefix"
  mkdir -p "$jsonata_prefix"
  npm install --prefix "$jsonata_prefix" --no-save --no-audit --no-fund --loglevel=error "jsonata@$JSONATA_VERSION"
fi

if [ "$("$checkov_venv/bin/checkov" --version 2>/dev/null || true)" != "$CHECKOV_VERSION" ]; then
  echo "install-scanners: checkov==$CHECKOV_VERSION -> $checkov_venv"
  "$python" -m venv "$checkov_venv"
  # -qq: errors only (this machine's pip config warns about every absent local index).
  "$checkov_venv/bin/pip" install -qq --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

# Fail here, not at scan time, when the package ships no binary for this platform or no Control Tower rules.
cfnguard_dir="$npm_prefix/node_modules/$CFNGUARD_PACKAGE"
case "$(uname -s)" in Darwin) os=macos ;; *) os=ubuntu ;; esac
case "$(uname -m)" in arm64|aarch64) arch=aarch64 ;; *) arch=x86_64 ;; esac
"$cfnguard_dir/bin/$os/$arch/cfn-guard" --version
ls "$cfnguard_dir"/rules/control-tower/cfn-guard/*/*.guard >/dev/null
echo "checkov $("$checkov_venv/bin/checkov" --version)"
echo "jsonata $(installed_npm_version "$jsonata_prefix" jsonata)"
echo "install-scanners: done in $((SECONDS - start)) s"
