"""`SfnResume`, the AWS CDK v2 construct (Python): one instance in a CDK stack, and the pause state to chain into a
workflow. Needs the `cdk` extra (`pip install 'sfn-resume[cdk]'`: aws-cdk-lib and constructs, which run on Node).

The construct builds nothing of its own: its resources are what `add_sfn_resume` builds for the same config (the
config file's keys, defaults and validation), each added as a CloudFormation resource with its logical ID kept,
and its pause state is `pause_state`'s. Two things are the construct's:

- the pause state finds its pause machine by name, and the workflow's role is granted it by an ARN built from that
  name: a workflow then does not depend on the instance, so the instance may depend on the workflow (answers
  limited to it: `allow_workflows`, or tokens in `allowedStateMachineArns`) without a dependency cycle;
- the workflow's role gets the instance's pause-state statements when the state is bound to the workflow's graph,
  as CDK's own task states grant theirs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from . import asl, names
from .config import ConfigError, InstanceConfig, load_config, parse_config
from .template import add_sfn_resume, new_template, pause_state

#: The config key whose values may be CDK tokens (e.g. `workflow.state_machine_arn`, `Stack.format_arn(...)`).
TOKEN_KEY = "allowedStateMachineArns"
#: cfn-lint rules that CDK's own output breaks, whatever the app: a gate over a synthesized template leaves these
#: out, and only these (the construct's resources pass every rule, as `sfn-resume synth CONFIG`'s do).
CDK_LINT_SUPPRESSIONS = {
    "I1022": "informational: CDK writes ARNs (Stack.format_arn) and definitions holding tokens with Fn::Join, "
             "where the rule prefers Fn::Sub",
    "W3005": "CDK gives a state machine a DependsOn on its role, which its RoleArn's Fn::GetAtt already orders",
}
#: What `CfnInclude(parameters=...)` adds to those: it writes each value given in place of its Parameter's every
#: `Ref` and removes the Parameter, which the generic template's conditions, names and console metadata name.
CFN_INCLUDE_LINT_SUPPRESSIONS = {
    **CDK_LINT_SUPPRESSIONS,
    "W8003": "a condition on a given Parameter compares two literals: always true or always false",
    "W1020": "an Fn::Sub of a given Parameter (a name, a pattern) has no variable left",
    "W4001": "the console's parameter groups and labels name the Parameters CfnInclude removed",
}


class SfnResume(Construct):
    """One sfn-resume instance: its table, pause and resume machines, rules, queue, roles, alarms.

    `config` is a config file's path (YAML or JSON; `instance` picks one when it holds several) or a dict of one
    instance's keys. A mistake raises `ConfigError` here, each problem prefixed with the construct's path.
    """

    def __init__(self, scope: Construct, id: str, *, config: str | Path | dict, instance: str | None = None) -> None:
        super().__init__(scope, id)
        literal, tokens = _instance_config(config, instance, self.node.path)
        _check_unique(self, literal)
        self.config = literal
        self._answerable = list(literal.allowedStateMachineArns) + tokens
        self._workflows: list[sfn.IStateMachine] = []
        self._stack = cdk.Stack.of(self)
        answerable = cdk.Lazy.list(_Producer(self._answerable_arns))
        template = new_template()
        built = add_sfn_resume(template, dataclasses.replace(literal, allowedStateMachineArns=tuple(answerable)))
        rendered = template.to_dict()
        prefix = built.prefix
        #: Each resource by its logical ID (as in `sfn-resume synth CONFIG`), a `CfnResource`.
        self.resources = {logical_id: _add_resource(self, logical_id.removeprefix(prefix), logical_id, resource)
                          for logical_id, resource in rendered["Resources"].items()}
        for key, output in rendered.get("Outputs", {}).items():  # `sfn-resume status --stack` reads them
            cdk.CfnOutput(self, key, value=cdk.Token.as_string(output["Value"]), description=output["Description"],
                          export_name=cdk.Token.as_string(output["Export"]["Name"])).override_logical_id(key)
        pause_machine = names.physical_name("pause state machine", literal.nameSuffix)
        self._pause_machine_arn = self._stack.format_arn(service="states", resource="stateMachine",
                                                         resource_name=pause_machine,
                                                         arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)
        policy = rendered["Resources"][built.resources.pause_state_policy.title]
        own_arn = {"Ref": built.resources.pause_state_machine.title}
        self._workflow_statements = [_workflow_statement(_replaced(statement, own_arn, self._pause_machine_arn), prefix)
                                     for statement in policy["Properties"]["PolicyDocument"]["Statement"]]
        created = {role: self.resources[resource.title] for role, resource in vars(built.resources).items()
                   if resource is not None}
        #: The instance's names and ARNs, as tokens.
        self.table_name: str = created["table"].ref
        self.table_arn: str = created["table"].get_att("Arn").to_string()
        self.pause_state_machine_arn: str = created["pause_state_machine"].get_att("Arn").to_string()
        self.resume_state_machine_arn: str = created["resume_state_machine"].get_att("Arn").to_string()
        #: None where the instance has no failure pattern
        self.fail_state_machine_arn: str | None = (created["fail_state_machine"].get_att("Arn").to_string()
                                                   if "fail_state_machine" in created else None)
        self.dead_letter_queue_url: str = created["dead_letter_queue"].ref

    def pause(self, scope: Construct, id: str, *, query_language: str | sfn.QueryLanguage = asl.JSONPATH,
              comment: str | None = None) -> sfn.CustomState:
        """The pause state, named `id`, to chain like any state (`.next(...)`, `add_catch`, `add_retry`); JSONPath,
        or JSONata (`query_language`). The workflow it is bound to gets the statements the pause needs."""
        language = str(getattr(query_language, "value", query_language)).lower()  # the enum's value: "JSONATA"
        if language not in asl.QUERY_LANGUAGES:
            raise ConfigError([f"{self.node.path}: pause {id!r}: query_language: {query_language!r} is not allowed; "
                               f"expected one of {', '.join(asl.QUERY_LANGUAGES)} (or sfn.QueryLanguage)"])
        state = pause_state(self.config, partition=cdk.Aws.PARTITION, query_language=language, end=False)
        if comment is not None:
            state["Comment"] = comment
        statements = [iam.PolicyStatement.from_json(statement) for statement in self._workflow_statements]
        return _PauseState(scope, id, state_json=state, statements=statements)

    def allow_workflows(self, *workflows: sfn.IStateMachine) -> None:
        """Answer only these workflows' pauses (with the config's `allowedStateMachineArns`, if any): without
        either, any workflow in the stack's account and region."""
        self._workflows.extend(workflows)

    def _answerable_arns(self) -> list[str]:
        arns = self._answerable + [workflow.state_machine_arn for workflow in self._workflows]
        return arns or [self._stack.format_arn(service="states", resource="stateMachine", resource_name="*",
                                               arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)]


