"""Per-layer activations at chosen positions, and attention-head output patching.

Two intervention points per decoder layer, named by module path under the decoder body
(``model.get_decoder()``), TransformerLens style:

- **head outputs**: the input of the layer's attention output projection (``o_proj`` /
  ``dense``), shape (B, T, n_heads * head_dim), split into heads (B, T, n_heads, head_dim).
  Head h's output is the slice ``[h * head_dim, (h + 1) * head_dim)``: what head h writes,
  before the projection mixes heads;
- **MLP outputs**: the output of the layer's ``mlp`` module (B, T, hidden), before any
  post-feed-forward norm (Gemma 3) and before it is added to the residual stream.

Hooks are temporary: :func:`temporary_hooks` resolves every module name first (an unknown
name raises before anything is installed) and always removes every hook in ``finally``, so an
exception inside the block leaves the model clean. The module names of each architecture live
in :data:`LAYOUTS` (Llama, Qwen2, Mistral, GPT-NeoX, Gemma 2/3).

Shared prefixes are prefilled once (hooks are installed only for the rows' own suffix), as in
the rest of the engine, so a k-shot context is computed once for all queries that share it.

**Patching.** :func:`patch_heads` runs a target prompt B once per *patch set*; in each run the
heads of the set have their output at one position replaced by given values (typically another
run A's, from :func:`capture`). Positions before the patched one are unaffected, so B's prefix is
prefilled once and every patch set is one row of a single batched forward over the rest.
Invariants (tested): patching every head with B's own output changes nothing; patching every
head of every layer with A's outputs at the last position, when A and B end with the same token,
reproduces A's logits there (the residual stream at that position is then A's, layer by layer).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

import torch

from iclab.engine.adapter import HeadAdapter
from iclab.engine.kv import batch_cache, common_prefix_len, prefill
from iclab.engine.layouts import LAYOUTS, Layout
from iclab.engine.run import BatchLimits, group_by_prefix
from iclab.engine.types import EngineError


@dataclass(frozen=True)
class Sites:
    """The resolved intervention points of one model.

    Attributes:
        attn_out: per layer, the name of the attention output projection.
        mlp: per layer, the name of the MLP.
        n_heads: attention heads per layer.
        head_dim: width of one head's output.
    """

    attn_out: tuple[str, ...]
    mlp: tuple[str, ...]
    n_heads: int
    head_dim: int

    @property
    def n_layers(self) -> int:
        """Number of decoder layers."""
        return len(self.attn_out)


def sites(model: Any) -> Sites:
    """Resolve the head-output and MLP module names of ``model`` (see :data:`LAYOUTS`).

    Raises:
        EngineError: unknown architecture, or the layout does not match the modules.
    """
    config = model.config.get_text_config()
    kind = getattr(config, "model_type", None)
    if kind not in LAYOUTS:
        raise EngineError(f"no activation layout for model type {kind!r}; known: "
                          f"{sorted(LAYOUTS)} (add one to iclab.engine.layouts.LAYOUTS)")
    layout = LAYOUTS[kind]
    body = model.get_decoder()
    n_layers = len(_module(body, layout.layers))
    n_heads = int(config.num_attention_heads)
    attn = tuple(f"{layout.layers}.{i}.{layout.attn_out}" for i in range(n_layers))
    mlp = tuple(f"{layout.layers}.{i}.{layout.mlp}" for i in range(n_layers))
    width = _module(body, attn[0]).in_features
    if width % n_heads:
        raise EngineError(f"{attn[0]} takes {width} features, not a multiple of {n_heads} heads")
    return Sites(attn, mlp, n_heads, width // n_heads)


def _module(root: torch.nn.Module, name: str) -> Any:
    """``root``'s submodule called ``name``; EngineError naming close matches when absent."""
    try:
        return root.get_submodule(name)
    except AttributeError:
        tail = name.rsplit(".", 1)[-1]
        near = [n for n, _ in root.named_modules() if n.endswith(tail)][:4]
        raise EngineError(f"{type(root).__name__} has no module {name!r}"
                          f"{'; similar: ' + ', '.join(near) if near else ''}") from None


Hook = Callable[..., Any]


