"""Model specification parsing: every accepted form and every rejection."""

import pytest

from iclab.errors import ModelSpecError
from iclab.models import parse_spec


def test_bundled_names():
    assert parse_spec("gemma-3-270m").kind == "bundled"
    assert parse_spec("smollm2-135m").name == "smollm2-135m"


def test_hub_id_with_and_without_revision():
    spec = parse_spec("EleutherAI/pythia-410m@step4000")
    assert (spec.kind, spec.name, spec.revision) == ("hub", "EleutherAI/pythia-410m", "step4000")
    assert parse_spec("EleutherAI/pythia-410m").revision is None


def test_local_directory_and_gguf(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert parse_spec(str(tmp_path)).kind == "local"
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    assert parse_spec(str(gguf)) .kind == "gguf"


def test_unknown_name_lists_bundled_and_forms():
    with pytest.raises(ModelSpecError) as err:
        parse_spec("gemma-270m")
    msg = str(err.value)
    assert "gemma-3-270m" in msg and "smollm2-135m" in msg and "@step4000" in msg


@pytest.mark.parametrize("bad,needle", [
    ("/no/such/model.gguf", "GGUF file not found"),
    ("./no-such-dir", "no such directory"),
    ("org/name@", "empty revision"),
])
def test_rejections(bad, needle):
    with pytest.raises(ModelSpecError, match=needle):
        parse_spec(bad)


def test_directory_without_config(tmp_path):
    with pytest.raises(ModelSpecError, match="no config.json"):
        parse_spec(str(tmp_path))


def test_local_checkpoint_series_with_revision(tmp_path):
    for step in ("step0", "step40"):
        (tmp_path / step).mkdir()
        (tmp_path / step / "config.json").write_text("{}")
    spec = parse_spec(f"{tmp_path}@step40")
    assert (spec.kind, spec.name) == ("local", str((tmp_path / "step40").resolve()))
    with pytest.raises(ModelSpecError, match="no checkpoint 'step9'.*step0"):
        parse_spec(f"{tmp_path}@step9")
