"""Bad input on every verb: exit status != 0, one line ``error: ...`` naming the problem on
stderr, no traceback, no partial output (issue 18).

Each case runs ``iclab.cli.run`` in-process (the entry point that turns errors into one line).
Model-free checks name a model that does not exist (``{f}/no-model``): the case passes only if
the option is refused before any model would load.
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import sys
from pathlib import Path

import pytest

from iclab.models.tiny import tiny_model, tiny_tokenizer
from iclab.runs.config import Cell
from iclab.runs.store import STORE_FILE, ResultStore, utc_now

GOOD_ROWS = [{"text": f"review {i}", "y": i % 2} for i in range(8)]
SPEC = ("name: {name}\nformat: jsonl\nfiles: {{train: {data}, test: {data}}}\n"
        "input: ['{{text}}']\nlabel: y\nlabels: {labels}\n")
SECRET = "TOP-SECRET-LINE-CONTENT"


def _spec(root: Path, name: str, labels: str = "{'0': bad, '1': good}", data: str = "good.jsonl",
          extra: str = "") -> None:
    (root / f"{name}.yaml").write_text(SPEC.format(name=name, data=data, labels=labels) + extra)


def _store(run_dir: Path, n_cells: int = 3) -> list[Cell]:
    cells = [Cell("prompt-stats", {"k": k}, index=k) for k in range(n_cells)]
    now = utc_now()
    with ResultStore(run_dir, create=True) as store:
        for cell in cells:
            store.commit_cell(cell, [{"x": cell["k"]}], started_at=now, finished_at=now,
                              duration_s=0.1, analysis_version="1")
        store.add_config("0123456789abcdef", {"analysis": "test-other", "params": {},
                                              "axes": ["k"]})
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return cells


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """Every bad (and the few good) input file the table refers to as ``{f}/...``."""
    f = tmp_path_factory.mktemp("bad-inputs")
    tiny_model("llama").save_pretrained(f / "tiny")
    tiny_tokenizer("llama").save_pretrained(f / "tiny")
    (f / "bad.gguf").write_bytes(b"GGUF" + bytes(range(96)))
    (f / "junk.gguf").write_bytes(bytes(range(100)))
    (f / "a-file").write_text("not a directory\n")
    (f / "good.jsonl").write_text("".join(json.dumps(r) + "\n" for r in GOOD_ROWS))
    (f / "null.jsonl").write_text('{"text": "a", "y": 0}\n{"text": "b", "y": null}\n')
    (f / "dict.jsonl").write_text('{"text": {"nested": 1}, "y": 0}\n')
    (f / "broken.jsonl").write_text('{"text": "a", "y": 0}\n{"text": "' + SECRET + '", "y": 1\n')
    (f / "latin1.csv").write_bytes(b"text,y\ncaf\xe9,0\nthe,1\n")
    _spec(f, "good")
    _spec(f, "dup", "{'0': negative, '1': negative}")
    _spec(f, "empty", "{'0': '', '1': good}")
    _spec(f, "nulllabel", data="null.jsonl")
    _spec(f, "dictinput", data="dict.jsonl")
    _spec(f, "broken", data="broken.jsonl")
    _spec(f, "shared", "{'0': good movie, '1': good film}")
    _spec(f, "encoding", extra="encoding: klingon-8\n")
    (f / "latin1.yaml").write_bytes(b"name: caf\xe9\nformat: jsonl\n")
    (f / "nokeys.yaml").write_text("name: x\nformat: jsonl\n")
    (f / "csvspec.yaml").write_text("name: c\nformat: csv\nfiles: {train: latin1.csv}\n"
                                    "input: ['{text}']\nlabel: y\nlabels: {'0': bad, '1': good}\n")
    (f / "run-badyaml.yaml").write_text("analysis: prompt-stats\ngrid: {shots: [0, 4}\n")
    (f / "run-unknown.yaml").write_text("analysis: nope\ngrid: {shots: [0]}\n")
    (f / "run-latin1.yaml").write_bytes(b"analysis: prompt-stats\n# caf\xe9\ngrid: {shots: [0]}\n")
    (f / "run-empty-axis.yaml").write_text("analysis: prompt-stats\ngrid: {shots: []}\n")
    (f / "run-good.yaml").write_text("analysis: prompt-stats\ngrid: {shots: [0]}\n"
                                     "params: {task: word-sentiment}\n")
    _store(f / "other-config")
    cells = _store(f / "damaged-row")
    conn = sqlite3.connect(f / "damaged-row" / STORE_FILE)
    conn.execute("UPDATE rows SET data='{\"x\": ' WHERE cell_id=?", (cells[1].id,))
    conn.commit()
    conn.close()
    _store(f / "damaged-pages")
    data = bytearray((f / "damaged-pages" / STORE_FILE).read_bytes())
    for start in range(4096, len(data), 4096):
        data[start:start + 4096] = bytes(range(256)) * 16
    (f / "damaged-pages" / STORE_FILE).write_bytes(bytes(data))
    (f / "no-store").mkdir()
    (f / "not-layers.json").write_text('{"other": 1}')
    return f


NO_MODEL = "{f}/no-model"
CASES = [
    # doctor / top level
    ("doctor-extra-arg", "doctor surplus", "unexpected extra argument"),
    ("unknown-verb", "frobnicate", "No such command 'frobnicate'"),
    # models
    ("models-prepare-unknown", "models prepare nosuch", "unknown bundled model 'nosuch'"),
    ("models-check-truncated-gguf", "models check {f}/bad.gguf", "corrupt or truncated GGUF"),
    ("models-check-not-gguf", "models check {f}/junk.gguf", "is not a GGUF file"),
    ("models-check-missing", "models check " + NO_MODEL, "no-model"),
    # tasks
    ("tasks-show-unknown", "tasks show nosuch-task", "unknown task 'nosuch-task'"),
    ("tasks-show-dup-labels", "tasks show {f}/dup.yaml", "share the label word 'negative'"),
    ("tasks-show-empty-label", "tasks show {f}/empty.yaml", "label word ''"),
    ("tasks-show-null-label", "tasks show {f}/nulllabel.yaml",
     "null.jsonl:2: label column 'y' is null"),
    ("tasks-show-dict-input", "tasks show {f}/dictinput.yaml",
     "dict.jsonl:1: column 'text' holds a JSON object"),
    ("tasks-show-broken-jsonl", "tasks show {f}/broken.yaml", "broken.jsonl:2: invalid JSON"),
    ("tasks-show-non-utf8-spec", "tasks show {f}/latin1.yaml",
     "latin1.yaml:1: cannot decode as utf-8"),
    ("tasks-show-non-utf8-data", "tasks show {f}/csvspec.yaml",
     "latin1.csv:2: cannot decode as utf-8"),
    ("tasks-show-unknown-encoding", "tasks show {f}/encoding.yaml", "unknown encoding 'klingon-8'"),
    ("tasks-show-missing-keys", "tasks show {f}/nokeys.yaml", "lacks required key(s)"),
    ("tasks-show-missing-spec", "tasks show {f}/absent.yaml", "absent.yaml not found"),
    ("tasks-show-no-split", "tasks show word-sentiment --split nosuch", "no split 'nosuch'"),
    ("tasks-show-negative-n", "tasks show word-sentiment -n -1", "--examples"),
    # prompt
    ("prompt-unknown-task", "prompt --task nosuch-task", "unknown task 'nosuch-task'"),
    ("prompt-unknown-template", "prompt --task word-sentiment --template nosuch",
     "unknown template 'nosuch'"),
    ("prompt-unknown-setting", "prompt --task word-sentiment --labels nosuch", "nosuch"),
    ("prompt-bad-flip", "prompt --task word-sentiment --labels flip-after:x", "is not a number"),
    ("prompt-dup-labels", "prompt --task {f}/dup.yaml", "share the label word"),
    ("prompt-negative-shots", "prompt --task word-sentiment --shots -2", "--shots"),
    # run
    ("run-missing-config", "run {f}/absent.yaml --out {w}/out", "absent.yaml"),
    ("run-bad-yaml", "run {f}/run-badyaml.yaml --out {w}/out", "invalid YAML"),
    ("run-unknown-analysis", "run {f}/run-unknown.yaml --out {w}/out", "unknown analysis 'nope'"),
    ("run-non-utf8-config", "run {f}/run-latin1.yaml --out {w}/out", "cannot decode as utf-8"),
    ("run-empty-axis", "run {f}/run-empty-axis.yaml --out {w}/out", "axis 'shots' is empty"),
    ("run-out-is-file", "run {f}/run-good.yaml --out {f}/a-file", "not a directory"),
    ("run-other-config", "run {f}/run-good.yaml --out {f}/other-config",
     "holds results of config 0123456789abcdef"),
    ("run-append-and-force", "run {f}/run-good.yaml --out {w}/out --append --force-new",
     "--append or --force-new, not both"),
    ("run-damaged-pages", "run {f}/run-good.yaml --out {f}/damaged-pages", "is damaged"),
    ("run-address-without-ray", "run {f}/run-good.yaml --out {w}/out --address auto",
     "need --executor ray"),
    ("run-unknown-executor", "run {f}/run-good.yaml --out {w}/out --executor slurm", "slurm"),
    # results
    ("results-no-store", "results {f}/no-store", "holds no iclab results"),
    ("results-damaged-row", "results {f}/damaged-row", "damaged-row/results.sqlite is damaged"),
    ("results-damaged-pages", "results {f}/damaged-pages", "--repair"),
    ("results-csv-dir", "results {f}/other-config --csv {w}", "is a directory"),
    ("results-csv-missing-dir", "results {f}/other-config --csv {w}/no/such/r.csv",
     "does not exist"),
    # report
    ("report-no-store", "report {f}/no-store -o {w}/r.html", "holds no iclab results"),
    ("report-damaged-row", "report {f}/damaged-row -o {w}/r.html", "is damaged"),
    ("report-damaged-pages", "report {f}/damaged-pages -o {w}/r.html", "is damaged"),
    # synth
    ("synth-unknown-task", "synth nosuch", "unknown task 'nosuch'"),
    ("synth-unknown-split", "synth parity --split sideways", "unknown split 'sideways'"),
    ("synth-huge-n", "synth relation --n 100000000", "less than or equal to 1000000"),
    ("synth-negative-n", "synth parity --n -1", "--n"),
    # curves
    ("curves-unknown-setting", "curves -m " + NO_MODEL + " --settings default,nosuch "
     "-o {w}/out", "nosuch"),
    ("curves-zero-repeats", "curves -m " + NO_MODEL + " --repeats 0 -o {w}/out",
     "repeats and shots must be >= 1"),
    ("curves-bad-sampling", "curves -m " + NO_MODEL + " --sampling sideways -o {w}/out",
     "sampling must be 'iid' or 'balanced'"),
    ("curves-unknown-template", "curves -m " + NO_MODEL + " --template nosuch -o {w}/out",
     "unknown template 'nosuch'"),
    ("curves-unknown-task", "curves -m " + NO_MODEL + " -t nosuch-task -o {w}/out",
     "unknown task 'nosuch-task'"),
    ("curves-out-is-file", "curves -m " + NO_MODEL + " -o {f}/a-file", "not a directory"),
    # trtl
    ("trtl-bad-seeds", "trtl -c " + NO_MODEL + " --seeds a,b -o {w}/out",
     "--seeds must be comma-separated integers"),
    ("trtl-bad-scoring", "trtl -c " + NO_MODEL + " --scoring vibes -o {w}/out", "vibes"),
    ("trtl-half-ensemble", "trtl -c " + NO_MODEL + " --ensemble-tr x -o {w}/out",
     "give both --ensemble-tr and --ensemble-tl"),
    ("trtl-unknown-task", "trtl -c " + NO_MODEL + " --tasks nosuch-task -o {w}/out",
     "unknown task 'nosuch-task'"),
    ("trtl-bad-rule", "trtl -c " + NO_MODEL + " --ensemble-rule vote -o {w}/out",
     "--ensemble-rule must be accuracy, loglik or paper-fixed"),
    ("trtl-zero-limit", "trtl -c " + NO_MODEL + " --limit 0 -o {w}/out", "--limit >= 1"),
    # demo
    ("demo-out-is-file", "demo --out {f}/a-file/demo", "a-file"),
    # eval
    ("eval-out-is-file", "eval -m {f}/tiny -t {f}/good.yaml -k 1 --seeds 1 -o {f}/a-file",
     "exists and is not a directory"),
    ("eval-bad-device", "eval -m {f}/tiny -t {f}/good.yaml --device gpu:banana -o {w}/out",
     "unknown device 'gpu:banana'"),
    ("eval-bad-seeds", "eval -m {f}/tiny --seeds a,b -o {w}/out", "seeds must be comma-separated"),
    ("eval-bad-mode", "eval -m {f}/tiny --mode median -o {w}/out",
     "mode must be first, sum or mean"),
    ("eval-bad-scoring", "eval -m {f}/tiny --scoring vibes -o {w}/out", "scoring must be"),
    ("eval-negative-shots", "eval -m {f}/tiny -k -1 -o {w}/out", "shots must be >= 0"),
    ("eval-bad-dtype", "eval -m {f}/tiny -t {f}/good.yaml --dtype float7 -o {w}/out",
     "unknown dtype 'float7'"),
    ("eval-dup-labels", "eval -m {f}/tiny -t {f}/dup.yaml -o {w}/out", "share the label word"),
    ("eval-shared-first-token", "eval -m {f}/tiny -t {f}/shared.yaml -k 1 --seeds 1 "
     "--mode first -o {w}/out", "always tie"),
    ("eval-truncated-gguf", "eval -m {f}/bad.gguf -t {f}/good.yaml -o {w}/out",
     "corrupt or truncated GGUF"),
    ("eval-unknown-template", "eval -m {f}/tiny -t {f}/good.yaml -k 1 --seeds 1 "
     "--template nosuch -o {w}/out",
     "unknown template 'nosuch'"),
    ("eval-unknown-setting", "eval -m {f}/tiny -t {f}/good.yaml -k 1 --labels nosuch "
     "-o {w}/out", "nosuch"),
    # layers
    ("layers-bad-mask", "layers -m " + NO_MODEL + " --mask nosuch -o {w}/out", "nosuch"),
    ("layers-bad-rows", "layers -m " + NO_MODEL + " --row-scope some -o {w}/out",
     "row_scope must be 'query' or 'all'"),
    ("layers-bad-threshold", "layers -m " + NO_MODEL + " --threshold 2 -o {w}/out",
     "threshold must be in (0, 1]"),
    ("layers-unknown-template", "layers -m " + NO_MODEL + " --template nosuch -o {w}/out",
     "unknown template 'nosuch'"),
    # icl-vs-ft
    ("icl-vs-ft-unknown-task", "icl-vs-ft -m " + NO_MODEL + " --tasks nosuch -o {w}/out",
     "unknown task(s)"),
    ("icl-vs-ft-bad-split", "icl-vs-ft -m " + NO_MODEL + " --split sideways -o {w}/out",
     "splits must be normal/misleading"),
    ("icl-vs-ft-bad-method", "icl-vs-ft -m " + NO_MODEL + " --method magic -o {w}/out",
     "methods must be among"),
    # layer-lora
    ("layer-lora-bad-layers", "layer-lora -m " + NO_MODEL + " --layers a,b -o {w}/out",
     "--layers must be comma-separated integers"),
    ("layer-lora-layers-and-every", "layer-lora -m " + NO_MODEL + " --layers 1 --every 2 "
     "-o {w}/out", "give --layers or --every, not both"),
    ("layer-lora-negative-every", "layer-lora -m " + NO_MODEL + " --every -1 -o {w}/out",
     "--every must be >= 0"),
    ("layer-lora-missing-masking", "layer-lora -m " + NO_MODEL + " --masking {f}/absent "
     "-o {w}/out", "--masking: no summary"),
    ("layer-lora-not-layers-summary", "layer-lora -m " + NO_MODEL + " --masking "
     "{f}/not-layers.json -o {w}/out", "is not an `iclab layers` summary"),
    ("layer-lora-zero-rank", "layer-lora -m " + NO_MODEL + " --r 0 -o {w}/out", "r must be >= 1"),
    ("layer-lora-bad-dropout", "layer-lora -m " + NO_MODEL + " --dropout 1.5 -o {w}/out",
     "0 <= dropout < 1"),
    ("layer-lora-unknown-task", "layer-lora -m " + NO_MODEL + " -t nosuch-task -o {w}/out",
     "unknown task 'nosuch-task'"),
]


def _tree(root: Path) -> set[str]:
    """Files and directories under ``root``, minus SQLite's sidecar and lock files (a reader
    may create those)."""
    skip = ("-wal", "-shm", "/lock")
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if not str(p).endswith(skip)}


def test_the_table_covers_every_verb() -> None:
    from iclab.cli import app

    verbs = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    covered = {args.split()[0] for _, args, _ in CASES}
    assert len(CASES) >= 60
    assert verbs <= covered, verbs - covered


@pytest.mark.parametrize("args, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(files: Path, tmp_path: Path, monkeypatch, capsys, args: str,
                   message: str) -> None:
    from iclab import cli

    monkeypatch.setenv("ICLAB_CACHE", str(tmp_path.parent / "iclab-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    work = tmp_path / "w"
    work.mkdir()
    argv = shlex.split(args.format(f=files, w=work))
    before = _tree(files)
    monkeypatch.setattr(sys, "argv", ["iclab", *argv])
    with pytest.raises(SystemExit) as exited:
        cli.run()
    out = capsys.readouterr()
    errors = [line for line in out.err.splitlines()
              if line.strip() and not line.startswith(("warning:", "iclab: "))]
    assert exited.value.code not in (0, None), out
    assert "Traceback" not in out.err and "Traceback" not in out.out
    assert len(errors) == 1 and errors[0].startswith("error: "), out.err
    assert message in errors[0], errors[0]
    assert SECRET not in out.err
    assert not os.listdir(work), f"left behind: {os.listdir(work)}"
    assert _tree(files) == before, "an input directory changed"
