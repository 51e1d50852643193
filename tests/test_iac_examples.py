"""examples/iac/: the generic template in AWS SAM (translated offline by aws-sam-translator, then linted) and in
Terraform (checked against the template's Parameters: no Terraform provider can be fetched here, so `terraform
plan` cannot run; the check reads the HCL with python-hcl2)."""

import json
import re

import hcl2
import pytest
from samtranslator.translator.transform import transform

from sfn_resume import load_config
from sfn_resume.nested import include_parameters
from sfn_resume.options import PARAMETERS
from sfn_resume.splice import splice

from .helpers import EXAMPLES, TEMPLATES, load_scan, load_yaml

SAM = EXAMPLES / "iac" / "sam"
TERRAFORM = EXAMPLES / "iac" / "terraform"
TRANSLATE = load_config(EXAMPLES / "translate" / "config.yaml").instances[0]
GENERIC_PARAMETERS = load_yaml(TEMPLATES / "sfn-resume.yaml")["Parameters"]
#: The Parameters a config sets, each a variable of the Terraform example; the others (the inert HeartbeatSeconds)
#: keep their defaults.
CONFIGURED_PARAMETERS = {name: body for name, body in GENERIC_PARAMETERS.items() if PARAMETERS[name].key}
#: cfn-lint rules that a SAM template's translation breaks before `sam package` (the Location of a nested
#: application, a local file, becomes the nested stack's TemplateURL until `sam package` uploads it).
SAM_LINT_SUPPRESSIONS = {"W3002": "a local TemplateURL: `sam build` and `sam package` upload it and write its URL"}


class _NoManagedPolicies:
    """The translator's managed-policy lookup (IAM ListPolicies): the example names its policies by ARN."""

    def load(self) -> dict:
        return {}


def packaged_sam_template() -> dict:
    """examples/iac/sam/template.yaml with the workflow's local DefinitionUri inlined, as `sam package` makes it
    part of what CloudFormation reads (there, uploaded to S3): the translator itself takes only an S3 URI."""
    template = load_yaml(SAM / "template.yaml")
    workflow = template["Resources"]["TranslateWorkflow"]["Properties"]
    workflow["Definition"] = json.loads((SAM / workflow.pop("DefinitionUri")).read_text())
    return template


