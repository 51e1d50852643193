"""The emulator fails where AWS fails, in process and through `sfn-resume local` with the AWS CLI: a second stack
with a NameSuffix in use rolls back and leaves the first stack working; an update that would replace the
custom-named resume machine (its type changed under its name) rolls back; a LogLevel update reaches both machines;
DescribeStackEvents tells each resource's story; TestEventPattern answers with the instance's own pattern.
"""
from __future__ import annotations

import json

import botocore.exceptions
import pytest

from sfn_resume.local.bridges_stack_failures import RENAME_NOT_EMULATED, REPLACEMENT_REFUSED
from sfn_resume.local.stacks import StackDeployError

from ..helpers import load_yaml
from .conftest import REGION
from .helpers import GENERIC_TEMPLATE, cli_runner, deploy_instance, sample_event

pytestmark = [pytest.mark.timeout(120), pytest.mark.deploys_with_aws_cli]


@pytest.fixture
def emulator(embedded_emulator):
    """What this file shows are the embedded emulator's bridges: it fails where AWS fails (LocalStack has failures
    of its own, docs/LOCALSTACK.md)."""
    return embedded_emulator


def failed_deploy(emulator, name: str, template="generic", **parameters: str) -> str:
    """Deploy (create or update) the instance `name` expecting the stack operation (or the call) to fail; returns
    what the deployer said (the AWS CLI's message in server mode)."""
    with pytest.raises((StackDeployError, AssertionError, botocore.exceptions.ClientError)) as failure:
        deploy_instance(emulator, template, name=name, **parameters)
    return str(failure.value)


def stack_events(emulator, stack: str) -> list[dict]:
    """DescribeStackEvents, newest first: through the AWS CLI in server mode."""
    if emulator.mode == "server":
        return json.loads(emulator.cli("cloudformation", "describe-stack-events", "--stack-name", stack))["StackEvents"]
    return emulator.client("cloudformation").describe_stack_events(StackName=stack)["StackEvents"]


def stack(emulator, name: str) -> dict:
    return emulator.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]


def stack_resources(emulator, name: str) -> list[dict]:
    """The stack's resources (moto lists a resource it does not model, such as the queue policy, without ids)."""
    resources = emulator.client("cloudformation").describe_stack_resources(StackName=name)["StackResources"]
    return [resource for resource in resources if "LogicalResourceId" in resource]


def hand_over(instance, job_id: str) -> None:
    """A pause on `job_id`, its success event, and the workflow resumed with it."""
    run, _ = instance.paused(job_id)
    instance.put(instance.event(job_id))
    assert instance.deployment.wait(run, timeout=30)["status"] == "SUCCEEDED"


def test_a_second_stack_with_a_name_suffix_in_use_rolls_back_and_leaves_the_first_working(emulator, monkeypatch,
                                                                                            capsys):
    first_name, second_name = emulator.new_name(), emulator.new_name()
    first = deploy_instance(emulator, name=first_name)
    resources_before = stack_resources(emulator, f"e2e-{first_name}")

    message = failed_deploy(emulator, second_name, NameSuffix=f"E2e{first_name}")
    if emulator.mode == "server":  # the AWS CLI waited for the stack, and says where to look
        assert "Failed to create/update the stack" in message and "describe-stack-events" in message
    second = stack(emulator, f"e2e-{second_name}")
    assert (second["StackStatus"], second.get("Outputs")) == ("ROLLBACK_COMPLETE", None)
    [failed] = [e for e in stack_events(emulator, f"e2e-{second_name}") if e["ResourceStatus"] == "CREATE_FAILED"]
    first_id = stack(emulator, f"e2e-{first_name}")["StackId"]
    assert failed["ResourceStatusReason"].endswith(f"already exists in stack {first_id}"), failed
    assert failed["ResourceStatusReason"].startswith(f"SfnResume-E2e{first_name}")
    status = cli_runner(emulator, monkeypatch, capsys)("status", "--stack", f"e2e-{second_name}")
    assert (status.code, status.out) == (2, "")  # it says what happened, not "not an sfn-resume stack"
    assert status.err == (f"sfn-resume: --stack: 'e2e-{second_name}' rolled back (ROLLBACK_COMPLETE): its creation "
                          "failed, so it holds no instance; `aws cloudformation describe-stack-events --stack-name "
                          f"e2e-{second_name}` says why (its first CREATE_FAILED), then delete the stack and deploy "
                          "again\n")

    again = failed_deploy(emulator, second_name, NameSuffix=f"E2e{second_name}")  # fixed, but too late
    assert "is in ROLLBACK_COMPLETE state and can not be updated" in again
    emulator.client("cloudformation").delete_stack(StackName=f"e2e-{second_name}")
    assert stack(emulator, f"e2e-{first_name}")["StackStatus"] == "CREATE_COMPLETE"
    assert stack_resources(emulator, f"e2e-{first_name}") == resources_before
    queues = emulator.client("sqs").list_queues(QueueNamePrefix=f"SfnResume-E2e{first_name}")["QueueUrls"]
    assert [url.rsplit("/", 1)[1] for url in queues] == [f"SfnResume-E2e{first_name}-DLQ"]
    assert first.deployment.table_name in emulator.client("dynamodb").list_tables()["TableNames"]
    hand_over(first, "after-the-collision")


