"""Every JSONata expression the committed templates ship, evaluated by the emulator's engine and by JSONata's
reference implementation on protocol-shaped inputs: any difference fails, with the expression, the input and both
results.

The emulator's engine: jsonata-python with every bridge installed, the expression composed as moto composes it
(moto's own `$states` binding, `$states` written into the expression as JSON text). The reference: the npm package
`jsonata` (tools/jsonata-reference.js, one node process for every evaluation), `$states` bound as a value, as Step
Functions binds it. Step Functions' `$parse` and `$hash` are each engine's own (the emulator's from
sfn_resume/local/bridges_jsonata.py); `$millis`, `$now` and `$uuid` return the same fixed values in both.
jsonata-python gives null where JSONata gives undefined (a missing field), so the two compare equal.

The expressions are read from templates/ (state machine definitions with their `DefinitionSubstitutions`, and the
outputs that hold a pause state), so the test follows every change to the protocol. Needs node and
tools/install-scanners.sh; without them it skips, except under CI (env CI set), where it fails.
"""
from __future__ import annotations

import datetime
import functools
import json
import os
import re
import shutil
import subprocess
from typing import Any, Iterator

import pytest
from moto.stepfunctions.parser.asl.component.intrinsic.jsonata import get_intrinsic_functions_declarations
from moto.stepfunctions.parser.asl.eval.states import States
from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

from sfn_resume.local import bridges, bridges_jsonata
from sfn_resume.local.bridges_cloudformation import substitute
from sfn_resume.local.bridges_stepfunctions import definition_from_properties
from tests.helpers import COMMITTED_TEMPLATES, ROOT, TEMPLATES, load_yaml

REFERENCE_SCRIPT = ROOT / "tools" / "jsonata-reference.js"
REFERENCE_PACKAGE = ROOT / "tools" / ".npm-jsonata" / "node_modules" / "jsonata" / "package.json"

FIXED_MILLIS = 1796173200123  # 2026-12-02T01:00:00.123Z
FIXED_UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"

# --- the expressions, from the committed templates -----------------------------------------------------------------

#: Values for the Parameters that have no Default, and a second deployment that takes the other branch of each
#: condition that shapes an expression (a result path, a job id path with an index and names JSONata must quote).
PARAMETER_VALUES = [
    {"NameSuffix": "test", "EventPattern": '{"source": ["aws.translate"]}', "PathToIdWorkflow": "$.detail.jobId",
     "PathToIdPauseTask": "$.startJob.Jobs[0].JobId"},
    {"NameSuffix": "test", "EventPattern": '{"source": ["aws.translate"]}', "PathToIdWorkflow": "$.detail.jobId",
     "PathToIdPauseTask": "$.job.b-c.7z", "ResultPath": "$.job.result", "HeartbeatSeconds": "60",
     "EventRetentionSeconds": "3600"},
]
PSEUDO_PARAMETERS = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
                     "AWS::StackName": "sfn-resume-test", "AWS::URLSuffix": "amazonaws.com"}
_NO_VALUE = object()


