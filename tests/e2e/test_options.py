"""Every config key and every Parameter of the generic template, set to a value other than its default: the
template synthesizes, lints clean (cfn-lint), deploys in the emulator (in process), and the value reaches the
deployed resource, read back through the service's own API.

The lists are derived from the code: CASES must hold every config key (`config.KEYS`), and the Parameters each
key sets (`nested.generic_parameters`) must cover every Parameter of the generic template, so a new key or
Parameter without a case fails here. Where the emulator cannot show a value (IAM, a table's or log group's KMS
key), the check reads it from the rendered template as CloudFormation resolves it for the Parameter values
(tests/resolve.py), and says so ("static").
"""
from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from sfn_resume import build_template, names, parse_config
from sfn_resume.config import KEYS
from sfn_resume.local.harness import Deployment, event_entry
from sfn_resume.nested import generic_parameters
from sfn_resume.template import GENERIC_PARAMETERS

from ..helpers import MINIMAL, cfn_lint, parameters_set_by
from sfn_resume.protocol.cfn import Resolved
from .helpers import sample_event

pytestmark = pytest.mark.timeout(120)

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:ops-alerts"
WORKFLOW_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:Translate"


@dataclass
class Deployed:
    """A deployed instance: its outputs and resources (logical IDs without the instance's prefix), the template."""

    deployment: Deployment
    resources: dict[str, tuple[str, str]]  # logical ID -> (type, physical ID)
    template: dict
    parameters: dict
    prefix: str

    def client(self, service: str) -> Any:
        return self.deployment.aws.client(service)

    @property
    def outputs(self) -> dict:
        return self.deployment.outputs

    def physical(self, logical_id: str) -> str:
        return self.resources[logical_id][1]

    def resolved(self, logical_id: str) -> dict:
        """A resource's properties as CloudFormation resolves the rendered template for the Parameter values: what
        the checks read where the emulator does not show a value."""
        return Resolved(self.template, self.parameters).resources()[self.prefix + logical_id][1]

    def machine(self, logical_id: str) -> dict:
        return self.client("stepfunctions").describe_state_machine(stateMachineArn=self.physical(logical_id))

    def rule_targets(self, logical_id: str) -> list[dict]:
        return self.client("events").list_targets_by_rule(Rule=self.physical(logical_id))["Targets"]

    def rule_pattern(self, logical_id: str) -> dict:
        return json.loads(self.client("events").describe_rule(Name=self.physical(logical_id))["EventPattern"])

    def pause_state(self) -> dict:
        return json.loads(self.outputs[names.OUTPUT_PAUSE_STATE])

    def alarms(self) -> list[dict]:
        return [alarm for alarm in self.client("cloudwatch").describe_alarms()["MetricAlarms"]
                if alarm["AlarmName"] in {self.physical(r) for r in (names.RUNS_FAILED_ALARM,
                                                                    names.EVENTS_UNDELIVERED_ALARM)
                                          if r in self.resources}]

    def tags(self, logical_id: str) -> dict[str, str] | None:
        """The resource's tags through its service's API; None for a type CloudFormation cannot tag."""
        kind, physical = self.resources[logical_id]
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind).schema
        if not schema.get("tagging", {}).get("taggable"):
            return None
        listed = TAG_READERS[kind](self, physical)
        if isinstance(listed, dict):
            return listed
        return {tag.get("Key", tag.get("key")): tag.get("Value", tag.get("value")) for tag in listed}


def _alarm_arn(view: Deployed, name: str) -> str:
    return view.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]


