"""LocalStack for a user (tools/localstack/service.py): docs/LOCALSTACK.md's commands run as shown, a service that
outlives the shell that started it, the refusals, and the foreground run. Each test runs a service of its own (its
state in a folder of the test, on a free port), and stops it, whatever happens."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..helpers import ROOT
from .conftest import _free_port
from .localstack import LOCALSTACK_PYTHON, _healthy, unavailable

pytestmark = [pytest.mark.localstack, pytest.mark.timeout(300)]

SERVICE = ROOT / "tools" / "localstack" / "service.py"
GUIDE = ROOT / "docs" / "LOCALSTACK.md"
BIN = Path(sys.executable).parent


@pytest.fixture
def env(tmp_path):
    """The environment of a user's shell, with a service state of the test's own."""
    if not LOCALSTACK_PYTHON.exists():
        unavailable("tools/.venv-localstack not installed: run tools/install-localstack.sh (make test does)")
    environment = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path),
                   "SFN_RESUME_LOCALSTACK_STATE": str(tmp_path / "localstack")}
    yield environment
    subprocess.run([str(SERVICE), "stop"], env=environment, capture_output=True, timeout=60)


def service(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SERVICE), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def _pid(env: dict) -> int:
    return json.loads((Path(env["SFN_RESUME_LOCALSTACK_STATE"]) / "service.json").read_text())["pid"]


def _gone(pid: int) -> bool:
    """No such process, or one that has ended and waits to be reaped (a zombie: its parent, the service's `start`,
    is gone, and not every container's init reaps)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True


def test_the_guides_commands(env):
    block = GUIDE.read_text().split("## Run it yourself")[1].split("```bash\n")[1].split("```")[0]
    assert block.startswith("make localstack ")
    port = _free_port()
    commands = block.replace("service.py start", f"service.py start --port {port}")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", commands], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    # what `start` prints (the exports, as `env` does) and make's word, then the commands' own lines
    status, account, *log = [line for line in result.stdout.splitlines()
                             if not line.startswith(("export ", "# ", "make"))]
    assert status.startswith("LocalStack is running (pid ") and f") on http://localhost:{port} since " in status
    assert status.endswith(", and answers; log: " + str(Path(env["SFN_RESUME_LOCALSTACK_STATE"]) / "localstack.log"))
    assert account == '"000000000000"'
    assert 1 <= len(log) <= 5
    assert "LocalStack stopped (pid " in result.stderr
    assert not _healthy(f"http://127.0.0.1:{port}")
    assert not (Path(env["SFN_RESUME_LOCALSTACK_STATE"]) / "root").exists()  # LocalStack's files, removed


def test_the_service_outlives_its_shell_and_refuses_a_second_start(env):
    port = _free_port()
    # started by a shell that exits at once, as a terminal closed after `start`
    started = subprocess.run(["bash", "-c", f"{SERVICE} start --port {port}"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stderr
    assert started.stdout.splitlines()[:4] == [f"export AWS_ENDPOINT_URL=http://localhost:{port}",
                                               f"export LOCALSTACK_HOST=localhost:{port}",
                                               "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "
                                               "AWS_DEFAULT_REGION=us-east-1",
                                               "export DISABLE_DEPRECATION_NOTICE=1"]
    pid = _pid(env)
    time.sleep(2)  # an orphaned launcher would notice within a second, and stop
    assert service(env, "status").returncode == 0 and _healthy(f"http://127.0.0.1:{port}")

    again = service(env, "start", "--port", str(_free_port()))
    assert (again.returncode, again.stdout) == (2, "")
    assert again.stderr == (f"localstack: already running (pid {pid}) on http://localhost:{port}; "
                            "`tools/localstack/service.py stop` first\n")
    taken = service(env | {"SFN_RESUME_LOCALSTACK_STATE": env["SFN_RESUME_LOCALSTACK_STATE"] + "-other"},
                    "start", "--port", str(port))
    assert taken.returncode == 2 and "something already answers as LocalStack on port" in taken.stderr

    stopped = service(env, "stop")
    assert stopped.returncode == 0 and _gone(pid)
    assert service(env, "status").returncode == 3
    refused = service(env, "env")
    assert (refused.returncode, refused.stderr) == (2, "localstack: LocalStack is not running "
                                                       "(`tools/localstack/service.py start` starts it)\n")


def test_run_in_the_foreground_until_ctrl_c(env):
    port = _free_port()
    process = subprocess.Popen([str(SERVICE), "run", "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert process.stdout.readline() == f"export AWS_ENDPOINT_URL=http://localhost:{port}\n"
        deadline = time.monotonic() + 120
        while not _healthy(f"http://127.0.0.1:{port}"):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the terminal's foreground group
        assert process.wait(60) == 0
        assert not _healthy(f"http://127.0.0.1:{port}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
