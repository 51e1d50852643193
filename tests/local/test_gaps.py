"""Each bridge's gap, shown in pinned moto without the bridge, and closed with it.

When a moto upgrade fixes a gap, the "without" half of its test fails: remove that bridge then.
docs/EMULATOR.md numbers the gaps and says, for each, what AWS does and the source.
"""
from __future__ import annotations

import contextlib
import json
import threading
import time

import boto3
import botocore.exceptions
import botocore.parsers
import pytest
from conftest import ROLE_ARN, callback_task, create_machine

from sfn_resume.local import PINNED_MOTO_VERSION, MotoVersionError, install_bridges, patching, registered_bridges, without
from sfn_resume.local.stacks import (
    StackDeployError,
    deploy_stack,
    wait_for_execution,
    wait_for_executions,
    wait_for_state,
)

pytestmark = pytest.mark.timeout(60)

# every registered bridge -> the test below that shows its gap (checked by test_every_bridge_has_a_gap_test)
GAP_TESTS = {
    "cfn-state-machine": "test_gap_1_cfn_state_machine",
    "task-parameters": "test_gap_2_task_parameters",
    "execution-names": "test_gap_8_execution_names",
    "send-task-failure-cause": "test_gap_8_send_task_failure_cause",
    "events-to-stepfunctions": "test_gap_3_events_to_stepfunctions",
    "cfn-change-set-outputs": "test_gap_4_change_set_outputs",
    "cfn-event-pattern-string": "test_gap_5_event_pattern_string",
    "cfn-sub-list-form": "test_gap_6_fn_sub_list_form",
    "jsonata": "test_gap_7_jsonata",
    "jsonata-string": "test_gap_28_jsonata_string",
    "jsonata-surrogate-pairs": "test_gap_29_jsonata_surrogate_pairs",
    "parser-scope-per-instance": "test_gap_11_parser_scope_shared",
    "send-task-during-start": "test_gap_12_send_task_during_start",
    "cfn-nested-stack-outputs": "test_gap_17_nested_stack_outputs",
    "dynamodb-atomic-writes": "test_gap_18_dynamodb_conditional_writes_are_atomic",
    "cfn-previous-parameter-values": "test_gap_19_previous_parameter_values",
    "cfn-yaml-short-forms": "test_gap_20_yaml_short_forms",
    "cfn-novalue-in-lists": "test_gap_21_novalue_in_lists",
    "cfn-update-without-handler": "test_gap_22_update_without_handler",
    "cfn-update-conditional-resources": "test_gap_23_update_conditional_resources",
    "cfn-cloudwatch-alarm": "test_gap_24_cloudwatch_alarm",
    "cloudwatch-alarm-state-filter": "test_gap_25_describe_alarms_state_filter",
    "payload-size-in-utf8": "test_gap_26_payload_size_in_utf8",
    "express-restarts": "test_gap_27_express_restarts",
    "cfn-tags": "test_gap_30_cfn_tags",
    "cfn-update-dependents": "test_gap_31_update_dependents",
    "parse-once-per-definition": "test_gap_32_parse_once_per_definition",
    "task-clients-reused": "test_gap_33_task_clients_reused",
    "jsonata-string-checked-once": "test_gap_34_jsonata_string_checked_once",
    "cfn-failed-operations-roll-back": "test_gap_35_failed_create_rolls_back",
    "cfn-custom-name-ownership": "test_gap_36_custom_name_another_stack_holds",
    "cfn-replacement": "test_gap_37_replacement_of_a_custom_named_resource",
    "cfn-resource-events": "test_gap_38_resource_events",
    "events-test-event-pattern": "test_gap_39_test_event_pattern",
    "cfn-update-every-change": "test_gap_40_update_every_change",
    "cfn-templates-parsed-by-libyaml": "test_gap_41_templates_parsed_by_libyaml",
    "cfn-state-machine-arn": "test_gap_42_state_machine_arn_attribute",
    "events-put-targets-validation": "test_gap_43_put_targets_validation",
    "task-result-casing": "test_gap_44_task_result_casing",
    "task-http-metadata": "test_gap_45_task_http_metadata",
    "task-error-causes": "test_gap_46_task_error_causes",
    "dynamodb-unrequested-metrics": "test_gap_47_dynamodb_unrequested_metrics",
    "dynamodb-request-validation": "test_gap_47_dynamodb_request_validation",
    "dynamodb-condition-failure-message": "test_gap_47_dynamodb_condition_failure_message",
    "execution-description": "test_gap_48_execution_description",
    "execution-listing": "test_gap_48_execution_listing_stop_and_history",
    "execution-stop": "test_gap_48_execution_listing_stop_and_history",
    "execution-history-order": "test_gap_48_execution_listing_stop_and_history",
    "definition-errors": "test_gap_49_definition_errors",
    "arn-prefix": "test_gap_50_arn_prefix",
    "parser-error-codes": "test_gap_50_parser_error_codes",
    "service-faults": "test_gap_51_service_faults",
    "optimized-integration-error-names": "test_gap_52_optimized_integration_error_names",
    "data-limit-not-caught-by-all": "test_gap_53_data_limit_not_caught_by_all",
    "send-task-success-output-limit": "test_gap_54_send_task_success_output_limit",
    "response-keys-found-once": "test_gap_55_response_keys_found_once",
    "server-routes-found-once": "test_gap_56_server_routes_found_once",
    "server-task-calls-in-process": "test_gap_57_server_task_calls_in_process",
    "program-text-only-on-error": "test_gap_58_program_text_only_on_error",
}


def test_every_bridge_has_a_gap_test():
    assert set(GAP_TESTS) == set(registered_bridges())
    assert all(name in globals() for name in GAP_TESTS.values())


def test_every_bridge_is_documented():
    """docs/EMULATOR.md names each gap by its number, with the bridge and the gap test."""
    from pathlib import Path

    documented = (Path(__file__).resolve().parents[2] / "docs" / "EMULATOR.md").read_text()
    for name, found in registered_bridges().items():
        number = found.gap.split(":")[0]
        assert f"**{number}. " in documented, number
        assert f"`{name}`" in documented and f"`{GAP_TESTS[name]}`" in documented, name


def test_bridges_refuse_another_moto_version(monkeypatch):
    monkeypatch.setattr(patching, "version", lambda package: "5.2.6")
    with pytest.raises(MotoVersionError, match=PINNED_MOTO_VERSION):
        install_bridges()


def test_bridges_on_one_function_are_removed_one_at_a_time(aws, cfn):
    """cfn-sub-list-form and cfn-novalue-in-lists both wrap moto's `clean_json`: without one, the other still acts."""
    with without(["cfn-sub-list-form"]):
        assert json.loads(deploy_stack(cfn, "no-sub", _SUB_TEMPLATE)["Text"])["token.$"] == "$.Task.Token"
        deploy_stack(cfn, "no-sub-novalue", _NOVALUE_TEMPLATE)  # NoValue still dropped from the list
    with without(["cfn-novalue-in-lists"]):
        with pytest.raises(StackDeployError, match="Policy CREATE_FAILED: .*Syntax errors in policy"):
            deploy_stack(cfn, "no-novalue", _NOVALUE_TEMPLATE)
        assert json.loads(deploy_stack(cfn, "no-novalue-sub", _SUB_TEMPLATE)["Text"])["token.$"] == "$$.Task.Token"


def test_a_second_replacement_of_one_target_is_refused():
    from moto.cloudformation import parsing

    first, second = patching.Patches(), patching.Patches()
    first.set(parsing, "parse_condition", lambda *args: True)
    try:
        with pytest.raises(patching.PatchConflict, match="parse_condition"):
            second.set(parsing, "parse_condition", lambda *args: False)
        with pytest.raises(patching.PatchConflict, match="parse_condition"):
            second.wrap(parsing, "parse_condition", lambda inner, *args: inner(*args))
    finally:
        first.undo()
    second.set(parsing, "parse_condition", lambda *args: False)  # free again once undone
    second.undo()


def _machine_template(definition: dict) -> dict:
    return {
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "BillingMode": "PAY_PER_REQUEST",
                },
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": ROLE_ARN,
                    "Definition": definition,
                    "DefinitionSubstitutions": {"TableName": {"Ref": "Table"}},
                },
            },
        },
        "Outputs": {"MachineArn": {"Value": {"Ref": "Machine"}}},
    }


_PASS_TABLE = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"table": "${TableName}"}, "End": True}}}


def test_gap_1_cfn_state_machine(aws, cfn, sfn):
    from moto.stepfunctions.models import stepfunctions_backends

    with without(["cfn-state-machine"]):
        deploy_stack(cfn, "plain", _machine_template(_PASS_TABLE))
        assert sfn.list_state_machines()["stateMachines"] == []  # invisible to the executing backend
        [plain] = stepfunctions_backends["123456789012"]["us-east-1"].state_machines
        assert plain.definition == ""  # Definition + DefinitionSubstitutions deployed empty

    outputs = deploy_stack(cfn, "bridged", _machine_template(_PASS_TABLE))
    run = sfn.start_execution(stateMachineArn=outputs["MachineArn"], name="r", input="{}")
    done = wait_for_execution(sfn, run["executionArn"])
    assert json.loads(done["output"])["table"].startswith("bridged-Table-")


def _send_task_success_machine(sfn, name: str) -> str:
    return create_machine(sfn, name, {
        "Send": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
            "Parameters": {"TaskToken": "not-a-token", "Output": "{}"},
            "End": True,
        },
    }, "Send")


def _start_child_machine(sfn, name: str) -> tuple[str, str]:
    """A machine whose task starts another (the pause state's optimized integration) and waits for its token;
    returns both ARNs."""
    child = create_machine(sfn, f"{name}-child", {"P": {"Type": "Pass", "End": True}}, "P")
    return child, create_machine(sfn, name, {
        "Start": {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
            "Parameters": {"StateMachineArn": child, "Input": {"token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 5,
            "End": True,
        },
    }, "Start")


def test_gap_2_task_parameters(aws, sfn):
    with without(["task-parameters"]):
        arn = _send_task_success_machine(sfn, "plain")
        done = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, name="r")["executionArn"])
        assert done["error"] == "States.Runtime" and "TaskToken" in done["cause"]
        _, arn = _start_child_machine(sfn, "plain-start")
        done = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, name="r")["executionArn"])
        assert done["error"] == "States.Runtime" and "StateMachineArn" in done["cause"]

    arn = _send_task_success_machine(sfn, "bridged")
    done = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, name="r")["executionArn"])
    assert done["error"] == "Sfn.InvalidTokenException"  # the call reached Step Functions, as on AWS
    child, arn = _start_child_machine(sfn, "bridged-start")
    sfn.start_execution(stateMachineArn=arn, name="r")
    [started] = wait_for_executions(sfn, child)  # the parameters reached StartExecution
    assert json.loads(started["input"])["token"]


def test_gap_8_execution_names(aws, sfn):
    arn = create_machine(sfn, "named", {"P": {"Type": "Pass", "End": True}}, "P")
    with without(["execution-names"]):
        assert sfn.start_execution(stateMachineArn=arn)["executionArn"].endswith(":None")

    first, second = (sfn.start_execution(stateMachineArn=arn)["executionArn"] for _ in range(2))
    assert first != second and not first.endswith(":None")


def _paused_run(aws, sfn, table: str, name: str, job_id: str) -> tuple[str, str]:
    arn = create_machine(sfn, name, {"Pause": callback_task(table, timeout_seconds=30)}, "Pause")
    run = sfn.start_execution(stateMachineArn=arn, name="r", input=json.dumps({"jobId": job_id}))["executionArn"]
    wait_for_state(sfn, run, "Pause")
    deadline = time.monotonic() + 5
    while "Item" not in (item := aws.client("dynamodb").get_item(TableName=table, Key={"id": {"S": job_id}})):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return run, item["Item"]["token"]["S"]


