"""Readers: one small function per on-disk format found in the shared data directory.

Every reader returns a list of :class:`Row` (the raw values of one record plus the file and
line it came from), so that code which turns rows into :class:`~iclab.data.types.Example` can
name ``file:line`` in its errors too. A malformed record raises :class:`~iclab.errors.DataError`
naming ``file:line`` and what is wrong. Readers keep text exactly as stored (no stripping beyond
the line terminator); the task builders decide what to normalise.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from iclab.errors import DataError

__all__ = [
    "Row",
    "read_text",
    "read_text_lines",
    "read_table",
    "read_jsonl",
    "read_sst2_lines",
    "read_glue_tsv",
    "read_mrpc_msr",
    "read_wnli",
    "read_snli",
    "read_sick",
    "read_trec",
    "read_poem_sentiment",
    "read_financial_phrasebank",
    "read_ethos",
    "read_tweet_eval",
    "read_tweet_eval_mapping",
    "read_aligned",
    "read_superglue_jsonl",
    "read_humaneval",
    "read_mbpp",
]


@dataclass(frozen=True)
class Row:
    """One raw record: its values by column name, and where it was read from."""

    values: Mapping[str, Any]
    path: Path
    line: int

    @property
    def where(self) -> str:
        """``file:line`` of the record, for error messages."""
        return f"{self.path}:{self.line}"

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """Return a whole text file decoded; errors name the file (and line) instead of raising
    ``UnicodeDecodeError``/``LookupError``."""
    return _open_text(path, encoding)


def _open_text(path: Path, encoding: str) -> str:
    """Return the whole file decoded; a decoding failure names the line it happened on."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    data = path.read_bytes()
    try:
        return data.decode(encoding)
    except LookupError:
        raise DataError(f"{path}: unknown text encoding {encoding!r} (e.g. utf-8, latin-1)"
                        ) from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: cannot decode as {encoding} ({exc.reason})") from None


def read_text_lines(path: Path, *, encoding: str = "utf-8", skip_blank: bool = False) -> list[Row]:
    """Read one record per line (column ``text``); a leading BOM and ``\\r\\n`` are removed.

    Args:
        path: the file.
        encoding: text encoding.
        skip_blank: drop empty lines instead of returning them as empty texts.
    """
    text = _open_text(path, encoding).lstrip("\ufeff")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # trailing newline, not an empty record
    rows = []
    for number, line in enumerate(lines, start=1):
        line = line[:-1] if line.endswith("\r") else line
        if skip_blank and not line.strip():
            continue
        rows.append(Row({"text": line}, Path(path), number))
    return rows


def read_table(
    path: Path,
    *,
    delimiter: str,
    header: bool | Sequence[str] = True,
    quoting: int = csv.QUOTE_MINIMAL,
    encoding: str = "utf-8",
    required: Iterable[str] = (),
) -> list[Row]:
    """Read a delimited file with the csv module (so quoted fields may hold delimiters).

    Args:
        path: the file.
        delimiter: field separator (``","``, ``"\\t"``, ``";"``, ...).
        header: True if the first line names the columns, or the column names when it does not.
        quoting: a ``csv.QUOTE_*`` constant; GLUE's original files need ``QUOTE_NONE``.
        encoding: text encoding (a UTF-8 BOM is removed).
        required: columns that must exist.

    Raises:
        DataError: a row with the wrong number of fields, or a missing column.
    """
    text = _open_text(path, encoding).lstrip("\ufeff")
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, quoting=quoting)
    rows: list[Row] = []
    columns: list[str] | None = None if header is True else list(header or [])
    if header is False:
        raise DataError(f"{path}: read_table needs a header or a list of column names")
    try:
        for record in reader:
            if columns is None:
                columns = [c.strip() for c in record]
                missing = [c for c in required if c not in columns]
                if missing:
                    raise DataError(f"{path}:1: header {columns} lacks column(s) {missing}")
                continue
            if not record or record == [""]:
                continue  # blank line
            if len(record) != len(columns):
                raise DataError(
                    f"{path}:{reader.line_num}: expected {len(columns)} fields "
                    f"({', '.join(columns)}), found {len(record)}"
                )
            rows.append(Row(dict(zip(columns, record)), Path(path), reader.line_num))
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: {exc}") from None
    if columns is not None and header is not True:
        missing = [c for c in required if c not in columns]
        if missing:
            raise DataError(f"{path}: columns {columns} lack {missing}")
    return rows


