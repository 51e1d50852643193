"""Bridges that make moto 5.2.5's CloudFormation fail where AWS fails, update what AWS updates, and say why in the
stack's events.

What AWS does, and where it says so:
- "Resource names must be unique across all your active stacks" and "You can't perform an update that causes a
  custom-named resource to be replaced. If you must replace the resource, specify a new name." (CloudFormation
  Template Reference, "CloudFormation resource custom naming",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html). The update then
  fails with "CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename <name>
  and update the stack again." (https://repost.aws/knowledge-center/cloudformation-custom-name).
- A property needs a replacement when it is one of the type's `createOnlyProperties` in its resource provider
  schema; cfn-lint ships CloudFormation's schemas (`cfnlint.schema.PROVIDER_SCHEMA_MANAGER`), read here.
- A resource that fails to create fails the stack: the resource is CREATE_FAILED with the reason, the stack goes
  ROLLBACK_IN_PROGRESS ("The following resource(s) failed to create: [X]. Rollback requested by user."), deletes
  what it created, and ends ROLLBACK_COMPLETE; a failed update ends UPDATE_ROLLBACK_COMPLETE with every resource
  as before (the states: CloudFormation API reference, RollbackStack,
  https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_RollbackStack.html; how they follow each
  other: https://github.com/rvedotrc/aws-cloudformation-stack-states). A name another
  stack holds gives "<name> already exists in stack <stack id>" (the message users report, e.g.
  https://github.com/aws-samples/eb-php-wordpress/issues/25); a nested stack that fails fails its parent with
  "Embedded stack <id> was not successfully created: ..." (https://github.com/rubyonjets/jets/issues/689).
- An update changes the resources whose properties differ from what the stack has ("Understand update behaviors of
  stack resources", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html),
  and conditions are evaluated again at each update: a resource whose condition is now true is created, one whose
  is false deleted ("Conditions syntax",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/conditions-section-structure.html).
- `DescribeStackEvents` lists an event per resource and status (CREATE_IN_PROGRESS, CREATE_COMPLETE,
  CREATE_FAILED with its reason, UPDATE_*, DELETE_*), newest first (API reference, StackEvent).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sfn_resume.local.patching import Patches, bridge

REPLACEMENT_REFUSED = ("CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                       "Rename {name} and update the stack again.")


#: Not AWS's behaviour: the emulator's own refusal of a replacement it cannot make (`bridge_cfn_replacement`).
RENAME_NOT_EMULATED = ("The emulator (moto 5.2.5) cannot replace {name} by {new_name}: on AWS this update creates "
                       "the new {type}, points every reference at it and deletes {name} with its contents.")


class ResourceFailed(Exception):
    """One resource of a stack operation failed; `reason` is the text CloudFormation shows for it."""

    def __init__(self, logical_id: str | None, resource_type: str | None, reason: str):
        super().__init__(reason)
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.reason = reason

    def stack_reason(self, verb: str) -> str:
        return f"The following resource(s) failed to {verb}: [{self.logical_id or 'unknown'}]."


class UpdateRefused(ResourceFailed):
    """The update was refused before any resource changed (nothing to roll back)."""


class RolledBack(Exception):
    """Raised past moto's `execute_change_set` so that it does not mark the stack complete; the API call itself
    succeeds, as on AWS, where the failure shows in the stack's status and events."""


