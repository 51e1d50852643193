"""Operating a deployed instance: where each job's hand-over is (`sfn-resume status`), and the events EventBridge
could not deliver put through the hand-over again (`sfn-resume redrive`).

Gathering and formatting are apart: `find_instance`, `job_states`, `summary` and `redrive` read and act through
`aws` (anything with `.client(service)`: `connect()`'s clients, `LocalAws`, the tests' emulators) and return
data; `*_lines` and `*_json` present it. The item shapes are docs/DESIGN.md's ("The item").
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any, Iterator

from . import names
from .config import ConfigError
from .patterns import show
from .transformer import target_input


class OperateError(ConfigError):
    """Why a command cannot answer, in one line (the CLI exits 2)."""

    def __init__(self, message: str):
        super().__init__([message])


class AwsError(OperateError):
    """AWS (or the endpoint) refused or did not answer: the CLI exits 3, so a script can tell it from a usage error."""

    from_aws = True


# --- connecting

class Clients:
    """boto3 clients of one session, made once each, with short timeouts: an endpoint that does not answer is
    reported in seconds rather than after botocore's default retries."""

    def __init__(self, session: Any, config: Any) -> None:
        self._session, self._config, self._clients = session, config, {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service, config=self._config)
        return self._clients[service]


def connect() -> Clients:
    """Clients for whatever boto3 is configured for: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL (`sfn-resume local`)."""
    import boto3
    from botocore.config import Config

    return Clients(boto3.Session(), Config(connect_timeout=5, read_timeout=30,
                                           retries={"mode": "standard", "max_attempts": 2}))


@contextlib.contextmanager
def aws_errors() -> Iterator[None]:
    """What botocore raises when AWS cannot be asked, or refuses, as one OperateError line."""
    try:
        from botocore import exceptions
    except ImportError:
        raise OperateError("status and redrive need boto3: pip install 'sfn-resume[aws]'") from None
    try:
        yield
    except exceptions.NoRegionError:
        raise OperateError("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or a region in your profile)") from None
    except (exceptions.NoCredentialsError, exceptions.PartialCredentialsError):
        raise OperateError("no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") from None
    except (exceptions.ConnectionError, exceptions.HTTPClientError) as error:  # refused, timed out, no such host
        endpoint = error.kwargs.get("endpoint_url", "the endpoint")
        raise AwsError(f"{endpoint} does not answer ({type(error).__name__}); check AWS_ENDPOINT_URL and the "
                           "network (for the emulator: is `sfn-resume local` running?)") from None
    except exceptions.ClientError as error:
        raise AwsError(f"{error.operation_name}: {_error_text(error)}") from None
    except exceptions.BotoCoreError as error:
        raise AwsError(str(error)) from None


def _error_text(error: Any) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'Error')}: {details.get('Message', '')}".rstrip(": ")


# --- the instance

#: The outputs that make a stack an sfn-resume instance; a config-built template prefixes them with the instance's
#: logical prefix (`TranslationTranslateResumeTableName`), one set per instance.
REQUIRED_OUTPUTS = (names.OUTPUT_TABLE_NAME, names.OUTPUT_RESUME_STATE_MACHINE_ARN, names.OUTPUT_DEAD_LETTER_QUEUE_URL)


@dataclass(frozen=True)
class Instance:
    """One sfn-resume instance, as its stack's outputs describe it."""

    stack: str
    table_name: str
    resume_state_machine_arn: str
    dead_letter_queue_url: str

    @property
    def name_suffix(self) -> str:
        """The resume machine is `SfnResume-<suffix>`; every other name derives from the suffix."""
        return self.resume_state_machine_arn.rpartition(":")[2].removeprefix("SfnResume-")

    @property
    def rule_arns(self) -> tuple[str, ...]:
        """The ARNs of this instance's rules (success and failure events), on the default bus of the machines'
        partition, region and account."""
        _, partition, _, region, account, *_ = self.resume_state_machine_arn.split(":")
        return tuple(f"arn:{partition}:events:{region}:{account}:rule/{names.physical_name(kind, self.name_suffix)}"
                     for kind in ("resume rule", "fail rule"))

    @property
    def alarm_prefix(self) -> str:
        return f"SfnResume-{self.name_suffix}-"

    @property
    def queue_name(self) -> str:
        return self.dead_letter_queue_url.rstrip("/").rpartition("/")[2]


