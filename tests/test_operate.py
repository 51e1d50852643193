"""sfn_resume/operate.py without an emulator: stack outputs, item shapes, times. tests/e2e/test_operate.py runs the
commands against `sfn-resume local`."""

import json

import pytest

from sfn_resume import asl
from sfn_resume.operate import (
    EARLY_EVENT,
    EXPIRED,
    HANDED_OVER,
    UNKNOWN,
    WAITING_PAUSE,
    Instance,
    OperateError,
    event_retention_ms,
    execution_name,
    find_instance,
    job_line,
    read_job,
)

ARN = "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:SfnResume-Translate_1"
NOW = 1_800_000_000_000
RETENTION = 86_400_000


class FakeCloudFormation:
    """`aws.client("cloudformation")` answering describe_stacks with the given outputs."""

    def __init__(self, outputs: dict) -> None:
        self.outputs = outputs

    def client(self, service: str):
        return self

    def describe_stacks(self, StackName: str) -> dict:  # noqa: N803 (boto3's name)
        return {"Stacks": [{"Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]}]}


def _outputs(prefix: str = "", suffix: str = "Translate_1") -> dict:
    return {f"{prefix}TableName": f"SfnResume-{suffix}", f"{prefix}ResumeStateMachineArn": ARN.replace("Translate_1", suffix),
            f"{prefix}DeadLetterQueueUrl": f"https://sqs.cn-north-1.amazonaws.com.cn/123456789012/SfnResume-{suffix}-DLQ",
            f"{prefix}PauseState": "{}"}


def test_an_instance_is_known_by_its_outputs_and_its_names_by_its_resume_machine():
    instance = find_instance(FakeCloudFormation(_outputs()), "s")
    assert instance == Instance("s", "SfnResume-Translate_1", ARN, _outputs()["DeadLetterQueueUrl"])
    assert (instance.name_suffix, instance.alarm_prefix, instance.queue_name) == (
        "Translate_1", "SfnResume-Translate_1-", "SfnResume-Translate_1-DLQ")
    assert instance.rule_arns == ("arn:aws-cn:events:cn-north-1:123456789012:rule/SfnResume-Translate_1",
                                  "arn:aws-cn:events:cn-north-1:123456789012:rule/SfnResume-Translate_1-Fail")


def test_a_stack_of_several_instances_needs_instance():
    # a config-built template prefixes each instance's outputs with its logical prefix
    stack = FakeCloudFormation({**_outputs("Translate1", "Translate_1"), **_outputs("Transcribe", "Transcribe")})
    with pytest.raises(OperateError) as several:
        find_instance(stack, "two")
    assert several.value.problems == ["--instance: stack 'two' holds 2 instances; choose one of Transcribe, Translate_1"]
    assert find_instance(stack, "two", "Translate_1").table_name == "SfnResume-Translate_1"
    with pytest.raises(OperateError, match="--instance: 'Nope' is not in stack 'two'; choose one of Transcribe, "):
        find_instance(stack, "two", "Nope")


def test_a_stack_without_the_outputs_is_not_an_instance():
    outputs = {key: value for key, value in _outputs().items() if key != "DeadLetterQueueUrl"}
    with pytest.raises(OperateError, match="'s' is not an sfn-resume stack: it has no TableName, ResumeStateMachineArn, "
                                           "DeadLetterQueueUrl outputs"):
        find_instance(FakeCloudFormation(outputs), "s")


def test_the_event_retention_is_read_from_the_deployed_resume_machine():
    definition = json.dumps(asl.resume_definition()).replace("${EventRetentionSeconds}", "3600")
    assert event_retention_ms(definition) == 3_600_000
    assert event_retention_ms(json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})) is None


def _s(value: str) -> dict:
    return {"S": value}


def _n(value: int) -> dict:
    return {"N": str(value)}


PAUSE = {"id": _s("j"), "token": _s("t"), "tokenHash": _s("h"), "executionId": _s("arn:x"), "pausedAtMs": _n(NOW - 5000),
         "expiresAt": _n(NOW // 1000 + 60), "expiresAtMs": _n(NOW + 60_000)}
EARLY = {"id": _s("j"), "event": _s(json.dumps({"id": "e", "time": "2027-01-15T08:00:00Z"})), "outcome": _s("FAILED"),
         "eventId": _s("e"), "expiresAt": _n(NOW // 1000 + 60), "expiresAtMs": _n(NOW + 60_000)}
# the resume machine's ClaimToken keeps what identifies the pause and sets a new expiry
HANDED = {"id": _s("j"), "tokenHash": _s("h"), "executionId": _s("arn:x"), "pausedAtMs": _n(NOW - 5000),
          "eventId": _s("e"), "expiresAt": _n(NOW // 1000 + 60), "expiresAtMs": _n(NOW + 60_000)}
# the pause machine's ClaimEarlyEvent keeps the early event's expiry and adds no pausedAtMs
CLAIMED_EARLY = {"id": _s("j"), "tokenHash": _s("h"), "executionId": _s("arn:x"), "eventId": _s("e"),
                 "expiresAt": _n(NOW // 1000 + 60), "expiresAtMs": _n(NOW + 60_000)}
PAUSE_01 = {"id": _s("j"), "token": _s("t"), "expiresAt": _n(NOW // 1000 + 60), "expiresAtMs": _n(NOW + 60_000)}


@pytest.mark.parametrize("item, expected", [
    (PAUSE, dict(state=WAITING_PAUSE, paused_at_ms=NOW - 5000, execution_id="arn:x")),
    (EARLY, dict(state=EARLY_EVENT, outcome="FAILED", event_id="e", event_time="2027-01-15T08:00:00Z",
                 stored_at_ms=NOW + 60_000 - RETENTION)),
    (HANDED, dict(state=HANDED_OVER, handed_over_at_ms=NOW + 60_000 - RETENTION, event_came_first=False)),
    (CLAIMED_EARLY, dict(state=HANDED_OVER, stored_at_ms=NOW + 60_000 - RETENTION, handed_over_at_ms=None,
                         event_came_first=True)),
    (PAUSE_01, dict(state=WAITING_PAUSE, paused_at_ms=None, execution_id=None)),  # 0.1 recorded neither
    (dict(PAUSE, expiresAtMs=_n(NOW - 1)), dict(state=EXPIRED, was=WAITING_PAUSE)),  # TTL has not deleted it yet
    (None, dict(state=UNKNOWN, expires_at_ms=None)),
])
def test_read_job(item, expected):
    job = read_job("j", item, NOW, RETENTION)
    assert {key: getattr(job, key) for key in expected} == expected


def test_job_lines_say_what_the_item_tells_and_what_it_does_not():
    assert job_line(read_job("j", PAUSE_01, NOW, RETENTION), NOW) == (
        "j: a pause is waiting, since an unknown time, until 2027-01-15T08:01:00Z (in 60 s), for an execution not "
        "recorded (a 0.1 pause)")
    assert job_line(read_job("j", HANDED, NOW, None), NOW) == (  # no retention known: no hand-over time
        "j: handed over: event e was handed over (when is not known) to execution arn:x; remembered until "
        "2027-01-15T08:01:00Z (in 60 s) (a duplicate of it is ignored until then)")
    assert job_line(read_job("j", CLAIMED_EARLY, NOW, RETENTION), NOW).startswith(
        "j: handed over: event e came first (stored 2027-01-14T08:01:00Z (24 h ago)) and was handed over when "
        "execution arn:x paused;")
    assert job_line(read_job("j", None, NOW, RETENTION), NOW, dead_letter_messages=1, stack="s").endswith(
        "; the dead-letter queue holds 1 undelivered event (`sfn-resume redrive --stack s --dry-run` lists them)")


def test_a_redriven_execution_is_named_for_its_event_and_new_each_time():
    first, second = execution_name("5c1b/a:b c"), execution_name("5c1b/a:b c")
    assert first != second and first.startswith("redrive-5c1b-a-b-c-")
    assert len(execution_name("x" * 200)) <= 80 and execution_name(None).startswith("redrive-event-")
