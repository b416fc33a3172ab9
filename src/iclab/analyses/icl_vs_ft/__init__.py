"""ICL vs fine-tuning on implicit patterns (Yin et al.): accuracies and circuit shift."""
