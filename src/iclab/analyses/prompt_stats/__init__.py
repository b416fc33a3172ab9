"""``prompt-stats``: token counts of a task's prompts, a model-free sweep analysis."""
