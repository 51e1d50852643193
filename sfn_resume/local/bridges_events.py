"""Bridges for moto 5.2.5's EventBridge: Step Functions targets with AWS InputTransformer semantics, DLQ,
and `EventPattern` given as JSON text in CloudFormation (gaps 3 and 5 in docs/EMULATOR.md); TestEventPattern.

moto's own pattern matching (`moto.events.models.EventPattern`) is kept: only delivery is bridged.
"""
from __future__ import annotations

import copy
import datetime
import json
import logging
import uuid
from typing import Any

from sfn_resume.local.patching import Patches, bridge
from sfn_resume.transformer import PREDEFINED, placeholders, target_input

LOG = logging.getLogger(__name__)

_EVENT_KEYS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")


def aws_event(moto_event: dict[str, Any]) -> dict[str, Any]:
    """moto's internal event message -> the event as EventBridge delivers it (ISO time, no ingestion-time)."""
    event = {key: copy.deepcopy(moto_event.get(key)) for key in _EVENT_KEYS}
    event["version"] = event["version"] or "0"
    event["resources"] = event["resources"] or []
    when = event["time"]
    if isinstance(when, (int, float)):
        when = datetime.datetime.fromtimestamp(when, tz=datetime.timezone.utc)
    if isinstance(when, datetime.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        when = when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    event["time"] = when
    return event


#: EventBridge's DLQ error codes (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html lists
#: them, not which failure gives which) for what a start can raise here; anything else is UNKNOWN.
_ERROR_CODES = {
    "StateMachineDoesNotExist": "NO_RESOURCE", "ResourceNotFound": "NO_RESOURCE",
    "InvalidArn": "INVALID_PARAMETER", "InvalidName": "INVALID_PARAMETER", "ValidationException": "INVALID_PARAMETER",
    "InvalidExecutionInput": "INVALID_PARAMETER", "JSONDecodeError": "INVALID_JSON",
    "ExecutionAlreadyExists": "RESOURCE_ALREADY_EXISTS", "AccessDeniedException": "NO_PERMISSIONS",
    "ExecutionLimitExceeded": "RESOURCE_LIMIT_EXCEEDED", "ThrottlingException": "THROTTLING",
}
#: Failures EventBridge retries under the target's RetryPolicy; the others (a missing target, a permission, a bad
#: parameter) go to the DLQ at once, without a retry (same page).
_RETRIED = {"THROTTLING", "RESOURCE_LIMIT_EXCEEDED"}
_DEFAULT_RETRY_ATTEMPTS = 185


def dead_letter_attributes(target: dict[str, Any], rule_arn: str, error: Exception) -> dict[str, str]:
    """The message attributes EventBridge writes with a dead-lettered event (the eb-rule-dlq page above): RULE_ARN,
    TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS, and EXHAUSTED_RETRY_CONDITION when retries ran out.

    The emulator does not wait out a RetryPolicy: a failure AWS would retry is dead-lettered at once, as if every
    retry had failed the same way (MaximumRetryAttempts exhausted).
    """
    code = _ERROR_CODES.get(str(getattr(error, "error_type", None) or type(error).__name__), "UNKNOWN")
    attributes = {
        "RULE_ARN": rule_arn,
        "TARGET_ARN": target["Arn"],
        "ERROR_CODE": code,
        "ERROR_MESSAGE": str(getattr(error, "message", "") or error)[:256] or code,  # SQS refuses an empty value
        "RETRY_ATTEMPTS": "0",
    }
    if code in _RETRIED:
        retry_policy = target.get("RetryPolicy") or {}
        attributes["RETRY_ATTEMPTS"] = str(retry_policy.get("MaximumRetryAttempts", _DEFAULT_RETRY_ATTEMPTS))
        attributes["EXHAUSTED_RETRY_CONDITION"] = "MaximumRetryAttempts"
    return attributes


def _send_to_dead_letter_queue(target: dict[str, Any], event: dict[str, Any], rule_arn: str,
                               error: Exception) -> bool:
    """What EventBridge does with an event it cannot deliver: the event itself (before any InputTransformer) to the
    target's DLQ, with `dead_letter_attributes`. Returns False when there is no DLQ (AWS drops the event)."""
    from moto.sqs import sqs_backends
    from moto.utilities.arns import parse_arn

    dlq_arn = (target.get("DeadLetterConfig") or {}).get("Arn")
    if not dlq_arn:
        return False
    queue = parse_arn(dlq_arn)
    sqs_backends[queue.account][queue.region].send_message(
        queue_name=queue.resource_id,
        message_body=json.dumps(event),
        message_attributes={name: {"DataType": "String", "StringValue": value}
                            for name, value in dead_letter_attributes(target, rule_arn, error).items()},
    )
    return True


def start_state_machine_target(rule: Any, target: dict[str, Any], moto_event: dict[str, Any]) -> str | None:
    """Start the target state machine with the transformed event; on failure, dead-letter the event.

    The execution name is unique per delivery (EventBridge names its runs with a UUID-like id). Returns the
    execution ARN, or None when the start failed (the event went to the DLQ if the target has one).
    """
    from moto.stepfunctions.responses import get_backend
    from moto.utilities.arns import parse_arn

    event = aws_event(moto_event)
    arn = parse_arn(target["Arn"])
    try:
        execution_input = target_input(target, event, rule.arn)
        json.loads(execution_input)
        backend = get_backend(arn.account, arn.region)
        execution = backend.start_execution(
            state_machine_arn=target["Arn"], name=str(uuid.uuid4()), execution_input=execution_input
        )
        return execution.execution_arn
    except Exception as error:  # any start failure is a failed delivery on AWS too
        _failed_delivery(target, event, rule.arn, error)
        return None


def send_to_queue_target(rule: Any, target: dict[str, Any], moto_event: dict[str, Any]) -> None:
    """Send the transformed event to the target queue, as its body (JSON, or text for a text template); a FIFO
    queue gets the target's `SqsParameters.MessageGroupId` and the event's id as deduplication id."""
    from moto.sqs import sqs_backends
    from moto.utilities.arns import parse_arn

    event = aws_event(moto_event)
    queue = parse_arn(target["Arn"])
    try:
        sqs_backends[queue.account][queue.region].send_message(
            queue_name=queue.resource_id,
            message_body=target_input(target, event, rule.arn),
            group_id=(target.get("SqsParameters") or {}).get("MessageGroupId"),
            deduplication_id=event["id"] if queue.resource_id.endswith(".fifo") else None,
        )
    except Exception as error:
        _failed_delivery(target, event, rule.arn, error)


def _failed_delivery(target: dict[str, Any], event: dict[str, Any], rule_arn: str, error: Exception) -> None:
    if not _send_to_dead_letter_queue(target, event, rule_arn, error):
        LOG.warning("event %s to %s dropped: %s", event.get("id"), target["Arn"], error)


def _is_state_machine_target(target: dict[str, Any]) -> bool:
    return ":states:" in target.get("Arn", "") and ":stateMachine:" in target.get("Arn", "")


def _is_queue_target(target: dict[str, Any]) -> bool:
    return target.get("Arn", "").startswith("arn:") and target["Arn"].split(":")[2:3] == ["sqs"]


@bridge("events-to-stepfunctions", gap="3: put_events to a rule with a Step Functions target raises "
                                      "NotImplementedError; moto's InputTransformer is not EventBridge's")
def bridge_events_to_stepfunctions(patches: Patches) -> None:
    """Deliver matching events to Step Functions and SQS targets with EventBridge's input; other targets keep
    moto's own delivery.

    moto's `put_events` raises NotImplementedError for a rule with a Step Functions target; its InputTransformer
    inserts a bare `<var>` string unquoted (not JSON), and a queue target without one gets an event without
    `account` and ignores `Input` and `InputPath`. `sfn_resume.transformer` applies AWS's rules to both.
    Disabled rules deliver nothing (as on AWS). Failed deliveries go to the target's DeadLetterConfig queue,
    which is where AWS puts an event after the target's RetryPolicy is exhausted.

    Gap 3 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):
        if self.state == "DISABLED" or not self.event_pattern.matches_event(original_event):
            return
        others = []
        for target in self.targets:
            if _is_state_machine_target(target):
                start_state_machine_target(self, target, original_event)
            elif _is_queue_target(target) and transform_input:
                send_to_queue_target(self, target, original_event)
            else:
                others.append(target)
        if others:
            view = copy.copy(self)
            view.targets = others
            original(view, original_event, transform_input)

    patches.set(Rule, "send_to_targets", send_to_targets)


#: The target fields that give its input: at most one of them (PutTargets refuses more).
_INPUT_FIELDS = ("Input", "InputPath", "InputTransformer")


def target_problem(target: dict[str, Any]) -> str | None:
    """What PutTargets says of a target whose input EventBridge refuses (AWS's messages, as recorded), or None."""
    if sum(target.get(field) is not None for field in _INPUT_FIELDS) > 1:
        return f"Only one of Input, InputPath, or InputTransformer must be provided for target {target['Id']}."
    transformer = target.get("InputTransformer")
    if transformer:
        known = set(transformer.get("InputPathsMap") or {}) | set(PREDEFINED)
        for name in placeholders(transformer.get("InputTemplate") or ""):
            if name not in known:
                return f"InputTemplate for target {target['Id']} contains invalid placeholder {name}."
    return None


@bridge("events-put-targets-validation", gap="43: PutTargets accepts target inputs EventBridge refuses")
def bridge_events_put_targets_validation(patches: Patches) -> None:
    """Refuse, as EventBridge does, a target with more than one of Input, InputPath and InputTransformer, and an
    InputTemplate placeholder that is neither in its InputPathsMap nor predefined: `ValidationException` with
    AWS's message, from the API and from CloudFormation (both go through the backend's `put_targets`).

    moto stores such a target, so a rule that AWS refuses deploys in the emulator (and the placeholder is
    delivered as text).

    Gap 43 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.events.exceptions import ValidationException
    from moto.events.models import EventsBackend

    original = EventsBackend.put_targets

    def put_targets(self, name, event_bus_arn, targets):
        for target in targets:
            problem = target_problem(target)
            if problem:
                raise ValidationException(problem)
        return original(self, name, event_bus_arn, targets)

    patches.set(EventsBackend, "put_targets", put_targets)


@bridge("cfn-event-pattern-string", gap="5: EventPattern given as JSON text (e.g. Ref to a String parameter) crashes create_stack")
def bridge_cfn_event_pattern_string(patches: Patches) -> None:
    """Accept `AWS::Events::Rule.EventPattern` as JSON text as well as an object, as CloudFormation does.

    moto `json.dumps` the property unconditionally, so a string becomes a JSON string literal, not a pattern.

    Gap 5 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.events.models import Rule

    original = Rule.create_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json.get("Properties", {})
        if isinstance(properties.get("EventPattern"), str):
            cloudformation_json = copy.deepcopy(cloudformation_json)
            cloudformation_json["Properties"]["EventPattern"] = json.loads(properties["EventPattern"])
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    patches.set(Rule, "create_from_cloudformation_json", classmethod(create))


#: The fields TestEventPattern requires of the event (EventBridge API reference, TestEventPattern,
#: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html).
TEST_EVENT_REQUIRED = ("id", "account", "source", "time", "region", "resources", "detail-type")


@bridge("events-test-event-pattern", gap="39: TestEventPattern is a stub: an empty body, no `Result`")
def bridge_events_test_event_pattern(patches: Patches) -> None:
    """Answer TestEventPattern as EventBridge does, `{"Result": true|false}`, with moto's own pattern matcher (the
    one its rules use): an invalid pattern is `InvalidEventPatternException`, an event that is not JSON or lacks
    one of `TEST_EVENT_REQUIRED` a `ValidationException`.

    moto's handler is `pass` (HTTP 200, empty body): boto3 gives `{}` and `aws events test-event-pattern` prints
    nothing, so a pattern cannot be tried against a sample event in the emulator.
    """
    from moto.events.exceptions import ValidationException
    from moto.events.models import EventPattern, EventPatternParser
    from moto.events.responses import EventsHandler

    def test_event_pattern(self):
        pattern = EventPattern(self._get_param("EventPattern"),
                               EventPatternParser(self._get_param("EventPattern")).parse())
        try:
            event = json.loads(self._get_param("Event") or "")
        except json.JSONDecodeError:
            raise ValidationException("Parameter Event is not valid: it is not JSON.") from None
        missing = [field for field in TEST_EVENT_REQUIRED if not isinstance(event, dict) or field not in event]
        if missing:
            raise ValidationException(f"Parameter Event is not valid: it lacks {', '.join(missing)}.")
        return json.dumps({"Result": pattern.matches_event(event)}), self.response_headers

    patches.set(EventsHandler, "test_event_pattern", test_event_pattern)
