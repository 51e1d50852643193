"""Step Functions' 256 KiB limits, one byte under and one byte over, on every engine, with plain state machines.

AWS: a state's input and output and a task's result are at most 262,144 bytes of UTF-8 ("256 KiB of data as a UTF-8
encoded string", Step Functions service quotas); over it the state fails with `States.DataLimitExceeded`, "a
terminal error that can't be caught by the States.ALL error type" (error handling); SendTaskSuccess refuses an
`output` over 262,144 bytes with `InvalidOutput` (API Reference) and the task keeps waiting. A size is that of the
compact JSON text (docs/EMULATOR.md, gap 26). The machines here are the tests' own: the limits are the engines',
whatever the protocol's machines do with them (tests/e2e/test_scenarios.py trims large events).
"""
from __future__ import annotations

import json
import time

import pytest

from sfn_resume.local.bridges_stepfunctions import MAX_PAYLOAD_BYTES
from sfn_resume.local.stacks import wait_for_execution, wait_for_state

from .conftest import uid

pytestmark = pytest.mark.timeout(120)

#: What a payload `{"p":"x...x"}` adds to its string.
WRAPPER = len('{"p":""}')
#: What LocalStack 4.14.0 does otherwise (docs/LOCALSTACK.md): the steps it cannot show are skipped there.
LOCALSTACK_MEASURES_SPACED = ("LocalStack measures state data as JSON written with a space after each ',' and ':' "
                              "and refuses 262,144 bytes itself: a payload a byte under the limit fails")
LOCALSTACK_CATCHES_IT = "LocalStack's States.ALL catches States.DataLimitExceeded: the run goes on to the Catch"
LOCALSTACK_TAKES_IT = "LocalStack's SendTaskSuccess takes an output of any size"

#: The sizes tried, and whether each is within the limit.
SIZES = [pytest.param(MAX_PAYLOAD_BYTES - 1, True, id="limit-1"), pytest.param(MAX_PAYLOAD_BYTES + 1, False, id="limit+1")]


def _machine(emulator, states: dict, start_at: str, account: str) -> str:
    definition = {"StartAt": start_at, "States": states}
    return emulator.client("stepfunctions").create_state_machine(
        name=f"limits-{uid()}", definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{account}:role/sfn-resume-limits")["stateMachineArn"]


@pytest.fixture
def account(emulator) -> str:
    """The engine's account (moto's 123456789012, LocalStack's 000000000000), from the caller's identity."""
    return emulator.client("sts").get_caller_identity()["Account"]


@pytest.fixture
def table(emulator) -> str:
    name = f"limits-{uid()}"
    dynamodb = emulator.client("dynamodb")
    dynamodb.create_table(TableName=name, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    return name


def _run(emulator, machine: str, given: dict) -> dict:
    sfn = emulator.client("stepfunctions")
    return wait_for_execution(sfn, sfn.start_execution(stateMachineArn=machine, input=json.dumps(given))["executionArn"],
                              timeout=60)


@pytest.mark.parametrize("size, within", SIZES)
def test_a_state_output(emulator, account, size, within):
    if emulator.mode == "localstack" and within:
        pytest.skip(LOCALSTACK_MEASURES_SPACED)
    # a Pass state writes {"p": "x" * n}: its output (and the execution's) is `size` bytes
    machine = _machine(emulator, {"Write": {"Type": "Pass", "QueryLanguage": "JSONata", "End": True,
                                            "Output": "{% {'p': $pad('', $states.input.n, 'x')} %}"}},
                       "Write", account)
    done = _run(emulator, machine, {"n": size - WRAPPER})
    if within:
        assert done["status"] == "SUCCEEDED", done
        assert json.loads(done["output"]) == {"p": "x" * (size - WRAPPER)}
    else:
        assert (done["status"], done.get("error")) == ("FAILED", "States.DataLimitExceeded")


@pytest.mark.parametrize("size, within", SIZES)
def test_a_task_result_is_not_caught_by_states_all(emulator, account, table, size, within):
    if emulator.mode == "localstack":
        pytest.skip(LOCALSTACK_MEASURES_SPACED if within else LOCALSTACK_CATCHES_IT)
    # GetItem of an item sized so that the task's result, {"Item":{"id":{"S":...},"p":{"S":"x..."}}}, is `size` bytes
    key = f"item-{size}"
    result_without_text = len(json.dumps({"Item": {"id": {"S": key}, "p": {"S": ""}}}, separators=(",", ":")))
    emulator.client("dynamodb").put_item(TableName=table, Item={"id": {"S": key},
                                                                "p": {"S": "x" * (size - result_without_text)}})
    machine = _machine(emulator, {
        "Read": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                 "Parameters": {"TableName": table, "Key": {"id": {"S": key}}}, "ResultSelector": {"read": True},
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True}}, "Read", account)
    done = _run(emulator, machine, {})
    if within:
        assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"read": True})
    else:  # the Catch does not take it: the run fails
        assert (done["status"], done.get("error")) == ("FAILED", "States.DataLimitExceeded")


def test_send_task_success_output(emulator, account, table):
    if emulator.mode == "localstack":
        pytest.skip(LOCALSTACK_TAKES_IT)
    sfn = emulator.client("stepfunctions")
    machine = _machine(emulator, {"Wait": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem.waitForTaskToken", "TimeoutSeconds": 60,
        "Parameters": {"TableName": table, "Item": {"id": {"S": "waiting"}, "token": {"S.$": "$$.Task.Token"}}},
        "ResultSelector": {"p.$": "$.p"}, "End": True}}, "Wait", account)
    run = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    wait_for_state(sfn, run, "Wait")
    deadline = time.monotonic() + 10
    while "Item" not in (found := emulator.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "waiting"}})):
        assert time.monotonic() < deadline, "no token stored"
        time.sleep(0.05)
    token = found["Item"]["token"]["S"]

    def output(size: int) -> str:
        return json.dumps({"p": "x" * (size - WRAPPER)}, separators=(",", ":"))

    with pytest.raises(sfn.exceptions.InvalidOutput):
        sfn.send_task_success(taskToken=token, output=output(MAX_PAYLOAD_BYTES + 1))
    sfn.send_task_success(taskToken=token, output=output(MAX_PAYLOAD_BYTES - 1))  # the task was still waiting
    done = wait_for_execution(sfn, run, timeout=60)
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"p": "x" * (MAX_PAYLOAD_BYTES - 1 - WRAPPER)})
