"""sfn_resume/operate/ without an emulator: stack outputs and errors, item shapes (0.3's and 0.2's), times, and
what resume/fail build. tests/e2e/test_operate.py and test_handover.py run the commands against the emulator."""

import json

import pytest
from botocore.exceptions import ClientError

from sfn_resume.operate import Instance, OperateError, execution_name, find_instance
from sfn_resume.operate.handover import check_failure, failure_event, given_event
from sfn_resume.operate.inputs import Rules, check_event, check_job
from sfn_resume.operate.status import (
    EARLY_EVENT,
    EXPIRED,
    HANDED_OVER,
    UNKNOWN,
    WAITING_PAUSE,
    item_state,
    job_line,
    read_job,
)

ARN = "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:SfnResume-Translate_1"
NOW = 1_800_000_000_000


class FakeCloudFormation:
    """`aws.client("cloudformation")` answering describe_stacks with the given outputs and parameters, or an error."""

    def __init__(self, outputs: dict, parameters: dict | None = None, error: str | None = None,
                 status: str = "CREATE_COMPLETE") -> None:
        self.outputs, self.parameters, self.error, self.status = outputs, parameters or {}, error, status

    class meta:  # noqa: N801 (botocore's attribute)
        region_name, endpoint_url = "cn-north-1", "https://cloudformation.cn-north-1.amazonaws.com.cn"

    def client(self, service: str):
        return self

    def describe_stacks(self, StackName: str) -> dict:  # noqa: N803 (boto3's name)
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "reworded at will"}}, "DescribeStacks")
        return {"Stacks": [{"StackStatus": self.status,
                            "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()],
                            "Parameters": [{"ParameterKey": k, "ParameterValue": v}
                                           for k, v in self.parameters.items()]}]}


def _outputs(prefix: str = "", suffix: str = "Translate_1", **more: str) -> dict:
    return {f"{prefix}TableName": f"SfnResume-{suffix}", f"{prefix}ResumeStateMachineArn": ARN.replace("Translate_1", suffix),
            f"{prefix}DeadLetterQueueUrl": f"https://sqs.cn-north-1.amazonaws.com.cn/123456789012/SfnResume-{suffix}-DLQ",
            f"{prefix}PauseState": "{}", **{prefix + key: value for key, value in more.items()}}


def test_an_instance_is_known_by_its_outputs_and_its_names_by_its_resume_machine():
    instance = find_instance(FakeCloudFormation(_outputs(PauseStateMachineArn=ARN + "-Pause", FailStateMachineArn=ARN
                                                         + "-Fail", EventRetentionSeconds="3600")), "s")
    assert instance == Instance("s", "SfnResume-Translate_1", ARN, _outputs()["DeadLetterQueueUrl"], ARN + "-Pause", 3600,
                                ARN + "-Fail")
    assert (instance.name_suffix, instance.alarm_prefix, instance.queue_name, instance.log_group) == (
        "Translate_1", "SfnResume-Translate_1-", "SfnResume-Translate_1-DLQ", "/aws/vendedlogs/states/SfnResume-Translate_1")
    assert instance.rule_arns == ("arn:aws-cn:events:cn-north-1:123456789012:rule/SfnResume-Translate_1",
                                  "arn:aws-cn:events:cn-north-1:123456789012:rule/SfnResume-Translate_1-Fail")


@pytest.mark.parametrize("outputs, parameters, retention", [
    ({"EventRetentionSeconds": "60"}, {"EventRetentionSeconds": "120"}, 60),  # the output first
    ({}, {"EventRetentionSeconds": "120"}, 120),  # a generic stack deployed before the output existed
    ({}, {}, None),  # a config-built stack before it: the stack does not say
])
def test_the_event_retention_is_the_stacks_output_or_its_parameter(outputs, parameters, retention):
    assert find_instance(FakeCloudFormation(_outputs(**outputs), parameters), "s").event_retention_seconds == retention


def test_a_missing_stack_is_known_by_its_error_code_not_its_message():
    with pytest.raises(OperateError) as missing:
        find_instance(FakeCloudFormation({}, error="ValidationError"), "nope")
    assert missing.value.problems == ["--stack: 'nope' does not exist in cn-north-1 (https://cloudformation.cn-north-1."
                                      "amazonaws.com.cn): ValidationError: reworded at will"]
    with pytest.raises(ClientError):  # any other refusal is AWS's error, not a missing stack
        find_instance(FakeCloudFormation({}, error="AccessDenied"), "s")


