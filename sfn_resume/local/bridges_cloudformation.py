"""Bridges for moto 5.2.5's CloudFormation engine: change sets (outputs, previous Parameter values), `Fn::Sub`,
YAML short forms, `AWS::NoValue` in lists, stack updates, nested stacks' outputs and alarms (gaps 4, 6 and 17-24 in
docs/EMULATOR.md). The engine itself (resource map, intrinsic functions, dependency order) is kept."""
from __future__ import annotations

import re
from typing import Any

from sfn_resume.local.patching import Patches, bridge

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def substitute(template: str, variables: dict[str, Any], resolve) -> str:
    """`Fn::Sub` as CloudFormation defines it: only `${Name}` is replaced (a variable of the list form, else a
    parameter, resource or pseudo parameter, `${Logical.Attr}` a GetAtt); `${!Text}` gives `${Text}`; every
    other `$` (`$$.Task.Token`, `$[0]`, `$states`) is left alone. `resolve(name)` returns None when unknown,
    and the placeholder is then kept as is."""

    def replace(match: re.Match) -> str:
        inner = match.group(1)
        if inner.startswith("!"):
            return "${" + inner[1:] + "}"
        if inner in variables:
            return str(variables[inner])
        value = resolve(inner)
        return match.group(0) if value is None else str(value)

    return _PLACEHOLDER.sub(replace, template)


