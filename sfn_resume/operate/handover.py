"""`sfn-resume resume` and `fail`: a pause answered by hand, through the stack's own machines and the same protocol as
a real event (docs/DESIGN.md). `resume` starts the resume machine with the input a rule's target gives it
(`{"id", "jobId", "event"}`); `fail` starts the fail machine with that, for a failure event built for the job, and
the `error` and `cause` the pause fails with (a 0.2 or 0.3 stack, which has no fail machine: its pause machine). So
what a real event would meet, a hand-made one meets: it resumes (or fails) the pause waiting on the job, or (`early`)
waits for the pause to come, or is ignored when the job's hand-over is done already. Before anything starts, `inputs`
checks what they are handed against the stack.

What happened is read where the protocol records it. A STANDARD run is awaited (DescribeExecution) and its last
state says what it did. An EXPRESS run (the fail and pause machines always; the resume machine with
`ResumeWorkflowType=EXPRESS`) keeps no history that AWS lets one read: the job's item, read before the start and
until the run's write shows, tells instead; and since a pause whose workflow ended (stopped, failed, or past its
heartbeat) still looks waiting in the table until its timeout, the paused execution is described first.
"""

from __future__ import annotations

import datetime
import json
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

from .. import asl
from .inputs import check_event, check_job, read_rules
from .redrive import execution_name
from .stack import Instance, OperateError
from .status import (EARLY_EVENT, HANDED_OVER, WAITING_PAUSE, Job, instance_json, job_json, read_item, read_job,
                     workflow_status)
from .times import at, now_ms

RESUMED, FAILED, STORED = "resumed", "failed", "stored"
ALREADY_HANDED_OVER, SENT_AGAIN, PAUSE_CLOSED = "already-handed-over", "sent-again", "pause-closed"
RUN_FAILED, NO_ANSWER = "run-failed", "no-answer"
#: Outcomes after which the command exits 1: the hand-over may not have happened.
UNSURE = (RUN_FAILED, NO_ANSWER)
#: What the last state of a STANDARD run means (asl.py's states).
_LAST_STATES = {"SendTaskSuccess": RESUMED, "FailThePause": FAILED, "StoreEarlyEvent": STORED,
                "AlreadyHandled": ALREADY_HANDED_OVER, "PauseAlreadyClosed": PAUSE_CLOSED}

#: How long the commands wait for their run (a hand-over takes well under a second on AWS).
WAIT_SECONDS = 60.0
_POLL_SECONDS = 0.1
#: SendTaskFailure's limit for the error.
MAX_ERROR_CHARS = 256
#: The source and detail-type of the failure events `fail` builds.
FAILURE_SOURCE, FAILURE_DETAIL_TYPE = "sfn-resume", "Job Failed By Hand"
DEFAULT_CAUSE = "failed by hand with sfn-resume fail"


@dataclass(frozen=True)
class HandOver:
    """What `resume` or `fail` did."""

    instance: Instance
    command: str  # "resume" or "fail"
    job_id: str
    event_id: str
    event_id_generated: bool  # the event had no id: the command gave it one
    state_machine_arn: str
    execution_arn: str
    outcome: str
    job: Job  # the item after the run, as status reads it
    error: str | None = None  # RUN_FAILED: the run's error; `fail`: the error the pause fails with
    cause: str | None = None


def given_event(event: dict) -> tuple[dict, bool]:
    """The event with an id (EventBridge gives every event one, and the protocol recognises a duplicate by it):
    as it is, or with a new one; and whether it was new."""
    if isinstance(event.get("id"), str) and event["id"]:
        return event, False
    return dict(event, id=str(uuid.uuid4())), True


def failure_event(instance: Instance, job_id: str, error: str, cause: str) -> dict:
    """A failure event for the job, in EventBridge's shape. Should it wait for a pause to come, the pause fails
    with SfnResume.JobFailed and this detail as cause (the stored event keeps no error of its own)."""
    _, _, _, region, account, *_ = instance.resume_state_machine_arn.split(":")
    time_text = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": FAILURE_DETAIL_TYPE, "source": FAILURE_SOURCE,
            "account": account, "time": time_text, "region": region, "resources": [],
            "detail": {"jobId": job_id, "error": error, "cause": cause}}


def check_failure(error: str, cause: str) -> None:
    if not error or len(error) > MAX_ERROR_CHARS:
        raise OperateError(f"--error: {error!r} is not allowed; expected 1 to {MAX_ERROR_CHARS} characters "
                           "(SendTaskFailure's limit)")
    if len(cause) > asl.MAX_CAUSE_CHARS:
        raise OperateError(f"--cause: {len(cause):,} characters are not allowed; expected at most "
                           f"{asl.MAX_CAUSE_CHARS:,} (SendTaskFailure's limit)")


