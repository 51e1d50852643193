"""What the scenarios share: an instance deployed from a committed template, events in EventBridge's delivered
shape, and views of what happened (executions per machine and status, the states a run entered, table items).

The instance reproduces examples/translate/config.yaml. Deployed from the generic template, its names and event
source (`e2e.<name>`) come from `emulator.new_name()`: unique in the session where every test shares one account
and one default bus (server mode, LocalStack), so that no test's events reach another test's rules.
"""
from __future__ import annotations

import copy
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sfn_resume import load_config
from sfn_resume.asl import with_next
from sfn_resume.local.harness import Deployment, event_entry, start_job_state, statuses
from sfn_resume.local.logged_runs import logged_entered_states
from sfn_resume.local.stacks import EXECUTION_TERMINAL, ExecutionTimedOut, execution_story, expect_execution
from sfn_resume.nested import generic_parameters
from sfn_resume.protocol.item import HANDED_OVER, WAITING_PAUSE, Item

from ..helpers import load_yaml
from .conftest import REGION, uid

REPO = Path(__file__).resolve().parents[2]
GENERIC_TEMPLATE = REPO / "templates" / "sfn-resume.yaml"
TRANSLATE_TEMPLATE = REPO / "templates" / "examples" / "translate.yaml"
TRANSLATE = load_config(REPO / "examples" / "translate" / "config.yaml").instances[0]
SAMPLE_EVENTS = REPO / "examples" / "translate" / "events"
RESULT_PATH = "translation"  # TRANSLATE.resultPath, `$.translation`
DEFAULT_RETENTION = 86_400  # EventRetentionSeconds' default
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def sample_event(name: str) -> dict:
    return json.loads((SAMPLE_EVENTS / f"{name}.json").read_text())


@dataclass
class Instance:
    """One deployed sfn-resume instance, its event source, and a sample workflow around its pause state."""

    deployment: Deployment
    source: str
    workflow: str

    @property
    def aws(self) -> Any:
        return self.deployment.aws

    def event(self, job_id: str, status: str = "COMPLETED", source: str | None = None, **detail: Any) -> dict:
        """A Translate job state change event (examples/translate/events/success.json) for `job_id`, emitted now:
        the machines judge an event by its own `time` (one older than EventRetentionSeconds answers no pause)."""
        event = sample_event("success")
        event["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        event["account"] = self.deployment.resume_state_machine.split(":")[4]  # the sender's: the engine's account
        event["source"] = source or self.source
        event["detail"] = {"jobId": job_id, "jobStatus": status, **detail}
        return event

    def put(self, *events: dict) -> list[str]:
        """PutEvents, 10 entries a call; returns the EventBridge ids, in order."""
        entries = [event_entry(event) for event in events]
        ids = []
        for start in range(0, len(entries), 10):
            response = self.aws.client("events").put_events(Entries=entries[start:start + 10])
            assert response["FailedEntryCount"] == 0, response
            ids += [entry["EventId"] for entry in response["Entries"]]
        return ids

    def start(self, job_id: str, workflow: str | None = None) -> str:
        return self.deployment.start(workflow or self.workflow, job_id)

    def paused(self, job_id: str, workflow: str | None = None, replacing: dict | None = None,
               timeout: float = 10.0) -> tuple[str, dict]:
        """Start a workflow run and wait until its token is stored; returns (execution ARN, token item).

        `replacing`: the item of an earlier pause with this job id (e.g. timed out), which holds a token too.
        """
        run = self.start(job_id, workflow)
        deadline = time.monotonic() + timeout
        while True:
            item = self.deployment.item(job_id)
            if item and Item.from_dynamodb(item).shape == WAITING_PAUSE and item != replacing:
                return run, item
            described = self.aws.client("stepfunctions").describe_execution(executionArn=run)
            expect_execution(self.aws.client("stepfunctions"), described, "RUNNING")
            if time.monotonic() > deadline:
                raise ExecutionTimedOut(f"no token stored for {job_id} within {timeout}s (item: {item}):\n"
                                        f"{execution_story(self.aws.client('stepfunctions'), described)}")
            time.sleep(0.01)

    def runs(self, timeout: float = 10.0) -> dict[str, dict[str, int]]:
        """The machines' executions by status, once none is running: {"resume": {...}, "pause": {...}}, and
        "fail" where the fail machine ran (failure events). A resume run may still be finishing when the workflow it
        answered has ended."""
        deadline = time.monotonic() + timeout
        machines = [machine for machine in ("resume", "pause", "fail")
                    if f"{machine.title()}StateMachineArn" in self.deployment.outputs]
        while True:
            runs = {machine: statuses(self.deployment.executions(self.deployment.outputs[f"{machine.title()}StateMachineArn"]))
                    for machine in machines}
            if not runs.get("fail"):
                runs.pop("fail", None)
            if all("RUNNING" not in ran for ran in runs.values()) or time.monotonic() > deadline:
                return runs
            time.sleep(0.05)

    def items(self) -> dict[str, dict]:
        """The table's items by job id."""
        return {item["id"]["S"]: item for item in self.deployment.items()}

    def workflow_without_catch(self, name: str) -> str:
        """StartJob → pause (no Catch) → Continue: a failure event fails the whole execution."""
        definition = {
            "StartAt": "StartJob",
            "TimeoutSeconds": 60,
            "States": {
                "StartJob": start_job_state(TRANSLATE.pathToIdPauseTask, "WaitForJob"),
                "WaitForJob": with_next(self.deployment.pause_state, "Continue"),
                "Continue": {"Type": "Pass", "End": True},
            },
        }
        return self.aws.client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=self.deployment.workflow_role_arn)["stateMachineArn"]


