"""Alarms (on by default) and the dashboard (opt-in) deploy with an instance, and cover every state machine,
rule and queue it has: a resource without an alarm watching it fails the test."""

from __future__ import annotations

import json

import pytest

from .helpers import deploy_instance

pytestmark = pytest.mark.timeout(120)

#: What must watch each kind of resource: (alarm, metrics on it).
COVERAGE = {
    "AWS::StepFunctions::StateMachine": ("RunsFailed", {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionThrottled"}),
    "AWS::Events::Rule": ("EventsUndelivered", {"FailedInvocations"}),
    "AWS::SQS::Queue": ("EventsUndelivered", {"ApproximateNumberOfMessagesVisible"}),
}


def _stack_resources(instance) -> list[dict]:
    cfn = instance.aws.client("cloudformation")
    resources = cfn.describe_stack_resources(StackName=instance.deployment.stack_name)["StackResources"]
    return [r for r in resources if "ResourceType" in r]  # moto lists a resource its conditions left out, empty


def _alarms(instance) -> dict[str, dict]:
    suffix = instance.deployment.outputs["ResumeStateMachineArn"].rsplit(":", 1)[1]  # SfnResume-<suffix>
    found = instance.aws.client("cloudwatch").describe_alarms(AlarmNamePrefix=suffix + "-")["MetricAlarms"]
    return {alarm["AlarmName"].removeprefix(suffix + "-"): alarm for alarm in found}


def _watched(alarm: dict) -> set[tuple[str, str]]:
    """(dimension value, metric) of every metric the alarm sums."""
    return {(d["Value"], q["MetricStat"]["Metric"]["MetricName"])
            for q in alarm["Metrics"] if "MetricStat" in q for d in q["MetricStat"]["Metric"]["Dimensions"]}


def _identity(resource: dict) -> str:
    """The resource as its metrics name it: a machine by ARN, a rule and a queue by name."""
    physical = resource["PhysicalResourceId"]
    return physical.rsplit("/", 1)[-1] if resource["ResourceType"] == "AWS::SQS::Queue" else physical


def test_every_machine_rule_and_queue_of_the_generic_template_has_an_alarm(emulator):
    _check_coverage(deploy_instance(emulator))


def test_every_machine_rule_and_queue_of_a_config_built_template_has_an_alarm(in_process_emulator):
    # in process only: a config-built stack's names are fixed, and the session's server has one already
    _check_coverage(deploy_instance(in_process_emulator, "config_built"))


def _check_coverage(instance):
    alarms = _alarms(instance)
    assert set(alarms) == {"RunsFailed", "EventsUndelivered"}
    topic = instance.deployment.outputs["AlarmTopicArn"]
    assert topic in [t["TopicArn"] for t in instance.aws.client("sns").list_topics()["Topics"]]
    watched_kinds = set()
    for resource in _stack_resources(instance):
        if resource["ResourceType"] not in COVERAGE:
            continue
        alarm, metrics = COVERAGE[resource["ResourceType"]]
        identity = _identity(resource)
        assert {(identity, metric) for metric in metrics} <= _watched(alarms[alarm]), (resource["LogicalResourceId"], alarm)
        watched_kinds.add(resource["ResourceType"])
    assert watched_kinds == set(COVERAGE)
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == alarm["OKActions"] == [topic]
        assert alarm["TreatMissingData"] == "notBreaching" and alarm["Threshold"] == 1
        assert f"sfn-resume status --stack {instance.deployment.stack_name}" in alarm["AlarmDescription"]
    assert "sfn-resume redrive --stack" in alarms["EventsUndelivered"]["AlarmDescription"]
    # the failure rule is watched too: the Translate example has a failure pattern
    assert sum(r["ResourceType"] == "AWS::Events::Rule" for r in _stack_resources(instance)) == 2


def test_alarms_off_and_a_given_topic(emulator):
    off = deploy_instance(emulator, CreateAlarms="false")
    assert _alarms(off) == {} and "AlarmTopicArn" not in off.deployment.outputs
    assert not [r for r in _stack_resources(off) if r["ResourceType"] == "AWS::SNS::Topic"]

    given = "arn:aws:sns:us-east-1:123456789012:ops-alerts"
    mine = deploy_instance(emulator, AlarmTopicArn=given)
    assert mine.deployment.outputs["AlarmTopicArn"] == given
    assert {tuple(a["AlarmActions"]) for a in _alarms(mine).values()} == {(given,)}
    assert not [r for r in _stack_resources(mine) if r["ResourceType"] == "AWS::SNS::Topic"]


def test_dashboard_when_asked(emulator):
    instance = deploy_instance(emulator, CreateDashboard="true")
    arn = instance.deployment.outputs["ResumeStateMachineArn"].split(":")
    suffix = arn[-1]  # SfnResume-<suffix>; the dashboard's name adds the region (dashboards are global)
    assert [r for r in _stack_resources(instance) if r["ResourceType"] == "AWS::CloudWatch::Dashboard"]
    if emulator.mode == "localstack":
        # LocalStack's CloudFormation reports the dashboard created but creates none (docs/LOCALSTACK.md)
        assert instance.aws.client("cloudwatch").list_dashboards()["DashboardEntries"] == []
        pytest.skip("LocalStack creates no AWS::CloudWatch::Dashboard: its body cannot be checked there")
    body = json.loads(instance.aws.client("cloudwatch").get_dashboard(DashboardName=f"{suffix}-{arn[3]}")["DashboardBody"])
    metrics = [m for widget in body["widgets"] for m in widget["properties"]["metrics"]]
    dimensions = {m[3] for m in metrics}
    outputs = instance.deployment.outputs
    assert {outputs["PauseStateMachineArn"], outputs["ResumeStateMachineArn"], outputs["FailStateMachineArn"], suffix,
            suffix + "-Fail", suffix + "-DLQ"} == dimensions
    assert {m[1] for m in metrics} >= {"ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "Invocations",
                                       "FailedInvocations", "ApproximateNumberOfMessagesVisible",
                                       "ApproximateAgeOfOldestMessage"}
    without = deploy_instance(emulator)
    assert not [r for r in _stack_resources(without) if r["ResourceType"] == "AWS::CloudWatch::Dashboard"]
