"""The bridge registry: each bridge fills one numbered moto gap (docs/EMULATOR.md) and can be installed and undone.

Every bridge touches moto internals, so installing one first checks that moto is the pinned version (the gaps were
measured on it); a newer moto must be re-checked with tests/local/test_gaps.py.

One patch per target: a bridge replaces an attribute with `Patches.set`, and a second bridge that needs the same
target fails to install; bridges that must both act on one function (moto's recursive `clean_json`) add layers to
it with `Patches.wrap`, which installs a single dispatcher composing the layers installed now, so removing one
bridge (as a gap test does) leaves the others in place.
"""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, Callable, Iterable, Iterator

PINNED_MOTO_VERSION = "5.2.5"

_MISSING = object()


class MotoVersionError(RuntimeError):
    """moto is not the version the bridges were written against."""


class PatchConflict(RuntimeError):
    """Two bridges replace the same attribute (each would undo the other): compose them with `Patches.wrap`."""


def require_pinned_moto() -> None:
    found = version("moto")
    if found != PINNED_MOTO_VERSION:
        raise MotoVersionError(
            f"sfn_resume.local bridges are written for moto=={PINNED_MOTO_VERSION}, found moto=={found}: "
            "re-run tests/local/test_gaps.py and re-pin"
        )


def _own_value(owner: Any, name: str) -> Any:
    return owner.__dict__.get(name, _MISSING) if hasattr(owner, "__dict__") else _MISSING


def _restore(owner: Any, name: str, original: Any) -> None:
    if original is _MISSING:
        delattr(owner, name)
    else:
        setattr(owner, name, original)


class _Layers:
    """The one patch on a wrapped target: a dispatcher that calls the target's layers, the last added outermost,
    around the original. Each layer is `layer(inner, *args, **kwargs)`; `inner` is the next one in."""

    def __init__(self, owner: Any, name: str) -> None:
        self.owner, self.name = owner, name
        self.original = _own_value(owner, name)
        if isinstance(self.original, (staticmethod, classmethod)) or not callable(getattr(owner, name)):
            raise TypeError(f"{name}: only functions and plain methods can be wrapped")
        self.base = getattr(owner, name)  # what calls reach when no layer is left (maybe inherited)
        self.layers: list[Callable] = []
        self.composed = self.base
        layers = self

        def dispatch(*args: Any, **kwargs: Any) -> Any:
            return layers.composed(*args, **kwargs)

        setattr(owner, name, dispatch)

    def _compose(self) -> None:
        composed = self.base
        for layer in self.layers:
            composed = (lambda inner, outer: lambda *a, **k: outer(inner, *a, **k))(composed, layer)
        self.composed = composed

    def add(self, layer: Callable) -> None:
        self.layers.append(layer)
        self._compose()

    def remove(self, layer: Callable) -> bool:
        """Remove one layer; True when none is left (the target then gets its original back)."""
        self.layers.remove(layer)
        self._compose()
        if not self.layers:
            _restore(self.owner, self.name, self.original)
        return not self.layers


#: (id(owner), name) -> the bridge layers of a wrapped target, or None for a target replaced by `Patches.set`.
_TARGETS: dict[tuple[int, str], _Layers | None] = {}


class Patches:
    """One bridge's attribute replacements and layers, undone in reverse order."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def set(self, owner: Any, name: str, value: Any) -> Any:
        """Replace `owner.name` with `value`; returns what was there."""
        target = (id(owner), name)
        if target in _TARGETS:
            raise PatchConflict(f"{getattr(owner, '__name__', owner)}.{name} is patched by another bridge already")
        original = _own_value(owner, name)
        _TARGETS[target] = None
        setattr(owner, name, value)

        def undo() -> None:
            _restore(owner, name, original)
            _TARGETS.pop(target, None)

        self._undo.append(undo)
        return original

    def wrap(self, owner: Any, name: str, layer: Callable) -> None:
        """Add `layer(inner, *args, **kwargs)` around the function `owner.name`, with any other bridge's layers."""
        target = (id(owner), name)
        if target not in _TARGETS:
            _TARGETS[target] = _Layers(owner, name)
        layers = _TARGETS[target]
        if layers is None:
            raise PatchConflict(f"{getattr(owner, '__name__', owner)}.{name} is replaced by another bridge (set)")
        layers.add(layer)

        def undo() -> None:
            if layers.remove(layer):
                _TARGETS.pop(target, None)

        self._undo.append(undo)

    def set_item(self, mapping: dict, key: Any, value: Any = _MISSING) -> None:
        """Replace (or, without a value, remove) one key of a module-level dict."""
        original = mapping.get(key, _MISSING)
        if value is _MISSING:
            mapping.pop(key, None)
        else:
            mapping[key] = value

        def undo() -> None:
            if original is _MISSING:
                mapping.pop(key, None)
            else:
                mapping[key] = original

        self._undo.append(undo)

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()


@dataclass(frozen=True)
class Bridge:
    """One moto gap (its number in docs/EMULATOR.md) and the function that fills it."""

    name: str
    gap: str
    apply: Callable[[Patches], None]


_REGISTRY: dict[str, Bridge] = {}
_installed: dict[str, Patches] = {}
_lock = threading.Lock()


def bridge(name: str, gap: str) -> Callable[[Callable[[Patches], None]], Callable[[Patches], None]]:
    """Register `apply(patches)` as the bridge `name` for `gap`."""

    def register(apply: Callable[[Patches], None]) -> Callable[[Patches], None]:
        _REGISTRY[name] = Bridge(name=name, gap=gap, apply=apply)
        return apply

    return register


def registered() -> dict[str, Bridge]:
    return dict(_REGISTRY)


def install(names: Iterable[str] | None = None) -> Callable[[], None]:
    """Install the named bridges (all when None); returns an undo for those this call installed."""
    require_pinned_moto()
    chosen = list(_REGISTRY) if names is None else list(names)
    unknown = [n for n in chosen if n not in _REGISTRY]
    if unknown:
        raise KeyError(f"unknown bridges {unknown}; known: {sorted(_REGISTRY)}")
    mine: list[str] = []
    with _lock:
        for name in chosen:
            if name in _installed:
                continue
            patches = Patches()
            try:
                _REGISTRY[name].apply(patches)
            except Exception:
                patches.undo()
                raise
            _installed[name] = patches
            mine.append(name)

    def undo() -> None:
        with _lock:
            for name in reversed(mine):
                patches = _installed.pop(name, None)
                if patches is not None:
                    patches.undo()

    return undo


def installed_names() -> list[str]:
    return list(_installed)


@contextlib.contextmanager
def bridges(names: Iterable[str] | None = None) -> Iterator[None]:
    """Context manager form of install()."""
    undo = install(names)
    try:
        yield
    finally:
        undo()


@contextlib.contextmanager
def without(names: Iterable[str]) -> Iterator[None]:
    """Temporarily remove installed bridges (for the gap tests); re-installs them afterwards."""
    removed: list[str] = []
    with _lock:
        for name in names:
            patches = _installed.pop(name, None)
            if patches is not None:
                patches.undo()
                removed.append(name)
    try:
        yield
    finally:
        install(removed)
