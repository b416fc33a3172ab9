"""Fixtures for prompt tests: a small fixed example set and tokenizers of three families."""

from __future__ import annotations

from functools import lru_cache

import pytest

from iclab.data.types import Example, Task

_LINES = [
    "a gripping , funny and deeply moving film .",
    "the plot is thin and the acting is worse .",
    "Translate English to French: the cat sleeps on the mat.",
    "Q:What is the capital of France?A:Paris \n",
    "Sentence: 'it rains' \nAnswer: negative\n\n",
    "def add(a, b):\n    return a + b\n",
    "(1+6)+(-3+3)*(-1-3+9-5)=7 \n (2)+(0)*(1-1)=2",
    "Le chat dort sur le tapis. Les enfants jouent dans le jardin.",
    "positive negative neutral entailment not entailment equivalent True False Unknown",
    "@ # $ % * ^ { } bad good A B green blue sea chair",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 !\"#&'()+,-./:;<=>?[]_|~",
]


def _corpus() -> list[str]:
    return [f"{line} {i}" for i in range(30) for line in _LINES]


@lru_cache(maxsize=None)
def bpe_tokenizer(style: str):
    """A small BPE tokenizer trained offline: ``neox`` (byte-level, no BOS) or ``llama``
    (SentencePiece-style metaspace and a BOS), wrapped as a fast tokenizer. Every character of
    the test texts is in the training corpus, so no unknown tokens occur."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<s>", "</s>", "<unk>"]
    if style == "neox":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    else:
        tok = Tokenizer(models.BPE(unk_token="<unk>"))
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
        tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first")
        alphabet = []
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=specials,
                                  initial_alphabet=alphabet, show_progress=False)
    tok.train_from_iterator(_corpus(), trainer=trainer)
    if style != "neox":
        bos = tok.token_to_id("<s>")
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", bos)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                   pad_token="<pad>", unk_token="<unk>")


@lru_cache(maxsize=None)
def real_tokenizer(name: str):
    """A bundled model's real tokenizer, or None when it is not installed/cached here."""
    try:
        from iclab.models import load_tokenizer

        return load_tokenizer(name)
    except Exception:  # noqa: BLE001 - any failure means "not available on this machine"
        return None


TOKENIZER_NAMES = ["bpe-neox", "bpe-llama", "gemma-3-270m", "smollm2-135m"]


@pytest.fixture(scope="session", params=TOKENIZER_NAMES)
def tokenizer(request):
    """Each tokenizer family in turn; real ones are skipped when unavailable."""
    name = request.param
    if name.startswith("bpe-"):
        return bpe_tokenizer(name[4:])
    tok = real_tokenizer(name)
    if tok is None:
        pytest.skip(f"tokenizer {name} not available on this machine")
    return tok


@pytest.fixture()
def real_tok():
    """The :func:`real_tokenizer` lookup (None when a bundled tokenizer is unavailable)."""
    return real_tokenizer


@pytest.fixture()
def llama_tok():
    return bpe_tokenizer("llama")


def _ex(text: str, label: str, **meta: object) -> Example:
    return Example({"sentence": text}, label, dict(meta))


SST2_TRAIN = (
    _ex("a gripping , funny film .", "positive"),
    _ex("the plot is thin .", "negative"),
    _ex("deeply moving .", "positive"),
    _ex("the acting is worse .", "negative"),
    _ex("a joy to watch .", "positive"),
    _ex("dull and lifeless .", "negative"),
)
SST2_TEST = (_ex("funny and warm .", "positive"), _ex("a tedious mess .", "negative"))


@pytest.fixture()
def sst2() -> Task:
    """A binary sentiment task with six training and two test examples."""
    return Task("glue-sst2", "classification", ("negative", "positive"),
                {"train": SST2_TRAIN, "test": SST2_TEST})


@pytest.fixture()
def fpb() -> Task:
    """A 3-class task (financial_phrasebank labels)."""
    labels = ("negative", "neutral", "positive")
    train = tuple(_ex(f"profit line {i} .", labels[i % 3]) for i in range(9))
    return Task("financial_phrasebank", "classification", labels,
                {"train": train, "test": (_ex("sales rose .", "positive"),)})


@pytest.fixture()
def agnews() -> Task:
    """A 4-class task (ag_news verbalizer, multi-token last label)."""
    labels = ("world", "sports", "business", "science and technology")
    train = tuple(_ex(f"news item {i} .", labels[i % 4]) for i in range(8))
    return Task("ag_news", "classification", labels,
                {"train": train, "test": (_ex("new chip released .", labels[3]),)})


@pytest.fixture()
def mrpc() -> Task:
    """A sentence-pair task (label-relationships verbalizer)."""
    def pair(a: str, b: str, y: str) -> Example:
        return Example({"sentence1": a, "sentence2": b}, y)

    train = (pair("He left .", "He went away .", "equivalent"),
             pair("It is red .", "It rained .", "not equivalent"))
    return Task("mrpc", "classification", ("not equivalent", "equivalent"),
                {"train": train, "test": (pair("A cat .", "A feline .", "equivalent"),)},
                input_fields=("sentence1", "sentence2"))


@pytest.fixture()
def flores() -> Task:
    """An en->fr generation task with source/target fields."""
    def ex(s: str, t: str) -> Example:
        return Example({"source": s}, t)

    train = (ex("The cat sleeps.", "Le chat dort."), ex(" The dog runs. ", " Le chien court. "))
    return Task("flores-eng-fra", "generation", (), {"train": train,
                "test": (ex("The house is big.", "La maison est grande."),)},
                input_fields=("source",))
