"""Every registry task with a local copy loads from the shared data with pinned counts."""

from __future__ import annotations

from collections import Counter

import pytest

from iclab.data import list_tasks, metaicl_split
from iclab.data.registry import task_entry

# (task, split) -> label counts; sizes follow from the sums.
METAICL_COUNTS = {
    "glue-sst2": {"train": {"negative": 29780, "positive": 37569},
                  "test": {"negative": 428, "positive": 444}},
    "financial_phrasebank": {"train": {"negative": 242, "neutral": 1105, "positive": 464},
                             "test": {"negative": 61, "neutral": 286, "positive": 106}},
    "tweet_eval-emotion": {"train": {"anger": 1400, "joy": 708, "optimism": 294, "sadness": 855},
                           "test": {"anger": 160, "joy": 97, "optimism": 28, "sadness": 89}},
    "poem_sentiment": {"train": {"negative": 155, "no_impact": 555, "positive": 133},
                       "test": {"negative": 19, "no_impact": 69, "positive": 17}},
    "trec": {"train": {"ABBR": 74, "DESC": 931, "ENTY": 991, "HUM": 987, "LOC": 664, "NUM": 714},
             "test": {"ABBR": 12, "DESC": 231, "ENTY": 259, "HUM": 236, "LOC": 171, "NUM": 182}},
    "tweet_eval-stance_atheism": {"train": {"against": 273, "favor": 83, "none": 105},
                                  "test": {"against": 31, "favor": 9, "none": 12}},
    "tweet_eval-stance_feminist": {"train": {"against": 295, "favor": 189, "none": 113},
                                   "test": {"against": 33, "favor": 21, "none": 13}},
    "sick": {"train": {"False": 641, "True": 1274, "Unknown": 2524},
             "test": {"False": 71, "True": 143, "Unknown": 281}},
    "glue-mrpc": {"train": {"True": 2474, "False": 1194}, "test": {"True": 279, "False": 129}},
    "snli": {"test": {"False": 3278, "True": 3329, "Unknown": 3235}},
    "glue-wnli": {"train": {"True": 312, "False": 323}, "test": {"True": 31, "False": 40}},
    "tweet_eval-hate": {"train": {"hate": 3783, "non-hate": 5210},
                        "test": {"hate": 427, "non-hate": 572}},
    "ethos-gender": {"train": {"false": 278, "true": 68}, "test": {"false": 69, "true": 18}},
    "ethos-race": {"train": {"false": 286, "true": 60}, "test": {"false": 71, "true": 16}},
    "ethos-national_origin": {"train": {"false": 290, "true": 56},
                              "test": {"false": 69, "true": 18}},
    "ethos-religion": {"train": {"false": 284, "true": 62}, "test": {"false": 68, "true": 19}},
}

METAICL_LABELS = {
    "glue-sst2": ("negative", "positive"),
    "financial_phrasebank": ("negative", "neutral", "positive"),
    "tweet_eval-emotion": ("anger", "joy", "optimism", "sadness"),
    "poem_sentiment": ("negative", "no_impact", "positive"),
    "trec": ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"),
    "tweet_eval-stance_atheism": ("against", "favor", "none"),
    "tweet_eval-stance_feminist": ("against", "favor", "none"),
    "sick": ("False", "True", "Unknown"),
    "glue-mrpc": ("True", "False"),
    "snli": ("False", "True", "Unknown"),
    "glue-wnli": ("True", "False"),
    "tweet_eval-hate": ("hate", "non-hate"),
    **{f"ethos-{d}": ("false", "true") for d in ("gender", "race", "national_origin", "religion")},
}

