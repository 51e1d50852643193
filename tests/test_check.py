"""`sfn-resume check` on every example's samples, and on the mistakes it exists to catch."""

import json

import pytest

from sfn_resume.cli import main

from .helpers import EXAMPLES, SERVICE_EXAMPLES

TRANSLATE = EXAMPLES / "translate"


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["check", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("config", SERVICE_EXAMPLES, ids=lambda c: c.parent.name)
@pytest.mark.parametrize("sample, code, verdict", [
    ("success", 0, "eventPattern: matches: this event would resume the paused workflow"),
    ("failure", 0, "failureEventPattern: matches: this event would fail the paused state with SfnResume.JobFailed"),
    ("unmatched", 1, "the event would be ignored: no resume machine starts"),
])
def test_every_example_sample(capsys, config, sample, code, verdict):
    folder = config.parent
    exit_code, out, _ = run(capsys, config, "--event", folder / "events" / f"{sample}.json", "--state", folder / "state.json")
    assert exit_code == code
    assert f"  {verdict}\n" in out
    if code == 0:
        assert ": pairs with the event\n" in out


def test_a_miss_says_which_field(capsys):
    code, out, _ = run(capsys, TRANSLATE / "config.yaml", "--event", TRANSLATE / "events" / "unmatched.json")
    assert code == 1
    assert ('    detail-type: the pattern wants ["Translate TextTranslationJob State Change"], '
            'the event has "Translate Parallel Data State Change"\n') in out


def test_ids_that_do_not_pair(capsys, tmp_path):
    state = json.loads((TRANSLATE / "state.json").read_text())
    state["startTextTranslationJob"]["JobId"] = "another-job"
    (tmp_path / "state.json").write_text(json.dumps(state))
    code, out, _ = run(capsys, TRANSLATE / "config.yaml", "--event", TRANSLATE / "events" / "success.json",
                       "--state", tmp_path / "state.json")
    assert code == 1
    assert ("pathToIdPauseTask $.startTextTranslationJob.JobId: job id 'another-job': does NOT pair with the event's: "
            "the workflow would wait until it times out") in out


def test_id_path_that_finds_nothing(capsys, tmp_path):
    event = json.loads((TRANSLATE / "events" / "success.json").read_text())
    del event["detail"]["jobId"]
    (tmp_path / "event.json").write_text(json.dumps(event))
    code, out, _ = run(capsys, TRANSLATE / "config.yaml", "--event", tmp_path / "event.json")
    assert code == 1
    assert "pathToIdWorkflow $.detail.jobId: finds nothing in the event (it stops after $.detail)" in out


@pytest.mark.parametrize("content, message", [
    ("{not json", "--event: {path}: not valid JSON at line 1, column 2: Expecting property name enclosed in double quotes"),
    ("[1]", "--event: {path}: is a JSON list; expected an object"),
])
def test_bad_event_file(capsys, tmp_path, content, message):
    path = tmp_path / "event.json"
    path.write_text(content)
    code, out, err = run(capsys, TRANSLATE / "config.yaml", "--event", path)
    assert code == 2 and out == ""
    assert err == f"sfn-resume: {message.format(path=path)}\n"


def test_every_instance_of_a_multi_instance_config(capsys):
    code, out, _ = run(capsys, EXAMPLES / "two-services" / "config.yaml", "--event",
                       EXAMPLES / "transcribe" / "events" / "success.json")
    assert code == 0
    assert out.splitlines()[0] == "TwoServicesTranslate:"
    assert "TranscribeResume:\n  eventPattern: matches: this event would resume the paused workflow\n" in out
    code, _, _ = run(capsys, EXAMPLES / "two-services" / "config.yaml", "--instance", "TwoServicesTranslate",
                     "--event", EXAMPLES / "transcribe" / "events" / "success.json")
    assert code == 1


def test_an_event_both_patterns_match_is_reported_not_decided(capsys, tmp_path):
    """On AWS both rules fire and their runs race for the pause: check says so and exits 1."""
    config = tmp_path / "c.yaml"
    config.write_text(_both(TRANSLATE / "config.yaml"))
    code, out, _ = run(capsys, config, "--event", TRANSLATE / "events" / "success.json", "--state",
                       TRANSLATE / "state.json")
    assert code == 1
    assert ("  eventPattern and failureEventPattern: both match: on AWS both rules fire, and whichever run reaches the "
            "paused workflow first resumes it or fails it with SfnResume.JobFailed; make the patterns exclusive (e.g. "
            "different status values)\n") in out
    assert "pairs with the event" in out and "the workflow receives" not in out


def _both(path) -> str:
    """The config with a failure pattern that also matches its success events."""
    import yaml

    data = yaml.safe_load(path.read_text())
    data["failureEventPattern"] = {"source": data["eventPattern"]["source"]}
    return yaml.safe_dump(data)


def test_a_pause_that_would_fail_says_nothing_of_what_the_workflow_receives(capsys, tmp_path):
    (tmp_path / "state.json").write_text("{}")
    code, out, _ = run(capsys, TRANSLATE / "config.yaml", "--event", TRANSLATE / "events" / "success.json",
                       "--state", tmp_path / "state.json")
    assert code == 1
    assert out.rstrip().endswith("finds nothing in the state (it stops after $): the pause would fail")
    assert "receives" not in out
