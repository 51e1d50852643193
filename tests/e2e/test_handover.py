"""`sfn-resume resume` and `fail`, end to end in both emulator modes (in process, and `sfn-resume local` in a
subprocess): a stuck pause resumed or failed by hand through the stack's own machines, an event stored for the
pause to come, a duplicate ignored, a late event, a hand-over whose send had failed finished, and what `status`
says after each. The CLI runs as an operator runs it: `main()`, reading the environment like any boto3 program.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from sfn_resume.cli import main

from .conftest import REGION
from .helpers import TRANSLATE, cli_runner, delivered, deploy_instance, paths

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

pytestmark = [pytest.mark.timeout(120),
              pytest.mark.filterwarnings("ignore:Tried to parse AWS..SQS..QueuePolicy:UserWarning")]


@pytest.fixture
def cli(emulator, monkeypatch, capsys):
    return cli_runner(emulator, monkeypatch, capsys)


def _event_file(tmp_path, event: dict, name: str = "event.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(event))
    return str(path)


def _received(done: dict) -> dict:
    return json.loads(done["output"])["translation"]["event"]


def test_resume_hands_the_event_to_the_waiting_pause_once(emulator, cli, tmp_path):
    instance = deploy_instance(emulator)
    stack = instance.deployment.stack_name
    run, _ = instance.paused("stuck-1")
    event = dict(instance.event("stuck-1"), id="lost-event-1")  # the event EventBridge never delivered

    resumed = cli("resume", "--stack", stack, "stuck-1", "--event", _event_file(tmp_path, event))
    assert (resumed.code, resumed.err) == (0, ""), resumed.out
    assert resumed.line.startswith(f"stuck-1: resumed: event lost-event-1 was handed over to the pause of execution "
                                   f"{run} (run arn:aws:states:{REGION}:")
    done = instance.deployment.wait(run)
    assert done["status"] == "SUCCEEDED" and _received(done) == event
    [status] = cli("status", "--stack", stack, "stuck-1").out.splitlines()
    assert status.startswith("stuck-1: handed over: success event lost-event-1 was handed over at 20")

    # the same event again (a second try, a redelivery): it had answered the pause already
    again = cli("resume", "--stack", stack, "stuck-1", "--event", "-", "--json", stdin=json.dumps(event))
    assert again.code == 0
    assert (again.json["outcome"], again.json["eventId"], again.json["eventIdGenerated"]) == (
        "already-handed-over", "lost-event-1", False)
    assert again.json["job"]["state"] == "handed-over" and again.json["job"]["executionId"] == run

    # another event, without an id: given one, and refused: no pause waits, this job's hand-over is done; with
    # --early it is handed over anyway, and ignored
    anonymous = {key: value for key, value in event.items() if key != "id"}
    other = cli("resume", "--stack", stack, "stuck-1", "--event", _event_file(tmp_path, anonymous, "other.json"))
    assert (other.code, other.out) == (2, "")
    assert other.err.startswith("sfn-resume: stuck-1: refused: no pause is waiting on this job, so nothing was "
                                "started. What status says: handed over: success event lost-event-1 was handed over")
    other = cli("resume", "--stack", stack, "stuck-1", "--event", _event_file(tmp_path, anonymous, "other.json"),
                "--early")
    assert other.code == 0
    assert other.err.startswith("sfn-resume: note: the event has no id: it was given ")
    given = other.err.split("it was given ")[1].split()[0]
    assert other.line.startswith("stuck-1: already handed over: event lost-event-1 was handed over, and the job's "
                                 "hand-over is remembered until 20")
    assert f"; event {given} was ignored, as a duplicate (run " in other.line
    assert instance.runs() == {"resume": {"SUCCEEDED": 3}, "pause": {"SUCCEEDED": 1}}


def test_resume_before_the_pause_stores_the_event_for_it(emulator, cli, tmp_path):
    instance = deploy_instance(emulator)
    stack = instance.deployment.stack_name
    event = dict(instance.event("early-1"), id="early-event-1")

    stored = cli("resume", "--stack", stack, "early-1", "--event", _event_file(tmp_path, event), "--json", "--early")
    assert stored.code == 0
    assert (stored.json["outcome"], stored.json["job"]["state"], stored.json["job"]["outcome"]) == (
        "stored", "early-event", "SUCCEEDED")
    assert stored.json["executionArn"].rpartition(":")[2].startswith("resume-early-event-1-")
    run = instance.start("early-1")
    done = instance.deployment.wait(run)
    assert done["status"] == "SUCCEEDED" and _received(done) == event
    [status] = cli("status", "--stack", stack, "early-1").out.splitlines()
    assert status.startswith("early-1: handed over: success event early-event-1 came first (stored 20")
    assert f") and was handed over when execution {run} paused;" in status


def test_fail_fails_the_waiting_pause_and_a_failure_waits_for_the_pause_to_come(emulator, cli):
    instance = deploy_instance(emulator)
    stack = instance.deployment.stack_name
    run, _ = instance.paused("doomed-1")

    failed = cli("fail", "--stack", stack, "doomed-1", "--cause", "the job was lost")
    assert (failed.code, failed.err) == (0, "")
    assert failed.line.startswith(f"doomed-1: failed: the pause of execution {run} fails with SfnResume.JobFailed: "
                                  "the job was lost (run arn:aws:states:")
    done = instance.deployment.wait(run)
    assert done["status"] == "SUCCEEDED"  # the sample workflow catches SfnResume.JobFailed
    assert json.loads(done["output"])["failure"] == {"Error": "SfnResume.JobFailed", "Cause": "the job was lost"}

    again = cli("fail", "--stack", stack, "doomed-1", "--json")  # no pause waits: its hand-over is done
    assert (again.code, again.out) == (2, "") and "doomed-1: refused: no pause is waiting on this job" in again.err
    again = cli("fail", "--stack", stack, "doomed-1", "--json", "--early")
    assert (again.code, again.json["outcome"]) == (0, "already-handed-over")

    # no pause yet: the failure waits for it, which then fails at once with its own error in the cause
    early = cli("fail", "--stack", stack, "doomed-2", "--error", "Ops.Cancelled", "--json", "--early")
    assert early.code == 0
    assert (early.json["outcome"], early.json["job"]["state"], early.json["job"]["outcome"]) == (
        "stored", "early-event", "FAILED")
    assert (early.json["error"], early.json["cause"]) == ("Ops.Cancelled", "failed by hand with sfn-resume fail")
    later = instance.start("doomed-2")
    failure = json.loads(instance.deployment.wait(later)["output"])["failure"]
    assert failure["Error"] == "SfnResume.JobFailed"
    assert json.loads(failure["Cause"]) == {"jobId": "doomed-2", "error": "Ops.Cancelled",
                                            "cause": "failed by hand with sfn-resume fail"}
    [status] = cli("status", "--stack", stack, "doomed-2").out.splitlines()
    assert status.startswith("doomed-2: handed over: failure event ")


def test_fail_starts_the_fail_machine_or_a_0_3_stacks_pause_machine(emulator, cli):
    """0.4 fails a pause through its fail machine, which workflow roles cannot start; a stack still on 0.3 has none,
    and its pause machine takes the failure as it did; a 0.4 instance without a failure pattern has neither."""
    for template, machine in (("generic", "-Failure"), (FIXTURES / "sfn-resume-0.3.0.yaml", "-Pause")):
        instance = deploy_instance(emulator, template)
        run, _ = instance.paused("doomed")
        failed = cli("fail", "--stack", instance.deployment.stack_name, "doomed", "--json")
        assert (failed.code, failed.json["outcome"]) == (0, "failed")
        assert failed.json["stateMachineArn"].endswith(machine)
        failure = json.loads(instance.deployment.wait(run)["output"])["failure"]
        assert failure == {"Error": "SfnResume.JobFailed", "Cause": "failed by hand with sfn-resume fail"}
    instance = deploy_instance(emulator, FailureEventPattern="")
    refused = cli("fail", "--stack", instance.deployment.stack_name, "any")
    assert refused.code == 2 and "has no FailStateMachineArn output: its instance has no failure event pattern" in refused.err


def test_resume_after_the_pause_timed_out_is_a_late_event(emulator, cli, tmp_path):
    instance = deploy_instance(emulator, TimeoutSeconds="1")
    stack = instance.deployment.stack_name
    run, _ = instance.paused("late-1")
    assert instance.deployment.wait(run)["error"] == "States.Timeout"
    event = dict(instance.event("late-1"), id="late-event-1")

    refused = cli("resume", "--stack", stack, "late-1", "--event", _event_file(tmp_path, event))
    assert refused.code == 2 and "What status says: expired " in refused.err  # no pause waits: it timed out
    late = cli("resume", "--stack", stack, "late-1", "--event", _event_file(tmp_path, event), "--early")
    assert late.code == 0
    assert late.line.startswith(f"late-1: pause already closed: the pause of execution {run} had timed out or "
                                "ended; event late-event-1 was taken for its late event and answered nothing")
    report = json.loads(cli("status", "--stack", stack, "late-1", "--json").out)
    (job,) = report["jobs"]
    # 0.4's hand-over no longer records when the claimed pause would have timed out (0.3's pauseExpiresAtMs): status
    # cannot tell a late event from a prompt one any more (None: not known)
    assert (job["state"], job["eventId"], job["late"]) == ("handed-over", "late-event-1", None)
    [status] = cli("status", "--stack", stack, "late-1").out.splitlines()
    assert status.startswith("late-1: handed over: success event late-event-1 was handed over at 20")
    assert f"to execution {run};" in status


def test_resume_finishes_a_hand_over_whose_send_failed(emulator, cli, tmp_path):
    """A STANDARD resume run whose SendTaskSuccess failed after its retries (a transient error) leaves the token
    claimed by its event (protocol 0.3): the same event, resumed by hand, claims it again and sends."""
    instance = deploy_instance(emulator)
    stack, deployment = instance.deployment.stack_name, instance.deployment
    run, item = instance.paused("unsent-1")
    event = dict(instance.event("unsent-1"), id="unsent-event-1")
    # the item as the failed run's ClaimToken left it: its event recorded as the claimant, the token kept
    now_ms = int(time.time() * 1000)
    instance.aws.client("dynamodb").update_item(
        TableName=deployment.table_name, Key={"id": {"S": "unsent-1"}},
        UpdateExpression="SET eventId = :eventId, handedOverAtMs = :now, expiresAt = :expiresAt, "
                         "expiresAtMs = :expiresAtMs",
        ExpressionAttributeValues={":eventId": {"S": "unsent-event-1"}, ":now": {"N": str(now_ms)},
                                   ":expiresAt": {"N": str(now_ms // 1000 + 86_400)},
                                   ":expiresAtMs": {"N": str(now_ms + 86_400_000)}})
    assert instance.aws.client("stepfunctions").describe_execution(executionArn=run)["status"] == "RUNNING"

    finished = cli("resume", "--stack", stack, "unsent-1", "--event", _event_file(tmp_path, event), "--json")
    assert (finished.code, finished.json["outcome"]) == (0, "resumed")
    done = deployment.wait(run)
    assert done["status"] == "SUCCEEDED" and _received(done) == event
    assert paths(instance) == [["ClaimToken", "SendTaskSuccess"]]


def test_resume_through_an_express_resume_machine(emulator, cli, tmp_path):
    """An EXPRESS run keeps no history AWS lets one read: the job's item tells what it did."""
    instance = deploy_instance(emulator, ResumeWorkflowType="EXPRESS")
    stack = instance.deployment.stack_name
    run, _ = instance.paused("express-1")
    event = dict(instance.event("express-1"), id="express-event-1")

    resumed = cli("resume", "--stack", stack, "express-1", "--event", _event_file(tmp_path, event), "--json")
    assert (resumed.code, resumed.json["outcome"]) == (0, "resumed")
    assert ":express:" in resumed.json["executionArn"] or ":execution:" in resumed.json["executionArn"]
    done = instance.deployment.wait(run)
    assert done["status"] == "SUCCEEDED" and _received(done) == event
    early = dict(instance.event("express-2"), id="express-event-2")
    stored = cli("resume", "--stack", stack, "express-2", "--event", _event_file(tmp_path, early), "--json",
                 "--early")
    assert (stored.code, stored.json["outcome"]) == (0, "stored")
    again = cli("resume", "--stack", stack, "express-2", "--event", _event_file(tmp_path, early), "--json")
    assert (again.code, again.json["outcome"]) == (0, "already-handed-over")  # the same event: not refused
    delivered(early, "express-event-2", json.loads(instance.deployment.item("express-2")["event"]["S"]))


