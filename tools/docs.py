"""Write the generated parts of the guides in docs/ from the code: the tables of docs/CONFIGURATION.md, from the
table of options (sfn_resume/options.py), and the state diagrams of docs/PROTOCOL-DIAGRAMS.md, from the machines'
definitions (sfn_resume/asl.py).

A generated part sits between two markers, `<!-- generated: NAME -->` and `<!-- end: NAME -->`; the prose around
it is written by hand. `make docs` rewrites every part; with `--check`, nothing is written and the exit code is 1
when a part differs from what the code gives (tests/test_docs.py runs that check).

    .venv/bin/python tools/docs.py [--check]
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sfn_resume import asl  # noqa: E402
from sfn_resume.options import OPTIONS, REMOVED_KEYS, Flag, Option  # noqa: E402

CONFIGURATION = REPO / "docs" / "CONFIGURATION.md"
DIAGRAMS = REPO / "docs" / "PROTOCOL-DIAGRAMS.md"


def _code(text: str) -> str:
    return f"`{text}`"


def _default(option: Option) -> str:
    if option.required:
        return "required"
    if option.unset is not None and option.default in (None, (), {}):
        return option.unset
    return _code(option.kind.text(option.default) if isinstance(option.kind, Flag) else str(option.default))


def _cell(text: str) -> str:
    """Text in a table cell: a `|` would end the cell."""
    return text.replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def options_table() -> str:
    """Every option: config key, Parameter, what it takes, its default, what it means."""
    return _table(["config key", "Parameter", "takes", "default", "meaning"], [
        [_code(option.key) if option.key else "(removed: see below)",
         _code(option.parameter) if option.parameter else "(none)",
         option.kind.short, _default(option), option.help]
        for option in OPTIONS])


def live_updates_table() -> str:
    """What a change of each option does to a live stack."""
    return _table(["Parameter", "config key", "what the update does"], [
        [_code(option.parameter) if option.parameter else "(none)",
         _code(option.key) if option.key else "(none)", option.update]
        for option in OPTIONS])


def removed_keys_table() -> str:
    return _table(["config key", "why it is gone"], [[_code(key), why] for key, why in REMOVED_KEYS.items()])


def _what_it_does(state: dict) -> str:
    """A state's one-line description: a Task's action (its resource placeholder's), a Fail's error, or its type."""
    if state["Type"] == "Task":
        placeholder = re.fullmatch(r"\$\{(\w+)\}", state["Resource"])
        return asl.RESOURCES.get(placeholder[1], state["Resource"]) if placeholder else state["Resource"]
    if state["Type"] == "Fail":
        return f"Fail {state['Error']}"
    return state["Type"]


def _condition(rule: dict) -> str:
    """A Choice rule's JSONata condition, without its `{% %}`, as an edge's label."""
    return rule["Condition"].removeprefix("{%").removesuffix("%}").strip()


def state_diagram(definition: dict) -> str:
    """A Mermaid state diagram of one machine: each state with what it does, and each of its transitions (Next,
    a Choice's rules with their conditions and its Default, a Catch with the errors it catches; End, Succeed and
    Fail states end at `[*]`)."""
    lines = ["```mermaid", "stateDiagram-v2", f"    [*] --> {definition['StartAt']}"]
    for name, state in definition["States"].items():
        if not re.fullmatch(r"\w+", name):
            raise SystemExit(f"docs: state {name!r} is not a Mermaid state id: name it with letters and digits")
        lines.append(f"    {name}: {name} ({_what_it_does(state)})")
        for rule in state.get("Choices", []):
            lines.append(f"    {name} --> {rule['Next']}: {_condition(rule)}")
        if "Default" in state:
            lines.append(f"    {name} --> {state['Default']}: otherwise")
        if "Next" in state:
            lines.append(f"    {name} --> {state['Next']}")
        for catch in state.get("Catch", []):
            lines.append(f"    {name} --> {catch['Next']}: catch {', '.join(catch['ErrorEquals'])}")
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            lines.append(f"    {name} --> [*]")
    return "\n".join([*lines, "```"])


#: The machines drawn in docs/PROTOCOL-DIAGRAMS.md, by the name of their generated part.
MACHINES = {"pause-machine": asl.pause_definition, "resume-machine": asl.resume_definition,
            "fail-machine": asl.fail_definition}

#: Each generated part of each guide.
PARTS = {CONFIGURATION: {"options": options_table, "live-updates": live_updates_table,
                         "removed-keys": removed_keys_table},
         DIAGRAMS: {part: (lambda definition=definition: state_diagram(definition()))
                    for part, definition in MACHINES.items()}}


def rewritten(text: str, parts: dict) -> str:
    """`text` with each part between its markers written anew; a missing marker is an error."""
    for name, render in parts.items():
        part = re.search(rf"(<!-- generated: {name} -->\n).*?(\n<!-- end: {name} -->)", text, re.S)
        if not part:
            raise SystemExit(f"docs: no `<!-- generated: {name} -->` ... `<!-- end: {name} -->` markers")
        text = text[:part.end(1)] + render() + text[part.start(2):]
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a guide differs")
    args = parser.parse_args(argv)
    stale = []
    for path, parts in PARTS.items():
        text = path.read_text()
        fresh = rewritten(text, parts)
        if fresh != text:
            stale.append(path.relative_to(REPO))
            if not args.check:
                path.write_text(fresh)
    if stale and args.check:
        print(f"docs: {', '.join(map(str, stale))} differ from the code: run `make docs`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
