"""LocalStack, the scenarios' third engine: started on the host for the session, stopped with nothing left behind.

`make test` installs it first (tools/install-localstack.sh: its own virtualenv on a Python >= 3.12, and dynalite);
tools/localstack/launch.py starts it offline on 127.0.0.1 (docs/LOCALSTACK.md). Not installed: the lane is skipped
on a developer's machine and fails in CI (`CI=true`), where a skipped engine would pass unseen.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOCALSTACK_PYTHON = REPO / "tools" / ".venv-localstack" / "bin" / "python"
LAUNCHER = REPO / "tools" / "localstack" / "launch.py"
DYNALITE = REPO / "tools" / ".npm-localstack" / "node_modules" / "dynalite" / "cli.js"
#: Start-up is ~3 s on an idle machine; the suite runs one LocalStack per pytest worker beside everything else.
START_TIMEOUT = 120


def unavailable(reason: str) -> None:
    """Skip the LocalStack lane here, fail it in CI."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"LocalStack lane: {reason}", pytrace=False)
    pytest.skip(f"LocalStack lane: {reason}")


def _healthy(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@contextlib.contextmanager
def running_localstack(port: int, log_path: Path):
    """LocalStack on 127.0.0.1:`port` until the block ends; yields its endpoint.

    The launcher runs in a process group of its own, with dynalite in it: SIGTERM lets LocalStack shut down (it
    removes its FILESYSTEM_ROOT, a temporary directory); whatever is still alive after that is killed with the
    group, and the directory removed.
    """
    missing = [str(path.relative_to(REPO)) for path in (LOCALSTACK_PYTHON, DYNALITE) if not path.exists()]
    if missing:
        unavailable(f"{', '.join(missing)} not installed: run tools/install-localstack.sh (make test does)")
    endpoint = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "LOCALSTACK_"))}
    root = tempfile.mkdtemp(prefix="sfn-resume-localstack-")
    with log_path.open("w") as log:
        process = subprocess.Popen([str(LOCALSTACK_PYTHON), str(LAUNCHER), "--port", str(port), "--root", root],
                                   cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(endpoint):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = "".join(log_path.read_text().splitlines(keepends=True)[-30:])
                pytest.fail(f"LocalStack did not start on {endpoint} (exit code {process.poll()}); its log "
                            f"{log_path} ends:\n{tail}", pytrace=False)
            time.sleep(0.2)
        yield endpoint
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(30)
        if _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(root, ignore_errors=True)
