#!/usr/bin/env python3
"""LocalStack for a user of this repository: on the host, offline, without Docker and without an account.

It runs the launcher the test suite uses (tools/localstack/launch.py, in the virtualenv tools/install-localstack.sh
makes: `make localstack`), in the foreground or as a background service that outlives the shell that started it:

    tools/localstack/service.py run [--port 4566]     # in the foreground; Ctrl-C stops it
    tools/localstack/service.py start [--port 4566]   # in the background; returns once LocalStack answers
    tools/localstack/service.py status                # running? where, since when, its log (exit 0; 3: not running)
    tools/localstack/service.py env                   # the exports for the AWS CLI, awslocal and boto3
    tools/localstack/service.py log [--lines 50]      # the end of its log
    tools/localstack/service.py stop                  # stop it (and its DynamoDB); nothing is left behind

The background service's state (its process, port, log, and LocalStack's files) lives in tools/.localstack-service/
(or $SFN_RESUME_LOCALSTACK_STATE), one service per checkout. Errors are one line on stderr, with exit code 2 (3 from
`status`: not running).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
LAUNCHER = TOOLS / "localstack" / "launch.py"
PYTHON = TOOLS / ".venv-localstack" / "bin" / "python"
#: One service per checkout; SFN_RESUME_LOCALSTACK_STATE names another folder for another (the tests run their own).
STATE = Path(os.environ.get("SFN_RESUME_LOCALSTACK_STATE") or TOOLS / ".localstack-service")
RECORD = STATE / "service.json"
LOG = STATE / "localstack.log"
ROOT = STATE / "root"
DEFAULT_PORT = 4566  # LocalStack's own
#: Start-up takes ~3 s on an idle machine, a few times that on a busy one.
START_TIMEOUT = 120
STOP_TIMEOUT = 30
NOT_RUNNING = 3


class ServiceError(Exception):
    """A user's mistake or a state the command cannot act in: one line, exit 2."""


def endpoint(port: int) -> str:
    return f"http://localhost:{port}"


def env_lines(port: int) -> list[str]:
    """What the AWS CLI, awslocal and boto3 read to reach LocalStack. awslocal (awscli-local 0.23) prints a 16-line
    notice that it is deprecated before every command's output: DISABLE_DEPRECATION_NOTICE is its own switch for it."""
    return [f"export AWS_ENDPOINT_URL={endpoint(port)}",
            f"export LOCALSTACK_HOST=localhost:{port}",  # where awslocal sends its commands
            "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1",
            "export DISABLE_DEPRECATION_NOTICE=1"]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_localstack/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Whether `pid` is this checkout's launcher (a recycled pid is not)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(LAUNCHER).encode() in command


def _record() -> dict | None:
    """The running service's record; None (and the stale record removed) when it is not running."""
    try:
        record = json.loads(RECORD.read_text())
    except (OSError, ValueError):
        return None
    if _alive(record["pid"]):
        return record
    RECORD.unlink(missing_ok=True)
    return None


def _require_installed() -> None:
    missing = [str(path.relative_to(TOOLS.parent)) for path in (PYTHON, LAUNCHER) if not path.exists()]
    if missing:
        raise ServiceError(f"{', '.join(missing)} missing: install LocalStack first with `make localstack` "
                           "(tools/install-localstack.sh: a virtualenv on Python >= 3.12, and dynalite from npm)")


def _require_free(port: int) -> None:
    if _healthy(port):
        raise ServiceError(f"--port: something already answers as LocalStack on port {port} "
                           "(`tools/localstack/service.py status`); stop it, or choose another port")


def run(port: int) -> int:
    """LocalStack in the foreground, in this terminal, until Ctrl-C."""
    _require_installed()
    _require_free(port)
    print("\n".join([*env_lines(port), "# LocalStack on the host, offline; Ctrl-C stops it"]), flush=True)
    os.execv(str(PYTHON), [str(PYTHON), str(LAUNCHER), "--port", str(port)])


