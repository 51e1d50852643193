"""Config validation: every bad input gives one exact message naming the field, the value and what is allowed.

The catalogue of bad inputs runs through the CLI, as a user meets it: exit code 2, one line per problem on
stderr, no traceback, no output file.
"""

import pytest
import yaml

from sfn_resume.cli import main
from sfn_resume.config import DEFAULTS, ConfigError, load_config, parse_config
from sfn_resume.names import MAX_SUFFIX_LENGTH

from .helpers import EXAMPLE_CONFIGS, MINIMAL


def problems(data) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(data, source="c.yaml")
    return raised.value.problems


def with_(**changes):
    data = {**MINIMAL, **changes}
    return {k: v for k, v in data.items() if v is not ...}


@pytest.mark.parametrize("data, expected", [
    # the config's shape
    ([1, 2], "c.yaml: the config is a list; expected a mapping of keys (nameSuffix, pathToIdPauseTask, "
             "pathToIdWorkflow, eventPattern, ...) or a mapping with an 'instances' list"),
    ("text", "c.yaml: the config is a string; expected a mapping of keys (nameSuffix, pathToIdPauseTask, "
             "pathToIdWorkflow, eventPattern, ...) or a mapping with an 'instances' list"),
    ({"instances": []}, "c.yaml: instances: [] is not allowed; expected a non-empty list of instances"),
    ({"instances": [MINIMAL], "nameSuffix": "X"},
     "c.yaml: nameSuffix: not allowed beside 'instances'; put every instance's keys inside the 'instances' list"),
    ({"instances": ["x"]}, "c.yaml: instances[0]: an instance is a string; expected a mapping of keys"),
    # required and unknown keys
    (with_(nameSuffix=...), "c.yaml: nameSuffix: missing; this key is required"),
    (with_(eventPattern=None), "c.yaml: eventPattern: missing; this key is required"),
    (with_(timeoutSecond=5), "c.yaml: timeoutSecond: unknown key; did you mean 'timeoutSeconds'?"),
    (with_(pathToIdPauseTsk="$.a"), "c.yaml: pathToIdPauseTsk: unknown key; did you mean 'pathToIdPauseTask'?"),
    # nameSuffix
    (with_(nameSuffix=""), "c.yaml: nameSuffix: '' is not allowed; expected 1 to 49 letters, digits, '-' or '_' "
                           "(every resource name derived from it must fit its service's limit)"),
    (with_(nameSuffix="my suffix"), "c.yaml: nameSuffix: 'my suffix' is not allowed; expected 1 to 49 letters, "
                                    "digits, '-' or '_' (every resource name derived from it must fit its service's limit)"),
    (with_(nameSuffix="dot.ted"), "c.yaml: nameSuffix: 'dot.ted' is not allowed; expected 1 to 49 letters, "
                                  "digits, '-' or '_' (every resource name derived from it must fit its service's limit)"),
    (with_(nameSuffix="a" * 50), "c.yaml: nameSuffix: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not "
                                 "allowed; expected 1 to 49 letters, digits, '-' or '_' (every resource name derived "
                                 "from it must fit its service's limit)"),
    # paths
    # a likely slip gets its likely fix
    (with_(pathToIdWorkflow="detail.jobId"), "c.yaml: pathToIdWorkflow: 'detail.jobId' is not allowed; expected a "
     "plain JSONPath reference such as $.a.b or $.a[0].b (no filters, wildcards or slices); did you mean "
     "'$.detail.jobId'?"),
    (with_(pathToIdPauseTask="$['job']['JobId']"), "c.yaml: pathToIdPauseTask: \"$['job']['JobId']\" is not allowed; "
     "expected a plain JSONPath reference such as $.a.b or $.a[0].b (no filters, wildcards or slices); did you mean "
     "'$.job.JobId'?"),
    (with_(resultPath="job"), "c.yaml: resultPath: 'job' is not allowed; expected $ or a JSONPath such as $.a.b (no "
                              "array index); did you mean '$.job'?"),
    (with_(pathToIdWorkflow="$.detail[*].id"), "c.yaml: pathToIdWorkflow: '$.detail[*].id' is not allowed; expected "
     "a plain JSONPath reference such as $.a.b or $.a[0].b (no filters, wildcards or slices)"),
    (with_(pathToIdPauseTask="$.a[?(@.b)]"), "c.yaml: pathToIdPauseTask: '$.a[?(@.b)]' is not allowed; expected a "
     "plain JSONPath reference such as $.a.b or $.a[0].b (no filters, wildcards or slices)"),
    (with_(pathToIdPauseTask=""), "c.yaml: pathToIdPauseTask: '' is not allowed; expected a plain JSONPath reference "
     "such as $.a.b or $.a[0].b (no filters, wildcards or slices)"),
    (with_(resultPath="$.a[0]"), "c.yaml: resultPath: '$.a[0]' is not allowed; expected $ or a JSONPath such as "
                                 "$.a.b (no array index)"),
    # event patterns
    (with_(eventPattern=["aws.translate"]), 'c.yaml: eventPattern: ["aws.translate"] is not an event pattern; '
                                            "expected a non-empty JSON object"),
    (with_(eventPattern={"source": "aws.translate"}), "c.yaml: eventPattern.source: 'aws.translate' is not allowed; "
                                                      "every leaf of a pattern must be a list, e.g. ['aws.translate']"),
    (with_(eventPattern={"source": [{"begins-with": "aws."}]}), "c.yaml: eventPattern.source[0]: unknown operator "
     "'begins-with'; allowed: prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard, cidr"),
    (with_(eventPattern={"detail": {"n": [{"numeric": [">", "five"]}]}}),
     'c.yaml: eventPattern.detail.n[0].numeric: [">", "five"] is not allowed; expected [comparator, number] or '
     "[comparator, number, comparator, number] with comparators < <= = > >="),
    (with_(eventPattern={"source": [{"prefix": ["aws."]}]}), 'c.yaml: eventPattern.source[0].prefix: ["aws."] is '
     'not allowed; expected a string or {"equals-ignore-case": string}'),
    (with_(failureEventPattern=MINIMAL["eventPattern"]), "c.yaml: failureEventPattern: is identical to eventPattern; "
     "a failure pattern must match the job's failure events only"),
    # numbers and choices
    (with_(timeoutSeconds=-1), "c.yaml: timeoutSeconds: -1 is not allowed; expected a whole number from 1 to 31,536,000"),
    (with_(timeoutSeconds=31_536_001), "c.yaml: timeoutSeconds: 31536001 is not allowed; expected a whole number "
                                       "from 1 to 31,536,000"),
    # a key of an earlier version says why it is gone
    (with_(heartbeatSeconds=60), "c.yaml: heartbeatSeconds: removed in 0.4: nothing can send the pause a heartbeat "
     "(its task token is kept in the table only), so a heartbeat timeout only ended the pause early; delete the key "
     "(timeoutSeconds bounds the pause)"),
    (with_(removalPolicy="KEEP"), "c.yaml: removalPolicy: 'KEEP' is not allowed; expected one of DESTROY, RETAIN, "
                                  "RETAIN_ON_UPDATE_OR_DELETE"),
    (with_(removalPolicy="SNAPSHOT"), "c.yaml: removalPolicy: 'SNAPSHOT' is not allowed: CloudFormation cannot "
     "snapshot a DynamoDB table on deletion (point-in-time recovery is always on); expected one of DESTROY, RETAIN, "
     "RETAIN_ON_UPDATE_OR_DELETE"),
    (with_(resumeWorkflowType="SYNC"), "c.yaml: resumeWorkflowType: 'SYNC' is not allowed; expected one of "
                                       "STANDARD, EXPRESS"),
    (with_(logRetentionDays=2), "c.yaml: logRetentionDays: 2 is not allowed; expected one of 1, 3, 5, 7, 14, 30, 60, "
     "90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"),
    # a bool is no number (Python's `True in (1, 3)` holds)
    (with_(logRetentionDays=True), "c.yaml: logRetentionDays: true is not allowed; expected one of 1, 3, 5, 7, 14, 30, "
     "60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"),
    # AWS reserves tag keys starting with aws:, in any case
    (with_(tags={"team": "a", "AWS:owner": "b"}), "c.yaml: tags.AWS:owner: is not allowed: tag keys starting with "
                                                   "'aws:' are reserved by AWS; choose another key"),
    (with_(kmsKeyArn="alias/mine"), "c.yaml: kmsKeyArn: 'alias/mine' is not allowed; expected a KMS key ARN "
                                    "(arn:<partition>:kms:<region>:<account>:key/<id>)"),
    # instances
    ({"instances": [MINIMAL, MINIMAL]}, "c.yaml: instances[1].nameSuffix: 'TranslationTranslateResume' is already "
     "used by instances[0]; every instance needs its own nameSuffix"),
])
def test_bad_config_gives_exact_message(data, expected, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(data))
    assert main(["synth", "c.yaml", "-o", "out.yaml"]) == 2
    err = capsys.readouterr().err
    assert f"sfn-resume: {expected}" in err.splitlines()
    assert "Traceback" not in err and not (tmp_path / "out.yaml").exists()
    assert expected in problems(data)  # the same message from the Python API


