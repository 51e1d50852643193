"""JSONata as Step Functions evaluates it in a state (`{% ... %}`), for the checker: jsonata-python with
`$states` bound, the clock the checker sets for `$millis()`/`$now()`, and Step Functions' own functions
(`$parse`, `$hash`, `$partition`, `$range`).

Step Functions fails a state with `States.QueryEvaluationError` when an expression raises an error or gives nothing
(undefined); `evaluate` raises `QueryEvaluationError` for both.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import lru_cache
from typing import Any

#: Step Functions' `$hash` algorithms, as hashlib names them.
HASH_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


class QueryEvaluationError(Exception):
    """States.QueryEvaluationError: the expression failed, or gave nothing."""


def parse(text: Any) -> Any:
    """Step Functions' `$parse`: JSON text -> value (not standard JSONata)."""
    if not isinstance(text, str):
        raise ValueError("$parse expects a string")
    return json.loads(text)


def hash_text(value: Any, algorithm: str) -> str:
    """Step Functions' `$hash(value, algorithm)`: the hex digest of a string (not standard JSONata)."""
    if not isinstance(value, str) or algorithm not in HASH_ALGORITHMS:
        raise ValueError(f"$hash expects a string and one of {', '.join(HASH_ALGORITHMS)}")
    return hashlib.new(HASH_ALGORITHMS[algorithm], value.encode()).hexdigest()


def _partition(items: list, size: float) -> list:
    size = int(size)
    return [items[i:i + size] for i in range(0, len(items), size)]


def _range(start: float, end: float, step: float) -> list:
    return list(range(int(start), int(end) + (1 if step > 0 else -1), int(step)))


@lru_cache(maxsize=None)
def _compiled(expression: str):
    import jsonata

    compiled = jsonata.Jsonata(expression)
    for name, function in (("parse", parse), ("hash", hash_text), ("partition", _partition), ("range", _range)):
        compiled.register_lambda(name, function)
    return compiled


def _plain(value: Any) -> Any:
    from jsonata.utils import Utils

    if value is Utils.NULL_VALUE:
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def evaluate(expression: str, states: dict, now_ms: int, variables: dict | None = None) -> Any:
    """The value of one JSONata expression (the text between `{%` and `%}`) in a state."""
    import jsonata
    from jsonata.functions import Functions

    bindings = {**(variables or {}), "states": states,
                "millis": jsonata.Jsonata.JLambda(lambda: now_ms),
                "now": jsonata.Jsonata.JLambda(lambda *args: Functions.datetime_from_millis(now_ms, None, None))}
    try:
        result = _compiled(expression).evaluate(None, bindings)
    except Exception as ex:  # jsonata-python's JException, and the functions' own errors
        raise QueryEvaluationError(f"The JSONata expression '{expression}' failed: {ex}") from None
    if result is None and not _compiled(f"$exists(({expression}))").evaluate(None, bindings):
        # jsonata-python gives None for JSON null and for nothing alike
        raise QueryEvaluationError(f"The JSONata expression '{expression}' returned nothing (undefined).")
    return _plain(result)


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def fill(template: Any, states: dict, now_ms: int, variables: dict | None = None) -> Any:
    """A field of a JSONata state (Arguments, Output, ...) with every `{% ... %}` string evaluated."""
    if is_expression(template):
        return evaluate(template[2:-2].strip(), states, now_ms, variables)
    if isinstance(template, dict):
        return {key: fill(value, states, now_ms, variables) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, states, now_ms, variables) for value in template]
    return template
