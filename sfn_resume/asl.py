"""The pause state, the pause state machine and the resume state machines, as plain ASL data.

docs/DESIGN.md explains the hand-over protocol these states implement. Names that are only known at deploy
time (table name, partition) are `${X}` placeholders, filled by `DefinitionSubstitutions` for the machines and
by `Fn::Sub` for the `PauseState` outputs.
"""

from __future__ import annotations

import copy
import json
import re

from .jsonpath import path_segments

#: Errors the pause state raises besides `States.Timeout`.
JOB_FAILED_ERROR = "SfnResume.JobFailed"
JOB_ID_IN_USE_ERROR = "SfnResume.JobIdInUse"
PAUSE_FAILED_ERROR = "SfnResume.PauseFailed"

#: Outcomes carried by an early-event item: success events resume the pause, failure events fail it.
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"

JSONPATH = "jsonpath"
JSONATA = "jsonata"
QUERY_LANGUAGES = (JSONPATH, JSONATA)

#: Events whose JSON text takes more UTF-8 bytes than this are delivered with their `detail` trimmed, so that the
#: workflow's state (its own data plus the event) stays under Step Functions' 262,144-byte limit (in bytes).
MAX_EVENT_BYTES = 131_072


def event_bytes(event: dict) -> int:
    """What the machines measure an event by: the UTF-8 bytes of its compact JSON text (as JSONata's `$string`
    writes it, characters unescaped)."""
    return len(json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode())


#: SendTaskFailure's `cause` limit.
MAX_CAUSE_CHARS = 32_768

#: Table attributes that are DynamoDB reserved words: expressions name them `#token` (ExpressionAttributeNames).
RESERVED_ATTRIBUTES = ("token",)
#: DynamoDB's TTL wants whole epoch seconds; conditions compare `expiresAtMs`, exact to the millisecond, so a
#: pause that just timed out is replaceable at once and one in its last second is not.
TTL_ATTRIBUTE = "expiresAt"

CONDITION_FAILED = "DynamoDb.ConditionalCheckFailedException"
#: A token that can no longer be used: the pause timed out, was stopped, or was already answered.
TOKEN_CLOSED_ERRORS = [
    "Sfn.TaskTimedOutException",
    "Sfn.InvalidTokenException",
    "Sfn.TaskDoesNotExistException",
]


def _retry(*errors: str) -> list[dict]:
    """Up to 6 retries over about a minute: 1 s, then doubling (IntervalSeconds and BackoffRate at their defaults),
    with full jitter."""
    return [{"ErrorEquals": list(errors), "MaxAttempts": 6, "JitterStrategy": "FULL"}]


#: Transient errors of each service, retried with backoff and jitter. An error code the SDK's model of the service does
#: not list takes the service's base exception: DynamoDB's 503 ServiceUnavailable is `DynamoDb.DynamoDbException`,
#: Step Functions' throttling and 5xx are `Sfn.SfnException` (AWS SDK integrations) and
#: `StepFunctions.AWSStepFunctionsException` (the pause state's optimized StartExecution).
RETRY_DYNAMODB = _retry("DynamoDb.ProvisionedThroughputExceededException", "DynamoDb.RequestLimitExceededException",
                        "DynamoDb.InternalServerErrorException", "DynamoDb.ThrottlingException",
                        "DynamoDb.SdkClientException", "DynamoDb.DynamoDbException")
RETRY_SFN = _retry("Sfn.SfnException", "Sfn.SdkClientException")
RETRY_START_PAUSE = _retry("StepFunctions.AWSStepFunctionsException")


def _jsonata(expression: str) -> str:
    return "{% " + expression + " %}"


# The JSONata expressions the states share, each named for what it means.
_INPUT_JOB_ID = "$states.input.jobId"
#: The job id as the table's key. A path that finds nothing gives "" (the rule's InputTransformer, as AWS's recordings
#: show: docs/EMULATOR.md, gap 3), null, or stops the pause state itself: either raises an error that says so, a
#: visible failure, instead of filing the hand-over under the key "null" or failing on DynamoDB's refusal of "".
_CHECKED_JOB_ID = (f"({_INPUT_JOB_ID} = null or {_INPUT_JOB_ID} = '' ? "
                   f"$error('sfn-resume: the job id path found no value') : $string({_INPUT_JOB_ID}))")
