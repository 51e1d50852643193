"""The examples catalogue, read from the `examples/` folder the package ships beside this module: one folder per
AWS service (config.yaml, state.json, events/, sometimes workflow.json), and two-services/ (one config of two
instances). `sfn-resume init` and the demo read it; the repository's `examples/` is the same folder."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from . import __version__
from .config import ConfigError, check_value

EXAMPLES = files("sfn_resume") / "examples"
_NAME_SUFFIX_LINE = re.compile(r"^nameSuffix: .*$", re.M)
#: A service's samples, as `init --with-samples` writes them beside the config: the catalogue's own layout.
SAMPLE_FILES = ("events/success.json", "events/failure.json", "events/unmatched.json", "state.json", "workflow.json")


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

    def samples(self) -> dict[str, str]:
        """{path relative to the config: text} of the service's samples (none for a config of several services)."""
        return {name: (self.folder / name).read_text(encoding="utf-8") for name in SAMPLE_FILES
                if (self.folder / name).is_file()}


def _is_service(folder: Traversable) -> bool:
    """A service's folder has sample events (examples/two-services, a config of two services, has none)."""
    return (folder / "events").is_dir()


def _is_example(folder: Traversable) -> bool:
    return (folder / "config.yaml").is_file()


def _service(folder: Traversable) -> Service:
    first_line = (folder / "config.yaml").read_text(encoding="utf-8").splitlines()[0]
    return Service(folder.name, first_line.lstrip("# ").strip(), folder)


def _folders() -> list[Traversable]:
    return sorted((folder for folder in EXAMPLES.iterdir() if _is_example(folder)), key=lambda f: f.name)


def services() -> dict[str, Service]:
    """Every service of the catalogue, by name."""
    return {folder.name: _service(folder) for folder in _folders() if _is_service(folder)}


def examples() -> dict[str, Service]:
    """Every config of the catalogue, by name: the services, then the configs of several services."""
    every = {folder.name: _service(folder) for folder in _folders()}
    return dict(sorted(every.items(), key=lambda item: (not _is_service(item[1].folder), item[0])))


def service(name: str) -> Service:
    """The catalogue's config `name` (a service, or two-services); a ConfigError suggesting the nearest name."""
    folder = EXAMPLES / name
    if "/" not in name and _is_example(folder):
        return _service(folder)
    known = [folder.name for folder in _folders()]
    close = [known[[k.lower() for k in known].index(name.lower())]] if name.lower() in map(str.lower, known) else \
        difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else f"choose one of {', '.join(known)} "
    raise ConfigError([f"SERVICE: {name!r} is not in the catalogue; {hint}(`sfn-resume init --list` lists them)"])


def starting_config(name: str, name_suffix: str | None = None, with_samples: bool = False) -> str:
    """The commented starting config for service `name`, with `name_suffix` as its nameSuffix when given, and a
    header saying where its samples are (beside it, when `with_samples`)."""
    example = service(name)
    text = example.config_text
    if name_suffix is not None:
        if not _NAME_SUFFIX_LINE.search(text):
            raise ConfigError([f"--name: {name!r} is a config of several instances; set each one's nameSuffix in the "
                               "file it writes"])
        check_value("nameSuffix", name_suffix, "--name")
        text = _NAME_SUFFIX_LINE.sub(f"nameSuffix: {name_suffix}", text, count=1)
    samples = example.samples()
    header = [f"# Written by `sfn-resume init {name}{' --with-samples' if with_samples else ''}` "
              f"(sfn-resume {__version__}) from its examples catalogue."]
    if not samples:
        header.append("# Its services' samples: `sfn-resume init SERVICE --with-samples -o FILE` for each of them.")
    elif with_samples:
        header += ["# Its samples are beside this file: " + ", ".join(samples) + ".",
                   "# Check this file against them (paths relative to this file's folder), then against your job's:",
                   "#   sfn-resume check THIS_FILE --event events/success.json --state state.json"]
    else:
        header += [f"# Sample events and state: `sfn-resume init {name} --with-samples -o FILE` writes them beside "
                   "FILE.", "# Check this file against one of your job's events:",
                   "#   sfn-resume check THIS_FILE --event EVENT.json --state STATE.json"]
    return "\n".join(header) + "\n#\n" + text
