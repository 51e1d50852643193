"""Insert an instance's pause state into an existing workflow definition, after a state of the user's choice.

The pause takes over that state's successor (its `Next`, or its `End`), and the state continues to the pause. States
inside Parallel branches and Map item processors are found as well as top-level ones. The pause is in JSONata when
the workflow (or the state) is, else in JSONPath.
"""

from __future__ import annotations

import copy

from . import asl
from .config import ConfigError, InstanceConfig
from .template import pause_state

#: States that have no single successor to hand over to the pause.
NO_SINGLE_SUCCESSOR = ("Choice", "Succeed", "Fail")


def _scopes(definition: dict):
    """Every `States` mapping of a definition: its own, then those of Parallel branches and Map processors."""
    states = definition.get("States")
    if not isinstance(states, dict):
        return
    yield states
    for state in states.values():
        if not isinstance(state, dict):
            continue
        for branch in state.get("Branches") or []:
            if isinstance(branch, dict):
                yield from _scopes(branch)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _scopes(state[key])


def state_names(definition: dict) -> list[str]:
    return [name for scope in _scopes(definition) for name in scope]


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
    scope = next((scope for scope in _scopes(spliced) if after in scope), None)
    if scope is None:
        raise ConfigError([f"--after: {after!r} is not a state of {source}; its states are {', '.join(names)}"])
    state = scope[after]
    kind = state.get("Type") if isinstance(state, dict) else None
    if kind in NO_SINGLE_SUCCESSOR or not (isinstance(state, dict) and ("Next" in state or state.get("End"))):
        raise ConfigError([f"--after: {after!r} is a {kind or 'malformed'} state, which has no single successor to "
                           "hand to the pause; choose a state with Next or End"])
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
