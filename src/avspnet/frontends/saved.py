"""A front-end as data in a model file, and back: what `predict` embeds with is what the grid's head saw.

How a front-end travels is its registry entry's `saved_as`. One whose
weights no installed package reproduces (WEIGHTS: an AV-SpNET encoder, a
recipe pre-trained on a run's background or a checkpoint) travels as its
network settings and weights (`FrontEnd.deployable`), checked against its
content hash at load (an adapter on a frozen encoder: its weights and the
name of its encoder, rebuilt from the registry: the entry's `restore`). A fixed front-end (REGISTRY: eGeMAPS, Whisper-base,
log-mel statistics) travels as its registry name and content hash, with the versions of the
packages that compute it: at load it is rebuilt from the registry and
refused if it needs an extra that is not installed (the install command is
named) or if this installation would compute other vectors (another
openSMILE, Whisper or avspnet version: its content hash differs).
A record is a dict of strings, numbers and tensors, so a model file stays
data (`torch.load(weights_only=True)`).
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from .. import __version__
from ..configio import from_dict
from ..errors import ConfigError, ModelFileError
from ..features.config import FeatureConfig
from ..models.avspnet import Encoder
from ..models.config import ModelConfig, input_mismatch
from ..models.safeload import load_weights
from .base import FrontEnd, FrontEndUnavailable
from .encoder import EncoderFrontEnd
from .registry import REGISTRY, WEIGHTS, build_by_name, entry

# Packages whose version can change a fixed front-end's vectors, recorded so a refusal names the one that differs.
VERSIONED = ("opensmile", "faster-whisper", "ctranslate2", "torch", "numpy")


def package_versions() -> dict[str, str]:
    """Installed versions of VERSIONED and avspnet (a package that is not installed is left out)."""
    versions = {"avspnet": __version__}
    for name in VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions


def not_exportable(frontend: FrontEnd) -> str | None:
    """None when `frontend_record` can save it; else why not: its registry entry says it cannot be saved, or
    what would be saved would not give it back (weights of another network than an AV-SpNET encoder, or a
    registry rebuild with other content)."""
    try:
        found = entry(frontend.name)
    except ConfigError:  # a front-end the registry does not know: nothing could rebuild it
        found = None
    saved_as = found.saved_as if found else ""
    if saved_as == WEIGHTS and (found.restore is not None or type(frontend.deployable().module) is Encoder):
        return None
    if saved_as == REGISTRY and _from_registry(frontend.name, None).content_hash() == frontend.content_hash():
        return None
    return f"front-end {frontend.name} is neither an AV-SpNET encoder nor rebuilt by name from the registry"


def encoder_record(name: str, settings: dict, weights: dict, content_hash: str | None) -> dict:
    """The record of an encoder front-end: network settings and weights (no hash in a file from before records)."""
    record = {"name": name, "kind": WEIGHTS, "settings": dict(settings), "weights": weights}
    return record if content_hash is None else {**record, "content_hash": content_hash}


def frontend_record(frontend: FrontEnd) -> dict:
    """`frontend` as data: settings and weights for an AV-SpNET encoder; registry name, content hash and package
    versions for a fixed front-end."""
    reason = not_exportable(frontend)
    if reason:
        raise ConfigError(f"cannot save {reason}")
    if entry(frontend.name).saved_as == WEIGHTS:
        deployable = frontend.deployable()
        return encoder_record(frontend.name, deployable.config, deployable.module.state_dict(),
                              frontend.content_hash())
    return {"name": frontend.name, "kind": REGISTRY, "content_hash": frontend.content_hash(),
            "versions": package_versions()}


def frontend_from_record(record: dict, features: FeatureConfig, source: str | Path,
                         cache_dir: Path | None = None) -> FrontEnd:
    """The front-end a record describes, ready to embed segments cut with `features`; a record that does not
    hold together, or that this installation cannot honour, is one line naming `source` (the model file)."""
    name, kind = record["name"], record["kind"]
    if not isinstance(name, str):
        raise TypeError("the front-end's name is not a string")
    if kind == WEIGHTS:
        return _weights(record, features, source, cache_dir)
    if kind != REGISTRY:
        raise ValueError(f"front-end kind {kind!r} is not one of {WEIGHTS}, {REGISTRY}")
    here = package_versions()
    try:
        reason = entry(name).unavailable()
    except ConfigError:
        raise ModelFileError(f"model {source}: its front-end {name!r} is not in this installation's registry (saved by "
                             f"avspnet {record.get('versions', {}).get('avspnet', '?')}, here {here['avspnet']})") from None
    if reason:
        raise FrontEndUnavailable(f"model {source}: its front-end {name} {reason}")
    frontend = _from_registry(name, cache_dir)
    if frontend is None:
        raise ValueError(f"front-end {name} is saved by name but the registry rebuilds it only with weights")
    if frontend.content_hash() != record["content_hash"]:
        differ = [f"{package} {version} ({here.get(package, 'none')} here)"
                  for package, version in record.get("versions", {}).items() if here.get(package) != version]
        raise ModelFileError(f"model {source}: its front-end {name} would compute other vectors here: made with "
                             f"{', '.join(differ) or 'another implementation'}; content {record['content_hash']} when "
                             f"saved, {frontend.content_hash()} here. Re-export the model here or install those versions")
    return frontend


def _weights(record: dict, features: FeatureConfig, source: str | Path, cache_dir: Path | None) -> FrontEnd:
    """A front-end from its saved weights: its registry entry's `restore`, else an AV-SpNET encoder."""
    try:
        restore = entry(record["name"]).restore
    except ConfigError:  # a name from another version: its weights are an AV-SpNET encoder's, as before entries
        restore = None
    frontend = (restore(record["settings"], record["weights"], Path(source), cache_dir) if restore
                else _encoder(record, features, source))
    expected = record.get("content_hash")
    if expected is not None and frontend.content_hash() != expected:
        raise ModelFileError(f"model {source}: the weights of its front-end {record['name']} are not those it was "
                             f"saved with (content {frontend.content_hash()}, recorded {expected}): the file was altered")
    return frontend


def _encoder(record: dict, features: FeatureConfig, source: str | Path) -> EncoderFrontEnd:
    settings = record["settings"]
    config = from_dict(ModelConfig, settings, "front-end settings")
    mismatch = input_mismatch(features, config)
    if mismatch:
        raise ModelFileError(f"model {source}: its {mismatch}; the file's feature settings do not fit its encoder")
    encoder = Encoder(config)
    load_weights(encoder, record["weights"], source)
    return EncoderFrontEnd(record["name"], encoder, settings)


def _from_registry(name: str, cache_dir: Path | None) -> FrontEnd | None:
    """A fixed front-end rebuilt by name; None for a name that needs weights (recipes, checkpoints) or is unknown."""
    try:
        if entry(name).saved_as != REGISTRY:
            return None
    except ConfigError:
        return None
    return build_by_name(name, cache_dir)
