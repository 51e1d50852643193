"""What `resume` and `fail` are handed, checked against the deployed stack before anything starts: an event must be
one the stack's own resume rule would hand over, for the job named, and a job must have a pause waiting on it
(unless the operator says the event comes before its pause: `--early`). A refusal is an OperateError (exit 2)
that says why; nothing is started or written.

The checks read the stack as it is deployed: its rules' event patterns and the id path of their InputTransformer
(`read_rules`), and the job's item through `status`'s readers. They start nothing themselves: `handover` calls
them, then starts the machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..check import job_id_string, why_not
from ..jsonpath import MISSING, input_path_value
from ..matching import matches
from .stack import Instance, OperateError, error_code
from .status import WAITING_PAUSE, Job, job_line

#: The fields of a PutEvents entry, which is what a producer sends, not the event EventBridge delivers.
PUT_EVENTS_ENTRY = {"Source", "DetailType", "Detail"}
#: How many of a pattern's unmatched leaves a refusal names.
SHOWN_REASONS = 3


@dataclass(frozen=True)
class Rules:
    """What the stack's rules hand over: the success pattern, the failure pattern (None without a failure rule),
    and where their InputTransformer finds the job id in an event."""

    success_pattern: dict
    failure_pattern: dict | None
    path_to_id: str


def read_rules(aws: Any, instance: Instance) -> Rules:
    """The stack's rules as deployed (DescribeRule, ListTargetsByRule): the patterns and the id path an event meets."""
    from botocore.exceptions import ClientError

    events = aws.client("events")
    resume_rule, fail_rule = (arn.rpartition("/")[2] for arn in instance.rule_arns)
    patterns = []
    for rule in (resume_rule, fail_rule):
        try:
            patterns.append(json.loads(events.describe_rule(Name=rule)["EventPattern"]))
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException" or rule == resume_rule:
                raise
            patterns.append(None)  # the stack has no failure pattern
    targets = events.list_targets_by_rule(Rule=resume_rule)["Targets"]
    paths = [target["InputTransformer"]["InputPathsMap"]["jobId"] for target in targets
             if "jobId" in (target.get("InputTransformer") or {}).get("InputPathsMap", {})]
    if not paths:
        raise OperateError(f"--stack: {instance.stack}'s rule {resume_rule} has no target that reads a job id; is it "
                           "an sfn-resume stack's rule?")
    return Rules(patterns[0], patterns[1], paths[0])


def check_event(rules: Rules, job_id: str, event: dict, stack: str) -> None:
    """Refuse an event the stack's resume rule would not hand over to the pause on `job_id`: a PutEvents entry, a
    failure event (`fail` is for those), one that matches neither pattern, or one of another job."""
    if PUT_EVENTS_ENTRY <= set(event) and "detail" not in event:
        raise OperateError("--event: is a PutEvents entry (Source, DetailType, Detail), not an event as EventBridge "
                           "delivers it (source, detail-type, detail as an object, id, time, ...); give the "
                           "delivered event, e.g. a dead-letter message's body or the service's sample")
    success = matches(rules.success_pattern, event)
    failure = rules.failure_pattern is not None and matches(rules.failure_pattern, event)
    if success and failure:
        raise OperateError("--event: matches both the stack's success and failure patterns: a real event would start "
                           "both rules, which race for the pause; make the patterns exclusive (`sfn-resume check` "
                           "shows why each matches)")
    if failure:
        raise OperateError(f"--event: is a failure event (it matches the stack's failure pattern); `resume` hands "
                           f"over success events only. To fail the pause on {job_id}: sfn-resume fail --stack "
                           f"{stack} {job_id} --cause CAUSE")
    if not success:
        reasons = why_not(rules.success_pattern, event)
        shown = "; ".join(reasons[:SHOWN_REASONS]) + ("; ..." if len(reasons) > SHOWN_REASONS else "")
        raise OperateError(f"--event: matches none of the stack's patterns, so no rule would hand it over: {shown}")
    found = input_path_value(event, rules.path_to_id)
    if found is MISSING or found is None:
        raise OperateError(f"--event: the stack's id path {rules.path_to_id} finds no job id in it: its resume run "
                           "would fail")
    if job_id_string(found) != job_id:
        raise OperateError(f"--event: is the event of job {job_id_string(found)!r} (the stack's id path "
                           f"{rules.path_to_id}), not of {job_id!r}: give {job_id}'s event, or resume "
                           f"{job_id_string(found)}")


def check_job(job: Job, now_ms: int, stack: str, event_id: str | None = None, early: bool = False) -> None:
    """Refuse a job no pause waits on, unless `early` (the operator says the event comes before its pause) or the
    job's item was claimed by this very event (`event_id`: the same hand-over tried again, which the protocol
    finishes or ignores)."""
    if early or job.state == WAITING_PAUSE or event_id is not None and job.event_id == event_id:
        return
    known = job_line(job, now_ms, stack=stack).removeprefix(f"{job.job_id}: ")
    raise OperateError(f"{job.job_id}: refused: no pause is waiting on this job, so nothing was started. What status "
                       f"says: {known}. If the event comes before its pause, --early hands it over anyway, to wait "
                       "for the pause")
