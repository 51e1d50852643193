"""Bridges for moto 5.2.5's DynamoDB: atomic conditional writes, and answers and errors as DynamoDB gives them
(gaps 18 and 46 in docs/EMULATOR.md)."""
from __future__ import annotations

import json
import re
import threading

from sfn_resume.local.patching import Patches, bridge

#: DynamoDBResponse methods that read an item, check a condition and write, each in one request.
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


@bridge("dynamodb-atomic-writes", gap="18: a conditional write is not atomic across threads (two claims both succeed)")
def bridge_dynamodb_atomic_writes(patches: Patches) -> None:
    """Serialise DynamoDB's write requests, so that a condition and its write happen as one step.

    moto reads the item, evaluates the ConditionExpression and then writes, with no lock; the executions of the
    embedded emulator run in threads, so two resume runs' `ClaimToken` (`attribute_exists(#token)`, then REMOVE) can
    both see the token and both succeed, and the paused workflow is answered twice. DynamoDB applies each
    conditional write atomically. The lock wraps the whole request, since moto reads the ALL_OLD values in the
    response handler, outside the backend's write.

    Gap 18 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()

    def serialised(original):
        def write(self, *args, **kwargs):
            with lock:
                return original(self, *args, **kwargs)
        return write

    for name in _WRITES:
        patches.set(DynamoHandler, name, serialised(getattr(DynamoHandler, name)))


def _only_requested_metrics(request: dict, answer: dict) -> dict:
    """An answer without the metrics its request did not ask for (`ReturnConsumedCapacity`,
    `ReturnItemCollectionMetrics` absent or NONE)."""
    if request.get("ReturnConsumedCapacity", "NONE") == "NONE":
        answer.pop("ConsumedCapacity", None)
        answer.pop("ConsumedCapacityUnits", None)  # moto's DeleteItem gives this legacy key always
    if request.get("ReturnItemCollectionMetrics", "NONE") == "NONE":
        answer.pop("ItemCollectionMetrics", None)
    return answer


@bridge("dynamodb-unrequested-metrics", gap="47: DynamoDB answers with ConsumedCapacity and ItemCollectionMetrics "
                                           "nobody asked for")
def bridge_dynamodb_unrequested_metrics(patches: Patches) -> None:
    """Leave out of an answer the consumed capacity and the item collection metrics its request did not ask for.

    moto adds `ConsumedCapacity` to UpdateItem, BatchWriteItem, BatchGetItem and TransactWriteItems answers (and
    `ConsumedCapacityUnits` to DeleteItem's, `ItemCollectionMetrics: {}` to the writes') whatever the request says;
    DynamoDB returns them only for `ReturnConsumedCapacity` TOTAL or INDEXES and `ReturnItemCollectionMetrics`
    SIZE (API reference of each operation; the recorded answers). A workflow's `aws-sdk:dynamodb:updateItem`
    result carried a `ConsumedCapacity` AWS does not give.

    Gap 47 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.dynamodb.responses import DynamoHandler
    from moto.utilities.aws_headers import gen_amz_crc32

    def answer_what_was_asked(call_action, self):
        status, headers, body = call_action(self)
        if int(status) == 200 and body:
            answer = json.loads(body)
            if isinstance(answer, dict):
                body = json.dumps(_only_requested_metrics(self.body or {}, answer))
                gen_amz_crc32(body, headers)  # botocore checks DynamoDB's checksum of the body
        return status, headers, body

    patches.wrap(DynamoHandler, "call_action", answer_what_was_asked)


#: A table name (not an ARN): DynamoDB's constraint and its wording.
_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]+")


def validation_errors(operation, request: dict) -> list[str]:
    """What DynamoDB's request validation says of `request` for `operation` (a botocore operation model), in its
    words: a required member missing, a table name outside its pattern or length."""
    problems = []
    for member in operation.input_shape.required_members:
        if request.get(member) is None:
            problems.append(f"Value null at '{member[:1].lower() + member[1:]}' failed to satisfy constraint: "
                            "Member must not be null")
    table = request.get("TableName")
    if isinstance(table, str) and not table.startswith("arn:"):
        if not _TABLE_NAME.fullmatch(table):
            problems.append(f"Value '{table}' at 'tableName' failed to satisfy constraint: Member must satisfy "
                            f"regular expression pattern: {_TABLE_NAME.pattern}")
        if not 3 <= len(table) <= 255:
            bound = "greater than or equal to 3" if len(table) < 3 else "less than or equal to 255"
            problems.append(f"Value '{table}' at 'tableName' failed to satisfy constraint: Member must have length "
                            f"{bound}")
    return problems


@bridge("dynamodb-request-validation", gap="47: DynamoDB accepts a request without a required member, or with a "
                                          "table name outside its pattern")
def bridge_dynamodb_request_validation(patches: Patches) -> None:
    """Refuse, as DynamoDB does, a request whose required member is missing or null and a table name that does not
    match `[a-zA-Z0-9_.-]+` (3 to 255 characters): `ValidationException`, "N validation error(s) detected: ...".

    moto fails on such a request with a Python error (HTTP 500) or answers ResourceNotFoundException for the bad
    name; a workflow's `dynamodb:putItem` with a path to nothing then failed with the cause `'NoneType' object has
    no attribute 'items'` where AWS says "1 validation error detected: Value null at 'item' failed to satisfy
    constraint: Member must not be null" (recorded). The required members are the service model's (botocore).

    Gap 47 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.responses import DynamoHandler
    from moto.utilities.aws_headers import gen_amz_crc32

    from sfn_resume.local.bridges_stepfunctions import operation_model

    def validated(call_action, self):
        operation = operation_model("dynamodb", self._get_action())
        problems = validation_errors(operation, getattr(self, "params", None) or {}) if operation else []
        if not problems:
            return call_action(self)
        count = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected"
        error = MockValidationException(f"{count}: {'; '.join(problems)}")
        headers, body = self._enrich_response(dict(self.response_headers, **dict(error.get_headers())),
                                              error.description)
        gen_amz_crc32(body, headers)
        return error.code, headers, body

    patches.wrap(DynamoHandler, "call_action", validated)


@bridge("dynamodb-condition-failure-message", gap="47: a ConditionalCheckFailedException with the item names its "
                                                 "message `message`")
def bridge_dynamodb_condition_failure_message(patches: Patches) -> None:
    """Write the message of a ConditionalCheckFailedException that carries the item (ReturnValuesOnConditionCheck-
    Failure ALL_OLD) as `Message`, as DynamoDB does (recorded).

    moto writes `message` (its own comment says "Note the uppercase Message"), which botocore reads as the
    exception's modelled `message` member: the error answer has a member AWS's does not.

    Gap 47 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.dynamodb.exceptions import ConditionalCheckFailed

    original = ConditionalCheckFailed.__init__

    def __init__(self, msg=None, item=None):
        original(self, msg, item)
        if item:
            answer = json.loads(self.description)
            answer["Message"] = answer.pop("message")
            self.description = json.dumps(answer)

    patches.set(ConditionalCheckFailed, "__init__", __init__)