_JOB_ID = f"$string({_INPUT_JOB_ID})"
_NOW_MS = "$millis()"
#: The size of the event's compact JSON text in UTF-8 bytes, measured on its strings themselves: how `$string`
#: writes non-ASCII text differs between JSONata engines (the reference leaves it as it is, a port escapes it as
#: `\uXXXX`: 6 bytes for a 3-byte character), and what AWS's engine does is not documented, while a string's own
#: characters are the same everywhere. Only numbers are measured as each engine prints them (a few bytes apart).
_SIZE_FUNCTIONS = (
    # a text's UTF-8 bytes: $encodeUrlComponent writes each byte it escapes as %XX and keeps every other
    # character as one byte, so bytes = 2 × (length without %) − length
    "$utf8 := function($s) { ($e := $encodeUrlComponent($s); 2 * $length($replace($e, '%', '')) - $length($e)) }; "
    # a string in JSON: its bytes, two quotes, a backslash before each quote or backslash in it
    "$quoted := function($s) { $utf8($s) + 2 + $length($s) - $length($replace($replace($s, '\"', ''), '\\\\', '')) }; "
    # a value: strings quoted, arrays and objects their members plus brackets and separators, the rest as printed
    "$jsonBytes := function($v) { $type($v) = 'string' ? $quoted($v) : $type($v) = 'array' ? ($count($v) = 0 ? 2 : "
    "1 + $count($v) + $sum($map($v, function($x) { $jsonBytes($x) }))) : $type($v) = 'object' ? "
    "($count($keys($v)) = 0 ? 2 : 1 + $count($keys($v)) + $sum($each($v, function($x, $k) { $quoted($k) + 1 + "
    "$jsonBytes($x) }))) : $length($string($v)) }"
)
#: Whether the event may be too large, cheaply: a character of `$string`'s text is at most 4 UTF-8 bytes (a code
#: point; a UTF-16 unit is at most 3, a `\uXXXX` escape stands for at most 3 in 6), so an event whose text is
#: shorter than a quarter of the limit is under it, and only a larger one is measured (the emulator's JSONata walks
#: it slowly).
_MAY_BE_TOO_LARGE = f"$length($string($event)) * 4 > {MAX_EVENT_BYTES}"
#: The event the workflow receives: as it came, or with its detail trimmed when its JSON text is too large.
_DELIVERED_EVENT = (
    f"($event := $states.input.event; {_SIZE_FUNCTIONS}; $size := {_MAY_BE_TOO_LARGE} ? $jsonBytes($event) : 0; "
    f"$size > {MAX_EVENT_BYTES} ? "
    f"$merge([$event, {{'detail': {{'sfnResumeTruncated': true, 'length': $size, 'jobId': {_JOB_ID}}}}}]) : $event)"
)


#: When the pause began: its state's EnteredTime, so that its item expires with the Task's own timeout; a retried
#: Task started later than that, so its retries count from now.
_PAUSED_AT_MS = "($states.input.retryCount = 0 ? $toMillis($states.input.enteredTime) : $millis())"


def _expiry(seconds: str, since_ms: str = _NOW_MS) -> dict:
    """`expiresAt` (TTL: seconds, rounded up so TTL never deletes early) and `expiresAtMs`, `seconds` after
    `since_ms` (now)."""
    at_ms = f"{since_ms} + {seconds} * 1000"
    return {"expiresAt": _number(f"$ceil(({at_ms}) / 1000)"), "expiresAtMs": _number(at_ms)}


def _number(expression: str) -> dict:
    return {"N": _jsonata(f"$string({expression})")}


def _string(expression: str) -> dict:
    return {"S": _jsonata(expression)}


def _values(**values: dict) -> dict:
    return {f":{name}": value for name, value in values.items()}


def _names(expression: str) -> dict:
    """ExpressionAttributeNames for the reserved words an expression names as `#word` (DynamoDB refuses unused
    ones, and reserved words anywhere else)."""
    used = set(re.findall(r"#(\w+)", expression))
    return {f"#{name}": name for name in RESERVED_ATTRIBUTES if name in used}


