"""Task recognition vs task learning (Wang et al.): gold/random/abstract accuracies over checkpoints, competition metrics and the adaptive ensemble."""
