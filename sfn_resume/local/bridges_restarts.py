"""At-least-once runs on demand: the emulator restarts a run right after a chosen state's call went through.

AWS runs an asynchronous Express execution at least once: "execution state doesn't persist between state
transitions", so after any of its calls went through a run may start again from its first state with the same
input (Step Functions Developer Guide, "Execution guarantees"); a DynamoDB call retried after an
`InternalServerError` may have been applied the first time, too. moto runs every execution exactly once, so
nothing showed what a repeat does to the hand-over. This hook makes it happen on demand, in process and through
`sfn-resume local` alike, armed through an ordinary AWS API call: tag a state machine with
`RESTART_AFTER_TAG = <state name>`, and the next run of that machine whose `<state name>` call succeeds is cut
off right after that call (nothing after it runs; the run ends ABORTED) and the same machine is started again
with the same input, named `<name>-restarted`. The tag is removed when it fires, so it fires once.
"""
from __future__ import annotations

import datetime
import json
from typing import Any

from .patching import Patches, bridge

#: The state machine tag that arms a restart: its value names the state after whose call the run restarts.
RESTART_AFTER_TAG = "sfnResumeRestartAfter"
RESTARTED_SUFFIX = "-restarted"


class _CutOff(BaseException):
    """Ends a run where it stands: a BaseException, so that no Retry or Catch of the interpreter handles it."""


def _parser_backend(state_machine_arn: str) -> Any:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    _, _, _, region, account, *_ = state_machine_arn.split(":")
    return stepfunctions_parser_backends[account][region]


def _armed_state(backend: Any, state_machine_arn: str) -> str | None:
    tags = backend.list_tags_for_resource(state_machine_arn).get("tags", [])
    return next((tag["value"] for tag in tags if tag["key"] == RESTART_AFTER_TAG), None)


@bridge("express-restarts", gap="27: every execution runs exactly once (asynchronous Express runs at least once)")
def bridge_express_restarts(patches: Patches) -> None:
    """Restart a run after the call of the state named by its machine's `RESTART_AFTER_TAG` (see the module)."""
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState

    original_call = ExecutionState._evaluate_with_timeout
    original_body = Program._eval_body

    def _evaluate_with_timeout(self, env):
        original_call(self, env)  # the call went through (its own thread) and its result is in the state
        context = env.states.context_object.context_object_data
        machine_arn = context["StateMachine"]["Id"]
        backend = _parser_backend(machine_arn)
        if _armed_state(backend, machine_arn) != self.name:
            return
        backend.untag_resource(machine_arn, [RESTART_AFTER_TAG])
        execution = context["Execution"]
        backend.start_execution(state_machine_arn=machine_arn, name=execution["Name"] + RESTARTED_SUFFIX,
                                execution_input=json.dumps(execution["Input"]))
        env.set_stop(stop_date=datetime.datetime.now(tz=datetime.timezone.utc), error=None,
                     cause=f"sfn-resume: cut off after {self.name} and started again")
        raise _CutOff

    def _eval_body(self, env):
        try:
            original_body(self, env)
        except _CutOff:
            pass  # stopped: the run ends ABORTED

    patches.set(ExecutionState, "_evaluate_with_timeout", _evaluate_with_timeout)
    patches.set(Program, "_eval_body", _eval_body)
