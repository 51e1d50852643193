"""Parent templates with one child stack per instance, each child the generic template unchanged: one child
template per removal policy the instances ask for (DeletionPolicy takes no Parameter; the transform that would
allow it, AWS::LanguageExtensions, is unknown to the emulator and needs CAPABILITY_AUTO_EXPAND)."""

from __future__ import annotations

from collections.abc import Mapping

from troposphere import GetAtt, Tags, Template
from troposphere.cloudformation import Stack

from . import names
from .config import Config, InstanceConfig
from .options import PARAMETERS, REMOVAL_POLICIES, parameter_values
from .resources import add_exported_output
from .template import new_template

#: The child template for each removal policy, by file name, written beside the parent (DESTROY's is the
#: generic template as shipped: templates/sfn-resume.yaml; RETAIN's is templates/sfn-resume-retain.yaml).
CHILD_TEMPLATES = {
    policy: "sfn-resume.yaml" if policy == "DESTROY" else f"sfn-resume-{policy.lower().replace('_', '-')}.yaml"
    for policy in REMOVAL_POLICIES
}
#: CloudFormation's limit of outputs per template.
MAX_OUTPUTS = 200
#: Child outputs surfaced by the parent as `<prefix><key>`: every output of the child, most useful first. When
#: every instance's outputs do not fit the parent's 200, it surfaces the first ones that do, the same for every
#: child (the rest stay in the child stacks). AlarmTopicArn only for an instance with alarms (the child has it then).
SURFACED_OUTPUTS = (
    names.OUTPUT_PAUSE_STATE,
    names.OUTPUT_PAUSE_STATE_JSONATA,
    names.OUTPUT_PAUSE_STATE_POLICY_ARN,
    names.OUTPUT_PAUSE_STATE_MACHINE_ARN,
    names.OUTPUT_RESUME_STATE_MACHINE_ARN,
    names.OUTPUT_TABLE_NAME,
    names.OUTPUT_TABLE_ARN,
    names.OUTPUT_DEAD_LETTER_QUEUE_URL,
    names.OUTPUT_ALARM_TOPIC_ARN,
)


def generic_parameters(config: InstanceConfig) -> dict[str, str]:
    """The generic template's Parameter values that reproduce `config` (what `--parameter-overrides` takes), from
    the table of options."""
    return parameter_values(config)


def include_parameters(config: InstanceConfig) -> dict:
    """The generic template's Parameter values that `config` sets, for AWS CDK's `CfnInclude(parameters=...)`.

    CfnInclude writes each value given in place of the Parameter's every `Ref`, so a value left at its default is
    left out (it stays the stack's Parameter: an empty default written into an `Fn::If` branch CloudFormation never
    takes is an error to cfn-lint), and a CommaDelimitedList is a list (its `Ref` is one).
    """
    values = {}
    for name, value in generic_parameters(config).items():
        properties = PARAMETERS[name].parameter_properties()
        if "Default" not in properties or value != str(properties["Default"]):
            values[name] = value.split(",") if properties["Type"] == "CommaDelimitedList" else value
    return values


def add_sfn_resume_stack(parent: Template, config: InstanceConfig, template_url: str,
                         outputs: tuple[str, ...] = SURFACED_OUTPUTS) -> Stack:
    """Add one instance to `parent` as a child stack of the generic template at `template_url` (built with the
    instance's removal policy: CHILD_TEMPLATES), and surface the child's `outputs` as `<prefix><key>` (exported
    as `${AWS::StackName}-<prefix><key>`)."""
    prefix = names.logical_prefix(config.nameSuffix)
    stack = parent.add_resource(Stack(
        prefix + names.CHILD_STACK,
        # A relative TemplateURL is what `aws cloudformation package` uploads and rewrites: by design here.
        Metadata={"cfn-lint": {"config": {"ignore_checks": ["W3002"]}}},
        # Deleting the child stack deletes its table or keeps it, as the child's own DeletionPolicy says.
        DeletionPolicy="Delete",
        UpdateReplacePolicy="Delete",
        TemplateURL=template_url,
        Parameters=generic_parameters(config),
        Tags=Tags(**config.tags) if config.tags else Tags(),
    ))
    for key in outputs:
        if key == names.OUTPUT_ALARM_TOPIC_ARN and not config.alarms:
            continue  # the child's output exists only with alarms
        add_exported_output(parent, prefix + key, GetAtt(stack, f"Outputs.{key}"),
                            f"{key} of the {config.nameSuffix} child stack.")
    return stack


def build_parent_template(config: Config, child_template_urls: Mapping[str, str] = CHILD_TEMPLATES) -> Template:
    """A parent of one child stack per instance; `child_template_urls` gives the child template of each removal
    policy (relative file names for `aws cloudformation package`, or S3 URLs)."""
    parent = new_template(" (parent: one child stack per instance)")
    outputs = surfaced_outputs(len(config.instances))
    for instance in config.instances:
        add_sfn_resume_stack(parent, instance, child_template_urls[instance.removalPolicy], outputs)
    return parent


def child_templates(config: Config) -> dict[str, str]:
    """{file name: removal policy} of the child templates a parent of `config` needs, in the policies' order."""
    wanted = {instance.removalPolicy for instance in config.instances}
    return {CHILD_TEMPLATES[policy]: policy for policy in REMOVAL_POLICIES if policy in wanted}


def surfaced_outputs(instances: int) -> tuple[str, ...]:
    """The child outputs a parent of `instances` children can surface within CloudFormation's 200."""
    return SURFACED_OUTPUTS[:max(1, MAX_OUTPUTS // instances)]
