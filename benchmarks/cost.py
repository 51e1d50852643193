"""Price per path: what one hand-over costs, for sfn-resume and for the original construct, on one price model.

Five paths (happy, early event, duplicate copy, failure event, timeout then late event) run in the emulator; for
each, the figures that cost money are read off what really ran:
- the pause state's transitions in the user's (STANDARD) workflow, from its execution history;
- every run of the pause and resume machines: states entered and API calls (history), duration (Express billing);
- every DynamoDB call the machines made (the backend is wrapped while they run), sized from the items written;
- the log events each run writes at its machine's log level (estimated from its history), and the traces it starts.
benchmarks/prices.py prices them. Counts, item sizes and log events are fixed by the definitions: they hold on
AWS; durations are the emulator's, so the Express duration charge is an upper bound.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import time
from dataclasses import dataclass, field

from sfn_resume import build_template
from sfn_resume.config import InstanceConfig
from sfn_resume.local import local_aws
from sfn_resume.local.harness import Deployment
from sfn_resume.nested import generic_parameters

from . import prices
from .baseline import OriginalDeployment

PATHS = ("happy", "early_event", "duplicate", "failure", "late_event")
PATH_LABELS = {
    "happy": "happy path",
    "early_event": "early event",
    "duplicate": "duplicate (a 2nd copy)",
    "failure": "failure event",
    "late_event": "timeout, then late event",
}
#: States of the harness's sample workflow that are not part of the pause state.
WORKFLOW_OWN_STATES = frozenset({"StartJob", "Continue", "HandleJobFailure"})
#: How long a baseline workflow is watched after its resume chance has passed before it counts as lost.
LOST_AFTER_SECONDS = 0.5
#: Each design's default log level: the machines' level in sfn-resume, the original's resume machine ALL.
LOG_LEVELS = {"sfn_resume": "ERROR", "original": "ALL"}
RESUME_TYPES = ("STANDARD", "EXPRESS")


def _history(sfn, execution_arn: str) -> list[dict]:
    events, token = [], None
    while True:
        page = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000, **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def history_counts(sfn, execution_arn: str, exclude_states: frozenset = frozenset()) -> dict:
    """States entered and tasks scheduled in one execution's history (states named in `exclude_states`
    and the tasks they schedule are left out)."""
    transitions = api_calls = 0
    current = None
    for event in _history(sfn, execution_arn):
        if event["type"].endswith("StateEntered"):
            current = event["stateEnteredEventDetails"]["name"]
            transitions += current not in exclude_states
        elif event["type"] == "TaskScheduled" and current not in exclude_states:
            api_calls += 1
    return {"transitions": transitions, "api_calls": api_calls}


def log_record(event: dict, execution_arn: str) -> dict:
    """The record Step Functions logs for a history event, without execution data (IncludeExecutionData false):
    its id, type, details (a state's name, a task's resource, an error and its cause), the previous event's id, a
    millisecond timestamp, the execution's ARN and its redrive count."""
    details = {}
    for key, value in event.items():
        if key.endswith("EventDetails"):
            details = {name: value[name] for name in ("name", "resource", "resourceType", "error", "cause")
                       if name in value}
    return {"id": str(event["id"]), "type": event["type"], "details": details,
            "previous_event_id": str(event.get("previousEventId", 0)), "event_timestamp": "1795977149888",
            "execution_arn": execution_arn, "redrive_count": "0"}


def run_figures(sfn, execution: dict, machine: str) -> dict:
    """What one run of a machine costs: states, calls, duration, log bytes by level, whether it starts a trace."""
    arn = execution["executionArn"]
    events = _history(sfn, arn)
    records = [(e["type"], len(json.dumps(log_record(e, arn), separators=(",", ":")))) for e in events]
    started_by_the_workflow = machine == "pause" and "event" not in json.loads(execution.get("input") or "{}")
    return {
        "machine": machine,
        **history_counts(sfn, arn),
        "seconds": round((execution["stopDate"] - execution["startDate"]).total_seconds(), 3),
        "status": execution["status"],
        "log_bytes": {level: sum(size for kind, size in records if prices.logged(kind, level))
                      for level in ("ERROR", "ALL")},
        # a pause run joins its (traced) workflow's trace; a run an event starts begins one of its own
        "starts_trace": not started_by_the_workflow,
    }


