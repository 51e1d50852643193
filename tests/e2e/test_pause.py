"""The pause state itself: its JSONata variant in a JSONata workflow, a workflow spliced by `sfn-resume splice`, a
repeated run of the pause machine (Express runs at least once), and SfnResume.PauseFailed when the pause machine
meets an error it cannot handle."""
from __future__ import annotations

import dataclasses
import json

import pytest

from sfn_resume.local.stacks import expect_execution
from sfn_resume.splice import splice

from .helpers import TRANSLATE, delivered, deploy_instance, entered_states, pause_machine_input, paths

JOB_FAILED_CATCH = {"ErrorEquals": ["SfnResume.JobFailed"], "Next": "HandleJobFailure"}


def _jsonata_workflow(instance, name: str) -> str:
    """A workflow in JSONata throughout: start job → the PauseStateJsonata output → continue; failures caught."""
    pause = dict(json.loads(instance.deployment.outputs["PauseStateJsonata"]), Next="Continue",
                 Catch=[{**JOB_FAILED_CATCH, "Output": "{% {'failure': $states.errorOutput} %}"}])
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "StartJob",
        "States": {
            "StartJob": {"Type": "Pass", "Next": "WaitForJob", "Output": "{% $merge([$states.input, "
                         "{'startTextTranslationJob': {'JobId': $states.input.jobId}}]) %}"},
            "WaitForJob": pause,
            "Continue": {"Type": "Pass", "End": True},
            "HandleJobFailure": {"Type": "Pass", "End": True},
        },
    }
    return instance.aws.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=instance.deployment.workflow_role_arn)["stateMachineArn"]


@pytest.mark.timeout(90)
def test_a_jsonata_workflow_pauses_and_resumes(emulator):
    instance = deploy_instance(emulator)
    workflow = _jsonata_workflow(instance, f"jsonata-{instance.source[4:]}")
    # happy path: paused first, then the event
    run, item = instance.paused("happy", workflow)
    assert item["executionId"]["S"] == run
    event = instance.event("happy")
    [event_id] = instance.put(event)
    done = instance.deployment.ended(run)
    output = json.loads(done["output"])
    delivered(event, event_id, output["translation"]["event"])  # at ResultPath, as in JSONPath
    assert output["jobId"] == "happy" and output["startTextTranslationJob"] == {"JobId": "happy"}  # input kept
    # an event that came first
    early = instance.event("early")
    [early_id] = instance.put(early)
    instance.deployment.wait_for_resume_executions(2)
    done = instance.deployment.ended(instance.start("early", workflow))
    delivered(early, early_id, json.loads(done["output"])["translation"]["event"])
    # a failure event, caught by the workflow
    failing, _ = instance.paused("failing", workflow)
    instance.put(instance.event("failing", "FAILED", reason="disk full"))
    failure = json.loads(instance.deployment.ended(failing)["output"])["failure"]
    assert failure["Error"] == "SfnResume.JobFailed"
    assert json.loads(failure["Cause"]) == {"jobId": "failing", "jobStatus": "FAILED", "reason": "disk full"}
    assert entered_states(emulator, failing) == ["StartJob", "WaitForJob", "HandleJobFailure"]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("language", ["JSONPath", "JSONata"])
def test_a_spliced_workflow_finds_its_pause_machine_and_resumes(emulator, language):
    instance = deploy_instance(emulator)
    config = dataclasses.replace(TRANSLATE, nameSuffix=instance.deployment.table_name.removeprefix("SfnResume-"))
    start = ({"Type": "Pass", "Output": "{% {'startTextTranslationJob': {'JobId': $states.input.jobId}} %}"}
             if language == "JSONata" else
             {"Type": "Pass", "Parameters": {"JobId.$": "$.jobId"}, "ResultPath": "$.startTextTranslationJob"})
    workflow = {"StartAt": "StartTranslation", "QueryLanguage": language,
                "States": {"StartTranslation": {**start, "End": True}}}
    spliced = splice(workflow, config, "StartTranslation")  # the pause derives its machine's ARN at run time
    pasted = json.dumps(spliced["States"]["WaitForStartTranslation"])
    assert "123456789012" not in pasted and "us-east-1" not in pasted
    arn = emulator.client("stepfunctions").create_state_machine(
        name=f"spliced-{language}-{instance.source[4:]}", definition=json.dumps(spliced),
        roleArn=instance.deployment.workflow_role_arn)["stateMachineArn"]
    run, _ = instance.paused("spliced", arn)
    event = instance.event("spliced")
    [event_id] = instance.put(event)
    done = instance.deployment.ended(run)
    delivered(event, event_id, json.loads(done["output"])["translation"]["event"])


@pytest.mark.timeout(90)
def test_a_repeated_pause_machine_run_is_harmless(emulator):
    instance = deploy_instance(emulator)
    sfn = emulator.client("stepfunctions")
    pause_machine = instance.deployment.pause_state_machine
    run, item = instance.paused("twice")
    first_input = pause_machine_input(emulator, run)

    def repeat() -> list[str]:
        """Run the pause machine again with the first run's input, as an at-least-once delivery would."""
        again = sfn.start_execution(stateMachineArn=pause_machine, input=first_input)["executionArn"]
        done = instance.deployment.wait(again)
        assert done["status"] == "SUCCEEDED", done
        return entered_states(emulator, again)

    # while the pause waits: its own token is written again as it was, no JobIdInUse against itself
    assert repeat() == ["StoreToken"]
    assert instance.deployment.item("twice") == item
    expect_execution(sfn, run, "RUNNING")
    [event_id] = instance.put(instance.event("twice"))
    instance.deployment.ended(run)
    handed_over = instance.deployment.item("twice")
    # after the hand-over: the item still holds this pause's token, so the repeat finds its own claim and stops
    # (0.4: it claims its own hand-over again, and answers its closed token, which refuses; each claim lengthens the
    # item's TTL by the pause's timeout, nothing else changes)
    repeated = repeat()
    assert repeated == ["StoreToken", "ClaimEvent", "EventOutcome", "SendEvent", "PauseAlreadyClosed"], repeated
    after = instance.deployment.item("twice")
    assert int(after.pop("expiresAt")["N"]) >= int(handed_over["expiresAt"]["N"])
    assert after == {k: v for k, v in handed_over.items() if k != "expiresAt"}
    assert (handed_over["token"], handed_over["eventId"]["S"]) == (item["token"], event_id)


@pytest.mark.timeout(90)
def test_an_error_the_pause_machine_cannot_handle_fails_the_pause_at_once(emulator):
    instance = deploy_instance(emulator)
    # the table is gone (deleted by hand, say): StoreToken fails with ResourceNotFoundException, not retried
    emulator.client("dynamodb").delete_table(TableName=instance.deployment.table_name)
    done = instance.deployment.ended(instance.start("orphan", instance.workflow_without_catch(
        f"nocatch-{instance.source[4:]}")), "FAILED", "SfnResume.PauseFailed")
    assert done["cause"].startswith("DynamoDb.ResourceNotFoundException: ")
    # the write may have gone through: ReleaseToken takes it back (here it fails too), then FailThePause
    assert paths(instance, "Pause") == [["StoreToken", "ReleaseToken", "FailThePause"]]
