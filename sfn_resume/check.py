"""`sfn-resume check`: would this event resume (or fail) a paused workflow, and with which job id?

Matching is EventBridge's (sfn_resume.matching, plain Python: `check` needs no extra); what a miss does not
explain (why a pattern missed) is found by matching each leaf of the pattern on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import asl
from .config import ConfigError, InstanceConfig, parse_json, read_input
from .jsonpath import MISSING, find
from .matching import matches

#: The verdict when both patterns match one event: on AWS both rules fire, and the two runs race for the pause.
BOTH = "BOTH"


def evaluate_path(path: str, document):
    """What a plain JSONPath reference finds in `document` (MISSING when nothing), with the part of it found."""
    return find(document, path)


def job_id_string(value) -> str:
    """The job id as the templates store it: JSONata's `$string()` of the value."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


@dataclass
class InstanceVerdict:
    name_suffix: str
    outcome: str | None = None  # SUCCEEDED, FAILED, or None when no pattern matched
    lines: list[str] = field(default_factory=list)
    acts: bool = False


def _leaves(pattern: dict, prefix=()):
    for key, value in pattern.items():
        if isinstance(value, dict) and key != "$or":
            yield from _leaves(value, prefix + (key,))
        else:
            yield prefix + (key,), value


def _nest(path: tuple, value) -> dict:
    for key in reversed(path):
        value = {key: value}
    return value


def why_not(pattern: dict, event: dict) -> list[str]:
    """Each leaf of the pattern that the event does not satisfy, with what the event has there."""
    reasons = []
    for path, expected in _leaves(pattern):
        if matches(_nest(path, expected), event):
            continue
        if path[-1] == "$or":
            reasons.append(f"{'.'.join(path)}: none of the alternatives match")
            continue
        actual = event
        for key in path:
            actual = actual.get(key, MISSING) if isinstance(actual, dict) else MISSING
        has = "nothing (the field is absent)" if actual is MISSING else json.dumps(actual)
        reasons.append(f"{'.'.join(path)}: the pattern wants {json.dumps(expected)}, the event has {has}")
    return reasons


def check_instance(config: InstanceConfig, event: dict, state: dict | None) -> InstanceVerdict:
    verdict = InstanceVerdict(config.nameSuffix)
    say = verdict.lines.append
    success = matches(config.eventPattern, event)
    failure = config.failureEventPattern is not None and matches(config.failureEventPattern, event)
    if success and failure:
        verdict.outcome = BOTH
        say("eventPattern and failureEventPattern: both match: on AWS both rules fire, and whichever run reaches the "
            "paused workflow first resumes it or fails it with " + asl.JOB_FAILED_ERROR + "; make the patterns "
            "exclusive (e.g. different status values)")
    elif success:
        verdict.outcome = asl.SUCCEEDED
        say("eventPattern: matches: this event would resume the paused workflow")
    elif failure:
        verdict.outcome = asl.FAILED
        say(f"failureEventPattern: matches: this event would fail the paused state with {asl.JOB_FAILED_ERROR}")
    else:
        say("eventPattern: does not match:")
        verdict.lines += [f"  {reason}" for reason in why_not(config.eventPattern, event)]
        if config.failureEventPattern is not None:
            say("failureEventPattern: does not match:")
            verdict.lines += [f"  {reason}" for reason in why_not(config.failureEventPattern, event)]
        say("the event would be ignored: no resume machine starts")
        return verdict

    event_id, found = evaluate_path(config.pathToIdWorkflow, event)
    if event_id is MISSING or event_id is None:
        say(f"pathToIdWorkflow {config.pathToIdWorkflow}: finds nothing in the event (it stops after {found}): "
            "the resume execution would fail")
        return verdict
    say(f"pathToIdWorkflow {config.pathToIdWorkflow}: job id {job_id_string(event_id)!r}")
    verdict.acts = verdict.outcome != BOTH
    if state is not None:
        state_id, found = evaluate_path(config.pathToIdPauseTask, state)
        if state_id is MISSING or state_id is None:
            say(f"pathToIdPauseTask {config.pathToIdPauseTask}: finds nothing in the state (it stops after {found}): "
                "the pause would fail")
            verdict.acts = False
            return verdict
        if job_id_string(state_id) != job_id_string(event_id):
            say(f"pathToIdPauseTask {config.pathToIdPauseTask}: job id {job_id_string(state_id)!r}: does NOT pair "
                "with the event's: the workflow would wait until it times out")
            verdict.acts = False
            return verdict
        say(f"pathToIdPauseTask {config.pathToIdPauseTask}: job id {job_id_string(state_id)!r}: pairs with the event")
    if verdict.outcome != BOTH:
        say(_what_the_workflow_receives(config, event, verdict.outcome))
    return verdict


def _what_the_workflow_receives(config: InstanceConfig, event: dict, outcome: str) -> str:
    if outcome == asl.FAILED:
        cause = json.dumps(event.get("detail"), separators=(",", ":"))[:asl.MAX_CAUSE_CHARS]
        return f"the paused state fails: error {asl.JOB_FAILED_ERROR}, cause {cause}"
    size = asl.event_bytes(event)
    if size > asl.MAX_EVENT_BYTES:
        return (f"the workflow receives the event with its detail trimmed ({size} bytes > "
                f"{asl.MAX_EVENT_BYTES}) at {config.resultPath or '(discarded: resultPath is null)'}")
    if config.resultPath is None:
        return "the workflow resumes with its state unchanged (resultPath is null: the event is discarded)"
    return f"the workflow receives {{\"event\": <this event>}} at {config.resultPath}"


def read_json(path: str, what: str):
    """A JSON file named by an option (`-` for standard input)."""
    prefix = f"{what}: {path}: "
    return parse_json(read_input(path, prefix), prefix)


def require_object(value, what: str, path: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError([f"{what}: {path}: is a JSON {type(value).__name__}; expected an object"])
    return value
