"""Breadth-first exploration of a scenario's worlds: every interleaving of its steps, each distinct world once, so the
first violation found has a shortest trace (stateless model checking in the style of CHESS, with a visited set)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from .world import Model, Step, Violation, World


@dataclass
class Verdict:
    scenario: str
    summary: str
    worlds: int = 0  # distinct worlds reached
    steps: int = 0  # transitions explored (each an interleaving step)
    seconds: float = 0.0
    violation: Violation | None = None
    trace: list = field(default_factory=list)  # Steps from the first world to the violation
    truncated: bool = False  # the exploration hit its world limit


def explore(model: Model, max_worlds: int = 5_000_000) -> Verdict:
    verdict = Verdict(model.scenario.name, model.scenario.summary)
    started = time.monotonic()
    first = model.initial()
    parents: dict[World, tuple[World | None, Step | None]] = {first: (None, None)}
    queue = deque([first])
    while queue:
        world = queue.popleft()
        try:
            for step, after in model.successors(world):
                verdict.steps += 1
                if after not in parents:
                    parents[after] = (world, step)
                    queue.append(after)
        except Violation as violation:
            verdict.violation = violation
            verdict.trace = _trace(parents, world) + [_violating_step(model, world, violation)]
            break
        if len(parents) >= max_worlds:
            verdict.truncated = True
            break
    verdict.worlds = len(parents)
    verdict.seconds = time.monotonic() - started
    return verdict


def _trace(parents: dict, world: World) -> list:
    steps = []
    while True:
        parent, step = parents[world]
        if parent is None:
            return list(reversed(steps))
        steps.append(step)
        world = parent


def _violating_step(model: Model, world: World, violation: Violation) -> Step:
    return Step("checker", f"VIOLATION of '{violation.prop}'", violation.message)
