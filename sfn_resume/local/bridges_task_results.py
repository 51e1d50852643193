"""Bridges for what a Step Functions task gives its workflow back in moto 5.2.5's interpreter: results in Step
Functions' casing, the HTTP metadata of the optimized integrations, and the causes of AWS SDK integration errors.

Gap numbers as in docs/EMULATOR.md; what AWS gives is what LocalStack's AWS-recorded tests show (the conformance
lane, `make test-aws-recorded`, runs them against the emulator).
"""
from __future__ import annotations

import base64
import datetime
import email.utils
import json
import uuid
import zlib
from typing import Any

from sfn_resume.local.bridges_stepfunctions import operation_model
from sfn_resume.local.patching import Patches, bridge


def _step_functions_cased(member: str) -> str:
    """A result member as Step Functions names it: the API's name with its first letter capitalised
    (`executionArn` -> `ExecutionArn`, `MD5OfMessageBody` unchanged)."""
    return member[:1].upper() + member[1:]


def step_functions_result(value: Any, shape: Any) -> Any:
    """A parsed service result as Step Functions gives it to the workflow: each structure's members named as
    `_step_functions_cased` says and in alphabetical order (as AWS writes them), maps' keys and lists' order kept,
    a streaming body read as text. Keys that are not members (`SdkHttpMetadata`) are kept, in that order too."""
    from botocore.model import ListShape, MapShape, StructureShape
    from botocore.response import StreamingBody

    if isinstance(value, StreamingBody):
        return value.read().decode("utf-8")
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        members = {}
        for key, item in value.items():
            member = shape.members.get(key)
            members[_step_functions_cased(key) if member else key] = step_functions_result(item, member)
        return dict(sorted(members.items()))
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [step_functions_result(item, shape.member) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {key: step_functions_result(item, shape.value) for key, item in value.items()}
    return value


@bridge("task-result-casing", gap="44: task results keep the service API's casing (states:startExecution "
                                  "gives executionArn where Step Functions gives ExecutionArn)")
def bridge_task_result_casing(patches: Patches) -> None:
    """Give every task result the members' names Step Functions gives them, PascalCase, in its order.

    moto's `_normalise_response` is a no-op, so a result comes back as botocore parsed it: `states:startExecution`
    (and its `.sync`, `.sync:2`, `.waitForTaskToken` forms) gives `executionArn`/`startDate`, every `.sync` child
    ends in `States.Runtime` ('ExecutionArn') where AWS succeeds, and `$.ExecutionArn` reads nothing; `aws-sdk:sfn`
    calls answer camelCase too. AWS: "Step Functions ... expressed in PascalCase, even if the native service API is
    in camelCase" (AWS SDK service integrations), and the recorded results of every integration, whose members
    come in alphabetical order. The mapping follows the operation's output shape (`step_functions_result`):
    structures' members renamed, maps' keys (DynamoDB attribute names) kept.

    Gap 44 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    def _normalise_response(self, response, boto_service_name=None, service_action_name=None):
        model = operation_model(self._get_boto_service_name(boto_service_name),
                                service_action_name or self.resource.api_action)
        if isinstance(response, dict) and model is not None and model.output_shape is not None:
            result = step_functions_result(response, model.output_shape)
            response.clear()  # in place: the interpreter keeps this object on its stack
            response.update(result)

    patches.set(StateTaskService, "_normalise_response", _normalise_response)


#: How each optimized integration's service answers on the wire (AWS's headers, as recorded): the body's
#: protocol and Content-Type, and the headers besides Content-Length, Date and the request id.
_WIRE = {
    "sqs": ("json", "application/x-amz-json-1.0", {"connection": "keep-alive"}),
    "stepfunctions": ("json", "application/x-amz-json-1.0", {"connection": "keep-alive"}),
    "sns": ("sns-query", "text/xml", {"connection": "keep-alive"}),
    "dynamodb": ("json", "application/x-amz-json-1.0", {"Server": "Server", "Connection": "keep-alive"}),
}
#: DynamoDB's GetItem names its request id header in lower case (recorded 2025-11), its other operations not.
_LOWER_CASE_REQUEST_ID = {("dynamodb", "get_item")}
#: SNS Publish's XML answer, as AWS writes it: its length is the Content-Length AWS sends.
_SNS_PUBLISH = ('<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">\n  <PublishResult>\n'
                "    <MessageId>{MessageId}</MessageId>\n{sequence}  </PublishResult>\n  <ResponseMetadata>\n"
                "    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</PublishResponse>\n")


def _java_double(value: float) -> str:
    """A number as the Java SDK writes a timestamp in JSON: epoch seconds as Java's `Double.toString`
    (`1.688136339186E9`)."""
    digits, _, exponent = f"{value:.15e}".partition("e")
    mantissa = digits.rstrip("0").rstrip(".")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}E{int(exponent)}"


def _wire_json(value: Any) -> str:
    """The JSON body a JSON-protocol service sends for a parsed result: compact, timestamps as epoch seconds
    (milliseconds, Java's notation), blobs in base64."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(key, ensure_ascii=False)}:{_wire_json(item)}"
                              for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_wire_json(item) for item in value) + "]"
    if isinstance(value, datetime.datetime):
        return _java_double(round(value.timestamp(), 3))
    if isinstance(value, (bytes, bytearray)):
        return json.dumps(base64.b64encode(value).decode())
    return json.dumps(value, ensure_ascii=False)


def sdk_http_metadata(service: str, action: str, result: dict[str, Any]) -> dict[str, Any]:
    """`SdkHttpMetadata` and `SdkResponseMetadata` as an optimized integration's result carries them on AWS: the
    service's response headers (Content-Length that of the body AWS sends for `result`), its status and request id.
    """
    protocol, content_type, headers = _WIRE[service]
    request_id = str(uuid.uuid4())
    if protocol == "json":
        body = _wire_json(result).encode("utf-8")
    else:
        sequence = f"    <SequenceNumber>{result['SequenceNumber']}</SequenceNumber>\n" if "SequenceNumber" in result \
            else ""
        body = _SNS_PUBLISH.format(MessageId=result.get("MessageId", ""), sequence=sequence,
                                   request_id=request_id).encode("utf-8")
    headers = dict(headers, **{
        "x-amzn-requestid" if (service, action) in _LOWER_CASE_REQUEST_ID else "x-amzn-RequestId": request_id,
        "Content-Length": str(len(body)),
        "Date": email.utils.formatdate(usegmt=True),
        "Content-Type": content_type,
    })
    if service == "dynamodb":
        headers["x-amz-crc32"] = str(zlib.crc32(body))
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": {name: [value] for name, value in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
    }


