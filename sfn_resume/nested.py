"""Parent templates with one child stack per instance, each child the generic template unchanged."""

from __future__ import annotations

import json

from troposphere import Export, GetAtt, Output, Sub, Tags, Template
from troposphere.cloudformation import Stack

from . import names
from .config import Config, ConfigError, InstanceConfig
from .template import GENERIC_PARAMETERS, new_template

#: The child template's file name, written beside the parent.
CHILD_TEMPLATE = "sfn-resume.yaml"
#: CloudFormation's limit of outputs per template.
MAX_OUTPUTS = 200
#: Child outputs surfaced by the parent as `<prefix><key>`, most useful first: when every instance's outputs
#: do not fit the parent's 200, it surfaces the first ones that do (the rest stay in the child stacks).
SURFACED_OUTPUTS = (
    names.OUTPUT_PAUSE_STATE,
    names.OUTPUT_PAUSE_STATE_POLICY_ARN,
    names.OUTPUT_TABLE_NAME,
    names.OUTPUT_TABLE_ARN,
    names.OUTPUT_RESUME_STATE_MACHINE_ARN,
    names.OUTPUT_DEAD_LETTER_QUEUE_URL,
)


def generic_parameters(config: InstanceConfig) -> dict[str, str]:
    """The generic template's Parameter values that reproduce `config` (what `--parameter-overrides` takes)."""
    values = {
        "NameSuffix": config.nameSuffix,
        "PathToIdPauseTask": config.pathToIdPauseTask,
        "PathToIdWorkflow": config.pathToIdWorkflow,
        "EventPattern": json.dumps(config.eventPattern, separators=(",", ":")),
        "FailureEventPattern": json.dumps(config.failureEventPattern, separators=(",", ":"))
        if config.failureEventPattern else "",
        "TimeoutSeconds": str(config.timeoutSeconds),
        "HeartbeatSeconds": str(config.heartbeatSeconds or 0),
        "ResultPath": config.resultPath or "",
        "ResumeWorkflowType": config.resumeWorkflowType,
        "EventRetentionSeconds": str(config.eventRetentionSeconds),
        "LogRetentionDays": str(config.logRetentionDays),
        "LogLevel": config.logLevel,
        "KmsKeyArn": config.kmsKeyArn or "",
        "AnswerableStateMachineArns": ",".join(config.allowedStateMachineArns),
        "LegacyPauseAccess": str(config.legacyPauseAccess).lower(),
    }
    assert list(values) == list(GENERIC_PARAMETERS)  # one value per Parameter, in order
    return values


def nested_problems(config: Config, source: str) -> list[str]:
    """What a child stack of the generic template cannot express."""
    return [
        f"{source}: {instance.nameSuffix}: removalPolicy: {instance.removalPolicy!r} needs a flat template "
        "(the generic child template's DeletionPolicy is DESTROY, and DeletionPolicy takes no Parameter)"
        for instance in config.instances if instance.removalPolicy != "DESTROY"
    ]


def add_sfn_resume_stack(parent: Template, config: InstanceConfig, template_url: str,
                         outputs: tuple[str, ...] = SURFACED_OUTPUTS) -> Stack:
    """Add one instance to `parent` as a child stack of the generic template at `template_url`, and surface
    the child's `outputs` as `<prefix><key>` (exported as `${AWS::StackName}-<prefix><key>`)."""
    prefix = names.logical_prefix(config.nameSuffix)
    stack = parent.add_resource(Stack(
        prefix + names.CHILD_STACK,
        # A relative TemplateURL is what `aws cloudformation package` uploads and rewrites: by design here.
        Metadata={"cfn-lint": {"config": {"ignore_checks": ["W3002"]}}},
        # The child's own table is DESTROY (see nested_problems): deleting the child follows it.
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        TemplateURL=template_url,
        Parameters=generic_parameters(config),
        Tags=Tags(**config.tags) if config.tags else Tags(),
    ))
    for key in outputs:
        parent.add_output(Output(
            prefix + key,
            Description=f"{key} of the {config.nameSuffix} child stack.",
            Value=GetAtt(stack, f"Outputs.{key}"),
            Export=Export(Sub("${AWS::StackName}-" + prefix + key)),
        ))
    return stack


def build_parent_template(config: Config, child_template_url: str = CHILD_TEMPLATE, source: str = "config") -> Template:
    problems = nested_problems(config, source)
    if problems:
        raise ConfigError(problems)
    parent = new_template(" (parent: one child stack per instance)")
    outputs = surfaced_outputs(len(config.instances))
    for instance in config.instances:
        add_sfn_resume_stack(parent, instance, child_template_url, outputs)
    return parent


def surfaced_outputs(instances: int) -> tuple[str, ...]:
    """The child outputs a parent of `instances` children can surface within CloudFormation's 200."""
    return SURFACED_OUTPUTS[:max(1, MAX_OUTPUTS // instances)]
