"""Every shipped template verifies with the default scope: `sfn-resume verify` (as `make verify` runs it) explores every
interleaving of each scenario and finds nothing. The config-built templates' instances have the generic template's
machines (names aside): their verdicts are the generic template's."""

from sfn_resume.cli import main

from ..helpers import INSTANCE_TEMPLATES, TEMPLATES


def test_every_shipped_template_verifies(capsys):
    templates = [*INSTANCE_TEMPLATES, TEMPLATES / "sfn-resume-retain.yaml"]
    code = main(["verify", *map(str, templates)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.splitlines()[-1].startswith("sfn-resume verify: nothing found")
    explored = [line for line in out.splitlines() if ": nothing found: " in line]
    assert len(explored) >= 8 and all("stopped at the world limit" not in line for line in explored)
    assert "the same machines as templates/sfn-resume.yaml" in out.replace(str(TEMPLATES.parent) + "/", "")
