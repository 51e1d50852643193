"""Upgrading in place from 0.1: a stack deployed from 0.1's generic template (tests/fixtures), with workflows
paused on its PauseState (a Parallel that stored its token itself) and an early event stored, updated to today's
generic template by `aws cloudformation deploy` (server mode) or UpdateStack (in process). Nothing is lost: every
waiting workflow resumes (or fails) on its event, the early event is claimed by a new pause, the table is the same.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sfn_resume.local.harness import sample_workflow

from .helpers import GENERIC_TEMPLATE, delivered, deploy_instance, uid

TEMPLATE_0_1 = Path(__file__).resolve().parents[1] / "fixtures" / "sfn-resume-0.1.0.yaml"


@pytest.mark.timeout(120)
def test_an_update_from_0_1_keeps_every_waiting_pause_and_early_event(emulator):
    name = uid()
    old = deploy_instance(emulator, TEMPLATE_0_1, name=name)
    sfn, dynamodb = emulator.client("stepfunctions"), emulator.client("dynamodb")
    assert "Branches" in old.deployment.pause_state  # 0.1's pause: a Parallel
    waiting, _ = old.paused("waiting")
    failing, _ = old.paused("failing")
    [early_id] = old.put(early := old.event("early"))
    old.deployment.wait_for_resume_executions(1)
    assert set(old.deployment.item("early")) == {"id", "event", "outcome", "eventId", "expiresAt", "expiresAtMs"}
    table_before = dynamodb.describe_table(TableName=old.deployment.table_name)["Table"]

    # the update, with 0.1's pause state still in use: LegacyPauseAccess keeps its table rights meanwhile
    new = deploy_instance(emulator, GENERIC_TEMPLATE, name=name, LegacyPauseAccess="true")
    table_after = dynamodb.describe_table(TableName=new.deployment.table_name)["Table"]
    assert (table_after["TableArn"], table_after["CreationDateTime"]) == (
        table_before["TableArn"], table_before["CreationDateTime"])  # not replaced
    assert "FailStateMachineArn" not in new.deployment.outputs and "PauseStateMachineArn" in new.deployment.outputs

    # the waiting 0.1 pauses: one resumes, one fails, on events handled by the new machines
    [event_id] = new.put(event := new.event("waiting"))
    done = new.deployment.wait(waiting)
    assert done["status"] == "SUCCEEDED"
    delivered(event, event_id, json.loads(done["output"])["translation"]["event"])
    new.put(new.event("failing", "FAILED"))
    failed = json.loads(new.deployment.wait(failing)["output"])["failure"]
    assert failed["Error"] == "SfnResume.JobFailed"

    # the early event, stored by 0.1's resume machine, is claimed by a pause of today's PauseState
    done = new.deployment.wait(new.start("early"))
    assert done["status"] == "SUCCEEDED"
    delivered(early, early_id, json.loads(done["output"])["translation"]["event"])

    # a workflow still on 0.1's pause state, started after the update, still pauses and resumes
    definition = sample_workflow(old.deployment.pause_state, "$.startTextTranslationJob.JobId")
    still_old = sfn.create_state_machine(name=f"still-0-1-{name}", definition=json.dumps(definition),
                                         roleArn=new.deployment.workflow_role_arn)
    run, item = new.paused("late-0-1", still_old["stateMachineArn"])
    assert set(item) == {"id", "token", "expiresAt", "expiresAtMs"}  # 0.1's item shape, read by today's machines
    [late_id] = new.put(late := new.event("late-0-1"))
    delivered(late, late_id, json.loads(new.deployment.wait(run)["output"])["translation"]["event"])
    assert new.deployment.live_items() == []
