"""The world `sfn-resume verify` explores: the table, the task-token service, the runs of an instance's machines, the
workflows that pause, the jobs whose events arrive, and the clock -- one immutable, hashable value per state, and
every step that AWS allows from it.

What the world models of AWS (each an assumption the checker's verdict rests on; docs/DESIGN.md lists them):
- A run is advanced one service call at a time; anything may happen between two calls of a run (other runs' calls,
  the clock passing any boundary), since a run may be slow, retried with backoff, or delayed.
- Every run may run again from its first state after any of its calls, or after it ended (asynchronous Express runs
  are at least once; a STANDARD resume machine started twice by EventBridge's at-least-once delivery is the same).
- EventBridge delivers each event at least once, at any time after it was emitted, in any order; a delivery may
  fail and go to the dead-letter queue, from which it may be redriven (another delivery) at any later time.
- A call may fail with any error its API documents; a write may be applied and still report an error (the retried
  call then meets its own result); an error may persist through every retry.
- The task-token service accepts the first answer to a waiting token before its deadline and refuses every other
  with TaskTimedOut, TaskDoesNotExist or InvalidToken (each explored).
- DynamoDB deletes an expired item (TTL) at any moment after it expired, or never.
- A job id names one job at a time: it is started again only when every pause on the old job ended and
  EventRetentionSeconds have passed since the old job's last event (the reuse policy, docs/DESIGN.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..transformer import transform_input
from . import dynamodb
from .item import EXPIRES_AT_MS, HANDED_OVER_AT_MS, PAUSE_EXPIRES_AT_MS, TOKEN
from .instance import PSEUDO, Instance
from .interpreter import Cursor, Machine, StateError, canonical, iso

#: Where the checker's clock starts (an arbitrary instant: 2026-01-01T00:00:00Z).
EPOCH_MS = 1_767_225_600_000
WAITING, SUCCEEDED, FAILED, TIMED_OUT = "WAITING", "SUCCEEDED", "FAILED", "TIMED_OUT"
TOKEN_CLOSED = ("Sfn.TaskTimedOutException", "Sfn.TaskDoesNotExistException", "Sfn.InvalidTokenException")
#: Step Functions' limits on what a send carries.
MAX_OUTPUT_BYTES, MAX_ERROR_CHARS, MAX_CAUSE_CHARS = 262_144, 256, 32_768
JOB_FAILED, JOB_ID_IN_USE, PAUSE_FAILED = "SfnResume.JobFailed", "SfnResume.JobIdInUse", "SfnResume.PauseFailed"
TIMEOUT = "States.Timeout"
#: The properties checked on every step, word for word as docs/DESIGN.md states them (a test compares).
PROPERTIES = {
    'only its own token': (
        "A run of the pause machine, which any workflow's role may start, answers no task token but the one "
        'it was started with.'
    ),
    "own job's event": (
        'A pause is answered only with an event of its own job: resumed with a success event of that job, or '
        'failed with SfnResume.JobFailed and a failure event of that job.'
    ),
    'no silent loss': (
        'A pause that times out was neither handed an event of its job (an item recorded the hand-over) nor '
        'sent one in time (a delivery of the event made its first call within EventRetentionSeconds of the '
        "event's time, and the pause's run began before then), unless something visible happened to its job "
        '(a run failed, an event was dead-lettered) or a hand-over of it was still under way.'
    ),
    'no needless failure': (
        'No run fails, and no pause fails with SfnResume.PauseFailed, unless AWS returned an error through '
        "every retry (or reported one for a call it applied), a run outlived Express's five minutes, its "
        'event came after its retention, or the job id changed under it MAX_ROUNDS times in a row.'
    ),
    'no waiting for nothing': (
        'A run of the pause machine fails only when Step Functions refused its answer through every retry, '
        "its workflow's KMS key refused even a failure without cause (SfnResume.KmsKeyUnusable), or the run "
        "outlived Express's five minutes: any other error fails the pause with SfnResume.PauseFailed. No run "
        "fails on a KMS key's refusal of its answer before failing the pause without a cause."
    ),
}
CONTENDED = "SfnResume.Contended"
KMS_KEY_UNUSABLE = "SfnResume.KmsKeyUnusable"
KMS_REFUSED = ("Sfn.KmsAccessDeniedException", "Sfn.KmsInvalidStateException")
CONDITION_FAILED = "DynamoDb.ConditionalCheckFailedException"
#: What a run's failure may say besides an injected error: its event came after its retention, its job id changed under
#: it MAX_ROUNDS times.
FAILURE_REASONS = ("older than EventRetentionSeconds", CONTENDED)
#: An Express run lasts at most five minutes: a pause's runs (the first, and a repeat of it: at least once) run within
#: that time of the pause state's entry, or fail with States.Timeout.
EXPRESS_MAX_MS = 300_000

#: Errors each API documents that the checker injects (AWS SDK integration names), by resource action. Writes may also
#: be applied and then report InternalServerError (or, for Step Functions, a client-side failure).
_DYNAMODB_ERRORS = ("DynamoDb.ProvisionedThroughputExceededException", "DynamoDb.RequestLimitExceededException",
                    "DynamoDb.InternalServerErrorException", "DynamoDb.ResourceNotFoundException",
                    # ThrottlingException, ServiceUnavailable and AccessDenied are not modelled by the SDK: they reach
                    # a state as the service's base exception
                    "DynamoDb.DynamoDbException")
_SEND_ERRORS = ("Sfn.SfnException", "Sfn.KmsAccessDeniedException", "Sfn.KmsInvalidStateException",
                "Sfn.KmsThrottlingException")
INJECTED = {
    "dynamodb:putItem": _DYNAMODB_ERRORS, "dynamodb:updateItem": _DYNAMODB_ERRORS,
    "dynamodb:deleteItem": _DYNAMODB_ERRORS, "dynamodb:getItem": _DYNAMODB_ERRORS,
    "sfn:sendTaskSuccess": _SEND_ERRORS, "sfn:sendTaskFailure": _SEND_ERRORS,
    "sfn:sendTaskHeartbeat": ("Sfn.SfnException",),
}
APPLIED_THEN = {"dynamodb:putItem": "DynamoDb.InternalServerErrorException",
                "dynamodb:updateItem": "DynamoDb.InternalServerErrorException",
                "dynamodb:deleteItem": "DynamoDb.InternalServerErrorException",
                "sfn:sendTaskSuccess": "Sfn.SdkClientException", "sfn:sendTaskFailure": "Sfn.SdkClientException"}


# --- the scenario: who takes part --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobSpec:
    """One start of a service's job: its events all carry it (the `instance` in their detail)."""

    name: str  # "J1"
    job_id: str  # the id the service gives it; two specs with one job_id are a job id reused
    outcome: str = SUCCEEDED  # its events are success events, or failure events
    deliveries: tuple = (2,)  # per event it emits (the first, then later notices with new ids): deliveries at most
    after: str | None = None  # the job (spec name) whose id it reuses: it starts as the reuse policy allows


