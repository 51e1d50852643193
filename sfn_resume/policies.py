"""IAM for one instance, built with awacs: one small function per purpose, one statement per Sid."""

from __future__ import annotations

import awacs.dynamodb
import awacs.kms
import awacs.logs
import awacs.sqs
import awacs.states
import awacs.xray
from awacs.sts import AssumeRole
from awacs.aws import Allow, ArnEquals, Condition, Policy, Principal, Statement, StringEquals
from troposphere import Ref, Sub

VERSION = "2012-10-17"

#: What the pause and resume machines call on the table (docs/DESIGN.md): store a token or an early event, claim
#: either; also what 0.1's pause state (a Parallel in the workflow) called itself.
TABLE_ACTIONS = (awacs.dynamodb.PutItem, awacs.dynamodb.UpdateItem)
#: Vended log delivery for Step Functions: these actions support no resource-level permissions.
LOG_DELIVERY_ACTIONS = (
    awacs.logs.CreateLogDelivery,
    awacs.logs.GetLogDelivery,
    awacs.logs.UpdateLogDelivery,
    awacs.logs.DeleteLogDelivery,
    awacs.logs.ListLogDeliveries,
    awacs.logs.PutResourcePolicy,
    awacs.logs.DescribeResourcePolicies,
    awacs.logs.DescribeLogGroups,
)
#: X-Ray tracing: these actions support no resource-level permissions.
TRACING_ACTIONS = (
    awacs.xray.PutTraceSegments,
    awacs.xray.PutTelemetryRecords,
    awacs.xray.GetSamplingRules,
    awacs.xray.GetSamplingTargets,
)


def trust_policy(service: str) -> Policy:
    """Only `service` may assume the role, and only on behalf of this account (confused-deputy guard)."""
    return Policy(
        Version=VERSION,
        Statement=[
            Statement(
                Effect=Allow,
                Principal=Principal("Service", [service]),
                Action=[AssumeRole],
                Condition=Condition(StringEquals("aws:SourceAccount", Ref("AWS::AccountId"))),
            )
        ],
    )


def table_statement(sid: str, table_arn, actions=TABLE_ACTIONS) -> Statement:
    return Statement(Sid=sid, Effect=Allow, Action=list(actions), Resource=[table_arn])


#: awacs's modules by IAM prefix.
_SERVICES = {"dynamodb": awacs.dynamodb, "states": awacs.states}


def actions(prefix: str, called) -> list:
    """The awacs constants of the `prefix` actions among `called` (e.g. `dynamodb:GetItem`), in their order."""
    return [getattr(_SERVICES[prefix], action.split(":")[1]) for action in called if action.startswith(prefix + ":")]


def answer_tasks_statement(actions, state_machine_arns) -> Statement:
    """SendTaskSuccess/Failure are evaluated against the paused workflow's ARN, which is the user's:
    `state_machine_arns` is the allowed list, by default every state machine of this account and region."""
    return Statement(Sid="AnswerPausedWorkflows", Effect=Allow, Action=list(actions), Resource=state_machine_arns)


def log_delivery_statement() -> Statement:
    # Resource "*": CloudWatch Logs vended delivery actions support no resource-level permissions.
    return Statement(Sid="DeliverExecutionLogs", Effect=Allow, Action=list(LOG_DELIVERY_ACTIONS), Resource=["*"])


def tracing_statement() -> Statement:
    # Resource "*": X-Ray's write and sampling actions support no resource-level permissions.
    return Statement(Sid="WriteTraces", Effect=Allow, Action=list(TRACING_ACTIONS), Resource=["*"])


#: What a principal needs on a customer managed key to read and write items of a table encrypted with it.
TABLE_KEY_ACTIONS = (awacs.kms.Decrypt, awacs.kms.Encrypt, awacs.kms.GenerateDataKey, awacs.kms.DescribeKey)


def table_key_statement(key_arn) -> Statement:
    """Use of the table's customer managed key, through DynamoDB only (kms:ViaService)."""
    return Statement(
        Sid="UseTheTableKeyThroughDynamoDB",
        Effect=Allow,
        Action=list(TABLE_KEY_ACTIONS),
        Resource=[key_arn],
        Condition=Condition(StringEquals("kms:ViaService", Sub("dynamodb.${AWS::Region}.amazonaws.com"))),
    )


def start_execution_statement(sid: str, state_machine_arns: list) -> Statement:
    return Statement(Sid=sid, Effect=Allow, Action=[awacs.states.StartExecution], Resource=state_machine_arns)


def dead_letter_statement(queue_arn, rule_arns: list) -> Statement:
    """EventBridge writes events it could not deliver to the queue, for this instance's rules only."""
    return Statement(
        Sid="AcceptUndeliveredEvents",
        Effect=Allow,
        Principal=Principal("Service", ["events.amazonaws.com"]),
        Action=[awacs.sqs.SendMessage],
        Resource=[queue_arn],
        Condition=Condition(ArnEquals("aws:SourceArn", rule_arns)),
    )


def policy(*statements) -> dict:
    """A policy document of `statements`; a statement may be an `Fn::If` that yields it or `AWS::NoValue`."""
    return {"Version": VERSION, "Statement": [s for s in statements if s is not None]}