def test_gap_8_send_task_failure_cause(aws, sfn, token_table):
    with without(["send-task-failure-cause"]):
        run, token = _paused_run(aws, sfn, token_table, "plain", "job-a")
        sfn.send_task_failure(taskToken=token, error="SfnResume.JobFailed", cause="the cause")
        done = wait_for_execution(sfn, run)
        assert done["error"] == "SfnResume.JobFailed" and done.get("cause") != "the cause"

    run, token = _paused_run(aws, sfn, token_table, "bridged", "job-b")
    sfn.send_task_failure(taskToken=token, error="SfnResume.JobFailed", cause="the cause")
    done = wait_for_execution(sfn, run)
    assert (done["error"], done["cause"]) == ("SfnResume.JobFailed", "the cause")


def _rule_to_machine(aws, sfn, name: str, **target) -> str:
    events = aws.client("events")
    arn = create_machine(sfn, name, {"P": {"Type": "Pass", "End": True}}, "P")
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["test.jobs"], "detail": {"status": ["DONE"]}}))
    events.put_targets(Rule=name, Targets=[dict({"Id": "t", "Arn": arn, "RoleArn": ROLE_ARN}, **target)])
    return arn


def _put(aws, detail: dict) -> None:
    aws.client("events").put_events(
        Entries=[{"Source": "test.jobs", "DetailType": "Job State Change", "Detail": json.dumps(detail)}]
    )


def test_gap_3_events_to_stepfunctions(aws, sfn):
    transformer = {
        "InputTransformer": {
            "InputPathsMap": {"jobId": "$.detail.jobId", "n": "$.detail.n", "nope": "$.detail.missing"},
            "InputTemplate": '{"jobId": <jobId>, "quoted": "id=<jobId> n=<n>", "n": <n>, "nope": <nope>, '
                             '"event": <aws.events.event.json>}',
        }
    }
    with without(["events-to-stepfunctions"]):
        _rule_to_machine(aws, sfn, "plain")
        with pytest.raises(NotImplementedError):
            _put(aws, {"jobId": "j-1", "status": "DONE"})
        aws.client("events").remove_targets(Rule="plain", Ids=["t"])
    # and moto's own transformer inserts a bare <var> string unquoted, which is not JSON
    from moto.events.utils import EventTemplateParser

    with pytest.raises(json.JSONDecodeError):
        EventTemplateParser.parse('{"jobId": <jobId>}', {"jobId": "$.detail.jobId"},
                                  {"detail": {"jobId": "j-1"}, "ingestion-time": 0})

    arn = _rule_to_machine(aws, sfn, "bridged", **transformer)
    _put(aws, {"jobId": "j\"1", "n": 3, "status": "DONE"})
    _put(aws, {"jobId": "other", "status": "RUNNING"})  # no match: no execution
    [run] = sfn.list_executions(stateMachineArn=arn)["executions"]
    given = json.loads(sfn.describe_execution(executionArn=run["executionArn"])["input"])
    assert given["jobId"] == 'j"1'
    assert given["quoted"] == 'id=j"1 n=3'
    assert (given["n"], given["nope"]) == (3, "")  # a missing path: "" (recorded)
    assert given["event"]["detail"] == {"jobId": 'j"1', "n": 3, "status": "DONE"}
    assert given["event"]["source"] == "test.jobs" and given["event"]["time"].endswith("Z")
    assert "ingestion-time" not in given["event"]


def test_gap_3_failed_start_goes_to_dead_letter_queue(aws, sfn):
    """As EventBridge writes it (eb-rule-dlq page): the event before its InputTransformer, and the attributes that
    say which rule and target failed and why. A missing target is not retried."""
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    transformer = {"InputPathsMap": {"jobId": "$.detail.jobId"}, "InputTemplate": '{"jobId": <jobId>}'}
    arn = _rule_to_machine(aws, sfn, "broken", DeadLetterConfig={"Arn": queue_arn}, InputTransformer=transformer)
    sfn.delete_state_machine(stateMachineArn=arn)
    _put(aws, {"jobId": "j-9", "status": "DONE"})
    [message] = sqs.receive_message(QueueUrl=queue_url, MessageAttributeNames=["All"])["Messages"]
    body = json.loads(message["Body"])
    assert (body["source"], body["detail"]) == ("test.jobs", {"jobId": "j-9", "status": "DONE"})
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes.pop("ERROR_MESSAGE")
    assert attributes == {"RULE_ARN": "arn:aws:events:us-east-1:123456789012:rule/broken", "TARGET_ARN": arn,
                          "ERROR_CODE": "NO_RESOURCE", "RETRY_ATTEMPTS": "0"}


def test_gap_3_dead_letter_attributes_of_a_retried_failure():
    from sfn_resume.local.bridges_events import dead_letter_attributes

    throttled = type("ThrottlingException", (Exception,), {})("Rate exceeded")
    target = {"Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:m", "RetryPolicy": {"MaximumRetryAttempts": 3}}
    attributes = dead_letter_attributes(target, "arn:aws:events:us-east-1:123456789012:rule/r", throttled)
    assert (attributes["ERROR_CODE"], attributes["ERROR_MESSAGE"]) == ("THROTTLING", "Rate exceeded")
    assert (attributes["EXHAUSTED_RETRY_CONDITION"], attributes["RETRY_ATTEMPTS"]) == ("MaximumRetryAttempts", "3")


_OUTPUT_TEMPLATE = {
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {"QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}, "Export": {"Name": "the-queue"}}},
}


def _deploy_by_change_set(cfn, name: str) -> dict:
    cfn.create_change_set(StackName=name, ChangeSetName="c1", TemplateBody=json.dumps(_OUTPUT_TEMPLATE),
                          ChangeSetType="CREATE")
    cfn.execute_change_set(ChangeSetName="c1", StackName=name)
    return cfn.describe_stacks(StackName=name)["Stacks"][0]


def test_gap_4_change_set_outputs(aws, cfn):
    with without(["cfn-change-set-outputs"]):
        assert "Outputs" not in _deploy_by_change_set(cfn, "plain")
        assert cfn.list_exports()["Exports"] == []
        cfn.delete_stack(StackName="plain")

    stack = _deploy_by_change_set(cfn, "bridged")
    assert stack["Outputs"][0]["OutputKey"] == "QueueArn"
    assert stack["Outputs"][0]["ExportName"] == "the-queue"
    assert [e["Name"] for e in cfn.list_exports()["Exports"]] == ["the-queue"]


_PATTERN_TEMPLATE = {
    "Parameters": {"EventPattern": {"Type": "String"}},
    "Resources": {"Rule": {"Type": "AWS::Events::Rule", "Properties": {"EventPattern": {"Ref": "EventPattern"}}}},
}


def test_gap_5_event_pattern_string(aws, cfn):
    pattern = {"source": ["test.jobs"]}
    with without(["cfn-event-pattern-string"]):
        with pytest.raises(Exception) as crash:  # noqa: B017 (any crash shows the gap)
            deploy_stack(cfn, "plain", _PATTERN_TEMPLATE, {"EventPattern": json.dumps(pattern)})

        print("gap 5 without the bridge:", repr(crash.value))

    deploy_stack(cfn, "bridged", _PATTERN_TEMPLATE, {"EventPattern": json.dumps(pattern)})
    [rule] = aws.client("events").list_rules()["Rules"]
    assert json.loads(rule["EventPattern"]) == pattern


_SUB_TEXT = '{"token.$": "$$.Task.Token", "first.$": "$[0]", "x": "{% $states.input %}", "t": "${Table}", ' \
            '"r": "${AWS::Region}", "lit": "${!Literal}"}'
_SUB_TEMPLATE = {
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {"Text": {"Value": {"Fn::Sub": [_SUB_TEXT, {"Table": "tokens"}]}}},
}


def test_gap_6_fn_sub_list_form(aws, cfn):
    with without(["cfn-sub-list-form"]):
        text = deploy_stack(cfn, "plain", _SUB_TEMPLATE)["Text"]
        assert json.loads(text)["token.$"] == "$.Task.Token"  # `$$` eaten by string.Template

    assert json.loads(deploy_stack(cfn, "bridged", _SUB_TEMPLATE)["Text"]) == {
        "token.$": "$$.Task.Token", "first.$": "$[0]", "x": "{% $states.input %}", "t": "tokens",
        "r": "us-east-1", "lit": "${Literal}",
    }


def _jsonata_machine(sfn, name: str) -> str:
    return create_machine(sfn, name, {
        "P": {
            "Type": "Pass",
            "Output": "{% {'parsed': $parse($states.input.text), 'ms': $toMillis('2024-01-01T00:00:01Z'), "
                      "'id': $string($floor(7.9)), 'n': $length('abc'), 'sub': $substring('abcdef', 1, 3), "
                      "'merged': $merge([{'a': 1}, {'b': 2}]), 'chunks': $partition([1, 2, 3], 2), "
                      "'uuid': $length($uuid()), 'hash': $hash('abc', 'SHA-256')} %}",
            "End": True,
        },
    }, "P", QueryLanguage="JSONata")


def test_gap_7_jsonata(aws, sfn):
    payload = json.dumps({"text": json.dumps({"a": [1, "x\"y"], "b": None})})
    with without(["jsonata"]):
        arn = _jsonata_machine(sfn, "plain")
        done = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, name="r", input=payload)["executionArn"])
        assert done["status"] == "FAILED" and "NoneType" in done["cause"]

    arn = _jsonata_machine(sfn, "bridged")
    done = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, name="r", input=payload)["executionArn"])
    assert json.loads(done["output"]) == {
        "parsed": {"a": [1, "x\"y"], "b": None}, "ms": 1704067201000, "id": "7", "n": 3, "sub": "bcd",
        "merged": {"a": 1, "b": 2}, "chunks": [[1, 2], [3]], "uuid": 36,
        "hash": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    }


def _run_jsonata_output(sfn, name: str, output: str, given: dict) -> dict:
    """The output of a JSONata Pass state that outputs `output`, run on `given`."""
    arn = create_machine(sfn, name, {"P": {"Type": "Pass", "Output": output, "End": True}}, "P",
                         QueryLanguage="JSONata")
    done = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, name="r",
                                                       input=json.dumps(given))["executionArn"])
    assert done["status"] == "SUCCEEDED", done
    return json.loads(done["output"])


def test_gap_28_jsonata_string(aws, sfn):
    output = ("{% {'event': $string($states.input.event), 'id': $string($states.input.id), "
              "'sum': $string({'r': $states.input.a + $states.input.b}), 'joined': 'id ' & $states.input.id} %}")
    given = {"event": {"text": "ジョブ"}, "id": 1234567890123456, "a": 0.1, "b": 0.2}
    with without(["jsonata-string"]):
        assert _run_jsonata_output(sfn, "plain", output, given) == {
            "event": '{"text":"\\u30b8\\u30e7\\u30d6"}', "id": "1.23456789012346e+15",
            "sum": '{"r":0.30000000000000004}', "joined": "id 1.23456789012346e+15"}
    # what JSONata's reference implementation (npm jsonata) gives: tests/local/test_jsonata_reference.py
    assert _run_jsonata_output(sfn, "bridged", output, given) == {
        "event": '{"text":"ジョブ"}', "id": "1234567890123456", "sum": '{"r":0.3}', "joined": "id 1234567890123456"}


