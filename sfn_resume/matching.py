"""EventBridge's pattern matching, for `sfn-resume check`: plain Python, so `check` works from the base install.

EventBridge matches a pattern leaf by leaf: the event is flattened to dotted paths of its leaves (an empty object
is a leaf), and every key of the pattern must match (`$or`: one of its alternatives). A leaf's list matches when
one of its items does; an event array matches when one of its elements does. A value matches only a value of its
own JSON type (`true` is not the number 1). The operators are those patterns.py accepts. tests/test_matching.py
compares this with moto's matcher on every sample of the catalogue and on each operator.
"""

from __future__ import annotations

import ipaddress
import re
from operator import eq, ge, gt, le, lt
from typing import Any

_ABSENT = object()
_COMPARATORS = {"<": lt, "<=": le, "=": eq, ">=": ge, ">": gt}


def matches(pattern: dict, event: dict) -> bool:
    """Whether EventBridge would match `event` with `pattern` (a pattern valid for patterns.pattern_problems)."""
    return _object_matches(pattern, _flatten(event), "")


def _flatten(node: Any, prefix: str = "", leaves: dict | None = None) -> dict[str, Any]:
    leaves = {} if leaves is None else leaves
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            _flatten(value, path, leaves)
        else:
            leaves[path] = value
    return leaves


def _object_matches(pattern: dict, leaves: dict, prefix: str) -> bool:
    for key, value in pattern.items():
        if key == "$or":
            if not any(_object_matches(alternative, leaves, prefix) for alternative in value):
                return False
            continue
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            if not _object_matches(value, leaves, path):
                return False
        elif not any(_item_matches(item, leaves.get(path, _ABSENT)) for item in value):
            return False
    return True


def _same(expected, actual) -> bool:
    """JSON equality: a bool equals only a bool, a number any equal number."""
    return isinstance(expected, bool) == isinstance(actual, bool) and expected == actual


def _item_matches(item, value) -> bool:
    if isinstance(item, dict):
        ((operator, operand),) = item.items()
        if operator == "exists":
            return (value is not _ABSENT) == operand
        if value is _ABSENT:
            return False
        values = value if isinstance(value, list) else [value]
        return any(_operator_matches(operator, operand, one) for one in values)
    if value is _ABSENT:
        return False
    return any(_same(item, one) for one in value) if isinstance(value, list) else _same(item, value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _operator_matches(operator: str, operand, value) -> bool:
    if operator in ("prefix", "suffix"):
        if not isinstance(value, str):
            return False
        if isinstance(operand, dict):  # {"equals-ignore-case": text}
            value, operand = value.casefold(), operand["equals-ignore-case"].casefold()
        return value.startswith(operand) if operator == "prefix" else value.endswith(operand)
    if operator == "equals-ignore-case":
        operands = operand if isinstance(operand, list) else [operand]
        return isinstance(value, str) and any(value.casefold() == one.casefold() for one in operands)
    if operator == "wildcard":
        operands = operand if isinstance(operand, list) else [operand]
        return isinstance(value, str) and any(_wildcard(one).fullmatch(value) for one in operands)
    if operator == "numeric":
        return _is_number(value) and all(_COMPARATORS[comparator](value, number)
                                         for comparator, number in zip(operand[::2], operand[1::2], strict=True))
    if operator == "cidr":
        try:
            return ipaddress.ip_address(value) in ipaddress.ip_network(operand, strict=False)
        except (TypeError, ValueError):
            return False
    if operator == "anything-but":
        if isinstance(operand, dict):
            ((inner, inner_operand),) = operand.items()
            return not _operator_matches(inner, inner_operand, value)
        operands = operand if isinstance(operand, list) else [operand]
        return not any(_same(one, value) for one in operands)
    raise ValueError(f"unknown operator {operator!r}")  # patterns.py refuses it before


def _wildcard(text: str) -> re.Pattern:
    """A wildcard operand as a regular expression: `*` any characters, `\\*` and `\\\\` themselves."""
    parts = re.split(r"(\\[*\\]|\*)", text)
    return re.compile("".join(".*" if part == "*" else re.escape(part[1:] if part in ("\\*", "\\\\") else part)
                              for part in parts), re.S)