@bridge("cfn-sub-list-form", gap="6: Fn::Sub list form runs string.Template ($$.Task.Token becomes $.Task.Token)")
def bridge_cfn_sub(patches: Patches) -> None:
    """Evaluate `Fn::Sub` (both forms) with CloudFormation's rules instead of Python's `string.Template`.

    moto's list form passes the text through `string.Template.safe_substitute`, which turns `$$` into `$` and
    would also replace a bare `$Name`. `clean_json` is the engine's recursive evaluator and calls itself
    through the module global, so wrapping that global routes every nested `Fn::Sub` here.

    Gap 6 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.cloudformation import parsing

    def resolve(name: str, resources_map) -> Any:
        try:
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return parsing.clean_json({"Fn::GetAtt": [logical_id, attribute]}, resources_map)
            return parsing.clean_json({"Ref": name}, resources_map)
        except KeyError:
            return None

    def clean_json(inner, resource_json: Any, resources_map) -> Any:
        if isinstance(resource_json, dict) and "Fn::Sub" in resource_json and "Ref" not in resource_json:
            value = resource_json["Fn::Sub"]
            variables: dict[str, Any] = {}
            if isinstance(value, list):
                value, raw_variables = value
                variables = {k: parsing.clean_json(v, resources_map) for k, v in raw_variables.items()}
            text = parsing.clean_json(value, resources_map)
            return substitute(text, variables, lambda name: resolve(name, resources_map))
        return inner(resource_json, resources_map)

    patches.wrap(parsing, "clean_json", clean_json)  # with cfn-novalue-in-lists


@bridge("cfn-change-set-outputs", gap="4: after ExecuteChangeSet (aws cloudformation deploy) the stack has no Outputs/Exports")
def bridge_cfn_change_set_outputs(patches: Patches) -> None:
    """After a change set is executed, give the stack the change set's template, parameters and outputs, and
    register its exports, as `create_stack`/`update_stack` do.

    moto's `execute_change_set` applies the resources but leaves the stack with the empty template it was
    created with at `CreateChangeSet`, so the output map stays empty.

    Gap 4 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.execute_change_set

    def execute_change_set(self, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self.describe_change_set(change_set_name)
        stack = self.stacks[change_set.stack_id]
        # a stack born from a CREATE change set has no view of the region's exports (Fn::ImportValue)
        stack.resource_map.cross_stack_resources = self.exports
        original(self, change_set_name, stack_name)
        stack.template = change_set.template
        stack.template_dict = change_set.template_dict
        stack.description = change_set.template_dict.get("Description")
        if change_set.parameters:
            stack.parameters = change_set.parameters
        stack.cross_stack_resources = self.exports
        for name in [name for name, export in self.exports.items() if export.exporting_stack_id == stack.stack_id]:
            self.exports.pop(name)
        stack.output_map = stack._create_output_map()
        self._validate_export_uniqueness(stack)
        for export in stack.exports:
            self.exports[export.name] = export

    patches.set(CloudFormationBackend, "execute_change_set", execute_change_set)


@bridge("cfn-nested-stack-outputs", gap="17: Fn::GetAtt Child.Outputs.X on an AWS::CloudFormation::Stack raises AttributeError")
def bridge_cfn_nested_stack_outputs(patches: Patches) -> None:
    """Give moto's nested `Stack` resource the `Outputs.<Key>` attribute CloudFormation defines for it.

    moto 5.2.5 creates child stacks from `TemplateURL` but its `Stack` model has no `get_cfn_attribute`, so a
    parent that surfaces a child's outputs (what `sfn-resume synth --nested` writes) fails to create.

    Gap 17 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.cloudformation.models import Stack

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name.startswith("Outputs."):
            key = attribute_name[len("Outputs."):]
            for output in self.output_map.values():
                if output and output.key == key:
                    return output.value
        raise UnformattedGetAttTemplateException()

    patches.set(Stack, "get_cfn_attribute", get_cfn_attribute)


def parameter_text(value: Any) -> str:
    """A resolved Parameter value as the text a user gives: a list joined by commas, a number as digits."""
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


@bridge("cfn-previous-parameter-values", gap="19: UsePreviousValue copies the resolved value (a list, a number), "
                                               "so updating a stack with a CommaDelimitedList Parameter fails")
def bridge_cfn_previous_parameter_values(patches: Patches) -> None:
    """Give a change set's previous Parameter values as text, as they were given, not as moto resolved them.

    `aws cloudformation deploy` on an existing stack passes `UsePreviousValue` for every Parameter it does not
    override; moto copies `stack_parameters`, where a CommaDelimitedList is already a list and a Number an int, and
    the update then fails resolving them again ('list' object has no attribute 'split'), leaving the stack in
    UPDATE_IN_PROGRESS.

    Gap 19 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.create_change_set

    def create_change_set(self, *args, **kwargs):
        if kwargs.get("parameters"):
            kwargs["parameters"] = {key: parameter_text(value) for key, value in kwargs["parameters"].items()}
        return original(self, *args, **kwargs)

    patches.set(CloudFormationBackend, "create_change_set", create_change_set)


@bridge("cfn-yaml-short-forms", gap="20: YAML `!GetAtt [Logical, Attribute]` (the list form) reaches the engine as "
                                      "YAML nodes, and `!Condition Name` as an unknown `Fn::Condition`")
def bridge_cfn_yaml_short_forms(patches: Patches) -> None:
    """Read `!GetAtt [Logical, Attribute]` as CloudFormation does, like `!GetAtt Logical.Attribute`, and
    `!Condition Name` as `{"Condition": Name}`.

    moto's YAML tag constructor returns the list form's raw `ScalarNode`s, so the resource lookup fails ("references
    undefined resource ScalarNode(...)"); the templates use the list form because cfn-guard misreads the other
    (sfn_resume/render.py). It also turns every tag into `Fn::<tag>`, so a condition made of other conditions
    (`!And [!Condition A, !Not [!Condition B]]`) meets `Fn::Condition`, which it cannot evaluate: always false.

    Gap 20 in docs/EMULATOR.md (what AWS does, the source).
    """
    import yaml
    from moto.cloudformation import models, responses, utils

    original = utils.yaml_tag_constructor

    def yaml_tag_constructor(loader: Any, tag: Any, node: Any) -> Any:
        if tag == "!GetAtt" and isinstance(node, yaml.SequenceNode):
            return {"Fn::GetAtt": loader.construct_sequence(node)}
        if tag == "!Condition":
            return {"Condition": loader.construct_scalar(node)}
        return original(loader, tag, node)

    for module in (utils, models, responses):
        patches.set(module, "yaml_tag_constructor", yaml_tag_constructor)


@bridge("cfn-templates-parsed-by-libyaml", gap="41: CloudFormation reads every template with PyYAML's pure-Python "
                                                "parser")
def bridge_cfn_templates_parsed_by_libyaml(patches: Patches) -> None:
    """Parse moto's templates with libyaml, PyYAML's C parser, into the same data.

    moto's CloudFormation calls `yaml.load(text, Loader=yaml.Loader)` at every CreateStack, UpdateStack and change
    set, some of them twice: in PyYAML's pure-Python parser that was about 0.1 s of CPU for the generic template,
    and over a third of what deploying a stack cost in the emulator. `yaml.CLoader` is the same loader (PyYAML's
    `Constructor` and `Resolver`) on libyaml's parser; it is given the constructors and resolvers moto registers
    on `yaml.Loader` (the CloudFormation tags), at each call, since moto registers them at each call. Without
    libyaml (a PyYAML built without it) moto's own parser is left in place.

    Gap 41 in docs/EMULATOR.md (what AWS does, the source).
    """
    import yaml
    from moto.cloudformation import models, responses

    if not yaml.__with_libyaml__:
        return

    class CfnCLoader(yaml.CLoader):
        """libyaml's parser with the tables of `yaml.Loader` (copied in at each load, as moto adds to them)."""

    class LibYaml:
        """moto's `yaml` module, but a `yaml.Loader` load goes through `CfnCLoader`."""

        def __getattr__(self, name: str) -> Any:
            return getattr(yaml, name)

        @staticmethod
        def load(stream: Any, Loader: Any) -> Any:  # noqa: N803 (yaml.load's own keyword)
            if Loader is yaml.Loader:
                for table in ("yaml_constructors", "yaml_multi_constructors", "yaml_implicit_resolvers"):
                    setattr(CfnCLoader, table, getattr(yaml.Loader, table))
                Loader = CfnCLoader
            return yaml.load(stream, Loader=Loader)

    for module in (models, responses):
        patches.set(module, "yaml", LibYaml())


@bridge("cfn-novalue-in-lists", gap="21: `Ref: AWS::NoValue` in a list (an `Fn::If` on a list item) stays as null")
def bridge_cfn_novalue_in_lists(patches: Patches) -> None:
    """Drop `AWS::NoValue` from lists, as CloudFormation does: a policy statement or a resource ARN that an
    `Fn::If` leaves out is absent, not `null` (which IAM refuses: "Syntax errors in policy").

    moto drops a NoValue mapping key, but keeps a list item as None. The engine's evaluator calls itself through the
    module global `clean_json`, so wrapping it applies at every depth.

    Gap 21 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.cloudformation import parsing

    def clean_json(inner, resource_json: Any, resources_map) -> Any:
        cleaned = inner(resource_json, resources_map)
        if isinstance(resource_json, list) and isinstance(cleaned, list):
            return [item for item in cleaned if item is not None]
        return cleaned

    patches.wrap(parsing, "clean_json", clean_json)  # with cfn-sub-list-form


@bridge("cfn-update-without-handler", gap="22: updating a resource whose type has no update handler (a log group) "
                                            "leaves None in its place: every later GetAtt on it fails")
def bridge_cfn_update_without_handler(patches: Patches) -> None:
    """Keep a modified resource in the stack when moto cannot update its type, as an in-place update would.

    moto's stack update calls `parse_and_update_resource` for each modified resource; for a type without
    `update_from_cloudformation_json` (AWS::Logs::LogGroup, ...) it returns None, which becomes the resource, and
    `Fn::GetAtt [ResumeLogGroup, Arn]` then fails ("references undefined resource"), leaving the stack
    UPDATE_IN_PROGRESS. The emulator keeps the resource as it was (a changed retention is
    not applied: the emulator enforces no retention anyway).

    Gap 22 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.cloudformation import parsing

    def parse_and_update_resource(inner, logical_id, resource_json, resources_map, account_id, region_name):
        updated = inner(logical_id, resource_json, resources_map, account_id, region_name)
        return resources_map[logical_id] if updated is None else updated

    patches.wrap(parsing, "parse_and_update_resource", parse_and_update_resource)



@bridge("cfn-update-conditional-resources", gap="23: a stack update \"modifies\" a resource whose condition was "
                                                  "false (never created): the update fails on None")
def bridge_cfn_update_conditional_resources(patches: Patches) -> None:
    """Create, in a stack update, a changed resource that the stack never created (its condition was false), as
    CloudFormation does when the condition now holds; leave it alone when it still does not.

    moto updates every resource whose template text changed, and calls the type's update handler with the resource
    it never created (None): `'NoneType' object has no attribute 'delete'` for an EventBridge rule, and the stack
    stays UPDATE_IN_PROGRESS. Updating 0.1's stack (whose failure rule is off without a failure pattern) does this.
    The bridge moves such a resource from "Modify" to "Add", which moto creates under the new template's conditions.

    Gap 23 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.cloudformation import parsing

    def build_resource_diff(inner, self, other_template, parameters=None):
        actions = inner(self, other_template, parameters)
        never_created = [name for name in actions["Modify"] if self._parsed_resources.get(name) is None]
        for name in never_created:
            self._parsed_resources.pop(name, None)
            actions["Modify"].remove(name)
            actions["Add"].append(name)
        return actions

    patches.wrap(parsing.ResourceMap, "build_resource_diff", build_resource_diff)


@bridge("cfn-cloudwatch-alarm", gap="24: moto's CloudFormation skips AWS::CloudWatch::Alarm (no model): a stack's "
                                      "alarms do not exist")
def bridge_cfn_cloudwatch_alarm(patches: Patches) -> None:
    """Create, update and delete a stack's CloudWatch alarms through moto's CloudWatch backend, metric-math
    `Metrics` included, as PutMetricAlarm would (moto's CloudWatch API has them; its CloudFormation has no model).

    Gap 24 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.cloudformation import parsing
    from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends

    def query(item: dict) -> MetricDataQuery:
        stat = item.get("MetricStat")
        metric_stat = stat and MetricStat(
            metric=Metric(metric_name=stat["Metric"]["MetricName"], namespace=stat["Metric"]["Namespace"],
                          dimensions=[Dimension(d["Name"], d["Value"]) for d in stat["Metric"].get("Dimensions", [])]),
            period=str(stat["Period"]), stat=stat["Stat"], unit=stat.get("Unit"))
        return MetricDataQuery(query_id=item["Id"], label=item.get("Label"), period=item.get("Period"),
                               return_data=str(item.get("ReturnData", True)).lower() == "true",  # a bool, as the API keeps it
                               expression=item.get("Expression"), metric_stat=metric_stat)

    class CloudFormationAlarm:
        """What the stack keeps for an alarm: its name (Ref) and ARN (GetAtt Arn)."""

        def __init__(self, alarm):
            self.physical_resource_id = alarm.name
            self.arn = alarm.alarm_arn

        def is_created(self) -> bool:
            return True

        @staticmethod
        def cloudformation_name_type() -> str:
            return "AlarmName"

        @staticmethod
        def has_cfn_attr(attribute: str) -> bool:
            return attribute == "Arn"

        def get_cfn_attribute(self, attribute: str) -> str:
            return self.arn

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                            **kwargs):
            p = cloudformation_json["Properties"]
            alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
                name=p.get("AlarmName") or resource_name, namespace=p.get("Namespace"),
                metric_name=p.get("MetricName"), comparison_operator=p["ComparisonOperator"],
                evaluation_periods=int(p["EvaluationPeriods"]), period=p.get("Period"),
                threshold=float(p["Threshold"]), statistic=p.get("Statistic"),
                description=p.get("AlarmDescription"), dimensions=p.get("Dimensions", []),
                alarm_actions=p.get("AlarmActions", []), ok_actions=p.get("OKActions", []),
                metric_data_queries=[query(item) for item in p.get("Metrics", [])] or None,
                datapoints_to_alarm=p.get("DatapointsToAlarm"), treat_missing_data=p.get("TreatMissingData"),
                actions_enabled=p.get("ActionsEnabled", True), tags=p.get("Tags"))
            return cls(alarm)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                            account_id, region_name):
            cls.delete_from_cloudformation_json(original_resource.physical_resource_id, cloudformation_json,
                                                account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id,
                                                       region_name)

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
            cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

        def delete(self, account_id: str, region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([self.physical_resource_id])

    original_class, original_name = parsing.resource_class_from_type, parsing.resource_name_property_from_type
    alarm_type = "AWS::CloudWatch::Alarm"

    def resource_class_from_type(resource_type: str):
        return CloudFormationAlarm if resource_type == alarm_type else original_class(resource_type)

    def resource_name_property_from_type(resource_type: str):
        return "AlarmName" if resource_type == alarm_type else original_name(resource_type)

    patches.set(parsing, "resource_class_from_type", resource_class_from_type)
    patches.set(parsing, "resource_name_property_from_type", resource_name_property_from_type)


@bridge("cfn-tags", gap="30: moto's CloudFormation drops the Tags of AWS::SNS::Topic and AWS::CloudWatch::Dashboard")
def bridge_cfn_tags(patches: Patches) -> None:
    """Tag a stack's SNS topics and CloudWatch dashboards as CloudFormation does (their `Tags` property is
    `[{Key, Value}]`); moto creates both without their tags. Updates go through create, so they are tagged too.
    The dashboard is tagged in the backend's tagger, which ListTagsForResource reads (moto's TagResource takes
    alarm ARNs only)."""
    from moto.cloudwatch.models import Dashboard, cloudwatch_backends
    from moto.sns.models import Topic, sns_backends

    def tag_topic(topic, tags, account_id, region_name):
        sns_backends[account_id][region_name].tag_resource(topic.arn, {tag["Key"]: tag["Value"] for tag in tags})

    def tag_dashboard(dashboard, tags, account_id, region_name):
        cloudwatch_backends[account_id][region_name].tagger.tag_resource(dashboard.arn, tags)

    for model, tag in ((Topic, tag_topic), (Dashboard, tag_dashboard)):
        original = model.create_from_cloudformation_json.__func__

        def create(cls, resource_name, cloudformation_json, account_id, region_name, _original=original, _tag=tag,
                   **kwargs):
            resource = _original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
            tags = cloudformation_json.get("Properties", {}).get("Tags")
            if tags:
                _tag(resource, tags, account_id, region_name)
            return resource

        patches.set(model, "create_from_cloudformation_json", classmethod(create))


def referenced_resources(node: Any) -> set[str]:
    """The logical IDs a resource's JSON names through Ref, Fn::GetAtt or Fn::Sub (`${Name}`, `${Name.Attr}`)."""
    if isinstance(node, list):
        return set().union(*map(referenced_resources, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = set()
    for key, value in node.items():
        if key == "Ref" and isinstance(value, str):
            found.add(value)
        elif key == "Fn::GetAtt":
            found.add(value[0] if isinstance(value, list) else value.split(".")[0])
        elif key == "Fn::Sub":
            text = value if isinstance(value, str) else value[0]
            found |= {name.split(".")[0] for name in _PLACEHOLDER.findall(text) if not name.startswith("!")}
        found |= referenced_resources(value)
    return found


@bridge("cfn-update-dependents", gap="31: a stack update that replaces a resource (a new physical ID) leaves the "
                                     "resources that Ref or GetAtt it unchanged, e.g. a rule targeting a deleted machine")
def bridge_cfn_update_dependents(patches: Patches) -> None:
    """After a stack update, update every resource that references one whose physical ID changed, transitively,
    as CloudFormation does (it re-resolves Ref and GetAtt of a replaced resource in each resource that names it).

    moto updates only the resources whose template text or referenced Parameters changed: when a state machine is
    renamed (a new ARN), the rule that targets it through `Ref` keeps the old, deleted ARN, and every event then
    fails to start it.
    """
    from moto.cloudformation import parsing

    def physical_ids(resources) -> dict[str, Any]:
        ids = {}
        for name, resource in list(resources._parsed_resources.items()):
            try:
                ids[name] = getattr(resource, "physical_resource_id", None)
            except Exception:  # a model whose ID needs state it does not have: not one a template references
                ids[name] = None
        return ids

    def update(inner, self, template, parameters=None):
        before = physical_ids(self)
        inner(self, template, parameters)
        done: set[str] = set()
        after = physical_ids(self)
        replaced = {name for name, physical in after.items() if name in before and physical != before[name]}
        while replaced:
            done |= replaced
            dependents = [name for name, body in self._resource_json_map.items()
                          if name not in done and self._parsed_resources.get(name) is not None
                          and referenced_resources(body.get("Properties", {})) & replaced]
            ids = physical_ids(self)
            for name in dependents:
                updated = parsing.parse_and_update_resource(name, self._resource_json_map[name], self,
                                                            self._account_id, self._region_name)
                if updated is not None:
                    self._parsed_resources[name] = updated
            now = physical_ids(self)
            replaced = {name for name in dependents if now.get(name) != ids.get(name)}
            done |= set(dependents)

    patches.wrap(parsing.ResourceMap, "update", update)
