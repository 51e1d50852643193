"""Builders: property-level assertions on the generic template and config-built templates."""

import json
import re

import pytest
from troposphere import Template

from sfn_resume import add_sfn_resume, build_template, parse_config
from sfn_resume.asl import RESOURCES
from sfn_resume.render import to_yaml

from .helpers import INSTANCE_TEMPLATES, MINIMAL, ROOT, load_yaml

GENERIC_PARAMETERS = [
    "NameSuffix", "PathToIdPauseTask", "PathToIdWorkflow", "EventPattern", "FailureEventPattern", "TimeoutSeconds",
    "HeartbeatSeconds", "ResultPath", "ResumeWorkflowType", "EventRetentionSeconds", "LogRetentionDays", "LogLevel",
    "KmsKeyArn", "AnswerableStateMachineArns", "LegacyPauseAccess", "CreateAlarms", "AlarmTopicArn", "CreateDashboard",
]
OUTPUTS = ["TableName", "TableArn", "PauseStateMachineArn", "ResumeStateMachineArn", "PauseStatePolicyArn",
           "PauseState", "PauseStateJsonata", "DeadLetterQueueUrl", "EventRetentionSeconds", "AlarmTopicArn",
           "FailStateMachineArn"]


def resources_of_type(template: dict, kind: str) -> dict:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == f"AWS::{kind}"}


def rendered(config_data) -> dict:
    return json.loads(build_template(parse_config(config_data)).to_json())


