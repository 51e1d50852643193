"""`sfn-resume status` and `redrive` against an engine in another process (`sfn-resume local`, LocalStack), as an
operator runs them: the CLI reads AWS_ENDPOINT_URL like any boto3 program. Each test deploys its own instance.

The failure to redrive is a realistic one: the rule's target points at a state machine that does not exist (a
hand-edited target, a machine deleted by hand), so EventBridge dead-letters the event with NO_RESOURCE.
"""

from __future__ import annotations

import copy
import json
import time

import pytest

from sfn_resume.local.stacks import expect_execution

from .conftest import _free_port
from .helpers import cli_runner, delivered, deploy_instance, paths

pytestmark = [pytest.mark.timeout(120),
              pytest.mark.filterwarnings("ignore:Tried to parse AWS..SQS..QueuePolicy:UserWarning")]

HANDED_OVER = ["ClaimToken", "SendTaskSuccess"]
#: The same event again (its id recorded as the claimant): it claims again, and its send meets an answered token.
REDELIVERED = ["ClaimToken", "SendTaskSuccess", "PauseAlreadyClosed"]


@pytest.fixture
def cli(remote_emulator, monkeypatch, capsys):
    return cli_runner(remote_emulator, monkeypatch, capsys)


@pytest.fixture
def server_cli(server_emulator, monkeypatch, capsys):
    return cli_runner(server_emulator, monkeypatch, capsys)


