"""Bridge for moto 5.2.5's JSONata: evaluate with the pure-Python `jsonata-python` (gap 7 in docs/EMULATOR.md)."""
from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

# Imported here, not per evaluation: executions start together, and each would wait for the import lock.
import jsonata
from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

from sfn_resume.local.patching import Patches, bridge


def _parse(text: Any) -> Any:
    """Step Functions' `$parse`: JSON text -> value (not standard JSONata)."""
    if not isinstance(text, str):
        raise ValueError("$parse expects a string")
    return json.loads(text)


def _uuid() -> str:
    return str(uuid.uuid4())


#: Step Functions' `$hash` algorithms, as hashlib names them.
_HASH_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(value: Any, algorithm: str) -> str:
    """Step Functions' `$hash(value, algorithm)`: the hex digest of a string (not standard JSONata)."""
    if not isinstance(value, str) or algorithm not in _HASH_ALGORITHMS:
        raise ValueError(f"$hash expects a string and one of {', '.join(_HASH_ALGORITHMS)}")
    return hashlib.new(_HASH_ALGORITHMS[algorithm], value.encode()).hexdigest()


# Step Functions functions that moto declares as JSONata text; ours are native so they behave as on AWS.
_NATIVE_FUNCTIONS = {"parse": _parse, "uuid": _uuid, "hash": _hash}


def _plain(value: Any) -> Any:
    """jsonata-python's results as plain JSON values (lists/dicts/str/numbers/bool/None)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(f"JSONata result of unsupported type {type(value).__name__}")


def evaluate(expression: str) -> Any:
    """Evaluate one composed moto expression (variables already declared inline) with jsonata-python."""
    try:
        compiled = jsonata.Jsonata(expression)
        for name, function in _NATIVE_FUNCTIONS.items():
            compiled.register_lambda(name, function)
        return _plain(compiled.evaluate(None))
    except JSONataException:
        raise
    except Exception as ex:  # jsonata-python's JException and our own ValueErrors alike
        raise JSONataException("UNKNOWN", str(ex)) from ex


@bridge("jsonata", gap="7: JSONata is stubbed ('NoneType' object is not callable)")
def bridge_jsonata(patches: Patches) -> None:
    """Plug jsonata-python into moto's JSONata entry point, and make `$parse`/`$uuid` native.

    moto composes `($states:=...; <expression>)` and calls the module global `_eval_jsonata`, which its
    JVM-less port leaves as None. moto declares `$parse` as `$eval` (JSONata, not JSON), and `$uuid` and `$hash` as
    stub strings: their declarations are removed so the native functions registered in `evaluate` apply.

    Gap 7 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.parser.asl.component.intrinsic import jsonata as intrinsic
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    patches.set(moto_jsonata, "_eval_jsonata", evaluate)
    for reference in ("$parse", "$uuid", "$hash"):
        patches.set_item(intrinsic._DECLARATION_BY_VARIABLE_REFERENCE, reference)
