"""Helpers for driving the emulator: deploy a template, wait for executions."""
from __future__ import annotations

import json
import time
from typing import Any, Mapping

TERMINAL_STACK_SUFFIXES = ("_COMPLETE", "_FAILED")
EXECUTION_TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


class StackDeployError(RuntimeError):
    """The stack did not reach CREATE_COMPLETE / UPDATE_COMPLETE."""


def _body(template_body: Any) -> str:
    if isinstance(template_body, str):
        return template_body
    if hasattr(template_body, "to_json"):  # a troposphere Template
        return template_body.to_json()
    return json.dumps(template_body)


def stack_outputs(cfn_client: Any, name: str) -> dict[str, str]:
    stack = cfn_client.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def deploy_stack(
    cfn_client: Any,
    name: str,
    template_body: Any,
    parameters: Mapping[str, Any] | None = None,
    timeout: float = 30.0,
) -> dict[str, str]:
    """Create the stack (or update it when it exists) and return its outputs as {key: value}.

    `template_body` is YAML/JSON text, a dict, or a troposphere Template. Parameters are given as a plain dict.
    """
    body = _body(template_body)
    params = [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in (parameters or {}).items()]
    capabilities = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
    existing = [
        s for s in cfn_client.list_stacks()["StackSummaries"]
        if s["StackName"] == name and s["StackStatus"] != "DELETE_COMPLETE"
    ]
    if existing:
        cfn_client.update_stack(StackName=name, TemplateBody=body, Parameters=params, Capabilities=capabilities)
    else:
        cfn_client.create_stack(StackName=name, TemplateBody=body, Parameters=params, Capabilities=capabilities)
    deadline = time.monotonic() + timeout
    while True:
        stack = cfn_client.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if status.endswith(TERMINAL_STACK_SUFFIXES):
            break
        if time.monotonic() > deadline:
            raise StackDeployError(f"stack {name} still {status} after {timeout}s")
        time.sleep(0.05)
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        raise StackDeployError(f"stack {name} ended {status}: {stack.get('StackStatusReason', '')}"
                               f"{_failed_resources(cfn_client, name)}")
    return stack_outputs(cfn_client, name)


def _failed_resources(cfn_client: Any, name: str) -> str:
    """"; Resource: reason" for each resource that failed (some engines leave StackStatusReason empty)."""
    events = cfn_client.describe_stack_events(StackName=name)["StackEvents"]
    return "".join(f"; {event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}" for event in events
                   if event["ResourceStatus"].endswith("_FAILED") and event.get("ResourceStatusReason")
                   and event["LogicalResourceId"] != name)


def wait_for_execution(sfn_client: Any, execution_arn: str, timeout: float = 10.0,
                       poll: float = 0.02) -> dict[str, Any]:
    """Poll until the execution leaves RUNNING; returns `describe_execution`. Raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        described = sfn_client.describe_execution(executionArn=execution_arn)
        if described["status"] in EXECUTION_TERMINAL:
            return described
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} still {described['status']} after {timeout}s")
        time.sleep(poll)


def _arns(state_machine_arns: str | list[str]) -> list[str]:
    return [state_machine_arns] if isinstance(state_machine_arns, str) else list(state_machine_arns)


def _listed(sfn_client: Any, state_machine_arns: str | list[str]) -> list[dict[str, Any]]:
    paginator = sfn_client.get_paginator("list_executions")
    return [execution for arn in _arns(state_machine_arns)
            for page in paginator.paginate(stateMachineArn=arn) for execution in page["executions"]]


def describe_executions(sfn_client: Any, state_machine_arns: str | list[str]) -> list[dict[str, Any]]:
    """Every execution of the state machine(s), described, oldest first."""
    described = [sfn_client.describe_execution(executionArn=e["executionArn"])
                 for e in _listed(sfn_client, state_machine_arns)]
    return sorted(described, key=lambda d: d["startDate"])


def wait_for_executions(sfn_client: Any, state_machine_arns: str | list[str], count: int = 1, timeout: float = 10.0,
                        poll: float = 0.02) -> list[dict[str, Any]]:
    """Wait until the state machine(s) have at least `count` executions, all finished; returns them described,
    oldest first."""
    deadline = time.monotonic() + timeout
    while True:
        listed = _listed(sfn_client, state_machine_arns)
        if len(listed) >= count and all(e["status"] in EXECUTION_TERMINAL for e in listed):
            return describe_executions(sfn_client, state_machine_arns)
        if time.monotonic() > deadline:
            states = [e["status"] for e in listed]
            raise TimeoutError(f"{state_machine_arns}: {len(listed)} executions {states} after {timeout}s, "
                               f"expected {count} finished")
        time.sleep(poll)


def wait_for_state(sfn_client: Any, execution_arn: str, state_name: str, timeout: float = 10.0,
                   poll: float = 0.02) -> None:
    """Wait until the execution has entered `state_name` (e.g. a pause waiting for its token)."""
    deadline = time.monotonic() + timeout
    while True:
        history = sfn_client.get_execution_history(executionArn=execution_arn)["events"]
        entered = [
            e for e in history
            if e.get("stateEnteredEventDetails", {}).get("name") == state_name
        ]
        if entered:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} never entered {state_name} within {timeout}s")
        time.sleep(poll)
