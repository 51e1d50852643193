"""The table of options: every config key and every Parameter of the generic template, each declared once.

An `Option` names a config key and the Parameter that carries it (a few have one side only: `removalPolicy` and
`tags` are the config's, DeletionPolicy and Tags taking no Parameter; the inert `HeartbeatSeconds` is the template's
alone), the kind of value it takes, its default, its help, where the console shows it (label, group) and what a
change of it does to a live stack. From this table come the config's validation and its frozen `InstanceConfig`
(config.py), the generic template's Parameters (template.py), the Parameter values that reproduce a config
(`parameter_values`: nested stacks, `sfn-resume parameters`), and the tables of docs/CONFIGURATION.md
(tools/docs.py writes them; a test fails when they drift).

A kind says everything about its values once: what a config may hold (`problems`), how the Parameter constrains
the same text (`parameter`), how a config value becomes that text (`text`), and how to say what is allowed
(`allowed`), which both the config's messages and the Parameter's ConstraintDescription use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .jsonpath import REFERENCE_PATH_PATTERN, RESULT_PATH_PATTERN, likely_fixes
from .names import MAX_SUFFIX_LENGTH, SUFFIX_PATTERN
from .patterns import MAX_PATTERN_CHARS, pattern_problems, show

KMS_KEY_ARN_PATTERN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$"
STATE_MACHINE_ARN_PATTERN = r"^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_*-]+$"
SNS_TOPIC_ARN_PATTERN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$"
#: What a Parameter accepts as an event pattern: JSON object text (its structure is EventBridge's to refuse).
EVENT_PATTERN_PARAMETER_PATTERN = r"^\s*\{[\s\S]*\}\s*$"

#: The construct's RemovalPolicy names that a DynamoDB table supports. CDK's SNAPSHOT has no CloudFormation
#: equivalent for a table (DeletionPolicy Snapshot is refused, cfn-lint E3035), so it gets its own message.
REMOVAL_POLICIES = ("DESTROY", "RETAIN", "RETAIN_ON_UPDATE_OR_DELETE")
WORKFLOW_TYPES = ("STANDARD", "EXPRESS")
#: The machines' log levels that AWS Control Tower accepts (CT.STEPFUNCTIONS.PR.1); ERROR logs nothing on the happy
#: path, ALL logs every state of every run (a price: docs/PERFORMANCE.md).
LOG_LEVELS = ("ERROR", "ALL")
#: CloudWatch Logs' allowed retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
MAX_TIMEOUT_SECONDS = 31_536_000  # a year, Step Functions' longest STANDARD execution
RESERVED_TAG_PREFIX = "aws:"
#: The longest id path or result path (a Parameter's MaxLength).
MAX_PATH_CHARS = 1024


def optional_pattern(pattern: str) -> str:
    """A `^...$` pattern for an optional Parameter: the same, or empty."""
    return f"^({pattern.removeprefix('^').removesuffix('$')})?$"


def _refused(value, allowed: str) -> list[str]:
    return [f": {show(value)} is not allowed; expected {allowed}"]


# --- kinds: what values an option takes, said once for the config and for the Parameter

class Kind:
    """The values of an option. `problems` answers for a config value (each message starts after the key, as
    ": ... is not allowed; expected ..."); `parameter` gives the Parameter's Type and constraints, which accept the
    `text` of what the config accepts."""

    python_type: Any = str
    number = False  # the Parameter is a Number: its Default is written as a number

    @property
    def allowed(self) -> str:
        raise NotImplementedError

    @property
    def short(self) -> str:
        """What it takes, in a few words (the docs' table)."""
        return self.allowed

    def problems(self, value) -> list[str]:
        raise NotImplementedError

    def parameter(self, optional: bool) -> dict:
        raise NotImplementedError

    def text(self, value) -> str:
        """The Parameter's value for a config value."""
        return str(value)

    def stored(self, value):
        """The config value as the frozen config keeps it."""
        return value


@dataclass(frozen=True)
class Text(Kind):
    """A string matching `pattern`; `fixes` gives what a mistaken value likely meant (`detail.jobId` →
    `$.detail.jobId`), and the first that matches is suggested."""

    pattern: str
    description: str
    brief: str | None = None  # `description` in a few words, when it is long
    min_length: int | None = None
    max_length: int | None = None
    fixes: Callable[[str], list[str]] | None = None

    @property
    def allowed(self) -> str:
        return self.description

    @property
    def short(self) -> str:
        return self.brief or self.description

    def problems(self, value) -> list[str]:
        if isinstance(value, str) and re.fullmatch(self.pattern, value) and len(value) <= (self.max_length or len(value)):
            return []
        fixed = [fix for fix in (self.fixes(value) if self.fixes and isinstance(value, str) else [])
                 if re.fullmatch(self.pattern, fix)]
        return [problem + (f"; did you mean {fixed[0]!r}?" if fixed else "") for problem in _refused(value, self.allowed)]

    def parameter(self, optional: bool) -> dict:
        return {"Type": "String", "AllowedPattern": optional_pattern(self.pattern) if optional else self.pattern,
                **({"MinLength": self.min_length} if self.min_length and not optional else {}),
                **({"MaxLength": self.max_length} if self.max_length else {})}


@dataclass(frozen=True)
class WholeNumber(Kind):
    low: int
    high: int
    python_type = int
    number = True

    @property
    def allowed(self) -> str:
        return f"a whole number from {self.low:,} to {self.high:,}"

    @property
    def short(self) -> str:
        return f"{self.low:,}-{self.high:,}"

    def problems(self, value) -> list[str]:
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            return _refused(value, self.allowed)
        return []

    def parameter(self, optional: bool) -> dict:
        return {"Type": "Number", "MinValue": self.low, "MaxValue": self.high}


@dataclass(frozen=True)
class OneOf(Kind):
    """One of `choices` (names, or numbers: then the Parameter is a Number); `refused` explains a value that looks
    right and is not (CDK's SNAPSHOT)."""

    choices: tuple
    refused: dict = field(default_factory=dict)

    @property
    def python_type(self):
        return type(self.choices[0])

    @property
    def number(self) -> bool:
        return isinstance(self.choices[0], int)

    @property
    def allowed(self) -> str:
        return f"one of {', '.join(map(str, self.choices))}"

    @property
    def short(self) -> str:
        return " / ".join(f"`{choice}`" for choice in self.choices) if len(self.choices) <= 3 else self.allowed

    def problems(self, value) -> list[str]:
        if value in self.refused:
            return [f": {show(value)} is not allowed: {self.refused[value]}; expected {self.allowed}"]
        # `True in (1, 3)` holds in Python: a bool is not one of a list of numbers (nor of names)
        if value in self.choices and not isinstance(value, bool):
            return []
        return _refused(value, self.allowed)

    def parameter(self, optional: bool) -> dict:
        return {"Type": "Number" if self.number else "String", "AllowedValues": list(self.choices)}


class Flag(Kind):
    python_type = bool
    allowed = "true or false"
    short = "`true` / `false`"

    def problems(self, value) -> list[str]:
        return [] if isinstance(value, bool) else _refused(value, self.allowed)

    def parameter(self, optional: bool) -> dict:
        return {"Type": "String", "AllowedValues": ["true", "false"]}

    def text(self, value) -> str:
        return str(value).lower()


class EventPattern(Kind):
    """An EventBridge pattern: an object in the config (validated leaf by leaf), JSON text in the Parameter."""

    python_type = dict
    allowed = f"a JSON object of at most {MAX_PATTERN_CHARS} characters"
    short = "an EventBridge pattern: an object (JSON text in the Parameter)"

    def problems(self, value) -> list[str]:
        return [message[len("pattern"):] for message in pattern_problems(value, "pattern")]

    def parameter(self, optional: bool) -> dict:
        pattern = EVENT_PATTERN_PARAMETER_PATTERN
        return {"Type": "String", "MaxLength": MAX_PATTERN_CHARS,
                "AllowedPattern": optional_pattern(pattern) if optional else pattern,
                **({} if optional else {"MinLength": 2})}

    def text(self, value) -> str:
        return json.dumps(value, separators=(",", ":"))


class StateMachineArns(Kind):
    python_type = tuple
    allowed = ("a list of state machine ARNs (arn:<partition>:states:<region>:<account>:stateMachine:<name>, "
               "'*' allowed in the name)")
    short = "a list of state machine ARNs (comma-separated in the Parameter)"

    def problems(self, value) -> list[str]:
        if isinstance(value, (list, tuple)) and all(
                isinstance(v, str) and re.fullmatch(STATE_MACHINE_ARN_PATTERN, v) for v in value):
            return []
        return _refused(value, self.allowed)

    def parameter(self, optional: bool) -> dict:
        return {"Type": "CommaDelimitedList"}

    def text(self, value) -> str:
        return ",".join(value)

    def stored(self, value) -> tuple:
        return tuple(value)


class Tags(Kind):
    python_type = dict
    allowed = "a mapping of up to 40 string keys (1-128 chars) to string values (up to 256 chars)"
    short = "a mapping of strings"

    def problems(self, value) -> list[str]:
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 128
                                                  and len(v) <= 256 for k, v in value.items()) or len(value) > 40:
            return _refused(value, self.allowed)
        # AWS reserves the prefix for its own tags, in any case; CloudFormation refuses such a key at deploy time
        return [f".{key}: is not allowed: tag keys starting with 'aws:' are reserved by AWS; choose another key"
                for key in value if key.lower().startswith(RESERVED_TAG_PREFIX)]

    def stored(self, value) -> dict:
        return dict(value)


