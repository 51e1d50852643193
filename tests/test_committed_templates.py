"""Committed templates are generated (no drift); tests/test_scanners.py lints them (cfn-lint in every partition,
cfn-guard, checkov)."""

import pytest

from sfn_resume import build_template, load_config

from .helpers import COMMITTED_TEMPLATES, EXAMPLE_CONFIGS, TEMPLATES


def test_every_example_has_a_committed_template():
    expected = {TEMPLATES / "sfn-resume.yaml"} | {TEMPLATES / "examples" / f"{c.parent.name}.yaml" for c in EXAMPLE_CONFIGS}
    assert set(COMMITTED_TEMPLATES) >= expected


@pytest.mark.parametrize("config", [None, *EXAMPLE_CONFIGS], ids=lambda c: "generic" if c is None else c.parent.name)
def test_committed_template_matches_a_fresh_render(config):
    path = TEMPLATES / "sfn-resume.yaml" if config is None else TEMPLATES / "examples" / f"{config.parent.name}.yaml"
    fresh = build_template(load_config(config) if config else None).to_yaml()
    assert path.read_text() == fresh, f"{path} is stale: run `make templates`"
