"""An AWS Service Catalog portfolio whose product provisions the generic template (with its alarms and dashboard).

The launch role grants what CloudFormation needs to create, update and delete the generic template's
resources, scoped to their `SfnResume-*` names and to Service Catalog's `SC-*` stacks, roles and policies;
tests/test_service_catalog.py derives the same list from the CloudFormation resource schemas and compares.
"""

from __future__ import annotations

import awacs.cloudformation as cloudformation
import awacs.cloudwatch as cloudwatch
import awacs.dynamodb as dynamodb
import awacs.events as events
import awacs.iam as iam_actions
import awacs.kms as kms
import awacs.logs as logs
import awacs.s3 as s3
import awacs.sns as sns
import awacs.sqs as sqs
import awacs.states as states
from awacs.aws import Allow, Condition, Policy, Principal, Statement, StringEquals
from awacs.sts import AssumeRole
from troposphere import Equals, GetAtt, If, Not, NoValue, Output, Parameter, Ref, Select, Split, Sub, iam, \
    servicecatalog

from . import __version__, policies, render

PORTFOLIO = "Portfolio"
PRODUCT = "Product"
ASSOCIATION = "PortfolioProductAssociation"
LAUNCH_ROLE = "LaunchRole"
LAUNCH_CONSTRAINT = "LaunchRoleConstraint"
PRINCIPAL_ASSOCIATION = "PrincipalAssociation"
HAS_RETAINED_TABLE_TEMPLATE = "HasRetainedTableTemplate"
IS_PRINCIPAL_PATTERN = "IsPrincipalPattern"
#: An IAM role, user or group ARN, with its account (PrincipalType IAM) or without (IAM_PATTERN, for every account
#: a StackSet or a shared portfolio reaches; its name may hold '*').
PRINCIPAL_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::([0-9]{12})?:(role|user|group)/\S+$"


def _arn(service: str, resource: str):
    return Sub(f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}")


def _global_arn(service: str, resource: str):
    return Sub(f"arn:${{AWS::Partition}}:{service}::${{AWS::AccountId}}:{resource}")


