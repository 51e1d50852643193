"""What `resume`, `fail` and `forget` refuse, end to end: an event the stack's own resume rule would not hand over
to the job named (a failure event, another job's event, a PutEvents entry, an event no pattern matches), a job no
pause waits on (without `--early`), and for `forget` anything but an early event. Each refusal exits 2 with its
reason on one line and leaves everything as it was: the paused workflow still waits, no item is written, no run is
started. Then what `--early` stores, `forget` removes.
"""

from __future__ import annotations

import importlib
import json

import pytest

from sfn_resume.local.harness import event_entry

from .helpers import cli_runner, deploy_instance

pytestmark = [pytest.mark.timeout(120),
              pytest.mark.filterwarnings("ignore:Tried to parse AWS..SQS..QueuePolicy:UserWarning")]


def _file(tmp_path, data, name: str) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def _refused(result, reason: str) -> None:
    assert (result.code, result.out) == (2, ""), result
    [line] = result.err.splitlines()
    assert line.startswith("sfn-resume: ") and reason in line, line


def test_resume_and_fail_refuse_what_the_stack_would_not_hand_over(emulator, monkeypatch, capsys, tmp_path):
    cli = cli_runner(emulator, monkeypatch, capsys)
    instance = deploy_instance(emulator)
    stack = instance.deployment.stack_name
    run, _ = instance.paused("wanted-1")
    items, runs = instance.items(), instance.runs()

    def resume(event, job_id: str = "wanted-1", *more: str):
        return cli("resume", "--stack", stack, job_id, "--event", _file(tmp_path, event, "event.json"), *more)

    failure = instance.event("wanted-1", status="FAILED")
    _refused(resume(failure), "--event: is a failure event (it matches the stack's failure pattern); `resume` "
                              f"hands over success events only. To fail the pause on wanted-1: sfn-resume fail "
                              f"--stack {stack} wanted-1 --cause CAUSE")
    _refused(resume(instance.event("other-1")), "--event: is the event of job 'other-1' (the stack's id path "
                                                "$.detail.jobId), not of 'wanted-1'")
    _refused(resume(event_entry(instance.event("wanted-1"))), "--event: is a PutEvents entry (Source, DetailType, "
                                                              "Detail), not an event as EventBridge delivers it")
    _refused(resume(instance.event("wanted-1", status="IN_PROGRESS")),
             "--event: matches none of the stack's patterns, so no rule would hand it over: detail.jobStatus: the "
             'pattern wants ["COMPLETED"], the event has "IN_PROGRESS"')
    _refused(resume(dict(instance.event("wanted-1"), detail={"jobStatus": "COMPLETED"})),
             "--event: the stack's id path $.detail.jobId finds no job id in it")
    # a mistyped job id, with its own event: no pause waits on it, and --early was not given
    _refused(resume(instance.event("wanted-l"), "wanted-l"),
             "wanted-l: refused: no pause is waiting on this job, so nothing was started. What status says: nothing "
             "known: no pause is waiting on it and no event came for it.")
    _refused(cli("fail", "--stack", stack, "wanted-l"), "wanted-l: refused: no pause is waiting on this job")

    assert instance.items() == items and instance.runs() == runs  # nothing written, nothing started
    assert emulator.client("stepfunctions").describe_execution(executionArn=run)["status"] == "RUNNING"
    resumed = resume(instance.event("wanted-1"))
    assert resumed.code == 0 and resumed.line.startswith("wanted-1: resumed: ")
    assert instance.deployment.wait(run)["status"] == "SUCCEEDED"
    # the hand-over is done: another event of the job is refused, the same one again is not (it is ignored)
    _refused(resume(dict(instance.event("wanted-1"), id="another-event")),
             "wanted-1: refused: no pause is waiting on this job, so nothing was started. What status says: handed "
             "over: success event ")


def test_early_stores_what_forget_removes(embedded_emulator, monkeypatch, capsys, tmp_path):
    cli = cli_runner(embedded_emulator, monkeypatch, capsys)
    instance = deploy_instance(embedded_emulator)
    stack = instance.deployment.stack_name
    event = _file(tmp_path, dict(instance.event("typo-1"), id="typo-event-1"), "typo.json")

    stored = cli("resume", "--stack", stack, "typo-1", "--event", event, "--early")
    assert stored.code == 0 and stored.line.startswith("typo-1: stored for the pause to come: ")
    forgotten = cli("forget", "--stack", stack, "typo-1")
    assert forgotten.code == 0 and forgotten.line.startswith(
        "typo-1: forgotten: the early success event typo-event-1 (stored 20")
    assert instance.deployment.item("typo-1") is None
    _refused(cli("forget", "--stack", stack, "typo-1"), "typo-1: refused: `forget` removes an early event waiting "
                                                        "for its pause, and this job has none. What status says: "
                                                        "nothing known: ")

    failed = cli("fail", "--stack", stack, "typo-2", "--early", "--json")
    assert (failed.code, failed.json["outcome"]) == (0, "stored")
    forgotten = cli("forget", "--stack", stack, "typo-2", "--json")
    assert forgotten.code == 0 and (forgotten.json["jobId"], forgotten.json["forgotten"]["outcome"]) == (
        "typo-2", "FAILED")
    assert instance.deployment.item("typo-2") is None

    # a pause that comes now waits for an event of its own
    run, _ = instance.paused("typo-1")
    items = instance.items()
    _refused(cli("forget", "--stack", stack, "typo-1"), "typo-1: refused: `forget` removes an early event waiting "
                                                        "for its pause, and this job has none. What status says: a "
                                                        "pause is waiting, since ")
    assert instance.items() == items
    assert embedded_emulator.client("stepfunctions").describe_execution(executionArn=run)["status"] == "RUNNING"


def test_forget_refuses_an_early_event_a_pause_took_meanwhile(in_process_emulator, monkeypatch, capsys, tmp_path):
    """The delete is conditional on the early event as it was read: a pause that claims it between the read and the
    delete keeps it."""
    forget_module = importlib.import_module("sfn_resume.operate.forget")  # the package's `forget` is the function
    cli = cli_runner(in_process_emulator, monkeypatch, capsys)
    instance = deploy_instance(in_process_emulator)
    stack = instance.deployment.stack_name
    event = _file(tmp_path, dict(instance.event("raced-1"), id="raced-event-1"), "raced.json")
    assert cli("resume", "--stack", stack, "raced-1", "--event", event, "--early").code == 0
    early = instance.deployment.item("raced-1")
    run = instance.start("raced-1")  # the pause takes the early event at once
    assert instance.deployment.wait(run)["status"] == "SUCCEEDED"
    claimed = instance.deployment.item("raced-1")
    reads = iter([early])
    monkeypatch.setattr(forget_module, "read_item", lambda aws, inst, job_id: next(reads, claimed))

    _refused(cli("forget", "--stack", stack, "raced-1"), "raced-1: refused: the early event changed while it was "
                                                         "read (a pause took it, or another event replaced it); "
                                                         "nothing was removed. What status says now: handed over: ")
    assert instance.deployment.item("raced-1") == claimed
