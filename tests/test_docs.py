"""The guides in docs/ and the README: their generated parts (tools/docs.py) are what the code gives today (a table
of options that drifts from sfn_resume/options.py, or a diagram that drifts from the machines' definitions in
sfn_resume/asl.py, fails here, and `make docs` writes it anew), and every relative link and anchor resolves."""

import importlib.util
import json
import re
import sys

import pytest

from sfn_resume import build_template
from sfn_resume.options import OPTIONS

from .helpers import ROOT


@pytest.fixture(scope="module")
def docs():
    spec = importlib.util.spec_from_file_location("tools_docs", ROOT / "tools" / "docs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_guides_are_what_the_code_gives(docs, capsys):
    assert docs.main(["--check"]) == 0, capsys.readouterr().err


def test_a_drifted_table_is_found_and_rewritten(docs, tmp_path, monkeypatch):
    guide = tmp_path / "CONFIGURATION.md"
    guide.write_text(docs.CONFIGURATION.read_text().replace("`nameSuffix`", "`nameSufix`", 1))
    monkeypatch.setattr(docs, "PARTS", {guide: docs.PARTS[docs.CONFIGURATION]})
    monkeypatch.setattr(docs, "REPO", tmp_path)
    assert docs.main(["--check"]) == 1
    assert "`nameSufix`" in guide.read_text()  # --check writes nothing
    assert docs.main([]) == 0
    assert guide.read_text() == docs.CONFIGURATION.read_text()


def test_every_option_has_a_row_of_each_table(docs):
    guide = docs.CONFIGURATION.read_text()
    for option in OPTIONS:
        name = f"`{option.key or option.parameter}`"
        assert guide.count(f"| {name} |") + guide.count(f"| (none) | {name} |") >= 1, name
        assert option.update in guide.replace("\\|", "|"), name


def test_a_missing_marker_is_an_error(docs):
    with pytest.raises(SystemExit, match="no `<!-- generated: options -->`"):
        docs.rewritten("no markers here", {"options": docs.options_table})


def _drawn(diagram: str) -> tuple[set[str], set[tuple[str, str, str]]]:
    """A Mermaid state diagram's states and its edges (from, to, label)."""
    states = set(re.findall(r"^    (\w+): ", diagram, re.M))
    edges = {(a, b, label or "") for a, b, label in re.findall(r"^    (\S+) --> (\S+?)(?:: (.*))?$", diagram, re.M)}
    return states, edges


def _diagram(docs, part: str) -> str:
    return re.search(rf"<!-- generated: {part} -->\n(.*?)\n<!-- end: {part} -->", docs.DIAGRAMS.read_text(), re.S)[1]


@pytest.mark.parametrize("part", ["pause-machine", "resume-machine", "fail-machine"])
def test_each_diagram_draws_every_state_and_transition_of_its_machine(docs, part):
    """Read back from the committed guide: each state, each Next and Default, each Choice rule, each Catch with its
    errors, the start and every end."""
    definition = docs.MACHINES[part]()
    states, edges = _drawn(_diagram(docs, part))
    assert states == set(definition["States"])
    expected = {("[*]", definition["StartAt"], "")}
    for name, state in definition["States"].items():
        expected |= {(name, rule["Next"], docs._condition(rule)) for rule in state.get("Choices", [])}
        expected |= {(name, state[key], "otherwise" if key == "Default" else "") for key in ("Next", "Default")
                     if key in state}
        expected |= {(name, c["Next"], "catch " + ", ".join(c["ErrorEquals"])) for c in state.get("Catch", [])}
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            expected.add((name, "[*]", ""))
    assert edges == expected


def test_a_changed_machine_makes_its_diagram_stale(docs, tmp_path, monkeypatch):
    """A state added to a definition: the committed diagram no longer passes --check until `make docs`."""
    guide = tmp_path / "PROTOCOL-DIAGRAMS.md"
    guide.write_text(docs.DIAGRAMS.read_text())
    changed = docs.asl.resume_definition()
    changed["States"]["AlreadyHandled"] = {"Type": "Pass", "Next": "Audited"}
    changed["States"]["Audited"] = {"Type": "Succeed"}
    parts = dict(docs.PARTS[docs.DIAGRAMS], **{"resume-machine": lambda: docs.state_diagram(changed)})
    monkeypatch.setattr(docs, "PARTS", {guide: parts})
    monkeypatch.setattr(docs, "REPO", tmp_path)
    assert docs.main(["--check"]) == 1
    assert docs.main([]) == 0
    assert "    AlreadyHandled --> Audited\n" in guide.read_text() and "    Audited: Audited (Succeed)\n" in guide.read_text()


def test_every_machine_the_template_ships_is_drawn(docs):
    """The generic template's state machines (as built: the committed templates are these, test_committed_templates)
    run the definitions the diagrams are drawn from, state for state."""
    template = json.loads(build_template().to_json())
    machines = [r["Properties"]["Definition"] for r in template["Resources"].values()
                if r["Type"] == "AWS::StepFunctions::StateMachine"]
    drawn = [definition() for definition in docs.MACHINES.values()]
    assert machines and all(machine in drawn for machine in machines)


def _anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a Markdown file's headings: lower case, punctuation but `-` and `_` dropped, spaces
    as `-`; a repeated heading gets `-1`, `-2`, ..."""
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _outside_code(markdown), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchor, n = slug, 0
        while anchor in anchors:
            n += 1
            anchor = f"{slug}-{n}"
        anchors.add(anchor)
    return anchors


def _outside_code(markdown: str) -> str:
    return re.sub(r"^```.*?^```$", "", markdown, flags=re.M | re.S)


def _relative_links(path) -> list[str]:
    links = re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", _outside_code(path.read_text()))
    return [link for link in links if not re.match(r"[a-z]+:", link)]


GUIDES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("guide", GUIDES, ids=lambda path: path.name)
def test_every_relative_link_resolves(guide):
    """Each `[text](path)`, `[text](path#anchor)` and `[text](#anchor)` of the README and the guides names a file
    that exists and, with an anchor, a heading of that file."""
    broken = []
    for link in _relative_links(guide):
        target, _, anchor = link.partition("#")
        path = (guide.parent / target).resolve() if target else guide
        if not path.exists():
            broken.append(link)
        elif anchor and (path.suffix != ".md" or anchor not in _anchors(path.read_text())):
            broken.append(link)
    assert broken == []


def test_a_broken_link_is_found(tmp_path):
    guide = tmp_path / "GUIDE.md"
    guide.write_text("# Guide\n\n## A section: `x`, and y\n\n[ok](#a-section-x-and-y) [no](#a-section) [gone](NONE.md)\n"
                     "```\n[in code](NOWHERE.md)\n```\n")
    assert _relative_links(guide) == ["#a-section-x-and-y", "#a-section", "NONE.md"]
    assert _anchors(guide.read_text()) == {"guide", "a-section-x-and-y"}
