"""Generation tasks: FLORES-200 and WMT14 translation, HumanEval and MBPP code.

Translation (``flores-eng-fra``, ..., ``wmt14-en-fr``, ...): each example has one input field
``source`` (displayed as the source language, e.g. "English") and the reference translation as
its label (both stripped of surrounding whitespace, as the where-ICL paper's loader does);
``meta`` holds ``source_language``/``target_language`` (English names) and ``line``.
FLORES-200's dev split is not in the local copy, so the first :data:`POOL_SIZE` devtest lines are
the demonstration pool (split ``train``) and the remaining lines are ``test``; WMT14 uses the same
rule on newstest2014. The hub path applies the identical cut, so a task means the same examples
wherever it was loaded from.

Given a FLORES ``dev`` directory (:func:`load_flores_with_dev`; ``load_task(...,
flores_dev=DIR)`` or ``$ICLAB_FLORES_DEV``), devtest stays whole (``test``: all 1012 lines) and
the dev file is cut as the where-ICL paper's ``bin/prepare-flores.sh`` cuts it: lines
1-:data:`FLORES_DEV_TRAIN` are ``train`` (the demonstration pool, and its LoRA training
pairs), the rest (801-997) is ``validation`` (the paper's "prompt" split: its masking runs draw
their demonstrations from it, its LoRA runs evaluate on it).

Code: ``humaneval`` (split ``test``, 164 problems) and ``mbpp`` (splits by task_id: ``prompt``
1-10, ``test`` 11-510, ``validation`` 511-600, ``train`` 601-974). One input field ``text`` and
the reference code as label, as the where-ICL paper's code builds them: MBPP ``text`` -> ``code``;
HumanEval: the prompt's text between its first two triple double quotes, stripped (the whole
prompt when it has none) ->
``canonical_solution`` (the function body). ``meta`` keeps ``task_id``, ``tests``, the HumanEval
``prompt``/``entry_point`` and ``docstring`` (the entry point's own docstring, dedented).
"""

from __future__ import annotations

import ast
import inspect
from itertools import permutations
from pathlib import Path
from typing import Any, Mapping

from iclab.data import readers
from iclab.data._common import make_task, need
from iclab.data.hub import hub_rows
from iclab.data.types import Example, Task
from iclab.errors import DataError

__all__ = ["POOL_SIZE", "FLORES_DEV_TRAIN", "GENERATION_TASKS", "GENERATION_LOCAL_FILES",
           "flores_dev_files", "load_flores_with_dev", "load_generation_local",
           "load_generation_hub"]

#: Devtest/newstest lines used as the demonstration pool; the rest is the test set.
POOL_SIZE = 200

LANGUAGES: Mapping[str, str] = {"eng": "English", "fra": "French", "deu": "German",
                                "spa": "Spanish", "por": "Portuguese"}
_WMT = {"en": ("eng", "English"), "fr": ("fra", "French"), "de": ("deu", "German")}
_WMT_PAIRS = (("en", "fr"), ("fr", "en"), ("en", "de"), ("de", "en"))

GENERATION_TASKS: tuple[str, ...] = (
    tuple(f"flores-{s}-{t}" for s, t in permutations(LANGUAGES, 2))
    + tuple(f"wmt14-{s}-{t}" for s, t in _WMT_PAIRS)
    + ("humaneval", "mbpp")
)


def _wmt_dir(src: str, tgt: str) -> str:
    other = tgt if src == "en" else src
    return f"wmt14_newstest_en{other}"


GENERATION_LOCAL_FILES: Mapping[str, tuple[str, ...]] = {
    **{f"flores-{s}-{t}": (f"flores200_devtest/{s}_Latn.devtest",
                           f"flores200_devtest/{t}_Latn.devtest")
       for s, t in permutations(LANGUAGES, 2)},
    **{f"wmt14-{s}-{t}": (f"{_wmt_dir(s, t)}/newstest2014.{_WMT[s][0]}",
                          f"{_wmt_dir(s, t)}/newstest2014.{_WMT[t][0]}") for s, t in _WMT_PAIRS},
    "humaneval": ("humaneval/HumanEval.jsonl",),
    "mbpp": ("mbpp/mbpp.jsonl",),
}


