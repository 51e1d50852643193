"""AWS CDK v2 (Python), with the `cdk` extra: the `SfnResume` construct in a small app, synthesized, linted,
deployed into the embedded emulator and resumed through; and the generic template through `CfnInclude`.

One file, so that the pytest worker that runs it starts CDK's Node process once (about 5 s). Skipped, with the
reason, where the extra is not installed; `make test` installs it.
"""
from __future__ import annotations

import json
import os

import pytest
import yaml

from sfn_resume import ConfigError, load_config, parse_config
from sfn_resume.local.harness import event_entry
from sfn_resume.nested import include_parameters
from sfn_resume.local.stacks import deploy_stack, expect_execution, wait_for_execution, wait_for_state

from ..helpers import EXAMPLES, ROOT, TEMPLATES, doc_blocks, load_scan, load_yaml

# what jsii (CDK's bridge to Node) reads: no notice that Node 20 is past its end of life, no runtime type checks
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
os.environ.setdefault("CDK_VALIDATION", "false")
cdk = pytest.importorskip("aws_cdk", reason="the 'cdk' extra is not installed: pip install 'sfn-resume[cdk]' "
                                            "(make test installs it)")
from aws_cdk import aws_stepfunctions as sfn  # noqa: E402
from aws_cdk import cloudformation_include  # noqa: E402

from sfn_resume.cdk import CDK_LINT_SUPPRESSIONS, CFN_INCLUDE_LINT_SUPPRESSIONS, SfnResume  # noqa: E402

pytestmark = pytest.mark.timeout(120)

TRANSLATE = EXAMPLES / "translate"
TRANSCRIBE = EXAMPLES / "transcribe"
WORKFLOW_NAME = "cdk-workflow"


def new_stack(name: str = "App") -> cdk.Stack:
    """A stack that deploys without `cdk bootstrap` (the emulator has no bootstrap stack to check)."""
    return cdk.Stack(cdk.App(), name, synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False))


def synthesized(stack: cdk.Stack) -> dict:
    return stack.node.root.synth().get_stack_by_name(stack.stack_name).template


def lint(template: dict, suppressed: dict = CDK_LINT_SUPPRESSIONS) -> list[str]:
    """The project's cfn-lint gate (every partition, informational rules, cfn-lint-serverless), less the rules only
    CDK's own output breaks (`suppressed`, each with its reason)."""
    matches = load_scan().cfn_lint_matches(json.dumps(template))
    return [f"{m.rule.id} {m.path}: {m.message}" for m in matches if m.rule.id not in suppressed]


@pytest.fixture(scope="module")
def app() -> dict:
    """Two instances, both tables RETAIN: Translate from its config file, answering the workflow given later
    (`allow_workflows`); Transcribe from a dict, answering the workflow named by an ARN built from its name (a
    token). One workflow pauses on each, JSONPath then JSONata."""
    stack = new_stack()
    translate = SfnResume(stack, "Translate", config=TRANSLATE / "config.yaml")
    transcribe_config = yaml.safe_load((TRANSCRIBE / "config.yaml").read_text())
    workflow_arn = stack.format_arn(service="states", resource="stateMachine", resource_name=WORKFLOW_NAME,
                                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)
    transcribe = SfnResume(stack, "Transcribe", config={**transcribe_config, "removalPolicy": "RETAIN",
                                                        "allowedStateMachineArns": [workflow_arn]})
    chain = (sfn.Pass(stack, "Start")
             .next(translate.pause(stack, "WaitForTranslation"))
             .next(transcribe.pause(stack, "WaitForTranscription", query_language=sfn.QueryLanguage.JSONATA))
             .next(sfn.Succeed(stack, "Done")))
    workflow = sfn.StateMachine(stack, "Workflow", state_machine_name=WORKFLOW_NAME, tracing_enabled=True,
                                definition_body=sfn.DefinitionBody.from_chainable(chain))
    translate.allow_workflows(workflow)
    cdk.CfnOutput(stack, "WorkflowArn", value=workflow.state_machine_arn)
    cdk.CfnOutput(stack, "TranslatePauseMachineArn", value=translate.pause_state_machine_arn)  # Fn::GetAtt Arn
    template = synthesized(stack)
    return {"template": template, "workflow": stack.get_logical_id(workflow.node.default_child),
            "translate": translate, "transcribe": transcribe}


def resource(template: dict, logical_id: str) -> dict:
    return template["Resources"][logical_id]


def answering_statements(template: dict) -> dict[str, list]:
    """Each machine role (by logical ID) → the resources of its statement that answers tasks (SendTaskSuccess: the
    pause and resume machines')."""
    found = {}
    for logical_id, body in template["Resources"].items():
        for policy in body["Properties"].get("Policies", []) if body["Type"] == "AWS::IAM::Role" else []:
            for statement in policy["PolicyDocument"]["Statement"]:
                if "states:SendTaskSuccess" in statement["Action"]:
                    found[logical_id] = statement["Resource"]
    return found


