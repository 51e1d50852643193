"""Bridges for moto 5.2.5's JSONata: evaluate with the pure-Python `jsonata-python` (gap 7 in docs/EMULATOR.md),
made to give what JSONata's reference implementation (the npm package `jsonata`) gives where the port differs.

tests/local/test_jsonata_reference.py evaluates every expression the templates ship in both and fails on any difference.
"""
from __future__ import annotations

import decimal
import hashlib
import json
import math
import re
import uuid
from typing import Any

# Imported here, not per evaluation: executions start together, and each would wait for the import lock.
import jsonata
from jsonata.functions import Functions
from jsonata.jexception import JException
from jsonata.parser import Parser
from jsonata.tokenizer import Tokenizer
from jsonata.utils import Utils
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


# --- $string as the reference implementation gives it -------------------------------------------------------------

#: JSONata rounds the numbers `$string` writes that are not integers to this many significant digits.
_STRING_PRECISION = decimal.Context(prec=15, rounding=decimal.ROUND_HALF_UP)
_MAX_SAFE_INTEGER = 2**53
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _js_number(value: int | float) -> str:
    """A finite number as JavaScript prints it (ECMA-262 Number::toString, radix 10), which JSON.stringify uses.

    Shortest digits that read back as the same double, as Python's repr; but positional from 1e-6 to 1e21
    (`0.000001`, `100000000000000000000`) and exponents without padding (`1e-7`, `1e+21`). An int beyond 2**53 is
    first a double, as every JavaScript number is.
    """
    if isinstance(value, int) and abs(value) <= _MAX_SAFE_INTEGER:
        return str(value)
    value = float(value)
    if value == 0:
        return "0"  # -0 as well
    sign = "-" if value < 0 else ""
    _, digit_tuple, exponent = decimal.Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    # value = 0.<digits> x 10**point
    count, point = len(digits), exponent + len(digits)
    if count <= point <= 21:
        return sign + digits + "0" * (point - count)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    mantissa = digits[0] + ("." + digits[1:] if count > 1 else "")
    return f"{sign}{mantissa}e{'+' if point > 0 else '-'}{abs(point - 1)}"


def _string_number(value: int | float, nested: bool) -> str:
    """A number as JSONata's `$string` writes it: not an integer -> 15 significant digits (`0.1 + 0.2` -> `0.3`)."""
    if not math.isfinite(value):
        # JSONata: D3001 for $string(Infinity); D1001 for a non-finite number inside a value.
        raise JException("D1001" if nested else "D3001", -1, value)
    if isinstance(value, float) and not value.is_integer():
        value = float(decimal.Decimal(value).normalize(_STRING_PRECISION))
    return _js_number(value)


def _json_key_order(keys: list[str]) -> list[str]:
    """Object keys in JavaScript's order: integer-like keys (array indices) first, ascending; then the others as
    they were inserted (ECMA-262 OrdinaryOwnPropertyKeys, which JSON.stringify follows)."""
    def is_index(key: str) -> bool:
        return key.isdigit() and key.isascii() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1

    return sorted((k for k in keys if is_index(k)), key=int) + [k for k in keys if not is_index(k)]


def _json_string(text: str) -> str:
    """A string as JSON.stringify writes it: no escaping of non-ASCII; a lone surrogate as its \\u escape."""
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def _stringify(value: Any, indent: str, depth: int) -> str:
    if value is None or value is Utils.NULL_VALUE:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _string_number(value, nested=depth > 0)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, (jsonata.Jsonata.JFunction, Parser.Symbol)):
        return '""'  # JSONata writes functions as empty strings
    if isinstance(value, dict):
        parts = [(_json_string(key), _stringify(value[key], indent, depth + 1)) for key in _json_key_order(list(value))]
        items, (opening, closing) = [f"{key}:{' ' if indent else ''}{item}" for key, item in parts], "{}"
    elif isinstance(value, (list, tuple)):
        items, (opening, closing) = [_stringify(item, indent, depth + 1) for item in value], "[]"
    else:
        raise JException("D3001", -1, value)
    if not items:
        return opening + closing
    if not indent:
        return opening + ",".join(items) + closing
    inner, outer = "\n" + indent * (depth + 1), "\n" + indent * depth
    return opening + inner + ("," + inner).join(items) + outer + closing


def string_as_reference(value: Any, prettify: bool) -> str:
    """JSONata's `$string(value)` for a value that is not a string, as its reference implementation gives it.

    JSONata's documentation of `$string(arg, prettify)` (https://docs.jsonata.org/string-functions#string): "Strings
    are unchanged", "Functions are converted to an empty string", "Numeric infinity and NaN throw an error", and
    "All other values are converted to a JSON string using the JSON.stringify function" ("prettified" with
    `prettify`). So non-ASCII characters are written as they are, not escaped, and numbers as JavaScript prints
    them, an integer of 16+ digits too (`1234567890123456`, not `1.23456789012346e+15`). The reference
    implementation (npm `jsonata` 2.2.2, `function string(arg, prettify)` in jsonata.js) also rounds every number
    that is not an integer to 15 significant digits, nested ones too: its JSON.stringify replacer returns
    `Number(val.toPrecision(15))` (`{"a": 0.1 + 0.2}` -> `{"a":0.3}`). jsonata-python 0.7.1 escapes non-ASCII
    (`json.dumps`), writes 16+ digit integers in exponent form and rounds a number only when it is given alone.
    The `&` operator writes its operands with the same function, in both.
    """
    return _stringify(value, "  " if prettify else "", 0)


def _combine_surrogate_pairs(text: str) -> str:
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


@bridge("jsonata-string", gap="28: jsonata-python's $string of a value differs from JSONata's reference "
                              "(non-ASCII escaped, 16+ digit integers in exponent form, nested numbers not rounded)")
def bridge_jsonata_string(patches: Patches) -> None:
    """Make jsonata-python's `$string` (and `&`) write values as JSONata's reference does (`string_as_reference`).

    An event with Japanese text is otherwise measured at up to six times its length (`ジ` is `\\u30b8`) and
    trimmed where AWS delivers it whole, and a numeric job id of 16+ digits becomes another DynamoDB key.
    """
    patches.set(Functions, "_string", staticmethod(string_as_reference))


@bridge("jsonata-surrogate-pairs", gap="29: jsonata-python reads a \\uXXXX surrogate pair in a string literal as "
                                       "two characters (moto writes $states as ASCII JSON: an emoji counts 2)")
def bridge_jsonata_surrogate_pairs(patches: Patches) -> None:
    """Make jsonata-python read `"\\ud83d\\ude00"` in an expression as one character, `😀`, as JSONata does.

    moto gives an expression its `$states` as JSON text with every non-ASCII character escaped; jsonata-python turns
    each `\\uXXXX` into a character of its own, so a character outside the BMP (an emoji) becomes two lone
    surrogates: `$length` counts it twice and `$substring` can cut it in half. JavaScript strings are UTF-16, so the
    reference implementation reads the pair as the one character it encodes.
    """
    create = Tokenizer.create

    def create_combining_pairs(tokenizer: Tokenizer, kind: str | None, value: Any) -> Tokenizer.Token:
        if kind == "string" and _LONE_SURROGATE.search(value):
            value = _combine_surrogate_pairs(value)
        return create(tokenizer, kind, value)

    patches.set(Tokenizer, "create", create_combining_pairs)