def find_instance(aws: Any, stack: str, name_suffix: str | None = None) -> Instance:
    """The instance a stack holds (or its instance `name_suffix`, when it holds several)."""
    from botocore.exceptions import ClientError

    cloudformation = aws.client("cloudformation")
    try:
        (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        if "does not exist" not in str(error):
            raise
        raise OperateError(f"--stack: {show(stack)} does not exist in {cloudformation.meta.region_name} "
                           f"({cloudformation.meta.endpoint_url})") from None
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs") or []}
    resume = names.OUTPUT_RESUME_STATE_MACHINE_ARN
    prefixes = [key[:-len(resume)] for key in sorted(outputs) if key.endswith(resume)]
    instances = [Instance(stack, outputs[prefix + names.OUTPUT_TABLE_NAME], outputs[prefix + resume],
                          outputs[prefix + names.OUTPUT_DEAD_LETTER_QUEUE_URL])
                 for prefix in prefixes if all(prefix + output in outputs for output in REQUIRED_OUTPUTS)]
    if not instances:
        raise OperateError(f"--stack: {show(stack)} is not an sfn-resume stack: it has no {', '.join(REQUIRED_OUTPUTS)} "
                           "outputs (for nested stacks, give the child stack's name)")
    suffixes = [instance.name_suffix for instance in instances]
    if name_suffix is not None:
        if name_suffix not in suffixes:
            raise OperateError(f"--instance: {show(name_suffix)} is not in stack {show(stack)}; choose one of "
                               f"{', '.join(suffixes)}")
        return instances[suffixes.index(name_suffix)]
    if len(instances) > 1:
        raise OperateError(f"--instance: stack {show(stack)} holds {len(instances)} instances; choose one of "
                           f"{', '.join(suffixes)}")
    return instances[0]


# --- times

def _now_ms() -> int:
    return int(time.time() * 1000)


def _datetime(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)


def _epoch_ms(instant: datetime.datetime | None) -> int | None:
    return None if instant is None else int(instant.timestamp() * 1000)


def iso(ms: int | None) -> str | None:
    """An instant for JSON: ISO 8601 in UTC, to the millisecond."""
    return None if ms is None else _datetime(ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration(seconds: float) -> str:
    for unit, size, up_to in (("s", 1, 120), ("min", 60, 120 * 60), ("h", 3600, 48 * 3600)):
        if seconds < up_to:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds / 86400:.0f} d"


def _at(ms: int | None, now_ms: int) -> str:
    """An instant for people: UTC to the second, and how far from now."""
    if ms is None:
        return "an unknown time"
    delta = (ms - now_ms) / 1000
    relative = f"in {_duration(delta)}" if delta >= 0 else f"{_duration(-delta)} ago"
    return f"{_datetime(ms).strftime('%Y-%m-%dT%H:%M:%SZ')} ({relative})"


# --- status

WAITING_PAUSE, EARLY_EVENT, HANDED_OVER = "waiting-pause", "early-event", "handed-over"
EXPIRED, UNKNOWN, UNRECOGNISED = "expired", "unknown", "unrecognised"
#: What status reads of an item (docs/DESIGN.md): `outcome` comes with `event`, so the event itself is not read.
_PROJECTION = {"ProjectionExpression": "id, #token, outcome, eventId, executionId, pausedAtMs, expiresAtMs",
               "ExpressionAttributeNames": {"#token": "token"}}


def item_shape(item: dict) -> str:
    """Which of the three shapes a DynamoDB item has: a waiting pause, an early event, or a tombstone."""
    if "token" in item:
        return WAITING_PAUSE
    if "event" in item or "outcome" in item:
        return EARLY_EVENT
    return HANDED_OVER if "eventId" in item else UNRECOGNISED


@dataclass(frozen=True)
class Job:
    """Where one job's hand-over is. Times are epoch milliseconds; None where the item does not tell (0.1's items
    have no pausedAtMs or executionId)."""

    job_id: str
    state: str  # one of the shapes, EXPIRED or UNKNOWN (no item)
    was: str | None = None  # EXPIRED: the shape the item had
    expires_at_ms: int | None = None
    paused_at_ms: int | None = None
    execution_id: str | None = None
    outcome: str | None = None
    event_id: str | None = None
    event_time: str | None = None  # an early event's own `time`
    stored_at_ms: int | None = None  # when an early event was stored (also for a tombstone of a claimed one)
    handed_over_at_ms: int | None = None
    event_came_first: bool | None = None  # a tombstone: the event was stored early and claimed by the pause


def _attribute(item: dict, name: str) -> Any:
    value = item.get(name)
    if value is None:
        return None
    return int(value["N"]) if "N" in value else value.get("S")


def read_job(job_id: str, item: dict | None, now_ms: int, retention_ms: int | None) -> Job:
    """A job from its item. Early events and tombstones expire `retention_ms` after they were written, which is
    how the time of the store or of the hand-over is known (the items keep no such time)."""
    if item is None:
        return Job(job_id, UNKNOWN)
    shape = item_shape(item)
    expires = _attribute(item, "expiresAtMs")
    fields: dict[str, Any] = {"expires_at_ms": expires, "event_id": _attribute(item, "eventId"),
                              "paused_at_ms": _attribute(item, "pausedAtMs"),
                              "execution_id": _attribute(item, "executionId"), "outcome": _attribute(item, "outcome")}
    written_at = expires - retention_ms if expires is not None and retention_ms is not None else None
    if shape == EARLY_EVENT:
        fields.update(stored_at_ms=written_at, event_time=_event_time(item))
    elif shape == HANDED_OVER:
        # the pause machine claims an early event without touching its expiry (nor adding pausedAtMs); a hand-over
        # to a waiting pause sets a new expiry
        came_first = "executionId" in item and "pausedAtMs" not in item
        fields.update(event_came_first=came_first, **{"stored_at_ms" if came_first else "handed_over_at_ms": written_at})
    if expires is not None and expires < now_ms:
        return Job(job_id, EXPIRED, was=shape, **fields)
    return Job(job_id, shape, **fields)


def _event_time(item: dict) -> str | None:
    """The stored event's own `time` (a summary's Scan does not read the event)."""
    text = (item.get("event") or {}).get("S")
    with contextlib.suppress(ValueError, AttributeError):
        return json.loads(text).get("time") if text else None
    return None


#: The resume machine writes `expiresAtMs` as `$millis() + <eventRetentionSeconds> * 1000` (asl.py, `_expiry`).
_RETENTION = re.compile(r"\+ (\d+) \* 1000\b")


def event_retention_ms(definition: str) -> int | None:
    """The event retention of a deployed resume machine, read from its definition (the stack's Parameter is not
    there in a config-built template; the definition is, in every template)."""
    match = _RETENTION.search(definition)
    return int(match.group(1)) * 1000 if match else None


def _retention_ms(aws: Any, instance: Instance) -> int | None:
    from botocore.exceptions import ClientError

    try:
        definition = aws.client("stepfunctions").describe_state_machine(
            stateMachineArn=instance.resume_state_machine_arn)["definition"]
    except ClientError:  # e.g. no states:DescribeStateMachine: the times that depend on it are left unknown
        return None
    return event_retention_ms(definition)


@dataclass(frozen=True)
class Jobs:
    instance: Instance
    jobs: list[Job]
    dead_letter_messages: int
    now_ms: int


def job_states(aws: Any, instance: Instance, job_ids: list[str]) -> Jobs:
    """Each job's item, read consistently, and the number of events waiting in the dead-letter queue (where an
    event that could not start its machine is)."""
    dynamodb = aws.client("dynamodb")
    items = [dynamodb.get_item(TableName=instance.table_name, Key={"id": {"S": job_id}}, ConsistentRead=True).get("Item")
             for job_id in job_ids]
    retention_ms, now_ms = _retention_ms(aws, instance), _now_ms()
    jobs = [read_job(job_id, item, now_ms, retention_ms) for job_id, item in zip(job_ids, items, strict=True)]
    return Jobs(instance, jobs, dead_letter_queue(aws, instance).messages, now_ms)


@dataclass(frozen=True)
class DeadLetterQueue:
    url: str
    messages: int  # visible
    in_flight: int  # received by someone (a redrive, say), not yet deleted
    oldest_age_seconds: float | None  # CloudWatch's latest ApproximateAgeOfOldestMessage; None without data


#: How far back to look for the queue's age metric (SQS sends it every minute while the queue holds a message).
AGE_METRIC_WINDOW = datetime.timedelta(minutes=15)


def dead_letter_queue(aws: Any, instance: Instance) -> DeadLetterQueue:
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=instance.dead_letter_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    # SQS has no "oldest message" attribute; its CloudWatch metric is the documented source
    # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html)
    now = datetime.datetime.now(datetime.timezone.utc)
    points = aws.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/SQS", MetricName="ApproximateAgeOfOldestMessage",
        Dimensions=[{"Name": "QueueName", "Value": instance.queue_name}],
        StartTime=now - AGE_METRIC_WINDOW, EndTime=now + datetime.timedelta(minutes=1),  # this minute's too
        Period=60, Statistics=["Maximum"])["Datapoints"]
    oldest = max(points, key=lambda point: point["Timestamp"])["Maximum"] if points else None
    return DeadLetterQueue(instance.dead_letter_queue_url, int(attributes["ApproximateNumberOfMessages"]),
                           int(attributes["ApproximateNumberOfMessagesNotVisible"]), oldest)