@dataclass(frozen=True)
class WorkflowSpec:
    """A STANDARD workflow that starts (or waits on) a job and pauses on it."""

    name: str  # "W1"
    job: str  # the JobSpec it waits on
    pause_state: int = 0  # which of the instance's pause states it pastes (0: JSONPath, 1: JSONata)
    repause_on: tuple = ()  # errors after which it pauses again on the same job (a Catch back to the pause)
    max_pauses: int = 1
    after: tuple | None = None  # (workflow, "done" | "answered"): it starts only then
    execution_of: str | None = None  # an intruder: it claims this workflow's execution id as its own
    any_time: bool = False  # it starts at any moment once it may (else as soon as it may)


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    jobs: tuple
    workflows: tuple
    #: adversities per trace: an injected error, a dead-lettered delivery, a run that runs again, a delivery beyond the
    #: first of the job's first event (a redelivery, a redrive, a later notice)
    adversities: int = 2

    @property
    def needs_failure(self) -> bool:
        """Its jobs emit failure events: an instance without a failure rule cannot take part."""
        return any(job.outcome == FAILED for job in self.jobs)


# --- the world ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    """A pause's task token, as the task-token service holds it."""

    name: str
    workflow: str
    job: str
    deadline: int
    entered: int  # when its pause state was entered: its pause machine's runs end within EXPRESS_MAX_MS of it
    status: str = WAITING
    answer: str | None = None  # canonical JSON of the accepted answer
    began: int | None = None  # when its pause's (latest) run made its first call
    claimed: bool = False  # an item recorded a hand-over to it (an event claimed it, or it claimed an event)


@dataclass(frozen=True)
class Run:
    """One run of one of the instance's machines."""

    id: str
    machine: str
    origin: str  # the token (a pause) or the event (a delivery) it was started for
    input: str
    cursor: Cursor
    #: a delivery's run made its first call before its event's retention ended (None: no call yet); no times are kept in
    #: a run, so that interleavings that differ only in when a run acted meet in one world
    arrived: bool | None = None
    called: bool = False  # it made a call (it may then run again)
    rerun: bool = False  # it ran again already (at most once each)
    faulted: bool = False  # an injected error reached it (an error through every retry, or after an applied call)


@dataclass(frozen=True)
class Event:
    id: str
    job: str
    outcome: str
    deliveries_left: int
    time: int | None = None  # when the job emitted it
    dead_lettered: bool = False


@dataclass(frozen=True)
class Workflow:
    name: str
    status: str = "READY"  # READY, PAUSED, DONE
    pauses: int = 0
    token: str | None = None
    answered: bool = False  # its last pause was answered (with its job's event)


@dataclass(frozen=True)
class World:
    now: int
    table: tuple = ()  # (key, canonical item JSON), sorted
    tokens: tuple = ()
    runs: tuple = ()
    events: tuple = ()
    workflows: tuple = ()
    adversities: int = 0
    failed_jobs: frozenset = frozenset()  # job ids with a visible failure: a failed run, a dead-lettered event

    def item(self, key: str) -> dict | None:
        for k, text in self.table:
            if k == key:
                return json.loads(text)
        return None

    def with_item(self, key: str, item: dict | None) -> World:
        table = tuple((k, t) for k, t in self.table if k != key)
        if item is not None:
            table = tuple(sorted(table + ((key, canonical(item)),)))
        return replace(self, table=table)