class DynamoDbMeter:
    """Records each DynamoDB request the machines make, with the sizes of its item before and after (requests from
    the benchmark's own thread, its looks at the table, are not the machines' and are left out)."""

    OPERATIONS = ("put_item", "update_item", "delete_item", "get_item")

    def __init__(self):
        self.calls: list[dict] = []

    @contextlib.contextmanager
    def metering(self):
        from moto.dynamodb.responses import DynamoHandler

        original = {name: getattr(DynamoHandler, name) for name in self.OPERATIONS}

        def metered(operation: str):
            def request(handler, *args, **kwargs):
                if threading.current_thread() is threading.main_thread():
                    return original[operation](handler, *args, **kwargs)
                body = handler.body
                table = body["TableName"]
                if "Item" in body:
                    hash_key = handler.dynamodb_backend.get_table(table).hash_key_attr
                    key = {hash_key: body["Item"][hash_key]}
                else:
                    key = body["Key"]

                def size() -> int:
                    item = handler.dynamodb_backend.get_item(table, key)
                    return prices.item_size(item.to_json()["Attributes"] if item else {})

                before, failed = size(), None
                try:
                    return original[operation](handler, *args, **kwargs)
                except Exception as error:
                    failed = type(error).__name__
                    raise
                finally:
                    self.calls.append({"operation": operation, "before": before, "after": size(),
                                       "consistent": bool(body.get("ConsistentRead")), "failed": failed})
            return request

        for name in self.OPERATIONS:
            setattr(DynamoHandler, name, metered(name))
        try:
            yield self
        finally:
            for name, method in original.items():
                setattr(DynamoHandler, name, method)

    def mark(self) -> int:
        return len(self.calls)

    def units_since(self, mark: int) -> dict:
        calls = self.calls[mark:]
        wru = sum(prices.write_units(c["before"], c["after"]) for c in calls if c["operation"] != "get_item")
        rru = sum(prices.read_units(c["before"], c["consistent"]) for c in calls if c["operation"] == "get_item")
        return {"wru": wru, "rru": rru, "calls": [{k: v for k, v in c.items() if v or k in ("before", "after")}
                                                  for c in calls]}


@dataclass
class _Machines:
    """Hands out each machine's runs that appeared since the last call, once they have all finished."""

    deployment: Deployment
    machines: dict  # name ("pause", "resume", "fail") -> state machine ARN
    seen: set = field(default_factory=set)

    def take(self, expected: dict, timeout: float = 15.0) -> list[tuple[str, dict]]:
        runs = []
        for name, arn in self.machines.items():
            count = len([e for e in self.deployment.executions(arn) if e["executionArn"] in self.seen])
            finished = self.deployment.wait_for_executions(arn, count + expected.get(name, 0), timeout)
            fresh = [e for e in finished if e["executionArn"] not in self.seen]
            self.seen.update(e["executionArn"] for e in fresh)
            runs += [(name, e) for e in fresh]
        return runs

    def none_within(self, seconds: float) -> bool:
        time.sleep(seconds)
        return all(e["executionArn"] in self.seen for arn in self.machines.values()
                   for e in self.deployment.executions(arn))


def with_job_id(event: dict, path: str, job_id: str) -> dict:
    """A copy of `event` with `job_id` at the JSONPath `path` (`$.a.b` form)."""
    event = copy.deepcopy(event)
    *parents, name = path[2:].split(".")
    node = event
    for key in parents:
        node = node.setdefault(key, {})
    node[name] = job_id
    return event


