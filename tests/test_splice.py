"""`sfn-resume splice`: the pause inserted after a state of an existing workflow, in its query language; every
mistake an exit 2 with one line, and no file written."""

import json

import pytest
import yaml

from sfn_resume import load_config
from sfn_resume.cli import main
from sfn_resume.config import ConfigError
from sfn_resume.splice import splice

from .helpers import EXAMPLES

TRANSLATE_CONFIG = EXAMPLES / "translate" / "config.yaml"
TRANSLATE = load_config(TRANSLATE_CONFIG).instances[0]
WORKFLOW = {
    "Comment": "translate, then publish",
    "StartAt": "StartTranslation",
    "States": {
        "StartTranslation": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:translate:startTextTranslationJob",
                             "Parameters": {"JobName.$": "$.name"}, "ResultPath": "$.startTextTranslationJob",
                             "Next": "Publish"},
        "Publish": {"Type": "Pass", "End": True},
    },
}


def test_the_pause_takes_over_the_states_successor():
    spliced = splice(WORKFLOW, TRANSLATE, "StartTranslation")
    states = spliced["States"]
    assert list(states) == ["StartTranslation", "WaitForStartTranslation", "Publish"]
    assert states["StartTranslation"]["Next"] == "WaitForStartTranslation"
    pause = states["WaitForStartTranslation"]
    assert pause["Resource"] == "arn:aws:states:::states:startExecution.waitForTaskToken"
    assert pause["Next"] == "Publish" and pause["Parameters"]["Input"]["jobId.$"] == TRANSLATE.pathToIdPauseTask
    assert WORKFLOW["States"]["StartTranslation"]["Next"] == "Publish"  # the given definition is left as it was


def test_an_end_state_hands_its_end_to_the_pause():
    workflow = {"StartAt": "Start", "States": {"Start": {"Type": "Pass", "End": True}}}
    spliced = splice(workflow, TRANSLATE, "Start", name="Wait")["States"]
    assert spliced["Start"] == {"Type": "Pass", "Next": "Wait"} and spliced["Wait"]["End"] is True


@pytest.mark.parametrize("where, workflow", [
    # top-level JSONata: the JSONata variant
    ("top level", {**WORKFLOW, "QueryLanguage": "JSONata"}),
    # a JSONata state in a JSONPath workflow: the pause matches the state it follows
    ("state", {**WORKFLOW, "States": {**WORKFLOW["States"], "StartTranslation": {
        **WORKFLOW["States"]["StartTranslation"], "QueryLanguage": "JSONata"}}}),
])
def test_the_pause_speaks_the_workflows_query_language(where, workflow):
    pause = splice(workflow, TRANSLATE, "StartTranslation")["States"]["WaitForStartTranslation"]
    assert pause["QueryLanguage"] == "JSONata" and "Arguments" in pause and "Parameters" not in pause


def test_states_inside_parallel_branches_and_map_processors_are_found():
    inner = {"StartAt": "Start", "States": {"Start": {"Type": "Pass", "Next": "Done"},
                                            "Done": {"Type": "Succeed"}}}
    workflow = {"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **inner}, "Next": "Both"},
        "Both": {"Type": "Parallel", "Branches": [{"StartAt": "Other", "States": {"Other": {"Type": "Pass",
                                                                                           "End": True}}}],
                 "End": True},
    }}
    spliced = splice(workflow, TRANSLATE, "Start")
    processor = spliced["States"]["Each"]["ItemProcessor"]["States"]
    assert list(processor) == ["Start", "WaitForStart", "Done"] and processor["WaitForStart"]["Next"] == "Done"
    branch = splice(workflow, TRANSLATE, "Other")["States"]["Both"]["Branches"][0]["States"]
    assert branch["WaitForOther"]["End"] is True


@pytest.mark.parametrize("after, name, message", [
    ("Nope", None, "--after: 'Nope' is not a state of workflow; its states are StartTranslation, Publish"),
    ("Choose", None, "--after: 'Choose' is a Choice state, which has no single successor to hand to the pause; "
                     "choose a state with Next or End"),
    ("Done", None, "--after: 'Done' is a Succeed state, which has no single successor to hand to the pause; "
                   "choose a state with Next or End"),
    ("StartTranslation", "Publish", "--name: 'Publish' is already a state of workflow; choose another name"),
])
def test_mistakes_name_the_state(after, name, message):
    workflow = {**WORKFLOW, "States": {**WORKFLOW["States"], "Choose": {"Type": "Choice", "Choices": [],
                                                                        "Default": "Publish"},
                                       "Done": {"Type": "Succeed"}}}
    if after == "Nope":
        workflow = WORKFLOW
    with pytest.raises(ConfigError) as error:
        splice(workflow, TRANSLATE, after, name)
    assert error.value.problems == [message]


