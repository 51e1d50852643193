"""Static scan of the committed templates, each file as shipped: cfn-lint (every partition, informational rules
and the cfn-lint-serverless rule pack), cfn-guard with the AWS Control Tower rules, and checkov.

    .venv/bin/python tools/scan.py [--tool cfn-lint|cfn-guard|checkov] [TEMPLATE ...]

Default templates: every templates/**/*.yaml. Prints one line per finding and exits 1 on
any finding, 2 when a scanner is not installed (run tools/install-scanners.sh), 0 otherwise.

Suppressions live in the templates' resource Metadata, written by sfn_resume/resources.py (SCANNER_SUPPRESSIONS):
cfn-lint reads its own `cfn-lint.config.ignore_checks`, checkov its own `checkov.skip`; the Control Tower guard
rules read none, so this script drops a cfn-guard finding on a resource whose `guard.SuppressedRules` names the
rule and whose `guard.Reasons` gives a reason.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cfn_flip

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
CFNGUARD_PACKAGE = TOOLS / ".npm" / "node_modules" / "@cdklabs" / "cdk-validator-cfnguard"
CONTROL_TOWER_RULES = CFNGUARD_PACKAGE / "rules" / "control-tower" / "cfn-guard"
CHECKOV = TOOLS / ".venv-checkov" / "bin" / "checkov"
TOOLS_NAMES = ("cfn-lint", "cfn-guard", "checkov")
#: cfn-lint: the partitions the templates must deploy in, informational rules, and cfn-lint-serverless.
CFN_LINT_REGIONS = ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"]
CFN_LINT_RULE_PACKS = ["cfn_lint_serverless.rules"]
RESOURCE_TYPE = re.compile(r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+")
RESOURCE_PATH = re.compile(r"^/Resources/([^/\[]+)")


class NotInstalled(Exception):
    """A scanner is missing: tools/install-scanners.sh installs both."""


@dataclass(frozen=True, order=True)
class Finding:
    template: str
    tool: str
    rule: str
    resource: str  # a logical ID, or "" when the scanner names none
    message: str = ""

    def __str__(self) -> str:
        return f"{self.template}: {self.resource or '(template)'}: {self.tool} {self.rule}: {self.message}"


def committed_templates() -> list[Path]:
    return sorted(ROOT.glob("templates/**/*.yaml"))


def cfn_guard_binary() -> Path:
    system = "macos" if platform.system() == "Darwin" else "ubuntu"
    arch = "aarch64" if platform.machine() in ("arm64", "aarch64") else "x86_64"
    binary = CFNGUARD_PACKAGE / "bin" / system / arch / "cfn-guard"
    if not binary.is_file():
        raise NotInstalled(f"no cfn-guard at {binary.relative_to(ROOT)}: run tools/install-scanners.sh")
    return binary


def load(template: Path) -> dict:
    return _parsed(template.read_text())


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> dict:
    """A template's data, read once per text (cfn-flip's pure-Python YAML takes a tenth of a second); not to be
    changed by the caller."""
    return json.loads(cfn_flip.to_json(text, clean_up=False))


def resource_types(templates: list[Path]) -> set[str]:
    return {resource["Type"] for t in templates for resource in load(t).get("Resources", {}).values()}


def control_tower_rules(types: set[str]) -> list[Path]:
    """Every Control Tower rule file about a resource type the templates use (DynamoDB, Step Functions, SQS,
    CloudWatch Logs, IAM, ...): a service added to the templates is scanned without touching this script."""
    if not CONTROL_TOWER_RULES.is_dir():
        raise NotInstalled(f"no rules at {CONTROL_TOWER_RULES.relative_to(ROOT)}: run tools/install-scanners.sh")
    return [rules for rules in sorted(CONTROL_TOWER_RULES.glob("*/*.guard"))
            if set(RESOURCE_TYPE.findall(rules.read_text())) & types]


def _paths(node) -> set[str]:
    """Logical IDs named by the `path` values anywhere in a cfn-guard result."""
    found = set()
    if isinstance(node, dict):
        path = node.get("path")
        if isinstance(path, str) and (match := RESOURCE_PATH.match(path)):
            found.add(match.group(1))
        for value in node.values():
            found |= _paths(value)
    elif isinstance(node, list):
        for value in node:
            found |= _paths(value)
    return found


def _control_id(node) -> str:
    match = re.search(r"\[(CT\.[A-Z0-9.]+)\]", json.dumps(node))
    return match.group(1) if match else ""


def guard_suppressed(resource: dict, rule: str) -> bool:
    guard = resource.get("Metadata", {}).get("guard", {})
    return rule in guard.get("SuppressedRules", []) and bool(guard.get("Reasons", {}).get(rule, "").strip())


def run_cfn_guard(templates: list[Path]) -> list[Finding]:
    # The files as shipped: cfn-guard 3.1 reads YAML's `!GetAtt [Log, Arn]` as CloudFormation does (the renderer
    # writes no `!GetAtt Log.Arn`, which cfn-guard would read as a string). One run for all: a report per file.
    command = [str(cfn_guard_binary()), "validate", "--output-format", "json", "--structured", "--show-summary", "none"]
    for template in templates:
        command += ["--data", str(template)]
    for rule_file in control_tower_rules(resource_types(templates)):
        command += ["--rules", str(rule_file)]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode not in (0, 19):  # 19: some rule failed
        raise RuntimeError(f"cfn-guard failed ({run.returncode}): {run.stderr or run.stdout}")
    by_name = {str(template): template for template in templates}
    findings = []
    for report in json.loads(run.stdout):
        template = by_name[report["name"]]
        resources = load(template).get("Resources", {})
        for failure in report.get("not_compliant", []):
            rule = failure["Rule"]["name"]
            message = _control_id(failure)
            for logical_id in sorted(_paths(failure)) or [""]:
                if logical_id and guard_suppressed(resources.get(logical_id, {}), rule):
                    continue
                findings.append(Finding(_name(template), "cfn-guard", rule, logical_id, message))
    return sorted(set(findings))


def cfn_lint_matches(text: str, regions: tuple[str, ...] = tuple(CFN_LINT_REGIONS), include_checks: tuple[str, ...] = ("I",),
                     rule_packs: tuple[str, ...] = tuple(CFN_LINT_RULE_PACKS)) -> list:
    """cfn-lint's matches for a template's text, as `cfnlint.api.lint` gives them; by default with this script's
    configuration (every partition, informational rules, cfn-lint-serverless)."""
    from cfnlint.decode.decode import decode_str

    template, errors = decode_str(text)
    return errors or list(_cfn_lint_runner(regions, include_checks, rule_packs).validate_template(template))


@functools.lru_cache(maxsize=None)
def _cfn_lint_runner(regions: tuple[str, ...], include_checks: tuple[str, ...], rule_packs: tuple[str, ...]):
    """One runner per configuration, so its rules are loaded once (`cfnlint.api.lint` loads them at every call,
    0.4 s each)."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=list(regions), include_checks=list(include_checks),
                              append_rules=list(rule_packs)))