def _translation_task(name: str, pairs: list[tuple[str, str, str]], src_name: str,
                      tgt_name: str, source: str) -> Task:
    # lines are stripped, as the where-ICL paper's loader does (some spa/por lines carry
    # leading or trailing spaces)
    examples = [Example({"source": s.strip()}, t.strip(), {"where": where, "line": i + 1,
                                           "source_language": src_name,
                                           "target_language": tgt_name})
                for i, (s, t, where) in enumerate(pairs)]
    if len(examples) <= POOL_SIZE:
        raise DataError(f"task {name!r}: {len(examples)} lines, need more than {POOL_SIZE}")
    notes = (f"train = the first {POOL_SIZE} lines (demonstration pool), test = the remaining "
             f"{len(examples) - POOL_SIZE}")
    return make_task(name, "generation", (), {"train": examples[:POOL_SIZE],
                                              "test": examples[POOL_SIZE:]},
                     input_fields=("source",), field_names={"source": src_name}, source=source,
                     notes=notes)


#: dev lines that ``bin/prepare-flores.sh`` of the where-ICL paper keeps as its train split.
FLORES_DEV_TRAIN = 800


def flores_dev_files(name: str, dev_dir: Path) -> tuple[Path, Path]:
    """The dev files of FLORES task ``name`` in ``dev_dir`` (FLORES-200 names:
    ``eng_Latn.dev``, ``fra_Latn.dev``).

    Raises:
        DataError: ``name`` is not a FLORES task, or a file is missing.
    """
    if not name.startswith("flores-") or name not in GENERATION_TASKS:
        raise DataError(f"a FLORES dev directory applies to FLORES tasks only, not {name!r}")
    _, s, t = name.split("-")
    out = []
    for lang in (s, t):
        path = Path(dev_dir) / f"{lang}_Latn.dev"
        if not path.is_file():
            raise DataError(f"FLORES dev directory {dev_dir}: {path.name} not found (expected "
                            f"the FLORES-200 layout, one '<lang>_Latn.dev' file per language)")
        out.append(path)
    return out[0], out[1]


def load_flores_with_dev(name: str, data_dir: Path, dev_dir: Path) -> Task:
    """FLORES task ``name`` with its dev file: ``train`` = dev lines 1-800, ``validation`` =
    dev lines 801 on, ``test`` = every devtest line (the where-ICL paper's split).

    Raises:
        DataError: a file is missing, files are not aligned, or the dev file has no line after
            line 800.
    """
    src_dev, tgt_dev = flores_dev_files(name, dev_dir)
    _, s, t = name.split("-")
    src_test, tgt_test = GENERATION_LOCAL_FILES[name]

    def examples(rows: list[readers.Row], start: int) -> list[Example]:
        return [Example({"source": r["source"].strip()}, r["target"].strip(),
                        {"where": r.where, "line": start + i + 1,
                         "source_language": LANGUAGES[s], "target_language": LANGUAGES[t]})
                for i, r in enumerate(rows)]

    dev = readers.read_aligned(src_dev, tgt_dev)
    if len(dev) <= FLORES_DEV_TRAIN:
        raise DataError(f"{src_dev}: {len(dev)} lines; the paper's split needs more than "
                        f"{FLORES_DEV_TRAIN} (FLORES-200 dev has 997)")
    test = readers.read_aligned(need(data_dir, src_test), need(data_dir, tgt_test))
    notes = (f"train = dev lines 1-{FLORES_DEV_TRAIN}, validation = dev lines "
             f"{FLORES_DEV_TRAIN + 1}-{len(dev)} (where-ICL prepare-flores.sh), test = all "
             f"{len(test)} devtest lines")
    return make_task(name, "generation", (),
                     {"train": examples(dev[:FLORES_DEV_TRAIN], 0),
                      "validation": examples(dev[FLORES_DEV_TRAIN:], FLORES_DEV_TRAIN),
                      "test": examples(test, 0)},
                     input_fields=("source",), field_names={"source": LANGUAGES[s]},
                     source=f"{data_dir / src_test} + {src_dev}", notes=notes)


def _docstring(prompt: str, entry_point: str, where: str) -> str:
    try:
        tree = ast.parse(prompt + "\n    pass\n")
    except SyntaxError as exc:
        raise DataError(f"{where}: prompt is not valid Python ({exc.msg})") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            # the first string statement of the body (HumanEval/115 puts an import before it)
            for stmt in node.body:
                if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                        and isinstance(stmt.value.value, str)):
                    return inspect.cleandoc(stmt.value.value)
    raise DataError(f"{where}: no docstring for entry point {entry_point!r}")


def _paper_question(prompt: str) -> str:
    """The where-ICL paper's HumanEval question: the text between the first two triple quotes,
    stripped; the whole prompt when it has no triple double quotes."""
    return prompt.split('"""')[1].strip() if '"""' in prompt else prompt