def read_jsonl(path: Path, *, required: Iterable[str] = ()) -> list[Row]:
    """Read JSON Lines: one object per non-blank line, each with the ``required`` keys."""
    required = tuple(required)
    rows = []
    for raw in read_text_lines(path, skip_blank=True):
        try:
            obj = json.loads(raw["text"])
        except json.JSONDecodeError as exc:
            raise DataError(f"{raw.where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise DataError(f"{raw.where}: expected a JSON object, found {type(obj).__name__}")
        missing = [k for k in required if k not in obj]
        if missing:
            raise DataError(f"{raw.where}: missing key(s) {missing}")
        rows.append(Row(obj, raw.path, raw.line))
    return rows


def _int_label(row: Row, column: str, allowed: Sequence[int] | None) -> int:
    """Parse ``row[column]`` as an int (in ``allowed`` unless None) or raise naming file:line."""
    value = str(row[column]).strip()
    try:
        number = int(value)
    except ValueError:
        raise DataError(f"{row.where}: {column} {value!r} is not an integer") from None
    if allowed is not None and number not in allowed:
        raise DataError(f"{row.where}: {column} {value!r} is not one of {list(allowed)}")
    return number


def read_sst2_lines(path: Path) -> list[Row]:
    """SST-2 sentence files (``stsa.binary.*``): ``'<0|1> <sentence>'``; 1 = positive."""
    rows = []
    for raw in read_text_lines(path, skip_blank=True):
        label, sep, sentence = raw["text"].partition(" ")
        if not sep or label not in ("0", "1") or not sentence.strip():
            raise DataError(f"{raw.where}: expected '<0|1> <sentence>' (a 0 or 1 label, a space, "
                            "a non-empty sentence)")
        rows.append(Row({"label": int(label), "sentence": sentence}, raw.path, raw.line))
    return rows


def read_glue_tsv(path: Path, *, label_values: Sequence[int] | None = (0, 1)) -> list[Row]:
    """HF GLUE exports (rte_glue, mrpc_glue) and GLUE SST-2 tsv files.

    Files with an ``index,label,sentence1,sentence2`` header are HF exports written with
    pandas' CSV quoting; GLUE's own SST-2 files (``sentence,label``) use no quoting at all.
    ``label`` becomes an int in ``label_values`` (None: the file has no labels).
    """
    first = _open_text(path, "utf-8").lstrip("\ufeff").split("\n", 1)[0]
    quoting = csv.QUOTE_NONE if first.startswith(("sentence\t", "index\tsentence\t")) else (
        csv.QUOTE_MINIMAL
    )
    rows = read_table(path, delimiter="\t", quoting=quoting)
    if label_values is None:
        return rows
    out = []
    for row in rows:
        values = dict(row.values)
        if "label" not in values:
            raise DataError(f"{row.where}: no 'label' column in {path}")
        values["label"] = _int_label(row, "label", label_values)
        out.append(Row(values, row.path, row.line))
    return out


def read_mrpc_msr(path: Path) -> list[Row]:
    """Raw MSRP files (UTF-8 BOM, CRLF): ``Quality, #1 ID, #2 ID, #1 String, #2 String``."""
    columns = ("Quality", "#1 ID", "#2 ID", "#1 String", "#2 String")
    rows = read_table(path, delimiter="\t", quoting=csv.QUOTE_NONE, required=columns)
    out = []
    for row in rows:
        out.append(
            Row(
                {
                    "label": _int_label(row, "Quality", (0, 1)),
                    "sentence1": row["#1 String"],
                    "sentence2": row["#2 String"],
                    "idx": row["#1 ID"] + "-" + row["#2 ID"],
                },
                row.path,
                row.line,
            )
        )
    return out


def read_wnli(path: Path, *, header: bool = True, labeled: bool = True) -> list[Row]:
    """GLUE WNLI tsv: ``index, sentence1, sentence2[, label]`` (1 = entailment).

    ``val.tsv`` of the shared copy has no header row: pass ``header=False``.
    """
    names = ["index", "sentence1", "sentence2"] + (["label"] if labeled else [])
    rows = read_table(
        path, delimiter="\t", quoting=csv.QUOTE_NONE, header=True if header else names,
        required=names,
    )
    out = []
    for row in rows:
        values = dict(row.values)
        values["index"] = _int_label(row, "index", None)
        if labeled:
            values["label"] = _int_label(row, "label", (0, 1))
        out.append(Row(values, row.path, row.line))
    return out


def read_snli(path: Path) -> list[Row]:
    """SNLI export: ``premise, hypothesis, label`` (TAB, CSV quoting); 0/1/2 = ent/neu/con."""
    rows = read_table(path, delimiter="\t", required=("premise", "hypothesis", "label"))
    return [
        Row({**row.values, "label": _int_label(row, "label", (0, 1, 2))}, row.path, row.line)
        for row in rows
    ]


def read_sick(path: Path) -> list[Row]:
    """SICK files (TAB, header). Both the SemEval files (``entailment_judgment``) and the full
    release ``SICK.txt`` (``entailment_label``, ``SemEval_set``) are accepted; the label is
    normalised into column ``entailment_label`` (ENTAILMENT / NEUTRAL / CONTRADICTION)."""
    rows = read_table(path, delimiter="\t", quoting=csv.QUOTE_NONE,
                      required=("pair_ID", "sentence_A", "sentence_B"))
    out = []
    for row in rows:
        values = dict(row.values)
        label = values.get("entailment_label", values.get("entailment_judgment"))
        if label not in ("ENTAILMENT", "NEUTRAL", "CONTRADICTION"):
            raise DataError(f"{row.where}: entailment label {label!r} is not "
                            "ENTAILMENT, NEUTRAL or CONTRADICTION")
        values["entailment_label"] = label
        out.append(Row(values, row.path, row.line))
    return out


def read_trec(path: Path, *, encoding: str = "utf-8") -> list[Row]:
    """TREC question classification: ``'<COARSE>:<fine> <question>'``."""
    coarse_ok = ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")
    rows = []
    for raw in read_text_lines(path, encoding=encoding, skip_blank=True):
        label, sep, question = raw["text"].partition(" ")
        coarse, colon, fine = label.partition(":")
        if not sep or not colon or coarse not in coarse_ok or not fine:
            raise DataError(
                f"{raw.where}: expected '<COARSE>:<fine> <question>' with COARSE in "
                f"{list(coarse_ok)} (the line's first word is not of that form)"
            )
        rows.append(Row({"coarse": coarse, "fine": fine, "text": question}, raw.path, raw.line))
    return rows


def read_poem_sentiment(path: Path) -> list[Row]:
    """Poem sentiment: ``id<TAB>verse<TAB>label``, no header; raw labels -1/0/1/2."""
    rows = read_table(path, delimiter="\t", quoting=csv.QUOTE_NONE,
                      header=["id", "verse_text", "label"])
    return [
        Row({**row.values, "label": _int_label(row, "label", (-1, 0, 1, 2))}, row.path, row.line)
        for row in rows
    ]


def read_financial_phrasebank(path: Path) -> list[Row]:
    """Financial PhraseBank ``'sentence@label'`` files.

    ``Sentences_AllAgree.txt`` of the shared copy is UTF-8; the 50/66/75Agree files are
    ISO-8859-1. The file is decoded as UTF-8 when that succeeds, else as latin-1.
    """
    try:
        lines = read_text_lines(path, encoding="utf-8", skip_blank=True)
    except DataError:
        lines = read_text_lines(path, encoding="latin-1", skip_blank=True)
    rows = []
    for raw in lines:
        sentence, sep, label = raw["text"].rpartition("@")
        if not sep or label.strip() not in ("positive", "neutral", "negative"):
            raise DataError(f"{raw.where}: expected 'sentence@positive|neutral|negative' (no "
                            "'@' followed by one of those labels at the end of the line)")
        rows.append(Row({"sentence": sentence, "label": label.strip()}, raw.path, raw.line))
    return rows


def read_ethos(path: Path) -> list[Row]:
    """ETHOS csv files (``;``-separated, header ``comment;...``). Every column other than
    ``comment`` is an annotator fraction in [0, 1] and becomes a float."""
    rows = read_table(path, delimiter=";", required=("comment",))
    out = []
    for row in rows:
        values: dict[str, Any] = {"comment": row["comment"]}
        for key, value in row.values.items():
            if key == "comment":
                continue
            try:
                number = float(value)
            except ValueError:
                number = -1.0
            if not 0.0 <= number <= 1.0:
                raise DataError(f"{row.where}: {key} {value!r} is not a fraction in [0, 1]")
            values[key] = number
        out.append(Row(values, row.path, row.line))
    return out


def _line_pairs(first: Path, second: Path, rule: str) -> list[tuple[Row, Row]]:
    """The lines of two line-aligned files, paired in order.

    Raises:
        DataError: the files differ in length (``rule`` ends the message).
    """
    a, b = read_text_lines(first), read_text_lines(second)
    if len(a) != len(b):
        raise DataError(f"{first} has {len(a)} lines but {second} has {len(b)}; {rule}")
    return list(zip(a, b))


def read_tweet_eval(text_path: Path, labels_path: Path) -> list[Row]:
    """TweetEval pairs of files: one tweet per line, aligned with one int label per line."""
    rows = []
    for text, label in _line_pairs(text_path, labels_path, "they must be aligned"):
        value = label["text"].strip()
        if not value.lstrip("-").isdigit():
            raise DataError(f"{label.where}: label {value!r} is not an integer")
        rows.append(Row({"text": text["text"], "label": int(value)}, text.path, text.line))
    return rows


def read_tweet_eval_mapping(path: Path) -> dict[int, str]:
    """TweetEval ``mapping.txt``: ``id<TAB>name`` per line."""
    mapping = {}
    for raw in read_text_lines(path, skip_blank=True):
        key, sep, name = raw["text"].partition("\t")
        if not sep or not key.strip().isdigit() or not name.strip():
            raise DataError(f"{raw.where}: expected 'id<TAB>name' (an integer id, a tab, a "
                            "non-empty name)")
        mapping[int(key)] = name.strip()
    return mapping


def read_aligned(source_path: Path, target_path: Path) -> list[Row]:
    """Two line-aligned files (FLORES, WMT newstest): columns ``source`` and ``target``."""
    rows = []
    pairs = _line_pairs(source_path, target_path,
                        "aligned files must have the same number of lines")
    for src, tgt in pairs:
        if not src["text"].strip() or not tgt["text"].strip():
            raise DataError(f"{src.where}: empty line in aligned files "
                            f"({source_path.name} / {target_path.name})")
        rows.append(Row({"source": src["text"], "target": tgt["text"]}, src.path, src.line))
    return rows


def read_superglue_jsonl(path: Path, *, labeled: bool = True) -> list[Row]:
    """SuperGLUE RTE jsonl: ``premise, hypothesis, label, idx``; label entailment /
    not_entailment (the test files carry no labels: pass ``labeled=False``)."""
    rows = read_jsonl(path, required=("premise", "hypothesis", "idx")
                      + (("label",) if labeled else ()))
    if labeled:
        for row in rows:
            if row["label"] not in ("entailment", "not_entailment"):
                raise DataError(f"{row.where}: label {row['label']!r} is not "
                                "'entailment' or 'not_entailment'")
    return rows


def read_humaneval(path: Path) -> list[Row]:
    """HumanEval jsonl: ``task_id, prompt, entry_point, canonical_solution, test``."""
    return read_jsonl(path, required=("task_id", "prompt", "entry_point", "canonical_solution",
                                      "test"))


def read_mbpp(path: Path) -> list[Row]:
    """MBPP jsonl: ``task_id, text, code, test_list, test_setup_code, challenge_test_list``."""
    rows = read_jsonl(path, required=("task_id", "text", "code", "test_list"))
    for row in rows:
        if not isinstance(row["task_id"], int):
            raise DataError(f"{row.where}: task_id {row['task_id']!r} is not an integer")
        if not isinstance(row["test_list"], list):
            raise DataError(f"{row.where}: test_list is not a list")
    return rows