def _sdk(partition: str, action: str) -> str:
    """An AWS SDK integration ARN. DynamoDB's `.waitForTaskToken` exists only in this form."""
    return f"arn:{partition}:states:::aws-sdk:{action}"


#: The machines' task resources, as `DefinitionSubstitutions` placeholders: cfn-lint checks a Resource against
#: the `aws` partition only, so the partition-aware ARN must enter whole.
RESOURCES = {
    "DynamoDbUpdateItem": "dynamodb:updateItem",
    "DynamoDbPutItem": "dynamodb:putItem",
    "SfnSendTaskSuccess": "sfn:sendTaskSuccess",
    "SfnSendTaskFailure": "sfn:sendTaskFailure",
}


def resource_arns(partition: str) -> dict:
    """Values for the machines' resource placeholders (`partition` may be `${AWS::Partition}`)."""
    return {name: _sdk(partition, action) for name, action in RESOURCES.items()}


def _placeholder(action: str) -> str:
    (name,) = [name for name, known in RESOURCES.items() if known == action]
    return "${" + name + "}"


def _task(action: str, arguments: dict, **fields) -> dict:
    retry = RETRY_DYNAMODB if action.startswith("dynamodb:") else RETRY_SFN
    return {"Type": "Task", "Resource": _placeholder(action), "Arguments": arguments, "Retry": retry, **fields}


def _write(key: str, condition: str, values: dict, **arguments) -> dict:
    """A conditional DynamoDB write on the item of this job id (`key`: the job id expression)."""
    expressions = condition + " " + arguments.get("UpdateExpression", "")
    written = {"TableName": "${TableName}"}
    if "Item" in arguments:
        written["Item"] = {"id": _string(key), **arguments.pop("Item")}
    else:
        written["Key"] = {"id": _string(key)}
    names = _names(expressions)
    return {**written, **arguments, "ConditionExpression": condition,
            **({"ExpressionAttributeNames": names} if names else {}), "ExpressionAttributeValues": values}


def _on(errors: list[str], next_state: str, output: str = "$states.input") -> dict:
    return {"ErrorEquals": errors, "Next": next_state, "Output": _jsonata(output)}


# The item's shapes (docs/DESIGN.md, "The item"), as the conditions read them. A claim keeps what it claims
# (the token, the event) and records who claimed it (`eventId`, `token`) with `handedOverAtMs`, so that the
# same claimant, run again, claims again and answers again, and no other claimant can.
#: No item, or a 0.2 tombstone (neither a token nor an event): nothing a pause must respect.
_NOTHING_HELD = "attribute_not_exists(#token) AND attribute_not_exists(event)"
_EXPIRED = "expiresAtMs < :nowMs"
#: A finished hand-over of another pause: the job id may be reused.
_ANOTHER_PAUSES_HAND_OVER = "attribute_exists(handedOverAtMs) AND #token <> :token"
#: This pause's own token, still waiting: a repeated run writes the same item again.
_OWN_WAITING_TOKEN = "attribute_not_exists(handedOverAtMs) AND #token = :token"
_OWN_TOKEN = "#token = :token"
_LIVE_EARLY_EVENT = "attribute_exists(event) AND attribute_not_exists(handedOverAtMs) AND expiresAtMs >= :nowMs"
#: A waiting pause (live, or timed out: then the event is that pause's late one), or a token this very event
#: claimed already (a repeated run, or a redelivery, sends again).
_CLAIMABLE_TOKEN = "attribute_exists(#token) AND (attribute_not_exists(handedOverAtMs) OR eventId = :eventId)"
_FREE_FOR_AN_EARLY_EVENT = "attribute_not_exists(id) OR expiresAtMs < :nowMs"
#: Set by both claims; a repeated claim keeps the first time.
_HANDED_OVER_NOW = "handedOverAtMs = if_not_exists(handedOverAtMs, :nowMs)"
#: A claimed pause's own expiry, before the claim replaces it with the event retention's: a hand-over after it
#: was a late event. (Operands are the item's values before the update; a repeated claim keeps the first.)
_PAUSE_EXPIRY_KEPT = "pauseExpiresAtMs = if_not_exists(pauseExpiresAtMs, expiresAtMs)"

_EVENT_ID = _string("$string($states.input.event.id)")


