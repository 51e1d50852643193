"""Every parameter change is a safe update, proven statically from CloudFormation's resource schemas.

For every Parameter of the generic template and every config key of a config-built one, the template is resolved
for its default and for another allowed value. A change to one of a resource's `createOnlyProperties` (cfn-lint
ships the schemas) replaces the resource; a resource whose Ref or GetAtt changes with it may be replaced in turn.
No change may replace:
- a custom-named resource under the same name: CloudFormation refuses such an update on AWS (the emulator lets it
  through);
- a resource that holds what a paused workflow needs (HOLDERS): the table, the dead-letter queue, the pause machine
  the workflows' pause states start, the policy attached to their roles;
unless the change is one the stack does not take on a live stack (NOT_ON_A_LIVE_STACK), which docs/CONFIGURATION.md's
table "What each change does to a live stack" and the Parameter's description say, with what to do instead.
"""

from __future__ import annotations

import json
import re

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from sfn_resume import build_template, names, parse_config
from sfn_resume.config import DEFAULTS, KEYS
from sfn_resume.nested import generic_parameters
from sfn_resume.options import OPTIONS
from sfn_resume.protocol.cfn import Resolved
from sfn_resume.template import GENERIC_PARAMETERS

from .helpers import MINIMAL, parameters_set_by

#: What a workflow that paused (or will pause) holds on to: replacing one strands it or loses what it keeps.
HOLDERS = {
    names.TABLE: "holds the paused workflows' tokens and the early events",
    names.DEAD_LETTER_QUEUE: "holds the events EventBridge could not deliver",
    names.PAUSE_STATE_MACHINE: "the workflows' pause states start it by its ARN",
    names.PAUSE_STATE_POLICY: "attached to the workflows' roles",
}
#: The changes that are not for a live stack (Parameter and config key), with what the table of options says to do.
NOT_ON_A_LIVE_STACK = {"NameSuffix": "deploy a new stack", "nameSuffix": "deploy a new stack"}

#: A value other than the default for each Parameter, allowed by its constraints.
OTHER_PARAMETER_VALUES = {
    "NameSuffix": "OtherSuffix",
    "PathToIdPauseTask": "$.other.JobId",
    "PathToIdWorkflow": "$.detail.otherId",
    "EventPattern": '{"source": ["other.source"]}',
    "FailureEventPattern": '{"source": ["other.source"], "detail": {"status": ["FAILED"]}}',
    "TimeoutSeconds": "600",
    "HeartbeatSeconds": "60",
    "ResultPath": "$.job",
    "ResumeWorkflowType": "EXPRESS",
    "EventRetentionSeconds": "3600",
    "LogRetentionDays": "30",
    "LogLevel": "ALL",
    "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "AnswerableStateMachineArns": "arn:aws:states:us-east-1:123456789012:stateMachine:Translate",
    "LegacyPauseAccess": "true",
    "CreateAlarms": "false",
    "AlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:ops-alerts",
    "CreateDashboard": "true",
}
#: A value other than the default for each config key.
OTHER_CONFIG_VALUES = {
    "nameSuffix": "OtherSuffix",
    "pathToIdPauseTask": "$.other.JobId",
    "pathToIdWorkflow": "$.detail.otherId",
    "eventPattern": {"source": ["other.source"]},
    "failureEventPattern": {"source": ["aws.translate"], "detail": {"jobStatus": ["FAILED"]}},
    "removalPolicy": "RETAIN",
    "timeoutSeconds": 600,
    "resultPath": "$.job",
    "resumeWorkflowType": "EXPRESS",
    "eventRetentionSeconds": 3600,
    "logRetentionDays": 30,
    "logLevel": "ALL",
    "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "allowedStateMachineArns": ["arn:aws:states:us-east-1:123456789012:stateMachine:Translate"],
    "tags": {"team": "payments"},
    "legacyPauseAccess": True,
    "alarms": False,
    "alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:ops-alerts",
    "dashboard": True,
}

def create_only(resource_type: str) -> list[tuple[str, ...]]:
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    return [tuple(path.split("/")[2:]) for path in schema.get("createOnlyProperties", [])]


def at(properties: dict, path: tuple[str, ...]):
    for key in path:
        if not isinstance(properties, dict) or key not in properties:
            return None
        properties = properties[key]
    return properties


def name_paths(resource_type: str) -> list[tuple[str, ...]]:
    """The create-only properties that name the resource (TableName, StateMachineName, Name, ...)."""
    return [path for path in create_only(resource_type) if len(path) == 1 and path[0].endswith("Name")]


def replacements(before: Resolved, after_template: dict, after_values: dict) -> dict[str, str]:
    """{logical ID: the create-only property that changed} of the resources an update replaces."""
    old = before.resources()
    replaced: dict[str, str] = {}
    while True:
        new = Resolved(after_template, after_values, frozenset(replaced)).resources()
        found = {}
        for name in old.keys() & new.keys() - replaced.keys():
            (kind, was), (_, now) = old[name], new[name]
            changed = [path for path in create_only(kind) if at(was, path) != at(now, path)]
            if changed:
                found[name] = "/".join(changed[0])
        if not found:
            return replaced
        replaced.update(found)


