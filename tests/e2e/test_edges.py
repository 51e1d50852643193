"""The pattern's edges: the race the hand-over is built for (made deterministic), a second pause on a job id
still waited on, the heartbeat variant of the pause state, and an event without a job id.

The race test is in process only: moto's DynamoDB `put_item` is wrapped so that the pause's write lands exactly
between the resume run's ClaimToken and StoreEarlyEvent, where the second claim must take the token.
"""


import pytest
from moto.dynamodb.models import DynamoDBBackend

from sfn_resume.local.stacks import expect_execution

from .helpers import deploy_instance, entered_states


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
        "ClaimToken", "StoreEarlyEvent", "ClaimTokenAgain", "SendTaskSuccess"]
    instance.deployment.ended(run)
    assert instance.deployment.live_items() == []


@pytest.mark.timeout(60)
def test_a_second_pause_on_a_job_id_still_waited_on_fails_with_job_id_in_use(emulator):
    instance = deploy_instance(emulator)
    first, item = instance.paused("twice")
    second = instance.deployment.ended(instance.start("twice", instance.workflow_without_catch(f"nocatch-{first[-6:]}")),
                                       "FAILED", "SfnResume.JobIdInUse")
    assert second["cause"] == "Another pause is waiting on job id twice"
    assert instance.deployment.item("twice") == item  # the first pause's token is untouched
    [event_id] = instance.put(instance.event("twice"))
    instance.deployment.ended(first)


#: The heartbeat variant's settings: the pause must give up after HEARTBEAT_SECONDS, and well before TIMEOUT_SECONDS
#: (within half of it: 14 s of margin for a timer that fires at 1 s).
HEARTBEAT_SECONDS, TIMEOUT_SECONDS = 1, 30


@pytest.mark.timeout(60)
def test_heartbeat_timeout(emulator):
    # the generic template's other PauseState variant: HeartbeatSeconds set, and nobody sends heartbeats
    instance = deploy_instance(emulator, HeartbeatSeconds=str(HEARTBEAT_SECONDS), TimeoutSeconds=str(TIMEOUT_SECONDS))
    pause = instance.deployment.pause_state
    assert (pause["HeartbeatSeconds"], pause["TimeoutSeconds"]) == (HEARTBEAT_SECONDS, TIMEOUT_SECONDS)
    run, _ = instance.paused("quiet")
    # moto 5.2.5 names it States.Timeout where AWS says States.HeartbeatTimeout (README, "where the emulator differs")
    done = instance.deployment.ended(run, "FAILED", "States.Timeout", timeout=TIMEOUT_SECONDS / 2)
    # timed by the emulator's own clock (the execution's events), not by how long this test waited
    paused_for = (done["stopDate"] - _entered_at(emulator, run, "WaitForJob")).total_seconds()
    assert HEARTBEAT_SECONDS <= paused_for < TIMEOUT_SECONDS / 2


def _entered_at(emulator, execution_arn: str, state: str):
    events = emulator.client("stepfunctions").get_execution_history(executionArn=execution_arn)["events"]
    return next(e["timestamp"] for e in events if e.get("stateEnteredEventDetails", {}).get("name") == state)


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
