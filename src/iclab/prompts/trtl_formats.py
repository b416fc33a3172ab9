"""The task-recognition paper's natural-language prompt formats, as named presets.

RUCAIBox/Competitive-ICL (``--prompt_format natural_language``) gives each dataset an input
format (``src/dataset/base_dataset.py``: ``input_format = "sentiment1"`` ...) from
``src/format/input_format.py``: a demonstration is ``format_input(example) + label``, the
query ``format_input(query)``, joined by ``"\\n\\n\\n"`` as in the minimal format (an empty demo
string still leaves the separator before the query). Its parser takes the first non-empty
output line, removes the format's phrase (``.replace("The sentiment is", "")``) and strips it.

Each format is a preset ``trtl-<paper name>`` (``trtl-sentiment1``, ``trtl-nli1``, ...); the
dispatch preset ``trtl-natural`` picks the dataset's own one, as the paper's dataset classes do.
Only the formats those classes select are here (the ``…2``/``…3`` variants are never selected
and have no parser in its code).

What the paper meant, not what its release runs: ``BaseDataset.__init__`` sets
``self.input_format = "plain"``, which shadows every dataset's class attribute, so the
released code renders every natural-language prompt as ``input.strip() + label`` (no phrase,
no separator) and parses with the plain parser. The presets apply the per-dataset formats the
classes name (docs/FIDELITY.md, section 4).
"""

from __future__ import annotations

from iclab.prompts.templates import Template

_SEP = "\n\n\n"
_PAIR = "{0}\nThe question is: {1}"
_ANSWER = "The answer is:"


def _format(name: str, answer_prefix: str, phrase: str, transform: str = "lmbff-period",
            pair: bool = False) -> Template:
    return Template(
        name=f"trtl-{name}",
        description=f"Task-recognition paper, natural-language format {name!r} "
                    "(RUCAIBox/Competitive-ICL).",
        input_formats={2: _PAIR} if pair else {1: "{0}"},
        answer_prefix=answer_prefix, demo_sep=_SEP, query_sep=_SEP, always_query_sep=True,
        input_transform=transform, answer_phrase=phrase)


def _hate_topic(suffix: str, topic: str) -> Template:
    question = f"Is this hate speech about {topic}?"
    return _format(f"hate_speech_{suffix}1", f"\n{question} ", question)


def _stance(name: str, topic: str) -> Template:
    return _format(name, f"\nThe stance is {topic}. True or False?\n{_ANSWER} ", _ANSWER)


NATURAL_FORMATS: tuple[Template, ...] = (
    _format("sentiment1", "\nThe sentiment is ", "The sentiment is", transform="strip"),
    _format("topic1", "\nThe topic is ", "The topic is"),
    _format("hate_speech1", "\nIs this hate speech? ", "Is this hate speech?"),
    _hate_topic("race", "race"),
    _hate_topic("gender", "gender"),
    _hate_topic("religion", "religion"),
    _hate_topic("national", "national origin"),
    _stance("tweet_atheism1", "atheist"),
    _stance("tweet_feminist1", "feminist"),
    _format("paraphrase1", f"\nTrue or False?\n{_ANSWER} ", _ANSWER, "metaicl-pair", pair=True),
    _format("nli_entailment1", f"\nTrue or False?\n{_ANSWER} ", _ANSWER, "metaicl-pair",
            pair=True),
    _format("nli1", f"\nTrue, False, or Unknown?\n{_ANSWER} ", _ANSWER, "metaicl-pair",
            pair=True),
)
"""The formats the paper's 16 dataset classes select."""

DATASET_FORMATS: dict[str, str] = {
    **{name: "trtl-sentiment1" for name in ("glue-sst2", "financial_phrasebank",
                                            "tweet_eval-emotion", "poem_sentiment")},
    "trec": "trtl-topic1",
    "tweet_eval-stance_atheism": "trtl-tweet_atheism1",
    "tweet_eval-stance_feminist": "trtl-tweet_feminist1",
    "tweet_eval-hate": "trtl-hate_speech1",
    "ethos-race": "trtl-hate_speech_race1",
    "ethos-gender": "trtl-hate_speech_gender1",
    "ethos-religion": "trtl-hate_speech_religion1",
    "ethos-national_origin": "trtl-hate_speech_national1",
    "sick": "trtl-nli1",
    "snli": "trtl-nli1",
    "glue-wnli": "trtl-nli_entailment1",
    "glue-mrpc": "trtl-paraphrase1",
}
"""Each dataset's format, as the paper's dataset classes name it."""

NATURAL_DISPATCH = Template(
    name="trtl-natural",
    description="Task-recognition paper, natural-language prompts: each dataset's own format "
                "(trtl-sentiment1, trtl-nli1, ...).",
    input_formats={1: "{0}"}, demo_sep=_SEP, query_sep=_SEP, always_query_sep=True,
    per_task=DATASET_FORMATS)

__all__ = ["DATASET_FORMATS", "NATURAL_DISPATCH", "NATURAL_FORMATS"]


def _register() -> None:
    """Add the formats to the template presets (called once, by :mod:`iclab.prompts`)."""
    from iclab.prompts.templates import PRESETS

    for template in (*NATURAL_FORMATS, NATURAL_DISPATCH):
        PRESETS.setdefault(template.name, template)


_register()