def test_cli_writes_the_workflows_format_to_stdout_or_a_file(tmp_path, capsys):
    as_json, as_yaml = tmp_path / "wf.json", tmp_path / "wf.yaml"
    as_json.write_text(json.dumps(WORKFLOW))
    as_yaml.write_text(yaml.safe_dump(WORKFLOW, sort_keys=False))
    assert main(["splice", str(TRANSLATE_CONFIG), "--workflow", str(as_json), "--after", "StartTranslation"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == splice(WORKFLOW, TRANSLATE, "StartTranslation")
    assert "states:StartExecution on SfnResume-TranslationTranslateResume-Pause" in captured.err
    out = tmp_path / "out.yaml"
    assert main(["splice", str(TRANSLATE_CONFIG), "--workflow", str(as_yaml), "--after", "StartTranslation",
                 "--name", "WaitForTranslation", "-o", str(out)]) == 0
    assert list(yaml.safe_load(out.read_text())["States"]) == ["StartTranslation", "WaitForTranslation", "Publish"]


@pytest.mark.parametrize("content, arguments, message", [
    ('{"Resources": {}}', [], "--workflow {path}: is not an ASL definition; expected an object with StartAt and "
                              "States (the definition itself, not a CloudFormation template or a "
                              "describe-state-machine answer)"),
    ("{not json", [], "--workflow: {path}: not valid JSON at line 1, column 2: Expecting property name enclosed in "
                      "double quotes"),
    (json.dumps(WORKFLOW), ["--after", "Nope"], "--after: 'Nope' is not a state of --workflow {path}; its states "
                                                "are StartTranslation, Publish"),
])
def test_cli_mistakes_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, content, arguments, message):
    path = tmp_path / "wf.json"
    path.write_text(content)
    out = tmp_path / "out.json"
    code = main(["splice", str(TRANSLATE_CONFIG), "--workflow", str(path), "--after", "StartTranslation",
                 *arguments, "-o", str(out)])
    assert code == 2 and not out.exists()
    assert capsys.readouterr().err == f"sfn-resume: {message.format(path=path)}\n"


def test_a_config_of_several_instances_needs_instance(tmp_path, capsys):
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(WORKFLOW))
    config = EXAMPLES / "two-services" / "config.yaml"
    assert main(["splice", str(config), "--workflow", str(path), "--after", "StartTranslation"]) == 2
    assert capsys.readouterr().err == (f"sfn-resume: --instance: {config} has 2 instances; choose one of "
                                       "TwoServicesTranslate, TranscribeResume\n")
    assert main(["splice", str(config), "--workflow", str(path), "--after", "StartTranslation",
                 "--instance", "TranscribeResume"]) == 0
    assert "SfnResume-TranscribeResume-Pause" in capsys.readouterr().out


@pytest.mark.parametrize("execution_type, refused", [("EXPRESS", True), ("STANDARD", False)])
def test_no_pause_in_a_maps_express_child_executions(execution_type, refused):
    """Step Functions refuses .waitForTaskToken in an Express execution: a Distributed Map's EXPRESS children."""
    inner = {"StartAt": "Start", "States": {"Start": {"Type": "Pass", "End": True}}}
    workflow = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type}, **inner}}}}
    if not refused:
        assert "WaitForStart" in splice(workflow, TRANSLATE, "Start")["States"]["Each"]["ItemProcessor"]["States"]
        return
    with pytest.raises(ConfigError) as error:
        splice(workflow, TRANSLATE, "Start")
    assert error.value.problems == [
        "--after: 'Start' runs in the EXPRESS child executions of Map state 'Each' (ProcessorConfig.ExecutionType), "
        "where Step Functions refuses .waitForTaskToken: a pause cannot wait there; use ExecutionType STANDARD, or "
        "pause after the Map state"]


@pytest.mark.parametrize("after", ["StartTranslation", "WaitForStartTranslation"])
def test_no_second_pause_beside_one_on_the_same_job(after):
    once = splice(WORKFLOW, TRANSLATE, "StartTranslation")
    with pytest.raises(ConfigError) as error:
        splice(once, TRANSLATE, after, name="AgainWait")
    assert error.value.problems == [
        "--after: 'WaitForStartTranslation' is already TranslationTranslateResume's pause on the job id at "
        "$.startTextTranslationJob.JobId; a second pause beside it would wait for an event that the first one takes; "
        "choose the state that starts another job"]
    # another instance's pause (another service's job) may follow it
    (transcribe,) = load_config(EXAMPLES / "transcribe" / "config.yaml").instances
    assert "AgainWait" in splice(once, transcribe, "WaitForStartTranslation", name="AgainWait")["States"]
