"""The only architecture-specific code of the engine: the decoder body and the output head.

The engine runs the decoder body (``model.get_decoder()``: embeddings, blocks, final norm) to
get hidden states, then projects only the positions it needs, and at those positions only the
output-embedding rows it needs. The projection must reproduce the model's own logits exactly,
so every post-processing step of the LM head lives here:

- the output embedding (``get_output_embeddings()``; tied or not) and its bias, if any;
- ``logit_scale`` (Cohere: logits are multiplied by it);
- ``logits_scaling`` (Granite: logits are divided by it);
- ``final_logit_softcapping`` (Gemma 2/3: ``cap * tanh(logits / cap)``).

Gemma's input embedding scale (``sqrt(hidden)``) is inside the decoder body and needs nothing
here. :meth:`HeadAdapter.verify` checks the projection against the model's full forward on a
short probe; :func:`head_adapter` runs it once per model, so an architecture with an unknown
head transform fails loudly instead of scoring silently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from iclab.engine.compat import cache_kwargs
from iclab.engine.types import EngineError

# Model types whose heads have been checked by the test-suite (others are verified on load).
KNOWN_TYPES = ("llama", "gpt_neox", "gemma3", "gemma3_text", "gemma2", "qwen2", "mistral")


@dataclass
class HeadAdapter:
    """Decoder body plus an exact, row-selectable output head for one causal LM.

    Attributes:
        model: the HF ``*ForCausalLM`` model.
        body: the decoder body returning ``last_hidden_state`` (after the final norm).
        weight: output embedding matrix, shape (V, H).
        bias: output bias (V,) or None.
        scale: multiplier applied to the logits (1.0 when none).
        softcap: final logit soft-capping value or None.
        packs: whether packed rows reproduce padded rows for this model (None: not checked
            yet; see :func:`iclab.engine.run.packing_works`).
    """

    model: Any
    body: Any
    weight: torch.Tensor
    bias: torch.Tensor | None
    scale: float
    softcap: float | None
    packs: bool | None = None

    @property
    def vocab_size(self) -> int:
        """Number of rows of the output embedding."""
        return int(self.weight.shape[0])

    def hidden(self, input_ids: torch.Tensor, cache: Any | None = None,
               position_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Run the decoder body; return the last hidden states (B, T, H).

        ``cache`` (a transformers ``Cache``) is extended in place with the new tokens;
        ``position_ids`` default to the positions after the cache.
        """
        extra = {} if position_ids is None else {"position_ids": position_ids}
        out = self.body(input_ids=input_ids, use_cache=cache is not None,
                        **cache_kwargs(self.body, cache), **extra)
        return out.last_hidden_state

    def logits(self, hidden: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """Project hidden states (..., H) to fp32 logits (..., R) over ``rows`` (all when None)."""
        w = self.weight if rows is None else self.weight.index_select(0, rows)
        b = None if self.bias is None else (self.bias if rows is None
                                            else self.bias.index_select(0, rows))
        return self._project(hidden, w, b)

    def vocab_logprobs(self, hidden: torch.Tensor, tokens: torch.Tensor | None = None,
                       top_k: int = 0, chunk: int = 32768
                       ) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
        """Full-vocabulary log-probs of chosen tokens, and optionally the top-k, per row.

        The vocabulary is projected in slices of ``chunk`` rows of the output embedding with a
        running log-sum-exp, so the (rows x vocabulary) logit matrix is never held at once and
        the embedding is read once for all rows. The chosen tokens' logits are taken from the
        same slices (the same arithmetic as the model's full projection).

        Args:
            hidden: hidden states (R, H).
            tokens: token ids (R, K) whose log-probs are wanted, or None.
            top_k: if > 0, also return the k most likely tokens per row.
            chunk: vocabulary rows per slice.

        Returns:
            ``(log-probs of tokens (R, K) or None, top-k log-probs (R, k) or None,
            top-k ids (R, k) or None)``, fp32 / long.
        """
        lse: torch.Tensor | None = None
        picked = None if tokens is None else torch.zeros(tokens.shape, device=hidden.device)
        top_v: torch.Tensor | None = None
        top_i: torch.Tensor | None = None
        for start in range(0, self.vocab_size, chunk):
            end = min(start + chunk, self.vocab_size)
            b = None if self.bias is None else self.bias[start:end]
            z = self._project(hidden, self.weight[start:end], b)  # (R, C) fp32
            part = torch.logsumexp(z, dim=-1)
            lse = part if lse is None else torch.logaddexp(lse, part)
            if tokens is not None and picked is not None:
                inside = (tokens >= start) & (tokens < end)
                got = z.gather(1, (tokens - start).clamp(0, end - start - 1))
                picked = torch.where(inside, got, picked)
            if top_k:
                v, i = z.topk(min(top_k, end - start), dim=-1)
                if top_v is None or top_i is None:
                    top_v, top_i = v, i + start
                else:
                    v, i = torch.cat([top_v, v], -1), torch.cat([top_i, i + start], -1)
                    top_v, order = v.topk(min(top_k, v.shape[-1]), dim=-1)
                    top_i = i.gather(-1, order)
        assert lse is not None
        return (None if picked is None else picked - lse[:, None],
                None if top_v is None else top_v - lse[:, None], top_i)

    def greedy(self, hidden: torch.Tensor, chunk: int = 1 << 24) -> torch.Tensor:
        """Argmax token of each row's full-vocabulary logits (R,), long.

        No log-sum-exp and no top-k (a greedy step needs neither): the output embedding is
        multiplied in as few slices as keep ``rows x slice`` logits within ``chunk`` values,
        usually one, as the model's own head does.
        """
        step = max(1, chunk // max(1, hidden.shape[0]))
        best_v: torch.Tensor | None = None
        best_i: torch.Tensor | None = None
        for start in range(0, self.vocab_size, step):
            end = min(start + step, self.vocab_size)
            b = None if self.bias is None else self.bias[start:end]
            v, i = self._project(hidden, self.weight[start:end], b).max(dim=-1)  # (R,)
            if best_v is None or best_i is None:
                best_v, best_i = v, i + start
            else:
                better = v > best_v
                best_v = torch.where(better, v, best_v)
                best_i = torch.where(better, i + start, best_i)
        assert best_i is not None
        return best_i

    def _project(self, hidden: torch.Tensor, w: torch.Tensor,
                 b: torch.Tensor | None) -> torch.Tensor:
        """``hidden @ w.T`` plus bias, then the model's logit scale and soft-capping.

        The matrix product runs in the weight's dtype (hidden states of another dtype, e.g.
        fp32 activations captured from a bf16 model, are cast to it); everything after it,
        and the result, is fp32 whatever the model's dtype, so log-softmax, log-sum-exp and
        metrics downstream accumulate in fp32.
        """
        out = (hidden.to(w.dtype) @ w.T).float()
        if b is not None:
            out = out + b.float()
        if self.scale != 1.0:
            out = out * self.scale
        if self.softcap is not None:
            out = torch.tanh(out / self.softcap) * self.softcap
        return out

    def verify(self, atol: float = 1e-4) -> None:
        """Compare :meth:`logits` with the model's own forward on a short probe.

        Raises:
            EngineError: the projection does not reproduce the model's logits.
        """
        dev = self.weight.device
        probe = torch.tensor([[1, 5, 7, 11, 13, 2]], device=dev) % self.vocab_size
        with torch.inference_mode():
            ref = self.model(input_ids=probe).logits.float()
            ours = self.logits(self.hidden(probe)).float()
        err = (ref - ours).abs().max().item()
        tol = atol if self.weight.dtype == torch.float32 else 0.05 * ref.abs().max().item()
        if err > tol:
            kind = getattr(self.model.config, "model_type", "?")
            raise EngineError(
                f"the engine's output head does not reproduce {kind!r} logits (max error "
                f"{err:.3g}); add this architecture's head transform to iclab.engine.adapter"
            )


def _config_value(config: Any, name: str) -> Any:
    """Read ``name`` from the config or its text config, None when absent."""
    value = getattr(config, name, None)
    if value is None and hasattr(config, "get_text_config"):
        value = getattr(config.get_text_config(), name, None)
    return value


def head_adapter(model: Any, verify: bool = True) -> HeadAdapter:
    """Build (and by default verify) the :class:`HeadAdapter` of a HF causal LM."""
    head = model.get_output_embeddings()
    if head is None or not hasattr(head, "weight"):
        raise EngineError(f"{type(model).__name__} has no output embedding the engine can use")
    body = model.get_decoder()
    config = model.config
    scale = 1.0
    if _config_value(config, "logit_scale") is not None:
        scale *= float(_config_value(config, "logit_scale"))
    if _config_value(config, "logits_scaling") is not None:
        scale /= float(_config_value(config, "logits_scaling"))
    softcap = _config_value(config, "final_logit_softcapping")
    adapter = HeadAdapter(model=model, body=body, weight=head.weight,
                          bias=getattr(head, "bias", None), scale=scale,
                          softcap=float(softcap) if softcap else None)
    if verify:
        adapter.verify()
    return adapter
