"""Whole hand-overs through `sfn-resume local`, as a user's program meets them: N workflows start, each pauses, its
job's event is put as soon as its token is stored, and the resume machine resumes it.

The emulator runs as its command does (`sfn-resume local --port P`, its own process); this process drives it over
HTTP with boto3, as another program would. The rate is N over the wall time from the first start to the last
workflow seen SUCCEEDED; the emulator's CPU time is read from its process (/proc), so the driver's own polling is
not counted in it (it runs here, on the machine's other core). Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3

from sfn_resume import build_template
from sfn_resume.config import InstanceConfig
from sfn_resume.local.harness import Deployment, event_entry
from sfn_resume.nested import generic_parameters
from sfn_resume.protocol.item import WAITING_PAUSE, Item

from .cost import with_job_id

POLL_SECONDS = 0.1
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time (Linux /proc), its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def running_emulator():
    """`sfn-resume local --port P` in a subprocess, until the block ends; yields (endpoint, pid)."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    command = [str(Path(sys.executable).with_name("sfn-resume")), "local", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        banner = [process.stdout.readline() for _ in range(2)]
        if not any("export AWS_ENDPOINT_URL" in line for line in banner):
            raise RuntimeError(f"sfn-resume local did not start: {banner}")
        yield f"http://localhost:{port}", process.pid
    finally:
        process.terminate()
        process.wait(30)
        process.stdout.close()


class _Clients:
    def __init__(self, endpoint: str) -> None:
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        self._clients = {}
        self._session, self._endpoint = session, endpoint

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = self._session.client(service, endpoint_url=self._endpoint)
        return self._clients[service]


def _succeeded(sfn, workflow: str) -> int:
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=workflow, statusFilter="SUCCEEDED")
    return sum(len(page["executions"]) for page in pages)


def measure_one(count: int, instance: InstanceConfig, success: dict, budget_seconds: float) -> dict:
    with running_emulator() as (endpoint, pid):
        aws = _Clients(endpoint)
        deployment = Deployment.deploy(aws, "bench-handovers", build_template(), generic_parameters(instance))
        workflow = deployment.create_workflow("bench-handovers-workflow", instance.pathToIdPauseTask)
        sfn, events = aws.client("stepfunctions"), aws.client("events")
        jobs = [f"handover-{index:04d}" for index in range(count)]
        sent: set[str] = set()
        deadline = time.monotonic() + budget_seconds
        started, cpu_before = time.perf_counter(), _cpu_seconds(pid)
        for job in jobs:
            deployment.start(workflow, job)
        resumed = 0
        while resumed < count and time.monotonic() < deadline:
            paused = [item["id"]["S"] for item in deployment.items()
                      if Item.from_dynamodb(item).shape == WAITING_PAUSE and item["id"]["S"] not in sent]
            for start in range(0, len(paused), 10):  # PutEvents takes 10 entries a call
                batch = paused[start:start + 10]
                events.put_events(Entries=[event_entry(with_job_id(success, instance.pathToIdWorkflow, job))
                                           for job in batch])
                sent.update(batch)
            if len(sent) == count:
                resumed = _succeeded(sfn, workflow)
            time.sleep(POLL_SECONDS)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds(pid) - cpu_before
        done = resumed == count
        return {
            "workflows": count,
            "all_resumed": done,
            "workflows_succeeded": resumed,
            "budget_seconds": budget_seconds,
            "total_seconds": round(seconds, 3),
            "handovers_per_second": round(count / seconds, 1) if done else None,
            "emulator_cpu_ms_per_handover": round(cpu * 1000 / count, 1) if done else None,
        }


def measure(counts: tuple[int, ...], instance: InstanceConfig, success: dict, budget_seconds: float) -> dict:
    return {str(count): measure_one(count, instance, success, budget_seconds) for count in counts}


if __name__ == "__main__":  # python -m benchmarks.handovers [N]: one measurement, printed
    from sfn_resume import load_config

    example = Path(__file__).resolve().parent.parent / "examples" / "translate"
    print(json.dumps(measure_one(int(sys.argv[1]) if len(sys.argv) > 1 else 100,
                                 load_config(example / "config.yaml").instances[0],
                                 json.loads((example / "events" / "success.json").read_text()), 300), indent=2))