def test_an_update_that_would_replace_the_custom_named_resume_machine_rolls_back(emulator, tmp_path):
    # No Parameter of ours does this any more (a machine name per type: tests/test_updates.py proves every change
    # safe); a template edited by hand to change the machine's type under its name is what AWS refuses.
    name = emulator.new_name()
    instance = deploy_instance(emulator, name=name)
    sfn = emulator.client("stepfunctions")
    resume_machine = instance.deployment.outputs["ResumeStateMachineArn"]
    edited = load_yaml(GENERIC_TEMPLATE)
    machine = edited["Resources"]["ResumeStateMachine"]["Properties"]
    machine["StateMachineType"] = "EXPRESS"
    machine["StateMachineName"] = {"Fn::Sub": "SfnResume-${NameSuffix}"}
    (template := tmp_path / "edited.yaml").write_text(json.dumps(edited))

    failed_deploy(emulator, name, template=template)
    after = stack(emulator, f"e2e-{name}")
    assert after["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert {o["OutputKey"]: o["OutputValue"] for o in after["Outputs"]} == instance.deployment.outputs
    [failed] = [e for e in stack_events(emulator, f"e2e-{name}") if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert (failed["LogicalResourceId"], failed["ResourceStatusReason"]) == (
        "ResumeStateMachine", REPLACEMENT_REFUSED.format(name=f"SfnResume-E2e{name}"))
    assert sfn.describe_state_machine(stateMachineArn=resume_machine)["type"] == "STANDARD"
    hand_over(instance, "after-the-refused-update")


def test_a_new_name_suffix_is_refused_by_the_emulator_which_cannot_replace_resources(emulator):
    name = emulator.new_name()
    instance = deploy_instance(emulator, name=name)
    failed_deploy(emulator, name, NameSuffix=f"Renamed{name}")
    assert stack(emulator, f"e2e-{name}")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    [failed] = [e for e in stack_events(emulator, f"e2e-{name}") if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert failed["ResourceStatusReason"].startswith(RENAME_NOT_EMULATED.split("{")[0])
    hand_over(instance, "after-the-refused-rename")


def test_an_update_of_the_log_level_reaches_both_machines(emulator):
    name = emulator.new_name()
    instance = deploy_instance(emulator, name=name, LogLevel="ERROR")
    sfn = emulator.client("stepfunctions")
    machines = [instance.deployment.outputs[f"{kind}StateMachineArn"] for kind in ("Pause", "Resume")]

    def logging() -> list[tuple]:
        described = [sfn.describe_state_machine(stateMachineArn=arn) for arn in machines]
        return [(d["loggingConfiguration"]["level"], d["loggingConfiguration"]["includeExecutionData"],
                 d["tracingConfiguration"]["enabled"], len(d["loggingConfiguration"]["destinations"]))
                for d in described]

    assert logging() == [("ERROR", False, True, 1)] * 2
    updated = deploy_instance(emulator, name=name, LogLevel="ALL")
    assert stack(emulator, f"e2e-{name}")["StackStatus"] == "UPDATE_COMPLETE"
    assert logging() == [("ALL", False, True, 1)] * 2
    hand_over(updated, "after-the-update")


def test_stack_events_tell_each_resource_created(emulator):
    name = emulator.new_name()
    deploy_instance(emulator, name=name)
    resources = stack_resources(emulator, f"e2e-{name}")
    events = stack_events(emulator, f"e2e-{name}")[::-1]  # oldest first
    for resource in resources:
        mine = [e for e in events if e["LogicalResourceId"] == resource["LogicalResourceId"]]
        assert [e["ResourceStatus"] for e in mine] == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"], mine
        assert mine[-1]["PhysicalResourceId"] == resource["PhysicalResourceId"]
    own = [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == f"e2e-{name}"]
    # a stack made by a change set (`aws cloudformation deploy`) is first under review
    assert own == (["REVIEW_IN_PROGRESS"] if emulator.mode == "server" else []) + [
        "CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert (events[-1]["LogicalResourceId"], events[-1]["ResourceStatus"]) == (f"e2e-{name}", "CREATE_COMPLETE")
    assert events[len(own) - 2]["ResourceStatus"] == "CREATE_IN_PROGRESS"  # the stack's, before any resource's


def test_test_event_pattern_answers_with_the_instance_pattern(emulator):
    name = emulator.new_name()
    instance = deploy_instance(emulator, name=name)
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack(emulator, f"e2e-{name}")["Parameters"]}
    success, failure = (dict(sample_event(kind), source=instance.source) for kind in ("success", "failure"))

    def result(pattern: str, event: dict) -> bool:
        if emulator.mode == "server":
            answer = emulator.cli("events", "test-event-pattern", "--event-pattern", pattern,
                                  "--event", json.dumps(event))
            return json.loads(answer)["Result"]
        return emulator.client("events").test_event_pattern(EventPattern=pattern, Event=json.dumps(event))["Result"]

    assert result(parameters["EventPattern"], success) is True
    assert result(parameters["EventPattern"], failure) is False
    assert result(parameters["FailureEventPattern"], failure) is True


def test_an_update_turning_the_alarms_off_and_the_dashboard_on_is_applied(emulator):
    name = emulator.new_name()
    deploy_instance(emulator, name=name)
    cloudwatch, sns = emulator.client("cloudwatch"), emulator.client("sns")

    def alarms() -> list[str]:
        return sorted(a["AlarmName"] for a in cloudwatch.describe_alarms(
            AlarmNamePrefix=f"SfnResume-E2e{name}-")["MetricAlarms"])

    def topics() -> list[str]:
        return [t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"] if f"E2e{name}-" in t["TopicArn"]]

    def dashboards() -> list[str]:
        return [d["DashboardName"] for d in cloudwatch.list_dashboards(
            DashboardNamePrefix=f"SfnResume-E2e{name}")["DashboardEntries"]]

    assert (alarms(), topics(), dashboards()) == (
        [f"SfnResume-E2e{name}-EventsUndelivered", f"SfnResume-E2e{name}-RunsFailed"], [f"SfnResume-E2e{name}-Alarms"],
        [])
    deploy_instance(emulator, name=name, CreateAlarms="false", CreateDashboard="true")
    assert stack(emulator, f"e2e-{name}")["StackStatus"] == "UPDATE_COMPLETE"
    assert (alarms(), topics(), dashboards()) == ([], [], [f"SfnResume-E2e{name}-{REGION}"])  # one per region


def test_a_nested_stack_that_fails_fails_its_parent(in_process_emulator):
    """A child stack (TemplateURL in S3, as `aws cloudformation package` writes it) whose queue name another stack
    holds: the child rolls back and is deleted, the parent fails on it and rolls back."""
    aws = in_process_emulator
    cfn, s3 = aws.client("cloudformation"), aws.client("s3")
    queue = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "held"}}}}
    cfn.create_stack(StackName="holder", TemplateBody=json.dumps(queue))
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="child.json", Body=json.dumps(queue).encode())
    parent = {"Resources": {"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {
        "TemplateURL": "https://artifacts.s3.amazonaws.com/child.json"}}}}
    cfn.create_stack(StackName="parent", TemplateBody=json.dumps(parent))

    assert stack(aws, "parent")["StackStatus"] == "ROLLBACK_COMPLETE"
    [failed] = [e for e in stack_events(aws, "parent") if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed["LogicalResourceId"] == "Child"
    assert failed["ResourceStatusReason"].startswith("Embedded stack arn:aws:cloudformation:")
    assert failed["ResourceStatusReason"].endswith(
        "was not successfully created: The following resource(s) failed to create: [Queue]. "
        "Rollback requested by user.")
    children = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] not in ("holder", "parent")]
    assert [s["StackStatus"] for s in children] == ["DELETE_COMPLETE"]
    assert stack(aws, "holder")["StackStatus"] == "CREATE_COMPLETE"
    assert [url.rsplit("/", 1)[1] for url in aws.client("sqs").list_queues()["QueueUrls"]] == ["held"]