#: (Sid, actions, resources): what provisioning, updating and terminating the product needs.
def launch_statements() -> list[Statement]:
    table = _arn("dynamodb", "table/SfnResume-*")
    machines = _arn("states", "stateMachine:SfnResume-*")
    rules = _arn("events", "rule/SfnResume-*")
    queue = _arn("sqs", "SfnResume-*")
    log_group = _arn("logs", "log-group:/aws/vendedlogs/states/SfnResume-*")
    # Roles and policies get generated names, prefixed with the stack's name: Service Catalog's stacks are SC-*.
    roles = _global_arn("iam", "role/SC-*")
    managed_policies = _global_arn("iam", "policy/SC-*")
    rows = [
        ("ManageProvisioningStacks", [
            cloudformation.CreateStack, cloudformation.DeleteStack, cloudformation.DescribeStackEvents,
            cloudformation.DescribeStacks, cloudformation.GetTemplateSummary, cloudformation.SetStackPolicy,
            cloudformation.UpdateStack, cloudformation.ValidateTemplate,
        ], [_arn("cloudformation", "stack/SC-*")]),

        ("TokenTable", [
            dynamodb.CreateTable, dynamodb.DeleteTable, dynamodb.DescribeTable, dynamodb.UpdateTable,
            dynamodb.DescribeTimeToLive, dynamodb.UpdateTimeToLive,
            dynamodb.DescribeContinuousBackups, dynamodb.UpdateContinuousBackups,
            dynamodb.DescribeContributorInsights, dynamodb.DescribeKinesisStreamingDestination,
            dynamodb.GetResourcePolicy,
            # Item operations: in CloudFormation's own handler permissions for a table.
            dynamodb.BatchWriteItem, dynamodb.DeleteItem, dynamodb.GetItem, dynamodb.PutItem, dynamodb.Query,
            dynamodb.Scan, dynamodb.UpdateItem,
            dynamodb.ListTagsOfResource, dynamodb.TagResource, dynamodb.UntagResource,
        ], [table]),
        # The key is the stack operator's choice (KmsKeyArn): any key of this account and region.
        ("EncryptWithTheChosenKey", [
            kms.CreateGrant, kms.Decrypt, kms.DescribeKey, kms.Encrypt, kms.RevokeGrant,
        ], [_arn("kms", "key/*")]),
        # Resource "*": ListAliases supports no resource-level permissions.
        ("ListKeyAliases", [kms.ListAliases], ["*"]),
        ("ResumeStateMachines", [
            states.CreateStateMachine, states.DeleteStateMachine, states.DescribeStateMachine,
            states.UpdateStateMachine, states.ListTagsForResource, states.TagResource, states.UntagResource,
        ], [machines]),
        # Resource "*": vended log delivery (a state machine's LoggingConfiguration) supports no resource ARNs.
        ("ConfigureExecutionLogging", list(policies.LOG_DELIVERY_ACTIONS), ["*"]),
        ("LogGroup", [
            logs.CreateLogGroup, logs.DeleteLogGroup, logs.DescribeLogGroups, logs.PutRetentionPolicy,
            logs.DeleteRetentionPolicy, logs.AssociateKmsKey, logs.DisassociateKmsKey,
            logs.DescribeIndexPolicies, logs.GetDataProtectionPolicy,
            logs.ListTagsForResource, logs.TagResource, logs.UntagResource,
        ], [log_group]),
        ("DeadLetterQueue", [
            sqs.CreateQueue, sqs.DeleteQueue, sqs.GetQueueAttributes, sqs.GetQueueUrl, sqs.SetQueueAttributes,
            sqs.ListQueueTags, sqs.TagQueue, sqs.UntagQueue,
        ], [queue]),
        ("Rules", [
            events.PutRule, events.DeleteRule, events.DescribeRule, events.PutTargets, events.RemoveTargets,
            events.ListTargetsByRule, events.ListTagsForResource,
        ], [rules]),
        ("AlarmTopic", [
            sns.CreateTopic, sns.DeleteTopic, sns.GetTopicAttributes, sns.SetTopicAttributes,
            sns.ListSubscriptionsByTopic, sns.GetDataProtectionPolicy, sns.ListTagsForResource, sns.TagResource,
            sns.UntagResource,
        ], [_arn("sns", "SfnResume-*")]),
        ("Alarms", [
            cloudwatch.PutMetricAlarm, cloudwatch.DeleteAlarms, cloudwatch.DescribeAlarms,
            cloudwatch.ListTagsForResource, cloudwatch.TagResource, cloudwatch.UntagResource,
        ], [_arn("cloudwatch", "alarm:SfnResume-*")]),
        ("Dashboard", [
            cloudwatch.PutDashboard, cloudwatch.GetDashboard, cloudwatch.DeleteDashboards,
            cloudwatch.ListTagsForResource, cloudwatch.TagResource, cloudwatch.UntagResource,
        ], [_global_arn("cloudwatch", "dashboard/SfnResume-*")]),
        ("Roles", [
            iam_actions.CreateRole, iam_actions.DeleteRole, iam_actions.GetRole, iam_actions.UpdateAssumeRolePolicy,
            iam_actions.PutRolePolicy, iam_actions.GetRolePolicy, iam_actions.DeleteRolePolicy,
            iam_actions.ListRolePolicies, iam_actions.ListAttachedRolePolicies, iam_actions.TagRole,
            iam_actions.UntagRole,
        ], [roles]),
        ("PauseStatePolicy", [
            iam_actions.CreatePolicy, iam_actions.DeletePolicy, iam_actions.GetPolicy, iam_actions.CreatePolicyVersion,
            iam_actions.DeletePolicyVersion, iam_actions.GetPolicyVersion, iam_actions.ListPolicyVersions,
            iam_actions.ListEntitiesForPolicy,
        ], [managed_policies]),
    ]
    statements = [Statement(Sid=sid, Effect=Allow, Action=actions, Resource=resources)
                  for sid, actions, resources in rows]
    # Resource "*": Service Catalog copies the product's template into its own bucket, unknown here; AWS's
    # documented launch-role statement limits the read to the objects it tags for provisioning.
    statements.insert(1, Statement(
        Sid="ReadProductTemplate",
        Effect=Allow,
        Action=[s3.GetObject],
        Resource=["*"],
        Condition=Condition(StringEquals("s3:ExistingObjectTag/servicecatalog:provisioning", "true")),
    ))
    statements.append(Statement(
        Sid="PassRolesToStepFunctionsAndEventBridge",
        Effect=Allow,
        Action=[iam_actions.PassRole],
        Resource=[roles],
        Condition=Condition(StringEquals("iam:PassedToService", ["states.amazonaws.com", "events.amazonaws.com"])),
    ))
    return statements


