"""IAM is least privilege: each role grants exactly the actions its ASL calls, on the narrowest resources.

Derived from the synthesized ASL itself, so a new task without its permission (or a permission without its task)
fails here. IAM is not enforced by the emulator: this static test is the proof.
"""

import json
import re

import pytest

from sfn_resume import asl, build_template, parse_config

from .helpers import MINIMAL

#: Every `Resource: "*"` the templates carry, with the reason it cannot be narrowed.
WILDCARD_STATEMENTS = {
    "DeliverExecutionLogs": "CloudWatch Logs vended-delivery actions support no resource-level permissions",
    "WriteTraces": "X-Ray PutTraceSegments/PutTelemetryRecords/GetSampling* support no resource-level permissions",
}
TABLE_ARN = {"Fn::GetAtt": ["TokenTable", "Arn"]}
CONDITIONS = {"HasKmsKey", "HasLegacyPauseAccess", "HasLegacyPauseAccessAndKey"}


def statements(template: dict, logical_id: str, true: frozenset = frozenset()) -> dict:
    """A role's or policy's statements by Sid, as deployed when exactly the Conditions in `true` hold (a statement
    may be an `Fn::If` that yields it or `AWS::NoValue`)."""
    props = template["Resources"][logical_id]["Properties"]
    documents = [props["PolicyDocument"]] if "PolicyDocument" in props else [p["PolicyDocument"] for p in props["Policies"]]
    found = {}
    for document in documents:
        for statement in document["Statement"]:
            if "Fn::If" in statement:
                condition, given, absent = statement["Fn::If"]
                assert condition in CONDITIONS and absent == {"Ref": "AWS::NoValue"}
                statement = given if condition in true else None
            if statement:
                found[statement["Sid"]] = statement
    return found


def table_actions(actions: set[str]) -> list[str]:
    return sorted(a for a in actions if a.startswith("dynamodb:"))


#: Each machine, its definition, its role, and what it calls (written out: a new call must show up here).
MACHINES = [
    ("PauseStateMachine", asl.pause_definition, "PauseStateMachineRole",
     {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "states:SendTaskSuccess",
      "states:SendTaskFailure", "states:SendTaskHeartbeat"}),
    ("ResumeStateMachine", asl.resume_definition, "ResumeStateMachineRole",
     {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "states:SendTaskSuccess",
      "states:SendTaskFailure"}),
    ("FailStateMachine", asl.fail_definition, "FailStateMachineRole",
     {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "states:SendTaskFailure"}),
]


@pytest.mark.parametrize("machine, definition, role, calls", MACHINES, ids=[m[0] for m in MACHINES])
def test_each_machine_role_grants_exactly_what_its_machine_calls(generic_template, machine, definition, role, calls):
    called = asl.sdk_actions(definition())
    assert called == calls
    assert generic_template["Resources"][machine]["Properties"]["RoleArn"] == {"Fn::GetAtt": [role, "Arn"]}
    granted = statements(generic_template, role)
    assert sorted(granted) == sorted(["AnswerPausedWorkflows", "StoreAndClaimHandOvers", *WILDCARD_STATEMENTS])
    table = granted["StoreAndClaimHandOvers"]
    assert sorted(table["Action"]) == table_actions(called) and table["Resource"] == [TABLE_ARN]
    answer = granted["AnswerPausedWorkflows"]
    assert sorted(answer["Action"]) == sorted(a for a in called if a.startswith("states:"))
    # Narrowed to the allowed workflows where given, else to this account and region's state machines.
    assert answer["Resource"] == {"Fn::If": [
        "HasAnswerableStateMachineArns", {"Ref": "AnswerableStateMachineArns"},
        [{"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:*"}]]}


def test_pause_policy_grants_only_the_start_of_the_pause_machine(generic_template):
    state = json.loads(_pause_state_text(generic_template))
    assert asl.sdk_actions(state) == {"states:StartExecution"}
    granted = statements(generic_template, "PauseStatePolicy")
    assert granted == {"StartThePauseMachine": {
        "Sid": "StartThePauseMachine", "Effect": "Allow", "Action": ["states:StartExecution"],
        "Resource": [{"Ref": "PauseStateMachine"}]}}  # nothing on the table or its key


def _pause_state_text(template: dict) -> str:
    text = template["Outputs"]["PauseState"]["Value"]["Fn::Sub"][0]
    return re.sub(r'(?<=: )\$\{\w+\}', "0", text)