def _path(sfn, meter: DynamoDbMeter, mark: int, workflow_run: str | None, runs: list, outcome: str,
          occurrences: int = 1) -> dict:
    return {
        "pause_state": history_counts(sfn, workflow_run, WORKFLOW_OWN_STATES) if workflow_run else
        {"transitions": 0, "api_calls": 0},
        "runs": [run_figures(sfn, execution, machine) for machine, execution in runs],
        "dynamodb": meter.units_since(mark),
        "occurrences": occurrences,
        "outcome": outcome,
    }


def _entered(sfn, execution_arn: str, state: str) -> bool:
    return any(e.get("stateEnteredEventDetails", {}).get("name") == state for e in _history(sfn, execution_arn))


def measure_sfn_resume(meter: DynamoDbMeter, instance: InstanceConfig, success: dict, failure: dict) -> dict:
    """The five paths through sfn-resume, each in an emulator of its own: no other stack's rule sees its events."""
    with local_aws() as aws:
        figures = _sfn_resume_paths(aws, meter, instance, success, failure)
    with local_aws() as aws:
        figures["late_event"] = _sfn_resume_late_event(aws, meter, instance, success)
    return figures


def _deploy(aws, instance: InstanceConfig, name: str, **parameters) -> tuple[Deployment, str, _Machines]:
    deployment = Deployment.deploy(aws, name, build_template(), {**generic_parameters(instance), **parameters})
    workflow = deployment.create_workflow(f"{name}-workflow", instance.pathToIdPauseTask)
    return deployment, workflow, _Machines(deployment, {"pause": deployment.pause_state_machine,
                                                        "resume": deployment.resume_state_machine,
                                                        "fail": deployment.fail_state_machine})


def _outcome(deployment: Deployment, run: str) -> str:
    described = deployment.wait(run)
    if described["status"] != "SUCCEEDED":
        return f"workflow {described['status']} ({described.get('error')})"
    sfn = deployment.aws.client("stepfunctions")
    return "failure delivered to the Catch" if _entered(sfn, run, "HandleJobFailure") else "resumed with the event"


def _sfn_resume_paths(aws, meter: DynamoDbMeter, instance: InstanceConfig, success: dict, failure: dict) -> dict:
    sfn = aws.client("stepfunctions")

    def event(template: dict, job_id: str) -> dict:
        return with_job_id(template, instance.pathToIdWorkflow, job_id)

    deployment, workflow, machines = _deploy(aws, instance, "bench-cost")
    figures = {}
    mark = meter.mark()
    run = deployment.start(workflow, "happy-1")
    deployment.wait_until_paused(run, "happy-1")
    deployment.send(event(success, "happy-1"))
    outcome = _outcome(deployment, run)
    figures["happy"] = _path(sfn, meter, mark, run, machines.take({"pause": 1, "resume": 1}), outcome)

    mark = meter.mark()
    deployment.send(event(success, "early-1"))
    stored = machines.take({"resume": 1})  # the event is stored before the pause starts
    run = deployment.start(workflow, "early-1")
    outcome = _outcome(deployment, run)
    figures["early_event"] = _path(sfn, meter, mark, run, stored + machines.take({"pause": 1}), outcome)

    run = deployment.start(workflow, "dup-1")
    deployment.wait_until_paused(run, "dup-1")
    deployment.send(event(success, "dup-1"))
    _outcome(deployment, run)
    machines.take({"pause": 1, "resume": 1})
    mark = meter.mark()
    deployment.send(event(success, "dup-1"), event(success, "dup-1"))
    copies = machines.take({"resume": 2})
    ignored = all(execution["status"] == "SUCCEEDED" for _, execution in copies) and not deployment.live_items()
    figures["duplicate"] = _path(sfn, meter, mark, None, copies, "ignored" if ignored else "NOT ignored",
                                 occurrences=2)

    mark = meter.mark()
    run = deployment.start(workflow, "fail-1")
    deployment.wait_until_paused(run, "fail-1")
    deployment.send(event(failure, "fail-1"))
    outcome = _outcome(deployment, run)
    figures["failure"] = _path(sfn, meter, mark, run, machines.take({"pause": 1, "fail": 1}), outcome)

    return figures


