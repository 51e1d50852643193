"""Faults on demand: a share of the service calls that state machines make fail as AWS's services fail them.

moto answers every call a Task state makes. AWS throttles some and fails some with a 500 or a 503, and says which
errors a client should retry: DynamoDB's `ThrottlingException`, `ProvisionedThroughputExceededException`,
`RequestLimitExceeded` (HTTP 400), `InternalServerError` (500) and `ServiceUnavailable` (503) ("Error handling with
DynamoDB", DynamoDB Developer Guide); Step Functions' `ThrottlingException` (400), `InternalFailure` (500) and
`ServiceUnavailable` (503) (the common errors of its API Reference). A 500 says the server failed, not that the
call was not applied: a call may go through and its answer be lost, so a retry meets its own result.

With a plan in force (`injecting(rate, seed)`: `local_aws(fault_rate=...)`, `sfn-resume local --fault-rate R`), each
call of the DynamoDB and Step Functions integrations, AWS SDK (`aws-sdk:dynamodb:*`, `aws-sdk:sfn:*`) and optimized
(`dynamodb:*`, `states:*`), fails with probability `rate`: refused before it reaches the service (throttling, 500,
503), or applied and then answered with a 500. The error is botocore's, built from the service's model (its modeled
class, or a plain ClientError for an error code the model does not list), so the interpreter names it as it names
any error of that call: `DynamoDb.ThrottlingException`, `DynamoDb.InternalServerErrorException`,
`DynamoDb.DynamoDbException` (503), `Sfn.SfnException` (Step Functions' throttling and 5xx, which its model does
not list), and for the optimized integrations `DynamoDB.*` and `StepFunctions.*` (gap 52 in docs/EMULATOR.md).

Deterministic under a seed: the n-th call of a state (its retries included) of a state machine of a given name
fails or not, and how, by a hash of (seed, machine name, state name, n) alone, whatever else runs. Runs of one
machine that start together take the numbers of their state's calls in the order their calls come, so with
concurrent runs the same seed gives each state the same faults in the same positions, while which run meets them
follows the threads' timing.
"""
from __future__ import annotations

import contextlib
import hashlib
import threading
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

from .patching import Patches, bridge


@dataclass(frozen=True)
class Fault:
    """One error a service returns: its code, its HTTP status, and whether the call was applied before it."""

    code: str
    status: int
    message: str
    applied: bool = False


#: The retriable errors each service's API returns (by botocore's service name), refused or applied.
FAULTS: dict[str, tuple[Fault, ...]] = {
    "dynamodb": (
        Fault("ThrottlingException", 400, "Throughput exceeds the current capacity of your table or index."),
        Fault("ProvisionedThroughputExceededException", 400,
              "The level of configured provisioned throughput for the table was exceeded."),
        Fault("RequestLimitExceeded", 400, "Throughput exceeds the current throughput limit for your account."),
        Fault("InternalServerError", 500, "Internal server error"),
        Fault("ServiceUnavailable", 503, "The service is currently unavailable or busy."),
        Fault("InternalServerError", 500, "Internal server error", applied=True),
    ),
    "stepfunctions": (
        Fault("ThrottlingException", 400, "Rate exceeded"),
        Fault("InternalFailure", 500, "The request processing has failed because of an unknown error."),
        Fault("ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server."),
        Fault("InternalFailure", 500, "The request processing has failed because of an unknown error.", applied=True),
    ),
}


@dataclass(frozen=True)
class Injected:
    """A fault the plan injected: where, and which."""

    state_machine: str
    state: str
    execution: str
    fault: Fault


