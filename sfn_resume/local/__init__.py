"""The embedded emulator: moto 5.2.5 with the bridges this pattern needs (docs/EMULATOR.md).

`local_aws()` runs everything in process (tests); `sfn_resume.local.server.serve()` runs moto's HTTP server
with the same bridges (the AWS CLI, boto3 from another process). Each bridge lives in a `bridges_*` module,
names the moto gap it fills, and can be installed and undone (`install_bridges`, `bridges`, `without`).
"""
from __future__ import annotations

import contextlib
import datetime
import os
from dataclasses import dataclass, field
from typing import Any, Iterator
from unittest import mock

from sfn_resume.local import (  # noqa: F401 (each module registers its bridges)
    bridges_cloudformation,
    bridges_cloudwatch,
    bridges_dynamodb,
    bridges_events,
    bridges_faults,
    bridges_jsonata,
    bridges_restarts,
    bridges_stack_failures,
    bridges_stepfunctions,
    bridges_stepfunctions_api,
    bridges_task_results,
)
from sfn_resume.local.patching import (
    PINNED_MOTO_VERSION,
    MotoVersionError,
    bridges,
    install as install_bridges,
    registered as registered_bridges,
    require_pinned_moto,
    without,
)

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

EXECUTE_STATE_MACHINES = {"stepfunctions": {"execute_state_machine": True}}


@dataclass(frozen=True)
class LocalAws:
    """What `local_aws()` yields: the region, boto3 clients bound to it, and the fault plan in force."""

    region: str
    faults: bridges_faults.FaultPlan | None = field(default=None, compare=False, repr=False)
    _clients: dict = field(default_factory=dict, compare=False, repr=False)

    def client(self, service: str) -> Any:
        """One client per service: creating one costs milliseconds of CPU, which polling loops would take from the
        executions they wait for (boto3 clients are thread-safe)."""
        import boto3

        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]


def stop_running_executions() -> None:
    """Stop every RUNNING execution of the executing backend, so no worker thread outlives the mock.

    moto's stop leaves a task that waits for its token blocked (docs/EMULATOR.md, gap 8), so each
    pending callback is also answered with a failure: the stopped program then ends without another state.
    """
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeFailure
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    now = datetime.datetime.now(tz=datetime.timezone.utc)
    for regions in list(stepfunctions_parser_backends.values()):
        for backend in list(regions.values()):
            for execution in backend._get_executions("RUNNING"):
                worker = execution.exec_worker
                if worker is not None and worker.env is not None:
                    with contextlib.suppress(Exception):
                        execution.stop(stop_date=now, error="SfnResume.EmulatorStopped", cause=None)
                    pool = worker.env.callback_pool_manager
                    for callback_id in list(getattr(pool, "_pool", {})):
                        with contextlib.suppress(Exception):
                            pool.notify(callback_id, CallbackOutcomeFailure(
                                callback_id=callback_id, error="SfnResume.EmulatorStopped", cause=None))


def isolate_environment(region: str) -> None:
    """Leave boto3 nothing but the in-process emulator: no AWS_* variable of the shell (`sfn-resume local`'s
    AWS_ENDPOINT_URL would send every call to that server instead, AWS_PROFILE to a real account), no config or
    credentials file (a profile can name an endpoint too); fake credentials and `region` instead."""
    for key in [key for key in os.environ if key.startswith("AWS_")]:
        del os.environ[key]
    os.environ.update(FAKE_CREDENTIALS, AWS_DEFAULT_REGION=region, AWS_CONFIG_FILE=os.devnull,
                      AWS_SHARED_CREDENTIALS_FILE=os.devnull)


_data_loader: Any = None


def share_data_loader() -> None:
    """Give the default boto3 session (new in each `mock_aws`, which sets `boto3.DEFAULT_SESSION` aside) the one
    botocore data loader of this process, which keeps every service model it has read.

    A new session's loader reads each service's model, endpoint rules and paginators from disk again and lists
    botocore's data directory for each kind: about half a second of CPU in every `local_aws()`, more than many a
    test's own work. The models are botocore's files, the same in every session; credentials, region and
    endpoint stay each session's own.
    """
    import boto3
    from botocore.loaders import create_loader

    global _data_loader
    if _data_loader is None:
        _data_loader = create_loader()
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION._session.register_component("data_loader", _data_loader)


@contextlib.contextmanager
def local_aws(region: str = "us-east-1", fault_rate: float = 0.0, seed: int = 0) -> Iterator[LocalAws]:
    """moto's `mock_aws` with state machine execution on, all bridges installed, and an environment that reaches
    nothing else (`isolate_environment`). With `fault_rate`, that share of the DynamoDB and Step Functions calls
    state machines make fail as AWS fails them, chosen by `seed` (`bridges_faults`; `.faults` says which did).

        with local_aws() as aws:
            cfn = aws.client("cloudformation")
    """
    require_pinned_moto()
    from moto import mock_aws

    with mock.patch.dict(os.environ):
        isolate_environment(region)
        with mock_aws(config=EXECUTE_STATE_MACHINES), bridges_faults.injecting(fault_rate, seed) as faults:
            share_data_loader()
            undo = install_bridges()
            try:
                yield LocalAws(region=region, faults=faults)
            finally:
                try:
                    stop_running_executions()
                finally:
                    undo()


__all__ = [
    "EXECUTE_STATE_MACHINES",
    "FAKE_CREDENTIALS",
    "LocalAws",
    "MotoVersionError",
    "PINNED_MOTO_VERSION",
    "bridges",
    "install_bridges",
    "local_aws",
    "registered_bridges",
    "require_pinned_moto",
    "stop_running_executions",
    "without",
]