def test_while_upgrading_from_0_1_the_pause_policy_also_grants_the_table_to_the_old_pause_state(generic_template):
    upgrading = statements(generic_template, "PauseStatePolicy", frozenset({"HasLegacyPauseAccess"}))
    assert sorted(upgrading) == ["StartThePauseMachine", "StoreTokensClaimEarlyEvents01"]
    # what 0.1's pause state (a Parallel storing its token, claiming early events) called on the table
    assert upgrading["StoreTokensClaimEarlyEvents01"]["Action"] == ["dynamodb:PutItem", "dynamodb:UpdateItem"]
    assert upgrading["StoreTokensClaimEarlyEvents01"]["Resource"] == [TABLE_ARN]
    with_key = statements(generic_template, "PauseStatePolicy",
                          frozenset({"HasLegacyPauseAccess", "HasLegacyPauseAccessAndKey"}))
    assert with_key["UseTheTableKeyThroughDynamoDB"] == {**KEY_STATEMENT, "Resource": [{"Ref": "KmsKeyArn"}]}


def test_events_role_may_only_start_the_machines_the_rules_target(generic_template):
    granted = statements(generic_template, "EventsRole")
    assert list(granted) == ["StartResume"] and granted["StartResume"]["Action"] == ["states:StartExecution"]
    # never the pause machine: a failure event goes to the fail machine
    assert granted["StartResume"]["Resource"] == [{"Ref": "ResumeStateMachine"}, {"Fn::If": [
        "HasFailureEventPattern", {"Ref": "FailStateMachine"}, {"Ref": "AWS::NoValue"}]}]


def test_dead_letter_queue_accepts_only_this_instances_rules(generic_template):
    (statement,) = generic_template["Resources"]["DeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": ["events.amazonaws.com"]} and statement["Action"] == ["sqs:SendMessage"]
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"][0] == {"Fn::GetAtt": ["ResumeRule", "Arn"]}


def test_roles_trust_only_their_service_for_this_account(generic_template):
    for role, service in [("ResumeStateMachineRole", "states.amazonaws.com"), ("PauseStateMachineRole", "states.amazonaws.com"),
                          ("FailStateMachineRole", "states.amazonaws.com"), ("EventsRole", "events.amazonaws.com")]:
        (trust,) = generic_template["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": [service]}
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
        assert "RoleName" not in generic_template["Resources"][role]["Properties"]


def test_every_wildcard_resource_is_listed_with_its_reason(generic_template):
    wildcards = {}
    for logical_id, resource in generic_template["Resources"].items():
        if resource["Type"].startswith("AWS::IAM::"):
            for sid, statement in statements(generic_template, logical_id, frozenset(CONDITIONS)).items():
                if "*" in statement["Resource"]:
                    wildcards[sid] = WILDCARD_STATEMENTS.get(sid)
    assert wildcards == WILDCARD_STATEMENTS


@pytest.mark.parametrize("document", ["ResumeStateMachineRole", "PauseStateMachineRole", "FailStateMachineRole",
                                      "EventsRole", "PauseStatePolicy"])
def test_actions_are_listed_one_by_one(generic_template, document):
    for statement in statements(generic_template, document, frozenset(CONDITIONS)).values():
        assert all(re.fullmatch(r"[a-z0-9]+:[A-Za-z]+", action) for action in statement["Action"])


KEY_STATEMENT = {
    "Sid": "UseTheTableKeyThroughDynamoDB", "Effect": "Allow",
    "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
    "Condition": {"StringEquals": {"kms:ViaService": {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"}}},
}


@pytest.mark.parametrize("role", ["ResumeStateMachineRole", "PauseStateMachineRole", "FailStateMachineRole"])
def test_a_customer_managed_key_adds_its_use_through_dynamodb_only(generic_template, role):
    without = statements(generic_template, role)
    with_key = statements(generic_template, role, frozenset({"HasKmsKey"}))
    assert with_key == {**without, "UseTheTableKeyThroughDynamoDB": {**KEY_STATEMENT, "Resource": [{"Ref": "KmsKeyArn"}]}}


def test_a_config_with_a_key_builds_the_key_statement_in():
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    template = json.loads(build_template(parse_config({**MINIMAL, "kmsKeyArn": key})).to_json())
    role = statements(template, "TranslationTranslateResumeResumeStateMachineRole")
    assert role["UseTheTableKeyThroughDynamoDB"] == {**KEY_STATEMENT, "Resource": [key]}
    policy = statements(template, "TranslationTranslateResumePauseStatePolicy")
    assert list(policy) == ["StartThePauseMachine"]  # the workflow's role never touches the table or its key
    legacy = json.loads(build_template(parse_config({**MINIMAL, "kmsKeyArn": key, "legacyPauseAccess": True})).to_json())
    assert list(statements(legacy, "TranslationTranslateResumePauseStatePolicy")) == [
        "StartThePauseMachine", "StoreTokensClaimEarlyEvents01", "UseTheTableKeyThroughDynamoDB"]
