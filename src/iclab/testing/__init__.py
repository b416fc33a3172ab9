"""Reference implementations for tests and benchmarks (never used by the library itself): the naive one-forward-per-choice scorer and explicit truncated-context masking."""