class _PauseState(sfn.CustomState):
    """A CustomState that grants its statements to the workflow it is bound to (as CDK's task states do)."""

    def __init__(self, scope: Construct, id: str, *, state_json: dict, statements: list) -> None:
        super().__init__(scope, id, state_json=state_json)
        self._statements = statements

    def bind_to_graph(self, graph: sfn.StateGraph) -> None:
        super().bind_to_graph(graph)
        for statement in self._statements:
            graph.register_policy_statement(statement)


@jsii.implements(cdk.IStableListProducer)
class _Producer:
    def __init__(self, function) -> None:
        self._function = function

    def produce(self) -> list[str]:
        return self._function()


def _instance_config(config, instance: str | None, path: str) -> tuple[InstanceConfig, list[str]]:
    """The validated instance, and the tokens its `allowedStateMachineArns` held (validated as ARNs at deploy
    time, by IAM); ConfigError's problems are prefixed with the construct's `path`."""
    if isinstance(config, (str, Path)):
        loaded = _prefixed(path, load_config, config)
        tokens = []
    elif isinstance(config, dict):
        data, tokens = _without_tokens(config)
        loaded = _prefixed(path, parse_config, data, source=path)
    else:
        raise ConfigError([f"{path}: config: {type(config).__name__} is not allowed; expected a config file's path "
                           "or a dict of one instance's keys"])
    chosen = [i for i in loaded.instances if instance in (None, i.nameSuffix)]
    if len(chosen) != 1:
        held = ", ".join(i.nameSuffix for i in loaded.instances)
        raise ConfigError([f"{path}: instance: missing; {config} holds several instances ({held}): name one"
                           if instance is None else f"{path}: instance: {instance!r} is not in {config}; "
                           f"choose one of {held}"])
    return chosen[0], tokens


