"""A deployed instance in the emulator and a sample user workflow around its pause state.

Shared by `sfn-resume demo`, the end-to-end scenarios and the benchmarks: deploy a template through
CloudFormation, create a workflow (start job → pause → continue), run it, send events, and look at what
happened (executions by status, the table's items).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .. import asl
from ..protocol.item import HANDED_OVER, WAITING_PAUSE, Item
from .logged_runs import logged_executions, wait_for_logged_execution
from .stacks import (
    EXECUTION_TERMINAL,
    ExecutionTimedOut,
    deploy_stack,
    describe_executions,
    execution_story,
    wait_for_execution,
)

#: The emulator ignores IAM; a syntactically valid role ARN is all it needs (in moto's account, 123456789012).
WORKFLOW_ROLE_ARN = "arn:aws:iam::123456789012:role/sfn-resume-sample-workflow"


def start_job_state(path_to_id: str, next_state: str) -> dict:
    """A stand-in for the job's Start* call: puts the input's `jobId` where `path_to_id` (`$.task.A.B`,
    `$.task.Ids[0]`) says the Start* response holds it, as `ResultPath: $.task` would."""
    task, *inner = asl.path_segments(path_to_id)
    state = {"Type": "Pass", "Comment": "Stands in for the service's Start* API call, which returns the job id.",
             "ResultPath": f"$.{task}", "Next": next_state}
    if not inner:
        return {**state, "InputPath": "$.jobId"}
    return {**state, "Parameters": _response_holding_the_id(inner)}


def _response_holding_the_id(segments: list) -> dict:
    """Pass-state Parameters that put `$.jobId` at `segments` (names, and an index last)."""
    name, *rest = segments
    if not rest:
        return {f"{name}.$": "$.jobId"}
    if rest == [0]:
        return {f"{name}.$": "States.Array($.jobId)"}
    return {name: _response_holding_the_id(rest)}


def sample_workflow(pause_state: dict, path_to_id: str, timeout_seconds: int = 300) -> dict:
    """start job → pause → continue; a Catch sends `SfnResume.JobFailed` to a handler."""
    pause = dict(pause_state, Next="Continue")
    pause["Catch"] = [{"ErrorEquals": ["SfnResume.JobFailed"], "ResultPath": "$.failure", "Next": "HandleJobFailure"}]
    return {
        "Comment": "sfn-resume sample workflow",
        "StartAt": "StartJob",
        "TimeoutSeconds": timeout_seconds,
        "States": {
            "StartJob": start_job_state(path_to_id, "WaitForJob"),
            "WaitForJob": pause,
            "Continue": {"Type": "Pass", "End": True},
            "HandleJobFailure": {"Type": "Pass", "Result": "job failed", "ResultPath": "$.handled", "End": True},
        },
    }


def event_entry(event: dict, bus: str = "default") -> dict:
    """A PutEvents entry from an event in EventBridge's delivered shape (as the examples' samples are)."""
    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        # as sent by a producer: UTF-8, not \u escapes (PutEvents counts the bytes: 256 KB a request)
        "Detail": json.dumps(event["detail"], ensure_ascii=False),
        "Resources": event.get("resources", []),
        "EventBusName": bus,
    }


@dataclass
class Deployment:
    """One deployed instance: its stack outputs and clients of the emulator it lives in."""

    aws: Any  # LocalAws, or anything with .client(service)
    stack_name: str
    outputs: dict

    @classmethod
    def deploy(cls, aws, stack_name: str, template_body, parameters: dict | None = None,
               prefix: str = "") -> Deployment:
        outputs = deploy_stack(aws.client("cloudformation"), stack_name, template_body, parameters,
                               s3_client=aws.client("s3"))
        return cls(aws, stack_name, {k[len(prefix):]: v for k, v in outputs.items() if k.startswith(prefix)})

    @property
    def table_name(self) -> str:
        return self.outputs["TableName"]

    @property
    def pause_state(self) -> dict:
        return json.loads(self.outputs["PauseState"])

    @property
    def resume_state_machine(self) -> str:
        return self.outputs["ResumeStateMachineArn"]

    @property
    def pause_state_machine(self) -> str:
        return self.outputs["PauseStateMachineArn"]

    @property
    def fail_state_machine(self) -> str | None:
        """The fail machine (0.4, where the instance has a failure pattern)."""
        return self.outputs.get("FailStateMachineArn")

    @property
    def workflow_role_arn(self) -> str:
        """A role for sample workflows, in the instance's account. No engine here enforces IAM, but LocalStack makes
        a workflow's service calls in its role's account (000000000000 there): a role of another account would not
        find the pause machine."""
        _, partition, _, _, account, *_ = self.resume_state_machine.split(":")
        return f"arn:{partition}:iam::{account}:role/sfn-resume-sample-workflow"

    def create_workflow(self, name: str, path_to_id: str, timeout_seconds: int = 300) -> str:
        definition = sample_workflow(self.pause_state, path_to_id, timeout_seconds)
        return self.aws.client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=self.workflow_role_arn
        )["stateMachineArn"]

    def start(self, workflow_arn: str, job_id: str, extra_input: dict | None = None) -> str:
        return self.aws.client("stepfunctions").start_execution(
            stateMachineArn=workflow_arn, name=f"run-{uuid.uuid4().hex[:12]}",
            input=json.dumps({"jobId": job_id, **(extra_input or {})}),
        )["executionArn"]

    def send(self, *events: dict) -> None:
        entries = [event_entry(event) for event in events]
        events_client = self.aws.client("events")
        for start in range(0, len(entries), 10):  # PutEvents takes 10 entries a call
            response = events_client.put_events(Entries=entries[start:start + 10])
            assert response["FailedEntryCount"] == 0, response

    def item(self, job_id: str) -> dict | None:
        return self.aws.client("dynamodb").get_item(
            TableName=self.table_name, Key={"id": {"S": job_id}}, ConsistentRead=True).get("Item")

    def items(self) -> list[dict]:
        return self.aws.client("dynamodb").scan(TableName=self.table_name, ConsistentRead=True)["Items"]

    def live_items(self) -> list[dict]:
        """Unexpired waiting pauses and early events: what a clean table has none of (hand-overs and expired
        items are left to TTL)."""
        now_ms = time.time() * 1000
        return [item for item in self.items()
                if (read := Item.from_dynamodb(item)).shape != HANDED_OVER and not read.expired(now_ms)]

    def wait_until_paused(self, execution_arn: str, job_id: str, timeout: float = 10.0) -> dict:
        """Wait until the execution's token is stored under `job_id`; returns the item."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            item = self.item(job_id)
            if item and Item.from_dynamodb(item).shape == WAITING_PAUSE:
                return item
            time.sleep(0.01)
        raise ExecutionTimedOut(f"no token stored for {job_id} within {timeout}s:\n"
                                f"{execution_story(self.aws.client('stepfunctions'), execution_arn)}")

    def executions(self, state_machine_arn: str) -> list[dict]:
        """The machine's executions, described, oldest first; an EXPRESS machine's from its logs where the engine
        does not list them (AWS, LocalStack: sfn_resume/local/logged_runs.py)."""
        sfn = self.aws.client("stepfunctions")
        try:
            return describe_executions(sfn, state_machine_arn)
        except sfn.exceptions.StateMachineTypeNotSupported:
            return logged_executions(self.aws, state_machine_arn)

    def resume_executions(self) -> list[dict]:
        return self.executions(self.resume_state_machine)

    def wait_for_executions(self, state_machine_arn: str, count: int, timeout: float = 10.0) -> list[dict]:
        """Wait until the state machine has `count` executions, all finished; returns them, oldest first."""
        deadline = time.monotonic() + timeout
        while True:
            executions = self.executions(state_machine_arn)
            if len(executions) >= count and all(e["status"] in EXECUTION_TERMINAL for e in executions):
                return executions
            if time.monotonic() > deadline:
                raise TimeoutError(f"{state_machine_arn}: {len(executions)} executions "
                                   f"{[e['status'] for e in executions]} after {timeout}s, expected {count} finished")
            time.sleep(0.01)

    def wait_for_resume_executions(self, count: int, timeout: float = 10.0) -> list[dict]:
        """Wait until the resume machine (success events) has `count` executions, all finished."""
        return self.wait_for_executions(self.resume_state_machine, count, timeout)

    def wait(self, execution_arn: str, timeout: float = 10.0) -> dict:
        if ":express:" in execution_arn:  # an EXPRESS run the engine does not describe (AWS, LocalStack)
            return wait_for_logged_execution(self.aws, execution_arn, timeout)
        return wait_for_execution(self.aws.client("stepfunctions"), execution_arn, timeout)

    def ended(self, execution_arn: str, status: str = "SUCCEEDED", error: str | None = None,
              timeout: float = 10.0) -> dict:
        """Wait until the execution ends and check how: `status` (and `error`). A mismatch or a timeout fails with
        the execution's error, cause and last history events (`stacks.execution_story`)."""
        return wait_for_execution(self.aws.client("stepfunctions"), execution_arn, timeout, status=status, error=error)


def statuses(executions: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for execution in executions:
        counts[execution["status"]] = counts.get(execution["status"], 0) + 1
    return counts
