"""The hand-over under the faults AWS's services really have, all at once.

150 workflows pause on their jobs while a tenth of the DynamoDB and Step Functions calls that state machines make
fail as AWS fails them (`sfn-resume local --fault-rate 0.1`: throttling, 500s and 503s, and 500s after the call was
applied, so that a retry meets its own result; `sfn_resume.local.bridges_faults`); some jobs' events come before
their workflows start, some come twice, and runs of the Express machines are cut off after a call and run again
(`sfn_resume.local.bridges_restarts`), as AWS may run them. Every workflow must be resumed once, with its own event;
no run may fail (a run cut off is followed by its repeat); the table must keep only hand-over records; and no
workflow may wait past its event longer than the retries take.

The scenario reads nothing of the protocol's own: the states it restarts after are the Task states of the deployed
definitions, and what it checks is what a user sees (workflows, runs, the table's shapes through the harness).
"""
from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time

import pytest

from sfn_resume.local import local_aws
from sfn_resume.local.bridges_faults import FAULTS
from sfn_resume.local.bridges_restarts import RESTART_AFTER_TAG, RESTARTED_SUFFIX
from sfn_resume.local.stacks import EXECUTION_TERMINAL

from .conftest import REGION, InProcess, running_server
from .helpers import deploy_instance, wait_all

FAULT_RATE = 0.1
SEED = 20261207
WORKFLOWS, EARLY, DUPLICATED = 150, 30, 30
#: The pauses' timeout: a workflow left waiting past its event waits until then, and the scenario (which waits
#: WAIT_SECONDS for the workflows) reports it as still running.
PAUSE_TIMEOUT_SECONDS, WAIT_SECONDS = 600, 300
#: How every injected error's cause begins (its message): the errors the protocol meets by design, such as a failed
#: condition, are not faults.
FAULT_MESSAGES = tuple({fault.message for faults in FAULTS.values() for fault in faults})

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(params=["in_process", "server"])
def faulty_emulator(request, tmp_path):
    """The embedded emulator with FAULT_RATE of the calls failing: `local_aws(fault_rate=...)` in process, or
    `sfn-resume local --fault-rate ... --seed ...` in a subprocess of its own."""
    if request.param == "server":
        with running_server(tmp_path, "--fault-rate", str(FAULT_RATE), "--seed", str(SEED)) as server:
            yield server
        return
    logger = logging.getLogger("moto.stepfunctions.parser")  # it logs every failed state with its whole AST
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with local_aws(REGION, fault_rate=FAULT_RATE, seed=SEED) as local:
            yield InProcess(local)
    finally:
        logger.setLevel(level)


def _task_states(sfn, machine_arn: str) -> list[str]:
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=machine_arn)["definition"])
    return [name for name, state in definition["States"].items() if state["Type"] == "Task"]


