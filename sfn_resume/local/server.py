"""moto's HTTP server with the bridges, for the AWS CLI and other processes.

The bridges patch moto's backends in this process, and the server's handlers run in this process, so they
apply to every request. Listens on the loopback interface only. The console says what a user watches for: the
endpoint and exports on stdout, then on stderr one line per deploy (with the stack's status) and one line (at most
MAX_LINE_CHARS) per execution that fails; moto's own warnings, its interpreter's account of each failing state (a
few KB each) and one line per request only with `verbose`.
"""
from __future__ import annotations

import io
import ipaddress
import json
import logging
import os
import random
import signal
import socket
import sys
import threading
import urllib.request
import warnings
from typing import TextIO
from urllib.parse import parse_qs

from sfn_resume.local import EXECUTE_STATE_MACHINES, bridges_faults, install_bridges, stop_running_executions


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


#: The CloudFormation requests that deploy, update or delete a stack: the console says each, with the stack's status.
DEPLOY_ACTIONS = ("CreateStack", "UpdateStack", "ExecuteChangeSet", "DeleteStack")
#: How a finished execution can fail.
FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
#: The longest line the console writes for a failed execution, its `sfn-resume local: ` prefix included.
MAX_LINE_CHARS = 400
PREFIX = "sfn-resume local: "
#: The AWS CLI v1 (what the 'local' extra installs) sends `aws sqs` to queue.amazonaws.com whatever
#: AWS_ENDPOINT_URL says; its `--endpoint-url` works.
SQS_NOTE = "# AWS CLI v1: `aws sqs` ignores AWS_ENDPOINT_URL: add --endpoint-url http://localhost:{port}"


def _stack_status(stack_name: str) -> str:
    """The status of the stack of that name (or id): the live one's, else the deleted one's."""
    from moto.cloudformation.models import cloudformation_backends

    statuses = [stack.status for regions in list(cloudformation_backends.values()) for backend in list(regions.values())
                for stack in [*list(backend.deleted_stacks.values()), *list(backend.stacks.values())]
                if stack_name in (stack.name, stack.stack_id)]
    return statuses[-1] if statuses else "unknown"


def _report_deploys(app, say):
    """WSGI middleware: one line per CloudFormation request of DEPLOY_ACTIONS, once answered."""
    def middleware(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if environ.get("REQUEST_METHOD") != "POST" or not length:
            return app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        form = parse_qs(body.decode("utf-8", "replace"))
        action = form.get("Action", [""])[0]
        answer = app(environ, start_response)
        if action in DEPLOY_ACTIONS:
            stack = form.get("StackName", [""])[0]
            say(f"cloudformation {action} {stack}: {_stack_status(stack)}")
        return answer
    return middleware


def _report_failed_executions(reported: set, say) -> None:
    """One line for each execution that failed since the last call."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    for regions in list(stepfunctions_parser_backends.values()):
        for backend in list(regions.values()):
            for execution in backend._get_executions():
                if execution.exec_arn in reported or execution.status not in FAILED_STATUSES:
                    continue
                reported.add(execution.exec_arn)
                say(failed_execution_line(execution.status, execution.exec_arn, execution.error, execution.cause))


def failed_execution_line(status: str, execution_arn: str, error: str | None, cause) -> str:
    """One line for a failed execution: its status, ARN, error and as much of its cause as fits MAX_LINE_CHARS."""
    line = f"execution {status}: {execution_arn}" + (f": {error}" if error else "")
    room = MAX_LINE_CHARS - len(PREFIX) - len(line) - len(": ")
    text = " ".join(str(cause or "").split())  # one line, whatever the cause holds
    if text and room > len("..."):
        line += ": " + (text if len(text) <= room else text[:room - 3] + "...")
    return line[:MAX_LINE_CHARS - len(PREFIX)]


def _quiet_moto() -> None:
    """moto's warnings (resources its CloudFormation skips), werkzeug's line per request, and the ASL interpreter's
    account of every state a failing execution leaves (logged as errors, a few KB each: the line per failed
    execution says it in one), off."""
    warnings.filterwarnings("ignore", module="moto")
    warnings.filterwarnings("ignore", category=UserWarning, message="Tried to parse")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.ERROR)
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)


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
          stop: threading.Event | None = None, verbose: bool = False, log: TextIO | None = None,
          fault_rate: float = 0.0, seed: int | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM (or until `stop` is set, when embedded); returns 0.

    Sets MOTO_PORT to `port`: the ASL interpreter calls AWS back at http://localhost:$MOTO_PORT. Deploys and
    failed executions are reported to `log` (default stderr), one line each. With `fault_rate`, that share of the
    calls state machines make fail (`bridges_faults`), chosen by `seed` (a random one, printed, when None).
    """
    log = log or sys.stderr
    if not 0.0 <= fault_rate <= 1.0:
        raise ServeError(f"--fault-rate: {fault_rate} is not a share of calls; expected a number from 0 to 1")
    seed = random.randrange(2**31) if seed is None else seed

    def say(line: str) -> None:
        print(PREFIX + line, file=log, flush=True)

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
    if not verbose:
        _quiet_moto()
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    reported: set = set()
    with bridges_faults.injecting(fault_rate, seed) as plan:
        try:
            server.start()
            server._server.app = _report_deploys(server._server.app, say)
            endpoint_host = f"[{host}]" if ":" in host else host
            enable_execution(f"http://{endpoint_host}:{port}")
            print(f"sfn-resume local emulator (moto) listening on http://{endpoint_host}:{port}", file=out)
            for line in env_lines(port):
                print(line, file=out)
            print("# the AWS CLI and boto3 read these; Ctrl-C (or SIGTERM) stops the emulator", file=out)
            print(SQS_NOTE.format(port=port), file=out)
            print("# deploys and failed executions are reported on stderr" + ("" if verbose else
                  "; --verbose adds moto's warnings and one line per request"), file=out)
            if fault_rate:
                print(f"# faults: {fault_rate * 100:g}% of the DynamoDB and Step Functions calls state machines make fail "
                      f"(--seed {seed} fails the same ones again)", file=out)
            out.flush()
            while not stop.wait(0.5):  # a timed wait lets signal handlers run promptly
                _report_failed_executions(reported, say)
            if fault_rate:
                say(f"{len(plan.injected)} faults injected")
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