def _prefixed(path: str, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except ConfigError as error:
        raise ConfigError([problem if problem.startswith(path) else f"{path}: {problem}"
                           for problem in error.problems]) from None


def _without_tokens(config: dict) -> tuple[dict, list[str]]:
    """`config` without the CDK tokens of `allowedStateMachineArns`, and those tokens."""
    arns = config.get(TOKEN_KEY)
    if not isinstance(arns, (list, tuple)):
        return config, []
    tokens = [arn for arn in arns if isinstance(arn, str) and cdk.Token.is_unresolved(arn)]
    return {**config, TOKEN_KEY: [arn for arn in arns if arn not in tokens]}, tokens


def _check_unique(construct: SfnResume, config: InstanceConfig) -> None:
    """Two instances of one stack need their own nameSuffix: it names their resources and logical IDs."""
    prefix = names.logical_prefix(config.nameSuffix)
    for other in cdk.Stack.of(construct).node.find_all():
        if isinstance(other, SfnResume) and other is not construct and \
                names.logical_prefix(other.config.nameSuffix) == prefix:
            raise ConfigError([f"{construct.node.path}: nameSuffix: {config.nameSuffix!r} gives the same logical IDs "
                               f"as {other.config.nameSuffix!r} of {other.node.path}; every instance of a stack "
                               "needs its own nameSuffix (they differ in their letters and digits)"])


def _add_resource(scope: Construct, id: str, logical_id: str, resource: dict) -> cdk.CfnResource:
    """`resource` (a template's resource) as a CfnResource with its logical ID kept: a stack moved from
    `sfn-resume synth CONFIG` to the construct keeps its table."""
    added = cdk.CfnResource(scope, id, type=resource["Type"], properties=resource.get("Properties"))
    added.override_logical_id(logical_id)
    for attribute, value in resource.items():
        if attribute == "Metadata":
            for key, entry in value.items():
                added.add_metadata(key, entry)
        elif attribute not in ("Type", "Properties"):
            added.add_override(attribute, value)
    return added


def _workflow_statement(statement: dict, prefix: str) -> dict:
    """A statement of the pause-state policy for a workflow's role, which may hold another instance's: its Sid
    made unique (IAM wants one per policy), its resources as strings (`PolicyStatement.from_json` wants them so)."""
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    return {**statement, "Sid": prefix + statement["Sid"],
            "Resource": [arn if isinstance(arn, str) else cdk.Token.as_string(arn) for arn in resources]}


def _replaced(node, old, new):
    """`node` with each value equal to `old` replaced by `new`."""
    if node == old:
        return new
    if isinstance(node, dict):
        return {key: _replaced(value, old, new) for key, value in node.items()}
    if isinstance(node, list):
        return [_replaced(value, old, new) for value in node]
    return node


__all__ = ["CDK_LINT_SUPPRESSIONS", "CFN_INCLUDE_LINT_SUPPRESSIONS", "SfnResume"]
