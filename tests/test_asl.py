"""The ASL: the pause state, the pause machine and the resume machine have the shape docs/DESIGN.md describes.

JSONata expressions are evaluated here with jsonata-python and its bridges (what the emulator runs), on the inputs
they get.
"""

import json
import re
import time

import pytest
from troposphere import Template

from sfn_resume import asl
from sfn_resume.protocol import conditions
from sfn_resume.check import evaluate_path
from sfn_resume.local import bridges
from sfn_resume.local.bridges_jsonata import evaluate
from sfn_resume.template import jsonata_path_of

from .helpers import INSTANCE_TEMPLATES, load_yaml

OPTIMIZED_WAIT = "arn:aws:states:::dynamodb:putItem.waitForTaskToken"
WORKFLOW_ARN = "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:MyWorkflow"


def jsonata(expression: str, **states):
    """Evaluate one JSONata expression (with or without `{% %}`) with `$states` bound to `states`."""
    expression = expression.removeprefix("{% ").removesuffix(" %}")
    with bridges(["jsonata-string", "jsonata-surrogate-pairs"]):  # $string and emoji as JSONata's reference has them
        return evaluate(f"($states := {json.dumps(states)}; {expression})")


def test_the_pause_is_one_task_that_starts_the_pause_machine_and_waits():
    state = asl.pause_state("$.job.JobId", timeout_seconds=60, pause_machine_name="SfnResume-X-Pause",
                            partition="aws")
    assert state["Type"] == "Task" and "Branches" not in state  # one billed transition
    assert state["Resource"] == "arn:aws:states:::states:startExecution.waitForTaskToken"
    assert state["Parameters"]["Input"] == {
        "jobId.$": "$.job.JobId", "token.$": "$$.Task.Token", "timeoutSeconds": 60,
        # the pause began when the state was entered, unless a retry started it again
        "enteredTime.$": "$$.State.EnteredTime", "retryCount.$": "$$.State.RetryCount",
        "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}  # links the run to its workflow
    assert state["TimeoutSeconds"] == 60 and "HeartbeatSeconds" not in state
    assert (state["ResultSelector"], state["ResultPath"]) == ({"event.$": "$"}, None)
    assert asl.sdk_actions(state) == {"states:StartExecution"}


def test_the_pause_finds_its_machine_beside_the_workflow_in_any_partition_region_and_account():
    jsonpath = asl.pause_state("$.a", 60, pause_machine_name="SfnResume-X-Pause")["Parameters"]["StateMachineArn.$"]
    assert jsonpath == ("States.Format('arn:{}:states:{}:{}:stateMachine:SfnResume-X-Pause', "
                        "States.ArrayGetItem(States.StringSplit($$.StateMachine.Id, ':'), 1), "
                        "States.ArrayGetItem(States.StringSplit($$.StateMachine.Id, ':'), 3), "
                        "States.ArrayGetItem(States.StringSplit($$.StateMachine.Id, ':'), 4))")
    state = asl.pause_state("$.a", 60, pause_machine_name="SfnResume-X-Pause", query_language=asl.JSONATA)
    arn = jsonata(state["Arguments"]["StateMachineArn"], context={"StateMachine": {"Id": WORKFLOW_ARN}})
    assert arn == "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:SfnResume-X-Pause"
    given = asl.pause_state("$.a", 60, pause_machine_arn="${PauseStateMachineArn}")
    assert given["Parameters"]["StateMachineArn"] == "${PauseStateMachineArn}"


def test_the_jsonata_variant_has_the_same_input_and_places_the_event_at_result_path():
    state = asl.pause_state("$.job.JobId", 60, result_path="$.job.result", pause_machine_name="P",
                            query_language=asl.JSONATA)
    assert state["QueryLanguage"] == "JSONata" and "HeartbeatSeconds" not in state
    context = {"Task": {"Token": "t"}, "Execution": {"Id": "e"}, "State": {"EnteredTime": "now", "RetryCount": 0}}
    given = jsonata(json.dumps(state["Arguments"]["Input"]).replace('"{% ', "").replace(' %}"', ""),
                    input={"job": {"JobId": "j-1"}}, context=context)
    assert given == {"jobId": "j-1", "token": "t", "timeoutSeconds": 60, "enteredTime": "now", "retryCount": 0,
                     "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": "e"}
    output = jsonata(state["Output"], input={"job": {"JobId": "j-1", "keep": 1}}, result={"id": "ev"})
    assert output == {"job": {"JobId": "j-1", "keep": 1, "result": {"event": {"id": "ev"}}}}


STATE = {"a": {"b-c": [{"d": "x"}], "e": 1}, "f": "keep", "7z": "digit"}


@pytest.mark.parametrize("path", [
    "$.f", "$.a.e", "$.a.b-c[0].d", "$.a.b-c[0]", "$.7z",  # names JSONata must quote: `-`, a leading digit
])
def test_jsonata_paths_find_what_jsonpath_finds(path):
    expected, _ = evaluate_path(path, STATE)
    assert jsonata(asl.jsonata_path(path), input=STATE) == expected
    assert jsonata(_cloudformation(jsonata_path_of(path)), input=STATE) == expected  # the generic template's


def _cloudformation(value):
    """Evaluate the Fn::Join / Fn::Split / Fn::Select of `jsonata_path_of` as CloudFormation would."""
    data = json.loads(json.dumps(Template().to_dict() | {"v": value}, default=lambda o: o.to_dict()))["v"]

    def resolve(node):
        if isinstance(node, dict):
            (function, argument), = node.items()
            argument = [resolve(item) for item in argument]
            if function == "Fn::Join":
                return argument[0].join(resolve(item) for item in argument[1])
            if function == "Fn::Split":
                return argument[1].split(argument[0])
            assert function == "Fn::Select"
            return argument[1][argument[0]]
        return [resolve(item) for item in node] if isinstance(node, list) else node

    return resolve(data)


@pytest.mark.parametrize("result_path, expected", [
    (None, STATE),  # discarded: the state as it was
    ("$", {"event": {"id": "ev"}}),
    ("$.job", {**STATE, "job": {"event": {"id": "ev"}}}),
    ("$.a.new", {**STATE, "a": {**STATE["a"], "new": {"event": {"id": "ev"}}}}),  # a's other fields kept
    ("$.x.y", {**STATE, "x": {"y": {"event": {"id": "ev"}}}}),  # created where missing
])
def test_jsonata_output_places_the_event_as_result_path_would(result_path, expected):
    assert jsonata(asl.jsonata_output(result_path), input=STATE, result={"id": "ev"}) == expected
    if result_path:  # the generic template's, with the path known only at deploy time
        runtime = asl.jsonata_output_at_runtime(result_path)
        assert jsonata(runtime, input=STATE, result={"id": "ev"}) == expected


def _tasks(definition: dict) -> dict:
    return {name: state for name, state in definition["States"].items() if state["Type"] == "Task"}


def _values_named(arguments: dict) -> set[str]:
    text = arguments["ConditionExpression"] + " " + arguments.get("UpdateExpression", "")
    return {f":{name}" for name in re.findall(r":(\w+)", text)}


def test_the_pause_machine_writes_with_the_protocols_conditions():
    """The conditions are the protocol's data (sfn_resume/protocol/conditions.py, judged by `sfn-resume verify`): the
    states use them, with exactly the values they name (DynamoDB refuses unused ones)."""
    states = asl.pause_definition()["States"]
    store = states["StoreToken"]
    assert store["Resource"] == "${DynamoDbPutItem}"
    assert store["Arguments"]["ConditionExpression"] == conditions.STORE_TOKEN.dynamodb
    assert store["Arguments"]["ExpressionAttributeNames"] == {"#token": "token"}  # DynamoDB reserves `token`
    assert sorted(store["Arguments"]["Item"]) == ["executionId", "expiresAt", "expiresAtMs", "id", "pausedAtMs", "token"]
    assert store["Catch"][0] == {"ErrorEquals": ["DynamoDb.ConditionalCheckFailedException"],
                                 "Next": "ClaimEvent", "Output": "{% $states.input %}"}
    for name, condition in (("ClaimEvent", conditions.CLAIM_EVENT), ("TakeBack", conditions.TAKE_BACK),
                            ("ReleaseToken", conditions.RELEASE_TOKEN)):
        assert states[name]["Arguments"]["ConditionExpression"] == condition.dynamodb, name
    for name, task in _tasks(asl.pause_definition()).items():
        arguments = task["Arguments"]
        if "ConditionExpression" in arguments:
            assert set(arguments["ExpressionAttributeValues"]) == _values_named(arguments), name
    # refused twice: read the item, and take the write whose condition it meets
    assert states["ClaimEvent"]["Catch"][0]["Next"] == "ReadHolder"
    assert states["ReadHolder"]["Next"] == "WhatNext"
    assert {choice["Next"] for choice in states["WhatNext"]["Choices"]} | {states["WhatNext"]["Default"]} == {
        "PauseContended", "StoreToken", "ClaimEvent", "HolderClosed", "JobIdInUse"}


def test_a_read_chooses_the_write_whose_condition_the_item_meets():
    """ReadHolder's choice is the conditions rendered in JSONata: on an item as GetItem returns it."""
    output = asl.pause_definition()["States"]["ReadHolder"]["Output"]
    given = {"jobId": "j", "token": "t2", "timeoutSeconds": 60, "enteredTime": "2026-01-01T00:00:00.000Z",
             "retryCount": 0, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": "x1"}
    paused_at = 1_767_225_600_000

    def chosen(item):
        return jsonata(output, input=given, result={"Item": item} if item else {})["next"]

    assert chosen(None) == "StoreToken"
    early = {"id": {"S": "j"}, "outcome": {"S": "SUCCEEDED"}, "eventId": {"S": "e"}}
    assert chosen({**early, "expiresAtMs": {"N": str(paused_at + 1)}}) == "ClaimEvent"
    assert chosen({**early, "expiresAtMs": {"N": str(paused_at)}}) == "StoreToken"  # ended as the pause began
    waiting = {"id": {"S": "j"}, "token": {"S": "t1"}, "expiresAtMs": {"N": str(paused_at + 1)}}
    assert chosen(waiting) == "JobIdInUse"
    handed = {**early, "token": {"S": "t1"}, "executionId": {"S": "x1"}, "handedOverAtMs": {"N": "1"},
              "expiresAtMs": {"N": str(paused_at + 1)}}
    assert chosen(handed) == "HolderClosed"  # this execution's earlier pause: take it back once its token is closed
    assert chosen({**handed, "executionId": {"S": "x2"}}) == "JobIdInUse"
    assert chosen({**handed, "token": {"S": "t2"}}) == "ClaimEvent"  # its own hand-over


def test_no_shipped_expression_uses_a_function_an_engine_stubs():
    # LocalStack's JSONata has `$hash` as a stub returning a constant text: a pause is known by its token instead
    text = json.dumps([asl.pause_definition(), asl.resume_definition(), asl.fail_definition()])
    assert "$hash" not in text and "tokenHash" not in text


def test_every_pause_machine_error_it_cannot_handle_fails_the_pause_at_once():
    states = asl.pause_definition()["States"]
    for name, task in _tasks(asl.pause_definition()).items():
        if name not in ("FailThePause", "FailWithoutCause"):
            assert "States.ALL" in {error for catcher in task["Catch"] for error in catcher["ErrorEquals"]}, name
    [caught] = [c for c in states["StoreToken"]["Catch"] if c["ErrorEquals"] == ["States.ALL"]]
    assert caught["Next"] == "ReleaseToken" and states["ReleaseToken"]["Next"] == "FailThePause"
    failing = jsonata(caught["Output"], input={"token": "t"}, errorOutput={"Error": "DynamoDb.ResourceNotFoundException",
                                                                            "Cause": "no table"})
    assert failing == {"token": "t", "error": "SfnResume.PauseFailed",
                       "cause": "DynamoDb.ResourceNotFoundException: no table"}
    fail = states["FailThePause"]
    assert fail["Resource"] == "${SfnSendTaskFailure}"
    assert fail["Arguments"]["Cause"] == "{% $substring($states.input.cause, 0, 32768) %}"


def test_an_early_failure_event_fails_the_pause_with_its_detail():
    claim = asl.pause_definition()["States"]["ClaimEvent"]
    failed = jsonata(claim["Output"], input={"token": "t"}, result={"Attributes": {
        "outcome": {"S": "FAILED"}, "event": {"S": json.dumps({"detail": {"jobStatus": "FAILED"}})}}})
    assert failed == {"token": "t", "error": "SfnResume.JobFailed", "cause": '{"jobStatus":"FAILED"}'}
    succeeded = jsonata(claim["Output"], input={"token": "t"}, result={"Attributes": {
        "outcome": {"S": "SUCCEEDED"}, "event": {"S": "{}"}}})
    assert succeeded == {"token": "t", "event": "{}"}


@pytest.mark.parametrize("definition, send, outcome", [
    (asl.resume_definition(), "SendTaskSuccess", asl.SUCCEEDED),  # success events: the resume machine
    (asl.fail_definition(), "FailThePause", asl.FAILED),  # failure events: the fail machine
])
def test_an_event_is_handed_over_in_two_states_and_duplicates_end_already_handled(definition, send, outcome):
    states = definition["States"]
    claim = states["ClaimToken"]
    assert definition["StartAt"] == "ClaimToken"
    assert claim["Next"] == send and states[send]["End"] is True  # ClaimToken → send: 2 states
    assert claim["Arguments"]["ConditionExpression"] == conditions.CLAIM_TOKEN.dynamodb
    assert claim["Arguments"]["UpdateExpression"] == conditions.CLAIM_TOKEN_UPDATE
    assert claim["Arguments"]["ExpressionAttributeValues"][":outcome"] == {"S": f"{{% '{outcome}' %}}"}
    assert set(claim["Arguments"]["ExpressionAttributeValues"]) == _values_named(claim["Arguments"])
    assert claim["Arguments"]["ReturnValues"] == "ALL_NEW"
    assert claim["Catch"][0]["Next"] == "StoreEarlyEvent"
    assert states["StoreEarlyEvent"]["Arguments"]["ConditionExpression"] == conditions.STORE_EARLY_EVENT.dynamodb
    assert states["StoreEarlyEvent"]["Arguments"]["Item"]["outcome"] == {"S": outcome}
    assert states["StoreEarlyEvent"]["Catch"][0]["Next"] == "ReadHolder"
    assert {choice["Next"] for choice in states["WhatNext"]["Choices"]} | {states["WhatNext"]["Default"]} == {
        "HandOverContended", "StoreEarlyEvent", "ClaimTokenAgain", "AlreadyHandled"}
    assert states["AlreadyHandled"]["Type"] == states["PauseAlreadyClosed"]["Type"] == "Succeed"
    assert states[send]["Catch"][0] == {
        "ErrorEquals": ["Sfn.TaskTimedOutException", "Sfn.InvalidTokenException", "Sfn.TaskDoesNotExistException"],
        "Next": "PauseAlreadyClosed", "Output": "{% $states.input %}"}


def test_the_pause_machine_takes_no_event_and_answers_only_its_own_token():
    """0.3's pause machine took failure events (any workflow could fail another's pause): 0.4's answers only the token
    it is given."""
    definition = asl.pause_definition()
    assert definition["StartAt"] == "StoreToken"
    for name, task in _tasks(definition).items():
        if task["Resource"] in ("${SfnSendTaskSuccess}", "${SfnSendTaskFailure}"):
            assert task["Arguments"]["TaskToken"] == "{% $states.input.token %}", name


def test_a_failure_event_fails_the_pause_with_its_detail_as_cause():
    claim = asl.fail_definition()["States"]["ClaimToken"]
    attributes = {"token": {"S": "t"}, "event": {"S": json.dumps({"detail": {"jobStatus": "FAILED"}})}}
    sent = jsonata(claim["Output"], input={}, result={"Attributes": attributes})
    assert sent == {"token": "t", "error": "SfnResume.JobFailed", "cause": '{"jobStatus":"FAILED"}'}
    # `sfn-resume fail` gives its own error and cause
    given = jsonata(claim["Output"], input={"error": "Ops.Lost", "cause": "lost"}, result={"Attributes": attributes})
    assert given == {"token": "t", "error": "Ops.Lost", "cause": "lost"}


@pytest.mark.parametrize("job_id, key", [
    ("j-1", "j-1"), (42, "42"),
    (None, None),  # a path that finds nothing: the rule's InputTransformer gives null
])
def test_the_job_id_key_refuses_null(job_id, key):
    expression = asl.resume_definition()["States"]["ClaimToken"]["Arguments"]["Key"]["id"]["S"]
    if key is None:
        with pytest.raises(Exception, match="the job id path found no value"):
            jsonata(expression, input={"jobId": job_id})
    else:
        assert jsonata(expression, input={"jobId": job_id}) == key


def _delivered(event: dict) -> dict:
    """The event as the claim keeps it (and the send delivers it)."""
    text = asl.resume_definition()["States"]["ClaimToken"]["Arguments"]["ExpressionAttributeValues"][":event"]["S"]
    return json.loads(jsonata(text, input={"jobId": "j", "event": event}))


@pytest.mark.parametrize("report", [
    "x" * asl.MAX_EVENT_BYTES,  # one byte a character
    "\u00e9" * (asl.MAX_EVENT_BYTES // 2),  # é: two bytes a character, half as many characters
    "\u30b8" * (asl.MAX_EVENT_BYTES // 3),  # ジ: three bytes
])
def test_a_large_event_is_delivered_with_its_detail_trimmed(report):
    big = {"id": "e", "detail": {"report": report}}
    assert _delivered(big) == {"id": "e", "detail": {"sfnResumeTruncated": True, "length": asl.event_bytes(big),
                                                      "jobId": "j"}}
    small = {"id": "e", "detail": {"report": report[:len(report) // 2 - 20]}}
    assert _delivered(small) == small


@pytest.mark.parametrize("report", [
    "x" * (asl.MAX_EVENT_BYTES // 4 - 100),  # measured by the cheap bound alone: under a quarter of the limit
    "x" * (asl.MAX_EVENT_BYTES - 100),  # past the bound, measured: under the limit
    "\u30b8" * (asl.MAX_EVENT_BYTES // 3 - 100),  # near the limit in bytes
    "😀" * (asl.MAX_EVENT_BYTES // 4 - 100),  # 4 bytes each, 2 UTF-16 units
])
def test_an_event_under_the_limit_is_delivered_whole(report):
    event = {"id": "e", "detail": {"report": report}}
    assert asl.event_bytes(event) <= asl.MAX_EVENT_BYTES
    assert _delivered(event) == event


@pytest.mark.parametrize("value", [
    "abc", "é", "ジ", "😀", 'a "quoted" \\ back', "", [], {}, [1, "x", None, True], {"a": {"b": [1.5, "ジ😀"]}},
    {"id": "e", "detail": {"jobId": "j-1", "text": "日本語のテキスト" * 3, "n": 12, "ok": False}},
])
def test_the_size_check_counts_utf8_bytes_of_the_json_text(value):
    # measured on the strings themselves: the same whether an engine's $string escapes non-ASCII or not
    size = jsonata(f"({asl._SIZE_FUNCTIONS}; $jsonBytes({json.dumps(value, ensure_ascii=False)}))")
    assert size == asl.event_bytes(value)


@pytest.mark.parametrize("definition", [asl.resume_definition(), asl.fail_definition(), asl.pause_definition()],
                         ids=["resume", "fail", "pause"])
def test_every_task_retries_transient_errors_with_backoff(definition):
    for name, task in _tasks(definition).items():
        (retry,) = task["Retry"]
        assert retry["MaxAttempts"] == 6 and retry["JitterStrategy"] == "FULL", name
        assert not {"DynamoDb.ConditionalCheckFailedException", "States.ALL"} & set(retry["ErrorEquals"]), name


@pytest.mark.parametrize("retry_count, paused_at_ms", [
    (0, 1_700_000_000_123),  # the state's EnteredTime: the item expires with the Task's own timeout
    (1, None),  # a retry started later: from now
])
def test_a_pause_item_expires_timeout_seconds_after_the_pause_began(retry_count, paused_at_ms):
    item = asl.pause_definition()["States"]["StoreToken"]["Arguments"]["Item"]
    given = {"timeoutSeconds": 60, "enteredTime": "2023-11-14T22:13:20.123Z", "retryCount": retry_count}
    retention = 100  # EventRetentionSeconds, as DefinitionSubstitutions fills it in
    at = {name: int(jsonata(item[name]["N"].replace("${EventRetentionSeconds}", str(retention)), input=given))
          for name in ("pausedAtMs", "expiresAt", "expiresAtMs")}
    if paused_at_ms:
        assert at["pausedAtMs"] == paused_at_ms
    else:
        assert abs(at["pausedAtMs"] - time.time() * 1000) < 5000
    # each field reads the clock on its own (a retried pause's fields may differ by a millisecond or two)
    assert 0 <= at["expiresAtMs"] - (at["pausedAtMs"] + 60_000) < 50
    # TTL keeps the item twice the retention past its timeout (a late event, then a re-pause taking it back): whole
    # seconds, rounded up
    assert 0 <= at["expiresAt"] * 1000 - (at["expiresAtMs"] + 2 * retention * 1000) < 1000 + 50


def test_optimized_dynamodb_wait_is_rejected():
    # AWS refuses this resource ("not recognized"); neither cfn-lint nor moto notices, so we must.
    state = {"Type": "Task", "Resource": OPTIMIZED_WAIT, "End": True}
    assert asl.unsupported_resources({"StartAt": "S", "States": {"S": state}}) == [
        f"S: {OPTIMIZED_WAIT}: DynamoDB supports .waitForTaskToken only through the AWS SDK integration "
        "(arn:<partition>:states:::aws-sdk:dynamodb:putItem.waitForTaskToken)"
    ]


@pytest.mark.parametrize("path", INSTANCE_TEMPLATES, ids=lambda p: p.name)
def test_committed_templates_use_no_unsupported_resource(path):
    template = load_yaml(path)
    definitions = [r["Properties"]["Definition"] for r in template["Resources"].values()
                   if r["Type"] == "AWS::StepFunctions::StateMachine"]
    for key, output in template["Outputs"].items():
        if "PauseState" in key and not key.endswith("Arn"):
            text = output["Value"]["Fn::Sub"]
            text = text[0] if isinstance(text, list) else text
            # Placeholders standing for JSON values (numbers, ResultPath) lack quotes: fill them.
            text = re.sub(r'(?<=: )\$\{\w+\}', "0", text)
            definitions.append({"StartAt": "P", "States": {"P": json.loads(text)}})
    # the pause and resume machines and two pause states an instance, and a fail machine where it has a fail rule
    kinds = [r["Type"] for r in template["Resources"].values()]
    instances, fail_rules = kinds.count("AWS::DynamoDB::Table"), sum(key.endswith("FailRule") for key in template["Resources"])
    assert len(definitions) == 4 * instances + fail_rules
    assert all(asl.unsupported_resources(d) == [] for d in definitions)


def test_sdk_actions_derive_iam_actions():
    # a placeholder counts as the action it stands for, a literal ARN as its own; the machines' own sets are in
    # tests/test_iam.py, beside their roles
    definition = {"StartAt": "Read", "States": {
        "Read": {"Type": "Task", "Resource": "${DynamoDbGetItem}", "Next": "Beat"},
        "Beat": {"Type": "Task", "Resource": "arn:aws-cn:states:::aws-sdk:sfn:sendTaskHeartbeat", "End": True}}}
    assert asl.sdk_actions(definition) == {"dynamodb:GetItem", "states:SendTaskHeartbeat"}