def test_gap_29_jsonata_surrogate_pairs(aws, sfn):
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    output = "{% {'length': $length($states.input.text), 'first': $substring($states.input.text, 0, 1)} %}"
    given = {"text": "😀ジ"}
    with without(["jsonata-surrogate-pairs"]):  # as moto composes it: `$states` written as ASCII JSON text
        composed = moto_jsonata.compose_jsonata_expression(
            output.removeprefix("{% ").removesuffix(" %}"),
            [moto_jsonata.encode_jsonata_variable_declarations({"$states": {"input": given}})])
        # the emoji is two lone surrogates, cut in half here; a state whose output holds them fails (not UTF-8)
        assert moto_jsonata.eval_jsonata_expression(composed) == {"length": 3, "first": "\ud83d"}
    assert _run_jsonata_output(sfn, "bridged", output, given) == {"length": 2, "first": "😀"}


def test_gap_11_parser_scope_shared(aws, sfn):
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    with without(["parser-scope-per-instance"]):
        assert Preprocessor()._query_language_per_scope is Preprocessor()._query_language_per_scope

    assert Preprocessor()._query_language_per_scope is not Preprocessor()._query_language_per_scope
    # with the bridge, concurrent starts of a machine mixing JSONPath and JSONata states all finish
    arn = create_machine(sfn, "mixed", {
        "A": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input %}", "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "End": True},
    }, "A")
    runs = [sfn.start_execution(stateMachineArn=arn, name=f"r{i}", input=json.dumps({"v": i}))["executionArn"]
            for i in range(12)]
    assert [json.loads(wait_for_execution(sfn, r)["output"])["v"] for r in runs] == list(range(12))


def test_gap_12_send_task_during_start(aws, sfn):
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    parsing = threading.Event()
    release = threading.Event()
    original = ExecutionWorker._get_evaluation_entrypoint

    def slow_parse(self):  # hold the execution in the window before its environment exists
        parsing.set()
        release.wait(10)
        return original(self)

    arn = create_machine(sfn, "slow", {"P": {"Type": "Pass", "End": True}}, "P")
    ExecutionWorker._get_evaluation_entrypoint = slow_parse
    try:
        run = sfn.start_execution(stateMachineArn=arn, name="r")["executionArn"]
        assert parsing.wait(5)
        with without(["send-task-during-start"]):
            with pytest.raises(AttributeError):
                sfn.send_task_success(taskToken="some-other-token", output="{}")
        with pytest.raises(botocore.exceptions.ClientError, match="InvalidToken"):
            sfn.send_task_success(taskToken="some-other-token", output="{}")
    finally:
        ExecutionWorker._get_evaluation_entrypoint = original
        release.set()
    wait_for_execution(sfn, run, status="SUCCEEDED")


def _parent_surfacing_a_child_output(aws) -> str:
    child = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
             "Outputs": {"QueueName": {"Value": {"Fn::GetAtt": ["Queue", "QueueName"]}}}}
    aws.client("s3").create_bucket(Bucket="artifacts")
    aws.client("s3").put_object(Bucket="artifacts", Key="child.json", Body=json.dumps(child))
    return json.dumps({
        "Resources": {"Child": {"Type": "AWS::CloudFormation::Stack",
                                "Properties": {"TemplateURL": "https://artifacts.s3.amazonaws.com/child.json"}}},
        "Outputs": {"ChildQueueName": {"Value": {"Fn::GetAtt": ["Child", "Outputs.QueueName"]},
                                       "Export": {"Name": "child-queue-name"}}},
    })


def test_gap_17_nested_stack_outputs(aws, cfn):
    parent = _parent_surfacing_a_child_output(aws)
    with without(["cfn-nested-stack-outputs"]):
        with pytest.raises(AttributeError, match="get_cfn_attribute"):  # HTTP 500 in server mode
            cfn.create_stack(StackName="plain", TemplateBody=parent)

    outputs = deploy_stack(cfn, "bridged", parent)
    assert outputs["ChildQueueName"].startswith("bridged-Child-")


def test_gap_18_dynamodb_conditional_writes_are_atomic(aws, token_table, monkeypatch):
    from moto.dynamodb import models

    dynamodb = aws.client("dynamodb")
    original = models.create_condition_expression_parser

    def claim_concurrently() -> int:
        """Two threads claim one token (ClaimToken's conditional REMOVE) and, once each has checked the condition,
        wait for the other to check it too (or give up after a second: the checks are serialised)."""
        dynamodb.put_item(TableName=token_table, Item={"id": {"S": "job"}, "token": {"S": "t"}})
        both_checked = threading.Barrier(2, timeout=1)

        class Checked:
            def __init__(self, condition):
                self.condition = condition

            def expr(self, item):
                holds = self.condition.expr(item)
                with contextlib.suppress(threading.BrokenBarrierError):
                    both_checked.wait()
                return holds

        class Parser:
            def __init__(self, *args):
                self.parser = original(*args)

            def parse(self):
                return Checked(self.parser.parse())

        monkeypatch.setattr(models, "create_condition_expression_parser", Parser)
        results = []

        def claim():
            try:
                dynamodb.update_item(TableName=token_table, Key={"id": {"S": "job"}}, UpdateExpression="REMOVE #t",
                                     ConditionExpression="attribute_exists(#t)", ExpressionAttributeNames={"#t": "token"})
                results.append("claimed")
            except botocore.exceptions.ClientError:
                results.append("condition failed")

        threads = [threading.Thread(target=claim) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        monkeypatch.setattr(models, "create_condition_expression_parser", original)
        return results.count("claimed")

    with without(["dynamodb-atomic-writes"]):
        assert claim_concurrently() == 2  # both saw the token: the workflow would be answered twice
    assert claim_concurrently() == 1


_PREVIOUS_TEMPLATE = {
    "Parameters": {"Arns": {"Type": "CommaDelimitedList", "Default": ""}, "Seconds": {"Type": "Number"}},
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue",
                            "Properties": {"DelaySeconds": {"Ref": "Seconds"}}}},
}


def _update_with_previous_values(cfn, name: str) -> str:
    """Create, then update with UsePreviousValue for every Parameter (what `aws cloudformation deploy` does)."""
    body = json.dumps(_PREVIOUS_TEMPLATE)
    cfn.create_change_set(StackName=name, ChangeSetName="c1", TemplateBody=body, ChangeSetType="CREATE",
                          Parameters=[{"ParameterKey": "Arns", "ParameterValue": "a,b"},
                                      {"ParameterKey": "Seconds", "ParameterValue": "5"}])
    cfn.execute_change_set(ChangeSetName="c1", StackName=name)
    updated = dict(_PREVIOUS_TEMPLATE, Description="updated")
    cfn.create_change_set(StackName=name, ChangeSetName="c2", TemplateBody=json.dumps(updated), ChangeSetType="UPDATE",
                          Parameters=[{"ParameterKey": key, "UsePreviousValue": True} for key in ("Arns", "Seconds")])
    cfn.execute_change_set(ChangeSetName="c2", StackName=name)
    return cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def test_gap_19_previous_parameter_values(aws, cfn):
    with without(["cfn-previous-parameter-values"]):
        with pytest.raises(AttributeError, match="'list' object has no attribute 'split'"):
            _update_with_previous_values(cfn, "plain")

    assert _update_with_previous_values(cfn, "bridged") == "UPDATE_COMPLETE"


_SHORT_FORMS_YAML = """
Conditions:
  Same: !Equals [a, a]
  Different: !Equals [a, b]
  SameAndNotDifferent: !And [!Condition Same, !Not [!Condition Different]]
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Conditional: {Type: AWS::SQS::Queue, Condition: SameAndNotDifferent}
Outputs:
  QueueArn: {Value: !GetAtt [Queue, Arn]}
"""


def test_gap_20_yaml_short_forms(aws, cfn):
    with without(["cfn-yaml-short-forms"]):
        with pytest.raises(TypeError, match="NoneType"):  # the output names no resource: ScalarNode(...)
            deploy_stack(cfn, "plain", _SHORT_FORMS_YAML)
        deploy_stack(cfn, "conditions", _SHORT_FORMS_YAML.replace("!GetAtt [Queue, Arn]", "!GetAtt Queue.Arn"))
        assert "Conditional" not in _created(cfn, "conditions")  # the condition read as false

    assert deploy_stack(cfn, "bridged", _SHORT_FORMS_YAML)["QueueArn"].startswith("arn:aws:sqs:")
    assert "Conditional" in _created(cfn, "bridged")


def test_gap_41_templates_parsed_by_libyaml(aws, cfn, monkeypatch):
    """The same data from libyaml as from moto's pure-Python parse, for every template the project ships or tests
    an upgrade from; and a stack deployed without a pure-Python parse."""
    from pathlib import Path

    import yaml
    from moto.cloudformation.models import Stack

    root = Path(__file__).resolve().parents[2]
    texts = [path.read_text() for path in sorted([*root.glob("templates/**/*.yaml"), *root.glob("tests/fixtures/*.yaml")])]
    pure = _count_calls(monkeypatch, yaml.Loader, "__init__")
    with without(["cfn-templates-parsed-by-libyaml"]):
        parsed = [Stack.parse_template(text) for text in texts]
        assert len(pure) == len(texts)
        deploy_stack(cfn, "plain", _SHORT_FORMS_YAML)
        assert len(pure) > len(texts)

    pure.clear()
    assert [Stack.parse_template(text) for text in texts] == parsed
    assert deploy_stack(cfn, "bridged", _SHORT_FORMS_YAML)["QueueArn"].startswith("arn:aws:sqs:")
    assert "Conditional" in _created(cfn, "bridged") and pure == []


def _created(cfn, stack: str) -> set[str]:
    return {r["LogicalResourceId"] for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]
            if "LogicalResourceId" in r}


_NOVALUE_TEMPLATE = {
    "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
    "Resources": {"Policy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": ["*"]},
            {"Fn::If": ["Never", {"Effect": "Allow", "Action": ["sqs:DeleteQueue"], "Resource": ["*"]},
                        {"Ref": "AWS::NoValue"}]},
        ]}}}},
}


def test_gap_21_novalue_in_lists(aws, cfn):
    with without(["cfn-novalue-in-lists"]):
        with pytest.raises(StackDeployError, match="Policy CREATE_FAILED: .*Syntax errors in policy"):
            deploy_stack(cfn, "plain", _NOVALUE_TEMPLATE)

    deploy_stack(cfn, "bridged", _NOVALUE_TEMPLATE)
    [policy] = aws.client("iam").list_policies(Scope="Local")["Policies"]
    document = aws.client("iam").get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    assert [s["Action"] for s in document["PolicyVersion"]["Document"]["Statement"]] == [["sqs:SendMessage"]]


def _log_group_template(retention: int) -> dict:
    return {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": retention}}},
            "Outputs": {"LogsArn": {"Value": {"Fn::GetAtt": ["Logs", "Arn"]}}}}


def test_gap_22_update_without_handler(aws, cfn):
    from moto.cloudformation.exceptions import ValidationError

    with without(["cfn-update-without-handler"]):
        deploy_stack(cfn, "plain", _log_group_template(7))
        with pytest.raises(ValidationError, match="references undefined resource Logs"):
            deploy_stack(cfn, "plain", _log_group_template(14))

    created = deploy_stack(cfn, "bridged", _log_group_template(7))
    assert deploy_stack(cfn, "bridged", _log_group_template(14)) == created  # updated in place: the same group


