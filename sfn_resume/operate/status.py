"""`sfn-resume status`: where each job's hand-over is (its table item, read back as docs/DESIGN.md's shapes), or a
summary of an instance (its items by shape, the dead-letter queue, the alarms in ALARM).

Gathering and presenting are apart: `job_states` and `summary` read through `aws` (anything with
`.client(service)`) and return data; `*_lines` and `*_json` present it. Times come from the item itself
(`pausedAtMs`, `storedAtMs`, `handedOverAtMs`); 0.1's and 0.2's items did not record all of them, and the
times they lack are shown as unknown rather than guessed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import Any

from .. import asl
from ..protocol import item
from ..protocol.item import Item
from .stack import Instance
from .times import at, duration, epoch_ms, iso, now_ms

WAITING_PAUSE, EARLY_EVENT, HANDED_OVER = "waiting-pause", "early-event", "handed-over"
EXPIRED, UNKNOWN = "expired", "unknown"
#: The JSON names of the protocol's item shapes.
_STATES = {item.WAITING_PAUSE: WAITING_PAUSE, item.EARLY_EVENT: EARLY_EVENT, item.HANDED_OVER: HANDED_OVER}
#: What the summary reads of an item: not the event, which may be large (`outcome` is stored with it).
_PROJECTION = {"ProjectionExpression": ", ".join(f"#{name}" if name in item.RESERVED_ATTRIBUTES else name
                                                 for name in item.SUMMARY_ATTRIBUTES),
               "ExpressionAttributeNames": {f"#{name}": name for name in item.RESERVED_ATTRIBUTES}}


def item_state(dynamodb_item: dict) -> str:
    """The shape of an item, as status names it (`waiting-pause`, `early-event`, `handed-over`); the summary reads
    items without their event (`Item.shape` tells them apart by the `outcome` stored with it)."""
    return _STATES[Item.from_dynamodb(dynamodb_item).shape]


@dataclass(frozen=True)
class Job:
    """Where one job's hand-over is. Times are epoch milliseconds; None where the item does not tell."""

    job_id: str
    state: str  # one of the shapes, EXPIRED or UNKNOWN (no item)
    was: str | None = None  # EXPIRED: the shape the item had
    expires_at_ms: int | None = None
    paused_at_ms: int | None = None
    execution_id: str | None = None
    outcome: str | None = None  # SUCCEEDED (a success event), FAILED (a failure event), when the item says
    event_id: str | None = None
    event_time: str | None = None  # an early event's own `time`
    stored_at_ms: int | None = None  # when an early event was stored (also once a pause took it)
    handed_over_at_ms: int | None = None
    event_came_first: bool | None = None  # a hand-over: the event was stored early and claimed by the pause
    late: bool | None = None  # a hand-over: the pause had timed out when its event came (it answered nothing)
    #: a waiting pause, read by `status JOB_ID`: its workflow's execution status (RUNNING, or how it ended); None
    #: where not read, or where AWS does not tell (an EXPRESS workflow, no right to describe it)
    workflow_status: str | None = None


def read_job(job_id: str, dynamodb_item: dict | None, now: int) -> Job:
    """A job from its item (docs/DESIGN.md, "The item"), as `Item` reads every version's."""
    if dynamodb_item is None:
        return Job(job_id, UNKNOWN)
    read = Item.from_dynamodb(dynamodb_item)
    state = _STATES[read.shape]
    event = read.event_json()
    fields: dict[str, Any] = {
        "expires_at_ms": read.expires_at_ms, "event_id": read.event_id, "paused_at_ms": read.paused_at_ms,
        "execution_id": read.execution_id, "outcome": read.outcome, "stored_at_ms": read.stored_at_ms,
        "handed_over_at_ms": read.handed_over_at_ms, "event_time": event.get("time") if event else None}
    if state == HANDED_OVER:
        # an early event records when it was stored, which its claim by the pause keeps (0.3, 0.4: a claim of the
        # token keeps the event too, without storedAtMs); 0.2's pause machine added its executionId to the early
        # event's item, without pausedAtMs
        came_first = (read.stored_at_ms is not None if read.handed_over_at_ms is not None
                      else read.execution_id is not None and read.paused_at_ms is None)
        # only 0.3 recorded when the claimed pause would have timed out
        late = (read.handed_over_at_ms > read.pause_expires_at_ms
                if read.handed_over_at_ms is not None and read.pause_expires_at_ms is not None
                else False if came_first else None)
        fields.update(event_came_first=came_first, late=late)
    if read.expired(now):
        return Job(job_id, EXPIRED, was=state, **fields)
    return Job(job_id, state, **fields)


@dataclass(frozen=True)
class Jobs:
    instance: Instance
    jobs: list[Job]
    dead_letter_messages: int
    now_ms: int


def read_item(aws: Any, instance: Instance, job_id: str) -> dict | None:
    """A job's item, read consistently: what the machines' last write left."""
    return aws.client("dynamodb").get_item(TableName=instance.table_name, Key={"id": {"S": job_id}},
                                           ConsistentRead=True).get("Item")