LR_COUNTS = {
    "lr-sst2": {"train": {"negative": 29780, "positive": 37569},
                "test": {"negative": 428, "positive": 444}},
    "lr-subj": {"train": {"objective": 3994, "subjective": 4006},
                "test": {"objective": 1006, "subjective": 994}},
    "lr-financial_phrasebank": {"train": {"negative": 203, "neutral": 931, "positive": 382},
                                "test": {"negative": 100, "neutral": 460, "positive": 188}},
    "lr-mrpc": {"train": {"not equivalent": 1194, "equivalent": 2474},
                "test": {"not equivalent": 129, "equivalent": 279}},
    "lr-rte": {"train": {"entailment": 1249, "not entailment": 1241},
               "test": {"entailment": 146, "not entailment": 131}},
    "lr-wnli": {"train": {"not entailment": 323, "entailment": 312},
                "test": {"not entailment": 40, "entailment": 31}},
}

LR_LABELS = {
    "lr-sst2": ("negative", "positive"),
    "lr-subj": ("objective", "subjective"),
    "lr-financial_phrasebank": ("negative", "neutral", "positive"),
    "lr-mrpc": ("not equivalent", "equivalent"),
    "lr-rte": ("entailment", "not entailment"),
    "lr-wnli": ("not entailment", "entailment"),
}


def test_the_16_metaicl_tasks_are_registered() -> None:
    assert list_tasks("metaicl") == list(METAICL_COUNTS)


@pytest.mark.parametrize("name", list(METAICL_COUNTS))
def test_metaicl_task_counts_and_labels(name: str, local_task) -> None:
    task = local_task(name)
    assert task.kind == "classification"
    assert task.labels == METAICL_LABELS[name]
    assert task.input_fields == ("input",)
    assert {s: dict(Counter(e.label for e in ex)) for s, ex in task.splits.items()} == (
        METAICL_COUNTS[name])


@pytest.mark.parametrize("name", list(LR_COUNTS))
def test_label_relationship_task_counts_and_labels(name: str, local_task) -> None:
    task = local_task(name)
    assert task.labels == LR_LABELS[name]
    assert {s: dict(Counter(e.label for e in ex)) for s, ex in task.splits.items()} == (
        LR_COUNTS[name])


def test_every_registry_task_with_local_files_is_covered(data_root) -> None:
    pinned = set(METAICL_COUNTS) | set(LR_COUNTS) | set(list_tasks("generation"))
    local = {n for n in list_tasks() if task_entry(n).family != "builtin"
             and task_entry(n).has_local(data_root)}
    assert local <= pinned
    # every set of the shared copy is found (hub-only: hate_speech, mqp, ag_news)
    assert set(list_tasks()) - local - set(list_tasks("builtin")) == {
        "lr-hate_speech", "lr-medical_questions_pairs", "lr-ag_news"}


def test_metaicl_input_strings(local_task) -> None:
    assert local_task("glue-sst2").split("test")[0].fields["input"] == (
        "sentence: it 's a charming and often affecting journey .")
    mrpc = local_task("glue-mrpc").split("test")[0]
    assert mrpc.fields["input"].startswith("sentence 1: He said the foodservice pie business")
    assert " [SEP] sentence 2: \" The foodservice pie business" in mrpc.fields["input"]
    assert mrpc.meta["raw_label"] == "equivalent" and mrpc.label == "True"