def deploy_instance(emulator, template: str | Path = "generic", name: str | None = None, **parameters: str) -> Instance:
    """Deploy the generic template (the Translate example's values, `parameters` overriding them), another
    generic template given by its path (e.g. 0.1's, with the Parameters it declares), or the committed
    config-built `templates/examples/translate.yaml` (template="config_built"). `name`: the stack's, to update it."""
    name = name or emulator.new_name()
    if template == "config_built":
        # its names are built in (SfnResume-TranslationTranslateResume): one such stack per emulator
        deployment = emulator.deploy(f"e2e-translate-{name}", TRANSLATE_TEMPLATE, prefix=TRANSLATE.nameSuffix)
        source = "aws.translate"
        for machine in (deployment.pause_state_machine, deployment.fail_state_machine):
            log_every_state(emulator, machine)
    else:
        path = GENERIC_TEMPLATE if template == "generic" else Path(template)
        source = f"e2e.{name}"
        values = generic_parameters(TRANSLATE)
        for key in ("EventPattern", "FailureEventPattern"):
            values[key] = json.dumps(dict(json.loads(values[key]), source=[source]), separators=(",", ":"))
        # LogLevel ALL: the EXPRESS pause machine's runs are seen only in its logs where the engine lists none
        values.update({"NameSuffix": f"E2e{name}", "TimeoutSeconds": "60", "LogLevel": "ALL", **parameters})
        declared = load_yaml(path)["Parameters"]
        deployment = emulator.deploy(f"e2e-{name}", path, {k: v for k, v in values.items() if k in declared})
    workflow = deployment.create_workflow(f"workflow-{name}-{uid()}", TRANSLATE.pathToIdPauseTask,
                                          timeout_seconds=120)
    return Instance(deployment, source, workflow)


def log_every_state(emulator, state_machine_arn: str) -> None:
    """Set the machine's log level to ALL (the config-built template logs ERROR): an EXPRESS machine's runs are seen
    only in its logs where the engine does not list them (AWS, LocalStack)."""
    sfn = emulator.client("stepfunctions")
    logging = sfn.describe_state_machine(stateMachineArn=state_machine_arn)["loggingConfiguration"]
    sfn.update_state_machine(stateMachineArn=state_machine_arn, loggingConfiguration=dict(logging, level="ALL"))


def pause_machine_input(aws, workflow_run: str) -> str:
    """The input a workflow run's pause state started the pause machine with, from the run's history (the pause
    machine is EXPRESS: its own runs cannot be described on AWS)."""
    history = aws.client("stepfunctions").get_execution_history(executionArn=workflow_run, maxResults=1000)["events"]
    [scheduled] = [e["taskScheduledEventDetails"] for e in history if "taskScheduledEventDetails" in e
                   and e["taskScheduledEventDetails"]["resource"] == "startExecution.waitForTaskToken"]
    given = json.loads(scheduled["parameters"])["Input"]
    return given if isinstance(given, str) else json.dumps(given)


