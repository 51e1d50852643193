"""Helpers for driving the emulator: deploy a template, wait for executions."""
from __future__ import annotations

import json
import time
from typing import Any, Mapping

TERMINAL_STACK_SUFFIXES = ("_COMPLETE", "_FAILED")
EXECUTION_TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
OPERATION_STARTS = ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS")


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


#: The largest TemplateBody CloudFormation takes (in bytes); a larger template goes by TemplateURL, through S3.
MAX_TEMPLATE_BODY_BYTES = 51_200
#: The bucket the larger templates go through (as `aws cloudformation deploy --s3-bucket` sends them).
TEMPLATE_BUCKET = "sfn-resume-local-templates"


def _template(body: str, s3_client: Any, name: str) -> dict[str, str]:
    """The template argument of CreateStack/UpdateStack: the text itself, or, above CloudFormation's limit for it
    (which LocalStack enforces, and moto does not), the URL of a copy in S3."""
    if s3_client is None or len(body.encode()) <= MAX_TEMPLATE_BODY_BYTES:
        return {"TemplateBody": body}
    s3_client.create_bucket(Bucket=TEMPLATE_BUCKET)  # us-east-1's CreateBucket answers 200 for one it has already
    key = f"{name}/{time.time_ns()}.template"
    s3_client.put_object(Bucket=TEMPLATE_BUCKET, Key=key, Body=body.encode())
    return {"TemplateURL": f"https://s3.amazonaws.com/{TEMPLATE_BUCKET}/{key}"}


def deploy_stack(
    cfn_client: Any,
    name: str,
    template_body: Any,
    parameters: Mapping[str, Any] | None = None,
    timeout: float = 30.0,
    s3_client: Any = None,
) -> dict[str, str]:
    """Create the stack (or update it when it exists) and return its outputs as {key: value}.

    `template_body` is YAML/JSON text, a dict, or a troposphere Template. Parameters are given as a plain dict. With
    `s3_client`, a template larger than CloudFormation takes inline goes through S3.
    """
    body = _body(template_body)
    params = [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in (parameters or {}).items()]
    capabilities = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
    existing = [
        s for s in cfn_client.list_stacks()["StackSummaries"]
        if s["StackName"] == name and s["StackStatus"] != "DELETE_COMPLETE"
    ]
    if existing:
        cfn_client.update_stack(StackName=name, **_template(body, s3_client, name), Parameters=params,
                                Capabilities=capabilities)
    else:
        cfn_client.create_stack(StackName=name, **_template(body, s3_client, name), Parameters=params,
                                Capabilities=capabilities)
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
        raise StackDeployError(f"stack {name} ended {status}: {failure_reasons(cfn_client, name)}")
    return stack_outputs(cfn_client, name)


def failure_reasons(cfn_client: Any, name: str) -> str:
    """What failed in the stack's last operation: "<logical id> <status>: <reason>" for each *_FAILED event."""
    events = cfn_client.describe_stack_events(StackName=name)["StackEvents"]  # newest first
    failed = []
    for event in events:
        if event["LogicalResourceId"] == name and event["ResourceStatus"] in OPERATION_STARTS:
            break  # the start of the last operation
        if event["ResourceStatus"].endswith("_FAILED"):
            failed.append(f"{event['LogicalResourceId']} {event['ResourceStatus']}: {event.get('ResourceStatusReason')}")
    return "; ".join(reversed(failed)) or "no resource failed"


#: How much of an execution's history `execution_story` tells, and of each text in it.
STORY_EVENTS = 8
_STORY_TEXT_CHARS = 300


def _event_line(event: dict[str, Any]) -> str:
    """`#12 TaskFailed error=X cause=Y` / `#3 PassStateEntered name=Continue`: an event and what it names."""
    details = next((value for key, value in event.items() if key.endswith("EventDetails")), {}) or {}
    told = [f"{key}={str(details[key])[:_STORY_TEXT_CHARS]}" for key in ("name", "error", "cause") if details.get(key)]
    return " ".join([f"#{event['id']} {event['type']}", *told])