@dataclass(frozen=True)
class Alarm:
    name: str
    reason: str
    since_ms: int | None  # when it went into ALARM, epoch milliseconds


def alarms_in_alarm(aws: Any, instance: Instance) -> list[Alarm]:
    """The instance's alarms (`SfnResume-<suffix>-<what>`) in ALARM state. The state is checked here too: LocalStack
    (as moto) ignores `StateValue` next to `AlarmNamePrefix`."""
    pages = aws.client("cloudwatch").get_paginator("describe_alarms").paginate(
        AlarmNamePrefix=instance.alarm_prefix, StateValue="ALARM")
    return [Alarm(alarm["AlarmName"], alarm.get("StateReason", ""), _epoch_ms(alarm.get("StateUpdatedTimestamp")))
            for page in pages for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])
            if alarm["StateValue"] == "ALARM"]


#: The summary's counts, in the order they are shown (and their JSON keys).
COUNTS = {"waitingPauses": "pauses waiting", "earlySuccessEvents": "early success events waiting for their pause",
          "earlyFailureEvents": "early failure events waiting for their pause",
          "handOvers": "hand-overs remembered (duplicates of their events are ignored)",
          "expired": "expired items, left for TTL", "unrecognised": "items of no known shape"}


@dataclass(frozen=True)
class Summary:
    instance: Instance
    counts: dict[str, int]
    scanned: int
    complete: bool  # False: the scan stopped at `limit`, the counts are partial
    limit: int
    queue: DeadLetterQueue
    alarms: list[Alarm]
    now_ms: int


