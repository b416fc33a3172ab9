"""Checkpoint series: a model's pre-training checkpoints as (series, step, spec) triples.

A series comes from hub revisions (Pythia names them ``step4000`` … ``step143000``) or from a
local directory whose sub-directories are saved checkpoints named ``step<N>``, ``step-<N>``,
``step_<N>`` or ``checkpoint-<N>`` (the HF Trainer's naming).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from iclab.errors import IclabError
from iclab.options.lists import split_list

_STEP = re.compile(r"(?:step[-_]?|checkpoint-)(\d+)$")


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint: its series name, training step and the spec ``load_model`` takes."""

    series: str
    step: int
    spec: str


def parse_step(name: str) -> int:
    """The training step in a revision or directory name (``step4000``, ``checkpoint-500``).

    Raises:
        IclabError: the name carries no step number.
    """
    match = _STEP.search(name.rstrip("/").split("/")[-1])
    if match is None:
        raise IclabError(f"cannot read a training step from {name!r}; name checkpoints like "
                         "'step4000' or 'checkpoint-500'")
    return int(match.group(1))


def from_revisions(hub_id: str, revisions: Sequence[str], series: str | None = None) -> list[Checkpoint]:
    """Checkpoints of a hub model at the given revisions, in step order."""
    name = series or hub_id.split("/")[-1]
    out = [Checkpoint(name, parse_step(r), f"{hub_id}@{r}") for r in revisions]
    return sorted(out, key=lambda c: c.step)


def from_directory(root: str | Path, series: str | None = None) -> list[Checkpoint]:
    """Checkpoints saved as sub-directories of ``root`` (each with a ``config.json``).

    Raises:
        IclabError: ``root`` is missing or holds no checkpoint directory.
    """
    base = Path(root)
    if not base.is_dir():
        raise IclabError(f"checkpoint directory not found: {root}")
    found = []
    for sub in sorted(base.iterdir()):
        if sub.is_dir() and (sub / "config.json").is_file() and _STEP.search(sub.name):
            found.append(Checkpoint(series or base.name, parse_step(sub.name), str(sub.resolve())))
    if not found:
        raise IclabError(f"no checkpoints (sub-directories like step4000/ or checkpoint-500/ "
                         f"with a config.json) in {root}")
    return sorted(found, key=lambda c: c.step)


PAPER_PYTHIA_STEPS: tuple[int, ...] = (
    4000, 13000, 21000, 30000, 39000, 47000, 56000, 65000, 73000, 82000, 91000, 99000, 108000,
    117000, 125000, 134000, 143000)
"""The task-recognition paper's Pythia checkpoints (17 steps, 4000 to 143000)."""

PAPER_PYTHIA_SIZES: tuple[str, ...] = ("410m", "1b", "1.4b", "2.8b", "6.9b", "12b")


def paper_series(name: str) -> list[Checkpoint]:
    """A named checkpoint series of the task-recognition paper: ``pythia-<size>`` (one of
    :data:`PAPER_PYTHIA_SIZES`) at :data:`PAPER_PYTHIA_STEPS` from ``EleutherAI/pythia-<size>``.

    Raises:
        IclabError: not a series the paper used. Its other families (MiniCPM, Baichuan2, Amber,
            CrystalCoder, OLMo) are no presets: its code loads them from local paths it does
            not publish, with no hub id or revision name (docs/FIDELITY.md, section 4).
    """
    size = name.removeprefix("pythia-")
    if not name.startswith("pythia-") or size not in PAPER_PYTHIA_SIZES:
        raise IclabError(f"no paper checkpoint series {name!r}; known: "
                         f"{[f'pythia-{s}' for s in PAPER_PYTHIA_SIZES]} (the paper's MiniCPM, "
                         f"Baichuan2, Amber, CrystalCoder and OLMo runs name no hub id or "
                         f"revision; give them as hub/id@rev1,rev2,... or a local directory)")
    return from_revisions(f"EleutherAI/pythia-{size}", [f"step{s}" for s in PAPER_PYTHIA_STEPS])


def parse_checkpoint_arg(text: str) -> list[Checkpoint]:
    """Read a CLI checkpoint argument.

    Forms: ``paper:pythia-410m`` (a named series of the paper, :func:`paper_series`); a local
    directory of checkpoints; ``hub/id@rev1,rev2,...``; or a single model spec (step 0, its own
    series: for comparing models that are not checkpoints of one run).
    """
    if text.startswith("paper:"):
        return paper_series(text.removeprefix("paper:"))
    if Path(text).is_dir() and not (Path(text) / "config.json").is_file():
        return from_directory(text)
    name, _, revs = text.partition("@")
    if revs and "," in revs:
        return from_revisions(name, list(split_list(revs)))
    series = name.rstrip("/").split("/")[-1]
    try:
        step = parse_step(revs or name)
    except IclabError:
        step = 0
    return [Checkpoint(series, step, text)]


def train_checkpoint_series(root: str | Path, steps: Sequence[int] = (0, 15, 40, 80),
                            task: str = "word-sentiment", arch: str = "gpt_neox", seed: int = 0,
                            lr: float = 3e-3) -> list[Checkpoint]:
    """Train a tiny model on a task and save it at several steps: a real, changing series.

    The model (``iclab.models.tiny``) is fully fine-tuned on ``input`` → ``"\\n" + answer``
    pairs of the task's train split (the ``metaicl-minimal`` demo format) and saved as
    ``root/step<N>/`` after N optimizer steps (step 0 is the random initialisation). Training
    segments alternate between label-word answers (segments 1, 3, ...) and abstract-symbol
    answers (segments 2, 4, ...: symbol i for class i), so the ability measured by random-label
    accuracy (TR) and the one measured by abstract-symbol accuracy (TL) really compete across
    the series. Made for tests and examples of checkpoint sweeps without the hub; takes seconds
    to a minute.
    """
    from iclab.engine import Engine, FinetuneConfig
    from iclab.data import load_task
    from iclab.models.tiny import tiny_model, tiny_tokenizer
    from iclab.prompts import ABSTRACT_SYMBOLS

    if list(steps) != sorted(set(steps)) or steps[0] < 0:
        raise IclabError(f"steps must be increasing and non-negative, got {list(steps)}")
    model, tok = tiny_model(arch, seed=seed), tiny_tokenizer(arch)  # type: ignore[arg-type]
    loaded = load_task(task)
    train = loaded.split("train")
    words = [(e.fields["input"], "\n" + e.label) for e in train]
    symbols = [(e.fields["input"], "\n" + ABSTRACT_SYMBOLS[loaded.label_index(e.label)])
               for e in train]
    base = Path(root)
    done, segment = 0, 0
    for step in steps:
        if step > done:
            segment += 1
            cfg = FinetuneConfig(method="full", lr=lr, max_steps=step - done, batch_size=8,
                                 seed=seed + done, add_eos=False)
            pairs = words if segment % 2 == 1 else symbols
            model = Engine(model, tok, verify=False).finetune(pairs, cfg, copy_model=False).model
            done = step
        model.save_pretrained(base / f"step{step}")
        tok.save_pretrained(base / f"step{step}")
    return from_directory(base, series=f"tiny-{arch}")