# --- options

#: The default of a required option.
REQUIRED = object()
#: The console's groups, in the order it shows them.
INSTANCE, EVENTS, PAUSE_STATE, OPERATIONS, SECURITY, ALARMS = (
    "Instance", "Events", "Pause state", "Operations", "Security", "Alarms")


@dataclass(frozen=True)
class Option:
    """One option: its config key, its Parameter, or both. `help` is the Parameter's Description (after
    "REQUIRED:"/"Optional:") and the docs' meaning; `unset` says what no value means (an optional option without
    a default); `update`, what a change of it does to a live stack; `also`, a check against the other keys."""

    key: str | None
    parameter: str | None
    kind: Kind
    help: str
    update: str
    default: Any = REQUIRED
    unset: str | None = None
    label: str | None = None
    group: str | None = None
    also: Callable[[Any, dict], list[str]] | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def optional_text(self) -> bool:
        """The Parameter may be empty: the option has no default value (None, or an empty list)."""
        return self.default is None or self.default == ()

    def problems(self, value, values: dict) -> list[str]:
        problems = self.kind.problems(value)
        return problems or (self.also(value, values) if self.also else [])

    def text(self, value) -> str:
        """The Parameter's value for a config value (None and empty lists: empty)."""
        return "" if value is None or value == () else self.kind.text(value)

    def parameter_properties(self) -> dict:
        """The Parameter's troposphere keyword arguments."""
        properties = {**self.kind.parameter(self.optional_text),
                      "Description": f"{'REQUIRED' if self.required else 'Optional'}: {self.help}"}
        if not self.required:
            properties["Default"] = self.default if self.kind.number else self.text(self.default)
        if "AllowedValues" not in properties:  # a value outside a list cannot be chosen: the others say what is allowed
            properties["ConstraintDescription"] = f"empty, or {self.kind.allowed}." if self.optional_text \
                else f"{self.kind.allowed}."
        return properties


