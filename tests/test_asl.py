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


def test_pause_machine_stores_the_token_unless_a_live_token_an_event_or_its_own_hand_over_holds_the_id():
    states = asl.pause_definition()["States"]
    store = states["StoreToken"]
    assert store["Resource"] == "${DynamoDbPutItem}"
    assert store["Arguments"]["ConditionExpression"] == (
        "attribute_not_exists(#token) AND attribute_not_exists(event) OR expiresAtMs < :nowMs OR "
        "(attribute_exists(handedOverAtMs) AND #token <> :token) OR "
        "(attribute_not_exists(handedOverAtMs) AND #token = :token)")
    assert store["Arguments"]["ExpressionAttributeNames"] == {"#token": "token"}  # DynamoDB reserves `token`
    assert sorted(store["Arguments"]["Item"]) == ["executionId", "expiresAt", "expiresAtMs", "id", "pausedAtMs", "token"]
    assert store["Catch"][0] == {"ErrorEquals": ["DynamoDb.ConditionalCheckFailedException"],
                                 "Next": "ClaimEarlyEvent", "Output": "{% $states.input %}"}
    claim = states["ClaimEarlyEvent"]["Arguments"]
    # a live early event nobody claimed, or what this pause claimed already (a repeated run: claimed again)
    assert claim["ConditionExpression"] == (
        "#token = :token OR (attribute_exists(event) AND attribute_not_exists(handedOverAtMs) AND "
        "expiresAtMs >= :nowMs)")
    # the event stays in the item until the answer is sent: a repeat finds it again
    assert claim["UpdateExpression"] == (
        "SET #token = :token, executionId = :executionId, handedOverAtMs = if_not_exists(handedOverAtMs, :nowMs)")
    assert claim["ReturnValues"] == "ALL_NEW"
    assert states["ClaimEarlyEvent"]["Catch"][0]["Next"] == "FailThePause"  # another pause's: JobIdInUse


def test_no_shipped_expression_uses_a_function_an_engine_stubs():
    # LocalStack's JSONata has `$hash` as a stub returning a constant text: a pause is known by its token instead
    text = json.dumps([asl.pause_definition(), asl.resume_definition()])
    assert "$hash" not in text and "tokenHash" not in text


def test_every_pause_machine_error_it_cannot_handle_fails_the_pause_at_once():
    states = asl.pause_definition()["States"]
    for name, task in _tasks(asl.pause_definition()).items():
        if name != "FailThePause":
            catchers = {error for catcher in task["Catch"] for error in catcher["ErrorEquals"]}
            assert catchers & {"States.ALL", "DynamoDb.ConditionalCheckFailedException"}, name
    [caught] = [c for c in states["StoreToken"]["Catch"] if c["ErrorEquals"] == ["States.ALL"]]
    assert caught["Next"] == "FailThePause"
    failing = jsonata(caught["Output"], input={"token": "t"}, errorOutput={"Error": "DynamoDb.ResourceNotFoundException",
                                                                            "Cause": "no table"})
    assert failing == {"token": "t", "error": "SfnResume.PauseFailed",
                       "cause": "DynamoDb.ResourceNotFoundException: no table"}
    fail = states["FailThePause"]
    assert fail["Resource"] == "${SfnSendTaskFailure}"
    assert fail["Arguments"]["Cause"] == "{% $substring($states.input.cause, 0, 32768) %}"


def test_an_early_failure_event_fails_the_pause_with_its_detail():
    claim = asl.pause_definition()["States"]["ClaimEarlyEvent"]
    failed = jsonata(claim["Output"], input={"token": "t"}, result={"Attributes": {
        "outcome": {"S": "FAILED"}, "event": {"S": json.dumps({"detail": {"jobStatus": "FAILED"}})}}})
    assert failed == {"token": "t", "error": "SfnResume.JobFailed", "cause": '{"jobStatus":"FAILED"}'}
    succeeded = jsonata(claim["Output"], input={"token": "t"}, result={"Attributes": {
        "outcome": {"S": "SUCCEEDED"}, "event": {"S": "{}"}}})
    assert succeeded == {"token": "t", "event": "{}"}


@pytest.mark.parametrize("definition, send", [
    (asl.resume_definition(), "SendTaskSuccess"),  # success events: the resume machine
    (asl.pause_definition(), "FailThePause"),  # failure events: the pause machine, from PauseOrFailureEvent
])
def test_an_event_is_handed_over_in_two_states_and_duplicates_end_already_handled(definition, send):
    states = definition["States"]
    claim = states["ClaimToken"]
    assert claim["Next"] == send and states[send]["End"] is True  # ClaimToken → send: 2 states
    # a waiting pause, or the token this very event claimed before (a repeated run, a redelivery: sent again)
    assert claim["Arguments"]["ConditionExpression"] == (
        "attribute_exists(#token) AND (attribute_not_exists(handedOverAtMs) OR eventId = :eventId)")
    # the token stays in the item: the claim records who took it (eventId), what it was (outcome), when, and the
    # pause's own expiry (a hand-over after it was a late event)
    assert claim["Arguments"]["UpdateExpression"] == (
        "SET eventId = :eventId, outcome = :outcome, pauseExpiresAtMs = if_not_exists(pauseExpiresAtMs, expiresAtMs), "
        "handedOverAtMs = if_not_exists(handedOverAtMs, :nowMs), expiresAt = :expiresAt, expiresAtMs = :expiresAtMs")
    assert claim["Arguments"]["ExpressionAttributeValues"][":outcome"] == {
        "S": asl.SUCCEEDED if send == "SendTaskSuccess" else asl.FAILED}
    assert claim["Arguments"]["ReturnValues"] == "ALL_NEW"
    assert claim["Catch"][0]["Next"] == "StoreEarlyEvent"
    assert states["StoreEarlyEvent"]["Catch"][0]["Next"] == "ClaimTokenAgain"
    assert states["ClaimTokenAgain"]["Catch"][0]["Next"] == "AlreadyHandled"
    assert states["AlreadyHandled"]["Type"] == states["PauseAlreadyClosed"]["Type"] == "Succeed"
    assert states[send]["Catch"][0] == {
        "ErrorEquals": ["Sfn.TaskTimedOutException", "Sfn.InvalidTokenException", "Sfn.TaskDoesNotExistException"],
        "Next": "PauseAlreadyClosed", "Output": "{% $states.input %}"}


