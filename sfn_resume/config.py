"""The validated, frozen configuration: loading, defaults, validation and the error type.

Keys keep the CDK construct's prop names (`nameSuffix`, `pathToIdPauseTask`, ...). Every problem is collected
and reported at once, each naming the field, the bad value and what is allowed.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

import yaml

from .jsonpath import REFERENCE_PATH_PATTERN, RESULT_PATH_PATTERN
from .names import MAX_SUFFIX_LENGTH, SUFFIX_PATTERN, logical_prefix
from .patterns import pattern_problems, show

KMS_KEY_ARN_PATTERN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$"
STATE_MACHINE_ARN_PATTERN = r"^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_*-]+$"
SNS_TOPIC_ARN_PATTERN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$"

#: The construct's RemovalPolicy names that a DynamoDB table supports. CDK's SNAPSHOT has no CloudFormation
#: equivalent for a table (DeletionPolicy Snapshot is refused, cfn-lint E3035), so it gets its own message.
REMOVAL_POLICIES = ("DESTROY", "RETAIN", "RETAIN_ON_UPDATE_OR_DELETE")
WORKFLOW_TYPES = ("STANDARD", "EXPRESS")
#: The machines' log levels that AWS Control Tower accepts (CT.STEPFUNCTIONS.PR.1); ERROR logs nothing on the happy
#: path, ALL logs every state of every run (a price: README, "Performance").
LOG_LEVELS = ("ERROR", "ALL")
#: CloudWatch Logs' allowed retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
MAX_TIMEOUT_SECONDS = 31_536_000  # a year, Step Functions' longest STANDARD execution
RESERVED_TAG_PREFIX = "aws:"

class ConfigError(ValueError):
    """A user mistake: `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class InstanceConfig:
    """One pause/resume instance: one table, its resume machine(s) and rule(s)."""

    nameSuffix: str
    pathToIdPauseTask: str
    pathToIdWorkflow: str
    eventPattern: dict
    failureEventPattern: dict | None = None
    removalPolicy: str = "DESTROY"
    timeoutSeconds: int = 86_400
    heartbeatSeconds: int | None = None
    resultPath: str | None = None
    resumeWorkflowType: str = "STANDARD"
    eventRetentionSeconds: int = 86_400
    logRetentionDays: int = 365
    logLevel: str = "ERROR"
    kmsKeyArn: str | None = None
    allowedStateMachineArns: tuple = ()
    tags: dict = field(default_factory=dict)
    legacyPauseAccess: bool = False
    alarms: bool = True
    alarmTopicArn: str | None = None
    dashboard: bool = False


#: The optional keys and their defaults (documented in the README's config table), from InstanceConfig itself.
DEFAULTS = {f.name: f.default if f.default is not MISSING else f.default_factory()
            for f in fields(InstanceConfig) if f.default is not MISSING or f.default_factory is not MISSING}
REQUIRED = tuple(f.name for f in fields(InstanceConfig) if f.name not in DEFAULTS)
KEYS = REQUIRED + tuple(DEFAULTS)


@dataclass(frozen=True)
class Config:
    instances: tuple[InstanceConfig, ...]

    def instance(self, name_suffix: str) -> InstanceConfig:
        for instance in self.instances:
            if instance.nameSuffix == name_suffix:
                return instance
        raise ConfigError([f"--instance: {name_suffix!r} is not in the config; "
                           f"choose one of {', '.join(i.nameSuffix for i in self.instances)}"])


#: The file name that means standard input, for every file a command reads.
STDIN = "-"


def read_text(path: str | Path, prefix: str, noun: str = "it") -> str:
    """A user's file as text; a ConfigError starting with `prefix` when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = "it is a directory" if Path(path).is_dir() else f"{error.__class__.__name__}: {error}"
        raise ConfigError([f"{prefix}cannot read {noun} ({reason})"]) from None


def read_input(path: str | Path, prefix: str, noun: str = "it") -> str:
    """read_text, where `-` is standard input."""
    if str(path) != STDIN:
        return read_text(path, prefix, noun)
    try:
        return sys.stdin.read()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"{prefix}cannot read {noun} from standard input ({error.__class__.__name__})"]) from None


def _unique_keys(pairs: list) -> dict:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise _DuplicateKey(repeated[0])
    return dict(pairs)


class _DuplicateKey(ValueError):
    def __init__(self, key, where: str = ""):
        super().__init__(key)
        self.key, self.where = key, where


def parse_json(text: str, prefix: str):
    """JSON text as data; a ConfigError starting with `prefix`, with line and column, when it is not JSON or an
    object repeats a key (JSON parsers keep the last; a repeated key is a mistake to report, not to guess at)."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise ConfigError([f"{prefix}not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"]) from None
    except _DuplicateKey as error:
        raise ConfigError([f"{prefix}{error.key}: the key appears twice in one object; keep one"]) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with a repeated key (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                mark = key_node.start_mark
                raise _DuplicateKey(key, f" at line {mark.line + 1}, column {mark.column + 1}")
            seen.add(key)
        return super().construct_mapping(node, deep)


def parse_yaml(text: str, prefix: str):
    """YAML (or JSON) text as data; a ConfigError starting with `prefix`, with line and column, when it is not
    YAML or a mapping repeats a key."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except _DuplicateKey as error:
        raise ConfigError([f"{prefix}{error.key}: the key appears twice in one mapping{error.where}; keep one"]) from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise ConfigError([f"{prefix}not valid YAML{line}: {getattr(error, 'problem', error)}"]) from None


def check_value(key: str, value, prefix: str) -> None:
    """Validate one config value on its own (e.g. a command-line option that fills a key); a ConfigError whose
    message starts with `prefix`."""
    problems = _CHECKS[key](value, {})
    if problems:
        raise ConfigError([prefix + problem for problem in problems])


def load_config(path: str | Path) -> Config:
    """Read a YAML or JSON config file (`-`: standard input, YAML or JSON) and validate it."""
    source = "standard input" if str(path) == STDIN else str(path)
    text = read_input(path, f"{source}: ", "the config file")
    if Path(path).suffix.lower() == ".json":
        return parse_config(parse_json(text, f"{source}: "), source=source)
    return parse_config(parse_yaml(text, f"{source}: "), source=source)


def parse_config(data, source: str = "config") -> Config:
    """Validate config data (one instance, or several under `instances:`) into a frozen Config."""
    if isinstance(data, dict) and "instances" in data:
        extra = sorted(set(data) - {"instances"})
        if extra:
            raise ConfigError([f"{source}: {', '.join(extra)}: not allowed beside 'instances'; "
                               "put every instance's keys inside the 'instances' list"])
        items, prefix = data["instances"], "instances"
        if not isinstance(items, list) or not items:
            raise ConfigError([f"{source}: instances: {show(items)} is not allowed; expected a non-empty list of instances"])
    elif isinstance(data, dict):
        items, prefix = [data], None
    else:
        raise ConfigError([f"{source}: the config is {_kind(data)}; expected a mapping of keys "
                           f"({', '.join(REQUIRED)}, ...) or a mapping with an 'instances' list"])
    problems, instances = [], []
    for index, item in enumerate(items):
        where = f"{source}: {prefix}[{index}]." if prefix else f"{source}: "
        instance, instance_problems = _parse_instance(item, where)
        problems += instance_problems
        if instance:
            instances.append(instance)
    seen = {}
    for index, instance in enumerate(instances):
        key = logical_prefix(instance.nameSuffix)
        if key in seen:
            other = instances[seen[key]].nameSuffix
            problems.append(
                f"{source}: instances[{index}].nameSuffix: {instance.nameSuffix!r} is already used by "
                f"instances[{seen[key]}]; every instance needs its own nameSuffix" if other == instance.nameSuffix else
                f"{source}: instances[{index}].nameSuffix: {instance.nameSuffix!r} gives the same logical IDs as "
                f"{other!r} of instances[{seen[key]}]; suffixes must differ in their letters and digits")
        seen.setdefault(key, index)
    if problems:
        raise ConfigError(problems)
    return Config(tuple(instances))


def _kind(value) -> str:
    return {list: "a list", str: "a string", type(None): "empty"}.get(type(value), f"a {type(value).__name__}")


def _parse_instance(item, where: str) -> tuple[InstanceConfig | None, list[str]]:
    if not isinstance(item, dict):
        return None, [f"{where.rstrip('. ')}: an instance is {_kind(item)}; expected a mapping of keys"]
    problems = []
    for key in item:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; allowed keys: {', '.join(KEYS)}"
            problems.append(f"{where}{key}: unknown key{hint}")
    for key in REQUIRED:
        if item.get(key) is None:
            problems.append(f"{where}{key}: missing; this key is required")
    values = {**DEFAULTS, **{k: v for k, v in item.items() if k in KEYS and v is not None}}
    for key, check in _CHECKS.items():
        if key in values and values[key] is not None:
            problems += [f"{where}{key}{message}" for message in check(values[key], values)]
    if problems:
        return None, problems
    values["allowedStateMachineArns"] = tuple(values["allowedStateMachineArns"])
    values["tags"] = dict(values["tags"])
    return InstanceConfig(**values), []


def _matches(pattern: str, allowed: str):
    def check(value, _values):
        if isinstance(value, str) and re.fullmatch(pattern, value):
            return []
        return [f": {show(value)} is not allowed; expected {allowed}"]
    return check


def _one_of(choices):
    def check(value, _values):
        # `true in (1, 3)` holds in Python: a bool is not one of a list of numbers (nor of names)
        if value in choices and not isinstance(value, bool):
            return []
        return [f": {show(value)} is not allowed; expected one of {', '.join(map(str, choices))}"]
    return check


def _whole_number(low: int, high: int, above: str | None = None):
    def check(value, values):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return [f": {show(value)} is not allowed; expected a whole number from {low:,} to {high:,}"]
        if above and isinstance(values.get(above), int) and value >= values[above]:
            return [f": {value} is not allowed; expected a whole number below {above} ({values[above]:,})"]
        return []
    return check


def _event_pattern(value, _values) -> list[str]:
    return [message[len("pattern"):] for message in pattern_problems(value, "pattern")]


def _failure_pattern(value, values) -> list[str]:
    problems = _event_pattern(value, values)
    if not problems and value == values.get("eventPattern"):
        problems.append(": is identical to eventPattern; a failure pattern must match the job's failure events only")
    return problems


def _removal_policy(value, values) -> list[str]:
    if value == "SNAPSHOT":
        return [": 'SNAPSHOT' is not allowed: CloudFormation cannot snapshot a DynamoDB table on deletion; "
                f"expected one of {', '.join(REMOVAL_POLICIES)} (point-in-time recovery is always on)"]
    return _one_of(REMOVAL_POLICIES)(value, values)


def _boolean(value, _values) -> list[str]:
    return [] if isinstance(value, bool) else [f": {show(value)} is not allowed; expected true or false"]


def _alarm_topic_arn(value, values) -> list[str]:
    if values.get("alarms") is False:
        return [": is set while alarms is false; the topic receives the alarms' notifications only"]
    return _matches(SNS_TOPIC_ARN_PATTERN, "an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)")(
        value, values)


def _state_machine_arns(value, _values) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, str) and re.fullmatch(STATE_MACHINE_ARN_PATTERN, v) for v in value
    ):
        return [f": {show(value)} is not allowed; expected a list of state machine ARNs "
                "(arn:<partition>:states:<region>:<account>:stateMachine:<name>, '*' allowed in the name)"]
    return []


def _tags(value, _values) -> list[str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 128
                                              and len(v) <= 256 for k, v in value.items()) or len(value) > 40:
        return [f": {show(value)} is not allowed; expected a mapping of up to 40 string keys (1-128 chars) "
                "to string values (up to 256 chars)"]
    # AWS reserves the prefix for its own tags, in any case; CloudFormation refuses such a key at deploy time
    return [f".{key}: is not allowed: tag keys starting with 'aws:' are reserved by AWS; choose another key"
            for key in value if key.lower().startswith(RESERVED_TAG_PREFIX)]


_PATH_DESCRIPTION = "a plain JSONPath reference such as $.a.b or $.a[0].b (no filters, wildcards or slices)"
_CHECKS = {
    "nameSuffix": _matches(SUFFIX_PATTERN, f"1 to {MAX_SUFFIX_LENGTH} letters, digits, '-' or '_' "
                                           "(every resource name derived from it must fit its service's limit)"),
    "pathToIdPauseTask": _matches(REFERENCE_PATH_PATTERN, _PATH_DESCRIPTION),
    "pathToIdWorkflow": _matches(REFERENCE_PATH_PATTERN, _PATH_DESCRIPTION),
    "eventPattern": _event_pattern,
    "failureEventPattern": _failure_pattern,
    "removalPolicy": _removal_policy,
    "timeoutSeconds": _whole_number(1, MAX_TIMEOUT_SECONDS),
    "heartbeatSeconds": _whole_number(1, MAX_TIMEOUT_SECONDS, above="timeoutSeconds"),
    "resultPath": _matches(RESULT_PATH_PATTERN, "$ or a JSONPath such as $.a.b (no array index), or null to discard"),
    "resumeWorkflowType": _one_of(WORKFLOW_TYPES),
    "eventRetentionSeconds": _whole_number(60, MAX_TIMEOUT_SECONDS),
    "logRetentionDays": _one_of(LOG_RETENTION_DAYS),
    "logLevel": _one_of(LOG_LEVELS),
    "kmsKeyArn": _matches(KMS_KEY_ARN_PATTERN, "a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)"),
    "allowedStateMachineArns": _state_machine_arns,
    "tags": _tags,
    "legacyPauseAccess": _boolean,
    "alarms": _boolean,
    "alarmTopicArn": _alarm_topic_arn,
    "dashboard": _boolean,
}
