"""The two bundled real models behave like pretrained LMs (integration)."""

import pytest

from iclab.models import load_model
from iclab.engine.check import smoke_check


@pytest.fixture(scope="module", params=["gemma-3-270m", "smollm2-135m"])
def loaded(request):
    return load_model(request.param)


@pytest.mark.integration
def test_loaded_metadata(loaded):
    expected_layers = {"gemma-3-270m": 18, "smollm2-135m": 30}[loaded.id.name]
    assert loaded.n_layers == expected_layers
    assert loaded.id.dtype == "float32" and loaded.id.revision is None
    assert loaded.source.endswith(tuple("0123456789abcdef"))  # the dequantized cache entry


@pytest.mark.integration
def test_sentiment_ranking(loaded):
    result = smoke_check(loaded)
    assert result["positive_logprob"] > result["negative_logprob"]


@pytest.mark.integration
def test_gemma_translates_house():
    result = smoke_check(load_model("gemma-3-270m"))
    assert result["translation"] == "maison"
