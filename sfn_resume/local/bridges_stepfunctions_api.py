"""Bridges for what moto 5.2.5's Step Functions API answers: executions described, listed, stopped and told as Step
Functions does, definitions refused as it refuses them, its errors with their codes (gaps 48 to 50 in
docs/EMULATOR.md, each measured against AWS's recordings by the conformance lane).
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator

from sfn_resume.local.patching import Patches, bridge


def _type_name(machine_type: Any) -> str:
    """A state machine type as its name, whether moto holds it as text or as its enum (None: STANDARD)."""
    return str(getattr(machine_type, "value", machine_type) or "STANDARD")


def _machine_type(machine: Any) -> str:
    """The type of one of moto's state machines (its API model says `type`, the interpreter's `sm_type`)."""
    return _type_name(getattr(machine, "type", None) or getattr(machine, "sm_type", None))


#: The executions Step Functions can redrive (a STANDARD one that ended otherwise than SUCCEEDED, within 14 days).
_REDRIVABLE = ("FAILED", "TIMED_OUT", "ABORTED")


def execution_description(execution: Any) -> dict[str, Any]:
    """DescribeExecution's answer for an execution of the executing backend, as Step Functions gives it: input and
    output as compact JSON, with their `inputDetails`/`outputDetails`, and a STANDARD execution's redrive fields
    (recorded: `redriveCount` 0, `NOT_REDRIVABLE` "Execution is SUCCEEDED and cannot be redriven")."""
    description = {key: value for key, value in execution.to_describe_output().items() if value is not None}
    status = str(getattr(description["status"], "value", description["status"]))
    description["status"] = status
    if _machine_type(execution.state_machine) == "STANDARD":
        description["redriveCount"] = 0
        if status in _REDRIVABLE:
            description["redriveStatus"] = "REDRIVABLE"
        else:
            description["redriveStatus"] = "NOT_REDRIVABLE"
            description["redriveStatusReason"] = f"Execution is {status} and cannot be redriven"
    return description


@bridge("execution-description", gap="48: DescribeExecution lacks inputDetails and the redrive fields, and spaces "
                                     "its output's JSON")
def bridge_execution_description(patches: Patches) -> None:
    """Describe an execution as Step Functions does (`execution_description`).

    moto's response handler builds its own answer: `output` re-serialised with spaces (`{"Arg1": "argument1"}`),
    no `inputDetails`, no `redriveCount`/`redriveStatus`; its executing backend's own `to_describe_output` has the
    compact JSON and the details. A `.sync` child's result is this answer (PascalCase): a workflow that compares
    `$.Output` as text, or reads `$.InputDetails`, saw something else than on AWS (the recordings).

    Gap 48 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.describe_execution

    def describe_execution(self):
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        if not hasattr(execution, "to_describe_output"):  # the plain backend's (execution off)
            return original(self)
        return ActionResult(execution_description(execution))

    patches.set(StepFunctionResponse, "describe_execution", describe_execution)


def _task_states(states: dict, at: str = "") -> Iterator[tuple[str, dict]]:
    """Every state of a definition's `States`, nested ones (Parallel branches, Map processors) included, with its
    JSON pointer (`/States/Pause`, `/States/P/Branches/0/States/Pause`)."""
    for name, state in (states or {}).items():
        if not isinstance(state, dict):
            continue
        pointer = f"{at}/States/{name}"
        yield pointer, state
        for index, branch in enumerate(state.get("Branches") or []):
            yield from _task_states(branch.get("States"), f"{pointer}/Branches/{index}")
        for key in ("Iterator", "ItemProcessor"):
            if isinstance(state.get(key), dict):
                yield from _task_states(state[key].get("States"), f"{pointer}/{key}")


#: What an EXPRESS machine's Task may not be, in Step Functions' words (recorded; the double space is AWS's).
_NOT_IN_EXPRESS = ((".waitForTaskToken", "'.waitForTaskToken' service integration "), (".sync", "'.sync' service integration"))


