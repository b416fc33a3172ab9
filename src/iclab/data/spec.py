"""Generic task specs: bring any dataset as a YAML or JSON file, no code.

Example (``my-news.yaml``)::

    name: my-news
    format: csv            # csv | tsv | jsonl | json | lines
    files: {train: train.csv, test: test.csv}   # relative to the spec file
    header: true           # csv/tsv: true, or a list of column names when the file has none
    input: ["{Title}. {Description}"]            # one template per input field
    label: Class Index
    labels: {"1": world, "2": sports, "3": business, "4": science}   # raw value -> label word

Optional keys: ``kind`` (classification | generation; default classification when ``labels``
is given, else generation, where the label column is the reference output), ``delimiter``
(override for csv/tsv/lines), ``separator`` (``lines`` with several columns: split each line at
the first ``separator``s into the ``header`` columns), ``encoding`` (default utf-8),
``field_names`` (display names of the input fields), ``description``.

``input`` may also be a mapping ``{field: template}``. A list names each field after its
placeholder when the template is exactly one placeholder (``"{text}"`` -> field ``text``),
otherwise ``input`` (one template) or ``input1``, ``input2``, ... Templates use ``{Column}``
placeholders (``{{``/``}}`` for literal braces) and nothing else. Label words are ordered as the
``labels`` mapping lists them. ``json`` files hold a list of objects; ``lines`` files have one
record per line (column ``text`` unless ``header`` names the columns).
"""

from __future__ import annotations

import codecs
import csv
import json
import string
from pathlib import Path
from typing import Any, Mapping

import yaml

from iclab.data import readers
from iclab.data._common import make_task
from iclab.data.readers import Row
from iclab.data.types import Example, Task
from iclab.errors import DataError

__all__ = ["FORMATS", "load_spec"]

FORMATS = ("csv", "tsv", "jsonl", "json", "lines")
_REQUIRED = ("name", "format", "files", "input", "label")
_OPTIONAL = ("header", "labels", "kind", "delimiter", "separator", "encoding", "field_names",
             "description")


def _read_spec(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataError(f"task spec {path} not found")
    text = readers.read_text(path, "utf-8")
    try:
        spec = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DataError(f"task spec {path} is not valid {path.suffix[1:].upper()}: {exc}") from None
    if not isinstance(spec, dict):
        raise DataError(f"task spec {path} must be a mapping of keys, got {type(spec).__name__}")
    missing = [k for k in _REQUIRED if k not in spec]
    if missing:
        raise DataError(f"task spec {path} lacks required key(s) {missing} "
                        f"(required: {list(_REQUIRED)})")
    unknown = [k for k in spec if k not in _REQUIRED + _OPTIONAL]
    if unknown:
        raise DataError(f"task spec {path}: unknown key(s) {unknown}; allowed: "
                        f"{list(_REQUIRED + _OPTIONAL)}")
    if spec["format"] not in FORMATS:
        raise DataError(f"task spec {path}: format {spec['format']!r} is not one of "
                        f"{list(FORMATS)}")
    if not isinstance(spec["files"], dict) or not spec["files"]:
        raise DataError(f"task spec {path}: 'files' must map split names to files")
    if not isinstance(spec["name"], str) or not spec["name"].strip():
        raise DataError(f"task spec {path}: 'name' must be a non-empty string")
    encoding = spec.get("encoding", "utf-8")
    try:
        codecs.lookup(str(encoding))
    except LookupError:
        raise DataError(f"task spec {path}: unknown encoding {encoding!r} (e.g. utf-8, "
                        "latin-1)") from None
    return spec


def _label_words(mapping: Any, spec_path: Path) -> dict[str, str]:
    """The ``labels`` mapping as strings; duplicate, empty or non-text label words are refused
    (two raw values with one word would silently merge two classes into one)."""
    if mapping is None:
        return {}
    if not isinstance(mapping, dict) or not mapping:
        raise DataError(f"task spec {spec_path}: 'labels' must map raw values to label words")
    words: dict[str, str] = {}
    for raw, word in mapping.items():
        if not isinstance(word, (str, int, float)) or isinstance(word, bool) or not str(
                word).strip():
            raise DataError(f"task spec {spec_path}: labels: raw value {raw!r} has label word "
                            f"{word!r}; label words must be non-empty text")
        words[str(raw)] = str(word)
    seen: dict[str, str] = {}
    for raw, word in words.items():
        if word in seen:
            raise DataError(f"task spec {spec_path}: labels: raw values {seen[word]!r} and "
                            f"{raw!r} share the label word {word!r}; label words must differ")
        seen[word] = raw
    return words


def _placeholders(template: str, spec_path: Path) -> list[str]:
    names = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise DataError(f"task spec {spec_path}: bad input template {template!r}: {exc}") from None
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field or spec or conversion:
            raise DataError(f"task spec {spec_path}: template {template!r} may only use "
                            "plain {Column} placeholders")
        names.append(field)
    return names


def _templates(spec: Mapping[str, Any], spec_path: Path) -> dict[str, str]:
    raw = spec["input"]
    if isinstance(raw, str):
        raw = [raw]
    if isinstance(raw, dict):
        templates = {str(k): str(v) for k, v in raw.items()}
    elif isinstance(raw, list) and raw and all(isinstance(t, str) for t in raw):
        templates = {}
        for i, template in enumerate(raw, start=1):
            names = _placeholders(template, spec_path)
            if len(names) == 1 and template == "{" + names[0] + "}" and names[0] not in templates:
                templates[names[0]] = template
            else:
                templates["input" if len(raw) == 1 else f"input{i}"] = template
    else:
        raise DataError(f"task spec {spec_path}: 'input' must be a template, a list of "
                        "templates or a mapping field -> template")
    for template in templates.values():
        _placeholders(template, spec_path)
    return templates


def _render(template: str, row: Row) -> str:
    out = []
    for literal, field, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if field is not None:
            if field not in row.values:
                raise DataError(f"{row.where}: template {template!r} uses column {field!r}, "
                                f"which is not among {list(row.values)}")
            value = row.values[field]
            if isinstance(value, (dict, list)):
                raise DataError(f"{row.where}: column {field!r} holds a JSON "
                                f"{'object' if isinstance(value, dict) else 'array'}; input "
                                "columns must hold text or numbers")
            out.append("" if value is None else str(value))
    return "".join(out)


def _read_rows(spec: Mapping[str, Any], path: Path) -> list[Row]:
    fmt = spec["format"]
    header = spec.get("header", True)
    encoding = spec.get("encoding", "utf-8")
    if header is not True and header is not False and not (
            isinstance(header, list) and header and all(isinstance(h, str) for h in header)):
        raise DataError(f"task spec: 'header' must be true, false or a list of column names, "
                        f"got {header!r}")
    if fmt in ("csv", "tsv"):
        delimiter = spec.get("delimiter", "," if fmt == "csv" else "\t")
        if header is False:
            first = readers.read_text_lines(path, encoding=encoding)[:1]
            n = len(next(csv.reader([first[0]["text"]], delimiter=delimiter))) if first else 0
            header = [str(i) for i in range(1, n + 1)]
        return readers.read_table(path, delimiter=delimiter, header=header, encoding=encoding)
    if fmt == "jsonl":
        return readers.read_jsonl(path)
    if fmt == "json":
        try:
            data = json.loads(readers.read_text(path, encoding))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno}, column "
                            f"{exc.colno})") from None
        if not isinstance(data, list) or not all(isinstance(o, dict) for o in data):
            raise DataError(f"{path}: a 'json' task file must hold a list of objects")
        return [Row(obj, path, i) for i, obj in enumerate(data, start=1)]
    # lines
    columns = header if isinstance(header, list) else ["text"]
    separator = spec.get("separator", spec.get("delimiter"))
    if len(columns) > 1 and not separator:
        raise DataError(f"task spec: format 'lines' with columns {columns} needs a 'separator'")
    rows = []
    for raw in readers.read_text_lines(path, encoding=encoding, skip_blank=True):
        parts = raw["text"].split(separator, len(columns) - 1) if len(columns) > 1 else [
            raw["text"]]
        if len(parts) != len(columns):
            raise DataError(f"{raw.where}: expected {len(columns)} parts separated by "
                            f"{separator!r} ({', '.join(columns)}), found {len(parts)}")
        rows.append(Row(dict(zip(columns, parts)), raw.path, raw.line))
    return rows