def delivered(event: dict, event_id: str, received: dict) -> None:
    """Assert that `received` is `event` as EventBridge delivers it: its id, an ISO time, the rest as sent."""
    assert ISO_TIME.match(received["time"]), received["time"]
    assert received == dict(copy.deepcopy(event), id=event_id, time=received["time"])


def entered_states(aws, execution_arn: str) -> list[str]:
    if ":express:" in execution_arn:  # an EXPRESS run the engine does not list (AWS, LocalStack): its logs
        return logged_entered_states(aws, execution_arn)
    history = aws.client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=1000)
    return [e["stateEnteredEventDetails"]["name"] for e in history["events"] if "stateEnteredEventDetails" in e]


def paths(instance: Instance, machine: str = "Resume") -> list[list[str]]:
    """The states each execution of the Resume (or Pause, or Fail) machine entered, sorted."""
    runs = instance.deployment.executions(instance.deployment.outputs[f"{machine}StateMachineArn"])
    return sorted(entered_states(instance.aws, e["executionArn"]) for e in runs)


def resume_paths(instance: Instance) -> list[list[str]]:
    return paths(instance)


#: What a hand-over always holds: the claimed token, the claiming event's id, when, and its expiry.
HANDED_OVER_ATTRIBUTES = {"id", "token", "eventId", "handedOverAtMs", "expiresAt", "expiresAtMs"}
#: What it keeps besides: of the pause (when it stored its token first), of the event (when it came first).
KEPT_ATTRIBUTES = {"executionId", "pausedAtMs", "event", "outcome", "storedAtMs", "pauseExpiresAtMs"}


def assert_tombstone(item: dict, job_id: str, event_id: str, retention: int = DEFAULT_RETENTION) -> None:
    """A hand-over of `job_id` to the event `event_id`, remembered for `retention` from about now (from the event's
    own time, a second at most before it was sent); TTL keeps it at least that long."""
    assert Item.from_dynamodb(item).shape == HANDED_OVER, item
    assert HANDED_OVER_ATTRIBUTES <= set(item) <= HANDED_OVER_ATTRIBUTES | KEPT_ATTRIBUTES, item
    assert (item["id"]["S"], item["eventId"]["S"]) == (job_id, event_id)
    until_ms = int(item["expiresAtMs"]["N"])
    assert (time.time() + retention - 60) * 1000 <= until_ms <= (time.time() + retention + 1) * 1000
    assert int(item["expiresAt"]["N"]) * 1000 >= until_ms


def wait_all(instance: Instance, executions: list[str], timeout: float = 60.0, status: str | None = None,
             error: str | None = None) -> list[dict]:
    """Wait until every execution has finished; returns them described, in the given order. With `status` (and
    `error`), checks that each ended so (`expect_execution`: a mismatch tells the execution's story)."""
    sfn = instance.aws.client("stepfunctions")
    pending = set(executions)
    deadline = time.monotonic() + timeout
    while pending:
        pending = {arn for arn in pending if sfn.describe_execution(executionArn=arn)["status"] not in EXECUTION_TERMINAL}
        if pending and time.monotonic() > deadline:
            stories = "\n".join(execution_story(sfn, arn) for arn in sorted(pending)[:3])
            raise ExecutionTimedOut(f"{len(pending)} executions still running after {timeout}s:\n{stories}")
        if pending:
            time.sleep(0.05)
    described = [sfn.describe_execution(executionArn=arn) for arn in executions]
    return described if status is None else [expect_execution(sfn, run, status, error) for run in described]


@dataclass
class CliResult:
    """What `sfn-resume ARGS` exited with and printed."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    @property
    def line(self) -> str:
        (line,) = self.lines
        return line

    @property
    def json(self) -> dict:
        return json.loads(self.out)


class _Stdin:
    def __init__(self, text: str) -> None:
        self.text = text

    def read(self) -> str:
        return self.text


def cli_runner(emulator, monkeypatch, capsys):
    """`run(*args, stdin=None) -> CliResult`: `sfn-resume ARGS` in this process against the engine: in process,
    moto intercepts boto3; for the server and LocalStack, the environment `sfn-resume local` prints."""
    from sfn_resume.cli import main

    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    if emulator.mode != "in_process":
        for key, value in {"AWS_ENDPOINT_URL": emulator.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true"}.items():
            monkeypatch.setenv(key, value)
    capsys.readouterr()

    def run(*args: str, stdin: str | None = None) -> CliResult:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", _Stdin(stdin))
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