@lru_cache(maxsize=200_000)
def _dynamodb_call(api: str, arguments: str, before: str) -> tuple:
    """DynamoDB's answer to a call on an item (both as canonical JSON): the model is pure, and worlds repeat calls."""
    try:
        return dynamodb.call(api, json.loads(arguments), json.loads(before))
    except dynamodb.DynamoDbError as ex:
        # the SDK integration's names: modelled exceptions keep theirs, the others are the service's base exception
        error = f"DynamoDb.{ex.code}" if ex.code.endswith("Exception") else "DynamoDb.DynamoDbException"
        return None, StateError(error, ex.message)


def replace(value, **changes):
    """`dataclasses.replace` for the world's frozen values, which have no `__post_init__`: a copy of their fields,
    `changes` over them (the checker's hottest call: dataclasses.replace goes through `__init__`)."""
    copied = object.__new__(type(value))
    copied.__dict__.update(value.__dict__, **changes)
    return copied


def _sorted(items: tuple) -> tuple:
    """Runs and tokens in one order whatever order they were made in: interleavings that made the same ones meet."""
    return tuple(sorted(items, key=lambda i: getattr(i, "name", None) or i.id))


def _set(items: tuple, new) -> tuple:
    """`items` with the element of the same name (id) replaced by `new`."""
    name = getattr(new, "name", None) or new.id
    return tuple(new if (getattr(i, "name", None) or i.id) == name else i for i in items)


@dataclass(frozen=True)
class Step:
    """One step of a trace: who acted, what, and the item of the job id before and after."""

    actor: str
    action: str
    detail: str = ""
    key: str | None = None
    before: Any = None
    after: Any = None


class Violation(Exception):
    def __init__(self, prop: str, message: str):
        super().__init__(f"{prop}: {message}")
        self.prop, self.message = prop, message


