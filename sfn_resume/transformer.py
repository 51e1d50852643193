"""The input EventBridge gives a rule's target: `Input`, `InputPath`, an `InputTransformer`, or the whole event.

`sfn-resume redrive` applies it to a dead-lettered event (the body of a DLQ message is the event before any
transformation), and the emulator's EventBridge bridge applies it to every delivery: one implementation, so a
redriven event reaches the machine exactly as a delivered one does. Plain Python: no AWS SDK, no moto.

What it does is what AWS's recordings show (LocalStack 4.14.0's `tests/aws/services/events/test_events_inputs.py`
and its `.snapshot.json`, recorded against EventBridge; tests/test_transformer.py replays their cases, and the
conformance lane runs the recorded tests themselves, docs/EMULATOR.md). Input paths are the JSONPath subset
EventBridge documents for transformers: `sfn_resume.jsonpath` reads them.
"""
from __future__ import annotations

import json
import re
from typing import Any

from .jsonpath import MISSING, input_path_value as path_value

#: A placeholder in an InputTemplate: `<name>`, the name as InputPathsMap keys and the predefined variables spell it.
PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
#: The variables every template may use without an InputPathsMap entry.
PREDEFINED = ("aws.events.event.json", "aws.events.event", "aws.events.rule-arn", "aws.events.rule-name",
              "aws.events.event.ingestion-time")


class InputTransformError(ValueError):
    """EventBridge cannot build the target's input from this event: the delivery fails."""


def _predefined(event: dict[str, Any], rule_arn: str) -> dict[str, Any]:
    # `<aws.events.event>` is the event without `detail`, its detail type spelled `detailType` (as recorded)
    metadata = {"version": "0", "id": None, "detailType": None, "source": None, "account": None, "time": None,
                "region": None, "resources": []}
    metadata.update({key: event[key] for key in metadata if key in event})
    metadata["detailType"] = event.get("detail-type")
    return {
        "aws.events.event.json": event,
        "aws.events.event": metadata,
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_arn.rpartition("/")[2],
        "aws.events.event.ingestion-time": event.get("time"),  # not kept in the event: its time is the closest
    }


def transform_input(template: str, paths_map: dict[str, str], event: dict[str, Any], rule_arn: str) -> str:
    """Apply an InputTransformer the way EventBridge does (as recorded against AWS).

    A template that is a JSON object or array (it starts with `{` or `[`): outside a string, a variable inserts its
    JSON value, a missing path `""`; inside a string, a string inserts its text (escaped), a number, boolean or null
    its JSON text, a missing path nothing, and an object or a list cannot be inserted (`InputTransformError`: AWS
    delivers nothing). Any other template is text (`"Job <jobId> is <status>"`, several quoted lines): every
    variable inserts its text, an object or a list written without quotes (`{acc_id:0a78,sf_id:baz}`,
    `[ACTIVE,INACTIVE]`), a missing path nothing.

    The predefined variables are `<aws.events.event.json>` (the whole event), `<aws.events.event>` (its metadata
    without `detail`), `<aws.events.rule-arn>`, `<aws.events.rule-name>` and `<aws.events.event.ingestion-time>`.
    """
    values = {**_predefined(event, rule_arn), **{name: path_value(event, path) for name, path in paths_map.items()}}
    is_json = template.lstrip()[:1] in ("{", "[")
    out: list[str] = []
    in_string = False
    i = 0
    while i < len(template):
        char = template[i]
        if char == "\\" and in_string:
            out.append(template[i:i + 2])
            i += 2
            continue
        if char == '"':
            in_string = not in_string
        elif char == "<":
            match = PLACEHOLDER.match(template, i)
            if match and match.group(1) in values:
                out.append(_inserted(match.group(1), values[match.group(1)], is_json, in_string))
                i = match.end()
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _inserted(name: str, value: Any, is_json: bool, in_string: bool) -> str:
    if is_json and not in_string:
        return '""' if value is MISSING else json.dumps(value)
    if value is MISSING:
        return ""
    if is_json and isinstance(value, (dict, list)):
        raise InputTransformError(f"<{name}> is a JSON {'object' if isinstance(value, dict) else 'array'}: "
                                  "EventBridge inserts one only outside a string of a JSON template")
    text = _unquoted(value)
    return json.dumps(text)[1:-1] if in_string else text


def _unquoted(value: Any) -> str:
    """A value as text: a string as itself, an object or a list as JSON without the strings' quotes."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ",".join(f"{key}:{_unquoted(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_unquoted(item) for item in value) + "]"
    return json.dumps(value)


def placeholders(template: str) -> list[str]:
    """The variable names a template uses, in order, once each."""
    return list(dict.fromkeys(PLACEHOLDER.findall(template)))


def target_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str) -> str:
    """The input EventBridge gives `target` (as `ListTargetsByRule` returns it) for `event`, as JSON text (text for
    a text template). `InputTransformError` when EventBridge would deliver nothing."""
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath"):
        value = path_value(event, target["InputPath"])
        return json.dumps(None if value is MISSING else value)
    transformer = target.get("InputTransformer")
    if transformer:
        return transform_input(transformer["InputTemplate"], transformer.get("InputPathsMap") or {}, event, rule_arn)
    return json.dumps(event)
