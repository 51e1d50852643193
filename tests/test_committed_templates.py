"""Committed templates are generated (no drift); tests/test_scanners.py lints them (cfn-lint in every partition,
cfn-guard, checkov)."""

import pytest

from sfn_resume import build_template, load_config
from sfn_resume.nested import build_parent_template

from .helpers import COMMITTED_TEMPLATES, EXAMPLE_CONFIGS, EXAMPLES, TEMPLATES


GENERIC = {"sfn-resume.yaml": "DESTROY", "sfn-resume-retain.yaml": "RETAIN"}


def test_every_committed_template_is_generated():
    """Each file in templates/ is one that `make templates` writes (no stale file is shipped)."""
    expected = {TEMPLATES / name for name in GENERIC} | {TEMPLATES / "examples" / f"{c.parent.name}.yaml"
                                                       for c in EXAMPLE_CONFIGS}
    expected |= {TEMPLATES / "nested-two-services.yaml", TEMPLATES / "service-catalog" / "portfolio.yaml"}
    assert set(COMMITTED_TEMPLATES) == expected


@pytest.mark.parametrize("name", GENERIC)
def test_committed_generic_template_matches_a_fresh_render(name):
    assert (TEMPLATES / name).read_text() == build_template(removal_policy=GENERIC[name]).to_yaml(), \
        f"{name} is stale: run `make templates`"


def test_committed_nested_parent_matches_a_fresh_render():
    fresh = build_parent_template(load_config(EXAMPLES / "two-services" / "config.yaml")).to_yaml()
    assert (TEMPLATES / "nested-two-services.yaml").read_text() == fresh, "stale: run `make templates`"


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS, ids=lambda c: c.parent.name)
def test_committed_template_matches_a_fresh_render(config):
    path = TEMPLATES / "examples" / f"{config.parent.name}.yaml"
    assert path.read_text() == build_template(load_config(config)).to_yaml(), f"{path} is stale: run `make templates`"
