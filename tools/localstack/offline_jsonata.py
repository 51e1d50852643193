"""Offline substitution 2 of 2: JSONata evaluated by `jsonata-python` instead of the Java library.

LocalStack's Step Functions evaluate JSONata with the Java library `com.dashjoin:jsonata` through JPype, and
download a JDK and the library's jars at first use (offline: `Installation of java 21 failed`). `jsonata-python`
is a port of that same library (the one sfn-resume's embedded emulator uses, at the same version). LocalStack
composes each expression with its variable declarations and its Step Functions functions (`$parse`, `$hash`,
`$uuid`, ...: declared in JSONata, by LocalStack, as it declares them for the Java library) and hands the text to
the module global `_eval_jsonata`; this module sets that global to jsonata-python's evaluation, and returns the
result as the Java bridge does: as JSON values, an error as `JSONataException("UNKNOWN", message)`.
"""
from __future__ import annotations

import json
from typing import Any


def install() -> None:
    """Set LocalStack's JSONata entry point to jsonata-python (the Java bridge is then never started)."""
    import jsonata
    from localstack.services.stepfunctions.asl.jsonata import jsonata as localstack_jsonata

    def evaluate(expression: str) -> Any:
        try:
            result = jsonata.Jsonata(expression).evaluate(None)
            # a JSON round trip, as the Java bridge serializes its result: plain lists, dicts, numbers, strings
            return json.loads(json.dumps(result))
        except Exception as ex:  # noqa: BLE001 - the Java bridge turns every error into this one
            raise localstack_jsonata.JSONataException("UNKNOWN", str(ex)) from ex

    localstack_jsonata._eval_jsonata = evaluate