@contextlib.contextmanager
def temporary_hooks(root: torch.nn.Module, pre: Mapping[str, Hook] | None = None,
                    post: Mapping[str, Hook] | None = None) -> Iterator[None]:
    """Install forward pre-hooks and forward hooks on named submodules of ``root``.

    Every name is resolved before any hook is installed; every installed hook is removed on
    exit, also when the block raises.

    Args:
        root: the module the names are relative to (the decoder body).
        pre: name -> ``fn(module, args)`` (may return replacement args).
        post: name -> ``fn(module, args, output)`` (may return a replacement output).
    """
    resolved = [(_module(root, n), fn, True) for n, fn in (pre or {}).items()]
    resolved += [(_module(root, n), fn, False) for n, fn in (post or {}).items()]
    handles = []
    try:
        for module, fn, is_pre in resolved:
            handles.append(module.register_forward_pre_hook(fn) if is_pre
                           else module.register_forward_hook(fn))
        yield
    finally:
        for handle in handles:
            handle.remove()


@dataclass(frozen=True)
class Activations:
    """Activations of N prompts at one position each.

    Attributes:
        heads: attention-head outputs (N, n_layers, n_heads, head_dim).
        mlp: MLP outputs (N, n_layers, hidden).
        hidden: the decoder body's last hidden state there (N, hidden); project it with
            ``HeadAdapter.logits`` for the model's logits at that position.
        positions: the absolute position read in each prompt.
    """

    heads: torch.Tensor
    mlp: torch.Tensor
    hidden: torch.Tensor
    positions: tuple[int, ...]


def _absolute(position: int, n: int, i: int) -> int:
    """Absolute index of ``position`` (negative counts from the end) in a prompt of n tokens."""
    pos = position + n if position < 0 else position
    if not 0 <= pos < n:
        raise EngineError(f"position {position} is outside prompt {i} ({n} tokens)")
    return pos


def capture(adapter: HeadAdapter, prompts: Sequence[Sequence[int]], position: int = -1,
            limits: BatchLimits = BatchLimits()) -> Activations:
    """Head outputs, MLP outputs and the last hidden state of each prompt at ``position``.

    Args:
        adapter: the model's head adapter (``Engine.adapter``).
        prompts: token ids per prompt.
        position: token index read in every prompt (negative: from the end; -1 = the last
            token, whose output predicts the answer's first token).
        limits: ``rows`` caps the batch size.
    """
    if not prompts:
        raise EngineError("no prompts to capture activations from")
    where = sites(adapter.model)
    pos = [_absolute(position, len(p), i) for i, p in enumerate(prompts)]
    n, L = len(prompts), where.n_layers
    heads = [[None] * L for _ in range(n)]
    mlp = [[None] * L for _ in range(n)]
    hidden: list[Any] = [None] * n
    device = adapter.weight.device
    with torch.inference_mode():
        for group in group_by_prefix(prompts):
            p = min(common_prefix_len([prompts[i] for i in group]), min(pos[i] for i in group))
            prefix = prefill(adapter, prompts[group[0]][:p], device)
            for start in range(0, len(group), limits.rows):
                rows = group[start:start + limits.rows]
                _capture_batch(adapter, where, prefix, [prompts[i] for i in rows],
                               [pos[i] - p for i in rows], rows, (heads, mlp, hidden))
    return Activations(
        heads=torch.stack([torch.stack(r) for r in heads]),  # (N, L, H, D)
        mlp=torch.stack([torch.stack(r) for r in mlp]),  # (N, L, hidden)
        hidden=torch.stack(hidden), positions=tuple(pos))  # (N, hidden)


def _capture_batch(adapter: HeadAdapter, where: Sites, prefix: Any, seqs: Sequence[Sequence[int]],
                   read: Sequence[int], rows: Sequence[int], out: tuple[list, list, list]) -> None:
    """Run one right-padded batch of suffixes and store the activations at ``read``."""
    heads, mlp, hidden = out
    p = len(prefix)
    width = max(len(s) - p for s in seqs)
    pad = seqs[0][-1]  # padding sits after every real token, so its value never matters
    ids = torch.tensor([list(s[p:]) + [pad] * (width - len(s) + p) for s in seqs],
                       device=adapter.weight.device)  # (B, T)
    b_idx = torch.arange(len(seqs), device=ids.device)
    t_idx = torch.tensor(list(read), device=ids.device)

    def take_heads(layer: int) -> Hook:
        def hook(module: Any, args: tuple) -> None:
            x = args[0][b_idx, t_idx].float()  # (B, H*D)
            for j, r in enumerate(rows):
                heads[r][layer] = x[j].view(where.n_heads, where.head_dim).cpu()
        return hook

    def take_mlp(layer: int) -> Hook:
        def hook(module: Any, args: tuple, output: Any) -> None:
            y = (output[0] if isinstance(output, tuple) else output)[b_idx, t_idx].float()
            for j, r in enumerate(rows):
                mlp[r][layer] = y[j].cpu()
        return hook

    pre = {name: take_heads(i) for i, name in enumerate(where.attn_out)}
    post = {name: take_mlp(i) for i, name in enumerate(where.mlp)}
    with temporary_hooks(adapter.body, pre, post):
        out_h = adapter.hidden(ids, batch_cache(prefix, len(seqs), adapter))  # (B, T, hidden)
    last = out_h[b_idx, t_idx].float()
    for j, r in enumerate(rows):
        hidden[r] = last[j].cpu()