def _sfn_resume_late_event(aws, meter: DynamoDbMeter, instance: InstanceConfig, success: dict) -> dict:
    """A pause that times out (after 1 s), then its job's event."""
    deployment, workflow, machines = _deploy(aws, instance, "bench-cost-timeout", TimeoutSeconds="1")
    sfn = aws.client("stepfunctions")
    mark = meter.mark()
    run = deployment.start(workflow, "late-1")
    outcome = _outcome(deployment, run)
    deployment.send(with_job_id(success, instance.pathToIdWorkflow, "late-1"))
    runs = machines.take({"pause": 1, "resume": 1})
    late = [execution for machine, execution in runs if machine == "resume"]
    closed = all(_entered(sfn, execution["executionArn"], "PauseAlreadyClosed") for execution in late)
    return _path(sfn, meter, mark, run, runs,
                 f"{outcome}; the late event is answered to it and remembered" if closed else outcome)


def measure_original(meter: DynamoDbMeter, instance: InstanceConfig, success: dict, failure: dict) -> dict:
    """The same paths through the original construct, in an emulator of its own. Its rule matches only
    `eventPattern`; its pause has no timeout, so the late event meets a pause that still waits."""
    with local_aws() as aws:
        return _original_paths(aws, meter, instance, success, failure)


def _original_paths(aws, meter: DynamoDbMeter, instance: InstanceConfig, success: dict, failure: dict) -> dict:
    original = OriginalDeployment.deploy(aws, "bench-original", instance.eventPattern,
                                         instance.pathToIdPauseTask, instance.pathToIdWorkflow)
    sfn = aws.client("stepfunctions")
    machines = _Machines(original, {"resume": original.resume_state_machine})

    def event(template: dict, job_id: str) -> dict:
        return with_job_id(template, instance.pathToIdWorkflow, job_id)

    def outcome_of(run: str, wait: bool = True) -> str:
        if not wait:
            time.sleep(LOST_AFTER_SECONDS)
            status = sfn.describe_execution(executionArn=run)["status"]
            return "LOST: workflow still paused" if status == "RUNNING" else f"workflow {status}"
        return "resumed (constant output)" if original.wait(run)["status"] == "SUCCEEDED" else "workflow failed"

    figures = {}
    mark = meter.mark()
    run = original.start("happy-1")
    original.wait_until_paused("happy-1")
    original.send(event(success, "happy-1"))
    figures["happy"] = _path(sfn, meter, mark, run, machines.take({"resume": 1}), outcome_of(run))
    figures["late_event"] = dict(figures["happy"], outcome="no timeout: the pause waits (up to a year); the late "
                                                           "event resumes it")

    mark = meter.mark()
    original.send(event(success, "early-1"))
    stored = machines.take({"resume": 1})  # GetItem finds nothing: the run fails and the event is gone
    run = original.start("early-1")
    original.wait_until_paused("early-1")
    figures["early_event"] = _path(sfn, meter, mark, run, stored, outcome_of(run, wait=False))

    run = original.start("dup-1")
    original.wait_until_paused("dup-1")
    original.send(event(success, "dup-1"))
    outcome_of(run)
    machines.take({"resume": 1})
    mark = meter.mark()
    original.send(event(success, "dup-1"), event(success, "dup-1"))
    copies = machines.take({"resume": 2})
    failed = sum(execution["status"] == "FAILED" for _, execution in copies)
    figures["duplicate"] = _path(sfn, meter, mark, None, copies,
                                 f"{failed} of 2 copies: run FAILED" if failed else "ignored", occurrences=2)

    mark = meter.mark()
    run = original.start("fail-1")
    original.wait_until_paused("fail-1")
    original.send(event(failure, "fail-1"))
    outcome = outcome_of(run, wait=False)
    no_rule = machines.none_within(0)
    figures["failure"] = _path(sfn, meter, mark, run, [], outcome + (", no rule matches" if no_rule else ""))
    return figures


