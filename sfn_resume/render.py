"""Templates as YAML text: CloudFormation's short-form tags, read the same by every tool, and one line per state.

troposphere renders through cfn-flip, whose `!GetAtt Log.Arn` cfn-guard 3.1 reads as a plain string; here every
`Fn::GetAtt` is the list form `!GetAtt [Log, Arn]`, which cfn-guard, cfn-lint, checkov and CloudFormation read
alike. A state machine's states are written one per line (YAML flow style, fields in the order the builders
wrote them): each state reads as a whole, and the templates stay small (protocol 0.4's generic one is above the
51,200 bytes CloudFormation takes inline all the same, and deploys through S3: docs/IAC.md).
"""

from __future__ import annotations

import troposphere
import yaml

#: Top-level sections in the order readers expect; keys within them are sorted, as troposphere's JSON is.
SECTIONS = ("AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Mappings", "Conditions",
            "Resources", "Outputs")
_SHORT_FORMS = {"Ref": "!Ref", "Condition": "!Condition"}
_MAP = "tag:yaml.org,2002:map"


class _Ordered(dict):
    """A mapping written in its own order (the sections, a definition's Comment/StartAt/States)."""


class _Line(dict):
    """A mapping written on one line, in its own order, without intrinsic functions (an ASL state)."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:  # a template repeats values; anchors would only obscure it
        return True

    def choose_scalar_style(self):
        # `!Ref TokenTable`, not `!Ref 'TokenTable'`: the tag already says what the scalar is
        style = super().choose_scalar_style()
        tagged = (self.event.tag or "").startswith("!") and not self.event.style
        plain = self.analysis.allow_flow_plain if self.flow_level else self.analysis.allow_block_plain
        return "" if tagged and plain and not self.analysis.empty else style


def _intrinsic_tag(value) -> str | None:
    """`!Ref`, `!Sub`, ... when `value` is an intrinsic function (a one-key mapping), else None."""
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        return _SHORT_FORMS.get(key) or ("!" + key[4:] if key.startswith("Fn::") else None)
    return None


def _inline(value) -> bool:
    """Whether `value` fits on one line: scalars, and lists and intrinsic functions of them."""
    if isinstance(value, list):
        return all(_inline(item) for item in value)
    if isinstance(value, dict):
        return _intrinsic_tag(value) is not None and _inline(next(iter(value.values())))
    return True


def _template_mapping(dumper: _Dumper, value: dict):
    """A template mapping: an intrinsic function in its short form, anything else with sorted keys; on one line
    when it holds up to three values that fit on one."""
    tag = _intrinsic_tag(value)
    if tag:
        (argument,) = value.values()
        if isinstance(argument, list):
            return dumper.represent_sequence(tag, argument, flow_style=tag == "!GetAtt" or _inline(argument))
        if isinstance(argument, dict):
            return dumper.represent_mapping(tag, argument)
        return dumper.represent_scalar(tag, str(argument))
    one_line = len(value) <= 3 and all(_inline(item) for item in value.values())
    return dumper.represent_mapping(_MAP, sorted(value.items()), flow_style=one_line)


def _list(dumper: _Dumper, value: list):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=_inline(value))


def _line(value):
    if isinstance(value, dict):
        return _Line((key, _line(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_line(item) for item in value]
    return value


def _string(dumper: _Dumper, value: str):
    # JSONata quotes with ': a double-quoted scalar keeps them as they are (single quotes would double each one)
    style = '"' if "'" in value and '"' not in value and "\\" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)
_Dumper.add_representer(list, _list)
_Dumper.add_representer(dict, _template_mapping)
_Dumper.add_representer(_Ordered, lambda dumper, value: dumper.represent_mapping(_MAP, value.items()))
_Dumper.add_representer(_Line, lambda dumper, value: dumper.represent_mapping(_MAP, value.items(), flow_style=True))


def _with_state_lines(resources: dict) -> dict:
    """The resources, where every state machine's `Definition` lists its states one per line."""
    shaped = {}
    for logical_id, resource in resources.items():
        definition = resource.get("Properties", {}).get("Definition")
        if isinstance(definition, dict) and isinstance(definition.get("States"), dict):
            states = _Ordered((name, _line(state)) for name, state in definition["States"].items())
            properties = {**resource["Properties"], "Definition": _Ordered({**definition, "States": states})}
            resource = {**resource, "Properties": properties}
        shaped[logical_id] = resource
    return shaped


def to_yaml(template: troposphere.Template) -> str:
    """The template as YAML, deterministic: the same template always gives the same text."""
    data = template.to_dict()
    if "Resources" in data:
        data["Resources"] = _with_state_lines(data["Resources"])
    ordered = _Ordered((section, data[section]) for section in SECTIONS if section in data)
    ordered.update((section, value) for section, value in data.items() if section not in ordered)
    return yaml.dump(ordered, Dumper=_Dumper, default_flow_style=False, sort_keys=False, allow_unicode=True,
                     width=100_000)


class Template(troposphere.Template):
    """A troposphere Template whose `to_yaml()` is this module's."""

    def to_yaml(self, clean_up: bool = False, long_form: bool = False) -> str:  # noqa: ARG002 (troposphere's signature)
        return to_yaml(self)