@contextlib.contextmanager
def restarting(sfn, machine_arns: list[str]):
    """Keep every machine armed to restart a run (`RESTART_AFTER_TAG`) until the block ends, after each of its Task
    states in turn, a tenth of a second each (the tag fires once: a state whose call is rare may not fire)."""
    targets = {arn: _task_states(sfn, arn) for arn in machine_arns}
    done = threading.Event()

    def arm() -> None:
        turn = 0
        while not done.wait(0.1):
            for arn, states in targets.items():
                sfn.tag_resource(resourceArn=arn, tags=[{"key": RESTART_AFTER_TAG, "value": states[turn % len(states)]}])
            turn += 1

    thread = threading.Thread(target=arm, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        for arn in machine_arns:
            sfn.untag_resource(resourceArn=arn, tagKeys=[RESTART_AFTER_TAG])


def _history(sfn, execution_arn: str) -> list[dict]:
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    return [event for page in pages for event in page["events"]]


def _runs(instance) -> list[dict]:
    """Every run of both machines, described, once none is running."""
    deployment = instance.deployment
    deadline = time.monotonic() + 60
    while True:
        runs = [run for machine in (deployment.pause_state_machine, deployment.resume_state_machine)
                for run in deployment.executions(machine)]
        if all(run["status"] in EXECUTION_TERMINAL for run in runs) or time.monotonic() > deadline:
            return runs
        time.sleep(0.1)


def test_150_workflows_at_a_tenth_of_calls_failing(faulty_emulator):
    started = time.monotonic()
    emulator = faulty_emulator
    # both machines EXPRESS: both run at least once
    instance = deploy_instance(emulator, ResumeWorkflowType="EXPRESS", TimeoutSeconds=str(PAUSE_TIMEOUT_SECONDS))
    deployment, sfn = instance.deployment, emulator.client("stepfunctions")
    rng = random.Random(SEED)
    jobs = [f"fault-{index:03d}" for index in range(WORKFLOWS)]
    early = rng.sample(jobs, EARLY)
    duplicated = rng.sample(jobs, DUPLICATED)
    events = {job: instance.event(job) for job in jobs}
    sent: dict[str, list[tuple[str, float]]] = {job: [] for job in jobs}

    def put(batch: list[str]) -> None:
        for start in range(0, len(batch), 10):
            chunk = batch[start:start + 10]
            ids = instance.put(*[events[job] for job in chunk])
            for job, event_id in zip(chunk, ids, strict=True):
                sent[job].append((event_id, time.time()))

    with restarting(sfn, [deployment.pause_state_machine, deployment.resume_state_machine]):
        put(early)  # these jobs end before their workflows start
        runs = {job: instance.start(job) for job in rng.sample(jobs, len(jobs))}
        late = [job for job in jobs if job not in early]
        put(rng.sample(late + duplicated, len(late) + len(duplicated)))
        done = dict(zip(runs, wait_all(instance, list(runs.values()), timeout=WAIT_SECONDS), strict=True))
    machine_runs = _runs(instance)
    seconds = time.monotonic() - started

    # every workflow resumed once, with its own event, not by its timeout (far longer than the scenario)
    stories, waited = [], []
    for job, run in done.items():
        history = _history(sfn, run["executionArn"])
        answers = [event["type"] for event in history if event["type"] in ("TaskSucceeded", "TaskFailed")]
        received = json.loads(run["output"])["translation"]["event"] if run["status"] == "SUCCEEDED" else None
        ids = {event_id: at for event_id, at in sent[job]}
        if run["status"] != "SUCCEEDED" or received["detail"]["jobId"] != job or received["id"] not in ids \
                or answers.count("TaskSucceeded") != 1:
            stories.append(f"{job}: {run['status']} {run.get('error')} {run.get('cause', '')[:300]} {answers}")
            continue
        waited.append(run["stopDate"].timestamp() - max(run["startDate"].timestamp(), ids[received["id"]]))
    assert not stories, "\n".join(stories)
    slowest = max(waited)

    # no run failed; every run cut off was run again
    by_name = {run["name"]: run for run in machine_runs}
    failed = [f"{run['name']}: {run['status']} {run.get('error')} {run.get('cause', '')[:300]}"
              for run in machine_runs if run["status"] not in ("SUCCEEDED", "ABORTED")]
    assert not failed, "\n".join(failed)
    cut_off = [run for run in machine_runs if run["status"] == "ABORTED"]

    def repeats(name: str) -> str:
        """How the run's repeats ended (a repeat may be cut off again, and repeated in turn)."""
        repeat = by_name.get(name + RESTARTED_SUFFIX, {"status": "never run again"})
        return repeats(repeat["name"]) if repeat["status"] == "ABORTED" else repeat["status"]

    assert all(repeats(run["name"]) == "SUCCEEDED" for run in cut_off)

    # the table keeps one hand-over record per job, nothing else
    assert deployment.live_items() == []
    assert sorted(item["id"]["S"] for item in deployment.items()) == sorted(jobs)

    # the faults happened, to calls of both services, and the states that made them retried them
    injected = [event["taskFailedEventDetails"] for run in [*done.values(), *machine_runs]
                for event in _history(sfn, run["executionArn"]) if event["type"] == "TaskFailed"
                and event["taskFailedEventDetails"].get("cause", "").startswith(FAULT_MESSAGES)]
    names = sorted({failure["error"] for failure in injected})
    print(f"\n{emulator.mode}: {WORKFLOWS} workflows resumed in {seconds:.0f} s (the slowest {slowest:.1f} s after "
          f"its event); {len(machine_runs)} machine runs, {len(cut_off)} cut off and run again; {len(injected)} "
          f"calls failed and retried: {names}")
    assert {name.split(".")[0] for name in names} >= {"DynamoDb", "Sfn", "StepFunctions"} and len(cut_off) >= 5
    if emulator.mode == "in_process":  # the plan's own record: what it did, all of it seen by the states
        plan = emulator._local.faults
        assert len(plan.injected) == len(injected)
        assert any(fault.fault.applied for fault in plan.injected), "no call failed after it was applied"