# First inputs of MetaICL's released k-shot files (facebookresearch/MetaICL data, as copied in
# VivHarsha/rethinking-demonstrations data/<task>/<task>_<k>_<seed>_train.jsonl).
METAICL_FILES = [
    ("glue-sst2", 100, 16, "sentence: the stars may be college kids , but the subject matter is "
                           "as adult as you can get :", "positive",
     "sentence: the movie keeps coming back to the achingly unfunny phonce and his several silly "
     "subplots ."),
    ("trec", 13, 16, "What girl 's name is `` Teddy '' an affectionate form of ?", "HUM",
     "What is the classic definition of tragic hero ?"),
    ("ethos-race", 87, 16, "Shemales are paranormal creatures. We shouldn't let them be free. "
                           "Neither be captured. Just dead and buried already", "false",
     "Homosexuality leads to death and extinction"),
    ("glue-mrpc", 42, 8, "sentence 1: Tibco has used the Rendezvous name since 1994 for several "
                         "of its technology products , according to the Palo Alto , California "
                         "company . [SEP] sentence 2: Tibco has used the Rendezvous name since "
                         "1994 for several of its technology products , it said .", "True",
     "sentence 1: U.S. law enforcement officials are sneering at Dar Heatherington 's version of "
     "the events which thrust her into the public spotlight . [SEP] sentence 2: U.S. law "
     "enforcement officials are sneering at Dar Heatherington 's version of of the events -- "
     "including a police conspiracy to discredit her -- which thrust her into the public "
     "spotlight ."),
    ("poem_sentiment", 13, 8, "now, if thou art a poet, tell me not", "no_impact",
     "whose instinct was to listen and obey."),
    ("sick", 13, 8, "sentence 1: A soccer ball is not rolling into a goal net [SEP] sentence 2: A "
                    "soccer ball is rolling into a goal net", "False",
     "sentence 1: Five children are standing in a wooden hut [SEP] sentence 2: Five kids are "
     "standing close together and one kid has a gun"),
    ("glue-wnli", 100, 16, "sentence 1: Equally swoon-worthy is C.K. Dexter Haven, a pallid young "
                           "dandy holding a jade-handled walking stick, with a poodle asleep at "
                           "his feet. [SEP] sentence 2: Equally swoon-worthy is C.K. Dexter Haven, "
                           "a pallid young dandy holding a jade-handled walking stick, with a "
                           "poodle asleep at Haven's feet.", "True",
     "sentence 1: Mark was close to Mr. Singer's heels. He heard him calling for the captain, "
     "promising him, in the jargon everyone talked that night, that not one thing should be "
     "damaged on the ship except only the ammunition, but the captain and all his crew had best "
     "stay in the cabin until the work was over. [SEP] sentence 2: The captain and all Mr. "
     "Singer's crew had best stay in the cabin until the work was over."),
    ("tweet_eval-hate", 100, 8, "@user @user @user Are you aware of the NGO and people smuggling "
                                "initiative in Europe that are illegally importing massive numbers "
                                "of economic migrants into Europe? In Italy, Sicily has basically "
                                "turned into a warzone between the Ita", "hate",
     "Not long back from the wonderful Bilbao where flags are flown proudly stating \" Refugees "
     "Welcome\" A socialist society who embrace diversity, especially the British. Returned to "
     "More RW smears on false AS, Ashley, &amp; Tories doing what they want. Grim."),
]


@pytest.mark.parametrize("name,seed,k,first,first_label,last", METAICL_FILES)
def test_metaicl_split_reproduces_released_files(name, seed, k, first, first_label, last,
                                                 local_task) -> None:
    train, dev = metaicl_split(local_task(name), seed, k)
    assert len(train) == len(dev) == k
    assert train[0].fields["input"] == first and train[0].label == first_label
    assert train[-1].fields["input"] == last
    assert not {e.meta["where"] for e in train} & {e.meta["where"] for e in dev}


def test_released_file_labels(local_task) -> None:
    train, _ = metaicl_split(local_task("ethos-race"), 87)
    assert [e.label for e in train] == ["false"] * 12 + ["true"] + ["false"] * 3
    train, _ = metaicl_split(local_task("glue-wnli"), 100)
    assert "".join("E" if e.meta["raw_label"] == "entailment" else "N" for e in train) == (
        "EEENNEENNNEEENEN")
    train, _ = metaicl_split(local_task("tweet_eval-hate"), 100, 8)
    assert train[5].fields["input"] == (
        "@user #Democrats and Liberals are Lying About Illegal #immigration   Its time we take "
        "back our Country  #SendThemBack  #IndepenceDay Happy 4th of Juluy #FourthofJuly Happy "
        "Birthday America God Bless America #Trump #MAGA #RedNationRising")