def test_the_resume_machine_starts_with_its_claim_and_the_pause_machine_with_a_choice():
    assert asl.resume_definition()["StartAt"] == "ClaimToken"
    choice = asl.pause_definition()["States"]["PauseOrFailureEvent"]
    assert choice["Choices"] == [{"Condition": "{% $exists($states.input.event) %}", "Next": "ClaimToken"}]
    assert choice["Default"] == "StoreToken"


def test_a_failure_event_fails_the_pause_with_its_detail_as_cause():
    claim = asl.pause_definition()["States"]["ClaimToken"]
    sent = jsonata(claim["Output"], input={"event": {"detail": {"jobStatus": "FAILED"}}},
                   result={"Attributes": {"token": {"S": "t"}}})
    assert sent == {"token": "t", "error": "SfnResume.JobFailed", "cause": '{"jobStatus":"FAILED"}'}
    stored = asl.pause_definition()["States"]["StoreEarlyEvent"]["Arguments"]["Item"]
    assert stored["outcome"] == {"S": "FAILED"}


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


@pytest.mark.parametrize("report", [
    "x" * asl.MAX_EVENT_BYTES,  # one byte a character
    "\u00e9" * (asl.MAX_EVENT_BYTES // 2),  # é: two bytes a character, half as many characters
    "\u30b8" * (asl.MAX_EVENT_BYTES // 3),  # ジ: three bytes
])
def test_a_large_event_is_delivered_with_its_detail_trimmed(report):
    output = asl.resume_definition()["States"]["SendTaskSuccess"]["Arguments"]["Output"]
    big = {"id": "e", "detail": {"report": report}}
    delivered = json.loads(jsonata(output, input={"jobId": "j", "event": big}))
    assert delivered == {"id": "e", "detail": {"sfnResumeTruncated": True, "length": asl.event_bytes(big),
                                                "jobId": "j"}}
    small = {"id": "e", "detail": {"report": report[:len(report) // 2 - 20]}}
    assert json.loads(jsonata(output, input={"jobId": "j", "event": small})) == small


@pytest.mark.parametrize("report", [
    "x" * (asl.MAX_EVENT_BYTES // 4 - 100),  # measured by the cheap bound alone: under a quarter of the limit
    "x" * (asl.MAX_EVENT_BYTES - 100),  # past the bound, measured: under the limit
    "\u30b8" * (asl.MAX_EVENT_BYTES // 3 - 100),  # near the limit in bytes
    "😀" * (asl.MAX_EVENT_BYTES // 4 - 100),  # 4 bytes each, 2 UTF-16 units
])
def test_an_event_under_the_limit_is_delivered_whole(report):
    output = asl.resume_definition()["States"]["SendTaskSuccess"]["Arguments"]["Output"]
    event = {"id": "e", "detail": {"report": report}}
    assert asl.event_bytes(event) <= asl.MAX_EVENT_BYTES
    assert json.loads(jsonata(output, input={"jobId": "j", "event": event})) == event


@pytest.mark.parametrize("value", [
    "abc", "é", "ジ", "😀", 'a "quoted" \\ back', "", [], {}, [1, "x", None, True], {"a": {"b": [1.5, "ジ😀"]}},
    {"id": "e", "detail": {"jobId": "j-1", "text": "日本語のテキスト" * 3, "n": 12, "ok": False}},
])
def test_the_size_check_counts_utf8_bytes_of_the_json_text(value):
    # measured on the strings themselves: the same whether an engine's $string escapes non-ASCII or not
    size = jsonata(f"({asl._SIZE_FUNCTIONS}; $jsonBytes({json.dumps(value, ensure_ascii=False)}))")
    assert size == asl.event_bytes(value)


@pytest.mark.parametrize("definition", [asl.resume_definition(), asl.pause_definition()], ids=["resume", "pause"])
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
    at = {name: int(jsonata(item[name]["N"], input=given)) for name in ("pausedAtMs", "expiresAt", "expiresAtMs")}
    if paused_at_ms:
        assert at["pausedAtMs"] == paused_at_ms
    else:
        assert abs(at["pausedAtMs"] - time.time() * 1000) < 5000
    # each field reads the clock on its own (a retried pause's fields may differ by a millisecond or two)
    assert 0 <= at["expiresAtMs"] - (at["pausedAtMs"] + 60_000) < 50
    assert 0 <= at["expiresAt"] * 1000 - at["expiresAtMs"] < 1000 + 50  # TTL: whole seconds, rounded up


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