def _hand_over(send_state: str, outcome: str, sent: str, stored_event: str) -> dict:
    """The states that hand an event to the pause waiting on its job id (docs/DESIGN.md): ClaimToken, then
    `send_state`; no token yet: StoreEarlyEvent (`outcome`) for the pause to find, ClaimTokenAgain should the pause
    have stored its token meanwhile; any other event of a job already handed over ends in AlreadyHandled. `sent`:
    what reaches `send_state`, with the claimed token at `$states.result.Attributes.token.S`."""
    def claim_token(key: str, on_no_token: str) -> dict:
        # what the claim was (a success or a failure), and when the pause would have timed out (kept by a repeated
        # claim), so that a reader tells a success, a failure and a late event apart: no extra write
        return _task(
            "dynamodb:updateItem",
            _write(key, _CLAIMABLE_TOKEN,
                   _values(eventId=_EVENT_ID, outcome={"S": outcome}, nowMs=_number(_NOW_MS),
                           **_expiry("${EventRetentionSeconds}")),
                   UpdateExpression=f"SET eventId = :eventId, outcome = :outcome, {_PAUSE_EXPIRY_KEPT}, "
                                    f"{_HANDED_OVER_NOW}, expiresAt = :expiresAt, expiresAtMs = :expiresAtMs",
                   ReturnValues="ALL_NEW"),
            Catch=[_on([CONDITION_FAILED], on_no_token)], Output=_jsonata(sent), Next=send_state)

    return {
        "ClaimToken": claim_token(_CHECKED_JOB_ID, "StoreEarlyEvent"),
        "StoreEarlyEvent": _task(
            "dynamodb:putItem",
            _write(_JOB_ID, _FREE_FOR_AN_EARLY_EVENT, _values(nowMs=_number(_NOW_MS)),
                   Item={"event": _string(f"$string({stored_event})"), "outcome": {"S": outcome},
                         "eventId": _EVENT_ID, "storedAtMs": _number(_NOW_MS),
                         **_expiry("${EventRetentionSeconds}")}),
            Catch=[_on([CONDITION_FAILED], "ClaimTokenAgain")], End=True),
        "ClaimTokenAgain": claim_token(_JOB_ID, "AlreadyHandled"),
        # this event is stored already, or another event of this job was handed over (a duplicate, or a job id
        # reused before its pause: docs/DESIGN.md, "Job ids reused")
        "AlreadyHandled": {"Type": "Succeed"},
    }


#: The pause had timed out or was stopped: its token is no longer valid.
_PAUSE_ALREADY_CLOSED = {"Type": "Succeed"}
_TOKEN_CLOSED = _on(TOKEN_CLOSED_ERRORS, "PauseAlreadyClosed")


def resume_definition() -> dict:
    """The resume state machine, which success events start: it resumes the pause with the event.

    `${TableName}`, `${EventRetentionSeconds}` and the task resources (`RESOURCES`) are placeholders, filled by
    `DefinitionSubstitutions`.
    """
    return {
        "Comment": "sfn-resume: resume a pause (docs/DESIGN.md)",
        "QueryLanguage": "JSONata",
        "StartAt": "ClaimToken",
        "States": {
            **_hand_over("SendTaskSuccess", SUCCEEDED, stored_event=_DELIVERED_EVENT,
                         sent="$merge([$states.input, {'token': $states.result.Attributes.token.S}])"),
            "SendTaskSuccess": _task(
                "sfn:sendTaskSuccess",
                {"TaskToken": _jsonata("$states.input.token"), "Output": _jsonata(f"$string({_DELIVERED_EVENT})")},
                Catch=[_TOKEN_CLOSED], End=True),
            "PauseAlreadyClosed": _PAUSE_ALREADY_CLOSED,
        },
    }


def _failing(error: str, cause: str, token: str = "$states.input.token") -> str:
    """What reaches FailThePause: the token to answer, the error and its cause (JSONata expressions)."""
    return f"{{'token': {token}, 'error': {error}, 'cause': {cause}}}"


def _given_or(name: str, default: str) -> str:
    """The input's `name` when the run was given one, else `default`."""
    return f"($exists($states.input.{name}) ? $states.input.{name} : {default})"


