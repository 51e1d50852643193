"""Static scanners (cfn-lint with cfn-lint-serverless, cfn-guard + AWS Control Tower rules, checkov) on the committed
templates, each file as shipped.

The suppressions are listed here exactly, so adding one is a reviewed change. The scanner tests need
tools/install-scanners.sh; without it they skip, except under CI (env CI set), where they fail.
"""

import copy
import json
import os
import re
from pathlib import Path

import cfn_flip
import pytest

from sfn_resume import build_template, parse_config
from sfn_resume import names
from sfn_resume.resources import SCANNER_SUPPRESSIONS, SUPPRESSION_CASES

from .helpers import MINIMAL, load_scan

ROOT = Path(__file__).resolve().parent.parent
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

#: (logical-ID kind, tool, rule, when): every finding the templates accept on purpose.
EXPECTED_SUPPRESSIONS = [
    (names.TABLE, "checkov", "CKV_AWS_119", "no key"),
    (names.LOG_GROUP, "checkov", "CKV_AWS_158", "no key"),
    (names.LOG_GROUP, "cfn-guard", "cloudwatch_log_group_encrypted_check", "no key or key parameter"),
    (names.LOG_GROUP, "cfn-guard", "cloudwatch_log_group_retention_period_check", "retention parameter"),
    (names.PAUSE_STATE_MACHINE, "cfn-guard", "step_functions_state_machine_logging_enabled_check", "log level parameter"),
    (names.PAUSE_STATE_MACHINE, "cfn-lint", "I1022", "event retention parameter"),
    (names.RESUME_STATE_MACHINE, "cfn-guard", "step_functions_state_machine_logging_enabled_check",
     "log level parameter"),
    (names.RESUME_STATE_MACHINE, "cfn-lint", "I1022", "event retention parameter"),
    (names.FAIL_STATE_MACHINE, "cfn-guard", "step_functions_state_machine_logging_enabled_check", "log level parameter"),
    (names.FAIL_STATE_MACHINE, "cfn-lint", "I1022", "event retention parameter"),
    (names.DEAD_LETTER_QUEUE, "checkov", "CKV_AWS_27", "no key"),
    (names.DEAD_LETTER_QUEUE, "cfn-guard", "sqs_queue_encrypted_check", "key parameter"),
    (names.DEAD_LETTER_QUEUE, "cfn-lint", "ES6000", "always"),
    (names.ALARM_TOPIC, "checkov", "CKV_AWS_26", "no key"),
]


scan = load_scan()


def suppressions_in(template: dict) -> set:
    """(logical ID, tool, rule) of every suppression in a rendered template's resource Metadata."""
    found = set()
    for logical_id, resource in template["Resources"].items():
        metadata = resource.get("Metadata", {})
        for skip in metadata.get("checkov", {}).get("skip", []):
            assert skip["comment"].strip(), (logical_id, skip)
            found.add((logical_id, "checkov", skip["id"]))
        for rule in metadata.get("cfn-lint", {}).get("config", {}).get("ignore_checks", []):
            found.add((logical_id, "cfn-lint", rule))
        guard = metadata.get("guard", {})
        for rule in guard.get("SuppressedRules", []):
            assert guard["Reasons"][rule].strip(), (logical_id, rule)
            found.add((logical_id, "cfn-guard", rule))
    return found


def test_suppressions_are_exactly_these_each_with_a_reason():
    listed = [(kind, s.tool, s.rule, s.when) for kind, entries in SCANNER_SUPPRESSIONS.items() for s in entries]
    assert listed == EXPECTED_SUPPRESSIONS
    for entries in SCANNER_SUPPRESSIONS.values():
        for suppression in entries:
            assert suppression.tool in scan.TOOLS_NAMES
            assert suppression.when in SUPPRESSION_CASES
            assert len(suppression.reason.split()) >= 8, suppression  # a reason, not a placeholder


@pytest.mark.parametrize("config_data, expected", [
    # generic template: the key, the retention and the log level are Parameters (checkov takes the key's Fn::If
    # for a key given)
    (None, {(kind, tool, rule) for kind, tool, rule, when in EXPECTED_SUPPRESSIONS if when != "no key"}),
    # config without a key: the AWS managed encryption ones; retention and SSE are literal, scanners read them
    (MINIMAL, {("TranslationTranslateResume" + kind, tool, rule)
               for kind, tool, rule, when in EXPECTED_SUPPRESSIONS if when.startswith("no key") or when == "always"}),
    # config with a customer managed key: only what does not depend on the key
    ({**MINIMAL, "kmsKeyArn": KEY}, {("TranslationTranslateResume" + kind, tool, rule)
                                     for kind, tool, rule, when in EXPECTED_SUPPRESSIONS if when == "always"}),
])
def test_suppressions_land_only_where_they_apply(config_data, expected):
    template = build_template(parse_config(config_data)) if config_data else build_template()
    assert suppressions_in(json.loads(template.to_json())) == expected