def test_lr_pair_fields(local_task) -> None:
    task = local_task("lr-rte")
    assert task.input_fields == ("sentence1", "sentence2")
    assert task.display_name("sentence1") == "Sentence 1"
    assert task.display_name("sentence2") == "Sentence 2"
    assert local_task("lr-sst2").split("test")[0].fields == {
        "sentence": "it 's a charming and often affecting journey . "}


def test_lr_financial_phrasebank_matches_sklearn_split(local_task) -> None:
    # scikit-learn train_test_split(test_size=0.33, random_state=41, stratify=labels) puts
    # rows 993, 174, 1799 (0-based) first in train and 1951, 20, 643 first in test.
    task = local_task("lr-financial_phrasebank")
    lines = [int(e.meta["where"].rsplit(":", 1)[1]) - 1 for e in task.split("train")[:3]]
    assert lines == [993, 174, 1799]
    lines = [int(e.meta["where"].rsplit(":", 1)[1]) - 1 for e in task.split("test")[:3]]
    assert lines == [1951, 20, 643]


@pytest.mark.parametrize("name,sizes", [
    ("flores-eng-fra", {"train": 200, "test": 812}),
    ("flores-por-deu", {"train": 200, "test": 812}),
    ("wmt14-en-fr", {"train": 200, "test": 2803}),
    ("wmt14-de-en", {"train": 200, "test": 2803}),
    ("humaneval", {"test": 164}),
    ("mbpp", {"train": 374, "validation": 90, "test": 500, "prompt": 10}),
])
def test_generation_tasks(name, sizes, local_task) -> None:
    task = local_task(name)
    assert task.kind == "generation" and task.labels == ()
    assert {s: len(v) for s, v in task.splits.items()} == sizes


def test_all_twenty_flores_directions_load(local_task) -> None:
    names = [n for n in list_tasks("generation") if n.startswith("flores-")]
    assert len(names) == 20
    for name in names:
        task = local_task(name)
        assert len(task.split("test")) == 812


def test_translation_examples(local_task) -> None:
    ex = local_task("wmt14-en-fr").split("train")[0]
    assert ex.label == 'Spectaculaire saut en "wingsuit" au-dessus de Bogota'
    assert ex.meta["source_language"] == "English" and ex.meta["target_language"] == "French"
    assert local_task("flores-eng-fra").display_name("source") == "English"
    assert local_task("flores-eng-fra").split("test")[0].meta["line"] == 201


def test_code_tasks(local_task) -> None:
    he = local_task("humaneval").split("test")
    assert he[0].meta["task_id"] == "HumanEval/0"
    # where-ICL paper: prompt.split('"""')[1].strip(), whole prompt without triple quotes
    assert he[0].fields["text"].startswith(
        "Check if in given list of numbers, are any two numbers closer to each other than\n"
        "    given threshold.")
    assert he[115].fields["text"].startswith("You are given a rectangular grid of wells.")
    no_quotes = [e for e in he if '"""' not in e.meta["prompt"]]
    assert len(no_quotes) == 17 and all(e.fields["text"] == e.meta["prompt"] for e in no_quotes)
    assert he[0].label.startswith("    for idx, elem in enumerate(numbers):")
    assert he[0].meta["docstring"].startswith("Check if in given list of numbers, are any two "
                                              "numbers closer to each other than\ngiven threshold.")
    assert he[115].meta["docstring"].startswith("You are given a rectangular grid of wells.")
    mbpp = local_task("mbpp")
    assert [e.meta["task_id"] for e in mbpp.split("prompt")] == list(range(1, 11))
    assert mbpp.split("test")[0].meta["task_id"] == 11
    assert mbpp.split("train")[-1].meta["task_id"] == 974
    assert all(e.meta["tests"] for e in mbpp.split("test"))


def test_translation_lines_are_stripped(local_task) -> None:
    task = local_task("flores-spa-por")
    texts = [t for s in task.splits.values() for e in s for t in (e.fields["source"], e.label)]
    assert all(t == t.strip() and t for t in texts)