@bridge("task-http-metadata", gap="45: optimized integrations' results lack SdkHttpMetadata and SdkResponseMetadata")
def bridge_task_http_metadata(patches: Patches) -> None:
    """Add `SdkHttpMetadata` and `SdkResponseMetadata` to the results of the optimized SQS, SNS, DynamoDB and
    StartExecution integrations (the TaskSubmitted output of their `.waitForTaskToken`, `.sync` and `.sync:2`
    forms), as AWS does.

    moto's interpreter drops botocore's response metadata, so a workflow that checks
    `$.SdkHttpMetadata.HttpStatusCode` (a common guard after a DynamoDB write) finds nothing. The headers are those
    AWS's services send (the recordings), their Content-Length that of the body AWS would send for this result,
    the request id a fresh UUID; the AWS SDK integrations and EventBridge's PutEvents carry no such metadata.

    Gap 45 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_dynamodb,
        state_task_service_sfn,
        state_task_service_sns,
        state_task_service_sqs,
    )

    def with_metadata(inner, self, env, *args, **kwargs):
        inner(self, env, *args, **kwargs)
        result = env.stack[-1]
        if isinstance(result, dict):
            result.update(sdk_http_metadata(self._get_boto_service_name(), self._get_boto_service_action(), result))

    # the optimized integrations whose results carry the metadata on AWS (recorded for SQS SendMessage, SNS Publish,
    # DynamoDB's item calls and StartExecution; not for the aws-sdk ones nor EventBridge PutEvents). A layer, not a
    # replacement: the service-faults bridge (gap 51) wraps the same calls.
    for service_class in (state_task_service_sqs.StateTaskServiceSqs, state_task_service_sns.StateTaskServiceSns,
                          state_task_service_dynamodb.StateTaskServiceDynamoDB,
                          state_task_service_sfn.StateTaskServiceSfn):
        patches.wrap(service_class, "_eval_service_task", with_metadata)


#: The Java SDK's note on every AWS SDK integration error, as recorded since 2025: one attempt, since a client error
#: is not retried.
_ATTEMPT_NOTE = " (SDK Attempt Count: 1)"


@bridge("task-error-causes", gap="46: AWS SDK integration errors are explained otherwise")
def bridge_task_error_causes(patches: Patches) -> None:
    """Explain a failed AWS SDK integration call as Step Functions does: AWS's cause ends with the SDK's
    `(SDK Attempt Count: 1)` after the service, status and request id (recorded for `aws-sdk:sfn:sendTaskSuccess`
    with a bad token, 2025); moto stops before it. (The optimized integrations' error names, such as
    `DynamoDB.AmazonDynamoDBException`, are gap 52's bridge, `optimized-integration-error-names`.)

    Gap 46 in docs/EMULATOR.md (what AWS does, the source).
    """
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )

    aws_sdk_from_error = StateTaskServiceAwsSdk._from_error

    def aws_sdk_error(self, env, ex):
        failure = aws_sdk_from_error(self, env, ex)
        if isinstance(ex, ClientError) and 400 <= ex.response["ResponseMetadata"]["HTTPStatusCode"] < 500:
            failure.event_details["taskFailedEventDetails"]["cause"] += _ATTEMPT_NOTE
        return failure

    patches.set(StateTaskServiceAwsSdk, "_from_error", aws_sdk_error)
