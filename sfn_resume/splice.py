"""Insert an instance's pause state into an existing workflow definition, after a state of the user's choice.

The pause takes over that state's successor (its `Next`, or its `End`), and the state continues to the pause. States
inside Parallel branches and Map item processors are found as well as top-level ones. The pause is in JSONata when
the workflow (or the state) is, else in JSONPath.
"""

from __future__ import annotations

import copy
import json

from . import asl
from .config import ConfigError, InstanceConfig
from .template import pause_state

#: States that have no single successor to hand over to the pause.
NO_SINGLE_SUCCESSOR = ("Choice", "Succeed", "Fail")
#: The pause's integration: Step Functions refuses `.waitForTaskToken` in an Express execution.
WAIT_FOR_TASK_TOKEN = ":states:::states:startExecution.waitForTaskToken"


def _scopes(definition: dict, express_map: str | None = None):
    """Every `States` mapping of a definition, with the Map state whose EXPRESS child executions run it (None
    when it runs in the workflow's own execution): its own, then those of Parallel branches and Map processors."""
    states = definition.get("States")
    if not isinstance(states, dict):
        return
    yield states, express_map
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        for branch in state.get("Branches") or []:
            if isinstance(branch, dict):
                yield from _scopes(branch, express_map)
        for key in ("ItemProcessor", "Iterator"):
            processor = state.get(key)
            if isinstance(processor, dict):
                config = processor.get("ProcessorConfig")
                express = isinstance(config, dict) and config.get("ExecutionType") == "EXPRESS"
                yield from _scopes(processor, name if express else express_map)


def state_names(definition: dict) -> list[str]:
    return [name for scope, _ in _scopes(definition) for name in scope]


def _is_pause_of(state, config: InstanceConfig) -> bool:
    """Whether `state` is this instance's pause (it starts the instance's pause machine and waits)."""
    return (isinstance(state, dict) and str(state.get("Resource", "")).endswith(WAIT_FOR_TASK_TOKEN)
            and f"SfnResume-{config.nameSuffix}-Pause" in json.dumps(state))


def _require_definition(definition, source: str) -> None:
    if not (isinstance(definition, dict) and isinstance(definition.get("StartAt"), str)
            and isinstance(definition.get("States"), dict) and definition["States"]):
        raise ConfigError([f"{source}: is not an ASL definition; expected an object with StartAt and States "
                           "(the definition itself, not a CloudFormation template or a describe-state-machine answer)"])


def default_pause_name(after: str) -> str:
    return f"WaitFor{after}"


def splice(definition: dict, config: InstanceConfig, after: str, name: str | None = None, partition: str = "aws",
           source: str = "workflow") -> dict:
    """A copy of `definition` with `config`'s pause state inserted after the state `after`, named `name`
    (default `WaitFor<after>`). ConfigError, naming the problem, when `after` is unknown or has no single successor,
    when the name is taken, or when `definition` is not an ASL definition."""
    _require_definition(definition, source)
    spliced = copy.deepcopy(definition)
    name = name or default_pause_name(after)
    names = state_names(spliced)
    scope, express_map = next(((scope, express) for scope, express in _scopes(spliced) if after in scope),
                              (None, None))
    if scope is None:
        raise ConfigError([f"--after: {after!r} is not a state of {source}; its states are {', '.join(names)}"])
    state = scope[after]
    kind = state.get("Type") if isinstance(state, dict) else None
    if kind in NO_SINGLE_SUCCESSOR or not (isinstance(state, dict) and ("Next" in state or state.get("End"))):
        raise ConfigError([f"--after: {after!r} is a {kind or 'malformed'} state, which has no single successor to "
                           "hand to the pause; choose a state with Next or End"])
    if express_map is not None:
        raise ConfigError([f"--after: {after!r} runs in the EXPRESS child executions of Map state {express_map!r} "
                           "(ProcessorConfig.ExecutionType), where Step Functions refuses .waitForTaskToken: a pause "
                           "cannot wait there; use ExecutionType STANDARD, or pause after the Map state"])
    for neighbour in (after, state.get("Next")):
        if neighbour in scope and _is_pause_of(scope[neighbour], config):
            raise ConfigError([f"--after: {neighbour!r} is already {config.nameSuffix}'s pause on the job id at "
                               f"{config.pathToIdPauseTask}; a second pause beside it would wait for an event that "
                               "the first one takes; choose the state that starts another job"])
    if name in names:
        raise ConfigError([f"--name: {name!r} is already a state of {source}; choose another name"])
    jsonata = "JSONata" in (state.get("QueryLanguage"), spliced.get("QueryLanguage"))
    pause = pause_state(config, state.get("Next"), partition, asl.JSONATA if jsonata else asl.JSONPATH)
    state.pop("End", None)
    state["Next"] = name
    reordered = {}
    for key, value in scope.items():  # the pause right after the state it follows
        reordered[key] = value
        if key == after:
            reordered[name] = pause
    scope.clear()
    scope.update(reordered)
    return spliced
