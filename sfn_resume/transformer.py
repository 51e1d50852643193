"""The input EventBridge gives a rule's target: `Input`, `InputPath`, an `InputTransformer`, or the whole event.

`sfn-resume redrive` applies it to a dead-lettered event (the body of a DLQ message is the event before any
transformation), and the emulator's EventBridge bridge applies it to every delivery: one implementation, so a
redriven event reaches the machine exactly as a delivered one does. Plain Python: no AWS SDK, no moto.

Input paths are the JSONPath subset EventBridge documents for transformers: `sfn_resume.jsonpath` reads them.
"""
from __future__ import annotations

import json
from typing import Any

from .jsonpath import MISSING, input_path_value as path_value

def _predefined(event: dict[str, Any], rule_arn: str) -> dict[str, Any]:
    return {
        "aws.events.event.json": event,
        "aws.events.event": {key: value for key, value in event.items() if key != "detail"},
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_arn.rpartition("/")[2],
        "aws.events.event.ingestion-time": event.get("time"),  # not kept in the event: its time is the closest
    }


def transform_input(template: str, paths_map: dict[str, str], event: dict[str, Any], rule_arn: str) -> str:
    """Apply an InputTransformer the way EventBridge does.

    Inside a JSON string (`"<var>"`, `"job <var> done"`) a variable inserts its value as string content:
    a string escaped, anything else as escaped JSON text, a missing path as nothing. Outside a string
    (`<var>`) it inserts the JSON value; a missing path gives `null`. The predefined variables are
    `<aws.events.event.json>` (the whole event), `<aws.events.event>` (without `detail`), `<aws.events.rule-arn>`,
    `<aws.events.rule-name>` and `<aws.events.event.ingestion-time>`.
    """
    values = {**_predefined(event, rule_arn), **{name: path_value(event, path) for name, path in paths_map.items()}}
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
            end = template.find(">", i)
            name = template[i + 1:end] if end > i else ""
            if name in values:
                out.append(_inserted(values[name], in_string))
                i = end + 1
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _inserted(value: Any, in_string: bool) -> str:
    if not in_string:
        return "null" if value is MISSING else json.dumps(value)
    if value is MISSING or value is None:
        return ""
    if isinstance(value, str):
        return json.dumps(value)[1:-1]
    return json.dumps(json.dumps(value, separators=(",", ":")))[1:-1]


def target_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str) -> str:
    """The input EventBridge gives `target` (as `ListTargetsByRule` returns it) for `event`, as JSON text."""
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath"):
        value = path_value(event, target["InputPath"])
        return json.dumps(None if value is MISSING else value)
    transformer = target.get("InputTransformer")
    if transformer:
        return transform_input(transformer["InputTemplate"], transformer.get("InputPathsMap") or {}, event, rule_arn)
    return json.dumps(event)
