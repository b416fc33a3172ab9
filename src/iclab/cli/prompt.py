"""``iclab prompt``: print the exact prompt one (task, template, k, seed, setting) builds."""

from __future__ import annotations

import sys
from typing import Any

import typer

from iclab.errors import PromptError
from iclab.prompts.build import build_prompt, render_text, select_queries
from iclab.prompts.settings import parse_setting
from iclab.prompts.types import Prompt, Span
from iclab.models.bundled import DEFAULT_MODEL


def _span_name(span: Span) -> str:
    return span.kind if span.index is None else f"{span.kind}[{span.index}]"


def format_spans(prompt: Prompt, tokenizer: Any = None) -> str:
    """One line per span: name, token range, character range, and its text (``repr``)."""
    lines = [f"--- {len(prompt.input_ids)} tokens; spans are [start, end) ---"]
    for span in prompt.spans:
        text = prompt.text[span.char_start:span.char_end]
        shown = text if len(text) <= 60 else text[:28] + " ... " + text[-27:]
        lines.append(f"{_span_name(span):<16} tokens {span.tok_start:>5}-{span.tok_end:<5} "
                     f"chars {span.char_start:>6}-{span.char_end:<6} {shown!r}")
    if prompt.choices:
        lines.append(f"choices: {list(prompt.choices)}  target: {prompt.target} "
                     f"({prompt.choices[prompt.target]!r})")  # type: ignore[index]
    else:
        lines.append(f"target: {prompt.target!r}")
    lines.append(f"demo_targets: {list(prompt.demo_targets)}")
    return "\n".join(lines)


def prompt_command(
    task: str = typer.Option(..., "--task", "-t", help="Task name (iclab tasks list) or spec file."),
    template: str = typer.Option("default", "--template", "-p", help="Template preset name."),
    shots: int = typer.Option(4, "--shots", "-k", min=0, help="Number of demonstrations."),
    seed: int = typer.Option(13, "--seed", "-s", help="Demo seed (MetaICL: 13 21 42 87 100)."),
    labels: str = typer.Option(
        "gold", "--labels", "-l",
        help="Label setting: gold, random, random-empirical, abstract, replacement:VARIANT, "
             "flip-after:F[:f2d], alternating, percent-correct:P."),
    query_index: int = typer.Option(0, "--query-index", "-i", min=0,
                                    help="Which query (position among the selected queries)."),
    sampling: str = typer.Option("fixed", "--sampling",
                                 help="fixed (MetaICL shuffle), balanced, choice (where-ICL), or iid (repeat = seed)."),
    test_split: str = typer.Option("test", "--split", help="Split the query comes from."),
    spans: bool = typer.Option(False, "--spans", help="Also print each span's token range."),
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m",
                              help="Model whose tokenizer --spans uses."),
) -> None:
    """Print the exact rendered prompt (and, with --spans, its token spans and targets)."""
    from iclab.data import load_task

    loaded = load_task(task)
    qs = select_queries(loaded, shots, seed, sampling, test_split=test_split)  # type: ignore[arg-type]
    if query_index >= len(qs.queries):
        raise PromptError(f"--query-index {query_index} is out of range: task {loaded.name!r} "
                          f"has {len(qs.queries)} queries in split {test_split!r}")
    index, query = qs.queries[query_index]
    pool = loaded.splits.get("train", ())
    setting = parse_setting(labels)
    draws = (qs.label_draws[query_index]
             if qs.label_draws and setting.kind == "random-empirical" else None)
    if not spans:
        text = render_text(loaded, qs.demos, query, template, setting, seed=seed, pool=pool,
                           pool_draws=draws)
        typer.echo(text, nl=sys.stdout.isatty())
        return
    from iclab.models import load_tokenizer

    prompt = build_prompt(loaded, qs.demos, query, template, setting, load_tokenizer(model),
                          seed=seed, pool=pool, pool_draws=draws, meta={"query_index": index})
    typer.echo(prompt.text)
    typer.echo(format_spans(prompt))
