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
from .protocol import conditions, item

#: Errors the pause state raises besides `States.Timeout`.
JOB_FAILED_ERROR = "SfnResume.JobFailed"
JOB_ID_IN_USE_ERROR = "SfnResume.JobIdInUse"
PAUSE_FAILED_ERROR = "SfnResume.PauseFailed"
#: A run that gave up after the job id's item changed under it time after time (it fails: the alarm tells).
CONTENDED_ERROR = "SfnResume.Contended"

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


#: How long an Express run may last (the pause machine's runs: a pause's item lives that long past what it judged).
EXPRESS_MAX_SECONDS = 300

#: SendTaskFailure's `cause` limit.
MAX_CAUSE_CHARS = 32_768

CONDITION_FAILED = "DynamoDb.ConditionalCheckFailedException"
#: A token that can no longer be used: the pause timed out, was stopped, or was already answered.
TOKEN_CLOSED_ERRORS = [
    "Sfn.TaskTimedOutException",
    "Sfn.InvalidTokenException",
    "Sfn.TaskDoesNotExistException",
]
#: The paused workflow's customer-managed KMS key refuses to encrypt what the answer carries (its output, or the
#: error and cause): retries cannot help. An answer without error and cause needs no key.
KMS_KEY_UNUSABLE_ERRORS = ["Sfn.KmsAccessDeniedException", "Sfn.KmsInvalidStateException"]
#: The error of a run whose answer the workflow's KMS key refused (the workflow was failed without a cause).
KMS_KEY_UNUSABLE_ERROR = "SfnResume.KmsKeyUnusable"


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
RETRY_SFN = _retry("Sfn.SfnException", "Sfn.SdkClientException", "Sfn.KmsThrottlingException")
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
#: The event as JSON text, as it is kept in the table and given to the workflow: as it came, or with its detail
#: trimmed when its JSON text is too large (docs/DESIGN.md, "Large events"). Success and failure events alike.
_DELIVERED_EVENT_TEXT = (
    f"$string(($event := $states.input.event; {_SIZE_FUNCTIONS}; $size := {_MAY_BE_TOO_LARGE} ? $jsonBytes($event) "
    f": 0; $size > {MAX_EVENT_BYTES} ? "
    f"$merge([$event, {{'detail': {{'sfnResumeTruncated': true, 'length': $size, 'jobId': {_JOB_ID}}}}}]) : $event))"
)
#: When the service emitted the event (its `time`; an event made by hand may have none: then now).
_EVENT_TIME_MS = "($exists($states.input.event.time) ? $toMillis($states.input.event.time) : $millis())"
#: Until when the event may answer a pause: its time plus EventRetentionSeconds. Job ids are not reused within that
#: time of a job's last event.
_USABLE_UNTIL_MS = f"({_EVENT_TIME_MS} + ${{EventRetentionSeconds}} * 1000)"
#: When the pause began: its state's EnteredTime, so that its item expires with the Task's own timeout; a retried
#: Task started later than that, so its retries count from now.
_PAUSED_AT_MS = "($states.input.retryCount = 0 ? $toMillis($states.input.enteredTime) : $millis())"


def _number(expression: str) -> dict:
    return {"N": _jsonata(f"$string({expression})")}


def _string(expression: str) -> dict:
    return {"S": _jsonata(expression)}


