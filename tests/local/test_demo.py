"""`sfn-resume demo` really pauses and resumes, and says so step by step."""

import io

import pytest

from sfn_resume.cli import main
from sfn_resume.local.demo import run_demo


@pytest.mark.timeout(60)
def test_demo_resumes_the_workflow_and_prints_the_timeline():
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    labels = [line.split()[2] for line in text.splitlines() if " ms  " in line]
    assert labels == ["deployed", "workflow", "paused", "event", "matched", "resumed", "handed",
                      "duplicate", "early", "early"]
    assert "ClaimToken → SendTaskSuccess (2 states), SUCCEEDED" in text
    assert "the resume run ends SUCCEEDED in AlreadyHandled" in text
    assert "resume executions: {'SUCCEEDED': 3}; live items left in the table: 0" in text
    assert text.rstrip().endswith("demo OK: the workflow paused and was resumed with the event's data.")


@pytest.mark.timeout(60)
def test_demo_command_exits_0(capsys):
    assert main(["demo"]) == 0
    assert "demo OK" in capsys.readouterr().out
