"""Readers: exact counts on the shared files, and file:line errors on malformed ones."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from iclab.data import readers
from iclab.errors import DataError


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_shared_files(data_root: Path) -> None:
    test = readers.read_sst2_lines(data_root / "sst2/stsa.binary.test")
    assert len(test) == 1821
    snli = readers.read_snli(data_root / "snli/test.tsv")
    assert Counter(r["label"] for r in snli) == {0: 3368, 1: 3219, 2: 3237}
    assert len(readers.read_wnli(data_root / "wnli/val.tsv", header=False)) == 117
    msr = readers.read_mrpc_msr(data_root / "mrpc/msr-para-test.tsv")
    assert len(msr) == 1725 and msr[0]["sentence1"][0] != "\ufeff"
    sick = readers.read_sick(data_root / "sick/SICK_test_annotated.txt")
    assert len(sick) == 4927
    assert [len(readers.read_financial_phrasebank(
        data_root / f"financial_phrasebank/Sentences_{n}.txt"))
        for n in ("AllAgree", "50Agree", "66Agree", "75Agree")] == [2264, 4846, 4217, 3453]
    assert len(readers.read_superglue_jsonl(data_root / "rte/val.jsonl")) == 277
    assert len(readers.read_superglue_jsonl(data_root / "rte/test.jsonl", labeled=False)) == 3000
    assert readers.read_tweet_eval_mapping(data_root / "tweet_eval_stance_atheism/mapping.txt") == {
        0: "none", 1: "against", 2: "favor"}
    binary = readers.read_ethos(data_root / "ethos/Ethos_Dataset_Binary.csv")
    assert len(binary) == 998 and sum(r["isHate"] >= 0.5 for r in binary) == 433
    trec = readers.read_trec(data_root / "trec/test.txt")
    assert len(trec) == 500 and trec[0]["coarse"] == "NUM" and trec[0]["fine"] == "dist"


def test_latin1_financial_phrasebank(tmp_path: Path) -> None:
    path = _write(tmp_path, "fpb.txt", "Caf\u00e9 sales rose .@positive\n", encoding="latin-1")
    assert readers.read_financial_phrasebank(path)[0]["sentence"] == "Caf\u00e9 sales rose ."


@pytest.mark.parametrize("reader,content,message", [
    (readers.read_sst2_lines, "1 good film\n2 bad label\n", ":2: expected '<0|1> <sentence>'"),
    (readers.read_trec, "NUM:dist How far ?\nFOO:bar What ?\n", ":2: expected '<COARSE>:<fine>"),
    (readers.read_financial_phrasebank, "Good .@positive\nNo label here\n",
     ":2: expected 'sentence@positive|neutral|negative'"),
    (readers.read_poem_sentiment, "0\tverse one\t1\n1\tverse two\n", ":2: expected 3 fields"),
    (readers.read_poem_sentiment, "0\tverse one\t7\n", ":1: label '7' is not one of"),
    (readers.read_snli, "premise\thypothesis\tlabel\na\tb\t0\nc\td\tx\n",
     ":3: label 'x' is not an integer"),
    (readers.read_sick, "pair_ID\tsentence_A\tsentence_B\tentailment_judgment\n1\ta\tb\tMAYBE\n",
     ":2: entailment label 'MAYBE'"),
    (readers.read_ethos, "comment;isHate\nfine;0.2\nbad;1.7\n", ":3: isHate '1.7' is not a fraction"),
    (readers.read_mbpp, '{"task_id": 1, "text": "t", "code": "c", "test_list": []}\n{"task_id": 2}\n',
     ":2: missing key(s) ['text', 'code', 'test_list']"),
    (readers.read_humaneval, '{"task_id": "x"\n', ":1: invalid JSON"),
    (readers.read_superglue_jsonl,
     '{"premise": "p", "hypothesis": "h", "idx": 0, "label": "maybe"}\n',
     ":1: label 'maybe' is not 'entailment' or 'not_entailment'"),
])
def test_malformed_rows_name_file_and_line(tmp_path, reader, content, message) -> None:
    path = _write(tmp_path, "bad.txt", content)
    with pytest.raises(DataError) as info:
        reader(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_glue_tsv_bad_label_and_field_count(tmp_path: Path) -> None:
    path = _write(tmp_path, "g.tsv", "index\tlabel\tsentence1\tsentence2\n0\t1\ta\tb\n1\t5\tc\td\n")
    with pytest.raises(DataError, match=r"g\.tsv:3: label '5' is not one of \[0, 1\]"):
        readers.read_glue_tsv(path)
    path = _write(tmp_path, "h.tsv", "index\tlabel\tsentence1\tsentence2\n0\t1\ta\n")
    with pytest.raises(DataError, match=r"h\.tsv:2: expected 4 fields"):
        readers.read_glue_tsv(path)


def test_glue_csv_quoting(tmp_path: Path) -> None:
    path = _write(tmp_path, "q.tsv", 'index\tlabel\tsentence1\tsentence2\n'
                                     '0\t1\t"He said "" hi "" ."\t"tab\tinside"\n')
    row = readers.read_glue_tsv(path)[0]
    assert row["sentence1"] == 'He said " hi " .' and row["sentence2"] == "tab\tinside"


def test_tweet_eval_misaligned_and_bad_label(tmp_path: Path) -> None:
    text = _write(tmp_path, "t.txt", "one\ntwo\n")
    labels = _write(tmp_path, "l.txt", "0\n")
    with pytest.raises(DataError, match="has 2 lines but .* has 1"):
        readers.read_tweet_eval(text, labels)
    labels = _write(tmp_path, "l2.txt", "0\nx\n")
    with pytest.raises(DataError, match=r"l2\.txt:2: label 'x' is not an integer"):
        readers.read_tweet_eval(text, labels)


def test_aligned_files(tmp_path: Path) -> None:
    src = _write(tmp_path, "a.eng", "Hello\nWorld\n")
    tgt = _write(tmp_path, "a.fra", "Bonjour\n\n")
    with pytest.raises(DataError, match=r"a\.eng:2: empty line"):
        readers.read_aligned(src, tgt)
    tgt = _write(tmp_path, "b.fra", "Bonjour\n")
    with pytest.raises(DataError, match="same number of lines"):
        readers.read_aligned(src, tgt)


def test_decoding_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"1 fine\n0 caf\xe9\n")
    with pytest.raises(DataError, match=r"bad\.txt:2: cannot decode as utf-8"):
        readers.read_sst2_lines(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        readers.read_trec(tmp_path / "nope.txt")


def test_wnli_without_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "val.tsv", "0\tA sentence.\tAnother.\t1\n")
    rows = readers.read_wnli(path, header=False)
    assert rows[0]["index"] == 0 and rows[0]["label"] == 1 and rows[0].line == 1


def test_misaligned_messages_name_both_files(tmp_path: Path) -> None:
    one = _write(tmp_path, "one.txt", "a\n")
    two = _write(tmp_path, "two.txt", "0\n1\n")
    with pytest.raises(DataError) as tweet:
        readers.read_tweet_eval(one, two)
    assert str(tweet.value) == f"{one} has 1 lines but {two} has 2; they must be aligned"
    with pytest.raises(DataError) as aligned:
        readers.read_aligned(two, one)
    assert str(aligned.value) == (f"{two} has 2 lines but {one} has 1; aligned files must have "
                                  "the same number of lines")