#: Any error the pause machine cannot handle fails the pause at once, with the error as cause.
_PAUSE_FAILED = _on(["States.ALL"], "FailThePause",
                    _failing(f"'{PAUSE_FAILED_ERROR}'", "$states.errorOutput.Error & ': ' & $states.errorOutput.Cause"))


def pause_definition() -> dict:
    """The EXPRESS pause machine (docs/DESIGN.md), started for two things that answer a pause:

    - by the pause state, with `{"jobId", "token", "timeoutSeconds", "enteredTime", "retryCount",
      "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"}`:
      it stores the token, or, when an event came first, claims that event and answers the token itself;
    - by the failure rule, with `{"id", "jobId", "event"}`, or by `sfn-resume fail` (which may add `error` and
      `cause`): it fails the pause waiting on the job id (or keeps the event for it), as the resume machine
      resumes one.
    Every error it cannot handle ends in SendTaskFailure with `SfnResume.PauseFailed`: no workflow waits for nothing.
    """
    token = _values(token=_string("$states.input.token"))
    execution_id = _string("$states.input.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID")
    claimed_event = "$states.result.Attributes.event.S"
    return {
        "Comment": "sfn-resume: store or answer a pause (docs/DESIGN.md)",
        "QueryLanguage": "JSONata",
        "StartAt": "PauseOrFailureEvent",
        "States": {
            "PauseOrFailureEvent": {
                "Type": "Choice",
                "Choices": [{"Condition": _jsonata("$exists($states.input.event)"), "Next": "ClaimToken"}],
                "Default": "StoreToken",
            },
            "StoreToken": _task(
                "dynamodb:putItem",
                _write(_CHECKED_JOB_ID,
                       f"{_NOTHING_HELD} OR {_EXPIRED} OR ({_ANOTHER_PAUSES_HAND_OVER}) OR ({_OWN_WAITING_TOKEN})",
                       {**_values(nowMs=_number(_NOW_MS)), **token},
                       Item={"token": _string("$states.input.token"), "executionId": execution_id,
                             "pausedAtMs": _number(_PAUSED_AT_MS),
                             **_expiry("$states.input.timeoutSeconds", _PAUSED_AT_MS)}),
                Catch=[_on([CONDITION_FAILED], "ClaimEarlyEvent"), _PAUSE_FAILED], End=True),
            "ClaimEarlyEvent": _task(
                "dynamodb:updateItem",
                _write(_JOB_ID, f"{_OWN_TOKEN} OR ({_LIVE_EARLY_EVENT})",
                       {**_values(nowMs=_number(_NOW_MS), executionId=execution_id), **token},
                       UpdateExpression=f"SET #token = :token, executionId = :executionId, {_HANDED_OVER_NOW}",
                       ReturnValues="ALL_NEW"),
                Catch=[_on([CONDITION_FAILED], "FailThePause", _failing(
                    f"'{JOB_ID_IN_USE_ERROR}'", f"'Another pause is waiting on job id ' & {_JOB_ID}")),
                    _PAUSE_FAILED],
                # a token of this pause that a failure event claimed records outcome FAILED but holds no event: a
                # repeated run ends in Repeated, as for a success
                Output=_jsonata(f"$exists({claimed_event}) and $states.result.Attributes.outcome.S = '{FAILED}' ? "
                                + _failing(
                    f"'{JOB_FAILED_ERROR}'", f"$string($parse({claimed_event}).detail)") +
                    f" : {{'token': $states.input.token, 'event': {claimed_event}}}"),
                Next="EarlyEventOutcome"),
            "EarlyEventOutcome": {
                "Type": "Choice",
                "Choices": [{"Condition": _jsonata("$exists($states.input.error)"), "Next": "FailThePause"},
                            {"Condition": _jsonata("$exists($states.input.event)"), "Next": "SendEarlyEvent"}],
                "Default": "Repeated",
            },
            "SendEarlyEvent": _task(
                "sfn:sendTaskSuccess",
                {"TaskToken": _jsonata("$states.input.token"), "Output": _jsonata("$states.input.event")},
                Catch=[_TOKEN_CLOSED, _PAUSE_FAILED], End=True),
            # Express runs at least once: this pause's token was handed over already, by the event's own run
            "Repeated": {"Type": "Succeed"},
            # a failure event is stored whole: it reaches the workflow as a cause, cut to its limit
            **_hand_over("FailThePause", FAILED, stored_event="$states.input.event", sent=_failing(
                _given_or("error", f"'{JOB_FAILED_ERROR}'"), _given_or("cause", "$string($states.input.event.detail)"),
                token="$states.result.Attributes.token.S")),
            "FailThePause": _task(
                "sfn:sendTaskFailure",
                {"TaskToken": _jsonata("$states.input.token"), "Error": _jsonata("$states.input.error"),
                 "Cause": _jsonata(f"$substring($states.input.cause, 0, {MAX_CAUSE_CHARS})")},
                Catch=[_TOKEN_CLOSED], End=True),
            "PauseAlreadyClosed": _PAUSE_ALREADY_CLOSED,
        },
    }