PatchSet = Sequence[tuple[int, int]]
"""(layer, head) pairs patched together in one run."""


def patch_heads(adapter: HeadAdapter, prompt: Sequence[int], source: torch.Tensor,
                patch_sets: Sequence[PatchSet], position: int = -1,
                token_ids: Sequence[int] | None = None,
                limits: BatchLimits = BatchLimits()) -> torch.Tensor:
    """Logits of ``prompt`` at its last token, once per patch set, with patched head outputs.

    Args:
        adapter: the model's head adapter.
        prompt: the target prompt's token ids (run B).
        source: replacement head outputs (n_layers, n_heads, head_dim), e.g.
            ``capture(...).heads[i]`` of run A.
        patch_sets: per run, the (layer, head) pairs whose output at ``position`` is replaced
            by ``source[layer, head]``; an empty set gives B's clean logits.
        position: the patched token (negative counts from the end).
        token_ids: vocabulary rows to return (None: all).
        limits: ``rows`` caps the runs per forward.

    Returns:
        Float logits (len(patch_sets), len(token_ids) or vocab) at the prompt's last token.
    """
    where = sites(adapter.model)
    shape = (where.n_layers, where.n_heads, where.head_dim)
    if tuple(source.shape) != shape:
        raise EngineError(f"source head outputs have shape {tuple(source.shape)}, need {shape}")
    for s in patch_sets:
        for layer, head in s:
            if not (0 <= layer < shape[0] and 0 <= head < shape[1]):
                raise EngineError(f"no head ({layer}, {head}) in a {shape[0]}x{shape[1]} model")
    if not patch_sets:
        raise EngineError("no patch sets given")
    pos = _absolute(position, len(prompt), 0)
    device = adapter.weight.device
    rows = None if token_ids is None else torch.tensor(list(token_ids), device=device)
    outs = []
    with torch.inference_mode():
        prefix = prefill(adapter, prompt[:pos], device)
        suffix = torch.tensor([list(prompt[pos:])], device=device)  # (1, T)
        for start in range(0, len(patch_sets), limits.rows):
            batch = patch_sets[start:start + limits.rows]
            hooks = _patch_hooks(where, source.to(device), batch)
            with temporary_hooks(adapter.body, pre=hooks):
                h = adapter.hidden(suffix.expand(len(batch), -1),
                                   batch_cache(prefix, len(batch), adapter))[:, -1]
            outs.append(adapter.logits(h, rows).float())
    return torch.cat(outs)


def _patch_hooks(where: Sites, source: torch.Tensor, batch: Sequence[PatchSet]
                 ) -> dict[str, Hook]:
    """Pre-hooks on each layer's output projection that overwrite patched heads at token 0
    of the suffix (the patched position), row by row."""
    by_layer: dict[int, list[tuple[int, int]]] = {}
    for row, s in enumerate(batch):
        for layer, head in s:
            by_layer.setdefault(layer, []).append((row, head))
    D = where.head_dim

    def make(layer: int, cells: list[tuple[int, int]]) -> Hook:
        def hook(module: Any, args: tuple) -> tuple:
            x = args[0].clone()  # (B, T, H*D)
            for row, head in cells:
                x[row, 0, head * D:(head + 1) * D] = source[layer, head].to(x.dtype)
            return (x, *args[1:])
        return hook

    return {where.attn_out[layer]: make(layer, cells) for layer, cells in by_layer.items()}


__all__ = [
    "LAYOUTS",
    "Activations",
    "Layout",
    "PatchSet",
    "Sites",
    "capture",
    "patch_heads",
    "sites",
    "temporary_hooks",
]
