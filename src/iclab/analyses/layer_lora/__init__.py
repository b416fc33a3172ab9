"""Where ICL happens, per-layer LoRA: fine-tune one layer's attention output at a time."""
