"""moto's HTTP server with the bridges, for the AWS CLI and other processes.

The bridges patch moto's backends in this process, and the server's handlers run in this process, so they
apply to every request. Listens on the loopback interface only.
"""
from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
import sys
import threading
import urllib.request
from typing import TextIO

from sfn_resume.local import EXECUTE_STATE_MACHINES, install_bridges, stop_running_executions


class ServeError(ValueError):
    """A bad serve() argument."""


def _require_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ServeError(f"host {host!r} is not a loopback address: the emulator listens on this machine only")


def _require_free_port(host: str, port: int) -> None:
    if not 1 <= port <= 65535:
        raise ServeError(f"--port: {port} is not a port; expected 1 to 65535")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ServeError(f"--port: {port} is not free on {host} ({error.strerror}); choose another one") from None


def env_lines(port: int, region: str = "us-east-1") -> list[str]:
    # localhost, not 127.0.0.1: `aws cloudformation package` needs it (docs/EMULATOR.md, gap 9)
    return [
        f"export AWS_ENDPOINT_URL=http://localhost:{port}",
        "export AWS_ACCESS_KEY_ID=testing",
        "export AWS_SECRET_ACCESS_KEY=testing",
        f"export AWS_DEFAULT_REGION={region}",
    ]


def enable_execution(endpoint: str) -> None:
    """Turn on state machine execution through moto's config API."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/config",
        data=json.dumps(EXECUTE_STATE_MACHINES).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def serve(port: int = 5005, host: str = "127.0.0.1", out: TextIO = sys.stdout,
          stop: threading.Event | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM (or until `stop` is set, when embedded); returns 0.

    Sets MOTO_PORT to `port` (item 9): the ASL interpreter calls AWS back at http://localhost:$MOTO_PORT.
    """
    _require_loopback(host)
    _require_free_port(host, port)
    from moto.server import ThreadedMotoServer

    os.environ["MOTO_PORT"] = str(port)
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ.setdefault(key, value)
    undo = install_bridges()
    stop = stop or threading.Event()
    previous_handlers = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous_handlers[signum] = signal.signal(signum, lambda *_: stop.set())
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    try:
        server.start()
        endpoint_host = f"[{host}]" if ":" in host else host
        enable_execution(f"http://{endpoint_host}:{port}")
        print(f"sfn-resume local emulator (moto) listening on http://{endpoint_host}:{port}", file=out)
        for line in env_lines(port):
            print(line, file=out)
        print("# the AWS CLI and boto3 read these; Ctrl-C (or SIGTERM) stops the emulator", file=out)
        out.flush()
        while not stop.wait(0.5):  # a timed wait lets signal handlers run promptly
            pass
        print("stopping", file=out)
        out.flush()
    finally:
        server.stop()
        stop_running_executions()
        undo()
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)
    return 0


if __name__ == "__main__":  # python -m sfn_resume.local.server [PORT]
    sys.exit(serve(int(sys.argv[1]) if len(sys.argv) > 1 else 5005))
