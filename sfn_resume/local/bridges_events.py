"""Bridges for moto 5.2.5's EventBridge: Step Functions targets with AWS InputTransformer semantics, DLQ,
and `EventPattern` given as JSON text in CloudFormation (gaps 3 and 5 in docs/EMULATOR.md).

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
from sfn_resume.transformer import target_input

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
        if not _send_to_dead_letter_queue(target, event, rule.arn, error):
            LOG.warning("event %s to %s dropped: %s", event.get("id"), target["Arn"], error)
        return None


def _is_state_machine_target(target: dict[str, Any]) -> bool:
    return ":states:" in target.get("Arn", "") and ":stateMachine:" in target.get("Arn", "")


@bridge("events-to-stepfunctions", gap="3: put_events to a rule with a Step Functions target raises NotImplementedError")
def bridge_events_to_stepfunctions(patches: Patches) -> None:
    """Deliver matching events to Step Functions targets; other targets keep moto's own delivery.

    moto's `put_events` raises NotImplementedError for a rule with a Step Functions target, and its
    InputTransformer inserts a bare `<var>` string unquoted (not JSON); `sfn_resume.transformer` applies AWS's rules.
    Disabled rules deliver nothing (as on AWS). Start failures go to the target's DeadLetterConfig queue,
    which is where AWS puts an event after the target's RetryPolicy is exhausted.

    Gap 3 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):
        if self.state == "DISABLED" or not self.event_pattern.matches_event(original_event):
            return
        others = [t for t in self.targets if not _is_state_machine_target(t)]
        for target in self.targets:
            if _is_state_machine_target(target):
                start_state_machine_target(self, target, original_event)
        if others:
            view = copy.copy(self)
            view.targets = others
            original(view, original_event, transform_input)

    patches.set(Rule, "send_to_targets", send_to_targets)


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
