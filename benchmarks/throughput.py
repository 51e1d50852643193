"""Throughput in the emulator: N workflows pause, then their N completion events arrive in shuffled order.

Measures the emulator (moto's ASL interpreter in threads, in this process), not AWS: on AWS a resume takes
EventBridge delivery + two DynamoDB/Step Functions calls, and runs in parallel without a shared interpreter.
Each phase is timed on the wall clock and in CPU time: the emulator runs in this process only, so the process's CPU
time, less what the benchmark's own polling for the end of the phase took, is what the hand-overs cost it, whatever
else keeps the machine's cores busy (the wall clock then grows). Every wait is bounded; a size that does not finish
is recorded with why it stopped.
"""

from __future__ import annotations

import random
import time

from sfn_resume import build_template
from sfn_resume.config import InstanceConfig
from sfn_resume.local import local_aws
from sfn_resume.local.harness import Deployment
from sfn_resume.nested import generic_parameters

from .cost import with_job_id

POLL_SECONDS = 0.05


class _Polling:
    """Waits for a condition, and keeps the CPU time its checks took (the benchmark's own, not the emulator's: each
    check lists executions or scans the table through the emulator, in this thread)."""

    def __init__(self) -> None:
        self.cpu_seconds = 0.0

    def _holds(self, condition) -> bool:
        before = time.thread_time()
        try:
            return condition()
        finally:
            self.cpu_seconds += time.thread_time() - before

    def wait_for(self, condition, deadline: float) -> bool:
        while not self._holds(condition):
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_SECONDS)
        return True


def _count(sfn, state_machine_arn: str, status: str) -> int:
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn, statusFilter=status)
    return sum(len(page["executions"]) for page in pages)


class _Settled:
    """Done when every workflow succeeded, or when all `count` resume runs ended and the workflows stopped
    changing for a moment (a failed resume run leaves its workflow paused: waiting longer would not help)."""

    GRACE_SECONDS = 2.0

    def __init__(self):
        self.since = None

    def __call__(self, sfn, deployment: Deployment, workflow: str, count: int) -> bool:
        if _count(sfn, workflow, "SUCCEEDED") == count:
            return True
        ended = sum(_count(sfn, deployment.resume_state_machine, status) for status in ("SUCCEEDED", "FAILED"))
        if ended < count:
            self.since = None
            return False
        self.since = self.since or time.monotonic()
        return time.monotonic() - self.since > self.GRACE_SECONDS


def _resume_runs(sfn, deployment: Deployment) -> list[dict]:
    """Every resume run, described (the harness lists only the first page of 100)."""
    runs = []
    for arn in [deployment.resume_state_machine]:
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn):
            runs += [sfn.describe_execution(executionArn=e["executionArn"]) for e in page["executions"]]
    return runs


def _failure(sfn, run: dict) -> dict:
    """Why a resume run failed: its error, cause and the last states it entered."""
    events = sfn.get_execution_history(executionArn=run["executionArn"], maxResults=1000)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    failed = [e.get("executionFailedEventDetails") or e.get("taskFailedEventDetails") or {}
              for e in events if e["type"] in ("TaskFailed", "ExecutionFailed")]
    details = failed[-1] if failed else {}
    return {"states_entered": entered, "error": details.get("error"), "cause": (details.get("cause") or "")[:300]}


def measure_one(count: int, instance: InstanceConfig, success: dict, budget_seconds: float, seed: int = 1) -> dict:
    with local_aws() as aws:
        deployment = Deployment.deploy(aws, "bench-throughput", build_template(), generic_parameters(instance))
        workflow = deployment.create_workflow("bench-throughput-workflow", instance.pathToIdPauseTask)
        sfn = aws.client("stepfunctions")
        job_ids = [f"throughput-{index:04d}" for index in range(count)]
        deadline = time.monotonic() + budget_seconds
        _settled = _Settled()

        pausing, resuming = _Polling(), _Polling()
        started, started_cpu = time.perf_counter(), time.process_time()
        for job_id in job_ids:
            deployment.start(workflow, job_id)
        paused = pausing.wait_for(lambda: sum("token" in item for item in deployment.items()) == count, deadline)
        all_paused, all_paused_cpu = time.perf_counter(), time.process_time()

        events = [with_job_id(success, instance.pathToIdWorkflow, job_id) for job_id in job_ids]
        random.Random(seed).shuffle(events)
        deployment.send(*events)
        settled = paused and resuming.wait_for(lambda: _settled(sfn, deployment, workflow, count), deadline)
        finished, finished_cpu = time.perf_counter(), time.process_time()
        # the emulator's CPU time: the process's, less what the polling for the end of each phase took
        pause_cpu = all_paused_cpu - started_cpu - pausing.cpu_seconds
        resume_cpu = finished_cpu - all_paused_cpu - resuming.cpu_seconds
        succeeded = _count(sfn, workflow, "SUCCEEDED")
        resumed = succeeded == count

        resume_seconds = finished - all_paused
        runs = _resume_runs(sfn, deployment)
        by_status: dict[str, int] = {}
        for run in runs:
            by_status[run["status"]] = by_status.get(run["status"], 0) + 1
        return {
            "workflows": count,
            "all_resumed": resumed,
            "stopped": "all resumed" if resumed else "resume runs ended, workflows still paused" if settled
            else "budget exhausted",
            "budget_seconds": budget_seconds,
            "pause_phase_seconds": round(all_paused - started, 3),
            "resume_phase_seconds": round(resume_seconds, 3),
            "total_seconds": round(finished - started, 3),
            "resumes_per_second": round(count / resume_seconds, 1) if resumed else None,
            "ms_per_resume": round(resume_seconds * 1000 / count, 2) if resumed else None,
            "cpu_ms_per_resume": round(resume_cpu * 1000 / count, 2) if resumed else None,
            "cpu_ms_per_pause": round(pause_cpu * 1000 / count, 2) if paused else None,
            "polling_cpu_ms_per_resume": round(resuming.cpu_seconds * 1000 / count, 2),
            "workflows_succeeded": succeeded,
            "resume_runs": dict(sorted(by_status.items())),
            "failed_resume_runs": [_failure(sfn, run) for run in runs if run["status"] == "FAILED"][:5],
        }


def measure(counts: tuple[int, ...], instance: InstanceConfig, success: dict, budget_seconds: float) -> dict:
    return {str(count): measure_one(count, instance, success, budget_seconds) for count in counts}
