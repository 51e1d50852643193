"""Upgrading in place from 0.1, 0.2 and 0.3: a stack deployed from that version's generic template
(tests/fixtures), with workflows paused on its PauseState and an early event stored (from 0.2, a finished
hand-over too), updated to today's generic template by `aws cloudformation deploy` (server mode) or UpdateStack
(in process). Nothing is lost: every waiting workflow resumes (or fails) on its event, the early event is claimed
by a new pause, a workflow still on the old PauseState keeps working, the table is the same.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sfn_resume.local.harness import sample_workflow
from sfn_resume.local.stacks import StackDeployError

from .helpers import GENERIC_TEMPLATE, delivered, deploy_instance, entered_states

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EARLY_EVENT = {"id", "event", "outcome", "eventId", "expiresAt", "expiresAtMs"}
VERSIONS = {
    # 0.1's pause is a Parallel that stores its token itself: LegacyPauseAccess keeps its table rights meanwhile
    "0.1.0": {"update": {"LegacyPauseAccess": "true"}, "pause_item": {"id", "token", "expiresAt", "expiresAtMs"}},
    # 0.2's pause starts the pause machine, as today's does; its items carry a token hash, ignored now
    "0.2.0": {"update": {}, "pause_item": {"id", "token", "tokenHash", "executionId", "pausedAtMs", "expiresAt",
                                           "expiresAtMs"}},
    # 0.3's failure events went to its pause machine; 0.4's go to a fail machine of their own, created by the update
    "0.3.0": {"update": {}, "pause_item": {"id", "token", "executionId", "pausedAtMs", "expiresAt", "expiresAtMs"},
              "early_item": EARLY_EVENT | {"storedAtMs"}},
}
pytestmark = pytest.mark.deploys_with_aws_cli


@pytest.mark.timeout(180)
@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_an_update_keeps_every_waiting_pause_and_early_event(emulator, version):
    name = emulator.new_name()
    if emulator.mode == "localstack" and version != "0.3.0":
        # 0.1 and 0.2 passed a Number Parameter to DefinitionSubstitutions, which LocalStack hands on as an int
        # (docs/LOCALSTACK.md): those stacks cannot be created there, so there is nothing to update
        with pytest.raises(StackDeployError, match=r"replace\(\) argument 2 must be str, not int"):
            deploy_instance(emulator, FIXTURES / f"sfn-resume-{version}.yaml", name=name)
        pytest.skip(f"LocalStack cannot create a {version} stack (a Number in DefinitionSubstitutions)")
    old = deploy_instance(emulator, FIXTURES / f"sfn-resume-{version}.yaml", name=name)
    sfn, dynamodb = emulator.client("stepfunctions"), emulator.client("dynamodb")
    waiting, waiting_item = old.paused("waiting")
    assert set(waiting_item) == VERSIONS[version]["pause_item"]
    failing, _ = old.paused("failing")
    [early_id] = old.put(early := old.event("early"))
    old.deployment.wait_for_resume_executions(1)
    assert set(old.deployment.item("early")) == VERSIONS[version].get("early_item", EARLY_EVENT)
    if version != "0.1.0":  # 0.2 remembers a finished hand-over in a tombstone: neither token nor event; 0.3 keeps
        finished, _ = old.paused("finished")  # the claimed token, and when it was handed over
        [finished_id] = old.put(old.event("finished"))
        assert old.deployment.wait(finished)["status"] == "SUCCEEDED"
        remembered = old.deployment.item("finished")
        assert ({"token", "event"}.isdisjoint(remembered) if version == "0.2.0" else
                {"token", "handedOverAtMs"} <= set(remembered))
    table_before = dynamodb.describe_table(TableName=old.deployment.table_name)["Table"]

    new = deploy_instance(emulator, GENERIC_TEMPLATE, name=name, **VERSIONS[version]["update"])
    table_after = dynamodb.describe_table(TableName=new.deployment.table_name)["Table"]
    assert (table_after["TableArn"], table_after["CreationDateTime"]) == (
        table_before["TableArn"], table_before["CreationDateTime"])  # not replaced
    # 0.4's fail machine (0.1's STANDARD FailStateMachine replaced by it, under a name of its own)
    assert new.deployment.outputs["FailStateMachineArn"].endswith("-Failure")
    assert "PauseStateMachineArn" in new.deployment.outputs

    # the waiting pauses: one resumes, one fails, on events handled by the new machines
    [event_id] = new.put(event := new.event("waiting"))
    done = new.deployment.ended(waiting)
    delivered(event, event_id, json.loads(done["output"])["translation"]["event"])
    failure = new.event("failing", "FAILED")
    [failure_id] = new.put(failure)
    if emulator.mode == "localstack":
        # LocalStack updates no AWS::Events::Rule (docs/LOCALSTACK.md): the fail rule still starts the pause machine,
        # which takes no failure event since 0.4 (the event is lost there); the fail machine, given it as the rule
        # would, fails the pause
        [target] = emulator.client("events").list_targets_by_rule(Rule=new.deployment.table_name + "-Fail")["Targets"]
        assert target["Arn"] == new.deployment.pause_state_machine
        sfn.start_execution(stateMachineArn=new.deployment.fail_state_machine, input=json.dumps(
            {"id": failure_id, "jobId": "failing", "event": dict(failure, id=failure_id)}))
    failed = json.loads(new.deployment.ended(failing)["output"])["failure"]
    assert failed["Error"] == "SfnResume.JobFailed"

    # the early event, stored by the old resume machine, is claimed by a pause of today's PauseState
    done = new.deployment.ended(new.start("early"))
    delivered(early, early_id, json.loads(done["output"])["translation"]["event"])

    if version != "0.1.0":
        # the old tombstone still turns another event of its job away, and (0.4) a new pause on the id too, while
        # the hand-over is within EventRetentionSeconds (0.3 let the pause through)
        runs_before = len(new.deployment.resume_executions())
        [duplicate_id] = new.put(new.event("finished"))
        [duplicate] = [e for e in new.deployment.wait_for_resume_executions(runs_before + 1)
                       if json.loads(e["input"])["event"]["id"] == duplicate_id]
        duplicate = new.deployment.wait(duplicate["executionArn"])
        assert entered_states(emulator, duplicate["executionArn"])[-1] == "AlreadyHandled"
        assert new.deployment.item("finished")["eventId"]["S"] == finished_id
        new.deployment.ended(new.start("finished"), status="FAILED", error="SfnResume.JobIdInUse")

    # a workflow still on the old pause state, started after the update, still pauses and resumes
    definition = sample_workflow(old.deployment.pause_state, "$.startTextTranslationJob.JobId")
    still_old = sfn.create_state_machine(name=f"still-old-{name}", definition=json.dumps(definition),
                                         roleArn=new.deployment.workflow_role_arn)
    run, item = new.paused("late-old", still_old["stateMachineArn"])
    if version == "0.1.0":
        assert set(item) == VERSIONS[version]["pause_item"]  # 0.1's item shape, read by today's machines
    [late_id] = new.put(late := new.event("late-old"))
    delivered(late, late_id, json.loads(new.deployment.ended(run)["output"])["translation"]["event"])
    assert new.deployment.live_items() == []
