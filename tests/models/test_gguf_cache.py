"""The dequantized-GGUF cache: written once, atomically, with clear errors."""

import errno

import pytest

from iclab.errors import ModelSpecError
from iclab.models import gguf_cache, load_model
from iclab.models.bundled import gguf_path
from iclab.models.tiny import tiny_model, tiny_tokenizer


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ICLAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def fake_gguf(tmp_path, monkeypatch):
    """A GGUF-headed file whose 'dequantization' yields a tiny model (the GGUF reader is
    exercised for real by the bundled-model tests)."""
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF" + bytes(64))
    monkeypatch.setattr(gguf_cache, "_read_gguf", lambda p: (tiny_model("llama"), tiny_tokenizer("llama")))
    return path


def test_written_once_then_reused(cache, fake_gguf, monkeypatch):
    entry = gguf_cache.ensure_dequantized(fake_gguf)
    assert (entry / "model.safetensors").is_file() and (entry / "tokenizer.json").is_file()
    assert entry.parent == cache / "models"
    monkeypatch.setattr(gguf_cache, "_read_gguf", lambda p: pytest.fail("re-dequantized"))
    assert gguf_cache.ensure_dequantized(fake_gguf) == entry
    loaded = load_model(str(fake_gguf))
    assert loaded.n_layers == 4 and loaded.id.name == "tiny.gguf"
    assert [p for p, _ in gguf_cache.cached_entries()] == [entry]


def test_no_space_leaves_nothing_behind(cache, fake_gguf, monkeypatch):
    def full_disk(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(type(tiny_model("llama")), "save_pretrained", full_disk)
    with pytest.raises(ModelSpecError, match="no space left"):
        gguf_cache.ensure_dequantized(fake_gguf)
    assert list((cache / "models").iterdir()) == []


def test_not_a_gguf_file(cache, tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelSpecError, match="not a GGUF file"):
        load_model(str(bad))


@pytest.mark.integration
def test_truncated_real_gguf(cache, tmp_path):
    real = gguf_path("smollm2-135m")
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(real.read_bytes()[: 2_000_000])
    with pytest.raises(ModelSpecError, match="corrupt or truncated"):
        load_model(str(cut))
    assert [p for p in (cache / "models").iterdir()] == []  # no half-written entry