def definition_problem(definition: str, machine_type: str = "STANDARD") -> str | None:
    """What CreateStateMachine says of a definition Step Functions refuses before any run (its schema validation,
    in its words), or None: the required top-level fields, and the Task resources an EXPRESS machine cannot use
    (a callback, a `.sync` call, an activity)."""
    try:
        document = json.loads(definition)
    except ValueError:
        return None  # moto's own parser says what is wrong with the text
    missing = [field for field in ("StartAt", "States") if not isinstance(document, dict) or field not in document]
    if missing:
        return f"These fields are required: [{', '.join(missing)}] at /"
    if machine_type != "EXPRESS":
        return None
    for pointer, state in _task_states(document["States"]):
        resource = state.get("Resource") if state.get("Type") == "Task" else None
        if not isinstance(resource, str):
            continue
        if ":activity:" in resource:
            return f"Express state machine does not support Activity ARN at {pointer}/Resource"
        for suffix, what in _NOT_IN_EXPRESS:
            if suffix in resource:
                return f"Express state machine does not support {what} at {pointer}/Resource"
    return None


def _unknown_resource_problem(definition: str, message: str) -> str | None:
    """moto's "The resource provided X not recognized..." as Step Functions says it, with the state's pointer."""
    found = re.search(r"The resource provided (\S+) not recognized", message)
    if not found:
        return None
    try:
        states = json.loads(definition).get("States")
    except (ValueError, AttributeError):
        states = None
    pointers = [pointer for pointer, state in _task_states(states) if state.get("Resource") == found.group(1)]
    where = f" at {pointers[0]}/Resource" if pointers else ""
    return (f"The resource provided {found.group(1)} is not recognized. The value is not a valid resource ARN, or "
            f"the resource is not available in this region.{where}")


@bridge("definition-errors", gap="49: an invalid definition is refused with an unnamed error (or accepted: a callback "
                                 "in an EXPRESS machine)")
def bridge_definition_errors(patches: Patches) -> None:
    """Refuse a definition as Step Functions does: `InvalidDefinition`, "Invalid State Machine Definition:
    'SCHEMA_VALIDATION_FAILED: <what> at <where>'", for a missing `StartAt`/`States`, a Task resource that names no
    integration, and, in an EXPRESS machine, a `.waitForTaskToken` or `.sync` integration or an activity.

    moto answers an invalid definition with an error whose code is empty (botocore reads `ClientError`, not
    `InvalidDefinition`) and a Python message (`Error=ValueError Args=[...]`), and creates an EXPRESS machine with a
    callback task, which AWS refuses ("Express state machine does not support '.waitForTaskToken' service
    integration"): a pause in an EXPRESS workflow deployed in the emulator and failed on AWS. Through
    CloudFormation the refusal fails the resource (and the stack rolls back, gap 35), as on AWS.

    Gap 49 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.api import InvalidDefinition as ParserInvalidDefinition
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    class InvalidDefinition(AWSError):
        TYPE = "InvalidDefinition"
        STATUS = 400

        def __init__(self, problem: str):
            super().__init__(f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {problem}'")

    validate = StepFunctionsParserBackend._validate_definition

    def _validate_definition(definition):
        problem = definition_problem(definition)
        if problem:
            raise InvalidDefinition(problem)
        try:
            validate(definition=definition)
        except ParserInvalidDefinition as error:
            raise InvalidDefinition(_unknown_resource_problem(definition, str(error)) or str(error)) from None

    create = StepFunctionsParserBackend.create_state_machine

    def create_state_machine(self, name, definition, roleArn, *args, sm_type=None, **kwargs):
        problem = definition_problem(definition, _type_name(sm_type))
        if problem:
            raise InvalidDefinition(problem)
        return create(self, name, definition, roleArn, *args, sm_type=sm_type, **kwargs)

    update = StepFunctionsParserBackend.update_state_machine

    def update_state_machine(self, arn, definition=None, *args, **kwargs):
        if definition is not None:
            problem = definition_problem(definition, _machine_type(self.describe_state_machine(arn)))
            if problem:
                raise InvalidDefinition(problem)
        return update(self, arn, definition, *args, **kwargs)

    patches.set(StepFunctionsParserBackend, "_validate_definition", staticmethod(_validate_definition))
    patches.set(StepFunctionsParserBackend, "create_state_machine", create_state_machine)
    patches.set(StepFunctionsParserBackend, "update_state_machine", update_state_machine)


@bridge("execution-listing", gap="48: ListExecutions lacks the redrive count")
def bridge_execution_listing(patches: Patches) -> None:
    """Give each STANDARD execution of a ListExecutions answer its `redriveCount`, as Step Functions does
    (recorded: `redriveCount: 0`).

    Gap 48 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.list_executions

    def list_executions(self):
        answer = original(self)
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        if _machine_type(machine) == "STANDARD":
            for execution in answer.result["executions"]:
                execution.setdefault("redriveCount", 0)
        return answer

    patches.set(StepFunctionResponse, "list_executions", list_executions)


