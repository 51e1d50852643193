"""The CLI: exit codes, messages on stderr, nothing half-written."""

import json
import shlex

import pytest

from sfn_resume import __version__, load_config
from sfn_resume.cli import COMMAND_EXAMPLES, EXIT_CODES, HELP_EXAMPLES, MAX_TEMPLATE_BYTES_INLINE, _parser, main
from sfn_resume.nested import generic_parameters

from .helpers import EXAMPLES, MINIMAL, ROOT, TEMPLATES

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
        "$.a.b or $.a[0].b (no filters, wildcards or slices); did you mean '$.x'?",
        f"sfn-resume: {config}: eventPattern: {{}} is not an event pattern; expected a non-empty JSON object",
    ]
    assert "Traceback" not in err and not output.exists()


def test_output_in_missing_directory(tmp_path, capsys):
    target = tmp_path / "missing" / "t.yaml"
    assert main(["synth", "-o", str(target)]) == 2
    assert capsys.readouterr().err == (f"sfn-resume: --output: {str(target)!r}: the directory "
                                       f"{str(target.parent)!r} does not exist; create it first or choose another path\n")


def test_synth_says_a_template_above_the_inline_limit_deploys_through_s3(tmp_path, capsys):
    """Once the template is written (a refused write says only why: above), never for one that fits inline."""
    target = tmp_path / "t.yaml"
    assert main(["synth", "-o", str(target)]) == 0
    size = len(target.read_bytes())
    assert size > MAX_TEMPLATE_BYTES_INLINE  # protocol 0.4's generic template: tests/test_template.py
    assert capsys.readouterr().err == (
        f"sfn-resume: note: the template is {size:,} bytes, above the 51,200 bytes CloudFormation takes inline: "
        "deploy it through S3 (`aws cloudformation deploy --s3-bucket BUCKET`, a TemplateURL; docs/IAC.md)\n")
    small = tmp_path / "c.json"
    small.write_text(json.dumps({"instances": [{"nameSuffix": "S", "pathToIdPauseTask": "$.a", "pathToIdWorkflow": "$.b",
                                                "eventPattern": {"source": ["x"]}, "alarms": False}]}))
    assert main(["synth", str(small), "-o", str(tmp_path / "small.yaml")]) == 0
    assert len((tmp_path / "small.yaml").read_bytes()) <= MAX_TEMPLATE_BYTES_INLINE
    assert capsys.readouterr().err == ""


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


@pytest.mark.parametrize("argv, transition", [
    ([], {"End": True}),  # the default: a state to paste as the workflow's last
    (["--next", "Publish"], {"Next": "Publish"}),
    (["--no-end"], {}),  # for a tool that writes its own transition (a CDK CustomState's .next())
])
def test_pause_state_transition(capsys, argv, transition):
    assert main(["pause-state", TRANSLATE, *argv]) == 0
    state = json.loads(capsys.readouterr().out)
    assert {key: state[key] for key in ("Next", "End") if key in state} == transition


def test_pause_state_next_and_no_end_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["pause-state", TRANSLATE, "--next", "Publish", "--no-end"])
    assert exit_.value.code == 2
    assert "argument --no-end: not allowed with argument --next" in capsys.readouterr().err


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
    out = capsys.readouterr().out
    assert "sfn-resume synth translate.yaml -o translate-stack.yaml" in out
    assert "\nexit codes:\n  0   done;" in out and "\n  3   AWS refused or did not answer" in out


def _subcommands() -> dict:
    parser = _parser()
    (commands,) = [action for action in parser._actions if action.dest == "==SUPPRESS==" and action.choices]
    return commands.choices


def test_every_subcommand_has_a_description_and_working_examples(capsys):
    commands = _subcommands()
    assert sorted(commands) == sorted(COMMAND_EXAMPLES)
    for name, command in commands.items():
        assert command.description, name
        with pytest.raises(SystemExit):
            main([name, "--help"])
        out = capsys.readouterr().out
        assert "\nexamples:\n" in out, name
        for what, example in COMMAND_EXAMPLES[name]:
            assert f"\n  # {what}\n  {example}\n" in out
            program, subcommand, *_ = shlex.split(example.replace("\\\n", ""))
            assert (program, subcommand) == ("sfn-resume", name)


def test_exit_codes_are_documented_in_help_and_the_operating_guide():
    guide = (ROOT / "docs" / "OPERATING.md").read_text()
    section = guide.split("## CLI exit codes\n")[1].split("\n## ")[0]
    for code in EXIT_CODES:
        assert f"| {code} |" in section


@pytest.mark.parametrize("output_format, expected", [
    ("json", lambda values: [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]),
    ("overrides-json", lambda values: [f"{k}={v}" for k, v in values.items()]),
])
def test_parameters_as_json(capsys, output_format, expected):
    assert main(["parameters", TRANSLATE, "--format", output_format]) == 0
    values = generic_parameters(load_config(TRANSLATE).instances[0])
    assert json.loads(capsys.readouterr().out) == expected(values)