def start(port: int) -> int:
    """LocalStack in the background, detached from this shell; returns once it answers."""
    _require_installed()
    if (record := _record()) is not None:
        raise ServiceError(f"already running (pid {record['pid']}) on {endpoint(record['port'])}; "
                           "`tools/localstack/service.py stop` first")
    _require_free(port)
    shutil.rmtree(ROOT, ignore_errors=True)
    ROOT.mkdir(parents=True)
    with LOG.open("w") as log:
        # a session of its own: no signal of this terminal (Ctrl-C, hang-up) reaches it, and it outlives the shell
        process = subprocess.Popen([str(PYTHON), str(LAUNCHER), "--port", str(port), "--root", str(ROOT),
                                    "--detached"], cwd=TOOLS.parent, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    RECORD.write_text(json.dumps({"pid": process.pid, "port": port, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}))
    deadline = time.monotonic() + START_TIMEOUT
    while not _healthy(port):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process.pid)
            RECORD.unlink(missing_ok=True)
            raise ServiceError(f"LocalStack did not start on {endpoint(port)} within {START_TIMEOUT} s (exit code "
                               f"{process.poll()}); its log: {LOG}")
        time.sleep(0.2)
    print(f"LocalStack is running (pid {process.pid}) on {endpoint(port)}; log: {LOG}", file=sys.stderr)
    print("\n".join([*env_lines(port), "# `tools/localstack/service.py stop` stops it"]))
    return 0


def _stop(pid: int) -> None:
    """SIGTERM lets LocalStack shut down (dynalite with it); whatever is left of the launcher's process group (it
    leads one: `start_new_session`) is killed with it."""
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # nothing left
    shutil.rmtree(ROOT, ignore_errors=True)


def stop() -> int:
    record = _record()
    if record is None:
        print("LocalStack is not running", file=sys.stderr)
        return 0
    _stop(record["pid"])
    RECORD.unlink(missing_ok=True)
    print(f"LocalStack stopped (pid {record['pid']})", file=sys.stderr)
    return 0


def status() -> int:
    record = _record()
    if record is None:
        print("LocalStack is not running (`tools/localstack/service.py start` starts it)")
        return NOT_RUNNING
    answers = "answers" if _healthy(record["port"]) else "does not answer yet"
    print(f"LocalStack is running (pid {record['pid']}) on {endpoint(record['port'])} since {record['started']}, and "
          f"{answers}; log: {LOG}")
    return 0


def env() -> int:
    record = _record()
    if record is None:
        raise ServiceError("LocalStack is not running (`tools/localstack/service.py start` starts it)")
    print("\n".join(env_lines(record["port"])))
    return 0


def log(lines: int) -> int:
    if not LOG.exists():
        raise ServiceError("no log yet: LocalStack was never started here (`tools/localstack/service.py start`)")
    print("\n".join(LOG.read_text(errors="replace").splitlines()[-lines:]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/localstack/service.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, summary in (("run", "LocalStack in the foreground (Ctrl-C stops it)"),
                          ("start", "LocalStack in the background, outliving this shell")):
        command = commands.add_parser(name, help=summary)
        command.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default: {DEFAULT_PORT}")
    commands.add_parser("status", help="running? where, since when, its log (exit 3: not running)")
    commands.add_parser("env", help="the exports for the AWS CLI, awslocal and boto3")
    log_command = commands.add_parser("log", help="the end of its log")
    log_command.add_argument("--lines", type=int, default=50, help="default: 50")
    commands.add_parser("stop", help="stop the background service")
    args = parser.parse_args(argv)
    STATE.mkdir(parents=True, exist_ok=True)
    try:
        if args.command in ("run", "start"):
            if not 1 <= args.port <= 65535:
                raise ServiceError(f"--port: {args.port} is not a port; expected 1 to 65535")
            return (run if args.command == "run" else start)(args.port)
        if args.command == "log":
            return log(args.lines)
        return {"status": status, "env": env, "stop": stop}[args.command]()
    except ServiceError as error:
        print(f"localstack: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