#: The values the writes and reads use (`:name` in their expressions), each as its type and JSONata expression: a
#: state passes those its expressions name. The pause's input is `{"jobId", "token", "timeoutSeconds", "enteredTime",
#: "retryCount", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"}` (and, after ReadHolder, `holder`); an event run's
#: `{"jobId", "event"}`.
_VALUES = {
    "nowMs": ("N", "$millis()"),
    "zero": ("N", "0"),
    # the pause's
    "token": ("S", "$states.input.token"),
    "executionId": ("S", "$states.input.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"),
    "pausedAtMs": ("N", _PAUSED_AT_MS),
    "timeoutSeconds": ("N", "$states.input.timeoutSeconds"),
    "holder": ("S", "$states.input.holder"),
    # the event's
    "eventId": ("S", "$string($states.input.event.id)"),
    "eventTimeMs": ("N", _EVENT_TIME_MS),
    "usableUntilMs": ("N", _USABLE_UNTIL_MS),
    # the oldest a timed-out pause may be for this event to be its late one: EventRetentionSeconds before the event
    "oldestPauseMs": ("N", f"({_EVENT_TIME_MS} - ${{EventRetentionSeconds}} * 1000)"),
    "retentionSeconds": ("N", "${EventRetentionSeconds}"),
    "event": ("S", _DELIVERED_EVENT_TEXT),
}


def _values(expressions: str, **given: tuple[str, str]) -> dict:
    """ExpressionAttributeValues for the values `expressions` name (DynamoDB refuses unused ones): `_VALUES`, or as
    `given`."""
    known = {**_VALUES, **given}
    return {f":{name}": (_number if known[name][0] == "N" else _string)(known[name][1])
            for name in sorted(set(re.findall(r":(\w+)", expressions)))}


def _ttl_seconds(at_ms: str) -> str:
    """`expiresAt` (TTL: whole seconds, rounded up so TTL never deletes early) for the instant `at_ms`."""
    return f"$ceil(({at_ms}) / 1000)"


def _names(expression: str) -> dict:
    """ExpressionAttributeNames for the reserved words an expression names as `#word` (DynamoDB refuses unused
    ones, and reserved words anywhere else)."""
    used = set(re.findall(r"#(\w+)", expression))
    return {f"#{name}": name for name in item.RESERVED_ATTRIBUTES if name in used}


def _sdk(partition: str, action: str) -> str:
    """An AWS SDK integration ARN. DynamoDB's `.waitForTaskToken` exists only in this form."""
    return f"arn:{partition}:states:::aws-sdk:{action}"