@dataclass
class Model:
    """The instance under verification, and a scenario's parts; `successors(world)` gives every step."""

    instance: Instance
    scenario: Scenario
    #: the properties checked (the others are not: their violations pass unseen)
    properties: tuple = tuple(PROPERTIES)
    timeout_seconds: int = field(init=False)
    retention_ms: int = field(init=False)

    def __post_init__(self):
        partition, region, account = PSEUDO["AWS::Partition"], PSEUDO["AWS::Region"], PSEUDO["AWS::AccountId"]
        self.machines = {name: Machine(name, body["definition"],
                                       f"arn:{partition}:states:{region}:{account}:stateMachine:{name}")
                         for name, body in self.instance.machines.items()}
        self.pause_states = [(ps, Machine(ps.output, {"StartAt": "Pause", "States": {"Pause": ps.state}},
                                          f"arn:{partition}:states:{region}:{account}:stateMachine:Workflow"))
                             for ps in self.instance.pause_states]
        self.timeout_seconds = int(self.instance.pause_states[0].state.get("TimeoutSeconds", 99_999_999))
        self.retention_ms = (self.instance.event_retention_seconds or 86_400) * 1000
        self.jobs = {job.name: job for job in self.scenario.jobs}
        self.specs = {wf.name: wf for wf in self.scenario.workflows}
        self._calls: dict = {}

    # --- the first world ---------------------------------------------------------------------------------------------

    def initial(self) -> World:
        events = []
        for job in self.scenario.jobs:
            target = self.instance.success if job.outcome == SUCCEEDED else self.instance.failure
            if target is None:
                raise ValueError(f"scenario {self.scenario.name}: the instance has no rule for {job.outcome} events")
            for index, deliveries in enumerate(job.deliveries):
                events.append(Event(f"{job.name}-e{index + 1}", job.name, job.outcome, deliveries))
        return World(EPOCH_MS, events=tuple(events), workflows=tuple(Workflow(wf.name) for wf in self.scenario.workflows),
                     adversities=self.scenario.adversities)

    # --- what can happen next ----------------------------------------------------------------------------------------

    def successors(self, world: World):
        """Every (step, next world) from `world`; raises Violation when a step breaks a property. Once every workflow
        is done, only deliveries and runs go on (a duplicate may still fail a run needlessly), the clock stopped."""
        done = all(w.status == "DONE" for w in world.workflows)
        startable = [w for w in world.workflows if w.status == "READY" and self._may_start(world, w)]
        eager = [w for w in startable if not self.specs[w.name].any_time]
        if eager:
            # a workflow starts as soon as it may (a reused job id: the instant the reuse policy allows, when the old
            # job's records have only just expired); its start touches nothing another step reads, so nothing is
            # lost by taking it first
            yield from self._pause(world, eager[0], retry_count=0)
            return
        for workflow in startable:
            yield from self._pause(world, workflow, retry_count=0)
        for event in world.events:
            if event.time is None and self._may_emit(world, event):
                yield (Step(f"job {event.job}", "emits", f"event {event.id} ({event.outcome})"),
                       replace(world, events=_set(world.events, replace(event, time=world.now))))
            elif event.time is not None and event.deliveries_left > 0:
                yield from self._deliver(world, event)
        for run in world.runs:
            if run.cursor.running:
                yield from self._call(world, run)
            if self._may_rerun(world, run):
                yield self._rerun(world, run)
        if done:
            # every pause ended: what is left (duplicates, repeated runs) may still fail a run needlessly; the clock
            # stops there, which bounds the worlds
            return
        for key, text in world.table:
            item = json.loads(text)
            if "expiresAt" in item and world.now > int(item["expiresAt"]["N"]) * 1000:
                yield (Step("DynamoDB", "TTL deletes the item", key=key, before=item),
                       world.with_item(key, None))
        boundary = self._next_boundary(world)
        if boundary is not None:
            yield self._tick(world, boundary)

    def _tick(self, world: World, boundary: int):
        """The clock reaches `boundary`; every pause whose deadline it is times out (States.Timeout) at that instant."""
        step = Step("clock", f"passes {iso(boundary)}", f"+{(boundary - world.now) / 1000:g} s")
        world = replace(world, now=boundary)
        for run in world.runs:
            token = self._pause_of(world, run)
            if run.cursor.running and token and token.entered + EXPRESS_MAX_MS <= boundary:
                cursor = Cursor(None, "null", status="FAILED", error="States.Timeout")
                step, world = self._moved(world, run, cursor, replace(step, detail=f"{step.detail}; {run.id} reaches "
                                                                          "the Express limit of 5 minutes"))
        for token in world.tokens:
            if token.status == WAITING and token.deadline <= boundary:
                world, detail = self._time_out(world, token)
                step = replace(step, detail=f"{step.detail}; {token.name} times out (States.Timeout): {detail}")
        return step, world

    # --- workflows and their pauses ----------------------------------------------------------------------------------

    def _may_start(self, world: World, workflow: Workflow) -> bool:
        spec = self.specs[workflow.name]
        if spec.after:
            other, condition = spec.after
            state = next(w for w in world.workflows if w.name == other)
            if state.status != "DONE" or (condition == "answered" and not state.answered):
                return False
        job = self.jobs[spec.job]
        if job.after:
            return self._reuse_allowed(world, job.after)
        return True

    def _reuse_allowed(self, world: World, previous: str) -> bool:
        """The reuse policy: every pause on the previous job ended, all its events were emitted, and
        EventRetentionSeconds passed since the last."""
        for wf in self.scenario.workflows:
            if wf.job == previous and next(w for w in world.workflows if w.name == wf.name).status != "DONE":
                return False
        times = [e.time for e in world.events if e.job == previous]
        return None not in times and world.now >= max(times, default=world.now) + self.retention_ms

    def _execution_id(self, name: str) -> str:
        return f"arn:aws:states:us-east-1:123456789012:execution:Workflow:{name}"

    def _pause(self, world: World, workflow: Workflow, retry_count: int):
        """The workflow enters its pause state: a new task token, and a run of the pause machine started with it."""
        spec = self.specs[workflow.name]
        job = self.jobs[spec.job]
        pause_state, machine = self.pause_states[spec.pause_state % len(self.pause_states)]
        token = f"token-{workflow.name}-{workflow.pauses + 1}"
        cursor = Cursor("Pause", canonical(self._workflow_input(job.job_id)), entered_ms=world.now,
                        retries=(retry_count,) if retry_count else ())
        context = machine.context(spec.execution_of or workflow.name, {}, cursor, world.now)
        context["Execution"]["Id"] = self._execution_id(spec.execution_of or workflow.name)
        context["Task"] = {"Token": token}
        try:
            _resource, arguments = machine.task_call(cursor, context, world.now)
        except StateError as ex:
            raise Violation("model", f"the pause state {pause_state.output} cannot be evaluated: {ex}") from None
        run_input = arguments["Input"]
        timeout = int(pause_state.state.get("TimeoutSeconds", self.timeout_seconds))
        tokens = _sorted(world.tokens + (Token(token, workflow.name, job.name, world.now + timeout * 1000,
                                                      world.now),))
        run = self._new_run(world, pause_state.machine, token, run_input)
        workflows = _set(world.workflows, replace(workflow, status="PAUSED", pauses=workflow.pauses + 1, token=token,
                                                  answered=False))
        yield (Step(f"workflow {workflow.name}", f"pauses on job {job.job_id} ({job.name})",
                    f"{token}, times out at {iso(world.now + timeout * 1000)}; starts {run.id}"),
               replace(world, tokens=tokens, runs=_sorted(world.runs + (run,)), workflows=workflows))

    def _workflow_input(self, job_id: str) -> dict:
        """A workflow state in which the instance's pause path finds `job_id`."""
        from ..jsonpath import path_segments

        path = self._pause_path()
        data: Any = job_id
        for segment in reversed(path_segments(path)):
            data = [data] if isinstance(segment, int) else {segment: data}
        return data

    def _pause_path(self) -> str:
        state = self.instance.pause_states[0].state
        if "Parameters" in state:
            return state["Parameters"]["Input"]["jobId.$"]
        text = state["Arguments"]["Input"]["jobId"]
        # the JSONata pause state reads `$states.input.<path>`: back to a JSONPath
        import re
        body = text[2:-2].strip().replace("$states.input", "$")
        return re.sub(r"`([^`]*)`", r"\1", body)

    def _time_out(self, world: World, token: Token) -> tuple[World, str]:
        self._check_no_silent_loss(world, token)
        world = replace(world, tokens=_set(world.tokens, replace(token, status=TIMED_OUT)))
        return self._workflow_reacts(world, token, TIMEOUT)

    def _workflow_reacts(self, world: World, token: Token, error: str | None) -> tuple[World, str]:
        """The workflow after its pause ended: done, or (per its spec) it pauses again."""
        workflow = next(w for w in world.workflows if w.name == token.workflow)
        spec = self.specs[workflow.name]
        if error and error in spec.repause_on and workflow.pauses < spec.max_pauses:
            # a Catch back to the pause state (after States.Timeout), or its Retry (RetryCount 1)
            retry = 1 if error == PAUSE_FAILED else 0
            step, world = next(self._pause(world, replace(workflow, status="READY"), retry_count=retry))
            return world, f"caught {error}: pauses again ({step.detail})"
        answered = error is None
        world = replace(world, workflows=_set(world.workflows, replace(workflow, status="DONE", answered=answered)))
        return world, "the workflow continues" if answered else f"the workflow fails with {error}"

    # --- jobs and their events ---------------------------------------------------------------------------------------

    def _may_emit(self, world: World, event: Event) -> bool:
        job = self.jobs[event.job]
        # the job starts with its workflow; a workflow that pauses at any time started its job before that
        started = any(self.specs[w.name].job == event.job and (w.status != "READY" or self.specs[w.name].any_time)
                      for w in world.workflows)
        earlier = [e for e in world.events if e.job == event.job and e.id < event.id]
        return started and all(e.time is not None for e in earlier) and (
            not job.after or all(e.time is not None for e in world.events if e.job == job.after))

    def event_body(self, event: Event) -> dict:
        from ..jsonpath import path_segments

        job = self.jobs[event.job]
        target = self.instance.success if event.outcome == SUCCEEDED else self.instance.failure
        body = {"version": "0", "id": f"evt-{event.id}", "detail-type": "Verify Job State Change",
                "source": "sfn-resume.verify", "account": PSEUDO["AWS::AccountId"], "time": iso(event.time),
                "region": PSEUDO["AWS::Region"], "resources": [],
                "detail": {"status": event.outcome, "instance": event.job}}
        node, segments = body, path_segments(target.input_paths.get("jobId", "$.detail.jobId"))
        for segment in segments[:-1]:
            node = node.setdefault(segment, {})
        node[segments[-1]] = job.job_id
        return body

    def _deliver(self, world: World, event: Event):
        first = event.id.endswith("-e1") and not any(r.origin == event.id for r in world.runs) and not event.dead_lettered
        if not first:
            if world.adversities <= 0:
                return
            world = replace(world, adversities=world.adversities - 1)
        target = self.instance.success if event.outcome == SUCCEEDED else self.instance.failure
        body = self.event_body(event)
        if target.input_template is None:
            run_input = body
        else:
            run_input = json.loads(transform_input(target.input_template, target.input_paths, body,
                                                   f"arn:aws:events:us-east-1:123456789012:rule/{target.rule}"))
        events = _set(world.events, replace(event, deliveries_left=event.deliveries_left - 1))
        run = self._new_run(world, target.machine, event.id, run_input)
        yield (Step("EventBridge", f"delivers {event.id}", f"starts {run.id}"),
               replace(world, events=events, runs=_sorted(world.runs + (run,))))
        if world.adversities > 0 and target.has_dead_letter_queue:
            job_id = self.jobs[event.job].job_id
            yield (Step("EventBridge", f"cannot deliver {event.id}: dead-lettered", "the alarm sees it"),
                   replace(world, events=_set(events, replace(event, deliveries_left=event.deliveries_left - 1,
                                                                dead_lettered=True)),
                           adversities=world.adversities - 1, failed_jobs=world.failed_jobs | {job_id}))

    # --- runs --------------------------------------------------------------------------------------------------------

    def _new_run(self, world: World, machine: str, origin: str, run_input: Any) -> Run:
        # named by what started it, not by when: interleavings that start the same runs in another order meet
        number = 1 + sum(1 for r in world.runs if r.origin == origin)
        kind = "pause" if machine == self.instance.pause_machine else "hand-over"
        run_id = f"{kind}({origin})#{number}"
        cursor = self.machines[machine].start(run_input, world.now)
        run = Run(run_id, machine, origin, canonical(run_input), cursor)
        return replace(run, cursor=self.machines[machine].settle(cursor, self._context(run), world.now))

    def _arrives(self, world: World, run: Run) -> bool:
        """Whether a run making its first call now arrives within its event's retention (a pause run: True)."""
        event = next((e for e in world.events if e.id == run.origin), None)
        return event is None or world.now < event.time + self.retention_ms

    def _context(self, run: Run) -> dict:
        return self.machines[run.machine].context(run.id, json.loads(run.input), run.cursor, EPOCH_MS)

    def _pause_of(self, world: World, run: Run) -> Token | None:
        """The token a pause machine's run was started for (None for an event's run)."""
        return next((t for t in world.tokens if t.name == run.origin), None)

    def _may_rerun(self, world: World, run: Run) -> bool:
        token = self._pause_of(world, run)
        return run.called and not run.rerun and world.adversities > 0 and (
            token is None or world.now < token.entered + EXPRESS_MAX_MS)

    def _rerun(self, world: World, run: Run):
        machine = self.machines[run.machine]
        cursor = machine.start(json.loads(run.input), world.now)
        fresh = replace(run, cursor=cursor, rerun=True, called=False)
        fresh = replace(fresh, cursor=machine.settle(cursor, self._context(fresh), world.now))
        token = next((t for t in world.tokens if t.name == run.origin), None)
        if token is not None:
            world = replace(world, tokens=_set(world.tokens, replace(token, began=None)))
        how = "stops after its last call and runs again from its first state" if run.cursor.running \
            else "runs again from its first state (at least once)"
        return (Step(run.id, how),
                replace(world, runs=_set(world.runs, fresh), adversities=world.adversities - 1))

    def _call(self, world: World, run: Run):
        """The run's next Task: its call, and every outcome the call may have."""
        machine = self.machines[run.machine]
        context = self._context(run)
        try:
            resource, arguments = machine.task_call(run.cursor, context, world.now)
        except StateError as ex:
            cursor = machine.after_error(run.cursor, context, world.now, ex.error, ex.cause)
            yield self._moved(world, run, cursor, Step(run.id, f"{run.cursor.state}: {ex.error}", ex.cause))
            return
        action = resource.rsplit(":states:::", 1)[-1].removeprefix("aws-sdk:")
        if action not in INJECTED:
            raise Violation("model", f"{run.machine}.{run.cursor.state}: {resource} is not modelled")
        self._check_sender(run, action, arguments)
        outcome = self._apply(world, run, action, arguments)
        yield self._after(world, run, action, arguments, outcome, context)
        refused = outcome[1]
        if isinstance(refused, StateError) and refused.error in TOKEN_CLOSED:
            for error in TOKEN_CLOSED[1:]:
                step = replace(outcome[2], detail=outcome[2].detail.replace(TOKEN_CLOSED[0], error) + f" ({error})")
                yield self._after(world, run, action, arguments,
                                  (outcome[0], StateError(error, refused.cause), step), context)
        if world.adversities <= 0:
            return
        for error in INJECTED[action]:
            if action.startswith("sfn:sendTaskFailure") and error.startswith("Sfn.Kms") and \
                    not (arguments.get("Error") or arguments.get("Cause")):
                continue  # a failure without error and cause is not encrypted: no KMS call
            cursor = machine.after_error(run.cursor, context, world.now, error, "injected", retry=False)
            yield self._moved(replace(world, adversities=world.adversities - 1), run, cursor,
                              Step(run.id, f"{run.cursor.state}: {action} fails with {error} on every attempt"),
                              calls=1, faulted=True)
        if action in APPLIED_THEN:
            applied_world, result, step = outcome
            if isinstance(result, StateError):
                return  # not applied: nothing to report twice
            error = APPLIED_THEN[action]
            cursor = machine.after_error(run.cursor, context, world.now, error, "injected after the call was applied")
            yield self._moved(replace(applied_world, adversities=world.adversities - 1), run, cursor,
                              replace(step, action=step.action + f", then reports {error}"), calls=1, faulted=True)

    def _moved(self, world: World, run: Run, cursor: Cursor, step: Step, calls: int = 0, faulted: bool = False):
        run = replace(run, faulted=run.faulted or faulted)
        if cursor.status == "FAILED":
            self._check_failure(run, cursor.error, cursor.cause)
        if not cursor.running:
            # what an ended run said last matters to nobody: only how it ended
            cursor = Cursor(None, "null", status=cursor.status, error=cursor.error)
        run = replace(run, cursor=cursor, called=run.called or bool(calls),
                      arrived=run.arrived if run.arrived is not None else self._arrives(world, run))
        world = replace(world, runs=_set(world.runs, run))
        if cursor.status == "FAILED":
            job_id = json.loads(run.input).get("jobId")
            world = replace(world, failed_jobs=world.failed_jobs | {str(job_id)})
            step = replace(step, detail=(step.detail + "; " if step.detail else "") +
                           f"the run FAILS ({cursor.error}): the alarm sees it")
        if run.origin.startswith("token-") and calls:
            token = next((t for t in world.tokens if t.name == run.origin), None)
            if token and token.began is None:
                world = replace(world, tokens=_set(world.tokens, replace(token, began=world.now)))
        return step, world

    def _after(self, world: World, run: Run, action: str, arguments: dict, outcome, context: dict):
        applied_world, result, step = outcome
        machine = self.machines[run.machine]
        if isinstance(result, StateError):
            cursor = machine.after_error(run.cursor, context, world.now, result.error, result.cause)
        else:
            cursor = machine.after_call(run.cursor, context, world.now, result)
            if action == "dynamodb:getItem":
                self._check_read(world, run, cursor, context, step)
        step, after = self._moved(applied_world, run, cursor, step, calls=1)
        return step, after

    def _check_read(self, world: World, run: Run, cursor: Cursor, context: dict, read: Step) -> None:
        """A read chooses the next write (ReadHolder): that write's condition must hold on the item it read, or the
        run goes round until it gives up (SfnResume.Contended) with nothing having changed."""
        machine = self.machines[run.machine]
        if not cursor.running:
            return
        try:
            resource, arguments = machine.task_call(cursor, context, world.now)
        except StateError:
            return
        action = resource.rsplit(":states:::", 1)[-1].removeprefix("aws-sdk:")
        if action not in ("dynamodb:putItem", "dynamodb:updateItem", "dynamodb:deleteItem"):
            return
        _after, response = _dynamodb_call(action.split(":")[1], canonical(arguments), canonical(read.before))
        if isinstance(response, StateError) and response.error == CONDITION_FAILED:
            self._violated("no needless failure", f"{run.id}: {read.action} chose {cursor.state}, whose condition "
                            f"the item it read refuses: {read.before}")

    # --- the services ------------------------------------------------------------------------------------------------

    def _apply(self, world: World, run: Run, action: str, arguments: dict):
        """(world after the call, result or StateError, step) of a call that reaches its service."""
        if action.startswith("dynamodb:"):
            return self._dynamodb(world, run, action, arguments)
        return self._token_service(world, run, action, arguments)

    def _dynamodb(self, world: World, run: Run, action: str, arguments: dict):
        api = action.split(":")[1]
        try:
            key = dynamodb.key_of(arguments)
        except Exception as ex:  # noqa: BLE001 (the model's own validation, as DynamoDB's)
            return world, StateError("DynamoDb.DynamoDbException", str(ex)), Step(run.id, f"{run.cursor.state}: {api}",
                                                                                  str(ex))
        before = world.item(key)
        label = f"{run.cursor.state}: {api}"
        after, response = _dynamodb_call(api, canonical(arguments), canonical(before))
        if isinstance(response, StateError):
            return world, response, Step(run.id, label, response.error, key, before, before)
        world = world.with_item(key, after)
        holder = (after or {}).get(TOKEN, {}).get("S")
        if holder and HANDED_OVER_AT_MS in after:
            token = next((t for t in world.tokens if t.name == holder), None)
            if token and not token.claimed:
                world = replace(world, tokens=_set(world.tokens, replace(token, claimed=True)))
        return world, response, Step(run.id, label, "", key, before, after)

    def _token_service(self, world: World, run: Run, action: str, arguments: dict):
        label = f"{run.cursor.state}: {action.split(':')[1]}"
        name = arguments.get("TaskToken")
        token = next((t for t in world.tokens if t.name == name), None)
        if token is None:
            return world, StateError("Sfn.InvalidTokenException", f"Invalid token {name!r}"), Step(run.id, label,
                                                                                                   "no such token")
        if action == "sfn:sendTaskHeartbeat":
            if token.status == WAITING and world.now < token.deadline:
                return world, {}, Step(run.id, label, token.name)
            return world, StateError("Sfn.TaskTimedOutException", "closed"), Step(run.id, label, "closed")
        if action == "sfn:sendTaskSuccess":
            output = arguments.get("Output")
            if not isinstance(output, str) or len(output.encode()) > MAX_OUTPUT_BYTES:
                return world, StateError("Sfn.InvalidOutputException", "output too large or not text"), \
                    Step(run.id, label, "InvalidOutput")
            try:
                answer = {"output": json.loads(output)}
            except ValueError:
                return world, StateError("Sfn.InvalidOutputException", "not JSON"), Step(run.id, label, "InvalidOutput")
        else:
            error, cause = arguments.get("Error"), arguments.get("Cause")
            if (error and len(error) > MAX_ERROR_CHARS) or (cause and len(cause) > MAX_CAUSE_CHARS):
                return world, StateError("Sfn.SfnException", "ValidationException: error or cause too long"), \
                    Step(run.id, label, "too long")
            answer = {"error": error or "", "cause": cause}  # a failure without an error is a failure still
        if token.status != WAITING or world.now >= token.deadline:
            # refused: which of the three closed-token errors AWS gives is not documented per case: each is explored
            # by the caller's Catch; the first is returned here, the others by `closed_alternatives`
            return world, StateError(TOKEN_CLOSED[0], f"{token.name} is closed ({token.status})"), \
                Step(run.id, label, f"refused: {token.name} is closed ({token.status})")
        self._check_answer(world, run, token, answer)
        if answer.get("error") == PAUSE_FAILED:
            self._check_failure(run, PAUSE_FAILED, answer.get("cause"))
        accepted = replace(token, status=SUCCEEDED if "output" in answer else FAILED, answer=canonical(answer))
        world = replace(world, tokens=_set(world.tokens, accepted))
        error = None if "output" in answer else answer["error"]
        world, reaction = self._workflow_reacts(world, accepted, error)
        what = "resumes" if error is None else f"fails ({error})"
        return world, {}, Step(run.id, label, f"{what} {token.name}: {reaction}")

    # --- properties --------------------------------------------------------------------------------------------------

    def _check_sender(self, run: Run, action: str, arguments: dict) -> None:
        """A pause machine run answers only the token it was started with: what a workflow may start cannot answer
        (or fail) another workflow's pause."""
        if run.machine == self.instance.pause_machine and action in ("sfn:sendTaskSuccess", "sfn:sendTaskFailure"):
            own = json.loads(run.input).get("token")
            if arguments.get("TaskToken") != own:
                self._violated("only its own token", f"{run.id} (started by {run.origin}) sends {action} to "
                                f"{arguments.get('TaskToken')!r}, not to the token it was started with ({own!r}): "
                                "whoever may start the pause machine can answer another workflow's pause")

    def _violated(self, prop: str, message: str) -> None:
        if prop in self.properties:
            raise Violation(prop, message)

    def _check_failure(self, run: Run, error: str | None, cause: str | None) -> None:
        """A run fails (or fails its pause with SfnResume.PauseFailed) only for a reason an operator must see; a run
        of the pause machine never fails but for a reason that leaves its workflow nothing to be told."""
        # the answer itself failed through every retry (a KMS key that refuses is caught: a failure without cause)
        state = self.machines[run.machine].states.get(run.cursor.state or "", {})
        answering = state.get("Resource", "").endswith((":sfn:sendTaskSuccess", ":sfn:sendTaskFailure"))
        told = answering and (error or "").startswith("Sfn.") and error not in KMS_REFUSED
        if error in KMS_REFUSED or run.machine == self.instance.pause_machine and error != PAUSE_FAILED and \
                error not in (KMS_KEY_UNUSABLE, TIMEOUT) and not told:
            self._violated("no waiting for nothing", f"{run.id} fails with {error} ({str(cause)[:300]}) and leaves "
                            "its workflow waiting")
        if run.faulted or error in (CONTENDED, TIMEOUT) or any(reason in (cause or "") for reason in FAILURE_REASONS):
            return
        self._violated("no needless failure", f"{run.id} fails {'its pause ' if error == PAUSE_FAILED else ''}"
                        f"with {error} ({str(cause)[:300]}), though no call of it failed")

    def _check_answer(self, world: World, run: Run, token: Token, answer: dict) -> None:
        """A pause is answered only with an event of its own job, as that event says (success or failure)."""
        if "output" in answer:
            event = answer["output"]
            event_id = event.get("id", "") if isinstance(event, dict) else ""
            source = next((e for e in world.events if f"evt-{e.id}" == event_id), None)
            if source is None:
                self._violated("own job's event", f"{run.id} resumes {token.name} with {str(event)[:200]}, which is "
                                "no event of a job")
            elif source.job != token.job or source.outcome != SUCCEEDED:
                self._violated("own job's event", f"{run.id} resumes {token.name} (a pause on job {token.job}) with "
                                f"event {source.id} of job {source.job} ({source.outcome})")
        elif answer["error"] == JOB_FAILED:
            try:
                detail = json.loads(answer["cause"] or "")
            except ValueError:
                detail = {}
            if not isinstance(detail, dict) or detail.get("instance") != token.job or detail.get("status") != FAILED:
                self._violated("own job's event", f"{run.id} fails {token.name} (a pause on job {token.job}) with "
                                f"{JOB_FAILED} and cause {str(answer['cause'])[:200]}, not a failure event of its job")

    def _check_no_silent_loss(self, world: World, token: Token) -> None:
        """A pause that times out although it was handed an event of its own job, or although an event of its job
        arrived in time, is a silent loss, unless something visible happened to that job (a failed run, a
        dead-lettered event) or a hand-over was still under way at the deadline (a run of this pause, or of an event
        of its job, in flight). Handed: an item recorded the hand-over (an event claimed its token, or it claimed an
        event). In time: a delivery of the event made its first call before EventRetentionSeconds from the event's
        time had passed, and ended; the pause's latest run had made its first call before that retention passed."""
        job_id = self.jobs[token.job].job_id
        if token.began is None or job_id in world.failed_jobs:
            return
        job_events = {e.id for e in world.events if e.job == token.job}
        if any(r.cursor.running for r in world.runs if r.origin == token.name or r.origin in job_events):
            return
        if token.claimed:
            self._violated("no silent loss", f"{token.name} (a pause on job {token.job}) times out, but an item "
                            "recorded a hand-over to it, and no run failed, no event was dead-lettered")
        for event in world.events:
            if event.job != token.job or event.time is None:
                continue
            usable_until = event.time + self.retention_ms
            # (the check runs as the clock reaches the deadline: a run that ended, ended before it)
            delivered = [r for r in world.runs if r.origin == event.id and r.arrived and not r.cursor.running]
            if delivered and token.began < usable_until:
                self._violated("no silent loss", f"{token.name} (a pause on job {token.job}) times out, but event "
                                f"{event.id} of its job arrived in time ({delivered[0].id} ended "
                                f"{delivered[0].cursor.status}) and no run failed, no event was dead-lettered")

    # --- the clock ---------------------------------------------------------------------------------------------------

    def _next_boundary(self, world: World) -> int | None:
        """The next instant at which something may change: a deadline, an expiry (at it and just after), an event's
        retention, the reuse policy's wait. None when nothing is left to happen."""
        pending = any(w.status != "DONE" for w in world.workflows) or any(r.cursor.running for r in world.runs) or \
            any(e.time is None for e in world.events) or world.adversities > 0
        if not pending:
            return None
        instants = set()
        for token in world.tokens:
            if token.status == WAITING:
                instants.add(token.deadline)
            if any(r.cursor.running and r.origin == token.name for r in world.runs):
                instants.add(token.entered + EXPRESS_MAX_MS)
        for _key, text in world.table:
            item = json.loads(text)
            for name in (EXPIRES_AT_MS, PAUSE_EXPIRES_AT_MS):
                if name in item:
                    at = int(item[name]["N"])
                    instants.update((at, at + 1))
            if "expiresAt" in item:
                instants.add(int(item["expiresAt"]["N"]) * 1000 + 1)
        waiting_to_pause = any(w.status == "READY" and self.specs[w.name].any_time for w in world.workflows)
        for event in world.events:
            if event.time is not None:
                instants.update((event.time + self.retention_ms, event.time + self.retention_ms + 1))
                if waiting_to_pause:
                    # a pause may begin at the last instant the event is usable
                    instants.add(event.time + self.retention_ms - 1)
        later = [at for at in instants if at > world.now]
        return min(later) if later else None
