"""What `sfn-resume verify` reads from a template: each sfn-resume instance's state machines (their definitions with
`DefinitionSubstitutions` filled in), the rules' targets that turn an event into a machine's input, and the pause
state a workflow pastes (the `PauseState` outputs) -- resolved for the template's Parameters.

Instances are found by the logical IDs `sfn_resume.names` holds (prefixed in config-built templates), so a user's
edited copy of a shipped template is read the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import names
from .cfn import Resolved, TemplateError

#: Pseudo parameters as the checker's stack sees them.
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
          "AWS::StackName": "verify", "AWS::URLSuffix": "amazonaws.com",
          "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/verify/0"}

#: Stand-ins for Parameters that have no default (the protocol does not depend on their values), and for an empty
#: FailureEventPattern, so that the failure path is verified too.
STAND_INS = {
    "NameSuffix": "Verify",
    "PathToIdPauseTask": "$.job.JobId",
    "PathToIdWorkflow": "$.detail.jobId",
    "EventPattern": '{"source": ["sfn-resume.verify"], "detail": {"status": ["SUCCEEDED"]}}',
    "FailureEventPattern": '{"source": ["sfn-resume.verify"], "detail": {"status": ["FAILED"]}}',
}

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.:]+)\}")


@dataclass(frozen=True)
class Target:
    """A rule's target: the machine it starts, and how the event becomes that machine's input."""

    rule: str
    machine: str  # logical ID
    input_template: str | None  # InputTransformer.InputTemplate
    input_paths: dict = field(default_factory=dict)  # InputTransformer.InputPathsMap
    has_dead_letter_queue: bool = False


@dataclass(frozen=True)
class PauseState:
    """A pause state as a workflow pastes it: a `startExecution.waitForTaskToken` Task."""

    output: str  # the Output's name
    state: dict
    machine: str  # the logical ID of the machine it starts


@dataclass(frozen=True)
class Instance:
    prefix: str
    table: str  # the table's logical ID
    machines: dict  # logical ID -> {"definition": dict, "type": "STANDARD" | "EXPRESS"}
    pause_states: tuple  # PauseState, JSONPath first
    success: Target | None
    failure: Target | None
    event_retention_seconds: int | None  # the EventRetentionSeconds substitution, when the machines have one

    @property
    def pause_machine(self) -> str:
        return self.pause_states[0].machine


def load_template(path: Path) -> dict:
    """A CloudFormation template (YAML or JSON, short-form tags allowed) as data."""
    from cfn_flip import to_json

    try:
        return json.loads(to_json(path.read_text()))
    except Exception as ex:  # cfn-flip raises yaml and json errors alike
        raise TemplateError(f"{path}: not a CloudFormation template ({ex})") from None


def resolve(template: dict, parameters: dict) -> tuple[Resolved, dict]:
    """The template resolved for `parameters`; the stand-ins used for Parameters the caller did not give."""
    declared = template.get("Parameters", {})
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise TemplateError(f"--parameter {unknown[0]}: the template has no such Parameter "
                            f"(it has: {', '.join(sorted(declared)) or 'none'})")
    stand_ins = {}
    for name, stand_in in STAND_INS.items():
        if name in declared and name not in parameters and (
                "Default" not in declared[name] or (name == "FailureEventPattern" and declared[name]["Default"] == "")):
            stand_ins[name] = stand_in
    missing = sorted(name for name, body in declared.items()
                     if "Default" not in body and name not in parameters and name not in stand_ins)
    if missing:
        raise TemplateError(f"Parameter {missing[0]} has no default: give it with --parameter {missing[0]}=VALUE")
    return Resolved(template, {**stand_ins, **parameters}, pseudo=PSEUDO), stand_ins


def _logical(value) -> str | None:
    """`<Logical>` (how `Resolved` writes a Ref to a resource) -> `Logical`."""
    match = re.fullmatch(r"<([A-Za-z0-9]+)>", value) if isinstance(value, str) else None
    return match[1] if match else None


def _substituted(node, substitutions: dict):
    if isinstance(node, str):
        return _PLACEHOLDER.sub(lambda m: str(substitutions[m[1]]) if m[1] in substitutions else m[0], node)
    if isinstance(node, list):
        return [_substituted(item, substitutions) for item in node]
    if isinstance(node, dict):
        return {key: _substituted(value, substitutions) for key, value in node.items()}
    return node


def _definition(name: str, properties: dict) -> dict:
    if "Definition" in properties:
        definition = properties["Definition"]
    elif "DefinitionString" in properties:
        try:
            definition = json.loads(properties["DefinitionString"])
        except (TypeError, ValueError) as ex:
            raise TemplateError(f"{name}: DefinitionString is not JSON ({ex})") from None
    else:
        raise TemplateError(f"{name}: no Definition or DefinitionString (a definition in S3 is not read)")
    return _substituted(definition, properties.get("DefinitionSubstitutions", {}))


def _target(rule: str, properties: dict, machines: dict) -> Target | None:
    for target in properties.get("Targets", []):
        machine = _logical(target.get("Arn"))
        if machine in machines:
            transformer = target.get("InputTransformer", {})
            return Target(rule, machine, transformer.get("InputTemplate"), transformer.get("InputPathsMap", {}),
                          "DeadLetterConfig" in target)
    return None


def _pause_state(output: str, value, machines: dict) -> PauseState | None:
    if not isinstance(value, str) or "startExecution.waitForTaskToken" not in value:
        return None
    try:
        state = json.loads(value)
    except ValueError as ex:
        raise TemplateError(f"output {output}: the pause state is not JSON ({ex})") from None
    arguments = state.get("Arguments") or state.get("Parameters") or {}
    machine = _logical(arguments.get("StateMachineArn"))
    return PauseState(output, state, machine) if machine in machines else None


def instances(resolved: Resolved) -> list[Instance]:
    """The sfn-resume instances of a resolved template, found by their table's logical ID (`<prefix>TokenTable`)."""
    resources, outputs = resolved.resources(), resolved.outputs()
    found = []
    for table, (kind, _properties) in sorted(resources.items()):
        if kind != "AWS::DynamoDB::Table" or not table.endswith(names.TABLE):
            continue
        prefix = table[:-len(names.TABLE)]
        machines = {}
        for name, (kind, properties) in resources.items():
            if kind == "AWS::StepFunctions::StateMachine" and name.startswith(prefix):
                substitutions = properties.get("DefinitionSubstitutions", {})
                if _logical(substitutions.get("TableName")) == table:
                    machines[name] = {"definition": _definition(name, properties),
                                      "type": properties.get("StateMachineType", "STANDARD"),
                                      "substitutions": substitutions}
        if not machines:
            continue
        pause_states = [state for state in (_pause_state(name, outputs[name], machines)
                                            for name in (prefix + names.OUTPUT_PAUSE_STATE,
                                                         prefix + names.OUTPUT_PAUSE_STATE_JSONATA)
                                            if name in outputs) if state]
        if not pause_states:
            raise TemplateError(f"instance {prefix or '(generic)'}: no {names.OUTPUT_PAUSE_STATE} output that starts "
                                "one of its machines")
        rules = {role: resources.get(prefix + rule) for role, rule in
                 (("success", names.RESUME_RULE), ("failure", names.FAIL_RULE))}
        success, failure = (_target(prefix + names.RESUME_RULE, rules["success"][1], machines) if rules["success"]
                            else None,
                            _target(prefix + names.FAIL_RULE, rules["failure"][1], machines) if rules["failure"]
                            else None)
        retention = {str(m["substitutions"].get("EventRetentionSeconds")) for m in machines.values()} - {"None"}
        if len(retention) > 1:
            raise TemplateError(f"instance {prefix or '(generic)'}: its machines disagree on EventRetentionSeconds")
        found.append(Instance(prefix, table, machines, tuple(pause_states), success, failure,
                              int(retention.pop()) if retention else None))
    return found