def build_portfolio_template() -> render.Template:
    template = render.Template(Description=f"sfn-resume {__version__}: a Service Catalog portfolio offering the "
                                    "pause/resume pattern as a product")
    template.set_version("2010-09-09")
    parameters = {
        "ProductTemplateUrl": dict(
            Type="String", AllowedPattern=r"^https://\S+$",
            Description="REQUIRED: HTTPS URL of the generic template (templates/sfn-resume.yaml) uploaded to S3.",
            ConstraintDescription="an https:// URL."),
        "RetainedTableTemplateUrl": dict(
            Type="String", Default="", AllowedPattern=r"^(https://\S+)?$",
            Description="Optional: HTTPS URL of templates/sfn-resume-retain.yaml in S3 (the table outlives its stack), "
                        "offered as a second version of the product. Empty (default): none.",
            ConstraintDescription="empty, or an https:// URL."),
        "ProductVersion": dict(
            Type="String", Default=__version__, AllowedPattern=r"^[A-Za-z0-9._-]{1,100}$",
            Description="Optional: name of the product version (provisioning artifact).",
            ConstraintDescription="1 to 100 letters, digits, '.', '_' or '-'."),
        "PrincipalArn": dict(
            Type="String", AllowedPattern=PRINCIPAL_ARN_PATTERN,
            Description="REQUIRED: IAM role, user or group allowed to launch the product; without an account "
                        "(arn:aws:iam:::role/Name, '*' allowed) it names that principal in every account the "
                        "portfolio is shared with or a StackSet deploys it to (PrincipalType IAM_PATTERN).",
            ConstraintDescription="an IAM role, user or group ARN, with or without the account."),
        "ProviderName": dict(
            Type="String", Default="Platform team", MinLength=1, MaxLength=50,
            Description="Optional: who provides the portfolio, as shown to its users.",
            ConstraintDescription="1 to 50 characters."),
    }
    labels = {"ProductTemplateUrl": "Product template URL", "ProductVersion": "Product version",
              "RetainedTableTemplateUrl": "Retained-table template URL",
              "PrincipalArn": "Who may launch it", "ProviderName": "Provider name"}
    for name, kwargs in parameters.items():
        template.add_parameter(Parameter(name, **kwargs))
        template.set_parameter_label(name, labels[name])
        template.add_parameter_to_group(name, "Access" if name in ("PrincipalArn", "ProviderName") else "Product")
    template.add_condition(HAS_RETAINED_TABLE_TEMPLATE, Not(Equals(Ref("RetainedTableTemplateUrl"), "")))
    # arn:<partition>:iam::<account>:... — the fifth field is empty in a pattern
    template.add_condition(IS_PRINCIPAL_PATTERN, Equals(Select(4, Split(":", Ref("PrincipalArn"))), ""))

    portfolio = template.add_resource(servicecatalog.Portfolio(
        PORTFOLIO,
        DisplayName="Step Functions pause/resume",
        ProviderName=Ref("ProviderName"),
        Description="Wait for an asynchronous AWS job's EventBridge event in a Step Functions workflow.",
    ))
    product = template.add_resource(servicecatalog.CloudFormationProduct(
        PRODUCT,
        Name="sfn-resume",
        Owner=Ref("ProviderName"),
        Description="One pause/resume instance: a token table, pause and resume state machines, rules, a dead-letter "
                    "queue. Its table is deleted with it, except in the -retain version.",
        ProvisioningArtifactParameters=[
            servicecatalog.ProvisioningArtifactProperties(
                Name=Ref("ProductVersion"),
                Description="The generic sfn-resume template: the table is deleted with the stack.",
                Info=servicecatalog.Info(LoadTemplateFromURL=Ref("ProductTemplateUrl")),
            ),
            If(HAS_RETAINED_TABLE_TEMPLATE, servicecatalog.ProvisioningArtifactProperties(
                Name=Sub("${ProductVersion}-retain"),
                Description="The generic sfn-resume template with a retained table (DeletionPolicy Retain).",
                Info=servicecatalog.Info(LoadTemplateFromURL=Ref("RetainedTableTemplateUrl")),
            ), NoValue),
        ],
    ))
    association = template.add_resource(servicecatalog.PortfolioProductAssociation(
        ASSOCIATION, PortfolioId=Ref(portfolio), ProductId=Ref(product),
    ))
    launch_role = template.add_resource(iam.Role(
        LAUNCH_ROLE,
        AssumeRolePolicyDocument=Policy(Version=policies.VERSION, Statement=[Statement(
            Effect=Allow, Principal=Principal("Service", ["servicecatalog.amazonaws.com"]), Action=[AssumeRole],
            Condition=Condition(StringEquals("aws:SourceAccount", Ref("AWS::AccountId"))),
        )]),
        Policies=[iam.Policy(PolicyName="launch-sfn-resume",
                             PolicyDocument=Policy(Version=policies.VERSION, Statement=launch_statements()))],
    ))
    template.add_resource(servicecatalog.LaunchRoleConstraint(
        LAUNCH_CONSTRAINT,
        DependsOn=[association],
        PortfolioId=Ref(portfolio),
        ProductId=Ref(product),
        RoleArn=GetAtt(launch_role, "Arn"),
        Description="Provision with the least-privilege launch role, not the user's own permissions.",
    ))
    template.add_resource(servicecatalog.PortfolioPrincipalAssociation(
        PRINCIPAL_ASSOCIATION, PortfolioId=Ref(portfolio), PrincipalARN=Ref("PrincipalArn"),
        PrincipalType=If(IS_PRINCIPAL_PATTERN, "IAM_PATTERN", "IAM"),
    ))
    for key, value, description in [
        ("PortfolioId", Ref(portfolio), "ID of the portfolio."),
        ("ProductId", Ref(product), "ID of the sfn-resume product."),
        ("LaunchRoleArn", GetAtt(launch_role, "Arn"), "Role Service Catalog provisions the product with."),
    ]:
        template.add_output(Output(key, Value=value, Description=description))
    return template