def run_cfn_lint(templates: list[Path]) -> list[Finding]:
    findings = []
    for template in templates:
        for match in cfn_lint_matches(template.read_text()):
            path = list(match.path or [])
            logical_id = path[1] if len(path) > 1 and path[0] == "Resources" else ""
            findings.append(Finding(_name(template), "cfn-lint", match.rule.id, logical_id,
                                    f"{match.message} (line {match.linenumber})"))
    return sorted(set(findings))


def _name(template: Path) -> str:
    return str(template.relative_to(ROOT)) if template.is_relative_to(ROOT) else str(template)


def run_checkov(templates: list[Path]) -> list[Finding]:
    if not CHECKOV.is_file():
        raise NotInstalled(f"no checkov at {CHECKOV.relative_to(ROOT)}: run tools/install-scanners.sh")
    command = [str(CHECKOV), "--skip-download", "--framework", "cloudformation", "--compact", "--quiet",
               "--output", "json"]
    for template in templates:
        command += ["--file", str(template)]
    # BC_SKIP_MAPPING: no guideline download either; checkov then needs no network at all.
    run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "BC_SKIP_MAPPING": "TRUE"})
    if run.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed ({run.returncode}): {run.stderr or run.stdout}")
    reports = json.loads(run.stdout) if run.stdout.strip() else []
    if isinstance(reports, dict):
        reports = [reports]
    findings = []
    for report in reports:
        for failure in report.get("results", {}).get("failed_checks", []):
            logical_id = failure["resource"].split(".", 1)[-1]
            findings.append(Finding(_name(Path(failure["file_abs_path"])), "checkov", failure["check_id"], logical_id,
                                    failure["check_name"]))
    return sorted(set(findings))


RUNNERS = {"cfn-lint": run_cfn_lint, "cfn-guard": run_cfn_guard, "checkov": run_checkov}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", choices=TOOLS_NAMES, action="append", help="only this scanner (repeatable)")
    parser.add_argument("templates", nargs="*", type=Path, help="default: every committed template")
    args = parser.parse_args(argv)
    templates = [t.resolve() for t in args.templates] or committed_templates()
    findings = []
    try:
        for tool in args.tool or TOOLS_NAMES:
            found = RUNNERS[tool](templates)
            print(f"scan: {tool}: {len(templates)} templates, {len(found)} findings", file=sys.stderr)
            findings += found
    except NotInstalled as error:
        print(f"scan: {error}", file=sys.stderr)
        return 2
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