def test_every_problem_is_reported_at_once():
    found = problems(with_(nameSuffix="bad suffix", timeoutSeconds=0, extra=1))
    assert [p.split(":")[1].strip() for p in found] == ["extra", "nameSuffix", "timeoutSeconds"]


def test_suffixes_that_collide_as_logical_ids_are_rejected():
    found = problems({"instances": [with_(nameSuffix="a-b"), with_(nameSuffix="a_b")]})
    assert found == ["c.yaml: instances[1].nameSuffix: 'a_b' gives the same logical IDs as 'a-b' of instances[0]; "
                     "suffixes must differ in their letters and digits"]


def test_defaults_are_documented_values(minimal):
    instance = parse_config(minimal).instances[0]
    assert instance.timeoutSeconds == DEFAULTS["timeoutSeconds"] == 86_400
    assert instance.removalPolicy == "DESTROY"
    assert instance.resultPath is None and instance.failureEventPattern is None
    assert instance.resumeWorkflowType == "STANDARD"


def test_config_is_frozen(minimal):
    instance = parse_config(minimal).instances[0]
    with pytest.raises(AttributeError):
        instance.nameSuffix = "Other"


def test_longest_suffix_is_accepted(minimal):
    minimal["nameSuffix"] = "a" * MAX_SUFFIX_LENGTH
    assert parse_config(minimal).instances[0].nameSuffix == "a" * 49


