"""Run configs: validation messages name the file and key; expansion and cell ids are stable."""

from __future__ import annotations

import pytest

from iclab.runs import register_analysis
from iclab.runs.config import Cell, ConfigError, cell_id, expand, load_config, parse_config


def _config(**over):
    data = {"analysis": "prompt-stats", "grid": {"task": ["word-sentiment"], "shots": [0, 4]},
            "params": {"limit": 5}}
    data.update(over)
    return data


def test_expand_is_the_grid_product_in_order_with_params_and_defaults() -> None:
    cfg = parse_config(_config(grid={"task": ["word-sentiment", "antonyms"], "shots": [0, 4]}))
    cells = expand(cfg)
    assert [(c["task"], c["shots"]) for c in cells] == [
        ("word-sentiment", 0), ("word-sentiment", 4), ("antonyms", 0), ("antonyms", 4)]
    assert [c.index for c in cells] == [0, 1, 2, 3]
    assert all(c["limit"] == 5 and c["model"] == "gemma-3-270m" for c in cells)  # default filled
    assert len({c.id for c in cells}) == 4


def test_cell_ids_are_stable_and_depend_on_every_setting() -> None:
    a = expand(parse_config(_config()))
    b = expand(parse_config(_config(grid={"shots": [0, 4], "task": ["word-sentiment"]})))
    assert {c.id for c in a} == {c.id for c in b}  # axis order does not matter
    c = expand(parse_config(_config(params={"limit": 6})))
    assert not {x.id for x in a} & {x.id for x in c}
    assert a[0].id == cell_id("prompt-stats", a[0].to_dict())
    assert len(a[0].id) == 16 and int(a[0].id, 16) >= 0


def test_explicit_default_gives_the_same_cell_as_omitting_it() -> None:
    a = expand(parse_config(_config()))
    b = expand(parse_config(_config(params={"limit": 5, "template": "default"})))
    assert [x.id for x in a] == [x.id for x in b]


def test_cell_is_a_frozen_mapping() -> None:
    cell = Cell("prompt-stats", {"task": "x", "nested": {"a": [1, 2]}})
    assert dict(cell)["task"] == "x" and len(cell) == 2
    with pytest.raises(TypeError):
        cell._config["task"] = "y"  # type: ignore[index]
    copy = cell.to_dict()
    copy["nested"]["a"].append(3)
    assert cell["nested"]["a"] == [1, 2]


@pytest.mark.parametrize("data, needle", [
    (_config(grdi={"a": [1]}), "grdi: unknown key"),
    (_config(grid={"shots": []}), "grid: axis 'shots' is empty"),
    (_config(grid={"shots": [1, 1]}), "grid: axis 'shots' repeats the value(s) 1"),
    (_config(grid={"shots": "0,4"}), "grid.shots: Input should be a valid list"),
    (_config(grid={"shots": [[1, 2]]}), "grid.shots.0"),
    (_config(grid={}), "grid: Dictionary should have at least 1 item"),
    (_config(analysis=5), "analysis: Input should be a valid string"),
    (_config(params={"shots": 2}), "params.shots: also a grid axis"),
    (_config(imports=["no_such_module_xyz"]), "imports: cannot import 'no_such_module_xyz'"),
])
def test_schema_errors_name_the_file_and_key(data, needle) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(data, "sweep.yaml")
    assert "sweep.yaml: " in str(err.value) and needle in str(err.value)


@pytest.mark.parametrize("over, needle", [
    ({"analysis": "no-such-analysis"}, "analysis: unknown analysis 'no-such-analysis'"),
    ({"grid": {"shots": [0, -1], "task": ["x"]}}, "grid.shots: Input should be greater than"),
    ({"params": {"limit": 5, "tmeplate": "default"}}, "params.tmeplate: unknown key"),
    ({"params": {"template": "no-such-template"}}, "params.template: unknown template"),
    ({"params": {"labels": "percent-correct:x"}}, "params.labels: label setting"),
    ({"grid": {"shots": [0]}}, "params.task: Field required"),
])
def test_impossible_cells_are_refused_before_anything_runs(over, needle) -> None:
    with pytest.raises(ConfigError) as err:
        expand(parse_config(_config(**over), "sweep.yaml"), "sweep.yaml")
    assert needle in str(err.value), str(err.value)


def test_yaml_errors_give_the_line(tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("analysis: prompt-stats\ngrid:\n  shots: [0, 4\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: invalid YAML \(line \d+"):
        load_config(path)
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read run config"):
        load_config(tmp_path / "missing.yaml")


def test_huge_grids_are_refused() -> None:
    grid = {f"a{i}": list(range(10)) for i in range(7)}
    with pytest.raises(ConfigError, match="10,000,000 cells is more than the limit"):
        parse_config(_config(grid=grid))


def test_values_without_a_stable_id_are_refused() -> None:
    with pytest.raises(ConfigError, match="Out of range float values are not JSON compliant"):
        expand(parse_config({"analysis": "test-any", "grid": {"x": [1]},
                             "params": {"w": float("nan")}}))


def _any_cell(cell: dict, ctx) -> list[dict]:
    return [dict(cell)]


register_analysis("test-any", _any_cell)


def test_every_example_config_is_valid() -> None:
    from pathlib import Path

    examples = sorted((Path(__file__).resolve().parents[2] / "examples").rglob("*.yaml"))
    assert {p.stem for p in examples} >= {"eval", "prompt-stats", "pythia-checkpoints"}
    for path in examples:
        assert expand(load_config(path), str(path)), path