@pytest.mark.parametrize("config, expected", [
    # what the config sets, the rest left at the template's defaults
    ({**MINIMAL, "timeoutSeconds": 60}, {"TimeoutSeconds": "60"}),
    # a CommaDelimitedList as a list: CfnInclude writes it in place of a Ref, which is one
    ({**MINIMAL, "allowedStateMachineArns": ["arn:aws:states:us-east-1:123456789012:stateMachine:a",
                                             "arn:aws:states:us-east-1:123456789012:stateMachine:b"]},
     {"AnswerableStateMachineArns": ["arn:aws:states:us-east-1:123456789012:stateMachine:a",
                                     "arn:aws:states:us-east-1:123456789012:stateMachine:b"]}),
])
def test_parameters_for_cfn_include_are_what_the_config_sets(tmp_path, capsys, config, expected):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    assert main(["parameters", str(path), "--format", "cfn-include"]) == 0
    required = {"NameSuffix": MINIMAL["nameSuffix"], "PathToIdPauseTask": MINIMAL["pathToIdPauseTask"],
                "PathToIdWorkflow": MINIMAL["pathToIdWorkflow"],
                "EventPattern": json.dumps(MINIMAL["eventPattern"], separators=(",", ":"))}
    assert json.loads(capsys.readouterr().out) == {**required, **expected}


def test_parameters_as_override_words_a_shell_reads_back(capsys):
    assert main(["parameters", TRANSLATE]) == 0
    out = capsys.readouterr().out
    values = generic_parameters(load_config(TRANSLATE).instances[0])
    assert shlex.split(out.replace("\\\n", "")) == [f"{k}={v}" for k, v in values.items()]
    assert out.startswith("NameSuffix=TranslationTranslateResume \\\n'PathToIdPauseTask=$.startTextTranslationJob")


def test_parameters_of_a_config_of_several_instances(capsys):
    two = str(EXAMPLES / "two-services" / "config.yaml")
    assert main(["parameters", two]) == 2
    assert capsys.readouterr().err == (f"sfn-resume: --instance: {two} has 2 instances; choose one of "
                                       "TwoServicesTranslate, TranscribeResume\n")
    assert main(["parameters", two, "--instance", "TwoServicesTranslate", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)[0] == {"ParameterKey": "NameSuffix", "ParameterValue": "TwoServicesTranslate"}
    # Translate's table is RETAIN there: no Parameter says so, the note says which template does
    assert captured.err == ("sfn-resume: note: removalPolicy RETAIN is no Parameter: deploy the template "
                            "`sfn-resume synth --removal-policy RETAIN` writes\n")


def test_one_overwrite_policy_for_every_command_that_writes(tmp_path, capsys):
    workflow = tmp_path / "workflow.json"
    workflow.write_text((EXAMPLES / "translate" / "workflow.json").read_text())
    for argv in (["synth"], ["synth", TRANSLATE], ["catalog"], ["parameters", TRANSLATE],
                 ["splice", TRANSLATE, "--workflow", str(workflow), "--after", "StartTranslation"],
                 ["init", "translate"]):
        target = tmp_path / "out"
        target.write_text("mine\n")
        assert main([*argv, "-o", str(target)]) == 2, argv
        assert capsys.readouterr().err == (f"sfn-resume: --output: {str(target)!r} exists with other content; "
                                           "use --force to replace it\n")
        assert target.read_text() == "mine\n"
        assert main([*argv, "-o", str(target), "--force"]) == 0, argv
        assert main([*argv, "-o", str(target)]) == 0, argv  # the same content again: nothing to replace
        capsys.readouterr()


def test_nested_refuses_to_replace_a_child_that_differs(tmp_path, capsys):
    (tmp_path / "sfn-resume.yaml").write_text("mine\n")
    parent = tmp_path / "parent.yaml"
    assert main(["synth", str(EXAMPLES / "two-services" / "config.yaml"), "--nested", "-o", str(parent)]) == 2
    assert "sfn-resume.yaml' exists with other content; use --force to replace it\n" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sfn-resume.yaml"]  # nothing written


def test_an_output_that_is_a_directory(tmp_path, capsys):
    assert main(["synth", "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"sfn-resume: --output: {str(tmp_path)!r} is a directory; expected a file name\n"


def test_an_unwritable_directory(tmp_path, capsys, monkeypatch):
    """As root (CI) no directory is unwritable: os.access, which the check uses, is made to say no."""
    import os

    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path) == str(tmp_path) else real(path, mode))
    assert main(["synth", "-o", str(tmp_path / "t.yaml")]) == 2
    assert capsys.readouterr().err == (f"sfn-resume: --output: {str(tmp_path / 't.yaml')!r}: the directory "
                                       f"{str(tmp_path)!r} is not writable; choose another path\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [
    ["check", "-", "--event", str(EXAMPLES / "translate" / "events" / "success.json")],
    ["check", TRANSLATE, "--event", "-"],
    ["pause-state", "-"],
    ["synth", "-"],
    ["parameters", "-"],
    ["splice", TRANSLATE, "--workflow", "-", "--after", "StartTranslation"],
])
def test_dash_is_standard_input_for_every_file_input(argv, capsys, monkeypatch):
    import io

    source = {"--event": EXAMPLES / "translate" / "events" / "success.json",
              "--workflow": EXAMPLES / "translate" / "workflow.json"}.get(argv[argv.index("-") - 1], TRANSLATE)
    monkeypatch.setattr("sys.stdin", io.StringIO(open(source).read()))
    assert main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert out


