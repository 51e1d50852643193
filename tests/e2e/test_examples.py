"""Every example of the catalogue, deployed from its committed template: its success event resumes the sample
workflow with the event, its failure event fails the pause with SfnResume.JobFailed, its unmatched event does
nothing. In process only: the examples use the services' real sources (aws.*), which PutEvents refuses on AWS."""

import copy
import json

import pytest

from sfn_resume import load_config
from sfn_resume.check import evaluate_path, job_id_string
from sfn_resume.local.harness import Deployment, statuses
from sfn_resume.names import logical_prefix

from ..helpers import SERVICE_EXAMPLES, TEMPLATES


def sample(config_path, name: str) -> dict:
    return json.loads((config_path.parent / "events" / f"{name}.json").read_text())


def with_job_id(event: dict, path: str, job_id: str) -> dict:
    """`event` with `job_id` at `path` (the examples' id paths are plain `$.a.b`)."""
    event = copy.deepcopy(event)
    *parents, name = path[2:].split(".")
    node = event
    for key in parents:
        node = node[key]
    node[name] = job_id
    return event


@pytest.mark.timeout(60)
@pytest.mark.parametrize("config_path", SERVICE_EXAMPLES, ids=lambda p: p.parent.name)
def test_example_resumes_on_success_and_fails_on_failure(in_process_emulator, config_path):
    (instance,) = load_config(config_path).instances
    deployment = Deployment.deploy(in_process_emulator, config_path.parent.name,
                                   (TEMPLATES / "examples" / f"{config_path.parent.name}.yaml").read_text(),
                                   prefix=logical_prefix(instance.nameSuffix))
    workflow = deployment.create_workflow("wf", instance.pathToIdPauseTask)
    success, failure, unmatched = (sample(config_path, name) for name in ("success", "failure", "unmatched"))
    job_id = job_id_string(evaluate_path(instance.pathToIdWorkflow, success)[0])

    run = deployment.start(workflow, job_id)
    deployment.wait_until_paused(run, job_id)
    deployment.send(unmatched)
    deployment.send(success)
    done = deployment.ended(run)
    received = evaluate_path(instance.resultPath, json.loads(done["output"]))[0]
    assert received["event"]["detail"] == success["detail"]
    assert deployment.live_items() == []

    # another job, that fails (0.4: a job id is not reused within EventRetentionSeconds of its job's last event)
    failing_job = job_id + "-failing"
    failing = deployment.start(workflow, failing_job)
    deployment.wait_until_paused(failing, failing_job)
    failure = with_job_id(failure, instance.pathToIdWorkflow, failing_job)
    deployment.send(failure)
    failed = deployment.ended(failing)  # SUCCEEDED: the sample workflow's Catch handled it
    assert json.loads(failed["output"])["failure"] == {
        "Error": "SfnResume.JobFailed", "Cause": json.dumps(failure["detail"], separators=(",", ":"))}
    # the unmatched event started nothing: one resume run, two pause runs, one fail run (the failure event)
    assert statuses(deployment.wait_for_resume_executions(1)) == {"SUCCEEDED": 1}
    assert statuses(deployment.wait_for_executions(deployment.pause_state_machine, 2)) == {"SUCCEEDED": 2}
    assert statuses(deployment.wait_for_executions(deployment.fail_state_machine, 1)) == {"SUCCEEDED": 1}
    assert deployment.live_items() == []