def resume(aws: Any, instance: Instance, job_id: str, event: dict, early: bool = False,
           wait_seconds: float = WAIT_SECONDS) -> HandOver:
    """Hand `event` to the pause on `job_id` through the resume machine; `early`: the event comes before its pause."""
    check_event(read_rules(aws, instance), job_id, event, instance.stack)
    event, generated = given_event(event)
    before = read_item(aws, instance, job_id)
    check_job(read_job(job_id, before, now_ms()), now_ms(), instance.stack, event["id"], early)
    machine_type = aws.client("stepfunctions").describe_state_machine(
        stateMachineArn=instance.resume_state_machine_arn)["type"]
    return _hand_over(aws, instance, "resume", instance.resume_state_machine_arn, machine_type,
                      {"id": event["id"], "jobId": job_id, "event": event}, generated, before, wait_seconds)


def fail(aws: Any, instance: Instance, job_id: str, error: str = asl.JOB_FAILED_ERROR, cause: str = DEFAULT_CAUSE,
         early: bool = False, wait_seconds: float = WAIT_SECONDS) -> HandOver:
    """Fail the pause on `job_id` with `error` and `cause`, through the fail machine (always EXPRESS; a 0.2 or 0.3
    stack's pause machine); `early`: the pause is still to come."""
    check_failure(error, cause)
    machine = failing_machine(aws, instance)
    before = read_item(aws, instance, job_id)
    check_job(read_job(job_id, before, now_ms()), now_ms(), instance.stack, early=early)
    event = failure_event(instance, job_id, error, cause)
    machine_input = {"id": event["id"], "jobId": job_id, "event": event, "error": error, "cause": cause}
    report = _hand_over(aws, instance, "fail", machine, "EXPRESS", machine_input, False, before, wait_seconds)
    return report if report.outcome == RUN_FAILED else replace(report, error=error, cause=cause)


#: Where the pause machine of 0.2 and 0.3 began: the choice between a pause and a failure event (0.4's takes pauses only).
PAUSE_OR_FAILURE_EVENT = "PauseOrFailureEvent"


def failing_machine(aws: Any, instance: Instance) -> str:
    """The machine that fails a pause: the fail machine; on a stack from 0.2 or 0.3, which has none, the pause
    machine, which took failure events then."""
    if instance.pause_state_machine_arn is None:  # 0.1's FailStateMachineArn was a machine of another protocol
        raise OperateError(f"--stack: {instance.stack} has no PauseStateMachineArn output: a 0.1 stack, which can "
                           "fail no pause (update it: docs/UPGRADING.md, Upgrading from 0.1)")
    if instance.fail_state_machine_arn is not None:
        return instance.fail_state_machine_arn
    definition = json.loads(aws.client("stepfunctions").describe_state_machine(
        stateMachineArn=instance.pause_state_machine_arn)["definition"])
    if definition.get("StartAt") != PAUSE_OR_FAILURE_EVENT:
        raise OperateError(f"--stack: {instance.stack} has no FailStateMachineArn output: its instance has no failure "
                           "event pattern, and no fail machine; set FailureEventPattern (failureEventPattern) to fail "
                           "pauses")
    return instance.pause_state_machine_arn


def _hand_over(aws: Any, instance: Instance, command: str, machine: str, machine_type: str, machine_input: dict,
               generated: bool, before: dict | None, wait_seconds: float) -> HandOver:
    """Start `machine` and read what its run did; `before`: the job's item as the checks read it."""
    event_id, job_id = machine_input["id"], machine_input["jobId"]
    # an ended workflow's pause looks waiting in the table: what the EXPRESS path reads (unknown counts as waiting)
    pause_ended = machine_type == "EXPRESS" and workflow_status(aws, read_job(job_id, before, now_ms())) not in (
        None, "RUNNING")
    started_ms = now_ms()
    execution = aws.client("stepfunctions").start_execution(
        stateMachineArn=machine, name=execution_name(event_id, command), input=json.dumps(machine_input))["executionArn"]
    deadline = time.monotonic() + wait_seconds
    error = cause = None
    if machine_type == "STANDARD":
        outcome, error, cause = _standard_run(aws, execution, deadline)
        after = read_item(aws, instance, job_id)
        outcome = _standard_outcome(outcome, read_job(job_id, before, started_ms), read_job(job_id, after, now_ms()),
                                    event_id)
    else:
        outcome, after = _express_run(aws, instance, job_id, event_id, before, started_ms, deadline, pause_ended)
    if outcome == RESUMED and command == "fail":
        outcome = FAILED
    return HandOver(instance, command, job_id, event_id, generated, machine, execution, outcome,
                    read_job(job_id, after, now_ms()), error, cause)


def _standard_run(aws: Any, execution: str, deadline: float) -> tuple[str, str | None, str | None]:
    """The outcome of a STANDARD run, from its end and its last state; (outcome, error, cause)."""
    stepfunctions = aws.client("stepfunctions")
    while (described := stepfunctions.describe_execution(executionArn=execution))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            return NO_ANSWER, None, None
        time.sleep(_POLL_SECONDS)
    if described["status"] != "SUCCEEDED":
        return RUN_FAILED, described.get("error") or described["status"], described.get("cause")
    # the last state the run left; by event id, which orders them whichever way the history is given
    events = stepfunctions.get_execution_history(executionArn=execution, reverseOrder=True, maxResults=100)["events"]
    last = max((event for event in events if "stateExitedEventDetails" in event), key=lambda event: event["id"])
    last = last["stateExitedEventDetails"]["name"]
    if last not in _LAST_STATES:  # a machine this version does not know (a newer protocol)
        return RUN_FAILED, "SfnResume.UnknownEnd", f"the run ended in state {last}, which sfn-resume does not know"
    return _LAST_STATES[last], None, None