class Deployment:
    """A template's intrinsic functions evaluated as CloudFormation evaluates them, for given parameter values: what
    the values that hold JSONata need (Ref, Fn::Sub, Fn::Join, Fn::Split, Fn::Select, Fn::If and conditions)."""

    def __init__(self, template: dict, values: dict[str, str]):
        self.template = template
        self.parameters = {
            name: values.get(name, str(spec["Default"]) if "Default" in spec else None)
            for name, spec in template.get("Parameters", {}).items()
        }

    def ref(self, name: str) -> Any:
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.parameters:
            value = self.parameters[name]
            assert value is not None, f"give parameter {name} a value in PARAMETER_VALUES"
            spec = self.template["Parameters"][name]
            return value.split(",") if spec["Type"] == "CommaDelimitedList" else value
        assert name in self.template["Resources"], name
        return f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"

    def condition(self, name: str) -> bool:
        return self._is_true(self.template["Conditions"][name])

    def _is_true(self, node: dict) -> bool:
        (function, argument), = node.items()
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Equals":
            left, right = (self.value(item) for item in argument)
            return str(left) == str(right)
        results = [self._is_true(item) for item in argument]
        return {"Fn::Not": lambda: not results[0], "Fn::And": lambda: all(results),
                "Fn::Or": lambda: any(results)}[function]()

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [item for item in (self.value(item) for item in node) if item is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        [(key, argument)] = node.items() if len(node) == 1 else [(None, None)]
        if key == "Ref" or (key or "").startswith("Fn::"):
            return self._function(key, argument)
        return {key: item for key, item in ((key, self.value(item)) for key, item in node.items())
                if item is not _NO_VALUE}

    def _function(self, function: str, argument: Any) -> Any:
        if function == "Ref":
            return self.ref(argument)
        if function == "Fn::If":
            name, when_true, when_false = argument
            return self.value(when_true if self.condition(name) else when_false)
        if function == "Fn::GetAtt":
            return ".".join(argument) if isinstance(argument, list) else argument
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            # CloudFormation's Fn::Sub, as the emulator's bridge does it; a `${Logical.Attr}` stays its name here
            return substitute(text, self.value(variables), lambda name: self.ref(name) if "." not in name else name)
        argument = self.value(argument)
        if function == "Fn::Join":
            return argument[0].join(argument[1])
        if function == "Fn::Split":
            return argument[1].split(argument[0])
        if function == "Fn::Select":
            return argument[1][int(argument[0])]
        raise AssertionError(f"intrinsic function {function} is not evaluated here")



def _jsonata_strings(node: Any, where: str) -> Iterator[tuple[str, str]]:
    """(expression, where) for every `{% ... %}` string in a state machine definition or a state, as moto strips it."""
    if isinstance(node, dict):
        for key, item in node.items():
            yield from _jsonata_strings(item, f"{where}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _jsonata_strings(item, f"{where}[{index}]")
    elif isinstance(node, str) and node.startswith("{%") and node.endswith("%}"):
        yield node[2:-2].strip(), where


@functools.cache
def shipped_expressions() -> tuple[dict[str, str], set[str]]:
    """Every distinct expression the committed templates ship (-> where one is), and the JSONPaths at which the
    pause states read the workflow's job id."""
    expressions: dict[str, str] = {}
    job_id_paths: set[str] = set()
    for path in COMMITTED_TEMPLATES:
        template = load_yaml(path)
        for values in PARAMETER_VALUES:
            deployment = Deployment(template, values)
            found: list[tuple[str, str]] = []
            for name, resource in template.get("Resources", {}).items():
                if resource["Type"] != "AWS::StepFunctions::StateMachine":
                    continue
                properties = resource["Properties"]
                definition = properties.get("Definition") or json.loads(deployment.value(properties["DefinitionString"]))
                substitutions = deployment.value(properties.get("DefinitionSubstitutions", {}))
                deployed = definition_from_properties({"Definition": definition, "DefinitionSubstitutions": substitutions})
                found += _jsonata_strings(json.loads(deployed), name)
            for name, output in template.get("Outputs", {}).items():
                value = deployment.value(output["Value"])
                if isinstance(value, str) and value.startswith("{") and '"Type": "Task"' in value:
                    state = json.loads(value)
                    found += _jsonata_strings(state, f"Outputs.{name}")
                    if "jobId.$" in state.get("Parameters", {}).get("Input", {}):
                        job_id_paths.add(state["Parameters"]["Input"]["jobId.$"])
            for expression, where in found:
                expressions.setdefault(expression, f"{path.relative_to(TEMPLATES)}: {where}")
    return expressions, job_id_paths


# --- the inputs ----------------------------------------------------------------------------------------------------

TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAbYcK0z4eVhMy+8ewNPRbGzTDMk2W3p8sRDGRHNFDJSmcF6t1GIGRdgwmP3ZOa8Uu3E6xhSZSQ=="
EXECUTION_ARN = "arn:aws:states:us-east-1:123456789012:execution:TranslateWorkflow:run-1"
PAUSE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:SfnResume-test-Pause"
ENTERED_TIME = "2026-12-02T00:59:00.456Z"
EVENT_ID = "8d1f3e2a-5b6c-4d7e-8f90-a1b2c3d4e5f6"
#: A field the input leaves out (None is JSON null).
_MISSING = object()


def _event(detail: Any) -> dict:
    return {"version": "0", "id": EVENT_ID, "detail-type": "Translate TextTranslationJob State Change",
            "source": "aws.translate", "account": "123456789012", "time": "2026-12-02T00:59:58Z",
            "region": "us-east-1", "resources": [], "detail": detail}


def _place(document: dict, path: str, value: Any) -> None:
    """Put `value` at a plain JSONPath (`$.a.b[0].c`) in `document`, making the objects and arrays on the way."""
    steps = [name or int(index) for name, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path)]
    here: Any = document
    for step, following in zip(steps, [*steps[1:], None], strict=True):
        empty = [] if isinstance(following, int) else {}
        if isinstance(step, int):
            here.extend({} for _ in range(step + 1 - len(here)))
            here[step] = here[step] or empty if following is not None else value
        elif following is None:
            here[step] = value
        else:
            here = here.setdefault(step, empty)
            continue
        here = here[step]


def _states(job_id: Any, detail: Any, job_id_paths: set[str], *, retry_count: int = 0, outcome: str = "SUCCEEDED",
            failure: dict | None = None) -> dict:
    """What `$states` holds: every field that a machine input, a task result or an error output of the protocol has,
    and the workflow state a pause state reads, with the job id at each pause's path."""
    event = _event(detail)
    given: dict[str, Any] = {"id": EVENT_ID, "event": event, "token": TOKEN, "timeoutSeconds": 86400,
                             "enteredTime": ENTERED_TIME, "retryCount": retry_count,
                             "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": EXECUTION_ARN, **(failure or {})}
    if job_id is not _MISSING:
        given["jobId"] = job_id
        for path in sorted(job_id_paths):
            _place(given, path, job_id)
    stored = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    result = {"Attributes": {"id": {"S": str(job_id)}, "token": {"S": TOKEN}, "event": {"S": stored},
                             "outcome": {"S": outcome}, "eventId": {"S": EVENT_ID},
                             "expiresAtMs": {"N": str(FIXED_MILLIS + 86400000)}}}
    error_output = {"Error": "DynamoDb.ResourceNotFoundException",
                    "Cause": "Requested resource not found (Service: DynamoDb, Status Code: 400) — テーブル"}
    return {"input": given, "result": result, "errorOutput": error_output, "context": _context(retry_count, given)}


def _context(retry_count: int, given: Any) -> dict:
    return {"Execution": {"Id": EXECUTION_ARN, "Input": given, "Name": "run-1", "StartTime": ENTERED_TIME,
                          "RoleArn": "arn:aws:iam::123456789012:role/workflow", "RedriveCount": 0},
            "State": {"EnteredTime": ENTERED_TIME, "Name": "WaitForTranslation", "RetryCount": retry_count},
            "StateMachine": {"Id": PAUSE_MACHINE_ARN, "Name": "SfnResume-test-Pause"},
            "Task": {"Token": TOKEN}}


def input_cases(job_id_paths: set[str]) -> dict[str, dict]:
    japanese = "翻訳ジョブが完了しました😀🚀"
    cases = {
        "ascii": _states("3b5e0a1c-4f2d", {"jobId": "3b5e0a1c-4f2d", "jobStatus": "COMPLETED",
                                           "message": 'said "done" \\ \n\t\u0001 ~'}, job_id_paths),
        "japanese and emoji": _states("ジョブ-😀-42", {"jobId": "ジョブ-😀-42", "jobName": "翻訳 🚀",
                                                     "message": "完了 ✅ 👍🏽 𠮷"}, job_id_paths),
        # under the trimming threshold as JSON.stringify writes it (23k characters), over it with each escaped (154k)
        "multi-byte, under the threshold": _states("big-1", {"jobId": "big-1", "text": japanese * 1500},
                                                   job_id_paths),
        "over the threshold": _states("big-2", {"jobId": "big-2", "text": "x" * 131_072 + japanese}, job_id_paths),
        "16-digit job id": _states(1234567890123456, {"jobId": 1234567890123456, "n": 9007199254740993},
                                   job_id_paths),
        "20-digit job id": _states(12345678901234567890, {"jobId": 12345678901234567890}, job_id_paths),
        "floats": _states(2.5, {"jobId": 2.5, "ratio": 0.30000000000000004, "progress": 0.1,
                                "costs": [0.1, 0.2, 1e-7, 1.5e-6, 1e21, 1e20, 100.0, -0.0, 123456789012344.5]},
                          job_id_paths),
        "integer-like keys": _states("keys", {"jobId": "keys", "b": 1, "10": "ten", "2": "two",
                                              "nested": {"1": 1, "0": 0}}, job_id_paths),
        "null job id": _states(None, None, job_id_paths),
        "failed, retried, failed by hand": _states(
            "3b5e0a1c-4f2d", {"jobId": "3b5e0a1c-4f2d", "jobStatus": "FAILED", "message": "失敗 💥"}, job_id_paths,
            retry_count=1, outcome="FAILED", failure={"error": "Ops.Cancelled", "cause": "取り消し 🛑 by hand"}),
    }
    missing = {"input": {"event": {"id": EVENT_ID}}, "result": {}, "errorOutput": {"Error": "States.Timeout"},
               "context": _context(0, {})}
    missing["context"].pop("Task")
    cases["missing fields"] = missing
    cases["missing job id"] = _states(_MISSING, {"jobStatus": "COMPLETED"}, job_id_paths)
    return cases


# --- the two engines -----------------------------------------------------------------------------------------------

def _require_reference() -> None:
    missing = [what for what, found in (("node", shutil.which("node")), (str(REFERENCE_PACKAGE),
                                                                        REFERENCE_PACKAGE.is_file())) if not found]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the reference JSONata is not installed under CI: no {', '.join(missing)}")
        pytest.skip(f"the reference JSONata is not installed (run tools/install-scanners.sh): no {', '.join(missing)}")


def evaluate_in_reference(expressions: list[str], cases: list[dict]) -> list[list[tuple]]:
    """Each case's `$states` -> each expression's result as `evaluate_in_emulator` gives it, from one node process."""
    fixed = {"millis": FIXED_MILLIS, "uuid": FIXED_UUID}
    lines = "".join(json.dumps({"expressions": expressions, "bindings": {"states": states}, "fixed": fixed}) + "\n"
                    for states in cases)
    done = subprocess.run(["node", str(REFERENCE_SCRIPT)], input=lines, capture_output=True, text=True,
                          timeout=300, check=True)
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(expressions) * len(cases), done.stderr
    results = [("error", answer["error"]["code"], answer["error"]["message"]) if "error" in answer
               else ("value", answer.get("value")) for answer in answers]
    return [results[start:start + len(expressions)] for start in range(0, len(results), len(expressions))]


def evaluate_in_emulator(expression: str, states: dict) -> tuple:
    """One expression as moto evaluates it: its function declarations and `$states` written into it, then the
    bridged engine."""
    bound = States(context=states["context"])
    bound.reset(states["input"])
    bound.set_result(states["result"])
    bound.set_error_output(states["errorOutput"])
    references = moto_jsonata.extract_jsonata_variable_references(expression)
    composed = moto_jsonata.compose_jsonata_expression(expression, [
        get_intrinsic_functions_declarations(references), bound.to_variable_declarations(references)])
    try:
        # as moto passes it on: JSON (a surrogate pair that jsonata-python left as two characters is one again)
        return "value", json.loads(json.dumps(moto_jsonata.eval_jsonata_expression(composed)))
    except moto_jsonata.JSONataException as error:
        return "error", getattr(error.__cause__, "error", None), error.details


def _comparable(value: Any) -> Any:
    """A result with each number as the double it is (JSON text may write one double with different digits)."""
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return float(value)
    return value


def same(emulator: tuple, reference: tuple) -> bool:
    if emulator[0] == reference[0] == "error":
        return None in (emulator[1], reference[1]) or emulator[1] == reference[1]
    return emulator[0] == reference[0] and _comparable(emulator[1]) == _comparable(reference[1])


def _shown(outcome: tuple, other: tuple) -> str:
    """A result, around where it first differs from the other one when it is long."""
    text, other_text = (json.dumps(result[1:], ensure_ascii=False) for result in (outcome, other))
    start = next((at for at, (mine, theirs) in enumerate(zip(text, other_text, strict=False)) if mine != theirs),
                 min(len(text), len(other_text)))
    start = max(0, start - 150) if len(text) > 300 else 0
    return f"{outcome[0]} ({len(text)} characters) {'...' if start else ''}{text[start:start + 300]}"


@pytest.fixture
def fixed_clock(monkeypatch):
    """The emulator's engine with `$millis`, `$now` and `$uuid` fixed as the reference's are."""
    now = datetime.datetime.fromtimestamp(FIXED_MILLIS / 1000, datetime.timezone.utc)
    for name, function in (("millis", lambda: FIXED_MILLIS), ("uuid", lambda: FIXED_UUID),
                           ("now", lambda: now.isoformat(timespec="milliseconds").replace("+00:00", "Z"))):
        monkeypatch.setitem(bridges_jsonata._NATIVE_FUNCTIONS, name, function)


# --- the tests -----------------------------------------------------------------------------------------------------

def test_the_expressions_are_read_from_every_machine_and_pause_state():
    expressions, job_id_paths = shipped_expressions()
    wheres = " ".join(expressions.values())
    assert "PauseStateMachine" in wheres and "ResumeStateMachine" in wheres and "PauseStateJsonata" in wheres
    assert "$states.context.Task.Token" in expressions  # from the PauseStateJsonata outputs
    assert {"$.startJob.Jobs[0].JobId", "$.job.b-c.7z", "$.startTextTranslationJob.JobId"} <= job_id_paths
    assert "${" not in "".join(expressions)  # every DefinitionSubstitution made
    given = {}
    _place(given, "$.startJob.Jobs[0].JobId", "j")
    _place(given, "$.startJob.Jobs[0].Other", "k")
    assert given == {"startJob": {"Jobs": [{"JobId": "j", "Other": "k"}]}}


def test_every_shipped_expression_gives_what_the_reference_gives(fixed_clock):
    _require_reference()
    expressions, job_id_paths = shipped_expressions()
    cases = input_cases(job_id_paths)
    reference = evaluate_in_reference(list(expressions), list(cases.values()))
    differences = []
    with bridges():
        for (case, states), their_results in zip(cases.items(), reference, strict=True):
            for expression, theirs in zip(expressions, their_results, strict=True):
                mine = evaluate_in_emulator(expression, states)
                if not same(mine, theirs):
                    differences.append(f"{expressions[expression]}\n  expression: {expression}\n  input: {case}\n"
                                       f"  emulator:  {_shown(mine, theirs)}\n  reference: {_shown(theirs, mine)}")
    compared = len(expressions) * len(cases)
    print(f"{len(expressions)} expressions x {len(cases)} inputs = {compared} results compared, "
          f"{len(differences)} different")
    assert not differences, f"{len(differences)} of {compared} results differ:\n" + "\n".join(differences)
