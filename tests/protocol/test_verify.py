"""`sfn-resume verify` on the template 0.3.0 shipped (tests/fixtures): each of its defects found, with the trace that
shows it; and the command's contract (exit codes, JSON, errors for bad input). The shipped templates' own verification
is tests/protocol/test_shipped_verify.py."""

import json
import re
import shlex

import pytest

from sfn_resume.cli import main

from ..helpers import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "sfn-resume-0.3.0.yaml"


def verify(capsys, *args) -> tuple[int, str, str]:
    code = main(["verify", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def trace(out: str) -> list[str]:
    """The numbered steps of the printed trace."""
    return [line.strip() for line in out.splitlines() if re.match(r"\s+\d+\. ", line)]


def test_0_3_0_a_restarted_pause_run_after_its_early_event_expired_loses_the_event_silently(capsys):
    code, out, _ = verify(capsys, FIXTURE, "--scenario", "late-pause", "--property", "no silent loss")
    assert code == 1
    assert "late-pause: VIOLATION of 'no silent loss'" in out
    steps = trace(out)
    # the event is stored first; the pause claims it; its run runs again after the event's retention, and StoreToken
    # overwrites the claimed event with a bare waiting pause
    claim = next(i for i, s in enumerate(steps) if "ClaimEarlyEvent: updateItem" in s)
    rerun = next(i for i, s in enumerate(steps) if "runs again from its first state" in s)
    store = max(i for i, s in enumerate(steps) if "StoreToken: putItem" in s)
    assert claim < rerun < store
    assert "StoreEarlyEvent: putItem" in out
    assert "-event, -eventId" in out.split(steps[store], 1)[1].splitlines()[1]


def test_0_3_0_the_old_jobs_event_resumes_a_new_pause_on_a_reused_job_id(capsys):
    code, out, _ = verify(capsys, FIXTURE, "--scenario", "job-id-reused", "--property", "own job's event")
    assert code == 1
    assert "VIOLATION of 'own job's event'" in out
    assert "resumes token-W2-1 (a pause on job J2) with event J1-e1 of job J1" in out
    steps = trace(out)
    assert "workflow W2: pauses on job job-1 (J2)" in " ".join(steps)
    assert "ClaimToken: updateItem" in steps[-2]


def test_0_3_0_a_re_pause_after_a_timeout_loses_the_event_that_came_in_between(capsys):
    code, out, _ = verify(capsys, FIXTURE, "--scenario", "re-pause", "--property", "no silent loss")
    assert code == 1
    assert "VIOLATION of 'no silent loss'" in out
    text = "\n".join(trace(out))
    assert "token-W1-1 times out (States.Timeout): caught States.Timeout: pauses again" in text
    assert "SendTaskSuccess: sendTaskSuccess -- refused: token-W1-1 is closed" in text
    assert "token-W1-2 (a pause on job J1) times out, but event J1-e1 of its job arrived in time" in out


def test_0_3_0_whoever_may_start_the_pause_machine_can_fail_another_workflows_pause(capsys):
    code, out, _ = verify(capsys, FIXTURE, "--scenario", "failure-event", "--property", "only its own token")
    assert code == 1
    assert "VIOLATION of 'only its own token'" in out
    assert "sends sfn:sendTaskFailure to 'token-W1-1', not to the token it was started with" in out


def test_json_gives_the_verdicts_and_the_trace_with_the_items(capsys):
    code, out, _ = verify(capsys, FIXTURE, "--scenario", "failure-event", "--property", "only its own token", "--json")
    assert code == 1
    (result,) = json.loads(out)
    assert result["instance"] == "(generic)" and "FailureEventPattern" in result["standIns"]
    (scenario,) = result["scenarios"]
    assert scenario["name"] == "failure-event" and scenario["states"] > 0
    violation = scenario["violation"]
    assert violation["property"] == "only its own token"
    claim = next(s for s in violation["trace"] if s["action"] == "ClaimToken: updateItem")
    assert claim["jobId"] == "job-1" and "handedOverAtMs" in claim["itemAfter"] and \
        "handedOverAtMs" not in claim["itemBefore"]


@pytest.mark.parametrize("args, message", [
    (["--parameter", "NoSuchParameter=1"], "--parameter NoSuchParameter: the template has no such Parameter"),
    (["--parameter", "EventRetentionSeconds"], "--parameter 'EventRetentionSeconds': write KEY=VALUE"),
])
def test_a_bad_parameter_is_refused_with_exit_2(capsys, args, message):
    code, out, err = verify(capsys, FIXTURE, *args)
    assert (code, out) == (2, "") and message in err


def test_an_unknown_scenario_is_refused_by_its_choices(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["verify", str(FIXTURE), "--scenario", "nope"])
    assert exited.value.code == 2 and "invalid choice: 'nope'" in capsys.readouterr().err


def test_a_file_that_is_missing_no_template_or_holds_no_instance_is_refused(capsys, tmp_path):
    code, out, err = verify(capsys, tmp_path / "missing.yaml")
    assert code == 2 and "missing.yaml: no such file" in err
    empty = tmp_path / "empty.yaml"
    empty.write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
    code, out, err = verify(capsys, empty)
    assert code == 2 and "no sfn-resume instance" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources: [\n")
    code, out, err = verify(capsys, broken)
    assert code == 2 and "not a CloudFormation template" in err


def test_design_states_the_checkers_properties_word_for_word():
    from sfn_resume.protocol.world import PROPERTIES

    design = (ROOT / "docs" / "DESIGN.md").read_text()
    block = design[design.index("<!-- properties"):design.index("<!-- /properties -->")]
    stated = dict(re.findall(r"^- \*\*(.+?)\*\*: (.+)$", block, re.M))
    assert stated == PROPERTIES


def test_the_help_examples_run_in_a_folder_with_a_synthesized_template(capsys, tmp_path, monkeypatch):
    """`verify --help`'s examples, the full scope aside (tests/protocol/test_shipped_verify.py runs it)."""
    from sfn_resume.cli import COMMAND_EXAMPLES

    monkeypatch.chdir(tmp_path)
    assert main(["synth", "-o", "sfn-resume.yaml"]) == 0
    (full, _), (one, _) = [(shlex.split(command)[1:], what) for what, command in COMMAND_EXAMPLES["verify"]]
    assert full == ["verify", "sfn-resume.yaml"]
    capsys.readouterr()
    assert main(one) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in result["scenarios"]] == ["one-pause"] and result["scenarios"][0]["violation"] is None