def job_states(aws: Any, instance: Instance, job_ids: list[str]) -> Jobs:
    """Each job's item (with, for a waiting pause, its workflow's status), and the number of events waiting in the
    dead-letter queue (where an event that could not start its machine is)."""
    items = [read_item(aws, instance, job_id) for job_id in job_ids]
    now = now_ms()
    jobs = [read_job(job_id, item, now) for job_id, item in zip(job_ids, items, strict=True)]
    jobs = [replace(job, workflow_status=workflow_status(aws, job)) for job in jobs]
    return Jobs(instance, jobs, dead_letter_queue(aws, instance).messages, now)


def workflow_status(aws: Any, job: Job) -> str | None:
    """The status of the execution that a waiting pause belongs to: a workflow that has ended (stopped, failed,
    timed out as a whole or past its `HeartbeatSeconds`) has closed the pause's token, though its item waits until
    the pause's timeout. None for another state, or where AWS does not tell (an EXPRESS workflow, which it does not
    describe; no right to describe it)."""
    from botocore.exceptions import ClientError

    if job.state != WAITING_PAUSE or not job.execution_id:
        return None
    try:
        return aws.client("stepfunctions").describe_execution(executionArn=job.execution_id)["status"]
    except ClientError:
        return None


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
    return [Alarm(alarm["AlarmName"], alarm.get("StateReason", ""), epoch_ms(alarm.get("StateUpdatedTimestamp")))
            for page in pages for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])
            if alarm["StateValue"] == "ALARM"]


#: The summary's counts, in the order they are shown (and their JSON keys).
COUNTS = {"waitingPauses": "pauses waiting", "earlySuccessEvents": "early success events waiting for their pause",
          "earlyFailureEvents": "early failure events waiting for their pause",
          "handOvers": "hand-overs remembered (duplicates of their events are ignored)",
          "expired": "expired items, left for TTL"}


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
    waiting_job_ids: list[str]  # the jobs whose pause waits: what draining before a tear-down is about


#: How many waiting jobs the summary's text names (--json names them all).
NAMED_WAITING_JOBS = 10


def _count_key(job: Job) -> str:
    if job.state == EARLY_EVENT:
        return "earlyFailureEvents" if job.outcome == asl.FAILED else "earlySuccessEvents"
    return {WAITING_PAUSE: "waitingPauses", HANDED_OVER: "handOvers", EXPIRED: "expired"}[job.state]


def summary(aws: Any, instance: Instance, limit: int) -> Summary:
    """Counts of the table's items by shape (a paginated Scan of at most `limit` items), the dead-letter queue, and
    the alarms in ALARM."""
    items, complete = scan_items(aws.client("dynamodb"), instance.table_name, limit)
    now = now_ms()
    counts = dict.fromkeys(COUNTS, 0)
    jobs = [read_job(item["id"]["S"], item, now) for item in items]
    for job in jobs:
        counts[_count_key(job)] += 1
    waiting = sorted(job.job_id for job in jobs if job.state == WAITING_PAUSE)
    return Summary(instance, counts, len(items), complete, limit, dead_letter_queue(aws, instance),
                   alarms_in_alarm(aws, instance), now, waiting)


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


# --- presenting

def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def event_kind(outcome: str | None) -> str:
    return {asl.FAILED: "failure ", asl.SUCCEEDED: "success "}.get(outcome, "")


def _execution(job: Job) -> str:
    return f"execution {job.execution_id}" if job.execution_id else "an execution not recorded (a 0.1 pause)"


def _hand_over(job: Job, when) -> str:
    """What a hand-over did: continued or failed the pause, or came too late for it."""
    event = f"{event_kind(job.outcome)}event {job.event_id}"
    if job.event_came_first:
        return f"{event} came first (stored {when(job.stored_at_ms)}) and was handed over when {_execution(job)} paused"
    handed = "(when is not known: a 0.2 item)" if job.handed_over_at_ms is None else f"at {when(job.handed_over_at_ms)}"
    if job.late:
        return (f"{event} came {handed}, after the pause of {_execution(job)} had timed out: a late event, it answered "
                "nothing")
    effect = {asl.FAILED: " (it failed the pause with SfnResume.JobFailed)", asl.SUCCEEDED: ""}.get(job.outcome, "")
    return f"{event} was handed over {handed} to {_execution(job)}{effect}"