#: The shapes of a table item (docs/DESIGN.md, "The item").
WAITING_PAUSE = "waiting pause"
EARLY_EVENT = "early event"
HANDED_OVER = "handed over"


def item_shape(item: dict) -> str:
    """Which shape a table item (DynamoDB JSON, as GetItem returns it) is in: a 0.3 hand-over keeps its token and
    its event, so only `handedOverAtMs` tells it from a waiting pause or an early event; a 0.2 tombstone holds
    neither a token nor an event. An early event always carries its `outcome` too, so an item read without its
    (possibly large) `event` is still told apart."""
    if "handedOverAtMs" in item or not {"token", "event", "outcome"} & set(item):
        return HANDED_OVER
    return WAITING_PAUSE if "token" in item else EARLY_EVENT


def start_pause_resource(partition: str) -> str:
    """The pause state's resource: start the pause machine and wait for its task token to be answered."""
    return f"arn:{partition}:states:::states:startExecution.waitForTaskToken"


def _jsonpath_sibling_arn(name: str) -> str:
    """The pause machine's ARN from the paused workflow's own (`arn:<partition>:states:<region>:<account>:...`):
    the state then needs no account, region or partition filled in."""
    part = "States.ArrayGetItem(States.StringSplit($$.StateMachine.Id, ':'), {})"
    return f"States.Format('arn:{{}}:states:{{}}:{{}}:stateMachine:{name}', {part.format(1)}, {part.format(3)}, " \
           f"{part.format(4)})"


def _jsonata_sibling_arn(name: str) -> str:
    return f"$join($append($split($states.context.StateMachine.Id, ':')[[0..4]], ['stateMachine', '{name}']), ':')"


_JSONATA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def jsonata_path(path: str) -> str:
    """A plain JSONPath reference into the state's input as JSONata: `$.a-b[0]` → `$states.input.`a-b`[0]`."""
    text = "$states.input"
    for segment in path_segments(path):
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += "." + (segment if _JSONATA_NAME.fullmatch(segment) else f"`{segment}`")
    return text


def jsonata_output(result_path: str | None) -> str:
    """The JSONata `Output` that places `{"event": <result>}` where a JSONPath ResultPath would (None: discard)."""
    if result_path is None:
        return "$states.input"
    delivered = "{'event': $states.result}"
    names = path_segments(result_path)
    for depth in range(len(names), 0, -1):
        parent = jsonata_path("$" + "".join(f".{name}" for name in names[:depth - 1]))
        delivered = f"$merge([{parent}, {{{json.dumps(names[depth - 1])}: {delivered}}}])"
    return delivered.replace('"', "'")


def jsonata_output_at_runtime(result_path: str) -> str:
    """`jsonata_output` for a ResultPath only known at deploy time (`$` or `$.a.b`, e.g. `${ResultPath}`): the
    names are split out at run time and `$place` merges `{"event": ...}` in, one level at a time."""
    return (f"($names := $split('{result_path}', '.'); "
            "$place := function($object, $at) { $at = $count($names) ? {'event': $states.result} : "
            "$merge([$object, {$names[$at]: $place($lookup($object, $names[$at]), $at + 1)}]) }; "
            "$place($states.input, 1))")