def _humaneval(rows: list[Mapping[str, Any]], wheres: list[str], source: str) -> Task:
    examples = [
        Example({"text": _paper_question(r["prompt"])}, r["canonical_solution"],
                {"where": w, "task_id": r["task_id"], "prompt": r["prompt"],
                 "entry_point": r["entry_point"],
                 "docstring": _docstring(r["prompt"], r["entry_point"], w), "tests": r["test"]})
        for r, w in zip(rows, wheres)
    ]
    return make_task("humaneval", "generation", (), {"test": examples}, input_fields=("text",),
                     field_names={"text": "Task"}, source=source,
                     notes="test = the 164 problems; text = prompt.split('\"\"\"')[1].strip() "
                           "(where-ICL paper); label = canonical_solution")


def _mbpp_split(task_id: int) -> str:
    if 1 <= task_id <= 10:
        return "prompt"
    if task_id <= 510:
        return "test"
    if task_id <= 600:
        return "validation"
    return "train"


def _mbpp(rows: list[Mapping[str, Any]], wheres: list[str], source: str) -> Task:
    splits: dict[str, list[Example]] = {"train": [], "validation": [], "test": [], "prompt": []}
    for r, w in zip(rows, wheres):
        if not isinstance(r["task_id"], int) or not 1 <= r["task_id"] <= 974:
            raise DataError(f"{w}: task_id {r['task_id']!r} is outside 1..974")
        meta = {"where": w, "task_id": r["task_id"], "tests": list(r["test_list"]),
                "test_setup_code": r.get("test_setup_code", ""),
                "challenge_tests": list(r.get("challenge_test_list") or [])}
        splits[_mbpp_split(r["task_id"])].append(Example({"text": r["text"]}, r["code"], meta))
    for examples in splits.values():
        examples.sort(key=lambda e: e.meta["task_id"])  # type: ignore[arg-type, return-value]
    return make_task("mbpp", "generation", (), splits, input_fields=("text",),
                     field_names={"text": "Task"}, source=source,
                     notes="standard split by task_id: prompt 1-10, test 11-510, "
                           "validation 511-600, train 601-974")


def load_generation_local(name: str, data_dir: Path) -> Task:
    """Build generation task ``name`` from the local copy under ``data_dir``."""
    data_dir = Path(data_dir)
    if name in ("humaneval", "mbpp"):
        path = need(data_dir, *GENERATION_LOCAL_FILES[name][0].split("/"))
        rows = readers.read_humaneval(path) if name == "humaneval" else readers.read_mbpp(path)
        build = _humaneval if name == "humaneval" else _mbpp
        return build([r.values for r in rows], [r.where for r in rows], str(path))
    src_file, tgt_file = GENERATION_LOCAL_FILES[name]
    rows = readers.read_aligned(need(data_dir, src_file), need(data_dir, tgt_file))
    _, s, t = name.split("-")
    names = LANGUAGES if name.startswith("flores") else {k: v[1] for k, v in _WMT.items()}
    return _translation_task(name, [(r["source"], r["target"], r.where) for r in rows],
                             names[s], names[t], str(data_dir / src_file))


def load_generation_hub(name: str) -> Task:
    """Build generation task ``name`` from the Hugging Face hub (needs ``iclab[hub]``)."""
    if name == "humaneval":
        rows = hub_rows("openai/openai_humaneval", split="test")
        return _humaneval(rows, [f"openai_humaneval[test][{i}]" for i in range(len(rows))],
                          "hf:openai/openai_humaneval")
    if name == "mbpp":
        rows = [r for split in ("train", "validation", "test", "prompt")
                for r in hub_rows("google-research-datasets/mbpp", "full", split=split)]
        return _mbpp(rows, [f"mbpp[task_id={r['task_id']}]" for r in rows],
                     "hf:google-research-datasets/mbpp")
    _, s, t = name.split("-")
    if name.startswith("flores"):
        config = f"{s}_Latn-{t}_Latn"
        rows = hub_rows("facebook/flores", config, split="devtest")
        pairs = [(r[f"sentence_{s}_Latn"], r[f"sentence_{t}_Latn"], f"flores/{config}[{i}]")
                 for i, r in enumerate(rows)]
        return _translation_task(name, pairs, LANGUAGES[s], LANGUAGES[t], "hf:facebook/flores")
    config = f"{'fr' if 'fr' in (s, t) else 'de'}-en"
    rows = hub_rows("wmt/wmt14", config, split="test")
    pairs = [(r["translation"][s], r["translation"][t], f"wmt14/{config}[test][{i}]")
             for i, r in enumerate(rows)]
    return _translation_task(name, pairs, _WMT[s][1], _WMT[t][1], "hf:wmt/wmt14")