#: A workflow that times out as a whole after WORKFLOW_TIMEOUT_SECONDS, long before its pause's TIMEOUT_SECONDS (half
#: of it is the wait's margin: 29 s for a timer that fires at 2 s): the table, which knows only the pause's timeout,
#: still shows a waiting pause meanwhile.
WORKFLOW_TIMEOUT_SECONDS, TIMEOUT_SECONDS = 2, 60


def test_a_pause_whose_workflow_ended_is_closed_to_an_express_run(emulator, cli, tmp_path):
    """An EXPRESS run is read from the item, which looks the same whether its answer reached a waiting workflow or
    one that had ended: `resume` and `fail` describe the paused execution first, and report the pause closed."""
    instance = deploy_instance(emulator, ResumeWorkflowType="EXPRESS", TimeoutSeconds=str(TIMEOUT_SECONDS))
    stack = instance.deployment.stack_name
    workflow = instance.deployment.create_workflow(f"ends-{stack}", TRANSLATE.pathToIdPauseTask,
                                                   timeout_seconds=WORKFLOW_TIMEOUT_SECONDS)
    runs = [instance.paused(job, workflow)[0] for job in ("quiet-1", "quiet-2")]
    for run in runs:
        instance.deployment.ended(run, "TIMED_OUT", timeout=TIMEOUT_SECONDS / 2)
    [waiting] = cli("status", "--stack", stack, "quiet-1", "--json").json["jobs"]
    assert (waiting["state"], waiting["workflowStatus"]) == ("waiting-pause", "TIMED_OUT")  # the table still waits
    line = cli("status", "--stack", stack, "quiet-1").line
    assert line.startswith("quiet-1: a pause looks waiting, since ") and line.endswith(
        f"but execution {runs[0]} has ended (TIMED_OUT): the pause is closed, and an event of this job would be "
        "taken for its late event")

    event = dict(instance.event("quiet-1"), id="after-the-end")
    resumed = cli("resume", "--stack", stack, "quiet-1", "--event", _event_file(tmp_path, event))
    assert resumed.code == 0 and resumed.line.startswith(
        f"quiet-1: pause already closed: the pause of execution {runs[0]} had timed out or ended; event "
        "after-the-end was taken for its late event and answered nothing"), resumed.out
    failed = cli("fail", "--stack", stack, "quiet-2", "--json")
    assert (failed.code, failed.json["outcome"]) == (0, "pause-closed")
    assert instance.runs()["pause"].get("FAILED", 0) == 0  # both runs ended as the protocol says, in PauseAlreadyClosed