#: How to read each resource type's tags (physical ID as CloudFormation's Ref gives it).
TAG_READERS: dict[str, Callable[[Deployed, str], Any]] = {
    "AWS::DynamoDB::Table": lambda v, name: v.client("dynamodb").list_tags_of_resource(
        ResourceArn=v.client("dynamodb").describe_table(TableName=name)["Table"]["TableArn"])["Tags"],
    "AWS::StepFunctions::StateMachine": lambda v, arn: v.client("stepfunctions").list_tags_for_resource(
        resourceArn=arn)["tags"],
    "AWS::Events::Rule": lambda v, name: v.client("events").list_tags_for_resource(
        ResourceARN=v.client("events").describe_rule(Name=name)["Arn"])["Tags"],
    "AWS::SQS::Queue": lambda v, url: v.client("sqs").list_queue_tags(QueueUrl=url).get("Tags", {}),
    "AWS::Logs::LogGroup": lambda v, name: v.client("logs").list_tags_for_resource(
        resourceArn=v.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["logGroupArn"])[
        "tags"],
    "AWS::IAM::Role": lambda v, name: v.client("iam").list_role_tags(RoleName=name)["Tags"],
    "AWS::SNS::Topic": lambda v, arn: v.client("sns").list_tags_for_resource(ResourceArn=arn)["Tags"],
    "AWS::CloudWatch::Alarm": lambda v, name: v.client("cloudwatch").list_tags_for_resource(
        ResourceARN=_alarm_arn(v, name))["Tags"],
    "AWS::CloudWatch::Dashboard": lambda v, name: v.client("cloudwatch").list_tags_for_resource(
        ResourceARN=v.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardArn"])["Tags"],
}


# ---- the checks: one per config key, given the deployed instance and the value set ----

def check_name_suffix(view: Deployed, suffix: str) -> None:
    named = {names.TABLE: "table", names.RESUME_RULE: "resume rule", names.LOG_GROUP: "log group",
             names.ALARM_TOPIC: "alarm topic", names.RUNS_FAILED_ALARM: names.RUNS_FAILED_ALARM}
    for logical_id, kind in named.items():
        assert view.physical(logical_id).endswith(names.physical_name(kind, suffix)), logical_id
    assert view.machine(names.PAUSE_STATE_MACHINE)["name"] == names.physical_name("pause state machine", suffix)
    assert view.machine(names.RESUME_STATE_MACHINE)["name"] == names.physical_name("resume state machine", suffix)
    assert view.physical(names.DEAD_LETTER_QUEUE).endswith("/" + names.physical_name("dead-letter queue", suffix))


def check_path_to_id_pause_task(view: Deployed, path: str) -> None:
    """A workflow whose job id is at `path` pauses under that id (the pause state reads it there)."""
    workflow = view.deployment.create_workflow("options-workflow", path)
    run = view.deployment.start(workflow, "job-at-path")
    assert view.deployment.wait_until_paused(run, "job-at-path")["token"]


def check_path_to_id_workflow(view: Deployed, path: str) -> None:
    for rule in (names.RESUME_RULE, names.FAIL_RULE):
        if rule in view.resources:
            (target,) = view.rule_targets(rule)
            assert target["InputTransformer"]["InputPathsMap"]["jobId"] == path


def check_event_pattern(view: Deployed, pattern: dict) -> None:
    assert view.rule_pattern(names.RESUME_RULE) == pattern


def check_failure_event_pattern(view: Deployed, pattern: dict) -> None:
    assert view.rule_pattern(names.FAIL_RULE) == pattern
    (target,) = view.rule_targets(names.FAIL_RULE)
    assert target["Arn"] == view.physical(names.FAIL_STATE_MACHINE)


def check_removal_policy(view: Deployed, policy: str) -> None:
    assert policy == "RETAIN"
    table = view.physical(names.TABLE)
    cloudformation = view.client("cloudformation")
    cloudformation.delete_stack(StackName=view.deployment.stack_name)
    deadline = time.monotonic() + 30
    while any(s["StackStatus"] != "DELETE_COMPLETE" for s in cloudformation.list_stacks()["StackSummaries"]
              if s["StackName"] == view.deployment.stack_name):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert view.client("dynamodb").describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"


def check_timeout_seconds(view: Deployed, seconds: int) -> None:
    assert view.pause_state()["TimeoutSeconds"] == seconds


def check_ignored_heartbeat_seconds(view: Deployed, seconds: str) -> None:
    """The Parameter is accepted and ignored: no pause state carries a heartbeat, which nothing could send
    (tests/e2e/test_edges.py shows a pause waiting past it after an update from 0.3)."""
    assert view.parameters["HeartbeatSeconds"] == seconds
    assert "HeartbeatSeconds" not in view.pause_state()
    assert "HeartbeatSeconds" not in json.loads(view.outputs[names.OUTPUT_PAUSE_STATE_JSONATA])


def check_result_path(view: Deployed, path: str) -> None:
    assert view.pause_state()["ResultPath"] == path


def check_resume_workflow_type(view: Deployed, kind: str) -> None:
    machine = view.machine(names.RESUME_STATE_MACHINE)
    assert machine["type"] == kind and machine["name"].endswith("-Express")
    assert view.rule_targets(names.RESUME_RULE)[0]["Arn"] == machine["stateMachineArn"]


def check_event_retention_seconds(view: Deployed, seconds: int) -> None:
    """An event that comes before its pause is kept `seconds` from its own `time` (whole seconds: EventBridge's
    time of the PutEvents): its item expires then."""
    event = sample_event("success")
    event["detail"]["jobId"] = "early-job"
    sent_ms = time.time() * 1000
    view.client("events").put_events(Entries=[event_entry(event)])
    deadline = time.monotonic() + 10
    while not (item := view.deployment.item("early-job")):
        assert time.monotonic() < deadline, "the early event was not stored"
        time.sleep(0.02)
    assert sent_ms // 1000 * 1000 + seconds * 1000 <= int(item["expiresAtMs"]["N"]) <= time.time() * 1000 + seconds * 1000


def check_log_retention_days(view: Deployed, days: int) -> None:
    (group,) = view.client("logs").describe_log_groups(logGroupNamePrefix=view.physical(names.LOG_GROUP))["logGroups"]
    assert group["retentionInDays"] == days


def check_log_level(view: Deployed, level: str) -> None:
    for machine in (names.PAUSE_STATE_MACHINE, names.RESUME_STATE_MACHINE):
        assert view.machine(machine)["loggingConfiguration"]["level"] == level


def check_kms_key_arn(view: Deployed, key: str) -> None:
    queue = view.client("sqs").get_queue_attributes(QueueUrl=view.physical(names.DEAD_LETTER_QUEUE),
                                                    AttributeNames=["KmsMasterKeyId"])["Attributes"]
    assert queue["KmsMasterKeyId"] == key
    topic = view.client("sns").get_topic_attributes(TopicArn=view.physical(names.ALARM_TOPIC))["Attributes"]
    assert topic["KmsMasterKeyId"] == key
    # static: moto's CloudFormation sets neither a table's SSESpecification nor a log group's KmsKeyId
    assert view.resolved(names.TABLE)["SSESpecification"]["KMSMasterKeyId"] == key
    assert view.resolved(names.LOG_GROUP)["KmsKeyId"] == key


def check_allowed_state_machine_arns(view: Deployed, arns: list[str]) -> None:
    """The machines' role may answer those workflows only. static: the emulator enforces no IAM, and moto's
    CloudFormation keeps a role's inline policy as a Python object, which GetRolePolicy answers as non-JSON."""
    (policy,) = view.resolved(names.RESUME_ROLE)["Policies"]
    (answer,) = [s for s in policy["PolicyDocument"]["Statement"] if "states:SendTaskSuccess" in s["Action"]]
    assert answer["Resource"] == arns


def check_tags(view: Deployed, tags: dict) -> None:
    carried = {logical_id: view.tags(logical_id) for logical_id in view.resources}
    taggable = {logical_id: found for logical_id, found in carried.items() if found is not None}
    assert set(taggable) >= {names.TABLE, names.PAUSE_STATE_MACHINE, names.RESUME_STATE_MACHINE, names.RESUME_RULE,
                             names.FAIL_RULE, names.DEAD_LETTER_QUEUE, names.LOG_GROUP, names.ALARM_TOPIC,
                             names.RUNS_FAILED_ALARM, names.DASHBOARD, names.RESUME_ROLE, names.EVENTS_ROLE}
    assert all(found == tags for found in taggable.values()), taggable


def check_legacy_pause_access(view: Deployed, on: bool) -> None:
    iam = view.client("iam")
    arn = view.physical(names.PAUSE_STATE_POLICY)
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    document = json.loads(document) if isinstance(document, str) else document
    assert on and "StoreTokensClaimEarlyEvents01" in [s.get("Sid") for s in document["Statement"]]


def check_alarms(view: Deployed, on: bool) -> None:
    assert not on
    assert names.RUNS_FAILED_ALARM not in view.resources and names.ALARM_TOPIC not in view.resources
    assert view.client("cloudwatch").describe_alarms()["MetricAlarms"] == []


def check_alarm_topic_arn(view: Deployed, arn: str) -> None:
    assert names.ALARM_TOPIC not in view.resources
    alarms = view.alarms()
    assert len(alarms) == 2 and all(a["AlarmActions"] == [arn] == a["OKActions"] for a in alarms)


def check_dashboard(view: Deployed, on: bool) -> None:
    assert on
    body = view.client("cloudwatch").get_dashboard(DashboardName=view.physical(names.DASHBOARD))["DashboardBody"]
    assert json.loads(body)["widgets"]


@dataclass(frozen=True)
class Case:
    value: Any
    check: Callable[[Deployed, Any], None]
    also: dict = field(default_factory=dict)  # other keys the check needs set (e.g. every optional resource on)


#: Every config key: a value other than its default (and than MINIMAL's), and how to see it deployed.
CASES = {
    "nameSuffix": Case("OptionsRenamed", check_name_suffix),
    "pathToIdPauseTask": Case("$.other.Ids[0]", check_path_to_id_pause_task),
    "pathToIdWorkflow": Case("$.detail.otherId", check_path_to_id_workflow),
    "eventPattern": Case({"source": ["other.source"], "detail": {"state": ["DONE"]}}, check_event_pattern),
    "failureEventPattern": Case({"source": ["aws.translate"], "detail": {"jobStatus": ["FAILED"]}},
                                check_failure_event_pattern),
    "removalPolicy": Case("RETAIN", check_removal_policy),
    "timeoutSeconds": Case(600, check_timeout_seconds),
    "resultPath": Case("$.job", check_result_path),
    "resumeWorkflowType": Case("EXPRESS", check_resume_workflow_type),
    "eventRetentionSeconds": Case(3600, check_event_retention_seconds),
    "logRetentionDays": Case(30, check_log_retention_days),
    "logLevel": Case("ALL", check_log_level),
    "kmsKeyArn": Case(KEY_ARN, check_kms_key_arn),
    "allowedStateMachineArns": Case([WORKFLOW_ARN], check_allowed_state_machine_arns),
    "tags": Case({"team": "payments", "cost-center": "42"}, check_tags,
                 also={"dashboard": True, "failureEventPattern": {"source": ["aws.translate"]}}),
    "legacyPauseAccess": Case(True, check_legacy_pause_access),
    "alarms": Case(False, check_alarms),
    "alarmTopicArn": Case(TOPIC_ARN, check_alarm_topic_arn),
    "dashboard": Case(True, check_dashboard),
}
#: Each Parameter of the generic template → the config key whose case sets it.
PARAMETER_KEYS = {parameter: key for key in KEYS for parameter in parameters_set_by(key, CASES[key].value)}
#: The Parameters no config key sets, kept (inert) for the stacks and callers of earlier versions: a value other than
#: the default, and how to see it ignored.
INERT_PARAMETERS = {"HeartbeatSeconds": Case("60", check_ignored_heartbeat_seconds)}


@functools.lru_cache(maxsize=None)
def lint_findings(template_text: str) -> list[str]:
    return [f"{m.rule.id} {m.message} (line {m.linenumber})"
            for m in cfn_lint(template_text)]


def deployed(aws, template, parameters: dict | None, prefix: str) -> Deployed:
    text = template.to_yaml()
    assert lint_findings(text) == []
    deployment = Deployment.deploy(aws, "options", text, parameters, prefix)
    stack = aws.client("cloudformation").describe_stack_resources(StackName="options")["StackResources"]
    resources = {r["LogicalResourceId"][len(prefix):]: (r["ResourceType"], r["PhysicalResourceId"])
                 for r in stack if "LogicalResourceId" in r}
    return Deployed(deployment, resources, json.loads(template.to_json()), parameters or {}, prefix)


def test_every_config_key_and_parameter_has_a_case():
    assert sorted(CASES) == sorted(KEYS)
    assert sorted([*PARAMETER_KEYS, *INERT_PARAMETERS]) == sorted(GENERIC_PARAMETERS)
    assert all(GENERIC_PARAMETERS[parameter].key is None for parameter in INERT_PARAMETERS)


@pytest.mark.parametrize("key", KEYS)
def test_a_config_key_reaches_the_deployed_resource(in_process_emulator, key):
    case = CASES[key]
    config = parse_config({**MINIMAL, **case.also, key: case.value})
    view = deployed(in_process_emulator, build_template(config), None, names.logical_prefix(
        config.instances[0].nameSuffix))
    case.check(view, case.value)


@pytest.mark.parametrize("parameter", GENERIC_PARAMETERS)
def test_a_parameter_reaches_the_deployed_resource(in_process_emulator, parameter):
    if parameter in INERT_PARAMETERS:
        case = INERT_PARAMETERS[parameter]
        values = dict(generic_parameters(parse_config(MINIMAL).instances[0]), **{parameter: case.value})
    else:
        case = CASES[PARAMETER_KEYS[parameter]]
        values = generic_parameters(parse_config({**MINIMAL, PARAMETER_KEYS[parameter]: case.value}).instances[0])
    view = deployed(in_process_emulator, build_template(), values, "")
    case.check(view, case.value)
