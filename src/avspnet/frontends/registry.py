"""The front-end registry: one registration per front-end declares what it is and how to build it.

As lhotse's `register_extractor` does for feature extractors, everything the
rest of the toolkit asks of a front-end is said once, beside it: its name,
kind, dimension (derived from its settings, never typed by hand), cost,
availability, whether it learns from a background, whether `export` can save
it for `predict`, and how to build it (and time it) from a `BuildContext`.
The runner, the estimate, the config and export ask the entry; none tests a
name. A family (the eight recipes) registers in a loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..content import default_cache_dir
from ..errors import ConfigError
from ..features.config import FeatureConfig
from ..training.device import Runtime
from .base import FrontEnd, FrontEndUnavailable

# What a front-end takes from the run's background corpora.
NO_BACKGROUND = "none"
# Input statistics only (R): without a background corpus the fold's training speakers stand in.
INPUT_STATISTICS = "input statistics"
# Proxy labels: a background corpus is required.
PROXY_LABELS = "proxy labels"
# Proxy labels of the target itself (gold labels hidden): built per fold from its training utterances only.
IN_DOMAIN = "in-domain proxy labels"
BACKGROUND_USES = (NO_BACKGROUND, INPUT_STATISTICS, PROXY_LABELS, IN_DOMAIN)
# How `export` saves a front-end for `predict` (frontends.saved): its network settings and weights
# (`FrontEnd.deployable`), or its registry name (rebuilt at load, checked by content hash); "" cannot be saved.
WEIGHTS, REGISTRY = "weights", "registry"
SAVED_AS = ("", WEIGHTS, REGISTRY)


def _no_target() -> Any:
    raise ConfigError("an in-domain front-end learns from an experiment's target: name it in an experiment")


@dataclass(frozen=True)
class BuildContext:
    """What building a front-end may use: the run's settings sections (an entry sees its own as `settings`),
    the background (built on its first call, so a run of baselines never builds one), the cache, the runtime,
    and the target utterances an in-domain front-end may learn from, as a background (gold labels hidden,
    proxy labels): all of them for the whole-target build, a fold's training utterances per fold."""

    sections: Mapping[str, Any]
    background: Callable[[], Any]
    cache_dir: Path
    runtime: Runtime
    progress: bool = True
    in_domain: Callable[[], Any] = _no_target
    # Set by `build` for the entry at hand: the name as configured (checkpoint:PATH keeps its path), its settings.
    name: str = ""
    settings: Any = None


def _available() -> str | None:
    return None


def _untrained(context: BuildContext) -> float:
    return 0.0


