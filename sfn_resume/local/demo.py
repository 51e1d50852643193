"""`sfn-resume demo`: the seed's Translate example, end to end, in the in-process emulator.

Deploys the committed generic template through CloudFormation, builds a sample workflow around its
`PauseState` output, runs it, sends the Translate completion event, and prints what happened, step by step.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
import warnings
from pathlib import Path

import yaml

from .. import examples
from ..config import parse_config
from ..nested import generic_parameters
from ..protocol.item import HANDED_OVER, Item
from ..template import build_template
from . import local_aws
from .harness import Deployment, statuses

COMMITTED_TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "sfn-resume.yaml"
#: The seed example (Amazon Translate), from the examples catalogue the package ships.
TRANSLATE = examples.service("translate")


def translate_event(job_id: str) -> dict:
    """The catalogue's Translate completion event for `job_id`, with a new event id (as EventBridge gives)."""
    event = json.loads(TRANSLATE.event("success"))
    return dict(event, id=str(uuid.uuid4()), time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                detail=dict(event["detail"], jobId=job_id))


class Timeline:
    """Prints one line per step with the milliseconds it took."""

    def __init__(self, out):
        self.out = out
        self.last = time.perf_counter()

    def step(self, label: str, text: str) -> None:
        now = time.perf_counter()
        print(f"  {(now - self.last) * 1000:7.0f} ms  {label:<12} {text}", file=self.out)
        self.last = now

    def say(self, text: str = "") -> None:
        print(text, file=self.out)
        self.last = time.perf_counter()


def run_demo(out=None) -> int:
    out = out or sys.stdout
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)  # it logs whole ASTs on failures
    # docs/EMULATOR.md, gap 16: moto skips the queue policy (the emulator enforces no resource policy anyway)
    # and says so twice, as a log line and as a warning.
    logging.getLogger("moto").addFilter(lambda record: "AWS::SQS::QueuePolicy" not in record.getMessage())
    warnings.filterwarnings("ignore", message="Tried to parse AWS::SQS::QueuePolicy")
    instance = parse_config(yaml.safe_load(TRANSLATE.config_text)).instances[0]
    if COMMITTED_TEMPLATE.is_file():
        template, origin = COMMITTED_TEMPLATE.read_text(), "templates/sfn-resume.yaml"
    else:
        template, origin = build_template().to_yaml(), "the generic template (built now)"
    line = Timeline(out)
    line.say("sfn-resume demo: a Step Functions workflow waits for an Amazon Translate job, without polling.\n"
             "Everything runs in the embedded emulator (moto), in this process; nothing reaches AWS.\n")
    with local_aws() as aws:
        deployment = Deployment.deploy(aws, "sfn-resume-demo", template, generic_parameters(instance))
        line.step("deployed", f"{origin} as stack sfn-resume-demo (NameSuffix={instance.nameSuffix}): "
                              f"table {deployment.table_name}, the pause and resume machines, two rules")
        workflow = deployment.create_workflow("translate-workflow", instance.pathToIdPauseTask)
        line.step("workflow", "translate-workflow: StartJob → WaitForJob (the stack's PauseState output) → Continue")

        job_id = uuid.uuid4().hex
        run = deployment.start(workflow, job_id)
        item = deployment.wait_until_paused(run, job_id)
        expires = time.strftime("%H:%M:%S", time.gmtime(int(item["expiresAt"]["N"])))
        line.step("paused", f"the pause state (one Task) started the pause machine, which stored its task token "
                            f"under job id {job_id} (expires {expires} UTC); the workflow waits")

        event = translate_event(job_id)
        deployment.send(event)
        line.step("event", f"'{event['detail-type']}' (jobStatus COMPLETED) put on the default bus")
        (resume,) = deployment.wait_for_resume_executions(1)
        states = _states_entered(aws, resume["executionArn"])
        line.step("matched", f"the rule started the resume machine: {' → '.join(states)} "
                             f"({len(states)} states), {resume['status']}")

        finished = deployment.wait(run)
        output = json.loads(finished.get("output") or "{}")
        delivered = output.get("translation", {}).get("event", {})
        line.step("resumed", f"the workflow {finished['status']}; $.translation.event.detail = "
                             f"{json.dumps(delivered.get('detail'))}")
        left = deployment.item(job_id) or {}
        handed_over = Item.from_dynamodb(left).shape == HANDED_OVER
        line.step("handed over", "the item records the hand-over (the event's id, when) until its expiry (TTL)"
                  if handed_over else "the item does NOT record the hand-over")

        deployment.send(event)
        duplicate = [e for e in deployment.wait_for_resume_executions(2) if e["executionArn"] != resume["executionArn"]]
        line.step("duplicate", "the same event again: the resume run ends "
                               f"{duplicate[0]['status']} in {_states_entered(aws, duplicate[0]['executionArn'])[-1]}, "
                               "nothing is resumed twice")

        early_job = uuid.uuid4().hex
        deployment.send(translate_event(early_job))
        deployment.wait_for_resume_executions(3)
        line.step("early event", f"job {early_job[:8]}... finished before its workflow paused: the event is kept")
        early_run = deployment.start(workflow, early_job)
        early = deployment.wait(early_run)
        line.step("early resume", f"its workflow starts, pauses and resumes at once: {early['status']}")

        counts = statuses(deployment.resume_executions())
        resumed = finished["status"] == "SUCCEEDED" and delivered.get("detail", {}).get("jobId") == job_id
        ok = resumed and early["status"] == "SUCCEEDED" and handed_over and set(counts) == {"SUCCEEDED"}
        line.say(f"\nresume executions: {counts}; live items left in the table: {len(deployment.live_items())}")
        line.say("demo OK: the workflow paused and was resumed with the event's data." if ok else
                 "demo FAILED: the workflow was not resumed as expected.")
    return 0 if ok else 1


def _states_entered(aws, execution_arn: str) -> list[str]:
    events = aws.client("stepfunctions").get_execution_history(executionArn=execution_arn)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
