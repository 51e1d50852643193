"""Every shipped template verifies with the default scope: `sfn-resume verify` (as `make verify` runs it) explores every
interleaving of each scenario and finds nothing. Instances that differ in names, paths and where the event goes only
are explored once (the examples' differ in their timeouts)."""

import pytest

from sfn_resume.cli import main

from ..helpers import INSTANCE_TEMPLATES, TEMPLATES


@pytest.mark.timeout(1800)  # ten distinct instances, well under a minute each on an idle core
def test_every_shipped_template_verifies(capsys):
    templates = [*INSTANCE_TEMPLATES, TEMPLATES / "sfn-resume-retain.yaml"]
    code = main(["verify", *map(str, templates)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.splitlines()[-1].startswith("sfn-resume verify: nothing found")
    explored = [line for line in out.splitlines() if ": nothing found: " in line]
    assert len(explored) >= 8 * 2 and all("stopped at the world limit" not in line for line in explored)
    # the retain template's machines are the generic one's, two examples of one timeout have the same machines
    same = out.replace(str(TEMPLATES.parent) + "/", "")
    assert "sfn-resume-retain.yaml: (generic): the same machines as templates/sfn-resume.yaml: (generic)" in same
    assert "two-services.yaml: TwoServicesTranslate: the same machines as templates/examples/translate.yaml" in same
