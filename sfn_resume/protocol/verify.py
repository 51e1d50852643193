"""`sfn-resume verify`: every sfn-resume instance of a template, explored in every scenario of a scope; the verdicts,
and for a violation the trace that leads to it (each step: who acted, what, and the job id's item before and after).

Instances whose machines, pause states and rules are the same but for their names, the paths to the job id and where
the workflow puts the event (config-built templates' instances of one timeout) are explored once: the verdict of the
first stands for the others.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..asl import jsonata_path
from .cfn import TemplateError
from .explore import Verdict, explore
from .instance import Instance, instances, load_template, resolve
from .scope import scenarios
from .world import PROPERTIES, Model, Step


@dataclass
class InstanceVerdicts:
    template: str
    instance: str  # its prefix, or "(generic)"
    verdicts: list  # Verdict, one per scenario explored
    same_as: str | None = None  # the instance whose exploration stands for this one
    stand_ins: dict | None = None  # Parameters given stand-in values

    @property
    def violated(self) -> bool:
        return any(v.violation for v in self.verdicts)


def verify(templates: list[Path], parameters: dict, scope: str, only: str | None = None, progress=None,
           properties: tuple = tuple(PROPERTIES)) -> list:
    """InstanceVerdicts for every instance of every template. Raises TemplateError for a template it cannot read."""
    results, explored = [], {}
    for path in templates:
        resolved, stand_ins = resolve(load_template(path), parameters)
        found = instances(resolved)
        if not found:
            raise TemplateError(f"{path}: no sfn-resume instance (a DynamoDB table `<prefix>TokenTable` whose machines "
                                "name it in DefinitionSubstitutions)")
        for instance in found:
            label = f"{path}: {instance.prefix or '(generic)'}"
            key = _fingerprint(instance) + repr((scope, only, properties))
            if key in explored:
                first = explored[key]
                results.append(InstanceVerdicts(str(path), instance.prefix or "(generic)", first.verdicts,
                                                same_as=f"{first.template}: {first.instance}", stand_ins=stand_ins))
                continue
            verdicts = []
            for scenario in scenarios(scope):
                if only and scenario.name != only:
                    continue
                if scenario.needs_failure and instance.failure is None:
                    continue
                verdict = explore(Model(instance, scenario, properties))
                verdicts.append(verdict)
                if progress:
                    progress(label, verdict)
                if verdict.violation:
                    break
            result = InstanceVerdicts(str(path), instance.prefix or "(generic)", verdicts, stand_ins=stand_ins)
            explored[key] = result
            results.append(result)
    return results


#: What a pause state does with the event once its token is answered: nothing the protocol sees.
_WHERE_THE_EVENT_GOES = ("Output", "ResultPath", "ResultSelector")


def _fingerprint(instance: Instance) -> str:
    """What the exploration depends on: the definitions, the pause states, the rules, the retention; not the names, the
    paths to the job id (the world puts the id where the paths say, and the machines read it from their input), nor
    where the workflow puts the event."""
    pause_states = [{key: value for key, value in pause.state.items() if key not in _WHERE_THE_EVENT_GOES}
                    for pause in instance.pause_states]
    text = json.dumps([instance.machines, pause_states, instance.success, instance.failure,
                       instance.event_retention_seconds], sort_keys=True, default=repr)
    if instance.prefix:
        text = text.replace(instance.prefix, "")
    pause_path = instance.pause_states[0].state.get("Parameters", {}).get("Input", {}).get("jobId.$")
    if pause_path:
        text = text.replace(jsonata_path(pause_path), "<pause path>").replace(json.dumps(pause_path), "<pause path>")
    for target in (instance.success, instance.failure):
        if target and "jobId" in target.input_paths:
            text = text.replace(f"'{target.input_paths['jobId']}'", "'<event path>'")
    return hashlib.sha256(text.encode()).hexdigest()


# --- reports -----------------------------------------------------------------------------------------------------------

def summary_line(verdict: Verdict) -> str:
    what = f"VIOLATION of '{verdict.violation.prop}'" if verdict.violation else "nothing found"
    truncated = " (stopped at the world limit: not every interleaving was explored)" if verdict.truncated else ""
    return (f"{verdict.scenario}: {what}: {verdict.worlds:,} states, {verdict.steps:,} interleaving steps, "
            f"{verdict.seconds:.1f} s{truncated}")


def trace_lines(verdict: Verdict) -> list[str]:
    """The trace to a violation, one numbered step per line, the item's change under it."""
    lines = []
    for number, step in enumerate(verdict.trace, 1):
        lines.append(f"  {number:>2}. {step.actor}: {step.action}" + (f" -- {step.detail}" if step.detail else ""))
        if step.key is not None and step.before != step.after:
            lines.append(f"      item {step.key}: {_item_change(step)}")
    return lines


def _item_change(step: Step) -> str:
    before, after = step.before or {}, step.after or {}
    if not after:
        return "deleted" if before else "absent"
    changes = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            changes.append(f"{name}={_value(after[name])}" if name in after else f"-{name}")
    return ("created " if not before else "") + ", ".join(changes)


def _value(attribute: dict) -> str:
    (value,) = attribute.values()
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_json(results: list) -> list:
    return [{"template": r.template, "instance": r.instance, "sameAs": r.same_as, "standIns": r.stand_ins,
             "scenarios": [{"name": v.scenario, "summary": v.summary, "states": v.worlds, "steps": v.steps,
                            "seconds": round(v.seconds, 1), "truncated": v.truncated,
                            "violation": {"property": v.violation.prop, "message": v.violation.message,
                                          "trace": [{"actor": s.actor, "action": s.action, "detail": s.detail,
                                                     "jobId": s.key, "itemBefore": s.before, "itemAfter": s.after}
                                                    for s in v.trace]} if v.violation else None}
                           for v in r.verdicts]}
            for r in results]