def test_a_stack_of_several_instances_needs_instance():
    # a config-built template prefixes each instance's outputs with its logical prefix
    stack = FakeCloudFormation({**_outputs("Translate1", "Translate_1"), **_outputs("Transcribe", "Transcribe")},
                               {"EventRetentionSeconds": "60"})
    with pytest.raises(OperateError) as several:
        find_instance(stack, "two")
    assert several.value.problems == ["--instance: stack 'two' holds 2 instances; choose one of Transcribe, Translate_1"]
    chosen = find_instance(stack, "two", "Translate_1")
    assert (chosen.table_name, chosen.event_retention_seconds) == ("SfnResume-Translate_1", None)  # not its Parameter
    with pytest.raises(OperateError, match="--instance: 'Nope' is not in stack 'two'; choose one of Transcribe, "):
        find_instance(stack, "two", "Nope")


def test_a_stack_without_the_outputs_is_not_an_instance():
    outputs = {key: value for key, value in _outputs().items() if key != "DeadLetterQueueUrl"}
    with pytest.raises(OperateError, match="'s' is not an sfn-resume stack: it has no TableName, ResumeStateMachineArn, "
                                           "DeadLetterQueueUrl outputs"):
        find_instance(FakeCloudFormation(outputs), "s")


@pytest.mark.parametrize("status, message", [
    ("ROLLBACK_COMPLETE", "--stack: 's' rolled back (ROLLBACK_COMPLETE): its creation failed, so it holds no "
                          "instance; `aws cloudformation describe-stack-events --stack-name s` says why"),
    ("CREATE_IN_PROGRESS", "--stack: 's' is still being created (CREATE_IN_PROGRESS): try again once it is "
                           "CREATE_COMPLETE"),
])
def test_a_stack_without_outputs_says_why(status, message):
    with pytest.raises(OperateError) as raised:
        find_instance(FakeCloudFormation({}, status=status), "s")
    assert raised.value.problems[0].startswith(message)


def _s(value: str) -> dict:
    return {"S": value}


def _n(value: int) -> dict:
    return {"N": str(value)}