def _count_key(job: Job) -> str:
    if job.state == EARLY_EVENT:
        return "earlyFailureEvents" if job.outcome == "FAILED" else "earlySuccessEvents"
    return {WAITING_PAUSE: "waitingPauses", HANDED_OVER: "handOvers", EXPIRED: "expired"}.get(job.state, "unrecognised")


def summary(aws: Any, instance: Instance, limit: int) -> Summary:
    """Counts of the table's items by shape (a paginated Scan of at most `limit` items), the dead-letter queue, and
    the alarms in ALARM."""
    items, complete = scan_items(aws.client("dynamodb"), instance.table_name, limit)
    now_ms = _now_ms()
    counts = dict.fromkeys(COUNTS, 0)
    for item in items:
        counts[_count_key(read_job(item["id"]["S"], item, now_ms, None))] += 1
    return Summary(instance, counts, len(items), complete, limit, dead_letter_queue(aws, instance),
                   alarms_in_alarm(aws, instance), now_ms)


def scan_items(dynamodb: Any, table: str, limit: int) -> tuple[list[dict], bool]:
    """At most `limit` items, and whether that is all of them."""
    request: dict[str, Any] = {"TableName": table, **_PROJECTION}
    items: list[dict] = []
    while True:
        page = dynamodb.scan(**request, Limit=limit - len(items))
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items, True
        if len(items) >= limit:
            return items, False
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# --- redrive

