"""load_model on local directories, a hub cache with revisions, and bad input."""

import json

import pytest
import torch

from iclab.errors import ModelSpecError
from iclab.models import load_model
from iclab.models.tiny import TINY_ARCHS, tiny_model, tiny_tokenizer


def _save_tiny(path, arch="llama", seed=0):
    tiny_model(arch, seed=seed).save_pretrained(path)
    tiny_tokenizer(arch).save_pretrained(path)
    return path


@pytest.mark.parametrize("arch", TINY_ARCHS)
def test_local_directory_round_trip(tmp_path, arch):
    _save_tiny(tmp_path, arch)
    loaded = load_model(str(tmp_path))
    assert loaded.n_layers == 4
    assert loaded.device == torch.device("cpu")
    assert loaded.dtype == torch.float32  # fp32 by default on CPU
    assert loaded.id.name == str(tmp_path.resolve()) and loaded.id.dtype == "float32"
    ids = loaded.tokenizer("Answer: positive", return_tensors="pt").input_ids
    expected = tiny_model(arch)(ids).logits
    torch.testing.assert_close(loaded.model(ids).logits, expected)


def test_dtype_and_device_options(tmp_path):
    _save_tiny(tmp_path)
    assert load_model(str(tmp_path), dtype="bf16").dtype == torch.bfloat16
    with pytest.raises(ModelSpecError, match="unknown dtype"):
        load_model(str(tmp_path), dtype="float8")
    if not torch.cuda.is_available():
        with pytest.raises(ModelSpecError, match="CUDA is not available"):
            load_model(str(tmp_path), device="cuda")


def _fake_hub_cache(root, repo, revisions):
    """Lay out a Hugging Face hub cache for ``repo`` with one snapshot per named revision."""
    base = root / ("models--" + repo.replace("/", "--"))
    for i, rev in enumerate(revisions):
        commit = f"{i + 1:040x}"
        _save_tiny(base / "snapshots" / commit, seed=i)
        (base / "refs").mkdir(parents=True, exist_ok=True)
        (base / "refs" / rev).write_text(commit)
    return base


def test_hub_id_with_revision_resolves_through_hub_code(tmp_path, monkeypatch):
    """The real hub path (from_pretrained with revision) served from a local hub cache."""
    _fake_hub_cache(tmp_path, "EleutherAI/pythia-tiny", ["step4000", "step143000"])
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as hc
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    early = load_model("EleutherAI/pythia-tiny@step4000")
    late = load_model("EleutherAI/pythia-tiny@step143000")
    assert early.id.key == "EleutherAI/pythia-tiny@step4000:float32"
    assert late.id.revision == "step143000"
    w0 = early.model.get_input_embeddings().weight
    w1 = late.model.get_input_embeddings().weight
    assert not torch.equal(w0, w1)  # two checkpoints, two different sets of weights
    with pytest.raises(ModelSpecError, match="could not load model"):
        load_model("EleutherAI/pythia-tiny@step99")


def test_unknown_model_name_message():
    with pytest.raises(ModelSpecError, match="gemma-3-270m, smollm2-135m"):
        load_model("pythia")


def test_local_dir_missing_weights(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(ModelSpecError):
        load_model(str(tmp_path))
