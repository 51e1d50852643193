"""`python -m benchmarks --quick`: the table and the JSON have the agreed shape and the counts the designs imply.

Asserts on transition and API-call counts (fixed by the state machine definitions) and on structure, never on
timings. Runs the benchmarks once, in a subprocess, writing to a temporary file.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "benchmarks" / "results" / "latest.json"
HEADER = "| benchmark | case | sfn-resume | original construct | limit / target |"


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    output = tmp_path_factory.mktemp("bench") / "quick.json"
    committed_before = COMMITTED.read_bytes() if COMMITTED.exists() else None
    completed = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
                               cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert completed.returncode == 0, completed.stderr[-3000:]
    committed_after = COMMITTED.read_bytes() if COMMITTED.exists() else None
    return {"stdout": completed.stdout, "text": output.read_text(), "results": json.loads(output.read_text()),
            "committed_untouched": committed_before == committed_after}


pytestmark = pytest.mark.timeout(300)


def test_quick_writes_elsewhere_and_deterministic_json(quick):
    assert quick["committed_untouched"]
    assert quick["results"]["meta"]["quick"] is True
    # sorted keys, two-space indent, final newline: a re-dump changes nothing
    assert quick["text"] == json.dumps(quick["results"], indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert sorted(quick["results"]) == ["cost", "growth", "handovers", "meta", "synthesis", "throughput"]


def test_prints_one_table(quick):
    lines = quick["stdout"].splitlines()
    assert lines.count(HEADER) == 1
    rows = [line for line in lines if line.startswith("| ")]
    # one contiguous table: every row is between the header and the first blank line
    start = lines.index(HEADER)
    assert rows == lines[start:start + len(rows)]
    benchmarks = {row.split(" | ")[0].removeprefix("| ") for row in rows[2:]}
    assert benchmarks == {"cost", "synthesis", "throughput", "hand-overs"}
    assert ("| cost | happy path: pause + resume transitions · Express runs | 1 + 2 transitions · 1 pause-machine run "
            "| 1 + 3 transitions |  |") in lines
    assert "Growth" in quick["stdout"] and "Price model (us-east-1" in quick["stdout"]


def _transitions(figures: dict, machine: str) -> float:
    return sum(run["transitions"] for run in figures["runs"] if run["machine"] == machine) / figures["occurrences"]


@pytest.mark.parametrize("path, pause, resume, pause_runs, fail_runs, wru, rru, outcome", [
    # the pause state (1 transition) starts the pause machine (StoreToken: 1 WRU); ClaimToken → SendTaskSuccess: the
    # claim keeps the event (protocol 0.4), which takes the item past 1 KB: 2 WRU
    ("happy", 1, 2, 1, 0, 3, 0, "resumed with the event"),
    # ClaimToken (no token) → StoreEarlyEvent; the pause machine then claims it and answers the token
    # (the claim keeps the event and adds the token, which takes the item past 1 KB: one more write unit)
    ("early_event", 1, 2, 1, 0, 5, 0, "resumed with the event"),
    # per extra copy: ClaimToken and StoreEarlyEvent refused (two failed conditions on the 2 KB hand-over: 2 WRU
    # each), ReadHolder (a consistent GetItem: 1 RRU) → WhatNext → AlreadyHandled
    ("duplicate", 0, 5, 0, 0, 4, 1, "ignored"),
    # the failure event starts the fail machine (0.4): its claim → FailThePause
    ("failure", 1, 0, 1, 1, 3, 0, "failure delivered to the Catch"),
    # the pause times out; its late event: ClaimToken → SendTaskSuccess (closed) → PauseAlreadyClosed
    ("late_event", 1, 3, 1, 0, 3, 0, "workflow FAILED (States.Timeout); the late event is answered to it and remembered"),
])
def test_sfn_resume_counts(quick, path, pause, resume, pause_runs, fail_runs, wru, rru, outcome):
    figures = quick["results"]["cost"]["sfn_resume"][path]
    assert figures["pause_state"]["transitions"] == pause
    assert _transitions(figures, "resume") == resume
    assert sum(run["machine"] == "pause" for run in figures["runs"]) == pause_runs
    assert sum(run["machine"] == "fail" for run in figures["runs"]) == fail_runs
    assert all(run["status"] == "SUCCEEDED" for run in figures["runs"])
    assert figures["dynamodb"]["wru"] / figures["occurrences"] == wru
    assert figures["dynamodb"]["rru"] / figures["occurrences"] == rru
    assert figures["outcome"] == outcome
    # ERROR-level logs: nothing on the happy path
    assert (sum(run["log_bytes"]["ERROR"] for run in figures["runs"]) == 0) is (path in ("happy", "failure"))


@pytest.mark.parametrize("path, resume, wru, rru, status, lost", [
    ("happy", 3, 2, 0.5, "SUCCEEDED", False),  # PutItem; GetItem → SendTaskSuccess → DeleteItem
    ("early_event", 2, 1, 0.5, "FAILED", True),  # GetItem finds nothing; SendTaskSuccess fails on the missing token
    ("duplicate", 2, 0, 0.5, "FAILED", False),  # the item was deleted by the first copy
    ("failure", 0, 1, 0, None, True),  # no rule matches a failure event
])
def test_original_counts(quick, path, resume, wru, rru, status, lost):
    figures = quick["results"]["cost"]["original"][path]
    assert figures["pause_state"]["transitions"] == (0 if path == "duplicate" else 1)
    assert _transitions(figures, "resume") == resume
    assert {run["status"] for run in figures["runs"]} == ({status} if status else set())
    assert (figures["dynamodb"]["wru"] / figures["occurrences"], figures["dynamodb"]["rru"] / figures["occurrences"]) \
        == (wru, rru)
    assert figures["outcome"].startswith("LOST") is lost


def test_prices_follow_from_the_figures(quick):
    cost = quick["results"]["cost"]
    ours = cost["sfn_resume"]["happy"]["usd_per_million"]
    # STANDARD: 3 transitions at $0.025 per 1,000; 3 WRU at $0.625 per million; nothing logged at ERROR
    assert ours["STANDARD"]["step_functions_standard"] == pytest.approx(75.0)
    assert ours["STANDARD"]["dynamodb"] == pytest.approx(1.875) and ours["STANDARD"]["logs"] == 0
    # the pause machine: $1 per million requests plus 64 MB for at least one 100 ms unit
    assert ours["STANDARD"]["step_functions_express"] >= 1.0 + 0.0625 * 0.1 * 16.67 - 1e-6
    # X-Ray: the resume run starts a trace, 5% sampled, $5 per million; the pause joins its workflow's trace
    assert ours["STANDARD"]["xray"] == pytest.approx(0.25)
    original = cost["original"]["happy"]["usd_per_million"]
    assert original["STANDARD"]["step_functions_standard"] == pytest.approx(100.0)
    assert original["STANDARD"]["logs"] > 0  # ALL: every state of every run
    for resume_type, target in (("STANDARD", 0.80), ("EXPRESS", 1.10)):
        ratio = ours[resume_type]["total"] / original[resume_type]["total"]
        assert cost["happy_ratio"][resume_type] == pytest.approx(ratio, abs=1e-3) and ratio <= target


def test_synthesis_shape(quick):
    synthesis = quick["results"]["synthesis"]
    assert synthesis["limits"] == {"resources": 500, "outputs": 200, "bytes_inline": 51_200, "bytes_s3": 1_000_000}
    assert set(synthesis["instances"]) == {"1", "3"}
    for count, measured in synthesis["instances"].items():
        assert measured["mode"] == "flat" and measured["deployable"]
        assert measured["cli"]["exit_code"] == 0
        flat = measured["modes"]["flat"]
        assert flat["sizes"]["resources"] == flat["resources_per_instance"] * int(count)
        assert set(flat) >= {"in_process_seconds", "build_seconds", "render_yaml_seconds", "bytes_per_instance"}
    # above the inline limit, within S3's: deployed through S3 (docs/IAC.md; tests/test_template.py)
    assert 51_200 < synthesis["generic"]["sizes"]["bytes"] <= 1_000_000


def test_throughput_and_growth_shape(quick):
    throughput = quick["results"]["throughput"]
    assert list(throughput) == ["5"]
    assert throughput["5"]["all_resumed"] and throughput["5"]["resume_runs"] == {"SUCCEEDED": 5}
    assert throughput["5"]["cpu_ms_per_resume"] > 0 and throughput["5"]["cpu_ms_per_pause"] > 0
    figures = {g["figure"] for g in quick["results"]["growth"]}
    assert "flat: in-process build, ms per instance" in figures
    assert all(g["growth"] in ("linear", "sublinear", "superlinear")
               for g in quick["results"]["growth"])


def test_handovers_through_the_server(quick):
    """Whole hand-overs through `sfn-resume local`: every workflow resumed, a rate and the server's CPU time."""
    measured = quick["results"]["handovers"]["5"]
    assert measured["all_resumed"] and measured["workflows_succeeded"] == 5
    assert measured["handovers_per_second"] > 0 and measured["emulator_cpu_ms_per_handover"] > 0
    assert any(line.startswith("| hand-overs | 5 workflows through `sfn-resume local`") for line in quick["stdout"].splitlines())
