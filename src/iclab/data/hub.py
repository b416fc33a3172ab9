"""Loading from the Hugging Face hub: ``datasets`` is an optional extra, imported lazily."""

from __future__ import annotations

from typing import Any

from iclab.errors import DataError

__all__ = ["hub_rows"]


def _load_dataset() -> Any:
    try:
        from datasets import load_dataset
    except ImportError:
        raise DataError(
            "this task is not available locally and loading it from the Hugging Face hub needs "
            "the optional 'datasets' package: pip install 'iclab[hub]' (or set ICLAB_DATA_DIR "
            "to a directory with a local copy)"
        ) from None
    return load_dataset


def hub_rows(dataset_id: str, config: str | None = None, *, split: str,
             revision: str | None = None) -> list[dict[str, Any]]:
    """Return the rows of one split of a hub dataset as plain dicts, in the hub's order.

    Class-label columns are returned as their label *names* (``-1``, "no label", as None), so
    rows from the hub and from local files share one schema.

    Args:
        dataset_id: hub id, e.g. ``"nyu-mll/glue"``.
        config: configuration name, e.g. ``"sst2"``.
        split: split name, e.g. ``"train"``.
        revision: optional git revision of the dataset repository.

    Raises:
        DataError: ``datasets`` is not installed, or the dataset/split could not be loaded.
    """
    load_dataset = _load_dataset()
    where = dataset_id + (f"/{config}" if config else "") + f"[{split}]"
    try:
        data = load_dataset(dataset_id, config, split=split, revision=revision)
    except Exception as exc:  # network, missing config, script-based datasets, ...
        raise DataError(f"could not load {where} from the Hugging Face hub: {exc}") from exc
    names = {
        column: feature.names
        for column, feature in getattr(data, "features", {}).items()
        if hasattr(feature, "names") and hasattr(feature, "int2str")
    }
    rows = []
    for row in data:
        row = dict(row)
        for column, label_names in names.items():
            value = row.get(column)
            if isinstance(value, int):
                row[column] = label_names[value] if 0 <= value < len(label_names) else None
        rows.append(row)
    return rows
