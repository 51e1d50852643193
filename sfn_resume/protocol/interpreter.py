"""An interpreter of Amazon States Language for the checker: one run of a state machine, advanced one service call at
a time, so that the checker can interleave the calls of many runs.

A run's position is a `Cursor` (immutable, hashable). `Machine.settle` runs the states that call nothing (Choice,
Pass, Wait, Succeed, Fail) until the next Task or the end; `Machine.task_call` gives the Task's resource and
arguments at the checker's clock; `Machine.after_call` applies the call's result or error: Output and Assign, Retry
(each retrier's attempts counted as AWS counts them), Catch, or the run's failure.

Supported: JSONata states (Arguments, Output, Assign, Condition), and JSONPath states (InputPath, Parameters,
ResultSelector, ResultPath, OutputPath, Choice rules on Variable) without intrinsic functions; no Parallel or Map.
What a definition uses beyond that is refused with `UnsupportedDefinition`, naming the state and the field.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, replace
from typing import Any

from ..jsonpath import MISSING, path_segments
from . import jsonata

JSONATA, JSONPATH = "JSONata", "JSONPath"
#: Errors that `States.ALL` does not catch or retry (ASL: terminal errors).
UNCATCHABLE = frozenset({"States.DataLimitExceeded", "States.Runtime"})
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
#: Retrier defaults (ASL): MaxAttempts 3.
DEFAULT_MAX_ATTEMPTS = 3


class UnsupportedDefinition(ValueError):
    """The definition uses what the checker does not interpret."""


class StateError(Exception):
    """An error raised in a state: a Task's, or an evaluation's."""

    def __init__(self, error: str, cause: str = ""):
        super().__init__(f"{error}: {cause}")
        self.error, self.cause = error, cause


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def iso(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class Cursor:
    """Where a run is: the state it runs next (None once it ended) and that state's input."""

    state: str | None
    data: str  # canonical JSON of the state's input (or of the run's output, once it ended)
    variables: str = "{}"
    retries: tuple = ()  # attempts used, per retrier of `state`
    entered_ms: int = 0
    status: str = "RUNNING"  # RUNNING, SUCCEEDED, FAILED
    error: str | None = None
    cause: str | None = None

    @property
    def running(self) -> bool:
        return self.status == "RUNNING"


def matches(error: str, error_equals: list) -> bool:
    if error in error_equals:
        return True
    if "States.ALL" in error_equals:
        return error not in UNCATCHABLE
    return "States.TaskFailed" in error_equals and not error.startswith("States.")


def _path_value(path: str, data: Any, context: dict, variables: dict) -> Any:
    """A JSONPath reference: `$...` into the data, `$$...` into the context, `$name...` a variable."""
    if path.startswith("$$"):
        root, rest = context, path[1:]
    elif path == "$" or path.startswith("$.") or path.startswith("$["):
        root, rest = data, path
    else:
        raise UnsupportedDefinition(f"path {path}: variables and intrinsic functions are not interpreted")
    value = root
    for segment in path_segments(rest):
        if isinstance(segment, int) and isinstance(value, list) and segment < len(value):
            value = value[segment]
        elif isinstance(segment, str) and isinstance(value, dict) and segment in value:
            value = value[segment]
        else:
            return MISSING
    return value


def _payload(template: Any, data: Any, context: dict, variables: dict, where: str) -> Any:
    """A JSONPath Parameters / ResultSelector template: keys ending in `.$` take a path's value."""
    if isinstance(template, dict):
        filled = {}
        for key, value in template.items():
            if key.endswith(".$"):
                if not isinstance(value, str) or value.startswith("States."):
                    raise UnsupportedDefinition(f"{where}: {key}: intrinsic functions are not interpreted")
                found = _path_value(value, data, context, variables)
                if found is MISSING:
                    raise StateError("States.Runtime", f"{where}: the JSONPath '{value}' could not be found in the input")
                filled[key[:-2]] = found
            else:
                filled[key] = _payload(value, data, context, variables, where)
        return filled
    if isinstance(template, list):
        return [_payload(value, data, context, variables, where) for value in template]
    return template