def _depth(instance) -> tuple[int, int]:
    """The dead-letter queue's (visible, in flight) messages."""
    attributes = instance.aws.client("sqs").get_queue_attributes(
        QueueUrl=instance.deployment.outputs["DeadLetterQueueUrl"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _rule(instance, kind: str = "") -> str:
    return instance.deployment.outputs["ResumeStateMachineArn"].rpartition(":")[2] + kind


def _rule_arn(instance, kind: str = "") -> str:
    _, partition, _, region, account, *_ = instance.deployment.outputs["ResumeStateMachineArn"].split(":")
    return f"arn:{partition}:events:{region}:{account}:rule/{_rule(instance, kind)}"


def test_an_undelivered_event_is_redriven_into_its_paused_workflow(remote_emulator, cli):
    instance = deploy_instance(remote_emulator)
    stack, outputs = instance.deployment.stack_name, instance.deployment.outputs
    events, sqs = instance.aws.client("events"), instance.aws.client("sqs")
    queue = outputs["DeadLetterQueueUrl"]
    (target,) = events.list_targets_by_rule(Rule=_rule(instance))["Targets"]
    missing = target["Arn"] + "-Deleted"
    events.put_targets(Rule=_rule(instance), Targets=[dict(target, Arn=missing)])

    run, _ = instance.paused("job-1")
    event = instance.event("job-1")
    [event_id] = instance.put(event)
    if remote_emulator.mode == "localstack":
        # LocalStack does not dead-letter an event it failed to deliver (docs/LOCALSTACK.md): the step it cannot
        # show. The message EventBridge writes (https://docs.aws.amazon.com/eventbridge/latest/userguide/
        # eb-rule-dlq.html) is written here, and the rest of the story runs on it.
        time.sleep(1)  # the failed delivery, first
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(dict(
            event, id=event_id, time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))), MessageAttributes={
            name: {"DataType": "String", "StringValue": value} for name, value in {
                "RULE_ARN": _rule_arn(instance), "TARGET_ARN": missing, "ERROR_CODE": "NO_RESOURCE",
                "ERROR_MESSAGE": f"State machine {missing} does not exist", "RETRY_ATTEMPTS": "0"}.items()})

    # EventBridge could not start the machine: the event waits in the dead-letter queue, the workflow paused. The
    # stack's EventsUndelivered alarm watches the queue's visible messages (1 now); moto evaluates no alarm, so the
    # test sets the state CloudWatch would.
    cloudwatch, alarm_name = instance.aws.client("cloudwatch"), f"{_rule(instance)}-EventsUndelivered"
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    assert ("ApproximateNumberOfMessagesVisible", queue.rpartition("/")[2]) in {
        (q["MetricStat"]["Metric"]["MetricName"], q["MetricStat"]["Metric"]["Dimensions"][0]["Value"])
        for q in alarm["Metrics"] if "MetricStat" in q}
    cloudwatch.set_alarm_state(AlarmName=alarm_name, StateValue="ALARM", StateReason="1 undelivered event")
    summary = cli("status", "--stack", stack)
    assert summary.code == 0 and summary.err == ""
    assert "  pauses waiting: 1" in summary.lines
    assert f"dead-letter queue {queue.rpartition('/')[2]}: 1 message (0 in flight), no age data in CloudWatch for " \
           "the last 15 min" in summary.lines
    assert f"  events EventBridge could not deliver: fix the cause, then `sfn-resume redrive --stack {stack}` " \
           "(`--dry-run` first lists them)" in summary.lines
    assert f"alarms in ALARM ({_rule(instance)}-*): 1" in summary.lines
    assert any(line.startswith(f"  {alarm_name} since ") and line.endswith(": 1 undelivered event")
               for line in summary.lines)
    [waiting] = cli("status", "--stack", stack, "job-1").lines
    assert waiting.startswith("job-1: a pause is waiting, since ") and waiting.endswith(f"for execution {run}")
    (message,) = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"], VisibilityTimeout=0)["Messages"]
    delivered(event, event_id, json.loads(message["Body"]))  # the event as sent, not the machine's input
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert missing in attributes.pop("ERROR_MESSAGE")
    assert attributes == {"RULE_ARN": _rule_arn(instance), "TARGET_ARN": missing, "ERROR_CODE": "NO_RESOURCE",
                          "RETRY_ATTEMPTS": "0"}

    # before the cause is fixed, a dry run says the start would fail, and a redrive's start fails: the message stays
    predicted = cli("redrive", "--stack", stack, "--dry-run")
    assert predicted.code == 1
    assert predicted.lines[0].startswith(f"{message['MessageId']}: event {event_id} (job job-1): kept: the start would "
                                         "fail: StateMachineDoesNotExist: ")
    assert predicted.lines[1:] == ["dry run, nothing changed: 1 message: 0 would start, 1 kept"]
    failed = cli("redrive", "--stack", stack)
    assert failed.code == 1
    assert failed.lines[0].startswith(f"{message['MessageId']}: event {event_id} (job job-1): kept: StartExecution "
                                      "failed: StateMachineDoesNotExist: ")
    assert failed.lines[1:] == ["1 message: 0 started, 1 kept"]
    assert _depth(instance) == (1, 0)  # visible again at once, for the next run

    events.put_targets(Rule=_rule(instance), Targets=[target])  # the cause, fixed

    dry = cli("redrive", "--stack", stack, "--dry-run")
    assert (dry.code, dry.lines) == (0, [f"{message['MessageId']}: event {event_id} (job job-1): would start "
                                         f"{outputs['ResumeStateMachineArn']}",
                                         "dry run, nothing changed: 1 message: 1 would start, 0 kept"])
    assert _depth(instance) == (1, 0)
    assert instance.runs()["resume"] == {}
    expect_execution(instance.aws.client("stepfunctions"), run, "RUNNING")

    redriven = cli("redrive", "--stack", stack, "--json")
    assert redriven.code == 0
    (started,) = json.loads(redriven.out)["messages"]
    assert started["action"] == "started" and started["jobId"] == "job-1" and started["eventId"] == event_id
    assert started["executionArn"].split(":")[-2:] == [_rule(instance), started["executionArn"].rpartition(":")[2]]
    assert started["executionArn"].rpartition(":")[2].startswith(f"redrive-{event_id}-")
    done = instance.deployment.ended(run)
    delivered(event, event_id, json.loads(done["output"])["translation"]["event"])
    assert _depth(instance) == (0, 0)
    [handed] = cli("status", "--stack", stack, "job-1").lines
    assert handed.startswith(f"job-1: handed over: success event {event_id} was handed over at 20")
    assert f" to execution {run}; remembered until " in handed

    # the same event dead-lettered again (EventBridge delivers at least once): a redrive of it resumes nothing
    sqs.send_message(QueueUrl=queue, MessageBody=message["Body"], MessageAttributes={
        name: {"DataType": "String", "StringValue": value["StringValue"]}
        for name, value in message["MessageAttributes"].items()})
    again = cli("redrive", "--stack", stack)
    assert again.code == 0 and again.lines[-1] == "1 message: 1 started, 0 kept"
    instance.deployment.wait_for_resume_executions(2)
    assert paths(instance) == sorted([HANDED_OVER, REDELIVERED])
    assert instance.runs()["resume"] == {"SUCCEEDED": 2}
    assert _depth(instance) == (0, 0)