def test_the_app_lints_clean(app):
    assert lint(app["template"]) == []


def test_two_instances_with_their_config_file_ids_and_retain(app):
    """The construct adds what `sfn-resume synth CONFIG` builds, logical IDs included (a stack moved from that
    template to the construct keeps its table); the dict's removalPolicy RETAIN reaches its table."""
    template = app["template"]
    for config, policy in ((TRANSLATE / "config.yaml", "Delete"), (TRANSCRIBE / "config.yaml", "Retain")):
        built = load_yaml(TEMPLATES / "examples" / f"{config.parent.name}.yaml")
        for logical_id, body in built["Resources"].items():
            assert resource(template, logical_id)["Type"] == body["Type"]
        (table,) = [key for key, body in built["Resources"].items() if body["Type"] == "AWS::DynamoDB::Table"]
        assert resource(template, table)["DeletionPolicy"] == policy == resource(template, table)["UpdateReplacePolicy"]


def test_answers_only_the_workflow_without_a_cycle(app):
    """Translate answers the workflow by its Ref, Transcribe by the ARN from its name; the workflow refers to
    neither instance (its pause states find their machines by name), so there is no cycle (cfn-lint E3004 would
    say so) and each pause machine is granted to the workflow's role by its name-built ARN."""
    template, workflow = app["template"], app["workflow"]
    answering = answering_statements(template)
    # each instance's pause and resume machines answer (their roles, one each)
    assert sorted(map(json.dumps, answering.values())) == sorted(map(json.dumps, 2 * [
        [{"Ref": workflow}],
        [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":states:", {"Ref": "AWS::Region"}, ":",
                            {"Ref": "AWS::AccountId"}, f":stateMachine:{WORKFLOW_NAME}"]]}]]))
    definition = json.dumps(resource(template, workflow)["Properties"])
    instance_ids = [key for key in template["Resources"] if key.startswith(("Translation", "Transcribe"))]
    assert not any(f'"{logical_id}"' in definition for logical_id in instance_ids)
    (policy,) = [body for key, body in template["Resources"].items()
                 if body["Type"] == "AWS::IAM::Policy" and body["Properties"]["Roles"][0]["Ref"].startswith("Workflow")]
    granted = json.dumps(policy["Properties"]["PolicyDocument"])
    for instance in (app["translate"], app["transcribe"]):
        assert f":stateMachine:SfnResume-{instance.config.nameSuffix}-Pause" in granted


def test_the_app_deploys_into_the_emulator_and_resumes_the_workflow(app, in_process_emulator):
    aws = in_process_emulator
    outputs = deploy_stack(aws.client("cloudformation"), "cdk-app", json.dumps(app["template"]))
    assert outputs["TranslatePauseMachineArn"].endswith(":stateMachine:SfnResume-TranslationTranslateResume-Pause")
    states = aws.client("stepfunctions")
    state = {**json.loads((TRANSLATE / "state.json").read_text()), **json.loads((TRANSCRIBE / "state.json").read_text())}
    run = states.start_execution(stateMachineArn=outputs["WorkflowArn"], input=json.dumps(state))["executionArn"]
    for pause, example in (("WaitForTranslation", TRANSLATE), ("WaitForTranscription", TRANSCRIBE)):
        wait_for_state(states, run, pause)
        event = json.loads((example / "events" / "success.json").read_text())
        assert aws.client("events").put_events(Entries=[event_entry(event)])["FailedEntryCount"] == 0
    finished = wait_for_execution(states, run, timeout=30)
    expect_execution(states, finished, "SUCCEEDED")
    output = json.loads(finished["output"])
    # each pause put the event at its resultPath (JSONPath: ResultPath; JSONata: Output)
    assert output["translation"]["event"]["detail"]["jobId"] == state["startTextTranslationJob"]["JobId"]
    assert output["transcription"]["event"]["detail"]["TranscriptionJobName"] == \
        state["startTranscriptionJob"]["TranscriptionJob"]["TranscriptionJobName"]


@pytest.mark.parametrize("config, instance, problem", [
    # a bad value: the config file's message, after the construct's path
    ({**yaml.safe_load((TRANSLATE / "config.yaml").read_text()), "timeoutSeconds": 0}, None,
     "App/Resume: timeoutSeconds: 0 is not allowed; expected a whole number from 1 to 31,536,000"),
    # a config file of two instances needs `instance`
    (EXAMPLES / "two-services" / "config.yaml", None,
     "App/Resume: instance: missing; {config} holds several instances (TwoServicesTranslate, TranscribeResume): "
     "name one"),
    (EXAMPLES / "two-services" / "config.yaml", "Nope",
     "App/Resume: instance: 'Nope' is not in {config}; choose one of TwoServicesTranslate, TranscribeResume"),
    ("missing.yaml", None, "App/Resume: missing.yaml: cannot read the config file (FileNotFoundError: "),
    (["not", "a", "config"], None, "App/Resume: config: list is not allowed; expected a config file's path or a dict"),
])
def test_config_mistakes_fail_at_construct_time_with_the_construct_path(config, instance, problem):
    with pytest.raises(ConfigError) as error:
        SfnResume(new_stack(), "Resume", config=config, instance=instance)
    assert str(error.value).startswith(problem.format(config=config))


