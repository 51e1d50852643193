"""LocalStack's defects that docs/LOCALSTACK.md tells LocalStack users about, or that the templates avoid, shown on
LocalStack itself with the smallest resources that trip them, so that a LocalStack release that fixes one makes its
test fail and the guide (or the template) is corrected (docs/LOCALSTACK.md says which AWS page each contradicts)."""
from __future__ import annotations

import json
import time

import pytest

from sfn_resume.local.stacks import StackDeployError, deploy_stack

from .helpers import uid

pytestmark = [pytest.mark.localstack, pytest.mark.timeout(120)]

PASS = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": "${Value}", "End": True}}})


def _queue(localstack, name: str) -> tuple[str, str]:
    sqs = localstack.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _messages(localstack, url: str) -> list[dict]:
    return localstack.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                    WaitTimeSeconds=3).get("Messages", [])


def test_an_all_digit_fn_sub_reaches_definition_substitutions_as_a_number(localstack_emulator):
    template = {"Parameters": {"Seconds": {"Type": "Number", "Default": 86400}},
                "Resources": {"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
                    "DefinitionString": PASS, "RoleArn": "arn:aws:iam::000000000000:role/r",
                    "DefinitionSubstitutions": {"Value": {"Fn::Sub": "${Seconds}"}}}}}}
    with pytest.raises(StackDeployError, match=r"replace\(\) argument 2 must be str, not int"):
        deploy_stack(localstack_emulator.client("cloudformation"), f"sub-{uid()}", template)
    # Fn::Join is not reduced: what the templates use
    template["Resources"]["Machine"]["Properties"]["DefinitionSubstitutions"]["Value"] = {
        "Fn::Join": ["", [{"Ref": "Seconds"}]]}
    deploy_stack(localstack_emulator.client("cloudformation"), f"join-{uid()}", template)


def test_an_event_whose_strings_hold_a_quote_is_dropped_by_an_input_transformer(localstack_emulator):
    events, name = localstack_emulator.client("events"), f"quotes-{uid()}"
    url, arn = _queue(localstack_emulator, name)
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn, "InputTransformer": {
        "InputPathsMap": {"id": "$.id"}, "InputTemplate": '{"id": <id>, "event": <aws.events.event.json>}'}}])
    for text in ('plain', 'with a "quote"'):
        events.put_events(Entries=[{"Source": name, "DetailType": "t", "Detail": json.dumps({"text": text})}])
    [delivered] = _messages(localstack_emulator, url)  # AWS delivers both
    assert json.loads(delivered["Body"])["event"]["detail"] == {"text": "plain"}


def test_an_event_that_cannot_be_delivered_is_not_dead_lettered(localstack_emulator):
    events, name = localstack_emulator.client("events"), f"lost-{uid()}"
    url, arn = _queue(localstack_emulator, name)
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(Rule=name, Targets=[{"Id": "gone", "DeadLetterConfig": {"Arn": arn},
                                            "Arn": f"arn:aws:states:us-east-1:000000000000:stateMachine:{name}"}])
    events.put_events(Entries=[{"Source": name, "DetailType": "t", "Detail": "{}"}])
    time.sleep(1)
    assert _messages(localstack_emulator, url) == []  # AWS: the event, with RULE_ARN, TARGET_ARN, ERROR_CODE


def _settled(cfn, name: str, **change_set) -> dict:
    """The stack (or, given ChangeSetName, its change set) once no longer in progress."""
    deadline = time.monotonic() + 30
    while True:
        found = (cfn.describe_change_set(StackName=name, **change_set) if change_set
                 else cfn.describe_stacks(StackName=name)["Stacks"][0])
        if not found.get("StackStatus", found.get("Status", "")).endswith(("_IN_PROGRESS", "_PENDING")):
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.1)


def test_an_update_that_adds_a_condition_replaces_a_machine_named_by_an_fn_if(localstack_emulator):
    cfn, name = localstack_emulator.client("cloudformation"), f"conds-{uid()}"
    template = {"Parameters": {"Express": {"Type": "String", "Default": "false"}},
                "Conditions": {"IsExpress": {"Fn::Equals": [{"Ref": "Express"}, "true"]}},
                "Resources": {"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
                    "StateMachineName": {"Fn::If": ["IsExpress", f"{name}-express", name]},
                    "DefinitionString": PASS, "RoleArn": "arn:aws:iam::000000000000:role/r",
                    "DefinitionSubstitutions": {"Value": "first"}}}}}
    deploy_stack(cfn, name, template)
    template["Resources"]["Machine"]["Properties"]["DefinitionSubstitutions"]["Value"] = "second"
    replaced = {}
    for change_set in ("same-conditions", "one-more-condition"):
        if change_set == "one-more-condition":  # used by nothing: AWS evaluates the conditions, the name is the same
            template["Conditions"]["Unused"] = {"Fn::Equals": [{"Ref": "Express"}, "never"]}
        cfn.create_change_set(StackName=name, ChangeSetName=change_set, TemplateBody=json.dumps(template))
        [change] = _settled(cfn, name, ChangeSetName=change_set)["Changes"]
        replaced[change_set] = change["ResourceChange"]["Replacement"]
    assert replaced == {"same-conditions": "False", "one-more-condition": "True"}  # AWS: "False" for both
    cfn.execute_change_set(StackName=name, ChangeSetName="one-more-condition")
    assert _settled(cfn, name)["StackStatus"] == "ROLLBACK_COMPLETE"  # the name is taken: replacing fails
    machines = localstack_emulator.client("stepfunctions").list_state_machines()["stateMachines"]
    assert name not in [machine["name"] for machine in machines]  # and the rollback deleted the machine