def test_generic_parameters_are_exactly_these_and_documented(generic_template):
    parameters = generic_template["Parameters"]
    assert sorted(parameters) == sorted(GENERIC_PARAMETERS)
    interface = generic_template["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [p for group in interface["ParameterGroups"] for p in group["Parameters"]]
    assert sorted(grouped) == sorted(GENERIC_PARAMETERS) == sorted(interface["ParameterLabels"])
    for name, parameter in parameters.items():
        assert parameter["Description"].startswith(("REQUIRED:", "Optional:")), name
        # a value outside a list of allowed ones cannot be chosen: only the others say what is allowed
        assert parameter.get("ConstraintDescription") or "AllowedValues" in parameter, name
        assert {"AllowedPattern", "AllowedValues", "MinValue"} & set(parameter) or name == "AnswerableStateMachineArns"
    assert parameters["TimeoutSeconds"]["MinValue"] == 1 and parameters["TimeoutSeconds"]["MaxValue"] == 31_536_000


def test_only_the_inert_parameters_and_0_3s_heartbeat_condition_are_unused(generic_template):
    """The generic template tells cfn-lint to ignore unused conditions (W8001) for HasHeartbeat, 0.3's, kept for
    LocalStack (below), and the only reader of the inert Parameters, which no config key sets (options.py): every other
    Parameter and condition is read somewhere, a Parameter by a Ref or in an Fn::Sub."""
    from sfn_resume.options import PARAMETERS

    conditions = {name: body for name, body in generic_template["Conditions"].items() if name != "HasHeartbeat"}
    text = json.dumps({key: value for key, value in generic_template.items() if key != "Metadata"} | {
        "Conditions": conditions})
    used = {name for name in PARAMETERS if f'{{"Ref": "{name}"}}' in text or "${" + name + "}" in text}
    assert sorted(set(PARAMETERS) - used) == sorted(name for name, option in PARAMETERS.items() if not option.key) == [
        "HeartbeatSeconds"]
    unused = [name for name in generic_template["Conditions"]
              if f'"Condition": "{name}"' not in text and f'{{"Fn::If": ["{name}"' not in text]
    assert unused == ["HasHeartbeat"]
    assert generic_template["Metadata"]["cfn-lint"] == {"config": {"ignore_checks": ["W8001"]}}


def test_the_conditions_are_0_3s(generic_template):
    """LocalStack 4.14 counts every Fn::If as changed when an update adds, removes or changes any condition, and so
    replaces the resume machine for its StateMachineName (an Fn::If): the update fails and its rollback deletes the
    machine (docs/LOCALSTACK.md). A 0.3 stack, the only kind LocalStack can create, updates there while they stay."""
    assert generic_template["Conditions"] == load_yaml(ROOT / "tests" / "fixtures" / "sfn-resume-0.3.0.yaml")[
        "Conditions"]


def test_generic_outputs_are_described_and_exported(generic_template):
    outputs = generic_template["Outputs"]
    assert sorted(outputs) == sorted(OUTPUTS)
    for key, output in outputs.items():
        assert output["Description"]
        assert output["Export"] == {"Name": {"Fn::Sub": "${AWS::StackName}-" + key}}


def test_table_is_encrypted_recoverable_and_expiring(generic_template):
    (table,) = resources_of_type(generic_template, "DynamoDB::Table").values()
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Delete", "Delete")


@pytest.mark.parametrize("policy, expected", [
    ("DESTROY", ("Delete", "Delete")),
    ("RETAIN", ("Retain", "Retain")),
    ("RETAIN_ON_UPDATE_OR_DELETE", ("RetainExceptOnCreate", "Retain")),
])
def test_removal_policy_sets_both_policies(policy, expected):
    template = rendered({**MINIMAL, "removalPolicy": policy})
    (table,) = resources_of_type(template, "DynamoDB::Table").values()
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == expected


def test_state_machines_use_definition_with_substitutions_logging_and_tracing(generic_template):
    machines = resources_of_type(generic_template, "StepFunctions::StateMachine")
    assert sorted(machines) == ["FailStateMachine", "PauseStateMachine", "ResumeStateMachine"]
    assert machines["PauseStateMachine"]["Properties"]["StateMachineType"] == "EXPRESS"
    assert machines["FailStateMachine"]["Properties"]["StateMachineType"] == "EXPRESS"
    assert machines["FailStateMachine"]["Condition"] == "HasFailureEventPattern"
    assert machines["FailStateMachine"]["Properties"]["StateMachineName"] == {"Fn::Sub": "SfnResume-${NameSuffix}-Failure"}
    assert generic_template["Outputs"]["FailStateMachineArn"]["Condition"] == "HasFailureEventPattern"
    assert machines["ResumeStateMachine"]["Properties"]["StateMachineType"] == {"Ref": "ResumeWorkflowType"}
    for machine in machines.values():
        props = machine["Properties"]
        assert "DefinitionString" not in props
        placeholders = set(re.findall(r"\$\{(\w+)\}", json.dumps(props["Definition"])))
        assert placeholders == set(props["DefinitionSubstitutions"])  # each one used, none missing
        assert placeholders & set(RESOURCES)
        assert props["LoggingConfiguration"]["Level"] == {"Ref": "LogLevel"}
        assert props["LoggingConfiguration"]["IncludeExecutionData"] is False
        assert props["TracingConfiguration"] == {"Enabled": True}
    (log_group,) = resources_of_type(generic_template, "Logs::LogGroup").values()
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_rules_retry_then_dead_letter_and_deliver_the_job_id_and_event(generic_template):
    rules = resources_of_type(generic_template, "Events::Rule")
    assert rules["ResumeRule"]["Properties"]["EventPattern"] == {"Fn::Sub": "${EventPattern}"}
    assert rules["FailRule"]["Properties"]["EventPattern"] == {"Fn::Sub": "${FailureEventPattern}"}
    assert rules["FailRule"]["Condition"] == "HasFailureEventPattern"
    # success events resume the pause; failure events fail it, through the fail machine
    assert rules["ResumeRule"]["Properties"]["Targets"][0]["Arn"] == {"Ref": "ResumeStateMachine"}
    assert rules["FailRule"]["Properties"]["Targets"][0]["Arn"] == {"Ref": "FailStateMachine"}
    for rule in rules.values():
        (target,) = rule["Properties"]["Targets"]
        assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}
        assert target["InputTransformer"] == {
            "InputPathsMap": {"id": "$.id", "jobId": {"Ref": "PathToIdWorkflow"}},
            "InputTemplate": '{"id": <id>, "jobId": <jobId>, "event": <aws.events.event.json>}',
        }
    (queue,) = resources_of_type(generic_template, "SQS::Queue").values()
    assert queue["Properties"]["SqsManagedSseEnabled"] == {"Fn::If": ["HasKmsKey", {"Ref": "AWS::NoValue"}, True]}


def test_events_role_may_only_start_the_resume_and_fail_machines(generic_template):
    role = generic_template["Resources"]["EventsRole"]["Properties"]
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [{
        "Sid": "StartResume", "Effect": "Allow", "Action": ["states:StartExecution"],
        "Resource": [{"Ref": "ResumeStateMachine"},
                     {"Fn::If": ["HasFailureEventPattern", {"Ref": "FailStateMachine"}, {"Ref": "AWS::NoValue"}]}],
    }]