@lru_cache(maxsize=None)
def create_only_properties(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """The type's `createOnlyProperties` as paths below `Properties` (('StateMachineType',), ...); () when
    CloudFormation's schema does not know the type. Paths through lists (`/properties/A/*/B`) are left out."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    except Exception:  # an unknown type (Custom::...) has no schema
        return ()
    paths = []
    for pointer in schema.get("createOnlyProperties") or []:
        segments = tuple(pointer.split("/")[2:]) if pointer.startswith("/properties/") else ()
        if segments and "*" not in segments:
            paths.append(segments)
    return tuple(paths)


@lru_cache(maxsize=None)
def name_property(resource_type: str) -> str | None:
    """The property that gives a resource of this type its custom name: its create-only `...Name` property
    (StateMachineName, TableName, QueueName, TopicName, Name, LogGroupName, AlarmName, ...)."""
    names = [path[0] for path in create_only_properties(resource_type) if len(path) == 1 and path[0].endswith("Name")]
    return names[0] if names else None


def _at(properties: Any, path: tuple[str, ...]) -> Any:
    for segment in path:
        if not isinstance(properties, dict):
            return None
        properties = properties.get(segment)
    return properties


def _reason(error: BaseException) -> str:
    return str(getattr(error, "message", "") or error) or type(error).__name__


def _backend(account_id: str, region_name: str):
    from moto.cloudformation.models import cloudformation_backends

    return cloudformation_backends[account_id][region_name]


def _stack_of(resources_map):
    """The stack of a resource map; remembered, since DeleteStack takes the stack out of the backend first."""
    stack = _backend(resources_map._account_id, resources_map._region_name).stacks.get(resources_map.stack_id)
    if stack is None:
        return resources_map.__dict__.get("_sfn_resume_stack")
    resources_map.__dict__["_sfn_resume_stack"] = stack
    return stack


def add_resource_event(stack, logical_id: str | None, resource_type: str | None, status: str,
                       reason: str | None = None, physical_id: str | None = None) -> None:
    """Append a resource's event to the stack's events, as CloudFormation records it."""
    from moto.cloudformation.models import Event

    if stack is None:
        return
    event = Event(stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=logical_id or "",
                  physical_resource_id=physical_id or "", resource_type=resource_type or "",
                  resource_status=status, resource_status_reason=reason, resource_properties=None)
    stack.events.append(event)


def roll_back_create(backend, stack, failure: ResourceFailed) -> None:
    """After a failed create: delete what the stack created, keep no outputs or exports, end ROLLBACK_COMPLETE."""
    from moto.cloudformation.parsing import OutputMap

    if not any(e.logical_resource_id == stack.name and e.resource_status == "CREATE_IN_PROGRESS" for e in stack.events):
        # moto starts the create after the exports, whose resources it creates first: one of those failed
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
    add_resource_event(stack, failure.logical_id, failure.resource_type, "CREATE_FAILED", failure.reason)
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("ROLLBACK_IN_PROGRESS",
                           resource_status_reason=f"{failure.stack_reason('create')} Rollback requested by user.")
    for name in [name for name, export in backend.exports.items() if export.exporting_stack_id == stack.stack_id]:
        backend.exports.pop(name)
    try:
        stack.resource_map.delete()
    except Exception as error:  # what AWS calls ROLLBACK_FAILED: the stack keeps what it could not delete
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED", resource_status_reason=_reason(error))
        return
    # Nothing is left to create lazily: moto's resource map creates any resource it is asked for (an output, a
    # DescribeStackResources), which would take another stack's queue or topic back by name.
    stack.resource_map._resource_json_map = {}
    stack.output_map = OutputMap(stack.resource_map, {"Outputs": {}}, stack.stack_id)
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")


def roll_back_update(stack, failure: ResourceFailed, template: dict, parameters: dict) -> None:
    """After a failed update: put the resources back as `template` and `parameters` had them (nothing to do when
    the update was refused before it began); end UPDATE_ROLLBACK_COMPLETE."""
    add_resource_event(stack, failure.logical_id, failure.resource_type, "UPDATE_FAILED", failure.reason)
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=failure.stack_reason("update"))
    if not isinstance(failure, UpdateRefused):
        try:
            stack.resource_map.update(template, parameters)
        except Exception as error:
            stack.status = "UPDATE_ROLLBACK_FAILED"
            stack._add_stack_event("UPDATE_ROLLBACK_FAILED", resource_status_reason=_reason(error))
            return
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")


@bridge("cfn-failed-operations-roll-back", gap="35: a resource that fails to create leaves the stack stuck "
                                                 "(CREATE_IN_PROGRESS, CREATE_PENDING, or REVIEW_IN_PROGRESS through "
                                                 "a change set) with what it created, and the service's JSON error "
                                                 "breaks the XML response ('invalid XML received')")
def bridge_cfn_failed_operations_roll_back(patches: Patches) -> None:
    """Fail a stack operation as CloudFormation does: the call succeeds, the resource is *_FAILED with its reason,
    the stack rolls back (ROLLBACK_COMPLETE after a create, without outputs or exports; UPDATE_ROLLBACK_COMPLETE
    after an update) and a nested stack that fails fails its parent.

    moto lets the service's exception out of CreateStack/ExecuteChangeSet (DynamoDB's `ResourceInUseException`, a
    JSON body in CloudFormation's XML API, which the AWS CLI reports as "invalid XML received"), leaves the stack in
    CREATE_IN_PROGRESS (CREATE_PENDING, REVIEW_IN_PROGRESS), and keeps what it had created. Template errors (moto's `ValidationError`)
    stay errors of the call, as on AWS. A stack in ROLLBACK_COMPLETE can only be deleted: moto refuses UpdateStack
    on it, and now a change set of type UPDATE too (what `aws cloudformation deploy` tries next).
    """
    from moto.cloudformation.exceptions import CloudFormationError
    from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Stack
    from moto.cloudformation.parsing import ResourceMap
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import EmptyResult

    original_getitem = ResourceMap.__getitem__

    def __getitem__(self, key):
        try:
            return original_getitem(self, key)
        except (ResourceFailed, KeyError, CloudFormationError):
            raise
        except Exception as error:  # the service refused the resource: that resource failed
            resource_json = self._resource_json_map.get(key) or {}
            raise ResourceFailed(key, resource_json.get("Type"), _reason(error)) from error

    original_create_stack = CloudFormationBackend.create_stack

    def create_stack(self, name, *args, **kwargs):
        before = set(self.stacks)
        try:
            return original_create_stack(self, name, *args, **kwargs)
        except ResourceFailed as failure:
            created = [stack for stack_id, stack in self.stacks.items() if stack_id not in before]
            if not created:
                raise
            roll_back_create(self, created[0], failure)
            return created[0]

    original_update = Stack.update

    def update(self, template, role_arn=None, parameters=None, tags=None):
        previous = (self.template, self.template_dict, self.resource_map._template,
                    dict(self.resource_map.input_parameters))
        try:
            return original_update(self, template, role_arn, parameters, tags)
        except ResourceFailed as failure:
            self.template, self.template_dict = previous[0], previous[1]
            roll_back_update(self, failure, previous[2], previous[3])

    original_apply = ChangeSet.apply

    def apply(self):
        stack = self.stack
        previous = (stack.resource_map._template, dict(stack.resource_map.input_parameters))
        try:
            return original_apply(self)
        except ResourceFailed as failure:
            self.execution_status = "EXECUTE_FAILED"
            if self.change_set_type == "CREATE":
                stack.template, stack.template_dict = self.template, self.template_dict
                roll_back_create(_backend(stack.account_id, stack.region_name), stack, failure)
            else:
                roll_back_update(stack, failure, *previous)
            raise RolledBack() from failure

    original_execute = CloudFormationResponse.execute_change_set

    def execute_change_set(self):
        try:
            return original_execute(self)
        except RolledBack:
            return EmptyResult()

    original_create_change_set = CloudFormationResponse.create_change_set

    def create_change_set(self):
        if self._get_param("ChangeSetType", "CREATE") == "UPDATE":
            self._validate_status(self.cloudformation_backend.get_stack(self._get_param("StackName")))
        return original_create_change_set(self)

    original_nested = Stack.create_from_cloudformation_json.__func__

    def create_nested(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        child = original_nested(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        if child.status != "ROLLBACK_COMPLETE":
            return child
        why = next((e.resource_status_reason for e in reversed(child.events)
                    if e.resource_status == "ROLLBACK_IN_PROGRESS"), "")
        _backend(account_id, region_name).delete_stack(child.stack_id)  # the parent's rollback deletes it on AWS
        raise RuntimeError(f"Embedded stack {child.stack_id} was not successfully created: {why}")

    patches.set(ResourceMap, "__getitem__", __getitem__)
    patches.set(CloudFormationBackend, "create_stack", create_stack)
    patches.set(Stack, "update", update)
    patches.set(ChangeSet, "apply", apply)
    patches.set(CloudFormationResponse, "execute_change_set", execute_change_set)
    patches.set(CloudFormationResponse, "create_change_set", create_change_set)
    patches.set(Stack, "create_from_cloudformation_json", classmethod(create_nested))


def _holds(backend, stack_id: str, logical_id: str) -> bool:
    stack = backend.stacks.get(stack_id)
    return (stack is not None and stack.status not in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE")
            and stack.resource_map._parsed_resources.get(logical_id) is not None)


@bridge("cfn-custom-name-ownership", gap="36: a custom name another stack holds is taken over (a queue or topic is "
                                           "shared, a rule or alarm overwritten) and deleting the second stack "
                                           "deletes the first stack's resources")
def bridge_cfn_custom_name_ownership(patches: Patches) -> None:
    """Refuse a custom name that a resource of the same type in another active stack holds: the resource fails
    with "<name> already exists in stack <stack id>" (and the stack rolls back), the other stack is untouched.

    moto creates whatever the template names: SQS CreateQueue and SNS CreateTopic hand back the existing queue or
    topic, PutRule, PutMetricAlarm and PutDashboard overwrite the other stack's, so the second stack "owns" them and
    its delete deletes them. The names are read where moto resolves each resource's properties (creates and
    updates alike); which property names a type is read from CloudFormation's schema (`name_property`).
    """
    from moto.cloudformation import parsing

    original = parsing.parse_resource_and_generate_name

    def parse_resource_and_generate_name(logical_id, resource_json, resources_map):
        parsed = original(logical_id, resource_json, resources_map)
        resource_type = resource_json.get("Type", "")
        prop = name_property(resource_type)
        name = parsed and prop and (parsed[1].get("Properties") or {}).get(prop)
        if name:
            backend = _backend(resources_map._account_id, resources_map._region_name)
            claims = backend.__dict__.setdefault("_sfn_resume_custom_names", {})
            mine = (resources_map.stack_id, logical_id)
            owner = claims.get((resource_type, str(name)))
            if owner is not None and owner != mine and _holds(backend, *owner):
                raise ResourceFailed(logical_id, resource_type, f"{name} already exists in stack {owner[0]}")
            for key in [key for key, holder in claims.items() if holder == mine]:
                del claims[key]
            claims[(resource_type, str(name))] = mine
        return parsed

    patches.set(parsing, "parse_resource_and_generate_name", parse_resource_and_generate_name)


class _Preview:
    """The new template's values, resolved with the new parameters against the resources that exist; asking for
    a resource that does not exist yet raises KeyError instead of creating it."""

    def __init__(self, resources_map, template: dict, parameters: dict | None):
        from moto.cloudformation.parsing import ResourceMap

        class PreviewMap(ResourceMap):
            def __getitem__(self, key):
                if key in self._parsed_resources:
                    return self._parsed_resources[key]
                raise KeyError(key)

            def get(self, key, default=None):
                # moto's Fn::GetAtt asks with `get`, and takes its None for a resource the template lacks: a resource
                # the update is to create (a new role a machine's RoleArn names) is a new value, as with Ref
                return self[key]

        self.map = PreviewMap(resources_map.stack_id, resources_map["AWS::StackName"],
                              parameters if parameters else resources_map.input_parameters, resources_map.tags,
                              resources_map._region_name, resources_map._account_id, template,
                              resources_map.cross_stack_resources)
        self.map.load()
        self.map._parsed_resources.update({logical_id: resource for logical_id, resource
                                           in resources_map._parsed_resources.items()
                                           if logical_id in resources_map._resource_json_map})

    def value(self, raw: Any) -> Any:
        from moto.cloudformation.parsing import clean_json

        try:
            return clean_json(raw, self.map)
        except KeyError:
            return KeyError  # depends on a resource not created yet: a new value


#: Types whose renaming the emulator does carry out as CloudFormation does: the `cfn-state-machine` bridge creates
#: the machine under its new name (with its new type) and deletes the old one, and `cfn-update-dependents` points
#: every reference at the new one (what a `ResumeWorkflowType` change does: a machine name per type).
REPLACED_WHEN_RENAMED = {"AWS::StepFunctions::StateMachine"}


def replacement_refusal(resources_map, template: dict, parameters: dict | None) -> UpdateRefused | None:
    """The refusal CloudFormation gives when this update would replace a custom-named resource under its name."""
    from moto.cloudformation.parsing import clean_json

    actions = resources_map.build_resource_diff(template, parameters)
    preview = None
    for logical_id in actions["Modify"]:
        old_json = resources_map._resource_json_map.get(logical_id) or {}
        new_json = template["Resources"][logical_id]
        resource_type = new_json.get("Type", "")
        prop = name_property(resource_type)
        new_properties = new_json.get("Properties") or {}
        if (resources_map._parsed_resources.get(logical_id) is None or old_json.get("Type") != resource_type
                or prop not in new_properties):
            continue
        if preview is None:
            try:
                preview = _Preview(resources_map, template, parameters)
            except Exception:  # moto cannot read these parameters: leave the update to moto
                return None
        condition = new_json.get("Condition")
        if condition and not preview.map.lazy_condition_map[condition]:
            continue
        old_properties = old_json.get("Properties") or {}
        changed = [path for path in create_only_properties(resource_type)
                   if clean_json(_at(old_properties, path), resources_map) != preview.value(_at(new_properties, path))]
        name = clean_json(old_properties[prop], resources_map)
        if changed and (prop,) not in changed:
            return UpdateRefused(logical_id, resource_type, REPLACEMENT_REFUSED.format(name=name))
        if changed and resource_type not in REPLACED_WHEN_RENAMED:
            return UpdateRefused(logical_id, resource_type, RENAME_NOT_EMULATED.format(
                name=name, new_name=preview.value(new_properties[prop]), type=resource_type))
    return None


@bridge("cfn-replacement", gap="37: an update that needs a resource replaced (a change of a create-only property: "
                                 "StateMachineType, a name) reports UPDATE_COMPLETE and replaces nothing")
def bridge_cfn_replacement(patches: Patches) -> None:
    """Refuse, before anything changes, an update that changes a custom-named resource's create-only property:
    the update fails and rolls back (UPDATE_ROLLBACK_COMPLETE, the reason on the resource's UPDATE_FAILED event).

    When the name stays, AWS cannot replace the resource either and refuses with its own message
    (`REPLACEMENT_REFUSED`). When the name changes too (a new NameSuffix), AWS replaces the resource; the emulator
    does so for a state machine (`REPLACED_WHEN_RENAMED`), and refuses for the other types with a message that says
    so (`RENAME_NOT_EMULATED`) rather than report a success it did not make (their update handlers keep the old
    name). moto itself calls the type's update handler, which changes what it can in place (a state
    machine keeps its type, a table and a queue their old names), and reports UPDATE_COMPLETE.
    """
    from moto.cloudformation.parsing import ResourceMap

    def update(inner, self, template, parameters=None):
        refusal = replacement_refusal(self, template, parameters)
        if refusal is not None:
            raise refusal
        return inner(self, template, parameters)

    patches.wrap(ResourceMap, "update", update)


@bridge("cfn-resource-events", gap="38: DescribeStackEvents lists only the stack's own events, none per resource")
def bridge_cfn_resource_events(patches: Patches) -> None:
    """Record CREATE_IN_PROGRESS/CREATE_COMPLETE, UPDATE_IN_PROGRESS/UPDATE_COMPLETE and
    DELETE_IN_PROGRESS/DELETE_COMPLETE (or DELETE_FAILED with the reason) for each resource, with its logical and
    physical ids, after the stack's own CREATE_IN_PROGRESS. The failure that fails the stack is recorded where it
    is handled (`roll_back_create`, `roll_back_update`), with CloudFormation's reason.

    moto records only the stack's own events, and `describe-stack-events` after a failure says nothing of why.
    """
    from moto.cloudformation import parsing
    from moto.cloudformation.models import Stack
    from moto.cloudformation.parsing import ResourceMap

    original_create = parsing.parse_and_create_resource

    def parse_and_create_resource(logical_id, resource_json, resources_map, account_id, region_name):
        # recorded once the resource exists (or failed), so a dependency moto creates on the way is recorded
        # first, as CloudFormation, which creates in dependency order, records it; None: not created (a false
        # condition, a type moto skips)
        stack, resource_type = _stack_of(resources_map), resource_json.get("Type")
        try:
            resource = original_create(logical_id, resource_json, resources_map, account_id, region_name)
        except Exception:
            add_resource_event(stack, logical_id, resource_type, "CREATE_IN_PROGRESS")
            raise
        if resource is not None:
            physical_id = str(getattr(resource, "physical_resource_id", "") or "")
            add_resource_event(stack, logical_id, resource_type, "CREATE_IN_PROGRESS")
            add_resource_event(stack, logical_id, resource_type, "CREATE_COMPLETE", physical_id=physical_id)
        return resource

    def parse_and_update_resource(original_update, logical_id, resource_json, resources_map, account_id, region_name):
        stack, resource_type = _stack_of(resources_map), resource_json.get("Type")
        add_resource_event(stack, logical_id, resource_type, "UPDATE_IN_PROGRESS")
        resource = original_update(logical_id, resource_json, resources_map, account_id, region_name)
        add_resource_event(stack, logical_id, resource_type, "UPDATE_COMPLETE",
                           physical_id=str(getattr(resource, "physical_resource_id", "") or ""))
        return resource

    original_delete = ResourceMap._delete_resource

    def _delete_resource(self, parsed_resource, resource_json):
        stack = _stack_of(self)
        ids = (getattr(parsed_resource, "logical_resource_id", None), resource_json.get("Type"))
        physical_id = str(getattr(parsed_resource, "physical_resource_id", "") or "")
        add_resource_event(stack, *ids, "DELETE_IN_PROGRESS", physical_id=physical_id)
        try:
            original_delete(self, parsed_resource, resource_json)
        except Exception as error:
            add_resource_event(stack, *ids, "DELETE_FAILED", _reason(error), physical_id)
            raise
        add_resource_event(stack, *ids, "DELETE_COMPLETE", physical_id=physical_id)

    original_stack_event = Stack._add_stack_event

    def _add_stack_event(self, resource_status, resource_status_reason=None, resource_properties=None):
        original_stack_event(self, resource_status, resource_status_reason, resource_properties)
        if resource_status == "CREATE_IN_PROGRESS":  # moto records it after creating what the exports need
            started = self.events.pop()
            first_resource = next((i for i, e in enumerate(self.events) if e.logical_resource_id != self.name),
                                  len(self.events))
            self.events.insert(first_resource, started)

    patches.set(parsing, "parse_and_create_resource", parse_and_create_resource)
    patches.wrap(parsing, "parse_and_update_resource", parse_and_update_resource)
    patches.set(ResourceMap, "_delete_resource", _delete_resource)
    patches.set(Stack, "_add_stack_event", _add_stack_event)


#: What the emulator's update of each type applies ("*": every property, moto creates the resource again); a change
#: of any other property fails the update (`UNAPPLIED_CHANGE`). The name and type of a state machine are refused
#: before (`bridge_cfn_replacement`).
APPLIED_ON_UPDATE: dict[str, Any] = {
    "AWS::StepFunctions::StateMachine": {"Definition", "DefinitionString", "DefinitionSubstitutions", "RoleArn",
                                         "LoggingConfiguration", "TracingConfiguration", "EncryptionConfiguration",
                                         "StateMachineName", "StateMachineType"},
    "AWS::Events::Rule": "*", "AWS::SNS::Topic": "*", "AWS::CloudWatch::Alarm": "*", "AWS::CloudWatch::Dashboard": "*",
    "AWS::CloudFormation::Stack": "*",
    "AWS::SQS::Queue": {"VisibilityTimeout", "ReceiveMessageWaitTimeSeconds"},
}
#: Settings the emulator does not enforce at create either (IAM, KMS keys, point-in-time recovery, log retention):
#: a change of them is let through unapplied, as docs/EMULATOR.md's table of differences says.
NOT_EMULATED: dict[str, Any] = {
    "AWS::IAM::Role": "*", "AWS::IAM::ManagedPolicy": "*", "AWS::IAM::Policy": "*", "AWS::SQS::QueuePolicy": "*",
    "AWS::SQS::Queue": {"KmsMasterKeyId", "SqsManagedSseEnabled", "KmsDataKeyReusePeriodSeconds"},
    "AWS::DynamoDB::Table": {"SSESpecification", "PointInTimeRecoverySpecification"},
    "AWS::Logs::LogGroup": {"RetentionInDays", "KmsKeyId"},
}
#: Not AWS's behaviour: the emulator's own refusal of a change it would not apply.
UNAPPLIED_CHANGE = ("The emulator (moto 5.2.5) cannot apply a change of {properties} to {type} {logical_id} in "
                    "place; AWS does.")


def _covers(table: dict[str, Any], resource_type: str, prop: str) -> bool:
    listed = table.get(resource_type, ())
    return listed == "*" or prop in listed


@bridge("cfn-update-every-change", gap="40: an update applies only what the template's text or a Ref'd Parameter "
                                         "changed: a Parameter inside Fn::Sub (`SfnResume-${NameSuffix}`) or "
                                         "behind Fn::If changes nothing, a resource whose Condition turns false "
                                         "stays, one whose turns true is not created, and an update handler "
                                         "ignores what it does not know (a queue's retention)")
def bridge_cfn_update_every_change(patches: Patches) -> None:
    """Decide what an update changes as CloudFormation does, from the resolved properties and conditions of the old
    and new stack: a resource whose condition turns false is deleted, one whose turns true is created, one whose
    resolved properties differ is updated; and fail the update (before anything changes) when a changed property
    is one the emulator's update handler would not apply (`APPLIED_ON_UPDATE`, `NOT_EMULATED`).

    moto compares the template text and, when that is the same, looks for a `Ref` to a changed Parameter: a new
    NameSuffix (used in `Fn::Sub` only) changed no name, `CreateAlarms=false` left the alarms and their topic,
    `CreateDashboard=true` created no dashboard, and a queue kept its old `MessageRetentionPeriod` (its handler
    applies two properties), all under UPDATE_COMPLETE.
    """
    from moto.cloudformation.parsing import ResourceMap, clean_json

    def build_resource_diff(original_diff, self, other_template, parameters=None):
        actions = original_diff(self, other_template, parameters)
        try:
            preview = _Preview(self, other_template, parameters)
        except Exception:  # moto cannot read these parameters: leave the update to moto
            return actions
        listed = {name for names in actions.values() for name in names}
        changed: dict[str, list[str]] = {}
        for logical_id, new_json in other_template["Resources"].items():
            old_json = self._resource_json_map.get(logical_id)
            if old_json is None or old_json.get("Type") != new_json.get("Type"):
                continue
            condition = new_json.get("Condition")
            wanted = not condition or bool(preview.map.lazy_condition_map[condition])
            created = self._parsed_resources.get(logical_id) is not None
            if created and not wanted and logical_id not in listed:
                actions["Remove"].append(logical_id)
                self.__dict__.setdefault("_sfn_resume_turned_off", set()).add(logical_id)
            elif not created and wanted and logical_id not in listed:
                actions["Add"].append(logical_id)
            elif created and wanted:
                old, new = (old_json.get("Properties") or {}), (new_json.get("Properties") or {})
                props = [p for p in set(old) | set(new)
                         if clean_json(old.get(p), self) != preview.value(new.get(p))]
                if props:
                    changed[logical_id] = sorted(props)
                    if logical_id not in actions["Modify"]:
                        actions["Modify"].append(logical_id)
        self.__dict__["_sfn_resume_changed"] = changed
        return actions

    def update(original_update, self, template, parameters=None):
        self.build_resource_diff(template, parameters)
        for logical_id, props in self.__dict__.pop("_sfn_resume_changed", {}).items():
            resource_type = template["Resources"][logical_id]["Type"]
            replaced = {path[0] for path in create_only_properties(resource_type)}  # bridge_cfn_replacement's
            unapplied = [p for p in props if p not in replaced and not _covers(APPLIED_ON_UPDATE, resource_type, p)
                         and not _covers(NOT_EMULATED, resource_type, p)]
            if unapplied:
                raise UpdateRefused(logical_id, resource_type, UNAPPLIED_CHANGE.format(
                    properties=", ".join(unapplied), type=resource_type, logical_id=logical_id))
        result = original_update(self, template, parameters)
        for logical_id in self.__dict__.pop("_sfn_resume_turned_off", set()):
            self._parsed_resources.pop(logical_id, None)  # deleted: its condition is false now
        return result

    patches.wrap(ResourceMap, "build_resource_diff", build_resource_diff)
    patches.wrap(ResourceMap, "update", update)