STARTED, WOULD_START, KEPT = "started", "would-start", "kept"
#: How long a received message stays hidden from other readers while a redrive handles it.
VISIBILITY_SECONDS = 300
_STATE_MACHINE_ARN = re.compile(r"^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$")


@dataclass(frozen=True)
class Redriven:
    """What a redrive did (or, in a dry run, would do) with one dead-letter message."""

    message_id: str
    action: str  # STARTED, WOULD_START or KEPT
    event_id: str | None = None
    job_id: Any = None  # as the machine's input has it (the templates' transformer puts it there)
    state_machine_arn: str | None = None
    execution_arn: str | None = None
    reason: str | None = None  # KEPT: why the message cannot be used (yet); STARTED: why it could not be deleted


@dataclass(frozen=True)
class Redrive:
    instance: Instance
    dry_run: bool
    messages: list[Redriven]
    stopped_at_max: int | None  # --max, when the redrive stopped there (more messages may wait)


def redrive(aws: Any, instance: Instance, dry_run: bool = False, max_messages: int | None = None) -> Redrive:
    """Take the events out of the dead-letter queue and start, for each, the state machine its rule targets now, with
    the input that target's InputTransformer gives (what EventBridge would have started). A message is deleted once
    its start succeeded; one that cannot be used stays, with the reason. A dry run starts and deletes nothing.

    Once a job's event is handed over (or stored early), the machines end another copy of it in AlreadyHandled
    (docs/DESIGN.md), so starting one twice (a redrive interrupted between start and delete, a message redriven
    after a delivery) is harmless.
    Messages are read with a visibility timeout, so that two redrives do not start the same one together; the kept
    ones are made visible again at the end (SQS counts the receive: it has no way to read without one).
    """
    sqs = aws.client("sqs")
    handled: list[Redriven] = []
    kept: dict[str, str] = {}  # message id -> receipt handle, to show again at the end
    try:
        while max_messages is None or len(handled) < max_messages:
            wanted = 10 if max_messages is None else min(10, max_messages - len(handled))
            # a 1 s wait is a long poll: it asks every SQS server, where a short one may answer empty too soon
            batch = sqs.receive_message(QueueUrl=instance.dead_letter_queue_url, MaxNumberOfMessages=wanted,
                                        WaitTimeSeconds=1, VisibilityTimeout=VISIBILITY_SECONDS,
                                        MessageAttributeNames=["All"]).get("Messages", [])
            seen = {message.message_id for message in handled}
            fresh = [message for message in batch if message["MessageId"] not in seen]  # standard queues may repeat
            if not fresh:
                break
            for message in fresh:
                result = _redrive_message(aws, instance, message, dry_run)
                if result.action == STARTED:
                    result = _delete(sqs, instance, message, result)
                else:
                    kept[message["MessageId"]] = message["ReceiptHandle"]
                handled.append(result)
    finally:
        for receipt_handle in kept.values():
            with contextlib.suppress(Exception):  # it shows again after the timeout anyway
                sqs.change_message_visibility(QueueUrl=instance.dead_letter_queue_url, ReceiptHandle=receipt_handle,
                                              VisibilityTimeout=0)
    stopped = max_messages if max_messages is not None and len(handled) >= max_messages else None
    return Redrive(instance, dry_run, handled, stopped)