@dataclass(frozen=True)
class Entry:
    """One front-end (or, with `prefix`, a parameterised family such as checkpoint:PATH) as the registry knows it."""

    name: str
    kind: str
    summary: str
    cost: str
    build: Callable[[BuildContext], FrontEnd]
    # Vector size under its settings (None: the settings section's defaults); None when only a built one knows it.
    dim: Callable[[Any], int | None]
    # The run's settings section it reads ("pretrain"), "" for none.
    settings: str = ""
    background: str = NO_BACKGROUND
    # How `export` saves it with a head for `predict` (WEIGHTS, REGISTRY; "" not at all).
    saved_as: str = ""
    # None when usable here, else why not and how to install it.
    unavailable: Callable[[], str | None] = _available
    # Names starting with `prefix` select this entry; what follows is a path (resolved against the config file).
    prefix: str = ""
    # Pre-flight of a configured name against the run's features (e.g. a checkpoint that cannot take them).
    check: Callable[[str, FeatureConfig], None] | None = None
    # For the estimate: upper-bound seconds of training before it can embed (0 when cached or untrained) ...
    training_seconds: Callable[[BuildContext], float] = _untrained
    # ... and a front-end that embeds at its cost without that training (None: `build` itself is cheap).
    stand_in: Callable[[BuildContext], FrontEnd] | None = None
    # How `predict` rebuilds a WEIGHTS front-end from its saved (settings, weights, model file, cache dir); None:
    # an AV-SpNET encoder (frontends.saved).
    restore: Callable[[dict, dict, Path, Path | None], FrontEnd] | None = None

    def __post_init__(self) -> None:
        if self.background not in BACKGROUND_USES:
            raise ValueError(f"front-end {self.name}: background must be one of {BACKGROUND_USES}")
        if self.saved_as not in SAVED_AS:
            raise ValueError(f"front-end {self.name}: saved_as must be one of {SAVED_AS}")
        if self.saved_as == REGISTRY and (self.settings or self.background != NO_BACKGROUND or self.prefix):
            raise ValueError(f"front-end {self.name}: only a front-end built from its name alone is saved by name")

    @property
    def exportable(self) -> bool:
        """`export` can save it with a head for `predict`."""
        return bool(self.saved_as)

    @property
    def needs_background(self) -> bool:
        """It learns from proxy labels, so an experiment must name background corpora."""
        return self.background == PROXY_LABELS

    @property
    def statistics_only(self) -> bool:
        """It learns nothing from data but its input statistics (R)."""
        return self.background == INPUT_STATISTICS

    @property
    def uses_background(self) -> bool:
        """It reads the experiment's background corpora (or, for R without them, the target's statistics)."""
        return self.background in (INPUT_STATISTICS, PROXY_LABELS)

    @property
    def in_domain(self) -> bool:
        """It learns from the target's own proxy labels, so it is built per fold from the fold's training side."""
        return self.background == IN_DOMAIN

    def matches(self, name: str) -> bool:
        return name.startswith(self.prefix) if self.prefix else name == self.name

    def argument(self, name: str) -> str:
        """What follows the prefix of a parameterised name ('' for a plain entry)."""
        return name.removeprefix(self.prefix) if self.prefix else ""

    def context(self, name: str, context: BuildContext) -> BuildContext:
        """`context` for this entry: its configured name and its own settings section."""
        return replace(context, name=name, settings=context.sections.get(self.settings) if self.settings else None)


_REGISTRY: dict[str, Entry] = {}


def register(new: Entry) -> Entry:
    """Add a front-end; a name (or prefix) taken twice is a programming error, said at import."""
    if new.name in _REGISTRY or any(new.prefix and other.prefix == new.prefix for other in _REGISTRY.values()):
        raise ValueError(f"front-end {new.name} is registered twice")
    _REGISTRY[new.name] = new
    return new


def registered(kind: str, summary: str, cost: str, unavailable: Callable[[], str | None] = _available):
    """Class decorator for a front-end with no settings and no training: its entry is named by the class's
    `name`, sized by its `dim`, built as `cls()` and saved for `predict` by name."""
    def decorate(cls: type[FrontEnd]) -> type[FrontEnd]:
        register(Entry(cls.name, kind, summary, cost, build=lambda context: cls(), dim=lambda settings: cls.dim,
                       saved_as=REGISTRY, unavailable=unavailable))
        return cls
    return decorate


def entries() -> tuple[Entry, ...]:
    """Every registered front-end, in registration order."""
    return tuple(_REGISTRY.values())


def entry(name: str) -> Entry:
    """The registry entry of a front-end name; an unknown name lists the known ones."""
    for candidate in _REGISTRY.values():
        if candidate.matches(name):
            return candidate
    raise ConfigError(f"unknown front-end {name!r}; known: {', '.join(_REGISTRY)}")


def check(names: tuple[str, ...], features: FeatureConfig) -> None:
    """Fail before any work: unknown names, missing extras (with the install command), and what each entry's
    own pre-flight refuses (a checkpoint that cannot be read or does not take the segments `features` cut)."""
    for name in names:
        found = entry(name)
        reason = found.unavailable()
        if reason:
            raise FrontEndUnavailable(f"front-end {name} {reason}")
        if found.check is not None:
            found.check(name, features)


def build_by_name(name: str, cache_dir: Path | None = None) -> FrontEnd:
    """A front-end built from its name alone (no settings, no background: what REGISTRY saves rely on), its
    cached parts under `cache_dir` (default the user's cache)."""
    return build(name, BuildContext({}, lambda: None, Path(cache_dir or default_cache_dir()),
                                    Runtime.resolve("cpu", "fp32"), progress=False))


def build(name: str, context: BuildContext) -> FrontEnd:
    """A ready front-end (a recipe pre-trained on `context.background()`, a checkpoint loaded, a baseline made)."""
    found = entry(name)
    return found.build(found.context(name, context))
