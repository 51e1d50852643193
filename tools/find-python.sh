# Sourced by the install scripts that need a newer Python than the project's own (LocalStack, its test harness).
# PYTHON_MINIMUM (e.g. 3.13) must be set before `works` or `find_python` runs.

# Whether $1 runs and is at least PYTHON_MINIMUM, with venv.
works() {
  "$1" -c "import sys, venv; sys.exit(sys.version_info < tuple(map(int, '$PYTHON_MINIMUM'.split('.'))))" 2>/dev/null
}

# The path of a Python >= PYTHON_MINIMUM: the candidates given (an override first, then names on PATH), then
# pyenv's installed versions, newest first (its shims fail for a version installed but not selected, so each
# candidate is run to see). Fails when there is none.
find_python() {
  local candidate root
  for candidate in "$@"; do
    [ -n "$candidate" ] && command -v "$candidate" >/dev/null && works "$candidate" && { command -v "$candidate"; return; }
  done
  root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
  for candidate in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -rV); do
    [ -x "$candidate/bin/python3" ] && works "$candidate/bin/python3" && { echo "$candidate/bin/python3"; return; }
  done
  return 1
}