#: The machines' task resources, as `DefinitionSubstitutions` placeholders: cfn-lint checks a Resource against
#: the `aws` partition only, so the partition-aware ARN must enter whole.
RESOURCES = {
    "DynamoDbGetItem": "dynamodb:getItem",
    "DynamoDbUpdateItem": "dynamodb:updateItem",
    "DynamoDbPutItem": "dynamodb:putItem",
    "DynamoDbDeleteItem": "dynamodb:deleteItem",
    "SfnSendTaskSuccess": "sfn:sendTaskSuccess",
    "SfnSendTaskFailure": "sfn:sendTaskFailure",
    "SfnSendTaskHeartbeat": "sfn:sendTaskHeartbeat",
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


def _write(key: str, condition: conditions.Condition, values: dict | None = None, **arguments) -> dict:
    """A conditional DynamoDB write on the item of this job id (`key`: the job id expression); `values` as
    `_values` takes them."""
    expressions = condition.dynamodb + " " + arguments.get("UpdateExpression", "")
    written = {"TableName": "${TableName}"}
    if "Item" in arguments:
        written["Item"] = {item.ID: _string(key), **arguments.pop("Item")}
    else:
        written["Key"] = {item.ID: _string(key)}
    names = _names(expressions)
    return {**written, **arguments, "ConditionExpression": condition.dynamodb,
            **({"ExpressionAttributeNames": names} if names else {}),
            "ExpressionAttributeValues": _values(expressions, **(values or {}))}


def _on(errors: list[str], next_state: str, output: str = "$states.input") -> dict:
    return {"ErrorEquals": errors, "Next": next_state, "Output": _jsonata(output)}


def _failing(error: str, cause: str, token: str = "$states.input.token") -> str:
    """What reaches FailThePause: the token to answer, the error and its cause (JSONata expressions)."""
    return f"{{'token': {token}, 'error': {error}, 'cause': {cause}}}"


def _given_or(name: str, default: str) -> str:
    """The input's `name` when the run was given one, else `default`."""
    return f"($exists($states.input.{name}) ? $states.input.{name} : {default})"


#: The pause had timed out or was stopped: its token is no longer valid.
_PAUSE_ALREADY_CLOSED = {"Type": "Succeed"}
_TOKEN_CLOSED = _on(TOKEN_CLOSED_ERRORS, "PauseAlreadyClosed")
#: The workflow's KMS key refused the answer: fail the workflow without a cause (which would need the key), so that it
#: does not wait until its timeout, and fail the run so that the alarm tells the operator.
_KMS_KEY_UNUSABLE = _on(KMS_KEY_UNUSABLE_ERRORS, "FailWithoutCause")


def _answer_states() -> dict:
    """The states every machine ends its answers with."""
    return {
        "FailWithoutCause": _task("sfn:sendTaskFailure", {"TaskToken": _jsonata("$states.input.token")},
                                  Catch=[_on(["States.ALL"], "KmsKeyUnusable")], Next="KmsKeyUnusable"),
        "KmsKeyUnusable": {"Type": "Fail", "Error": KMS_KEY_UNUSABLE_ERROR,
                           "Cause": "The paused workflow's KMS key refused the answer: the workflow was failed "
                                    "without a cause. Give the resume role the use of that key."},
        "PauseAlreadyClosed": _PAUSE_ALREADY_CLOSED,
    }


def _fail_the_pause() -> dict:
    return _task("sfn:sendTaskFailure",
                 {"TaskToken": _jsonata("$states.input.token"), "Error": _jsonata("$states.input.error"),
                  "Cause": _jsonata(f"$substring($states.input.cause, 0, {MAX_CAUSE_CHARS})")},
                 Catch=[_TOKEN_CLOSED, _KMS_KEY_UNUSABLE], End=True)


#: How many times a run reads the item again after a write was refused, before it gives up visibly: each refusal means
#: the item changed (or expired) in between, which a few writers at most can make happen.
MAX_ROUNDS = 3
#: The run's rounds so far (its input carries them from the second on).
_ROUNDS = "($exists($states.input.rounds) ? $states.input.rounds : 0)"


def _read_holder(choices: list[tuple[conditions.Condition, str]], otherwise: str, holder: str, **fields) -> dict:
    """A consistent read of the item, after a conditional write was refused: the run's next state (`next`) is the
    first of `choices` whose write's condition the item meets now (the same condition, in JSONata), else `otherwise`;
    `holder` is the token the item holds, if any. A read is a round: the Choice after it gives up after MAX_ROUNDS.
    `holder`: the JSONata of the `:holder` value the conditions may name (the read one)."""
    used = sorted(set().union(*(condition.values for condition, _state in choices)))
    known = {**_VALUES, "holder": ("S", holder)}
    values = ", ".join(f"'{name}': {known[name][1]}" for name in used)
    decision = "".join(f"({condition.jsonata}) ? '{state}' : " for condition, state in choices) + f"'{otherwise}'"
    projection = ", ".join(f"#{name}" if name in item.RESERVED_ATTRIBUTES else name for name in READ_ATTRIBUTES)
    return _task(
        "dynamodb:getItem",
        {"TableName": "${TableName}", "Key": {item.ID: _string(_JOB_ID)}, "ConsistentRead": True,
         "ProjectionExpression": projection, "ExpressionAttributeNames": _names(projection)},
        Output=_jsonata(f"($item := $states.result.Item; $v := {{{values}}}; $merge([$states.input, "
                        f"{{'next': {decision}, 'holder': $item.token.S, 'rounds': {_ROUNDS} + 1}}]))"),
        Next="WhatNext", **fields)


#: What a run reads of the item to decide its next write: what the conditions name, never the event (up to
#: MAX_EVENT_BYTES; its outcome stands for it).
READ_ATTRIBUTES = tuple(name for name in item.SUMMARY_ATTRIBUTES if name != item.STORED_AT_MS)


def _what_next(states: list[str], contended: str) -> dict:
    """The Choice after a read: give up visibly after MAX_ROUNDS, else the state the read chose."""
    return {"Type": "Choice",
            "Choices": [{"Condition": _jsonata(f"$states.input.rounds > {MAX_ROUNDS}"), "Next": contended},
                        *({"Condition": _jsonata(f"$states.input.next = '{state}'"), "Next": state}
                          for state in states[:-1])],
            "Default": states[-1]}


def _hand_over(outcome: str, send_state: str, sent: str) -> dict:
    """The states that hand an event to the pause waiting on its job id (docs/DESIGN.md): ClaimToken, then
    `send_state`; no token to claim: StoreEarlyEvent (`outcome`) for the pause to come. Both refused (the item changed
    in between): ReadHolder, and the write whose condition the item now meets: StoreEarlyEvent again, or
    ClaimTokenAgain; neither (this event stored already, another event of its job handed over, a pause of a later
    job): AlreadyHandled. `sent`: what reaches `send_state`, from the claimed item at `$states.result`."""
    def claim_token(key: str, on_no_token: str) -> dict:
        return _task(
            "dynamodb:updateItem",
            _write(key, conditions.CLAIM_TOKEN, {"outcome": ("S", f"'{outcome}'")},
                   UpdateExpression=conditions.CLAIM_TOKEN_UPDATE, ReturnValues="ALL_NEW"),
            Catch=[_on([CONDITION_FAILED], on_no_token)], Output=_jsonata(sent), Next=send_state)

    usable_until = "$usableUntilMs"
    return {
        "ClaimToken": claim_token(_CHECKED_JOB_ID, "StoreEarlyEvent"),
        "StoreEarlyEvent": _task(
            "dynamodb:putItem",
            _write(_JOB_ID, conditions.STORE_EARLY_EVENT,
                   Item={item.EVENT: _string(_DELIVERED_EVENT_TEXT), item.OUTCOME: {"S": outcome},
                         item.EVENT_ID: _string(_VALUES["eventId"][1]), item.STORED_AT_MS: _number(_VALUES["nowMs"][1]),
                         # TTL keeps it for as long as a pause that began before its end may run (an Express run)
                         item.EXPIRES_AT: _number(_ttl_seconds(f"{_USABLE_UNTIL_MS} + {EXPRESS_MAX_SECONDS} * 1000")),
                         # an event past its retention is refused visibly (the run fails), not kept for nobody
                         item.EXPIRES_AT_MS: _number(
                             f"({usable_until} := {_USABLE_UNTIL_MS}; {usable_until} <= $millis() ? "
                             "$error('sfn-resume: the event is older than EventRetentionSeconds') : "
                             f"{usable_until})")}),
            Catch=[_on([CONDITION_FAILED], "ReadHolder")], End=True),
        "ReadHolder": _read_holder([(conditions.STORE_EARLY_EVENT, "StoreEarlyEvent"),
                                    (conditions.CLAIM_TOKEN, "ClaimTokenAgain")], "AlreadyHandled",
                                   holder="$item.token.S"),
        "WhatNext": _what_next(["StoreEarlyEvent", "ClaimTokenAgain", "AlreadyHandled"], "HandOverContended"),
        "ClaimTokenAgain": claim_token(_JOB_ID, "ReadHolder"),
        # this event is stored already, or another event of this job was handed over (a duplicate, or a job id
        # reused too soon: docs/DESIGN.md, "Job ids reused")
        "AlreadyHandled": {"Type": "Succeed"},
        "HandOverContended": {"Type": "Fail", "Error": CONTENDED_ERROR,
                              "Cause": f"The job id's item changed under {MAX_ROUNDS} writes in a row."},
    }


#: What the claimed item gives the send: the claimed token, and the event as it was kept.
_CLAIMED = "$states.result.Attributes"


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
            **_hand_over(SUCCEEDED, "SendTaskSuccess",
                         sent=f"{{'token': {_CLAIMED}.token.S, 'event': {_CLAIMED}.event.S}}"),
            "SendTaskSuccess": _task(
                "sfn:sendTaskSuccess",
                {"TaskToken": _jsonata("$states.input.token"), "Output": _jsonata("$states.input.event")},
                Catch=[_TOKEN_CLOSED, _KMS_KEY_UNUSABLE], End=True),
            **_answer_states(),
        },
    }


