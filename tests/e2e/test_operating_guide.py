"""docs/OPERATING.md's commands run as shown, against `sfn-resume local`: each of its table's refusals is refused
with the reason the table gives (exit 2, the paused workflow still waiting, the table's items unchanged), then its
bash block runs, and does what the guide says."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from sfn_resume import load_config
from sfn_resume.local.harness import Deployment
from sfn_resume.nested import generic_parameters

from ..helpers import EXAMPLES, ROOT, doc_blocks
from .conftest import running_server

GUIDE = ROOT / "docs" / "OPERATING.md"
BIN = Path(sys.executable).parent
JOB = "8c3a5e1f0b7d4c29a6e2f9d1b4c7a035"  # the job of examples/translate/events/success.json


def refusals() -> list[tuple[str, str]]:
    """The table's rows: (command, the reason's first words, as the table quotes them)."""
    rows = []
    for line in GUIDE.read_text().split("## What is refused")[1].split("\n## ")[0].splitlines():
        match = re.match(r"^\| `(sfn-resume [^`]+)` \| (`+)(.+?)\2", line)
        if match:
            rows.append((match[1], match[3].strip()))
    return rows


def bash_block() -> str:
    return doc_blocks(GUIDE, "bash")["Early events, and removing one"]


def sfn_resume(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=ROOT, env=dict(env, PATH=f"{BIN}:/usr/bin:/bin"),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.timeout(180)
def test_the_guides_refusals_and_commands(tmp_path):
    rows = refusals()
    assert len(rows) == 5 and all(command.split()[1] in ("resume", "fail", "forget") for command, _ in rows)
    with running_server(tmp_path) as server:
        env = dict(server.env, AWS_ENDPOINT_URL=server.endpoint)
        (translate,) = load_config(EXAMPLES / "translate" / "config.yaml").instances
        deployment = Deployment.deploy(server, "translate-resume", (ROOT / "templates" / "sfn-resume.yaml").read_text(),
                                       generic_parameters(translate))
        run = deployment.start(deployment.create_workflow("paused", translate.pathToIdPauseTask), JOB)
        deployment.wait_until_paused(run, JOB)
        items = deployment.items()

        for command, reason in rows:
            result = sfn_resume(command, env)
            assert (result.returncode, result.stdout) == (2, ""), (command, result)
            assert result.stderr.startswith("sfn-resume: ") and reason in result.stderr, (command, result.stderr)
        assert deployment.items() == items
        assert server.client("stepfunctions").describe_execution(executionArn=run)["status"] == "RUNNING"

        # The sample as shipped: its `time` is older than the retention before the pause began, so it is no news of
        # this pause's job (A workflow is stuck): its run fails, and the pause still waits.
        stale = sfn_resume(f"sfn-resume resume --stack translate-resume {JOB} --event "
                           "examples/translate/events/success.json", env)
        assert stale.returncode == 1 and stale.stdout.startswith(f"{JOB}: the run failed: "), stale
        assert "the event is older than EventRetentionSeconds" in stale.stdout
        assert deployment.items() == items
        assert server.client("stepfunctions").describe_execution(executionArn=run)["status"] == "RUNNING"

        lines = [line for line in bash_block().splitlines() if line.strip()]
        outputs = []
        for line in lines:
            result = sfn_resume(line, env)
            assert result.returncode == 0, (line, result.stderr)
            outputs.append(result.stdout.strip())
        failed, status, forgotten, resumed = outputs
        early = shlex.split(lines[0])[4]
        assert failed.startswith(f"{early}: stored for the pause to come: no pause waits on this job yet; the "
                                 "failure waits until ")
        assert status.startswith(f"{early}: an early failure event (") and "is waiting for its pause" in status
        assert forgotten.startswith(f"{early}: forgotten: the early failure event ")
        assert deployment.item(early) is None
        assert resumed.startswith(f"{JOB}: resumed: event ")
        done = deployment.wait(run)
        assert done["status"] == "SUCCEEDED"
        event = json.loads((EXAMPLES / "translate" / "events" / "success.json").read_text())
        assert json.loads(done["output"])["translation"]["event"]["id"] == event["id"]