def test_two_instances_of_one_stack_need_their_own_name_suffix():
    stack = new_stack()
    SfnResume(stack, "First", config=TRANSLATE / "config.yaml")
    with pytest.raises(ConfigError, match="^App/Second: nameSuffix: 'Translation-TranslateResume' gives the same "
                                          "logical IDs as 'TranslationTranslateResume' of App/First"):
        SfnResume(stack, "Second", config={**yaml.safe_load((TRANSLATE / "config.yaml").read_text()),
                                           "nameSuffix": "Translation-TranslateResume"})


def test_a_pause_in_an_unknown_query_language_fails():
    resume = SfnResume(new_stack(), "Resume", config=TRANSLATE / "config.yaml")
    with pytest.raises(ConfigError, match="^App/Resume: pause 'Wait': query_language: 'XPath' is not allowed"):
        resume.pause(resume, "Wait", query_language="XPath")


#: An instance that sets every Parameter away from its default: each Fn::If of the generic template gets a literal.
EVERYTHING_SET = {
    **yaml.safe_load((TRANSLATE / "config.yaml").read_text()),
    "resumeWorkflowType": "EXPRESS", "eventRetentionSeconds": 3600, "logRetentionDays": 30, "logLevel": "ALL",
    "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "allowedStateMachineArns": ["arn:aws:states:us-east-1:123456789012:stateMachine:a",
                                "arn:aws:states:us-east-1:123456789012:stateMachine:b"],
    "legacyPauseAccess": True, "alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:alarms", "dashboard": True,
}


@pytest.mark.parametrize("instance", [
    load_config(TRANSLATE / "config.yaml").instances[0],  # a catalogue example: its optional values at defaults
    parse_config(EVERYTHING_SET).instances[0],
], ids=["translate", "everything-set"])
def test_the_generic_template_through_cfn_include_synthesizes_and_lints_clean(instance):
    """`sfn-resume parameters --format cfn-include` gives CfnInclude the values as it takes them: the event patterns
    as JSON text, the answerable ARNs as a list, the defaults left out."""
    stack = new_stack()
    cloudformation_include.CfnInclude(stack, "Resume", template_file=str(TEMPLATES / "sfn-resume.yaml"),
                                      parameters=include_parameters(instance))
    template = synthesized(stack)
    assert lint(template, CFN_INCLUDE_LINT_SUPPRESSIONS) == []
    rule = template["Resources"]["ResumeRule"]["Properties"]
    assert json.loads(rule["EventPattern"]["Fn::Sub"]) == instance.eventPattern
    assert set(template.get("Parameters", {})) == set(include_parameters(instance)) ^ set(
        load_yaml(TEMPLATES / "sfn-resume.yaml")["Parameters"])


def _doc_python(section: str) -> str:
    return doc_blocks(ROOT / "docs" / "IAC.md", "python")[section]


def test_the_docs_construct_recipe(tmp_path, monkeypatch):
    """docs/IAC.md's construct recipe, as printed, in a folder holding the config `sfn-resume init` writes."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "translate.yaml").write_text((TRANSLATE / "config.yaml").read_text())
    scope: dict = {}
    exec(_doc_python("AWS CDK (Python): the `SfnResume` construct"), scope)  # noqa: S102 (the docs' own code)
    template = synthesized(scope["stack"])
    assert lint(template) == []
    workflow_ref = [{"Ref": scope["stack"].get_logical_id(scope["workflow"].node.default_child)}]
    assert answering_statements(template) == {"TranslationTranslateResumeResumeStateMachineRole": workflow_ref,
                                              "TranslationTranslateResumePauseStateMachineRole": workflow_ref}


def test_the_docs_cfn_include_recipe(tmp_path, monkeypatch):
    """docs/IAC.md's Python CfnInclude recipe, as printed, with the files its commands write."""
    from sfn_resume.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "translate.yaml").write_text((TRANSLATE / "config.yaml").read_text())
    assert main(["synth", "-o", "sfn-resume.yaml"]) == 0
    assert main(["parameters", "translate.yaml", "--format", "cfn-include", "-o", "parameters.json"]) == 0
    scope: dict = {}
    exec(_doc_python("AWS CDK (any language): the generic template through `CfnInclude`"), scope)  # noqa: S102
    template = synthesized(scope["stack"])
    assert lint(template, CFN_INCLUDE_LINT_SUPPRESSIONS) == []
    assert "PauseStatePolicyArn" in template["Outputs"]