def _conditional_rule_template(description: str) -> dict:
    return {"Parameters": {"Enabled": {"Type": "String", "Default": "no"}},
            "Conditions": {"IsEnabled": {"Fn::Equals": [{"Ref": "Enabled"}, "yes"]}},
            "Resources": {
                "Queue": {"Type": "AWS::SQS::Queue"},
                "Rule": {"Type": "AWS::Events::Rule", "Condition": "IsEnabled",
                         "Properties": {"Description": description, "EventPattern": {"source": ["my.app"]}}}}}


def test_gap_23_update_conditional_resources(aws, cfn):
    with without(["cfn-update-conditional-resources"]):
        deploy_stack(cfn, "plain", _conditional_rule_template("one"))
        with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'delete'"):
            deploy_stack(cfn, "plain", _conditional_rule_template("two"))

    events = aws.client("events")
    deploy_stack(cfn, "bridged", _conditional_rule_template("one"))
    deploy_stack(cfn, "bridged", _conditional_rule_template("two"))  # still off: nothing to do
    assert [r["Name"] for r in events.list_rules()["Rules"] if "bridged" in r["Name"]] == []
    deploy_stack(cfn, "bridged", _conditional_rule_template("three"), {"Enabled": "yes"})
    [rule] = [r for r in events.list_rules()["Rules"] if "bridged" in r["Name"]]
    assert rule["Description"] == "three"


_ALARM_TEMPLATE = {"Resources": {
    "Queue": {"Type": "AWS::SQS::Queue"},
    "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmName": "queue-not-empty", "ComparisonOperator": "GreaterThanOrEqualToThreshold", "Threshold": 1,
        "EvaluationPeriods": 1, "TreatMissingData": "notBreaching", "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:t"],
        "Metrics": [
            {"Id": "m0", "ReturnData": False, "MetricStat": {"Period": 60, "Stat": "Maximum", "Metric": {
                "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["Queue", "QueueName"]}}]}}},
            {"Id": "total", "Expression": "SUM(FILL(METRICS(), 0))", "ReturnData": True}]}}},
    "Outputs": {"AlarmArn": {"Value": {"Fn::GetAtt": ["Alarm", "Arn"]}}, "AlarmName": {"Value": {"Ref": "Alarm"}}}}


def test_gap_24_cloudwatch_alarm(aws, cfn):
    cloudwatch = aws.client("cloudwatch")
    with without(["cfn-cloudwatch-alarm"]):
        with pytest.warns(UserWarning, match="Tried to parse AWS::CloudWatch::Alarm"):
            deploy_stack(cfn, "plain", {"Resources": {"Alarm": _ALARM_TEMPLATE["Resources"]["Alarm"]}})
        assert cloudwatch.describe_alarms()["MetricAlarms"] == []

    outputs = deploy_stack(cfn, "bridged", _ALARM_TEMPLATE)
    [alarm] = cloudwatch.describe_alarms()["MetricAlarms"]
    assert outputs == {"AlarmArn": alarm["AlarmArn"], "AlarmName": "queue-not-empty"}
    assert alarm["TreatMissingData"] == "notBreaching" and alarm["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:t"]
    assert [(m["Id"], m["ReturnData"]) for m in alarm["Metrics"]] == [("m0", False), ("total", True)]
    [dimension] = alarm["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"]
    assert dimension["Name"] == "QueueName" and dimension["Value"].startswith("bridged-Queue-")
    cfn.delete_stack(StackName="bridged")
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []


def test_gap_25_describe_alarms_state_filter(aws):
    cloudwatch = aws.client("cloudwatch")
    for name, state in (("SfnResume-X-RunsFailed", "ALARM"), ("SfnResume-X-EventsUndelivered", "OK")):
        cloudwatch.put_metric_alarm(AlarmName=name, Namespace="AWS/States", MetricName="ExecutionsFailed",
                                    Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=0,
                                    ComparisonOperator="GreaterThanThreshold")
        cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")

    def firing() -> list[str]:
        return sorted(alarm["AlarmName"] for alarm in cloudwatch.describe_alarms(
            AlarmNamePrefix="SfnResume-X-", StateValue="ALARM")["MetricAlarms"])

    with without(["cloudwatch-alarm-state-filter"]):
        assert firing() == ["SfnResume-X-EventsUndelivered", "SfnResume-X-RunsFailed"]
    assert firing() == ["SfnResume-X-RunsFailed"]


def test_gap_26_payload_size_in_utf8(aws, sfn, token_table):
    from sfn_resume.local.bridges_stepfunctions import MAX_PAYLOAD_BYTES

    # 50,000 × ジ: 150,000 bytes of UTF-8 (under the 262,144-byte limit), 300,000 as \uXXXX escapes (over it)
    payload = json.dumps({"jobId": "big", "text": "\u30b8" * 50_000}, ensure_ascii=False)
    arn = create_machine(sfn, "sized", {"Put": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem",
        "Parameters": {"TableName": token_table, "Item": {"id": {"S.$": "$.jobId"}}}, "ResultPath": None,
        "End": True}}, "Put")
    # a state whose output, written compactly, is exactly the limit: {"p":"xx...x"}
    exact = create_machine(sfn, "exact", {"P": {"Type": "Pass", "QueryLanguage": "JSONata", "End": True,
                                                "Output": "{% {'p': $pad('', $states.input.n, 'x')} %}"}}, "P")
    exact_input = json.dumps({"n": MAX_PAYLOAD_BYTES - len('{"p":""}')})

    def run(machine: str, name: str, given: str) -> dict:
        return wait_for_execution(sfn, sfn.start_execution(stateMachineArn=machine, name=name, input=given)["executionArn"])

    with without(["payload-size-in-utf8"]):
        for done in (run(arn, "r1", payload), run(exact, "e1", exact_input)):
            assert (done["status"], done["error"]) == ("FAILED", "States.DataLimitExceeded")

    for done in (run(arn, "r2", payload), run(exact, "e2", exact_input)):
        assert done["status"] == "SUCCEEDED", done


def test_gap_27_express_restarts(aws, sfn, token_table):
    from sfn_resume.local.bridges_restarts import RESTART_AFTER_TAG

    def put(name: str) -> dict:
        return {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:updateItem",
                "Parameters": {"TableName": token_table, "Key": {"id": {"S.$": "$.jobId"}},
                               "UpdateExpression": "ADD #n :one", "ExpressionAttributeNames": {"#n": name},
                               "ExpressionAttributeValues": {":one": {"N": "1"}}},
                "ResultPath": None, "Next" if name == "first" else "End": "Second" if name == "first" else True}

    arn = create_machine(sfn, "counted", {"First": put("first"), "Second": put("second")}, "First")
    def run(job: str) -> dict:
        sfn.tag_resource(resourceArn=arn, tags=[{"key": RESTART_AFTER_TAG, "value": "First"}])
        started = sfn.start_execution(stateMachineArn=arn, name=job, input=json.dumps({"jobId": job}))
        return wait_for_execution(sfn, started["executionArn"])

    with without(["express-restarts"]):
        runs = {"plain": run("plain")}
    sfn.untag_resource(resourceArn=arn, tagKeys=[RESTART_AFTER_TAG])
    runs["restarted"] = run("restarted")
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == []  # it fires once

    def counts(job: str) -> dict:
        item = aws.client("dynamodb").get_item(TableName=token_table, Key={"id": {"S": job}})["Item"]
        return {name: int(item[name]["N"]) for name in ("first", "second")}

    # moto: one run, each call once
    assert runs["plain"]["status"] == "SUCCEEDED" and counts("plain") == {"first": 1, "second": 1}
    # bridged: cut off after First's call (Second never ran), then the same input again from the start
    assert runs["restarted"]["status"] == "ABORTED"
    again = wait_for_execution(sfn, f"{runs['restarted']['executionArn']}-restarted")
    assert again["status"] == "SUCCEEDED" and again["input"] == runs["restarted"]["input"]
    assert counts("restarted") == {"first": 2, "second": 1}
_TAGGED_TEMPLATE = {"Resources": {
    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "tagged", "Tags": [{"Key": "team", "Value": "a"}]}},
    "Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": "tagged", "DashboardBody": '{"widgets": []}', "Tags": [{"Key": "team", "Value": "a"}]}}}}


def test_gap_30_cfn_tags(aws, cfn):
    sns, cloudwatch = aws.client("sns"), aws.client("cloudwatch")

    def tags() -> tuple[list, list]:
        topic = "arn:aws:sns:us-east-1:123456789012:tagged"
        dashboard = cloudwatch.get_dashboard(DashboardName="tagged")["DashboardArn"]
        return (sns.list_tags_for_resource(ResourceArn=topic)["Tags"],
                cloudwatch.list_tags_for_resource(ResourceARN=dashboard)["Tags"])

    with without(["cfn-tags"]):
        deploy_stack(cfn, "plain", _TAGGED_TEMPLATE)
        assert tags() == ([], [])
        cfn.delete_stack(StackName="plain")
    deploy_stack(cfn, "bridged", _TAGGED_TEMPLATE)
    assert tags() == ([{"Key": "team", "Value": "a"}], [{"Key": "team", "Value": "a"}])


def _renamed_machine_template(name: str) -> dict:
    return {"Resources": {
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "StateMachineName": name, "RoleArn": ROLE_ARN,
            "Definition": {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}}},
        "Rule": {"Type": "AWS::Events::Rule", "Properties": {
            "EventPattern": {"source": ["gap.27"]},
            "Targets": [{"Id": "Machine", "Arn": {"Ref": "Machine"}, "RoleArn": ROLE_ARN}]}}}}


def test_gap_31_update_dependents(aws, cfn):
    events = aws.client("events")

    def target(stack: str) -> str:
        rule = cfn.describe_stack_resource(StackName=stack, LogicalResourceId="Rule")["StackResourceDetail"]
        return events.list_targets_by_rule(Rule=rule["PhysicalResourceId"])["Targets"][0]["Arn"]

    with without(["cfn-update-dependents"]):
        deploy_stack(cfn, "plain", _renamed_machine_template("first"))
        deploy_stack(cfn, "plain", _renamed_machine_template("second"))
        assert target("plain").endswith(":stateMachine:first")  # the machine it names is gone
    deploy_stack(cfn, "bridged", _renamed_machine_template("third"))
    deploy_stack(cfn, "bridged", _renamed_machine_template("fourth"))
    assert target("bridged").endswith(":stateMachine:fourth")
def _count_calls(monkeypatch, owner, name: str) -> list:
    """Record each call of `owner.name` (a method) from now on; returns the list the calls are appended to."""
    calls = []
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def _run_all(sfn, arn: str, inputs: list) -> list[dict]:
    """Start one execution per input, all before any is waited for; returns them described, in order, once each
    has succeeded."""
    runs = [sfn.start_execution(stateMachineArn=arn, name=f"r{index}", input=json.dumps(given))["executionArn"]
            for index, given in enumerate(inputs)]
    return [wait_for_execution(sfn, run, timeout=30, status="SUCCEEDED") for run in runs]


# JSONata and JSONPath states, a Choice and a Map: what each execution computes depends on its own input only
_MIXED_STATES = {
    "Double": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% {'n': $states.input.n, 'twice': "
               "$states.input.n * 2, 'items': [1, 2, 3]} %}", "Next": "Odd?"},
    "Odd?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 7, "Next": "Big"}],
             "Default": "Each"},
    "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "Next": "Each"},
    "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"item.$": "$$.Map.Item.Value", "n.$": "$.n"},
             "ItemProcessor": {"StartAt": "Add", "States": {"Add": {
                 "Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.item + $states.input.n %}",
                 "End": True}}},
             "ResultPath": "$.sums", "End": True},
}