def test_messages_that_cannot_be_used_stay_with_the_reason(remote_emulator, cli):
    # no failure pattern: this stack has no fail rule (a stack update may have removed it)
    instance = deploy_instance(remote_emulator, FailureEventPattern="")
    stack, outputs = instance.deployment.stack_name, instance.deployment.outputs
    events, sqs = instance.aws.client("events"), instance.aws.client("sqs")
    queue_arn = sqs.get_queue_attributes(QueueUrl=outputs["DeadLetterQueueUrl"],
                                         AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    (target,) = events.list_targets_by_rule(Rule=_rule(instance))["Targets"]
    events.put_targets(Rule=_rule(instance), Targets=[dict(target, Arn=queue_arn)])  # not a state machine
    event = dict(instance.event("job-2"), id="e-2")
    other_rule = _rule_arn(instance).replace(_rule(instance), "SfnResume-SomeoneElse")
    sent = {  # body, RULE_ARN -> the reason it stays
        ("not json", _rule_arn(instance)): "its body is not JSON: not an event EventBridge dead-lettered",
        (json.dumps(event), None): "it has no RULE_ARN attribute: EventBridge did not dead-letter it",
        (json.dumps(event), other_rule): f"its rule {other_rule} is not one of this stack's",
        (json.dumps(event), _rule_arn(instance, "-Fail")): f"its rule {_rule_arn(instance, '-Fail')} no longer exists",
        (json.dumps(event), _rule_arn(instance)): f"its rule targets 0 state machines, not one (targets: {queue_arn})",
    }
    for body, rule_arn in sent:
        attributes = {"RULE_ARN": {"DataType": "String", "StringValue": rule_arn}} if rule_arn else {}
        sqs.send_message(QueueUrl=outputs["DeadLetterQueueUrl"], MessageBody=body, MessageAttributes=attributes)

    bounded = cli("redrive", "--stack", stack, "--max", "2")
    assert bounded.code == 1 and len(bounded.lines) == 3
    assert bounded.lines[-1] == "2 messages: 0 started, 2 kept; stopped at --max 2: more may be waiting"

    everything = cli("redrive", "--stack", stack, "--json")
    assert everything.code == 1
    report = json.loads(everything.out)
    assert (report["dryRun"], report["stoppedAtMax"]) == (False, None)
    assert {message["action"] for message in report["messages"]} == {"kept"}
    reasons = sorted(message["reason"] for message in report["messages"])
    assert [reason[:len(expected)] for reason, expected in zip(reasons, sorted(sent.values()), strict=True)] == \
        sorted(sent.values())
    assert _depth(instance) == (5, 0)
    assert instance.runs() == {"resume": {}, "pause": {}}


def _pause_timing_out_after_one_second(instance) -> str:
    """A workflow whose pause times out after 1 s (its PauseState with a 1 s timeout), so its item expires."""
    definition = json.loads(instance.aws.client("stepfunctions").describe_state_machine(
        stateMachineArn=instance.workflow)["definition"])
    pause = copy.deepcopy(definition["States"]["WaitForJob"])
    pause["TimeoutSeconds"] = pause["Parameters"]["Input"]["timeoutSeconds"] = 1
    definition["States"]["WaitForJob"] = pause
    return instance.aws.client("stepfunctions").create_state_machine(
        name=f"{_rule(instance)}-short", definition=json.dumps(definition),
        roleArn=instance.deployment.workflow_role_arn)["stateMachineArn"]


def _until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def test_status_says_where_each_hand_over_is(remote_emulator, cli):
    instance = deploy_instance(remote_emulator)
    stack, deployment = instance.deployment.stack_name, instance.deployment
    waiting, _ = instance.paused("waiting")
    [early_id] = instance.put(instance.event("early-ok"))
    [failure_id] = instance.put(instance.event("early-failed", "FAILED"))
    handed, _ = instance.paused("handed")
    [handed_id] = instance.put(instance.event("handed"))
    expired, _ = instance.paused("expired", workflow=_pause_timing_out_after_one_second(instance))
    deployment.ended(handed)
    deployment.ended(expired, "FAILED", "States.Timeout")
    _until(lambda: deployment.item("early-ok") and deployment.item("early-failed"))

    jobs = ["waiting", "early-ok", "early-failed", "handed", "expired", "nobody"]
    result = cli("status", "--stack", stack, *jobs)
    assert result.code == 0 and len(result.lines) == 6
    lines = dict(zip(jobs, result.lines, strict=True))
    assert lines["waiting"].startswith("waiting: a pause is waiting, since ") and waiting in lines["waiting"]
    assert lines["early-ok"].startswith(f"early-ok: an early success event ({early_id}) is waiting for its pause, "
                                        "stored ")
    assert lines["early-ok"].endswith("a pause on this job continues with it at once")
    assert lines["early-failed"].endswith("a pause on this job fails it with SfnResume.JobFailed at once")
    assert lines["handed"].startswith(f"handed: handed over: success event {handed_id} was handed over ") and handed in \
        lines["handed"]
    assert lines["expired"].startswith("expired: expired ") and f"a pause of execution {expired} that timed out " \
        "or was stopped; treated as absent" in lines["expired"]
    assert lines["nobody"].startswith("nobody: nothing known: no pause is waiting on it and no event came for it.")
    assert "`sfn-resume check CONFIG --event EVENT --state STATE`" in lines["nobody"]

    report = json.loads(cli("status", "--stack", stack, *jobs, "--json").out)
    states = {job["jobId"]: job for job in report["jobs"]}
    assert [states[job]["state"] for job in jobs] == ["waiting-pause", "early-event", "early-event", "handed-over",
                                                      "expired", "unknown"]
    assert (states["waiting"]["executionId"], states["handed"]["executionId"]) == (waiting, handed)
    assert [states[job]["workflowStatus"] for job in jobs] == ["RUNNING", None, None, None, None, None]
    assert (states["early-ok"]["outcome"], states["early-failed"]["outcome"]) == ("SUCCEEDED", "FAILED")
    # (0.4's hand-over does not record when its pause would have timed out: whether the event was late is unknown)
    assert (states["handed"]["outcome"], states["handed"]["late"], states["handed"]["eventCameFirst"]) == (
        "SUCCEEDED", None, False)
    assert (states["early-failed"]["eventId"], states["expired"]["was"]) == (failure_id, "waiting-pause")
    assert states["handed"]["pausedAt"] < states["handed"]["handedOverAt"] < states["handed"]["expiresAt"]
    assert states["early-ok"]["eventTime"] and states["early-ok"]["storedAt"] < states["early-ok"]["expiresAt"]
    assert set(states["nobody"]) == set(states["waiting"])  # the same keys for every job, null where unknown

    # the summary: the items by shape, the queue's age from CloudWatch, this instance's alarms in ALARM
    cloudwatch = instance.aws.client("cloudwatch")
    suffix = _rule(instance).removeprefix("SfnResume-")
    # Another instance's alarm, a copy of this one's: metric math, as the stack's, which no engine here evaluates (a
    # simple metric alarm LocalStack evaluates at its creation, in another thread, so it could undo the state set).
    (runs_failed,) = cloudwatch.describe_alarms(AlarmNames=[f"SfnResume-{suffix}-RunsFailed"])["MetricAlarms"]
    cloudwatch.put_metric_alarm(AlarmName=f"SfnResume-{suffix}x-RunsFailed", **{
        key: runs_failed[key] for key in ("Metrics", "EvaluationPeriods", "Threshold", "ComparisonOperator")})
    for name, state in ((f"SfnResume-{suffix}-RunsFailed", "ALARM"), (f"SfnResume-{suffix}-EventsUndelivered", "OK"),
                        (f"SfnResume-{suffix}x-RunsFailed", "ALARM")):  # the last is another instance's
        cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"{state} for the test")
    cloudwatch.put_metric_data(Namespace="AWS/SQS", MetricData=[{
        "MetricName": "ApproximateAgeOfOldestMessage", "Value": 300, "Unit": "Seconds",
        "Dimensions": [{"Name": "QueueName", "Value": f"SfnResume-{suffix}-DLQ"}]}])
    summary = json.loads(cli("status", "--stack", stack, "--json").out)
    assert {key: summary[key] for key in ("waitingPauses", "earlySuccessEvents", "earlyFailureEvents", "handOvers",
                                          "expired", "scanned", "complete", "eventRetentionSeconds")} == {
        "waitingPauses": 1, "earlySuccessEvents": 1, "earlyFailureEvents": 1, "handOvers": 1, "expired": 1,
        "scanned": 5, "complete": True, "eventRetentionSeconds": 86_400}  # the stack's output
    assert summary["waitingJobIds"] == ["waiting"]
    assert summary["deadLetterQueue"]["oldestMessageAgeSeconds"] == 300
    assert [(alarm["name"], alarm["reason"]) for alarm in summary["alarms"]] == [
        (f"SfnResume-{suffix}-RunsFailed", "ALARM for the test")]
    text = cli("status", "--stack", stack).lines
    assert text[1:3] == ["  pauses waiting: 1", "    on jobs waiting"]  # what to drain before a tear-down
    assert text[7:9] == [f"dead-letter queue SfnResume-{suffix}-DLQ: 0 messages (0 in flight), the oldest 5 min old",
                         f"alarms in ALARM (SfnResume-{suffix}-*): 1"]
    assert text[9].startswith(f"  SfnResume-{suffix}-RunsFailed since ") and text[9].endswith(": ALARM for the test")

    partial = cli("status", "--stack", stack, "--limit", "2")
    assert partial.lines[0].endswith(": stopped after 2 items (--limit 2): the counts are partial")
    counts = [line for line in partial.lines[1:] if line.startswith("  ") and not line.startswith("   ")][:5]
    assert sum(int(line.rpartition(": ")[2]) for line in counts) == 2


