"""The CLI: exit codes, messages on stderr, nothing half-written."""

import json
import shlex

import pytest

from sfn_resume import __version__
from sfn_resume.cli import HELP_EXAMPLES, _parser, main

from .helpers import EXAMPLES, TEMPLATES

TRANSLATE = str(EXAMPLES / "translate" / "config.yaml")


def test_synth_generic_to_stdout_matches_committed(capsys):
    assert main(["synth"]) == 0
    assert capsys.readouterr().out == (TEMPLATES / "sfn-resume.yaml").read_text()


def test_synth_config_to_file(tmp_path):
    output = tmp_path / "t.yaml"
    assert main(["synth", TRANSLATE, "-o", str(output)]) == 0
    assert output.read_text() == (TEMPLATES / "examples" / "translate.yaml").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["t.yaml"]  # no temporary file left behind


def test_bad_config_exits_2_with_one_line_per_problem_and_writes_nothing(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("nameSuffix: bad suffix\npathToIdPauseTask: $.a\npathToIdWorkflow: x\neventPattern: {}\n")
    output = tmp_path / "out.yaml"
    assert main(["synth", str(config), "-o", str(output)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"sfn-resume: {config}: nameSuffix: 'bad suffix' is not allowed; expected 1 to 49 letters, digits, '-' or '_' "
        "(every resource name derived from it must fit its service's limit)",
        f"sfn-resume: {config}: pathToIdWorkflow: 'x' is not allowed; expected a plain JSONPath reference such as "
        "$.a.b or $.a[0].b (no filters, wildcards or slices)",
        f"sfn-resume: {config}: eventPattern: {{}} is not an event pattern; expected a non-empty JSON object",
    ]
    assert "Traceback" not in err and not output.exists()


def test_output_in_missing_directory(tmp_path, capsys):
    target = tmp_path / "missing" / "t.yaml"
    assert main(["synth", "-o", str(target)]) == 2
    assert capsys.readouterr().err == (f"sfn-resume: --output: {str(target)!r}: the directory "
                                       f"{str(target.parent)!r} does not exist; create it first or choose another path\n")


def test_too_many_instances_for_a_flat_template(tmp_path, capsys):
    instances = [{"nameSuffix": f"S{i}", "pathToIdPauseTask": "$.a", "pathToIdWorkflow": "$.b",
                  "eventPattern": {"source": ["x"]}} for i in range(51)]
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"instances": instances}))
    assert main(["synth", str(config)]) == 2
    assert capsys.readouterr().err == (f"sfn-resume: {config}: 51 instances do not fit one flat template "
                                       "(510 outputs; CloudFormation allows 200): use --nested\n")


@pytest.mark.parametrize("language, field, result", [
    ("jsonpath", "Parameters", ("ResultPath", "$.translation")),
    ("jsonata", "Arguments", ("Output", "{% $merge([$states.input, {'translation': {'event': $states.result}}]) %}")),
])
def test_pause_state_prints_asl(capsys, language, field, result):
    assert main(["pause-state", TRANSLATE, "--next", "Continue", "--partition", "aws-cn",
                 "--query-language", language]) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["Next"] == "Continue" and state[result[0]] == result[1]
    assert state["Resource"] == "arn:aws-cn:states:::states:startExecution.waitForTaskToken"
    assert state["TimeoutSeconds"] == 21600 == state[field]["Input"]["timeoutSeconds"]
    # nothing to fill in: the pause machine's ARN comes from the workflow's own, at run time
    assert "SfnResume-TranslationTranslateResume-Pause" in json.dumps(state[field])
    assert not any(part in json.dumps(state) for part in ("123456789012", "us-east-1", "${"))


def test_written_files_get_the_umask_permissions(tmp_path):
    import os

    previous = os.umask(0o022)
    try:
        assert main(["synth", "-o", str(tmp_path / "t.yaml")]) == 0
    finally:
        os.umask(previous)
    assert (tmp_path / "t.yaml").stat().st_mode & 0o777 == 0o644  # readable by a CI job running as another user


def test_unknown_instance(capsys):
    assert main(["pause-state", TRANSLATE, "--instance", "Nope"]) == 2
    assert capsys.readouterr().err == ("sfn-resume: --instance: 'Nope' is not in the config; "
                                       "choose one of TranslationTranslateResume\n")


@pytest.mark.parametrize("columns", ["30", "80", "250"])
def test_help_keeps_each_example_on_its_own_lines(columns, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", columns)
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for what, command in HELP_EXAMPLES:
        assert f"\n  # {what}\n  {command}\n" in out


def test_help_examples_are_valid_commands():
    parser = _parser()
    for _, command in HELP_EXAMPLES:
        program, *argv = shlex.split(command.replace("\\\n", ""))
        assert program == "sfn-resume" and parser.parse_args(argv).run


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out == f"sfn-resume {__version__}\n"
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "sfn-resume synth examples/translate/config.yaml" in capsys.readouterr().out