def test_gap_32_parse_once_per_definition(aws, sfn, monkeypatch):
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    parses = _count_calls(monkeypatch, ASLParser, "state_machine")  # ANTLR's entry rule: one call, one parse
    with without(["parse-once-per-definition"]):
        arn = create_machine(sfn, "plain", _MIXED_STATES, "Double")
        _run_all(sfn, arn, [{"n": n} for n in range(3)])
        assert len(parses) == 1 + 3  # CreateStateMachine's validation, then every execution

    parses.clear()
    arn = create_machine(sfn, "bridged", _MIXED_STATES, "Double", Comment="another definition text")
    inputs = [{"n": n} for n in range(16)]
    done = _run_all(sfn, arn, inputs)  # started together: their programs are built concurrently from one tree
    assert len(parses) == 1
    assert [json.loads(run["output"]) for run in done] == [
        {"n": n, "twice": 2 * n, "items": [1, 2, 3], "sums": [n + 1, n + 2, n + 3], **({"size": "big"} if n > 7 else {})}
        for n in range(16)]
    # each execution gets a program of its own (components keep per-execution state); only the parse tree is shared
    definition = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
    (first, first_tree), (second, second_tree) = (AmazonStateLanguageParser.parse(definition) for _ in range(2))
    assert first is not second and first_tree is second_tree and len(parses) == 1


def test_gap_33_task_clients_reused(aws, sfn, token_table, monkeypatch):
    import botocore.session

    get_item = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                "Parameters": {"TableName": token_table, "Key": {"id": {"S.$": "$.jobId"}}}, "ResultPath": None}
    states = {"Read": dict(get_item, Next="ReadAgain"), "ReadAgain": dict(get_item, End=True)}
    created = _count_calls(monkeypatch, botocore.session.Session, "create_client")
    with without(["task-clients-reused"]):
        arn = create_machine(sfn, "plain", states, "Read")
        _run_all(sfn, arn, [{"jobId": "a"}] * 3)
        assert len(created) == 2 * 3  # a client per task state entered

    created.clear()
    arn = create_machine(sfn, "bridged", states, "Read")
    _run_all(sfn, arn, [{"jobId": "a"}] * 3)
    assert len(created) == 1


def test_gap_34_jsonata_string_checked_once(aws, sfn, monkeypatch):
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    evaluated = _count_calls(monkeypatch, moto_jsonata, "_eval_jsonata")  # every expression the engine is given
    states = {"Text": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"text": "{% $string($states.input.n * 2) %}"},
                       "End": True}}
    with without(["jsonata-string-checked-once"]):
        arn = create_machine(sfn, "plain", states, "Text")
        assert [json.loads(run["output"]) for run in _run_all(sfn, arn, [{"n": 21}])] == [{"text": "42"}]
        assert [call[0].startswith("$type(") for call in evaluated] == [False, True]  # evaluated again in $type

    evaluated.clear()
    arn = create_machine(sfn, "bridged", states, "Text")
    assert [json.loads(run["output"]) for run in _run_all(sfn, arn, [{"n": 21}])] == [{"text": "42"}]
    assert len(evaluated) == 1
    # a null value is still told from an undefined one: undefined fails the state, as on AWS
    states = {"Nothing": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.missing %}",
                          "End": True}}
    arn = create_machine(sfn, "undefined", states, "Nothing")
    run = sfn.start_execution(stateMachineArn=arn, name="r", input="{}")["executionArn"]
    assert wait_for_execution(sfn, run)["error"] == "States.QueryEvaluationError"
def _statuses(cfn, stack: str) -> list[tuple[str, str]]:
    """(logical id, status) of the stack's events, oldest first."""
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]][::-1]


def _reason(cfn, stack: str, status: str) -> str:
    return next(e["ResourceStatusReason"] for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]
                if e["ResourceStatus"] == status)


_TABLE_AND_QUEUE = {
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "mine"}},
        "Table": {"Type": "AWS::DynamoDB::Table", "DependsOn": "Queue", "Properties": {
            "TableName": "taken", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}},
    },
    "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}},
}


def test_gap_35_failed_create_rolls_back(aws, cfn, token_table):
    dynamodb, sqs = aws.client("dynamodb"), aws.client("sqs")
    dynamodb.create_table(TableName="taken", BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    with without(["cfn-failed-operations-roll-back"]):
        with pytest.raises(botocore.parsers.ResponseParserError, match="invalid XML received"):
            cfn.create_stack(StackName="plain", TemplateBody=json.dumps(_TABLE_AND_QUEUE))
        assert cfn.describe_stacks(StackName="plain")["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS"  # stuck
        assert [url.rsplit("/", 1)[1] for url in sqs.list_queues()["QueueUrls"]] == ["mine"]  # kept
        cfn.delete_stack(StackName="plain")

    stack_id = cfn.create_stack(StackName="bridged", TemplateBody=json.dumps(_TABLE_AND_QUEUE))["StackId"]
    [stack] = cfn.describe_stacks(StackName="bridged")["Stacks"]
    assert (stack["StackId"], stack["StackStatus"], stack.get("Outputs")) == (stack_id, "ROLLBACK_COMPLETE", None)
    assert "Table already exists: taken" in _reason(cfn, "bridged", "CREATE_FAILED")
    assert _reason(cfn, "bridged", "ROLLBACK_IN_PROGRESS") == (
        "The following resource(s) failed to create: [Table]. Rollback requested by user.")
    assert "QueueUrls" not in sqs.list_queues()  # what the stack had created is deleted
    assert sorted(dynamodb.list_tables()["TableNames"]) == ["taken", token_table]  # what it had not, kept
    cfn.delete_stack(StackName="bridged")
    assert sorted(dynamodb.list_tables()["TableNames"]) == ["taken", token_table]


def _named_queue_and_topic(name: str) -> dict:
    return {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name}},
                          "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": name}}}}


def test_gap_36_custom_name_another_stack_holds(aws, cfn):
    sqs, sns = aws.client("sqs"), aws.client("sns")
    with without(["cfn-custom-name-ownership"]):
        deploy_stack(cfn, "plain-first", _named_queue_and_topic("plain"))
        deploy_stack(cfn, "plain-second", _named_queue_and_topic("plain"))  # succeeds, sharing the first's
        cfn.delete_stack(StackName="plain-second")
        assert "QueueUrls" not in sqs.list_queues() and sns.list_topics()["Topics"] == []  # the first's, deleted

    first = cfn.create_stack(StackName="first", TemplateBody=json.dumps(_named_queue_and_topic("shared")))["StackId"]
    with pytest.raises(StackDeployError, match="ROLLBACK_COMPLETE: .* CREATE_FAILED: shared already exists in stack"):
        deploy_stack(cfn, "second", _named_queue_and_topic("shared"))
    assert _reason(cfn, "second", "CREATE_FAILED").endswith(f"shared already exists in stack {first}")
    cfn.delete_stack(StackName="second")
    assert cfn.describe_stacks(StackName="first")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert [url.rsplit("/", 1)[1] for url in sqs.list_queues()["QueueUrls"]] == ["shared"]
    assert [t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"]] == ["shared"]
    cfn.delete_stack(StackName="first")
    deploy_stack(cfn, "third", _named_queue_and_topic("shared"))  # a name is free again once its stack is gone


_NAMED_MACHINE = {
    "Parameters": {"Name": {"Type": "String"}, "Type": {"Type": "String", "Default": "STANDARD"}},
    "Resources": {"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "StateMachineName": {"Ref": "Name"}, "StateMachineType": {"Ref": "Type"}, "RoleArn": ROLE_ARN,
        "Definition": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}},
    "Outputs": {"MachineArn": {"Value": {"Ref": "Machine"}}},
}


_NAMED_QUEUE = {"Parameters": {"Name": {"Type": "String"}},
               "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Name"}}}}}


def test_gap_37_replacement_of_a_custom_named_resource(aws, cfn, sfn):
    def machines() -> list[tuple[str, str]]:
        return sorted((m["name"], m["type"]) for m in sfn.list_state_machines()["stateMachines"])

    with without(["cfn-replacement"]):
        deploy_stack(cfn, "plain", _NAMED_MACHINE, {"Name": "plain"})
        deploy_stack(cfn, "plain", _NAMED_MACHINE, {"Name": "plain", "Type": "EXPRESS"})  # UPDATE_COMPLETE
        assert machines() == [("plain", "STANDARD")]  # nothing replaced

    deploy_stack(cfn, "bridged", _NAMED_MACHINE, {"Name": "bridged"})
    with pytest.raises(StackDeployError, match="UPDATE_ROLLBACK_COMPLETE: Machine UPDATE_FAILED: CloudFormation "
                                               "cannot update a stack when a custom-named resource requires "
                                               "replacing. Rename bridged and update the stack again."):
        deploy_stack(cfn, "bridged", _NAMED_MACHINE, {"Name": "bridged", "Type": "EXPRESS"})
    assert machines() == [("bridged", "STANDARD"), ("plain", "STANDARD")]
    [stack] = cfn.describe_stacks(StackName="bridged")["Stacks"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {"Name": "bridged", "Type": "STANDARD"}
    # a new name (and type) is a replacement CloudFormation makes, and so does the emulator for a state machine
    deploy_stack(cfn, "bridged", _NAMED_MACHINE, {"Name": "renamed", "Type": "EXPRESS"})
    assert machines() == [("plain", "STANDARD"), ("renamed", "EXPRESS")]
    # for a type it cannot replace (a queue keeps its old name in moto), the emulator refuses rather than pretend
    deploy_stack(cfn, "queue", _NAMED_QUEUE, {"Name": "first"})
    with pytest.raises(StackDeployError, match="UPDATE_ROLLBACK_COMPLETE: Queue UPDATE_FAILED: The emulator "
                                               "[(]moto 5.2.5[)] cannot replace first by second"):
        deploy_stack(cfn, "queue", _NAMED_QUEUE, {"Name": "second"})


def test_gap_38_resource_events(aws, cfn):
    with without(["cfn-resource-events"]):
        deploy_stack(cfn, "plain", _machine_template(_PASS_TABLE))
        assert {logical_id for logical_id, _ in _statuses(cfn, "plain")} == {"plain"}  # the stack's own only

    deploy_stack(cfn, "bridged", _machine_template(_PASS_TABLE))
    table_name = cfn.describe_stack_resource(StackName="bridged", LogicalResourceId="Table")[
        "StackResourceDetail"]["PhysicalResourceId"]
    stack_id = cfn.describe_stacks(StackName="bridged")["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName="bridged")
    statuses = _statuses(cfn, stack_id)  # a deleted stack is found by its id
    for logical_id in ("Table", "Machine"):
        assert [s for i, s in statuses if i == logical_id] == [
            "CREATE_IN_PROGRESS", "CREATE_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
    assert {e["PhysicalResourceId"] for e in cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
            if e["LogicalResourceId"] == "Table" and e["ResourceStatus"].endswith("COMPLETE")} == {table_name}


def test_gap_39_test_event_pattern(aws):
    events = aws.client("events")
    event = {"id": "1", "account": "123456789012", "source": "my.app", "time": "2026-01-01T00:00:00Z",
             "region": "us-east-1", "resources": [], "detail-type": "Job", "detail": {"status": "DONE"}}
    matching = json.dumps({"source": ["my.app"], "detail": {"status": [{"prefix": "DO"}]}})
    with without(["events-test-event-pattern"]):
        assert "Result" not in events.test_event_pattern(EventPattern=matching, Event=json.dumps(event))

    assert events.test_event_pattern(EventPattern=matching, Event=json.dumps(event))["Result"] is True
    other = json.dumps({"source": ["my.app"], "detail": {"status": ["FAILED"]}})
    assert events.test_event_pattern(EventPattern=other, Event=json.dumps(event))["Result"] is False
    with pytest.raises(events.exceptions.InvalidEventPatternException):
        events.test_event_pattern(EventPattern='{"source": "my.app"}', Event=json.dumps(event))
    with pytest.raises(botocore.exceptions.ClientError, match="ValidationException.*lacks id"):
        events.test_event_pattern(EventPattern=matching, Event=json.dumps({"source": "my.app"}))



_GREETING_MACHINE = {
    "Parameters": {"Who": {"Type": "String"}},
    "Resources": {"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "RoleArn": ROLE_ARN, "DefinitionSubstitutions": {"Greeting": {"Fn::Sub": "hello ${Who}"}},
        "Definition": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "${Greeting}", "End": True}}}}}},
    "Outputs": {"MachineArn": {"Value": {"Ref": "Machine"}}},
}