@pytest.fixture(scope="module")
def plain_stack(server_emulator) -> str:
    """A stack that is not an sfn-resume one: a queue and its URL."""
    name = "not-sfn-resume"
    server_emulator.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps({
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}}}))
    return name


NO_FILES = {"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}


@pytest.mark.parametrize("args, environment, message", [
    (["status", "--stack", "nope"], {}, "--stack: 'nope' does not exist in us-east-1 (http://localhost:"),
    (["redrive", "--stack", "nope"], {}, "--stack: 'nope' does not exist in us-east-1 (http://localhost:"),
    (["status", "--stack", "PLAIN"], {}, "--stack: 'not-sfn-resume' is not an sfn-resume stack: it has no TableName, "
                                         "ResumeStateMachineArn, DeadLetterQueueUrl outputs (for nested stacks, give "
                                         "the child stack's name)"),
    (["status", "--stack", "s"], dict(NO_FILES, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None),
     "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
    (["redrive", "--stack", "s"], dict(NO_FILES, AWS_DEFAULT_REGION=None),
     "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or a region in your profile)"),
    (["status", "--stack", "s", "--limit", "0"], {}, "--limit: '0' is not allowed; expected a whole number of at least 1"),
    (["status", "--stack", "s", "--limit", "ten"], {},
     "--limit: 'ten' is not allowed; expected a whole number of at least 1"),
    (["redrive", "--stack", "s", "--max", "-1"], {}, "--max: '-1' is not allowed; expected a whole number of at least 1"),
    (["status", "--stack", "s", ""], {}, "JOB_ID: '' is not allowed; expected a job id (a non-empty string)"),
])
def test_bad_input_exits_2_with_one_line(server_cli, monkeypatch, plain_stack, args, environment, message):
    _exits_with_one_line(2, server_cli, monkeypatch, plain_stack, args, environment, message)


@pytest.mark.parametrize("args, environment, message", [
    (["status", "--stack", "s"], {"AWS_ENDPOINT_URL": "http://localhost:FREE"},
     "http://localhost:FREE/ does not answer (EndpointConnectionError); check AWS_ENDPOINT_URL and the network (for "
     "the emulator: is `sfn-resume local` running?)"),
])
def test_aws_errors_exit_3_with_one_line(server_cli, monkeypatch, plain_stack, args, environment, message):
    """A script can tell AWS refusing or not answering (3) from a usage error (2)."""
    _exits_with_one_line(3, server_cli, monkeypatch, plain_stack, args, environment, message)


def _exits_with_one_line(code, cli, monkeypatch, plain_stack, args, environment, message):
    port = str(_free_port())
    for key, value in environment.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value.replace("FREE", port))
    result = cli(*[plain_stack if arg == "PLAIN" else arg for arg in args])
    assert (result.code, result.out) == (code, "")
    assert result.err.startswith("sfn-resume: " + message.replace("FREE", port)) and result.err.count("\n") == 1
