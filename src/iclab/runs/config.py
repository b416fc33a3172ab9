"""Run configs: one YAML file names an analysis and its grid; ``expand`` turns it into cells.

A config looks like::

    analysis: prompt-stats          # a registered analysis
    name: k-sweep                   # optional, for logs and W&B
    imports: [my_project.analyses]  # optional modules that register more analyses
    grid:                           # every combination of these values is one cell
      model: [gemma-3-270m, smollm2-135m]
      shots: [0, 4, 16]
      seed: [1, 2]
    params:                         # fixed settings shared by every cell
      task: sst2-tiny

Each :class:`Cell` is the merged ``grid`` values and ``params`` after the analysis's own schema
has checked them (defaults filled in), with a stable id: a hash of that canonical JSON, the
analysis name and :data:`SCHEMA_VERSION`. The same cell always gets the same id, so a store can
tell which cells are finished.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from iclab.errors import IclabError

SCHEMA_VERSION = 1
"""Version of the cell-id scheme; bump it only when the meaning of a cell changes."""

MAX_CELLS = 1_000_000
"""Grids larger than this are refused: almost always a mistake in the config."""

Scalar = str | int | float | bool | None


class ConfigError(IclabError):
    """A run config is malformed, names an unknown analysis, or describes an impossible grid."""


class RunConfig(BaseModel):
    """The validated content of a run config file (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    analysis: str = Field(min_length=1)
    grid: dict[str, list[Scalar]] = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    name: str | None = None
    description: str = ""
    imports: list[str] = Field(default_factory=list)

    @field_validator("grid")
    @classmethod
    def _axes_nonempty_and_distinct(cls, grid: dict[str, list[Scalar]]) -> dict[str, list[Scalar]]:
        for axis, values in grid.items():
            if not values:
                raise ValueError(f"axis {axis!r} is empty, so the grid has no cells")
            seen = [canonical_json(v) for v in values]
            dupes = sorted({s for s in seen if seen.count(s) > 1})
            if dupes:
                raise ValueError(f"axis {axis!r} repeats the value(s) {', '.join(dupes)}")
        return grid

    def n_cells(self) -> int:
        """The number of cells of the grid (product of the axis lengths)."""
        return math.prod(len(v) for v in self.grid.values())


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace; refuses NaN/inf (they have no stable form)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def cell_id(analysis: str, config: Mapping[str, Any]) -> str:
    """The stable id of a cell: 16 hex digits of a hash of its analysis, config and schema."""
    blob = canonical_json({"analysis": analysis, "config": dict(config), "schema": SCHEMA_VERSION})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class Cell(Mapping[str, Any]):
    """One grid cell: a frozen mapping of its config, with its analysis, id and grid position."""

    __slots__ = ("_config", "analysis", "id", "index")

    def __init__(self, analysis: str, config: Mapping[str, Any], index: int = 0) -> None:
        self._config = MappingProxyType(json.loads(canonical_json(dict(config))))
        self.analysis = analysis
        self.index = index
        self.id = cell_id(analysis, self._config)

    def __getitem__(self, key: str) -> Any:
        return self._config[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._config)

    def __len__(self) -> int:
        return len(self._config)

    def __hash__(self) -> int:
        return hash(self.id)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Cell):
            return self.id == other.id
        return NotImplemented

    def __repr__(self) -> str:
        return f"Cell({self.analysis!r}, {dict(self._config)!r}, id={self.id!r})"

    def to_dict(self) -> dict[str, Any]:
        """A plain (mutable, deep) copy of the config."""
        return json.loads(canonical_json(dict(self._config)))


def _format_validation(source: str, exc: ValidationError, prefix: str = "") -> str:
    """One line per pydantic error, each naming the file and the dotted key."""
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{source}: {key or '(top level)'}: {msg}")
    return "\n".join(lines)


def parse_config(data: Any, source: str = "<config>") -> RunConfig:
    """Validate a config already parsed from YAML; errors name ``source`` and the key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a run config must be a mapping with an 'analysis' and a "
                          f"'grid', got {type(data).__name__}")
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(source, exc)) from None
    clash = sorted(set(config.grid) & set(config.params))
    if clash:
        raise ConfigError(f"{source}: params.{clash[0]}: also a grid axis; set it in one place")
    if config.n_cells() > MAX_CELLS:
        raise ConfigError(f"{source}: grid: {config.n_cells():,} cells is more than the limit "
                          f"of {MAX_CELLS:,}; split the sweep into several configs")
    for module in config.imports:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ConfigError(f"{source}: imports: cannot import {module!r}: {exc}") from None
    return config


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a YAML run config.

    Raises:
        ConfigError: missing file, invalid YAML, unknown or mistyped keys, empty axes.
    """
    path = Path(path)
    try:
        data_bytes = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read run config {path}: {exc.strerror or exc}") from None
    try:
        text = data_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data_bytes[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: cannot decode as utf-8 ({exc.reason}); save the "
                          "config as UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: invalid YAML{line}: {problem}") from None
    return parse_config(data, str(path))


def expand(config: RunConfig, source: str = "<config>") -> list[Cell]:
    """Expand a config into its cells, in grid order (last axis varies fastest).

    Every cell is checked by the analysis's schema (when it has one), so an impossible cell is
    reported before anything runs.

    Raises:
        ConfigError: unknown analysis, or a cell the analysis's schema rejects.
    """
    from iclab.runs.registry import get_analysis

    try:
        analysis = get_analysis(config.analysis)
    except KeyError as exc:
        raise ConfigError(f"{source}: analysis: {exc.args[0]}") from None
    axes = list(config.grid)
    cells = []
    for index, values in enumerate(itertools.product(*(config.grid[a] for a in axes))):
        raw = {**config.params, **dict(zip(axes, values))}
        try:
            cells.append(Cell(analysis.name, _normalize(analysis, raw, axes, source), index))
        except ValueError as exc:  # NaN/inf have no canonical JSON, so no stable cell id
            raise ConfigError(f"{source}: params: {exc} (in {raw!r})") from None
    return cells


def _normalize(analysis: Any, raw: dict[str, Any], axes: list[str], source: str) -> dict:
    """Apply the analysis's cell schema; name the grid/params key of any error."""
    if analysis.cell_schema is None:
        return raw
    try:
        return analysis.cell_schema.model_validate(raw).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]["loc"]
        section = "grid" if first and first[0] in axes else "params"
        shown = {k: raw[k] for k in axes}
        message = _format_validation(source, exc, prefix=section)
        raise ConfigError(f"{message}\n  (in the cell {canonical_json(shown)})") from None