_CONDITIONAL_QUEUE = {
    "Parameters": {"Enabled": {"Type": "String"}, "Retention": {"Type": "Number", "Default": 60}},
    "Conditions": {"IsEnabled": {"Fn::Equals": [{"Ref": "Enabled"}, "yes"]}},
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Condition": "IsEnabled", "Properties": {
        "QueueName": "conditional", "MessageRetentionPeriod": {"Ref": "Retention"}}}},
}


def test_gap_40_update_every_change(aws, cfn, sfn):
    sqs = aws.client("sqs")

    def greeting(stack: str, who: str) -> str:
        arn = deploy_stack(cfn, stack, _GREETING_MACHINE, {"Who": who})["MachineArn"]
        return json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])["States"]["P"]["Result"]

    def queues() -> list[str]:
        return [url.rsplit("/", 1)[1] for url in sqs.list_queues().get("QueueUrls", [])]

    def retention() -> str:
        url = sqs.get_queue_url(QueueName="conditional")["QueueUrl"]
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MessageRetentionPeriod"])[
            "Attributes"]["MessageRetentionPeriod"]

    with without(["cfn-update-every-change"]):
        assert (greeting("plain", "a"), greeting("plain", "b")) == ("hello a", "hello a")  # nothing updated
        deploy_stack(cfn, "plain-queue", _CONDITIONAL_QUEUE, {"Enabled": "yes"})
        deploy_stack(cfn, "plain-queue", _CONDITIONAL_QUEUE, {"Enabled": "yes", "Retention": 120})
        assert retention() == "60"  # UPDATE_COMPLETE, not applied
        deploy_stack(cfn, "plain-queue", _CONDITIONAL_QUEUE, {"Enabled": "no", "Retention": 120})
        assert queues() == ["conditional"]  # its condition is false, it stays
        cfn.delete_stack(StackName="plain-queue")

    assert (greeting("bridged", "a"), greeting("bridged", "b")) == ("hello a", "hello b")
    deploy_stack(cfn, "bridged-queue", _CONDITIONAL_QUEUE, {"Enabled": "yes"})
    with pytest.raises(StackDeployError, match="UPDATE_ROLLBACK_COMPLETE: Queue UPDATE_FAILED: The emulator "
                                               "[(]moto 5.2.5[)] cannot apply a change of MessageRetentionPeriod"):
        deploy_stack(cfn, "bridged-queue", _CONDITIONAL_QUEUE, {"Enabled": "yes", "Retention": 120})
    deploy_stack(cfn, "bridged-queue", _CONDITIONAL_QUEUE, {"Enabled": "no"})
    assert queues() == []  # deleted: its condition turned false
    deploy_stack(cfn, "bridged-queue", _CONDITIONAL_QUEUE, {"Enabled": "yes"})
    assert queues() == ["conditional"]  # created again


def test_gap_42_state_machine_arn_attribute(aws, cfn):
    """`Fn::GetAtt [Machine, Arn]` (AWS CDK's `CfnStateMachine.attr_arn`) is the ARN `Ref` gives."""
    template = _machine_template(_PASS_TABLE)
    template["Outputs"]["MachineArnAttribute"] = {"Value": {"Fn::GetAtt": ["Machine", "Arn"]}}
    with without(["cfn-state-machine-arn"]):
        with pytest.raises(botocore.exceptions.ClientError, match="does not support attribute type Arn in Fn::GetAtt"):
            cfn.create_stack(StackName="plain", TemplateBody=json.dumps(template))

    outputs = deploy_stack(cfn, "bridged", template)
    assert outputs["MachineArnAttribute"] == outputs["MachineArn"]
    assert outputs["MachineArn"].startswith("arn:aws:states:us-east-1:123456789012:stateMachine:bridged-Machine-")


def _target_queue(aws, name: str) -> tuple[str, str]:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _rule_to_queue(aws, name: str, **target) -> str:
    url, arn = _target_queue(aws, name)
    aws.client("events").put_rule(Name=name, EventPattern=json.dumps({"source": ["test.jobs"]}))
    aws.client("events").put_targets(Rule=name, Targets=[dict({"Id": "q", "Arn": arn}, **target)])
    return url


def _bodies(aws, url: str) -> list[str]:
    return [message["Body"] for message in aws.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            .get("Messages", [])]


def test_gap_3_queue_targets_get_eventbridges_input(aws):
    """A queue target's body: the whole event with its account, the InputPath's value, or the transformer's text as
    AWS writes it (recorded: an object inside a text template without its quotes, a missing path as nothing)."""
    transformer = {"InputTransformer": {"InputPathsMap": {"p": "$.detail.payload", "nope": "$.detail.missing"},
                                        "InputTemplate": '"payload <p>, nothing <nope>"'}}
    with without(["events-to-stepfunctions"]):
        plain = _rule_to_queue(aws, "plain")
        _put(aws, {"payload": {"a": 1}})
        assert "account" not in json.loads(_bodies(aws, plain)[0])  # moto's own event for a queue lacks it

    whole, path, text = (_rule_to_queue(aws, "whole"), _rule_to_queue(aws, "path", InputPath="$.detail.payload"),
                         _rule_to_queue(aws, "text", **transformer))
    _put(aws, {"payload": {"a": 1, "b": "x"}})
    assert json.loads(_bodies(aws, whole)[0])["account"] == "123456789012"
    assert _bodies(aws, path) == ['{"a": 1, "b": "x"}']
    assert _bodies(aws, text) == ['"payload {a:1,b:x}, nothing "']


def test_gap_43_put_targets_validation(aws):
    events = aws.client("events")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["test.jobs"]}))
    both = {"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q", "InputPath": "$.detail",
            "InputTransformer": {"InputTemplate": '{"a": <a>}', "InputPathsMap": {"a": "$.detail.a"}}}
    unknown = {"Id": "u", "Arn": "arn:aws:sqs:us-east-1:123456789012:q",
               "InputTransformer": {"InputTemplate": '"job <jobId> at <aws.events.rule-name>"'}}
    with without(["events-put-targets-validation"]):
        events.put_targets(Rule="r", Targets=[both, unknown])  # stored
        events.remove_targets(Rule="r", Ids=["t", "u"])

    with pytest.raises(events.exceptions.ClientError, match="Only one of Input, InputPath, or InputTransformer "
                                                            "must be provided for target t"):
        events.put_targets(Rule="r", Targets=[both])
    with pytest.raises(events.exceptions.ClientError, match="InputTemplate for target u contains invalid "
                                                            "placeholder jobId"):
        events.put_targets(Rule="r", Targets=[unknown])
    assert events.list_targets_by_rule(Rule="r")["Targets"] == []


def _start_child(sfn, name: str, resource: str, child_states: dict, **task) -> tuple[str, str]:
    """A parent whose one task starts a child (`resource`), and the child: both ARNs."""
    child = create_machine(sfn, f"{name}-child", child_states, next(iter(child_states)))
    parent = create_machine(sfn, name, {"Start": dict({
        "Type": "Task", "Resource": resource, "TimeoutSeconds": 10, "End": True,
        "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n"}, "Name": "the-child"}}, **task)}, "Start")
    return parent, child


_CHILD = {"P": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}}


def test_gap_44_task_result_casing(aws, sfn):
    """A `startExecution.sync` child and a `$.ExecutionArn` read, as AWS's recordings show them (LocalStack's
    test_callback.py::test_start_execution_sync and test_sfn_task_service.py::test_start_execution)."""
    with without(["task-result-casing"]):
        parent, _ = _start_child(sfn, "plain", "arn:aws:states:::states:startExecution.sync", _CHILD)
        run = sfn.start_execution(stateMachineArn=parent, input='{"n": 1}')["executionArn"]
        wait_for_execution(sfn, run, status="FAILED", error="States.Runtime")  # 'ExecutionArn'

    parent, child = _start_child(sfn, "sync", "arn:aws:states:::states:startExecution.sync", _CHILD)
    run = sfn.start_execution(stateMachineArn=parent, input='{"n": 1}')["executionArn"]
    result = json.loads(wait_for_execution(sfn, run, status="SUCCEEDED")["output"])
    assert list(result) == ["ExecutionArn", "Input", "InputDetails", "Name", "Output", "OutputDetails",
                            "RedriveCount", "RedriveStatus", "RedriveStatusReason", "StartDate", "StateMachineArn",
                            "Status", "StopDate"]  # PascalCase, in AWS's order
    assert result["ExecutionArn"] == f"{child.replace(':stateMachine:', ':execution:')}:the-child"
    assert (result["Input"], result["Output"], result["Status"]) == ('{"n":1}', '{"Arg1":"argument1"}', "SUCCEEDED")
    assert result["InputDetails"] == result["OutputDetails"] == {"Included": True}

    parent, _ = _start_child(sfn, "sync2", "arn:aws:states:::states:startExecution.sync:2", _CHILD)
    run = sfn.start_execution(stateMachineArn=parent, input='{"n": 2}')["executionArn"]
    result = json.loads(wait_for_execution(sfn, run, status="SUCCEEDED")["output"])
    assert (result["Input"], result["Output"]) == ({"n": 2}, {"Arg1": "argument1"})  # :2 gives them as JSON

    parent, child = _start_child(sfn, "read", "arn:aws:states:::states:startExecution", _CHILD,
                                 ResultSelector={"arn.$": "$.ExecutionArn", "started.$": "$.StartDate"})
    run = sfn.start_execution(stateMachineArn=parent, input='{"n": 3}')["executionArn"]
    result = json.loads(wait_for_execution(sfn, run, status="SUCCEEDED")["output"])
    assert result["arn"] == f"{child.replace(':stateMachine:', ':execution:')}:the-child" and result["started"]

    failing = {"F": {"Type": "Fail", "Error": "SomeFailure", "Cause": "it failed"}}
    parent, _ = _start_child(sfn, "sync-fails", "arn:aws:states:::states:startExecution.sync", failing)
    done = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=parent, input='{"n": 4}')["executionArn"],
                              status="FAILED", error="States.TaskFailed")
    cause = json.loads(done["cause"])
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "SomeFailure", "it failed")


def _put_item_machine(sfn, name: str, resource: str, item: str = "$.item") -> str:
    return create_machine(sfn, name, {"Put": {
        "Type": "Task", "Resource": resource, "End": True,
        "Parameters": {"TableName": "tokens", "Item.$": item}}}, "Put")


