"""The pattern's edges: the race the hand-over is built for (made deterministic), a second pause on a job id
still waited on, a 0.3 stack whose pause had a heartbeat (the Parameter is ignored since 0.4), and an event without a
job id.

The race test is in process only: moto's DynamoDB `put_item` is wrapped so that the pause's write lands exactly
between the resume run's ClaimToken and StoreEarlyEvent, where the second claim must take the token.
"""

import time
from pathlib import Path

import pytest
from moto.dynamodb.models import DynamoDBBackend

from sfn_resume.local.stacks import expect_execution

from .helpers import GENERIC_TEMPLATE, deploy_instance, entered_states

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.timeout(60)
def test_a_pause_that_stores_its_token_between_the_two_claims_is_resumed(in_process_emulator, monkeypatch):
    instance = deploy_instance(in_process_emulator)
    run, token_item = instance.paused("racy")
    dynamodb = instance.aws.client("dynamodb")
    table = instance.deployment.table_name
    dynamodb.delete_item(TableName=table, Key={"id": {"S": "racy"}})  # as if the pause had not stored it yet

    original = DynamoDBBackend.put_item

    def put_item(self, table_name, item_attrs, *args, **kwargs):
        if table_name == table and "event" in item_attrs:  # StoreEarlyEvent: the pause's write wins the race
            original(self, table_name, token_item)
        return original(self, table_name, item_attrs, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "put_item", put_item)
    instance.put(instance.event("racy"))
    (resume,) = instance.deployment.wait_for_resume_executions(1)
    assert entered_states(in_process_emulator, resume["executionArn"]) == [
        "ClaimToken", "StoreEarlyEvent", "ReadHolder", "WhatNext", "ClaimTokenAgain", "SendTaskSuccess"]
    instance.deployment.ended(run)
    assert instance.deployment.live_items() == []


@pytest.mark.timeout(60)
def test_a_second_pause_on_a_job_id_still_waited_on_fails_with_job_id_in_use(emulator):
    instance = deploy_instance(emulator)
    first, item = instance.paused("twice")
    second = instance.deployment.ended(instance.start("twice", instance.workflow_without_catch(f"nocatch-{first[-6:]}")),
                                       "FAILED", "SfnResume.JobIdInUse")
    assert second["cause"] == "Another pause, or a hand-over of another workflow, holds job id twice"
    assert instance.deployment.item("twice") == item  # the first pause's token is untouched
    [event_id] = instance.put(instance.event("twice"))
    instance.deployment.ended(first)


#: 0.3's pause state carried `HeartbeatSeconds` when the Parameter was set; nothing could send a heartbeat, so the
#: pause failed after it. Since 0.4 the Parameter is accepted and ignored.
HEARTBEAT_SECONDS = 1


@pytest.mark.timeout(120)
def test_a_0_3_stack_that_set_heartbeat_seconds_updates_and_its_pauses_wait_for_their_events(emulator):
    name = emulator.new_name()
    old = deploy_instance(emulator, FIXTURES / "sfn-resume-0.3.0.yaml", name=name,
                          HeartbeatSeconds=str(HEARTBEAT_SECONDS))
    assert old.deployment.pause_state["HeartbeatSeconds"] == HEARTBEAT_SECONDS
    # the same Parameters, as an `aws cloudformation deploy` of the new template passes them
    new = deploy_instance(emulator, GENERIC_TEMPLATE, name=name, HeartbeatSeconds=str(HEARTBEAT_SECONDS))
    stack = emulator.client("cloudformation").describe_stacks(StackName=new.deployment.stack_name)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert "HeartbeatSeconds" not in new.deployment.pause_state
    run, _ = new.paused("beyond-the-heartbeat")
    time.sleep(HEARTBEAT_SECONDS * 3)  # a pause with the heartbeat would have failed by now
    expect_execution(emulator.client("stepfunctions"),
                     emulator.client("stepfunctions").describe_execution(executionArn=run), "RUNNING")
    new.put(new.event("beyond-the-heartbeat"))
    new.deployment.ended(run)


@pytest.mark.timeout(60)
def test_an_event_without_a_job_id_fails_its_resume_run_visibly(in_process_emulator):
    instance = deploy_instance(in_process_emulator)
    event = instance.event("ignored")
    del event["detail"]["jobId"]  # pathToIdWorkflow finds nothing
    instance.put(event)
    (resume,) = instance.deployment.wait_for_resume_executions(1)
    expect_execution(in_process_emulator.client("stepfunctions"), resume, "FAILED")
    assert "the job id path found no value" in resume["cause"]
    assert instance.items() == {}  # nothing filed under a key like "null"
