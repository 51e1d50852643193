"""Offline substitution 1 of 2: LocalStack's DynamoDB served by dynalite instead of DynamoDB Local.

LocalStack's DynamoDB provider forwards every request to a DynamoDB Local server (`DynamodbServer`): a Java jar
plus a JDK 21 that it downloads at first use (offline: the download fails, and so does every DynamoDB call), under
the vendor's own licence. dynalite (npm, MIT, in memory) serves the same JSON API: this module makes
`DynamodbServer` start `node dynalite/cli.js` on 127.0.0.1 instead. Nothing else of the provider changes: requests
still go through LocalStack's gateway, its provider and its proxy to the server, and the Step Functions
`arn:aws:states:::dynamodb:*` integrations call the same endpoint.

The launcher calls `stop()` when LocalStack has returned (its own shutdown leaves its DynamoDB server running); dynalite
runs in this process's group (not a session of its own, as LocalStack's shell threads start theirs), so whoever
kills the launcher's group kills dynalite with it.
"""
from __future__ import annotations

import logging
import subprocess
from pathlib import Path

LOG = logging.getLogger(__name__)

#: dynalite's table status delays: 0 makes CreateTable/DeleteTable/UpdateTable ACTIVE at once, as DynamoDB Local is.
_NO_DELAYS = ("--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
_started: list = []


def stop() -> None:
    """Stop every dynalite started (LocalStack's shutdown does not stop its DynamoDB server)."""
    while _started:
        _started.pop().stop()


def install(dynalite_cli: Path) -> None:
    """Replace how `DynamodbServer` starts its server: dynalite's `cli.js`, in memory, on 127.0.0.1."""
    from localstack.services.dynamodb.server import DynamodbServer
    from localstack.utils.threads import FuncThread

    if not dynalite_cli.is_file():
        raise FileNotFoundError(f"{dynalite_cli} is missing: run tools/install-localstack.sh")

    class DynaliteThread(FuncThread):
        """dynalite as a child process; the thread lives as long as it does. `stop` terminates it."""

        def __init__(self, port: int) -> None:
            self.process = subprocess.Popen(
                ["node", str(dynalite_cli), "--host", "127.0.0.1", "--port", str(port), *_NO_DELAYS],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            super().__init__(self._relay_output, name="dynalite")

        def _relay_output(self, *_) -> int:
            for line in self.process.stdout:
                LOG.debug("dynalite: %s", line.rstrip())
            return self.process.wait()

        def stop(self, quiet: bool = False) -> None:
            super().stop(quiet)
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()

    def do_start_thread(self: DynamodbServer) -> FuncThread:
        thread = DynaliteThread(self.port)
        thread.start()
        _started.append(thread)
        return thread

    DynamodbServer.do_start_thread = do_start_thread