def test_gap_45_task_http_metadata(aws, sfn, token_table):
    item = {"item": {"id": {"S": "a"}}}
    with without(["task-http-metadata"]):
        arn = _put_item_machine(sfn, "plain", "arn:aws:states:::dynamodb:putItem")
        run = sfn.start_execution(stateMachineArn=arn, input=json.dumps(item))["executionArn"]
        assert json.loads(wait_for_execution(sfn, run, status="SUCCEEDED")["output"]) == {}

    arn = _put_item_machine(sfn, "bridged", "arn:aws:states:::dynamodb:putItem")
    run = sfn.start_execution(stateMachineArn=arn, input=json.dumps(item))["executionArn"]
    result = json.loads(wait_for_execution(sfn, run, status="SUCCEEDED")["output"])
    metadata = result["SdkHttpMetadata"]
    assert metadata["HttpStatusCode"] == 200
    assert sorted(metadata["HttpHeaders"]) == ["Connection", "Content-Length", "Content-Type", "Date", "Server",
                                               "x-amz-crc32", "x-amzn-RequestId"]
    assert metadata["HttpHeaders"]["Content-Length"] == "2"  # DynamoDB's `{}`
    assert metadata["AllHttpHeaders"]["Content-Length"] == ["2"]
    assert result["SdkResponseMetadata"]["RequestId"] == metadata["HttpHeaders"]["x-amzn-RequestId"]

    arn = _put_item_machine(sfn, "sdk", "arn:aws:states:::aws-sdk:dynamodb:putItem")
    run = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"item": {"id": {"S": "b"}}}))["executionArn"]
    assert json.loads(wait_for_execution(sfn, run, status="SUCCEEDED")["output"]) == {}  # aws-sdk: none


def test_gap_45_sdk_http_metadata_lengths():
    """The Content-Length AWS sends, for answers recorded against AWS: SQS SendMessage 106, SNS Publish 294."""
    from sfn_resume.local.bridges_task_results import sdk_http_metadata

    sqs = sdk_http_metadata("sqs", "send_message", {"MD5OfMessageBody": "0" * 32, "MessageId": "1" * 36})
    assert sqs["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == "106"
    sns = sdk_http_metadata("sns", "publish", {"MessageId": "1" * 36})
    assert sns["SdkHttpMetadata"]["HttpHeaders"]["Content-Type"] == "text/xml"
    assert sns["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == "294"
    get = sdk_http_metadata("dynamodb", "get_item", {"Item": {"data": {"S": "HelloWorld"}, "id": {"S": "id1"}}})
    assert get["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == "53"
    assert "x-amzn-requestid" in get["SdkHttpMetadata"]["HttpHeaders"]  # GetItem's, in lower case (recorded)


def test_gap_46_task_error_causes(aws, sfn, token_table):
    with without(["task-error-causes"]):
        arn = _send_task_success_machine(sfn, "plain")
        done = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"], status="FAILED")
        assert not done["cause"].endswith("(SDK Attempt Count: 1)")

    arn = _send_task_success_machine(sfn, "bridged")
    done = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"],
                              status="FAILED", error="Sfn.InvalidTokenException")
    assert done["cause"].startswith("Invalid Token: 'Invalid token' (Service: Sfn, Status Code: 400, Request ID: ")
    assert done["cause"].endswith(") (SDK Attempt Count: 1)")


def test_gap_47_dynamodb_unrequested_metrics(aws, token_table):
    dynamodb = aws.client("dynamodb")
    update = {"TableName": token_table, "Key": {"id": {"S": "a"}}, "UpdateExpression": "SET n = :n",
              "ExpressionAttributeValues": {":n": {"N": "1"}}}
    with without(["dynamodb-unrequested-metrics"]):
        assert "ConsumedCapacity" in dynamodb.update_item(**update)
    answer = dynamodb.update_item(**update)
    assert "ConsumedCapacity" not in answer and "ItemCollectionMetrics" not in answer
    assert dynamodb.update_item(**update, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]["CapacityUnits"] > 0


def test_gap_47_dynamodb_request_validation(aws, token_table):
    dynamodb = aws.client("dynamodb")
    with without(["dynamodb-request-validation"]):
        with pytest.raises(dynamodb.exceptions.ResourceNotFoundException):
            dynamodb.put_item(TableName="/tokens", Item={"id": {"S": "a"}})

    with pytest.raises(botocore.exceptions.ClientError, match=r"ValidationException.*1 validation error detected: "
                       r"Value '/tokens' at 'tableName' failed to satisfy constraint: Member must satisfy regular "
                       r"expression pattern: \[a-zA-Z0-9_.-\]\+"):
        dynamodb.put_item(TableName="/tokens", Item={"id": {"S": "a"}})
    with pytest.raises(botocore.exceptions.ClientError, match="2 validation errors detected: .*'a/' at 'tableName'"
                                                              ".*length greater than or equal to 3"):
        dynamodb.put_item(TableName="a/", Item={"id": {"S": "a"}})


def test_gap_47_dynamodb_condition_failure_message(aws, token_table):
    dynamodb = aws.client("dynamodb")
    dynamodb.put_item(TableName=token_table, Item={"id": {"S": "a"}})
    failing = {"TableName": token_table, "Key": {"id": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(id)",
               "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    with without(["dynamodb-condition-failure-message"]):
        with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException) as plain:
            dynamodb.delete_item(**failing)
        assert plain.value.response["message"] == "The conditional request failed"
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException) as bridged:
        dynamodb.delete_item(**failing)
    assert "message" not in bridged.value.response and bridged.value.response["Item"] == {"id": {"S": "a"}}
    assert bridged.value.response["Error"]["Message"] == "The conditional request failed"


def test_gap_48_execution_description(aws, sfn):
    arn = create_machine(sfn, "m", _CHILD, "P")
    run = sfn.start_execution(stateMachineArn=arn, input='{"a": [1, 2]}')["executionArn"]
    wait_for_execution(sfn, run, status="SUCCEEDED")
    with without(["execution-description"]):
        plain = sfn.describe_execution(executionArn=run)
        assert plain["output"] == '{"Arg1": "argument1"}' and "inputDetails" not in plain
    described = sfn.describe_execution(executionArn=run)
    assert (described["input"], described["output"]) == ('{"a":[1,2]}', '{"Arg1":"argument1"}')
    assert described["inputDetails"] == described["outputDetails"] == {"included": True}
    assert (described["redriveCount"], described["redriveStatus"], described["redriveStatusReason"]) == (
        0, "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven")


def test_gap_48_execution_listing_stop_and_history(aws, sfn):
    arn = create_machine(sfn, "w", {"W": {"Type": "Wait", "Seconds": 60, "End": True}}, "W")
    run = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_for_state(sfn, run, "W")
    with without(["execution-listing", "execution-stop", "execution-history-order"]):
        assert "redriveCount" not in sfn.list_executions(stateMachineArn=arn)["executions"][0]
        assert "stopDate" not in sfn.stop_execution(executionArn=run, error="E", cause="why")
        history = sfn.get_execution_history(executionArn=run, reverseOrder=True)["events"]
        assert history[0]["type"] == "ExecutionStarted"
        aborted = wait_for_execution(sfn, run, status="ABORTED")
        assert "stopDate" in aborted

    run = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_for_state(sfn, run, "W")
    assert sfn.list_executions(stateMachineArn=arn)["executions"][0]["redriveCount"] == 0
    assert sfn.stop_execution(executionArn=run, cause="why")["stopDate"]
    wait_for_execution(sfn, run, status="ABORTED")
    history = sfn.get_execution_history(executionArn=run, reverseOrder=True)["events"]
    assert [history[0]["type"], history[-1]["type"]] == ["ExecutionAborted", "ExecutionStarted"]
    assert history[0]["executionAbortedEventDetails"] == {"cause": "why"}  # no error given, none recorded


def test_gap_49_definition_errors(aws, sfn):
    unknown = {"Q": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:query", "End": True}}
    callback = {"P": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
                      "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}}}
    with without(["definition-errors"]):
        with pytest.raises(botocore.exceptions.ClientError) as plain:
            create_machine(sfn, "plain", unknown, "Q")
        assert "SCHEMA_VALIDATION_FAILED" not in plain.value.response["Error"]["Message"]  # moto's Python error
        sfn.create_state_machine(name="plain-express", roleArn=ROLE_ARN, type="EXPRESS",
                                 definition=json.dumps({"StartAt": "P", "States": callback}))  # accepted

    with pytest.raises(sfn.exceptions.InvalidDefinition, match="SCHEMA_VALIDATION_FAILED: The resource provided "
                       "arn:aws:states:::dynamodb:query is not recognized. .* at /States/Q/Resource'"):
        create_machine(sfn, "unknown", unknown, "Q")
    with pytest.raises(sfn.exceptions.InvalidDefinition, match=r"These fields are required: \[States\] at /"):
        sfn.create_state_machine(name="empty", roleArn=ROLE_ARN, definition='{"StartAt": "P"}')
    with pytest.raises(sfn.exceptions.InvalidDefinition, match="Express state machine does not support "
                       "'.waitForTaskToken' service integration  at /States/P/Resource"):
        sfn.create_state_machine(name="express", roleArn=ROLE_ARN, type="EXPRESS",
                                 definition=json.dumps({"StartAt": "P", "States": callback}))
    nested = {"B": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "P", "States": callback}]}}
    with pytest.raises(sfn.exceptions.InvalidDefinition, match="at /States/B/Branches/0/States/P/Resource"):
        sfn.create_state_machine(name="express-nested", roleArn=ROLE_ARN, type="EXPRESS",
                                 definition=json.dumps({"StartAt": "B", "States": nested}))


def test_gap_50_arn_prefix(aws, sfn):
    with without(["arn-prefix"]):
        with pytest.raises(botocore.exceptions.ClientError, match="Execution Does Not Exist: 'not-an-arn'"):
            sfn.describe_execution(executionArn="not-an-arn")
    with pytest.raises(sfn.exceptions.InvalidArn, match="Invalid Arn: 'Invalid ARN prefix: not-an-arn'"):
        sfn.describe_execution(executionArn="not-an-arn")
    with pytest.raises(sfn.exceptions.InvalidArn, match="Invalid ARN prefix: nope"):
        sfn.list_executions(stateMachineArn="nope")


def test_gap_50_parser_error_codes(aws, sfn):
    arn = create_machine(sfn, "m", _CHILD, "P")
    with without(["parser-error-codes"]):
        with pytest.raises(botocore.exceptions.ClientError) as plain:
            sfn.start_execution(stateMachineArn=arn, input="not json")
        assert plain.value.response["Error"]["Code"] == ""
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_execution(stateMachineArn=arn, input="not json")
def _run_once(sfn, name: str, resource: str, parameters: dict, **task) -> dict:
    """A one-Task machine, run once to its end: the run, described."""
    arn = create_machine(sfn, name, {"Call": {"Type": "Task", "Resource": resource, "Parameters": parameters,
                                              "End": True, **task}}, "Call")
    return wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, name="run")["executionArn"])


