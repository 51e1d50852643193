"""`sfn-resume redrive`: the events EventBridge could not deliver (its dead-letter queue) put through the hand-over
again, each started on the state machine its rule targets now, with the input that target's InputTransformer gives.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from dataclasses import dataclass, replace
from typing import Any

from ..transformer import target_input
from .stack import Instance, error_code, error_text
from .status import instance_json, plural

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
        return replace(started, reason=f"the message stays: DeleteMessage failed: {error_text(error)}")
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
        if error_code(error) != "ResourceNotFoundException":
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
        return Redriven(**started, reason=f"StartExecution failed: {error_text(error)}")
    return Redriven(**dict(started, action=STARTED, execution_arn=execution["executionArn"]))


def _missing_state_machine(aws: Any, arn: str) -> str | None:
    """For a dry run: why a start of `arn` would fail, when the machine is not there (other errors, such as no
    states:DescribeStateMachine right, tell nothing about the start)."""
    from botocore.exceptions import ClientError

    try:
        aws.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    except ClientError as error:
        if error_code(error) in ("StateMachineDoesNotExist", "InvalidArn"):
            return f"the start would fail: {error_text(error)}"
    return None


def execution_name(event_id: Any, command: str = "redrive") -> str:
    """`<command>-<event id>-<random>`: findable by the event's id, and new at every start. A name derived from the
    event alone would make StartExecution refuse a second start of it (ExecutionAlreadyExists) for 90 days, even
    after the first run failed; the machines themselves make a second copy of an event harmless."""
    readable = re.sub(r"[^A-Za-z0-9_-]", "-", str(event_id or "event"))[:40]
    return f"{command}-{readable}-{uuid.uuid4().hex[:12]}"



# --- presenting

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
    total = f"{plural(len(report.messages), 'message')}: {done} {verb}, {kept} kept"
    if report.dry_run:
        total = f"dry run, nothing changed: {total}"
    if report.stopped_at_max is not None:
        total += f"; stopped at --max {report.stopped_at_max}: more may be waiting"
    elif not report.messages:
        total = "the dead-letter queue is empty: nothing to redrive"
    return lines + [total]


def redrive_json(report: Redrive) -> dict:
    return {**instance_json(report.instance), "dryRun": report.dry_run, "stoppedAtMax": report.stopped_at_max,
            "messages": [{"messageId": message.message_id, "action": message.action, "eventId": message.event_id,
                          "jobId": message.job_id, "stateMachineArn": message.state_machine_arn,
                          "executionArn": message.execution_arn, "reason": message.reason}
                         for message in report.messages]}
