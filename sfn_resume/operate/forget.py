"""`sfn-resume forget`: remove an early event that waits for its pause (one stored by mistake, say by `resume
--early` on a mistyped job id), so that it neither answers a pause to come nor holds up a drain before a tear-down.

Only an early event is removed, and only while it still is one: the delete is conditional on the item as it was
read (the same event, not claimed by a pause meanwhile). Anything else is refused (exit 2), and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .stack import Instance, OperateError, error_code
from .status import EARLY_EVENT, Job, event_kind, instance_json, job_json, job_line, read_item, read_job
from .times import at, now_ms

#: The item is still the early event that was read: the same event, and no pause has claimed it (a claim adds the
#: pause's token and the time of the hand-over: docs/DESIGN.md, "The item"; `asl.item_shape`).
STILL_THE_EARLY_EVENT = "eventId = :eventId AND attribute_not_exists(#token) AND attribute_not_exists(handedOverAtMs)"


@dataclass(frozen=True)
class Forgotten:
    instance: Instance
    job: Job  # the early event as it was before it was removed


def forget(aws: Any, instance: Instance, job_id: str) -> Forgotten:
    """Remove the early event waiting for the pause on `job_id`; refuse anything else."""
    from botocore.exceptions import ClientError

    now = now_ms()
    job = read_job(job_id, read_item(aws, instance, job_id), now)
    if job.state != EARLY_EVENT:
        known = job_line(job, now, stack=instance.stack).removeprefix(f"{job_id}: ")
        raise OperateError(f"{job_id}: refused: `forget` removes an early event waiting for its pause, and this job "
                           f"has none. What status says: {known}")
    try:
        aws.client("dynamodb").delete_item(
            TableName=instance.table_name, Key={"id": {"S": job_id}}, ConditionExpression=STILL_THE_EARLY_EVENT,
            ExpressionAttributeNames={"#token": "token"}, ExpressionAttributeValues={":eventId": {"S": job.event_id}})
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
        changed = read_job(job_id, read_item(aws, instance, job_id), now_ms())
        raise OperateError(f"{job_id}: refused: the early event changed while it was read (a pause took it, or "
                           f"another event replaced it); nothing was removed. What status says now: "
                           f"{job_line(changed, now_ms(), stack=instance.stack).removeprefix(f'{job_id}: ')}") from None
    return Forgotten(instance, job)


def forget_line(report: Forgotten) -> str:
    job = report.job
    return (f"{job.job_id}: forgotten: the early {event_kind(job.outcome)}event {job.event_id} (stored "
            f"{at(job.stored_at_ms, now_ms())}) is removed; a pause on this job will wait for an event of its own")


def forget_json(report: Forgotten) -> dict:
    return {**instance_json(report.instance), "jobId": report.job.job_id, "forgotten": job_json(report.job)}
