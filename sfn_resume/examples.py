"""The examples catalogue, read from the `examples/` folder shipped beside this module: one folder per AWS service (config.yaml, state.json,
events/), read by `sfn-resume init` and the demo. The repository's `examples/` is the same folder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from . import __version__
from .config import ConfigError, check_value

EXAMPLES = files("sfn_resume") / "examples"
_NAME_SUFFIX_LINE = re.compile(r"^nameSuffix: .*$", re.M)


@dataclass(frozen=True)
class Service:
    name: str  # the folder: `init NAME`
    title: str  # the config's first comment line
    folder: Traversable

    @property
    def config_text(self) -> str:
        return (self.folder / "config.yaml").read_text(encoding="utf-8")

    def event(self, kind: str) -> str:
        """A sample event's JSON text: kind is success, failure or unmatched."""
        return (self.folder / "events" / f"{kind}.json").read_text(encoding="utf-8")


def _is_service(folder: Traversable) -> bool:
    """A service's folder has sample events (examples/two-services, a config of two services, has none)."""
    return (folder / "events").is_dir()


def _service(folder: Traversable) -> Service:
    first_line = (folder / "config.yaml").read_text(encoding="utf-8").splitlines()[0]
    return Service(folder.name, first_line.lstrip("# ").strip(), folder)


def services() -> dict[str, Service]:
    """Every service of the catalogue, by name."""
    return {folder.name: _service(folder) for folder in sorted(EXAMPLES.iterdir(), key=lambda f: f.name)
            if _is_service(folder)}


def service(name: str) -> Service:
    folder = EXAMPLES / name
    if "/" in name or not _is_service(folder):
        raise ConfigError([f"SERVICE: {name!r} is not in the catalogue; choose one of {', '.join(services())} "
                           "(`sfn-resume init --list` says what each is)"])
    return _service(folder)


def starting_config(name: str, name_suffix: str | None = None) -> str:
    """The commented starting config for service `name`, with `name_suffix` as its nameSuffix when given."""
    text = service(name).config_text
    if name_suffix is not None:
        check_value("nameSuffix", name_suffix, "--name")
        text = _NAME_SUFFIX_LINE.sub(f"nameSuffix: {name_suffix}", text, count=1)
    return (f"# Written by `sfn-resume init {name}` (sfn-resume {__version__}) from its examples catalogue, where\n"
            f"# examples/{name}/events/ holds sample events. Check this file against one of your job's events:\n"
            f"#   sfn-resume check THIS_FILE --event EVENT.json\n"
            f"#\n{text}")
