"""The :class:`Engine`: one loaded model, and every way iclab runs it."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from iclab.engine.activations import Activations, PatchSet, capture, patch_heads
from iclab.engine.adapter import HeadAdapter, head_adapter
from iclab.engine.calibrate import calibrate, content_free_probs
from iclab.engine.curves import label_curves, label_mass
from iclab.engine.generate import GenConfig, greedy_generate
from iclab.engine.layouts import attention_output
from iclab.engine.layer_sweep import rank_sweep
from iclab.engine.masking import ContextMask
from iclab.engine.plan import check_distinct_choices, encode_continuation, scored_tokens
from iclab.engine.run import BatchLimits
from iclab.engine.score import Over, RawScores, score_token_choices
from iclab.engine.sweep_generate import sweep_generate
from iclab.engine.types import ChoiceScores, CurveScores, EngineError, Generation, ScoreMode
from iclab.engine.types import TopToken
from iclab.prompts.types import Prompt
from iclab.versions import require_supported

Progress = Callable[[int], None] | None


class Engine:
    """Runs one causal LM for scoring, curves and generation, reusing shared prefixes.

    Args:
        model: a HF causal LM (eval mode) or a :class:`iclab.models.LoadedModel`.
        tokenizer: its tokenizer (taken from the ``LoadedModel`` when omitted).
        limits: batch size limits.
        verify: check the output-head adapter against the model's forward once.
    """

    def __init__(self, model: Any, tokenizer: Any | None = None,
                 limits: BatchLimits = BatchLimits(), verify: bool = True) -> None:
        if tokenizer is None:
            if not hasattr(model, "tokenizer"):
                raise EngineError("pass a tokenizer, or a LoadedModel that carries one")
            model, tokenizer = model.model, model.tokenizer
        elif hasattr(model, "tokenizer") and hasattr(model, "model"):
            model = model.model
        require_supported()
        self.model = model
        self.tokenizer = tokenizer
        self.limits = limits
        self.adapter: HeadAdapter = head_adapter(model, verify=verify)
        cfg = model.config.get_text_config()
        self.max_length: int | None = getattr(cfg, "max_position_embeddings", None)
        self._choice_ids: dict[str, tuple[int, ...]] = {}

    def encode_choice(self, text: str) -> tuple[int, ...]:
        """Token ids of a continuation (tokenized alone, no special tokens; memoised)."""
        if text not in self._choice_ids:
            self._choice_ids[text] = encode_continuation(self.tokenizer, text)
        return self._choice_ids[text]

    def score_ids(self, prompts: Sequence[Sequence[int]], choices: Sequence[Sequence[Sequence[int]]],
                  over: Over = "full", top_k: int = 0, progress: Progress = None) -> list[RawScores]:
        """Summed log-probs of token-id continuations (see :func:`score_token_choices`)."""
        return score_token_choices(
            self.adapter, [tuple(p) for p in prompts],
            [[tuple(c) for c in cs] for cs in choices], over=over, top_k=top_k,
            limits=self.limits, max_length=self.max_length, progress=progress)

    def score(self, prompts: Sequence[Prompt], mode: ScoreMode = "sum", over: Over = "full",
              top_k: int = 0, content_free: Sequence[Prompt] | None = None,
              progress: Progress = None, allow_ties: bool = False) -> list[ChoiceScores]:
        """Score every prompt's choices.

        Args:
            prompts: prompts with ``choices`` (continuations exactly as appended).
            mode: ``first``, ``sum`` or ``mean`` (see :data:`iclab.engine.ScoreMode`).
            over: ``full`` (vocabulary log-probs) or ``labels`` (log-softmax over the label
                tokens only; needs choices that differ in a single token).
            top_k: also return the full-vocabulary top-k at the answer position.
            content_free: prompts with the same demonstrations and a content-free query
                (``N/A``, ``""``, ``[MASK]``); when given, scores are contextually calibrated.
            progress: called with the number of rows finished after each batch.
            allow_ties: score choices whose scored tokens are identical (they always tie);
                refused by default because the first such choice would always win.

        Returns:
            One :class:`ChoiceScores` per prompt, in order.

        Raises:
            EngineError: two choices score the same tokens (unless ``allow_ties``).
        """
        raw = self._raw(prompts, mode, over, top_k, progress, allow_ties)
        p_cf = None
        if content_free:
            cf = self._raw(content_free, mode, over, 0, None, allow_ties)
            p_cf = content_free_probs([_final(r, mode) for r in cf])
        out = []
        for prompt, r in zip(prompts, raw):
            lp = _final(r, mode)
            if p_cf is not None:
                lp = calibrate(lp, p_cf)
            pred = max(range(len(lp)), key=lp.__getitem__)
            top = tuple(TopToken(t, self.tokenizer.decode([t]), v) for t, v in r.top_k)
            out.append(ChoiceScores(lp, pred, prompt.target, mode, r.n_tokens, top,
                                    calibrated=p_cf is not None))
        return out

    def _raw(self, prompts: Sequence[Prompt], mode: ScoreMode, over: Over, top_k: int,
             progress: Progress, allow_ties: bool = False) -> list[RawScores]:
        """Token-level scores of prompts' choices under ``mode``."""
        if not prompts:
            raise EngineError("no prompts to score (empty query set)")
        choices = []
        for i, p in enumerate(prompts):
            if not p.choices:
                raise EngineError(f"prompt {i} has no choices to score")
            scored = [scored_tokens(self.tokenizer, self.encode_choice(c), mode)
                      for c in p.choices]
            if not allow_ties:
                check_distinct_choices(self.tokenizer, p.choices, scored, mode)
            choices.append(scored)
        return self.score_ids([p.input_ids for p in prompts], choices, over, top_k, progress)

    def curves(self, prompts: Sequence[Prompt], progress: Progress = None) -> list[CurveScores]:
        """Label log-probs at every demonstration's label position (one pass per prompt)."""
        return label_curves(self.adapter, self.tokenizer, prompts, self.limits,
                            self.max_length, progress)

    def curve_label_mass(self, prompts: Sequence[Prompt],
                         progress: Progress = None) -> list[list[float]]:
        """Per prompt and demo position: full-vocabulary probability mass on the label tokens."""
        return label_mass(self.adapter, self.tokenizer, prompts, self.limits, self.max_length,
                          progress)

    def generate(self, prompts: Sequence[Prompt], max_new_tokens: int = 256,
                 stop: Sequence[str] = (), top_k: int = 0, skip_leading_whitespace: bool = False,
                 progress: Progress = None) -> list[Generation]:
        """Greedy continuations of prompts (see :class:`iclab.engine.generate.GenConfig`)."""
        cfg = GenConfig(max_new_tokens, tuple(stop), top_k, skip_leading_whitespace)
        outs = greedy_generate(self.adapter, self.tokenizer, [p.input_ids for p in prompts], cfg,
                               self.limits, self.max_length, progress)
        return [Generation(text, ids, tops, stopped, p.target)  # type: ignore[arg-type]
                for p, (text, ids, tops, stopped) in zip(prompts, outs)]

    def rank_sweep(self, sequences: Sequence[Sequence[int]],
                   candidates: Sequence[Sequence[int]], mask: ContextMask,
                   progress: Progress = None) -> dict[int, list[int]]:
        """Per first masked layer L (0..n_layers), per token sequence: the index of the
        candidate token with the highest logit at its last position, with ``mask`` (one row
        mask per sequence) active from L; the classification half of a layer sweep, many
        sequences per forward within this engine's ``BatchLimits`` (see
        :func:`iclab.engine.layer_sweep.rank_sweep`)."""
        return rank_sweep(self.adapter, sequences, candidates, mask, self.limits.rows,
                          self.limits.cache_tokens, progress)

    @property
    def model_type(self) -> str:
        """The (text) model's ``model_type`` (``llama``, ``gpt_neox``, ``gemma3_text``, ...)."""
        return str(getattr(self.model.config, "model_type", ""))

    @property
    def n_layers(self) -> int:
        """Number of decoder layers of the (text) model."""
        return int(self.model.config.get_text_config().num_hidden_layers)

    def attention_output(self, module: str | None = None) -> str:
        """The attention output projection's path under ``layers.{L}`` (``module`` checked when
        given; else the first of :data:`iclab.engine.layouts.ATTENTION_OUTPUTS` present).

        Raises:
            EngineError: no such module under layer 0.
        """
        return attention_output(self.model, module)

    def logits_at(self, hidden: Any, rows: Any = None) -> Any:
        """fp32 logits of final hidden states ``(N, H)`` (or ``(H,)``), over the whole
        vocabulary or only the token ids in ``rows``; runs on the head's device in its dtype."""
        import torch

        device = self.adapter.weight.device
        if rows is not None and not isinstance(rows, torch.Tensor):
            rows = torch.tensor(list(rows), device=device)
        with torch.no_grad():
            return self.adapter.logits(hidden.to(device), rows)

    def finetune(self, pairs: Sequence[tuple[str, str]], config: Any, copy_model: bool = True,
                 eval_pairs: Sequence[tuple[str, str]] | None = None) -> Any:
        """Fine-tune this engine's model on ``(prompt, answer)`` pairs (a copy by default;
        ``eval_pairs`` evaluated every ``config.eval_steps``); see
        :func:`iclab.engine.training.finetune`. Returns its ``FinetuneResult``; wrap
        ``result.model`` in a new :class:`Engine` to evaluate it."""
        from iclab.engine.training import finetune

        return finetune(self.model, self.tokenizer, pairs, config, copy_model=copy_model,
                        eval_pairs=eval_pairs)

    def generate_sweep(self, prompts: Sequence[Prompt], mask: ContextMask,
                       layers: Sequence[int] | None = None, max_new_tokens: int = 256,
                       stop: Sequence[str] = (), top_k: int = 0,
                       skip_leading_whitespace: bool = False,
                       progress: Progress = None) -> list[dict[int, Generation]]:
        """Greedy continuations of every prompt with its context masked from each layer.

        The generation half of a layer sweep (Sia et al., 2024): for each prompt and each
        first masked layer L, the continuation with ``mask`` active from L at every step
        (prompt and generated tokens), equal to :meth:`generate` of that prompt under
        ``mask_context(model, mask.at(L))``. Points of many prompts decode together on the
        packed path of :meth:`generate` (see :mod:`iclab.engine.sweep_generate`).

        Args:
            prompts: the prompts.
            mask: ``rows`` holds one :class:`~iclab.engine.masking.RowMask` per prompt (or
                one for all); its ``sink`` and ``self_visible`` apply; ``from_layer`` is
                ignored.
            layers: first masked layers to decode (default 0..n_layers; n_layers masks
                nothing).
            max_new_tokens, stop, top_k, skip_leading_whitespace: as :meth:`generate`.
            progress: called with the number of prompts finished after each batch.

        Returns:
            Per prompt, ``{first masked layer: Generation}``.
        """
        cfg = GenConfig(max_new_tokens, tuple(stop), top_k, skip_leading_whitespace)
        outs = sweep_generate(self.adapter, self.tokenizer, [p.input_ids for p in prompts],
                              mask, cfg, layers, self.limits, self.max_length, progress)
        return [{layer: Generation(text, ids, tops, stopped, p.target)  # type: ignore[arg-type]
                 for layer, (text, ids, tops, stopped) in sorted(per.items())}
                for p, per in zip(prompts, outs)]

    def activations(self, prompts: Sequence[Prompt | Sequence[int]], position: int = -1
                    ) -> Activations:
        """Attention-head and MLP outputs of every prompt at ``position`` (default: the last
        token, which predicts the answer); see :func:`iclab.engine.activations.capture`."""
        return capture(self.adapter, [_ids(p) for p in prompts], position, self.limits)

    def patch_heads(self, prompt: Prompt | Sequence[int], source: Any,
                    patch_sets: Sequence[PatchSet], position: int = -1,
                    token_ids: Sequence[int] | None = None) -> Any:
        """Logits at ``prompt``'s last token with head outputs patched from ``source``, one
        row per patch set; see :func:`iclab.engine.activations.patch_heads`."""
        return patch_heads(self.adapter, _ids(prompt), source, patch_sets, position, token_ids,
                           self.limits)


def _ids(prompt: Prompt | Sequence[int]) -> tuple[int, ...]:
    """Token ids of a Prompt or of a plain id sequence."""
    return tuple(prompt.input_ids) if isinstance(prompt, Prompt) else tuple(prompt)


def _final(raw: RawScores, mode: ScoreMode) -> tuple[float, ...]:
    """Per-choice score: the sum, or the mean per token in ``mean`` mode."""
    if mode == "mean":
        return tuple(s / n for s, n in zip(raw.logprobs, raw.n_tokens))
    return raw.logprobs
