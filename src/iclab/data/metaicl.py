"""The 16 classification sets of the task-recognition paper, by their MetaICL names.

Inputs and labels follow CrossFit/MetaICL's preprocessing (``tasks/*.py`` of INK-USC/CrossFit,
``preprocess/*.py`` and ``config/tasks/*.json`` of facebookresearch/MetaICL):

* input strings: glue-sst2 ``"sentence: " + sentence``; pair sets ``"sentence 1: " + a +
  " [SEP] sentence 2: " + b``; tweet_eval newlines replaced by spaces (empty tweets dropped);
  ethos stripped; the rest the raw text. Then MetaICL's ``input.strip().replace("\\\\n", " ")``.
* label words: MetaICL's options in alphabetical order; poem_sentiment drops "mixed".
  The NLI/paraphrase sets are remapped as in RUCAIBox/Competitive-ICL: entailment/equivalent →
  ``True``, not_entailment/not_equivalent/contradiction → ``False``, neutral → ``Unknown``, keeping
  the order of MetaICL's options (sick, snli: False, True, Unknown; glue-mrpc, glue-wnli: True,
  False).
* splits: ``train`` = the HF train split in file order (the pool that :func:`metaicl_split`
  shuffles), ``test`` = the HF validation split; financial_phrasebank (sentences_allagree), trec
  and ethos-* have only a train split: ``test`` is the last 20 % after
  ``np.random.seed(42); np.random.shuffle(lines)`` and ``train`` the first ``int(0.8 n)``.

Each example has one input field, ``input``, holding MetaICL's exact input string; pair sets also
keep ``sentence1``/``sentence2`` in ``meta``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from iclab.data import readers
from iclab.data._common import make_task, need
from iclab.data.hub import hub_rows
from iclab.data.splits import shuffle_split
from iclab.data.types import Example, Task

__all__ = ["METAICL_TASKS", "load_metaicl_local", "load_metaicl_hub"]

Rows = dict[str, list[dict[str, Any]]]

# Competitive-ICL's remapping of NLI / paraphrase labels.
TO_TF = {
    "entailment": "True", "not_entailment": "False", "equivalent": "True",
    "not_equivalent": "False", "contradiction": "False", "neutral": "Unknown",
}


def _pair(a: str, b: str) -> str:
    return "sentence 1: " + a + " [SEP] sentence 2: " + b


@dataclass(frozen=True)
class _Spec:
    options: tuple[str, ...]  # MetaICL's options, before any remapping
    split_80_20: bool  # True: test = 20 % of train (seed 42); False: test = validation
    to_input: Callable[[dict[str, Any]], str | None]  # None drops the row
    label_key: str
    remap: bool = False
    hub: tuple[str, str | None] = ("", None)


def _tweet_text(row: Mapping[str, Any]) -> str | None:
    """A tweet with its newlines as spaces; None (dropped) when it is empty."""
    return row["text"].replace("\n", " ") or None


def _tweet_eval(options: tuple[str, ...], subset: str) -> _Spec:
    """A tweet_eval subset: its tweets as inputs, ``test`` = the HF validation split."""
    return _Spec(options, False, _tweet_text, "label", hub=("cardiffnlp/tweet_eval", subset))


def _pair_set(options: tuple[str, ...], first: str, second: str,
              hub: tuple[str, str | None]) -> _Spec:
    """An NLI / paraphrase set: columns ``first`` and ``second`` as one pair, labels remapped."""
    return _Spec(options, False, lambda r: _pair(r[first], r[second]), "label", remap=True,
                 hub=hub)


_STANCE = ("against", "favor", "none")
_NLI = ("contradiction", "entailment", "neutral")
_SPECS: dict[str, _Spec] = {
    "glue-sst2": _Spec(("negative", "positive"), False, lambda r: "sentence: " + r["sentence"],
                       "label", hub=("nyu-mll/glue", "sst2")),
    "financial_phrasebank": _Spec(("negative", "neutral", "positive"), True,
                                  lambda r: r["sentence"], "label",
                                  hub=("takala/financial_phrasebank", "sentences_allagree")),
    "tweet_eval-emotion": _tweet_eval(("anger", "joy", "optimism", "sadness"), "emotion"),
    "poem_sentiment": _Spec(("negative", "no_impact", "positive"), False,
                            lambda r: None if r["label"] == "mixed" else r["verse_text"], "label",
                            hub=("google-research-datasets/poem_sentiment", None)),
    "trec": _Spec(("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"), True, lambda r: r["text"],
                  "coarse_label", hub=("CogComp/trec", None)),
    "tweet_eval-stance_atheism": _tweet_eval(_STANCE, "stance_atheism"),
    "tweet_eval-stance_feminist": _tweet_eval(_STANCE, "stance_feminist"),
    "sick": _pair_set(_NLI, "sentence_A", "sentence_B", ("RobZamp/sick", None)),
    "glue-mrpc": _pair_set(("equivalent", "not_equivalent"), "sentence1", "sentence2",
                           ("nyu-mll/glue", "mrpc")),
    "snli": _pair_set(_NLI, "premise", "hypothesis", ("stanfordnlp/snli", None)),
    "glue-wnli": _pair_set(("entailment", "not_entailment"), "sentence1", "sentence2",
                           ("nyu-mll/glue", "wnli")),
    "tweet_eval-hate": _tweet_eval(("hate", "non-hate"), "hate"),
}
for _dim in ("gender", "race", "national_origin", "religion"):
    _SPECS[f"ethos-{_dim}"] = _Spec(("false", "true"), True, lambda r: r["text"].strip(), _dim,
                                    hub=("iamollas/ethos", "multilabel"))

#: The 16 task names, in the paper's order.
METAICL_TASKS: tuple[str, ...] = tuple(_SPECS)

# ---------------------------------------------------------------- local files -> HF-schema rows


def _tweet_eval_rows(data_dir: Path, subset: str, names: tuple[str, ...]) -> Rows:
    folder = need(data_dir, f"tweet_eval_{subset}")
    out: Rows = {}
    for split, stem in (("train", "train"), ("validation", "val")):
        rows = readers.read_tweet_eval(folder / f"{stem}_text.txt", folder / f"{stem}_labels.txt")
        out[split] = [{"text": r["text"].strip(), "label": names[r["label"]], "where": r.where}
                      for r in rows]
    return out


def _glue_rows(data_dir: Path, folder: str, names: tuple[str, ...]) -> Rows:
    out: Rows = {}
    for split, file in (("train", "train.tsv"), ("validation", "validation.tsv")):
        rows = readers.read_glue_tsv(need(data_dir, folder, file))
        out[split] = [{**r.values, "label": names[r["label"]], "where": r.where} for r in rows]
    return out


def _local_rows(name: str, data_dir: Path) -> Rows:
    """Rows of the HF dataset behind ``name``, read from the local copy (HF column names)."""
    if name == "glue-sst2":
        names = ("negative", "positive")
        return {split: [{"sentence": r["sentence"], "label": names[r["label"]], "where": r.where}
                        for r in readers.read_glue_tsv(need(data_dir, "sst2_glue", file))]
                for split, file in (("train", "train_full.tsv"), ("validation", "dev.tsv"))}
    if name == "financial_phrasebank":
        rows = readers.read_financial_phrasebank(
            need(data_dir, "financial_phrasebank", "Sentences_AllAgree.txt"))
        return {"train": [{**r.values, "where": r.where} for r in rows]}
    if name == "tweet_eval-emotion":
        return _tweet_eval_rows(data_dir, "emotion", ("anger", "joy", "optimism", "sadness"))
    if name == "tweet_eval-hate":
        return _tweet_eval_rows(data_dir, "hate", ("non-hate", "hate"))
    if name.startswith("tweet_eval-stance_"):
        return _tweet_eval_rows(data_dir, name.split("-", 1)[1], ("none", "against", "favor"))
    if name == "poem_sentiment":
        raw = {-1: "negative", 0: "no_impact", 1: "positive", 2: "mixed"}
        return {split: [{"verse_text": r["verse_text"], "label": raw[r["label"]],
                         "where": r.where}
                        for r in readers.read_poem_sentiment(need(data_dir, "poem_sentiment",
                                                                  file))]
                for split, file in (("train", "train.tsv"), ("validation", "dev.tsv"))}
    if name == "trec":
        rows = readers.read_trec(need(data_dir, "trec", "train.txt"))
        return {"train": [{"text": r["text"], "coarse_label": r["coarse"], "where": r.where}
                          for r in rows]}
    if name == "sick":
        rows = readers.read_sick(need(data_dir, "sick", "SICK.txt"))
        sets = {"TRAIN": "train", "TRIAL": "validation"}
        out: Rows = {"train": [], "validation": []}
        for r in rows:
            if r.values.get("SemEval_set") in sets:
                out[sets[r["SemEval_set"]]].append(
                    {"sentence_A": r["sentence_A"], "sentence_B": r["sentence_B"],
                     "label": r["entailment_label"].lower(), "where": r.where})
        return out
    if name == "glue-mrpc":
        return _glue_rows(data_dir, "mrpc_glue", ("not_equivalent", "equivalent"))
    if name == "snli":
        names = ("entailment", "neutral", "contradiction")
        rows = readers.read_snli(need(data_dir, "snli", "validation.tsv"))
        return {"validation": [{**r.values, "label": names[r["label"]], "where": r.where}
                               for r in rows]}
    if name == "glue-wnli":
        names = ("not_entailment", "entailment")
        train = (readers.read_wnli(need(data_dir, "wnli", "train.tsv"))
                 + readers.read_wnli(need(data_dir, "wnli", "val.tsv"), header=False))
        train.sort(key=lambda r: r["index"])  # together they are GLUE train, in index order
        dev = readers.read_wnli(need(data_dir, "wnli", "dev.tsv"))
        return {split: [{**r.values, "label": names[r["label"]], "where": r.where} for r in rows]
                for split, rows in (("train", train), ("validation", dev))}
    if name.startswith("ethos-"):
        dim = name.split("-", 1)[1]
        rows = readers.read_ethos(need(data_dir, "ethos", "Ethos_Dataset_Multi_Label.csv"))
        return {"train": [{"text": r["comment"], dim: "true" if r[dim] >= 0.5 else "false",
                           "where": r.where} for r in rows]}
    raise KeyError(name)


def _hub_rows(name: str) -> Rows:
    spec = _SPECS[name]
    dataset_id, config = spec.hub
    splits = ("train",) if spec.split_80_20 else ("train", "validation")
    out: Rows = {}
    for split in splits:
        rows = hub_rows(dataset_id, config, split=split)
        for i, row in enumerate(rows):
            row["where"] = f"{dataset_id}[{split}][{i}]"
            if name == "trec" and "coarse_label" not in row:
                row["coarse_label"] = row.get("label-coarse")
            if name.startswith("ethos-"):
                value = row[spec.label_key]
                row[spec.label_key] = {0: "false", 1: "true"}.get(value, value)
        # SNLI marks pairs without a gold label with -1 (None after name conversion)
        out[split] = [r for r in rows if r.get(spec.label_key) is not None]
    return out


# ---------------------------------------------------------------- HF-schema rows -> Task


def _examples(name: str, rows: list[dict[str, Any]]) -> list[Example]:
    spec = _SPECS[name]
    examples = []
    for row in rows:
        text = spec.to_input(row)
        if text is None:
            continue
        text = text.strip().replace("\\n", " ")  # MetaICL's preprocess()
        raw = row[spec.label_key]
        label = TO_TF[raw] if spec.remap else raw
        meta: dict[str, Any] = {"where": row["where"], "raw_label": raw}
        for key in ("sentence1", "sentence2", "sentence_A", "sentence_B", "premise",
                    "hypothesis"):
            if key in row:
                meta[key] = row[key]
        examples.append(Example({"input": text}, label, meta))
    return examples


def _build(name: str, rows: Rows, source: str) -> Task:
    spec = _SPECS[name]
    labels = tuple(TO_TF[o] for o in spec.options) if spec.remap else spec.options
    splits: dict[str, list[Example]] = {}
    if spec.split_80_20:
        train, test = shuffle_split(_examples(name, rows["train"]), seed=42, train_fraction=0.8)
        splits = {"train": train, "test": test}
        notes = ("train/test = 80/20 of the only (train) split after np.random.seed(42) shuffle "
                 "(CrossFit); metaicl_split(task, seed) gives the per-seed 16-shot train/dev")
    else:
        if "train" in rows:
            splits["train"] = _examples(name, rows["train"])
        splits["test"] = _examples(name, rows["validation"])
        notes = "train = HF train (file order), test = HF validation split (MetaICL)"
        if "train" not in rows:
            notes += "; the local copy has no train split: load from the hub for demonstrations"
    return make_task(name, "classification", labels, splits, input_fields=("input",),
                     field_names={"input": "Input"}, source=source, notes=notes)


def load_metaicl_local(name: str, data_dir: Path) -> Task:
    """Build MetaICL task ``name`` from the local copy under ``data_dir``."""
    return _build(name, _local_rows(name, Path(data_dir)), source=str(data_dir))


def load_metaicl_hub(name: str) -> Task:
    """Build MetaICL task ``name`` from the Hugging Face hub (needs ``iclab[hub]``)."""
    dataset_id, config = _SPECS[name].hub
    return _build(name, _hub_rows(name), source=f"hf:{dataset_id}" + (f"/{config}" if config
                                                                        else ""))


#: Local files each task needs (relative to the data directory), for availability checks.
LOCAL_FILES: Mapping[str, tuple[str, ...]] = {
    "glue-sst2": ("sst2_glue/train_full.tsv", "sst2_glue/dev.tsv"),
    "financial_phrasebank": ("financial_phrasebank/Sentences_AllAgree.txt",),
    "tweet_eval-emotion": ("tweet_eval_emotion/train_text.txt",),
    "poem_sentiment": ("poem_sentiment/train.tsv", "poem_sentiment/dev.tsv"),
    "trec": ("trec/train.txt",),
    "tweet_eval-stance_atheism": ("tweet_eval_stance_atheism/train_text.txt",),
    "tweet_eval-stance_feminist": ("tweet_eval_stance_feminist/train_text.txt",),
    "sick": ("sick/SICK.txt",),
    "glue-mrpc": ("mrpc_glue/train.tsv", "mrpc_glue/validation.tsv"),
    "snli": ("snli/validation.tsv",),
    "glue-wnli": ("wnli/train.tsv", "wnli/val.tsv", "wnli/dev.tsv"),
    "tweet_eval-hate": ("tweet_eval_hate/train_text.txt",),
    **{f"ethos-{d}": ("ethos/Ethos_Dataset_Multi_Label.csv",)
       for d in ("gender", "race", "national_origin", "religion")},
}
