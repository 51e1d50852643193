"""The Service Catalog launch role grants exactly what CloudFormation needs for the generic template.

The need is derived from the CloudFormation resource schemas (their handler permissions, as shipped with
cfn-lint) for each resource type the generic template uses, less the permissions of features the template's
properties do not use (each named below and checked absent), plus what its properties add.
"""

import glob
import json
import re
from pathlib import Path

import cfnlint
import pytest

from sfn_resume import __version__
from sfn_resume.service_catalog import build_portfolio_template

from .helpers import ROOT, TEMPLATES, cfn_lint, load_yaml
from sfn_resume.protocol.cfn import Resolved

SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas" / "resources"
#: Handler permissions for features the generic template does not use: action → the property (or feature).
UNUSED_FEATURES = {
    "AWS::DynamoDB::Table": {
        "kinesis:DescribeStream": "KinesisStreamSpecification", "kinesis:PutRecords": "KinesisStreamSpecification",
        "dynamodb:EnableKinesisStreamingDestination": "KinesisStreamSpecification",
        "dynamodb:DisableKinesisStreamingDestination": "KinesisStreamSpecification",
        "dynamodb:UpdateKinesisStreamingDestination": "KinesisStreamSpecification",
        "dynamodb:ImportTable": "ImportSourceSpecification", "dynamodb:DescribeImport": "ImportSourceSpecification",
        "s3:GetObject": "ImportSourceSpecification", "s3:GetObjectMetadata": "ImportSourceSpecification",
        "s3:ListBucket": "ImportSourceSpecification", "logs:CreateLogGroup": "ImportSourceSpecification",
        "logs:CreateLogStream": "ImportSourceSpecification", "logs:DescribeLogGroups": "ImportSourceSpecification",
        "logs:DescribeLogStreams": "ImportSourceSpecification", "logs:PutLogEvents": "ImportSourceSpecification",
        "logs:PutRetentionPolicy": "ImportSourceSpecification",
        "dynamodb:PutResourcePolicy": "ResourcePolicy", "dynamodb:DeleteResourcePolicy": "ResourcePolicy",
        "dynamodb:UpdateContributorInsights": "ContributorInsightsSpecification",
        "dynamodb:CreateTableReplica": "(replicas: AWS::DynamoDB::GlobalTable)",
        "dynamodb:AssociateTableReplica": "(replicas: AWS::DynamoDB::GlobalTable)",
        "iam:CreateServiceLinkedRole": "(replicas: AWS::DynamoDB::GlobalTable)",
    },
    "AWS::Logs::LogGroup": {
        "firehose:TagDeliveryStream": "(log delivery to Firehose)", "s3:REST.PUT.OBJECT": "(log delivery to S3)",
        "logs:PutBearerTokenAuthentication": "BearerTokenAuthenticationEnabled",
        "logs:PutDataProtectionPolicy": "DataProtectionPolicy", "logs:DeleteDataProtectionPolicy": "DataProtectionPolicy",
        "logs:PutIndexPolicy": "FieldIndexPolicies", "logs:DeleteIndexPolicy": "FieldIndexPolicies",
        "logs:DeleteResourcePolicy": "ResourcePolicyDocument",
        "logs:PutLogGroupDeletionProtection": "DeletionProtectionEnabled",
    },
    "AWS::IAM::Role": {
        "iam:PutRolePermissionsBoundary": "PermissionsBoundary", "iam:DeleteRolePermissionsBoundary": "PermissionsBoundary",
        "iam:AttachRolePolicy": "ManagedPolicyArns", "iam:DetachRolePolicy": "ManagedPolicyArns",
        "iam:UpdateRole": "MaxSessionDuration", "iam:UpdateRoleDescription": "Description",
    },
    "AWS::IAM::ManagedPolicy": {
        "iam:AttachGroupPolicy": "Groups", "iam:DetachGroupPolicy": "Groups", "iam:AttachRolePolicy": "Roles",
        "iam:DetachRolePolicy": "Roles", "iam:AttachUserPolicy": "Users", "iam:DetachUserPolicy": "Users",
    },
    "AWS::Events::Rule": {"events:TagResource": "Tags", "events:UntagResource": "Tags"},
    "AWS::SNS::Topic": {
        "iam:GetRole": "DeliveryStatusLogging", "iam:PassRole": "DeliveryStatusLogging",
        "sns:PutDataProtectionPolicy": "DataProtectionPolicy", "sns:Subscribe": "Subscription",
        "sns:Unsubscribe": "Subscription",
    },
    "AWS::StepFunctions::StateMachine": {
        "s3:GetObject": "DefinitionS3Location", "s3:GetObjectVersion": "DefinitionS3Location",
        "kms:DescribeKey": "EncryptionConfiguration", "kms:GenerateDataKey": "EncryptionConfiguration",
        "kms:Decrypt": "EncryptionConfiguration",
    },
}
#: What a property adds beyond the schema's handler list (documented by Step Functions for the caller).
PROPERTY_ACTIONS = {
    ("AWS::StepFunctions::StateMachine", "LoggingConfiguration"): {
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    },
}
#: Service Catalog provisions through CloudFormation stacks, reading the product's template.
PROVISIONING_ACTIONS = {
    "cloudformation:CreateStack", "cloudformation:DeleteStack", "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeStacks", "cloudformation:GetTemplateSummary", "cloudformation:SetStackPolicy",
    "cloudformation:UpdateStack", "cloudformation:ValidateTemplate", "s3:GetObject",
}


