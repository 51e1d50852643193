"""Logical IDs and physical names, held in one place: CloudFormation replaces a renamed resource."""

from __future__ import annotations

import re

# Logical IDs of one instance: as they are in the generic template; prefixed with the instance's name suffix
# (`logical_prefix`) in config-built templates and in parents.
TABLE = "TokenTable"
RESUME_STATE_MACHINE = "ResumeStateMachine"
PAUSE_STATE_MACHINE = "PauseStateMachine"
FAIL_STATE_MACHINE = "FailStateMachine"
#: The role of the resume machine (its ID is from 0.1, when the pause machine shared it).
RESUME_ROLE = "ResumeStateMachineRole"
PAUSE_ROLE = "PauseStateMachineRole"
FAIL_ROLE = "FailStateMachineRole"
LOG_GROUP = "ResumeLogGroup"
RESUME_RULE = "ResumeRule"
FAIL_RULE = "FailRule"
EVENTS_ROLE = "EventsRole"
DEAD_LETTER_QUEUE = "DeadLetterQueue"
DEAD_LETTER_QUEUE_POLICY = "DeadLetterQueuePolicy"
PAUSE_STATE_POLICY = "PauseStatePolicy"
ALARM_TOPIC = "AlarmTopic"
RUNS_FAILED_ALARM = "RunsFailedAlarm"
EVENTS_UNDELIVERED_ALARM = "EventsUndeliveredAlarm"
DASHBOARD = "Dashboard"
CHILD_STACK = "Stack"  # an instance's child stack in a parent template

# Output keys (exported as ${AWS::StackName}-<key>).
OUTPUT_TABLE_NAME = "TableName"
OUTPUT_TABLE_ARN = "TableArn"
OUTPUT_RESUME_STATE_MACHINE_ARN = "ResumeStateMachineArn"
OUTPUT_PAUSE_STATE_MACHINE_ARN = "PauseStateMachineArn"
OUTPUT_FAIL_STATE_MACHINE_ARN = "FailStateMachineArn"
OUTPUT_PAUSE_STATE_POLICY_ARN = "PauseStatePolicyArn"
OUTPUT_PAUSE_STATE = "PauseState"
OUTPUT_PAUSE_STATE_JSONATA = "PauseStateJsonata"
OUTPUT_DEAD_LETTER_QUEUE_URL = "DeadLetterQueueUrl"
OUTPUT_EVENT_RETENTION_SECONDS = "EventRetentionSeconds"
OUTPUT_ALARM_TOPIC_ARN = "AlarmTopicArn"

#: Physical names derived from the name suffix, with each service's length limit.
PHYSICAL_NAMES = {
    "table": ("SfnResume-{suffix}", 255),
    "resume state machine": ("SfnResume-{suffix}", 80),
    # StateMachineType is create-only: an EXPRESS resume machine has its own name, so that a change of type
    # creates the other machine beside it (a custom name cannot be replaced in place). STANDARD keeps 0.1's name.
    "express resume state machine": ("SfnResume-{suffix}-Express", 80),
    "pause state machine": ("SfnResume-{suffix}-Pause", 80),
    # not 0.1's `-Fail` (its FailStateMachine, STANDARD by default): a machine of another type under the same name
    # would be a replacement CloudFormation refuses for a custom name; a new name replaces 0.1's in one update
    "fail state machine": ("SfnResume-{suffix}-Failure", 80),
    "resume rule": ("SfnResume-{suffix}", 64),
    "fail rule": ("SfnResume-{suffix}-Fail", 64),
    "dead-letter queue": ("SfnResume-{suffix}-DLQ", 80),
    "log group": ("/aws/vendedlogs/states/SfnResume-{suffix}", 512),
    "alarm topic": ("SfnResume-{suffix}-Alarms", 256),
    RUNS_FAILED_ALARM: ("SfnResume-{suffix}-RunsFailed", 255),
    EVENTS_UNDELIVERED_ALARM: ("SfnResume-{suffix}-EventsUndelivered", 255),
    # dashboards are global: the region keeps one account's instances of one suffix apart (a StackSet's regions)
    "dashboard": ("SfnResume-{suffix}-${{AWS::Region}}", 255),
}
#: The longest name suffix for which every physical name fits its limit.
MAX_SUFFIX_LENGTH = min(limit - len(fmt.format(suffix="")) for fmt, limit in PHYSICAL_NAMES.values())
#: Characters every one of those services accepts in a name (SQS is the strictest).
SUFFIX_PATTERN = rf"^[A-Za-z0-9_-]{{1,{MAX_SUFFIX_LENGTH}}}$"


def physical_name(kind: str, suffix: str) -> str:
    """The physical name of `kind` for a literal suffix, or a `Fn::Sub` body when suffix is `${NameSuffix}`."""
    return PHYSICAL_NAMES[kind][0].format(suffix=suffix)


def logical_prefix(name_suffix: str) -> str:
    """Logical-ID prefix of an instance: its name suffix without `-` and `_` (IDs are alphanumeric)."""
    return re.sub(r"[^A-Za-z0-9]", "", name_suffix)