@pytest.mark.parametrize("name, text, expected", [
    ("c.yaml", "nameSuffix: [unclosed", "c.yaml: not valid YAML at line 1, column 22: expected ',' or ']', but got '<stream end>'"),
    ("c.json", '{"nameSuffix": }', "c.json: not valid JSON at line 1, column 16: Expecting value"),
])
def test_malformed_file(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.problems[0].endswith(expected)


def test_unreadable_file(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "missing.yaml")
    assert raised.value.problems == [f"{tmp_path / 'missing.yaml'}: cannot read the config file "
                                     f"(FileNotFoundError: [Errno 2] No such file or directory: "
                                     f"'{tmp_path / 'missing.yaml'}')"]


@pytest.mark.parametrize("path", EXAMPLE_CONFIGS, ids=lambda p: p.parent.name)
def test_example_configs_are_valid(path):
    assert load_config(path).instances


def test_the_config_is_the_table_of_options():
    """InstanceConfig's fields, the keys, defaults and required keys all come from options.OPTIONS."""
    from dataclasses import fields

    from sfn_resume.config import KEYS, REQUIRED, InstanceConfig
    from sfn_resume.options import CONFIG_OPTIONS

    assert [f.name for f in fields(InstanceConfig)] == list(KEYS) == list(CONFIG_OPTIONS)
    assert REQUIRED == ("nameSuffix", "pathToIdPauseTask", "pathToIdWorkflow", "eventPattern")
    assert "heartbeatSeconds" not in KEYS