def test_standard_input_once(capsys):
    assert main(["check", "-", "--event", "-"]) == 2
    assert capsys.readouterr().err == "sfn-resume: -: standard input can be read once; give at most one input as -\n"


@pytest.mark.parametrize("text, message", [
    ("nameSuffix: A\nnameSuffix: B\n", "{path}: nameSuffix: the key appears twice in one mapping at line 2, column 1; keep one"),
    ('{"nameSuffix": "A", "nameSuffix": "B"}', "{path}: nameSuffix: the key appears twice in one object; keep one"),
])
def test_a_key_twice_in_a_config_is_an_error(tmp_path, capsys, text, message):
    path = tmp_path / ("c.json" if text.startswith("{") else "c.yaml")
    path.write_text(text)
    assert main(["synth", str(path)]) == 2
    assert capsys.readouterr().err == f"sfn-resume: {message.format(path=path)}\n"


@pytest.mark.parametrize("command", ["local", "demo"])
def test_the_emulator_without_its_extra_says_which_to_install(command, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jsonata" else real(name, *a))
    assert main([command]) == 2
    assert capsys.readouterr().err == (f"sfn-resume: {command}: needs the 'local' extra (jsonata is not installed): "
                                       "pip install 'sfn-resume[local]'\n")


def test_the_emulator_with_another_moto_says_so(capsys, monkeypatch):
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "version", lambda name: "5.0.0")
    assert main(["local", "--port", "1"]) == 2
    assert capsys.readouterr().err == ("sfn-resume: local: the emulator's bridges are written for moto 5.2.5, and "
                                       "moto 5.0.0 is installed: pip install 'sfn-resume[local]' (it pins moto)\n")


def test_an_endpoint_that_does_not_answer_is_exit_3(capsys, monkeypatch):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for key, value in {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    assert main(["status", "--stack", "s"]) == 3
    assert "does not answer" in capsys.readouterr().err


def test_no_region_is_a_usage_error(capsys, monkeypatch):
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    assert main(["status", "--stack", "s"]) == 2
    assert capsys.readouterr().err.startswith("sfn-resume: no AWS region")


@pytest.mark.parametrize("scanned, complete, words", [
    (1, True, "scanned the whole table (1 item)"), (3, True, "scanned the whole table (3 items)"),
    (1, False, "stopped after 1 item (--limit 1)"),
])
def test_one_item_is_not_items(scanned, complete, words):
    from sfn_resume.operate import Instance
    from sfn_resume.operate.status import COUNTS, DeadLetterQueue, Summary, summary_lines

    instance = Instance("s", "SfnResume-X", "arn:aws:states:us-east-1:123456789012:stateMachine:SfnResume-X", "url")
    report = Summary(instance, dict.fromkeys(COUNTS, 0), scanned, complete, 1, DeadLetterQueue("url", 1, 0, None), [], 0, [])
    lines = summary_lines(report)
    assert words in lines[0] and " 1 message (0 in flight)" in lines[-3]


def test_ctrl_c_is_exit_130_without_a_traceback(capsys, monkeypatch):
    import sfn_resume.cli as cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_synth", interrupted)
    assert main(["synth"]) == 130
    assert capsys.readouterr().err == "sfn-resume: interrupted\n"


def test_a_directory_given_as_an_input(tmp_path, capsys):
    assert main(["check", TRANSLATE, "--event", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"sfn-resume: --event: {tmp_path}: cannot read it (it is a directory)\n"


@pytest.mark.parametrize("code", ["AccessDeniedException", "ThrottlingException"])
def test_aws_refusing_is_exit_3(capsys, monkeypatch, code):
    from botocore.exceptions import ClientError

    from sfn_resume import operate

    def refused(*_):
        raise ClientError({"Error": {"Code": code, "Message": "not now"}}, "DescribeStacks")

    monkeypatch.setattr(operate, "connect", lambda: None)
    monkeypatch.setattr(operate, "find_instance", refused)
    assert main(["status", "--stack", "s"]) == 3
    assert capsys.readouterr().err == f"sfn-resume: DescribeStacks: {code}: not now\n"
