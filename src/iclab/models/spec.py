"""Parse the strings users give for a model into a :class:`ModelSpec`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from iclab.errors import ModelSpecError
from iclab.models.bundled import BUNDLED

SpecKind = Literal["bundled", "hub", "local", "gguf"]

ACCEPTED_FORMS = (
    "a bundled name (" + ", ".join(BUNDLED) + "); "
    "a Hugging Face hub id with optional revision (EleutherAI/pythia-410m@step4000); "
    "a local directory of a saved HF model; or a path to a .gguf file"
)
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")


@dataclass(frozen=True)
class ModelSpec:
    """A resolved model specification.

    Attributes:
        kind: ``bundled``, ``hub``, ``local`` or ``gguf``.
        name: the bundled name, the hub id, or the resolved path.
        revision: hub revision (branch, tag, commit; Pythia ``step4000``) or None.
    """

    kind: SpecKind
    name: str
    revision: str | None = None


def parse_spec(spec: str) -> ModelSpec:
    """Resolve a model specification string.

    Args:
        spec: bundled name, ``org/name[@revision]``, local model directory or ``.gguf`` path.

    Returns:
        The resolved :class:`ModelSpec`.

    Raises:
        ModelSpecError: the string matches no accepted form, or names a missing file.
    """
    spec = spec.strip()
    if spec in BUNDLED:
        return ModelSpec("bundled", spec)
    path = Path(spec).expanduser()
    if spec.lower().endswith(".gguf"):
        if not path.is_file():
            raise ModelSpecError(f"GGUF file not found: {spec}")
        return ModelSpec("gguf", str(path.resolve()))
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelSpecError(
                f"directory {spec} is not a saved Hugging Face model (no config.json in it)"
            )
        return ModelSpec("local", str(path.resolve()))
    name, _, revision = spec.rpartition("@") if "@" in spec else (spec, "", "")
    if revision and Path(name).expanduser().is_dir():
        # a local directory of checkpoints: DIR@step4000 is DIR/step4000 (like a hub revision)
        return _local_checkpoint(Path(name).expanduser(), revision)
    looks_like_path = spec.startswith((".", "/", "~")) or path.exists()
    if not looks_like_path and _HUB_ID.match(name) and "/" in name:
        if "@" in spec and not revision:
            raise ModelSpecError(f"empty revision after '@' in model spec {spec!r}")
        return ModelSpec("hub", name, revision or None)
    what = "no such directory or file" if looks_like_path else "unknown model"
    raise ModelSpecError(f"{what}: {spec!r}. Accepted forms: {ACCEPTED_FORMS}")


def _local_checkpoint(root: Path, revision: str) -> ModelSpec:
    """``ROOT@REV``: the checkpoint directory ``ROOT/REV`` of a local series."""
    target = root / revision
    if not (target / "config.json").is_file():
        found = sorted(p.name for p in root.iterdir() if (p / "config.json").is_file())
        raise ModelSpecError(f"no checkpoint {revision!r} in {root} (a saved model needs "
                             f"{target}/config.json); checkpoints there: {found or 'none'}")
    return ModelSpec("local", str(target.resolve()))