@pytest.mark.parametrize("args, message", [
    (["resume", "--stack", "nope", "j", "--event", "EVENT"], "--stack: 'nope' does not exist in us-east-1"),
    (["fail", "--stack", "nope", "j"], "--stack: 'nope' does not exist in us-east-1"),
    (["resume", "--stack", "s", "", "--event", "EVENT"],
     "JOB_ID: '' is not allowed; expected a job id (a non-empty string)"),
    (["resume", "--stack", "s", "j", "--event", "NOT_JSON"], "--event: NOT_JSON: not valid JSON at line 1, column 1"),
    (["resume", "--stack", "s", "j", "--event", "LIST"], "--event: LIST: is a JSON list; expected an object"),
    (["resume", "--stack", "s", "j", "--event", "/nonexistent.json"], "--event: /nonexistent.json: cannot read it (FileNotFoundError"),
    (["fail", "--stack", "s", "j", "--error", ""], "--error: '' is not allowed; expected 1 to 256 characters"),
    (["fail", "--stack", "s", "j", "--cause", "x" * 32_769],
     "--cause: 32,769 characters are not allowed; expected at most 32,768"),
])
def test_bad_input_exits_2_with_one_line_and_starts_nothing(in_process_emulator, monkeypatch, capsys, tmp_path,
                                                            args, message):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    files = {"EVENT": _event_file(tmp_path, {"id": "e"}), "NOT_JSON": str(tmp_path / "bad.json"),
             "LIST": _event_file(tmp_path, [], "list.json")}
    (tmp_path / "bad.json").write_text("nope")
    args = [files.get(arg, arg) for arg in args]
    message = message.replace("NOT_JSON", files["NOT_JSON"]).replace("LIST", files["LIST"])
    code = main(args)
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err.startswith("sfn-resume: " + message) and captured.err.count("\n") == 1


def test_an_aws_error_exits_3(emulator, cli, tmp_path):
    """AWS refusing is exit 3, as for every command (docs/OPERATING.md, CLI exit codes)."""
    instance = deploy_instance(emulator)
    stack = instance.deployment.stack_name
    instance.paused("j")
    instance.aws.client("stepfunctions").delete_state_machine(
        stateMachineArn=instance.deployment.outputs["ResumeStateMachineArn"])
    result = cli("resume", "--stack", stack, "j", "--event", _event_file(tmp_path, instance.event("j")))
    assert (result.code, result.out) == (3, "")
    assert result.err.startswith("sfn-resume: DescribeStateMachine: StateMachineDoesNotExist: ")