def _with_result(data: Any, result_path: str | None, result: Any) -> Any:
    """ResultPath: the result placed into the state's input (null: the input as it was)."""
    if result_path is None:
        return data
    names = path_segments(result_path)
    if not names:
        return result
    data = json.loads(json.dumps(data)) if isinstance(data, dict) else {}
    node = data
    for name in names[:-1]:
        node = node.setdefault(name, {})
        if not isinstance(node, dict):
            raise StateError("States.ResultPathMatchFailure", f"ResultPath {result_path}")
    node[names[-1]] = result
    return data


_COMPARISONS = {
    "StringEquals": lambda a, b: isinstance(a, str) and a == b,
    "StringLessThan": lambda a, b: isinstance(a, str) and a < b,
    "StringGreaterThan": lambda a, b: isinstance(a, str) and a > b,
    "StringLessThanEquals": lambda a, b: isinstance(a, str) and a <= b,
    "StringGreaterThanEquals": lambda a, b: isinstance(a, str) and a >= b,
    "NumericEquals": lambda a, b: _number(a) and a == b,
    "NumericLessThan": lambda a, b: _number(a) and a < b,
    "NumericGreaterThan": lambda a, b: _number(a) and a > b,
    "NumericLessThanEquals": lambda a, b: _number(a) and a <= b,
    "NumericGreaterThanEquals": lambda a, b: _number(a) and a >= b,
    "BooleanEquals": lambda a, b: isinstance(a, bool) and a == b,
    "IsNull": lambda a, b: (a is None) == b,
    "IsString": lambda a, b: isinstance(a, str) == b,
    "IsNumeric": lambda a, b: _number(a) == b,
    "IsBoolean": lambda a, b: isinstance(a, bool) == b,
}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Machine:
    """One state machine's definition, interpreted."""

    def __init__(self, name: str, definition: dict, arn: str):
        self.name, self.definition, self.arn = name, definition, arn
        self.states = definition.get("States", {})
        self.query_language = definition.get("QueryLanguage", JSONPATH)
        for state_name, state in self.states.items():
            kind = state.get("Type")
            if kind not in ("Task", "Choice", "Pass", "Wait", "Succeed", "Fail"):
                raise UnsupportedDefinition(f"{name}.{state_name}: a {kind} state is not interpreted")

    def language(self, state: dict) -> str:
        return state.get("QueryLanguage", self.query_language)

    # --- the context object and JSONata bindings ------------------------------------------------------------------

    def context(self, run_id: str, run_input: Any, cursor: Cursor, start_ms: int) -> dict:
        return {
            "Execution": {"Id": f"{self.arn.replace(':stateMachine:', ':execution:')}:{run_id}", "Input": run_input,
                          "Name": run_id, "StartTime": iso(start_ms), "RedriveCount": 0},
            "StateMachine": {"Id": self.arn, "Name": self.arn.rpartition(":")[2]},
            "State": {"Name": cursor.state, "EnteredTime": iso(cursor.entered_ms),
                      "RetryCount": sum(cursor.retries)},
        }

    def _fill(self, template: Any, states: dict, cursor: Cursor, now_ms: int, where: str) -> Any:
        try:
            return jsonata.fill(template, states, now_ms, json.loads(cursor.variables))
        except jsonata.QueryEvaluationError as ex:
            raise StateError(QUERY_EVALUATION_ERROR, f"{where}: {ex}") from None

    # --- moving a run -----------------------------------------------------------------------------------------------

    def start(self, run_input: Any, now_ms: int) -> Cursor:
        return Cursor(self.definition["StartAt"], canonical(run_input), entered_ms=now_ms)

    def _enter(self, cursor: Cursor, next_state: str, data: Any, variables: str, now_ms: int) -> Cursor:
        if next_state not in self.states:
            raise UnsupportedDefinition(f"{self.name}: Next {next_state} names no state")
        return Cursor(next_state, canonical(data), variables, (), now_ms)

    def _leave(self, cursor: Cursor, state: dict, output: Any, variables: str, now_ms: int) -> Cursor:
        if state.get("End"):
            return Cursor(None, canonical(output), variables, status="SUCCEEDED")
        return self._enter(cursor, state["Next"], output, variables, now_ms)

    def _assign(self, state_or_rule: dict, states: dict, cursor: Cursor, now_ms: int, where: str) -> str:
        if "Assign" not in state_or_rule:
            return cursor.variables
        assigned = self._fill(state_or_rule["Assign"], states, cursor, now_ms, f"{where}.Assign")
        return canonical({**json.loads(cursor.variables), **assigned})

    def settle(self, cursor: Cursor, context: dict, now_ms: int) -> Cursor:
        """Run the states that call no service, from `cursor` to the next Task or the end."""
        while cursor.running and self.states[cursor.state]["Type"] != "Task":
            try:
                cursor = self._step(cursor, context, now_ms)
            except StateError as ex:
                cursor = self.after_error(cursor, context, now_ms, ex.error, ex.cause)
        return cursor

    def _step(self, cursor: Cursor, context: dict, now_ms: int) -> Cursor:
        state = self.states[cursor.state]
        kind, data, where = state["Type"], json.loads(cursor.data), f"{self.name}.{cursor.state}"
        context = {**context, "State": {**context["State"], "Name": cursor.state, "EnteredTime": iso(cursor.entered_ms)}}
        if kind == "Succeed":
            output = data
            if self.language(state) == JSONATA and "Output" in state:
                output = self._fill(state["Output"], {"input": data, "context": context}, cursor, now_ms, where)
            return Cursor(None, canonical(output), cursor.variables, status="SUCCEEDED")
        if kind == "Fail":
            states = {"input": data, "context": context}
            error, cause = (self._fill(state.get(field, ""), states, cursor, now_ms, where)
                            for field in ("Error", "Cause"))
            return Cursor(None, cursor.data, cursor.variables, status="FAILED", error=error, cause=cause)
        if kind == "Choice":
            return self._choice(cursor, state, data, context, now_ms, where)
        # Pass and Wait: the time a Wait takes is any time, as between any two steps of the checker
        if self.language(state) == JSONATA:
            states = {"input": data, "context": context}
            output = self._fill(state["Output"], states, cursor, now_ms, where) if "Output" in state else data
            return self._leave(cursor, state, output, self._assign(state, states, cursor, now_ms, where), now_ms)
        output = self._jsonpath_output(state, data, state.get("Result", data) if kind == "Pass" else data,
                                       context, cursor, where)
        return self._leave(cursor, state, output, cursor.variables, now_ms)

    def _choice(self, cursor: Cursor, state: dict, data: Any, context: dict, now_ms: int, where: str) -> Cursor:
        states = {"input": data, "context": context}
        jsonata_state = self.language(state) == JSONATA
        for rule in state.get("Choices", []):
            if jsonata_state:
                taken = self._fill(rule["Condition"], states, cursor, now_ms, f"{where}.Condition")
                if not isinstance(taken, bool):
                    raise StateError(QUERY_EVALUATION_ERROR, f"{where}: a Condition gave {taken!r}, not a boolean")
            else:
                taken = self._rule(rule, data, context, json.loads(cursor.variables), where)
            if taken:
                output = (self._fill(rule["Output"], states, cursor, now_ms, where)
                          if jsonata_state and "Output" in rule else data)
                return self._enter(cursor, rule["Next"], output, self._assign(rule, states, cursor, now_ms, where),
                                   now_ms)
        if "Default" not in state:
            raise StateError("States.NoChoiceMatched", f"{where}: no choice rule matched")
        output = self._fill(state["Output"], states, cursor, now_ms, where) if jsonata_state and "Output" in state \
            else data
        return self._enter(cursor, state["Default"], output, cursor.variables, now_ms)

    def _rule(self, rule: dict, data: Any, context: dict, variables: dict, where: str) -> bool:
        if "And" in rule:
            return all(self._rule(r, data, context, variables, where) for r in rule["And"])
        if "Or" in rule:
            return any(self._rule(r, data, context, variables, where) for r in rule["Or"])
        if "Not" in rule:
            return not self._rule(rule["Not"], data, context, variables, where)
        value = _path_value(rule["Variable"], data, context, variables)
        for operator, operand in rule.items():
            if operator == "IsPresent":
                return (value is not MISSING) == operand
            if operator in _COMPARISONS:
                if value is MISSING:
                    raise StateError("States.Runtime", f"{where}: Invalid path '{rule['Variable']}'")
                return _COMPARISONS[operator](value, operand)
        raise UnsupportedDefinition(f"{where}: choice rule {sorted(rule)} is not interpreted")

    def _jsonpath_output(self, state: dict, data: Any, result: Any, context: dict, cursor: Cursor, where: str) -> Any:
        variables = json.loads(cursor.variables)
        if "ResultSelector" in state:
            result = _payload(state["ResultSelector"], result, context, variables, where)
        output = _with_result(data, state.get("ResultPath", "$"), result)
        if state.get("OutputPath", "$") is None:
            return {}
        found = _path_value(state.get("OutputPath", "$"), output, context, variables)
        if found is MISSING:
            raise StateError("States.Runtime", f"{where}: OutputPath {state['OutputPath']} found nothing")
        return found

    def task_call(self, cursor: Cursor, context: dict, now_ms: int) -> tuple[str, Any]:
        """The Task's resource and arguments, evaluated now (raises StateError when they cannot be)."""
        state = self.states[cursor.state]
        data, where = json.loads(cursor.data), f"{self.name}.{cursor.state}"
        context = {**context, "State": {**context["State"], "Name": cursor.state, "EnteredTime": iso(cursor.entered_ms)}}
        if self.language(state) == JSONATA:
            arguments = self._fill(state.get("Arguments", {}), {"input": data, "context": context}, cursor, now_ms,
                                   f"{where}.Arguments")
        else:
            if "InputPath" in state:
                data = _path_value(state["InputPath"], data, context, {})
            arguments = _payload(state.get("Parameters", data), data, context, json.loads(cursor.variables), where)
        return state["Resource"], arguments

    def after_call(self, cursor: Cursor, context: dict, now_ms: int, result: Any) -> Cursor:
        """The run after its Task's call returned `result`."""
        state = self.states[cursor.state]
        data, where = json.loads(cursor.data), f"{self.name}.{cursor.state}"
        try:
            if self.language(state) == JSONATA:
                states = {"input": data, "context": context, "result": result}
                output = self._fill(state["Output"], states, cursor, now_ms, f"{where}.Output") \
                    if "Output" in state else result
                variables = self._assign(state, states, cursor, now_ms, where)
            else:
                output = self._jsonpath_output(state, data, result, context, cursor, where)
                variables = cursor.variables
        except StateError as ex:
            return self.after_error(cursor, context, now_ms, ex.error, ex.cause)
        return self.settle(self._leave(cursor, state, output, variables, now_ms), context, now_ms)

    def retrier(self, cursor: Cursor, error: str) -> int | None:
        """The index of the retrier that retries `error` now, or None (no retrier, or its attempts are spent)."""
        for index, retrier in enumerate(self.states[cursor.state].get("Retry", [])):
            if matches(error, retrier["ErrorEquals"]):
                used = cursor.retries[index] if index < len(cursor.retries) else 0
                return index if used < retrier.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS) else None
        return None

    def after_error(self, cursor: Cursor, context: dict, now_ms: int, error: str, cause: str,
                    retry: bool = True) -> Cursor:
        """The run after an error in its current state: retried, caught, or the run fails. `retry=False` skips the
        retriers (the checker's "the error persists through every retry")."""
        state = self.states[cursor.state]
        index = self.retrier(cursor, error) if retry and state["Type"] == "Task" else None
        if index is not None:
            retries = list(cursor.retries) + [0] * (index + 1 - len(cursor.retries))
            retries[index] += 1
            return replace(cursor, retries=tuple(retries))
        error_output = {"Error": error, "Cause": cause}
        for catcher in state.get("Catch", []):
            if matches(error, catcher["ErrorEquals"]):
                data = json.loads(cursor.data)
                if self.language(state) == JSONATA:
                    states = {"input": data, "context": context, "errorOutput": error_output}
                    try:
                        output = self._fill(catcher["Output"], states, cursor, now_ms, f"{state}.Catch") \
                            if "Output" in catcher else error_output
                        variables = self._assign(catcher, states, cursor, now_ms, "Catch")
                    except StateError as ex:
                        return Cursor(None, cursor.data, cursor.variables, status="FAILED", error=ex.error,
                                      cause=ex.cause)
                else:
                    output, variables = _with_result(data, catcher.get("ResultPath", "$"), error_output), \
                        cursor.variables
                return self.settle(self._enter(cursor, catcher["Next"], output, variables, now_ms), context, now_ms)
        return Cursor(None, cursor.data, cursor.variables, status="FAILED", error=error, cause=cause)