def _different_from_event_pattern(value, values: dict) -> list[str]:
    if value == values.get("eventPattern"):
        return [": is identical to eventPattern; a failure pattern must match the job's failure events only"]
    return []


def _only_with_alarms(value, values: dict) -> list[str]:
    if values.get("alarms") is False:
        return [": is set while alarms is false; the topic receives the alarms' notifications only"]
    return []


def _path(example: str) -> Text:
    return Text(REFERENCE_PATH_PATTERN, "a plain JSONPath reference such as $.a.b or $.a[0].b (no filters, wildcards "
                "or slices)", brief=f"a JSONPath such as {example}", min_length=2, max_length=MAX_PATH_CHARS,
                fixes=likely_fixes)


_AS_PATH_TO_ID_PAUSE_TASK = "the `PauseState` outputs only, as `PathToIdPauseTask`"

#: Every option, in the console's order (each group's Parameters in the order they appear here).
OPTIONS = (
    Option("nameSuffix", "NameSuffix",
           Text(SUFFIX_PATTERN, f"1 to {MAX_SUFFIX_LENGTH} letters, digits, '-' or '_' (every resource name derived "
                "from it must fit its service's limit)", brief=f"1-{MAX_SUFFIX_LENGTH} of `A-Za-z0-9_-`",
                min_length=1, max_length=MAX_SUFFIX_LENGTH),
           "suffix of every resource name (e.g. TranslateResume); one stack per service. Not for a live stack to "
           "change: it names the table of the paused workflows (README).",
           "not for a live stack: every name changes, so CloudFormation would replace the table (the paused "
           "workflows' tokens and early events), the dead-letter queue and the pause machine the pause states start, "
           "and the paused workflows would wait until they time out. No template can refuse it for you "
           "(CloudFormation's Rules see the new values, not the deployed ones): the Parameter's description says "
           "so. To rename, deploy a new stack with the new suffix beside the old one, move the workflows to its "
           "`PauseState` and `PauseStatePolicyArn`, let the old stack's pauses end (`sfn-resume status --stack OLD` "
           "shows none waiting), then delete the old stack",
           label="Name suffix", group=INSTANCE),
    Option("pathToIdPauseTask", "PathToIdPauseTask", _path("$.startJob.JobId"),
           "JSONPath to the job id in the state at the pause (e.g. $.startJob.JobId).",
           "the `PauseState` outputs only: paste it into the workflows again; a paused run keeps the state it paused "
           "with",
           label="Job id in the workflow state", group=INSTANCE),
    Option("pathToIdWorkflow", "PathToIdWorkflow", _path("$.detail.jobId"),
           "JSONPath to the job id in the job's event (e.g. $.detail.jobId).",
           "the rules' target input, in place: events from then on find their job id by the new path",
           label="Job id in the event", group=INSTANCE),
    Option("eventPattern", "EventPattern", EventPattern(),
           "EventBridge pattern (JSON) of the job's success event.",
           "the resume rule, in place",
           label="Success event pattern", group=EVENTS),
    Option("failureEventPattern", "FailureEventPattern", EventPattern(),
           "EventBridge pattern (JSON) of the job's failure events; they fail the pause with SfnResume.JobFailed. "
           "Empty: none.",
           "the failure rule, in place; set or emptied, it creates or deletes the failure rule",
           default=None, unset="none: no failure rule", label="Failure event pattern", group=EVENTS,
           also=_different_from_event_pattern),
    Option("removalPolicy", None, OneOf(REMOVAL_POLICIES, refused={
        "SNAPSHOT": "CloudFormation cannot snapshot a DynamoDB table on deletion (point-in-time recovery is always "
                    "on)"}),
           "the table's DeletionPolicy and UpdateReplacePolicy (the table holds only transient hand-overs). "
           "DeletionPolicy takes no Parameter: the generic template is built for one (templates/sfn-resume.yaml "
           "DESTROY, templates/sfn-resume-retain.yaml RETAIN).",
           "the table's DeletionPolicy and UpdateReplacePolicy, in place (for the generic template: deploy "
           "`sfn-resume-retain.yaml` instead of `sfn-resume.yaml`)",
           default="DESTROY"),
    Option("timeoutSeconds", "TimeoutSeconds", WholeNumber(1, MAX_TIMEOUT_SECONDS),
           "seconds the pause waits before States.Timeout (default one day).",
           _AS_PATH_TO_ID_PAUSE_TASK,
           default=86_400, label="Pause timeout (seconds)", group=PAUSE_STATE),
    Option(None, "HeartbeatSeconds", WholeNumber(0, MAX_TIMEOUT_SECONDS - 1),
           "ignored since 0.4: nothing can send the pause a heartbeat (its task token is kept in the table only), "
           "so the pause waits until TimeoutSeconds. Kept so that stacks and callers that pass it still update.",
           "nothing: the Parameter is ignored",
           default=0, label="Ignored: pause heartbeat", group=PAUSE_STATE),
    Option("resultPath", "ResultPath",
           Text(RESULT_PATH_PATTERN, "$ or a JSONPath such as $.a.b (no array index)", brief="`$` or `$.a.b`",
                max_length=MAX_PATH_CHARS, fixes=likely_fixes),
           "where the pause puts {\"event\": <the event>} in the state (e.g. $.job). Empty (default): nowhere.",
           _AS_PATH_TO_ID_PAUSE_TASK,
           default=None, unset="none: the event is discarded", label="Result path", group=PAUSE_STATE),
    Option("resumeWorkflowType", "ResumeWorkflowType", OneOf(WORKFLOW_TYPES),
           "type of the resume state machine (default STANDARD).",
           "each type has its machine name (`SfnResume-<suffix>` for STANDARD, as in 0.1 and 0.2; "
           "`SfnResume-<suffix>-Express`): CloudFormation creates the machine of the new type, points the rule, the "
           "events role and the alarms at it, and deletes the old one last. Pauses keep their tokens (the table "
           "stays). Step Functions deletes a machine once its running executions end, and ends them at their next "
           "transition; a resume run lasts about a second and is started before the rule moves, so none is left by "
           "then in practice (`sfn-resume status` shows a hand-over left undone). A 0.2 stack whose resume machine "
           "is EXPRESS gets it renamed so on its first update",
           default="STANDARD", label="Resume workflow type", group=OPERATIONS),
    Option("eventRetentionSeconds", "EventRetentionSeconds", WholeNumber(60, MAX_TIMEOUT_SECONDS),
           "how long an early event waits for its pause, and a handed-over one is remembered (default one day).",
           "the machines' definitions, in place: items written from then on expire after the new retention",
           default=86_400, label="Event retention (seconds)", group=OPERATIONS),
    Option("logRetentionDays", "LogRetentionDays", OneOf(LOG_RETENTION_DAYS),
           "retention of the machines' log group (default 365 days).",
           "the log group, in place",
           default=365, label="Log retention (days)", group=OPERATIONS),
    Option("logLevel", "LogLevel", OneOf(LOG_LEVELS),
           "ERROR (default: failures only) or ALL (every state of every run, paid per GB).",
           "the machines' logging, in place",
           default="ERROR", label="Log level", group=OPERATIONS),
    Option("kmsKeyArn", "KmsKeyArn",
           Text(KMS_KEY_ARN_PATTERN, "a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)",
                brief="a KMS key ARN"),
           "customer managed KMS key of the table, queue, log group, alarm topic (README: its policy). Empty: AWS "
           "managed keys.",
           "the table, the queue, the log group and the alarm topic change keys in place (the key's policy must let "
           "them first: docs/SECURITY.md, Security defaults)",
           default=None, unset="none: AWS managed keys", label="KMS key ARN", group=SECURITY),
    Option("allowedStateMachineArns", "AnswerableStateMachineArns", StateMachineArns(),
           "ARNs of the workflows it may resume. Empty (default): any in this account and region.",
           "the machines' role, in place",
           default=(), unset="every state machine of the account and region", label="Workflows it may resume",
           group=SECURITY),
    Option("tags", None, Tags(),
           "tags on every taggable resource (a parent template passes them to its child stacks).",
           "the tags of every taggable resource, in place",
           default={}, unset="none"),
    Option("legacyPauseAccess", "LegacyPauseAccess", Flag(),
           "true while workflows still use 0.1's pause state, which writes the table (README: Upgrading from 0.1).",
           "the pause-state policy's statements, in place (its ARN stays)",
           default=False, label="Upgrading from 0.1", group=SECURITY),
    Option("alarms", "CreateAlarms", Flag(),
           "alarms on failed runs and undelivered events (default true; ~$1.20 a month).",
           "creates or deletes the alarms (and the stack's own topic)",
           default=True, label="Alarms", group=ALARMS),
    Option("alarmTopicArn", "AlarmTopicArn",
           Text(SNS_TOPIC_ARN_PATTERN, "an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)",
                brief="an SNS topic ARN"),
           "SNS topic the alarms notify. Empty (default): a topic of the stack's own.",
           "the alarms' actions, in place; the stack's own topic is deleted, or created when it is emptied",
           default=None, unset="none: a topic of the instance's own", label="Alarm topic ARN", group=ALARMS,
           also=_only_with_alarms),
    Option("dashboard", "CreateDashboard", Flag(),
           "a CloudWatch dashboard (default false; $3 a month).",
           "creates or deletes the dashboard",
           default=False, label="Dashboard", group=ALARMS),
)

#: The config's options (its keys, in order) and the generic template's Parameters, by name.
CONFIG_OPTIONS = {option.key: option for option in OPTIONS if option.key}
PARAMETERS = {option.parameter: option for option in OPTIONS if option.parameter}
#: Config keys that earlier versions took, and why they are gone (a config that sets one is refused, saying so).
REMOVED_KEYS = {
    "heartbeatSeconds": "removed in 0.4: nothing can send the pause a heartbeat (its task token is kept in the table "
                        "only), so a heartbeat timeout only ended the pause early; delete the key (timeoutSeconds "
                        "bounds the pause)",
}


def parameter_values(config) -> dict[str, str]:
    """The generic template's Parameter values that reproduce `config` (an InstanceConfig): what
    `--parameter-overrides` takes. A Parameter without a config key (the inert HeartbeatSeconds) keeps its default."""
    return {option.parameter: option.text(getattr(config, option.key))
            for option in OPTIONS if option.key and option.parameter}