def test_no_hard_coded_partition_region_or_account(generic_template):
    text = json.dumps(generic_template)
    assert "arn:aws:" not in text
    assert not re.search(r"\b\d{12}\b", text)
    assert not re.search(r"(us|eu|ap|cn)-(east|west|north|south|central)-\d", text)


def test_config_template_bakes_values_in():
    template = rendered({**MINIMAL, "failureEventPattern": {"source": ["aws.translate"],
                                                            "detail": {"jobStatus": ["FAILED"]}}})
    assert "Parameters" not in template
    prefix = "TranslationTranslateResume"
    assert template["Resources"][prefix + "TokenTable"]["Properties"]["TableName"] == "SfnResume-" + prefix
    assert template["Resources"][prefix + "ResumeRule"]["Properties"]["EventPattern"] == MINIMAL["eventPattern"]
    assert sorted(template["Outputs"]) == sorted(prefix + key for key in OUTPUTS)


def test_add_sfn_resume_twice_gives_independent_instances():
    template = Template()
    config = parse_config({"instances": [MINIMAL, {**MINIMAL, "nameSuffix": "Other"}]})
    first, second = (add_sfn_resume(template, instance) for instance in config.instances)
    assert first.resources.table.title != second.resources.table.title
    # table, log group, queue, queue policy, pause and resume machines and their roles, events role, rule,
    # pause policy; alarm topic and two alarms (no failure pattern: no fail rule, fail machine or its role)
    assert len(template.resources) == 2 * 14
    pause = first.pause_state("Next")
    assert pause["Next"] == "Next"
    assert "SfnResume-TranslationTranslateResume-Pause" in pause["Parameters"]["StateMachineArn.$"]
    (statement,) = first.workflow_role_statements()
    assert [a.JSONrepr() for a in statement.Action] == ["states:StartExecution"]


#: What docs/IAC.md says of the generic template's size, and what the README's Deploy section does about it.
SIZE_STATEMENT = "**Its size: above 51,200 bytes: deploy it through S3.**"


def test_generic_template_deploys_through_s3_as_the_guides_say():
    """CloudFormation takes a template of up to 51,200 bytes inline (TemplateBody) and up to 1,000,000 from S3
    (TemplateURL). Protocol 0.4's generic template, everything included (alarms, dashboard), is between: the guides
    say so and deploy it with `--s3-bucket`. One that fits inline again fails here, for the guides to say so."""
    size = len(to_yaml(build_template()).encode())
    assert 51_200 < size <= 1_000_000
    assert SIZE_STATEMENT in (ROOT / "docs" / "IAC.md").read_text()
    deploy = (ROOT / "README.md").read_text().split("\n## Deploy\n")[1].split("\n## ")[0]
    assert "aws s3 mb s3://my-templates" in deploy and "--s3-bucket my-templates" in deploy


@pytest.mark.parametrize("path", INSTANCE_TEMPLATES, ids=lambda p: p.name)
def test_every_definition_substitution_is_a_string(path):
    # CloudFormation passes every substitution on as a string; LocalStack passes a Ref to a Number Parameter on as a
    # number, and the machine's creation fails (`replace() argument 2 must be str, not int`): so none is a Number,
    template = load_yaml(path)
    numbers = {name for name, parameter in template.get("Parameters", {}).items() if parameter["Type"] == "Number"}
    machines = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    assert machines
    # and LocalStack turns an Fn::Sub that gives only digits back into a number: a Number goes through Fn::Join
    number_alone = [{"Ref": number} for number in numbers] + [{"Fn::Sub": "${%s}" % number} for number in numbers]
    for machine in machines:
        for name, value in machine["Properties"]["DefinitionSubstitutions"].items():
            assert isinstance(value, str) or set(value) <= {"Ref", "Fn::Sub", "Fn::GetAtt", "Fn::Join"}, (name, value)
            assert value not in number_alone, (name, value)


def test_the_dashboard_is_named_per_region(minimal):
    """Dashboards are global: one instance deployed to several regions of an account (a StackSet) needs one each."""
    from sfn_resume import build_template, parse_config

    config_built = build_template(parse_config({**minimal, "dashboard": True})).to_dict()
    (dashboard,) = [r for r in config_built["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    assert dashboard["Properties"]["DashboardName"] == {"Fn::Sub": f"SfnResume-{minimal['nameSuffix']}-${{AWS::Region}}"}