def price(path: dict, resume_type: str, log_level: str) -> dict:
    """Dollars per million occurrences of a path, by what they pay for: resume runs of `resume_type`, the pause and
    fail machines always Express, the pause state's transitions in the STANDARD workflow."""
    standard = path["pause_state"]["transitions"]
    express = 0.0
    for run in path["runs"]:
        if run["machine"] in ("pause", "fail") or resume_type == "EXPRESS":
            express += prices.express_run(run["seconds"])
        else:
            standard += run["transitions"]
    parts = {
        "step_functions_standard": standard * prices.STANDARD_PER_TRANSITION,
        "step_functions_express": express,
        "dynamodb": path["dynamodb"]["wru"] * prices.DYNAMODB_PER_WRU + path["dynamodb"]["rru"] * prices.DYNAMODB_PER_RRU,
        "logs": sum(run["log_bytes"][log_level] for run in path["runs"]) / 1e9 * prices.LOGS_PER_GB,
        "xray": sum(run["starts_trace"] for run in path["runs"]) * prices.XRAY_SAMPLED_FRACTION * prices.XRAY_PER_TRACE,
    }
    per_million = {name: round(value * 1e6 / path["occurrences"], 4) for name, value in parts.items()}
    per_million["total"] = round(sum(per_million.values()), 4)
    return per_million


def token_break_even(design: dict) -> dict:
    """For each item size written on the happy path: the token length at which it would need a second WRU."""
    calls = [c for c in design["happy"]["dynamodb"]["calls"] if c["operation"] != "get_item"]
    largest = max(max(c["before"], c["after"]) for c in calls)
    return {"largest_item_bytes": largest, "token_chars_for_2_wru": 1024 - (largest - prices.TASK_TOKEN_CHARS) + 1}


def measure(instance: InstanceConfig, success: dict, failure: dict) -> dict:
    meter = DynamoDbMeter()
    with meter.metering():
        measured = {"sfn_resume": measure_sfn_resume(meter, instance, success, failure),
                    "original": measure_original(meter, instance, success, failure)}
    for design, paths in measured.items():
        for figures in paths.values():
            figures["usd_per_million"] = {resume_type: price(figures, resume_type, LOG_LEVELS[design])
                                          for resume_type in RESUME_TYPES}
    happy = {design: measured[design]["happy"]["usd_per_million"] for design in ("sfn_resume", "original")}
    measured["happy_ratio"] = {t: round(happy["sfn_resume"][t]["total"] / happy["original"][t]["total"], 3)
                               for t in RESUME_TYPES}
    measured["items"] = {design: token_break_even(measured[design]) for design in ("sfn_resume", "original")}
    measured["model"] = {
        "priced_in": prices.PRICED_IN, "pages": prices.PAGES,
        "standard_usd_per_1000_transitions": prices.STANDARD_PER_TRANSITION * 1000,
        "express_usd_per_million_requests": prices.EXPRESS_PER_REQUEST * 1e6,
        "express_usd_per_gb_second": prices.EXPRESS_PER_GB_SECOND, "express_memory_mb": 64,
        "express_billing_unit_ms": int(prices.EXPRESS_UNIT_SECONDS * 1000),
        "dynamodb_usd_per_million_wru": prices.DYNAMODB_PER_WRU * 1e6,
        "dynamodb_usd_per_million_rru": prices.DYNAMODB_PER_RRU * 1e6,
        "logs_usd_per_gb": prices.LOGS_PER_GB, "xray_usd_per_million_traces": prices.XRAY_PER_TRACE * 1e6,
        "xray_sampled_fraction": prices.XRAY_SAMPLED_FRACTION, "task_token_chars": prices.TASK_TOKEN_CHARS,
        "log_levels": LOG_LEVELS, "free_tier": "ignored",
    }
    return measured