def _standard_outcome(outcome: str, held: Job, now: Job, event_id: str) -> str:
    """A STANDARD run's outcome, told apart where its last state means two things: a token this event claimed
    before is claimed and answered again, which finishes a hand-over whose send had failed, or ends in
    `PauseAlreadyClosed` when this event had answered it already; an event stored early may have been taken by a
    pause at once."""
    if held.state == HANDED_OVER and held.event_id == event_id and outcome == PAUSE_CLOSED:
        return ALREADY_HANDED_OVER
    if outcome == STORED and now.state == HANDED_OVER:
        return RESUMED
    return outcome


def _express_run(aws: Any, instance: Instance, job_id: str, event_id: str, before: dict | None, started_ms: int,
                 deadline: float, pause_ended: bool) -> tuple[str, dict | None]:
    """The outcome of an EXPRESS run, from the job's item: what the protocol's conditions let this event do, and
    the write that shows it did it. `pause_ended`: the waiting pause's workflow had ended before the run."""
    held = read_job(job_id, before, started_ms)
    if held.state in (EARLY_EVENT, HANDED_OVER) and held.event_id != event_id:
        return ALREADY_HANDED_OVER, before  # the protocol ignores another event of a job it holds: nothing to see
    if held.state == EARLY_EVENT:
        return ALREADY_HANDED_OVER, before  # this very event waits already
    while True:
        after = read_item(aws, instance, job_id)
        if after is not None and after != before and _attribute(after, "eventId") == event_id:
            break
        if time.monotonic() > deadline:
            return NO_ANSWER, after
        time.sleep(_POLL_SECONDS)
    if held.state == HANDED_OVER:
        return SENT_AGAIN, after  # this event had claimed the pause: the run claims again and sends again
    now = read_job(job_id, after, now_ms())
    if now.state == EARLY_EVENT:
        return STORED, after
    if held.state == WAITING_PAUSE or held.was == WAITING_PAUSE:
        return (RESUMED if held.state == WAITING_PAUSE and not pause_ended else PAUSE_CLOSED), after
    return RESUMED, after  # stored, and a pause that came meanwhile took it at once


def _attribute(item: dict, name: str) -> str | None:
    return (item.get(name) or {}).get("S")


# --- presenting

def hand_over_line(report: HandOver) -> str:
    """One line: what became of the event, and of the pause."""
    job, now = report.job, now_ms()
    pause = f"the pause of execution {job.execution_id}" if job.execution_id else "the pause"
    ran = f"(run {report.execution_arn})"
    what = "the failure" if report.command == "fail" else f"event {report.event_id}"
    if report.outcome == RESUMED:
        return f"{report.job_id}: resumed: {what} was handed over to {pause} {ran}"
    if report.outcome == FAILED:
        return f"{report.job_id}: failed: {pause} fails with {report.error}: {report.cause} {ran}"
    if report.outcome == STORED:
        effect = ("fails with SfnResume.JobFailed (its cause: this event's detail)" if report.command == "fail"
                  else "continues with it at once")
        return (f"{report.job_id}: stored for the pause to come: no pause waits on this job yet; {what} waits until "
                f"{at(job.expires_at_ms, now)}, and the pause {effect} {ran}")
    if report.outcome == ALREADY_HANDED_OVER:
        holder = ("this event" if job.event_id == report.event_id else f"event {job.event_id}")
        held = "waits for its pause" if job.state == EARLY_EVENT else "was handed over"
        return (f"{report.job_id}: already handed over: {holder} {held}, and the job's hand-over is remembered until "
                f"{at(job.expires_at_ms, now)}; {what} was ignored, as a duplicate {ran}")
    if report.outcome == SENT_AGAIN:
        return (f"{report.job_id}: sent again: {what} had claimed {pause} already; its answer was sent again "
                f"(a pause answered already ignores it) {ran}")
    if report.outcome == PAUSE_CLOSED:
        return (f"{report.job_id}: pause already closed: {pause} had timed out or ended; {what} was taken for its "
                f"late event and answered nothing {ran}")
    if report.outcome == RUN_FAILED:
        return f"{report.job_id}: the run failed: {report.error}: {report.cause} {ran}"
    return (f"{report.job_id}: no answer within {WAIT_SECONDS:.0f} s: the run has not ended or left no trace in the "
            f"table; see its execution, or the log group {report.instance.log_group} {ran}")


def hand_over_json(report: HandOver) -> dict:
    return {**instance_json(report.instance), "command": report.command, "jobId": report.job_id,
            "eventId": report.event_id, "eventIdGenerated": report.event_id_generated,
            "stateMachineArn": report.state_machine_arn, "executionArn": report.execution_arn,
            "outcome": report.outcome, "error": report.error, "cause": report.cause, "job": job_json(report.job)}