def handler_permissions() -> dict[str, set[str]]:
    found = {}
    for path in glob.glob(str(SCHEMAS / "*.json")):
        schema = json.loads(Path(path).read_text())
        if schema.get("typeName") in UNUSED_FEATURES or schema.get("typeName") in (
                "AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard"):
            found[schema["typeName"]] = {p for handler in ("create", "read", "update", "delete")
                                         for p in schema.get("handlers", {}).get(handler, {}).get("permissions", [])}
    return found


def needed_actions(template: dict) -> set[str]:
    schemas = handler_permissions()
    needed = set(PROVISIONING_ACTIONS)
    for resource in template["Resources"].values():
        kind, props = resource["Type"], resource.get("Properties", {})
        unused = UNUSED_FEATURES.get(kind, {})
        for feature in set(unused.values()):
            assert feature.startswith("(") or feature not in props, f"{kind} uses {feature}: update UNUSED_FEATURES"
        needed |= schemas[kind] - set(unused)
        for (owner, prop), actions in PROPERTY_ACTIONS.items():
            if owner == kind and prop in props:
                needed |= actions
    return needed


@pytest.fixture(scope="module")
def portfolio() -> dict:
    return json.loads(build_portfolio_template().to_json())


def granted(portfolio: dict) -> set[str]:
    (policy,) = portfolio["Resources"]["LaunchRole"]["Properties"]["Policies"]
    return {a for s in policy["PolicyDocument"]["Statement"] for a in s["Action"]}


def test_launch_role_grants_exactly_what_the_generic_template_needs(portfolio, generic_template):
    needed = needed_actions(generic_template)
    assert sorted(granted(portfolio) - needed) == []  # nothing unrelated
    assert sorted(needed - granted(portfolio)) == []  # nothing missing