def load_spec(spec_file: str | Path) -> Task:
    """Load the task a YAML/JSON spec file describes (see the module docstring).

    Raises:
        DataError: missing or unknown keys, unknown format, a missing data file, a template or
            label column not in a row (file:line), a label value not in ``labels`` (file:line),
            or an empty split.
    """
    spec_path = Path(spec_file).expanduser()
    spec = _read_spec(spec_path)
    templates = _templates(spec, spec_path)
    label_col = str(spec["label"])
    mapping = _label_words(spec.get("labels"), spec_path)
    kind = spec.get("kind", "classification" if mapping else "generation")
    if kind not in ("classification", "generation"):
        raise DataError(f"task spec {spec_path}: kind {kind!r} is not classification or "
                        "generation")
    if kind == "classification" and not mapping:
        raise DataError(f"task spec {spec_path}: a classification task needs 'labels'")
    splits: dict[str, list[Example]] = {}
    for split, file in spec["files"].items():
        path = (spec_path.parent / str(file)).resolve()
        if not path.is_file():
            raise DataError(f"task spec {spec_path}: file {file!r} of split {split!r} not found "
                            f"(looked at {path})")
        examples = []
        for row in _read_rows(spec, path):
            if label_col not in row.values:
                raise DataError(f"{row.where}: label column {label_col!r} not among "
                                f"{list(row.values)}")
            raw = row.values[label_col]
            if raw is None or isinstance(raw, (dict, list)):
                raise DataError(f"{row.where}: label column {label_col!r} is "
                                f"{'null' if raw is None else 'not text'}; every row needs "
                                "a label")
            raw = str(raw)
            if mapping:
                if raw not in mapping:
                    raise DataError(f"{row.where}: label value {raw!r} is not in the spec's "
                                    f"labels mapping {list(mapping)}")
                label = mapping[raw]
            else:
                label = raw
            fields = {name: _render(t, row) for name, t in templates.items()}
            examples.append(Example(fields, label, {"where": row.where, "raw_label": raw}))
        if not examples:
            raise DataError(f"task spec {spec_path}: split {split!r} ({path}) has no examples")
        splits[str(split)] = examples
    labels = tuple(dict.fromkeys(mapping.values())) if kind == "classification" else ()
    field_names = spec.get("field_names") or {}
    if not isinstance(field_names, dict):
        raise DataError(f"task spec {spec_path}: 'field_names' must be a mapping")
    return make_task(spec["name"], kind, labels, splits, input_fields=tuple(templates),
                     field_names={str(k): str(v) for k, v in field_names.items()},
                     source=str(spec_path), notes=str(spec.get("description", "task spec")))