def test_no_literal_novalue_hides_an_unset_key():
    """Scanners read `Ref: AWS::NoValue` as a value: an unset key must be left out, not written as NoValue."""
    template = json.loads(build_template(parse_config(MINIMAL)).to_json())
    resources = template["Resources"]
    prefix = "TranslationTranslateResume"
    assert "KMSMasterKeyId" not in resources[prefix + names.TABLE]["Properties"]["SSESpecification"]
    assert "KmsKeyId" not in resources[prefix + names.LOG_GROUP]["Properties"]
    queue = resources[prefix + names.DEAD_LETTER_QUEUE]["Properties"]
    assert "KmsMasterKeyId" not in queue and queue["SqsManagedSseEnabled"] is True
    assert queue["RedriveAllowPolicy"] == {"redrivePermission": "allowAll"}  # SQS's default, marks it a DLQ
    keyed = json.loads(build_template(parse_config({**MINIMAL, "kmsKeyArn": KEY})).to_json())["Resources"]
    assert keyed[prefix + names.DEAD_LETTER_QUEUE]["Properties"]["KmsMasterKeyId"] == KEY
    assert "SqsManagedSseEnabled" not in keyed[prefix + names.DEAD_LETTER_QUEUE]["Properties"]
    assert keyed[prefix + names.LOG_GROUP]["Properties"]["KmsKeyId"] == KEY


# --- the scanners themselves -------------------------------------------------------------------------------------

def _require(tool: str):
    """Skip when `tool` is not installed, except under CI, where the scanners are part of the checks."""
    try:
        if tool == "cfn-guard":
            scan.cfn_guard_binary()
            scan.control_tower_rules(set())
        elif tool == "checkov" and not scan.CHECKOV.is_file():
            raise scan.NotInstalled(f"no checkov at {scan.CHECKOV}")
    except scan.NotInstalled as error:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is not installed under CI: {error}")
        pytest.skip(f"{tool} not installed (run tools/install-scanners.sh): {error}")


def test_committed_templates_are_all_scanned():
    templates = scan.committed_templates()
    assert ROOT / "templates" / "sfn-resume.yaml" in templates
    assert {t.name for t in (ROOT / "templates" / "examples").glob("*.yaml")} <= {t.name for t in templates}


#: The templates scanned with their suppressions taken out: the generic one and two config-built ones.
STRIPPED = ["sfn-resume.yaml", "examples/translate.yaml", "examples/batch.yaml"]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """`scanned(tool)`: the tool's findings in every committed template as shipped, and in each STRIPPED template
    without its suppressions (by template name, with the template as shipped). Each scanner runs once, on all of
    them: checkov alone takes seconds to start."""
    folder = tmp_path_factory.mktemp("stripped")
    targets = {name: folder / Path(name).with_suffix(".json").name for name in STRIPPED}
    shipped = {name: _without_suppressions(ROOT / "templates" / name, target) for name, target in targets.items()}
    committed = scan.committed_templates()
    scans = {}

    def scan_with(tool: str) -> tuple[list, dict[str, tuple[list, dict]]]:
        if tool not in scans:
            findings = scan.RUNNERS[tool]([*committed, *targets.values()])
            stripped = {name: ([f for f in findings if f.template == str(target)], shipped[name])
                        for name, target in targets.items()}
            scans[tool] = [f for f in findings if f.template not in {str(t) for t in targets.values()}], stripped
        return scans[tool]

    return scan_with


@pytest.mark.parametrize("tool", scan.TOOLS_NAMES)
def test_committed_templates_have_no_findings(tool, scanned):
    _require(tool)
    findings, _ = scanned(tool)
    assert [str(f) for f in findings] == []


def test_cfn_guard_reads_the_file_as_shipped(tmp_path):
    """No conversion before cfn-guard: the short form `!GetAtt Log.Arn`, which cfn-guard 3.1 reads as a string,
    fails CT.STEPFUNCTIONS.PR.1 when scanned, so the renderer must (and does) write `!GetAtt [Log, Arn]`."""
    _require("cfn-guard")
    shipped = ROOT / "templates" / "examples" / "translate.yaml"
    short_form = tmp_path / "translate.yaml"
    short_form.write_text(re.sub(r"!GetAtt \[(\w+), (\w+)\]", r"!GetAtt \1.\2", shipped.read_text()))
    assert "!GetAtt [" in shipped.read_text() and "!GetAtt [" not in short_form.read_text()
    rules = {f.rule for f in scan.run_cfn_guard([short_form])}
    assert "step_functions_state_machine_logging_enabled_check" in rules
    assert scan.run_cfn_guard([shipped]) == []


def test_cfn_guard_reads_every_service_of_the_templates():
    _require("cfn-guard")
    rules = {path.parent.name for path in scan.control_tower_rules(scan.resource_types(scan.committed_templates()))}
    assert {"dynamodb", "stepfunctions", "sqs", "cloudwatch", "identityandaccessmanagement"} <= rules


def _without_suppressions(source: Path, target: Path) -> dict:
    template = json.loads(cfn_flip.to_json(source.read_text(), clean_up=False))
    stripped = copy.deepcopy(template)
    for resource in stripped["Resources"].values():
        metadata = resource.get("Metadata", {})
        for tool in ("checkov", "cfn-lint", "guard"):
            metadata.pop(tool, None)
        if not metadata:
            resource.pop("Metadata", None)
    target.write_text(json.dumps(stripped, indent=1))
    return template


@pytest.mark.parametrize("template_name", STRIPPED)
@pytest.mark.parametrize("tool", scan.TOOLS_NAMES)
def test_every_suppression_is_still_needed(tool, template_name, scanned):
    """With the suppressions taken out, each scanner finds exactly what they suppress: none is stale, and the
    scanners do see these templates (a scan that finds nothing anywhere would pass the zero-findings test)."""
    _require(tool)
    findings, template = scanned(tool)[1][template_name]
    expected = {(logical_id, rule) for logical_id, t, rule in suppressions_in(template) if t == tool}
    assert {(f.resource, f.rule) for f in findings} == expected