def job_line(job: Job, now: int, dead_letter_messages: int = 0, stack: str = "STACK") -> str:
    """One line: where this job's hand-over is, and what it means."""
    def when(ms: int | None) -> str:
        return at(ms, now)

    if job.state == WAITING_PAUSE and job.workflow_status not in (None, "RUNNING"):
        return (f"{job.job_id}: a pause looks waiting, since {when(job.paused_at_ms)}, until "
                f"{when(job.expires_at_ms)}, but {_execution(job)} has ended ({job.workflow_status}): the pause is "
                "closed, and an event of this job would be taken for its late event")
    if job.state == WAITING_PAUSE:
        return (f"{job.job_id}: a pause is waiting, since {when(job.paused_at_ms)}, until {when(job.expires_at_ms)}, "
                f"for {_execution(job)}")
    if job.state == EARLY_EVENT:
        effect = "fails it with SfnResume.JobFailed" if job.outcome == asl.FAILED else "continues with it"
        return (f"{job.job_id}: an early {event_kind(job.outcome)}event ({job.event_id}) is waiting for its pause, stored "
                f"{when(job.stored_at_ms)}, until {when(job.expires_at_ms)}: a pause on this job {effect} at once")
    if job.state == HANDED_OVER:
        return (f"{job.job_id}: handed over: {_hand_over(job, when)}; remembered until {when(job.expires_at_ms)} "
                "(another event of this job is ignored until then)")
    if job.state == EXPIRED:
        was = {WAITING_PAUSE: f"a pause of {_execution(job)} that timed out or was stopped",
               EARLY_EVENT: f"an early {event_kind(job.outcome)}event ({job.event_id}) no pause came for",
               HANDED_OVER: f"the memory of a hand-over by event {job.event_id}"}[job.was]
        return (f"{job.job_id}: expired {when(job.expires_at_ms)}: {was}; treated as absent (TTL deletes it lazily, "
                "usually within 48 h)")
    waiting = (f"; the dead-letter queue holds {plural(dead_letter_messages, 'undelivered event')} "
               f"(`sfn-resume redrive --stack {stack} --dry-run` lists them)" if dead_letter_messages else "")
    return (f"{job.job_id}: nothing known: no pause is waiting on it and no event came for it. Usually the "
            "workflow has not reached its pause, or the job's event has not come yet; or the event pattern or an "
            "id path does not match (`sfn-resume check CONFIG --event EVENT --state STATE` tells); or TTL "
            f"deleted a finished hand-over{waiting}")


def jobs_lines(report: Jobs) -> list[str]:
    return [job_line(job, report.now_ms, report.dead_letter_messages, report.instance.stack) for job in report.jobs]


def instance_json(instance: Instance) -> dict:
    return {"stack": instance.stack, "nameSuffix": instance.name_suffix, "tableName": instance.table_name}


def job_json(job: Job) -> dict:
    return {"jobId": job.job_id, "state": job.state, "was": job.was, "pausedAt": iso(job.paused_at_ms),
            "executionId": job.execution_id, "outcome": job.outcome, "late": job.late, "eventId": job.event_id,
            "eventTime": job.event_time, "storedAt": iso(job.stored_at_ms),
            "handedOverAt": iso(job.handed_over_at_ms), "eventCameFirst": job.event_came_first,
            "expiresAt": iso(job.expires_at_ms), "workflowStatus": job.workflow_status}


def jobs_json(report: Jobs) -> dict:
    return {**instance_json(report.instance), "jobs": [job_json(job) for job in report.jobs],
            "deadLetterMessages": report.dead_letter_messages}


def summary_lines(report: Summary) -> list[str]:
    instance, queue = report.instance, report.queue
    scanned = (f"scanned the whole table ({plural(report.scanned, 'item')})" if report.complete else
               f"stopped after {plural(report.scanned, 'item')} (--limit {report.limit}): the counts are partial")
    lines = [f"stack {instance.stack}, instance {instance.name_suffix}, table {instance.table_name}: {scanned}"]
    for key, label in COUNTS.items():
        lines.append(f"  {label}: {report.counts[key]}")
        if key == "waitingPauses" and report.waiting_job_ids:
            named, more = report.waiting_job_ids[:NAMED_WAITING_JOBS], len(report.waiting_job_ids) - NAMED_WAITING_JOBS
            lines.append(f"    on jobs {', '.join(named)}" + (f" and {more} more (--json lists them)" if more > 0 else ""))
    oldest = ("no age data in CloudWatch for the last 15 min" if queue.oldest_age_seconds is None
              else f"the oldest {duration(queue.oldest_age_seconds)} old")
    lines.append(f"dead-letter queue {instance.queue_name}: {plural(queue.messages, 'message')} "
                 f"({queue.in_flight} in flight), {oldest}")
    if queue.messages or queue.in_flight:
        lines.append(f"  events EventBridge could not deliver: fix the cause, then `sfn-resume redrive --stack "
                     f"{instance.stack}` (`--dry-run` first lists them)")
    lines.append(f"alarms in ALARM ({instance.alarm_prefix}*): {len(report.alarms) or 'none'}")
    lines += [f"  {alarm.name} since {at(alarm.since_ms, report.now_ms) if alarm.since_ms else '?'}:"
              f" {alarm.reason}" for alarm in report.alarms]
    return lines


def summary_json(report: Summary) -> dict:
    queue = report.queue
    return {**instance_json(report.instance), **report.counts, "scanned": report.scanned,
            "complete": report.complete, "waitingJobIds": report.waiting_job_ids,
            "eventRetentionSeconds": report.instance.event_retention_seconds,
            "deadLetterQueue": {"url": queue.url, "messages": queue.messages, "inFlight": queue.in_flight,
                                "oldestMessageAgeSeconds": queue.oldest_age_seconds},
            "alarms": [{"name": alarm.name, "reason": alarm.reason, "since": iso(alarm.since_ms)}
                       for alarm in report.alarms]}