def _delete(sqs: Any, instance: Instance, message: dict, started: Redriven) -> Redriven:
    from botocore.exceptions import ClientError

    try:
        sqs.delete_message(QueueUrl=instance.dead_letter_queue_url, ReceiptHandle=message["ReceiptHandle"])
    except ClientError as error:  # the start happened: a later redrive of the message is a harmless duplicate
        return replace(started, reason=f"the message stays: DeleteMessage failed: {_error_text(error)}")
    return started


def _redrive_message(aws: Any, instance: Instance, message: dict, dry_run: bool) -> Redriven:
    from botocore.exceptions import ClientError

    message_id = message["MessageId"]
    try:
        event = json.loads(message["Body"])
    except ValueError:
        return Redriven(message_id, KEPT, reason="its body is not JSON: not an event EventBridge dead-lettered")
    if not isinstance(event, dict):
        return Redriven(message_id, KEPT, reason="its body is not a JSON object: not an EventBridge event")
    kept = {"message_id": message_id, "action": KEPT, "event_id": event.get("id")}
    rule_arn = (message.get("MessageAttributes", {}).get("RULE_ARN") or {}).get("StringValue")
    if not rule_arn:
        return Redriven(**kept, reason="it has no RULE_ARN attribute: EventBridge did not dead-letter it")
    if rule_arn not in instance.rule_arns:
        return Redriven(**kept, reason=f"its rule {rule_arn} is not one of this stack's ({', '.join(instance.rule_arns)})")
    try:
        targets = aws.client("events").list_targets_by_rule(Rule=rule_arn.rpartition("/")[2])["Targets"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        return Redriven(**kept, reason=f"its rule {rule_arn} no longer exists")
    machines = [target for target in targets if _STATE_MACHINE_ARN.match(target["Arn"])]
    if len(machines) != 1:
        found = ", ".join(target["Arn"] for target in targets) or "none"
        return Redriven(**kept, reason=f"its rule targets {len(machines)} state machines, not one (targets: {found})")
    (target,) = machines
    try:
        execution_input = target_input(target, event, rule_arn)
        given = json.loads(execution_input)
    except ValueError as error:
        return Redriven(**kept, state_machine_arn=target["Arn"], reason=f"its rule's input transformation fails: {error}")
    started = dict(kept, job_id=given.get("jobId") if isinstance(given, dict) else None,
                   state_machine_arn=target["Arn"])
    if dry_run:
        missing = _missing_state_machine(aws, target["Arn"])
        return Redriven(**started, reason=missing) if missing else Redriven(**dict(started, action=WOULD_START))
    try:
        execution = aws.client("stepfunctions").start_execution(
            stateMachineArn=target["Arn"], name=execution_name(event.get("id")), input=execution_input)
    except ClientError as error:
        return Redriven(**started, reason=f"StartExecution failed: {_error_text(error)}")
    return Redriven(**dict(started, action=STARTED, execution_arn=execution["executionArn"]))


def _missing_state_machine(aws: Any, arn: str) -> str | None:
    """For a dry run: why a start of `arn` would fail, when the machine is not there (other errors, such as no
    states:DescribeStateMachine right, tell nothing about the start)."""
    from botocore.exceptions import ClientError

    try:
        aws.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("StateMachineDoesNotExist", "InvalidArn"):
            return f"the start would fail: {_error_text(error)}"
    return None


def execution_name(event_id: Any) -> str:
    """`redrive-<event id>-<random>`: findable by the event's id, and new at every redrive. A name derived from the
    event alone would make StartExecution refuse a second redrive of it (ExecutionAlreadyExists) for 90 days, even
    after the first run failed; the machines themselves make a second copy of an event harmless."""
    readable = re.sub(r"[^A-Za-z0-9_-]", "-", str(event_id or "event"))[:40]
    return f"redrive-{readable}-{uuid.uuid4().hex[:12]}"


# --- presenting

def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _kind(outcome: str | None) -> str:
    return "failure" if outcome == "FAILED" else "success"


def _execution(job: Job) -> str:
    return f"execution {job.execution_id}" if job.execution_id else "an execution not recorded (a 0.1 pause)"


def job_line(job: Job, now_ms: int, dead_letter_messages: int = 0, stack: str = "STACK") -> str:
    """One line: where this job's hand-over is, and what it means."""
    at = lambda ms: _at(ms, now_ms)  # noqa: E731
    if job.state == WAITING_PAUSE:
        return (f"{job.job_id}: a pause is waiting, since {at(job.paused_at_ms)}, until {at(job.expires_at_ms)}, "
                f"for {_execution(job)}")
    if job.state == EARLY_EVENT:
        effect = "fails it with SfnResume.JobFailed" if job.outcome == "FAILED" else "continues with it"
        return (f"{job.job_id}: an early {_kind(job.outcome)} event ({job.event_id}) is waiting for its pause, stored "
                f"{at(job.stored_at_ms)}, until {at(job.expires_at_ms)}: a pause on this job {effect} at once")
    if job.state == HANDED_OVER:
        if job.event_came_first:
            how = f"came first (stored {at(job.stored_at_ms)}) and was handed over when {_execution(job)} paused"
        else:
            when = "(when is not known)" if job.handed_over_at_ms is None else f"at {at(job.handed_over_at_ms)}"
            how = f"was handed over {when} to {_execution(job)}"
        return (f"{job.job_id}: handed over: event {job.event_id} {how}; remembered until {at(job.expires_at_ms)} "
                "(a duplicate of it is ignored until then)")
    if job.state == EXPIRED:
        was = {WAITING_PAUSE: f"a pause of {_execution(job)} that timed out or was stopped",
               EARLY_EVENT: f"an early {_kind(job.outcome)} event ({job.event_id}) no pause came for",
               HANDED_OVER: f"the memory of a hand-over by event {job.event_id}"}.get(job.was, "an item of no known shape")
        return (f"{job.job_id}: expired {at(job.expires_at_ms)}: {was}; treated as absent (TTL deletes it lazily, "
                "usually within 48 h)")
    if job.state == UNKNOWN:
        waiting = (f"; the dead-letter queue holds {_plural(dead_letter_messages, 'undelivered event')} "
                   f"(`sfn-resume redrive --stack {stack} --dry-run` lists them)" if dead_letter_messages else "")
        return (f"{job.job_id}: nothing known: no pause is waiting on it and no event came for it. Usually the "
                "workflow has not reached its pause, or the job's event has not come yet; or the event pattern or an "
                "id path does not match (`sfn-resume check CONFIG --event EVENT --state STATE` tells); or TTL "
                f"deleted a finished hand-over{waiting}")
    return f"{job.job_id}: an item of no known shape"


def jobs_lines(report: Jobs) -> list[str]:
    return [job_line(job, report.now_ms, report.dead_letter_messages, report.instance.stack) for job in report.jobs]


def _instance_json(instance: Instance) -> dict:
    return {"stack": instance.stack, "nameSuffix": instance.name_suffix, "tableName": instance.table_name}


def job_json(job: Job) -> dict:
    return {"jobId": job.job_id, "state": job.state, "was": job.was, "pausedAt": iso(job.paused_at_ms),
            "executionId": job.execution_id, "outcome": job.outcome, "eventId": job.event_id,
            "eventTime": job.event_time, "storedAt": iso(job.stored_at_ms),
            "handedOverAt": iso(job.handed_over_at_ms), "eventCameFirst": job.event_came_first,
            "expiresAt": iso(job.expires_at_ms)}


def jobs_json(report: Jobs) -> dict:
    return {**_instance_json(report.instance), "jobs": [job_json(job) for job in report.jobs],
            "deadLetterMessages": report.dead_letter_messages}


def summary_lines(report: Summary) -> list[str]:
    instance, queue = report.instance, report.queue
    scanned = (f"scanned the whole table ({_plural(report.scanned, 'item')})" if report.complete else
               f"stopped after {_plural(report.scanned, 'item')} (--limit {report.limit}): the counts are partial")
    lines = [f"stack {instance.stack}, instance {instance.name_suffix}, table {instance.table_name}: {scanned}"]
    lines += [f"  {label}: {report.counts[key]}" for key, label in COUNTS.items()
              if report.counts[key] or key != "unrecognised"]
    oldest = ("no age data in CloudWatch for the last 15 min" if queue.oldest_age_seconds is None
              else f"the oldest {_duration(queue.oldest_age_seconds)} old")
    lines.append(f"dead-letter queue {instance.queue_name}: {_plural(queue.messages, 'message')} "
                 f"({queue.in_flight} in flight), {oldest}")
    if queue.messages or queue.in_flight:
        lines.append(f"  events EventBridge could not deliver: fix the cause, then `sfn-resume redrive --stack "
                     f"{instance.stack}` (`--dry-run` first lists them)")
    lines.append(f"alarms in ALARM ({instance.alarm_prefix}*): {len(report.alarms) or 'none'}")
    lines += [f"  {alarm.name} since {_at(alarm.since_ms, report.now_ms) if alarm.since_ms else '?'}:"
              f" {alarm.reason}" for alarm in report.alarms]
    return lines


def summary_json(report: Summary) -> dict:
    queue = report.queue
    return {**_instance_json(report.instance), **report.counts, "scanned": report.scanned,
            "complete": report.complete, "deadLetterQueue": {
                "url": queue.url, "messages": queue.messages, "inFlight": queue.in_flight,
                "oldestMessageAgeSeconds": queue.oldest_age_seconds},
            "alarms": [{"name": alarm.name, "reason": alarm.reason,
                        "since": iso(alarm.since_ms)}
                       for alarm in report.alarms]}


def redrive_lines(report: Redrive) -> list[str]:
    lines = []
    for message in report.messages:
        event = f"event {message.event_id}" + (f" (job {message.job_id})" if message.job_id is not None else "")
        if message.action == STARTED:
            note = f" ({message.reason})" if message.reason else ""
            lines.append(f"{message.message_id}: {event}: started {message.execution_arn}{note}")
        elif message.action == WOULD_START:
            lines.append(f"{message.message_id}: {event}: would start {message.state_machine_arn}")
        else:
            lines.append(f"{message.message_id}: {event if message.event_id else 'not an event'}: kept: {message.reason}")
    kept = sum(message.action == KEPT for message in report.messages)
    done = len(report.messages) - kept
    verb = "would start" if report.dry_run else "started"
    total = f"{_plural(len(report.messages), 'message')}: {done} {verb}, {kept} kept"
    if report.dry_run:
        total = f"dry run, nothing changed: {total}"
    if report.stopped_at_max is not None:
        total += f"; stopped at --max {report.stopped_at_max}: more may be waiting"
    elif not report.messages:
        total = "the dead-letter queue is empty: nothing to redrive"
    return lines + [total]


def redrive_json(report: Redrive) -> dict:
    return {**_instance_json(report.instance), "dryRun": report.dry_run, "stoppedAtMax": report.stopped_at_max,
            "messages": [{"messageId": message.message_id, "action": message.action, "eventId": message.event_id,
                          "jobId": message.job_id, "stateMachineArn": message.state_machine_arn,
                          "executionArn": message.execution_arn, "reason": message.reason}
                         for message in report.messages]}