def _job_failed_cause(event_text: str) -> str:
    """The cause a failure event fails the pause with: its detail as JSON text (cut to the limit by FailThePause)."""
    return f"$string($parse({event_text}).detail)"


def fail_definition() -> dict:
    """The EXPRESS fail state machine, which failure events start (and `sfn-resume fail`, which may add `error` and
    `cause`): it fails the pause waiting on the job id with `SfnResume.JobFailed`, or keeps the event for it. Workflow
    roles cannot start it: a workflow cannot fail another's pause."""
    return {
        "Comment": "sfn-resume: fail a pause (docs/DESIGN.md)",
        "QueryLanguage": "JSONata",
        "StartAt": "ClaimToken",
        "States": {
            **_hand_over(FAILED, "FailThePause", sent=_failing(
                _given_or("error", f"'{JOB_FAILED_ERROR}'"),
                _given_or("cause", _job_failed_cause(f"{_CLAIMED}.event.S")), token=f"{_CLAIMED}.token.S")),
            "FailThePause": _fail_the_pause(),
            **_answer_states(),
        },
    }


#: Any error the pause machine cannot handle fails the pause at once, with the error as cause.
_PAUSE_FAILURE = f"{{'error': '{PAUSE_FAILED_ERROR}', 'cause': $states.errorOutput.Error & ': ' & $states.errorOutput.Cause}}"
_PAUSE_FAILED = _on(["States.ALL"], "FailThePause", f"$merge([$states.input, {_PAUSE_FAILURE}])")