def test_the_sam_example_translates_offline_and_lints_clean(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the translator writes the region into ARNs
    translated = transform(packaged_sam_template(), {}, _NoManagedPolicies())
    application = translated["Resources"]["TranslateResume"]
    assert application["Type"] == "AWS::CloudFormation::Stack"
    assert application["Properties"]["TemplateURL"] == "sfn-resume.yaml"  # what `sfn-resume synth -o` writes
    matches = load_scan().cfn_lint_matches(json.dumps(translated))
    assert [f"{m.rule.id} {m.path}: {m.message}" for m in matches if m.rule.id not in SAM_LINT_SUPPRESSIONS] == []
    # the workflow's role gets the instance's pause-state policy
    role = next(body for body in translated["Resources"].values() if body["Type"] == "AWS::IAM::Role")
    assert {"Fn::GetAtt": ["TranslateResume", "Outputs.PauseStatePolicyArn"]} in role["Properties"][
        "ManagedPolicyArns"]


def test_the_sam_example_is_the_translate_config():
    """Its Parameters are what `parameters --format cfn-include` gives for the Translate example; its workflow is
    what `splice` writes for it (a change of the pause state shows here: `make templates` writes it again)."""
    parameters = load_yaml(SAM / "template.yaml")["Resources"]["TranslateResume"]["Properties"]["Parameters"]
    assert parameters == include_parameters(TRANSLATE)
    workflow = json.loads((EXAMPLES / "translate" / "workflow.json").read_text())
    spliced = splice(workflow, TRANSLATE, "StartTranslation")
    assert (SAM / "workflow.asl.json").read_text() == json.dumps(spliced, indent=2) + "\n"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _hcl_value(value):
    """python-hcl2 keeps a string's quotes and wraps an expression in `${...}`: the value as Python data."""
    if isinstance(value, str) and value.startswith('"'):
        return json.loads(value)
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return value


def _terraform(name: str) -> dict:
    """A Terraform file's blocks and attributes (python-hcl2 adds its comments as `__comments__`)."""
    with (TERRAFORM / name).open() as file:
        return {key: value for key, value in hcl2.load(file).items() if not key.startswith("__")}


def _terraform_variables() -> dict:
    return {_hcl_value(name): {key: _hcl_value(value) for key, value in body.items()}
            for file in ("main.tf", "variables.tf") for block in _terraform(file).get("variable", [])
            for name, body in block.items()}


def _expected_variable(parameter: dict) -> tuple[str, object]:
    """The Terraform type and default of a variable for `parameter`: a "true"/"false" choice is a bool, a
    CommaDelimitedList a list (joined with commas in the stack's parameters), a Number a number."""
    default = parameter.get("Default")
    if parameter["Type"] == "CommaDelimitedList":
        return "list(string)", [] if default == "" else default.split(",")
    if parameter["Type"] == "Number":
        return "number", default
    if sorted(parameter.get("AllowedValues", [])) == ["false", "true"]:
        return "bool", None if default is None else default == "true"
    return "string", default


@pytest.mark.parametrize("name", list(CONFIGURED_PARAMETERS))
def test_the_terraform_example_has_a_variable_per_parameter_of_its_type(name):
    variable = _terraform_variables()[_snake(name)]
    expected_type, expected_default = _expected_variable(CONFIGURED_PARAMETERS[name])
    assert variable["type"] == expected_type
    assert variable.get("default") == expected_default  # no default: required, as the Parameter is


def _terraform_resources() -> dict:
    return {(_hcl_value(kind), _hcl_value(name)): body for block in _terraform("main.tf")["resource"]
            for kind, named in block.items() for name, body in named.items()}


def test_the_terraform_stack_reads_the_template_from_the_object_it_uploads():
    """template_url, the object's: CloudFormation takes a template above 51,200 bytes from S3 only (template_body is
    refused), and a key that holds the template's MD5 makes a new template a new URL, which updates the stack."""
    resources = _terraform_resources()
    assert set(resources) == {("aws_s3_object", "template"), ("aws_cloudformation_stack", "sfn_resume")}
    upload, stack = resources["aws_s3_object", "template"], resources["aws_cloudformation_stack", "sfn_resume"]
    assert _hcl_value(upload["source"]) == "${path.module}/sfn-resume.yaml"
    assert _hcl_value(upload["bucket"]) == "var.template_bucket"
    assert upload["key"] == '"sfn-resume/${filemd5("${path.module}/sfn-resume.yaml")}.yaml"'  # as python-hcl2 gives it
    assert "template_body" not in stack
    assert _hcl_value(stack["template_url"]) == \
        "https://${aws_s3_object.template.bucket}.s3.amazonaws.com/${aws_s3_object.template.key}"
    assert "default" not in _terraform_variables()["template_bucket"]  # yours: no default to guess


def test_the_terraform_stack_passes_every_parameter_from_its_variable():
    stack = _terraform_resources()["aws_cloudformation_stack", "sfn_resume"]
    expected = {name: f'join(",", var.{_snake(name)})' if body["Type"] == "CommaDelimitedList"
                else f"var.{_snake(name)}" for name, body in CONFIGURED_PARAMETERS.items()}
    assert {key: _hcl_value(value) for key, value in stack["parameters"].items()} == expected
    assert set(_terraform_variables()) == {_snake(name) for name in CONFIGURED_PARAMETERS} | {"stack_name",
                                                                                                "template_bucket"}


def test_the_terraform_tfvars_are_the_translate_config():
    tfvars = {key: _hcl_value(value) for key, value in _terraform("translate.tfvars").items()}
    assert tfvars == {_snake(key): int(value) if GENERIC_PARAMETERS[key]["Type"] == "Number" else value
                      for key, value in include_parameters(TRANSLATE).items()}


def test_the_generic_template_needs_terraform_template_url():
    """Above template_body's 51,200 bytes (so the example uploads it), within template_url's 1,000,000."""
    assert 51_200 < len((TEMPLATES / "sfn-resume.yaml").read_bytes()) <= 1_000_000
