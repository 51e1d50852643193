"""Paths and data shared by the tests."""

import functools
import json
from pathlib import Path

import yaml

from sfn_resume.config import REQUIRED


ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
EXAMPLES = ROOT / "examples"
EXAMPLE_CONFIGS = sorted(EXAMPLES.glob("*/config.yaml"))
#: The examples of one service each, with sample events and state.
SERVICE_EXAMPLES = [config for config in EXAMPLE_CONFIGS if (config.parent / "events").is_dir()]
COMMITTED_TEMPLATES = sorted(TEMPLATES.rglob("*.yaml"))
#: The committed templates that hold resume state machines and a PauseState (not parents, not the portfolio).
INSTANCE_TEMPLATES = [TEMPLATES / "sfn-resume.yaml", *sorted((TEMPLATES / "examples").glob("*.yaml"))]

#: The seed example's config (examples/translate/config.yaml).
TRANSLATE_CONFIG = yaml.safe_load((EXAMPLES / "translate" / "config.yaml").read_text())
#: The smallest valid instance: the seed's required keys; tests override one key at a time.
MINIMAL = {key: TRANSLATE_CONFIG[key] for key in REQUIRED}


def parameters_set_by(key: str, value) -> list[str]:
    """The generic template's Parameters whose values change when config `key` is `value` instead of MINIMAL's
    (or the default): how a config key maps to Parameters, read from `generic_parameters`."""
    from sfn_resume import parse_config
    from sfn_resume.nested import generic_parameters

    before = generic_parameters(parse_config(MINIMAL).instances[0])
    after = generic_parameters(parse_config({**MINIMAL, key: value}).instances[0])
    return [name for name in before if before[name] != after[name]]


def load_yaml(path: Path) -> dict:
    """A CloudFormation YAML file as data (short-form intrinsics become their long form); a new copy each time."""
    return json.loads(_as_json(path.read_text()))


@functools.lru_cache(maxsize=64)
def _as_json(text: str) -> str:
    """cfn-flip's pure-Python YAML takes a tenth of a second per template, and the suite reads each many times."""
    from cfn_flip import to_json

    return to_json(text)




def load_tool(name: str):
    """tools/<name>.py, a script and not part of the package (loaded once)."""
    import importlib.util
    import sys

    module_name = f"tools_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, ROOT / "tools" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[module_name]


def load_scan():
    """tools/scan.py (the static scanners' runner)."""
    return load_tool("scan")


def cfn_lint(text: str, regions: tuple[str, ...] = ("us-east-1",), include_checks: tuple[str, ...] = ()) -> list:
    """cfn-lint's matches for a template's text, with the core rules only (tools/scan.py's `cfn_lint_matches`, which
    loads the rules once per configuration)."""
    return load_scan().cfn_lint_matches(text, regions, include_checks, rule_packs=())


def doc_blocks(path: Path, language: str) -> dict[str, str]:
    """A Markdown file's code blocks of one language by `## ` section heading (a section's blocks joined)."""
    blocks: dict[str, str] = {}
    section, block = None, None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif line.strip() == "```" + language:
            block = []
        elif line.strip() == "```" and block is not None:
            blocks[section] = blocks.get(section, "") + "\n".join(block) + "\n"
            block = None
        elif block is not None:
            block.append(line)
    return blocks