def _claim_event(condition: conditions.Condition, on_refused: str) -> dict:
    """The pause takes an event from the item (ClaimEvent: an early event, or its own hand-over; TakeBack: its
    execution's), and goes on to answer its own token with it."""
    claimed_event = f"{_CLAIMED}.event.S"
    return _task(
        "dynamodb:updateItem",
        _write(_JOB_ID, condition, UpdateExpression=conditions.CLAIM_EVENT_UPDATE, ReturnValues="ALL_NEW"),
        Catch=[_on([CONDITION_FAILED], on_refused), _PAUSE_FAILED],
        # the claimed event fails the pause (a failure event) or resumes it; a hand-over of this token that keeps no
        # event (0.3's, when the pause came first) was answered by its event's own run
        Output=_jsonata(f"$exists({claimed_event}) and {_CLAIMED}.outcome.S = '{FAILED}' ? "
                        + _failing(f"'{JOB_FAILED_ERROR}'", _job_failed_cause(claimed_event)) +
                        f" : {{'token': $states.input.token, 'event': {claimed_event}}}"),
        Next="EventOutcome")


def pause_definition() -> dict:
    """The EXPRESS pause machine (docs/DESIGN.md), which the pause state starts with `{"jobId", "token",
    "timeoutSeconds", "enteredTime", "retryCount", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"}`: it stores the token;
    or, when an event came first (or this pause's own execution was handed its event before), claims that event and
    answers the token itself. It answers no token but the one it is given. Every error it cannot handle ends in
    SendTaskFailure with `SfnResume.PauseFailed`: no workflow waits for nothing.
    """
    return {
        "Comment": "sfn-resume: store or answer a pause (docs/DESIGN.md)",
        "QueryLanguage": "JSONata",
        "StartAt": "StoreToken",
        "States": {
            "StoreToken": _task(
                "dynamodb:putItem",
                _write(_CHECKED_JOB_ID, conditions.STORE_TOKEN,
                       Item={item.TOKEN: _string("$states.input.token"), item.EXECUTION_ID: _string(_VALUES[
                             "executionId"][1]), item.PAUSED_AT_MS: _number(_PAUSED_AT_MS),
                             # TTL keeps a waiting pause twice EventRetentionSeconds past its timeout: as long as a
                             # late event may claim it and a pause of the same execution take that event back
                             item.EXPIRES_AT: _number(_ttl_seconds(f"{_PAUSED_AT_MS} + $states.input.timeoutSeconds "
                                                                   "* 1000 + 2 * ${EventRetentionSeconds} * 1000")),
                             item.EXPIRES_AT_MS: _number(f"{_PAUSED_AT_MS} + $states.input.timeoutSeconds * 1000")}),
                Catch=[_on([CONDITION_FAILED], "ClaimEvent"),
                       _on(["States.ALL"], "ReleaseToken", f"$merge([$states.input, {_PAUSE_FAILURE}])")],
                End=True),
            "ClaimEvent": _claim_event(conditions.CLAIM_EVENT, on_refused="ReadHolder"),
            # refused twice: the item changed in between, or the job id is held by someone else, or by a hand-over to
            # an earlier pause of this same execution (it timed out, or failed, and the workflow paused again): that
            # one takes its event back, once its token is known to be closed -- which no other workflow can fake
            "ReadHolder": _read_holder([(conditions.STORE_TOKEN, "StoreToken"), (conditions.CLAIM_EVENT, "ClaimEvent"),
                                        (conditions.TAKE_BACK, "HolderClosed")], "JobIdInUse",
                                       holder="$item.token.S", Catch=[_PAUSE_FAILED]),
            "WhatNext": _what_next(["StoreToken", "ClaimEvent", "HolderClosed", "JobIdInUse"], "PauseContended"),
            "PauseContended": {"Type": "Pass", "Output": _jsonata(_failing(
                f"'{PAUSE_FAILED_ERROR}'", f"'{CONTENDED_ERROR}: job id ' & {_JOB_ID} & ' changed under "
                f"{MAX_ROUNDS} writes in a row'")), "Next": "FailThePause"},
            # a heartbeat to a token that is closed fails: then its pause can no longer take the event
            "HolderClosed": _task(
                "sfn:sendTaskHeartbeat", {"TaskToken": _jsonata("$states.input.holder")},
                Catch=[_on(TOKEN_CLOSED_ERRORS, "TakeBack"), _PAUSE_FAILED], Output=_jsonata("$states.input"),
                Next="JobIdInUse"),
            "TakeBack": _claim_event(conditions.TAKE_BACK, on_refused="ReadHolder"),
            "JobIdInUse": {"Type": "Pass", "Output": _jsonata(_failing(
                f"'{JOB_ID_IN_USE_ERROR}'", f"'Another pause, or a hand-over of another workflow, holds job id ' & "
                f"{_JOB_ID}")), "Next": "FailThePause"},
            "EventOutcome": {
                "Type": "Choice",
                "Choices": [{"Condition": _jsonata("$exists($states.input.error)"), "Next": "FailThePause"},
                            {"Condition": _jsonata("$exists($states.input.event)"), "Next": "SendEvent"}],
                "Default": "Repeated",
            },
            "SendEvent": _task(
                "sfn:sendTaskSuccess",
                {"TaskToken": _jsonata("$states.input.token"), "Output": _jsonata("$states.input.event")},
                Catch=[_TOKEN_CLOSED, _KMS_KEY_UNUSABLE, _PAUSE_FAILED], End=True),
            # Express runs at least once: this pause's token was handed over already, by the event's own run
            "Repeated": {"Type": "Succeed"},
            # a pause that cannot be stored fails; its token, should the write have gone through, is taken back so
            # that the workflow may pause again on the job
            "ReleaseToken": _task(
                "dynamodb:deleteItem", _write(_JOB_ID, conditions.RELEASE_TOKEN),
                Catch=[_on(["States.ALL"], "FailThePause")], Output=_jsonata("$states.input"), Next="FailThePause"),
            "FailThePause": _fail_the_pause(),
            **_answer_states(),
        },
    }


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