def test_launch_role_is_scoped_and_has_no_fixed_name(portfolio):
    role = portfolio["Resources"]["LaunchRole"]["Properties"]
    assert "RoleName" not in role and "ManagedPolicyArns" not in role  # no *FullAccess
    statements = {s["Sid"]: s for s in role["Policies"][0]["PolicyDocument"]["Statement"]}
    wildcards = sorted(sid for sid, s in statements.items() if "*" in s["Resource"])
    assert wildcards == ["ConfigureExecutionLogging", "ListKeyAliases", "ReadProductTemplate"]
    assert statements["ReadProductTemplate"]["Condition"] == {
        "StringEquals": {"s3:ExistingObjectTag/servicecatalog:provisioning": "true"}}
    assert statements["TokenTable"]["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/SfnResume-*"}]
    assert statements["PassRolesToStepFunctionsAndEventBridge"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": ["states.amazonaws.com", "events.amazonaws.com"]}}


def test_portfolio_shape(portfolio):
    resources = portfolio["Resources"]
    assert {r["Type"] for r in resources.values()} == {
        "AWS::ServiceCatalog::Portfolio", "AWS::ServiceCatalog::CloudFormationProduct",
        "AWS::ServiceCatalog::PortfolioProductAssociation", "AWS::IAM::Role",
        "AWS::ServiceCatalog::LaunchRoleConstraint", "AWS::ServiceCatalog::PortfolioPrincipalAssociation"}
    assert resources["LaunchRoleConstraint"]["DependsOn"] == ["PortfolioProductAssociation"]
    generic, retained = resources["Product"]["Properties"]["ProvisioningArtifactParameters"]
    assert generic["Info"] == {"LoadTemplateFromURL": {"Ref": "ProductTemplateUrl"}}
    # the retained-table version (templates/sfn-resume-retain.yaml) only when its URL is given
    condition, artifact, otherwise = retained["Fn::If"]
    assert portfolio["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "RetainedTableTemplateUrl"}, ""]}]}
    assert artifact["Info"] == {"LoadTemplateFromURL": {"Ref": "RetainedTableTemplateUrl"}}
    assert artifact["Name"] == {"Fn::Sub": "${ProductVersion}-retain"} and otherwise == {"Ref": "AWS::NoValue"}
    assert resources["PrincipalAssociation"]["Properties"]["PrincipalARN"] == {"Ref": "PrincipalArn"}


def test_committed_portfolio_is_fresh_and_lint_clean():
    path = TEMPLATES / "service-catalog" / "portfolio.yaml"
    assert path.read_text() == build_portfolio_template().to_yaml(), "stale: run `make templates`"
    matches = cfn_lint(path.read_text(), regions=("us-east-1", "cn-north-1", "us-gov-west-1"), include_checks=("I",))
    assert [str(m) for m in matches] == []


@pytest.mark.parametrize("principal, principal_type", [
    ("arn:aws:iam::123456789012:role/Developers", "IAM"),  # one account's role
    ("arn:aws:iam:::role/Developers", "IAM_PATTERN"),  # that role in every account a StackSet reaches
    ("arn:aws-cn:iam:::role/team-*", "IAM_PATTERN"),
])
def test_a_principal_with_or_without_its_account(principal, principal_type):
    portfolio = load_yaml(TEMPLATES / "service-catalog" / "portfolio.yaml")
    assert re.fullmatch(portfolio["Parameters"]["PrincipalArn"]["AllowedPattern"], principal)
    association = portfolio["Resources"]["PrincipalAssociation"]["Properties"]
    condition, pattern, plain = association["PrincipalType"]["Fn::If"]
    resolved = Resolved(portfolio, {"PrincipalArn": principal})
    assert (pattern if resolved.conditions[condition] else plain) == principal_type


def test_a_principal_arn_of_another_service_is_refused():
    pattern = load_yaml(TEMPLATES / "service-catalog" / "portfolio.yaml")["Parameters"]["PrincipalArn"]["AllowedPattern"]
    assert not re.fullmatch(pattern, "arn:aws:sts::123456789012:assumed-role/Developers/me")


def test_the_docs_name_the_product_version_of_the_package():
    """The portfolio's ProductVersion defaults to the package's version: the guide says which it is, and no doc
    names another."""
    guide = (ROOT / "docs" / "IAC.md").read_text()
    assert f"`{__version__}`" in guide and f"`{__version__}-retain`" in guide
    for doc in (ROOT / "README.md", ROOT / "docs" / "IAC.md"):
        text = doc.read_text()
        assert not {f"`{v}`" for v in re.findall(r"`(\d+\.\d+\.\d+)(?:-retain)?`", text)} - {f"`{__version__}`"}, doc