def pause_state(
    path_to_id: str,
    timeout_seconds: int | str,
    result_path: str | None = None,
    pause_machine_arn: str | None = None,
    pause_machine_name: str | None = None,
    partition: str = "${AWS::Partition}",
    query_language: str = JSONPATH,
    job_id: str | None = None,
    output: str | None = None,
) -> dict:
    """The state to paste into the user's STANDARD workflow (add `Next` or `End`).

    The pause machine is given by its ARN (a literal or a `${X}` placeholder), or by its name, which the state
    then completes with the workflow's own partition, region and account. In JSONata, `job_id` and `output`
    default to the expressions `jsonata_path(path_to_id)` and `jsonata_output(result_path)` (the generic template
    builds its own).
    """
    if query_language == JSONPATH:
        state = {
            "Type": "Task",
            "Resource": start_pause_resource(partition),
            "Parameters": {
                **({"StateMachineArn": pause_machine_arn} if pause_machine_arn else
                   {"StateMachineArn.$": _jsonpath_sibling_arn(pause_machine_name)}),
                "Input": {"jobId.$": path_to_id, "token.$": "$$.Task.Token", "timeoutSeconds": timeout_seconds,
                          "enteredTime.$": "$$.State.EnteredTime", "retryCount.$": "$$.State.RetryCount",
                          "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"},
            },
            "TimeoutSeconds": timeout_seconds,
            "ResultSelector": {"event.$": "$"},
            "ResultPath": result_path,
        }
    else:
        context = "$states.context."
        state = {
            "Type": "Task",
            "QueryLanguage": "JSONata",
            "Resource": start_pause_resource(partition),
            "Arguments": {
                "StateMachineArn": pause_machine_arn or _jsonata(_jsonata_sibling_arn(pause_machine_name)),
                "Input": {"jobId": _jsonata(job_id or jsonata_path(path_to_id)),
                          "token": _jsonata(context + "Task.Token"), "timeoutSeconds": timeout_seconds,
                          "enteredTime": _jsonata(context + "State.EnteredTime"),
                          "retryCount": _jsonata(context + "State.RetryCount"),
                          "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": _jsonata(context + "Execution.Id")},
            },
            "TimeoutSeconds": timeout_seconds,
            "Output": _jsonata(output or jsonata_output(result_path)),
        }
    state["Retry"] = copy.deepcopy(RETRY_START_PAUSE)
    return state


def with_next(state: dict, next_state: str | None) -> dict:
    """A copy of `state` that continues to `next_state`, or ends the workflow when it is None."""
    state = copy.deepcopy(state)
    if next_state is None:
        state["End"] = True
    else:
        state["Next"] = next_state
    return state


#: Service ids of integrations whose IAM action prefix differs.
IAM_PREFIXES = {"sfn": "states"}
_INTEGRATION = re.compile(r":states:::(?:aws-sdk:)?([a-z0-9-]+):([A-Za-z0-9]+)")


def sdk_actions(definition: dict) -> set[str]:
    """The IAM actions the tasks of a definition or state call, e.g. `dynamodb:PutItem` (used by the IAM tests);
    a `${X}` resource of `RESOURCES` counts as the action it stands for."""
    actions = set()
    placeholders = resource_arns("aws")
    for _name, state in _named_states(definition):
        resource = state.get("Resource", "")
        match = _INTEGRATION.search(placeholders.get(resource[2:-1], resource))
        if match:
            service, api = match.groups()
            actions.add(f"{IAM_PREFIXES.get(service, service)}:{api[0].upper()}{api[1:]}")
    return actions


def unsupported_resources(definition: dict) -> list[str]:
    """Task resources AWS refuses although cfn-lint and moto accept them, one message per state
    (of a definition or a single state)."""
    problems = []
    for name, state in _named_states(definition):
        resource = state.get("Resource", "")
        if ":states:::dynamodb:" in resource and resource.endswith(".waitForTaskToken"):
            problems.append(f"{name}: {resource}: DynamoDB supports .waitForTaskToken only through the AWS SDK "
                            "integration (arn:<partition>:states:::aws-sdk:dynamodb:putItem.waitForTaskToken)")
    return problems


def _named_states(node: dict, name: str = "(state)"):
    """Every state of a definition, a branch or a single state, with its name; Parallel branches included."""
    if "Type" in node:
        yield name, node
    for branch in node.get("Branches", []):
        yield from _named_states(branch)
    for child_name, child in node.get("States", {}).items():
        yield from _named_states(child, child_name)
