"""The original CDK construct `sfnResume`, rebuilt with boto3 in the emulator, as the benchmarks' baseline.

Reproduces what the construct builds: a table keyed by `id`; a pause that is one
`aws-sdk:dynamodb:putItem.waitForTaskToken` task with `ConditionExpression: attribute_not_exists(id)` and
`ResultPath: null`; a STANDARD JSONPath resume machine GetItem (eventually consistent) → aws-sdk
`sfn:sendTaskSuccess` with a constant output → DeleteItem, no Retry, no Catch; a rule on the default bus whose
target gets the whole event. Deployed directly (no CloudFormation): only its runtime behaviour is measured.
"""

from __future__ import annotations

import json

from sfn_resume.local.harness import WORKFLOW_ROLE_ARN, Deployment, start_job_state

#: The original's pause task, as `tasks.CallAwsService(... WAIT_FOR_TASK_TOKEN)` renders it.
PUT_ITEM_WAIT = "arn:aws:states:::aws-sdk:dynamodb:putItem.waitForTaskToken"
GET_ITEM = "arn:aws:states:::dynamodb:getItem"
DELETE_ITEM = "arn:aws:states:::dynamodb:deleteItem"
SEND_TASK_SUCCESS = "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess"


def original_pause_state(table_name: str, path_to_id: str) -> dict:
    return {
        "Type": "Task",
        "Resource": PUT_ITEM_WAIT,
        "Parameters": {
            "TableName": table_name,
            "Item": {"id": {"S.$": path_to_id}, "token": {"S.$": "$$.Task.Token"}},
            "ConditionExpression": "attribute_not_exists(id)",
        },
        "ResultPath": None,
    }


def original_resume_definition(table_name: str, path_to_id_workflow: str) -> dict:
    key = {"id": {"S.$": path_to_id_workflow}}
    return {
        "StartAt": "getResumeToken",
        "States": {
            "getResumeToken": {
                "Type": "Task",
                "Resource": GET_ITEM,
                "Parameters": {"Key": key, "TableName": table_name},
                "ResultPath": "$.getResumeToken",
                "Next": "sendTaskSuccess",
            },
            "sendTaskSuccess": {
                "Type": "Task",
                "Resource": SEND_TASK_SUCCESS,
                # The original passes the object {"staus": "resume"}; SendTaskSuccess takes JSON text.
                "Parameters": {"TaskToken.$": "$.getResumeToken.Item.token.S", "Output": json.dumps({"staus": "resume"})},
                "ResultPath": "$.sendTaskSuccess",
                "Next": "deleteResumeToken",
            },
            "deleteResumeToken": {
                "Type": "Task",
                "Resource": DELETE_ITEM,
                "Parameters": {"Key": key, "TableName": table_name},
                "End": True,
            },
        },
    }


def original_workflow(table_name: str, path_to_id: str) -> dict:
    """The same shape as the harness's sample workflow: start job → pause → continue."""
    return {
        "StartAt": "StartJob",
        "TimeoutSeconds": 300,
        "States": {
            "StartJob": start_job_state(path_to_id, "WaitForJob"),
            "WaitForJob": dict(original_pause_state(table_name, path_to_id), Next="Continue"),
            "Continue": {"Type": "Pass", "End": True},
        },
    }


class OriginalDeployment(Deployment):
    """The original construct's table, resume machine and rule, plus one workflow using its pause: the
    harness's views (executions, items, waits) apply as they are."""

    workflow_arn: str = ""

    @classmethod
    def deploy(cls, aws, name: str, event_pattern: dict, path_to_id_pause: str, path_to_id_workflow: str) -> OriginalDeployment:
        table_name = f"{name}-table"
        aws.client("dynamodb").create_table(
            TableName=table_name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sfn = aws.client("stepfunctions")
        resume_arn = sfn.create_state_machine(
            name=f"{name}-resume", type="STANDARD", roleArn=WORKFLOW_ROLE_ARN,
            definition=json.dumps(original_resume_definition(table_name, path_to_id_workflow)),
        )["stateMachineArn"]
        events = aws.client("events")
        events.put_rule(Name=f"{name}-rule", EventPattern=json.dumps(event_pattern), State="ENABLED")
        events.put_targets(Rule=f"{name}-rule", Targets=[{"Id": "resume", "Arn": resume_arn, "RoleArn": WORKFLOW_ROLE_ARN}])
        deployment = cls(aws, name, {"TableName": table_name, "ResumeStateMachineArn": resume_arn})
        deployment.workflow_arn = sfn.create_state_machine(
            name=f"{name}-workflow", roleArn=WORKFLOW_ROLE_ARN,
            definition=json.dumps(original_workflow(table_name, path_to_id_pause)),
        )["stateMachineArn"]
        return deployment

    def start(self, job_id: str) -> str:  # one workflow only
        return super().start(self.workflow_arn, job_id)

    def wait_until_paused(self, job_id: str, timeout: float = 10.0) -> dict:
        return super().wait_until_paused(self.workflow_arn, job_id, timeout)
