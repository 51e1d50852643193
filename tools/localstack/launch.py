"""Start LocalStack on the host, offline, on 127.0.0.1:PORT only, for sfn-resume's LocalStack test lane.

Run by the Python of tools/.venv-localstack (tools/install-localstack.sh makes it):

    tools/.venv-localstack/bin/python tools/localstack/launch.py --port 4566

No Docker and no download: LocalStack's runtime (`localstack.runtime.main`) in this process, with the gateway on
hypercorn (the only gateway server that binds the address it is given) and every file under a temporary
FILESYSTEM_ROOT that is removed at exit. Exactly two substitutions, each in its own module, both for what LocalStack
would otherwise download at first use: DynamoDB served by dynalite (offline_dynamodb.py) and JSONata evaluated by
jsonata-python (offline_jsonata.py). Nothing else of LocalStack is changed: its defects stay as a user meets them.
SIGTERM or SIGINT stops it (LocalStack's own shutdown, dynalite with it), and so does the end of the process that
started it, unless `--detached` (a service that outlives its shell: tools/localstack/service.py).
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
DYNALITE_CLI = TOOLS / ".npm-localstack" / "node_modules" / "dynalite" / "cli.js"


def _settings(port: int, root: str) -> dict[str, str]:
    """LocalStack's configuration (environment variables), read once at its first import."""
    return {
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "GATEWAY_SERVER": "hypercorn",  # the default server binds 0.0.0.0 whatever GATEWAY_LISTEN says
        "LOCALSTACK_HOST": f"127.0.0.1:{port}",  # what URLs it returns (queue URLs) name
        "SQS_ENDPOINT_STRATEGY": "path",  # queue URLs on that host, not on *.localhost.localstack.cloud (DNS)
        "OVERRIDE_IN_DOCKER": "0",  # /.dockerenv on CI machines: it would write to /var/lib/localstack
        "FILESYSTEM_ROOT": root,
        "HOME": root,  # what it caches under ~ (plux's entry points, ~/.localstack) goes with the rest
        "DYNAMODB_IN_MEMORY": "1",
        "DNS_ADDRESS": "0",  # no DNS server of its own
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DISABLE_EVENTS": "1",
        "LOCALSTACK_TELEMETRY": "0",
    }


def _wake_the_gateway_loop_at_shutdown() -> None:
    """LocalStack stops its gateway by calling `loop.stop()` from its shutdown thread, which asyncio does not
    make thread-safe: a loop asleep in `select` sees it only when something wakes it, maybe never (the process
    then hangs). Once shutdown has begun, wake the loop until it has returned."""
    from localstack.runtime import events
    from localstack.runtime.current import get_current_runtime

    events.infra_stopping.wait()
    loop = get_current_runtime().components.runtime_server.loop
    while not events.infra_stopped.wait(0.2):
        loop.call_soon_threadsafe(lambda: None)


def _stop_when_orphaned() -> None:
    """Shut down (as on SIGTERM) when whoever started this process is gone: a test run killed before its
    teardown leaves no LocalStack behind."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", help="an empty directory for its files (default: a new temporary one); removed "
                                       "at exit")
    parser.add_argument("--detached", action="store_true",
                        help="keep running when the process that started it is gone (a background service)")
    args = parser.parse_args()
    root = args.root or tempfile.mkdtemp(prefix="sfn-resume-localstack-")
    os.environ.update(_settings(args.port, root))
    import offline_dynamodb
    import offline_jsonata

    code = 1
    try:
        offline_dynamodb.install(DYNALITE_CLI)
        offline_jsonata.install()
        from localstack.runtime.main import main as localstack_main

        threading.Thread(target=_wake_the_gateway_loop_at_shutdown, daemon=True).start()
        if not args.detached:
            threading.Thread(target=_stop_when_orphaned, daemon=True).start()
        localstack_main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        offline_dynamodb.stop()
        shutil.rmtree(root, ignore_errors=True)
        sys.stdout.flush()
        sys.stderr.flush()
    # LocalStack has shut down and nothing is left to do; the interpreter's own finalization would then take
    # 10-25 s more (in C, waiting on LocalStack's leftover threads), for nothing.
    os._exit(code)


if __name__ == "__main__":
    main()
