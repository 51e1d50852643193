"""EXPRESS executions as their state machine's CloudWatch Logs show them.

Step Functions does not list EXPRESS executions (ListExecutions: `StateMachineTypeNotSupported`) nor describe them
or their history (`InvalidArn`): AWS and LocalStack alike ("Standard and Express workflow types" in the Step
Functions Developer Guide). What an EXPRESS run did is in its machine's log group, one JSON log event per history
event (`type`, `execution_arn`, `details`), when the machine logs at level ALL. moto lists them like STANDARD ones.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

#: The history event that ends an execution, and the status it ends it with.
_TERMINAL_EVENTS = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED",
                    "ExecutionTimedOut": "TIMED_OUT", "ExecutionAborted": "ABORTED"}


class RunsNotLogged(RuntimeError):
    """The machine's runs cannot be listed, and its log does not show every state of every run."""


def _log_group(sfn_client: Any, state_machine_arn: str) -> str:
    logging = sfn_client.describe_state_machine(stateMachineArn=state_machine_arn).get("loggingConfiguration") or {}
    destinations = logging.get("destinations") or []
    if logging.get("level") != "ALL" or not destinations:
        raise RunsNotLogged(f"{state_machine_arn} is EXPRESS: its runs are seen only in its logs, and it logs "
                            f"{logging.get('level', 'OFF')}, not ALL (LogLevel=ALL shows them)")
    # arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*
    return destinations[0]["cloudWatchLogsLogGroup"]["logGroupArn"].split(":")[6]


def _timestamp(value: str) -> datetime:
    """AWS writes epoch milliseconds; LocalStack an ISO time."""
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, timezone.utc)
    return datetime.fromisoformat(value)


def _machine_name(execution_arn: str) -> str:
    # arn:aws:states:REGION:ACCOUNT:express:MACHINE:... (or :execution:MACHINE:...)
    return execution_arn.split(":")[6]


def _history(aws: Any, state_machine_arn: str) -> dict[str, list[dict]]:
    """Every logged history event of the machine's runs, by execution ARN, in order."""
    group = _log_group(aws.client("stepfunctions"), state_machine_arn)
    name = state_machine_arn.split(":")[6]
    by_execution: dict[str, list[dict]] = {}
    for page in aws.client("logs").get_paginator("filter_log_events").paginate(logGroupName=group):
        for logged in page["events"]:
            event = json.loads(logged["message"])
            if _machine_name(event.get("execution_arn", "::::::")) == name:
                by_execution.setdefault(event["execution_arn"], []).append(event)
    for events in by_execution.values():
        events.sort(key=lambda event: int(event["id"]))
    return by_execution


def logged_executions(aws: Any, state_machine_arn: str) -> list[dict[str, Any]]:
    """The machine's runs from its logs, oldest first, as DescribeExecution would give them (executionArn,
    stateMachineArn, status, startDate; input and output when the machine logs execution data)."""
    executions = []
    for arn, events in _history(aws, state_machine_arn).items():
        execution = {"executionArn": arn, "stateMachineArn": state_machine_arn, "status": "RUNNING",
                     "startDate": _timestamp(events[0]["event_timestamp"])}
        for event in events:
            details = event.get("details") or {}
            if event["type"] == "ExecutionStarted" and "input" in details:
                execution["input"] = details["input"]
            if event["type"] in _TERMINAL_EVENTS:
                execution.update(status=_TERMINAL_EVENTS[event["type"]], stopDate=_timestamp(event["event_timestamp"]))
                execution.update({key: details[key] for key in ("output", "error", "cause") if key in details})
        executions.append(execution)
    return sorted(executions, key=lambda execution: execution["startDate"])


def _machine_of(execution_arn: str) -> str:
    _, partition, _, region, account, *_ = execution_arn.split(":")
    return f"arn:{partition}:states:{region}:{account}:stateMachine:{_machine_name(execution_arn)}"


def logged_entered_states(aws: Any, execution_arn: str) -> list[str]:
    """The states an EXPRESS run entered, in order, from its machine's logs."""
    events = _history(aws, _machine_of(execution_arn)).get(execution_arn, [])
    return [event["details"]["name"] for event in events if event["type"].endswith("StateEntered")]


def wait_for_logged_execution(aws: Any, execution_arn: str, timeout: float = 10.0) -> dict[str, Any]:
    """Poll an EXPRESS run's logs until it has ended; returns it as `logged_executions` gives it."""
    machine = _machine_of(execution_arn)
    deadline = time.monotonic() + timeout
    while True:
        [execution] = [e for e in logged_executions(aws, machine) if e["executionArn"] == execution_arn] or [None]
        if execution and execution["status"] != "RUNNING":
            return execution
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} still {execution and execution['status']} after {timeout}s")
        time.sleep(0.05)
