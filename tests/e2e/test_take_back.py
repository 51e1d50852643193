"""Protocol 0.4's take-back, end to end: a workflow that catches its pause's `States.Timeout` and pauses again on the
same job gets the event that came in between. The event found the timed-out pause and was handed to its closed
token (a late event, answered to nobody); the next pause of the same execution finds that hand-over, checks with
SendTaskHeartbeat that its token is closed, takes the event back, and continues with it.
"""

from __future__ import annotations

import json
import time

import pytest

from sfn_resume.local.harness import start_job_state

from .helpers import TRANSLATE, deploy_instance, entered_states, paths

pytestmark = [pytest.mark.timeout(90),
              pytest.mark.filterwarnings("ignore:Tried to parse AWS..SQS..QueuePolicy:UserWarning")]

#: The pause's timeout: long enough for its token to be stored first.
PAUSE_TIMEOUT = "3"
#: Between the two pauses: time enough for the test to deliver the event.
BETWEEN_SECONDS = 4


def _pausing_twice(pause_state: dict) -> dict:
    """start job -> pause; on its timeout, wait, then pause again on the same job -> continue."""
    first = dict(pause_state, Next="Continue",
                 Catch=[{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timedOut", "Next": "Between"}])
    return {"StartAt": "StartJob", "TimeoutSeconds": 60, "States": {
        "StartJob": start_job_state(TRANSLATE.pathToIdPauseTask, "WaitForJob"),
        "WaitForJob": first,
        "Between": {"Type": "Wait", "Seconds": BETWEEN_SECONDS, "Next": "WaitAgain"},
        "WaitAgain": dict(pause_state, Next="Continue"),
        "Continue": {"Type": "Pass", "End": True},
    }}


def _timed_out(sfn, run: str, deadline: float) -> None:
    while not any(e["type"] == "TaskTimedOut" for e in sfn.get_execution_history(executionArn=run)["events"]):
        assert time.monotonic() < deadline, "the first pause did not time out"
        time.sleep(0.05)


def test_a_pause_again_on_the_same_job_takes_back_the_event_handed_to_its_timed_out_pause(emulator):
    instance = deploy_instance(emulator, TimeoutSeconds=PAUSE_TIMEOUT)
    sfn, deployment = emulator.client("stepfunctions"), instance.deployment
    workflow = sfn.create_state_machine(name=f"twice-{instance.source[4:]}", roleArn=deployment.workflow_role_arn,
                                        definition=json.dumps(_pausing_twice(deployment.pause_state)))["stateMachineArn"]
    run = deployment.start(workflow, "again")
    _timed_out(sfn, run, time.monotonic() + 15)
    event = instance.event("again")
    [event_id] = instance.put(event)
    # the event found the timed-out pause: handed to its closed token, answered to nobody
    (late,) = deployment.wait_for_resume_executions(1)
    # (AWS refuses an answer to the timed-out token, TaskTimedOut: the run ends in PauseAlreadyClosed; moto takes it
    # without effect, the execution having moved on: docs/EMULATOR.md)
    assert entered_states(emulator, late["executionArn"])[:2] == ["ClaimToken", "SendTaskSuccess"]

    done = deployment.ended(run, timeout=20)
    output = json.loads(done["output"])
    assert output["timedOut"]["Error"] == "States.Timeout"
    received = output["translation"]["event"]
    assert received["id"] == event_id and received["detail"] == event["detail"]
    # the second pause: its store and claim refused, the holder read, its token found closed, the event taken back
    assert ["StoreToken", "ClaimEvent", "ReadHolder", "WhatNext", "HolderClosed", "TakeBack", "EventOutcome",
            "SendEvent"] in paths(instance, "Pause")
