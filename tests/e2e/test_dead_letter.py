"""No event dropped silently: an event whose resume machine cannot be started lands in the dead-letter queue."""

import json

import pytest

from .helpers import deploy_instance


@pytest.mark.timeout(60)
def test_an_event_that_cannot_start_the_resume_machine_lands_in_the_dead_letter_queue(emulator):
    if emulator.mode == "localstack":
        pytest.skip("LocalStack does not dead-letter an event it failed to deliver (docs/LOCALSTACK.md)")
    instance = deploy_instance(emulator)
    sfn, sqs = instance.aws.client("stepfunctions"), instance.aws.client("sqs")
    # the rule's target is gone (deleted by hand, say): StartExecution fails
    sfn.delete_state_machine(stateMachineArn=instance.deployment.outputs["ResumeStateMachineArn"])
    event = instance.event("orphan")
    [event_id] = instance.put(event)

    queue = instance.deployment.outputs["DeadLetterQueueUrl"]
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=2,
                                   MessageAttributeNames=["All"])["Messages"]
    (message,) = messages
    dead = json.loads(message["Body"])
    assert (dead["id"], dead["detail"]) == (event_id, event["detail"])  # the whole event, as EventBridge sends it
    assert message["MessageAttributes"]["RULE_ARN"]["StringValue"].endswith(":rule/SfnResume-" +
                                                                             instance.deployment.outputs["TableName"]
                                                                             .removeprefix("SfnResume-"))
    assert instance.items() == {}  # nothing half-done in the table
