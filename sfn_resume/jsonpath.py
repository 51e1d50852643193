"""The JSONPath this project reads and writes, in one place: its grammar and its one evaluator.

Two dialects share the evaluator:
- the plain reference (`$.a.b`, `$.a[0].b`) that the config's id paths and ResultPath are: one value, no filters,
  wildcards or slices (the config, the generic template's AllowedPattern, the ASL builders and `check` use it);
- EventBridge's input paths for transformers (dot notation, indices, `[*]` wildcards;
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).
"""

from __future__ import annotations

import re
from typing import Any

#: A name a plain reference may use: what Step Functions and JSONata both read without quoting problems.
_NAME = r"[A-Za-z0-9_][A-Za-z0-9_-]*"
#: A plain JSONPath reference to one value: `$.a.b`, `$.a[0].b`; no filters, wildcards or slices.
REFERENCE_PATH_PATTERN = rf"^\$(\.{_NAME}|\[[0-9]+\])+$"
#: Where a result may be written: `$` or `$.a.b` (ASL's ResultPath allows no array index).
RESULT_PATH_PATTERN = rf"^\$(\.{_NAME})*$"
#: EventBridge's input path: any name without `.`/`[`/`]`, indices, and `[*]`.
_INPUT_PATH = re.compile(r"\$(?:\.[^.\[\]]+|\[(?:[0-9]+|\*)\])*")
#: One segment of either dialect (a reference's segments are a subset of an input path's).
_SEGMENT = re.compile(r"\.([^.\[\]]+)|\[([0-9]+|\*)\]")

MISSING = object()
WILDCARD = "*"


def is_reference(path: str) -> bool:
    return isinstance(path, str) and re.fullmatch(REFERENCE_PATH_PATTERN, path) is not None


def likely_fixes(text: str) -> list[str]:
    """What a path that is no plain reference likely meant, most likely first: `detail.jobId` → `$.detail.jobId`,
    `$detail.jobId` → `$.detail.jobId`, `.detail.jobId` → `$.detail.jobId`, `$['detail']['jobId']` →
    `$.detail.jobId`, surrounding blanks dropped. The caller keeps those its own pattern accepts."""
    text = re.sub(r"""\[(['"])([^'"\]]+)\1\]""", r".\2", text.strip())
    if text.startswith(("$.", "$[")):
        return [text]
    if text.startswith("$"):
        return ["$." + text[1:]]
    if text.startswith((".", "[")):
        return ["$" + text]
    return ["$." + text]


def path_segments(path: str) -> list:
    """The names (str), indexes (int) and wildcards (WILDCARD) of a path: `$.a[0].b` → ['a', 0, 'b']."""
    return [name if name else (WILDCARD if index == WILDCARD else int(index))
            for name, index in _SEGMENT.findall(path)]


def _step(values: list, segment) -> list:
    found = []
    for value in values:
        if segment == WILDCARD:
            found += list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
        elif isinstance(segment, int) and isinstance(value, list) and segment < len(value):
            found.append(value[segment])
        elif isinstance(segment, str) and isinstance(value, dict) and segment in value:
            found.append(value[segment])
    return found


def find(document: Any, path: str) -> tuple[Any, str]:
    """What a plain reference finds in `document` (MISSING when it finds nothing), and the longest part of the
    path that found something (`$.detail` when `$.detail.jobId` is absent), for messages."""
    values, found = [document], "$"
    for match in _SEGMENT.finditer(path):
        values = _step(values, path_segments(match.group(0))[0])
        if not values:
            return MISSING, found
        found += match.group(0)
    return values[0], found


def input_path_value(document: Any, path: str) -> Any:
    """The value at an EventBridge input path: one value, a list of values when the path has a wildcard
    (`$.detail.items[*].id`), or MISSING. ValueError for a path outside EventBridge's dialect."""
    if not _INPUT_PATH.fullmatch(path):
        raise ValueError(f"input path {path!r} is not supported: expected dot notation, indices and wildcards")
    segments = path_segments(path)
    values = [document]
    for segment in segments:
        values = _step(values, segment)
    if not values:
        return MISSING
    return values if WILDCARD in segments else values[0]
