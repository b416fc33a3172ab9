"""``--device`` and ``--dtype``: the same two options on every verb that runs a model."""

from __future__ import annotations

from typing import Any, Optional

import typer

DEVICE_HELP = "cpu, cuda, cuda:1 (default: CUDA if available)."
DTYPE_HELP = ("float32, bfloat16, float16 (default: bf16 on CUDA, fp32 on CPU; log-softmax "
              "and metrics accumulate in fp32 in every dtype).")


def device_option() -> Any:
    """The ``--device`` option."""
    return typer.Option(None, "--device", help=DEVICE_HELP)


def dtype_option() -> Any:
    """The ``--dtype`` option."""
    return typer.Option(None, "--dtype", help=DTYPE_HELP)


def load_kwargs(device: Optional[str], dtype: Optional[str]) -> dict[str, str]:
    """Keyword arguments for :func:`iclab.models.load_model`: only the options given, so
    the loader's defaults (CUDA when present; bf16 there, fp32 on CPU) apply to the rest."""
    return {k: v for k, v in (("device", device), ("dtype", dtype)) if v is not None}


def with_dtype(config: dict[str, Any], dtype: Optional[str]) -> dict[str, Any]:
    """A run config (parsed YAML) whose cells load the model in ``dtype`` (unchanged when
    None).

    Raises:
        typer.BadParameter: the config's grid already sweeps ``dtype``.
    """
    if dtype is None:
        return config
    if "dtype" in (config.get("grid") or {}):
        raise typer.BadParameter("the config's grid sweeps dtype; drop --dtype or the axis",
                                 param_hint="--dtype")
    return {**config, "params": {**(config.get("params") or {}), "dtype": dtype}}