def execution_story(sfn_client: Any, execution: str | dict[str, Any], events: int = STORY_EVENTS) -> str:
    """What a failed check on an execution must show: its status, error and cause, and its last history events.

    `execution` is an ARN or a `describe_execution` answer (which is then not read again)."""
    described = sfn_client.describe_execution(executionArn=execution) if isinstance(execution, str) else execution
    lines = [f"{described['executionArn']}: {described['status']}"
             + "".join(f" {key}={str(described[key])[:_STORY_TEXT_CHARS]}" for key in ("error", "cause")
                       if described.get(key))]
    try:
        history = sfn_client.get_execution_history(executionArn=described["executionArn"],
                                                   maxResults=1000)["events"][-events:]
    except Exception as error:  # the story is told on a failure already: never hide that failure behind another
        return "\n".join([*lines, f"  (no history: {error!r})"])
    lines.append(f"  last {len(history)} history events:")
    lines += [f"    {_event_line(event)}" for event in history]
    return "\n".join(lines)


class ExecutionCheckFailed(AssertionError):
    """An execution did not end (in time, or as expected); the message tells its story."""


class ExecutionTimedOut(ExecutionCheckFailed, TimeoutError):
    """An execution was still running when the wait for it ended."""


def expect_execution(sfn_client: Any, execution: str | dict[str, Any], status: str, error: str | None = None) -> dict:
    """Assert that an execution (an ARN, or as described) is in `status` (and, when given, ended with `error`);
    returns it described. A mismatch fails with the execution's story."""
    described = sfn_client.describe_execution(executionArn=execution) if isinstance(execution, str) else execution
    if described["status"] != status or (error is not None and described.get("error") != error):
        expected = status + (f" with error {error}" if error is not None else "")
        raise ExecutionCheckFailed(f"expected {expected}, got:\n{execution_story(sfn_client, described)}")
    return described


def wait_for_execution(sfn_client: Any, execution_arn: str, timeout: float = 10.0, poll: float = 0.02,
                       status: str | None = None, error: str | None = None) -> dict[str, Any]:
    """Poll until the execution leaves RUNNING; returns `describe_execution`. With `status` (and `error`), also
    checks how it ended (`expect_execution`). A timeout raises ExecutionCheckFailed (a TimeoutError too) with the
    execution's story."""
    deadline = time.monotonic() + timeout
    while True:
        described = sfn_client.describe_execution(executionArn=execution_arn)
        if described["status"] in EXECUTION_TERMINAL:
            return described if status is None else expect_execution(sfn_client, described, status, error)
        if time.monotonic() > deadline:
            raise ExecutionTimedOut(f"still {described['status']} after {timeout}s:\n"
                                    f"{execution_story(sfn_client, described)}")
        time.sleep(poll)


def executions_since(sfn_client: Any, started_after: float) -> list[dict[str, Any]]:
    """Every execution of every state machine started at or after `started_after` (epoch seconds), oldest first:
    listed, not described."""
    machines = [machine["stateMachineArn"] for page in sfn_client.get_paginator("list_state_machines").paginate()
                for machine in page["stateMachines"]]
    found = [execution for execution in _listed(sfn_client, machines)
             if execution["startDate"].timestamp() >= started_after]
    return sorted(found, key=lambda execution: execution["startDate"])


def executions_report(sfn_client: Any, started_after: float, stories: int = 10) -> str:
    """One line per execution started since `started_after`, and the story of each that did not succeed (the
    first `stories` of them): what a failed end-to-end test shows besides its assertion."""
    executions = executions_since(sfn_client, started_after)
    lines = [f"{len(executions)} executions started during the test"]
    lines += [f"  {execution['executionArn'].split(':', 6)[-1]}: {execution['status']}" for execution in executions]
    unsuccessful = [execution for execution in executions if execution["status"] != "SUCCEEDED"]
    for execution in unsuccessful[:stories]:
        lines.append(execution_story(sfn_client, execution["executionArn"]))
    if len(unsuccessful) > stories:
        lines.append(f"(and {len(unsuccessful) - stories} more that did not succeed)")
    return "\n".join(lines)


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
            running = [execution_story(sfn_client, e["executionArn"]) for e in listed
                       if e["status"] not in EXECUTION_TERMINAL][:3]
            raise ExecutionTimedOut("\n".join([f"{state_machine_arns}: {len(listed)} executions {states} after "
                                               f"{timeout}s, expected {count} finished", *running]))
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
            raise ExecutionTimedOut(f"never entered {state_name} within {timeout}s:\n"
                                    f"{execution_story(sfn_client, execution_arn)}")
        time.sleep(poll)
