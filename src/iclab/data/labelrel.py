"""The label-relationships paper's sets (Kossen, Gal, Rainforth; code jlko/in_context_learning).

Registered as ``lr-<name>`` (``lr-sst2``, ``lr-subj``, ``lr-financial_phrasebank``, ``lr-mrpc``,
``lr-rte``, ``lr-wnli``, ``lr-hate_speech``, ``lr-medical_questions_pairs``, ``lr-ag_news``) so
they do not collide with the MetaICL names. Labels are the paper's default verbalizers, in
class-index order (option i = class i). Texts are kept exactly as the HF datasets give them.

Input fields: single-input sets have ``sentence`` (displayed "Sentence"); MRPC/RTE/WNLI have
``sentence1``/``sentence2`` ("Sentence 1"/"Sentence 2"); medical_questions_pairs has
``question1``/``question2`` ("Question 1"/"Question 2") — see ``Task.field_names``.

Splits: ``train`` (the demonstration pool) and ``test``. GLUE sets: test = the validation split.
financial_phrasebank, medical_questions_pairs, hate_speech18: the paper's stratified split of the
train split (scikit-learn ``train_test_split(test_size=0.33, random_state=41, stratify=labels)``,
reproduced by :func:`iclab.data.splits.stratified_split`); hate_speech18 first keeps the first
1000 rows of class 0 and of class 1. subj and ag_news: their test splits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from iclab.data import readers
from iclab.data._common import make_task, need
from iclab.data.hub import hub_rows
from iclab.data.splits import shuffle_split, stratified_split
from iclab.data.types import Example, Task
from iclab.errors import DataError

__all__ = ["LR_TASKS", "LR_LOCAL_FILES", "load_lr_local", "load_lr_hub"]

_SINGLE = ({"sentence": "Sentence"}, ("sentence",))
_PAIR = ({"sentence1": "Sentence 1", "sentence2": "Sentence 2"}, ("sentence1", "sentence2"))
_QPAIR = ({"question1": "Question 1", "question2": "Question 2"}, ("question1", "question2"))

# name -> (label words by class index, input layout)
_TASKS: dict[str, tuple[tuple[str, ...], tuple[dict[str, str], tuple[str, ...]]]] = {
    "lr-sst2": (("negative", "positive"), _SINGLE),
    "lr-subj": (("objective", "subjective"), _SINGLE),
    "lr-financial_phrasebank": (("negative", "neutral", "positive"), _SINGLE),
    "lr-mrpc": (("not equivalent", "equivalent"), _PAIR),
    "lr-rte": (("entailment", "not entailment"), _PAIR),  # RTE: 0 = entailment
    "lr-wnli": (("not entailment", "entailment"), _PAIR),
    "lr-hate_speech": (("not hate speech", "hate speech"), _SINGLE),
    "lr-medical_questions_pairs": (("not equivalent", "equivalent"), _QPAIR),
    "lr-ag_news": (("world", "sports", "business", "science and technology"), _SINGLE),
}

#: The nine task names.
LR_TASKS: tuple[str, ...] = tuple(_TASKS)

#: Local files each task needs (tasks not listed are hub-only on this machine's data).
LR_LOCAL_FILES: Mapping[str, tuple[str, ...]] = {
    "lr-sst2": ("sst2_glue/train_full.tsv", "sst2_glue/dev.tsv"),
    "lr-subj": ("subj/subj.objective", "subj/subj.subjective"),
    "lr-financial_phrasebank": ("financial_phrasebank/Sentences_AllAgree.txt",),
    "lr-mrpc": ("mrpc_glue/train.tsv", "mrpc_glue/validation.tsv"),
    "lr-rte": ("rte_glue/train.tsv", "rte_glue/validation.tsv"),
    "lr-wnli": ("wnli/train.tsv", "wnli/val.tsv", "wnli/dev.tsv"),
}

# A "record" is (input texts in field order, class index, where).
Record = tuple[tuple[str, ...], int, str]


def _stratified(records: list[Record]) -> dict[str, list[Record]]:
    train, test = stratified_split([r[1] for r in records], test_size=0.33, random_state=41)
    return {"train": [records[i] for i in train], "test": [records[i] for i in test]}


def _glue_local(data_dir: Path, folder: str, files: tuple[str, str], pair: bool
                ) -> dict[str, list[Record]]:
    out = {}
    for split, file in zip(("train", "test"), files):
        rows = readers.read_glue_tsv(need(data_dir, folder, file))
        keys = ("sentence1", "sentence2") if pair else ("sentence",)
        out[split] = [(tuple(r[k] for k in keys), r["label"], r.where) for r in rows]
    return out


def _local_records(name: str, data_dir: Path) -> tuple[dict[str, list[Record]], str]:
    if name == "lr-sst2":
        return _glue_local(data_dir, "sst2_glue", ("train_full.tsv", "dev.tsv"), False), (
            "test = GLUE SST-2 validation (872)")
    if name == "lr-mrpc":
        return _glue_local(data_dir, "mrpc_glue", ("train.tsv", "validation.tsv"), True), (
            "test = GLUE MRPC validation")
    if name == "lr-rte":
        return _glue_local(data_dir, "rte_glue", ("train.tsv", "validation.tsv"), True), (
            "test = GLUE RTE validation")
    if name == "lr-wnli":
        train = (readers.read_wnli(need(data_dir, "wnli", "train.tsv"))
                 + readers.read_wnli(need(data_dir, "wnli", "val.tsv"), header=False))
        train.sort(key=lambda r: r["index"])  # together they are GLUE train, in index order
        dev = readers.read_wnli(need(data_dir, "wnli", "dev.tsv"))
        return {split: [((r["sentence1"], r["sentence2"]), r["label"], r.where) for r in rows]
                for split, rows in (("train", train), ("test", dev))}, (
            "test = GLUE WNLI validation (71)")
    if name == "lr-financial_phrasebank":
        rows = readers.read_financial_phrasebank(
            need(data_dir, "financial_phrasebank", "Sentences_AllAgree.txt"))
        codes = {"negative": 0, "neutral": 1, "positive": 2}
        records = [((r["sentence"],), codes[r["label"]], r.where) for r in rows]
        return _stratified(records), "stratified 67/33 split of sentences_allagree (seed 41)"
    if name == "lr-subj":
        records = []
        for code, file in ((0, "subj.objective"), (1, "subj.subjective")):
            for r in readers.read_text_lines(need(data_dir, "subj", file), skip_blank=True):
                records.append(((r["text"].strip(),), code, r.where))
        train, test = shuffle_split(records, seed=0, train_fraction=0.8)
        return {"train": train, "test": test}, (
            "local copy: SetFit/subj's train/test split cannot be rebuilt from the raw files; "
            "train/test = 80/20 of objective+subjective (in that order) after "
            "np.random.RandomState(0) shuffle (8000/2000, SetFit's sizes)")
    raise DataError(f"task {name!r} has no local copy; it loads from the hub")


def _code(value: Any, names: Sequence[str]) -> int:
    return value if isinstance(value, int) else list(names).index(value)


def _hub_records(name: str) -> tuple[dict[str, list[Record]], str]:
    def recs(rows: list[dict[str, Any]], keys: tuple[str, ...], names: Sequence[str],
             where: str) -> list[Record]:
        return [(tuple(r[k] for k in keys), _code(r["label"], names), f"{where}[{i}]")
                for i, r in enumerate(rows)]

    glue = {"lr-mrpc": ("mrpc", ("not_equivalent", "equivalent")),
            "lr-rte": ("rte", ("entailment", "not_entailment")),
            "lr-wnli": ("wnli", ("not_entailment", "entailment"))}
    if name in glue:
        config, names = glue[name]
        return {split: recs(hub_rows("nyu-mll/glue", config, split=hf), ("sentence1", "sentence2"),
                            names, f"glue/{config}[{hf}]")
                for split, hf in (("train", "train"), ("test", "validation"))}, (
            "test = GLUE validation split")
    if name == "lr-sst2":
        return {split: recs(hub_rows("stanfordnlp/sst2", split=hf), ("sentence",),
                            ("negative", "positive"), f"sst2[{hf}]")
                for split, hf in (("train", "train"), ("test", "validation"))}, (
            "test = SST-2 validation split")
    if name == "lr-subj":
        return {split: [((r["text"],), 1 if r["label_text"] == "subjective" else 0,
                         f"SetFit/subj[{split}][{i}]")
                        for i, r in enumerate(hub_rows("SetFit/subj", split=split))]
                for split in ("train", "test")}, "SetFit/subj train/test"
    if name == "lr-ag_news":
        names = ("World", "Sports", "Business", "Sci/Tech")
        return {split: recs(hub_rows("fancyzhx/ag_news", split=split), ("text",), names,
                            f"ag_news[{split}]") for split in ("train", "test")}, (
            "ag_news train/test")
    if name == "lr-financial_phrasebank":
        rows = hub_rows("takala/financial_phrasebank", "sentences_allagree", split="train")
        return _stratified(recs(rows, ("sentence",), ("negative", "neutral", "positive"),
                                "financial_phrasebank[train]")), (
            "stratified 67/33 split of sentences_allagree (seed 41)")
    if name == "lr-medical_questions_pairs":
        rows = hub_rows("curaihealth/medical_questions_pairs", split="train")
        return _stratified(recs(rows, ("question_1", "question_2"), ("0", "1"),
                                "medical_questions_pairs[train]")), (
            "stratified 67/33 split of the train split (seed 41)")
    if name == "lr-hate_speech":
        rows = hub_rows("odegiber/hate_speech18", split="train")
        names = ("noHate", "hate", "idk/skip", "relation")
        records = recs(rows, ("text",), names, "hate_speech18[train]")
        keep = sorted([i for i, r in enumerate(records) if r[1] == 0][:1000]
                      + [i for i, r in enumerate(records) if r[1] == 1][:1000])
        return _stratified([records[i] for i in keep]), (
            "first 1000 rows of each of classes 0 and 1, then a stratified 67/33 split (seed 41)")
    raise DataError(f"unknown label-relationships task {name!r}")


def _build(name: str, records: dict[str, list[Record]], source: str, notes: str) -> Task:
    labels, (field_names, fields) = _TASKS[name]
    splits = {
        split: [Example(dict(zip(fields, texts)), labels[code], {"where": where, "class": code})
                for texts, code, where in recs]
        for split, recs in records.items()
    }
    return make_task(name, "classification", labels, splits, input_fields=fields,
                     field_names=field_names, source=source, notes=notes)


def load_lr_local(name: str, data_dir: Path) -> Task:
    """Build label-relationships task ``name`` from the local copy under ``data_dir``."""
    records, notes = _local_records(name, Path(data_dir))
    return _build(name, records, str(data_dir), notes)


def load_lr_hub(name: str) -> Task:
    """Build label-relationships task ``name`` from the Hugging Face hub (``iclab[hub]``)."""
    records, notes = _hub_records(name)
    first = next(iter(records.values()), [])
    where = first[0][2].split("[", 1)[0] if first else "?"
    return _build(name, records, f"hf:{where}", notes)
