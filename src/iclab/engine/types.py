"""What the engine returns, and the error it raises for bad input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from iclab.errors import EngineError, IclabError  # noqa: F401  (EngineError re-exported)

ScoreMode = Literal["first", "sum", "mean"]
"""How a choice is scored:

- ``first``: log-prob of the choice's first token that carries text (leading tokens made only
  of whitespace, e.g. a separate ``"\\n"``, are teacher-forced and their log-prob included);
- ``sum``: log-prob of the whole continuation (sum over its tokens);
- ``mean``: ``sum`` divided by the number of tokens.
"""


@dataclass(frozen=True)
class TopToken:
    """One entry of a top-k list: token id, its text and its full-vocabulary log-prob."""

    token_id: int
    text: str
    logprob: float


@dataclass(frozen=True)
class ChoiceScores:
    """Scores of one prompt's choices.

    Attributes:
        logprobs: per choice, its score under ``mode`` (full-vocabulary log-probs; with
            ``over="labels"``, log-softmax over the label tokens only; after calibration, the
            calibrated log-probabilities normalised over the choices).
        prediction: index of the best choice.
        target: the prompt's target (index into choices, or a string).
        mode: the scoring mode.
        n_tokens: per choice, the number of tokens scored.
        top_k: the full-vocabulary top-k at the answer position (empty unless asked).
        calibrated: whether contextual calibration was applied.
    """

    logprobs: tuple[float, ...]
    prediction: int
    target: int | str
    mode: ScoreMode
    n_tokens: tuple[int, ...]
    top_k: tuple[TopToken, ...] = ()
    calibrated: bool = False

    @property
    def correct(self) -> bool:
        """Whether the prediction equals an integer target."""
        return isinstance(self.target, int) and self.prediction == self.target


@dataclass(frozen=True)
class CurveScores:
    """Per-demonstration label scores of one prompt (one teacher-forced pass).

    Attributes:
        logprobs: (n_demos, n_labels): log-softmax over the label tokens at demo i's label
            position, i.e. predicting demo i from demos 0..i-1 (row 0 is zero-shot).
        targets: per demo, the label index it is scored against (``Prompt.demo_targets``).
        label_token_ids: the token scored for each label.
    """

    logprobs: tuple[tuple[float, ...], ...]
    targets: tuple[int, ...]
    label_token_ids: tuple[int, ...]

    @property
    def predictions(self) -> tuple[int, ...]:
        """Argmax label per position."""
        return tuple(max(range(len(r)), key=r.__getitem__) for r in self.logprobs)


@dataclass(frozen=True)
class Generation:
    """A greedy continuation.

    Attributes:
        text: the generated text, cut before the first stop string (stop string excluded).
        token_ids: the generated tokens (up to and including the one completing a stop string).
        top_k: per generated step, the full-vocabulary top-k tokens with log-probs.
        stopped: "stop" (a stop string), "eos", or "length" (max new tokens).
        target: the prompt's target.
    """

    text: str
    token_ids: tuple[int, ...]
    top_k: tuple[tuple[TopToken, ...], ...]
    stopped: Literal["stop", "eos", "length"]
    target: int | str