EXPIRY = {"expiresAt": _n(NOW // 1000 + 60), "expiresAtMs": _n(NOW + 60_000)}
PAUSE = {"id": _s("j"), "token": _s("t"), "executionId": _s("arn:x"), "pausedAtMs": _n(NOW - 5000), **EXPIRY}
EVENT = _s(json.dumps({"id": "e", "time": "2027-01-15T08:00:00Z"}))
EARLY = {"id": _s("j"), "event": EVENT, "outcome": _s("FAILED"), "eventId": _s("e"), "storedAtMs": _n(NOW - 3000),
         **EXPIRY}
# 0.3: ClaimToken keeps the token and records the claimant, the outcome, when, and the pause's own expiry
HANDED = dict(PAUSE, eventId=_s("e"), outcome=_s("SUCCEEDED"), handedOverAtMs=_n(NOW - 1000),
              pauseExpiresAtMs=_n(NOW + 5000))
LATE = dict(HANDED, pauseExpiresAtMs=_n(NOW - 2000))
# 0.3: ClaimEarlyEvent keeps the event and adds the pause's token and execution
CLAIMED_EARLY = dict(EARLY, token=_s("t"), executionId=_s("arn:x"), handedOverAtMs=_n(NOW - 1000))
# 0.2's tombstones: neither token nor event, and no time of the hand-over
TOMBSTONE_02 = {"id": _s("j"), "tokenHash": _s("h"), "executionId": _s("arn:x"), "pausedAtMs": _n(NOW - 5000),
                "eventId": _s("e"), **EXPIRY}
CLAIMED_EARLY_02 = {"id": _s("j"), "tokenHash": _s("h"), "executionId": _s("arn:x"), "eventId": _s("e"), **EXPIRY}
PAUSE_01 = {"id": _s("j"), "token": _s("t"), **EXPIRY}
# 0.4: ClaimToken keeps the event too (no storedAtMs: it did not come first) and no pause expiry; ClaimEvent keeps
# the early event's storedAtMs
HANDED_04 = dict(PAUSE, eventId=_s("e"), outcome=_s("SUCCEEDED"), event=EVENT, handedOverAtMs=_n(NOW - 1000))
CLAIMED_EARLY_04 = dict(EARLY, token=_s("t"), executionId=_s("arn:x"), handedOverAtMs=_n(NOW - 1000))


@pytest.mark.parametrize("item, expected", [
    (PAUSE, dict(state=WAITING_PAUSE, paused_at_ms=NOW - 5000, execution_id="arn:x")),
    (EARLY, dict(state=EARLY_EVENT, outcome="FAILED", event_id="e", event_time="2027-01-15T08:00:00Z",
                 stored_at_ms=NOW - 3000)),
    (HANDED, dict(state=HANDED_OVER, outcome="SUCCEEDED", handed_over_at_ms=NOW - 1000, event_came_first=False,
                  late=False)),
    (LATE, dict(state=HANDED_OVER, late=True)),  # the event came after the pause had timed out
    (CLAIMED_EARLY, dict(state=HANDED_OVER, outcome="FAILED", stored_at_ms=NOW - 3000, handed_over_at_ms=NOW - 1000,
                         event_came_first=True, late=False)),
    (TOMBSTONE_02, dict(state=HANDED_OVER, handed_over_at_ms=None, outcome=None, event_came_first=False, late=None)),
    (CLAIMED_EARLY_02, dict(state=HANDED_OVER, stored_at_ms=None, event_came_first=True)),
    (PAUSE_01, dict(state=WAITING_PAUSE, paused_at_ms=None, execution_id=None)),  # 0.1 recorded neither
    (HANDED_04, dict(state=HANDED_OVER, event_came_first=False, late=None, event_time="2027-01-15T08:00:00Z")),
    (CLAIMED_EARLY_04, dict(state=HANDED_OVER, event_came_first=True, late=False)),
    (dict(HANDED_04, expiresAtMs=_n(NOW)), dict(state=EXPIRED, was=HANDED_OVER)),  # ended at its expiresAtMs
    (dict(PAUSE, expiresAtMs=_n(NOW - 1)), dict(state=EXPIRED, was=WAITING_PAUSE)),  # TTL has not deleted it yet
    (None, dict(state=UNKNOWN, expires_at_ms=None)),
])
def test_read_job(item, expected):
    job = read_job("j", item, NOW)
    assert {key: getattr(job, key) for key in expected} == expected


def test_the_summary_reads_an_early_event_without_the_event_itself():
    projected = {key: value for key, value in EARLY.items() if key != "event"}
    assert (item_state(projected), item_state({k: v for k, v in CLAIMED_EARLY.items() if k != "event"})) == (
        EARLY_EVENT, HANDED_OVER)


def test_job_lines_tell_a_success_a_failure_and_a_late_event_apart_and_say_what_the_item_does_not_tell():
    def line(item):
        return job_line(read_job("j", item, NOW), NOW)

    assert line(HANDED) == ("j: handed over: success event e was handed over at 2027-01-15T07:59:59Z (1 s ago) to "
                            "execution arn:x; remembered until 2027-01-15T08:01:00Z (in 60 s) (another event of this job "
                            "is ignored until then)")
    assert line(dict(HANDED, outcome=_s("FAILED"))).startswith(
        "j: handed over: failure event e was handed over at 2027-01-15T07:59:59Z (1 s ago) to execution arn:x (it "
        "failed the pause with SfnResume.JobFailed);")
    assert line(LATE).startswith("j: handed over: success event e came at 2027-01-15T07:59:59Z (1 s ago), after the "
                                 "pause of execution arn:x had timed out: a late event, it answered nothing;")
    assert line(CLAIMED_EARLY).startswith("j: handed over: failure event e came first (stored 2027-01-15T07:59:57Z (3 s "
                                          "ago)) and was handed over when execution arn:x paused;")
    assert line(TOMBSTONE_02).startswith("j: handed over: event e was handed over (when is not known: a 0.2 item) to "
                                         "execution arn:x;")
    assert line(PAUSE_01) == ("j: a pause is waiting, since an unknown time, until 2027-01-15T08:01:00Z (in 60 s), for "
                              "an execution not recorded (a 0.1 pause)")
    assert job_line(read_job("j", None, NOW), NOW, dead_letter_messages=1, stack="s").endswith(
        "; the dead-letter queue holds 1 undelivered event (`sfn-resume redrive --stack s --dry-run` lists them)")


def test_an_execution_is_named_for_its_event_and_new_each_time():
    first, second = execution_name("5c1b/a:b c"), execution_name("5c1b/a:b c")
    assert first != second and first.startswith("redrive-5c1b-a-b-c-")
    assert len(execution_name("x" * 200)) <= 80 and execution_name(None).startswith("redrive-event-")
    assert execution_name("e", "resume").startswith("resume-e-")


def test_an_event_keeps_its_id_or_is_given_one():
    assert given_event({"id": "e", "detail": {}}) == ({"id": "e", "detail": {}}, False)
    for event in ({"detail": {}}, {"id": "", "detail": {}}, {"id": 7}):
        given, generated = given_event(event)
        assert generated and len(given["id"]) == 36 and given["id"] != event.get("id")


def test_fail_builds_a_failure_event_in_eventbridges_shape():
    instance = Instance("s", "t", ARN, "https://q", ARN + "-Pause")
    event = failure_event(instance, "job-1", "Ops.Cancelled", "lost")
    assert {key: event[key] for key in ("version", "source", "detail-type", "account", "region", "resources",
                                        "detail")} == {
        "version": "0", "source": "sfn-resume", "detail-type": "Job Failed By Hand", "account": "123456789012",
        "region": "cn-north-1", "resources": [], "detail": {"jobId": "job-1", "error": "Ops.Cancelled", "cause": "lost"}}
    with pytest.raises(OperateError, match=r"--error: 'x{257}' is not allowed; expected 1 to 256 characters"):
        check_failure("x" * 257, "")


# --- what resume and fail are handed (operate/inputs.py), without an emulator

RULES = Rules(success_pattern={"source": ["aws.translate"], "detail": {"jobStatus": ["COMPLETED"]}},
              failure_pattern={"source": ["aws.translate"], "detail": {"jobStatus": ["FAILED"]}},
              path_to_id="$.detail.jobId")


def _event(job_id="j", status="COMPLETED", **more) -> dict:
    return {"id": "e", "source": "aws.translate", "detail-type": "x", "detail": {"jobId": job_id, "jobStatus": status},
            **more}


@pytest.mark.parametrize("event, job_id, reason", [
    # a failure event: `fail` is for those, and the message names the command
    (_event(status="FAILED"), "j", "--event: is a failure event (it matches the stack's failure pattern); `resume` "
                                   "hands over success events only. To fail the pause on j: sfn-resume fail --stack "
                                   "S j --cause CAUSE"),
    (_event("k"), "j", "--event: is the event of job 'k' (the stack's id path $.detail.jobId), not of 'j': give j's "
                       "event, or resume k"),
    ({"Source": "aws.translate", "DetailType": "x", "Detail": "{}"}, "j", "--event: is a PutEvents entry"),
    (_event(status="RUNNING"), "j", "--event: matches none of the stack's patterns, so no rule would hand it over: "
                                    'detail.jobStatus: the pattern wants ["COMPLETED"], the event has "RUNNING"'),
    ({**_event(), "detail": {"jobStatus": "COMPLETED"}}, "j", "--event: the stack's id path $.detail.jobId finds no "
                                                              "job id in it"),
    # a number as job id is compared as the templates store it ($string)
    (_event(7), "8", "--event: is the event of job '7'"),
])
def test_an_event_the_stack_would_not_hand_over_is_refused(event, job_id, reason):
    with pytest.raises(OperateError) as refused:
        check_event(RULES, job_id, event, "S")
    assert refused.value.problems[0].startswith(reason)


def test_an_event_both_patterns_match_is_refused_and_a_good_one_passes():
    both = Rules({"source": ["aws.translate"]}, {"detail": {"jobStatus": ["COMPLETED"]}}, "$.detail.jobId")
    with pytest.raises(OperateError, match="matches both the stack's success and failure patterns"):
        check_event(both, "j", _event(), "S")
    check_event(RULES, "j", _event(), "S")
    check_event(RULES, "7", _event(7), "S")
    check_event(Rules(RULES.success_pattern, None, "$.detail.jobId"), "j", _event(), "S")  # no failure rule


@pytest.mark.parametrize("item, event_id, early, passes", [
    (PAUSE, None, False, True),  # a pause waits
    (None, None, False, False),  # nothing known (a mistyped job id?)
    (None, None, True, True),  # ... unless the pause is still to come
    (EARLY, None, False, False),  # an early event waits already
    (EARLY, "e", False, True),  # the same event again: the protocol ignores it
    (HANDED, "other", False, False),  # a hand-over done, another event
    (HANDED, "e", False, True),  # the same event again: it finishes a hand-over whose send failed, or is ignored
    (dict(PAUSE, expiresAtMs=_n(NOW - 1)), None, False, False),  # the pause timed out
])
def test_a_job_no_pause_waits_on_is_refused_unless_early(item, event_id, early, passes):
    job = read_job("j", item, NOW)
    if passes:
        check_job(job, NOW, "S", event_id, early)
        return
    with pytest.raises(OperateError) as refused:
        check_job(job, NOW, "S", event_id, early)
    assert refused.value.problems[0].startswith("j: refused: no pause is waiting on this job, so nothing was "
                                                "started. What status says: ")
    assert refused.value.problems[0].endswith("If the event comes before its pause, --early hands it over anyway, "
                                              "to wait for the pause")