@bridge("execution-stop", gap="48: StopExecution drops its error and cause, and answers without a stop date")
def bridge_execution_stop(patches: Patches) -> None:
    """Stop an execution with the `error` and `cause` given (the ExecutionAborted event carries only those given,
    recorded `{}` for none) and answer with its `stopDate`.

    moto's handler passes neither (the history says `{"error": "", "cause": ""}`) and answers with the stop date the
    execution has not been given yet (none).

    Gap 48 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.stepfunctions.responses import StepFunctionResponse

    def stop_execution(self):
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        stop_date = utcnow()
        if execution.status == "RUNNING":
            execution.stop(stop_date=stop_date, error=self._get_param("error"), cause=self._get_param("cause"))
        return ActionResult({"stopDate": execution.stop_date or stop_date})

    patches.set(StepFunctionResponse, "stop_execution", stop_execution)


@bridge("execution-history-order", gap="48: GetExecutionHistory ignores reverseOrder")
def bridge_execution_history_order(patches: Patches) -> None:
    """List an execution's history newest first when asked (`reverseOrder`), as Step Functions does.

    Gap 48 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.get_execution_history

    def get_execution_history(self):
        answer = original(self)
        if self._get_param("reverseOrder"):
            answer.result["events"] = list(reversed(answer.result["events"]))
        return answer

    patches.set(StepFunctionResponse, "get_execution_history", get_execution_history)


#: The Step Functions API parameters that hold an ARN (the operations' input members ending in `Arn`).
_ARN_PARAMETERS = ("stateMachineArn", "executionArn", "activityArn", "mapRunArn")


@bridge("arn-prefix", gap="50: an ARN parameter that is no ARN is answered as a missing resource")
def bridge_arn_prefix(patches: Patches) -> None:
    """Refuse, as Step Functions does first, an ARN parameter that does not start with `arn:`: `InvalidArn`,
    "Invalid Arn: 'Invalid ARN prefix: <value>'" (recorded for DescribeExecution, DescribeStateMachine,
    ListExecutions, GetExecutionHistory). moto looks the value up and says "Execution Does Not Exist" or "Invalid
    State Machine Arn".

    Gap 50 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.exceptions import InvalidArn
    from moto.stepfunctions.responses import StepFunctionResponse

    def arn_checked(call_action, self):
        for name in _ARN_PARAMETERS:
            value = self._get_param(name)
            if isinstance(value, str) and not value.startswith("arn:"):
                error = InvalidArn(f"Invalid Arn: 'Invalid ARN prefix: {value}'")
                headers, body = self._enrich_response(dict(self.response_headers, **dict(error.get_headers())),
                                                      error.description)
                return error.code, headers, body
        return call_action(self)

    patches.wrap(StepFunctionResponse, "call_action", arn_checked)


@bridge("parser-error-codes", gap="50: the interpreter's API errors carry no error code")
def bridge_parser_error_codes(patches: Patches) -> None:
    """Give each error of moto's Step Functions interpreter (`moto.stepfunctions.parser.api`: InvalidDefinition,
    InvalidExecutionInput, MissingRequiredParameter, StateMachineTypeNotSupported, TaskTimedOut, ...) its code,
    and let those raised without a message be raised.

    They declare `code` the LocalStack way, which moto's `AWSError` does not read: the answer's `__type` is empty,
    so botocore raises a bare `ClientError` with code '' (a client catching `InvalidExecutionInput` never does),
    and `TaskTimedOut()`/`TaskDoesNotExist()` fail on their missing message (HTTP 500).

    Gap 50 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser import api

    def __init__(self, message="", exception_type=None, status=None):
        AWSError.__init__(self, message, exception_type, status)

    for error in vars(api).values():
        declared = getattr(error, "__dict__", {})
        if isinstance(error, type) and issubclass(error, AWSError) and isinstance(declared.get("code"), str) \
                and "__init__" not in declared:  # InvalidToken carries its own type and message already
            patches.set(error, "TYPE", error.code)
            patches.set(error, "__init__", __init__)