def test_gap_51_service_faults(aws, sfn, token_table):
    from sfn_resume.local.bridges_faults import FAULTS, Fault, injecting

    dynamodb = aws.client("dynamodb")
    throttled, applied = FAULTS["dynamodb"][0], FAULTS["dynamodb"][-1]
    assert (throttled.code, applied.code, applied.applied) == ("ThrottlingException", "InternalServerError", True)

    def put(name: str, fault: Fault, **task) -> tuple[dict, bool]:
        """A PutItem of the item `name` while every call fails with `fault`: the run, and whether the item exists."""
        with injecting(1.0, faults={"dynamodb": (fault,)}):
            done = _run_once(sfn, name, "arn:aws:states:::aws-sdk:dynamodb:putItem",
                             {"TableName": token_table, "Item": {"id": {"S": name}}}, **task)
        return done, "Item" in dynamodb.get_item(TableName=token_table, Key={"id": {"S": name}})

    with without(["service-faults"]):  # moto: every call goes through
        done, written = put("plain", throttled)
        assert (done["status"], written) == ("SUCCEEDED", True)
    # refused: nothing written; the error as AWS names it for an AWS SDK integration
    done, written = put("refused", throttled)
    assert (done["status"], done["error"], written) == ("FAILED", "DynamoDb.ThrottlingException", False)
    # applied, then a 500: the item is there, the state failed
    done, written = put("applied", applied)
    assert (done["status"], done["error"], written) == ("FAILED", "DynamoDb.InternalServerErrorException", True)
    # a code DynamoDB's model does not list takes the service's base exception
    done, _ = put("unlisted", FAULTS["dynamodb"][4])
    assert (FAULTS["dynamodb"][4].code, done["error"]) == ("ServiceUnavailable", "DynamoDb.DynamoDbException")
    # a Retry on the name retries the call: at a rate of 1 every attempt fails, and the retries are spent
    done, _ = put("retried", throttled, Retry=[{"ErrorEquals": ["DynamoDb.ThrottlingException"],
                                                "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1}])
    history = sfn.get_execution_history(executionArn=done["executionArn"])["events"]
    assert [event["type"] for event in history].count("TaskFailed") == 3


def test_gap_52_optimized_integration_error_names(aws, sfn, token_table):
    from sfn_resume.local.bridges_faults import FAULTS, injecting

    child = create_machine(sfn, "child", {"P": {"Type": "Pass", "End": True}}, "P")

    def errors(prefix: str) -> tuple[str, str]:
        """The errors of the optimized StartExecution throttled, and of the optimized PutItem failing with a 500."""
        with injecting(1.0, faults={"stepfunctions": FAULTS["stepfunctions"][:1], "dynamodb": FAULTS["dynamodb"][3:4]}):
            start = _run_once(sfn, f"{prefix}-start", "arn:aws:states:::states:startExecution",
                              {"StateMachineArn": child})
            put = _run_once(sfn, f"{prefix}-put", "arn:aws:states:::dynamodb:putItem",
                            {"TableName": token_table, "Item": {"id": {"S": prefix}}})
        return start["error"], put["error"]

    def invalid_put(name: str) -> dict:
        """The optimized PutItem refused as invalid (Item: null): a ValidationException, which DynamoDB's model does
        not list."""
        arn = _put_item_machine(sfn, name, "arn:aws:states:::dynamodb:putItem")
        return wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, input='{"item": null}')["executionArn"],
                                  status="FAILED")

    with without(["optimized-integration-error-names"]):  # moto: the code, with or without a suffix
        assert errors("plain") == ("StepFunctions.ThrottlingExceptionException", "DynamoDB.InternalServerError")
        assert invalid_put("plain-invalid")["error"] == "DynamoDB.ValidationException"
    # the SDK's exception classes: Step Functions' base exception for a code its model does not list
    assert errors("bridged") == ("StepFunctions.AWSStepFunctionsException", "DynamoDB.InternalServerErrorException")
    # and DynamoDB's for the ValidationException (as recorded on AWS), its cause as moto gives it
    done = invalid_put("bridged-invalid")
    assert done["error"] == "DynamoDB.AmazonDynamoDBException"
    assert done["cause"].startswith("1 validation error detected: Value null at 'item' failed to satisfy "
                                    "constraint: Member must not be null (Service: AmazonDynamoDBv2; Status Code: "
                                    "400; Error Code: ValidationException; ")


def test_gap_53_data_limit_not_caught_by_all(aws, sfn, token_table):
    # an item whose GetItem result is over the 262,144-byte limit (DynamoDB takes items up to 400 KB)
    aws.client("dynamodb").put_item(TableName=token_table, Item={"id": {"S": "big"}, "p": {"S": "x" * 300_000}})

    def read(name: str, errors: list[str]) -> dict:
        """GetItem of the big item, with a Catch on `errors`: the run, ended."""
        arn = create_machine(sfn, name, {
            "Read": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                     "Parameters": {"TableName": token_table, "Key": {"id": {"S": "big"}}}, "End": True,
                     "Catch": [{"ErrorEquals": errors, "ResultPath": "$.caught", "Next": "Caught"}]},
            "Caught": {"Type": "Pass", "End": True}}, "Read")
        return wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, name="run")["executionArn"])

    def caught(done: dict) -> bool:
        history = sfn.get_execution_history(executionArn=done["executionArn"])["events"]
        return any(event.get("stateEnteredEventDetails", {}).get("name") == "Caught" for event in history)

    with without(["data-limit-not-caught-by-all"]):
        done = read("plain", ["States.ALL"])
        assert caught(done)  # the run went on
    done = read("bridged", ["States.ALL"])
    assert (done["status"], done["error"], caught(done)) == ("FAILED", "States.DataLimitExceeded", False)
    assert caught(read("named", ["States.DataLimitExceeded"]))  # named, it is caught


def test_gap_54_send_task_success_output_limit(aws, sfn, token_table):
    from sfn_resume.local.bridges_stepfunctions import MAX_PAYLOAD_BYTES

    arn = create_machine(sfn, "waits", {"Wait": callback_task(token_table, timeout_seconds=30)}, "Wait")
    dynamodb = aws.client("dynamodb")

    def paused(name: str) -> tuple[str, str]:
        """A run waiting for its token: (run, token)."""
        run = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps({"jobId": name}))["executionArn"]
        wait_for_state(sfn, run, "Wait")
        deadline = time.monotonic() + 10
        while "Item" not in (found := dynamodb.get_item(TableName=token_table, Key={"id": {"S": name}})):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        return run, found["Item"]["token"]["S"]

    def output(size: int) -> str:
        return json.dumps({"p": "x" * (size - len('{"p":""}'))}, separators=(",", ":"))

    with without(["send-task-success-output-limit"]):
        run, token = paused("plain")
        sfn.send_task_success(taskToken=token, output=output(MAX_PAYLOAD_BYTES + 1))  # accepted
        done = wait_for_execution(sfn, run)
        assert (done["status"], done["error"]) == ("FAILED", "States.DataLimitExceeded")

    run, token = paused("bridged")
    with pytest.raises(sfn.exceptions.InvalidOutput):
        sfn.send_task_success(taskToken=token, output=output(MAX_PAYLOAD_BYTES + 1))
    sfn.send_task_success(taskToken=token, output=output(MAX_PAYLOAD_BYTES))  # the task was still waiting
    done = wait_for_execution(sfn, run)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == json.loads(output(MAX_PAYLOAD_BYTES))


def test_gap_55_response_keys_found_once(aws, sfn, token_table, monkeypatch):
    from moto.core.serialize import AttributePicker

    dynamodb, cfn = aws.client("dynamodb"), aws.client("cloudformation")
    dynamodb.put_item(TableName=token_table, Item={
        "id": {"S": "every-type"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\xff"}, "ss": {"SS": ["a", "b"]},
        "l": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}]}, "m": {"M": {"inner": {"NS": ["1", "2"]}}}})
    create_machine(sfn, "described", {"P": {"Type": "Pass", "End": True}}, "P")
    deploy_stack(cfn, "described", _machine_template(_PASS_TABLE))

    def responses() -> list:
        """Responses of three protocols (JSON, DynamoDB's JSON, CloudFormation's XML), as boto3 reads them."""
        return [dynamodb.scan(TableName=token_table)["Items"], sfn.list_state_machines()["stateMachines"],
                cfn.describe_stacks(StackName="described")["Stacks"]]

    found = _count_calls(monkeypatch, AttributePicker, "get_possible_keys")
    with without(["response-keys-found-once"]):
        plain = responses()
        assert len(found) > 100  # for every member of every value
    found.clear()
    assert responses() == plain  # the same answers
    found.clear()
    assert responses() == plain and found == []  # and, the keys known, none worked out again


def test_gap_56_server_routes_found_once(monkeypatch):
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from sfn_resume.local import bridges

    listed = _count_calls(monkeypatch, backends, "list_of_moto_modules")
    hosts = ["dynamodb.us-east-1.amazonaws.com", "states.us-east-1.amazonaws.com", "sqs"]
    with bridges():
        with without(["server-routes-found-once"]):
            app = DomainDispatcherApplication(create_backend_app)
            plain = [app.get_backend_for_host(host) for host in hosts * 2]
            assert len(listed) == 6  # the package listed at every request
        listed.clear()
        app = DomainDispatcherApplication(create_backend_app)
        assert [app.get_backend_for_host(host) for host in hosts * 2] == plain == ["dynamodb", "stepfunctions", "sqs"] * 2
        assert len(listed) == 3  # once per host


def test_gap_57_server_task_calls_in_process(monkeypatch, tmp_path):
    """In server mode, a Task's DynamoDB call reaches the server over HTTP without the bridge, in process with it."""
    import socket

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.server import ThreadedMotoServer

    from sfn_resume.local import bridges
    from sfn_resume.local.server import enable_execution

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for key, value in {"MOTO_PORT": str(port), "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    targets = []
    original = DomainDispatcherApplication.__call__

    def dispatched(self, environ, start_response):
        targets.append(environ.get("HTTP_X_AMZ_TARGET", ""))
        return original(self, environ, start_response)

    monkeypatch.setattr(DomainDispatcherApplication, "__call__", dispatched)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    with bridges():
        server.start()
        try:
            endpoint = f"http://127.0.0.1:{port}"
            enable_execution(endpoint)
            session = boto3.Session(region_name="us-east-1")
            sfn, dynamodb = (session.client(name, endpoint_url=endpoint) for name in ("stepfunctions", "dynamodb"))
            dynamodb.create_table(TableName="jobs", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                  KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
            arn = create_machine(sfn, "puts", {"Put": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem", "End": True,
                "Parameters": {"TableName": "jobs", "Item": {"id": {"S.$": "$.jobId"}}}}}, "Put")

            def put(job: str) -> list[str]:
                """Run the machine; the PutItem requests the server took over HTTP meanwhile."""
                targets.clear()
                wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn, input=json.dumps({"jobId": job}))[
                    "executionArn"], status="SUCCEEDED")
                assert "Item" in dynamodb.get_item(TableName="jobs", Key={"id": {"S": job}})
                return [target for target in targets if target.endswith(".PutItem")]

            with without(["server-task-calls-in-process"]):
                assert put("plain") == ["DynamoDB_20120810.PutItem"]  # out over HTTP and back in
            assert put("bridged") == []  # answered in process
        finally:
            server.stop()


def test_gap_58_program_text_only_on_error(aws, sfn, monkeypatch):
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser

    written = _count_calls(monkeypatch, ASLParser.Program_declContext, "getText")
    with without(["program-text-only-on-error"]):
        arn = create_machine(sfn, "plain", {"P": {"Type": "Pass", "End": True}}, "P")
        written.clear()
        _run_all(sfn, arn, [{}])
        assert len(written) == 2  # StartAt's and States' error messages, for nothing
    arn = create_machine(sfn, "bridged", {"P": {"Type": "Pass", "End": True}}, "P")
    written.clear()
    _run_all(sfn, arn, [{}])
    assert written == []
    # a definition without StartAt is refused as before, its text in the message (moto's own refusal, which the
    # definition-errors bridge, gap 49, otherwise makes first in AWS's words)
    with without(["definition-errors"]):
        with pytest.raises(botocore.exceptions.ClientError, match="definition for Program in context: .*Pass"):
            sfn.create_state_machine(name="broken", roleArn=ROLE_ARN, definition=json.dumps({"States": {"P": {
                "Type": "Pass", "End": True}}}))