def assert_safe(what: str, before_template: dict, before_values: dict, after_template: dict,
                after_values: dict) -> dict[str, str]:
    """Assert the update is one CloudFormation takes and that keeps every holder (or is NOT_ON_A_LIVE_STACK);
    returns the replaced resources."""
    before = Resolved(before_template, before_values)
    replaced = replacements(before, after_template, after_values)
    old = before.resources()
    new = Resolved(after_template, after_values, frozenset(replaced)).resources()
    kept_names = [name for name in replaced if any(
        at(old[name][1], path) is not None and at(old[name][1], path) == at(new[name][1], path)
        for path in name_paths(old[name][0]))]
    assert not kept_names, f"{what}: CloudFormation would refuse to replace custom-named {kept_names}"
    lost = {name: reason for name in old for holder, reason in HOLDERS.items()
            if name.endswith(holder) and (name in replaced or name not in new)}  # a config's IDs have a prefix
    if what in NOT_ON_A_LIVE_STACK:
        assert lost, f"{what} is listed as not changeable on a live stack, but its change keeps every holder"
    else:
        assert not lost, f"{what}: the update replaces or deletes {lost}"
    return replaced


def generic_template(removal_policy: str = "DESTROY") -> dict:
    return json.loads(build_template(removal_policy=removal_policy).to_json())


def config_template(config: dict) -> dict:
    return json.loads(build_template(parse_config(config)).to_json())


def test_every_parameter_has_another_allowed_value():
    assert sorted(OTHER_PARAMETER_VALUES) == sorted(GENERIC_PARAMETERS)
    parameters = generic_template()["Parameters"]
    for name, value in OTHER_PARAMETER_VALUES.items():
        parameter = parameters[name]
        assert value != str(parameter.get("Default")), name
        if "AllowedValues" in parameter:
            assert value in map(str, parameter["AllowedValues"]), name
        if "AllowedPattern" in parameter:
            assert re.fullmatch(parameter["AllowedPattern"], value), name


def test_every_config_key_has_another_value():
    assert sorted(OTHER_CONFIG_VALUES) == sorted(KEYS)
    for key, value in OTHER_CONFIG_VALUES.items():
        parse_config({**MINIMAL, key: value})  # allowed
        assert value != DEFAULTS.get(key, MINIMAL.get(key)), key


DEFAULT_PARAMETERS = generic_parameters(parse_config(MINIMAL).instances[0])


@pytest.mark.parametrize("removal_policy", ["DESTROY", "RETAIN"])
@pytest.mark.parametrize("parameter", GENERIC_PARAMETERS)
def test_a_parameter_change_is_a_safe_update(parameter, removal_policy):
    template = generic_template(removal_policy)
    changed = dict(DEFAULT_PARAMETERS, **{parameter: OTHER_PARAMETER_VALUES[parameter]})
    assert_safe(parameter, template, DEFAULT_PARAMETERS, template, changed)
    assert_safe(parameter, template, changed, template, DEFAULT_PARAMETERS)  # and back


@pytest.mark.parametrize("key", KEYS)
def test_a_config_change_is_a_safe_update(key):
    before, after = config_template(MINIMAL), config_template({**MINIMAL, key: OTHER_CONFIG_VALUES[key]})
    assert_safe(key, before, {}, after, {})
    assert_safe(key, after, {}, before, {})


def test_the_resume_machine_is_renamed_with_its_type_so_the_change_is_no_replacement_in_place():
    template = generic_template()
    replaced = assert_safe("ResumeWorkflowType", template, DEFAULT_PARAMETERS, template,
                           dict(DEFAULT_PARAMETERS, ResumeWorkflowType="EXPRESS"))
    assert sorted(replaced) == [names.RESUME_STATE_MACHINE]  # its ARN changes: the rule and roles follow in place
    machines = {Resolved(template, dict(DEFAULT_PARAMETERS, ResumeWorkflowType=kind)).resources()[
        names.RESUME_STATE_MACHINE][1]["StateMachineName"] for kind in ("STANDARD", "EXPRESS")}
    assert machines == {f"SfnResume-{MINIMAL['nameSuffix']}", f"SfnResume-{MINIMAL['nameSuffix']}-Express"}


def test_the_check_finds_a_replacement_cloudformation_refuses():
    """The test can fail: the resume machine under one name for both types is what 0.2 shipped."""
    template = generic_template()
    template["Resources"][names.RESUME_STATE_MACHINE]["Properties"]["StateMachineName"] = {
        "Fn::Sub": "SfnResume-${NameSuffix}"}
    with pytest.raises(AssertionError, match="refuse to replace custom-named"):
        assert_safe("ResumeWorkflowType", template, DEFAULT_PARAMETERS, template,
                    dict(DEFAULT_PARAMETERS, ResumeWorkflowType="EXPRESS"))


def test_name_suffix_is_not_for_a_live_stack_and_the_parameter_says_so():
    template = generic_template()
    replaced = assert_safe("NameSuffix", template, DEFAULT_PARAMETERS, template,
                           dict(DEFAULT_PARAMETERS, NameSuffix="OtherSuffix"))
    assert {names.TABLE, names.DEAD_LETTER_QUEUE, names.PAUSE_STATE_MACHINE} <= set(replaced)
    assert "not for a live stack" in template["Parameters"]["NameSuffix"]["Description"].lower()


def test_the_table_of_options_says_what_each_change_does_to_a_live_stack():
    """docs/CONFIGURATION.md's table "What each change does to a live stack" is written from these (test_docs.py)."""
    for option in OPTIONS:
        assert option.update, option
        if option.key:
            assert parameters_set_by(option.key, OTHER_CONFIG_VALUES[option.key]) == (
                [option.parameter] if option.parameter else [])
        for name in (option.key, option.parameter):
            if name in NOT_ON_A_LIVE_STACK:
                assert option.update.startswith("not for a live stack") and NOT_ON_A_LIVE_STACK[name] in option.update
