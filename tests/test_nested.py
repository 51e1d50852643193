"""Parent templates (`synth --nested`): one child stack per instance, built from the child template of the
instance's removal policy."""

import json

import pytest
from cfn_flip import to_json

from sfn_resume import build_template, load_config
from sfn_resume.cli import main
from sfn_resume.nested import CHILD_TEMPLATES, build_parent_template, child_templates

from .helpers import EXAMPLES, TEMPLATES

TWO_SERVICES = EXAMPLES / "two-services" / "config.yaml"


def _load(path) -> dict:
    return json.loads(to_json(path.read_text()))


def test_each_child_stack_uses_the_template_of_its_removal_policy():
    config = load_config(TWO_SERVICES)
    assert [i.removalPolicy for i in config.instances] == ["RETAIN", "DESTROY"]
    resources = json.loads(build_parent_template(config).to_json())["Resources"]
    assert {name: r["Properties"]["TemplateURL"] for name, r in resources.items()} == {
        "TwoServicesTranslateStack": "sfn-resume-retain.yaml",
        "TranscribeResumeStack": "sfn-resume.yaml",
    }
    assert child_templates(config) == {"sfn-resume.yaml": "DESTROY", "sfn-resume-retain.yaml": "RETAIN"}


@pytest.mark.parametrize("policy, expected", [
    ("DESTROY", ("sfn-resume.yaml", "Delete", "Delete")),
    ("RETAIN", ("sfn-resume-retain.yaml", "Retain", "Retain")),
    ("RETAIN_ON_UPDATE_OR_DELETE", ("sfn-resume-retain-on-update-or-delete.yaml", "RetainExceptOnCreate", "Retain")),
])
def test_child_template_per_removal_policy(policy, expected):
    table = json.loads(build_template(removal_policy=policy).to_json())["Resources"]["TokenTable"]
    assert (CHILD_TEMPLATES[policy], table["DeletionPolicy"], table["UpdateReplacePolicy"]) == expected


def test_synth_nested_writes_the_parent_and_each_child_it_needs(tmp_path, capsys):
    assert main(["synth", str(TWO_SERVICES), "--nested", "-o", str(tmp_path / "parent.yaml")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parent.yaml", "sfn-resume-retain.yaml", "sfn-resume.yaml"]
    for name in ("sfn-resume.yaml", "sfn-resume-retain.yaml"):
        assert (tmp_path / name).read_text() == (TEMPLATES / name).read_text()
    assert _load(tmp_path / "sfn-resume-retain.yaml")["Resources"]["TokenTable"]["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("argv, message", [
    (["synth", str(TWO_SERVICES), "--removal-policy", "RETAIN"],
     "sfn-resume: --removal-policy: 'RETAIN' is for the generic template (no CONFIG); in a config, set "
     "removalPolicy per instance\n"),
    (["synth", str(TWO_SERVICES), "--nested", "-o", "{tmp}/sfn-resume.yaml"],
     "sfn-resume: --output: '{tmp}/sfn-resume.yaml' is the name of a child template written beside the parent; "
     "choose another name\n"),
])
def test_synth_refuses_and_writes_nothing(argv, message, tmp_path, capsys):
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    assert main(argv) == 2
    assert capsys.readouterr().err == message.replace("{tmp}", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_the_parent_surfaces_every_output_the_readme_names_for_each_child():
    config = load_config(TWO_SERVICES)
    outputs = json.loads(build_parent_template(config).to_json())["Outputs"]
    for instance in config.instances:
        for key in ("PauseState", "PauseStateJsonata", "PauseStatePolicyArn", "PauseStateMachineArn",
                    "ResumeStateMachineArn", "TableName", "TableArn", "DeadLetterQueueUrl", "AlarmTopicArn"):
            assert outputs[instance.nameSuffix + key]["Value"] == {"Fn::GetAtt": [f"{instance.nameSuffix}Stack",
                                                                                    f"Outputs.{key}"]}


def test_a_child_without_alarms_has_no_alarm_topic_to_surface(tmp_path):
    from sfn_resume import parse_config

    (translate,) = load_config(EXAMPLES / "translate" / "config.yaml").instances
    data = {"nameSuffix": "Quiet", "pathToIdPauseTask": "$.a", "pathToIdWorkflow": "$.b",
            "eventPattern": translate.eventPattern, "alarms": False}
    outputs = json.loads(build_parent_template(parse_config({"instances": [data]})).to_json())["Outputs"]
    assert "QuietPauseStateMachineArn" in outputs and "QuietAlarmTopicArn" not in outputs


def test_with_many_children_every_child_surfaces_the_same_first_outputs(capsys, tmp_path):
    instances = [{"nameSuffix": f"S{i}", "pathToIdPauseTask": "$.a", "pathToIdWorkflow": "$.b",
                  "eventPattern": {"source": ["x"]}} for i in range(30)]
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"instances": instances}))
    assert main(["synth", str(config), "--nested", "-o", str(tmp_path / "parent.yaml")]) == 0
    outputs = _load(tmp_path / "parent.yaml")["Outputs"]
    assert len(outputs) == 30 * 6 <= 200 and "S29DeadLetterQueueUrl" not in outputs and "S29TableName" in outputs
    assert capsys.readouterr().err == (
        "sfn-resume: note: the parent surfaces only PauseState, PauseStateJsonata, PauseStatePolicyArn, "
        "PauseStateMachineArn, ResumeStateMachineArn, TableName of each child (CloudFormation allows 200 outputs); "
        "the rest are the child stacks' outputs\n")
