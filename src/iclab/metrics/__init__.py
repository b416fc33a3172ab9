"""Metrics: accuracy, BLEU/chrF, pass@k, statistics."""