@dataclass
class FaultPlan:
    """Which calls fail: a share `rate` of them, chosen by `seed` (see the module); `faults` narrows the errors
    injected, per service (default: `FAULTS`). `injected` lists the errors it raised, in order (an applied call
    that failed on its own raised its own error instead)."""

    rate: float
    seed: int
    faults: dict[str, tuple[Fault, ...]] = field(default_factory=lambda: dict(FAULTS))
    injected: list[Injected] = field(default_factory=list)
    _calls: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate {self.rate!r} is not a share of calls: expected 0 to 1")

    def _draw(self, *key: object) -> float:
        digest = hashlib.blake2b(repr((self.seed, *key)).encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def decide(self, service: str, state_machine: str, state: str) -> Fault | None:
        """The fault for this call of `state`, or None (it goes through as it would)."""
        choices = self.faults.get(service)
        if not choices or self.rate == 0.0:
            return None
        with self._lock:
            number = self._calls.get((state_machine, state), 0)
            self._calls[(state_machine, state)] = number + 1
        if self._draw(state_machine, state, number) >= self.rate:
            return None
        return choices[int(self._draw(state_machine, state, number, "which") * len(choices))]

    def record(self, injected: Injected) -> None:
        with self._lock:
            self.injected.append(injected)


#: The plan in force (None: no fault), for every execution of this process.
_plan: FaultPlan | None = None


@contextlib.contextmanager
def injecting(rate: float, seed: int = 0, faults: dict[str, tuple[Fault, ...]] | None = None) -> Iterator[FaultPlan]:
    """Put a plan in force until the block ends; yields it (its `injected` list says what it did)."""
    global _plan
    plan = FaultPlan(rate, seed, **({"faults": faults} if faults is not None else {}))
    previous, _plan = _plan, plan
    try:
        yield plan
    finally:
        _plan = previous


@lru_cache(maxsize=None)
def _service_model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@lru_cache(maxsize=None)
def _exceptions(service: str) -> Any:
    """The service's error classes, as a client of it has them (`client.exceptions`)."""
    from botocore.errorfactory import ClientExceptionsFactory

    return ClientExceptionsFactory().create_client_exceptions(_service_model(service))


@lru_cache(maxsize=None)
def _operation_name(service: str, action: str) -> str:
    """The API's name of an operation given in snake case (`put_item` -> `PutItem`)."""
    from moto.stepfunctions.parser.utils import camel_to_snake_case

    return next((name for name in _service_model(service).operation_names if camel_to_snake_case(name) == action),
                action)


def service_error(service: str, action: str, fault: Fault) -> Exception:
    """The exception botocore raises for `fault` in answer to `action` (snake case) of `service`."""
    response = {"Error": {"Code": fault.code, "Message": fault.message},
                "ResponseMetadata": {"RequestId": str(uuid.uuid4()), "HTTPStatusCode": fault.status,
                                     "HTTPHeaders": {}, "RetryAttempts": 0}}
    error_class = _exceptions(service).from_code(fault.code)
    return error_class(response, _operation_name(service, action))


@bridge("service-faults", gap="51: no call a state machine makes ever fails (AWS throttles, and fails some with a "
                               "500 that may come after the call was applied)")
def bridge_service_faults(patches: Patches) -> None:
    """Fail the calls the plan in force chooses (see the module): before the call, or after it went through.

    Each integration's `_eval_service_task` makes the call and puts the response on the stack; a refused call raises
    instead, an applied one takes its response back off the stack and raises. The error then takes the way of any
    error of the call: the integration names it (`_from_error`) and the state's Retry and Catch see that name.
    Idle (one check) without a plan.

    Gap 51 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb import (
        StateTaskServiceDynamoDB,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )

    def faulty(inner, self, env, *args, **kwargs):
        plan = _plan
        if plan is None:
            return inner(self, env, *args, **kwargs)
        service = self._get_boto_service_name()
        context = env.states.context_object.context_object_data
        machine = context["StateMachine"]["Name"]
        fault = plan.decide(service, machine, self.name)
        if fault is None:
            return inner(self, env, *args, **kwargs)
        if fault.applied:  # a call that fails on its own (a condition) answers with its own error, as on AWS
            inner(self, env, *args, **kwargs)
            env.stack.pop()  # the response that never came back
        plan.record(Injected(machine, self.name, context["Execution"]["Name"], fault))
        raise service_error(service, self._get_boto_service_action(), fault)

    for integration in (StateTaskServiceAwsSdk, StateTaskServiceDynamoDB, StateTaskServiceSfn):
        patches.wrap(integration, "_eval_service_task", faulty)


#: How each optimized integration names an error: its prefix, and its name for an error its model does not list.
_OPTIMIZED_NAMES = {"dynamodb": ("DynamoDB", "AmazonDynamoDBException"),
                    "stepfunctions": ("StepFunctions", "AWSStepFunctionsException")}


def optimized_error_name(service: str, error: Exception) -> str:
    """The name an optimized integration gives a service's error: the SDK's exception class (`ExecutionAlreadyExists`
    -> `StepFunctions.ExecutionAlreadyExistsException`), or the service's own base exception for an error code the
    service's model does not list (Step Functions' throttling: `StepFunctions.AWSStepFunctionsException`)."""
    from botocore.exceptions import ClientError

    prefix, unlisted = _OPTIMIZED_NAMES[service]
    name = unlisted if type(error) is ClientError else type(error).__name__
    return f"{prefix}.{name}" if name.endswith("Exception") else f"{prefix}.{name}Exception"


@bridge("optimized-integration-error-names", gap="52: the optimized DynamoDB and Step Functions integrations name an "
                                                  "error by its code, not by the SDK's exception class")
def bridge_optimized_integration_error_names(patches: Patches) -> None:
    """Name an optimized integration's error as Step Functions does (`optimized_error_name`).

    moto names the optimized DynamoDB integration's errors `DynamoDB.<code>` (`DynamoDB.InternalServerError`) and the
    Step Functions one's `StepFunctions.<code>Exception`, whatever the code: a throttled StartExecution becomes
    `StepFunctions.ThrottlingExceptionException`. The names agree with AWS's only for codes that end in `Exception`
    and that the model lists; the others meet a workflow when a call is refused as invalid (DynamoDB's
    ValidationException, which its model does not list: `DynamoDB.AmazonDynamoDBException` on AWS, as recorded) or
    fails for a reason of the service's own (gap 51 makes them happen).

    Gap 52 in docs/EMULATOR.md (what AWS does, the source).
    """
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb import (
        StateTaskServiceDynamoDB,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )

    def renamed(inner, self, env, ex):  # moto passes `ex` by keyword
        failure = inner(self, env=env, ex=ex)
        if isinstance(ex, ClientError) and failure.event_details:
            name = optimized_error_name(self._get_boto_service_name(), ex)
            failure.error_name = CustomErrorName(name)
            failure.event_details["taskFailedEventDetails"]["error"] = name
        return failure

    for integration in (StateTaskServiceDynamoDB, StateTaskServiceSfn):
        patches.wrap(integration, "_from_error", renamed)
