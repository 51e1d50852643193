"""The validated, frozen configuration: loading, defaults, validation and the error type.

Keys keep the CDK construct's prop names (`nameSuffix`, `pathToIdPauseTask`, ...); each is declared once, with its
type, default and checks, in the table of options (options.py). Every problem is collected and reported at once,
each naming the field, the bad value and what is allowed.
"""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path

import yaml

from .names import logical_prefix
from .options import CONFIG_OPTIONS, REMOVED_KEYS
from .patterns import show


class ConfigError(ValueError):
    """A user mistake: `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _field(option):
    if option.required:
        return field()
    if isinstance(option.default, dict):
        return field(default_factory=dict)
    return field(default=option.default)


#: One pause/resume instance: one table, its resume machine(s) and rule(s). Its fields are the config's keys, from
#: the table of options (options.py): a key's type, default and checks are declared there once.
InstanceConfig = make_dataclass(
    "InstanceConfig",
    [(key, option.kind.python_type if option.required else option.kind.python_type | None, _field(option))
     for key, option in CONFIG_OPTIONS.items()],
    frozen=True)
InstanceConfig.__module__ = __name__
InstanceConfig.__doc__ = "One pause/resume instance: one table, its resume machine(s) and rule(s) (options.OPTIONS)."

#: The optional keys and their defaults, the required keys, and all keys, in the table's order.
DEFAULTS = {key: option.default for key, option in CONFIG_OPTIONS.items() if not option.required}
REQUIRED = tuple(key for key, option in CONFIG_OPTIONS.items() if option.required)
KEYS = tuple(CONFIG_OPTIONS)


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
    problems = CONFIG_OPTIONS[key].problems(value, {})
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
        if key in REMOVED_KEYS:
            problems.append(f"{where}{key}: {REMOVED_KEYS[key]}")
        elif key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; allowed keys: {', '.join(KEYS)}"
            problems.append(f"{where}{key}: unknown key{hint}")
    for key in REQUIRED:
        if item.get(key) is None:
            problems.append(f"{where}{key}: missing; this key is required")
    values = {**DEFAULTS, **{k: v for k, v in item.items() if k in KEYS and v is not None}}
    for key, option in CONFIG_OPTIONS.items():
        if values.get(key) is not None:
            problems += [f"{where}{key}{message}" for message in option.problems(values[key], values)]
    if problems:
        return None, problems
    return InstanceConfig(**{key: CONFIG_OPTIONS[key].kind.stored(value) if value is not None else None
                             for key, value in values.items()}), []
