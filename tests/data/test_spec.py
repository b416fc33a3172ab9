"""Task spec files: a dataset the code has never seen loads without code; bad specs fail clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iclab.data import load_task
from iclab.data.spec import load_spec
from iclab.errors import DataError

NEWS_TRAIN = '''Class Index,Title,Description
3,Wall St. Bears Claw Back,"Short-sellers, Wall Street's dwindling band, are seeing green again."
4,"Carbon, the new silicon?",Researchers report a faster transistor.
2,Cubs win,"The Cubs beat the Cardinals 5-3 on Sunday."
1,Talks resume,Diplomats met in Geneva.
'''
NEWS_TEST = '''Class Index,Title,Description
2,Late goal,A late goal settles the derby.
1,Summit ends,Leaders sign a trade pact.
'''
SPEC = '''name: my-news
format: csv
files: {train: data/train.csv, test: data/test.csv}
header: true
input: ["{Title}. {Description}"]
label: Class Index
labels: {"1": world, "2": sports, "3": business, "4": science}
'''


def _news(tmp_path: Path, spec: str = SPEC, test: str = NEWS_TEST) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data/train.csv").write_text(NEWS_TRAIN, encoding="utf-8")
    (tmp_path / "data/test.csv").write_text(test, encoding="utf-8")
    path = tmp_path / "news.yaml"
    path.write_text(spec, encoding="utf-8")
    return path


def test_csv_spec_loads(tmp_path: Path) -> None:
    task = load_task(str(_news(tmp_path)))
    assert task.name == "my-news" and task.kind == "classification"
    assert task.labels == ("world", "sports", "business", "science")
    assert task.input_fields == ("input",)
    assert [len(task.split(s)) for s in ("train", "test")] == [4, 2]
    first = task.split("train")[0]
    assert first.fields["input"] == (
        "Wall St. Bears Claw Back. Short-sellers, Wall Street's dwindling band, are seeing green "
        "again.")
    assert first.label == "business" and first.meta["raw_label"] == "3"
    assert task.split("train")[1].fields["input"].startswith("Carbon, the new silicon?. ")


def test_label_value_not_in_mapping(tmp_path: Path) -> None:
    path = _news(tmp_path, test="Class Index,Title,Description\n2,a,b\n9,c,d\n")
    with pytest.raises(DataError, match=r"test\.csv:3: label value '9' is not in the spec's "):
        load_spec(path)


def test_empty_split(tmp_path: Path) -> None:
    path = _news(tmp_path, test="Class Index,Title,Description\n")
    with pytest.raises(DataError, match=r"split 'test' .* has no examples"):
        load_spec(path)


@pytest.mark.parametrize("drop", ["name", "format", "files", "input", "label"])
def test_missing_keys(tmp_path: Path, drop: str) -> None:
    spec = "\n".join(line for line in SPEC.splitlines() if not line.startswith(drop + ":"))
    with pytest.raises(DataError, match=rf"lacks required key\(s\) \['{drop}'\]"):
        load_spec(_news(tmp_path, spec=spec))


def test_unknown_format_and_key(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="format 'xlsx' is not one of"):
        load_spec(_news(tmp_path, spec=SPEC.replace("format: csv", "format: xlsx")))
    with pytest.raises(DataError, match=r"unknown key\(s\) \['lables'\]"):
        load_spec(_news(tmp_path, spec=SPEC + "lables: {}\n"))


def test_template_column_missing(tmp_path: Path) -> None:
    spec = SPEC.replace("{Title}. {Description}", "{Headline}")
    with pytest.raises(DataError, match=r"train\.csv:2: template '\{Headline\}' uses column "
                                        r"'Headline'"):
        load_spec(_news(tmp_path, spec=spec))


def test_missing_data_file(tmp_path: Path) -> None:
    path = _news(tmp_path)
    (tmp_path / "data/test.csv").unlink()
    with pytest.raises(DataError, match="file 'data/test.csv' of split 'test' not found"):
        load_spec(path)


def test_json_spec_with_jsonl_pairs(tmp_path: Path) -> None:
    rows = [{"q1": "How do I reset it?", "q2": "How to reset?", "same": 1},
            {"q1": "Is it safe?", "q2": "What does it cost?", "same": 0}]
    (tmp_path / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    spec = {"name": "qpairs", "format": "jsonl", "files": {"train": "pairs.jsonl"},
            "input": {"question1": "{q1}", "question2": "{q2}"}, "label": "same",
            "labels": {"0": "no", "1": "yes"},
            "field_names": {"question1": "Question 1", "question2": "Question 2"}}
    path = tmp_path / "qpairs.json"
    path.write_text(json.dumps(spec))
    task = load_task(str(path))
    assert task.input_fields == ("question1", "question2")
    assert task.display_name("question2") == "Question 2"
    assert [e.label for e in task.split("train")] == ["yes", "no"]


def test_lines_and_tsv_without_header(tmp_path: Path) -> None:
    (tmp_path / "words.txt").write_text("cat => chat\ndog => chien\n", encoding="utf-8")
    spec = ("name: words\nformat: lines\nfiles: {train: words.txt}\nheader: [en, fr]\n"
            "separator: ' => '\ninput: ['{en}']\nlabel: fr\n")
    (tmp_path / "w.yaml").write_text(spec)
    task = load_spec(tmp_path / "w.yaml")
    assert task.kind == "generation" and task.input_fields == ("en",)
    assert [(e.fields["en"], e.label) for e in task.split("train")] == [
        ("cat", "chat"), ("dog", "chien")]
    (tmp_path / "s.tsv").write_text("great film\tpos\nawful\tneg\n")
    spec = ("name: s\nformat: tsv\nfiles: {test: s.tsv}\nheader: false\ninput: ['{1}']\n"
            "label: 2\nlabels: {neg: negative, pos: positive}\n")
    (tmp_path / "s.yml").write_text(spec)
    task = load_spec(tmp_path / "s.yml")
    assert task.labels == ("negative", "positive")
    assert task.split("test")[1].fields == {"1": "awful"}


def test_lines_bad_separator_row(tmp_path: Path) -> None:
    (tmp_path / "words.txt").write_text("cat => chat\ndog chien\n", encoding="utf-8")
    spec = ("name: words\nformat: lines\nfiles: {train: words.txt}\nheader: [en, fr]\n"
            "separator: ' => '\ninput: ['{en}']\nlabel: fr\n")
    (tmp_path / "w.yaml").write_text(spec)
    with pytest.raises(DataError, match=r"words\.txt:2: expected 2 parts"):
        load_spec(tmp_path / "w.yaml")


def test_spec_not_found_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_task(str(tmp_path / "none.yaml"))
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    with pytest.raises(DataError, match="not valid YAML"):
        load_spec(tmp_path / "bad.yaml")


def test_json_list_format(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text(json.dumps([{"x": "2+2", "y": 4}, {"x": "3+3", "y": 6}]))
    (tmp_path / "s.yaml").write_text("name: sums\nformat: json\nfiles: {test: d.json}\n"
                                     "input: ['{x}']\nlabel: y\n")
    task = load_spec(tmp_path / "s.yaml")
    assert task.kind == "generation"
    assert [(e.fields["x"], e.label) for e in task.split("test")] == [("2+2", "4"), ("3+3", "6")]
    (tmp_path / "bad.json").write_text(json.dumps({"x": 1}))
    (tmp_path / "b.yaml").write_text("name: b\nformat: json\nfiles: {test: bad.json}\n"
                                     "input: ['{x}']\nlabel: y\n")
    with pytest.raises(DataError, match="must hold a list of objects"):
        load_spec(tmp_path / "b.yaml")


# Inputs that used to give a silently wrong task (issue 18).

@pytest.mark.parametrize("labels, match", [
    ('{"1": negative, "2": negative, "3": business, "4": science}',
     r"raw values '1' and '2' share the label word 'negative'"),
    ('{"1": "", "2": sports, "3": business, "4": science}', r"label word ''"),
    ('{"1": "  ", "2": sports, "3": business, "4": science}', r"label word '  '"),
    ('{"1": null, "2": sports, "3": business, "4": science}', r"label word None"),
])
def test_bad_label_words_are_refused(tmp_path: Path, labels: str, match: str) -> None:
    spec = SPEC.replace('{"1": world, "2": sports, "3": business, "4": science}', labels)
    with pytest.raises(DataError, match=match):
        load_spec(_news(tmp_path, spec))


def _jsonl_spec(tmp_path: Path, rows: list[dict]) -> Path:
    data = "\n".join(json.dumps(r) for r in rows) + "\n"
    (tmp_path / "d.jsonl").write_text(data, encoding="utf-8")
    spec = tmp_path / "s.yaml"
    spec.write_text("name: j\nformat: jsonl\nfiles: {train: d.jsonl, test: d.jsonl}\n"
                    "input: ['{text}']\nlabel: y\nlabels: {'0': bad, '1': good}\n")
    return spec


def test_null_label_is_refused(tmp_path: Path) -> None:
    spec = _jsonl_spec(tmp_path, [{"text": "a", "y": 0}, {"text": "secret", "y": None}])
    with pytest.raises(DataError, match=r"d\.jsonl:2: label column 'y' is null") as info:
        load_spec(spec)
    assert "secret" not in str(info.value)


def test_object_as_input_is_refused(tmp_path: Path) -> None:
    spec = _jsonl_spec(tmp_path, [{"text": {"secret": 1}, "y": 0}])
    with pytest.raises(DataError, match=r"d\.jsonl:1: column 'text' holds a JSON object") as info:
        load_spec(spec)
    assert "secret" not in str(info.value)


def test_unknown_encoding_is_refused(tmp_path: Path) -> None:
    spec = SPEC + "encoding: klingon-8\n"
    with pytest.raises(DataError, match=r"news\.yaml: unknown encoding 'klingon-8'"):
        load_spec(_news(tmp_path, spec))


def test_non_utf8_spec_is_refused(tmp_path: Path) -> None:
    path = _news(tmp_path)
    path.write_bytes(SPEC.encode() + b"description: caf\xe9\n")
    with pytest.raises(DataError, match=r"news\.yaml:8: cannot decode as utf-8"):
        load_spec(path)


def test_non_utf8_json_data_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_bytes(b'[{"text": "caf\xe9", "y": 0}]')
    spec = tmp_path / "s.yaml"
    spec.write_text("name: j\nformat: json\nfiles: {train: d.json}\ninput: ['{text}']\n"
                    "label: y\nlabels: {'0': bad, '1': good}\n")
    with pytest.raises(DataError, match=r"d\.json:1: cannot decode as utf-8"):
        load_spec(spec)
